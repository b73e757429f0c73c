//! The hosted cashier page a payer opens from a payment's `payUrl`.
//!
//! It is plain server-rendered HTML with its CSS and script inline, so it keeps working with no
//! CDN, no asset pipeline and no network beyond the page itself (sandboxes and test runners are
//! often offline). Everything that came from a merchant or a payer goes through [`escape_html`]
//! before it reaches the document; the only markup not built from escaped text is this module's
//! own constants and the QR SVG, which the qrcode crate builds from numbers alone.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// What the page shows. The caller does all formatting (money, local time, seconds left) because
/// it owns the currency rules, the display time zone and the clock.
#[derive(Debug, Clone, Copy)]
pub struct CashierView<'a> {
    pub merchant_name: &'a str,
    pub transaction_id: &'a str,
    pub mch_order_id: &'a str,
    /// e.g. "PHP 1,234.50", already formatted by the caller.
    pub amount_display: &'a str,
    /// e.g. "GCash".
    pub channel_name: &'a str,
    /// "URL" | "QR" | "VA".
    pub channel_type: &'a str,
    /// e.g. "WECHAT_JS_URL": some channels (WeChat Pay) need channel-specific guidance.
    pub channel_code: &'a str,
    pub pay_data: &'a str,
    /// "PENDING" | "COMPLETED" | "FAILED".
    pub status: &'a str,
    pub failed_message: Option<&'a str>,
    /// e.g. "2026-11-28 20:15:00 (UTC+08:00)".
    pub expires_display: &'a str,
    /// Seconds left as computed by the server; `<= 0` means expired. Sent instead of a deadline
    /// so a payer whose clock is wrong still sees the right countdown.
    pub expires_in_secs: i64,
    pub redirect_url: Option<&'a str>,
    pub sandbox: bool,
    pub pay_action: &'a str,
    pub fail_action: &'a str,
    /// One-line message after an action, e.g. "This order has expired.".
    pub notice: Option<&'a str>,
}

/// Escapes the five characters that matter in HTML text and in quoted attribute values, so one
/// function is safe for both places.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The QR code for `data` as a standalone `<svg>` element (no XML declaration, so it can be
/// inlined in HTML as well as served on its own). It keeps the quiet zone because many wallet
/// scanners fail without one, and has a `viewBox` so CSS can scale it down on small screens.
pub fn qr_svg(data: &str) -> String {
    // Level M is the usual choice for payment codes; L holds more data, so it is the fallback
    // before giving up on a very long payload.
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(data.as_bytes(), EcLevel::L));
    let Ok(code) = code else {
        return QR_UNAVAILABLE_SVG.to_string();
    };
    let image = code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let Some(start) = image.find("<svg") else {
        return QR_UNAVAILABLE_SVG.to_string();
    };
    let element = &image[start..];
    // Screen readers otherwise announce an unnamed graphic.
    element.replacen(
        "<svg ",
        r#"<svg role="img" aria-label="Payment QR code" "#,
        1,
    )
}

/// Shown instead of a code when the payload is too long for any QR version, so the page still
/// renders and the payload remains copyable below it.
const QR_UNAVAILABLE_SVG: &str = concat!(
    r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="QR code unavailable" "#,
    r#"width="240" height="240" viewBox="0 0 240 240">"#,
    r##"<rect x="0" y="0" width="240" height="240" fill="#f1f5f9"/>"##,
    r##"<text x="120" y="124" text-anchor="middle" font-family="sans-serif" font-size="14" "##,
    r##"fill="#475569">QR code unavailable</text></svg>"##,
);

/// The full cashier document for one payment.
pub fn render(view: &CashierView) -> String {
    let pending = view.status == "PENDING";
    let expired = pending && view.expires_in_secs <= 0;
    let merchant = escape_html(view.merchant_name);
    let amount = escape_html(view.amount_display);
    let channel = escape_html(view.channel_name);

    let mut body = String::with_capacity(8 * 1024);
    body.push_str(r#"<main><div class="card">"#);

    body.push_str(r#"<header class="head">"#);
    if view.sandbox {
        body.push_str(r#"<span class="tag">Sandbox</span>"#);
    }
    body.push_str(&format!(
        concat!(
            r#"<div class="merchant">{merchant}</div>"#,
            r#"<div class="amount" id="amount">{amount}</div>"#,
            r#"<div class="channel">via {channel}</div>"#,
        ),
        merchant = merchant,
        amount = amount,
        channel = channel,
    ));
    body.push_str("</header>");

    body.push_str(r#"<div class="body">"#);
    if let Some(notice) = view.notice {
        body.push_str(&format!(
            r#"<p class="notice" id="notice" role="status">{}</p>"#,
            escape_html(notice)
        ));
    }
    if pending {
        body.push_str(&pending_panel(view, expired));
    } else {
        body.push_str(&result_panel(view));
    }
    body.push_str("</div>");

    body.push_str(&details_list(view));
    body.push_str("</div>");
    body.push_str(r#"<footer>Secure checkout · sampan</footer>"#);
    body.push_str("</main>");

    // The countdown script only has work to do while time is still running.
    if pending && !expired {
        body.push_str(COUNTDOWN_SCRIPT);
    }

    let title = match view.status {
        "COMPLETED" => format!("Payment received · {merchant}"),
        "FAILED" => format!("Payment failed · {merchant}"),
        _ => format!("Pay {amount} · {merchant}"),
    };
    page(&title, if expired { "expired" } else { "" }, &body)
}

/// What the page of a static payment code shows. Like [`CashierView`], the caller formats.
#[derive(Debug, Clone, Copy)]
pub struct CodeView<'a> {
    pub merchant_name: &'a str,
    pub code_id: &'a str,
    pub mch_order_id: &'a str,
    /// The fixed amount ("IDR 150,000"), or None when the payer chooses.
    pub fixed_amount_display: Option<&'a str>,
    pub channel_name: &'a str,
    /// "QR" | "VA".
    pub channel_type: &'a str,
    pub pay_data: &'a str,
    /// "ACTIVE" | "CANCEL" | "EXPIRED".
    pub status: &'a str,
    /// e.g. "2026-12-31 23:59:59 (UTC+08:00)", or "Never".
    pub expires_display: &'a str,
    pub paid_count: i64,
    /// e.g. "IDR 450,000".
    pub paid_amount_display: &'a str,
    pub sandbox: bool,
    /// Where the sandbox form posts (`amount` in the country's minor unit).
    pub pay_action: &'a str,
    /// e.g. "centavos (PHP 1.00 = 100)".
    pub amount_unit: &'a str,
    /// Pre-filled form amount (the fixed amount, if any).
    pub default_amount: Option<i64>,
    pub notice: Option<&'a str>,
}

/// The page of a static payment code: its QR or VA instructions, what it has received and, in
/// sandbox mode, a form that pays it.
pub fn render_code(view: &CodeView) -> String {
    let active = view.status == "ACTIVE";
    let merchant = escape_html(view.merchant_name);
    let channel = escape_html(view.channel_name);
    let amount = view
        .fixed_amount_display
        .map(escape_html)
        .unwrap_or_else(|| "Any amount".to_string());
    let mut body = String::with_capacity(8 * 1024);
    body.push_str(r#"<main><div class="card"><header class="head">"#);
    if view.sandbox {
        body.push_str(r#"<span class="tag">Sandbox</span>"#);
    }
    body.push_str(&format!(
        concat!(
            r#"<div class="merchant">{merchant}</div>"#,
            r#"<div class="amount" id="amount">{amount}</div>"#,
            r#"<div class="channel">via {channel} · reusable payment code</div></header>"#,
        ),
        merchant = merchant,
        amount = amount,
        channel = channel,
    ));
    body.push_str(r#"<div class="body">"#);
    if let Some(notice) = view.notice {
        body.push_str(&format!(
            r#"<p class="notice" id="notice" role="status">{}</p>"#,
            escape_html(notice)
        ));
    }
    body.push_str(&format!(
        r#"<p class="status" id="status" data-status="{status}">{text}</p>"#,
        status = escape_html(view.status),
        text = match view.status {
            "ACTIVE" => "This code accepts payments.",
            "CANCEL" => "This code was cancelled and no longer accepts payments.",
            "EXPIRED" => "This code has expired and no longer accepts payments.",
            _ => "This code does not accept payments.",
        },
    ));
    if active {
        let how = CashierView {
            merchant_name: view.merchant_name,
            transaction_id: view.code_id,
            mch_order_id: view.mch_order_id,
            amount_display: view.fixed_amount_display.unwrap_or("the amount you owe"),
            channel_name: view.channel_name,
            channel_type: view.channel_type,
            channel_code: "",
            pay_data: view.pay_data,
            status: "PENDING",
            failed_message: None,
            expires_display: view.expires_display,
            expires_in_secs: 1,
            redirect_url: None,
            sandbox: false,
            pay_action: "",
            fail_action: "",
            notice: None,
        };
        body.push_str(&instructions(&how));
        if view.sandbox {
            let value = view
                .default_amount
                .map(|a| format!(r#" value="{a}""#))
                .unwrap_or_default();
            body.push_str(&format!(
                concat!(
                    r#"<form class="sandbox" method="post" action="{action}" id="pay-form">"#,
                    r#"<label for="pay-amount">Sandbox: pay this code, amount in {unit}</label>"#,
                    r#"<input id="pay-amount" name="amount" inputmode="numeric" pattern="[0-9]+" required{value}>"#,
                    r#"<label for="payerReference">Payer reference (optional)</label>"#,
                    r#"<input id="payerReference" name="payerReference" maxlength="64">"#,
                    r#"<button class="btn pay" type="submit" id="pay">Pay</button></form>"#,
                ),
                action = escape_html(view.pay_action),
                unit = escape_html(view.amount_unit),
                value = value,
            ));
        }
    }
    body.push_str("</div>");
    body.push_str(&format!(
        concat!(
            r#"<dl class="details">"#,
            "<dt>Merchant</dt><dd>{merchant}</dd>",
            "<dt>Order ID</dt><dd class=\"mono\">{order}</dd>",
            "<dt>Code ID</dt><dd class=\"mono\">{code}</dd>",
            "<dt>Channel</dt><dd>{channel}</dd>",
            "<dt>Expires</dt><dd>{expires}</dd>",
            "<dt>Payments received</dt><dd id=\"paid\">{count} · {paid}</dd>",
            "</dl>",
        ),
        merchant = merchant,
        order = escape_html(view.mch_order_id),
        code = escape_html(view.code_id),
        channel = channel,
        expires = escape_html(view.expires_display),
        count = view.paid_count,
        paid = escape_html(view.paid_amount_display),
    ));
    body.push_str("</div><footer>Secure checkout · sampan</footer></main>");
    page(&format!("Payment code · {merchant}"), "", &body)
}

/// The page for a transaction id that does not exist (or that the caller will not disclose).
pub fn render_not_found(transaction_id: &str) -> String {
    let body = format!(
        concat!(
            r#"<main><div class="card"><div class="body">"#,
            r#"<section class="result fail" id="status" data-status="NOT_FOUND" role="status">"#,
            "{icon}",
            "<h1>Payment not found</h1>",
            r#"<p>There is no payment with transaction ID <code>{id}</code>. "#,
            "Check the link you were given, or contact the merchant.</p>",
            "</section></div></div>",
            "<footer>Secure checkout · sampan</footer></main>",
        ),
        icon = ICON_FAIL,
        id = escape_html(transaction_id),
    );
    page("Payment not found", "", &body)
}

fn page(title: &str, body_class: &str, body: &str) -> String {
    let class_attr = if body_class.is_empty() {
        String::new()
    } else {
        format!(r#" class="{body_class}""#)
    };
    format!(
        concat!(
            "<!DOCTYPE html>\n",
            r#"<html lang="en"><head>"#,
            r#"<meta charset="utf-8">"#,
            r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
            // Payment pages carry order details; keep them out of search engines and caches
            // shared between payers.
            r#"<meta name="robots" content="noindex, nofollow">"#,
            r#"<meta name="referrer" content="no-referrer">"#,
            "<title>{title}</title>",
            "<style>{css}</style>",
            "</head><body{class_attr}>{body}</body></html>\n",
        ),
        title = title,
        css = CSS,
        class_attr = class_attr,
        body = body,
    )
}

fn pending_panel(view: &CashierView, expired: bool) -> String {
    let mut out = String::with_capacity(4 * 1024);
    let (status_text, label_hidden, countdown_text) = if expired {
        (STATUS_CLOSED, " hidden", "Expired".to_string())
    } else {
        (
            "Waiting for payment",
            "",
            format_remaining(view.expires_in_secs),
        )
    };
    out.push_str(&format!(
        concat!(
            r#"<div class="timer">"#,
            r#"<p id="status" class="status" data-status="PENDING">{status_text}</p>"#,
            r#"<p class="clock"><span id="countdown-label"{label_hidden}>Time left </span>"#,
            r#"<span id="countdown" data-seconds="{secs}">{countdown}</span></p>"#,
            "</div>",
        ),
        status_text = status_text,
        label_hidden = label_hidden,
        secs = view.expires_in_secs.max(0),
        countdown = countdown_text,
    ));

    out.push_str(r#"<section class="instructions" id="instructions">"#);
    out.push_str(&instructions(view));
    out.push_str(&wechat_guide(view.channel_code));
    out.push_str("</section>");

    if view.sandbox {
        let disabled = if expired { " disabled" } else { "" };
        out.push_str(&format!(
            concat!(
                r#"<section class="sandbox" id="sandbox">"#,
                "<h2>Sandbox</h2>",
                "<p>No real money moves. Choose how this payment ends; the merchant is notified ",
                "as if a real payer had acted.</p>",
                r#"<div class="actions">"#,
                r#"<form method="post" action="{pay}">"#,
                r#"<button type="submit" class="btn btn-pay" id="pay-button"{disabled}>Pay</button>"#,
                "</form>",
                r#"<form method="post" action="{fail}">"#,
                r#"<button type="submit" class="btn btn-fail" id="fail-button"{disabled}>Fail</button>"#,
                "</form>",
                "</div></section>",
            ),
            pay = escape_html(view.pay_action),
            fail = escape_html(view.fail_action),
            disabled = disabled,
        ));
    }
    out
}

fn instructions(view: &CashierView) -> String {
    let amount = escape_html(view.amount_display);
    let channel = escape_html(view.channel_name);
    let pay_data = escape_html(view.pay_data);
    match view.channel_type {
        "QR" => {
            let mut out = format!(
                concat!(
                    r#"<p class="lead">Scan with your {channel} or banking app and pay "#,
                    "<strong>{amount}</strong>.</p>",
                    r#"<div class="qr">{svg}</div>"#,
                ),
                channel = channel,
                amount = amount,
                svg = qr_svg(view.pay_data),
            );
            // A payer on a phone cannot scan their own screen; URL-form codes (WeChat, SBP)
            // can be opened directly instead.
            if is_http_url(view.pay_data) {
                out.push_str(&format!(
                    r#"<p class="center"><a class="open-link" href="{pay_data}" rel="noopener noreferrer">Open the payment link on this device</a></p>"#
                ));
            }
            out.push_str(&format!(
                concat!(
                    "<details><summary>Show QR payload</summary>",
                    r#"<pre class="payload">{pay_data}</pre></details>"#,
                ),
                pay_data = pay_data,
            ));
            out
        }
        "VA" => {
            let raw: String = view.pay_data.split_whitespace().collect();
            let grouped = group_in_fours(&raw);
            let mut out = format!(
                concat!(
                    r#"<p class="lead">Transfer exactly <strong>{amount}</strong> to</p>"#,
                    r#"<p class="va-number" id="va-number">{grouped}</p>"#,
                ),
                amount = amount,
                grouped = escape_html(&grouped),
            );
            // The spaces are for reading only; some bank apps refuse them when pasted.
            if grouped != raw {
                out.push_str(&format!(
                    r#"<p class="va-raw">Without spaces: <code>{}</code></p>"#,
                    escape_html(&raw)
                ));
            }
            out.push_str(&format!(
                concat!(
                    r#"<ol class="steps">"#,
                    "<li>Open your bank app or online banking.</li>",
                    "<li>Choose the bill-payment or transfer option for {channel}.</li>",
                    "<li>Enter the number above and the exact amount, <strong>{amount}</strong>.</li>",
                    "</ol>",
                ),
                channel = channel,
                amount = amount,
            ));
            out
        }
        "URL" => format!(
            concat!(
                r#"<p class="lead">This is the {channel} checkout. "#,
                "Continue in {channel} to approve the payment of <strong>{amount}</strong>.</p>",
            ),
            channel = channel,
            amount = amount,
        ),
        // An unknown type should not leave the payer with nothing to act on.
        _ => format!(
            concat!(
                r#"<p class="lead">Pay <strong>{amount}</strong> with {channel} "#,
                "using these details:</p>",
                r#"<pre class="payload">{pay_data}</pre>"#,
            ),
            amount = amount,
            channel = channel,
            pay_data = pay_data,
        ),
    }
}

/// How to pay on each WeChat Pay channel: which app or browser the payer must be in, which is
/// the part payers get wrong. Empty for every other channel.
fn wechat_guide(channel_code: &str) -> String {
    let steps: &[&str] = match channel_code {
        "WECHAT_URL" => &[
            "This is WeChat Pay H5: open this page in your phone's browser (Safari, Chrome), not \
             inside WeChat.",
            "Continue: the browser hands the payment to the WeChat app, where you confirm it.",
            "WeChat checks that you pay from the same network the order was placed from; if \
             you switched between Wi-Fi and mobile data, ask the merchant for a new order.",
        ],
        "WECHAT_JS_URL" => &[
            "This payment runs inside WeChat: open it from the merchant's official account or \
             mini program, not from an ordinary browser.",
            "If you only have this link, send it to yourself in a WeChat chat (for example \
             File Transfer) and tap it there.",
            "WeChat shows the payment sheet for the account you are signed in with; confirm \
             with your WeChat Pay password or biometrics.",
        ],
        "WECHAT_DYNAMIC_QR" => &[
            "Open WeChat, tap + (top right), then Scan.",
            "Scan the code and confirm the amount in WeChat Pay.",
            "On the phone that shows this page? Save the code as an image, then Scan → Album.",
        ],
        _ => return String::new(),
    };
    let mut out = String::from(
        r#"<div class="wechat-guide" id="wechat-guide"><h2>Paying with WeChat Pay</h2><ol class="steps">"#,
    );
    for step in steps {
        out.push_str("<li>");
        out.push_str(&escape_html(step));
        out.push_str("</li>");
    }
    out.push_str("</ol></div>");
    out
}

fn result_panel(view: &CashierView) -> String {
    let (class, icon, heading, detail) = match view.status {
        "COMPLETED" => (
            "ok",
            ICON_OK,
            "Payment received".to_string(),
            format!(
                "{} has been paid to {}.",
                escape_html(view.amount_display),
                escape_html(view.merchant_name)
            ),
        ),
        "FAILED" => (
            "fail",
            ICON_FAIL,
            match view.failed_message {
                Some(msg) if !msg.trim().is_empty() => {
                    format!("Payment failed: {}", escape_html(msg))
                }
                _ => "Payment failed".to_string(),
            },
            "No money was taken for this order.".to_string(),
        ),
        other => (
            "info",
            ICON_INFO,
            format!("Payment status: {}", escape_html(other)),
            String::new(),
        ),
    };
    let mut out = format!(
        concat!(
            r#"<section class="result {class}" id="status" data-status="{status}" role="status">"#,
            "{icon}<h1>{heading}</h1>",
        ),
        class = class,
        status = escape_html(view.status),
        icon = icon,
        heading = heading,
    );
    if !detail.is_empty() {
        out.push_str(&format!("<p>{detail}</p>"));
    }
    if let Some(url) = view.redirect_url.filter(|u| is_http_url(u)) {
        out.push_str(&format!(
            r#"<a class="btn btn-link" id="return-link" href="{}">Return to merchant</a>"#,
            escape_html(url)
        ));
    }
    out.push_str("</section>");
    out
}

fn details_list(view: &CashierView) -> String {
    format!(
        concat!(
            r#"<dl class="details">"#,
            "<dt>Merchant</dt><dd>{merchant}</dd>",
            "<dt>Order ID</dt><dd class=\"mono\">{order}</dd>",
            "<dt>Transaction ID</dt><dd class=\"mono\">{txn}</dd>",
            "<dt>Channel</dt><dd>{channel}</dd>",
            "<dt>Expires</dt><dd>{expires}</dd>",
            "</dl>",
        ),
        merchant = escape_html(view.merchant_name),
        order = escape_html(view.mch_order_id),
        txn = escape_html(view.transaction_id),
        channel = escape_html(view.channel_name),
        expires = escape_html(view.expires_display),
    )
}

/// Only absolute http(s) URLs become links: anything else (`javascript:`, `data:`, relative
/// paths, a scheme hidden behind control characters) is either an attack or a merchant mistake,
/// and a dead link is the safer failure.
fn is_http_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let has_scheme = lower.starts_with("http://") || lower.starts_with("https://");
    has_scheme && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn group_in_fours(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Same format as the script's `fmt`, so the first paint (or a browser without JavaScript) shows
/// what the script will show a second later.
fn format_remaining(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}:{m:02}:{s:02}")
    } else if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// Shown once the countdown has run out; the script writes the same words so a page left open
/// ends up identical to a freshly loaded one.
const STATUS_CLOSED: &str = "Payment window closed";

const ICON_OK: &str = concat!(
    r#"<svg class="icon" viewBox="0 0 48 48" width="56" height="56" aria-hidden="true">"#,
    r##"<circle cx="24" cy="24" r="22" fill="#dcfce7"/>"##,
    r##"<path d="M14 25l7 7 13-15" fill="none" stroke="#15803d" stroke-width="4" "##,
    r#"stroke-linecap="round" stroke-linejoin="round"/></svg>"#,
);

const ICON_FAIL: &str = concat!(
    r#"<svg class="icon" viewBox="0 0 48 48" width="56" height="56" aria-hidden="true">"#,
    r##"<circle cx="24" cy="24" r="22" fill="#fee2e2"/>"##,
    r##"<path d="M16 16l16 16M32 16L16 32" fill="none" stroke="#b91c1c" stroke-width="4" "##,
    r#"stroke-linecap="round"/></svg>"#,
);

const ICON_INFO: &str = concat!(
    r#"<svg class="icon" viewBox="0 0 48 48" width="56" height="56" aria-hidden="true">"#,
    r##"<circle cx="24" cy="24" r="22" fill="#e0e7ff"/>"##,
    r##"<path d="M24 22v12M24 14v1" fill="none" stroke="#3730a3" stroke-width="4" "##,
    r#"stroke-linecap="round"/></svg>"#,
);

const CSS: &str = concat!(
    ":root{color-scheme:light;--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f3f4f6;",
    "--accent:#2563eb;--ok:#15803d;--bad:#b91c1c;--warn:#b45309;",
    "--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,\"Liberation Mono\",monospace}",
    "*{box-sizing:border-box}",
    "html{-webkit-text-size-adjust:100%;text-size-adjust:100%}",
    "body{margin:0;background:var(--bg);color:var(--fg);",
    "font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}",
    "main{max-width:440px;margin:0 auto;padding:24px 16px}",
    ".card{background:#fff;border:1px solid var(--line);border-radius:16px;",
    "box-shadow:0 1px 3px rgba(15,23,42,.06),0 8px 24px rgba(15,23,42,.06);overflow:hidden}",
    ".head{padding:22px 20px 18px;text-align:center;border-bottom:1px solid var(--line)}",
    ".tag{display:inline-block;margin-bottom:8px;padding:2px 10px;border-radius:999px;",
    "background:#fef3c7;color:var(--warn);font-size:.7rem;font-weight:700;",
    "letter-spacing:.08em;text-transform:uppercase}",
    ".merchant{font-weight:600;overflow-wrap:anywhere}",
    ".amount{margin:2px 0;font-size:2rem;font-weight:700;letter-spacing:-.01em;",
    "font-variant-numeric:tabular-nums;overflow-wrap:anywhere}",
    ".channel{color:var(--muted);font-size:.9rem}",
    ".body{padding:20px}",
    ".notice{margin:0 0 16px;padding:10px 12px;border-radius:10px;background:#eff6ff;",
    "border:1px solid #bfdbfe;font-size:.9rem;overflow-wrap:anywhere}",
    ".timer{display:flex;flex-wrap:wrap;gap:4px 12px;justify-content:space-between;",
    "align-items:center;padding:8px 12px;border-radius:10px;background:#fffbeb;",
    "border:1px solid #fde68a;font-size:.9rem}",
    ".timer p{margin:0}",
    "#countdown{font-weight:700;font-variant-numeric:tabular-nums}",
    ".expired .timer{background:#fef2f2;border-color:#fecaca;color:var(--bad)}",
    ".expired .instructions{opacity:.35;filter:grayscale(1)}",
    ".lead{margin:16px 0 8px}",
    ".center{text-align:center}",
    ".qr{display:flex;justify-content:center;margin:12px 0}",
    ".qr svg{width:100%;max-width:260px;height:auto;border:1px solid var(--line);border-radius:8px}",
    "details{margin-top:8px;font-size:.9rem}",
    "summary{cursor:pointer;color:var(--accent)}",
    ".payload{margin:8px 0 0;padding:10px;border-radius:8px;background:#f8fafc;",
    "border:1px solid var(--line);font:13px/1.4 var(--mono);white-space:pre-wrap;",
    "word-break:break-all;user-select:all;-webkit-user-select:all}",
    ".va-number{margin:0;padding:14px 12px;border-radius:10px;background:#f8fafc;",
    "border:1px dashed #94a3b8;text-align:center;font:600 1.35rem/1.3 var(--mono);",
    "letter-spacing:.04em;overflow-wrap:anywhere}",
    ".va-raw{margin:6px 0 0;text-align:center;color:var(--muted);font-size:.8rem}",
    ".va-raw code{font-family:var(--mono);user-select:all;-webkit-user-select:all}",
    ".steps{margin:16px 0 0;padding-left:1.3rem}",
    ".steps li{margin:4px 0}",
    ".sandbox{margin-top:20px;padding:14px;border:2px dashed var(--warn);border-radius:12px;",
    "background:#fffbeb}",
    ".sandbox h2{margin:0 0 4px;color:var(--warn);font-size:.75rem;letter-spacing:.1em;",
    "text-transform:uppercase}",
    ".sandbox p{margin:0;font-size:.85rem;color:var(--muted)}",
    ".actions{display:flex;gap:10px;margin-top:12px}",
    ".actions form{flex:1;margin:0}",
    ".btn{display:block;width:100%;padding:12px 16px;border:0;border-radius:10px;font:inherit;",
    "font-weight:600;text-align:center;text-decoration:none;cursor:pointer}",
    ".btn-pay{background:var(--ok);color:#fff}",
    ".btn-fail{background:#fff;color:var(--bad);box-shadow:inset 0 0 0 1px currentColor}",
    ".btn-link{margin-top:16px;background:var(--accent);color:#fff}",
    ".btn:disabled{opacity:.45;cursor:not-allowed}",
    ".btn:focus-visible,a:focus-visible,summary:focus-visible{outline:3px solid #93c5fd;",
    "outline-offset:2px}",
    ".result{text-align:center}",
    ".result h1{margin:8px 0 4px;font-size:1.35rem;overflow-wrap:anywhere}",
    ".result p{margin:0;color:var(--muted);overflow-wrap:anywhere}",
    ".result.ok h1{color:var(--ok)}",
    ".result.fail h1{color:var(--bad)}",
    ".result code{font-family:var(--mono);overflow-wrap:anywhere}",
    ".details{display:grid;grid-template-columns:auto 1fr;gap:6px 16px;margin:0;",
    "padding:16px 20px;border-top:1px solid var(--line);background:#fafbfc;font-size:.85rem}",
    ".details dt{color:var(--muted)}",
    ".details dd{margin:0;text-align:right;overflow-wrap:anywhere}",
    ".mono{font-family:var(--mono)}",
    "footer{margin-top:14px;text-align:center;color:var(--muted);font-size:.75rem}",
    "@media (max-width:380px){main{padding:12px 8px}.amount{font-size:1.7rem}",
    ".va-number{font-size:1.15rem}}",
);

// Counts down from the server's seconds-left rather than a wall-clock deadline, and measures
// elapsed time with performance.now() where available, so neither a wrong payer clock nor one
// changed while the page is open moves the expiry.
const COUNTDOWN_SCRIPT: &str = r#"<script>
(function () {
  var el = document.getElementById("countdown");
  if (!el) return;
  var left = parseInt(el.getAttribute("data-seconds"), 10);
  if (!(left > 0)) return;
  var now = window.performance && performance.now ? function () { return performance.now(); } : Date.now;
  var end = now() + left * 1000;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmt(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60), x = s % 60, t = pad(m) + ":" + pad(x);
    if (d > 0) return d + "d " + pad(h) + ":" + t;
    if (h > 0) return h + ":" + t;
    return t;
  }
  var timer = null;
  function tick() {
    var s = Math.ceil((end - now()) / 1000);
    if (s > 0) { el.textContent = fmt(s); return; }
    if (timer !== null) clearInterval(timer);
    el.textContent = "Expired";
    var status = document.getElementById("status");
    if (status) status.textContent = "Payment window closed";
    var label = document.getElementById("countdown-label");
    if (label) label.hidden = true;
    ["pay-button", "fail-button"].forEach(function (id) {
      var b = document.getElementById(id);
      if (b) b.disabled = true;
    });
    document.body.classList.add("expired");
  }
  timer = setInterval(tick, 1000);
  tick();
})();
</script>"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emvco::crc16_ccitt_false;

    const XSS: &str = "<script>alert(1)</script>";

    fn view() -> CashierView<'static> {
        CashierView {
            merchant_name: "Sari-Sari Store",
            transaction_id: "T20261128000001",
            mch_order_id: "ORDER-1001",
            amount_display: "PHP 1,234.50",
            channel_name: "GCash",
            channel_type: "URL",
            channel_code: "PH_GCASH_URL",
            pay_data: "https://pay.example.com/cashier/T20261128000001",
            status: "PENDING",
            failed_message: None,
            expires_display: "2026-11-28 20:15:00 (UTC+08:00)",
            expires_in_secs: 900,
            redirect_url: Some("https://shop.example.com/return?o=1001"),
            sandbox: false,
            pay_action: "/cashier/T20261128000001/pay",
            fail_action: "/cashier/T20261128000001/fail",
            notice: None,
        }
    }

    fn emvco_payload_of_len(len: usize) -> String {
        let mut body = String::from(
            "000201010212\
             2729 0012com.p2pqrpay0111SMPNPHM2XXX\
             52045999530360854071234.505802PH5915SARI SARI STORE6006MANILA",
        )
        .replace(' ', "");
        // Pad tag 62 sub-tag 05 (reference) so the whole payload is exactly `len` long.
        let ref_len = len - body.len() - 4 - 4 - 8;
        let reference: String = "R".repeat(ref_len);
        body.push_str(&format!(
            "62{:02}05{:02}{}",
            ref_len + 4,
            ref_len,
            reference
        ));
        body.push_str("6304");
        let crc = crc16_ccitt_false(body.as_bytes());
        body.push_str(&format!("{crc:04X}"));
        body
    }

    #[test]
    fn escape_html_escapes_all_five() {
        assert_eq!(
            escape_html(r#"a&b<c>d"e'f"#),
            "a&amp;b&lt;c&gt;d&quot;e&#39;f"
        );
        assert_eq!(escape_html("Dương ₱"), "Dương ₱");
    }

    #[test]
    fn document_basics() {
        let html = render(&view());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(r#"<meta charset="utf-8">"#));
        assert!(html.contains("<title>Pay PHP 1,234.50 · Sari-Sari Store</title>"));
        assert!(html.contains(r#"id="amount">PHP 1,234.50<"#));
        assert!(html.contains("T20261128000001"));
        assert!(html.contains("ORDER-1001"));
        assert!(html.contains("2026-11-28 20:15:00 (UTC+08:00)"));
        assert!(html.contains(r#"id="countdown" data-seconds="900">15:00<"#));
        assert!(html.contains(r#"id="status""#));
        // Offline: nothing is loaded from anywhere.
        assert!(!html.contains("<link"));
        assert!(!html.contains(" src="));
    }

    #[test]
    fn qr_page_renders_svg_and_payload() {
        let payload = emvco_payload_of_len(200);
        let v = CashierView {
            channel_type: "QR",
            channel_name: "QR Ph",
            pay_data: &payload,
            ..view()
        };
        let html = render(&v);
        assert!(html.contains("<svg"));
        assert!(html.contains(r#"<div class="qr"><svg"#));
        assert!(html.contains("<details><summary>Show QR payload</summary>"));
        assert!(html.contains(&payload));
        assert!(!html.contains("<?xml"));
        assert!(!html.contains("Continue in"));
        // EMVCo content is not a URL, so there is no "open" link.
        assert!(!html.contains("open-link"));
    }

    #[test]
    fn wechat_channels_explain_where_to_open_the_page() {
        let h5 = render(&CashierView {
            channel_code: "WECHAT_URL",
            channel_name: "WeChat Pay H5",
            ..view()
        });
        assert!(h5.contains("wechat-guide") && h5.contains("not inside WeChat"));
        let jsapi = render(&CashierView {
            channel_code: "WECHAT_JS_URL",
            ..view()
        });
        assert!(jsapi.contains("official account or mini program"));
        let qr = render(&CashierView {
            channel_code: "WECHAT_DYNAMIC_QR",
            channel_type: "QR",
            pay_data: "weixin://wxpay/bizpayurl?pr=C1",
            ..view()
        });
        assert!(qr.contains("then Scan"));
        assert!(!render(&view()).contains("wechat-guide"));
    }

    #[test]
    fn url_form_qr_gets_an_open_link() {
        let v = CashierView {
            channel_type: "QR",
            channel_name: "SBP",
            pay_data: "https://qr.nspk.ru/AD10006M8KH?type=02&sum=100000",
            ..view()
        };
        let html = render(&v);
        assert!(html.contains(r#"href="https://qr.nspk.ru/AD10006M8KH?type=02&amp;sum=100000""#));
    }

    #[test]
    fn va_page_groups_number_in_fours() {
        let v = CashierView {
            channel_type: "VA",
            channel_name: "BCA Virtual Account",
            amount_display: "IDR 150,000",
            pay_data: "3935812345678901",
            ..view()
        };
        let html = render(&v);
        assert!(html.contains("Transfer exactly <strong>IDR 150,000</strong> to"));
        assert!(html.contains(r#"<p class="va-number" id="va-number">3935 8123 4567 8901</p>"#));
        assert!(html.contains("<code>3935812345678901</code>"));
        assert_eq!(html.matches("<li>").count(), 3);
        assert!(html.contains("Open your bank app"));
        assert!(html.contains("bill-payment or transfer option"));
        assert!(html.contains("exact amount"));
        assert_eq!(group_in_fours("7E12345"), "7E12 345");
        assert_eq!(group_in_fours("1234"), "1234");
    }

    #[test]
    fn url_page_says_continue_in_channel() {
        let html = render(&view());
        assert!(html.contains("Continue in GCash"));
        assert!(!html.contains(r#"<div class="qr">"#));
        assert!(!html.contains(r#"id="va-number""#));
    }

    #[test]
    fn sandbox_buttons_only_when_sandbox_and_pending() {
        let live = render(&view());
        assert!(!live.contains(r#"id="pay-button""#));
        assert!(!live.contains(r#"id="fail-button""#));

        let sandbox = render(&CashierView {
            sandbox: true,
            ..view()
        });
        assert!(sandbox.contains(
            r#"<form method="post" action="/cashier/T20261128000001/pay"><button type="submit" class="btn btn-pay" id="pay-button">Pay</button>"#
        ));
        assert!(sandbox.contains(
            r#"<form method="post" action="/cashier/T20261128000001/fail"><button type="submit" class="btn btn-fail" id="fail-button">Fail</button>"#
        ));
        assert!(sandbox.contains(r#"id="sandbox""#));

        for status in ["COMPLETED", "FAILED"] {
            let done = render(&CashierView {
                sandbox: true,
                status,
                ..view()
            });
            assert!(!done.contains(r#"id="pay-button""#), "{status}");
            assert!(!done.contains(r#"id="fail-button""#), "{status}");
            assert!(!done.contains("<form"), "{status}");
        }
    }

    #[test]
    fn completed_page_shows_result_and_return_link() {
        let html = render(&CashierView {
            status: "COMPLETED",
            sandbox: true,
            ..view()
        });
        assert!(html.contains(r#"id="status" data-status="COMPLETED""#));
        assert!(html.contains("Payment received"));
        assert!(html.contains(
            r#"<a class="btn btn-link" id="return-link" href="https://shop.example.com/return?o=1001">Return to merchant</a>"#
        ));
        assert!(!html.contains("Continue in"));
        assert!(!html.contains(r#"id="countdown""#));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn failed_page_shows_message_and_return_link() {
        let html = render(&CashierView {
            status: "FAILED",
            failed_message: Some("Insufficient balance"),
            ..view()
        });
        assert!(html.contains(r#"id="status" data-status="FAILED""#));
        assert!(html.contains("Payment failed: Insufficient balance"));
        assert!(html.contains("Return to merchant"));

        let html = render(&CashierView {
            status: "FAILED",
            failed_message: None,
            redirect_url: None,
            ..view()
        });
        assert!(html.contains("<h1>Payment failed</h1>"));
        assert!(!html.contains("Return to merchant"));
    }

    #[test]
    fn script_injection_is_escaped_everywhere() {
        for channel_type in ["QR", "VA", "URL", "OTHER"] {
            for status in ["PENDING", "COMPLETED", "FAILED", XSS] {
                let v = CashierView {
                    merchant_name: XSS,
                    transaction_id: XSS,
                    mch_order_id: XSS,
                    amount_display: XSS,
                    channel_name: XSS,
                    channel_type,
                    pay_data: XSS,
                    status,
                    failed_message: Some(XSS),
                    expires_display: XSS,
                    redirect_url: Some("https://x.example/\"><script>alert(1)</script>"),
                    sandbox: true,
                    pay_action: XSS,
                    fail_action: XSS,
                    notice: Some(XSS),
                    ..view()
                };
                let html = render(&v);
                assert!(
                    !html.contains("alert(1)</script>"),
                    "{channel_type} {status}"
                );
                assert!(!html.contains("<script>alert"), "{channel_type} {status}");
                assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            }
        }
        let html = render_not_found(XSS);
        assert!(!html.contains("<script"));
        assert!(html.contains("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"));
    }

    #[test]
    fn non_http_redirects_are_not_linked() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "//evil.example/",
            "/relative",
            "http:/\nevil",
            "https://ok.example/\tx",
        ] {
            let html = render(&CashierView {
                status: "COMPLETED",
                redirect_url: Some(url),
                ..view()
            });
            assert!(!html.contains("Return to merchant"), "{url:?}");
            assert!(!html.contains("javascript:"), "{url:?}");
        }
        assert!(is_http_url("HTTPS://Shop.Example/x"));
        assert!(is_http_url("http://a"));
        assert!(!is_http_url("http:"));
        assert!(!is_http_url("ftp://x"));
    }

    #[test]
    fn expired_order_renders_expired_and_disabled_buttons() {
        for secs in [0, -30] {
            let html = render(&CashierView {
                sandbox: true,
                expires_in_secs: secs,
                ..view()
            });
            assert!(html.contains(r#"<span id="countdown" data-seconds="0">Expired</span>"#));
            assert!(html.contains(r#"id="pay-button" disabled>"#));
            assert!(html.contains(r#"id="fail-button" disabled>"#));
            assert!(html.contains(r#"<body class="expired">"#));
            assert!(html.contains(r#"id="countdown-label" hidden"#));
            assert!(html.contains(&format!(">{STATUS_CLOSED}</p>")));
            assert!(COUNTDOWN_SCRIPT.contains(STATUS_CLOSED));
            // Nothing left to count down.
            assert!(!html.contains("<script"));
        }
        let live = render(&CashierView {
            sandbox: true,
            ..view()
        });
        assert!(!live.contains(" disabled"));
        assert!(live.contains("<script>"));
    }

    #[test]
    fn notice_is_shown() {
        let html = render(&CashierView {
            notice: Some("This order has expired."),
            ..view()
        });
        assert!(html.contains(
            r#"<p class="notice" id="notice" role="status">This order has expired.</p>"#
        ));
    }

    #[test]
    fn countdown_format() {
        assert_eq!(format_remaining(-5), "00:00");
        assert_eq!(format_remaining(59), "00:59");
        assert_eq!(format_remaining(900), "15:00");
        assert_eq!(format_remaining(3_600), "1:00:00");
        assert_eq!(format_remaining(86_400 + 3_661), "1d 01:01:01");
    }

    #[test]
    fn qr_svg_of_emvco_payload() {
        let payload = emvco_payload_of_len(200);
        assert_eq!(payload.len(), 200);
        let svg = qr_svg(&payload);
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("viewBox=\"0 0 "));
        assert!(svg.contains("<path"));
        assert!(!svg.contains("<?xml"));
        // min_dimensions(240, 240) is a lower bound on the rendered size.
        let width: u32 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|w| w.parse().ok())
            .unwrap_or(0);
        assert!(width >= 240, "width {width}");
    }

    #[test]
    fn qr_svg_too_long_falls_back() {
        let svg = qr_svg(&"9".repeat(8_000));
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains("viewBox"));
        assert!(svg.contains("QR code unavailable"));
    }

    #[test]
    fn code_page_shows_instructions_and_the_sandbox_form_only_while_active() {
        let mut v = CodeView {
            merchant_name: "Toko <Siti>",
            code_id: "S1",
            mch_order_id: "BILL-1",
            fixed_amount_display: None,
            channel_name: "BCA fixed virtual account",
            channel_type: "VA",
            pay_data: "3935812345678901",
            status: "ACTIVE",
            expires_display: "Never",
            paid_count: 2,
            paid_amount_display: "IDR 300,000",
            sandbox: true,
            pay_action: "/cashier/codes/S1/pay",
            amount_unit: "rupiah",
            default_amount: None,
            notice: None,
        };
        let html = render_code(&v);
        assert!(html.contains("3935 8123 4567 8901"));
        assert!(html.contains(r#"id="pay-form""#));
        assert!(html.contains("Toko &lt;Siti&gt;"));
        assert!(html.contains("Any amount"));
        v.status = "CANCEL";
        let html = render_code(&v);
        assert!(!html.contains(r#"id="pay-form""#) && !html.contains("3935 8123"));
        assert!(html.contains(r#"data-status="CANCEL""#));
        v.status = "ACTIVE";
        v.sandbox = false;
        assert!(!render_code(&v).contains(r#"id="pay-form""#));
    }

    #[test]
    fn not_found_page() {
        let html = render_not_found("T404");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>Payment not found</title>"));
        assert!(html.contains("<code>T404</code>"));
    }
}
