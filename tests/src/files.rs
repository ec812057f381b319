//! A loopback HTTP server with the files the media tests fetch: real image and video
//! headers, HTML dressed as a PNG, an empty body, a 404 and redirect chains.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// SHA-256 (hex) through the system's sha256sum, which keeps the test crate free of hash
/// dependencies.
pub fn sha256(bytes: &[u8]) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), bytes).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

/// A PNG header of the given size (signature, IHDR, IEND): enough for type and dimensions.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend_from_slice(&13u32.to_be_bytes());
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(b"IEND");
    b.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
    b
}

/// A JPEG header with a SOF0 segment of the given size.
pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&[0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9]);
    b
}

/// An MP4: ftyp, moov with an mvhd of the given duration, and a little mdat.
pub fn mp4(duration_ms: u32) -> Vec<u8> {
    let boxed = |kind: &[u8], body: &[u8]| {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    };
    let mut mvhd = vec![0u8; 12];
    mvhd.extend_from_slice(&1000u32.to_be_bytes());
    mvhd.extend_from_slice(&duration_ms.to_be_bytes());
    mvhd.extend_from_slice(&[0u8; 80]);
    let mut out = boxed(b"ftyp", b"isom\0\0\x02\0isommp41");
    out.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
    out.extend(boxed(b"mdat", &[0u8; 64]));
    out
}

pub struct FileServer {
    pub base: String,
}

impl FileServer {
    pub async fn start() -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else { continue };
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    let req = String::from_utf8_lossy(&buf[..n]);
                    let path = req.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let (status, ctype, body, location) = route(&path);
                    let mut head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n",
                        body.len()
                    );
                    if let Some(l) = location {
                        head.push_str(&format!("location: {l}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(&body).await;
                });
            }
        });
        FileServer { base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn route(path: &str) -> (&'static str, &'static str, Vec<u8>, Option<String>) {
    match path {
        "/card.png" => ("200 OK", "image/png", png(1200, 630), None),
        "/photo.jpg" => ("200 OK", "image/jpeg", jpeg(640, 480), None),
        "/clip.mp4" => ("200 OK", "video/mp4", mp4(12_500), None),
        "/fake.png" => ("200 OK", "image/png", b"<!doctype html><html><body>not an image</body></html>".to_vec(), None),
        "/empty.png" => ("200 OK", "image/png", Vec::new(), None),
        p if p.starts_with("/hop/") => {
            let n: u32 = p[5..].parse().unwrap_or(0);
            if n == 0 {
                ("200 OK", "image/png", png(10, 10), None)
            } else {
                ("302 Found", "text/plain", Vec::new(), Some(format!("/hop/{}", n - 1)))
            }
        }
        _ => ("404 Not Found", "text/plain", b"no such file".to_vec(), None),
    }
}
