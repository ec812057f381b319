//! media-ingest: owns assets and media status. Turns remote URLs, upload sessions and
//! multipart files into verified, owned assets before a post is accepted, marks a post's
//! media processed when the post moves on (every media status change is in
//! `transitions`), and removes what was never used.

pub mod app;
pub mod config;
mod fetch;
mod handlers;
mod ingest;
mod janitor;
mod transitions;

pub use app::run;
pub use config::Config;
