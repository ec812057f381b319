//! Pinterest: media and pins, a board's pins.

use super::*;

pub(super) async fn pin_media(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        if body["media_type"] != "video" {
            return Err(bad_request("media_type must be video"));
        }
        let id = sim.store_upload(&account, "", &[], json!({"kind": "video"}));
        Ok(HttpResponse::Created().json(json!({"media_id": id, "media_type": "video", "upload_url": format!("{}/_upload/{id}", sim.base_url), "upload_parameters": {}})))
    }
    .await)
}

pub(super) async fn pin_pins(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        if body["board_id"].as_str().is_none() {
            return Err(bad_request("board_id is required"));
        }
        let media = match body.pointer("/media_source/source_type").and_then(Value::as_str) {
            Some("image_url") => sim.fetch_all(&[body.pointer("/media_source/url").and_then(Value::as_str).unwrap_or("").to_owned()]).await?,
            Some("video_id") => vec![sim.upload_facts(body.pointer("/media_source/media_id").and_then(Value::as_str).unwrap_or(""))],
            _ => return Err(bad_request("media_source is required")),
        };
        let text = body["description"].as_str().map(str::to_owned);
        let step = Step { kind: "post", parent: None,  provider: "pinterest", account: &account, req: &req, request: request_record(&req, body.0.clone()), text, media, key: None, title: None };
        let post = sim.publish_step(step).await?.post();
        Ok(HttpResponse::Created().json(json!({"id": post.id, "board_id": body["board_id"], "title": body["title"], "description": body["description"]})))
    }
    .await)
}

pub(super) async fn pin_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(list(&sim, &req, "pinterest").map(|ps| {
        let items: Vec<Value> = ps.iter().map(|p| json!({"id": p.id, "description": p.text, "created_at": p.at.format("%Y-%m-%dT%H:%M:%S").to_string()})).collect();
        HttpResponse::Ok().json(json!({"items": items, "bookmark": null}))
    }))
}
