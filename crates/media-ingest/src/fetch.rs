//! Fetching a remote file into staging: redirects followed by hand, each hop checked by
//! `egress` (private networks refused, with a reason the caller can read, and again by the
//! client's resolver), size and time bounded.

use std::time::Duration;

use uuid::Uuid;

use crate::{app::Ctx, config::Config};

pub fn client(config: &Config) -> reqwest::Result<reqwest::Client> {
    egress::client(
        &egress::Guard::new(&config.remote_allow_hosts),
        Duration::from_millis(config.fetch_timeout_ms),
        concat!("PostMantis-media/", env!("CARGO_PKG_VERSION")),
    )
}

/// Downloads `raw_url` to the staging key of `staged_id`; returns the number of bytes.
pub async fn fetch_to_staging(ctx: &Ctx, raw_url: &str, staged_id: Uuid) -> Result<u64, String> {
    let deadline = Duration::from_millis(ctx.config.fetch_timeout_ms);
    tokio::time::timeout(deadline, fetch(ctx, raw_url, staged_id))
        .await
        .map_err(|_| format!("the download took longer than {} s", deadline.as_secs()))?
}

async fn fetch(ctx: &Ctx, raw_url: &str, staged_id: Uuid) -> Result<u64, String> {
    let guard = egress::Guard::new(&ctx.config.remote_allow_hosts);
    let mut url = url::Url::parse(raw_url).map_err(|_| "not a valid URL".to_owned())?;
    for _hop in 0..=ctx.config.max_redirects {
        egress::check(&guard, &url).await?;
        let resp = ctx.http.get(url.clone()).send().await.map_err(|e| {
            if e.is_connect() {
                "the server could not be reached".to_owned()
            } else {
                "the file could not be downloaded".to_owned()
            }
        })?;
        let status = resp.status();
        if status.is_redirection() {
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| format!("the server answered HTTP {} without a Location", status.as_u16()))?;
            url = url.join(location).map_err(|_| "the server redirected to an invalid URL".to_owned())?;
            continue;
        }
        if !status.is_success() {
            return Err(format!("the server answered HTTP {}", status.as_u16()));
        }
        let max = ctx.config.max_remote_bytes;
        if resp.content_length().is_some_and(|n| n > max) {
            return Err(format!("the file is larger than {max} bytes"));
        }
        let key = storage::staging_key(&staged_id.to_string());
        return match ctx.storage.write_stream(&key, Box::pin(resp.bytes_stream()), max).await {
            Ok(w) => Ok(w.size),
            Err(storage::StorageError::TooLarge { max }) => Err(format!("the file is larger than {max} bytes")),
            Err(storage::StorageError::Source(_)) => Err("the download was interrupted".into()),
            Err(e) => {
                tracing::error!(error = %e, "staging a download failed");
                Err("the file could not be stored".into())
            }
        };
    }
    Err(format!("more than {} redirects", ctx.config.max_redirects))
}
