//! Feeds that auto-post: due feeds are claimed, fetched (`fetch`), parsed with feed-rs
//! (RSS 0.9–2.0, Atom, JSON Feed), and each item the feed has not seen — by its id, or by
//! its normalised link — gets a fate: a post made through the application layer as the
//! feed says, or skipped with the reason. A new feed takes only what is published after it
//! was added (plus `backlog` older items); a check makes at most `MAX_POSTS_PER_CHECK`
//! posts and leaves the rest for the next one; a feed failing `feed_pause_after` checks in
//! a row pauses itself, saying why.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::feeds::{Item, normalise_link, render, strip_html};
use domain::{ProfileId, Provider};
use feed_rs::model::Entry;
use futures_util::StreamExt;
use store::StoreError;
use store::feeds::FeedRow;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::app::Ctx;
use crate::fetch::{Fetched, fetch};

/// New posts one check makes at most; what is left waits for the next check.
const MAX_POSTS_PER_CHECK: usize = 10;
/// Feeds checked at once by one collector.
const CHECKS_AT_ONCE: usize = 4;

pub async fn run(ctx: Arc<Ctx>, stop: Arc<Notify>) {
    crate::rounds::repeat("feeds", &ctx.config, stop, || round(&ctx)).await;
}

async fn round(ctx: &Ctx) -> Result<usize, StoreError> {
    let lease = chrono::Duration::milliseconds(ctx.config.lease_ms);
    let due = {
        let mut conn = ctx.pool.get().await?;
        store::feeds::claim(&mut conn, ctx.config.batch, lease).await?
    };
    let n = due.len();
    futures_util::stream::iter(due)
        .for_each_concurrent(CHECKS_AT_ONCE, |id| async move {
            if let Err(e) = check(ctx, id).await {
                tracing::warn!(feed_id = %id, error = %e, "feed check");
            }
        })
        .await;
    Ok(n)
}

/// What one fetch gave: nothing new since the last one, or the parsed feed.
enum Read {
    Unchanged,
    Feed { feed: Box<feed_rs::model::Feed>, etag: Option<String>, last_modified: Option<String> },
}

async fn check(ctx: &Ctx, id: Uuid) -> Result<(), StoreError> {
    let mut conn = ctx.pool.get().await?;
    let Some(feed) = store::feeds::by_id(&mut conn, id).await? else { return Ok(()) };
    drop(conn);
    let next = Utc::now() + chrono::Duration::minutes(i64::from(feed.check_interval_minutes));
    let read = fetch(ctx, &feed.feed_url, feed.etag.as_deref(), feed.last_modified.as_deref()).await.and_then(parse);
    match read {
        Err(why) => {
            let mut conn = ctx.pool.get().await?;
            let row =
                store::feeds::check_failed(&mut conn, id, &why, feed.next_check_at, next, ctx.config.feed_pause_after)
                    .await?;
            tracing::info!(feed_id = %id, error = %why, failures = row.error_count, status = %row.status, "feed check failed");
            metrics::counter!("postmantis_feed_checks_total", "outcome" => "failed").increment(1);
        }
        Ok(Read::Unchanged) => {
            let mut conn = ctx.pool.get().await?;
            store::feeds::checked(
                &mut conn,
                id,
                feed.etag.as_deref(),
                feed.last_modified.as_deref(),
                feed.next_check_at,
                next,
            )
            .await?;
            metrics::counter!("postmantis_feed_checks_total", "outcome" => "unchanged").increment(1);
        }
        Ok(Read::Feed { feed: parsed, etag, last_modified }) => {
            let made = take(ctx, &feed, *parsed).await?;
            let mut conn = ctx.pool.get().await?;
            store::feeds::checked(&mut conn, id, etag.as_deref(), last_modified.as_deref(), feed.next_check_at, next)
                .await?;
            tracing::info!(feed_id = %id, posts = made, "feed checked");
            metrics::counter!("postmantis_feed_checks_total", "outcome" => "read").increment(1);
        }
    }
    Ok(())
}

fn parse(f: Fetched) -> Result<Read, String> {
    let (bytes, content_type, etag, last_modified) = match f {
        Fetched::NotModified => return Ok(Read::Unchanged),
        Fetched::Body { bytes, content_type, etag, last_modified } => (bytes, content_type, etag, last_modified),
    };
    let head: String =
        String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).trim_start().chars().take(64).collect::<String>();
    let head = head.to_ascii_lowercase();
    if content_type.starts_with("text/html") || head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Err("the address answered an HTML page, not a feed (RSS, Atom or JSON Feed)".into());
    }
    let feed = feed_rs::parser::parse(&bytes[..])
        .map_err(|e| format!("the feed could not be read as RSS, Atom or JSON Feed: {e}"))?;
    Ok(Read::Feed { feed: Box::new(feed), etag, last_modified })
}

/// One entry in the template's terms, with what it is known by.
struct Seen {
    key: String,
    link: Option<String>,
    title: Option<String>,
    published: Option<DateTime<Utc>>,
    item: Item,
    image: Option<String>,
}

fn seen(e: &Entry) -> Seen {
    let link = e.links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).or(e.links.first());
    let href = link.map(|l| l.href.trim().to_owned()).filter(|h| !h.is_empty());
    let title = e.title.as_ref().map(|t| strip_html(&t.content)).filter(|t| !t.is_empty());
    let description = e
        .summary
        .as_ref()
        .map(|s| s.content.clone())
        .or_else(|| e.content.as_ref().and_then(|c| c.body.clone()))
        .map(|d| strip_html(&d))
        .unwrap_or_default();
    let published = e.published.or(e.updated);
    // feed-rs gives an entry without an id one made from its link, so the key is stable.
    let key =
        if e.id.trim().is_empty() { href.as_deref().map(normalise_link).unwrap_or_default() } else { e.id.clone() };
    let image = e
        .media
        .iter()
        .flat_map(|m| {
            let content = m.content.iter().filter(|c| {
                c.content_type.as_ref().is_some_and(|t| t.to_string().starts_with("image/"))
                    || c.url.as_ref().is_some_and(|u| is_image_path(u.path()))
            });
            content
                .filter_map(|c| c.url.as_ref().map(|u| u.to_string()))
                .chain(m.thumbnails.iter().map(|t| t.image.uri.clone()))
        })
        .next()
        .or_else(|| {
            e.links
                .iter()
                .find(|l| {
                    l.rel.as_deref() == Some("enclosure")
                        && l.media_type.as_deref().is_some_and(|t| t.starts_with("image/"))
                })
                .map(|l| l.href.clone())
        });
    Seen {
        item: Item {
            title: title.clone().unwrap_or_default(),
            url: href.clone().unwrap_or_default(),
            description,
            author: e.authors.first().map(|a| a.name.clone()).unwrap_or_default(),
            pub_date: published.map(|p| p.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        },
        key,
        link: href.as_deref().map(normalise_link),
        title,
        published,
        image,
    }
}

fn is_image_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp"].iter().any(|x| p.ends_with(x))
}

/// Gives each entry the feed has not seen its fate; returns how many posts were made.
async fn take(ctx: &Ctx, feed: &FeedRow, parsed: feed_rs::model::Feed) -> Result<usize, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let first_read = store::feeds::items(&mut conn, feed.id, 1).await?.is_empty();
    let scope = store::KeyScope::workspace(feed.workspace_id);
    let ids: Vec<ProfileId> = feed.profile_ids.iter().map(|p| ProfileId::from(*p)).collect();
    let targets: Vec<Provider> =
        store::profiles::find_many(&mut conn, &scope, &ids).await?.iter().map(|p| p.provider).collect();
    drop(conn);
    let mut entries: Vec<Seen> = parsed.entries.iter().map(seen).filter(|s| !s.key.is_empty()).collect();
    // Oldest first, so a feed's items are posted in the order they were published.
    entries.sort_by_key(|s| s.published);
    // The backlog: on the first read, the newest `backlog` of the items from before the feed.
    let older: Vec<&String> =
        entries.iter().filter(|s| s.published.is_none_or(|p| p < feed.created_at)).map(|s| &s.key).collect();
    let backlog: Vec<String> = if first_read {
        older.iter().rev().take(usize::try_from(feed.backlog).unwrap_or(0)).map(|k| (*k).clone()).collect()
    } else {
        Vec::new()
    };
    let mut made = 0;
    for s in &entries {
        let mut conn = ctx.pool.get().await?;
        if store::feeds::seen(&mut conn, feed.id, &s.key, s.link.as_deref()).await? {
            continue;
        }
        drop(conn);
        let before = s.published.is_none_or(|p| p < feed.created_at) && (first_read || s.published.is_some());
        let (fate, reason, post) = if before && !backlog.contains(&s.key) {
            ("skipped", Some("published before the feed was added".to_owned()), None)
        } else if made >= MAX_POSTS_PER_CHECK {
            // Left unrecorded: the next check takes it.
            continue;
        } else {
            match render(&feed.template, &s.item, &targets) {
                None => ("skipped", Some("too long for a target platform even shortened".to_owned()), None),
                Some(text) => {
                    let image = if feed.include_image { s.image.clone() } else { None };
                    let item = posting::feeds::NewItem { key: s.key.clone(), text, image };
                    match ctx.posting.post_item(feed, &item).await {
                        Ok(id) => {
                            made += 1;
                            ("posted", None, Some(id))
                        }
                        Err(posting::PostingError::Validation(errors)) => {
                            let why: Vec<String> =
                                errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
                            ("skipped", Some(why.join("; ")), None)
                        }
                        Err(e) => {
                            // The broker, media import or the database: try the item again next check.
                            tracing::warn!(feed_id = %feed.id, error = %e, "feed item not posted; next check tries again");
                            continue;
                        }
                    }
                }
            }
        };
        let mut conn = ctx.pool.get().await?;
        store::feeds::record_item(
            &mut conn,
            &store::feeds::NewItem {
                feed_id: feed.id,
                item_key: &s.key,
                link: s.link.as_deref(),
                title: s.title.as_deref(),
                published_at: s.published,
                fate,
                reason: reason.as_deref(),
                post_id: post,
            },
        )
        .await?;
        metrics::counter!("postmantis_feed_items_total", "fate" => fate).increment(1);
    }
    Ok(made)
}
