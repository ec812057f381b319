//! delivery-worker: owns delivery status. Consumes delivery tasks, calls the provider,
//! settles published / failed, and retries attempts that threw.

pub mod app;
pub mod config;
mod deliver;
mod limits;
mod request;
mod sweep;
mod tokens;
mod webhooks;

pub use app::run;
pub use config::Config;
