//! `src/schema.rs` is what `diesel print-schema` (with `diesel.toml` and its patch) makes
//! of the migrated database. A migration without a regenerated schema.rs (or a hand edit)
//! fails here instead of at the first query that meets it. Regenerate with
//! `diesel print-schema --database-url <a migrated database>` from the workspace root.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[tokio::test]
async fn schema_rs_is_what_print_schema_makes_of_the_migrations() {
    let db = common::Db::new().await;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out = std::process::Command::new("diesel")
        .current_dir(root)
        .args(["print-schema", "--config-file", "diesel.toml", "--database-url"])
        .arg(format!("{}/{}", common::SERVER, db.name))
        .output()
        .expect("diesel_cli is needed (.ci/run installs it: cargo install diesel_cli --no-default-features --features postgres)");
    assert!(out.status.success(), "print-schema failed: {}", String::from_utf8_lossy(&out.stderr));
    let generated = String::from_utf8(out.stdout).unwrap();
    let committed = include_str!("../src/schema.rs");
    assert!(
        generated == committed,
        "schema.rs differs from print-schema's output; regenerate it:\n{}",
        first_difference(committed, &generated)
    );
}

fn first_difference(committed: &str, generated: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (committed.lines().collect(), generated.lines().collect());
    let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    format!(
        "line {}: committed {:?}, generated {:?}",
        at + 1,
        a.get(at).copied().unwrap_or("<end>"),
        b.get(at).copied().unwrap_or("<end>")
    )
}
