//! media-ingest: owns media status. Turns remote URLs into owned assets before a post is
//! accepted, and marks a post's media processed when the post moves on.

mod app;
mod config;
mod fetch;
mod handlers;

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
    telemetry::init_tracing("media-ingest");
    let cli = Cli::parse();
    let config: config::Config = telemetry::load_config(cli.config.as_deref())?;
    app::run(config).await
}
