//! Mastodon: media and statuses (Idempotency-Key replay).

use super::*;

pub(super) async fn masto_media(sim: SimData, req: HttpRequest, form: Multipart) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let (texts, files) = read_form(form).await?;
            let (_, ct, bytes) =
                files.into_iter().find(|(n, _, _)| n == "file").ok_or_else(|| bad_request("file is required"))?;
            let id = sim.store_upload(&account, &ct, &bytes, json!({}));
            let alt = texts.get("description").and_then(Value::as_str).map(str::to_owned);
            if let Some(u) = sim.state.lock().uploads.get_mut(&id) {
                u.alt = alt.clone();
            }
            Ok(HttpResponse::Ok().json(
                json!({"id": id, "type": if ct.starts_with("video/") { "video" } else { "image" }, "description": alt}),
            ))
        }
        .await,
    )
}

pub(super) async fn masto_status(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let ids: Vec<String> = body["media_ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let media = ids.iter().map(|i| sim.upload_facts(i)).collect();
            let text = body["status"].as_str().map(str::to_owned);
            let key = header(&req, "idempotency-key");
            let parent = body["in_reply_to_id"].as_str().map(str::to_owned);
            let kind = if parent.is_some() { "reply" } else { "post" };
            let step = Step {
                kind,
                parent,
                provider: "mastodon",
                account: &account,
                req: &req,
                request: request_record(&req, body.0.clone()),
                text: text.clone(),
                media,
                key,
                title: None,
            };
            let post = sim.publish_step(step).await?.post();
            Ok(HttpResponse::Ok().json(json!({
                "id": post.id,
                "url": format!("https://mastodon.example/@{account}/{}", post.id),
                "content": text,
                "visibility": body["visibility"],
                "in_reply_to_id": post.parent,
            })))
        }
        .await,
    )
}

/// `GET /api/v1/notifications`: mentions (replies and direct messages among them),
/// favourites, reblogs and follows, newest first, after `since_id`.
pub(super) async fn masto_notifications(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let q: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        let since = q.iter().find(|(k, _)| k == "since_id").and_then(|(_, v)| v.parse::<u128>().ok());
        let types: Vec<&str> = q.iter().filter(|(k, _)| k == "types[]").map(|(_, v)| v.as_str()).collect();
        let rows: Vec<Value> = sim
            .audience_of("mastodon", &account)
            .into_iter()
            .rev()
            .filter(|s| since.is_none_or(|n| s.id.parse::<u128>().unwrap_or(0) > n))
            .filter_map(|s| {
                let kind = match s.kind.as_str() {
                    "like" => "favourite",
                    "share" => "reblog",
                    "follow" => "follow",
                    _ => "mention",
                };
                if !types.is_empty() && !types.contains(&kind) {
                    return None;
                }
                let who = json!({"id": format!("u{}", s.author), "acct": s.author, "display_name": s.author,
                    "url": format!("https://mastodon.example/@{}", s.author), "avatar": format!("https://mastodon.example/avatars/{}.png", s.author)});
                let mut n = json!({"id": s.id, "type": kind, "created_at": s.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "account": who});
                match kind {
                    "mention" => {
                        n["status"] = json!({"id": s.id, "content": format!("<p>{}</p>", s.text), "url": format!("https://mastodon.example/@{}/{}", s.author, s.id),
                            "in_reply_to_id": s.about, "visibility": if s.kind == "dm" { "direct" } else { "public" }});
                    }
                    "favourite" | "reblog" => {
                        n["status"] = json!({"id": s.about, "content": "", "url": format!("https://mastodon.example/@{account}/{}", s.about.clone().unwrap_or_default())});
                    }
                    _ => {}
                }
                Some(n)
            })
            .take(page_size(&req))
            .collect();
        Ok(HttpResponse::Ok().json(rows))
    })())
}
