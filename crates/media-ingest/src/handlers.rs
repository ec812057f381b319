use bus::{Handled, Incoming};
use diesel_async::AsyncConnection;
use domain::messages::{MediaCommandV1, MediaReplyV1, Message, PostCanceledV1, PostCompletedV1, PostScheduledV1};
use store::{StoreError, media};
use uuid::Uuid;

use crate::{
    app::Ctx,
    ingest::{Declared, Verdict, make_asset},
    transitions,
};

/// The post reached scheduled, completed or canceled: its media are ready (seed, "Media states").
pub async fn on_event(ctx: &Ctx, m: Incoming) -> Handled {
    let post_id = match m.message_type() {
        PostScheduledV1::TYPE => {
            m.decode::<PostScheduledV1>().map(|e| (e.media_pending != Some(false)).then_some(e.post_id))
        }
        PostCompletedV1::TYPE => {
            m.decode::<PostCompletedV1>().map(|e| (e.media_pending != Some(false)).then_some(e.post_id))
        }
        PostCanceledV1::TYPE => m.decode::<PostCanceledV1>().map(|e| Some(e.post_id)),
        other => return Handled::Poison(format!("unexpected message type `{other}`")),
    };
    let post_id = match post_id {
        Ok(Some(id)) => id,
        // The event says the post had no media left to prepare.
        Ok(None) => return Handled::Ack,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    match transitions::prepare(ctx, post_id).await {
        Ok(()) => Handled::Ack,
        Err(e) => Handled::Retry(e.to_string()),
    }
}

pub async fn on_request(ctx: &Ctx, m: Incoming) -> Handled {
    let cmd = match m.decode::<MediaCommandV1>() {
        Ok(c) => c,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    let answer = match execute(ctx, cmd).await {
        Ok(a) => a,
        Err(e) => return Handled::Retry(e.to_string()),
    };
    bus::reply_then_ack(&ctx.bus, &m, &answer).await
}

async fn store_asset(ctx: &Ctx, verdict: Verdict) -> anyhow::Result<MediaReplyV1> {
    let row = match verdict {
        Ok(row) => row,
        Err(message) => return Ok(MediaReplyV1::Refused { message }),
    };
    let mut conn = ctx.pool.get().await?;
    if let Err(e) = media::insert_asset(&mut conn, &row).await {
        ctx.storage.delete(&storage::asset_key(&row.id.to_string())).await?;
        return Err(e.into());
    }
    Ok(MediaReplyV1::Ingested { asset_id: row.id, content_type: row.content_type, size_bytes: row.size_bytes })
}

async fn execute(ctx: &Ctx, cmd: MediaCommandV1) -> anyhow::Result<MediaReplyV1> {
    match cmd {
        MediaCommandV1::IngestRemote { workspace_id, url } => {
            let id = Uuid::now_v7();
            if let Err(message) = crate::fetch::fetch_to_staging(ctx, &url, id).await {
                ctx.storage.delete(&storage::staging_key(&id.to_string())).await?;
                return Ok(MediaReplyV1::Refused { message });
            }
            let verdict = make_asset(ctx, workspace_id, id, "import", Some(url), None).await?;
            store_asset(ctx, verdict).await
        }
        MediaCommandV1::IngestStaged { workspace_id, staged_id, filename: _ } => {
            let verdict = make_asset(ctx, workspace_id, staged_id, "multipart", None, None).await?;
            store_asset(ctx, verdict).await
        }
        MediaCommandV1::CompleteUpload { upload_id } => complete_upload(ctx, upload_id).await,
        MediaCommandV1::Discard { asset_ids } => {
            let mut conn = ctx.pool.get().await?;
            let gone = media::take_orphans(&mut conn, chrono::Duration::zero(), Some(&asset_ids)).await?;
            for a in gone {
                ctx.storage.delete(&storage::asset_key(&a.id.to_string())).await?;
            }
            Ok(MediaReplyV1::Done)
        }
    }
}

async fn complete_upload(ctx: &Ctx, upload_id: Uuid) -> anyhow::Result<MediaReplyV1> {
    let mut conn = ctx.pool.get().await?;
    let Some(up) = media::upload(&mut conn, upload_id).await? else {
        return Ok(MediaReplyV1::Refused { message: "no such upload".into() });
    };
    if up.status == "completed" {
        let asset = media::asset(&mut conn, upload_id).await?;
        return Ok(match asset {
            Some(a) => {
                MediaReplyV1::Ingested { asset_id: a.id, content_type: a.content_type, size_bytes: a.size_bytes }
            }
            None => MediaReplyV1::Refused { message: "the upload's asset is gone".into() },
        });
    }
    if up.expires_at < chrono::Utc::now() {
        return Ok(MediaReplyV1::Refused { message: "the upload session expired; start a new one".into() });
    }
    if ctx.storage.size(&storage::staging_key(&upload_id.to_string())).await?.is_none() {
        return Ok(MediaReplyV1::NotReady {
            detail: "No bytes were uploaded yet; PUT the file to upload_url first.".into(),
        });
    }
    let declared = Declared { content_type: &up.content_type, size: up.size_bytes as u64 };
    let row = match make_asset(ctx, up.workspace_id, upload_id, "upload", None, Some(declared)).await? {
        Ok(row) => row,
        Err(message) => return Ok(MediaReplyV1::Refused { message }),
    };
    let saved = conn
        .transaction::<(), StoreError, _>(async |conn| {
            media::insert_asset(conn, &row).await?;
            media::complete_upload(conn, upload_id).await?;
            Ok(())
        })
        .await;
    if let Err(e) = saved {
        ctx.storage.delete(&storage::asset_key(&upload_id.to_string())).await?;
        return Err(e.into());
    }
    Ok(MediaReplyV1::Ingested { asset_id: row.id, content_type: row.content_type, size_bytes: row.size_bytes })
}
