//! X: media upload, tweets, a user's timeline.

use super::*;

pub(super) async fn x_media_upload(sim: SimData, req: HttpRequest, form: Multipart) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let (texts, files) = read_form(form).await?;
            let (_, ct, bytes) =
                files.into_iter().find(|(n, _, _)| n == "media").ok_or_else(|| bad_request("media is required"))?;
            let category = texts.get("media_category").and_then(Value::as_str).unwrap_or("tweet_image");
            let id = sim.store_upload(&account, &ct, &bytes, json!({"media_category": category}));
            Ok(HttpResponse::Ok()
                .json(json!({"data": {"id": id, "media_key": format!("3_{id}"), "expires_after_secs": 86400}})))
        }
        .await,
    )
}

pub(super) async fn x_media_metadata(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            authorized(&req)?;
            let id = body["id"].as_str().ok_or_else(|| bad_request("id is required"))?.to_owned();
            let alt = body.pointer("/metadata/alt_text/text").and_then(Value::as_str).map(str::to_owned);
            match sim.state.lock().uploads.get_mut(&id) {
                Some(u) => u.alt = alt,
                None => return Err(bad_request("unknown media id")),
            }
            Ok(HttpResponse::Ok().json(json!({"data": {"associated_metadata": true}})))
        }
        .await,
    )
}

pub(super) async fn x_tweets(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let text = body["text"].as_str().map(str::to_owned);
            let ids: Vec<String> = body
                .pointer("/media/media_ids")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let media = ids.iter().map(|i| sim.upload_facts(i)).collect();
            let parent = body.pointer("/reply/in_reply_to_tweet_id").and_then(Value::as_str).map(str::to_owned);
            let kind = if parent.is_some() { "reply" } else { "post" };
            let step = Step {
                kind,
                parent,
                provider: "x",
                account: &account,
                req: &req,
                request: request_record(&req, body.0.clone()),
                text: text.clone(),
                media,
                key: None,
                title: None,
            };
            let post = sim.publish_step(step).await?.post();
            Ok(HttpResponse::Created().json(json!({"data": {"id": post.id, "text": text}})))
        }
        .await,
    )
}

pub(super) async fn x_user_tweets(sim: SimData, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    done(
        async {
            authorized(&req)?;
            let st = sim.state.lock();
            let mine: Vec<Value> = st
                .publishes
                .iter()
                .rev()
                .filter(|p| p.provider == "x" && p.account == *id)
                .take(page_size(&req))
                .map(|p| {
                    let mut t = json!({"id": p.id, "text": p.text.as_deref().map(x_stored_text), "created_at": p.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)});
                    if let Some(parent) = &p.parent {
                        t["referenced_tweets"] = json!([{"type": "replied_to", "id": parent}]);
                    }
                    t
                })
                .collect();
            Ok(HttpResponse::Ok().json(json!({"data": mine, "meta": {"result_count": mine.len()}})))
        }
        .await,
    )
}

/// X keeps a post's text trimmed, with every link wrapped as a t.co link.
pub(super) fn x_stored_text(text: &str) -> String {
    text.trim()
        .split_inclusive(char::is_whitespace)
        .map(|w| {
            let bare = w.trim_end();
            if bare.starts_with("http://") || bare.starts_with("https://") {
                let wrapped = &crate::sim::sha256(bare.as_bytes())[..10];
                format!("https://t.co/{wrapped}{}", &w[bare.len()..])
            } else {
                w.to_owned()
            }
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub(super) struct Since {
    since_id: Option<String>,
}

fn newer(id: &str, since: Option<&str>) -> bool {
    since.is_none_or(|s| id.parse::<u128>().unwrap_or(0) > s.parse::<u128>().unwrap_or(0))
}

/// `GET /2/users/{id}/mentions`: tweets mentioning the account (replies to its posts
/// among them), newest first, after `since_id`, with their authors under `includes`.
pub(super) async fn x_mentions(
    sim: SimData,
    req: HttpRequest,
    id: web::Path<String>,
    q: web::Query<Since>,
) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        if *id != account {
            return Err(
                HttpResponse::Forbidden().json(json!({"title": "Forbidden", "detail": "not this user's mentions"}))
            );
        }
        let said: Vec<crate::audience::Said> = sim
            .audience_of("x", &account)
            .into_iter()
            .rev()
            .filter(|s| (s.kind == "comment" || s.kind == "mention") && newer(&s.id, q.since_id.as_deref()))
            .take(page_size(&req))
            .collect();
        let data: Vec<Value> = said
            .iter()
            .map(|s| {
                let mut t = json!({"id": s.id, "text": s.text, "author_id": format!("u{}", s.author),
                    "created_at": s.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "conversation_id": s.about.clone().unwrap_or(s.id.clone())});
                if let Some(about) = &s.about {
                    t["referenced_tweets"] = json!([{"type": "replied_to", "id": about}]);
                }
                t
            })
            .collect();
        let users: Vec<Value> = said
            .iter()
            .map(|s| json!({"id": format!("u{}", s.author), "username": s.author, "name": s.author}))
            .collect();
        let mut meta = json!({"result_count": data.len()});
        if let Some(first) = said.first() {
            meta["newest_id"] = json!(first.id);
        }
        let mut body = json!({"meta": meta});
        if !data.is_empty() {
            body["data"] = json!(data);
            body["includes"] = json!({"users": users});
        }
        Ok(HttpResponse::Ok().json(body))
    })())
}

/// `GET /2/dm_events`: the account's direct messages, newest first.
pub(super) async fn x_dm_events(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let said: Vec<crate::audience::Said> =
            sim.audience_of("x", &account).into_iter().rev().filter(|s| s.kind == "dm").take(page_size(&req)).collect();
        let data: Vec<Value> = said
            .iter()
            .map(|s| {
                json!({"id": s.id, "event_type": "MessageCreate", "text": s.text, "sender_id": format!("u{}", s.author),
                    "dm_conversation_id": format!("{}-u{}", account, s.author), "created_at": s.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)})
            })
            .collect();
        let users: Vec<Value> = said
            .iter()
            .map(|s| json!({"id": format!("u{}", s.author), "username": s.author, "name": s.author}))
            .collect();
        Ok(HttpResponse::Ok()
            .json(json!({"data": data, "includes": {"users": users}, "meta": {"result_count": data.len()}})))
    })())
}
