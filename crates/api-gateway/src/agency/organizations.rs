//! `GET /api/v1/organizations`: the organisation (workspace) the key belongs to. No
//! `X-Org-Id` needed: this is how an agent learns it.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::json;

use super::{
    auth,
    envelope::{AgencyResult, ok},
};
use crate::app::AppState;

pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> AgencyResult<HttpResponse> {
    let caller = auth::key_only(&state, &req).await?;
    let id = caller.scope.workspace_id;
    let mut conn = state.pool.get().await?;
    let name = store::workspaces::name(&mut conn, id).await?.unwrap_or_default();
    Ok(ok(StatusCode::OK, vec![json!({"id": id, "name": name})]))
}
