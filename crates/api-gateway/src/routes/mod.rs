//! The public API. Mounted twice: under `/api` and `/api/v1`, same handlers, same JSON.

use actix_web::web;

pub mod analytics;
pub mod assistant;
pub mod bulk;
pub mod campaigns;
mod dry_run;
pub mod events;
pub mod feeds;
pub mod health;
pub mod inbox;
pub mod logs;
pub mod media;
pub mod metrics;
mod multipart;
pub mod platforms;
pub mod posts;
pub mod profiles;
pub mod queues;
pub mod reply_topics;
pub mod request;
pub mod review;
pub mod review_links;
pub mod rewrites;
pub mod uploads;
pub mod vault;
pub mod webhooks;

pub use multipart::{is_multipart as multipart_form, read as read_multipart};

pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health))
        .route("/openapi.json", web::get().to(crate::openapi::serve))
        .route("/profiles", web::get().to(profiles::list))
        .route("/profiles/{id}", web::get().to(profiles::get))
        .route("/profiles/{id}/disconnect", web::post().to(profiles::disconnect))
        .route("/profiles/{id}/queues", web::get().to(queues::list))
        .route("/profiles/{id}/queues", web::post().to(queues::create))
        .route("/queues/{id}", web::get().to(queues::get))
        .route("/queues/{id}", web::patch().to(queues::update))
        .route("/queues/{id}", web::delete().to(queues::delete))
        .route("/inbox", web::get().to(inbox::list))
        .route("/inbox/poll", web::post().to(inbox::poll))
        .route("/inbox/{id}", web::get().to(inbox::get))
        .route("/inbox/{id}", web::patch().to(inbox::update))
        .route("/inbox/{id}", web::delete().to(inbox::delete))
        .route("/inbox/{id}/reply", web::post().to(inbox::reply))
        .route("/inbound/{provider}", web::get().to(inbox::inbound_check))
        .route("/inbound/{provider}", web::post().to(inbox::inbound))
        .route("/feeds", web::get().to(feeds::list))
        .route("/feeds", web::post().to(feeds::create))
        .route("/feeds/{id}", web::get().to(feeds::get))
        .route("/feeds/{id}", web::patch().to(feeds::update))
        .route("/feeds/{id}", web::delete().to(feeds::delete))
        .route("/feeds/{id}/check", web::post().to(feeds::check))
        .route("/feeds/{id}/pause", web::post().to(feeds::pause))
        .route("/feeds/{id}/resume", web::post().to(feeds::resume))
        .route("/posts", web::get().to(posts::list))
        .route("/posts", web::post().to(posts::create))
        // Before `/posts/{id}`, which would take the path.
        .route("/posts/bulk", web::post().to(bulk::create))
        .route("/posts/{id}", web::get().to(posts::get))
        .route("/posts/{id}", web::patch().to(posts::patch))
        .route("/posts/{id}", web::delete().to(posts::delete))
        .route("/posts/{id}/publish", web::post().to(posts::publish))
        .route("/posts/{id}/cancel", web::post().to(posts::cancel))
        .route("/posts/{id}/review", web::post().to(review::step))
        .route("/posts/{id}/comments", web::get().to(review::comments))
        .route("/posts/{id}/comments", web::post().to(review::comment))
        .route("/posts/{id}/comments/{comment_id}", web::patch().to(review::pick_up))
        .route("/posts/{id}/comments/{comment_id}", web::delete().to(review::delete_comment))
        .route("/posts/{id}/versions", web::get().to(review::versions))
        .route("/posts/{id}/metrics", web::get().to(metrics::get))
        .route("/stats", web::get().to(analytics::stats))
        .route("/analytics", web::get().to(analytics::by_day))
        .route("/analytics/profiles", web::get().to(analytics::by_profile))
        .route("/analytics/best-times", web::get().to(analytics::best_times))
        .route("/posts/{id}/metrics/refresh", web::post().to(metrics::refresh))
        .route("/campaigns", web::get().to(campaigns::list))
        .route("/campaigns", web::post().to(campaigns::create))
        .route("/campaigns/{id}", web::get().to(campaigns::get))
        .route("/campaigns/{id}", web::patch().to(campaigns::update))
        .route("/campaigns/{id}", web::delete().to(campaigns::delete))
        .route("/campaigns/{id}/schedule", web::post().to(campaigns::schedule))
        .route("/review-links", web::post().to(review_links::create))
        .route("/review-links", web::get().to(review_links::list))
        .route("/review-links/{id}", web::delete().to(review_links::revoke))
        .route("/vault", web::get().to(vault::list))
        .route("/posts/{id}/download", web::get().to(vault::download))
        .route("/workspace", web::get().to(review::settings))
        .route("/workspace", web::patch().to(review::update_settings))
        .route("/posts/{id}/rewrite", web::post().to(rewrites::request))
        .route("/posts/{id}/rewrites", web::get().to(rewrites::list))
        .route("/publish/logs", web::get().to(logs::list))
        .route("/events", web::get().to(events::stream))
        .route("/webhooks", web::post().to(webhooks::create))
        .route("/webhooks", web::get().to(webhooks::list))
        .route("/webhooks/{id}", web::delete().to(webhooks::delete))
        .route("/webhooks/{id}/attempts", web::get().to(webhooks::attempts))
        .route("/platforms", web::get().to(platforms::list))
        .route("/platforms/{provider}", web::get().to(platforms::get))
        .route("/uploads", web::post().to(uploads::create))
        .route("/uploads/{id}/complete", web::post().to(uploads::complete))
        .route("/assistant/captions", web::post().to(assistant::captions))
        .route("/assistant/hashtags", web::post().to(assistant::hashtags))
        .route("/assistant/repurpose", web::post().to(assistant::repurpose))
        .route("/assistant/fit", web::post().to(assistant::fit))
        .route("/assistant/images", web::post().to(assistant::images))
        .route("/assistant/image-templates", web::get().to(assistant::image_templates))
        .route("/assistant/reply-topics", web::get().to(reply_topics::list))
        .route("/assistant/reply-topics", web::put().to(reply_topics::replace));
}
