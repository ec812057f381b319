//! The seed's envelope, `{success, data, error, meta}`, and the one mapping of failures to
//! it: the native errors keep their status codes; the message is one readable string.

use actix_web::{HttpResponse, ResponseError, http::StatusCode, http::header};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::ApiError;

/// A success: `data`, and `meta` when the list is paged.
pub fn ok(status: StatusCode, data: impl Serialize) -> HttpResponse {
    HttpResponse::build(status).json(json!({"success": true, "data": data, "error": null, "meta": null}))
}

/// A page of a list: `meta {total, page, limit}`.
pub fn page(data: impl Serialize, total: i64, page: i64, limit: i64) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "success": true, "data": data, "error": null,
        "meta": {"total": total, "page": page, "limit": limit},
    }))
}

/// What the agency surface refuses: a status and the seed's kind of message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AgencyError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after_s: Option<u64>,
}

impl AgencyError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), retry_after_s: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }
}

impl From<ApiError> for AgencyError {
    fn from(e: ApiError) -> Self {
        let status = e.status_code();
        let message = match &e {
            ApiError::Unauthorized => "Unauthorized".to_owned(),
            ApiError::Validation(_) => format!("Validation error: {}", e.detail()),
            _ => e.detail(),
        };
        if let ApiError::Internal(cause) = &e {
            tracing::error!(%cause, "agency request failed");
        }
        let retry_after_s = match e {
            ApiError::RateLimited { retry_after_s, .. } => Some(retry_after_s),
            ApiError::Unavailable(_) => Some(2),
            _ => None,
        };
        Self { status, message, retry_after_s }
    }
}

impl From<posting::PostingError> for AgencyError {
    fn from(e: posting::PostingError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<store::StoreError> for AgencyError {
    fn from(e: store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<diesel::result::Error> for AgencyError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::from(e).into()
    }
}

impl ResponseError for AgencyError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status);
        if let Some(s) = self.retry_after_s {
            resp.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        resp.json(json!({"success": false, "data": Value::Null, "error": self.message, "meta": Value::Null}))
    }
}

pub type AgencyResult<T> = Result<T, AgencyError>;

/// A JSON body of the agency surface: valid JSON (else 400 in the envelope), with no NUL
/// character anywhere (PostgreSQL's text cannot hold one), named by its path.
pub struct Body(pub Value);

impl std::ops::Deref for Body {
    type Target = Value;

    fn deref(&self) -> &Value {
        &self.0
    }
}

impl actix_web::FromRequest for Body {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &actix_web::HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let json = actix_web::web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let v = json.await?.into_inner();
            domain::input::nul_free(&v)
                .map_err(|e| AgencyError::bad_request(format!("Validation error: {}: {}", e.field, e.message)))?;
            Ok(Body(v))
        })
    }
}
