//! `sampan demo`: from nothing to a payment waiting on the cashier page, for a first look.

use crate::commands::client::{self, DEFAULT_NOTIFY_URL, DEFAULT_REDIRECT_URL, DEFAULT_URL};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::input;
use clap::Args;
use sampan_client::Client;
use sampan_domain::{App, Country, Store};
use sampan_protocol::payment::PaymentGenerate;
use sampan_protocol::{Code, PrivateKey};
use sampan_server::{keys, ops};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

const APP_NAME: &str = "Demo Shop";
const KEY_FILE: &str = "demo-merchant.pem";
const AMOUNT: i64 = 10_000;
const CHANNEL: &str = "PH_GCASH_URL";

#[derive(Args)]
pub struct DemoArgs {
    /// Base URL of the running gateway (`sampan serve`).
    #[arg(long, env = "SAMPAN_URL", default_value = DEFAULT_URL)]
    url: String,
}

pub async fn run(ctx: &Context, args: DemoArgs) -> CliResult {
    let url = args.url.trim_end_matches('/').to_string();
    check_reachable(&url).await?;
    let config = ctx.config()?;
    let key_path = config.data_dir.join(KEY_FILE);
    let store = ctx.store(&config).await?;
    let app = demo_app(&store, &key_path).await;
    store.close().await;
    let (app, key, reused) = app?;
    let key_path = std::path::absolute(&key_path).unwrap_or(key_path);

    let country = Country::PH;
    let order = client::new_order_id("DEMO");
    let param = PaymentGenerate {
        mch_order_id: order.clone(),
        amount: AMOUNT,
        customer_name: "Juan Dela Cruz".into(),
        channel_code: CHANNEL.into(),
        notify_url: DEFAULT_NOTIFY_URL.into(),
        redirect_url: Some(DEFAULT_REDIRECT_URL.into()),
        email: "juan@example.com".into(),
        mobile: client::default_mobile(country).into(),
        remark: Some("sampan demo".into()),
        expire_seconds: None,
        timestamp: sampan_client::now_ms(),
        ..Default::default()
    };
    let merchant = Client::new(&url, &app.app_id, key);
    let answer = merchant
        .generate_payment(country.slug(), &param)
        .await
        .map_err(|e| client::transport(&merchant, e))?;
    let data = match answer.envelope.data {
        Some(data) if answer.envelope.code == Code::Success.as_i32() => data,
        _ => {
            eprintln!(
                "error: the gateway refused the demo payment: {} {}",
                answer.envelope.code, answer.envelope.message
            );
            if answer.envelope.code == Code::AppIdError.as_i32() {
                eprintln!(
                    "the gateway at {url} does not know app {}: is it running with the same \
                     data directory ({}) and database?",
                    app.app_id,
                    config.data_dir.display()
                );
            }
            return Ok(ExitCode::FAILURE);
        }
    };

    let config_flag = ctx
        .config_file()
        .map(|f| format!(" --config {}", f.display()))
        .unwrap_or_default();
    let how = if reused { "existing" } else { "created" };
    outln!("sampan demo");
    outln!("  app:       {} {} ({how})", app.name, app.app_id);
    outln!("  key file:  {}", key_path.display());
    outln!(
        "  payment:   {} (order {}), PHP 100.00 via {CHANNEL}, notifications to {DEFAULT_NOTIFY_URL}",
        data.transaction_id,
        data.mch_order_id
    );
    outln!();
    outln!("Open the cashier page in a browser and press Pay (or Fail):");
    outln!();
    outln!("  {}", data.pay_url);
    outln!();
    outln!("Then look at it as the merchant:");
    outln!();
    outln!("  export SAMPAN_URL={url}");
    outln!("  export SAMPAN_APP_ID={}", app.app_id);
    outln!("  export SAMPAN_KEY_FILE={}", key_path.display());
    outln!(
        "  sampan client query --country {} --order {}",
        country.slug(),
        data.mch_order_id
    );
    outln!("  sampan client balance --country {}", country.code());
    outln!();
    outln!(
        "To watch the signed notification arrive (the gateway retries until it is acknowledged):"
    );
    outln!();
    outln!("  sampan{config_flag} client listen");
    Ok(ExitCode::SUCCESS)
}

async fn check_reachable(url: &str) -> Result<(), CliError> {
    let unreachable = |reason: String| CliError::Unreachable {
        url: url.to_string(),
        reason,
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| unreachable(client::error_chain(&e)))?;
    let response = http
        .get(format!("{url}/healthz"))
        .send()
        .await
        .map_err(|e| unreachable(client::error_chain(&e)))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(unreachable(format!(
            "GET /healthz answered HTTP {}",
            response.status().as_u16()
        )))
    }
}

/// The demo app and its key: reused when the key file of an earlier run is there, else made.
async fn demo_app(store: &dyn Store, key_path: &Path) -> Result<(App, PrivateKey, bool), CliError> {
    if key_path.exists() {
        let key = input::private_key_file(key_path)?;
        let public = key.public_key().to_spki_base64();
        let existing = store
            .apps()
            .await?
            .into_iter()
            .find(|a| a.public_key == public);
        if let Some(app) = existing {
            // Make sure an earlier experiment left it usable for the demo.
            if app.status != sampan_domain::AppStatus::Active || !app.country_enabled(Country::PH) {
                return Err(CliError::usage(format!(
                    "the demo app {} is disabled or has the Philippines turned off; \
                     `sampan app enable {}` / `sampan app set {} --countries PH,…`",
                    app.app_id, app.app_id, app.app_id
                )));
            }
            return Ok((app, key, true));
        }
        let created = ops::create_app(store, APP_NAME, Some(&public)).await?;
        return Ok((created.app, key, false));
    }
    let created = ops::create_app(store, APP_NAME, None).await?;
    let key = created
        .private_key
        .ok_or_else(|| CliError::usage("the store did not hand back a generated key"))?;
    keys::write_secret(key_path, &key.to_pkcs8_pem())?;
    Ok((created.app, key, false))
}
