//! Posts with their deliveries and media: acceptance writes, reads, and the conditional
//! edits that keep the status. Status changes are in `transitions::posts`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::{DeliveryId, PostId, ProfileId, WorkspaceId};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    Conn, KeyScope, StoreResult,
    models::*,
    outbox::NewOutboxRow,
    schema::{deliveries, media_assets, post_media, posts, profiles},
};

/// A post as the API shows it.
#[derive(Debug, Clone)]
pub struct PostView {
    pub post: PostRow,
    pub deliveries: Vec<(DeliveryRow, String)>,
    pub media: Vec<(PostMediaRow, AssetRow)>,
    /// The media of a thread's later parts (`part` 1 onwards), in part then position order.
    pub thread_media: Vec<(PostMediaRow, AssetRow)>,
    /// What a thread's or first comment's deliveries have made public, part by part.
    pub parts: Vec<crate::parts::PartRow>,
}

impl PostView {
    /// The media of each part after the body, `parts` long (a part without media: empty).
    pub fn media_of_parts(&self, parts: usize) -> Vec<Vec<&(PostMediaRow, AssetRow)>> {
        (1..=parts)
            .map(|n| self.thread_media.iter().filter(|(m, _)| usize::try_from(m.part) == Ok(n)).collect())
            .collect()
    }

    /// One delivery's recorded parts, in order (empty for a single post).
    pub fn parts_of(&self, delivery: DeliveryId) -> Vec<&crate::parts::PartRow> {
        self.parts.iter().filter(|p| p.delivery_id == delivery).collect()
    }
}

/// Whether a post is sent in several parts (a thread, or a first comment), so that its
/// deliveries' parts are worth reading.
fn has_parts(p: &PostRow) -> bool {
    p.thread.as_array().is_some_and(|t| !t.is_empty())
        || p.provider_options.as_object().is_some_and(|o| o.values().any(|v| v.get("first_comment").is_some()))
}

impl PostView {
    /// What became of the post (see `domain::Outcome`).
    pub fn outcome(&self) -> domain::Outcome {
        let settled: Vec<domain::DeliveryStatus> = self.deliveries.iter().map(|(d, _)| d.status).collect();
        domain::Outcome::of(
            self.post.status,
            self.post.dispatched_at.is_some(),
            &settled,
            self.post.archived_at.is_some(),
        )
    }
}

#[derive(Debug, Default, Clone)]
pub struct PostFilter {
    pub ids: Option<Vec<PostId>>,
    pub status: Option<domain::PostStatus>,
    pub profile_ids: Option<Vec<ProfileId>>,
    pub providers: Option<Vec<String>>,
    pub scheduled_after: Option<DateTime<Utc>>,
    pub scheduled_before: Option<DateTime<Utc>>,
    pub campaign: Option<String>,
    /// Review statuses to include (the review queue).
    pub reviews: Option<Vec<String>>,
}

// One predicate for every read and write path, so the all-or-nothing visibility rule of
// the contract lives in exactly one place. A NULL parameter means "no restriction".
const VISIBLE_WHERE: &str = "
    p.workspace_id = $1
    AND ($2::uuid[] IS NULL OR p.id = ANY($2))
    AND ($3::text IS NULL OR p.status = $3)
    AND ($4::uuid[] IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.post_id = p.id AND d.profile_id = ANY($4)))
    AND ($5::text[] IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.post_id = p.id AND d.provider = ANY($5)))
    AND ($6::timestamptz IS NULL OR p.scheduled_at >= $6)
    AND ($7::timestamptz IS NULL OR p.scheduled_at <= $7)
    AND ($8::text[] IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.post_id = p.id AND d.provider <> ALL($8)))
    AND ($9::uuid[] IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.post_id = p.id AND d.profile_id <> ALL($9)))
    AND ($10::text IS NULL OR p.campaign = $10)
    AND ($11::text[] IS NULL OR p.review = ANY($11))";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

macro_rules! bind_visible {
    ($q:expr, $scope:expr, $f:expr) => {
        $q.bind::<SqlUuid, _>($scope.workspace_id)
            .bind::<Nullable<Array<SqlUuid>>, _>($f.ids.clone())
            .bind::<Nullable<Text>, _>($f.status)
            .bind::<Nullable<Array<SqlUuid>>, _>($f.profile_ids.clone())
            .bind::<Nullable<Array<Text>>, _>($f.providers.clone())
            .bind::<Nullable<Timestamptz>, _>($f.scheduled_after)
            .bind::<Nullable<Timestamptz>, _>($f.scheduled_before)
            .bind::<Nullable<Array<Text>>, _>($scope.providers.clone())
            .bind::<Nullable<Array<SqlUuid>>, _>($scope.profile_ids.clone())
            .bind::<Nullable<Text>, _>($f.campaign.clone())
            .bind::<Nullable<Array<Text>>, _>($f.reviews.clone())
    };
}

/// Newest first; returns the page and the total matching.
pub async fn list(
    conn: &mut Conn,
    scope: &KeyScope,
    f: &PostFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<PostView>, i64)> {
    let sql = format!(
        "SELECT p.* FROM posts p WHERE {VISIBLE_WHERE} ORDER BY p.created_at DESC, p.id DESC LIMIT $12 OFFSET $13"
    );
    let rows: Vec<PostRow> = bind_visible!(diesel::sql_query(sql), scope, f)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)
        .await?;
    let total =
        bind_visible!(diesel::sql_query(format!("SELECT count(*) AS n FROM posts p WHERE {VISIBLE_WHERE}")), scope, f)
            .get_result::<Count>(conn)
            .await?
            .n;
    Ok((hydrate(conn, rows).await?, total))
}

/// One visible post; with `lock`, the row is held FOR UPDATE until the transaction ends.
pub async fn find_visible(conn: &mut Conn, scope: &KeyScope, id: PostId, lock: bool) -> StoreResult<Option<PostRow>> {
    let f = PostFilter { ids: Some(vec![id]), ..Default::default() };
    let lock = if lock { " FOR UPDATE OF p" } else { "" };
    let sql = format!("SELECT p.* FROM posts p WHERE {VISIBLE_WHERE}{lock}");
    Ok(bind_visible!(diesel::sql_query(sql), scope, f).get_result::<PostRow>(conn).await.optional()?)
}

pub async fn get(conn: &mut Conn, scope: &KeyScope, id: PostId) -> StoreResult<Option<PostView>> {
    let Some(row) = find_visible(conn, scope, id, false).await? else { return Ok(None) };
    Ok(hydrate(conn, vec![row]).await?.pop())
}

/// A post's media with their assets, body first then each thread part's, in order: what
/// a delivery sends (one query, without the rest of the post's view).
pub async fn media_rows(conn: &mut Conn, id: PostId) -> StoreResult<Vec<(PostMediaRow, AssetRow)>> {
    media_of(conn, &[id]).await
}

/// Unscoped read, for services acting on a post they were told about.
pub async fn view(conn: &mut Conn, id: PostId) -> StoreResult<Option<PostView>> {
    let row: Option<PostRow> = posts::table.find(id).select(PostRow::as_select()).first(conn).await.optional()?;
    match row {
        Some(r) => Ok(hydrate(conn, vec![r]).await?.pop()),
        None => Ok(None),
    }
}

/// The posts' media with their assets, by part then position.
async fn media_of(conn: &mut Conn, ids: &[PostId]) -> StoreResult<Vec<(PostMediaRow, AssetRow)>> {
    Ok(post_media::table
        .inner_join(media_assets::table)
        .filter(post_media::post_id.eq_any(ids))
        .order((post_media::part.asc(), post_media::position.asc()))
        .select((PostMediaRow::as_select(), AssetRow::as_select()))
        .load(conn)
        .await?)
}

async fn hydrate(conn: &mut Conn, rows: Vec<PostRow>) -> StoreResult<Vec<PostView>> {
    let ids: Vec<PostId> = rows.iter().map(|r| r.id).collect();
    let ds: Vec<(DeliveryRow, String)> = deliveries::table
        .inner_join(profiles::table)
        .filter(deliveries::post_id.eq_any(&ids))
        .order((deliveries::created_at.asc(), deliveries::id.asc()))
        .select((DeliveryRow::as_select(), profiles::name))
        .load(conn)
        .await?;
    let ms = media_of(conn, &ids).await?;
    let multi: Vec<DeliveryId> =
        ds.iter().filter(|(d, _)| rows.iter().any(|r| r.id == d.post_id && has_parts(r))).map(|(d, _)| d.id).collect();
    let parts = crate::parts::of_many(conn, &multi).await?;
    Ok(rows
        .into_iter()
        .map(|post| {
            let deliveries: Vec<(DeliveryRow, String)> =
                ds.iter().filter(|(d, _)| d.post_id == post.id).cloned().collect();
            PostView {
                parts: parts
                    .iter()
                    .filter(|p| deliveries.iter().any(|(d, _)| d.id == p.delivery_id))
                    .cloned()
                    .collect(),
                media: ms.iter().filter(|(m, _)| m.post_id == post.id && m.part == 0).cloned().collect(),
                thread_media: ms.iter().filter(|(m, _)| m.post_id == post.id && m.part > 0).cloned().collect(),
                deliveries,
                post,
            }
        })
        .collect())
}

/// Inserts a post, one pending delivery per profile, its media rows and its thread
/// parts' media, and returns its view made from what the inserts returned: a new post
/// has no parts made public yet, and its media are read only when it has some.
pub async fn insert(
    conn: &mut Conn,
    post: &NewPostRow,
    profile_rows: &[ProfileRow],
    media: &[(Uuid, Option<String>)],
    thread_media: &[Vec<(Uuid, Option<String>)>],
) -> StoreResult<PostView> {
    let row: PostRow =
        diesel::insert_into(posts::table).values(post).returning(PostRow::as_returning()).get_result(conn).await?;
    // A new post has nothing to replace: its rows are inserted, not swapped.
    let mut ds = insert_deliveries(conn, post.id, profile_rows).await?;
    // The order `hydrate` reads them in (one created_at: by id).
    ds.sort_by_key(|d| d.id);
    let deliveries = ds
        .into_iter()
        .map(|d| {
            let name = profile_rows.iter().find(|p| p.id == d.profile_id).map(|p| p.name.clone()).unwrap_or_default();
            (d, name)
        })
        .collect();
    insert_media(conn, post.id, 0, media).await?;
    insert_thread_media(conn, post.id, thread_media).await?;
    let ms = match media.is_empty() && thread_media.iter().all(Vec::is_empty) {
        true => Vec::new(),
        false => media_rows(conn, post.id).await?,
    };
    let (media, thread_media) = ms.into_iter().partition(|(m, _)| m.part == 0);
    Ok(PostView { post: row, deliveries, media, thread_media, parts: Vec::new() })
}

/// A post accepted for publishing without media: its row, one pending delivery per
/// profile, its first version, its log row and `accepted` (the `post.accepted` message),
/// in one statement — atomic without a transaction, one round trip where `insert` and
/// the writes after it took six with BEGIN and COMMIT.
///
/// The deliveries are not read back: a new delivery is its id, post, profile and
/// provider with every other column at its default (`pending`, NULLs, and `now()`, this
/// statement's transaction start, as the post's own `created_at`); a store test compares
/// this view with a read-back.
pub async fn insert_accepted(
    conn: &mut Conn,
    post: &NewPostRow,
    profile_rows: &[ProfileRow],
    author: &str,
    accepted: &NewOutboxRow,
) -> StoreResult<PostView> {
    use diesel::sql_types::{Bool, Jsonb};
    let ids: Vec<DeliveryId> = profile_rows.iter().map(|_| DeliveryId::new()).collect();
    let profiles: Vec<ProfileId> = profile_rows.iter().map(|p| p.id).collect();
    let providers: Vec<domain::Provider> = profile_rows.iter().map(|p| p.provider).collect();
    // PostgreSQL keeps microseconds: the stored time and the first version's (written
    // from this row, not read back) must be the same instant.
    let scheduled_at = post.scheduled_at.map(|t| chrono::SubsecRound::trunc_subsecs(t, 6));
    let content = crate::versions::content_of_new(post, scheduled_at, &profiles);
    let q = crate::prepared::prepared(
        "WITH p AS (
             INSERT INTO posts (id, workspace_id, body, status, scheduled_at, provider_options, traceparent,
                                idempotency_key, hashtags, bodies, labels, tags, category, campaign,
                                requires_approval, created_by, queue_id, thread)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
             RETURNING *),
         d AS (
             INSERT INTO deliveries (id, post_id, profile_id, provider)
             SELECT d, $1, p, v FROM unnest($19::uuid[], $20::uuid[], $21::text[]) AS u(d, p, v)),
         v AS (
             INSERT INTO post_versions (post_id, version, content, author)
             SELECT id, version, $22, $23 FROM p),
         l AS (
             INSERT INTO publish_log (workspace_id, post_id, kind)
             SELECT workspace_id, id, 'post.accepted' FROM p),
         o AS (
             INSERT INTO outbox (message_id, exchange, routing_key, message_type, payload, available_at, traceparent, expiration_ms)
             VALUES ($24, $25, $26, $27, $28, $29, $30, $31))
         SELECT * FROM p",
    )
    .bind::<SqlUuid, _>(post.id)
    .bind::<SqlUuid, _>(post.workspace_id)
    .bind::<Nullable<Text>, _>(&post.body)
    .bind::<Text, _>(post.status)
    .bind::<Nullable<Timestamptz>, _>(scheduled_at)
    .bind::<Jsonb, _>(&post.provider_options)
    .bind::<Nullable<Text>, _>(&post.traceparent)
    .bind::<Nullable<Text>, _>(&post.idempotency_key)
    .bind::<Array<Text>, _>(&post.hashtags)
    .bind::<Jsonb, _>(&post.bodies)
    .bind::<Array<Text>, _>(&post.labels)
    .bind::<Array<Text>, _>(&post.tags)
    .bind::<Nullable<Text>, _>(&post.category)
    .bind::<Nullable<Text>, _>(&post.campaign)
    .bind::<Nullable<Bool>, _>(post.requires_approval)
    .bind::<Nullable<Text>, _>(&post.created_by)
    .bind::<Nullable<SqlUuid>, _>(post.queue_id)
    .bind::<Jsonb, _>(&post.thread)
    .bind::<Array<SqlUuid>, _>(ids.clone())
    .bind::<Array<SqlUuid>, _>(profiles)
    .bind::<Array<Text>, _>(providers)
    .bind::<Jsonb, _>(content)
    .bind::<Text, _>(author);
    let row: PostRow = crate::outbox::bind_row(q, accepted).get_result(conn).await?;
    let mut deliveries: Vec<(DeliveryRow, String)> = ids
        .into_iter()
        .zip(profile_rows)
        .map(|(id, p)| {
            let d = DeliveryRow {
                id,
                post_id: row.id,
                profile_id: p.id,
                provider: p.provider,
                status: domain::DeliveryStatus::Pending,
                dispatched_at: None,
                published_at: None,
                failed_at: None,
                provider_post_id: None,
                url: None,
                error_message: None,
                created_at: row.created_at,
                updated_at: row.created_at,
            };
            (d, p.name.clone())
        })
        .collect();
    // The order `hydrate` reads them in (one created_at: by id).
    deliveries.sort_by_key(|(d, _)| d.id);
    Ok(PostView { post: row, deliveries, media: Vec::new(), thread_media: Vec::new(), parts: Vec::new() })
}

/// The media of a thread's parts after the body (index 0 is part 1), replacing theirs.
pub async fn replace_thread_media(
    conn: &mut Conn,
    post_id: PostId,
    parts: &[Vec<(Uuid, Option<String>)>],
) -> StoreResult<()> {
    diesel::delete(post_media::table.filter(post_media::post_id.eq(post_id)).filter(post_media::part.gt(0)))
        .execute(conn)
        .await?;
    insert_thread_media(conn, post_id, parts).await
}

/// The media of a new post's thread parts (it has none to replace).
async fn insert_thread_media(
    conn: &mut Conn,
    post_id: PostId,
    parts: &[Vec<(Uuid, Option<String>)>],
) -> StoreResult<()> {
    for (n, media) in parts.iter().enumerate() {
        insert_media(conn, post_id, i16::try_from(n + 1).unwrap_or(i16::MAX), media).await?;
    }
    Ok(())
}

pub async fn replace_deliveries(conn: &mut Conn, post_id: PostId, profile_rows: &[ProfileRow]) -> StoreResult<()> {
    diesel::delete(deliveries::table.filter(deliveries::post_id.eq(post_id))).execute(conn).await?;
    insert_deliveries(conn, post_id, profile_rows).await.map(|_| ())
}

async fn insert_deliveries(
    conn: &mut Conn,
    post_id: PostId,
    profile_rows: &[ProfileRow],
) -> StoreResult<Vec<DeliveryRow>> {
    use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
    // One fixed text for any number of profiles, so it stays prepared (`prepared`).
    let ids: Vec<DeliveryId> = profile_rows.iter().map(|_| DeliveryId::new()).collect();
    let profiles: Vec<ProfileId> = profile_rows.iter().map(|p| p.id).collect();
    let providers: Vec<domain::Provider> = profile_rows.iter().map(|p| p.provider).collect();
    Ok(crate::prepared::prepared(
        "INSERT INTO deliveries (id, post_id, profile_id, provider)
         SELECT d, $2, p, v FROM unnest($1::uuid[], $3::uuid[], $4::text[]) AS u(d, p, v)
         RETURNING *",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<SqlUuid, _>(post_id)
    .bind::<Array<SqlUuid>, _>(profiles)
    .bind::<Array<Text>, _>(providers)
    .load(conn)
    .await?)
}

/// The post's own media (part 0), replacing what it had; a thread's parts keep theirs.
pub async fn replace_media(conn: &mut Conn, post_id: PostId, media: &[(Uuid, Option<String>)]) -> StoreResult<()> {
    diesel::delete(post_media::table.filter(post_media::post_id.eq(post_id)).filter(post_media::part.eq(0)))
        .execute(conn)
        .await?;
    insert_media(conn, post_id, 0, media).await
}

async fn insert_media(
    conn: &mut Conn,
    post_id: PostId,
    part: i16,
    media: &[(Uuid, Option<String>)],
) -> StoreResult<()> {
    let rows: Vec<NewPostMedia> = media
        .iter()
        .enumerate()
        .map(|(i, (asset_id, alt))| NewPostMedia {
            id: Uuid::now_v7(),
            post_id,
            asset_id: *asset_id,
            position: i as i32,
            alt: alt.clone(),
            part,
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(post_media::table).values(&rows).execute(conn).await?;
    }
    Ok(())
}

/// Field edits. Only rows still in `only_status` (and, for scheduled posts, not yet
/// dispatched) change; returns whether the row changed.
#[derive(Default)]
pub struct Edit<'a> {
    pub body: Option<Option<&'a str>>,
    pub scheduled_at: Option<Option<DateTime<Utc>>>,
    pub provider_options: Option<&'a Value>,
    pub hashtags: Option<&'a [String]>,
    pub bodies: Option<&'a Value>,
    pub labels: Option<&'a [String]>,
    pub tags: Option<&'a [String]>,
    pub category: Option<Option<&'a str>>,
    /// A thread's parts after the body, as stored (`[{"body": …}]`).
    pub thread: Option<&'a Value>,
}

pub async fn edit(conn: &mut Conn, id: PostId, only_status: domain::PostStatus, e: Edit<'_>) -> StoreResult<bool> {
    let target = posts::table
        .filter(posts::id.eq(id))
        .filter(posts::status.eq(only_status))
        .filter(posts::dispatched_at.is_null());
    let n = diesel::update(target)
        .set((
            e.body.map(|b| posts::body.eq(b.map(str::to_owned))),
            e.scheduled_at.map(|t| posts::scheduled_at.eq(t)),
            e.provider_options.map(|o| posts::provider_options.eq(o.clone())),
            e.hashtags.map(|h| posts::hashtags.eq(h.to_vec())),
            e.bodies.map(|b| posts::bodies.eq(b.clone())),
            e.labels.map(|l| posts::labels.eq(l.to_vec())),
            e.tags.map(|t| posts::tags.eq(t.to_vec())),
            e.category.map(|c| posts::category.eq(c.map(str::to_owned))),
            e.thread.map(|t| posts::thread.eq(t.clone())),
            posts::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// The soft delete: marks the post archived (once). Not a status: the post's layers, and
/// what its deliveries did, stay as they are.
pub async fn archive(conn: &mut Conn, id: PostId) -> StoreResult<bool> {
    let n = diesel::update(posts::table.filter(posts::id.eq(id).and(posts::archived_at.is_null())))
        .set(posts::archived_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

pub async fn delete_draft(conn: &mut Conn, id: PostId) -> StoreResult<bool> {
    let n = diesel::delete(posts::table.filter(posts::id.eq(id).and(posts::status.eq(domain::PostStatus::Draft))))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// The earliest time a scheduled, undispatched post becomes due (None: nothing waits).
pub async fn next_due(conn: &mut Conn) -> StoreResult<Option<Option<DateTime<Utc>>>> {
    #[derive(QueryableByName)]
    struct Next {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        scheduled_at: Option<DateTime<Utc>>,
    }
    // The status written out: a bound one would keep a generic plan off `posts_due`.
    let next: Option<Next> = crate::prepared::prepared(
        "SELECT scheduled_at FROM posts WHERE status = 'scheduled' AND dispatched_at IS NULL
         ORDER BY scheduled_at NULLS FIRST LIMIT 1",
    )
    .load(conn)
    .await?
    .pop();
    Ok(next.map(|n| n.scheduled_at))
}

pub async fn status_of(
    conn: &mut Conn,
    id: PostId,
) -> StoreResult<Option<(domain::PostStatus, Option<DateTime<Utc>>)>> {
    Ok(posts::table.find(id).select((posts::status, posts::dispatched_at)).first(conn).await.optional()?)
}

/// The post created under this (namespaced) Idempotency-Key, if one was.
pub async fn id_by_idempotency_key(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    key: &str,
) -> StoreResult<Option<PostId>> {
    Ok(posts::table
        .filter(posts::workspace_id.eq(workspace_id).and(posts::idempotency_key.eq(key)))
        .select(posts::id)
        .first(conn)
        .await
        .optional()?)
}

/// The post, locked for update until the transaction ends (review steps, one at a time).
pub async fn lock(conn: &mut Conn, id: PostId) -> StoreResult<Option<PostRow>> {
    Ok(posts::table.find(id).select(PostRow::as_select()).for_update().first(conn).await.optional()?)
}
