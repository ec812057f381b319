//! collector: reads from the platforms on a schedule. Work is rows in PostgreSQL
//! (`metric_jobs`, `account_jobs`, `feeds`, `inbox_polls`) claimed with `FOR UPDATE SKIP LOCKED`, so replicas
//! share it; every provider call holds the same per-profile and per-provider leases as the
//! delivery workers. One module per job kind: `snapshots` (published posts' figures),
//! `accounts` (connected accounts' followers and posts, daily), `feeds` (feeds that
//! auto-post, fetched by `fetch`) and `inbox` (what each account's audience said to it),
//! each run by `rounds`.

mod accounts;
pub mod app;
mod caps;
pub mod config;
mod feeds;
mod fetch;
mod inbox;
mod rounds;
mod snapshots;

pub use app::run;
pub use config::Config;
