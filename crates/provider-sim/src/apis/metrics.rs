//! The platforms' metric endpoints, each in its own shape, with figures that grow
//! deterministically with the time since the post was published (`Sim::figure`) and
//! without the fields a test retired (`PUT /_sim/metrics/{account}`).

use super::*;
use crate::sim::Publish;

fn not_found(what: &str) -> HttpResponse {
    HttpResponse::NotFound().json(json!({"error": {"message": format!("{what} does not exist")}}))
}

/// The account's publish on `provider` named `id`, or 404.
fn post_of(sim: &SimData, req: &HttpRequest, provider: &str, id: &str) -> Result<Publish, HttpResponse> {
    let account = authorized(req)?;
    sim.publish_of(provider, &account, id).ok_or_else(|| not_found(id))
}

fn query(req: &HttpRequest) -> std::collections::HashMap<String, String> {
    serde_urlencoded::from_str(req.query_string()).unwrap_or_default()
}

/// X `GET /2/tweets/{id}?tweet.fields=public_metrics`.
pub(super) async fn x_tweet(sim: SimData, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    done((|| {
        let p = post_of(&sim, &req, "x", &id)?;
        let m = sim.figures(
            &p,
            &["retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count", "impression_count"],
        );
        Ok(HttpResponse::Ok().json(json!({"data": {"id": p.id, "text": p.text, "public_metrics": m}})))
    })())
}

/// LinkedIn `GET /rest/socialActions/{urn}`: likes and comments summaries.
pub(super) async fn li_social_actions(sim: SimData, req: HttpRequest, urn: web::Path<String>) -> HttpResponse {
    done((|| {
        let id = urn.strip_prefix("urn:li:share:").unwrap_or("");
        let p = post_of(&sim, &req, "linkedin", id)?;
        let m = sim.figures(&p, &["totalLikes", "aggregatedTotalComments"]);
        Ok(HttpResponse::Ok().json(json!({
            "target": urn.as_str(),
            "likesSummary": {"totalLikes": m.get("totalLikes"), "likedByCurrentUser": false},
            "commentsSummary": {"aggregatedTotalComments": m.get("aggregatedTotalComments")},
        })))
    })())
}

/// YouTube `GET /youtube/v3/videos?part=statistics&id=…`: counts as strings.
pub(super) async fn yt_videos(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let id = query(&req).get("id").cloned().unwrap_or_default();
        let p = post_of(&sim, &req, "youtube", &id)?;
        let m = sim.figures(&p, &["viewCount", "likeCount", "favoriteCount", "commentCount"]);
        let stats: serde_json::Map<String, Value> =
            m.into_iter().map(|(k, v)| (k, Value::String(v.to_string()))).collect();
        Ok(HttpResponse::Ok().json(json!({"kind": "youtube#videoListResponse", "items": [{"kind": "youtube#video", "id": p.id, "statistics": stats}]})))
    })())
}

/// Graph API `GET /{id}/insights?metric=…` (Instagram media, Threads media, Facebook
/// page posts `{page}_{n}`): one entry per metric asked for and not retired.
pub(super) async fn graph_insights(sim: SimData, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let bare = id.rsplit('_').next().unwrap_or(&id);
        let p = ["instagram", "threads", "facebook"]
            .iter()
            .find_map(|pr| sim.publish_of(pr, &account, bare))
            .ok_or_else(|| not_found(&id))?;
        let asked: Vec<String> =
            query(&req).get("metric").map(|m| m.split(',').map(str::to_owned).collect()).unwrap_or_default();
        let names: Vec<&str> = asked.iter().map(String::as_str).collect();
        let m = sim.figures(&p, &names);
        let data: Vec<Value> = names
            .iter()
            .filter_map(|n| {
                let v = m.get(*n)?;
                // Facebook breaks reactions down by type.
                let value = if *n == "post_reactions_by_type_total" {
                    let all = v.as_u64().unwrap_or(0);
                    json!({"like": all - all / 4, "love": all / 4})
                } else {
                    v.clone()
                };
                Some(json!({"name": n, "period": "lifetime", "values": [{"value": value}], "id": format!("{}/insights/{n}/lifetime", id.as_str())}))
            })
            .collect();
        Ok(HttpResponse::Ok().json(json!({"data": data})))
    })())
}

/// TikTok `POST /v2/video/query/` with `filters.video_ids`.
pub(super) async fn tt_query(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let ids: Vec<String> = body
            .pointer("/filters/video_ids")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let videos: Vec<Value> = ids
            .iter()
            .filter_map(|id| sim.publish_of("tiktok", &account, id))
            .map(|p| {
                let mut v = sim.figures(&p, &["view_count", "like_count", "comment_count", "share_count"]);
                v.insert("id".into(), json!(p.id));
                Value::Object(v)
            })
            .collect();
        Ok(HttpResponse::Ok().json(
            json!({"data": {"videos": videos, "cursor": 0, "has_more": false}, "error": {"code": "ok", "message": ""}}),
        ))
    })())
}

/// Pinterest `GET /v5/pins/{id}/analytics`.
pub(super) async fn pin_analytics(sim: SimData, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    done((|| {
        let p = post_of(&sim, &req, "pinterest", &id)?;
        let m = sim.figures(&p, &["IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK"]);
        Ok(HttpResponse::Ok().json(json!({"all": {"lifetime_metrics": m, "daily_metrics": []}})))
    })())
}

/// Bluesky `app.bsky.feed.getPosts?uris=…`: post views with their counts.
pub(super) async fn bsky_get_posts(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let uri = query(&req).get("uris").cloned().unwrap_or_default();
        let key = uri.rsplit('/').next().unwrap_or("");
        let found = sim
            .state
            .lock()
            .publishes
            .iter()
            .find(|p| p.provider == "bluesky" && p.account == account && p.key.as_deref() == Some(key))
            .cloned();
        let posts: Vec<Value> = found
            .into_iter()
            .map(|p| {
                let mut v = sim.figures(&p, &["likeCount", "repostCount", "quoteCount", "replyCount"]);
                v.insert("uri".into(), json!(uri));
                v.insert("cid".into(), json!(format!("bafyrei{}", p.id)));
                v.insert("record".into(), json!({"$type": "app.bsky.feed.post", "text": p.text}));
                Value::Object(v)
            })
            .collect();
        Ok(HttpResponse::Ok().json(json!({"posts": posts})))
    })())
}

/// Mastodon `GET /api/v1/statuses/{id}`.
pub(super) async fn masto_status_get(sim: SimData, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    done((|| {
        let p = post_of(&sim, &req, "mastodon", &id)?;
        let mut v = sim.figures(&p, &["favourites_count", "reblogs_count", "replies_count"]);
        v.insert("id".into(), json!(p.id));
        v.insert("content".into(), json!(p.text));
        v.insert("in_reply_to_id".into(), json!(p.parent));
        Ok(HttpResponse::Ok().json(Value::Object(v)))
    })())
}

/// Reddit `GET /api/info?id=t3_…`.
pub(super) async fn reddit_info(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let name = query(&req).get("id").cloned().unwrap_or_default();
        let id = name.strip_prefix("t3_").unwrap_or(&name);
        let children: Vec<Value> = sim
            .publish_of("reddit", &account, id)
            .into_iter()
            .map(|p| {
                let mut d = sim.figures(&p, &["score", "num_comments"]);
                d.insert("name".into(), json!(format!("t3_{}", p.id)));
                d.insert("title".into(), json!(p.title));
                json!({"kind": "t3", "data": d})
            })
            .collect();
        Ok(HttpResponse::Ok().json(json!({"kind": "Listing", "data": {"children": children}})))
    })())
}

/// Dribbble `GET /v2/shots/{id}`.
pub(super) async fn dribbble_shot(sim: SimData, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    done((|| {
        let p = post_of(&sim, &req, "dribbble", &id)?;
        let mut v = sim.figures(&p, &["likes_count", "views_count"]);
        v.insert("id".into(), json!(p.id.parse::<u64>().unwrap_or(0)));
        v.insert("title".into(), json!(p.title));
        Ok(HttpResponse::Ok().json(Value::Object(v)))
    })())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sim::Sim;

    #[test]
    fn figures_grow_with_age_and_are_the_same_for_the_same_age() {
        let at = chrono::Utc::now() - chrono::Duration::hours(1);
        let p = Publish {
            id: "1".into(),
            provider: "x".into(),
            account: "a".into(),
            text: None,
            title: None,
            key: None,
            at,
            kind: "post".into(),
            parent: None,
        };
        let later = at + chrono::Duration::hours(4);
        let now = at + chrono::Duration::hours(1);
        assert_eq!(Sim::figure(&p, "impression_count", now), 2400, "40 · √3600 s");
        assert!(Sim::figure(&p, "impression_count", later) > Sim::figure(&p, "impression_count", now));
        assert!(Sim::figure(&p, "like_count", now) < Sim::figure(&p, "impression_count", now));
        assert_eq!(Sim::figure(&p, "like_count", at), 0, "nothing at the moment of publishing");
    }
}
