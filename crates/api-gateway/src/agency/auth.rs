//! Who calls the agency surface: `Authorization: Bearer <API key>` and `X-Org-Id: <workspace
//! id>`, checked in that order (a good key without the header gets the seed's tenant-header
//! error, not a 401). `orgId` in the query or body may repeat the organisation; it must
//! agree. Key scopes and visibility are the native API's.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use domain::WorkspaceId;
use serde_json::Value;

use super::envelope::{AgencyError, AgencyResult};
use super::limits::Budget;
use crate::{app::AppState, auth::Caller, error::ApiError};

pub const ORG_HEADER: &str = "x-org-id";

/// An authenticated caller of one organisation (workspace).
pub struct Org {
    pub caller: Caller,
    pub org: WorkspaceId,
}

impl std::ops::Deref for Org {
    type Target = posting::Caller;

    fn deref(&self) -> &posting::Caller {
        &self.caller
    }
}

impl Org {
    /// `orgId` given in a body must name the same organisation.
    pub fn check_body(&self, body: &Value) -> AgencyResult<()> {
        match body.get("orgId") {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(s)) if uuid::Uuid::parse_str(s).ok() == Some(self.org.uuid()) => Ok(()),
            Some(_) => Err(AgencyError::forbidden("orgId does not match X-Org-Id")),
        }
    }
}

/// The key of the request, without an organisation (`GET /api/v1/organizations`).
pub async fn key_only(state: &AppState, req: &HttpRequest) -> AgencyResult<Caller> {
    let token = crate::auth::bearer(req).ok_or(ApiError::Unauthorized)?;
    let caller = crate::auth::authenticate(state, &token).await?;
    state.agency_limiter.spend(caller.actor.id(), Budget::of(req.path()))?;
    Ok(caller)
}

impl FromRequest for Org {
    type Error = AgencyError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::Internal("state missing".into()))?;
            let caller = key_only(&state, &req).await?;
            let header = req.headers().get(ORG_HEADER).and_then(|v| v.to_str().ok()).map(str::trim);
            let Some(header) = header.filter(|h| !h.is_empty()) else {
                return Err(AgencyError::bad_request("X-Org-Id header is required for AI agent requests"));
            };
            let mine = caller.scope.workspace_id;
            if uuid::Uuid::parse_str(header).ok() != Some(mine.uuid()) {
                return Err(AgencyError::forbidden(format!(
                    "Forbidden: this key has no access to organisation {header}"
                )));
            }
            let query: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
            if query.iter().any(|(k, v)| k == "orgId" && uuid::Uuid::parse_str(v).ok() != Some(mine.uuid())) {
                return Err(AgencyError::forbidden("orgId does not match X-Org-Id"));
            }
            Ok(Org { caller, org: mine })
        })
    }
}
