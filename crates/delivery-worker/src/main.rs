//! delivery-worker: owns delivery status. Consumes delivery tasks, calls the provider,
//! settles published / failed, and retries attempts that threw.

mod app;
mod config;
mod deliver;
mod limits;
mod request;
mod sweep;
mod tokens;
mod webhooks;

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
    let config: config::Config = telemetry::load_config(cli.config.as_deref())?;
    app::run(config).await
}
