//! collector: reads from the platforms on a schedule. Work is rows in PostgreSQL
//! (`metric_jobs`) claimed with `FOR UPDATE SKIP LOCKED`, so replicas share it; every
//! provider call holds the same per-profile and per-provider leases as the delivery
//! workers. One module per job kind: `snapshots` (published posts' figures).

pub mod app;
pub mod config;
mod snapshots;

pub use app::run;
pub use config::Config;
