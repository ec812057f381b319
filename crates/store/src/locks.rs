//! Advisory locks by name: one holder at a time across every replica, for as long as the
//! caller's transaction runs.

use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;

use crate::{Conn, StoreResult};

/// Takes the lock named `name` until the transaction ends, if nobody holds it.
pub async fn try_for_transaction(conn: &mut Conn, name: &str) -> StoreResult<bool> {
    #[derive(diesel::QueryableByName)]
    struct Got {
        #[diesel(sql_type = Bool)]
        got: bool,
    }
    let g: Got = diesel::sql_query("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7)) AS got")
        .bind::<Text, _>(name)
        .get_result(conn)
        .await?;
    Ok(g.got)
}
