//! scheduler: owns post status. pending → scheduled, the time gate, dispatch of one
//! delivery task per delivery, scheduled → completed / canceled.

mod app;
mod commands;
mod config;
mod dispatcher;
mod events;
mod sweep;

use clap::Parser;

#[derive(Parser)]
#[command(about = "PostMantis scheduler: post status, time gate and dispatch")]
struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, env = "POSTMANTIS_CONFIG")]
    config: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::init_tracing("scheduler");
    let cli = Cli::parse();
    let config: config::Config = telemetry::load_config(cli.config.as_deref())?;
    app::run(config).await
}
