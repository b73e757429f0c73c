//! Report download (01-account §1.2, issue 7).
//!
//! `POST /open-api/report/download` checks the request, mints a signed link
//! (`/reports/{token}`, see [`link`]) and starts building the file in the background. The link
//! answers 404 with `Retry-After` until the file is ready, then streams it. Each link builds its
//! own file (a snapshot taken when it was asked for), named after the link's signature, in
//! `<data_dir>/reports`; files are deleted once their link has expired.
//!
//! The builder reads the store a page at a time (keyset pagination on
//! `(created_at, transaction_id)`) and hands pages to a blocking writer thread over a bounded
//! channel, so a day of a million transactions never sits in memory.

pub mod link;
pub mod writer;

use crate::error::{success, ApiError, ApiResult, ReportLinkError};
use crate::open_api::pipeline::SignedRequest;
use crate::state::SharedState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate};
use sampan_domain::report::{ReportPageQuery, ReportSpec};
use sampan_domain::time::now_ms;
use sampan_domain::{Country, DisplayZone, Store, StoreError};
use sampan_protocol::fields::ParamError;
use sampan_protocol::report::{ReportData, ReportQuery};
use sampan_protocol::Code;
use std::collections::HashSet;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};

pub use link::{Link, LinkError, LinkKey};
pub use writer::{ReportWriter, WriteError};

/// Rows fetched per query.
pub const PAGE_SIZE: i64 = 5_000;
/// Files built at once per node; more requests wait their turn.
const CONCURRENT_BUILDS: usize = 2;
/// What the link tells a client to wait before asking again.
pub const RETRY_AFTER_SECS: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("report writer stopped: {0}")]
    Writer(String),
}

/// Writes the report `spec` to `out`, reading `page_size` rows at a time. Returns how many
/// transactions it lists. The file appears at `out` only when complete.
pub async fn build(
    store: Arc<dyn Store>,
    spec: &ReportSpec,
    zone: DisplayZone,
    out: &FsPath,
    page_size: i64,
) -> Result<u64, BuildError> {
    let part = out.with_extension(format!("{}.part", spec.format.as_str()));
    let tmp_dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(FsPath::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let writer = ReportWriter::create(
        &part,
        &tmp_dir,
        spec.kind,
        spec.format,
        spec.country.currency(),
        zone,
    )?;
    // Two pages in flight at most: one being written, one fetched ahead.
    let (tx, mut rx) = mpsc::channel::<Vec<sampan_domain::report::ReportRow>>(1);
    let write = tokio::task::spawn_blocking(move || -> Result<u64, WriteError> {
        let mut writer = writer;
        while let Some(page) = rx.blocking_recv() {
            for row in &page {
                writer.write(row)?;
            }
        }
        writer.finish()
    });
    let (from_ms, to_ms) = spec.bounds(&zone);
    let mut query = ReportPageQuery {
        app_id: spec.app_id.clone(),
        country: spec.country,
        kind: spec.kind,
        from_ms,
        to_ms,
        after: None,
        limit: page_size.max(1),
    };
    let fetched = async {
        loop {
            let page = store.report_page(&query).await?;
            let last = page.last().map(|r| r.cursor());
            let full = page.len() as i64 == query.limit;
            if !page.is_empty() && tx.send(page).await.is_err() {
                // The writer gave up; its error is the one to report.
                break;
            }
            match last {
                Some(cursor) if full => query.after = Some(cursor),
                _ => break,
            }
        }
        drop(tx);
        Ok::<(), StoreError>(())
    }
    .await;
    let written = write.await.map_err(|e| BuildError::Writer(e.to_string()))?;
    let outcome = match (fetched, written) {
        (Err(e), _) => Err(BuildError::from(e)),
        (Ok(()), Err(e)) => Err(BuildError::from(e)),
        (Ok(()), Ok(rows)) => tokio::fs::rename(&part, out)
            .await
            .map(|()| rows)
            .map_err(|e| BuildError::Write(WriteError::Io(e))),
    };
    if outcome.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    outcome
}

/// Builds in progress on this node.
pub struct ReportJobs {
    running: Mutex<HashSet<String>>,
    permits: Semaphore,
}

impl Default for ReportJobs {
    fn default() -> Self {
        ReportJobs {
            running: Mutex::new(HashSet::new()),
            permits: Semaphore::new(CONCURRENT_BUILDS),
        }
    }
}

/// What a link's file is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileState {
    Ready(PathBuf),
    Building,
}

fn file_path(state: &SharedState, link: &Link) -> PathBuf {
    state
        .config
        .reports_dir()
        .join(format!("{}.{}", link.file_id, link.spec.format.as_str()))
}

/// The file of `link` if it is ready; otherwise makes sure it is being built.
fn ensure_file(state: &SharedState, link: &Link) -> FileState {
    let path = file_path(state, link);
    if path.is_file() {
        return FileState::Ready(path);
    }
    {
        let mut running = state
            .reports
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !running.insert(link.file_id.clone()) {
            return FileState::Building;
        }
    }
    let state = state.clone();
    let link = link.clone();
    tokio::spawn(async move {
        let outcome = async {
            let _permit = state
                .reports
                .permits
                .acquire()
                .await
                .map_err(|e| BuildError::Writer(e.to_string()))?;
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| BuildError::Write(WriteError::Io(e)))?;
            }
            let started = std::time::Instant::now();
            let rows = build(
                state.store.clone(),
                &link.spec,
                state.zone,
                &path,
                PAGE_SIZE,
            )
            .await?;
            Ok::<_, BuildError>((rows, started.elapsed()))
        }
        .await;
        match outcome {
            Ok((rows, took)) => tracing::info!(
                app_id = %link.spec.app_id,
                country = %link.spec.country,
                date = %link.spec.date,
                rows,
                ms = took.as_millis() as u64,
                "report built"
            ),
            Err(e) => {
                tracing::error!(error = %e, app_id = %link.spec.app_id, "report build failed")
            }
        }
        state
            .reports
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&link.file_id);
    });
    FileState::Building
}

/// `POST /open-api/report/download`.
pub async fn download(State(state): State<SharedState>, req: SignedRequest) -> ApiResult {
    let param = req.read(ReportQuery::from_fields)?;
    let country: Country = param
        .country_code
        .parse()
        .map_err(|_| ParamError::new("countryCode", "must be one of PH, ID, MY, TH, RU"))?;
    let app = &req.app.app;
    if !app.country_enabled(country) {
        return Err(ApiError::Code(Code::CountryNotOpened));
    }
    let now = now_ms();
    let date = check_date(&param.trans_date, &state.zone, now)?;
    let spec = ReportSpec {
        app_id: app.app_id.clone(),
        country,
        kind: param.trans_type,
        date,
        format: param.format,
    };
    let expires = now / 1000 + state.config.report_link_ttl_secs as i64;
    let token = link::mint(&state.report_key, &spec, expires, rand::random());
    let verified = link::verify(&state.report_key, &token, now / 1000)
        .map_err(|e| ApiError::Internal(format!("fresh report link refused: {e}")))?;
    ensure_file(&state, &verified);
    Ok(success(ReportData {
        download_url: format!("{}/reports/{token}", state.base_url),
    }))
}

/// `transDate`: a calendar day in the display zone, not in the future, at most a year back.
pub fn check_date(text: &str, zone: &DisplayZone, now_ms: i64) -> Result<NaiveDate, ParamError> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ParamError::new("transDate", "must be a date as yyyy-MM-dd"))?;
    let today = zone.datetime(now_ms).date_naive();
    if date > today {
        return Err(ParamError::new("transDate", "must not be in the future"));
    }
    let oldest = today.checked_sub_months(Months::new(12)).unwrap_or(today);
    if date < oldest {
        return Err(ParamError::new(
            "transDate",
            format!("must be within the last year (from {oldest})"),
        ));
    }
    Ok(date)
}

/// `GET /reports/{token}`: the file, 404 + `Retry-After` while it is built, 403 for a link
/// that was altered or has expired.
pub async fn serve(
    State(state): State<SharedState>,
    Path(token): Path<String>,
) -> Result<Response, ReportLinkError> {
    let link = link::verify(&state.report_key, &token, now_ms() / 1000)?;
    let path = match ensure_file(&state, &link) {
        FileState::Building => return Err(ReportLinkError::NotReady(RETRY_AFTER_SECS)),
        FileState::Ready(path) => path,
    };
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| ReportLinkError::NotReady(RETRY_AFTER_SECS))?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    let name = format!(
        "{}_{}_{}_{}.{}",
        link.spec.kind.stem(),
        link.spec.app_id,
        link.spec.country,
        link.spec.date,
        link.spec.format.as_str()
    );
    let stream = futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                link.spec.format.content_type().to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    if let Some(len) = len {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, header::HeaderValue::from(len));
    }
    Ok(response)
}

/// Deletes report files whose links have expired (and builds abandoned long ago).
pub async fn cleanup(state: SharedState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let ttl = Duration::from_secs(state.config.report_link_ttl_secs) + Duration::from_secs(60);
    loop {
        sweep(&state.config.reports_dir(), ttl).await;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = crate::workers::stopped(&mut stop) => return,
        }
    }
}

async fn sweep(dir: &FsPath, ttl: Duration) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let old = entry
            .metadata()
            .await
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| {
                age > ttl.max(Duration::from_secs(6 * 3600)) || age > ttl && !is_part(&entry.path())
            });
        if old {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

fn is_part(path: &FsPath) -> bool {
    path.extension().is_some_and(|e| e == "part")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_a_year_back_to_today() {
        let zone = DisplayZone::default();
        // 2026-11-28 01:00 at UTC+8 is still 2026-11-27 in UTC.
        let now = zone.start_of_day(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()) + 3_600_000;
        assert!(check_date("2026-11-28", &zone, now).is_ok());
        assert!(check_date("2025-11-28", &zone, now).is_ok());
        for bad in ["2026-11-29", "2025-11-27", "2026-02-30", "2026-13-01"] {
            assert_eq!(
                check_date(bad, &zone, now).unwrap_err().field,
                "transDate",
                "{bad}"
            );
        }
    }
}
