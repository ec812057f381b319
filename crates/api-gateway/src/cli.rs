//! The command line: serve the API, or run an operator command.

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
    CreateKey(crate::seed::KeyArgs),
    /// Connect a profile: prints the provider's authorization URL (with --follow, plays the
    /// browser against provider-sim). Bluesky takes --identifier and --app-password.
    Connect(crate::seed::ConnectArgs),
    /// Create an empty workspace and print its id.
    CreateWorkspace {
        #[arg(long)]
        name: String,
    },
}

/// Parses the command line and runs the command (serving the API by default, with what
/// `mount` adds on the same server: the dashboard).
pub async fn main(mount: crate::app::Mount) -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config: crate::config::Config = telemetry::load_config(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let mut config = config;
            let listener = std::net::TcpListener::bind(&config.http_addr)?;
            let url = telemetry::announce("api-gateway", &listener)?;
            if config.public_url.is_empty() {
                config.public_url = url;
            }
            crate::app::run(config, listener, mount)?.await?;
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
        Command::SeedDemo => crate::seed::demo(&config).await?,
        Command::CreateKey(args) => crate::seed::create_key(&config, args).await?,
        Command::CreateWorkspace { name } => crate::seed::create_workspace(&config, &name).await?,
        Command::Connect(args) => crate::seed::connect(&config, args).await?,
    }
    Ok(())
}
