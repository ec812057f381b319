//! Bluesky: blobs and records (createRecord, getRecord).

use super::*;

pub(super) async fn bsky_blob(sim: SimData, req: HttpRequest, bytes: web::Bytes) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        let ct = header(&req, "content-type").unwrap_or_default();
        let id = sim.store_upload(&account, &ct, &bytes, json!({}));
        Ok(HttpResponse::Ok().json(json!({"blob": {"$type": "blob", "ref": {"$link": format!("bafkrei{id}")}, "mimeType": ct, "size": bytes.len()}})))
    }
    .await)
}

pub(super) async fn bsky_record(sim: SimData, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        if body["collection"] != "app.bsky.feed.post" || body.pointer("/record/$type").and_then(Value::as_str) != Some("app.bsky.feed.post") {
            return Err(bad_request("expected an app.bsky.feed.post record"));
        }
        let rkey = body["rkey"].as_str().map(str::to_owned);
        if let Some(k) = &rkey {
            // Record keys are unique within one repository, as on a real PDS.
            let exists = sim.state.lock().publishes.iter().any(|p| p.provider == "bluesky" && p.account == account && p.key.as_deref() == Some(k));
            if exists {
                return Err(HttpResponse::BadRequest().json(json!({"error": "InvalidRequest", "message": "Record already exists"})));
            }
        }
        let blobs: Vec<String> = body
            .pointer("/record/embed/images")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| i.pointer("/image/ref/$link").and_then(Value::as_str).and_then(|l| l.strip_prefix("bafkrei")).map(str::to_owned))
            .collect();
        let media = blobs.iter().map(|b| sim.upload_facts(b)).collect();
        let text = body.pointer("/record/text").and_then(Value::as_str).map(str::to_owned);
        // A reply names its root and parent by strong reference (URI and CID); both must be
        // records of this repository.
        let by_ref = |which: &str| -> Result<Option<String>, HttpResponse> {
            let Some(r) = body.pointer(&format!("/record/reply/{which}")) else { return Ok(None) };
            let (Some(uri), Some(cid)) = (r["uri"].as_str(), r["cid"].as_str()) else {
                return Err(bad_request(&format!("reply.{which} needs uri and cid")));
            };
            let key = uri.rsplit('/').next().unwrap_or("");
            let st = sim.state.lock();
            let found = st.publishes.iter().find(|p| p.provider == "bluesky" && p.account == account && p.key.as_deref() == Some(key));
            match found {
                Some(p) if cid == format!("bafyrei{}", p.id) => Ok(Some(p.id.clone())),
                _ => Err(bad_request(&format!("reply.{which} {uri} is not a record here (or its cid is wrong)"))),
            }
        };
        by_ref("root")?;
        let parent = by_ref("parent")?;
        let kind = if parent.is_some() { "reply" } else { "post" };
        let step = Step { kind, parent,  provider: "bluesky", account: &account, req: &req, request: request_record(&req, body.0.clone()), text, media, key: rkey.clone(), title: None };
        let post = sim.publish_step(step).await?.post();
        let repo = body["repo"].as_str().unwrap_or("");
        Ok(HttpResponse::Ok().json(json!({"uri": format!("at://{repo}/app.bsky.feed.post/{}", rkey.unwrap_or(post.id.clone())), "cid": format!("bafyrei{}", post.id)})))
    }
    .await)
}

#[derive(serde::Deserialize)]
pub(super) struct RecordKey {
    repo: String,
    collection: String,
    rkey: String,
}

/// `com.atproto.repo.getRecord`: one record of the caller's repository by its key.
pub(super) async fn bsky_get_record(sim: SimData, req: HttpRequest, q: web::Query<RecordKey>) -> HttpResponse {
    done(async {
        let account = authorized(&req)?;
        let found = sim
            .state
            .lock()
            .publishes
            .iter()
            .find(|p| p.provider == "bluesky" && p.account == account && p.key.as_deref() == Some(q.rkey.as_str()))
            .cloned();
        match found {
            Some(p) if q.collection == "app.bsky.feed.post" => Ok(HttpResponse::Ok().json(json!({
                "uri": format!("at://{}/app.bsky.feed.post/{}", q.repo, q.rkey),
                "cid": format!("bafyrei{}", p.id),
                "value": {"$type": "app.bsky.feed.post", "text": p.text, "createdAt": p.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)},
            }))),
            _ => Err(HttpResponse::BadRequest().json(json!({"error": "RecordNotFound", "message": "Record not found"}))),
        }
    }
    .await)
}
