//! The OpenAPI document: served as committed, and the live gateway holds to it under
//! schemathesis (from PyPI; `.ci/run` installs it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::Stack;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_committed_one_and_the_gateway_holds_to_it() {
    let s = Stack::start("openapi").await;
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../proto/openapi.json")).unwrap();
    for path in ["/api/openapi.json", "/api/v1/openapi.json"] {
        let r = s.http.get(format!("{}{path}", s.gateway)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap() == committed, "{path} differs from proto/openapi.json");
    }

    // A bounded run: every operation, generated and boundary inputs, with a write key.
    let which = std::process::Command::new("schemathesis").arg("--version").output();
    assert!(
        which.is_ok_and(|o| o.status.success()),
        "schemathesis is needed (`pip install schemathesis`; .ci/run installs it)"
    );
    let report = std::env::temp_dir().join(format!("schemathesis-{}", s.db_name));
    let out = tokio::process::Command::new("schemathesis")
        .args(["run", &format!("{}/api/openapi.json", s.gateway), "--url", &s.gateway])
        .args(["-H", &format!("Authorization: Bearer {}", s.key)])
        .args(["--checks", "not_a_server_error,response_schema_conformance,content_type_conformance"])
        .args(["--phases", "examples,coverage,fuzzing", "--max-examples", "20", "--seed", "7"])
        // The event stream never ends by design.
        .args(["--exclude-path", "/api/events", "--workers", "1", "--request-timeout", "10"])
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
