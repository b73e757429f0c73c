//! `sampan client …`: a merchant talking to a running gateway through `sampan_client`.

use crate::commands::listen;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::input;
use clap::{ArgGroup, Args, Subcommand};
use sampan_client::{Answer, Client, ClientError};
use sampan_domain::{Catalog, ChannelKind, ChannelType, Country};
use sampan_protocol::fields::MobileRule;
use sampan_protocol::payment::{PaymentGenerate, PaymentQuery};
use sampan_protocol::static_code::StaticGenerate;
use serde::Serialize;
use serde_json::Value;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";
pub const DEFAULT_NOTIFY_URL: &str = "http://127.0.0.1:9000/notify";
/// Where the payer's browser goes after the cashier, when the country requires a redirectUrl.
pub const DEFAULT_REDIRECT_URL: &str = "https://example.com/";

#[derive(Args)]
pub struct ClientCommand {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    action: ClientAction,
}

/// Who the merchant is and which gateway it talks to.
#[derive(Args)]
pub struct Connection {
    /// Base URL of the gateway.
    #[arg(long, global = true, env = "SAMPAN_URL", default_value = DEFAULT_URL)]
    url: String,
    /// The merchant's app id.
    #[arg(long, global = true, env = "SAMPAN_APP_ID")]
    app_id: Option<String>,
    /// The merchant's private key (PEM), written by `sampan app create`.
    #[arg(long, global = true, env = "SAMPAN_KEY_FILE", value_name = "FILE")]
    key: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ClientAction {
    /// Sign PARAM_JSON ("-" reads stdin) and post it to PATH; adds `timestamp` when missing.
    /// Exit 0 when the answer's code is 10000, else 1.
    Call {
        /// e.g. /open-api/philippines/payment/query
        path: String,
        param_json: String,
    },
    /// Balance of the merchant in one country.
    Balance {
        /// PH, ID, MY, TH or RU (or the country name).
        #[arg(long)]
        country: String,
    },
    /// Create a dynamic payment and print its payUrl (the hosted cashier page).
    Pay(PayArgs),
    /// Status of a payment, by merchant order id or transaction id.
    Query(QueryArgs),
    /// Create a static payment code (reusable QR or fixed VA) and print its page; detail, list
    /// and cancel go through `call` (see docs/api.md).
    Code(CodeArgs),
    /// Receive notifications: verify their signature with the platform public key and print
    /// them.
    Listen(listen::ListenArgs),
}

#[derive(Args)]
struct PayArgs {
    /// philippines, indonesia, malaysia, thailand, russia (or the two-letter code).
    #[arg(long)]
    country: String,
    /// In minor units (centavos, sen, satang, kopecks; whole rupiah).
    #[arg(long)]
    amount: i64,
    /// Channel code; default: the country's first URL channel (PH_GCASH_URL for PH).
    #[arg(long)]
    channel: Option<String>,
    /// Merchant order id; default: generated.
    #[arg(long)]
    order: Option<String>,
    #[arg(long, default_value = DEFAULT_NOTIFY_URL)]
    notify_url: String,
    #[arg(long, default_value = "Juan Dela Cruz")]
    customer_name: String,
    #[arg(long, default_value = "customer@example.com")]
    email: String,
    /// Default: a valid number for the country (09171234567 for PH).
    #[arg(long)]
    mobile: Option<String>,
    /// Default: https://example.com/ where the country requires one.
    #[arg(long)]
    redirect_url: Option<String>,
    /// 30–3600 (gateway default 3600).
    #[arg(long)]
    expire_seconds: Option<i64>,
    #[arg(long)]
    remark: Option<String>,
}

#[derive(Args)]
struct CodeArgs {
    /// philippines, indonesia or thailand (or the two-letter code).
    #[arg(long)]
    country: String,
    /// Static channel code; default: the country's first (PH_QRPH_STATIC for PH).
    #[arg(long)]
    channel: Option<String>,
    /// Merchant order id the code is bound to; default: generated.
    #[arg(long)]
    order: Option<String>,
    /// A fixed amount every payment must equal, in minor units; default: any amount.
    #[arg(long)]
    amount: Option<i64>,
    /// When the code stops accepting payments: `yyyy-MM-dd HH:mm:ss` in the display zone, or
    /// epoch milliseconds; default: never.
    #[arg(long)]
    expire_time: Option<String>,
    #[arg(long, default_value = DEFAULT_NOTIFY_URL)]
    notify_url: String,
    #[arg(long, default_value = "Juan Dela Cruz")]
    customer_name: String,
    #[arg(long, default_value = "customer@example.com")]
    email: String,
    /// Default: a valid number for the country.
    #[arg(long)]
    mobile: Option<String>,
    #[arg(long)]
    remark: Option<String>,
}

#[derive(Args)]
#[command(group(ArgGroup::new("id").required(true).args(["order", "txn"])))]
struct QueryArgs {
    #[arg(long)]
    country: String,
    /// Merchant order id.
    #[arg(long)]
    order: Option<String>,
    /// Transaction id (`C…`).
    #[arg(long)]
    txn: Option<String>,
}

pub async fn run(ctx: &Context, cmd: ClientCommand) -> CliResult {
    let conn = &cmd.connection;
    match cmd.action {
        ClientAction::Listen(args) => listen::run(ctx, args).await,
        ClientAction::Call { path, param_json } => call(&conn.client()?, &path, &param_json).await,
        ClientAction::Balance { country } => {
            let country = input::country(&country)?;
            let client = conn.client()?;
            let answer = client
                .balance(country.code())
                .await
                .map_err(|e| transport(&client, e))?;
            print_answer(&answer)
        }
        ClientAction::Pay(args) => pay(&conn.client()?, args).await,
        ClientAction::Code(args) => code(&conn.client()?, args).await,
        ClientAction::Query(args) => {
            let country = input::country(&args.country)?;
            let client = conn.client()?;
            let param = PaymentQuery {
                mch_order_id: args.order,
                transaction_id: args.txn,
                timestamp: sampan_client::now_ms(),
            };
            let answer = client
                .query_payment(country.slug(), &param)
                .await
                .map_err(|e| transport(&client, e))?;
            print_answer(&answer)
        }
    }
}

impl Connection {
    fn client(&self) -> Result<Client, CliError> {
        let app_id = self
            .app_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| CliError::usage("no app id: pass --app-id or set SAMPAN_APP_ID"))?;
        let key_file = self.key.as_ref().ok_or_else(|| {
            CliError::usage("no merchant key: pass --key FILE or set SAMPAN_KEY_FILE")
        })?;
        let key = input::private_key_file(key_file)?;
        Ok(Client::new(&self.url, app_id, key))
    }
}

/// Connection failures name the gateway and how to start it.
pub fn transport(client: &Client, e: ClientError) -> CliError {
    match &e {
        ClientError::Http(inner) if inner.is_connect() || inner.is_timeout() => {
            CliError::Unreachable {
                url: client.base_url().to_string(),
                reason: error_chain(inner),
            }
        }
        _ => e.into(),
    }
}

/// An error with its causes: reqwest's own text rarely says what went wrong.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Pretty-prints the envelope; exit 0 for code 10000, 1 otherwise.
fn print_answer<T: Serialize>(answer: &Answer<T>) -> CliResult {
    if answer.http_status != 200 {
        eprintln!("HTTP {}", answer.http_status);
    }
    input::print_json(&answer.envelope)?;
    Ok(exit_for(answer.code()))
}

fn exit_for(code: i32) -> ExitCode {
    if code == sampan_protocol::Code::Success.as_i32() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn call(client: &Client, path: &str, param_json: &str) -> CliResult {
    let text = if param_json == "-" {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .map_err(|e| CliError::io("stdin", e))?;
        buf
    } else {
        param_json.to_string()
    };
    let param = with_timestamp(&text)?;
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let answer = client
        .call_raw(&path, &param)
        .await
        .map_err(|e| transport(client, e))?;
    print_answer(&answer)
}

/// `param` as sent: the user's text verbatim when it has a `timestamp` (so exactly those bytes
/// are signed), else the object with the current time in milliseconds added.
fn with_timestamp(text: &str) -> Result<String, CliError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| CliError::usage(format!("PARAM_JSON is not JSON: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(CliError::usage("PARAM_JSON must be a JSON object"));
    };
    if map.contains_key("timestamp") {
        return Ok(text.to_string());
    }
    map.insert("timestamp".into(), sampan_client::now_ms().into());
    Ok(Value::Object(map).to_string())
}

/// A mobile number each country's rule accepts.
pub fn default_mobile(country: Country) -> &'static str {
    match country.payment_rules().mobile {
        MobileRule::Philippines => "09171234567",
        MobileRule::Indonesia => "081234567890",
        MobileRule::Malaysia => "0123456789",
        MobileRule::Thailand => "0812345678",
        MobileRule::Russia => "+79161234567",
    }
}

/// The country's first dynamic URL channel of the built-in catalog, else its first dynamic one.
fn default_channel(country: Country) -> Option<String> {
    let catalog = Catalog::builtin();
    let mut channels = catalog.for_country(country, ChannelKind::Dynamic);
    let first = channels.next()?;
    let url = std::iter::once(first)
        .chain(channels)
        .find(|c| c.channel_type == ChannelType::URL);
    Some(url.unwrap_or(first).code.clone())
}

/// `ORD` + milliseconds + 4 random digits: unique enough and valid as a mchOrderId.
pub fn new_order_id(prefix: &str) -> String {
    use rand::Rng;
    let n: u16 = rand::thread_rng().gen_range(0..10_000);
    format!("{prefix}{}{n:04}", sampan_client::now_ms())
}

async fn pay(client: &Client, args: PayArgs) -> CliResult {
    let country = input::country(&args.country)?;
    let channel_code = match args.channel {
        Some(c) => c,
        None => default_channel(country).ok_or_else(|| {
            CliError::usage(format!("no default channel for {country}; pass --channel"))
        })?,
    };
    let redirect_url = args.redirect_url.or_else(|| {
        country
            .payment_rules()
            .redirect_url_required
            .then(|| DEFAULT_REDIRECT_URL.to_string())
    });
    let param = PaymentGenerate {
        mch_order_id: args.order.unwrap_or_else(|| new_order_id("ORD")),
        amount: args.amount,
        customer_name: args.customer_name,
        channel_code,
        notify_url: args.notify_url,
        redirect_url,
        email: args.email,
        mobile: args
            .mobile
            .unwrap_or_else(|| default_mobile(country).to_string()),
        remark: args.remark,
        expire_seconds: args.expire_seconds,
        timestamp: sampan_client::now_ms(),
        ..Default::default()
    };
    let answer = client
        .generate_payment(country.slug(), &param)
        .await
        .map_err(|e| transport(client, e))?;
    let code = print_answer(&answer)?;
    if let Some(data) = answer
        .envelope
        .data
        .as_ref()
        .filter(|_| answer.code() == 10000)
    {
        outln!();
        outln!("payUrl: {}", data.pay_url);
        outln!(
            "  open it in a browser (the sandbox cashier has Pay and Fail buttons); then:\n  \
             sampan client query --country {} --order {}",
            country.slug(),
            data.mch_order_id
        );
    }
    Ok(code)
}

async fn code(client: &Client, args: CodeArgs) -> CliResult {
    let country = input::country(&args.country)?;
    let channel_code = match args.channel {
        Some(c) => c,
        None => Catalog::builtin()
            .for_country(country, ChannelKind::Static)
            .next()
            .map(|c| c.code.clone())
            .ok_or_else(|| CliError::usage(format!("{country} has no static payment codes")))?,
    };
    let expire_time = args.expire_time.map(|t| match t.parse::<i64>() {
        Ok(ms) => Value::from(ms),
        Err(_) => Value::from(t),
    });
    let param = StaticGenerate {
        mch_order_id: args.order.unwrap_or_else(|| new_order_id("CODE")),
        customer_name: args.customer_name,
        channel_code,
        notify_url: args.notify_url,
        email: args.email,
        mobile: args
            .mobile
            .unwrap_or_else(|| default_mobile(country).to_string()),
        remark: args.remark,
        amount: args.amount,
        expire_time,
        timestamp: sampan_client::now_ms(),
    };
    let answer = client
        .generate_static_code(country.slug(), &param)
        .await
        .map_err(|e| transport(client, e))?;
    let code = print_answer(&answer)?;
    if let Some(data) = answer
        .envelope
        .data
        .as_ref()
        .filter(|_| answer.code() == 10000)
    {
        let code_id = data.pay_url.rsplit('/').next().unwrap_or_default();
        outln!();
        outln!("payUrl: {}", data.pay_url);
        outln!(
            "  open it in a browser (the sandbox page has a form to pay it), or:\n  \
             curl -X POST {}/sandbox/codes/{code_id}/pay -H 'content-type: application/json' \
             -d '{{\"amount\": {}}}'",
            client.base_url(),
            data.amount.unwrap_or(10_000)
        );
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mobiles_pass_their_country_rule() {
        for country in Country::ALL {
            let rule = country.payment_rules().mobile;
            assert!(rule.matches(default_mobile(country)), "{country}");
        }
    }

    #[test]
    fn default_channels_exist() {
        assert_eq!(
            default_channel(Country::PH).as_deref(),
            Some("PH_GCASH_URL")
        );
        for country in Country::ALL {
            assert!(default_channel(country).is_some(), "{country}");
        }
    }

    #[test]
    fn timestamp_is_added_only_when_missing() {
        let kept = r#"{"timestamp": 1, "a":2}"#;
        assert_eq!(with_timestamp(kept).unwrap(), kept);
        let added: Value = serde_json::from_str(&with_timestamp(r#"{"a":2}"#).unwrap()).unwrap();
        assert!(added["timestamp"].as_i64().unwrap() > 1_600_000_000_000);
        assert!(with_timestamp("[1]").is_err());
        assert!(with_timestamp("{").is_err());
    }

    #[test]
    fn order_ids_are_valid() {
        let id = new_order_id("ORD");
        sampan_protocol::fields::check_mch_order_id("mchOrderId", &id).unwrap();
    }
}
