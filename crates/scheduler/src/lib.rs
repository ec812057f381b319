//! scheduler: owns post status. pending → scheduled, the time gate, dispatch of one
//! delivery task per delivery, scheduled → completed / canceled.

pub mod app;
mod commands;
pub mod config;
mod dispatcher;
mod events;
mod sweep;

pub use app::run;
pub use config::Config;
