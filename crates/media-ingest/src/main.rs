//! media-ingest: owns assets and media status. Turns remote URLs, upload sessions and
//! multipart files into verified, owned assets before a post is accepted, marks a post's
//! media processed when the post moves on, and removes what was never used.

use clap::Parser;

#[derive(Parser)]
#[command(about = "PostMantis media ingest: owned assets and media status")]
struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, env = "POSTMANTIS_CONFIG")]
    config: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::init_tracing("media-ingest");
    let cli = Cli::parse();
    let config: media_ingest::Config = telemetry::load_config(cli.config.as_deref())?;
    // Bound here, so a test can start the service in-process on port 0 instead.
    let health = std::net::TcpListener::bind(&config.health_addr)?;
    telemetry::announce("media-ingest", &health)?;
    media_ingest::run(config, health).await
}
