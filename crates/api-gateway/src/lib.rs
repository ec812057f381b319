//! api-gateway: the public HTTP API, the dashboard and the MCP endpoint, plus the operator
//! commands that need the database (`migrate`, `seed-demo`, `create-key`, `connect`).

pub mod app;
mod auth;
pub mod cli;
pub mod config;
mod connect;
mod dashboard;
mod error;
mod idempotency;
mod mcp;
mod observe;
mod openapi;
mod queues;
mod ratelimit;
mod routes;
mod seed;
mod views;

pub use app::run;
pub use config::Config;
