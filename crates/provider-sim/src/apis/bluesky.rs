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
            // Or a post someone else addressed to this account (an answer to the audience).
            let theirs = st.audience.iter().find(|a| a.provider == "bluesky" && a.account == account && a.id == key);
            match (found, theirs) {
                (Some(p), _) if cid == format!("bafyrei{}", p.id) => Ok(Some(p.id.clone())),
                (None, Some(a)) if cid == format!("bafyrei{}", a.id) => Ok(Some(a.id.clone())),
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
        // A post of someone who addressed the account: its record lives in their repository.
        if found.is_none()
            && let Some(a) = sim.state.lock().audience.iter().find(|a| a.provider == "bluesky" && a.id == q.rkey && q.repo == format!("did:plc:{}", a.author))
        {
            return Ok(HttpResponse::Ok().json(json!({
                "uri": format!("at://{}/app.bsky.feed.post/{}", q.repo, q.rkey),
                "cid": format!("bafyrei{}", a.id),
                "value": {"$type": "app.bsky.feed.post", "text": a.text, "createdAt": a.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)},
            })));
        }
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

/// `app.bsky.notification.listNotifications`: replies, mentions, likes, reposts and
/// follows addressed to the account, newest first.
pub(super) async fn bsky_notifications(sim: SimData, req: HttpRequest) -> HttpResponse {
    done((|| {
        let account = authorized(&req)?;
        let ours = |id: &str| -> Option<String> {
            sim.publish_of("bluesky", &account, id)
                .and_then(|p| p.key)
                .map(|k| format!("at://did:plc:{account}/app.bsky.feed.post/{k}"))
        };
        let rows: Vec<Value> = sim
            .audience_of("bluesky", &account)
            .into_iter()
            .rev()
            .take(page_size(&req))
            .map(|s| {
                let (reason, collection) = match s.kind.as_str() {
                    "comment" => ("reply", "app.bsky.feed.post"),
                    "like" => ("like", "app.bsky.feed.like"),
                    "share" => ("repost", "app.bsky.feed.repost"),
                    "follow" => ("follow", "app.bsky.graph.follow"),
                    _ => ("mention", "app.bsky.feed.post"),
                };
                let did = format!("did:plc:{}", s.author);
                let about = s.about.as_deref().and_then(ours);
                let mut record = json!({"$type": collection, "createdAt": s.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)});
                if collection == "app.bsky.feed.post" {
                    record["text"] = json!(s.text);
                }
                if let (Some(about), "reply") = (&about, reason) {
                    record["reply"] = json!({"root": {"uri": about}, "parent": {"uri": about}});
                }
                let mut n = json!({
                    "uri": format!("at://{did}/{collection}/{}", s.id), "cid": format!("bafyrei{}", s.id),
                    "author": {"did": did, "handle": format!("{}.bsky.social", s.author), "displayName": s.author},
                    "reason": reason, "record": record, "isRead": false,
                    "indexedAt": s.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                });
                if let (Some(about), "like" | "repost") = (&about, reason) {
                    n["reasonSubject"] = json!(about);
                }
                n
            })
            .collect();
        Ok(HttpResponse::Ok().json(json!({"notifications": rows})))
    })())
}
