//! A migrated database per test, made from a template named by the migrations' content.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio::sync::OnceCell;
use uuid::Uuid;

pub const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// The migrated template for this set of migrations: named by their content and by the
/// migrations this binary embeds (a binary built before a migration was added must not
/// make the template a newer build will use), made once (under an advisory lock, as test
/// processes run in parallel) and kept for later runs.
async fn template() -> String {
    use sha2::Digest;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
    let mut files: Vec<_> = walk(std::path::Path::new(dir));
    files.sort();
    let mut h = sha2::Sha256::new();
    for f in &files {
        h.update(f.to_string_lossy().as_bytes());
        h.update(std::fs::read(f).unwrap());
    }
    h.update(store::migrate::embedded().join(",").as_bytes());
    let name = format!("pm_store_tmpl_{}", &hex::encode(h.finalize())[..12]);
    let mut admin = admin().await;
    diesel::sql_query("SELECT pg_advisory_lock(7042)").execute(&mut admin).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let found: Found = diesel::sql_query(format!("SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"))
        .get_result(&mut admin)
        .await
        .unwrap();
    if found.n == 0 {
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
        store::migrate::run(&format!("{SERVER}/{name}")).await.unwrap();
    }
    diesel::sql_query("SELECT pg_advisory_unlock(7042)").execute(&mut admin).await.unwrap();
    name
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

async fn admin() -> AsyncPgConnection {
    AsyncPgConnection::establish(&format!("{SERVER}/postgres")).await.unwrap()
}

/// A migrated database this test owns, dropped when it ends.
pub struct Db {
    pub name: String,
    pub pool: store::Pool,
}

impl Db {
    pub async fn new() -> Db {
        let template = TEMPLATE.get_or_init(template).await;
        let name = format!("pm_store_{}", &Uuid::new_v4().simple().to_string()[..12]);
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin().await)
            .await
            .unwrap();
        let pool = store::connect_pool(&format!("{SERVER}/{name}"), 4).unwrap();
        Db { name, pool }
    }

    pub async fn conn(&self) -> store::Pooled {
        self.pool.get().await.unwrap()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let _ = std::process::Command::new("psql")
                .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"])
                .arg(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .output();
        })
        .join();
    }
}
