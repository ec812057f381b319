use bus::{Handled, Incoming, reply};
use domain::messages::{IngestRemoteV1, IngestReplyV1, Message, PostCanceledV1, PostCompletedV1, PostScheduledV1};
use store::{media, models::NewAsset};
use uuid::Uuid;

use crate::app::Ctx;

/// The post reached scheduled, completed or canceled: its media are ready (seed, "Media states").
pub async fn on_event(ctx: &Ctx, m: Incoming) -> Handled {
    let post_id = match m.message_type() {
        PostScheduledV1::TYPE => m.decode::<PostScheduledV1>().map(|e| e.post_id),
        PostCompletedV1::TYPE => m.decode::<PostCompletedV1>().map(|e| e.post_id),
        PostCanceledV1::TYPE => m.decode::<PostCanceledV1>().map(|e| e.post_id),
        other => return Handled::Poison(format!("unexpected message type `{other}`")),
    };
    let post_id = match post_id {
        Ok(id) => id,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    let result = async {
        let mut conn = ctx.pool.get().await?;
        media::mark_processed(&mut conn, post_id).await
    }
    .await;
    match result {
        Ok(_) => Handled::Ack,
        Err(e) => Handled::Retry(e.to_string()),
    }
}

pub async fn on_request(ctx: &Ctx, m: Incoming) -> Handled {
    let req = match m.decode::<IngestRemoteV1>() {
        Ok(r) => r,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    let asset_id = Uuid::now_v7();
    let answer = match crate::fetch::fetch_to(ctx, &req.url, asset_id).await {
        Err(message) => IngestReplyV1::Refused { message },
        Ok(f) => {
            let row = NewAsset {
                id: asset_id,
                workspace_id: req.workspace_id,
                storage_key: asset_id.to_string(),
                content_type: f.content_type.to_owned(),
                size_bytes: f.size_bytes,
                sha256: f.sha256,
                source_url: Some(req.url.clone()),
            };
            let saved = async {
                let mut conn = ctx.pool.get().await?;
                media::insert_asset(&mut conn, &row).await
            }
            .await;
            if let Err(e) = saved {
                let _ =
                    tokio::fs::remove_file(std::path::Path::new(&ctx.config.storage_dir).join(asset_id.to_string()))
                        .await;
                return Handled::Retry(e.to_string());
            }
            IngestReplyV1::Ingested { asset_id, content_type: row.content_type, size_bytes: row.size_bytes }
        }
    };
    let Some(b) = ctx.bus.get().await else { return Handled::Retry("broker gone before the reply".into()) };
    match reply(&b, &m, &answer).await {
        Ok(()) => Handled::Ack,
        Err(e) => Handled::Retry(e.to_string()),
    }
}
