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

/// An account's figures as one object, for the platforms that answer with one.
fn account_object(sim: &SimData, req: &HttpRequest, provider: &str, followers: &str, posts: Option<&str>) -> Reply {
    let account = authorized(req)?;
    Ok(HttpResponse::Ok().json(Value::Object(sim.account_figures(&account, &[provider], followers, posts))))
}

/// X `GET /2/users/me?user.fields=public_metrics`.
pub(super) async fn x_me(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let mut m = sim.account_figures(&account, &["x"], "followers_count", Some("tweet_count"));
        m.insert("following_count".into(), json!(12));
        Ok(HttpResponse::Ok().json(json!({"data": {"id": account, "username": account, "public_metrics": m}})))
    })())
}

/// LinkedIn `GET /rest/networkSizes/{organization urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`.
pub(super) async fn li_network_size(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(account_object(&sim, &req, "linkedin", "firstDegreeSize", None))
}

/// LinkedIn `GET /rest/memberFollowersCount?q=me`.
pub(super) async fn li_member_followers(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let m = sim.account_figures(&account, &["linkedin"], "memberFollowersCount", None);
        Ok(HttpResponse::Ok().json(json!({"elements": [m], "paging": {"count": 10, "start": 0, "links": []}})))
    })())
}

/// YouTube `GET /youtube/v3/channels?part=statistics&mine=true`: counts as strings.
pub(super) async fn yt_channels(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let m = sim.account_figures(&account, &["youtube"], "subscriberCount", Some("videoCount"));
        let mut stats: serde_json::Map<String, Value> =
            m.into_iter().map(|(k, v)| (k, Value::String(v.to_string()))).collect();
        stats.insert("hiddenSubscriberCount".into(), json!(false));
        Ok(HttpResponse::Ok().json(json!({"kind": "youtube#channelListResponse", "items": [{"kind": "youtube#channel", "id": account, "statistics": stats}]})))
    })())
}

/// TikTok `GET /v2/user/info/?fields=follower_count,video_count`.
pub(super) async fn tt_user_info(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let m = sim.account_figures(&account, &["tiktok"], "follower_count", Some("video_count"));
        Ok(HttpResponse::Ok().json(json!({"data": {"user": m}, "error": {"code": "ok", "message": ""}})))
    })())
}

/// Pinterest `GET /v5/user_account`.
pub(super) async fn pin_user_account(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(account_object(&sim, &req, "pinterest", "follower_count", Some("pin_count")))
}

/// Mastodon `GET /api/v1/accounts/verify_credentials`.
pub(super) async fn masto_verify_credentials(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(account_object(&sim, &req, "mastodon", "followers_count", Some("statuses_count")))
}

/// Reddit `GET /api/v1/me`: the profile's own subreddit carries its subscribers.
pub(super) async fn reddit_me(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let m = sim.account_figures(&account, &["reddit"], "subscribers", None);
        Ok(HttpResponse::Ok().json(json!({"name": account, "subreddit": m})))
    })())
}

/// Dribbble `GET /v2/user`.
pub(super) async fn dribbble_user(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(account_object(&sim, &req, "dribbble", "followers_count", None))
}

/// Threads `GET /{user}/threads_insights?metric=followers_count` (a total value).
pub(super) async fn th_user_insights(sim: SimData, req: HttpRequest, user: web::Path<String>) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let m = sim.account_figures(&account, &["threads"], "followers_count", None);
        let data: Vec<Value> = m
            .iter()
            .map(|(n, v)| json!({"name": n, "period": "day", "total_value": {"value": v}, "id": format!("{user}/insights/{n}/day")}))
            .collect();
        Ok(HttpResponse::Ok().json(json!({"data": data})))
    })())
}

/// Graph API `GET /{account}?fields=followers_count,…` (an Instagram user, a Facebook page).
pub(super) fn graph_account(sim: &SimData, account: &str) -> Value {
    let mut m = sim.account_figures(account, &["instagram", "facebook"], "followers_count", Some("media_count"));
    if let Some(f) = m.get("followers_count").cloned() {
        m.insert("fan_count".into(), f);
    }
    m.insert("id".into(), json!(account));
    Value::Object(m)
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
