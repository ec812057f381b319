//! Media a post owns: asset ids of the workspace, or remote URLs that media-ingest fetches
//! and stores before anything is written.

use domain::{
    input::{FieldError, MediaInput, MediaSource},
    messages::{MediaCommandV1, MediaReplyV1},
};
use uuid::Uuid;

use crate::{Caller, Posting, PostingError, PostingResult};

/// Assets a request made (imports, staged files): discarded unless the request ends in
/// an accepted write, so a refused post leaves no object behind.
#[derive(Debug, Default)]
pub struct Staged(Vec<Uuid>);

impl Staged {
    pub fn push(&mut self, id: Uuid) {
        self.0.push(id);
    }

    /// The request ended in a committed write: its assets are the post's now.
    pub fn keep(mut self) {
        self.0.clear();
    }
}

impl Posting {
    /// Every media input as an owned asset, with its alt text, in order.
    pub(crate) async fn own_media(
        &self,
        conn: &mut store::Conn,
        caller: &Caller,
        media: &[MediaInput],
        staged: &mut Staged,
    ) -> PostingResult<Vec<(Uuid, Option<String>)>> {
        self.own_media_at(conn, caller, media, staged, "media").await
    }

    /// Each thread part's media (after the body) owned the same way; problems named by
    /// part (`post.thread[2].media[0].url`) and reported together.
    pub(crate) async fn own_thread_media(
        &self,
        conn: &mut store::Conn,
        caller: &Caller,
        parts: &[Vec<MediaInput>],
        staged: &mut Staged,
    ) -> PostingResult<Vec<Vec<(Uuid, Option<String>)>>> {
        let mut owned = Vec::with_capacity(parts.len());
        let mut errors = Vec::new();
        for (i, media) in parts.iter().enumerate() {
            let at = format!("post.thread[{}].media", i + 1);
            match self.own_media_at(conn, caller, media, staged, &at).await {
                Ok(m) => owned.push(m),
                Err(PostingError::Validation(e)) => errors.extend(e),
                Err(e) => return Err(e),
            }
        }
        if errors.is_empty() { Ok(owned) } else { Err(PostingError::Validation(errors)) }
    }

    async fn own_media_at(
        &self,
        conn: &mut store::Conn,
        caller: &Caller,
        media: &[MediaInput],
        staged: &mut Staged,
        at: &str,
    ) -> PostingResult<Vec<(Uuid, Option<String>)>> {
        let asset_ids: Vec<Uuid> =
            media.iter().filter_map(|m| if let MediaSource::Asset(id) = m.source { Some(id) } else { None }).collect();
        let known = match asset_ids.is_empty() {
            true => Vec::new(),
            false => store::media::assets_in_workspace(conn, caller.scope.workspace_id, &asset_ids).await?,
        };
        let queue = self.names.media_rpc();
        let resolved = futures_util::future::join_all(media.iter().enumerate().map(|(i, m)| {
            let (known, queue) = (&known, &queue);
            async move {
                match &m.source {
                    MediaSource::Asset(id) if known.iter().any(|a| a.id == *id) => Ok(Ok((*id, false))),
                    MediaSource::Asset(_) => Ok(Err(FieldError::new(
                        format!("{at}[{i}].asset_id"),
                        "no completed upload with this asset id",
                    ))),
                    MediaSource::Url(url) => {
                        let cmd =
                            MediaCommandV1::IngestRemote { workspace_id: caller.scope.workspace_id, url: url.clone() };
                        let reply = self.rpc.call::<_, MediaReplyV1>(queue, &cmd, self.settings.ingest_timeout).await?;
                        Ok(match reply {
                            MediaReplyV1::Ingested { asset_id, .. } => Ok((asset_id, true)),
                            MediaReplyV1::Refused { message } | MediaReplyV1::NotReady { detail: message } => Err(
                                FieldError::new(format!("{at}[{i}].url"), format!("could not be ingested: {message}")),
                            ),
                            MediaReplyV1::Done => {
                                Err(FieldError::new(format!("{at}[{i}].url"), "could not be ingested"))
                            }
                        })
                    }
                }
            }
        }))
        .await;
        let mut owned = Vec::with_capacity(media.len());
        let mut errors = Vec::new();
        let mut unavailable: Option<bus::BusError> = None;
        for (r, m) in resolved.into_iter().zip(media) {
            match r {
                Ok(Ok((id, imported))) => {
                    if imported {
                        staged.push(id);
                    }
                    owned.push((id, m.alt.clone()));
                }
                Ok(Err(e)) => errors.push(e),
                Err(e) => unavailable = Some(e),
            }
        }
        if let Some(e) = unavailable {
            return Err(e.into());
        }
        if errors.is_empty() { Ok(owned) } else { Err(PostingError::Validation(errors)) }
    }

    /// Removes the assets of a request that did not end in an accepted write.
    /// media-ingest's janitor catches any this misses.
    pub async fn discard(&self, staged: Staged) {
        if staged.0.is_empty() {
            return;
        }
        let cmd = MediaCommandV1::Discard { asset_ids: staged.0 };
        if let Err(e) =
            self.rpc.call::<_, MediaReplyV1>(&self.names.media_rpc(), &cmd, self.settings.ingest_timeout).await
        {
            tracing::warn!(error = %e, "could not discard a refused request's media; the janitor will");
        }
    }
}
