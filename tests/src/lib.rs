//! Harness for the end-to-end tests: one whole PostMantis stack per test, as separate
//! processes, against the machine's real PostgreSQL and RabbitMQ. Each stack has its own
//! database and queue prefix, so tests run side by side.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod dashboard;
pub mod feeds;
pub mod files;
pub mod otlp;
mod proxy;
pub mod report;
mod stack;

pub use proxy::Proxy;
pub use stack::{Options, Stack};
