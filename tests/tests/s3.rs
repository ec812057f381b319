//! The S3 storage path against a real S3-compatible server (moto's server mode, installed
//! from PyPI by .ci/run): uploads to presigned URLs, remote imports, multipart files, and
//! the bytes the provider receives, all through the bucket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use e2e::files::{FileServer, png, sha256};
use e2e::{Options, Stack};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Moto {
    url: String,
    child: tokio::process::Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

async fn moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = tokio::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("moto_server is needed (`pip install 'moto[server]'`; .ci/run installs it)");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while http.get(format!("{url}/moto-api/")).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "moto_server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Moto { url, child }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_live_in_an_s3_bucket_from_upload_to_the_provider() {
    let s3 = moto().await;
    let http = reqwest::Client::new();
    // The bucket (moto takes any credentials).
    let made = http.put(format!("{}/pm-media", s3.url)).send().await.unwrap();
    assert!(made.status().is_success(), "{}", made.status());
    let storage = vec![
        ("POSTMANTIS_STORAGE__KIND", "s3".to_owned()),
        ("POSTMANTIS_STORAGE__S3_BUCKET", "pm-media".to_owned()),
        ("POSTMANTIS_STORAGE__S3_ENDPOINT", s3.url.clone()),
        ("POSTMANTIS_STORAGE__S3_ACCESS_KEY_ID", "test".to_owned()),
        ("POSTMANTIS_STORAGE__S3_SECRET_ACCESS_KEY", "test".to_owned()),
        ("POSTMANTIS_STORAGE__S3_ALLOW_HTTP", "true".to_owned()),
    ];
    let s = Stack::start_with("s3", Options { common_env: storage, ..Options::default() }).await;
    let x = s.profile("x").await;

    // An upload session: the bytes go straight to the bucket through a presigned URL.
    let bytes = png(64, 48);
    let (status, v) = s
        .post("/api/uploads", json!({"filename": "card.png", "content_type": "image/png", "size_bytes": bytes.len()}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let up = v["data"].clone();
    let upload_url = up["upload_url"].as_str().unwrap();
    assert!(upload_url.starts_with(&s3.url) && upload_url.contains("X-Amz-Signature"), "{upload_url}");
    let mut put = http.put(upload_url).body(bytes.clone());
    for (k, v) in up["upload_headers"].as_object().unwrap() {
        put = put.header(k, v.as_str().unwrap());
    }
    assert!(put.send().await.unwrap().status().is_success());
    let asset = up["asset_id"].as_str().unwrap().to_owned();
    let (status, v) = s.call(reqwest::Method::POST, &format!("/api/uploads/{asset}/complete"), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(s.sql(&format!("SELECT width || 'x' || height FROM media_assets WHERE id = '{asset}'")), "64x48");

    // A remote import and the upload, in one post; the provider gets both from the bucket.
    let files = FileServer::start().await;
    let p = s
        .create(json!({"post": {"body": "from the bucket"}, "profiles": [x], "media": [{"asset_id": asset}, {"url": files.url("/card.png")}]}))
        .await;
    let done = s.wait_status(p["id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["deliveries"][0]["status"], "published", "{done}");
    let call = &s.calls("demo-x").await[0];
    assert_eq!(call["media"][0]["sha256"], sha256(&bytes));
    assert_eq!(call["media"][1]["sha256"], sha256(&png(1200, 630)));

    // A multipart file is stored in the bucket too.
    let form = reqwest::multipart::Form::new()
        .text("post[body]", "a multipart file")
        .text("profiles[]", x.clone())
        .part("media[0][file]", reqwest::multipart::Part::bytes(png(20, 20)).file_name("m.png"));
    let r = s.http.post(format!("{}/api/posts", s.gateway)).bearer_auth(&s.key).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    s.wait_status(v["data"]["id"].as_str().unwrap(), "completed").await;

    // Everything is in the bucket, nothing on the local disk.
    let listing = http.get(format!("{}/pm-media?list-type=2", s3.url)).send().await.unwrap().text().await.unwrap();
    assert!(listing.contains(&asset), "the upload's object is not in the bucket: {listing}");
    assert!(listing.matches("<Key>").count() >= 3, "{listing}");
    assert!(s.stored_files().is_empty(), "files were written locally: {:?}", s.stored_files());
}
