//! Outbound HTTP to an address a user gave (a media URL, a webhook endpoint, a feed):
//! nothing here may reach this machine or a private network.
//!
//! Three layers, because each alone has a gap:
//! - `check_url` refuses a URL whose host is, or resolves to, a forbidden address, in any
//!   spelling the URL parser accepts (`127.1`, `2130706433`, `[::ffff:127.0.0.1]`), with a
//!   reason the caller can read. Callers run it before every request and every redirect hop.
//! - the client's resolver drops forbidden addresses, so a name that re-resolves between
//!   the check and the connect (DNS rebinding) still cannot reach one;
//! - the client ignores proxy environment variables and follows no redirect by itself.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Hosts exempt from the check (tests and the local demo), compared case-insensitively
/// with the URL's host as written.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow_hosts: Vec<String>,
}

impl Guard {
    /// From a comma-separated list; empty refuses every private address.
    pub fn new(allow_hosts: &str) -> Self {
        Self {
            allow_hosts: allow_hosts
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.allow_hosts.contains(&host)
    }
}

fn v4_forbidden(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local() // includes 169.254.169.254, the cloud metadata address
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || o[0] == 0 // "this network"
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // carrier-grade NAT, 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments, 192.0.0.0/24
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking, 198.18.0.0/15
        || o[0] >= 240 // reserved, 240.0.0.0/4
}

/// Loopback, private, link-local, metadata, CGNAT, benchmark, documentation, reserved,
/// multicast, and every IPv6 form that carries such an IPv4 address.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_forbidden(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || s[0] == 0x2002 // 6to4 carries an IPv4 address: refused whole
                || (s[0..6] == [0x64, 0xff9b, 0, 0, 0, 0]) // NAT64 well-known prefix
                // IPv4-compatible (deprecated) ::a.b.c.d
                || (s[0..6] == [0, 0, 0, 0, 0, 0] && v4_forbidden(embedded_v4(s[6], s[7])))
                || v6.to_ipv4_mapped().is_some() // every mapped form: one spelling less to get wrong
        }
    }
}

/// Why `raw` may not be fetched or called, in words for the caller; `Ok` with the parsed
/// URL otherwise. Resolves the host, so it is async.
pub async fn check_url(guard: &Guard, raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw).map_err(|_| "not a valid URL".to_owned())?;
    check(guard, &url).await?;
    Ok(url)
}

/// `check_url` for a parsed URL (a redirect hop).
pub async fn check(guard: &Guard, url: &url::Url) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{} URLs are not allowed; only http and https", url.scheme()));
    }
    if url.username() != "" || url.password().is_some() {
        return Err("URLs with credentials are not allowed".into());
    }
    let host = url.host_str().ok_or("the URL has no host")?;
    if guard.allows(host) {
        return Ok(());
    }
    let forbidden =
        format!("{host} is a loopback, private, link-local, metadata or reserved address, which is never contacted");
    let ips: Vec<IpAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(url::Host::Domain(name)) => {
            let port = url.port_or_known_default().unwrap_or(443);
            tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| format!("the host {host} could not be resolved"))?
                .map(|a| a.ip())
                .collect()
        }
        None => return Err("the URL has no host".into()),
    };
    if ips.is_empty() || ips.iter().any(|ip| is_forbidden(*ip)) {
        return Err(forbidden);
    }
    Ok(())
}

/// Resolves names, dropping forbidden addresses unless the host is allow-listed.
struct GuardedResolver {
    guard: Guard,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = guard.allows(&host);
            let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| allowed || !is_forbidden(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves only to forbidden addresses").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// A client for user-given URLs: the guarded resolver, no proxy from the environment,
/// no redirects followed by itself (callers check each hop), bounded connect and total time.
pub fn client(guard: &Guard, timeout: Duration, user_agent: &str) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .dns_resolver(Arc::new(GuardedResolver { guard: guard.clone() }))
        .user_agent(user_agent)
        .build()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_private_reserved_and_embedded_form_is_forbidden() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::808:808",
            "2002:7f00:1::",
            "2001:db8::1",
            "ff02::1",
            // Mapped IPv4 is refused whatever it maps: one spelling less to get wrong.
            "::ffff:1.1.1.1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "198.20.0.1", "100.128.0.1", "2606:4700::1111"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn loopback_in_any_spelling_is_refused_unless_allowed() {
        let none = Guard::new("");
        for raw in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://017700000001/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::1]:8080/",
            "http://0.0.0.0/",
            "http://localhost/",
            "http://169.254.169.254/latest/meta-data",
            "https://[64:ff9b::a00:1]/",
        ] {
            let err = check_url(&none, raw).await.unwrap_err();
            assert!(err.contains("never contacted"), "{raw}: {err}");
        }
        assert!(check_url(&none, "ftp://example.com/").await.unwrap_err().contains("only http"));
        assert!(check_url(&none, "http://user:pw@example.com/").await.is_err());
        let tests = Guard::new("127.0.0.1, Localhost");
        assert!(check_url(&tests, "http://127.0.0.1:9000/hook").await.is_ok());
        assert!(check_url(&tests, "http://localhost:9000/hook").await.is_ok());
        // The parser writes every spelling of an address one way, so the list names addresses.
        assert!(check_url(&tests, "http://127.1:9000/hook").await.is_ok());
        assert!(check_url(&tests, "http://127.0.0.2:9000/hook").await.is_err());
    }
}
