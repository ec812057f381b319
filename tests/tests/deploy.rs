//! deploy/ as far as it can be checked without a Docker engine or a cluster: every
//! manifest parses and validates (Kubernetes API schemas, offline), and the parts fit
//! (one image, probes, budgets, KEDA on the declared queues, quorum definitions). The
//! definitions themselves are generated from the code (see `bus::topology`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn deploy_manifests_validate_and_fit_together() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/check.py");
    let out = std::process::Command::new("python3").arg(script).output().expect("python3");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "deploy/check.py failed (pip install kubernetes-validate pyyaml; .ci/run does):\n{text}"
    );
    assert!(text.contains("21 Kubernetes objects"), "{text}");
}
