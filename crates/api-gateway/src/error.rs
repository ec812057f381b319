//! The one mapping from failures to `application/problem+json`. Internals never leak:
//! a 500 says only that something failed, and the cause goes to the log.

use actix_web::{HttpResponse, ResponseError, http::StatusCode, http::header};
use domain::input::FieldError;
use serde_json::json;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request is invalid")]
    Validation(Vec<FieldError>),
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{}", .0.detail())]
    NotFound(Missing),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UploadNotReady(String),
    #[error("This Idempotency-Key was used with a different request; use a new key for a new request.")]
    IdempotencyKeyReused,
    #[error("Too many requests for this API key; retry after {retry_after_s} s.")]
    RateLimited { limit: u32, retry_after_s: u64 },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unavailable(String),
    /// No model for an assistant task: the configuration key to set.
    #[error("The assistant is not configured: set {0} (POSTMANTIS_{env}).", env = .0.to_ascii_uppercase().replace('.', "__"))]
    AssistantNotConfigured(String),
    /// The model declined the request.
    #[error("{0}")]
    ContentPolicy(String),
    /// A model's answer that could not be used (not what was asked, or nothing of it fits).
    #[error("{0}")]
    AssistantAnswer(String),
    #[error("internal: {0}")]
    Internal(String),
}

/// What was not found: one variant per kind, each with its own message and code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Post,
    Profile,
    Upload,
    Delivery,
    Comment,
    Campaign,
    Queue,
    Feed,
    InboxItem,
    ReviewLink,
    Webhook,
    MediaAsset,
    ApiKey,
    Platform(String),
    DashboardAction,
    Endpoint,
}

impl Missing {
    pub fn detail(&self) -> String {
        match self {
            Missing::Post => "Post was not found for the authenticated account.".into(),
            Missing::Profile => "Profile was not found for the authenticated account.".into(),
            Missing::Upload => "Upload was not found for the authenticated account.".into(),
            Missing::Delivery => "No such delivery.".into(),
            Missing::Comment => "Comment was not found on this post.".into(),
            Missing::Campaign => "Campaign was not found in this workspace.".into(),
            Missing::Queue => "Posting queue was not found in this workspace.".into(),
            Missing::Feed => "Feed was not found in this workspace.".into(),
            Missing::InboxItem => "Inbox item was not found in this workspace.".into(),
            Missing::ReviewLink => "Review link was not found in this workspace.".into(),
            Missing::Webhook => "Webhook endpoint was not found for the authenticated account.".into(),
            Missing::MediaAsset => "No such media asset.".into(),
            Missing::ApiKey => "No such live key in this workspace.".into(),
            Missing::Platform(name) => format!("Unknown platform: {name}"),
            Missing::DashboardAction => "No such action.".into(),
            Missing::Endpoint => "No such endpoint.".into(),
        }
    }

    /// (type slug, title, code)
    fn names(&self) -> (&'static str, &'static str, &'static str) {
        match self {
            Missing::Post => ("post-not-found", "Post not found", "post_not_found"),
            Missing::Profile => ("profile-not-found", "Profile not found", "profile_not_found"),
            Missing::Upload => ("upload-not-found", "Upload not found", "upload_not_found"),
            _ => ("not-found", "Not found", "not_found"),
        }
    }
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn post_not_found() -> Self {
        ApiError::NotFound(Missing::Post)
    }

    pub fn upload_not_found() -> Self {
        ApiError::NotFound(Missing::Upload)
    }

    pub fn profile_not_found() -> Self {
        ApiError::NotFound(Missing::Profile)
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, &'static str) {
        match self {
            ApiError::Validation(_) => {
                (StatusCode::BAD_REQUEST, "invalid-request", "Invalid request", "invalid_request")
            }
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden", "forbidden"),
            ApiError::NotFound(what) => {
                let (slug, title, code) = what.names();
                (StatusCode::NOT_FOUND, slug, title, code)
            }
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict", "conflict"),
            ApiError::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests", "rate_limited")
            }
            ApiError::IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
                "idempotency_key_reused",
            ),
            ApiError::UploadNotReady(_) => {
                (StatusCode::CONFLICT, "upload-not-ready", "Upload not ready", "upload_not_ready")
            }
            ApiError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "unsupported_media_type",
            ),
            ApiError::PayloadTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Payload too large", "payload_too_large")
            }
            ApiError::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "service-unavailable", "Service unavailable", "service_unavailable")
            }
            ApiError::AssistantNotConfigured(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "assistant-not-configured",
                "Assistant not configured",
                "assistant_not_configured",
            ),
            ApiError::ContentPolicy(_) => {
                (StatusCode::BAD_REQUEST, "content-policy", "Declined by the model's content policy", "content_policy")
            }
            ApiError::AssistantAnswer(_) => {
                (StatusCode::BAD_GATEWAY, "assistant-answer", "The model's answer was unusable", "assistant_answer")
            }
            ApiError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal-error", "Internal error", "internal_error")
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Pool(_) => {
                ApiError::Unavailable("The database is unavailable; nothing was written. Retry shortly.".into())
            }
            // The database went away under a statement: not our bug. A write whose answer
            // was lost may have been applied; the one where that matters (a post made)
            // names its post (`PostingError::OutcomeUnknown`).
            e if e.is_connection_lost() => ApiError::Unavailable(
                "The connection to the database was lost; retry shortly (a change this request made may have been saved: read it back first)."
                    .into(),
            ),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Db(e).into()
    }
}

impl From<posting::PostingError> for ApiError {
    fn from(e: posting::PostingError) -> Self {
        use posting::PostingError as P;
        match e {
            P::Validation(errors) => ApiError::Validation(errors),
            P::Forbidden(detail) => ApiError::Forbidden(detail),
            P::PostNotFound => ApiError::post_not_found(),
            P::DeliveryNotFound => ApiError::NotFound(Missing::Delivery),
            P::CommentNotFound => ApiError::NotFound(Missing::Comment),
            P::CampaignNotFound => ApiError::NotFound(Missing::Campaign),
            P::QueueNotFound => ApiError::NotFound(Missing::Queue),
            P::FeedNotFound => ApiError::NotFound(Missing::Feed),
            P::InboxItemNotFound => ApiError::NotFound(Missing::InboxItem),
            P::ProfileNotFound => ApiError::profile_not_found(),
            P::Conflict(detail) => ApiError::Conflict(detail),
            P::TooSoon(retry_after_s) => ApiError::RateLimited { limit: 1, retry_after_s },
            P::OutcomeUnknown(_) => ApiError::Unavailable(e.to_string()),
            P::Store(e) => e.into(),
            P::Bus(e) => e.into(),
        }
    }
}

impl From<assistant::AssistantError> for ApiError {
    fn from(e: assistant::AssistantError) -> Self {
        use assistant::AssistantError as A;
        match e {
            A::NotConfigured(key) => ApiError::AssistantNotConfigured(key),
            A::ContentPolicy(why) => ApiError::ContentPolicy(format!("The model declined (content policy): {why}")),
            A::Unavailable(why) => {
                ApiError::Unavailable(format!("The assistant's model server is unavailable ({why}); retry shortly."))
            }
            A::BadAnswer(why) => ApiError::AssistantAnswer(format!("The model's answer could not be used: {why}")),
            A::Unfit(why) => ApiError::AssistantAnswer(format!("The model's answer could not be made to fit: {why}")),
        }
    }
}

impl From<storage::StorageError> for ApiError {
    fn from(e: storage::StorageError) -> Self {
        match e {
            storage::StorageError::TooLarge { max } => {
                ApiError::PayloadTooLarge(format!("The file is larger than {max} bytes."))
            }
            storage::StorageError::Source(why) => ApiError::field("", format!("the body could not be read: {why}")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<bus::BusError> for ApiError {
    fn from(e: bus::BusError) -> Self {
        tracing::warn!(error = %e, "message bus");
        match e {
            bus::BusError::Decode(d) => ApiError::Internal(d),
            // Delivered but unanswered: the owner may still apply it, so say so.
            bus::BusError::Timeout(_) => ApiError::Unavailable(
                "A PostMantis service did not answer in time; the change may still be applied. Read the post before retrying."
                    .into(),
            ),
            _ => ApiError::Unavailable("A PostMantis service is unreachable; nothing was changed. Retry shortly.".into()),
        }
    }
}

impl ApiError {
    /// What the caller is told (the problem's `detail`); never an internal cause.
    pub fn detail(&self) -> String {
        match self {
            ApiError::Validation(errs) => match errs.as_slice() {
                [one] => format!("{}: {}", if one.field.is_empty() { "body" } else { &one.field }, one.message),
                many => {
                    let all: Vec<String> = many.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
                    format!("{} fields are invalid: {}", many.len(), all.join("; "))
                }
            },
            ApiError::Unauthorized => "Missing or invalid API key.".into(),
            ApiError::Internal(_) => "Something went wrong on our side; nothing was written.".into(),
            other => other.to_string(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, slug, title, code) = self.parts();
        if let ApiError::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
        let detail = self.detail();
        let mut body = json!({"type": format!("/problems/{slug}"), "title": title, "status": status.as_u16(), "detail": detail, "code": code});
        if let ApiError::Validation(errs) = self {
            body["errors"] = json!(errs);
        }
        let mut resp = HttpResponse::build(status);
        resp.content_type("application/problem+json");
        match self {
            ApiError::Unavailable(_) => {
                resp.insert_header((header::RETRY_AFTER, "2"));
            }
            ApiError::RateLimited { limit, retry_after_s } => {
                resp.insert_header((header::RETRY_AFTER, retry_after_s.to_string()));
                resp.insert_header(("RateLimit-Limit", limit.to_string()));
                resp.insert_header(("RateLimit-Remaining", "0"));
                resp.insert_header(("RateLimit-Reset", retry_after_s.to_string()));
            }
            ApiError::Unauthorized => {
                resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        resp.body(body.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
