//! delivery-worker: owns delivery status (every change is in `transitions`). Consumes
//! delivery tasks, calls the provider, settles published / failed, and retries attempts
//! that threw.

pub mod app;
pub mod config;
mod deliver;
mod parts;
mod request;
mod sweep;
mod transitions;
mod turns;
mod webhooks;

pub use app::run;
pub use config::Config;
