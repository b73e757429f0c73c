//! Journal entries, postings and the balances they maintain.

use crate::error::backend;
use crate::Db;
use sampan_domain::ledger::{Account, JournalEntry, LedgerReport};
use sampan_domain::StoreError;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;

/// Writes `entry` and moves the balances it touches, inside the caller's transaction.
pub(crate) async fn post_in(
    tx: &mut Transaction<'_, Any>,
    entry: &JournalEntry,
    now_ms: i64,
) -> Result<i64, StoreError> {
    if !entry.is_balanced() {
        return Err(StoreError::Unbalanced(entry.reference.clone()));
    }
    let entry_id: i64 = sqlx::query_scalar(
        "INSERT INTO journal_entries (kind, reference, memo, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(entry.kind.as_str())
    .bind(&entry.reference)
    .bind(entry.memo.as_deref())
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)?;
    for posting in &entry.postings {
        sqlx::query(
            "INSERT INTO postings (entry_id, account, currency, amount) VALUES ($1, $2, $3, $4)",
        )
        .bind(entry_id)
        .bind(posting.account.key())
        .bind(posting.account.currency().code())
        .bind(posting.amount)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    // Balance rows are locked in one global order (by account key), so two transactions that
    // touch the same accounts (a payout being accepted while another of the merchant's is
    // failed: available+frozen vs frozen+available) queue instead of deadlocking.
    let mut postings: Vec<_> = entry.postings.iter().collect();
    postings.sort_by_cached_key(|p| p.account.key());
    for posting in postings {
        let key = posting.account.key();
        let currency = posting.account.currency().code();
        // An atomic increment: concurrent entries on one account never lose an update. The
        // upsert locks the row until commit, so the balance it returns is this entry's result.
        let after: i64 = sqlx::query_scalar(
            "INSERT INTO balances (account, currency, balance, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account) DO UPDATE \
             SET balance = balances.balance + excluded.balance, updated_at = excluded.updated_at \
             RETURNING balance",
        )
        .bind(&key)
        .bind(currency)
        .bind(posting.amount)
        .bind(now_ms)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        // A merchant can never spend what it does not have, whatever wrote the entry.
        if after < 0 && matches!(posting.account, Account::MerchantAvailable { .. }) {
            return Err(StoreError::InsufficientBalance);
        }
    }
    Ok(entry_id)
}

pub async fn post_alone(db: &Db, entry: &JournalEntry, now_ms: i64) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    post_in(&mut tx, entry, now_ms).await?;
    tx.commit().await.map_err(backend)
}

pub async fn balance(db: &Db, account: &Account) -> Result<i64, StoreError> {
    let balance: Option<i64> =
        sqlx::query_scalar("SELECT balance FROM balances WHERE account = $1")
            .bind(account.key())
            .fetch_optional(&db.reader)
            .await
            .map_err(backend)?;
    Ok(balance.unwrap_or(0))
}

pub async fn verify(db: &Db) -> Result<LedgerReport, StoreError> {
    // One snapshot, so that balances and postings are compared at the same instant while
    // writers carry on.
    let mut tx = db.begin_snapshot().await?;
    let stored: BTreeMap<String, i64> = sqlx::query("SELECT account, balance FROM balances")
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(backend)?;
    let computed: BTreeMap<String, i64> =
        sqlx::query("SELECT account, CAST(SUM(amount) AS BIGINT) FROM postings GROUP BY account")
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(backend)?;
    let unbalanced_entries: Vec<i64> = sqlx::query_scalar(
        "SELECT entry_id FROM postings GROUP BY entry_id, currency \
         HAVING CAST(SUM(amount) AS BIGINT) <> 0 ORDER BY entry_id",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries")
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
    tx.commit().await.map_err(backend)?;

    let mut mismatched_balances = Vec::new();
    for account in stored.keys().chain(computed.keys()) {
        let s = stored.get(account).copied().unwrap_or(0);
        let c = computed.get(account).copied().unwrap_or(0);
        if s != c && !mismatched_balances.iter().any(|(a, _, _)| a == account) {
            mismatched_balances.push((account.clone(), s, c));
        }
    }
    Ok(LedgerReport {
        accounts: stored.len().max(computed.len()),
        entries: entries as usize,
        mismatched_balances,
        unbalanced_entries,
    })
}
