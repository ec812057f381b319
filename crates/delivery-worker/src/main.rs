//! delivery-worker: owns delivery status. Consumes delivery tasks, calls the provider,
//! settles published / failed, and retries attempts that threw.

use clap::Parser;

#[derive(Parser)]
#[command(about = "PostMantis delivery worker: one provider call per delivery task")]
struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, env = "POSTMANTIS_CONFIG")]
    config: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::init_tracing("delivery-worker");
    let cli = Cli::parse();
    let config: delivery_worker::Config = telemetry::load_config(cli.config.as_deref())?;
    // Bound here, so a test can start the service in-process on port 0 instead.
    let health = std::net::TcpListener::bind(&config.health_addr)?;
    telemetry::announce("delivery-worker", &health)?;
    delivery_worker::run(config, health).await
}
