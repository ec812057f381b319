use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::{Conn, StoreResult, schema::workspaces};

pub async fn insert(conn: &mut Conn, id: domain::WorkspaceId, name: &str) -> StoreResult<()> {
    diesel::insert_into(workspaces::table)
        .values((workspaces::id.eq(id), workspaces::name.eq(name)))
        .execute(conn)
        .await?;
    Ok(())
}
