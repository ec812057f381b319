//! A loopback site whose documents a test changes as it goes (a blog's feed gaining and
//! re-publishing items, pages that are not feeds, redirects), answering `If-None-Match`
//! with 304 and counting what it was asked.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Doc {
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Extra header lines (`location: …`, `content-encoding: gzip`).
    pub headers: Vec<String>,
    /// Sent as `ETag`; a request whose `If-None-Match` matches gets a 304.
    pub etag: Option<String>,
    /// How long the answer takes (the document is the one asked for, whatever is put
    /// meanwhile): a check that is still reading.
    pub delay: std::time::Duration,
}

impl Doc {
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Doc {
        Doc {
            status: "200 OK",
            content_type,
            body: body.into(),
            headers: Vec::new(),
            etag: None,
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn redirect(to: &str) -> Doc {
        Doc {
            status: "302 Found",
            content_type: "text/plain",
            body: Vec::new(),
            headers: vec![format!("location: {to}")],
            etag: None,
            delay: std::time::Duration::ZERO,
        }
    }
}

#[derive(Default)]
struct Site {
    docs: HashMap<String, Doc>,
    /// Per path: requests, and how many were answered 304.
    asked: HashMap<String, (usize, usize)>,
}

#[derive(Clone)]
pub struct FeedServer {
    pub base: String,
    site: Arc<Mutex<Site>>,
}

impl FeedServer {
    pub async fn start() -> FeedServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let site: Arc<Mutex<Site>> = Arc::default();
        let shared = site.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else { continue };
                let site = shared.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16384];
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    let req = String::from_utf8_lossy(&buf[..n]).to_string();
                    let path = req.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let if_none_match = req.lines().find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("if-none-match:").map(|v| v.trim().to_owned())
                    });
                    let doc = {
                        let mut s = site.lock();
                        let doc = s.docs.get(&path).cloned();
                        let fresh = doc
                            .as_ref()
                            .and_then(|d| d.etag.clone())
                            .is_some_and(|e| Some(e.to_ascii_lowercase()) == if_none_match);
                        let count = s.asked.entry(path.clone()).or_default();
                        count.0 += 1;
                        if fresh {
                            count.1 += 1;
                        }
                        doc.map(|d| (d, fresh))
                    };
                    if let Some((d, _)) = &doc {
                        tokio::time::sleep(d.delay).await;
                    }
                    let (status, ctype, body, mut headers) = match doc {
                        None => ("404 Not Found", "text/plain", b"no such page".to_vec(), Vec::new()),
                        Some((d, true)) => ("304 Not Modified", d.content_type, Vec::new(), Vec::new()),
                        Some((d, false)) => {
                            let mut h = d.headers.clone();
                            if let Some(e) = &d.etag {
                                h.push(format!("etag: {e}"));
                            }
                            (d.status, d.content_type, d.body, h)
                        }
                    };
                    headers.push(format!("content-length: {}", body.len()));
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\nconnection: close\r\n{}\r\n\r\n",
                        headers.join("\r\n")
                    );
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(&body).await;
                });
            }
        });
        FeedServer { base, site }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn put(&self, path: &str, doc: Doc) {
        self.site.lock().docs.insert(path.to_owned(), doc);
    }

    /// (requests, of them answered 304) for a path.
    pub fn asked(&self, path: &str) -> (usize, usize) {
        self.site.lock().asked.get(path).copied().unwrap_or_default()
    }
}

/// An RSS 2.0 item.
pub struct RssItem<'a> {
    pub guid: Option<&'a str>,
    pub title: &'a str,
    pub link: &'a str,
    pub description: &'a str,
    pub pub_date: chrono::DateTime<chrono::Utc>,
    pub image: Option<&'a str>,
}

/// An RSS 2.0 document with these items.
pub fn rss(items: &[RssItem<'_>]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>The Blog</title><link>https://blog.example/</link><description>Posts</description>\n",
    );
    for i in items {
        out.push_str("<item>");
        out.push_str(&format!("<title>{}</title><link>{}</link>", i.title, i.link));
        if let Some(g) = i.guid {
            out.push_str(&format!("<guid isPermaLink=\"false\">{g}</guid>"));
        }
        out.push_str(&format!("<description><![CDATA[{}]]></description>", i.description));
        out.push_str(&format!("<pubDate>{}</pubDate>", i.pub_date.to_rfc2822()));
        if let Some(img) = i.image {
            out.push_str(&format!("<enclosure url=\"{img}\" length=\"1000\" type=\"image/png\"/>"));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel></rss>\n");
    out
}
