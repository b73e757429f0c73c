//! Report download (issue 7) over real HTTP on both stores: the files parse back (calamine for
//! XLSX, csv for CSV) and match the database row by row and total by total; links expire,
//! refuse any changed byte, and only ever carry their own app's data.

mod common;

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::{Days, Months, NaiveDate};
use common::Harness;
use sampan_domain::payment::{Payment, PaymentStatus};
use sampan_domain::report::{day_bounds, ReportFormat, ReportSpec, ReportType};
use sampan_domain::{
    ChannelType, Country, Currency, DisplayZone, Money, Payout, PayoutOutcome, Refund,
    RefundOutcome, RefundStatus, Store,
};
use sampan_protocol::FailedCode;
use sampan_server::reports::link;
use sampan_testkit::TestDb;
use std::time::Duration;

fn zone() -> DisplayZone {
    DisplayZone::default()
}

/// Yesterday in the display zone: a day that is complete and within the allowed year.
fn yesterday() -> NaiveDate {
    let today = zone().datetime(sampan_domain::time::now_ms()).date_naive();
    today.checked_sub_days(Days::new(1)).unwrap()
}

fn payment(
    id: u64,
    app_id: &str,
    country: Country,
    created_at: i64,
    status: PaymentStatus,
) -> Payment {
    let (finished_at, failure) = match status {
        PaymentStatus::Pending => (None, None),
        PaymentStatus::Completed => (Some(created_at + 61_000), None),
        PaymentStatus::Failed => (Some(created_at + 3_600_000), Some(FailedCode::Expired)),
    };
    Payment {
        transaction_id: format!("C{id:019}"),
        app_id: app_id.into(),
        mch_order_id: format!("ORDER,\"{id}\""),
        country,
        channel_code: match country {
            Country::PH => "PH_GCASH_URL".into(),
            _ => "ID_QRIS_QR".into(),
        },
        channel_type: ChannelType::URL,
        amount: Money::new(100_000 + id as i64 * 1_234, country.currency()),
        fee: 2_000 + id as i64,
        status,
        customer_name: "Juan".into(),
        email: "juan@example.ph".into(),
        mobile: "09171234567".into(),
        remark: None,
        notify_url: "http://127.0.0.1:9/n".into(),
        redirect_url: None,
        pay_data: String::new(),
        created_at,
        // Far off, so the gateway's expiry job leaves the PENDING one alone during the test.
        expires_at: created_at + 30 * 86_400_000,
        finished_at,
        failure,
    }
}

fn payout(id: u64, app_id: &str, created_at: i64, transfer: Option<&str>) -> Payout {
    Payout {
        transaction_id: format!("D{id:019}"),
        app_id: app_id.into(),
        mch_order_id: format!("PAYOUT-{id}"),
        idempotency_id: format!("IDEM-{id}"),
        country: Country::PH,
        method_code: "PH_PAYOUT_BANK".into(),
        pay_method_code: "BANK".into(),
        transfer_code: transfer.map(str::to_string),
        amount: Money::new(50_000 + id as i64 * 100, Currency::PHP),
        fee: 1_000,
        status: PaymentStatus::Pending,
        account_no: "1234567890".into(),
        account_name: Some("Juan".into()),
        account_type: None,
        promptpay_account_type: None,
        account_tax_id: None,
        mobile: None,
        relationship: None,
        remark: None,
        notify_url: None,
        created_at,
        settle_at: None,
        finished_at: None,
        failure: None,
    }
}

fn refund(id: u64, original: &Payment, amount: i64, created_at: i64) -> Refund {
    Refund {
        refund_transaction_id: format!("R{id:019}"),
        app_id: original.app_id.clone(),
        mch_refund_order_id: format!("REFUND-{id}"),
        original_transaction_id: original.transaction_id.clone(),
        country: original.country,
        channel_code: original.channel_code.clone(),
        amount: Money::new(amount, original.amount.currency),
        fee_refund: 0,
        status: RefundStatus::Pending,
        reason: None,
        callback_url: "http://127.0.0.1:9/r".into(),
        created_at,
        settle_at: None,
        finished_at: None,
        failure: None,
    }
}

/// Payments, payouts and refunds around both midnights of `day`, in several statuses, plus
/// rows that must stay out (other days, another country, another app). Returns the ids the
/// reports must list, in creation order.
async fn seed(h: &Harness, other_app: &str, day: NaiveDate) -> (Vec<String>, Vec<String>) {
    let (start, end) = day_bounds(day, &zone());
    let store = h.store.as_ref();
    let app = h.app_id.as_str();
    h.top_up("PHP", 100_000_000).await;
    use PaymentStatus::*;
    let payments = vec![
        payment(1, app, Country::PH, start - 1, Completed), // the day before: out
        payment(2, app, Country::PH, start, Completed),     // local midnight: in
        payment(3, app, Country::PH, start + 5_000, Failed),
        payment(5, app, Country::PH, start + 60_000, Completed),
        payment(4, app, Country::PH, start + 60_000, Pending), // same instant: id order
        payment(6, app, Country::PH, end - 1, Completed),      // last millisecond: in
        payment(7, app, Country::PH, end, Completed),          // next day: out
        payment(8, app, Country::ID, start + 10_000, Completed), // other country: out
        payment(9, other_app, Country::PH, start + 20_000, Completed), // other app: out
    ];
    store.insert_payments(&payments).await.unwrap();
    // Refunds of payment 2: one COMPLETE, one FAILED, one CANCEL, one COMPLETE; of 5: one
    // COMPLETE, one still PENDING. Only COMPLETE ones count.
    let now = sampan_domain::time::now_ms();
    let mut refund_id = 0;
    for (original, amount, outcome) in [
        (&payments[1], 3_000, Some(RefundOutcome::Completed)),
        (
            &payments[1],
            2_000,
            Some(RefundOutcome::Failed(FailedCode::RefundFailed)),
        ),
        (&payments[1], 1_000, Some(RefundOutcome::Cancelled)),
        (&payments[1], 4_500, Some(RefundOutcome::Completed)),
        (&payments[3], 7_000, Some(RefundOutcome::Completed)),
        (&payments[3], 1_000, None),
    ] {
        refund_id += 1;
        let r = refund(refund_id, original, amount, end + refund_id as i64);
        store.insert_refund(&r, now).await.unwrap();
        if let Some(outcome) = outcome {
            store
                .settle_refund(&r.refund_transaction_id, outcome, now, &zone(), None)
                .await
                .unwrap();
        }
    }
    let payouts = [
        (
            payout(11, app, start - 1, None),
            Some(PayoutOutcome::Completed),
        ), // out
        (
            payout(12, app, start, Some("BDO")),
            Some(PayoutOutcome::Completed),
        ),
        (
            payout(13, app, start + 1, None),
            Some(PayoutOutcome::Failed(FailedCode::DestinationAccountError)),
        ),
        (payout(14, app, end - 1_000, Some("BPI")), None),
        (payout(15, app, end, None), None), // out
    ];
    for (p, outcome) in &payouts {
        store.insert_payout(p, now).await.unwrap();
        if let Some(outcome) = outcome {
            store
                .settle_payout(&p.transaction_id, *outcome, now + 1_000, &zone(), None)
                .await
                .unwrap();
        }
    }
    let payment_ids = [2, 3, 4, 5, 6].map(|i| format!("C{i:019}")).to_vec();
    let payout_ids = [12, 13, 14].map(|i| format!("D{i:019}")).to_vec();
    (payment_ids, payout_ids)
}

fn major(minor: i64) -> String {
    Money::new(minor, Currency::PHP).to_major_string()
}

/// The rows (as text) a report must hold, read from the database.
async fn expected(h: &Harness, kind: ReportType, ids: &[String]) -> Vec<Vec<String>> {
    let z = zone();
    let mut rows = Vec::new();
    let mut totals = [(0u64, 0i64, 0i64, 0i64); 3];
    let slot = |s: PaymentStatus| match s {
        PaymentStatus::Pending => 0,
        PaymentStatus::Completed => 1,
        PaymentStatus::Failed => 2,
    };
    for id in ids {
        let failed = |f: Option<FailedCode>| {
            (
                f.map(|f| f.as_i32().to_string()).unwrap_or_default(),
                f.map(|f| f.message().to_string()).unwrap_or_default(),
            )
        };
        match kind {
            ReportType::Payments => {
                let p = h.store.payment(id).await.unwrap().unwrap();
                let refunded = h.store.refunded_amount(id).await.unwrap();
                let (code, message) = failed(p.failure);
                let t = &mut totals[slot(p.status)];
                *t = (t.0 + 1, t.1 + p.amount.minor, t.2 + p.fee, t.3 + refunded);
                rows.push(vec![
                    p.transaction_id,
                    p.mch_order_id,
                    p.channel_code,
                    major(p.amount.minor),
                    major(p.fee),
                    p.status.as_str().into(),
                    z.format(p.created_at),
                    p.finished_at.map(|t| z.format(t)).unwrap_or_default(),
                    code,
                    message,
                    major(refunded),
                ]);
            }
            ReportType::Payouts => {
                let p = h.store.payout(id).await.unwrap().unwrap();
                let (code, message) = failed(p.failure);
                let t = &mut totals[slot(p.status)];
                *t = (t.0 + 1, t.1 + p.amount.minor, t.2 + p.fee, 0);
                rows.push(vec![
                    p.transaction_id,
                    p.mch_order_id,
                    p.pay_method_code,
                    p.transfer_code.unwrap_or_default(),
                    major(p.amount.minor),
                    major(p.fee),
                    p.status.as_str().into(),
                    z.format(p.created_at),
                    p.finished_at.map(|t| z.format(t)).unwrap_or_default(),
                    code,
                    message,
                ]);
            }
        }
    }
    for (status, (count, amount, fee, refunded)) in
        ["PENDING", "COMPLETED", "FAILED"].into_iter().zip(totals)
    {
        let mut row = vec!["TOTAL".to_string(), count.to_string(), String::new()];
        if kind == ReportType::Payouts {
            row.push(String::new());
        }
        row.extend([major(amount), major(fee), status.to_string()]);
        row.extend(std::iter::repeat_n(String::new(), 4));
        if kind == ReportType::Payments {
            row.push(major(refunded));
        }
        rows.push(row);
    }
    rows
}

/// Fetches a link, waiting out `404 Retry-After` while the file is built.
async fn fetch(h: &Harness, url: &str) -> reqwest::Response {
    for _ in 0..200 {
        let r = h.http.get(url).send().await.unwrap();
        if r.status() == 404 {
            assert!(
                r.headers().get("retry-after").is_some(),
                "404 without Retry-After"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        return r;
    }
    panic!("report never became ready: {url}");
}

fn header_row(kind: ReportType) -> Vec<String> {
    sampan_server::reports::writer::headers(kind)
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.ends_with(b"\r\n"), "RFC 4180 lines end in CRLF");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Reads the XLSX back, checking the cells are typed: numbers for money, dates for times.
fn parse_xlsx(bytes: Vec<u8>, kind: ReportType) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Transactions").unwrap();
    let headers = header_row(kind);
    let money_cols: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| ["amount", "fee", "refundedAmount"].contains(&h.as_str()))
        .map(|(i, _)| i)
        .collect();
    let create_col = headers.iter().position(|h| h == "createTime").unwrap();
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    range
        .rows()
        .enumerate()
        .map(|(r, row)| {
            row.iter()
                .enumerate()
                .map(|(c, cell)| {
                    if r > 0 && money_cols.contains(&c) {
                        assert!(
                            matches!(cell, Data::Float(_)),
                            "money cell {r},{c}: {cell:?}"
                        );
                    }
                    let first = row.first().and_then(|d| d.get_string()) == Some("TOTAL");
                    if r > 0 && c == create_col && !first {
                        assert!(
                            matches!(cell, Data::DateTime(_)),
                            "date cell {r},{c}: {cell:?}"
                        );
                    }
                    match cell {
                        Data::Empty => String::new(),
                        Data::String(s) => s.clone(),
                        Data::Float(f) if money_cols.contains(&c) => format!("{f:.2}"),
                        Data::Float(f) => format!("{f}"),
                        Data::Int(i) => i.to_string(),
                        Data::DateTime(d) => {
                            let ms = (d.as_f64() * 86_400_000.0).round() as i64;
                            (epoch + chrono::Duration::milliseconds(ms))
                                .format("%Y-%m-%d %H:%M:%S")
                                .to_string()
                        }
                        other => panic!("unexpected cell {other:?}"),
                    }
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn reports_in_both_formats_match_the_database() {
    for db in TestDb::all().await {
        let h = Harness::start(&db).await;
        let other = sampan_server::ops::create_app(h.store.as_ref(), "Other Shop", None)
            .await
            .unwrap();
        let day = yesterday();
        let (payment_ids, payout_ids) = seed(&h, &other.app.app_id, day).await;
        for (kind, ids) in [
            (ReportType::Payments, &payment_ids),
            (ReportType::Payouts, &payout_ids),
        ] {
            let mut want = vec![header_row(kind)];
            want.extend(expected(&h, kind, ids).await);
            for format in [None, Some("csv")] {
                let data = h
                    .client
                    .report_download("PH", &day.to_string(), kind.as_i64(), format)
                    .await
                    .unwrap()
                    .expect_data();
                assert!(data
                    .download_url
                    .starts_with(&format!("{}/reports/", h.gateway.base_url())));
                let response = fetch(&h, &data.download_url).await;
                assert_eq!(response.status(), 200);
                let content_type = response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_string();
                let bytes = response.bytes().await.unwrap().to_vec();
                let got = match format {
                    Some("csv") => {
                        assert!(content_type.starts_with("text/csv"));
                        parse_csv(&bytes)
                    }
                    _ => {
                        assert!(content_type.contains("spreadsheetml"));
                        parse_xlsx(bytes, kind)
                    }
                };
                assert_eq!(got, want, "{:?} {kind:?} {format:?}", db.backend);
            }
        }
        // Refunded amounts: payment 2 kept 3000 + 4500, payment 5 7000; the rest none.
        let csv_url = h
            .client
            .report_download("PH", &day.to_string(), 2, Some("csv"))
            .await
            .unwrap()
            .expect_data()
            .download_url;
        let rows = parse_csv(&fetch(&h, &csv_url).await.bytes().await.unwrap());
        let refunded: Vec<&str> = rows[1..6].iter().map(|r| r[10].as_str()).collect();
        assert_eq!(refunded, ["75.00", "0.00", "0.00", "70.00", "0.00"]);
        // The other app's report holds its own payment only.
        let other_client = sampan_client::Client::new(
            h.gateway.base_url(),
            &other.app.app_id,
            other.private_key.clone().unwrap(),
        );
        let url = other_client
            .report_download("PH", &day.to_string(), 2, Some("csv"))
            .await
            .unwrap()
            .expect_data()
            .download_url;
        let rows = parse_csv(&fetch(&h, &url).await.bytes().await.unwrap());
        assert_eq!(rows[1][0], format!("C{:019}", 9));
        assert_eq!(rows[2][0], "TOTAL");
        h.stop().await;
    }
}

#[tokio::test]
async fn links_expire_refuse_changes_and_bind_the_app() {
    let db = TestDb::sqlite().await;
    let h = Harness::start(&db).await;
    let day = yesterday();
    let url = h
        .client
        .report_download("PH", &day.to_string(), 2, Some("csv"))
        .await
        .unwrap()
        .expect_data()
        .download_url;
    assert_eq!(fetch(&h, &url).await.status(), 200);
    // Any changed character of the token: 403.
    let (base, token) = url.rsplit_once('/').unwrap();
    for i in [0, token.len() / 2, token.len() - 1] {
        let mut bytes = token.as_bytes().to_vec();
        bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
        let altered = format!("{base}/{}", String::from_utf8(bytes).unwrap());
        let r = h.http.get(&altered).send().await.unwrap();
        assert_eq!(r.status(), 403, "changed byte {i}");
    }
    // Expired: the same report with an expiry in the past.
    let key = &h.gateway.state.report_key;
    let spec = ReportSpec {
        app_id: h.app_id.clone(),
        country: Country::PH,
        kind: ReportType::Payments,
        date: day,
        format: ReportFormat::Csv,
    };
    let now = sampan_domain::time::now_ms() / 1000;
    let expired = link::mint(key, &spec, now - 1, 1);
    let r = h
        .http
        .get(h.url(&format!("/reports/{expired}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let fresh = link::mint(key, &spec, now + 60, 1);
    assert_eq!(
        fetch(&h, &h.url(&format!("/reports/{fresh}")))
            .await
            .status(),
        200
    );
    // A link naming this app but not signed by this gateway: 403.
    let forged = link::mint(&link::LinkKey::new(b"guess"), &spec, now + 60, 1);
    let r = h
        .http
        .get(h.url(&format!("/reports/{forged}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    h.stop().await;
}

#[tokio::test]
async fn links_stop_working_after_the_configured_lifetime() {
    let db = TestDb::sqlite().await;
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let mut config = common::test_config(&dir, &db);
    config.report_link_ttl_secs = 1;
    let h = Harness::start_with(config, dir, None).await;
    let url = h
        .client
        .report_download("PH", &yesterday().to_string(), 1, None)
        .await
        .unwrap()
        .expect_data()
        .download_url;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(h.http.get(&url).send().await.unwrap().status(), 403);
    h.stop().await;
}

#[tokio::test]
async fn bad_dates_types_and_formats_are_21002() {
    let db = TestDb::sqlite().await;
    let h = Harness::start(&db).await;
    let today = zone().datetime(sampan_domain::time::now_ms()).date_naive();
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap().to_string();
    let too_old = today
        .checked_sub_months(Months::new(12))
        .unwrap()
        .checked_sub_days(Days::new(1))
        .unwrap()
        .to_string();
    let today = today.to_string();
    for (date, kind, format) in [
        (tomorrow.as_str(), 2, None),
        (too_old.as_str(), 2, None),
        ("2026-02-30", 2, None),
        ("28-11-2026", 2, None),
        (today.as_str(), 3, None),
        (today.as_str(), 0, None),
        (today.as_str(), 2, Some("pdf")),
    ] {
        let answer = h
            .client
            .report_download("PH", date, kind, format)
            .await
            .unwrap();
        assert_eq!(answer.code(), 21002, "{date} {kind} {format:?}");
    }
    let answer = h
        .client
        .report_download("XX", &today, 2, None)
        .await
        .unwrap();
    assert_eq!(answer.code(), 21002);
    // Today and exactly a year back are fine.
    for ok in [today.clone()] {
        let answer = h.client.report_download("PH", &ok, 2, None).await.unwrap();
        assert_eq!(answer.code(), 10000, "{ok}");
    }
    h.stop().await;
}
