use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{PostId, WorkspaceId};
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    models::{AssetRow, NewAsset, UploadRow},
    schema::{media_assets, post_media, uploads},
};

pub async fn insert_asset(conn: &mut Conn, a: &NewAsset) -> StoreResult<()> {
    diesel::insert_into(media_assets::table).values(a).execute(conn).await?;
    Ok(())
}

pub async fn asset(conn: &mut Conn, id: Uuid) -> StoreResult<Option<AssetRow>> {
    Ok(media_assets::table.find(id).select(AssetRow::as_select()).first(conn).await.optional()?)
}

/// An asset, only if it is this workspace's: what a worker may hand to a provider.
pub async fn asset_in(conn: &mut Conn, workspace_id: WorkspaceId, id: Uuid) -> StoreResult<Option<AssetRow>> {
    Ok(media_assets::table
        .find(id)
        .filter(media_assets::workspace_id.eq(workspace_id))
        .select(AssetRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The assets among `ids` that belong to the workspace.
pub async fn assets_in_workspace(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    ids: &[Uuid],
) -> StoreResult<Vec<AssetRow>> {
    Ok(media_assets::table
        .filter(media_assets::workspace_id.eq(workspace_id))
        .filter(media_assets::id.eq_any(ids.to_vec()))
        .select(AssetRow::as_select())
        .load(conn)
        .await?)
}

/// The post's media still pending, with their asset ids.
pub async fn pending_of_post(conn: &mut Conn, post_id: PostId) -> StoreResult<Vec<(Uuid, Uuid)>> {
    Ok(post_media::table
        .filter(post_media::post_id.eq(post_id).and(post_media::status.eq(domain::MediaStatus::Pending)))
        .select((post_media::id, post_media::asset_id))
        .load(conn)
        .await?)
}

pub async fn insert_upload(conn: &mut Conn, u: &UploadRow) -> StoreResult<()> {
    diesel::insert_into(uploads::table).values(u).execute(conn).await?;
    Ok(())
}

pub async fn upload(conn: &mut Conn, id: Uuid) -> StoreResult<Option<UploadRow>> {
    Ok(uploads::table.find(id).select(UploadRow::as_select()).first(conn).await.optional()?)
}

pub async fn upload_in_workspace(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    id: Uuid,
) -> StoreResult<Option<UploadRow>> {
    Ok(uploads::table
        .filter(uploads::id.eq(id).and(uploads::workspace_id.eq(workspace_id)))
        .select(UploadRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// pending → completed; false if it already was.
pub async fn complete_upload(conn: &mut Conn, id: Uuid) -> StoreResult<bool> {
    let n = diesel::update(uploads::table.filter(uploads::id.eq(id).and(uploads::status.eq("pending"))))
        .set((uploads::status.eq("completed"), uploads::completed_at.eq(Utc::now())))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// Pending sessions past their expiry, removed here; the caller removes their bytes.
pub async fn take_expired_uploads(conn: &mut Conn, limit: i64) -> StoreResult<Vec<Uuid>> {
    let ids: Vec<Uuid> = uploads::table
        .filter(uploads::status.eq("pending").and(uploads::expires_at.lt(Utc::now())))
        .select(uploads::id)
        .limit(limit)
        .load(conn)
        .await?;
    diesel::delete(uploads::table.filter(uploads::id.eq_any(&ids)).filter(uploads::status.eq("pending")))
        .execute(conn)
        .await?;
    Ok(ids)
}

/// Assets made for one request (imports, multipart files) that no post references and
/// that are older than `older_than`: removed here; the caller removes their bytes.
pub async fn take_orphans(
    conn: &mut Conn,
    older_than: chrono::Duration,
    only: Option<&[Uuid]>,
) -> StoreResult<Vec<AssetRow>> {
    let cutoff = Utc::now() - older_than;
    let referenced = post_media::table.select(post_media::asset_id);
    let mut q = media_assets::table
        .filter(media_assets::origin.ne_all(["upload", "library"]))
        .filter(media_assets::created_at.lt(cutoff))
        .filter(diesel::dsl::not(media_assets::id.eq_any(referenced)))
        .into_boxed();
    if let Some(ids) = only {
        q = q.filter(media_assets::id.eq_any(ids.to_vec()));
    }
    let rows: Vec<AssetRow> = q.select(AssetRow::as_select()).limit(500).load(conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    diesel::delete(media_assets::table.filter(media_assets::id.eq_any(&ids))).execute(conn).await?;
    Ok(rows)
}

/// Whether any post uses the asset (as media or as a cover): only those are served to
/// anyone with the link, because providers fetch them without a key.
pub async fn is_attached(conn: &mut Conn, id: Uuid) -> StoreResult<bool> {
    use diesel::sql_types::{Bool, Uuid as SqlUuid};
    #[derive(QueryableByName)]
    struct Attached {
        #[diesel(sql_type = Bool)]
        attached: bool,
    }
    let row: Attached = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM post_media WHERE asset_id = $1) \
         OR EXISTS (SELECT 1 FROM posts p JOIN media_assets a ON a.id = $1 AND a.workspace_id = p.workspace_id \
                    WHERE jsonb_path_exists(p.provider_options, '$.*.cover.asset_id ? (@ == $id)', \
                                            jsonb_build_object('id', $1::text))) AS attached",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .await?;
    Ok(row.attached)
}

/// Keeps an asset in the workspace's media library (kept until deleted from it), with its
/// alt text and file name.
pub async fn keep_in_library(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    id: Uuid,
    alt_text: Option<&str>,
    filename: Option<&str>,
) -> StoreResult<Option<AssetRow>> {
    Ok(diesel::update(media_assets::table.find(id).filter(media_assets::workspace_id.eq(workspace_id)))
        .set((
            media_assets::origin.eq("library"),
            media_assets::alt_text.eq(alt_text),
            media_assets::filename.eq(filename),
        ))
        .returning(AssetRow::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// The library's assets, newest first, of one kind (image, gif, video) if asked, and the total.
pub async fn library(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    kind: Option<&str>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<AssetRow>, i64)> {
    let filtered = || {
        let mut q = media_assets::table
            .filter(media_assets::workspace_id.eq(workspace_id))
            .filter(media_assets::origin.eq("library"))
            .into_boxed();
        if let Some(k) = kind {
            q = q.filter(media_assets::kind.eq(k.to_owned()));
        }
        q
    };
    let rows = filtered()
        .order((media_assets::created_at.desc(), media_assets::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(AssetRow::as_select())
        .load(conn)
        .await?;
    let total = filtered().count().get_result(conn).await?;
    Ok((rows, total))
}

/// A library asset of the workspace.
pub async fn library_asset(conn: &mut Conn, workspace_id: WorkspaceId, id: Uuid) -> StoreResult<Option<AssetRow>> {
    Ok(media_assets::table
        .find(id)
        .filter(media_assets::workspace_id.eq(workspace_id).and(media_assets::origin.eq("library")))
        .select(AssetRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Posts still to be delivered (draft, pending, scheduled) that use the asset.
pub async fn open_posts_using(conn: &mut Conn, id: Uuid) -> StoreResult<Vec<PostId>> {
    use crate::schema::posts;
    Ok(post_media::table
        .inner_join(posts::table)
        .filter(post_media::asset_id.eq(id))
        .filter(posts::status.eq_any([
            domain::PostStatus::Draft,
            domain::PostStatus::Pending,
            domain::PostStatus::Scheduled,
        ]))
        .filter(posts::archived_at.is_null())
        .select(posts::id)
        .load(conn)
        .await?)
}

/// Takes an asset out of the library. One that finished posts still show stays as theirs
/// (`import`: swept once no post uses it); one nothing uses is deleted here, and its row
/// returned so the caller removes the bytes.
pub async fn remove_from_library(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    id: Uuid,
) -> StoreResult<Option<AssetRow>> {
    let used: i64 = post_media::table.filter(post_media::asset_id.eq(id)).count().get_result(conn).await?;
    let target = media_assets::table.find(id).filter(media_assets::workspace_id.eq(workspace_id));
    if used > 0 {
        diesel::update(target).set(media_assets::origin.eq("import")).execute(conn).await?;
        return Ok(None);
    }
    Ok(diesel::delete(target).returning(AssetRow::as_returning()).get_result(conn).await.optional()?)
}
