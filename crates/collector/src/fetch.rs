//! Fetching a feed: redirects followed by hand with each hop checked by `egress` (no
//! loopback or private address, and the resolver refuses them again), the validators of
//! the last fetch sent (`If-None-Match`, `If-Modified-Since`), size and time bounded. The
//! body is read as it arrives and dropped the moment it passes the cap. No compression is
//! asked for, so what is counted is what is parsed.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header;

use crate::app::Ctx;

const MAX_REDIRECTS: usize = 5;

pub enum Fetched {
    /// The server said nothing changed since the validators we sent.
    NotModified,
    Body {
        bytes: Vec<u8>,
        content_type: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

pub async fn fetch(ctx: &Ctx, raw: &str, etag: Option<&str>, last_modified: Option<&str>) -> Result<Fetched, String> {
    let deadline = Duration::from_millis(ctx.config.feed_timeout_ms);
    tokio::time::timeout(deadline, hops(ctx, raw, etag, last_modified))
        .await
        .map_err(|_| format!("the feed took longer than {} s to load", deadline.as_secs()))?
}

async fn hops(ctx: &Ctx, raw: &str, etag: Option<&str>, last_modified: Option<&str>) -> Result<Fetched, String> {
    let guard = egress::Guard::new(&ctx.config.feed_allow_hosts);
    let mut url = url::Url::parse(raw).map_err(|_| "the feed address is not a valid URL".to_owned())?;
    for hop in 0..=MAX_REDIRECTS {
        egress::check(&guard, &url)
            .await
            .map_err(|e| if hop == 0 { e } else { format!("the feed redirected to {url}, which is refused: {e}") })?;
        let mut req = ctx.web.get(url.clone()).header(
            header::ACCEPT,
            "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        );
        if let Some(e) = etag {
            req = req.header(header::IF_NONE_MATCH, e);
        }
        if let Some(m) = last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, m);
        }
        let resp = req.send().await.map_err(|e| {
            if e.is_connect() {
                "the feed's server could not be reached".to_owned()
            } else {
                format!("the feed could not be loaded: {e}")
            }
        })?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status.is_redirection() {
            let location = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| format!("the feed's server answered HTTP {} without a Location", status.as_u16()))?;
            url = url.join(location).map_err(|_| "the feed redirected to an invalid URL".to_owned())?;
            continue;
        }
        if !status.is_success() {
            return Err(format!("the feed's server answered HTTP {}", status.as_u16()));
        }
        let max = ctx.config.feed_max_bytes;
        if resp.content_length().is_some_and(|n| n > max) {
            return Err(format!("the feed is larger than {max} bytes"));
        }
        let text = |h: header::HeaderName| resp.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (etag, last_modified) = (text(header::ETAG), text(header::LAST_MODIFIED));
        let content_type = text(header::CONTENT_TYPE).unwrap_or_default();
        let mut bytes = Vec::new();
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|_| "the feed's download was interrupted".to_owned())?;
            if bytes.len() as u64 + chunk.len() as u64 > max {
                return Err(format!("the feed is larger than {max} bytes"));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Fetched::Body { bytes, content_type, etag, last_modified });
    }
    Err(format!("the feed redirected more than {MAX_REDIRECTS} times"))
}
