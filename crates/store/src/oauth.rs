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
    return_to: Option<&str>,
    browser_binding: Option<&str>,
) -> StoreResult<()> {
    diesel::insert_into(oauth_states::table)
        .values((
            oauth_states::state.eq(state),
            oauth_states::workspace_id.eq(workspace_id),
            oauth_states::provider.eq(provider),
            oauth_states::code_verifier.eq(code_verifier_enc),
            oauth_states::expires_at.eq(expires_at),
            oauth_states::return_to.eq(return_to),
            oauth_states::browser_binding.eq(browser_binding),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A connect flow taken back from the provider's redirect.
#[derive(Debug, Clone)]
pub struct Flow {
    pub workspace_id: Uuid,
    pub provider: String,
    pub code_verifier_enc: String,
    pub return_to: Option<String>,
    /// SHA-256 (hex) of the cookie value the starting browser holds, if bound.
    pub browser_binding: Option<String>,
}

#[derive(Queryable)]
struct Taken {
    workspace_id: Uuid,
    provider: String,
    code_verifier_enc: String,
    expires_at: DateTime<Utc>,
    return_to: Option<String>,
    browser_binding: Option<String>,
}

/// Takes a state once, if it exists and is live.
pub async fn take_state(conn: &mut Conn, state: &str) -> StoreResult<Option<Flow>> {
    let row: Option<Taken> = diesel::delete(oauth_states::table.filter(oauth_states::state.eq(state)))
        .returning((
            oauth_states::workspace_id,
            oauth_states::provider,
            oauth_states::code_verifier,
            oauth_states::expires_at,
            oauth_states::return_to,
            oauth_states::browser_binding,
        ))
        .get_result(conn)
        .await
        .optional()?;
    Ok(row.filter(|r| r.expires_at > Utc::now()).map(|r| Flow {
        workspace_id: r.workspace_id,
        provider: r.provider,
        code_verifier_enc: r.code_verifier_enc,
        return_to: r.return_to,
        browser_binding: r.browser_binding,
    }))
}
