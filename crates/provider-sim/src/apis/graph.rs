//! The Graph APIs: Instagram and Threads containers and publish, Facebook page feed and photos, listings and objects.

use super::*;

/// Graph API time stamps: `2026-12-01T12:00:05+0000`.
pub(super) fn graph_time(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// A container waiting to be published.
pub(super) fn container(
    sim: &SimData,
    account: &str,
    provider: &str,
    body: &Value,
    req: &HttpRequest,
    media: Vec<Value>,
) -> String {
    let meta = json!({"provider": provider, "request": request_record(req, body.clone()), "media": media});
    sim.store_upload(account, "container", &[], meta)
}

pub(super) async fn graph_container(
    sim: SimData,
    req: HttpRequest,
    user: String,
    body: Value,
    provider: &str,
) -> Reply {
    let account = authorized(&req)?;
    if user != account {
        return Err(bad_request("the token does not belong to this account"));
    }
    let mut urls = Vec::new();
    for key in ["image_url", "video_url"] {
        if let Some(u) = body[key].as_str() {
            urls.push(u.to_owned());
        }
    }
    let mut media = sim.fetch_all(&urls).await?;
    if let Some(children) = body["children"].as_str() {
        for c in children.split(',') {
            if let Some(up) = sim.upload(c) {
                media.extend(up.meta["media"].as_array().cloned().unwrap_or_default());
            }
        }
    }
    let id = container(&sim, &account, provider, &body, &req, media);
    Ok(HttpResponse::Ok().json(json!({"id": id})))
}

pub(super) async fn graph_publish(sim: SimData, req: HttpRequest, body: Value, provider: &str) -> Reply {
    let account = authorized(&req)?;
    let cid = body["creation_id"].as_str().ok_or_else(|| bad_request("creation_id is required"))?;
    let c =
        sim.upload(cid).filter(|c| c.content_type == "container").ok_or_else(|| bad_request("unknown creation_id"))?;
    let request = c.meta["request"].clone();
    let text = request
        .pointer("/body/caption")
        .or_else(|| request.pointer("/body/text"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let media = c.meta["media"].as_array().cloned().unwrap_or_default();
    let parent = request.pointer("/body/reply_to_id").and_then(Value::as_str).map(str::to_owned);
    let kind = if parent.is_some() { "reply" } else { "post" };
    let step =
        Step { kind, parent, provider, account: &account, req: &req, request, text, media, key: None, title: None };
    let post = sim.publish_step(step).await?.post();
    Ok(HttpResponse::Ok().json(json!({"id": post.id})))
}

pub(super) async fn ig_container(
    sim: SimData,
    req: HttpRequest,
    user: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    done(graph_container(sim, req, user.into_inner(), body.0, "instagram").await)
}

pub(super) async fn ig_publish(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(graph_publish(sim, req, body.0, "instagram").await)
}

pub(super) async fn th_container(
    sim: SimData,
    req: HttpRequest,
    user: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    done(graph_container(sim, req, user.into_inner(), body.0, "threads").await)
}

pub(super) async fn th_publish(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(graph_publish(sim, req, body.0, "threads").await)
}

pub(super) async fn fb_post(sim: SimData, req: HttpRequest, page: String, body: Value, photo: bool) -> Reply {
    let account = authorized(&req)?;
    if page != account {
        return Err(bad_request("the token does not belong to this page"));
    }
    let media = match body["url"].as_str() {
        Some(u) if photo => sim.fetch_all(&[u.to_owned()]).await?,
        _ => vec![],
    };
    let text = body["message"].as_str().or_else(|| body["caption"].as_str()).map(str::to_owned);
    let step = Step {
        kind: "post",
        parent: None,
        provider: "facebook",
        account: &account,
        req: &req,
        request: request_record(&req, body.clone()),
        text,
        media,
        key: None,
        title: None,
    };
    let post = sim.publish_step(step).await?.post();
    let post_id = format!("{page}_{}", post.id);
    Ok(HttpResponse::Ok().json(if photo { json!({"id": post.id, "post_id": post_id}) } else { json!({"id": post_id}) }))
}

pub(super) async fn fb_feed(
    sim: SimData,
    req: HttpRequest,
    page: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    done(fb_post(sim, req, page.into_inner(), body.0, false).await)
}

pub(super) async fn fb_photos(
    sim: SimData,
    req: HttpRequest,
    page: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    done(fb_post(sim, req, page.into_inner(), body.0, true).await)
}

/// `GET /{id}?fields=permalink` for published Instagram and Threads media.
pub(super) async fn graph_object(sim: SimData, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            // The account itself: its followers (Instagram users, Facebook pages).
            if *id == account && req.query_string().contains("followers_count") {
                return Ok(HttpResponse::Ok().json(super::metrics::graph_account(&sim, &account)));
            }
            // A Facebook page post (`{page}_{n}`): its shares and comments summary.
            if let Some((_, n)) = id.split_once('_')
                && let Some(p) = sim.publish_of("facebook", &account, n)
            {
                let m = sim.figures(&p, &["shares", "comments"]);
                let mut v = json!({"id": id.as_str()});
                if let Some(s) = m.get("shares") {
                    v["shares"] = json!({"count": s});
                }
                if let Some(c) = m.get("comments") {
                    v["comments"] = json!({"data": [], "summary": {"total_count": c}});
                }
                return Ok(HttpResponse::Ok().json(v));
            }
            let st = sim.state.lock();
            let p = st.publishes.iter().find(|p| p.id == *id).ok_or_else(|| {
                HttpResponse::NotFound().json(json!({"error": {"message": "Unsupported get request"}}))
            })?;
            let permalink = match p.provider.as_str() {
                "threads" => format!("https://www.threads.net/@{}/post/{}", p.account, p.id),
                _ => format!("https://www.instagram.com/p/{}/", p.id),
            };
            Ok(HttpResponse::Ok().json(json!({"id": p.id, "permalink": permalink})))
        }
        .await,
    )
}

pub(super) fn graph_list(sim: &SimData, req: &HttpRequest, provider: &str, text_key: &str) -> Reply {
    list(sim, req, provider).map(|ps| {
        let data: Vec<Value> = ps
            .iter()
            .map(|p| {
                let permalink = match provider {
                    "threads" => format!("https://www.threads.net/@{}/post/{}", p.account, p.id),
                    "facebook" => format!("https://www.facebook.com/{}_{}", p.account, p.id),
                    _ => format!("https://www.instagram.com/p/{}/", p.id),
                };
                let id = if provider == "facebook" { format!("{}_{}", p.account, p.id) } else { p.id.clone() };
                let at_key = if provider == "facebook" { "created_time" } else { "timestamp" };
                json!({"id": id, text_key: p.text, "permalink": permalink, at_key: graph_time(&p.at)})
            })
            .collect();
        HttpResponse::Ok().json(json!({"data": data}))
    })
}

pub(super) async fn ig_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(graph_list(&sim, &req, "instagram", "caption"))
}

pub(super) async fn th_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(graph_list(&sim, &req, "threads", "text"))
}

pub(super) async fn fb_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(graph_list(&sim, &req, "facebook", "message"))
}

/// The Graph API object a comment is made on (`{page}_{n}` for a Facebook post,
/// `{post}_{n}` for a Facebook comment): one of the account's posts, or a comment its
/// audience made on one (a reply answers it).
fn commented(sim: &SimData, account: &str, object: &str) -> Result<crate::sim::Publish, HttpResponse> {
    let id = object.rsplit('_').next().unwrap_or(object);
    let graph = |p: &str| p == "facebook" || p == "instagram";
    let st = sim.state.lock();
    if let Some(p) = st.publishes.iter().find(|p| p.id == id && p.account == account && graph(&p.provider)) {
        return Ok(p.clone());
    }
    if let Some(a) = st.audience.iter().find(|a| a.id == id && a.account == account && graph(&a.provider)) {
        return Ok(crate::sim::Publish {
            id: a.id.clone(),
            provider: a.provider.clone(),
            account: a.account.clone(),
            text: Some(a.text.clone()),
            title: None,
            key: None,
            at: a.at,
            kind: "audience".into(),
            parent: a.about.clone(),
        });
    }
    Err(HttpResponse::NotFound()
        .json(json!({"error": {"message": format!("Unsupported post request: object {object} does not exist")}})))
}

/// `POST /{object}/comments` (Facebook page posts and comments, Instagram media):
/// `message`. `POST /{comment}/replies` (Instagram) answers a comment the same way.
pub(super) async fn graph_comment(
    sim: SimData,
    req: HttpRequest,
    object: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let on = commented(&sim, &account, &object)?;
            let text = body["message"].as_str().map(str::to_owned).ok_or_else(|| bad_request("message is required"))?;
            let provider = on.provider.clone();
            let step = Step {
                kind: "comment",
                parent: Some(on.id.clone()),
                provider: &provider,
                account: &account,
                req: &req,
                request: request_record(&req, body.0.clone()),
                text: Some(text),
                media: vec![],
                key: None,
                title: None,
            };
            let made = sim.publish_step(step).await?.post();
            let id = if provider == "facebook" { format!("{}_{}", on.id, made.id) } else { made.id };
            Ok(HttpResponse::Ok().json(json!({"id": id})))
        }
        .await,
    )
}

/// `GET /{object}/comments`: the comments on a post (or the replies to a comment), newest
/// first: the account's own and its audience's, each saying who wrote it.
pub(super) async fn graph_comments(sim: SimData, req: HttpRequest, object: web::Path<String>) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let on = commented(&sim, &account, &object)?;
        Ok(HttpResponse::Ok().json(json!({"data": comments_on(&sim, &req, &account, &on)})))
    })())
}

fn comments_on(sim: &SimData, req: &HttpRequest, account: &str, on: &crate::sim::Publish) -> Vec<Value> {
    let since = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "since")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let mut all: Vec<(String, Option<String>, chrono::DateTime<chrono::Utc>, String)> = sim
        .recent_of(&on.provider, account, "comment", 100)
        .into_iter()
        .filter(|c| c.parent.as_deref() == Some(on.id.as_str()))
        .map(|c| (c.id, c.text, c.at, account.to_owned()))
        .collect();
    if crate::audience::WITH_INBOX.contains(&on.provider.as_str()) {
        all.extend(
            sim.audience_of(&on.provider, account)
                .into_iter()
                .filter(|a| a.kind == "comment" && a.about.as_deref() == Some(on.id.as_str()))
                .map(|a| (a.id, Some(a.text), a.at, a.author)),
        );
    }
    all.retain(|(_, _, at, _)| since.is_none_or(|s| at.timestamp() > s));
    all.sort_by_key(|c| std::cmp::Reverse(c.2));
    all.into_iter()
        .take(page_size(req))
        .map(|(id, text, at, who)| match on.provider.as_str() {
            "facebook" => {
                let from = if who == account { json!({"id": account, "name": account}) } else { json!({"id": format!("u{who}"), "name": who}) };
                json!({"id": format!("{}_{}", on.id, id), "message": text, "created_time": graph_time(&at), "from": from,
                    "permalink_url": format!("https://www.facebook.com/{}_{}?comment_id={id}", account, on.id)})
            }
            _ => json!({"id": id, "text": text, "timestamp": graph_time(&at), "username": who}),
        })
        .collect()
}

/// Instagram `GET /{comment}/replies`, or Threads `GET /{user}/replies` (the account's
/// replies, newest first).
pub(super) async fn th_replies(sim: SimData, req: HttpRequest, object: web::Path<String>) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        if *object != account {
            let on = commented(&sim, &account, &object)?;
            return Ok(HttpResponse::Ok().json(json!({"data": comments_on(&sim, &req, &account, &on)})));
        }
        let data: Vec<Value> = sim
            .recent_of("threads", &account, "reply", page_size(&req))
            .iter()
            .map(|p| {
                json!({"id": p.id, "text": p.text, "permalink": format!("https://www.threads.net/@{}/post/{}", p.account, p.id),
                    "timestamp": graph_time(&p.at), "replied_to": {"id": p.parent}})
            })
            .collect();
        Ok(HttpResponse::Ok().json(json!({"data": data})))
    })())
}
