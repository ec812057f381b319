//! The dashboard's stylesheet and its one script, compiled in: no build step, nothing
//! fetched from the internet.

use actix_web::{HttpResponse, http::header};

const CSS: &str = include_str!("app.css");
const JS: &str = include_str!("app.js");

pub async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(CSS)
}

pub async fn js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(JS)
}
