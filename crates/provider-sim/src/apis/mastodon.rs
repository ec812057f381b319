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
