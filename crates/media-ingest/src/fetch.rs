//! Fetching a remote file into staging: redirects followed by hand (each hop checked),
//! size and time bounded, and private networks refused — by a pre-check that gives the
//! caller a clear reason, and by the DNS resolver itself, so a name that re-resolves to a
//! private address between check and connect is refused too.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use uuid::Uuid;

use crate::{app::Ctx, config::Config};

pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local() // includes 169.254.169.254, the cloud metadata address
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // carrier-grade NAT
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Resolves names, dropping private addresses unless the host is allow-listed.
struct GuardedResolver {
    config: Arc<Config>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let config = self.config.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = config.allowed_private_host(&host);
            let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| allowed || !is_private(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves only to private addresses").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

pub fn client(config: &Config) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .dns_resolver(Arc::new(GuardedResolver { config: Arc::new(config.clone()) }))
        .user_agent(concat!("PostMantis-media/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Why a URL may not be fetched, in words for the caller.
async fn refuse_private(ctx: &Ctx, url: &url::Url) -> Result<(), String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    if ctx.config.allowed_private_host(host) {
        return Ok(());
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let ips: Vec<IpAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((bare, 0))
            .await
            .map_err(|_| format!("the host {host} could not be resolved"))?
            .map(|a| a.ip())
            .collect(),
    };
    if ips.iter().any(|ip| is_private(*ip)) {
        return Err(format!("{host} is a loopback, private, link-local or metadata address, which is never fetched"));
    }
    Ok(())
}

/// Downloads `raw_url` to the staging key of `staged_id`; returns the number of bytes.
pub async fn fetch_to_staging(ctx: &Ctx, raw_url: &str, staged_id: Uuid) -> Result<u64, String> {
    let deadline = Duration::from_millis(ctx.config.fetch_timeout_ms);
    tokio::time::timeout(deadline, fetch(ctx, raw_url, staged_id))
        .await
        .map_err(|_| format!("the download took longer than {} s", deadline.as_secs()))?
}

async fn fetch(ctx: &Ctx, raw_url: &str, staged_id: Uuid) -> Result<u64, String> {
    let mut url = url::Url::parse(raw_url).map_err(|_| "not a valid URL".to_owned())?;
    for _hop in 0..=ctx.config.max_redirects {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("redirected to a {} URL; only http and https are fetched", url.scheme()));
        }
        refuse_private(ctx, &url).await?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::is_private;

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_private() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
