//! provider-sim: a local stand-in for the providers' HTTP APIs, serving the request shapes
//! the adapters speak, with fault injection per account. The embedded target of `make run`
//! and the test double of every test; never used by production configuration.

use clap::Parser;

#[derive(Parser)]
#[command(about = "Local stand-in for the social providers' APIs")]
struct Cli {
    /// Address to listen on (port 0 picks a free one; the chosen address is printed).
    #[arg(long, env = "POSTMANTIS_SIM_ADDR", default_value = "127.0.0.1:8090")]
    addr: String,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::init_tracing("provider-sim");
    let cli = Cli::parse();
    let listener = std::net::TcpListener::bind(&cli.addr)?;
    let url = telemetry::announce("provider-sim", &listener)?;
    provider_sim::run(listener, url)?.await?;
    Ok(())
}
