//! The agency surface: seed 002's routes under `/api/v1/social` (and
//! `/api/v1/organizations`), its `{success, data, error, meta}` envelope, `X-Org-Id`
//! tenancy, its names and statuses. A translation over the application layer
//! (`posting`) and the native rules; PostMantis's own API stays the primary contract.

mod accounts;
mod ai;
mod analytics;
pub mod auth;
mod campaigns;
pub mod envelope;
mod health;
mod inbox;
pub mod limits;
mod media;
mod names;
mod oauth;
pub mod openapi;
mod organizations;
mod platforms;
mod posts;
mod query;
mod review;
mod rss;

use actix_web::{Route, web};

use envelope::AgencyError;

/// Registers `path` and `path/`: the seed's agents call both forms.
fn both(cfg: &mut web::ServiceConfig, path: &str, route: impl Fn() -> Route) {
    cfg.route(path, route());
    cfg.route(&format!("{path}/"), route());
}

/// The routes under `/api/v1/social`.
pub fn social(cfg: &mut web::ServiceConfig) {
    both(cfg, "/platforms", || web::get().to(platforms::list));
    both(cfg, "/platforms/{platform}", || web::get().to(platforms::get));
    both(cfg, "/health", || web::get().to(health::get));
    both(cfg, "/accounts", || web::get().to(accounts::list));
    both(cfg, "/accounts", || web::post().to(accounts::register));
    both(cfg, "/accounts/confirm", || web::post().to(oauth::confirm));
    both(cfg, "/accounts/{id}", || web::get().to(accounts::get));
    both(cfg, "/accounts/{id}", || web::put().to(accounts::update));
    both(cfg, "/accounts/{id}", || web::delete().to(accounts::delete));
    both(cfg, "/accounts/{id}/set-default", || web::put().to(accounts::set_default));
    both(cfg, "/oauth/pending/{nonce}", || web::get().to(oauth::pending));
    both(cfg, "/oauth/{platform}", || web::get().to(oauth::start));
    both(cfg, "/oauth/{platform}/callback", || web::get().to(oauth::callback));
    both(cfg, "/posts", || web::get().to(posts::list));
    both(cfg, "/posts", || web::post().to(posts::create));
    both(cfg, "/posts/bulk", || web::post().guard(actix_web::guard::fn_guard(posts::is_multipart)).to(posts::bulk_csv));
    both(cfg, "/posts/bulk", || web::post().to(posts::bulk));
    both(cfg, "/posts/pending", || web::get().to(review::pending));
    both(cfg, "/posts/{id}/submit", || web::post().to(review::submit));
    both(cfg, "/posts/{id}/qa-approve", || web::post().to(review::qa_approve));
    both(cfg, "/posts/{id}/qa-reject", || web::post().to(review::qa_reject));
    both(cfg, "/posts/{id}/client-approve", || web::post().to(review::client_approve));
    both(cfg, "/posts/{id}/client-reject", || web::post().to(review::client_reject));
    both(cfg, "/posts/{id}/regenerate", || web::post().to(review::regenerate));
    both(cfg, "/posts/{id}/approve", || web::post().to(review::approve));
    both(cfg, "/posts/{id}/comments", || web::get().to(review::comments));
    both(cfg, "/posts/{id}/comments", || web::post().to(review::add_comment));
    both(cfg, "/posts/{id}/comments/{comment_id}", || web::patch().to(review::pick_up_comment));
    both(cfg, "/posts/{id}/comments/{comment_id}", || web::delete().to(review::delete_comment));
    both(cfg, "/posts/{id}/download", || web::get().to(review::download));
    both(cfg, "/vault", || web::get().to(review::vault));
    both(cfg, "/posts/{id}", || web::get().to(posts::get));
    both(cfg, "/posts/{id}", || web::put().to(posts::update));
    both(cfg, "/posts/{id}", || web::delete().to(posts::delete));
    both(cfg, "/posts/{id}/publish", || web::post().to(posts::publish));
    both(cfg, "/media/upload", || web::post().to(media::upload));
    both(cfg, "/media", || web::get().to(media::list));
    both(cfg, "/media", || web::post().to(media::register));
    both(cfg, "/media/{id}", || web::get().to(media::get));
    both(cfg, "/media/{id}", || web::delete().to(media::delete));
    both(cfg, "/analytics", || web::get().to(analytics::list));
    both(cfg, "/analytics/{id}", || web::get().to(analytics::get));
    both(cfg, "/analytics/{id}", || web::post().to(analytics::refresh));
    both(cfg, "/stats", || web::get().to(analytics::stats));
    both(cfg, "/ai/best-time", || web::get().to(analytics::best_time));
    both(cfg, "/inbox", || web::get().to(inbox::list));
    both(cfg, "/inbox", || web::post().to(inbox::create));
    both(cfg, "/inbox/poll", || web::post().to(inbox::poll));
    both(cfg, "/inbox/webhook", || web::post().to(inbox::webhook));
    both(cfg, "/inbox/{id}", || web::get().to(inbox::get));
    both(cfg, "/inbox/{id}", || web::patch().to(inbox::update));
    both(cfg, "/inbox/{id}", || web::delete().to(inbox::delete));
    both(cfg, "/inbox/{id}/reply", || web::post().to(inbox::reply));
    both(cfg, "/rss/feeds", || web::get().to(rss::list));
    both(cfg, "/rss/feeds", || web::post().to(rss::create));
    both(cfg, "/rss/feeds/{id}", || web::get().to(rss::get));
    both(cfg, "/rss/feeds/{id}", || web::patch().to(rss::update));
    both(cfg, "/rss/feeds/{id}", || web::delete().to(rss::delete));
    both(cfg, "/rss/feeds/{id}", || web::post().to(rss::act));
    both(cfg, "/ai/generate", || web::post().to(ai::generate));
    both(cfg, "/ai/hashtags", || web::post().to(ai::hashtags));
    both(cfg, "/ai/repurpose", || web::post().to(ai::repurpose));
    both(cfg, "/ai/image", || web::post().to(ai::image));
    both(cfg, "/ai/image-templates", || web::get().to(ai::image_templates));
    both(cfg, "/x/reply-suggestions", || web::get().to(ai::reply_suggestions));
    cfg.route("/openapi.json", web::get().to(crate::openapi::serve_agency));
}

/// `/api/v1/organizations`.
/// The client portal's routes under `/api/v1/portal/social`.
pub fn portal(cfg: &mut web::ServiceConfig) {
    both(cfg, "/posts/{id}/publish-now", || web::post().to(review::publish_now));
    both(cfg, "/posts/{id}/reschedule", || web::post().to(review::reschedule));
}

pub fn organizations(cfg: &mut web::ServiceConfig) {
    both(cfg, "/organizations", || web::get().to(organizations::list));
}

/// Seed 002's campaigns, outside `/social`: the routes under `/api/v1/campaigns`.
pub fn campaigns(cfg: &mut web::ServiceConfig) {
    both(cfg, "", || web::get().to(campaigns::list));
    both(cfg, "", || web::post().to(campaigns::create));
    both(cfg, "/{id}", || web::get().to(campaigns::get));
    both(cfg, "/{id}", || web::patch().to(campaigns::update));
    both(cfg, "/{id}/schedule", || web::post().to(campaigns::schedule));
}

/// Extractor failures (a body that is not JSON, a bad path) in the envelope too.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(1024 * 1024).error_handler(|e, _| {
        AgencyError::bad_request(format!("Validation error: the body is not valid JSON: {e}")).into()
    })
}

/// Anything under `/api/v1/social` that is not a route.
pub async fn not_found() -> Result<actix_web::HttpResponse, AgencyError> {
    Err(AgencyError::not_found("Not found"))
}
