//! A post's versions: what each edit of a draft made of it, so a review round and an
//! approval name the version they were for, and the post page shows what changed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::PostId;
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    Conn, StoreResult,
    posts::PostView,
    schema::{post_versions, posts},
};

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = post_versions)]
pub struct Version {
    #[serde(skip)]
    pub post_id: PostId,
    pub version: i32,
    pub content: Value,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// What a version says, as stored: the fields a reviewer judges.
pub fn content_of(v: &PostView) -> Value {
    let p = &v.post;
    let mut c = judged(Judged {
        body: &p.body,
        bodies: &p.bodies,
        thread: &p.thread,
        hashtags: &p.hashtags,
        labels: &p.labels,
        tags: &p.tags,
        category: &p.category,
        scheduled_at: p.scheduled_at,
        provider_options: &p.provider_options,
    });
    c["profiles"] = json!(v.deliveries.iter().map(|(d, _)| d.profile_id).collect::<Vec<_>>());
    c["media"] = json!(v.media.iter().map(|(m, _)| m.asset_id).collect::<Vec<_>>());
    c["thread_media"] = json!(v.thread_media.iter().map(|(m, _)| json!([m.part, m.asset_id])).collect::<Vec<_>>());
    c
}

/// The first version of a post about to be inserted without media (what `content_of`
/// says of it once stored), so that its insert can be part of the post's own statement.
pub fn content_of_new(
    p: &crate::models::NewPostRow,
    scheduled_at: Option<DateTime<Utc>>,
    profiles: &[domain::ProfileId],
) -> Value {
    let mut c = judged(Judged {
        body: &p.body,
        bodies: &p.bodies,
        thread: &p.thread,
        hashtags: &p.hashtags,
        labels: &p.labels,
        tags: &p.tags,
        category: &p.category,
        scheduled_at,
        provider_options: &p.provider_options,
    });
    c["profiles"] = json!(profiles);
    c["media"] = json!([]);
    c["thread_media"] = json!([]);
    c
}

/// A post's own fields a reviewer judges, stored or about to be.
struct Judged<'a> {
    body: &'a Option<String>,
    bodies: &'a Value,
    thread: &'a Value,
    hashtags: &'a [String],
    labels: &'a [String],
    tags: &'a [String],
    category: &'a Option<String>,
    scheduled_at: Option<DateTime<Utc>>,
    provider_options: &'a Value,
}

fn judged(p: Judged<'_>) -> Value {
    json!({
        "body": p.body,
        "bodies": p.bodies,
        "thread": p.thread,
        "hashtags": p.hashtags,
        "labels": p.labels,
        "tags": p.tags,
        "category": p.category,
        "scheduled_at": p.scheduled_at,
        "provider_options": p.provider_options,
    })
}

/// Records the post as it is now: its first version (`bump` false, at creation) or a new
/// one after an edit. Returns the version number.
pub async fn record(conn: &mut Conn, id: PostId, author: &str, bump: bool) -> StoreResult<Option<i32>> {
    let version: i32 = if bump {
        diesel::update(posts::table.find(id))
            .set(posts::version.eq(posts::version + 1))
            .returning(posts::version)
            .get_result(conn)
            .await?
    } else {
        posts::table.find(id).select(posts::version).first(conn).await?
    };
    let Some(view) = crate::posts::view(conn, id).await? else { return Ok(None) };
    insert(conn, &view, version, author).await?;
    Ok(Some(version))
}

/// Records the first version of a post just made, from the view its creation read back
/// anyway (one read of the new post, not two).
pub async fn record_first(conn: &mut Conn, view: &crate::posts::PostView, author: &str) -> StoreResult<()> {
    insert(conn, view, view.post.version, author).await
}

async fn insert(conn: &mut Conn, view: &crate::posts::PostView, version: i32, author: &str) -> StoreResult<()> {
    use diesel::sql_types::{Int4, Jsonb, Text, Uuid as SqlUuid};
    crate::prepared::prepared(
        "INSERT INTO post_versions (post_id, version, content, author) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(view.post.id)
    .bind::<Int4, _>(version)
    .bind::<Jsonb, _>(content_of(view))
    .bind::<Text, _>(author)
    .execute(conn)
    .await?;
    Ok(())
}

/// The post's versions, oldest first.
pub async fn list(conn: &mut Conn, id: PostId) -> StoreResult<Vec<Version>> {
    Ok(post_versions::table
        .filter(post_versions::post_id.eq(id))
        .order(post_versions::version.asc())
        .select(Version::as_select())
        .load(conn)
        .await?)
}
