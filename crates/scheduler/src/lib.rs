//! scheduler: owns post status (every change is in `transitions`), the time gate, and
//! dispatch of one delivery task per delivery; and rewrite jobs (a draft rewritten by the
//! assistant after review feedback).
//!
//! Only this crate enables the store's `post-transitions`, so only here does a post
//! status write build (the application layer's docs show the same code failing there):
//!
//! ```
//! async fn publish(conn: &mut store::Conn, id: domain::PostId) -> store::StoreResult<Option<store::models::PostRow>> {
//!     store::transitions::posts::publish_draft(conn, id, None).await
//! }
//! ```

pub mod app;
mod campaigns;
mod commands;
pub mod config;
mod dispatcher;
mod events;
mod gather;
mod review;
mod rewrite;
mod sweep;
mod transitions;

pub use app::run;
pub use config::Config;
