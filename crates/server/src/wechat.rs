//! WeChat merchant keys of bound appids: created once per appid (by the operator binding it, or
//! on first use), kept in the store so every node signs with the same key, and cached here.

use sampan_domain::time::now_ms;
use sampan_domain::{Store, StoreError};
use sampan_protocol::PrivateKey;
use std::collections::HashMap;
use std::sync::RwLock;

/// The key that signs `paySign` for `appid`, creating and storing one if there is none yet.
pub async fn ensure_merchant_key(store: &dyn Store, appid: &str) -> Result<PrivateKey, StoreError> {
    if let Some(pem) = store.wechat_merchant_key(appid).await? {
        return parse(appid, &pem);
    }
    let key = PrivateKey::generate(2048)
        .map_err(|e| StoreError::Backend(format!("WeChat key generation: {e}")))?;
    let stored = store
        .insert_wechat_merchant_key(appid, &key.to_pkcs8_pem(), now_ms())
        .await?;
    parse(appid, &stored)
}

fn parse(appid: &str, pem: &str) -> Result<PrivateKey, StoreError> {
    PrivateKey::parse(pem)
        .map_err(|e| StoreError::Backend(format!("stored WeChat key of {appid} is unusable: {e}")))
}

/// Parsed keys by appid. Keys never change once stored, so entries never go stale.
#[derive(Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, PrivateKey>>,
}

impl KeyCache {
    pub async fn get(&self, store: &dyn Store, appid: &str) -> Result<PrivateKey, StoreError> {
        if let Some(key) = self
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(appid)
        {
            return Ok(key.clone());
        }
        let key = ensure_merchant_key(store, appid).await?;
        self.keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(appid.to_string(), key.clone());
        Ok(key)
    }
}
