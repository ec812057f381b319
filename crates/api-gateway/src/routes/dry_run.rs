//! `POST /api/posts?dry_run=true`: the application layer's dry run (`posting::dry_run`).

use actix_web::web;

/// `?dry_run=true` (or `1`).
pub fn requested(req: &actix_web::HttpRequest) -> bool {
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("dry_run").cloned())
        .is_some_and(|v| v == "true" || v == "1")
}
