//! Reddit: submit, a user's submissions.

use super::*;

/// A form body (Reddit's API takes forms): its fields, and the call record of it.
struct Form(Vec<(String, String)>);

impl Form {
    fn read(body: &[u8]) -> Result<Self, HttpResponse> {
        serde_urlencoded::from_bytes(body).map(Form).map_err(|_| bad_request("expected a form body"))
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0.iter().find(|(n, _)| n == key).map(|(_, v)| v.clone())
    }

    fn record(&self) -> Value {
        Value::Object(self.0.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
    }
}

pub(super) async fn reddit_submit(sim: SimData, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let form = Form::read(&body)?;
            let get = |k: &str| form.get(k);
            if get("api_type").as_deref() != Some("json") || get("sr").is_none() || get("title").is_none() {
                return Ok(HttpResponse::Ok().json(
                    json!({"json": {"errors": [["BAD_REQUEST", "api_type=json, sr and title are required", "sr"]]}}),
                ));
            }
            let media = match get("kind").as_deref() {
                Some("link") => sim.fetch_all(&[get("url").unwrap_or_default()]).await?,
                _ => vec![],
            };
            let step = Step {
                kind: "post",
                parent: None,
                provider: "reddit",
                account: &account,
                req: &req,
                request: request_record(&req, form.record()),
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

/// `POST /api/comment` (form: `api_type=json`, `thing_id`, `text`).
pub(super) async fn reddit_comment(sim: SimData, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            let form = Form::read(&body)?;
            let get = |k: &str| form.get(k);
            let (Some(thing), Some(text)) = (get("thing_id"), get("text")) else {
                return Ok(HttpResponse::Ok()
                    .json(json!({"json": {"errors": [["BAD_REQUEST", "thing_id and text are required", "text"]]}})));
            };
            let parent = thing.strip_prefix("t3_").unwrap_or(&thing).to_owned();
            let step = Step {
                kind: "comment",
                parent: Some(parent.clone()),
                provider: "reddit",
                account: &account,
                req: &req,
                request: request_record(&req, form.record()),
                text: Some(text),
                media: vec![],
                key: None,
                title: None,
            };
            let made = sim.publish_step(step).await?.post();
            Ok(HttpResponse::Ok()
                .json(json!({"json": {"errors": [], "data": {"things": [reddit_comment_thing(&made)]}}})))
        }
        .await,
    )
}

fn reddit_comment_thing(c: &crate::sim::Publish) -> Value {
    let post = c.parent.clone().unwrap_or_default();
    json!({"kind": "t1", "data": {"id": c.id, "name": format!("t1_{}", c.id), "link_id": format!("t3_{post}"), "parent_id": format!("t3_{post}"),
        "body": c.text, "created_utc": c.at.timestamp() as f64, "permalink": format!("/comments/{post}/comment/{}/", c.id)}})
}

/// `GET /user/{username}/comments`: the account's comments, newest first.
pub(super) async fn reddit_comments(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let children: Vec<Value> =
            sim.recent_of("reddit", &account, "comment", page_size(&req)).iter().map(reddit_comment_thing).collect();
        Ok(HttpResponse::Ok().json(json!({"kind": "Listing", "data": {"children": children}})))
    })())
}
