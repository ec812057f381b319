//! Operator commands: the demo workspace with its user, and API keys for scripts (people
//! create theirs in the dashboard).

use domain::{ProfileId, WorkspaceId};

use domain::Provider;
use store::models::ProfileRow;
use uuid::Uuid;

use crate::{auth, config::Config};

/// The demo workspace has a fixed id so `make run` reuses it across restarts.
pub const DEMO_WORKSPACE: WorkspaceId = WorkspaceId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_d3e0));

#[derive(clap::Args)]
pub struct KeyArgs {
    #[arg(long)]
    workspace: WorkspaceId,
    /// read or write
    #[arg(long, default_value = "write")]
    permission: String,
    /// Limit the key to these providers (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    providers: Option<Vec<String>>,
    /// Limit the key to these profiles (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    profiles: Option<Vec<ProfileId>>,
    #[arg(long, default_value = "cli key")]
    name: String,
    /// `publish`, `draft_only` (creates and submits, never publishes or approves) or
    /// `approval_required` (what it makes passes review; it never approves its own).
    #[arg(long, default_value = "publish")]
    policy: String,
}

async fn mint(conn: &mut store::Conn, workspace_id: WorkspaceId, args: &KeyArgs) -> anyhow::Result<String> {
    let spec = auth::KeySpec {
        name: &args.name,
        permission: &args.permission,
        providers: args.providers.clone(),
        profile_ids: args.profiles.clone(),
        policy: &args.policy,
    };
    auth::create_key(conn, workspace_id, spec).await.map_err(|e| anyhow::anyhow!(e.detail()))
}

pub async fn create_key(config: &Config, args: KeyArgs) -> anyhow::Result<()> {
    let pool = store::connect_pool(&config.common.database_url, 1)?;
    let mut conn = pool.get().await?;
    let key = mint(&mut conn, args.workspace, &args).await?;
    println!("API key: {key}");
    Ok(())
}

pub async fn create_workspace(config: &Config, name: &str) -> anyhow::Result<()> {
    let pool = store::connect_pool(&config.common.database_url, 1)?;
    let mut conn = pool.get().await?;
    let id = WorkspaceId::new();
    store::workspaces::insert(&mut conn, id, name).await?;
    println!("Workspace: {id}");
    Ok(())
}

fn public_url(config: &Config) -> String {
    if config.public_url.is_empty() { format!("http://{}", config.http_addr) } else { config.public_url.clone() }
}

#[derive(clap::Args)]
pub struct ConnectArgs {
    #[arg(long)]
    workspace: WorkspaceId,
    #[arg(long)]
    provider: String,
    /// The account to sign in as at provider-sim.
    #[arg(long)]
    login: Option<String>,
    /// Follow the authorization redirect and the callback (provider-sim approves at once).
    #[arg(long)]
    follow: bool,
    /// Bluesky: the handle.
    #[arg(long)]
    identifier: Option<String>,
    /// Bluesky: an app password.
    #[arg(long)]
    app_password: Option<String>,
}

pub async fn connect(config: &Config, args: ConnectArgs) -> anyhow::Result<()> {
    let pool = store::connect_pool(&config.common.database_url, 1)?;
    let mut conn = pool.get().await?;
    let row = connect_one(config, &mut conn, &args).await?;
    if let Some(row) = row {
        println!("Profile: {} {} ({})", row.provider, row.id, row.name);
    }
    Ok(())
}

async fn connect_one(
    config: &Config,
    conn: &mut store::Conn,
    args: &ConnectArgs,
) -> anyhow::Result<Option<ProfileRow>> {
    let provider: Provider = args.provider.parse()?;
    let secrets = config.token_secret()?;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    if provider == Provider::Bluesky {
        let (Some(id), Some(pw)) = (&args.identifier, &args.app_password) else {
            anyhow::bail!("Bluesky connects with --identifier <handle> and --app-password <app password>");
        };
        let row = crate::connect::bluesky(conn, &http, &config.providers, &secrets, args.workspace, id, pw)
            .await
            .map_err(|e| anyhow::anyhow!(e.detail()))?;
        return Ok(Some(row));
    }
    let started = crate::connect::start(
        conn,
        &config.providers,
        &secrets,
        &public_url(config),
        crate::connect::Start {
            workspace_id: args.workspace,
            provider,
            login_hint: args.login.as_deref(),
            return_to: None,
            bind_browser: false,
            redirect_uri: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.detail()))?;
    let url = started.url;
    if !args.follow {
        println!("Open: {url}");
        return Ok(None);
    }
    // Play the browser: the authorization server redirects to our callback.
    let approved = http.get(&url).send().await?;
    let back = approved
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| anyhow::anyhow!("the authorization server answered {} without a redirect", approved.status()))?
        .to_owned();
    let done = http.get(&back).send().await?;
    let status = done.status();
    let body: serde_json::Value = done.json().await.unwrap_or_default();
    anyhow::ensure!(status.is_success(), "the callback answered {status}: {body}");
    let id: ProfileId = body["data"]["id"].as_str().unwrap_or_default().parse()?;
    Ok(store::profiles::by_id(conn, id).await?)
}

/// The demo workspace, with one sandbox profile per provider connected through the same
/// connect flow a user takes (the gateway must be running), and a new write key.
pub async fn demo(config: &Config) -> anyhow::Result<()> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let pool = store::connect_pool(&config.common.database_url, 1)?;
    let mut conn = pool.get().await?;
    diesel::insert_into(store::schema::workspaces::table)
        .values((
            store::schema::workspaces::id.eq(DEMO_WORKSPACE),
            store::schema::workspaces::name.eq("Demo workspace"),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    for p in Provider::ALL {
        let args = ConnectArgs {
            workspace: DEMO_WORKSPACE,
            provider: p.as_str().into(),
            login: Some(format!("demo-{p}")),
            follow: true,
            identifier: (*p == Provider::Bluesky).then(|| format!("postmantis_demo_{p}")),
            app_password: (*p == Provider::Bluesky).then(|| "sandbox-app-password".to_owned()),
        };
        connect_one(config, &mut conn, &args)
            .await
            .map_err(|e| anyhow::anyhow!("connecting the {p} sandbox profile: {e}"))?;
    }
    let args = KeyArgs {
        workspace: DEMO_WORKSPACE,
        permission: "write".into(),
        providers: None,
        profiles: None,
        name: "demo key".into(),
        policy: "publish".into(),
    };
    let key = mint(&mut conn, DEMO_WORKSPACE, &args).await?;
    let password = demo_user(&mut conn).await?;
    println!("Workspace: {DEMO_WORKSPACE}");
    println!("API key: {key}");
    println!("Dashboard login: {DEMO_EMAIL} / {password}");
    Ok(())
}

pub const DEMO_EMAIL: &str = "demo@postmantis.local";

/// The demo workspace's owner, with a fresh random password on every seed (printed, never
/// stored in clear).
async fn demo_user(conn: &mut store::Conn) -> anyhow::Result<String> {
    let password = crate::auth::passwords::random_token()[..20].to_owned();
    let hash = crate::auth::passwords::hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
    let id = match store::users::by_email(conn, DEMO_EMAIL).await? {
        Some(u) => {
            store::users::set_password(conn, u.id, &hash).await?;
            u.id
        }
        None => {
            let id = Uuid::now_v7();
            store::users::insert(conn, id, DEMO_EMAIL, &hash).await?;
            id
        }
    };
    store::users::add_member(conn, id, DEMO_WORKSPACE, "owner").await?;
    Ok(password)
}
