//! One module per platform, each implementing the capabilities it has; `all()` is the
//! registry.

mod bluesky;
mod dribbble;
mod facebook;
mod instagram;
mod linkedin;
mod mastodon;
mod pinterest;
mod reddit;
mod threads;
mod tiktok;
mod x;
mod youtube;

use std::collections::HashMap;

use domain::Provider;
use serde_json::Value;

use crate::recover::Candidate;
use crate::{Capabilities, Lookup, Publish, PublishRequest};

/// Every platform's capabilities. A platform without a look-up replays a repeated
/// publish by its own idempotency key (Mastodon), so there is nothing to look up.
pub fn all() -> HashMap<Provider, Capabilities> {
    fn both<A: Publish + Lookup + Copy + 'static>(a: A) -> Capabilities {
        Capabilities::publishing(a).with_lookup(a)
    }
    HashMap::from([
        (Provider::X, both(x::X).with_threads(x::X).with_metrics(x::X).with_engagement(x::X)),
        (
            Provider::Linkedin,
            both(linkedin::LinkedIn).with_comments(linkedin::LinkedIn).with_metrics(linkedin::LinkedIn),
        ),
        (Provider::Youtube, both(youtube::YouTube).with_comments(youtube::YouTube).with_metrics(youtube::YouTube)),
        (
            Provider::Instagram,
            both(instagram::Instagram)
                .with_comments(instagram::Instagram)
                .with_metrics(instagram::Instagram)
                .with_engagement(instagram::Instagram),
        ),
        (Provider::Tiktok, both(tiktok::TikTok).with_metrics(tiktok::TikTok)),
        (
            Provider::Facebook,
            both(facebook::Facebook)
                .with_comments(facebook::Facebook)
                .with_metrics(facebook::Facebook)
                .with_engagement(facebook::Facebook),
        ),
        (Provider::Threads, both(threads::Threads).with_threads(threads::Threads).with_metrics(threads::Threads)),
        (Provider::Pinterest, both(pinterest::Pinterest).with_metrics(pinterest::Pinterest)),
        (
            Provider::Bluesky,
            both(bluesky::Bluesky)
                .with_threads(bluesky::Bluesky)
                .with_metrics(bluesky::Bluesky)
                .with_engagement(bluesky::Bluesky),
        ),
        (
            Provider::Mastodon,
            Capabilities::publishing(mastodon::Mastodon)
                .with_threads(mastodon::Mastodon)
                .with_metrics(mastodon::Mastodon)
                .with_engagement(mastodon::Mastodon),
        ),
        (Provider::Reddit, both(reddit::Reddit).with_comments(reddit::Reddit).with_metrics(reddit::Reddit)),
        (Provider::Dribbble, both(dribbble::Dribbble).with_metrics(dribbble::Dribbble)),
    ])
}

/// The part a thread or comment request is for (set by whoever builds a part's request).
fn part(req: &PublishRequest) -> Result<&crate::PartOf, crate::ProviderError> {
    req.part
        .as_ref()
        .ok_or_else(|| crate::ProviderError::Rejected("a part was sent without the post it follows".into()))
}

/// A look-up of a comment or reply: the entries of `list` whose text is ours, made since
/// the first attempt, not another delivery's.
fn find_in(
    req: &PublishRequest,
    body: &Value,
    list: &str,
    each: impl Fn(&Value) -> Option<Candidate>,
) -> crate::FindResult {
    Ok(crate::recover::pick(req, Some(text(req)), None, candidates(body, list, each)))
}

/// A string option, if given.
fn opt<'a>(req: &'a PublishRequest, name: &str) -> Option<&'a str> {
    req.options.get(name).and_then(Value::as_str)
}

/// A flag option (JSON bool, or "true"/"false" from a multipart form).
fn flag(req: &PublishRequest, name: &str) -> Option<bool> {
    match req.options.get(name) {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) => Some(s == "true"),
        _ => None,
    }
}

/// The entries of a listing answer, as look-up candidates (entries without an id skipped).
fn candidates(body: &Value, list: &str, each: impl Fn(&Value) -> Option<Candidate>) -> Vec<Candidate> {
    body.pointer(list).and_then(Value::as_array).into_iter().flatten().filter_map(each).collect()
}

/// A Graph API look-up (Facebook, Instagram, Threads): `data[]` entries with an `id`, the
/// text under `text_key`, the time under `at_key` (`+0000` offsets), and `link` making an
/// entry's public URL.
async fn graph_find(
    cx: &crate::http::Cx,
    req: &PublishRequest,
    path: &str,
    text_key: &str,
    at_key: &str,
    link: fn(&Value) -> Option<String>,
) -> crate::FindResult {
    let listed = cx.send(cx.get(path)).await?;
    let found = candidates(&listed.body, "/data", |m| {
        Some(Candidate {
            id: s(m, "/id")?,
            url: link(m)?,
            text: m.get(text_key).and_then(Value::as_str).map(str::to_owned),
            title: None,
            created_at: crate::recover::timestamp(&m[at_key]),
        })
    });
    Ok(crate::recover::pick(req, Some(text(req)), None, found))
}

/// A Graph API comment (Facebook, Instagram): `POST /{post}/comments` with `message`.
/// `link` makes the comment's public URL from the post's and the comment's id.
async fn graph_comment(
    cx: &crate::http::Cx,
    req: &PublishRequest,
    link: fn(&crate::Published, &str) -> String,
) -> crate::PublishResult {
    let post = &part(req)?.root;
    let path = format!("/{}/comments", post.provider_post_id);
    let made = cx.send(cx.post(&path).json(&serde_json::json!({"message": text(req)}))).await?;
    let id = crate::http::field(cx, &made.body, "/id")?;
    let url = link(post, &id);
    Ok(crate::Published::new(id, url))
}

/// The post's comments (Graph API), for the one an earlier attempt made: `text_key` and
/// `at_key` are where the platform puts a comment's text and time.
async fn graph_find_comment(
    cx: &crate::http::Cx,
    req: &PublishRequest,
    text_key: &str,
    at_key: &str,
    link: fn(&crate::Published, &str) -> String,
) -> crate::FindResult {
    let post = &part(req)?.root;
    let path = format!("/{}/comments?fields=id,{text_key},{at_key}&limit=100", post.provider_post_id);
    let listed = cx.send(cx.get(&path)).await?;
    find_in(req, &listed.body, "/data", |c| {
        let id = s(c, "/id")?;
        Some(Candidate {
            url: link(post, &id),
            id,
            text: s(c, &format!("/{text_key}")),
            title: None,
            created_at: crate::recover::timestamp(&c[at_key]),
        })
    })
}

/// A Graph API insights answer (`data[{name, values[{value}]}]`) as name → value; a value
/// broken down by type (reactions) counts as its sum.
fn insights(body: &Value) -> std::collections::HashMap<String, Value> {
    body.pointer("/data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let name = m.get("name")?.as_str()?.to_owned();
            let value = m.pointer("/values/0/value").or_else(|| m.pointer("/total_value/value"))?;
            let value = match value {
                Value::Object(by_type) => Value::from(by_type.values().filter_map(Value::as_u64).sum::<u64>()),
                v => v.clone(),
            };
            Some((name, value))
        })
        .collect()
}

/// A post's figures from one GET: `expected` read from the object at `at` of the answer.
async fn get_figures(
    cx: &crate::http::Cx,
    path: &str,
    at: &str,
    expected: &[(&str, &str)],
) -> Result<domain::metrics::Snapshot, crate::ProviderError> {
    let got = cx.send(cx.get(path)).await?;
    Ok(figures(cx.name(), &got.body, at, expected))
}

/// An account's figures from one GET: `expected` read from the object at `at`.
async fn get_account(
    cx: &crate::http::Cx,
    path: &str,
    at: &str,
    expected: &[(&str, &str)],
) -> Result<domain::metrics::AccountSnapshot, crate::ProviderError> {
    let got = cx.send(cx.get(path)).await?;
    let object = got.body.pointer(at).cloned().unwrap_or(Value::Null);
    Ok(domain::metrics::AccountSnapshot::map(cx.name(), expected, |f| object.get(f).cloned()))
}

/// A Graph API object's insights (`GET /{object}/insights?metric=…`) as name → value, for
/// the named metrics.
async fn graph_insights(
    cx: &crate::http::Cx,
    object: &str,
    metrics: &[(&str, &str)],
) -> Result<std::collections::HashMap<String, Value>, crate::ProviderError> {
    let names: Vec<&str> = metrics.iter().map(|(_, f)| *f).collect();
    let got = cx.send(cx.get(&format!("/{object}/insights?metric={}", names.join(",")))).await?;
    Ok(insights(&got.body))
}

/// The figures of one object of an answer: `expected` fields (catalogue name, platform
/// field) read from `at` (a JSON pointer).
fn figures(platform: &str, body: &Value, at: &str, expected: &[(&str, &str)]) -> domain::metrics::Snapshot {
    let object = body.pointer(at).cloned().unwrap_or(Value::Null);
    domain::metrics::Snapshot::map(platform, expected, |f| object.get(f).cloned())
}

/// The objects of a listing by their id (`includes.users` and the like).
fn by_id(body: &Value, list: &str, id: &str) -> HashMap<String, Value> {
    body.pointer(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|u| Some((s(u, id)?, u.clone())))
        .collect()
}

/// A string field of a listing entry.
fn s(v: &Value, ptr: &str) -> Option<String> {
    match v.pointer(ptr)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text(req: &PublishRequest) -> &str {
    req.text.as_deref().unwrap_or("")
}

fn is_video(m: &crate::MediaItem) -> bool {
    m.content_type.starts_with("video/")
}

#[cfg(test)]
mod registry_tests {
    use domain::Provider;

    #[test]
    fn every_platform_publishes_and_all_but_mastodon_look_up() {
        let all = super::all();
        for p in Provider::ALL {
            let c = all.get(p).unwrap_or_else(|| panic!("{p} has no adapter"));
            assert_eq!(c.lookup.is_some(), *p != Provider::Mastodon, "{p}: look-up");
            // Whatever an inbox finds can be answered there.
            assert_eq!(c.reply.is_some(), c.inbox.is_some(), "{p}: inbox and reply");
            assert!(c.metrics.is_some(), "{p}: every platform's figures are read");
        }
    }

    /// The capability matrix acceptance and `GET /api/platforms` show is what the
    /// adapters implement: no platform claims a thread or comment no adapter can send.
    #[test]
    fn the_capability_matrix_is_what_the_adapters_implement() {
        let all = super::all();
        for p in domain::platforms::catalogue() {
            let c = &all[&p.platform];
            assert_eq!(p.capabilities.threads, c.thread.is_some(), "{}: threads", p.platform);
            assert_eq!(p.capabilities.first_comment, c.comment.is_some(), "{}: first comment", p.platform);
            assert_eq!(p.capabilities.reply, c.reply.is_some(), "{}: reply", p.platform);
            // Figures are read by every adapter, but the matrix claims `metrics` only once
            // the collector keeps them (the insights work): never a claim without an adapter.
            assert!(!p.capabilities.metrics || c.metrics.is_some(), "{}: metrics", p.platform);
            let inbox = p.capabilities.inbox;
            assert_eq!(inbox.comments || inbox.mentions || inbox.messages, c.inbox.is_some(), "{}", p.platform);
        }
    }
}

/// Each platform's answer, in its own shape, mapped to the catalogue; a figure it leaves
/// out is empty with a warning (never 0).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod metrics_tests {
    use domain::metrics::{Figures, Snapshot};
    use serde_json::json;

    fn graph(pairs: &[(&str, serde_json::Value)]) -> serde_json::Value {
        json!({"data": pairs.iter().map(|(n, v)| json!({"name": n, "period": "lifetime", "values": [{"value": v}]})).collect::<Vec<_>>()})
    }

    fn via_insights(platform: &str, body: &serde_json::Value, expected: &[(&str, &str)]) -> Snapshot {
        let got = super::insights(body);
        Snapshot::map(platform, expected, |f| got.get(f).cloned())
    }

    #[test]
    fn every_platform_maps_to_the_catalogue() {
        let x = json!({"data": {"id": "1", "public_metrics": {"retweet_count": 2, "reply_count": 3, "like_count": 10, "quote_count": 1, "bookmark_count": 4, "impression_count": 500}}});
        let f = super::figures("X", &x, "/data/public_metrics", super::x::X_FIGURES).figures;
        assert_eq!(
            f,
            Figures {
                impressions: Some(500),
                likes: Some(10),
                comments: Some(3),
                shares: Some(3),
                saves: Some(4),
                ..Default::default()
            }
        );

        let li = json!({"totalLikes": 7, "aggregatedTotalComments": 2});
        let f = super::figures("LinkedIn", &li, "", super::linkedin::LINKEDIN_FIGURES).figures;
        assert_eq!((f.likes, f.comments, f.impressions), (Some(7), Some(2), None));

        let yt = json!({"items": [{"id": "v", "statistics": {"viewCount": "1234", "likeCount": "56", "favoriteCount": "0", "commentCount": "7"}}]});
        let f = super::figures("YouTube", &yt, "/items/0/statistics", super::youtube::YOUTUBE_FIGURES).figures;
        assert_eq!(
            (f.video_views, f.likes, f.comments),
            (Some(1234), Some(56), Some(7)),
            "YouTube's counts are strings"
        );

        let ig = graph(&[
            ("views", json!(900)),
            ("reach", json!(700)),
            ("likes", json!(40)),
            ("comments", json!(5)),
            ("shares", json!(3)),
            ("saved", json!(9)),
        ]);
        let s = via_insights("Instagram", &ig, super::instagram::INSTAGRAM_FIGURES);
        assert_eq!(
            s.figures,
            Figures {
                impressions: Some(900),
                reach: Some(700),
                likes: Some(40),
                comments: Some(5),
                shares: Some(3),
                saves: Some(9),
                ..Default::default()
            }
        );
        assert!(!s.is_partial());

        let th = graph(&[
            ("views", json!(300)),
            ("likes", json!(20)),
            ("replies", json!(4)),
            ("reposts", json!(2)),
            ("quotes", json!(1)),
        ]);
        let f = via_insights("Threads", &th, super::threads::THREADS_FIGURES).figures;
        assert_eq!((f.impressions, f.likes, f.comments, f.shares), (Some(300), Some(20), Some(4), Some(3)));

        let mut fb = super::insights(&graph(&[
            ("post_impressions", json!(800)),
            ("post_impressions_unique", json!(600)),
            ("post_clicks", json!(12)),
            ("post_reactions_by_type_total", json!({"like": 30, "love": 5})),
        ]));
        fb.insert("comments".into(), json!(6));
        fb.insert("shares".into(), json!(2));
        let f = Snapshot::map("Facebook", super::facebook::FACEBOOK_FIGURES, |k| fb.get(k).cloned()).figures;
        assert_eq!(
            f,
            Figures {
                impressions: Some(800),
                reach: Some(600),
                clicks: Some(12),
                likes: Some(35),
                comments: Some(6),
                shares: Some(2),
                ..Default::default()
            }
        );

        let tt = json!({"data": {"videos": [{"id": "v", "view_count": 5000, "like_count": 300, "comment_count": 20, "share_count": 11}]}, "error": {"code": "ok"}});
        let f = super::figures("TikTok", &tt, "/data/videos/0", super::tiktok::TIKTOK_FIGURES).figures;
        assert_eq!((f.video_views, f.likes, f.comments, f.shares), (Some(5000), Some(300), Some(20), Some(11)));

        let pin = json!({"all": {"lifetime_metrics": {"IMPRESSION": 1000, "SAVE": 15, "PIN_CLICK": 30, "OUTBOUND_CLICK": 12}}});
        let f = super::figures("Pinterest", &pin, "/all/lifetime_metrics", super::pinterest::PINTEREST_FIGURES).figures;
        assert_eq!((f.impressions, f.saves, f.clicks), (Some(1000), Some(15), Some(42)));

        let bs =
            json!({"posts": [{"uri": "at://x", "likeCount": 9, "repostCount": 2, "quoteCount": 1, "replyCount": 3}]});
        let f = super::figures("Bluesky", &bs, "/posts/0", super::bluesky::BLUESKY_FIGURES).figures;
        assert_eq!((f.likes, f.shares, f.comments, f.impressions), (Some(9), Some(3), Some(3), None));

        let ma = json!({"id": "1", "favourites_count": 8, "reblogs_count": 2, "replies_count": 1});
        let f = super::figures("Mastodon", &ma, "", super::mastodon::MASTODON_FIGURES).figures;
        assert_eq!((f.likes, f.shares, f.comments), (Some(8), Some(2), Some(1)));

        let rd = json!({"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"name": "t3_a", "score": 42, "num_comments": 7}}]}});
        let f = super::figures("Reddit", &rd, "/data/children/0/data", super::reddit::REDDIT_FIGURES).figures;
        assert_eq!((f.likes, f.comments), (Some(42), Some(7)));

        let dr = json!({"id": 1, "likes_count": 12, "views_count": 340});
        let f = super::figures("Dribbble", &dr, "", super::dribbble::DRIBBBLE_FIGURES).figures;
        assert_eq!((f.likes, f.impressions), (Some(12), Some(340)));
    }

    #[test]
    fn a_retired_metric_leaves_a_partial_snapshot_with_a_warning() {
        // Instagram stopped answering `views` for this media: the rest stands, views empty.
        let ig = graph(&[
            ("reach", json!(700)),
            ("likes", json!(40)),
            ("comments", json!(5)),
            ("shares", json!(3)),
            ("saved", json!(9)),
        ]);
        let s = via_insights("Instagram", &ig, super::instagram::INSTAGRAM_FIGURES);
        assert_eq!(s.figures.impressions, None);
        assert_eq!(s.figures.likes, Some(40));
        assert!(s.is_partial());
        assert_eq!(s.warnings, vec!["Instagram no longer reports `views` (impressions); left empty"]);
        // X without impressions (not the account's own post, or a tier without them).
        let x = json!({"data": {"public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0, "bookmark_count": 0}}});
        let s = super::figures("X", &x, "/data/public_metrics", super::x::X_FIGURES);
        assert_eq!(
            (s.figures.likes, s.figures.impressions),
            (Some(0), None),
            "a real 0 stays 0; a missing one is empty"
        );
        assert_eq!(s.warnings.len(), 1);
    }
}

/// The comments on the account's latest posts (Graph API: Facebook pages, Instagram),
/// newer than the last read (`comments_since`, seconds; one second of overlap, the store
/// keeps each once). `author` reads an entry's author and says whether it is the account.
async fn graph_inbox(
    cx: &crate::http::Cx,
    read: &crate::InboxRead,
    fields: &str,
    text_key: &str,
    at_key: &str,
    author: impl Fn(&Value) -> (crate::Author, bool),
    link: impl Fn(&crate::Published, &str) -> String,
) -> Result<crate::InboxPage, crate::ProviderError> {
    let since = read.cursors.get("comments_since").and_then(Value::as_i64);
    let mut page = crate::InboxPage { items: Vec::new(), cursors: read.cursors.clone() };
    let mut newest = since.unwrap_or(0);
    for post in read.posts.iter().take(25) {
        let mut path = format!(
            "/{}/comments?fields={fields}&filter=stream&order=reverse_chronological&limit=100",
            post.provider_post_id
        );
        if let Some(t) = since {
            path.push_str(&format!("&since={}", t - 1));
        }
        let got = cx.send(cx.get(&path)).await?.body;
        for c in got.pointer("/data").and_then(Value::as_array).into_iter().flatten() {
            let Some(id) = s(c, "/id") else { continue };
            let (who, ours) = author(c);
            if ours {
                continue;
            }
            let at = crate::recover::timestamp(&c[at_key]).unwrap_or_else(chrono::Utc::now);
            newest = newest.max(at.timestamp());
            page.items.push(crate::InboxItem {
                url: s(c, "/permalink_url").or_else(|| Some(link(post, &id))),
                kind: domain::inbox::ItemKind::Comment,
                author: who,
                text: s(c, &format!("/{text_key}")).unwrap_or_default(),
                about: Some(post.provider_post_id.clone()),
                root: None,
                can_reply: true,
                can_hide: true,
                can_delete: true,
                at,
                id,
            });
        }
    }
    if newest > 0 {
        page.cursors.insert("comments_since".into(), Value::from(newest));
    }
    Ok(page)
}
