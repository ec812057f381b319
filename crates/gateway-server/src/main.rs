//! api-gateway: the public HTTP API, the MCP endpoint and the dashboard on one server, and
//! the operator commands (see `api_gateway::cli`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _traces = telemetry::init_tracing("api-gateway");
    api_gateway::cli::main(dashboard::routes).await
}
