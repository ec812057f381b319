//! Operator commands: the demo workspace and API keys (until the dashboard exists, keys
//! are minted here).

use domain::Provider;
use store::models::NewProfile;
use uuid::Uuid;

use crate::{auth, config::Config};

/// The demo workspace has a fixed id so `make run` reuses it across restarts.
pub const DEMO_WORKSPACE: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_d3e0);

#[derive(clap::Args)]
pub struct KeyArgs {
    #[arg(long)]
    workspace: Uuid,
    /// read or write
    #[arg(long, default_value = "write")]
    permission: String,
    /// Limit the key to these providers (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    providers: Option<Vec<String>>,
    /// Limit the key to these profiles (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    profiles: Option<Vec<Uuid>>,
    #[arg(long, default_value = "cli key")]
    name: String,
}

async fn mint(conn: &mut store::Conn, workspace_id: Uuid, args: &KeyArgs) -> anyhow::Result<String> {
    anyhow::ensure!(args.permission == "read" || args.permission == "write", "--permission must be read or write");
    if let Some(ps) = &args.providers {
        for p in ps {
            p.parse::<Provider>()?;
        }
    }
    let (key, prefix, hash) = auth::mint_key();
    store::keys::insert(
        conn,
        store::keys::NewKey {
            id: Uuid::now_v7(),
            workspace_id,
            name: &args.name,
            key_prefix: &prefix,
            key_hash: &hash,
            permission: &args.permission,
            providers: args.providers.clone(),
            profile_ids: args.profiles.clone(),
        },
    )
    .await?;
    Ok(key)
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
    let id = Uuid::now_v7();
    store::workspaces::insert(&mut conn, id, name).await?;
    println!("Workspace: {id}");
    Ok(())
}

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
        let profile = NewProfile {
            id: Uuid::now_v7(),
            workspace_id: DEMO_WORKSPACE,
            provider: p.as_str().into(),
            name: format!("Demo {}", p.display_name()),
            username: Some(format!("postmantis_demo_{p}")),
            picture_url: None,
            external_id: format!("demo-{p}"),
            // provider-sim knows an account by its token.
            access_token: Some(format!("sim-token-demo-{p}")),
            expires_at: None,
        };
        diesel::insert_into(store::schema::profiles::table)
            .values(&profile)
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await?;
    }
    let args = KeyArgs {
        workspace: DEMO_WORKSPACE,
        permission: "write".into(),
        providers: None,
        profiles: None,
        name: "demo key".into(),
    };
    let key = mint(&mut conn, DEMO_WORKSPACE, &args).await?;
    println!("Workspace: {DEMO_WORKSPACE}");
    println!("API key: {key}");
    Ok(())
}
