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
