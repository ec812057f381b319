//! TikTok: direct post from a URL, status, the creator's videos.

use super::*;

pub(super) async fn tt_init(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        if body.pointer("/source_info/source").and_then(Value::as_str) != Some("PULL_FROM_URL") {
            return Err(bad_request("source_info.source must be PULL_FROM_URL"));
        }
        let url = body.pointer("/source_info/video_url").and_then(Value::as_str).unwrap_or("").to_owned();
        let media = sim.fetch_all(&[url]).await?;
        let text = body.pointer("/post_info/title").and_then(Value::as_str).map(str::to_owned);
        let step = Step { kind: "post", parent: None,  provider: "tiktok", account: &account, req: &req, request: request_record(&req, body.0.clone()), text, media, key: None, title: None };
        let post = sim.publish_step(step).await?.post();
        Ok(HttpResponse::Ok().json(json!({"data": {"publish_id": format!("v_pub_url~{}", post.id)}, "error": {"code": "ok", "message": "", "log_id": "sim"}})))
    }
    .await)
}

pub(super) async fn tt_status(req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        authorized(&req)?;
        let id = body["publish_id"].as_str().and_then(|p| p.strip_prefix("v_pub_url~")).ok_or_else(|| bad_request("unknown publish_id"))?;
        Ok(HttpResponse::Ok().json(json!({"data": {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [id]}, "error": {"code": "ok", "message": ""}})))
    }
    .await)
}

pub(super) async fn tt_list(sim: SimData, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let max = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["max_count"].as_u64()).unwrap_or(10);
    done(authorized(&req).map(|account| sim.recent("tiktok", &account, max.clamp(1, 20) as usize)).map(|ps| {
        let videos: Vec<Value> =
            ps.iter().map(|p| json!({"id": p.id, "title": p.text, "create_time": p.at.timestamp()})).collect();
        HttpResponse::Ok()
            .json(json!({"data": {"videos": videos, "has_more": false}, "error": {"code": "ok", "message": ""}}))
    }))
}
