//! Fetching a remote file into owned storage: bounded size and time, the type proven by
//! the bytes, private networks refused unless allowed. Written to a temporary name and
//! renamed, so a partial download never becomes an asset.

use std::net::IpAddr;
use std::path::Path;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::app::Ctx;

pub struct Fetched {
    pub content_type: &'static str,
    pub size_bytes: i64,
    pub sha256: String,
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

async fn guard(ctx: &Ctx, url: &url::Url) -> Result<(), String> {
    if ctx.config.allow_private_urls {
        return Ok(());
    }
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs =
        tokio::net::lookup_host((host, port)).await.map_err(|_| format!("the host {host} could not be resolved"))?;
    for a in addrs {
        if is_private(a.ip()) {
            return Err(format!("the host {host} resolves to a private or local address, which is not fetched"));
        }
    }
    Ok(())
}

pub async fn fetch_to(ctx: &Ctx, raw_url: &str, asset_id: Uuid) -> Result<Fetched, String> {
    let url = url::Url::parse(raw_url).map_err(|_| "not a valid URL".to_owned())?;
    guard(ctx, &url).await?;
    let resp = ctx.http.get(url).send().await.map_err(|e| {
        if e.is_timeout() { "the download timed out".to_owned() } else { "the file could not be downloaded".to_owned() }
    })?;
    if !resp.status().is_success() {
        return Err(format!("the server answered HTTP {}", resp.status().as_u16()));
    }
    let max = ctx.config.max_remote_bytes;
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(format!("the file is larger than {max} bytes"));
    }
    let dir = Path::new(&ctx.config.storage_dir);
    let tmp = dir.join(format!(".{asset_id}.part"));
    let result = async {
        let mut file = tokio::fs::File::create(&tmp).await.map_err(|e| format!("storage: {e}"))?;
        let mut hasher = Sha256::new();
        let mut head = Vec::with_capacity(32);
        let mut size: u64 = 0;
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|_| "the download was interrupted".to_owned())?;
            size += chunk.len() as u64;
            if size > max {
                return Err(format!("the file is larger than {max} bytes"));
            }
            if head.len() < 32 {
                head.extend_from_slice(&chunk[..chunk.len().min(32 - head.len())]);
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(|e| format!("storage: {e}"))?;
        }
        file.sync_all().await.map_err(|e| format!("storage: {e}"))?;
        let content_type = domain::media::sniff(&head)
            .ok_or("the file is not a supported image or video (PNG, JPEG, GIF, WebP, MP4, MOV)")?;
        tokio::fs::rename(&tmp, dir.join(asset_id.to_string())).await.map_err(|e| format!("storage: {e}"))?;
        Ok(Fetched { content_type, size_bytes: size as i64, sha256: hex::encode(hasher.finalize()) })
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result
}
