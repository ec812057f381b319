//! api-gateway: the public HTTP API. Also carries the operator commands that need the
//! database: `migrate`, `seed-demo`, `create-key`.

mod app;
mod auth;
mod config;
mod connect;
mod dashboard;
mod error;
mod idempotency;
mod mcp;
mod observe;
mod openapi;
mod queues;
mod ratelimit;
mod routes;
mod seed;
mod views;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "PostMantis API gateway")]
struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, env = "POSTMANTIS_CONFIG", global = true)]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Create the database if needed, apply pending migrations and exit.
    Migrate,
    /// Create (or reuse) the demo workspace with one sandbox profile per provider, pointing
    /// at provider-sim, and print a new write key.
    SeedDemo,
    /// Create an API key and print it (shown once; only its hash is stored).
    CreateKey(seed::KeyArgs),
    /// Connect a profile: prints the provider's authorization URL (with --follow, plays the
    /// browser against provider-sim). Bluesky takes --identifier and --app-password.
    Connect(seed::ConnectArgs),
    /// Create an empty workspace and print its id.
    CreateWorkspace {
        #[arg(long)]
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::init_tracing("api-gateway");
    let cli = Cli::parse();
    let config: config::Config = telemetry::load_config(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let mut config = config;
            let listener = std::net::TcpListener::bind(&config.http_addr)?;
            let url = telemetry::announce("api-gateway", &listener)?;
            if config.public_url.is_empty() {
                config.public_url = url;
            }
            app::run(config, listener)?.await?;
        }
        Command::Migrate => {
            if store::migrate::ensure_database(&config.common.database_url).await? {
                println!("database created");
            }
            let applied = store::migrate::run(&config.common.database_url).await?;
            println!(
                "migrations applied: {}",
                if applied.is_empty() { "none pending".into() } else { applied.join(", ") }
            );
        }
        Command::SeedDemo => seed::demo(&config).await?,
        Command::CreateKey(args) => seed::create_key(&config, args).await?,
        Command::CreateWorkspace { name } => seed::create_workspace(&config, &name).await?,
        Command::Connect(args) => seed::connect(&config, args).await?,
    }
    Ok(())
}
