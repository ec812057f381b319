//! The shipped example configuration must load in every service.

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
        let _ = child.kill().await;
    }
}
