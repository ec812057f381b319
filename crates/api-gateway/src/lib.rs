//! api-gateway: the public HTTP API and the MCP endpoint, the state and the pieces the
//! dashboard (its own crate, mounted on the same server) shares with them, plus the
//! operator commands that need the database (`migrate`, `seed-demo`, `create-key`,
//! `connect`). The binary (`crates/gateway-server`) mounts both.

pub mod agency;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod connect;
pub mod error;
mod idempotency;
pub mod library;
mod mcp;
mod observe;
mod openapi;
pub mod queues;
pub mod ratelimit;
pub mod routes;
mod seed;
pub mod views;

pub use app::run;
pub use config::Config;
