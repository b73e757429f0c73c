//! What every command may need: the configuration (loaded on demand, so merchant-side commands
//! work without one) and the store.

use crate::error::CliError;
use sampan_server::config::Config;
use sampan_store::Db;
use std::path::PathBuf;

pub struct Context {
    config_file: Option<PathBuf>,
}

impl Context {
    pub fn new(config_file: Option<PathBuf>) -> Context {
        Context { config_file }
    }

    /// The `--config` file, for hints that repeat it.
    pub fn config_file(&self) -> Option<&PathBuf> {
        self.config_file.as_ref()
    }

    /// Defaults, then the `--config` file, then `SAMPAN_*` variables.
    pub fn config(&self) -> Result<Config, CliError> {
        Ok(Config::load(self.config_file.as_deref())?)
    }

    /// Connects the configured database (bringing its schema up to date).
    pub async fn store(&self, config: &Config) -> Result<Db, CliError> {
        Ok(sampan_server::open_store(config).await?)
    }
}
