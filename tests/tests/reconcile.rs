//! Nothing loops hot, nothing stays stuck: a message that keeps failing is parked after a
//! bounded number of tries; posts and deliveries whose messages were lost are found and
//! re-driven, once, and the operator sees it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use e2e::{Options, Stack};
use serde_json::Value;

fn sweeping(stuck_after_s: &str) -> Options {
    Options {
        retry_delay_ms: 300,
        provider_timeout_ms: 500,
        common_env: vec![
            ("POSTMANTIS_SWEEP__INTERVAL_MS", "300".into()),
            ("POSTMANTIS_SWEEP__STUCK_AFTER_S", stuck_after_s.into()),
            ("POSTMANTIS_BUS__MAX_REDELIVERIES", "3".into()),
        ],
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_keeps_failing_is_parked_after_its_tries_and_the_operator_sees_it() {
    // The sweep waits a minute here: this test is about the tries of one message.
    let s = Stack::start_with("parked", sweeping("60")).await;
    let x = s.profile("x").await;
    // The database refuses to move this one post: the scheduler's handler fails each time.
    s.sql(
        "CREATE FUNCTION refuse_cursed() RETURNS trigger AS $$ BEGIN \
           IF NEW.body = 'cursed' AND NEW.status <> OLD.status THEN RAISE EXCEPTION 'refused by the test'; END IF; \
           RETURN NEW; END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER refuse_cursed BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION refuse_cursed();",
    );
    s.create(Stack::json_post("cursed", &[&x])).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let health = loop {
        let (_, h) = s.get("/api/health").await;
        if h["queues"]["deliveries.dead"].as_u64() >= Some(1) {
            break h;
        }
        assert!(std::time::Instant::now() < deadline, "the failing message was never parked: {h}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let warnings = health["warnings"].to_string();
    assert!(warnings.contains("parked in deliveries.dead"), "{warnings}");
    let metrics = s.http.get(format!("{}/metrics", s.health["scheduler"])).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("postmantis_messages_dead_lettered_total") && !l.ends_with(" 0")),
        "{metrics}"
    );
    // Bounded: the first try and three more, then parked; not hot for the whole test.
    let handled = metrics
        .lines()
        .filter(|l| l.starts_with("postmantis_messages_handled_total") && l.contains("outcome=\"retry\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>();
    assert_eq!(handled, 4.0, "{handled} failed tries");
    // Other posts go on.
    let ok = s.create(Stack::json_post("fine", &[&x])).await;
    s.wait_status(ok["id"].as_str().unwrap(), "completed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_and_deliveries_whose_messages_were_lost_are_re_driven_once() {
    let s = Stack::start_with("reconcile", sweeping("1")).await;
    let x = s.profile("x").await;

    // A lost post.accepted: a post left pending.
    let draft =
        s.create(serde_json::json!({"post": {"body": "lost acceptance", "draft": true}, "profiles": [x]})).await;
    let lost_accept = draft["id"].as_str().unwrap().to_owned();
    s.sql(&format!(
        "UPDATE posts SET status = 'pending', updated_at = now() - interval '1 hour' WHERE id = '{lost_accept}'"
    ));

    // A lost delivery.requested: a post marked dispatched whose task never arrived.
    let later = s
        .create(
            serde_json::json!({"post": {"body": "lost task", "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [x]}),
        )
        .await;
    let lost_task = later["id"].as_str().unwrap().to_owned();
    s.wait_status(&lost_task, "scheduled").await;
    s.sql(&format!(
        "UPDATE posts SET scheduled_at = now() - interval '1 hour', dispatched_at = now() - interval '1 hour' WHERE id = '{lost_task}'; \
         UPDATE deliveries SET dispatched_at = now() - interval '1 hour', updated_at = now() - interval '1 hour' WHERE post_id = '{lost_task}'"
    ));

    // A lost delivery.settled: a post whose delivery published but that never completed.
    let done = s.create(Stack::json_post("lost settlement", &[&x])).await;
    let lost_settle = done["id"].as_str().unwrap().to_owned();
    s.wait_status(&lost_settle, "completed").await;
    s.sql(&format!(
        "UPDATE posts SET status = 'scheduled', completed_at = NULL WHERE id = '{lost_settle}'; \
         UPDATE deliveries SET updated_at = now() - interval '1 hour' WHERE post_id = '{lost_settle}'"
    ));

    for id in [&lost_accept, &lost_task, &lost_settle] {
        let p = s.wait_post(id, Duration::from_secs(30), |p| p["status"] == "completed").await;
        assert_eq!(p["deliveries"][0]["status"], "published", "{p}");
        let calls = s.calls_for_delivery(p["deliveries"][0]["id"].as_str().unwrap()).await;
        assert_eq!(calls.len(), 1, "re-driven into exactly one publish: {calls:?}");
    }
    let (_, h) = s.get("/api/health").await;
    let r = &h["reconciliation"];
    assert!(r["scheduler"]["ran_at"].is_string(), "{h}");
    assert!(r["delivery-worker"]["ran_at"].is_string(), "{h}");
    // What they found was recorded (the last run may have found nothing new).
    let redriven = s.sql("SELECT count(*) FROM deliveries WHERE redriven_at IS NOT NULL");
    assert_eq!(redriven, "1", "only the lost task was handed out again");
    let dash = e2e::dashboard::Dashboard::new(&s.gateway);
    dash.sign_in(&s.login.0, &s.login.1).await;
    let page = dash.get("/dashboard/health").await;
    assert!(page.body.contains("Reconciliation: "), "Publishing health does not show the sweeps");
    let _: Value = h;
}
