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

pub async fn name(conn: &mut Conn, id: domain::WorkspaceId) -> StoreResult<Option<String>> {
    Ok(workspaces::table.find(id).select(workspaces::name).first(conn).await.optional()?)
}
