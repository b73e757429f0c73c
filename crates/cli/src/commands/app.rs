//! `sampan app …`: register merchant apps and change their settings (through `ops`, like the
//! admin API).

use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::input;
use clap::{Args, Subcommand};
use sampan_domain::{App, AppStatus, Store};
use sampan_server::config::Config;
use sampan_server::keys;
use sampan_server::ops::{self, AppChanges, AppView};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AppCommand {
    /// Register an app. Without --public-key sampan generates the merchant key pair and writes
    /// the private key to a file (it keeps no copy).
    Create {
        #[arg(long)]
        name: String,
        /// The merchant's RSA public key: a file, or the key itself (base64 SPKI or PEM).
        #[arg(long, value_name = "FILE_OR_TEXT")]
        public_key: Option<String>,
        /// Where to write the generated private key (default ./<app id>.pem; mode 0600).
        #[arg(long, value_name = "FILE", conflicts_with = "public_key")]
        private_key_out: Option<PathBuf>,
    },
    /// Print an app as JSON.
    Show { id: String },
    /// List all apps.
    List,
    /// Refuse the app's requests (code 21004) until it is enabled again.
    Disable { id: String },
    /// Accept the app's requests again.
    Enable { id: String },
    /// Change settings; options not given stay as they are.
    Set(SetArgs),
    /// Print the public key that verifies WeChat `paySign` for a bound appid (PEM).
    WechatKey { appid: String },
}

#[derive(Args)]
pub struct SetArgs {
    id: String,
    /// Allowed caller addresses: IPs or CIDR blocks, comma-separated; "" allows any.
    #[arg(long, value_name = "IP,CIDR,…")]
    ips: Option<String>,
    /// Enabled countries, comma-separated codes (PH,ID,MY,TH,RU) or names.
    #[arg(long, value_name = "PH,ID,…")]
    countries: Option<String>,
    /// Enabled channel codes, comma-separated; "*" enables every channel of the countries.
    #[arg(long, value_name = "CODE,…|*")]
    channels: Option<String>,
    /// Where payout notifications go when a payout names no notifyUrl; "" removes it.
    #[arg(long, value_name = "URL")]
    payout_callback_url: Option<String>,
    /// Requests per second; 0 removes the limit.
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    #[arg(long)]
    name: Option<String>,
    /// Replace the merchant's public key: a file, or the key itself.
    #[arg(long, value_name = "FILE_OR_TEXT")]
    public_key: Option<String>,
    /// WeChat appids bound for WECHAT_JS_URL (wpAppid), comma-separated; "" unbinds all.
    #[arg(long, value_name = "wx…,…")]
    wechat_appids: Option<String>,
}

pub async fn run(ctx: &Context, cmd: AppCommand) -> CliResult {
    let config = ctx.config()?;
    // Validate what can be checked without the database first.
    let changes = match &cmd {
        AppCommand::Set(args) => Some(changes(args)?),
        _ => None,
    };
    let store = ctx.store(&config).await?;
    let result = match cmd {
        AppCommand::Create {
            name,
            public_key,
            private_key_out,
        } => create(&config, &store, &name, public_key, private_key_out).await,
        AppCommand::Show { id } => match store.app(&id).await? {
            Some(app) => show(&app),
            None => Err(ops::OpsError::NoApp(id).into()),
        },
        AppCommand::List => list(&store, &config.zone()?).await,
        AppCommand::Disable { id } => set_status(&config, &store, &id, AppStatus::Disabled).await,
        AppCommand::Enable { id } => set_status(&config, &store, &id, AppStatus::Active).await,
        AppCommand::Set(args) => {
            update(&config, &store, &args.id, changes.unwrap_or_default()).await
        }
        AppCommand::WechatKey { appid } => match ops::wechat_public_key(&store, &appid).await? {
            Some(key) => {
                outln!("{}", key.to_pem().trim_end());
                Ok(ExitCode::SUCCESS)
            }
            None => Err(CliError::usage(format!(
                "no WeChat merchant key for {appid}: bind it first with \
                 `sampan app set APP_ID --wechat-appids {appid}`"
            ))),
        },
    };
    store.close().await;
    result
}

async fn create(
    config: &Config,
    store: &dyn Store,
    name: &str,
    public_key: Option<String>,
    private_key_out: Option<PathBuf>,
) -> CliResult {
    if let Some(path) = &private_key_out {
        if path.exists() {
            return Err(CliError::usage(format!(
                "{} already exists; choose another --private-key-out",
                path.display()
            )));
        }
    }
    let public_text = public_key.as_deref().map(input::key_text).transpose()?;
    let platform = keys::load_or_create_platform_key(&config.platform_key_path())?;
    let created = ops::create_app(store, name, public_text.as_deref()).await?;
    let app = &created.app;
    outln!("app id:      {}", app.app_id);
    outln!("name:        {}", app.name);
    outln!("status:      {}", app.status.as_str());
    let mut code = ExitCode::SUCCESS;
    match created.private_key {
        Some(key) => {
            let path = private_key_out
                .unwrap_or_else(|| PathBuf::from(".").join(format!("{}.pem", app.app_id)));
            let pem = key.to_pkcs8_pem();
            match keys::write_secret(&path, &pem) {
                Ok(()) => outln!(
                    "private key: {} (mode 0600; sampan keeps no copy: sign your requests with it)",
                    path.display()
                ),
                Err(e) => {
                    // The app exists now; losing its only private key would make it unusable.
                    eprintln!("error: {e}");
                    eprintln!("the app was created but its private key could not be saved; here it is (sampan keeps no copy):");
                    eprint!("{pem}");
                    code = ExitCode::FAILURE;
                }
            }
        }
        None => outln!(
            "public key:  yours (sha256 {})",
            sampan_protocol::PublicKey::parse(&app.public_key)
                .map(|k| k.fingerprint())
                .unwrap_or_default()
        ),
    }
    outln!("platform public key (verify the gateway's notifications with it):");
    outln!("{}", platform.public_key().to_spki_base64());
    Ok(code)
}

fn show(app: &App) -> CliResult {
    input::print_json(&AppView::from(app))?;
    Ok(ExitCode::SUCCESS)
}

async fn update(config: &Config, store: &dyn Store, id: &str, changes: AppChanges) -> CliResult {
    let catalog = sampan_server::load_catalog(config)?;
    let app = ops::update_app(store, &catalog, id, changes).await?;
    show(&app)
}

async fn set_status(config: &Config, store: &dyn Store, id: &str, status: AppStatus) -> CliResult {
    let changes = AppChanges {
        status: Some(status),
        ..AppChanges::default()
    };
    update(config, store, id, changes).await
}

fn changes(args: &SetArgs) -> Result<AppChanges, CliError> {
    let countries = match &args.countries {
        None => None,
        Some(list) => Some(
            input::list(list)
                .iter()
                .map(|c| input::country(c).map(|c| c.code().to_string()))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let public_key = args
        .public_key
        .as_deref()
        .map(input::key_text)
        .transpose()?;
    let changes = AppChanges {
        name: args.name.clone(),
        status: None,
        public_key,
        ip_allowlist: args.ips.as_deref().map(input::list),
        countries,
        channels: args.channels.as_deref().map(input::list),
        payout_callback_url: args.payout_callback_url.clone(),
        rate_limit: args.rate_limit,
        wechat_appids: args.wechat_appids.as_deref().map(input::list),
        fees: None,
    };
    let given = [
        args.ips.is_some(),
        args.countries.is_some(),
        args.channels.is_some(),
        args.payout_callback_url.is_some(),
        args.rate_limit.is_some(),
        args.name.is_some(),
        args.public_key.is_some(),
        args.wechat_appids.is_some(),
    ];
    if !given.contains(&true) {
        return Err(CliError::usage(
            "nothing to change: give at least one of --ips, --countries, --channels, \
             --payout-callback-url, --rate-limit, --name, --public-key, --wechat-appids",
        ));
    }
    Ok(changes)
}

async fn list(store: &dyn Store, zone: &sampan_domain::DisplayZone) -> CliResult {
    let apps = store.apps().await?;
    if apps.is_empty() {
        outln!("no apps yet; create one with `sampan app create --name NAME`");
        return Ok(ExitCode::SUCCESS);
    }
    let header = ["ID", "NAME", "STATUS", "COUNTRIES", "CREATED"];
    let rows: Vec<[String; 5]> = apps
        .iter()
        .map(|app| {
            let countries: Vec<&str> = app.settings.countries.iter().map(|c| c.code()).collect();
            [
                app.app_id.clone(),
                app.name.clone(),
                app.status.as_str().to_string(),
                countries.join(","),
                zone.format(app.created_at),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    outln!("{}", line(header));
    for row in &rows {
        outln!("{}", line(row.each_ref().map(String::as_str)));
    }
    Ok(ExitCode::SUCCESS)
}
