//! scheduler: owns post status. pending → scheduled, the time gate, dispatch of one
//! delivery task per delivery, scheduled → completed / canceled.

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
    let config: scheduler::Config = telemetry::load_config(cli.config.as_deref())?;
    // Bound here, so a test can start the service in-process on port 0 instead.
    let health = std::net::TcpListener::bind(&config.health_addr)?;
    telemetry::announce("scheduler", &health)?;
    scheduler::run(config, health).await
}
