//! Connect flows in progress.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::WorkspaceId;

use crate::{Conn, StoreResult, schema::oauth_states};

/// A connect flow being started.
pub struct NewFlow<'a> {
    pub state: &'a str,
    pub workspace_id: WorkspaceId,
    pub provider: &'a str,
    pub code_verifier_enc: &'a str,
    pub expires_at: DateTime<Utc>,
    pub return_to: Option<&'a str>,
    /// SHA-256 (hex) of the cookie the starting browser holds; `None` for an unbound flow.
    pub browser_binding: Option<&'a str>,
    /// Where the provider sends the browser back, when not `/connect/callback`.
    pub redirect_uri: Option<&'a str>,
}

pub async fn insert_state(conn: &mut Conn, f: &NewFlow<'_>) -> StoreResult<()> {
    diesel::insert_into(oauth_states::table)
        .values((
            oauth_states::state.eq(f.state),
            oauth_states::workspace_id.eq(f.workspace_id),
            oauth_states::provider.eq(f.provider),
            oauth_states::code_verifier.eq(f.code_verifier_enc),
            oauth_states::expires_at.eq(f.expires_at),
            oauth_states::return_to.eq(f.return_to),
            oauth_states::browser_binding.eq(f.browser_binding),
            oauth_states::redirect_uri.eq(f.redirect_uri),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A connect flow taken back from the provider's redirect.
#[derive(Debug, Clone)]
pub struct Flow {
    pub workspace_id: WorkspaceId,
    pub provider: String,
    pub code_verifier_enc: String,
    pub return_to: Option<String>,
    /// SHA-256 (hex) of the cookie value the starting browser holds, if bound.
    pub browser_binding: Option<String>,
    pub redirect_uri: Option<String>,
}

#[derive(Queryable)]
struct Taken {
    workspace_id: WorkspaceId,
    provider: String,
    code_verifier_enc: String,
    expires_at: DateTime<Utc>,
    return_to: Option<String>,
    browser_binding: Option<String>,
    redirect_uri: Option<String>,
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
            oauth_states::redirect_uri,
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
        redirect_uri: r.redirect_uri,
    }))
}

/// An OAuth callback that found several destinations (pages, organisations, boards) and
/// waits for a choice.
pub struct NewPending<'a> {
    pub nonce: &'a str,
    pub workspace_id: WorkspaceId,
    pub provider: &'a str,
    /// The options, each with its tokens encrypted.
    pub options: &'a serde_json::Value,
    pub return_to: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_pending(conn: &mut Conn, p: &NewPending<'_>) -> StoreResult<()> {
    use crate::schema::oauth_pending as op;
    // Choices nobody made are dropped as new ones arrive (their tokens with them).
    diesel::delete(op::table.filter(op::expires_at.lt(Utc::now()))).execute(conn).await?;
    diesel::insert_into(op::table)
        .values((
            op::nonce.eq(p.nonce),
            op::workspace_id.eq(p.workspace_id),
            op::provider.eq(p.provider),
            op::options.eq(p.options),
            op::return_to.eq(p.return_to),
            op::expires_at.eq(p.expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct Pending {
    pub workspace_id: WorkspaceId,
    pub provider: String,
    pub options: serde_json::Value,
    pub return_to: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A live pending selection of the workspace; with `take`, removed as it is read.
pub async fn pending(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    nonce: &str,
    take: bool,
) -> StoreResult<Option<Pending>> {
    use crate::schema::oauth_pending as op;
    let cols = (op::workspace_id, op::provider, op::options, op::return_to, op::expires_at);
    let of = op::table.filter(op::nonce.eq(nonce)).filter(op::workspace_id.eq(workspace_id));
    let row: Option<Pending> = if take {
        diesel::delete(of).returning(cols).get_result(conn).await.optional()?
    } else {
        of.select(cols).first(conn).await.optional()?
    };
    Ok(row.filter(|r| r.expires_at > Utc::now()))
}
