use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::StoreError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Runs pending migrations. diesel's harness is synchronous, so it runs on a blocking
/// thread over the async connection wrapper (no libpq needed).
/// The names of the migrations built into this binary, oldest first: what `run` applies,
/// which may lag the files on disk until the crate is built again.
pub fn embedded() -> Vec<String> {
    use diesel::migration::MigrationSource;
    MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map(|all| all.iter().map(|m| m.name().to_string()).collect())
        .unwrap_or_default()
}

pub async fn run(database_url: &str) -> Result<Vec<String>, StoreError> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        let done = conn.run_pending_migrations(MIGRATIONS).map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(done.iter().map(|v| v.to_string()).collect())
    })
    .await
    .map_err(|e| StoreError::Migration(e.to_string()))?
}

/// Creates the database named in `database_url` if it does not exist, by way of the
/// server's `postgres` database.
pub async fn ensure_database(database_url: &str) -> Result<bool, StoreError> {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    use diesel_async::{AsyncConnection, RunQueryDsl};

    let (server, name) = database_url
        .rsplit_once('/')
        .map(|(s, n)| (s, n.split('?').next().unwrap_or(n)))
        .ok_or_else(|| StoreError::Migration("database_url has no database name".into()))?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(StoreError::Migration(format!("unsupported database name `{name}`")));
    }
    let mut conn = AsyncPgConnection::establish(&format!("{server}/postgres"))
        .await
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let found: Found = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
        .bind::<Text, _>(name)
        .get_result(&mut conn)
        .await?;
    if found.exists {
        return Ok(false);
    }
    // The name was checked above; CREATE DATABASE cannot take a bind parameter.
    diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await?;
    Ok(true)
}
