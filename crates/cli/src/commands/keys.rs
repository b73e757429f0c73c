//! `sampan keys …`: the platform public key merchants verify notifications with, and merchant
//! key pairs.

use crate::context::Context;
use crate::error::{CliError, CliResult};
use clap::Subcommand;
use sampan_protocol::PrivateKey;
use sampan_server::keys;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Print the platform public key (created on first use in the data directory).
    PlatformPublic {
        /// PEM instead of one-line base64 SPKI.
        #[arg(long)]
        pem: bool,
    },
    /// Generate a merchant key pair: the private key to FILE (mode 0600), the public key
    /// (base64 SPKI, what `app create --public-key` takes) to stdout.
    Generate {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// 2048, 3072 or 4096.
        #[arg(long, default_value_t = 2048)]
        bits: usize,
    },
}

pub fn run(ctx: &Context, cmd: KeysCommand) -> CliResult {
    match cmd {
        KeysCommand::PlatformPublic { pem } => {
            let config = ctx.config()?;
            let key = keys::load_or_create_platform_key(&config.platform_key_path())?;
            let public = key.public_key();
            if pem {
                outln!("{}", public.to_pem().trim_end());
            } else {
                outln!("{}", public.to_spki_base64());
            }
        }
        KeysCommand::Generate { out, bits } => {
            if out.exists() {
                return Err(CliError::usage(format!(
                    "{} already exists; choose another --out",
                    out.display()
                )));
            }
            let key = PrivateKey::generate(bits).map_err(|e| CliError::key("--bits", e))?;
            keys::write_secret(&out, &key.to_pkcs8_pem())?;
            eprintln!(
                "private key written to {} (mode 0600); public key:",
                out.display()
            );
            outln!("{}", key.public_key().to_spki_base64());
        }
    }
    Ok(ExitCode::SUCCESS)
}
