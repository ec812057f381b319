//! The OpenAPI document: served as committed, and the live gateway holds to it under
//! schemathesis (from PyPI; `.ci/run` installs it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{Options, Stack};
use reqwest::StatusCode;

fn with_collector() -> Options {
    Options { collector_env: Some(Vec::new()), ..Options::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_committed_one_and_the_gateway_holds_to_it() {
    // With a collector: an inbox poll asked for waits for it to read the demo accounts.
    let s = Stack::start_with("openapi", with_collector()).await;
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../proto/openapi.json")).unwrap();
    for path in ["/api/openapi.json", "/api/v1/openapi.json"] {
        let r = s.http.get(format!("{}{path}", s.gateway)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap() == committed, "{path} differs from proto/openapi.json");
    }

    // The event stream never ends by design.
    fuzz(&s, "/api/openapi.json", &[], &["--exclude-path", "/api/events"]).await;
}

/// A bounded schemathesis run over every operation of the document at `doc`: generated
/// and boundary inputs, with a write key and `headers`; fails on a 5xx or an answer that
/// breaks its schema or content type.
async fn fuzz(s: &Stack, doc: &str, headers: &[&str], more: &[&str]) {
    let which = std::process::Command::new("schemathesis").arg("--version").output();
    assert!(
        which.is_ok_and(|o| o.status.success()),
        "schemathesis is needed (`pip install schemathesis`; .ci/run installs it)"
    );
    let report = std::env::temp_dir().join(format!("schemathesis-{}-{}", s.db_name, doc.len()));
    let mut cmd = tokio::process::Command::new("schemathesis");
    cmd.args(["run", &format!("{}{doc}", s.gateway), "--url", &s.gateway])
        .args(["-H", &format!("Authorization: Bearer {}", s.key)]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd
        .args(["--checks", "not_a_server_error,response_schema_conformance,content_type_conformance"])
        .args(["--phases", "examples,coverage,fuzzing", "--max-examples", "20", "--seed", "7"])
        .args(more)
        // A refresh or an inbox poll waits up to 10 s for the collector by design.
        .args(["--workers", "1", "--request-timeout", "20"])
        .args(["--report-dir", report.to_str().unwrap()])
        .env("NO_COLOR", "1")
        // Its cache of crashes goes beside the report, not into the clone.
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found problems:\n{text}");
    // It really exercised the API.
    assert!(text.contains("passed"), "{text}");
}

/// The agency surface's own document (seed 002's routes): served as committed, and the
/// live gateway holds to it under schemathesis, with the tenant header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agency_document_is_the_committed_one_and_the_gateway_holds_to_it() {
    let s = Stack::start_with("openapi-agency", with_collector()).await;
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../proto/agency-openapi.json")).unwrap();
    let served = s.http.get(format!("{}/api/v1/social/openapi.json", s.gateway)).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    let served = served.text().await.unwrap();
    if served != committed {
        let at = served.lines().zip(committed.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "/api/v1/social/openapi.json differs from proto/agency-openapi.json at line {}: served {:?}, committed {:?}",
            at + 1,
            served.lines().nth(at),
            committed.lines().nth(at)
        );
    }

    // The OAuth start answers with a redirect to the platform, which is not this API.
    let excluded = ["--exclude-path-regex", "/oauth/\\{platform\\}$"];
    fuzz(&s, "/api/v1/social/openapi.json", &["X-Org-Id: 00000000-0000-4000-8000-00000000d3e0"], &excluded).await;
}
