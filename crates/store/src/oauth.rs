//! Connect flows in progress.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::{Conn, StoreResult, schema::oauth_states};

pub async fn insert_state(
    conn: &mut Conn,
    state: &str,
    workspace_id: Uuid,
    provider: &str,
    code_verifier_enc: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(oauth_states::table)
        .values((
            oauth_states::state.eq(state),
            oauth_states::workspace_id.eq(workspace_id),
            oauth_states::provider.eq(provider),
            oauth_states::code_verifier.eq(code_verifier_enc),
            oauth_states::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes a state once: (workspace, provider, encrypted verifier) if it exists and is live.
pub async fn take_state(conn: &mut Conn, state: &str) -> StoreResult<Option<(Uuid, String, String)>> {
    let row: Option<(Uuid, String, String, DateTime<Utc>)> =
        diesel::delete(oauth_states::table.filter(oauth_states::state.eq(state)))
            .returning((
                oauth_states::workspace_id,
                oauth_states::provider,
                oauth_states::code_verifier,
                oauth_states::expires_at,
            ))
            .get_result(conn)
            .await
            .optional()?;
    Ok(row.filter(|r| r.3 > Utc::now()).map(|r| (r.0, r.1, r.2)))
}
