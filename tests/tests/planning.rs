//! Planning at volume: seed 002's campaign and bulk examples verbatim, a campaign
//! scheduled across a daylight-saving switch (a local 09:00 stays 09:00), a CSV with quoted
//! commas and bad rows answered row by row, a dry run that writes nothing, and a bulk
//! request retried under its Idempotency-Key creating nothing twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{Options, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ORG: &str = "00000000-0000-4000-8000-00000000d3e0";

async fn agency(s: &Stack, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut r =
        s.http.request(method, format!("{}/api/v1{path}", s.gateway)).bearer_auth(&s.key).header("X-Org-Id", ORG);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap())
}

fn count_posts(s: &Stack) -> i64 {
    s.sql("SELECT count(*) FROM posts").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_is_scheduled_as_the_seed_says_and_across_a_daylight_saving_switch() {
    let s = Stack::start_with("planning-campaigns", Options::default()).await;
    // Step 1 of the seed's import guide, verbatim.
    let (status, v) = agency(
        &s,
        Method::POST,
        "/campaigns",
        Some(json!({"name": "Q2 Backfill — local social import", "clientType": "service-business", "orgId": ORG})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let campaign = v["data"]["id"].as_str().unwrap().to_owned();
    let (_, v) = agency(&s, Method::GET, "/campaigns?status=draft", None).await;
    assert_eq!(v["data"][0]["id"], campaign.as_str());
    // A nested calendar is refused by name; the flat one of step 4b is kept.
    let (status, v) = agency(
        &s,
        Method::PATCH,
        &format!("/campaigns/{campaign}"),
        Some(json!({"calendar": [{"week": 1, "slots": []}]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("calendar[0]"), "{v}");
    let (status, v) =
        agency(&s, Method::PATCH, &format!("/campaigns/{campaign}"), Some(json!({"status": "active"}))).await;
    assert_eq!((status, v["data"]["status"].as_str()), (StatusCode::OK, Some("active")));

    // Step 3: posts with the campaignId, one request each; then submitted (no stage is
    // required here, so submitting approves them).
    let mut ids = Vec::new();
    for i in 0..6 {
        let (status, v) = agency(
            &s,
            Method::POST,
            "/social/posts",
            Some(json!({"orgId": ORG, "campaignId": campaign, "content": format!("Backfill post {i}"), "platforms": ["linkedin"], "hashtags": ["#backfill"]})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let id = v["data"]["id"].as_str().unwrap().to_owned();
        agency(&s, Method::POST, &format!("/social/posts/{id}/submit"), Some(json!({}))).await;
        ids.push(id);
    }
    // One already scheduled, left as it is; one awaiting review.
    let (_, v) = agency(
        &s,
        Method::POST,
        "/social/posts",
        Some(json!({"orgId": ORG, "campaignId": campaign, "content": "Already dated", "platforms": ["linkedin"], "scheduledFor": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339()})),
    )
    .await;
    let dated = v["data"]["id"].as_str().unwrap().to_owned();
    s.call(Method::PATCH, "/api/workspace", Some(json!({"requires_qa_approval": true}))).await;
    let (_, v) = agency(
        &s,
        Method::POST,
        "/social/posts",
        Some(json!({"orgId": ORG, "campaignId": campaign, "content": "Waiting for QA", "platforms": ["linkedin"]})),
    )
    .await;
    let waiting = v["data"]["id"].as_str().unwrap().to_owned();
    agency(&s, Method::POST, &format!("/social/posts/{waiting}/submit"), Some(json!({}))).await;
    s.call(Method::PATCH, "/api/workspace", Some(json!({"requires_qa_approval": false}))).await;

    // The seed's schedule body, verbatim: a dry run.
    let before = s.sql("SELECT string_agg(id::text || status, ',' ORDER BY id) FROM posts");
    let (status, v) = agency(
        &s,
        Method::POST,
        &format!("/campaigns/{campaign}/schedule"),
        Some(json!({
            "startDate": "2026-05-12T09:00:00+02:00",
            "mode": "auto",
            "cadence": { "postsPerDay": 1, "hours": ["09:00"], "daysOfWeek": [1,3,5] },
            "platforms": ["instagram", "linkedin"],
            "includePending": false,
            "timezone": "Africa/Johannesburg",
            "dryRun": true
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let d = &v["data"];
    assert_eq!(d["dryRun"], true);
    assert_eq!(d["mode"], "cadence", "no calendar dates: auto is the cadence");
    assert_eq!(d["startDate"], "2026-05-12T07:00:00Z");
    let times: Vec<&str> =
        d["scheduled"].as_array().unwrap().iter().map(|e| e["scheduledFor"].as_str().unwrap()).collect();
    assert_eq!(
        times,
        [
            "2026-05-13T07:00:00Z",
            "2026-05-15T07:00:00Z",
            "2026-05-18T07:00:00Z",
            "2026-05-20T07:00:00Z",
            "2026-05-22T07:00:00Z",
            "2026-05-25T07:00:00Z"
        ],
        "Mon/Wed/Fri at 09:00 in Johannesburg, from the start: {v}"
    );
    assert_eq!(d["scheduled"][0]["platform"], "linkedin");
    assert_eq!(d["scheduled"][0]["postId"], ids[0].as_str(), "oldest first");
    assert_eq!(d["totals"], json!({"scheduled": 6, "skipped": 2, "eligible": 6}));
    assert_eq!(d["endDate"], "2026-05-25T07:00:00Z");
    let skipped = d["skipped"].as_array().unwrap();
    let reason = |id: &str| skipped.iter().find(|x| x["postId"] == id).unwrap()["reason"].as_str().unwrap().to_owned();
    assert!(reason(&dated).contains("already scheduled"), "{v}");
    assert!(reason(&waiting).contains("awaiting review (qa_review)"), "{v}");
    assert_eq!(
        s.sql("SELECT string_agg(id::text || status, ',' ORDER BY id) FROM posts"),
        before,
        "a dry run writes nothing"
    );
    // An unknown zone is refused by name.
    let (status, v) = agency(
        &s,
        Method::POST,
        &format!("/campaigns/{campaign}/schedule"),
        Some(json!({"timezone": "Mars/Olympus", "dryRun": true})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("timezone"), "{v}");

    // For real, in Berlin, across the switch of 28 March 2027: every slot 09:00 local.
    let (status, v) = s
        .post(
            &format!("/api/campaigns/{campaign}/schedule"),
            json!({"start_date": "2027-03-24T09:00:00+01:00", "cadence": {"posts_per_day": 1, "hours": ["09:00"], "days_of_week": [0,1,2,3,4,5,6]}, "timezone": "Europe/Berlin", "include_pending": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let planned = v["data"]["scheduled"].as_array().unwrap();
    assert_eq!(planned.len(), 7, "the six and the one awaiting review (approved now): {v}");
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let mut utc_hours = Vec::new();
    for p in planned {
        let at = chrono::DateTime::parse_from_rfc3339(p["scheduled_for"].as_str().unwrap()).unwrap();
        assert_eq!(at.with_timezone(&berlin).format("%H:%M").to_string(), "09:00");
        utc_hours.push(at.with_timezone(&chrono::Utc).format("%d %H").to_string());
    }
    assert_eq!(utc_hours, ["24 08", "25 08", "26 08", "27 08", "28 07", "29 07", "30 07"]);
    // Applied: each post entered the publishing workflow at its slot; the waiting one was approved.
    for p in planned {
        let id = p["post_id"].as_str().unwrap();
        let post = s.wait_post(id, std::time::Duration::from_secs(20), |p| p["status"] == "scheduled").await;
        let at = chrono::DateTime::parse_from_rfc3339(post["scheduled_at"].as_str().unwrap()).unwrap();
        assert_eq!(at, chrono::DateTime::parse_from_rfc3339(p["scheduled_for"].as_str().unwrap()).unwrap());
    }
    assert_eq!(s.post_by_id(&waiting).await["review"], "approved");
    // Scheduled posts are left alone the next time.
    let (_, v) = s.post(&format!("/api/campaigns/{campaign}/schedule"), json!({"dry_run": true})).await;
    assert_eq!(v["data"]["scheduled"], json!([]), "{v}");
    // The campaign lists its posts with their statuses.
    let (_, v) = s.get(&format!("/api/campaigns/{campaign}")).await;
    assert_eq!(v["data"]["posts"].as_array().unwrap().len(), 8);
    assert!(v["data"]["posts"].as_array().unwrap().iter().all(|p| p["status"] == "scheduled"), "{v}");
    // A campaign holding posts is archived, not deleted; an empty one goes.
    let (status, _) = s.call(Method::DELETE, &format!("/api/campaigns/{campaign}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, empty) = s.post("/api/campaigns", json!({"name": "Empty"})).await;
    let empty = empty["data"]["id"].as_str().unwrap().to_owned();
    let (status, _) = s.call(Method::DELETE, &format!("/api/campaigns/{empty}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.get(&format!("/api/campaigns/{empty}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A draft_only key may preview, not apply.
    let drafter = s.create_key(&["--policy", "draft_only"]).await;
    let (status, _) = s
        .call_as(
            &drafter,
            Method::POST,
            &format!("/api/campaigns/{campaign}/schedule"),
            Some(json!({"dry_run": false})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_json_and_csv_answer_per_row_keep_every_field_and_create_nothing_twice() {
    let s = Stack::start("planning-bulk").await;
    let x = s.profile("x").await;
    let linkedin = s.profile("linkedin").await;
    let soon = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();

    // JSON: each post as a single create, answered on its own.
    let body = json!({"posts": [
        {"post": {"body": "first", "scheduled_at": soon, "campaign": "spring", "labels": ["q2"], "hashtags": ["#one"]}, "profiles": [x]},
        {"post": {"body": "x".repeat(400)}, "profiles": [x]},
        {"post": {"body": "a draft", "draft": true, "category": "news"}, "profiles": [linkedin]},
    ]});
    let r = s
        .http
        .post(format!("{}/api/posts/bulk", s.gateway))
        .bearer_auth(&s.key)
        .header("Idempotency-Key", "bulk-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let d = &v["data"];
    assert_eq!(
        (d["total"].as_i64(), d["succeeded"].as_i64(), d["failed"].as_i64()),
        (Some(3), Some(2), Some(1)),
        "{v}"
    );
    assert_eq!(d["results"][1]["errors"][0]["field"], "post.body", "{v}");
    let first = d["results"][0]["id"].as_str().unwrap().to_owned();
    let post = s.post_by_id(&first).await;
    assert_eq!((post["campaign"].as_str(), post["labels"][0].as_str()), (Some("spring"), Some("q2")));
    // The same request under the same key: the same answer, nothing created twice.
    let posts = count_posts(&s);
    let r = s
        .http
        .post(format!("{}/api/posts/bulk", s.gateway))
        .bearer_auth(&s.key)
        .header("Idempotency-Key", "bulk-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["data"]["results"][0]["id"], first.as_str());
    assert_eq!(count_posts(&s), posts);
    // Over 50: refused whole.
    let many: Vec<Value> =
        (0..51).map(|i| json!({"post": {"body": format!("p{i}"), "draft": true}, "profiles": [x]})).collect();
    let (status, v) = s.post("/api/posts/bulk", json!({"posts": many})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v.to_string().contains("Maximum 50 posts per bulk request"), "{v}");

    // CSV: quoted commas and newlines, lists on ; or |, and bad rows named by row and column.
    let csv = format!(
        "content,platforms,scheduled_at,category,hashtags,tags,labels,campaign_id\n\
         \"Hello, world — with a comma\",x;linkedin,{soon},news,#a|#b,t1,l1;l2,autumn\n\
         Bad date,x,next tuesday,,,,,\n\
         Unknown place,myspace,,,,,,\n\
         \"Two\nlines\",x,,,,,,\n\
         short row\n"
    );
    let upload = |dry: bool| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.clone().into_bytes())
                    .file_name("posts.csv")
                    .mime_str("text/csv")
                    .unwrap(),
            )
            .text("dry_run", if dry { "true" } else { "false" });
        s.http.post(format!("{}/api/posts/bulk", s.gateway)).bearer_auth(&s.key).multipart(form).send()
    };
    let posts = count_posts(&s);
    let v: Value = upload(true).await.unwrap().json().await.unwrap();
    assert_eq!(v["data"]["dry_run"], true);
    assert_eq!(count_posts(&s), posts, "a dry run writes nothing: {v}");
    let r = upload(false).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let results = v["data"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5, "{v}");
    assert_eq!(results[0]["success"], true, "{v}");
    assert_eq!(results[1]["errors"][0]["row"], 3);
    assert_eq!(results[1]["errors"][0]["column"], "scheduled_at", "{v}");
    assert_eq!(results[2]["errors"][0]["column"], "platforms", "{v}");
    assert_eq!(results[3]["success"], true, "a quoted newline stays in its cell: {v}");
    assert_eq!(results[4]["errors"][0]["row"], 7, "{v}");
    assert!(results[4]["errors"][0]["message"].as_str().unwrap().contains("cells"));
    assert_eq!(count_posts(&s), posts + 2);
    let made = s.post_by_id(results[0]["id"].as_str().unwrap()).await;
    assert_eq!(made["body"], "Hello, world — with a comma");
    assert_eq!(made["deliveries"].as_array().unwrap().len(), 2);
    assert_eq!((made["campaign"].as_str(), made["category"].as_str()), (Some("autumn"), Some("news")));
    assert_eq!(made["hashtags"], json!(["#a", "#b"]));
    assert_eq!(made["labels"], json!(["l1", "l2"]));
    assert_eq!(s.post_by_id(results[3]["id"].as_str().unwrap()).await["status"], "draft", "no date: a draft");

    // The agency surface: the seed's JSON bulk keeps campaignId (the seed's own bug), and
    // its CSV columns, verbatim, are read the same way.
    let (_, v) = agency(
        &s,
        Method::POST,
        "/social/posts/bulk",
        Some(json!({"posts": [{"content": "agency bulk", "platforms": ["twitter"], "campaignId": "kept", "scheduledFor": soon}]})),
    )
    .await;
    let id = v["data"]["results"][0]["id"].as_str().unwrap().to_owned();
    let (_, v) = agency(&s, Method::GET, &format!("/social/posts/{id}"), None).await;
    assert_eq!(v["data"]["campaignId"], "kept");
    let seed_csv = "content,platforms,scheduled_at,category,hashtags,tags,labels\n\
                    \"Launch, day one\",twitter|linkedin,,work,#launch,launch,q2\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(seed_csv.as_bytes().to_vec()).file_name("p.csv").mime_str("text/csv").unwrap(),
    );
    let r = s
        .http
        .post(format!("{}/api/v1/social/posts/bulk", s.gateway))
        .bearer_auth(&s.key)
        .header("X-Org-Id", ORG)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["data"]["total"].as_i64(), v["data"]["succeeded"].as_i64()), (Some(1), Some(1)), "{v}");
    let id = v["data"]["results"][0]["id"].as_str().unwrap();
    let (_, v) = agency(&s, Method::GET, &format!("/social/posts/{id}"), None).await;
    assert_eq!(v["data"]["content"]["text"], "Launch, day one");
    assert_eq!(v["data"]["status"], "draft");
    assert_eq!(v["data"]["platforms"].as_array().unwrap().len(), 2, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posting_queue_gives_each_post_the_next_free_slot_and_reshuffles() {
    let s = Stack::start("planning-queues").await;
    let x = s.profile("x").await;
    let linkedin = s.profile("linkedin").await;
    let every_day = |time: &str| -> Value { (0..7).map(|d| json!({"day_of_week": d, "time": time})).collect() };
    let mut slots = every_day("10:00").as_array().unwrap().clone();
    slots.extend(every_day("16:00").as_array().unwrap().clone());
    let (status, v) = s
        .post(&format!("/api/profiles/{x}/queues"), json!({"name": "main", "timezone": "Mars/Olympus", "slots": slots}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v.to_string().contains("\"timezone\""), "{v}");
    let (status, v) = s
        .post(
            &format!("/api/profiles/{x}/queues"),
            json!({"name": "main", "timezone": "Europe/Berlin", "slots": [{"day_of_week": 9, "time": "25:00"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v.to_string().contains("slots[0].day_of_week"), "{v}");
    let (status, v) = s
        .post(
            &format!("/api/profiles/{x}/queues"),
            json!({"name": "main", "timezone": "Europe/Berlin", "slots": slots}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let queue = v["data"]["id"].as_str().unwrap().to_owned();
    let (_, other) = s
        .post(
            &format!("/api/profiles/{linkedin}/queues"),
            json!({"name": "main", "timezone": "UTC", "slots": [{"day_of_week": 1, "time": "09:00"}]}),
        )
        .await;

    // Posts created at once each take their own slot, in order.
    let mut made = Vec::new();
    for round in 0..2 {
        let creates = (0..4).map(|i| {
            s.create(json!({"post": {"body": format!("queued {round}-{i}"), "queue": queue}, "profiles": [x]}))
        });
        for p in futures_util::future::join_all(creates).await {
            made.push((p["id"].as_str().unwrap().to_owned(), p["scheduled_at"].as_str().unwrap().to_owned()));
        }
    }
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let mut times: Vec<chrono::DateTime<chrono::Utc>> = made
        .iter()
        .map(|(_, t)| chrono::DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&chrono::Utc))
        .collect();
    times.sort();
    let distinct: std::collections::BTreeSet<_> = times.iter().collect();
    assert_eq!(distinct.len(), 8, "no slot taken twice: {times:?}");
    for t in &times {
        let local = t.with_timezone(&berlin).format("%H:%M").to_string();
        assert!(local == "10:00" || local == "16:00", "{local}");
    }
    // Consecutive: no free slot left between them.
    let (_, v) = s.get(&format!("/api/queues/{queue}?count=3")).await;
    let free: Vec<chrono::DateTime<chrono::Utc>> = v["data"]["free_slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t.as_str().unwrap()).unwrap().with_timezone(&chrono::Utc))
        .collect();
    assert_eq!(free.len(), 3);
    assert!(free[0] > *times.last().unwrap(), "the next free slot comes after the queued posts");
    assert_eq!(v["data"]["queued"].as_array().unwrap().len(), 8);
    // Refusals: a time with a queue, another profile's queue.
    let (status, v) = s
        .post(
            "/api/posts",
            json!({"post": {"body": "x", "queue": queue, "scheduled_at": "2030-01-01T00:00:00Z"}, "profiles": [x]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v.to_string().contains("post.queue"), "{v}");
    let (status, v) =
        s.post("/api/posts", json!({"post": {"body": "x", "queue": other["data"]["id"]}, "profiles": [x]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    // New slots, reshuffled: the posts keep their order on the new slots (12:00 daily).
    for (id, _) in &made {
        s.wait_post(id, std::time::Duration::from_secs(20), |p| p["status"] == "scheduled").await;
    }
    let mut order: Vec<(String, String)> = made.clone();
    order.sort_by(|a, b| a.1.cmp(&b.1));
    let (status, v) = s
        .call(
            Method::PATCH,
            &format!("/api/queues/{queue}"),
            Some(json!({"slots": every_day("12:00"), "reshuffle": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let mut last = None;
    for (id, _) in &order {
        let p = s.post_by_id(id).await;
        let at = chrono::DateTime::parse_from_rfc3339(p["scheduled_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(at.with_timezone(&berlin).format("%H:%M").to_string(), "12:00");
        assert!(last.is_none_or(|l| at > l), "order kept");
        last = Some(at);
    }
}
