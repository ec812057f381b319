//! LinkedIn: images and videos (upload sessions), posts, the author's posts.

use super::*;

pub(super) fn li_headers(req: &HttpRequest) -> Result<(), HttpResponse> {
    if header(req, "linkedin-version").is_none() || header(req, "x-restli-protocol-version").as_deref() != Some("2.0.0")
    {
        return Err(bad_request("LinkedIn-Version and X-Restli-Protocol-Version: 2.0.0 are required"));
    }
    Ok(())
}

#[derive(serde::Deserialize)]
pub(super) struct Action {
    action: Option<String>,
}

pub(super) async fn li_images(
    sim: SimData,
    req: HttpRequest,
    q: web::Query<Action>,
    body: web::Json<Value>,
) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            li_headers(&req)?;
            if q.action.as_deref() != Some("initializeUpload")
                || body.pointer("/initializeUploadRequest/owner").is_none()
            {
                return Err(bad_request("expected action=initializeUpload with initializeUploadRequest.owner"));
            }
            let id = sim.store_upload(&account, "", &[], json!({"kind": "image"}));
            Ok(HttpResponse::Ok().json(json!({"value": {
                "uploadUrlExpiresAt": 0,
                "uploadUrl": format!("{}/_upload/{id}", sim.base_url),
                "image": format!("urn:li:image:{id}"),
            }})))
        }
        .await,
    )
}

pub(super) async fn li_videos(
    sim: SimData,
    req: HttpRequest,
    q: web::Query<Action>,
    body: web::Json<Value>,
) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        li_headers(&req)?;
        match q.action.as_deref() {
            Some("initializeUpload") => {
                let size = body.pointer("/initializeUploadRequest/fileSizeBytes").and_then(Value::as_u64).unwrap_or(0);
                let id = sim.store_upload(&account, "", &[], json!({"kind": "video"}));
                Ok(HttpResponse::Ok().json(json!({"value": {
                    "uploadUrlsExpireAt": 0,
                    "video": format!("urn:li:video:{id}"),
                    "uploadInstructions": [{"uploadUrl": format!("{}/_upload/{id}", sim.base_url), "firstByte": 0, "lastByte": size.saturating_sub(1)}],
                    "uploadToken": "",
                }})))
            }
            Some("finalizeUpload") => Ok(HttpResponse::Ok().json(json!({}))),
            _ => Err(bad_request("unknown action")),
        }
    }
    .await)
}

pub(super) async fn li_posts(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            li_headers(&req)?;
            for f in ["author", "commentary", "visibility", "distribution", "lifecycleState"] {
                if body.get(f).is_none() {
                    return Err(bad_request(&format!("{f} is required")));
                }
            }
            let urns: Vec<String> =
                match (body.pointer("/content/media/id"), body.pointer("/content/multiImage/images")) {
                    (Some(Value::String(u)), _) => vec![u.clone()],
                    (_, Some(Value::Array(a))) => {
                        a.iter().filter_map(|i| i["id"].as_str().map(str::to_owned)).collect()
                    }
                    _ => vec![],
                };
            let media = urns.iter().map(|u| sim.upload_facts(u.rsplit(':').next().unwrap_or(""))).collect();
            let text = body["commentary"].as_str().map(str::to_owned);
            let step = Step {
                kind: "post",
                parent: None,
                provider: "linkedin",
                account: &account,
                req: &req,
                request: request_record(&req, body.0.clone()),
                text,
                media,
                key: None,
                title: None,
            };
            let post = sim.publish_step(step).await?.post();
            Ok(HttpResponse::Created().insert_header(("x-restli-id", format!("urn:li:share:{}", post.id))).finish())
        }
        .await,
    )
}

pub(super) async fn li_list(sim: SimData, req: HttpRequest) -> HttpResponse {
    done(list(&sim, &req, "linkedin").map(|ps| {
        let elements: Vec<Value> =
            ps.iter().map(|p| json!({"id": format!("urn:li:share:{}", p.id), "commentary": p.text, "createdAt": p.at.timestamp_millis()})).collect();
        HttpResponse::Ok().json(json!({"elements": elements, "paging": {"count": elements.len()}}))
    }))
}

/// The share a `socialActions` path names (`urn:li:share:{n}`), if it is this account's.
fn li_share(sim: &SimData, account: &str, urn: &str) -> Result<String, HttpResponse> {
    let id = urn.strip_prefix("urn:li:share:").unwrap_or("");
    let known = sim
        .state
        .lock()
        .publishes
        .iter()
        .any(|p| p.id == id && p.provider == "linkedin" && p.account == account && p.kind == "post");
    if known {
        Ok(id.to_owned())
    } else {
        Err(HttpResponse::NotFound().json(json!({"message": format!("{urn} does not exist"), "status": 404})))
    }
}

fn li_comment_urn(share: &str, id: &str) -> String {
    format!("urn:li:comment:(urn:li:share:{share},{id})")
}

/// `POST /rest/socialActions/{urn}/comments`: `actor`, `object`, `message.text`.
pub(super) async fn li_comment(
    sim: SimData,
    req: HttpRequest,
    urn: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    done(
        async {
            let account = authorized(&req)?;
            li_headers(&req)?;
            let share = li_share(&sim, &account, &urn)?;
            if body["object"].as_str() != Some(urn.as_str()) || body["actor"].as_str().is_none() {
                return Err(bad_request("actor and object (the post's URN) are required"));
            }
            let text = body
                .pointer("/message/text")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| bad_request("message.text is required"))?;
            let step = Step {
                kind: "comment",
                parent: Some(share.clone()),
                provider: "linkedin",
                account: &account,
                req: &req,
                request: request_record(&req, body.0.clone()),
                text: Some(text.clone()),
                media: vec![],
                key: None,
                title: None,
            };
            let made = sim.publish_step(step).await?.post();
            let c = li_comment_urn(&share, &made.id);
            Ok(HttpResponse::Created().insert_header(("x-restli-id", c.clone())).json(json!({
                "id": made.id, "$URN": c, "object": urn.as_str(), "actor": body["actor"], "message": {"text": text},
                "created": {"time": made.at.timestamp_millis()},
            })))
        }
        .await,
    )
}

/// `GET /rest/socialActions/{urn}/comments`.
pub(super) async fn li_comments(sim: SimData, req: HttpRequest, urn: web::Path<String>) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        li_headers(&req)?;
        let share = li_share(&sim, &account, &urn)?;
        let elements: Vec<Value> = sim
            .recent_of("linkedin", &account, "comment", 100)
            .iter()
            .filter(|c| c.parent.as_deref() == Some(share.as_str()))
            .take(page_size(&req))
            .map(|c| json!({"id": c.id, "$URN": li_comment_urn(&share, &c.id), "message": {"text": c.text}, "created": {"time": c.at.timestamp_millis()}}))
            .collect();
        Ok(HttpResponse::Ok().json(json!({"elements": elements, "paging": {"count": elements.len()}})))
    })())
}
