//! Reddit: submit, a user's submissions.

use super::*;

pub(super) async fn reddit_submit(sim: SimData, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let form: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).map_err(|_| bad_request("expected a form body"))?;
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            if get("api_type").as_deref() != Some("json") || get("sr").is_none() || get("title").is_none() {
                return Ok(HttpResponse::Ok().json(
                    json!({"json": {"errors": [["BAD_REQUEST", "api_type=json, sr and title are required", "sr"]]}}),
                ));
            }
            let media = match get("kind").as_deref() {
                Some("link") => sim.fetch_all(&[get("url").unwrap_or_default()]).await?,
                _ => vec![],
            };
            let record: serde_json::Map<String, Value> =
                form.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            let step = Step {
                provider: "reddit",
                account: &account,
                req: &req,
                request: request_record(&req, Value::Object(record)),
                text: get("text"),
                media,
                key: None,
                title: get("title"),
            };
            let post = match sim.publish_step(step).await {
                Ok(s) => s.post(),
                // Reddit answers refusals inside a 200 `json.errors`.
                Err(resp) if resp.status() == actix_web::http::StatusCode::BAD_REQUEST => {
                    return Ok(HttpResponse::Ok().json(
                        json!({"json": {"errors": [["SUBMIT_VALIDATION", "The post was rejected.", "title"]]}}),
                    ));
                }
                Err(resp) => return Err(resp),
            };
            let sr = get("sr").unwrap_or_default();
            Ok(HttpResponse::Ok().json(json!({"json": {"errors": [], "data": {
                "url": format!("https://www.reddit.com/r/{sr}/comments/{}/", post.id),
                "id": post.id,
                "name": format!("t3_{}", post.id),
            }}})))
        }
        .await,
    )
}

pub(super) async fn reddit_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(list(&sim, &req, "reddit").map(|ps| {
        let children: Vec<Value> = ps
            .iter()
            .map(|p| json!({"kind": "t3", "data": {"id": p.id, "name": format!("t3_{}", p.id), "title": p.title, "selftext": p.text, "url": format!("https://www.reddit.com/comments/{}/", p.id), "created_utc": p.at.timestamp() as f64}}))
            .collect();
        HttpResponse::Ok().json(json!({"kind": "Listing", "data": {"children": children}}))
    }))
}
