//! The dashboard in real headless Chromium, as a person uses it: sign in, connect a
//! profile through the OAuth flow, make a scoped key, schedule and cancel a post, publish
//! one, retry a failed delivery, read the Publishing Log. Every step checks what the page
//! shows; a screenshot of each page lands in `<target>/tmp/screenshots/dashboard/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use e2e::{Stack, browser::Browser};
use reqwest::Method;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_runs_the_whole_publishing_workflow_from_the_dashboard() {
    let s = Stack::start("browser").await;
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join("dashboard");
    let mut b = Browser::start(&s.gateway, shots.clone()).await;

    // Sign in: the dashboard sends a stranger to the sign-in page first.
    b.goto("/dashboard").await;
    assert!(b.path().await.starts_with("/dashboard/login"), "{}", b.path().await);
    b.shot("sign-in").await;
    b.fill("input[name=email]", &s.login.0).await;
    b.fill("input[name=password]", &s.login.1).await;
    b.click("form.stack button[type=submit]").await;
    assert_eq!(b.text("h1").await, "Posts");
    assert_eq!(b.text("[data-test=workspace]").await, "Demo workspace");

    // Connect a profile through the provider's OAuth flow (provider-sim approves).
    b.goto("/dashboard/profiles").await;
    assert_eq!(b.count("tr[data-profile]").await, 12);
    b.find("select[name=provider]").await.select_by_value("x").await.unwrap();
    b.fill("form.row input[name=account]", "dash-x").await;
    b.click("form.row[action='/dashboard/profiles/connect'] button").await;
    let notice = b.text(".flash.notice").await;
    assert!(notice.starts_with("Connected"), "{notice}");
    assert_eq!(b.path().await.split('?').next(), Some("/dashboard/profiles"));
    let profile = s.sql("SELECT id FROM profiles ORDER BY created_at DESC, id DESC LIMIT 1");
    assert_eq!(b.count("tr[data-profile]").await, 13);
    assert_eq!(b.text(&format!("tr[data-profile='{profile}'] .badge")).await, "active");
    b.shot("profiles").await;

    // An account that manages pages: the platform returns several, and the page asks which.
    b.find("select[name=provider]").await.select_by_value("facebook").await.unwrap();
    b.fill("form.row input[name=account]", "agency-fb").await;
    b.click("form.row[action='/dashboard/profiles/connect'] button").await;
    assert!(b.path().await.contains("choose="), "{}", b.path().await);
    assert_eq!(b.text("section.choose h2").await, "Choose what to connect");
    assert_eq!(b.count("section.choose input[name=pick]").await, 2);
    b.shot("profiles-choose").await;
    b.click("section.choose button[type=submit]").await;
    assert_eq!(b.text(".flash.notice").await, "Connected 2 accounts.");
    assert_eq!(b.count("tr[data-profile]").await, 15);
    assert_eq!(s.sql("SELECT count(*) FROM profiles WHERE account_type = 'page' AND is_default"), "1");

    // A write key scoped to that one profile, shown once.
    b.goto("/dashboard/keys").await;
    b.fill("input[name=name]", "browser agent").await;
    b.tick(&format!("input[name=profile_ids][value='{profile}']")).await;
    b.click("form.stack button[type=submit]").await;
    let key = b.text("[data-test=new-key]").await;
    assert!(key.starts_with("pm_"), "{key}");
    let (_, v) = s.call_as(&key, Method::GET, "/api/profiles", None).await;
    let seen: Vec<&str> = v["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(seen, vec![profile.as_str()]);
    b.shot("api-key").await;

    // Compose and schedule two hours ahead (the page takes local time): labelled Scheduled.
    let scheduled = compose(&mut b, "Scheduled from the browser", &profile, Some(120)).await;
    b.wait_text("[data-test=post-status]", "Scheduled", WAIT).await;
    let (_, post) = s.call_as(&key, Method::GET, &format!("/api/posts/{scheduled}"), None).await;
    let at = chrono::DateTime::parse_from_rfc3339(post["data"]["scheduled_at"].as_str().unwrap()).unwrap();
    let ahead = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(ahead > chrono::Duration::minutes(118) && ahead < chrono::Duration::minutes(121), "{ahead}");
    b.goto("/dashboard/posts").await;
    assert_eq!(b.text(&format!("tr[data-post='{scheduled}'] [data-test=label]")).await, "Scheduled");
    b.shot("posts-scheduled").await;

    // Cancel it from its page.
    b.goto(&format!("/dashboard/posts/{scheduled}")).await;
    b.shot("post-scheduled").await;
    b.click("form[action$='/cancel'] button").await;
    assert_eq!(b.text(".flash.notice").await, "Post canceled.");
    assert_eq!(b.text("[data-test=post-status]").await, "Canceled");
    assert_eq!(s.post_by_id(&scheduled).await["status"], "canceled");
    b.shot("post-canceled").await;

    // Publish one now and watch it complete with a published delivery.
    let now = compose(&mut b, "Published from the browser", &profile, None).await;
    b.wait_text("[data-test=post-status]", "Completed", WAIT).await;
    assert_eq!(b.text("[data-test=delivery-status]").await, "published");
    let link = b.find("tr[data-delivery] a").await.attr("href").await.unwrap().unwrap();
    let delivered = s.post_by_id(&now).await;
    assert_eq!(delivered["deliveries"][0]["url"].as_str(), Some(link.as_str()));
    b.shot("post-completed").await;

    // A delivery the provider refuses, then a manual retry from the post page.
    s.fault("dash-x", json!({"mode": "reject", "message": "Status is a duplicate."})).await;
    let failing = compose(&mut b, "Refused at first", &profile, None).await;
    b.wait_text("[data-test=post-status]", "Completed", WAIT).await;
    assert_eq!(b.text("[data-test=delivery-status]").await, "failed");
    assert!(b.text("tr[data-delivery]").await.contains("Status is a duplicate."));
    b.shot("post-failed").await;
    s.clear_fault("dash-x").await;
    b.click("form[action$='/retry'] button").await;
    assert_eq!(b.text(".flash.notice").await, "Retry started: the delivery is queued again.");
    b.wait_text("[data-test=delivery-status]", "published", WAIT).await;
    assert_eq!(b.text("[data-test=post-status]").await, "Completed");
    let retried = s.post_by_id(&failing).await;
    assert_eq!(retried["deliveries"][0]["status"], "published");
    assert!(b.text("table.log").await.contains("manual retry"));
    b.shot("post-retried").await;

    // The Publishing Log has the domain events, and filters.
    b.goto("/dashboard/log").await;
    for kind in ["post.scheduled", "post.canceled", "delivery.published", "delivery.failed", "delivery.manual_retry"] {
        assert!(b.count(&format!("tr[data-kind='{kind}']")).await >= 1, "no {kind} row in the Publishing Log");
    }
    b.shot("publishing-log").await;
    b.find("select[name=kind]").await.select_by_value("delivery.manual_retry").await.unwrap();
    b.click("form.row button").await;
    assert_eq!(b.count("tr[data-kind]").await, 1);
    assert_eq!(b.count("tr[data-kind='delivery.manual_retry']").await, 1);

    // Publishing health: a card per provider with this workspace's figures.
    b.goto("/dashboard/health").await;
    assert_eq!(b.count(".card[data-provider]").await, 12);
    assert!(
        b.text(".card[data-provider=x]").await.contains("Published 1 h / 24 h\n2 / 2"),
        "{}",
        b.text(".card[data-provider=x]").await
    );
    b.shot("publishing-health").await;

    // Webhooks are configured here too; the secret is shown once.
    b.goto("/dashboard/webhooks").await;
    b.fill("input[name=url]", "http://127.0.0.1:9/hooks").await;
    b.click("form.stack button[type=submit]").await;
    assert!(b.text("[data-test=webhook-secret]").await.starts_with("whsec_"));
    let (_, hooks) = s.get("/api/webhooks").await;
    assert_eq!(hooks["data"][0]["url"], "http://127.0.0.1:9/hooks");
    b.shot("webhooks").await;

    b.goto("/dashboard/team").await;
    assert!(b.text("table").await.contains(&s.login.0));
    b.shot("team").await;
    b.goto("/dashboard/compose").await;
    b.shot("compose").await;

    // The assistant next to the text: captions for the ticked profile's platform (X) from
    // provider-sim's model, each within X's limit; one is put in the text box; then the
    // text fitted to each platform, with no model needed.
    let long = "Our new reader app helps teams read faster. ".repeat(12);
    b.fill("textarea[name='post[body]']", &long).await;
    b.tick(&format!("input[name='profiles[]'][value='{profile}']")).await;
    b.tick("button[data-assist=captions]").await;
    b.wait_script_text("#assist h3", "Captions for X", WAIT).await;
    assert_eq!(b.count("#assist .suggestion").await, 3);
    let first = b.text("#assist .suggestion pre").await;
    assert!(first.chars().count() <= 280 && first.contains('#'), "{first}");
    b.shot("compose-captions").await;
    b.tick("#assist .suggestion button[data-use]").await;
    let in_box: String = b
        .client
        .execute("return document.querySelector(\"textarea[name='post[body]']\").value;", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(in_box, first, "Use puts the caption in the text box");
    b.fill("textarea[name='post[body]']", &long).await;
    b.tick("button[data-assist=fit]").await;
    b.wait_script_text("#assist h3", "Fitted to each platform", WAIT).await;
    assert!(b.text("#assist .suggestion strong").await.starts_with("X: cut to fit, or a thread of"));
    b.shot("compose-fit").await;

    // A thread from the thread editor: two parts added, each with its counter against X's
    // limit; on the post page, the thread and each delivered part with its link.
    b.goto("/dashboard/compose").await;
    b.fill("textarea[name='post[body]']", "Thread from the browser, part one").await;
    b.tick(&format!("input[name='profiles[]'][value='{profile}']")).await;
    b.tick("button[data-add-part]").await;
    b.tick("button[data-add-part]").await;
    assert_eq!(b.count("#parts textarea[name='post[thread][]']").await, 2);
    b.fill("#parts label:nth-child(1) textarea", "Part two of the thread").await;
    b.fill("#parts label:nth-child(2) textarea", "Part three of the thread").await;
    b.wait_script_text("#parts label:nth-child(1) .counter", "22 / 280 (x)", WAIT).await;
    assert_eq!(b.text("#parts label:nth-child(2) .part-number").await, "3");
    b.shot("compose-thread").await;
    b.click("button[name='post[draft]'][value=false]").await;
    let threaded = b.path().await.strip_prefix("/dashboard/posts/").unwrap().to_owned();
    b.wait_text("[data-test=post-status]", "Completed", WAIT).await;
    assert_eq!(b.text("[data-test=delivery-status]").await, "published");
    assert_eq!(b.count("[data-test=thread] li").await, 2);
    assert_eq!(b.count("[data-test=delivery-parts] li a").await, 3);
    let delivered = s.post_by_id(&threaded).await;
    let last = delivered["deliveries"][0]["parts"][2]["url"].as_str().unwrap().to_owned();
    let shown = b.find("[data-test=delivery-parts] li:nth-child(3) a").await.attr("href").await.unwrap();
    assert_eq!(shown.as_deref(), Some(last.as_str()));
    b.shot("post-thread").await;
    // The first-comment field shows while a ticked profile's platform takes one (not X,
    // LinkedIn yes); one sent anyway where none does is refused, saying who takes them.
    let linkedin = s.profile("linkedin").await;
    let hidden = |css: &'static str| {
        let client = b.client.clone();
        async move {
            let script = format!("return document.querySelector('{css}').hidden;");
            client.execute(&script, vec![]).await.unwrap().as_bool().unwrap()
        }
    };
    b.goto("/dashboard/compose").await;
    b.fill("textarea[name='post[body]']", "No comments on X").await;
    b.tick(&format!("input[name='profiles[]'][value='{profile}']")).await;
    assert!(hidden("label.first-comment").await, "X takes no first comment");
    assert!(!hidden("fieldset.thread-editor").await, "X threads");
    b.tick(&format!("input[name='profiles[]'][value='{linkedin}']")).await;
    assert!(!hidden("label.first-comment").await, "LinkedIn takes one");
    b.fill("textarea[name=first_comment]", "a first comment").await;
    b.tick(&format!("input[name='profiles[]'][value='{linkedin}']")).await;
    b.click("button[name='post[draft]'][value=false]").await;
    let refused = b.text(".flash.error").await;
    assert!(
        refused.starts_with("first_comment: none of the ticked profiles") && refused.contains("LinkedIn"),
        "{refused}"
    );

    b.click(".who button").await;
    assert_eq!(b.text(".flash.notice").await, "Signed out.");
    b.goto("/dashboard/posts").await;
    assert!(b.path().await.starts_with("/dashboard/login"));
    b.shot("signed-out").await;
    b.close().await;
    let taken = std::fs::read_dir(&shots).unwrap().count();
    assert!(taken >= 17, "{taken} screenshots in {}", shots.display());
}

/// Fills Compose for one profile and publishes, now or `minutes` ahead in the browser's
/// local time; returns the new post's id from the page it lands on.
async fn compose(b: &mut Browser, text: &str, profile: &str, minutes: Option<i64>) -> String {
    b.goto("/dashboard/compose").await;
    b.fill("textarea[name='post[body]']", text).await;
    b.tick(&format!("input[name='profiles[]'][value='{profile}']")).await;
    if let Some(m) = minutes {
        // A datetime-local value is local wall time: built in the page, as a person types it.
        let script = "const d = new Date(Date.now() + arguments[0] * 60000); d.setSeconds(0, 0);
            const local = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
            document.getElementById('when').value = local; return local;";
        b.client.execute(script, vec![json!(m)]).await.unwrap();
    }
    b.click("button[name='post[draft]'][value=false]").await;
    let path = b.path().await;
    let Some(id) = path.strip_prefix("/dashboard/posts/") else {
        panic!("landed on {path}: {}", b.text("main").await);
    };
    assert_eq!(b.text(".flash.notice").await, "Post accepted.");
    id.to_owned()
}

/// Review as people do it: the queue per stage, a quoted comment highlighted in the post,
/// an edit shown as a diff (and sending the post back to QA), QA approval from the queue,
/// a review link made from the post's page and used by a client in a fresh browser with
/// no account, and the workspace's settings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_and_its_client_review_a_post_in_the_browser() {
    let s = Stack::start("browser-review").await;
    s.call(
        Method::PATCH,
        "/api/workspace",
        Some(json!({"requires_qa_approval": true, "requires_client_approval": true})),
    )
    .await;
    let x = s.profile("x").await;
    let p = s.create(json!({"post": {"body": "Our spring sale starts on Friday. Everything is 20% off.", "draft": true}, "profiles": [x]})).await;
    let id = p["id"].as_str().unwrap().to_owned();
    s.post(&format!("/api/posts/{id}/review"), json!({"action": "submit"})).await;

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join("review");
    let mut b = Browser::start(&s.gateway, shots.clone()).await;
    b.goto("/dashboard/login").await;
    b.fill("input[name=email]", &s.login.0).await;
    b.fill("input[name=password]", &s.login.1).await;
    b.click("form.stack button[type=submit]").await;

    // A comment on the words "on Friday", then an edit: the diff, the stale anchor.
    b.goto(&format!("/dashboard/posts/{id}")).await;
    b.fill("input[name=quote]", "on Friday").await;
    b.fill("textarea[name=text]", "Say the date, not the day.").await;
    b.click("form[action$='/comments'] button[type=submit]").await;
    assert_eq!(b.text("pre.body mark").await, "on Friday");
    b.shot("post-comment-anchored").await;
    s.call(
        Method::PATCH,
        &format!("/api/posts/{id}"),
        Some(json!({"post": {"body": "Our spring sale starts on 14 March. Everything is 20% off."}})),
    )
    .await;
    b.goto(&format!("/dashboard/posts/{id}")).await;
    assert!(b.text("[data-test=version-diff] del").await.contains("Friday"));
    assert!(b.text("[data-test=version-diff] ins").await.contains("14"));
    assert!(b.text("ol.comments").await.contains("no longer in the post"));
    assert_eq!(b.text("[data-test=review-status]").await, "qa_review");
    b.shot("post-version-diff").await;

    // QA approves from the queue.
    b.goto("/dashboard/review?stage=qa_review").await;
    assert!(b.text("[data-test=review-queue]").await.contains("14 March"));
    b.shot("review-queue").await;
    b.click("form.review-step button:not(.danger)").await;
    assert!(b.text(".flash.notice").await.starts_with("Done: qa approve"));
    assert_eq!(s.post_by_id(&id).await["review"], "client_review");

    // A link for the client, made on the post's page.
    b.goto(&format!("/dashboard/posts/{id}")).await;
    b.tick("details summary").await;
    b.fill("input[name=label]", "Acme marketing").await;
    b.click("form[action='/dashboard/review-links'] button[type=submit]").await;
    let notice = b.text(".flash.notice").await;
    let url = notice.split_whitespace().find(|w| w.contains("/review/rl_")).unwrap().to_owned();
    b.shot("review-link-created").await;

    // The client: another browser, never signed in.
    let mut c = Browser::start(&s.gateway, shots.join("client")).await;
    c.goto(url.trim_start_matches(&s.gateway)).await;
    assert!(c.text("[data-provider=x] pre").await.contains("14 March"));
    c.shot("client-review-link").await;
    c.click("section.review-post form button:not(.danger):not(.secondary)").await;
    assert_eq!(c.text(".flash.notice").await, "Approved. Thank you.");
    c.shot("client-approved").await;
    c.close().await;
    let post = s.post_by_id(&id).await;
    assert_eq!(post["review"], "approved");
    assert!(post["approved_by"].as_str().unwrap().contains("Acme marketing"));

    b.goto("/dashboard/settings").await;
    b.shot("workspace-settings").await;
    b.tick("input[name=delivery_mode][value=both]").await;
    b.click("form[data-test=settings] button[type=submit]").await;
    assert_eq!(b.text(".flash.notice").await, "Settings saved.");
    assert_eq!(s.get("/api/workspace").await.1["data"]["delivery_mode"], "both");
    b.close().await;
}

/// Planning as people do it: the Calendar by month and by week, a campaign's schedule
/// previewed then applied, and a CSV imported with each row's result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planner_uses_the_calendar_a_campaign_and_a_csv_import() {
    let s = Stack::start("browser-planning").await;
    let x = s.profile("x").await;
    let (_, c) = s.post("/api/campaigns", json!({"name": "Spring launch", "client_type": "b2b-saas"})).await;
    let campaign = c["data"]["id"].as_str().unwrap().to_owned();
    for i in 0..3 {
        s.create(json!({"post": {"body": format!("Campaign post {i}"), "draft": true, "campaign": campaign}, "profiles": [x]})).await;
    }
    for h in [3, 30] {
        let at = (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
        s.create(json!({"post": {"body": format!("Dated post in {h} h"), "scheduled_at": at}, "profiles": [x]})).await;
    }

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join("planning");
    let mut b = Browser::start(&s.gateway, shots.clone()).await;
    b.goto("/dashboard/login").await;
    b.fill("input[name=email]", &s.login.0).await;
    b.fill("input[name=password]", &s.login.1).await;
    b.click("form.stack button[type=submit]").await;

    b.goto("/dashboard/calendar").await;
    assert!(b.count("a.cal-post").await >= 1, "this month shows the dated posts");
    b.shot("calendar-month").await;
    b.goto("/dashboard/calendar?view=week").await;
    assert!(b.text("[data-test=calendar-title]").await.starts_with("Week of"));
    b.shot("calendar-week").await;

    b.goto(&format!("/dashboard/campaigns/{campaign}")).await;
    assert_eq!(b.count("[data-test=campaign-posts] tbody tr").await, 3);
    b.click("[data-test=schedule-form] button.secondary").await;
    assert!(
        b.text("[data-test=plan-title]").await.starts_with("Preview: 3 of 3 eligible"),
        "{}",
        b.text("[data-test=plan-title]").await
    );
    b.shot("campaign-preview").await;
    let (_, v) = s.get(&format!("/api/campaigns/{campaign}")).await;
    assert!(v["data"]["posts"].as_array().unwrap().iter().all(|p| p["status"] == "draft"), "a preview stores nothing");
    b.click("[data-test=schedule-form] button:not(.secondary)").await;
    assert!(b.text("[data-test=plan-title]").await.starts_with("Scheduled: 3 of 3"));
    b.shot("campaign-scheduled").await;
    for _ in 0..100 {
        let (_, v) = s.get(&format!("/api/campaigns/{campaign}")).await;
        if v["data"]["posts"].as_array().unwrap().iter().all(|p| p["status"] == "scheduled") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, v) = s.get(&format!("/api/campaigns/{campaign}")).await;
    assert!(v["data"]["posts"].as_array().unwrap().iter().all(|p| p["status"] == "scheduled"), "{v}");

    let csv = shots.join("posts.csv");
    std::fs::write(&csv, "content,platforms,hashtags\n\"Imported, with a comma\",x,#spring\nNowhere,myspace,\n")
        .unwrap();
    b.goto("/dashboard/import").await;
    b.find("input[name=file]").await.send_keys(&csv.display().to_string()).await.unwrap();
    b.click("[data-test=import-form] button[type=submit]").await;
    assert_eq!(b.text("[data-test=import-summary]").await, "1 of 2 rows imported");
    assert!(b.text("[data-test=import-results]").await.contains("column platforms"));
    b.shot("csv-import").await;
    b.close().await;
}

/// Analytics as pictures: engagement over time, by provider, the best-times heat map and a
/// post's sparkline, drawn as SVG by the server (no script from anywhere), checked and
/// screenshotted in Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_are_pictures_people_read_at_a_glance() {
    let schedule = vec![
        ("POSTMANTIS_SCHEDULE__OFFSETS_S", "[1]".to_owned()),
        ("POSTMANTIS_SCHEDULE__EVERY_S", "1".to_owned()),
        // Long enough that a loaded CI machine, whose collector may be seconds late, still
        // keeps two snapshots of each post before the schedule ends.
        ("POSTMANTIS_SCHEDULE__UNTIL_S", "40".to_owned()),
    ];
    let s =
        Stack::start_with("browser-analytics", e2e::Options { collector_env: Some(schedule), ..Default::default() })
            .await;
    let (x, li) = (s.profile("x").await, s.profile("linkedin").await);
    let mut ids = Vec::new();
    // Twelve on X (which counts impressions, so engagement rates), two on LinkedIn.
    for i in 0..14 {
        let p = s
            .create(json!({"post": {"body": format!("analytics {i}")}, "profiles": [if i >= 12 { &li } else { &x }]}))
            .await;
        ids.push(p["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        s.wait_post(id, WAIT, |p| p["status"] == "completed").await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, days) = s.get("/api/analytics").await;
        let with: u64 = days["data"].as_array().unwrap().iter().map(|d| d["with_figures"].as_u64().unwrap()).sum();
        let (_, m) = s.get(&format!("/api/posts/{}/metrics", ids[1])).await;
        let snaps = m["data"]["deliveries"][0]["history"].as_array().map_or(0, Vec::len);
        if with == 14 && snaps >= 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "figures not kept: {days} {m}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join("analytics");
    let mut b = Browser::start(&s.gateway, shots.clone()).await;
    b.goto("/dashboard/login").await;
    b.fill("input[name=email]", &s.login.0).await;
    b.fill("input[name=password]", &s.login.1).await;
    b.click("form.stack button[type=submit]").await;
    b.goto("/dashboard/analytics").await;
    assert_eq!(b.text("h1").await, "Analytics");
    assert_eq!(b.text("[data-test=published]").await, "14");
    assert!(b.count("svg[data-test=chart-over-time] rect").await >= 1);
    assert_eq!(b.count("svg[data-test=chart-by-provider] rect").await, 2, "X and LinkedIn");
    assert_eq!(b.count("svg[data-test=chart-heat-map] rect").await, 7 * 24);
    // Every connected profile has a row, with its account's followers as last read.
    assert_eq!(b.count("[data-test=profile-row]").await, 12);
    let followers = b.text("[data-test=profile-row] [data-test=followers]").await;
    assert!(followers.parse::<u64>().is_ok_and(|n| n >= 1000), "followers {followers}");
    // Twelve posts published this hour: the history's best slot is now, in the zone (UTC).
    let now = chrono::Utc::now();
    let want = format!("{} {:02}:00", domain_day(now), chrono::Timelike::hour(&now));
    let slot = b.text("[data-test=best-slot]").await;
    let earlier = now - chrono::Duration::minutes(2);
    let also = format!("{} {:02}:00", domain_day(earlier), chrono::Timelike::hour(&earlier));
    assert!(slot == want || slot == also, "best slot {slot}, expected {want}");
    assert!(b.text("[data-test=best-note]").await.starts_with("From 12 published posts"));
    // No script from anywhere draws them: the page holds only its own.
    let scripts: Vec<String> = serde_json::from_value(
        b.client.execute("return Array.from(document.scripts).map(s => s.src);", vec![]).await.unwrap(),
    )
    .unwrap();
    assert!(scripts.iter().all(|src| src.is_empty() || src.starts_with(&s.gateway)), "{scripts:?}");
    b.shot("analytics").await;
    b.goto(&format!("/dashboard/posts/{}", ids[1])).await;
    assert_eq!(b.count("svg[data-test=sparkline] polyline").await, 1);
    b.shot("post-sparkline").await;
    b.close().await;
    assert_eq!(std::fs::read_dir(&shots).unwrap().count(), 2);
}

/// The Feeds page: a feed's state and each item's fate, a failing feed's error, and a
/// feed added from the form; screenshotted in Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_show_each_item_and_what_became_of_it() {
    use e2e::feeds::{Doc, FeedServer, RssItem, rss};
    let opts = e2e::Options {
        collector_env: Some(vec![("POSTMANTIS_FEED_ALLOW_HOSTS", "127.0.0.1".to_owned())]),
        ..Default::default()
    };
    let s = Stack::start_with("browser-feeds", opts).await;
    let site = FeedServer::start().await;
    let x = s.profile("x").await;
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let item = |guid: &'static str, title: &'static str, n: i64| RssItem {
        guid: Some(guid),
        title,
        link: "https://blog.example/post",
        description: "<p>News</p>",
        pub_date: yesterday + chrono::Duration::minutes(n),
        image: None,
    };
    site.put("/blog.xml", Doc::ok("application/rss+xml", rss(&[item("one", "First post", 0)])));
    site.put("/page.html", Doc::ok("text/html", "<!doctype html><html></html>"));
    for (name, path) in [("The Blog", "/blog.xml"), ("Not a feed", "/page.html")] {
        let (status, v) = s
            .post("/api/feeds", json!({"name": name, "feed_url": site.url(path), "profiles": [&x], "backlog": 1}))
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{v}");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = s.get("/api/feeds").await;
        let all = v["data"].as_array().unwrap();
        if all.iter().any(|f| f["items_posted"] == 1) && all.iter().any(|f| f["error_count"] == 1) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join("feeds");
    let mut b = Browser::start(&s.gateway, shots.clone()).await;
    b.goto("/dashboard/login").await;
    b.fill("input[name=email]", &s.login.0).await;
    b.fill("input[name=password]", &s.login.1).await;
    b.click("form.stack button[type=submit]").await;
    b.goto("/dashboard/feeds").await;
    assert_eq!(b.text("h1").await, "Feeds");
    assert_eq!(b.count("[data-test=feed]").await, 2);
    assert_eq!(b.count("[data-test=feed-item]").await, 1);
    assert!(b.text("[data-test=feed-item]").await.contains("First post"));
    assert!(b.text("[data-test=last-error]").await.contains("an HTML page, not a feed"));
    b.shot("feeds").await;
    // Added from the form: the checkbox of the X profile, the default template.
    b.fill("[data-test=feed-form] input[name=name]", "From the form").await;
    b.fill("[data-test=feed-form] input[name=feed_url]", &site.url("/blog.xml")).await;
    b.tick(&format!("[data-test=feed-form] input[value='{x}']")).await;
    b.click("[data-test=feed-form] button[type=submit]").await;
    assert!(b.text(".flash.notice").await.contains("Feed From the form added"));
    assert_eq!(b.count("[data-test=feed]").await, 3);
    b.shot("feed-added").await;
    b.close().await;
    assert_eq!(std::fs::read_dir(&shots).unwrap().count(), 2);
}

fn domain_day(t: chrono::DateTime<chrono::Utc>) -> &'static str {
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        [chrono::Datelike::weekday(&t).num_days_from_monday() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_is_read_marked_and_answered_in_the_browser() {
    let opts = e2e::Options {
        collector_env: Some(vec![("POSTMANTIS_INBOX_EVERY_S", "3600".to_owned())]),
        ..Default::default()
    };
    let s = Stack::start_with("browser-inbox", opts).await;
    let x = s.profile("x").await;
    let p = s.create(json!({"post": {"body": "Our spring launch is live"}, "profiles": [x]})).await;
    s.wait_post(p["id"].as_str().unwrap(), Duration::from_secs(30), |p| p["status"] == "completed").await;
    let (_, polled) = s.post("/api/inbox/poll", json!({})).await;
    assert_eq!(polled["polled"], true, "{polled}");
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join("inbox");
    let mut b = Browser::start(&s.gateway, shots.clone()).await;
    b.goto("/dashboard/login").await;
    b.fill("input[name=email]", &s.login.0).await;
    b.fill("input[name=password]", &s.login.1).await;
    b.click("form.stack button[type=submit]").await;
    b.goto("/dashboard/inbox").await;
    assert_eq!(b.text("h1").await, "Inbox");
    assert!(b.count("[data-test=inbox-item]").await >= 3, "a comment, a mention and a message at least");
    b.shot("inbox").await;
    // The comment on our X post: filtered, scored, marked read, answered.
    b.goto("/dashboard/inbox?type=comment&provider=x").await;
    assert_eq!(b.count("[data-test=inbox-item]").await, 1);
    assert!(b.text("[data-test=inbox-item]").await.contains("your post"));
    assert!(!b.text("[data-test=sentiment]").await.is_empty());
    b.click("[data-test=inbox-item] form.inline button[type=submit]").await;
    assert!(b.text(".flash.notice").await.contains("Marked read"), "{}", b.text("main").await);
    b.goto("/dashboard/inbox?type=comment&provider=x").await;
    b.fill("[data-test=reply-form] textarea[name=text]", "Thank you for the kind words!").await;
    b.click("[data-test=reply-form] button[type=submit]").await;
    assert!(b.text(".flash.notice").await.contains("Reply accepted"), "{}", b.text("main").await);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = s.get("/api/inbox?status=replied").await;
        if v["data"].as_array().is_some_and(|a| a.len() == 1) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let public = s
        .sim_records::<serde_json::Value>("publishes?account=demo-x")
        .await
        .into_iter()
        .filter(|p| p["text"] == "Thank you for the kind words!" && p["kind"] == "reply")
        .count();
    assert_eq!(public, 1);
    b.goto("/dashboard/inbox?status=replied").await;
    assert_eq!(b.count("[data-test=inbox-item][data-status=replied]").await, 1);
    b.shot("inbox-replied").await;
    b.close().await;
    assert_eq!(std::fs::read_dir(&shots).unwrap().count(), 2);
}
