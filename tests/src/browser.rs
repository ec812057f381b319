//! Real headless Chromium, driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`; `.ci/run` installs them). Each page visited can be saved as a PNG
//! under the test's output directory.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::json;
use tokio::process::{Child, Command};

pub struct Browser {
    pub client: Client,
    base: String,
    shots: PathBuf,
    taken: usize,
    _driver: Child,
    _profile: PathBuf,
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

impl Browser {
    /// Starts chromedriver and a headless Chromium session against `base`. Screenshots go
    /// to `shots` (emptied first).
    pub async fn start(base: &str, shots: PathBuf) -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the browser tests need Debian's chromium and chromium-driver (`apt-get install chromium chromium-driver`; .ci/run installs them)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{url}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("pm-chromium-{}", uuid::Uuid::new_v4()));
        let caps = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let serde_json::Value::Object(caps) = caps else { unreachable!() };
        // With several browser tests at once on a small machine, Chromium can be slow to
        // answer its first session request (chromedriver then returns an empty error): try
        // again a few times before calling it broken.
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            match ClientBuilder::rustls().unwrap().capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if attempt < 4 => {
                    eprintln!("chromium session, attempt {attempt}: {e}; trying again");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                Err(e) => panic!("no chromium session after {attempt} attempts: {e}"),
            }
        };
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Browser { client, base: base.to_owned(), shots, taken: 0, _driver: driver, _profile: profile }
    }

    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => {
                let page = self.client.source().await.unwrap_or_default();
                panic!("no {css} on {}: {e}\n{page}", self.path().await)
            }
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Clicks something that does not leave the page (a checkbox, a scripted button).
    pub async fn tick(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Clicks something that loads a new page, and waits until it has: the old document's
    /// root goes stale, then the new one finishes loading.
    pub async fn click(&self, css: &str) {
        let old = self.find("html").await;
        self.find(css).await.click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while old.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "clicking {css} loaded no new page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        while self.client.execute("return document.readyState", vec![]).await.ok() != Some(json!("complete")) {
            assert!(Instant::now() < deadline, "the page after {css} did not finish loading");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Reloads until the element's text is `want` (pages show state as it is when served).
    pub async fn wait_text(&self, css: &str, want: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let got = match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if got.trim() == want {
                return;
            }
            assert!(Instant::now() < deadline, "{css} shows {got:?}, not {want:?}, on {}", self.path().await);
            tokio::time::sleep(Duration::from_millis(300)).await;
            self.client.refresh().await.unwrap();
        }
    }

    /// Waits (without reloading) until the element's text is `want`: for what the page's
    /// script fills in.
    pub async fn wait_script_text(&self, css: &str, want: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let got = match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if got.trim() == want {
                return;
            }
            assert!(Instant::now() < deadline, "{css} shows {got:?}, not {want:?}, on {}", self.path().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves the page as `<nn>-<name>.png` and returns its path.
    pub async fn shot(&mut self, name: &str) -> PathBuf {
        self.taken += 1;
        let png = self.client.screenshot().await.unwrap();
        let path = self.shots.join(format!("{:02}-{name}.png", self.taken));
        std::fs::write(&path, png).unwrap();
        path
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}
