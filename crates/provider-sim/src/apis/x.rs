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
