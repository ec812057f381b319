//! The shipped example configuration must load in every service; a shared setting reaches
//! every service; a key no service knows stops the start with its name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_configuration_loads_in_every_service() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/postmantis.example.toml");
    let bins = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    let prefix = format!("cfg.{}.", uuid::Uuid::new_v4().simple());
    for (bin, args) in
        [("api-gateway", vec!["serve"]), ("scheduler", vec![]), ("delivery-worker", vec![]), ("media-ingest", vec![])]
    {
        let mut child = tokio::process::Command::new(bins.join(bin))
            .args(&args)
            .args(["--config", example])
            .env("POSTMANTIS_HTTP_ADDR", "127.0.0.1:0")
            .env("POSTMANTIS_HEALTH_ADDR", "127.0.0.1:0")
            .env("POSTMANTIS_STORAGE__DIR", std::env::temp_dir().join("pm-example-media"))
            .env("POSTMANTIS_BUS__PREFIX", &prefix)
            .env("POSTMANTIS_BUS__QUEUE_EXPIRES_MS", "60000")
            // Non-default shared settings, which each service must read as given.
            .env("POSTMANTIS_DB_POOL_SIZE", "3")
            .env("POSTMANTIS_SHUTDOWN_GRACE_MS", "4321")
            .env("POSTMANTIS_BUS__MAX_REDELIVERIES", "7")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(10), out.next_line()).await;
        let announced = matches!(&line, Ok(Ok(Some(l))) if l.starts_with("LISTENING"));
        if !announced {
            let _ = child.kill().await;
            let mut err = String::new();
            let mut e = BufReader::new(child.stderr.take().unwrap());
            let _ =
                tokio::time::timeout(Duration::from_secs(2), tokio::io::AsyncReadExt::read_to_string(&mut e, &mut err))
                    .await;
            panic!("{bin} did not start with the example configuration: {line:?}\n{err}");
        }
        // The service logs what it shares with the others once it has read it.
        let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
        let shared = tokio::time::timeout(Duration::from_secs(10), async {
            while let Ok(Some(l)) = err.next_line().await {
                let l = without_colours(&l);
                if l.contains("shared configuration") {
                    return l;
                }
            }
            String::new()
        })
        .await
        .unwrap_or_default();
        let _ = child.kill().await;
        for setting in
            ["db_pool_size=3", "shutdown_grace_ms=4321", "max_redeliveries=7", "database=\"127.0.0.1:5432/postmantis\""]
        {
            assert!(shared.contains(setting), "{bin} did not read {setting}: {shared}");
        }
        assert!(!shared.contains("postgres://"), "no credentials in the log: {shared}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_no_service_knows_stops_every_service_with_its_name() {
    let bins = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    for (bin, args) in
        [("api-gateway", vec!["serve"]), ("scheduler", vec![]), ("delivery-worker", vec![]), ("media-ingest", vec![])]
    {
        let out = tokio::process::Command::new(bins.join(bin))
            .args(&args)
            .env("POSTMANTIS_HTTP_ADDR", "127.0.0.1:0")
            .env("POSTMANTIS_HEALTH_ADDR", "127.0.0.1:0")
            // A typo of bus.amqp_url; and a key of another service, which is fine.
            .env("POSTMANTIS_BUS__AMQP_ULR", "amqp://nowhere")
            .env("POSTMANTIS_DISPATCH_BATCH", "10")
            .output();
        let out = tokio::time::timeout(Duration::from_secs(10), out).await.unwrap().unwrap();
        assert!(!out.status.success(), "{bin} started with an unknown key");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("`bus.amqp_ulr`"), "{bin} did not name the key: {err}");
        assert!(!err.contains("dispatch_batch"), "{bin} refused another service's key: {err}");
    }
}

/// The log's text without terminal colour sequences (`ESC [ … m`).
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
