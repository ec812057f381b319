//! Dribbble: shots (multipart, 202 with `Location`), the user's shots.

use super::*;

pub(super) async fn shots(sim: SimData, req: HttpRequest, form: Multipart) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let (texts, files) = read_form(form).await?;
            let (_, ct, bytes) =
                files.into_iter().find(|(n, _, _)| n == "image").ok_or_else(|| bad_request("image is required"))?;
            if !["image/jpeg", "image/png", "image/gif"].contains(&ct.as_str()) {
                return Err(bad_request("image must be a JPEG, PNG or GIF"));
            }
            let title = texts.get("title").and_then(Value::as_str).filter(|t| !t.trim().is_empty()).map(str::to_owned);
            let Some(title) = title else { return Err(bad_request("title is required")) };
            let upload = sim.store_upload(&account, &ct, &bytes, json!({}));
            let text = texts.get("description").and_then(Value::as_str).map(str::to_owned);
            let record = json!({"method": "POST", "path": req.uri().to_string(), "form": texts, "image": {"content_type": ct, "size": bytes.len()}});
            let step = Step { kind: "post", parent: None, 
                provider: "dribbble",
                account: &account,
                req: &req,
                request: record,
                text,
                media: vec![sim.upload_facts(&upload)],
                key: None,
                title: Some(title),
            };
            let post = sim.publish_step(step).await?.post();
            Ok(HttpResponse::Accepted()
                .insert_header(("location", format!("https://api.dribbble.com/v2/shots/{}", post.id)))
                .finish())
        }
        .await,
    )
}

pub(super) async fn user_shots(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(list(&sim, &req, "dribbble").map(|ps| {
        let shots: Vec<Value> = ps
            .iter()
            .map(|p| {
                json!({"id": p.id, "title": p.title, "description": p.text, "html_url": format!("https://dribbble.com/shots/{}", p.id), "published_at": p.at.to_rfc3339()})
            })
            .collect();
        HttpResponse::Ok().json(shots)
    }))
}
