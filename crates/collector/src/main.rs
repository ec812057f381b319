//! collector: the part of PostMantis that reads from the platforms on a schedule. This
//! build collects published posts' figures (metrics snapshots).

use clap::Parser;

#[derive(Parser)]
#[command(about = "PostMantis collector: reads published posts' figures from the platforms")]
struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, env = "POSTMANTIS_CONFIG")]
    config: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::init_tracing("collector");
    let cli = Cli::parse();
    let config: collector::Config = telemetry::load_config(cli.config.as_deref())?;
    // Bound here, so a test can start the service in-process on port 0 instead.
    let health = std::net::TcpListener::bind(&config.health_addr)?;
    telemetry::announce("collector", &health)?;
    collector::run(config, health).await
}
