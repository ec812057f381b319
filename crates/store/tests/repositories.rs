//! The repositories against a real PostgreSQL: one database per test, made from a
//! migrated template (so a test costs a `CREATE DATABASE`, not a migration run).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::Utc;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::{DeliveryId, PostId, ProfileId, WorkspaceId};
use serde_json::json;
use store::deliveries::{self, Claim};
use store::models::{NewLogEntry, NewPostRow, NewProfile, ProfileRow};
use store::transitions::posts::Move;
use store::{Conn, KeyScope};
use uuid::Uuid;

mod common;
use common::Db;

async fn sql(conn: &mut Conn, q: &str) {
    diesel::sql_query(q).execute(conn).await.unwrap();
}

async fn workspace(conn: &mut Conn) -> WorkspaceId {
    let id = WorkspaceId::new();
    store::workspaces::insert(conn, id, "test").await.unwrap();
    id
}

async fn profile(conn: &mut Conn, ws: WorkspaceId, provider: &str) -> ProfileRow {
    let p = NewProfile {
        id: ProfileId::new(),
        workspace_id: ws,
        provider: provider.parse().expect("a provider"),
        name: format!("{provider} profile"),
        username: None,
        picture_url: None,
        external_id: format!("ext-{}", Uuid::new_v4()),
        access_token: None,
        refresh_token: None,
        expires_at: None,
    };
    store::profiles::insert(conn, &p).await.unwrap();
    store::profiles::by_id(conn, p.id).await.unwrap().unwrap()
}

/// A post in `status` with one pending delivery per profile.
async fn post(conn: &mut Conn, ws: WorkspaceId, profiles: &[ProfileRow], status: &str) -> PostId {
    let row = NewPostRow { status: status.parse().expect("a post status"), ..new_row(ws) };
    store::posts::insert(conn, &row, profiles, &[], &[]).await.unwrap();
    row.id
}

/// An image of the post's, still to prepare (so its moves send media-ingest a message).
async fn with_media(conn: &mut Conn, ws: WorkspaceId, post: PostId) {
    let asset = Uuid::now_v7();
    sql(
        conn,
        &format!(
            "INSERT INTO media_assets (id, workspace_id, storage_key, content_type, size_bytes, sha256) \
             VALUES ('{asset}', '{ws}', 'k-{asset}', 'image/png', 1, 'x')"
        ),
    )
    .await;
    sql(
        conn,
        &format!("INSERT INTO post_media (id, post_id, asset_id, position) VALUES (gen_random_uuid(), '{post}', '{asset}', 0)"),
    )
    .await;
}

fn new_row(ws: WorkspaceId) -> NewPostRow {
    NewPostRow {
        id: PostId::new(),
        workspace_id: ws,
        body: Some("hello".into()),
        status: domain::PostStatus::Pending,
        scheduled_at: None,
        provider_options: json!({}),
        traceparent: None,
        idempotency_key: None,
        hashtags: vec![],
        bodies: json!({}),
        labels: vec![],
        tags: vec![],
        category: None,
        campaign: None,
        requires_approval: None,
        created_by: None,
        queue_id: None,
        thread: serde_json::json!([]),
    }
}

/// An event row as the scheduler makes it (the relay's exchange is irrelevant here).
fn event(payload: serde_json::Value) -> store::outbox::NewOutboxRow {
    store::outbox::Outgoing {
        exchange: "events",
        routing_key: "post.event",
        message_type: "post.event.v1",
        payload: &payload,
        not_before: None,
        traceparent: None,
        expiration: None,
    }
    .prepare()
    .unwrap()
}

async fn count(conn: &mut Conn, q: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(q).get_result::<N>(conn).await.unwrap().n
}

async fn delivery_of(conn: &mut Conn, post_id: PostId) -> DeliveryId {
    store::posts::view(conn, post_id).await.unwrap().unwrap().deliveries[0].0.id
}

/// A scheduled post to `profile` alone, and its delivery.
async fn scheduled_delivery(conn: &mut Conn, ws: WorkspaceId, profile: &ProfileRow) -> (PostId, DeliveryId) {
    let p = post(conn, ws, std::slice::from_ref(profile), "scheduled").await;
    (p, delivery_of(conn, p).await)
}

/// A delivery of a post dispatched an hour ago, untouched since: what a sweep looks for.
async fn delivery_idle_an_hour(conn: &mut Conn, ws: WorkspaceId, profile: &ProfileRow) -> (PostId, DeliveryId) {
    let (p, d) = scheduled_delivery(conn, ws, profile).await;
    sql(conn, &format!("UPDATE posts SET dispatched_at = now() - interval '1 hour' WHERE id = '{p}'")).await;
    sql(conn, &format!("UPDATE deliveries SET dispatched_at = now() - interval '1 hour', updated_at = now() - interval '1 hour' WHERE id = '{d}'")).await;
    (p, d)
}

/// A message of `message_type` waiting in the outbox (due in 20 s: a turn, a retry delay).
async fn message_waiting(conn: &mut Conn, message_type: &str, payload: serde_json::Value) {
    store::outbox::push(
        conn,
        store::outbox::Outgoing {
            exchange: "e",
            routing_key: "k",
            message_type,
            payload: &payload,
            not_before: Some(Utc::now() + chrono::Duration::seconds(20)),
            traceparent: None,
            expiration: None,
        },
    )
    .await
    .unwrap();
}

/// Settles `d` as attempt `attempt` ended, with a log row and a message of its own, the
/// way the worker does; whether this call moved it.
async fn settle(
    conn: &mut Conn,
    d: DeliveryId,
    attempt: i32,
    to: store::transitions::deliveries::Settled<'_>,
    held: Option<&store::limits::Held>,
) -> store::StoreResult<bool> {
    use store::transitions::deliveries::{AttemptEnd, Settle, Settled, settle_logged};
    let task = deliveries::load_task(conn, d).await.unwrap().unwrap();
    let (kind, outcome) = match to {
        Settled::Published { .. } => ("delivery.published", "published"),
        Settled::Failed { .. } => ("delivery.failed", "rejected"),
    };
    let log = NewLogEntry {
        delivery_id: Some(d),
        profile_id: Some(task.profile.id),
        ..NewLogEntry::post(task.post.workspace_id, task.post.id, kind)
    };
    let message = event(json!({"delivery_id": d}));
    let ended = AttemptEnd { attempt, outcome, detail: None };
    settle_logged(conn, &Settle { delivery_id: d, to, ended, log: &log, message: &message, answers: None, held }).await
}

async fn published(conn: &mut Conn, d: DeliveryId, provider_post_id: &str, url: &str) -> store::StoreResult<bool> {
    let to = store::transitions::deliveries::Settled::Published { provider_post_id, url };
    settle(conn, d, 1, to, None).await
}

async fn failed(conn: &mut Conn, d: DeliveryId, message: &str) -> store::StoreResult<bool> {
    settle(conn, d, 1, store::transitions::deliveries::Settled::Failed { message }, None).await
}

#[tokio::test]
async fn a_due_post_is_claimed_by_one_dispatcher_only() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await);
    }
    // A future post is not due.
    let later = post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await;
    sql(&mut c, &format!("UPDATE posts SET scheduled_at = now() + interval '1 hour' WHERE id = '{later}'")).await;
    let (mut a, mut b) = (db.conn().await, db.conn().await);
    let (ta, tb) = tokio::join!(
        a.transaction::<_, store::StoreError, _>(async |c| store::transitions::posts::claim_due(c, 15).await),
        b.transaction::<_, store::StoreError, _>(async |c| store::transitions::posts::claim_due(c, 15).await),
    );
    let (ta, tb) = (ta.unwrap(), tb.unwrap());
    let mut claimed: Vec<PostId> = ta.iter().chain(tb.iter()).map(|(p, _)| p.id).collect();
    assert_eq!(claimed.len(), 20, "each due post once, across both");
    claimed.sort();
    claimed.dedup();
    assert_eq!(claimed.len(), 20);
    assert!(!claimed.contains(&later));
    assert!(ta.iter().all(|(_, ds)| ds.len() == 1));
    // Claimed posts are dispatched: nothing is due any more.
    assert!(store::transitions::posts::claim_due(&mut c, 100).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_scoped_key_sees_a_post_only_if_it_may_see_every_delivery() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let (x, li) = (profile(&mut c, ws, "x").await, profile(&mut c, ws, "linkedin").await);
    let only_x = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
    let both = post(&mut c, ws, &[x.clone(), li.clone()], "pending").await;
    let by_profile = KeyScope { workspace_id: ws, providers: None, profile_ids: Some(vec![x.id]) };
    let by_provider = KeyScope { workspace_id: ws, providers: Some(vec!["x".into()]), profile_ids: None };
    for scope in [&by_profile, &by_provider] {
        assert!(store::posts::get(&mut c, scope, only_x).await.unwrap().is_some());
        assert!(store::posts::get(&mut c, scope, both).await.unwrap().is_none(), "all or nothing");
    }
    let whole = KeyScope::workspace(ws);
    assert!(store::posts::get(&mut c, &whole, both).await.unwrap().is_some());
    let other = KeyScope::workspace(WorkspaceId::new());
    assert!(store::posts::get(&mut c, &other, only_x).await.unwrap().is_none(), "other workspaces see nothing");
    // The Publishing Log follows the same rule.
    for id in [only_x, both] {
        store::publish_log::append(&mut c, &NewLogEntry::post(ws, id, "post.queued")).await.unwrap();
    }
    let seen = store::publish_log::list(&mut c, &by_profile, &Default::default(), 10).await.unwrap();
    assert_eq!(seen.iter().map(|r| r.post_id).collect::<Vec<_>>(), vec![only_x]);
}

#[tokio::test]
async fn leases_cap_holders_release_and_expire() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let (a, b, d) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let s1 = store::leases::acquire(&mut c, "profile:1", 2, a, 60_000).await.unwrap();
    let s2 = store::leases::acquire(&mut c, "profile:1", 2, b, 60_000).await.unwrap();
    assert!(s1.is_some() && s2.is_some() && s1 != s2);
    assert_eq!(store::leases::acquire(&mut c, "profile:1", 2, d, 60_000).await.unwrap(), None, "the cap holds");
    assert!(store::leases::acquire(&mut c, "profile:2", 2, d, 60_000).await.unwrap().is_some(), "keys are apart");
    store::leases::release(&mut c, "profile:1", s1.unwrap(), a).await.unwrap();
    assert_eq!(store::leases::acquire(&mut c, "profile:1", 2, d, 60_000).await.unwrap(), s1);
    // A lease that expired (its holder died) is taken over.
    let e = store::leases::acquire(&mut c, "profile:3", 1, a, 1).await.unwrap();
    assert!(e.is_some());
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(store::leases::acquire(&mut c, "profile:3", 1, b, 60_000).await.unwrap(), e);
}

#[tokio::test]
async fn both_leases_are_taken_together_or_neither_is() {
    use store::leases::{acquire_both, release_all};
    let db = Db::new().await;
    let mut c = db.conn().await;
    let holders: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let live = async |c: &mut Conn, key: &str| {
        count(c, &format!("SELECT count(*) AS n FROM delivery_leases WHERE key = '{key}' AND expires_at >= now()"))
            .await
    };
    // Two profile slots, three provider slots: both taken by each of two holders, each
    // pair its own slots whichever were guessed first.
    let one = acquire_both(&mut c, ("profile:p", 2), ("provider:x", 3), holders[0], 60_000).await.unwrap().unwrap();
    let two = acquire_both(&mut c, ("profile:p", 2), ("provider:x", 3), holders[1], 60_000).await.unwrap().unwrap();
    assert_eq!([one[0].0.as_str(), one[1].0.as_str()], ["profile:p", "provider:x"]);
    assert_ne!(one[0], two[0]);
    assert_ne!(one[1], two[1]);
    // The profile is full: no provider slot is left taken by the one that failed.
    assert!(acquire_both(&mut c, ("profile:p", 2), ("provider:x", 3), holders[2], 60_000).await.unwrap().is_none());
    assert_eq!(live(&mut c, "provider:x").await, 2);
    // Another profile, the provider's last slot: taken; then the provider is full, and
    // the profile slot taken first is given back.
    assert!(acquire_both(&mut c, ("profile:q", 2), ("provider:x", 3), holders[2], 60_000).await.unwrap().is_some());
    assert!(acquire_both(&mut c, ("profile:r", 2), ("provider:x", 3), holders[3], 60_000).await.unwrap().is_none());
    assert_eq!(live(&mut c, "profile:r").await, 0);
    // Released, the pair is free again; a cap of zero takes nothing.
    release_all(&mut c, &one, holders[0]).await.unwrap();
    assert!(acquire_both(&mut c, ("profile:p", 2), ("provider:x", 3), holders[3], 60_000).await.unwrap().is_some());
    assert!(acquire_both(&mut c, ("profile:s", 0), ("provider:y", 3), holders[3], 60_000).await.unwrap().is_none());
    assert_eq!(live(&mut c, "provider:y").await, 0);
}

#[tokio::test]
async fn an_idempotency_claim_is_kept_answered_and_freed_when_abandoned() {
    use store::idempotency::{Claim as K, claim, finish};
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let stale = chrono::Duration::minutes(1);
    assert!(matches!(claim(&mut c, ws, "k", "fp", stale).await.unwrap(), K::First));
    assert!(matches!(claim(&mut c, ws, "k", "fp", stale).await.unwrap(), K::Existing { response: None, .. }));
    finish(&mut c, ws, "k", 201, &json!({"content-type": "application/json"}), b"{}").await.unwrap();
    match claim(&mut c, ws, "k", "other", stale).await.unwrap() {
        K::Existing { fingerprint, response: Some((201, _, body)) } => {
            assert_eq!(fingerprint, "fp");
            assert_eq!(body, b"{}");
        }
        _ => panic!("the answer was not kept"),
    }
    // A claim nobody answered, older than the deadline, is free again; an answered one is not.
    assert!(matches!(claim(&mut c, ws, "abandoned", "fp", stale).await.unwrap(), K::First));
    sql(&mut c, "UPDATE idempotency_keys SET created_at = now() - interval '5 minutes'").await;
    assert!(matches!(claim(&mut c, ws, "abandoned", "fp", stale).await.unwrap(), K::First));
    assert!(matches!(claim(&mut c, ws, "k", "fp", stale).await.unwrap(), K::Existing { response: Some(_), .. }));
}

#[tokio::test]
async fn the_outbox_take_finds_its_rows_by_id_whatever_the_plan() {
    // A prepared statement soon runs on a generic plan (its limit unknown): that plan
    // must not scan the whole outbox, backlog and dead rows, at every take.
    let db = Db::new().await;
    let mut c = db.conn().await;
    sql(&mut c, "SET plan_cache_mode = force_generic_plan").await;
    sql(&mut c, &format!("PREPARE take(bigint) AS {}", store::outbox::TAKE)).await;
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let plan: Vec<Line> = diesel::sql_query("EXPLAIN EXECUTE take(100)").load(&mut c).await.unwrap();
    let plan: Vec<&str> = plan.iter().map(|l| l.line.trim()).collect();
    assert!(plan.iter().all(|l| !l.contains("Seq Scan")), "{plan:#?}");
    // Rows deferred to later are not read at all: the due ones are the index's range.
    assert!(plan.iter().any(|l| l.contains("Index Cond: (available_at <= now())")), "{plan:#?}");
}

/// The plan of `stmt` as it ran (`EXPLAIN ANALYZE, BUFFERS`), its writes rolled back.
async fn plan_run(conn: &mut Conn, stmt: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    sql(conn, "BEGIN").await;
    let plan: Vec<Line> = diesel::sql_query(format!("EXPLAIN (ANALYZE, BUFFERS) {stmt}")).load(conn).await.unwrap();
    sql(conn, "ROLLBACK").await;
    plan.into_iter().map(|l| l.line).collect()
}

/// The shared buffers `stmt` reads, its writes rolled back.
async fn buffers_read(conn: &mut Conn, stmt: &str) -> u64 {
    let plan = plan_run(conn, stmt).await;
    // The top node's line counts its children's too.
    let top = plan.iter().find_map(|l| l.trim().strip_prefix("Buffers: shared ")).unwrap().to_owned();
    top.split_whitespace().filter_map(|kv| kv.split_once('=')).map(|(_, n)| n.parse::<u64>().unwrap()).sum()
}

/// The shared buffers a take (of 30) reads in the outbox as it is.
async fn take_buffers(conn: &mut Conn) -> u64 {
    buffers_read(conn, &store::outbox::TAKE.replace("$1", "30")).await
}

#[tokio::test]
async fn a_vacuum_spares_the_next_takes_the_rows_taken_before() {
    use store::outbox::{push_all, take_batch, vacuum};
    let db = Db::new().await;
    let mut c = db.conn().await;
    let rows: Vec<_> = (0..10_000).map(|n| event(json!({"n": n}))).collect();
    push_all(&mut c, &rows).await.unwrap();
    while !take_batch(&mut c, 500).await.unwrap().is_empty() {}
    take_buffers(&mut c).await;
    // Even once their entries are marked dead, every take walks past them.
    let before = take_buffers(&mut c).await;
    vacuum(&mut c).await.unwrap();
    let after = take_buffers(&mut c).await;
    assert!(after * 4 < before, "a take read {before} buffers before the vacuum and {after} after");
}

#[tokio::test]
async fn a_batch_of_messages_is_written_in_order_with_every_value() {
    use store::outbox::{Outgoing, push_all, take_batch};
    let db = Db::new().await;
    let mut c = db.conn().await;
    let payloads: Vec<serde_json::Value> = (0..3).map(|n| json!({"n": n, "text": "it's \"quoted\""})).collect();
    let later = Utc::now() + chrono::Duration::hours(1);
    let rows: Vec<_> = payloads
        .iter()
        .enumerate()
        .map(|(n, payload)| {
            Outgoing {
                exchange: if n == 1 { "retry" } else { "ex" },
                routing_key: "rk",
                message_type: "t.v1",
                payload,
                not_before: (n == 2).then_some(later),
                traceparent: (n == 1).then(|| "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned()),
                expiration: (n == 1).then_some(std::time::Duration::from_millis(1500)),
            }
            .prepare()
            .unwrap()
        })
        .collect();
    push_all(&mut c, &rows).await.unwrap();
    push_all(&mut c, &[]).await.unwrap();
    let taken = take_batch(&mut c, 10).await.unwrap();
    assert_eq!(taken.len(), 2, "the deferred row waits");
    for (got, sent) in taken.iter().zip(&rows) {
        assert_eq!(got.message_id, sent.message_id, "in the order given");
        assert_eq!(got.exchange, sent.exchange);
        assert_eq!(got.payload, sent.payload);
        assert_eq!(got.traceparent, sent.traceparent);
        assert_eq!(got.expiration_ms, sent.expiration_ms);
    }
    assert_eq!(taken[1].expiration_ms, Some(1500));
    assert_eq!(taken[0].traceparent, None);
    assert_eq!(
        count(
            &mut c,
            &format!(
                "SELECT count(*) AS n FROM outbox WHERE message_id = '{}' AND available_at > now()",
                rows[2].message_id
            )
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_outbox_hands_each_row_to_one_relay_and_holds_deferred_ones() {
    use store::outbox::{Outgoing, backlog, push, restore, take_batch};
    let db = Db::new().await;
    let mut c = db.conn().await;
    let payload = json!({"n": 1});
    let msg = |not_before| Outgoing {
        exchange: "ex",
        routing_key: "rk",
        message_type: "t.v1",
        payload: &payload,
        not_before,
        traceparent: None,
        expiration: None,
    };
    for _ in 0..4 {
        push(&mut c, msg(None)).await.unwrap();
    }
    push(&mut c, msg(Some(Utc::now() + chrono::Duration::hours(1)))).await.unwrap();
    let mut a = db.conn().await;
    let mut b = db.conn().await;
    a.transaction::<_, store::StoreError, _>(async |a| {
        let first = take_batch(a, 2).await?;
        // While the first relay holds its rows, the second one gets the others, and puts
        // back the one it could not send.
        let second = b
            .transaction::<_, store::StoreError, _>(async |b| {
                let rows = take_batch(b, 10).await?;
                restore(b, &rows[1..]).await?;
                Ok(rows)
            })
            .await?;
        assert_eq!(first.len(), 2);
        assert_eq!(second.len(), 2, "the deferred row is held back");
        assert!(first.iter().all(|r| second.iter().all(|s| s.id != r.id)));
        Ok(())
    })
    .await
    .unwrap();
    // The deferred row and the one put back; a relay that fails as a whole rolls back and
    // takes nothing.
    assert_eq!(backlog(&mut c).await.unwrap(), 2);
    let failed = c
        .transaction::<(), store::StoreError, _>(async |c| {
            assert_eq!(take_batch(c, 10).await?.len(), 1);
            Err(store::StoreError::Pool("the broker refused".into()))
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(backlog(&mut c).await.unwrap(), 2);
}

#[tokio::test]
async fn attempts_are_claimed_once_in_order_and_a_dead_run_counts() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let (_, d) = scheduled_delivery(&mut c, ws, &x).await;
    let bound = chrono::Duration::minutes(1);
    let Claim::Claimed { number: 1, after_unknown: false, since } =
        deliveries::claim_attempt(&mut c, d, 1, bound).await.unwrap()
    else {
        panic!("attempt 1 was not claimed")
    };
    assert!(since <= Utc::now());
    // A copy while it runs waits; a copy of it once finished does nothing.
    assert!(matches!(deliveries::claim_attempt(&mut c, d, 1, bound).await.unwrap(), Claim::Busy(_)));
    deliveries::finish_attempt(&mut c, d, 1, "retryable", Some("503")).await.unwrap();
    assert_eq!(deliveries::claim_attempt(&mut c, d, 1, bound).await.unwrap(), Claim::Stale);
    // Attempt 2 after a thrown one: an earlier call may have published.
    assert!(matches!(
        deliveries::claim_attempt(&mut c, d, 2, bound).await.unwrap(),
        Claim::Claimed { number: 2, after_unknown: true, .. }
    ));
    // Its run dies: past the bound, the copy of attempt 2 closes it as unknown and runs as 3.
    sql(&mut c, &format!("UPDATE delivery_attempts SET started_at = now() - interval '2 minutes' WHERE delivery_id = '{d}' AND attempt = 2")).await;
    assert!(matches!(
        deliveries::claim_attempt(&mut c, d, 2, bound).await.unwrap(),
        Claim::Claimed { number: 3, after_unknown: true, .. }
    ));
    assert_eq!(
        deliveries::attempts(&mut c, d).await.unwrap(),
        vec![(1, Some("retryable".into())), (2, Some("unknown".into())), (3, None)]
    );
    // A settled delivery claims nothing.
    published(&mut c, d, "post-1", "https://x.com/i/status/1").await.unwrap();
    assert_eq!(deliveries::claim_attempt(&mut c, d, 4, bound).await.unwrap(), Claim::Stale);
}

#[tokio::test]
async fn copies_of_a_first_attempt_claimed_at_once_make_one_call() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let bound = chrono::Duration::minutes(1);
    for _ in 0..20 {
        let (_, d) = scheduled_delivery(&mut c, ws, &x).await;
        let (mut a, mut b) = (db.conn().await, db.conn().await);
        let (one, two) = tokio::join!(
            deliveries::claim_attempt(&mut a, d, 1, bound),
            deliveries::claim_attempt(&mut b, d, 1, bound)
        );
        let claimed = [one.unwrap(), two.unwrap()].into_iter().filter(|c| matches!(c, Claim::Claimed { .. })).count();
        assert_eq!(claimed, 1, "one copy claims, the other finds it in flight");
        assert_eq!(deliveries::attempts(&mut c, d).await.unwrap(), vec![(1, None)]);
    }
    // A delivery no longer pending claims nothing, on the first attempt too.
    let (_, d) = scheduled_delivery(&mut c, ws, &x).await;
    failed(&mut c, d, "refused").await.unwrap();
    assert_eq!(deliveries::claim_attempt(&mut c, d, 1, bound).await.unwrap(), Claim::Stale);
}

#[tokio::test]
async fn a_provider_post_has_one_owner_and_look_ups_skip_the_taken_ones() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let (p1, p2, p3) = (
        post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await,
        post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await,
        post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await,
    );
    let (d1, d2, d3) = (delivery_of(&mut c, p1).await, delivery_of(&mut c, p2).await, delivery_of(&mut c, p3).await);
    assert!(published(&mut c, d1, "111", "u1").await.unwrap());
    let adopted = published(&mut c, d2, "111", "u1").await.unwrap_err();
    assert!(adopted.is_unique_violation("deliveries_one_owner_per_provider_post"), "{adopted}");
    let since = Utc::now() - chrono::Duration::minutes(5);
    assert_eq!(deliveries::taken_post_ids(&mut c, x.id, d3, since).await.unwrap(), vec!["111".to_owned()]);
    assert!(deliveries::taken_post_ids(&mut c, x.id, d1, since).await.unwrap().is_empty(), "not its own");
}

#[tokio::test]
async fn feed_positions_follow_commit_order_not_insert_order() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let p = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
    let mut late = db.conn().await;
    let entry = |kind: &str| NewLogEntry::post(ws, p, kind);
    // The first insert commits last.
    let e1 = entry("post.queued");
    late.transaction::<_, store::StoreError, _>(async |t| {
        store::publish_log::append(t, &e1).await?;
        store::publish_log::append(&mut c, &entry("post.scheduled")).await?;
        store::publish_log::sequence(&mut c).await?;
        let seen = store::publish_log::list_after(&mut c, &KeyScope::workspace(ws), None, 0, 10).await?;
        assert_eq!(seen.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), vec!["post.scheduled"]);
        Ok(())
    })
    .await
    .unwrap();
    store::publish_log::sequence(&mut c).await.unwrap();
    let all = store::publish_log::list_after(&mut c, &KeyScope::workspace(ws), None, 0, 10).await.unwrap();
    let kinds: Vec<&str> = all.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, vec!["post.scheduled", "post.queued"], "the late commit comes after");
    assert!(all[0].id > all[1].id, "although its row id is older");
    let after_first = all[0].position.unwrap();
    let rest = store::publish_log::list_after(&mut c, &KeyScope::workspace(ws), None, after_first, 10).await.unwrap();
    assert_eq!(rest.len(), 1);
}

#[tokio::test]
async fn a_settle_writes_its_log_and_message_once_and_always_ends_the_attempt_and_gives_back_the_caps() {
    use store::transitions::deliveries::Settled;
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let (_, d) = scheduled_delivery(&mut c, ws, &x).await;
    let bound = chrono::Duration::seconds(30);
    let caps = store::limits::Caps { profile_concurrency: 1, provider_concurrency: 1 };
    let held = store::limits::acquire(&mut c, caps, "x", x.id, 60_000).await.unwrap().unwrap();
    assert!(matches!(deliveries::claim_attempt(&mut c, d, 1, bound).await.unwrap(), Claim::Claimed { .. }));
    let writes = format!(
        "SELECT (SELECT count(*) FROM publish_log WHERE delivery_id = '{d}') * 10 + (SELECT count(*) FROM outbox WHERE payload->>'delivery_id' = '{d}') AS n"
    );
    let to = Settled::Published { provider_post_id: "777", url: "https://x.com/i/status/777" };
    assert!(settle(&mut c, d, 1, to, Some(&held)).await.unwrap());
    assert_eq!(count(&mut c, &writes).await, 11, "one log row and one message");
    assert_eq!(deliveries::attempts(&mut c, d).await.unwrap(), vec![(1, Some("published".into()))]);
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM delivery_leases").await, 0, "both slots given back");
    let row = count(
        &mut c,
        &format!("SELECT count(*) AS n FROM deliveries WHERE id = '{d}' AND status = 'published' AND provider_post_id = '777' AND url LIKE '%/777' AND published_at IS NOT NULL"),
    )
    .await;
    assert_eq!(row, 1);
    // A late copy moves nothing and writes neither again, but still gives back what it
    // held and ends its own attempt.
    let again = store::limits::acquire(&mut c, caps, "x", x.id, 60_000).await.unwrap().unwrap();
    sql(&mut c, &format!("INSERT INTO delivery_attempts (delivery_id, attempt) VALUES ('{d}', 2)")).await;
    assert!(!settle(&mut c, d, 2, Settled::Failed { message: "late" }, Some(&again)).await.unwrap());
    assert_eq!(count(&mut c, &writes).await, 11);
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM delivery_leases").await, 0);
    assert_eq!(deliveries::attempts(&mut c, d).await.unwrap()[1], (2, Some("rejected".into())));
    let kept = format!(
        "SELECT count(*) AS n FROM deliveries WHERE id = '{d}' AND status = 'published' AND error_message IS NULL"
    );
    assert_eq!(count(&mut c, &kept).await, 1);
}

#[tokio::test]
async fn a_post_completes_once_when_no_delivery_is_pending() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let (x, li) = (profile(&mut c, ws, "x").await, profile(&mut c, ws, "linkedin").await);
    let p = post(&mut c, ws, &[x.clone(), li], "scheduled").await;
    with_media(&mut c, ws, p).await;
    sql(&mut c, &format!("UPDATE posts SET dispatched_at = now() WHERE id = '{p}'")).await;
    let view = store::posts::view(&mut c, p).await.unwrap().unwrap();
    let (d1, d2) = (view.deliveries[0].0.id, view.deliveries[1].0.id);
    published(&mut c, d1, "a", "u").await.unwrap();
    async fn complete(c: &mut Conn, p: PostId) -> Option<store::transitions::posts::Moved> {
        let mv = Move { post_id: p, event: event(json!({"post_id": p})) };
        store::transitions::posts::complete_logged(c, &[mv]).await.unwrap().pop()
    }
    assert!(complete(&mut c, p).await.is_none(), "one is still pending");
    let writes = |p: PostId| {
        format!(
            "SELECT (SELECT count(*) FROM publish_log WHERE post_id = '{p}' AND kind = 'post.completed') + (SELECT count(*) FROM outbox WHERE payload->>'post_id' = '{p}') AS n"
        )
    };
    assert_eq!(count(&mut c, &writes(p)).await, 0, "no log row, no message for a post not moved");
    failed(&mut c, d2, "refused").await.unwrap();
    assert_eq!(complete(&mut c, p).await.map(|m| m.id), Some(Uuid::from(p)));
    assert!(complete(&mut c, p).await.is_none(), "only once");
    assert_eq!(count(&mut c, &writes(p)).await, 2, "one log row and one message, with the move");
    assert!(!failed(&mut c, d1, "late").await.unwrap(), "a settled delivery stays settled");
    // A post with no media to prepare: its log row, and no message (media-ingest, the
    // message's only consumer, would have nothing to do).
    let bare = post(&mut c, ws, &[x], "scheduled").await;
    sql(&mut c, &format!("UPDATE posts SET dispatched_at = now() WHERE id = '{bare}'")).await;
    let only = delivery_of(&mut c, bare).await;
    failed(&mut c, only, "refused").await.unwrap();
    assert_eq!(complete(&mut c, bare).await.map(|m| m.id), Some(Uuid::from(bare)));
    assert_eq!(count(&mut c, &writes(bare)).await, 1, "the log row alone");
}

#[tokio::test]
async fn a_move_of_one_post_is_planned_once_on_a_generic_connection() {
    // One post at a time (a quiet moment): each move binds arrays of one element. On an
    // ordinary connection PostgreSQL plans it again at every call; on the pool the
    // scheduler's moves and the relays use, the plan is made once.
    #[derive(diesel::QueryableByName)]
    struct Plans {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        generic_plans: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        custom_plans: i64,
    }
    let db = Db::new().await;
    let generic = store::connect_generic_pool(&format!("{}/{}", common::SERVER, db.name), 1).unwrap();
    let mut plans = Vec::new();
    for pool in [&db.pool, &generic] {
        let mut c = pool.get().await.unwrap();
        let ws = workspace(&mut c).await;
        let x = profile(&mut c, ws, "x").await;
        // The posts a running system holds, in the planner's statistics: on a table of a
        // few rows any plan costs about the same.
        sql(&mut c, &format!("INSERT INTO posts (id, workspace_id, body, status) SELECT gen_random_uuid(), '{ws}', 'old', 'completed' FROM generate_series(1, 5000)")).await;
        sql(&mut c, "ANALYZE posts").await;
        for _ in 0..8 {
            let p = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
            let moves = [Move { post_id: p, event: event(json!({"post_id": p})) }];
            assert_eq!(store::transitions::posts::schedule_logged(&mut c, &moves).await.unwrap().len(), 1);
        }
        let counted: Plans = diesel::sql_query(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
             WHERE statement LIKE '%DISTINCT ON (post_id)%' AND statement NOT LIKE '%pg_prepared_statements%'",
        )
        .get_result(&mut c)
        .await
        .unwrap();
        plans.push((counted.generic_plans, counted.custom_plans));
    }
    assert!(plans[0].1 == 8, "an ordinary connection planned each of its 8 moves anew: {:?}", plans[0]);
    assert_eq!(plans[1], (8, 0), "the generic connection ran all 8 on one plan");
}

#[tokio::test]
async fn a_claim_reads_its_index_from_the_due_end_and_updates_by_primary_key() {
    let db = Db::new().await;
    let claims = store::connect_claim_pool(&format!("{}/{}", common::SERVER, db.name), 1).unwrap();
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    // As in S2: 5 000 posts due, claimed (their entries in `posts_due` stay until a
    // vacuum), 20 000 scheduled ahead, in the planner's statistics, then one due now.
    sql(&mut c, &format!("INSERT INTO posts (id, workspace_id, body, status, scheduled_at) SELECT gen_random_uuid(), '{ws}', 'due', 'scheduled', now() - interval '1 hour' + n * interval '1 ms' FROM generate_series(1, 5000) n")).await;
    let mut claimed = 0;
    loop {
        let batch = store::transitions::posts::claim_due(&mut c, 500).await.unwrap();
        if batch.is_empty() {
            break;
        }
        claimed += batch.len();
    }
    assert_eq!(claimed, 5000);
    sql(&mut c, &format!("INSERT INTO posts (id, workspace_id, body, status, scheduled_at) SELECT gen_random_uuid(), '{ws}', 'ahead', 'scheduled', now() + interval '1 hour' + n * interval '1 ms' FROM generate_series(1, 20000) n")).await;
    sql(&mut c, "ANALYZE posts").await;
    sql(&mut c, &format!("INSERT INTO posts (id, workspace_id, body, status, scheduled_at) VALUES (gen_random_uuid(), '{ws}', 'now', 'scheduled', now())")).await;
    let claim = store::transitions::posts::CLAIM_DUE.replace("$1", "500").replace("$2", "50");
    let mut d = claims.get().await.unwrap();
    // On the dispatcher's connection the claim reads `posts_due` in the index's own order
    // and stops at the limit: no sort, no bitmap or sequential scan of `posts` (on an
    // ordinary one `scheduled_at <= statement_timestamp()`, estimated at a third of the
    // scheduled posts, has been planned as either). An index scan also marks the entries
    // of claimed posts dead as it passes them, so later claims step over them.
    let plan = plan_run(&mut d, &claim).await;
    assert!(plan.iter().any(|l| l.contains("Index Scan using posts_due")), "{plan:#?}");
    assert!(
        plan.iter().all(|l| !l.contains("Sort Key: ") && !l.contains("Bitmap") && !l.contains("Seq Scan on posts")),
        "{plan:#?}"
    );
    // As the dispatcher runs it: prepared, on a generic plan, with statistics that expect
    // more posts due than the limits. The claimed posts are updated through the primary
    // key, with no join for the planner to turn into a read of every post (S2, after an
    // autovacuum's ANALYZE: 4 000 buffers a claim; replayed, a hash join over all posts).
    sql(&mut d, "SET plan_cache_mode = force_generic_plan").await;
    sql(&mut d, &format!("PREPARE claim(bigint, bigint) AS {}", store::transitions::posts::CLAIM_DUE)).await;
    let generic = plan_run(&mut d, "EXECUTE claim(500, 50)").await;
    assert!(generic.iter().all(|l| !l.contains("Join") && !l.contains("Nested Loop")), "{generic:#?}");
    assert!(generic.iter().any(|l| l.contains("Index Scan using posts_pkey on posts p")), "{generic:#?}");
    sql(&mut d, "DEALLOCATE claim").await;
    sql(&mut d, "RESET plan_cache_mode").await;
}

#[tokio::test]
async fn many_posts_move_in_one_statement_each_once_with_its_own_message() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let mut pending = Vec::new();
    for _ in 0..3 {
        let p = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
        with_media(&mut c, ws, p).await;
        pending.push(p);
    }
    let scheduled = post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await;
    let mv = |p: PostId, copy: &str| Move { post_id: p, event: event(json!({"post_id": p, "copy": copy})) };
    // A post given twice (a message and its redelivery gathered together), and one that
    // is not pending (moved before), beside the three that move.
    let moves = [
        mv(pending[0], "first"),
        mv(scheduled, "first"),
        mv(pending[1], "first"),
        mv(pending[0], "second"),
        mv(pending[2], "first"),
    ];
    let moved = store::transitions::posts::schedule_logged(&mut c, &moves).await.unwrap();
    let ids = |ids: &mut dyn Iterator<Item = Uuid>| -> Vec<Uuid> {
        let mut v: Vec<Uuid> = ids.collect();
        v.sort();
        v
    };
    assert_eq!(
        ids(&mut moved.iter().map(|m| m.id)),
        ids(&mut pending.iter().map(|p| Uuid::from(*p))),
        "the pending posts, each once"
    );
    for p in &pending {
        let sent = format!(
            "SELECT count(*) AS n FROM outbox WHERE payload->>'post_id' = '{p}' AND payload->>'copy' = 'first'"
        );
        assert_eq!(count(&mut c, &sent).await, 1, "its first message");
        let logged = format!("SELECT count(*) AS n FROM publish_log WHERE post_id = '{p}' AND kind = 'post.queued'");
        assert_eq!(count(&mut c, &logged).await, 1, "its log row");
    }
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM outbox").await, 3, "no message for what did not move");
    let not_moved = format!("SELECT count(*) AS n FROM publish_log WHERE post_id = '{scheduled}'");
    assert_eq!(count(&mut c, &not_moved).await, 0);
    assert!(store::transitions::posts::schedule_logged(&mut c, &moves).await.unwrap().is_empty(), "again: none");
    assert!(store::transitions::posts::schedule_logged(&mut c, &[]).await.unwrap().is_empty());

    // Completion, gathered the same way: a post moves only once none of its own
    // deliveries is pending, whatever the others in the statement have.
    for p in &pending {
        sql(&mut c, &format!("UPDATE posts SET dispatched_at = now() WHERE id = '{p}'")).await;
    }
    for p in &pending[..2] {
        let d = delivery_of(&mut c, *p).await;
        failed(&mut c, d, "refused").await.unwrap();
    }
    let settled = [mv(pending[0], "a"), mv(pending[2], "a"), mv(pending[1], "a"), mv(pending[0], "b")];
    let completed = store::transitions::posts::complete_logged(&mut c, &settled).await.unwrap();
    assert_eq!(
        ids(&mut completed.iter().map(|m| m.id)),
        ids(&mut pending[..2].iter().map(|p| Uuid::from(*p))),
        "the two whose delivery settled, each once; not the one still pending"
    );
    let status = store::posts::status_of(&mut c, pending[2]).await.unwrap().unwrap().0;
    assert_eq!(status, domain::PostStatus::Scheduled);
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM publish_log WHERE kind = 'post.completed'").await, 2);
    let post_messages = "SELECT count(*) AS n FROM outbox WHERE payload->>'delivery_id' IS NULL";
    assert_eq!(count(&mut c, post_messages).await, 5, "one more message per completed post");
}

#[tokio::test]
async fn a_pending_post_is_scheduled_once_with_its_log_row_and_its_message_if_it_has_media() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let later = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
    let now = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
    let bare = post(&mut c, ws, &[x], "pending").await;
    sql(&mut c, &format!("UPDATE posts SET scheduled_at = '2099-01-01T10:00:00Z' WHERE id = '{later}'")).await;
    // `later` and `now` have an image still to prepare; `bare` has none.
    with_media(&mut c, ws, later).await;
    with_media(&mut c, ws, now).await;
    for (p, kind) in [(later, "post.scheduled"), (now, "post.queued"), (bare, "post.queued")] {
        let mv = || [Move { post_id: p, event: event(json!({"post_id": p, "scheduled_at": null})) }];
        let moved = store::transitions::posts::schedule_logged(&mut c, &mv()).await.unwrap();
        assert_eq!(moved.iter().map(|m| m.id).collect::<Vec<_>>(), [Uuid::from(p)]);
        assert!(store::transitions::posts::schedule_logged(&mut c, &mv()).await.unwrap().is_empty(), "only once");
        let logged =
            count(&mut c, &format!("SELECT count(*) AS n FROM publish_log WHERE post_id = '{p}' AND kind = '{kind}'"))
                .await;
        assert_eq!(logged, 1, "{kind}");
        let status = store::posts::status_of(&mut c, p).await.unwrap().unwrap().0;
        assert_eq!(status, domain::PostStatus::Scheduled);
    }
    #[derive(diesel::QueryableByName)]
    struct Payload {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        payload: serde_json::Value,
    }
    let sent: Vec<Payload> = diesel::sql_query("SELECT payload FROM outbox ORDER BY id").load(&mut c).await.unwrap();
    let sent: Vec<domain::messages::PostScheduledV1> =
        sent.into_iter().map(|s| serde_json::from_value(s.payload).unwrap()).collect();
    assert_eq!(
        sent.iter().map(|m| m.post_id).collect::<Vec<_>>(),
        [later, now],
        "one message per move with media to prepare, none for the post without"
    );
    assert_eq!(
        sent[0].scheduled_at.map(|t| t.to_rfc3339()),
        Some("2099-01-01T10:00:00+00:00".to_owned()),
        "the row's time"
    );
    assert_eq!(sent[1].scheduled_at, None);
    assert_eq!((sent[0].media_pending, sent[1].media_pending), (Some(true), Some(true)));
}

#[tokio::test]
async fn a_manual_retry_reopens_a_failed_delivery_and_its_post_once_per_attempt() {
    use store::transitions::deliveries::Settled;
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let p = post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await;
    sql(&mut c, &format!("UPDATE posts SET dispatched_at = now() WHERE id = '{p}'")).await;
    let d = store::posts::view(&mut c, p).await.unwrap().unwrap().deliveries[0].0.id;
    let bound = chrono::Duration::seconds(30);
    assert!(matches!(deliveries::claim_attempt(&mut c, d, 1, bound).await.unwrap(), Claim::Claimed { .. }));
    settle(&mut c, d, 1, Settled::Failed { message: "refused" }, None).await.unwrap();
    let done = [Move { post_id: p, event: event(json!({"post_id": p})) }];
    assert_eq!(store::transitions::posts::complete_logged(&mut c, &done).await.unwrap().len(), 1);
    assert!(!store::transitions::posts::reopen(&mut c, PostId::new()).await.unwrap());

    let target = deliveries::retry_target(&mut c, d).await.unwrap().unwrap();
    assert_eq!(target.next_attempt, 2, "attempts keep counting across retries");
    assert!(store::transitions::posts::reopen(&mut c, p).await.unwrap(), "completed -> scheduled");
    assert!(!store::transitions::posts::reopen(&mut c, p).await.unwrap(), "only a completed post reopens");
    assert!(store::transitions::deliveries::reopen_for_retry(&mut c, d, 2).await.unwrap(), "failed -> pending");
    assert!(!store::transitions::deliveries::reopen_for_retry(&mut c, d, 2).await.unwrap(), "only a failed one");

    // The retried attempt fails again: a late copy of the retry's message reopens nothing.
    assert!(matches!(deliveries::claim_attempt(&mut c, d, 2, bound).await.unwrap(), Claim::Claimed { .. }));
    settle(&mut c, d, 2, Settled::Failed { message: "refused again" }, None).await.unwrap();
    assert!(!store::transitions::deliveries::reopen_for_retry(&mut c, d, 2).await.unwrap(), "attempt 2 was made");
    assert!(store::transitions::deliveries::reopen_for_retry(&mut c, d, 3).await.unwrap(), "a new retry may");
}

#[tokio::test]
async fn a_canceled_post_cannot_be_dispatched_and_a_dispatched_one_cannot_be_canceled() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let a = post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await;
    sql(&mut c, &format!("UPDATE posts SET scheduled_at = now() + interval '1 hour' WHERE id = '{a}'")).await;
    assert!(store::transitions::posts::cancel(&mut c, a).await.unwrap().is_some());
    sql(&mut c, &format!("UPDATE posts SET scheduled_at = now() - interval '1 second' WHERE id = '{a}'")).await;
    assert!(store::transitions::posts::claim_due(&mut c, 10).await.unwrap().is_empty(), "a canceled post is never due");
    let b = post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await;
    assert_eq!(store::transitions::posts::claim_due(&mut c, 10).await.unwrap().len(), 1);
    assert!(store::transitions::posts::cancel(&mut c, b).await.unwrap().is_none(), "dispatched: too late");
}

#[tokio::test]
async fn the_sweeps_find_lost_work_and_skip_what_has_a_message_waiting() {
    use store::sweep::{idle_deliveries, pending_posts, settled_but_open};
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let stuck = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
    let waiting = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
    let fresh = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
    sql(
        &mut c,
        &format!("UPDATE posts SET updated_at = now() - interval '1 hour' WHERE id IN ('{stuck}', '{waiting}')"),
    )
    .await;
    message_waiting(&mut c, "post.accepted.v1", json!({"post_id": waiting})).await;
    let idle_since = Utc::now() - chrono::Duration::minutes(2);
    let found: Vec<PostId> =
        pending_posts(&mut c, idle_since, "post.accepted.v1", 10).await.unwrap().iter().map(|p| p.post_id).collect();
    assert_eq!(found, vec![stuck], "not the one with a message waiting, not the fresh one ({fresh})");
    store::sweep::mark_post_redriven(&mut c, stuck).await.unwrap();
    assert!(pending_posts(&mut c, idle_since, "post.accepted.v1", 10).await.unwrap().is_empty(), "once per wait");

    // A dispatched delivery: idle since its last attempt, which finished thrown.
    let (d_post, d) = delivery_idle_an_hour(&mut c, ws, &x).await;
    sql(&mut c, &format!("INSERT INTO delivery_attempts (delivery_id, attempt, started_at, finished_at, outcome) VALUES ('{d}', 1, now() - interval '1 hour', now() - interval '1 hour', 'retryable')")).await;
    // Beside it, two whose columns are as old but which are alive: one by an attempt
    // started since, one by a re-drive since.
    let mut alive = Vec::new();
    for sign in ["attempt", "redrive"] {
        let (_, a) = delivery_idle_an_hour(&mut c, ws, &x).await;
        sql(&mut c, &format!("INSERT INTO delivery_attempts (delivery_id, attempt, started_at, finished_at, outcome) VALUES ('{a}', 1, now() - interval '1 hour', now() - interval '1 hour', 'retryable')")).await;
        match sign {
            "attempt" => {
                sql(
                    &mut c,
                    &format!(
                        "INSERT INTO delivery_attempts (delivery_id, attempt, started_at) VALUES ('{a}', 2, now())"
                    ),
                )
                .await
            }
            _ => sql(&mut c, &format!("UPDATE deliveries SET redriven_at = now() WHERE id = '{a}'")).await,
        }
        alive.push(a);
    }
    // And one as old whose task waits in the outbox (a turn at a full cap, a retry delay).
    let (w_post, waiting_delivery) = delivery_idle_an_hour(&mut c, ws, &x).await;
    let task = json!({"delivery_id": waiting_delivery, "post_id": w_post, "provider": "x", "attempt": 1});
    message_waiting(&mut c, "delivery.requested.v1", task).await;
    let idle = idle_deliveries(&mut c, idle_since, "delivery.requested.v1", 10).await.unwrap();
    assert_eq!(
        idle.iter().map(|i| i.delivery_id).collect::<Vec<_>>(),
        vec![d],
        "not the live ones {alive:?}, not the one waiting its turn {waiting_delivery}"
    );
    assert_eq!((idle[0].delivery_id, idle[0].next_attempt(), idle[0].first_attempt()), (d, 2, 1));
    // Settled, but the post never completed.
    published(&mut c, d, "p", "u").await.unwrap();
    sql(&mut c, &format!("UPDATE deliveries SET updated_at = now() - interval '1 hour' WHERE id = '{d}'")).await;
    let open = settled_but_open(&mut c, idle_since, 10).await.unwrap();
    assert_eq!(open.iter().map(|o| (o.post_id, o.status.as_str())).collect::<Vec<_>>(), vec![(d_post, "published")]);
    store::sweep::record(&mut c, "test", &json!({"found": 1})).await.unwrap();
    let runs = store::sweep::last_runs(&mut c).await.unwrap();
    assert_eq!(runs[0].found["found"], 1);
}

#[tokio::test]
async fn a_sweep_reads_the_outbox_once_whatever_the_plan() {
    // Under a burst the planner's estimates are stale: it believed a handful of idle
    // deliveries and ran the outbox test as a nested loop, a scan of the whole outbox
    // (dead rows included) for each candidate. The planner is told to make that choice
    // here; the sweep must still read the outbox once.
    use store::sweep::{idle_deliveries, pending_posts};
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    for _ in 0..30 {
        let (_, d) = delivery_idle_an_hour(&mut c, ws, &x).await;
        message_waiting(&mut c, "delivery.requested.v1", json!({"delivery_id": d})).await;
        let pending = post(&mut c, ws, std::slice::from_ref(&x), "pending").await;
        sql(&mut c, &format!("UPDATE posts SET updated_at = now() - interval '1 hour' WHERE id = '{pending}'")).await;
        message_waiting(&mut c, "post.accepted.v1", json!({"post_id": pending})).await;
    }
    let idle_since = Utc::now() - chrono::Duration::minutes(2);
    let scans = c
        .transaction::<_, store::StoreError, _>(async |c| {
            sql(c, "SET LOCAL enable_hashjoin = off").await;
            sql(c, "SET LOCAL enable_mergejoin = off").await;
            sql(c, "SET LOCAL enable_material = off").await;
            assert!(idle_deliveries(c, idle_since, "delivery.requested.v1", 10).await?.is_empty(), "all waiting");
            assert!(pending_posts(c, idle_since, "post.accepted.v1", 10).await?.is_empty(), "all waiting");
            Ok(count(c, "SELECT seq_scan AS n FROM pg_stat_xact_user_tables WHERE relname = 'outbox'").await)
        })
        .await
        .unwrap();
    assert!(scans <= 2, "the outbox was scanned {scans} times for 30 candidates of each sweep");
}

#[tokio::test]
async fn an_asset_counts_as_attached_through_media_or_a_cover() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let (media, cover, loose) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for id in [media, cover, loose] {
        sql(&mut c, &format!("INSERT INTO media_assets (id, workspace_id, storage_key, kind, content_type, size_bytes, sha256, origin) VALUES ('{id}', '{ws}', 'assets/{id}', 'image', 'image/png', 10, 'x', 'upload')")).await;
    }
    let p = post(&mut c, ws, std::slice::from_ref(&x), "draft").await;
    store::posts::replace_media(&mut c, p, &[(media, None)]).await.unwrap();
    sql(&mut c, &format!("UPDATE posts SET provider_options = '{{\"youtube\": {{\"cover\": {{\"asset_id\": \"{cover}\"}}}}}}' WHERE id = '{p}'")).await;
    assert!(store::media::is_attached(&mut c, media).await.unwrap());
    assert!(store::media::is_attached(&mut c, cover).await.unwrap());
    assert!(!store::media::is_attached(&mut c, loose).await.unwrap());
    assert!(store::media::asset_in(&mut c, ws, media).await.unwrap().is_some());
    assert!(store::media::asset_in(&mut c, WorkspaceId::new(), media).await.unwrap().is_none(), "tenant checked");
}

#[tokio::test]
async fn a_revoked_key_is_no_longer_active() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let id = Uuid::now_v7();
    sql(&mut c, &format!("INSERT INTO api_keys (id, workspace_id, name, key_prefix, key_hash, permission) VALUES ('{id}', '{ws}', 'k', 'pm_', 'h-{id}', 'write')")).await;
    assert!(store::keys::is_active(&mut c, id).await.unwrap());
    assert!(store::keys::find_active_by_hash(&mut c, &format!("h-{id}")).await.unwrap().is_some());
    assert!(store::keys::revoke_in(&mut c, ws, id).await.unwrap());
    assert!(!store::keys::is_active(&mut c, id).await.unwrap());
    assert!(store::keys::find_active_by_hash(&mut c, &format!("h-{id}")).await.unwrap().is_none());
    assert!(!store::keys::revoke_in(&mut c, ws, id).await.unwrap(), "once");
}

#[tokio::test]
async fn a_post_created_under_an_idempotency_key_is_found_by_it_and_is_unique() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let mut row = NewPostRow {
        id: PostId::new(),
        workspace_id: ws,
        body: Some("once".into()),
        status: domain::PostStatus::Pending,
        scheduled_at: None,
        provider_options: json!({}),
        traceparent: None,
        idempotency_key: Some("key1:launch".into()),
        hashtags: vec![],
        bodies: json!({}),
        labels: vec![],
        tags: vec![],
        category: None,
        campaign: None,
        requires_approval: None,
        created_by: None,
        queue_id: None,
        thread: serde_json::json!([]),
    };
    store::posts::insert(&mut c, &row, std::slice::from_ref(&x), &[], &[]).await.unwrap();
    assert_eq!(store::posts::id_by_idempotency_key(&mut c, ws, "key1:launch").await.unwrap(), Some(row.id));
    let first = row.id;
    row.id = PostId::new();
    let again = store::posts::insert(&mut c, &row, std::slice::from_ref(&x), &[], &[]).await.unwrap_err();
    assert!(again.is_unique_violation("posts_one_per_idempotency_key"), "{again}");
    assert_eq!(store::posts::id_by_idempotency_key(&mut c, ws, "key1:launch").await.unwrap(), Some(first));
    assert_eq!(store::posts::id_by_idempotency_key(&mut c, WorkspaceId::new(), "key1:launch").await.unwrap(), None);
}

#[tokio::test]
async fn a_new_posts_view_is_what_reading_it_back_gives() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let profiles =
        [profile(&mut c, ws, "x").await, profile(&mut c, ws, "linkedin").await, profile(&mut c, ws, "bluesky").await];
    let id = post(&mut c, ws, &profiles, "pending").await;
    let read = store::posts::view(&mut c, id).await.unwrap().unwrap();
    let mut row = NewPostRow { id: PostId::new(), ..new_row(ws) };
    row.body = Some("another".into());
    let made = store::posts::insert(&mut c, &row, &profiles, &[], &[]).await.unwrap();
    let again = store::posts::view(&mut c, row.id).await.unwrap().unwrap();
    assert_eq!(format!("{made:?}"), format!("{again:?}"), "made from the inserts = read back");
    assert_eq!(made.deliveries.len(), 3);
    assert_eq!(read.deliveries.len(), 3);
}

#[tokio::test]
async fn token_refresh_locks_the_profile_row() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    let mut a = db.conn().await;
    let mut b = db.conn().await;
    a.transaction::<_, store::StoreError, _>(async |a| {
        assert!(store::profiles::lock(a, x.id).await?.is_some());
        // Another transaction cannot take the same lock meanwhile.
        let other = b
            .transaction::<_, store::StoreError, _>(async |b| {
                sql(b, "SET LOCAL lock_timeout = '200ms'").await;
                store::profiles::lock(b, x.id).await
            })
            .await;
        assert!(other.is_err(), "two refreshes of one profile at once");
        Ok(())
    })
    .await
    .unwrap();
    assert!(store::profiles::lock(&mut b, x.id).await.unwrap().is_some(), "free again after commit");
}

#[tokio::test]
async fn an_accepted_posts_statements_are_prepared_once_per_connection() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let profiles = [profile(&mut c, ws, "x").await, profile(&mut c, ws, "linkedin").await];
    // Accepting three posts on one connection (one with a single profile: the deliveries'
    // text must not depend on their number) leaves one prepared statement for each write.
    for n in 0..3 {
        let row = NewPostRow { id: PostId::new(), ..new_row(ws) };
        let to = if n == 1 { &profiles[..1] } else { &profiles[..] };
        let view = store::posts::insert(&mut c, &row, to, &[], &[]).await.unwrap();
        store::publish_log::append_with_message(
            &mut c,
            &NewLogEntry::post(ws, row.id, "post.accepted"),
            &event(json!({ "post_id": row.id })),
        )
        .await
        .unwrap();
        store::versions::record_first(&mut c, &view, "test").await.unwrap();
        assert_eq!(view.deliveries.len(), to.len());
    }
    for (table, starts) in [
        ("posts", "INSERT INTO \"posts\""),
        ("deliveries", "INSERT INTO deliveries"),
        ("publish_log + outbox", "WITH logged AS"),
        ("post_versions", "INSERT INTO post_versions"),
    ] {
        let kept = count(
            &mut c,
            &format!("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE '{starts}%'"),
        )
        .await;
        assert_eq!(kept, 1, "the insert into {table} is prepared once and reused");
    }
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM outbox WHERE payload->>'post_id' IS NOT NULL").await, 3);
}

#[tokio::test]
async fn a_plain_post_accepted_in_one_statement_is_what_its_read_back_says() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let profiles =
        [profile(&mut c, ws, "x").await, profile(&mut c, ws, "linkedin").await, profile(&mut c, ws, "bluesky").await];
    for n in 0..2 {
        let mut row = NewPostRow { id: PostId::new(), ..new_row(ws) };
        row.body = Some(format!("plain {n}"));
        row.scheduled_at = Some(chrono::Utc::now() + chrono::Duration::hours(1));
        let made =
            store::posts::insert_accepted(&mut c, &row, &profiles, "key test", &event(json!({ "post_id": row.id })))
                .await
                .unwrap();
        let again = store::posts::view(&mut c, row.id).await.unwrap().unwrap();
        assert_eq!(format!("{made:?}"), format!("{again:?}"), "made without a read-back = read back");
        let versions = store::versions::list(&mut c, row.id).await.unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].content, store::versions::content_of(&again), "the first version says what is stored");
        assert_eq!(versions[0].author, "key test");
        let logged = count(
            &mut c,
            &format!("SELECT count(*) AS n FROM publish_log WHERE post_id = '{}' AND kind = 'post.accepted'", row.id),
        )
        .await;
        assert_eq!(logged, 1);
    }
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM outbox WHERE payload->>'post_id' IS NOT NULL").await, 2);
    let kept =
        count(&mut c, "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'WITH p AS%'").await;
    assert_eq!(kept, 1, "one prepared statement for every plain post");

    // A refused write (a profile that does not exist) leaves nothing: no post, no
    // delivery, no version, no log row, no message.
    let mut gone = profiles[0].clone();
    gone.id = domain::ProfileId::new();
    let row = NewPostRow { id: PostId::new(), ..new_row(ws) };
    let refused =
        store::posts::insert_accepted(&mut c, &row, &[gone], "key test", &event(json!({ "post_id": row.id }))).await;
    assert!(refused.is_err());
    for table in
        ["posts WHERE id", "deliveries WHERE post_id", "post_versions WHERE post_id", "publish_log WHERE post_id"]
    {
        assert_eq!(count(&mut c, &format!("SELECT count(*) AS n FROM {table} = '{}'", row.id)).await, 0, "{table}");
    }
    assert_eq!(count(&mut c, "SELECT count(*) AS n FROM outbox WHERE payload->>'post_id' IS NOT NULL").await, 2);
}

#[tokio::test]
async fn a_post_due_now_is_claimed_in_the_next_batch_behind_a_backlog() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let x = profile(&mut c, ws, "x").await;
    // A backlog of 30 posts due an hour ago, one after another, then one due a moment ago
    // and one due in an hour.
    let mut backlog = Vec::new();
    for i in 0..30 {
        let id = post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await;
        sql(
            &mut c,
            &format!(
                "UPDATE posts SET scheduled_at = now() - interval '1 hour' + interval '{i} seconds' WHERE id = '{id}'"
            ),
        )
        .await;
        backlog.push(id);
    }
    let just_due = post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await;
    sql(&mut c, &format!("UPDATE posts SET scheduled_at = now() - interval '1 second' WHERE id = '{just_due}'")).await;
    let later = post(&mut c, ws, std::slice::from_ref(&x), "scheduled").await;
    sql(&mut c, &format!("UPDATE posts SET scheduled_at = now() + interval '1 hour' WHERE id = '{later}'")).await;

    let first: Vec<PostId> =
        store::transitions::posts::claim_due(&mut c, 10).await.unwrap().iter().map(|(p, _)| p.id).collect();
    assert!(first.contains(&just_due), "due now: in the first batch, not after the backlog");
    assert!(backlog[..10].iter().all(|id| first.contains(id)), "the backlog still drains oldest first");
    let mut all = first.clone();
    loop {
        let next = store::transitions::posts::claim_due(&mut c, 10).await.unwrap();
        if next.is_empty() {
            break;
        }
        all.extend(next.iter().map(|(p, _)| p.id));
    }
    let claimed = all.len();
    all.sort();
    all.dedup();
    assert_eq!((claimed, all.len()), (31, 31), "every due post once");
    assert!(!all.contains(&later), "never early");
}

#[tokio::test]
async fn a_check_asked_for_while_a_feed_is_being_checked_is_kept() {
    let db = Db::new().await;
    let mut c = db.conn().await;
    let ws = workspace(&mut c).await;
    let new_feed = |name: &str| store::feeds::NewFeed {
        id: Uuid::now_v7(),
        workspace_id: ws,
        name: name.to_owned(),
        feed_url: format!("http://127.0.0.1:1/{name}.xml"),
        profile_ids: Vec::new(),
        template: "{title}".to_owned(),
        include_image: false,
        becomes: "draft".to_owned(),
        queue_id: None,
        check_interval_minutes: 60,
        backlog: 0,
        created_by: None,
    };
    let (asked, quiet) = (new_feed("asked"), new_feed("quiet"));
    for f in [&asked, &quiet] {
        store::feeds::insert(&mut c, f).await.unwrap();
    }
    let lease = chrono::Duration::minutes(5);
    let mut claimed = store::feeds::claim(&mut c, 10, lease).await.unwrap();
    claimed.sort();
    assert_eq!(claimed, {
        let mut both = vec![asked.id, quiet.id];
        both.sort();
        both
    });
    // Each check reads its feed, then fetches; "check now" on one of them lands meanwhile.
    let seen_asked = store::feeds::by_id(&mut c, asked.id).await.unwrap().unwrap();
    let seen_quiet = store::feeds::by_id(&mut c, quiet.id).await.unwrap().unwrap();
    store::feeds::due_now(&mut c, asked.id).await.unwrap();
    let next = Utc::now() + chrono::Duration::minutes(60);
    store::feeds::checked(&mut c, asked.id, None, None, seen_asked.next_check_at, next).await.unwrap();
    store::feeds::check_failed(&mut c, quiet.id, "unreachable", seen_quiet.next_check_at, next, 5).await.unwrap();

    let after_asked = store::feeds::by_id(&mut c, asked.id).await.unwrap().unwrap();
    assert!(after_asked.next_check_at <= Utc::now(), "the check asked for is still due");
    let after_quiet = store::feeds::by_id(&mut c, quiet.id).await.unwrap().unwrap();
    assert_eq!(
        after_quiet.next_check_at,
        chrono::SubsecRound::trunc_subsecs(next, 6),
        "no check asked for: the interval's"
    );
    assert_eq!(store::feeds::claim(&mut c, 10, lease).await.unwrap(), vec![asked.id], "claimed again at once");
}
