//! `make bench`: the scheduling and acceptance targets, measured on the release binaries
//! against the real PostgreSQL, RabbitMQ and provider-sim. Exits non-zero when a target is missed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use e2e::Stack;
use serde_json::{Value, json};

/// Text-only profiles of the demo workspace the on-time rounds spread over.
const TEXT_PROVIDERS: [&str; 6] = ["x", "linkedin", "facebook", "threads", "bluesky", "mastodon"];
/// Posts per profile per round: the default per-profile concurrency cap (2), so nothing waits on it.
const PER_PROFILE: usize = 2;
/// Rounds of the on-time measurement, each at its own instant.
const ROUNDS: usize = 5;
/// Posts for one profile at one instant: drains at the per-profile cap (reported, no target).
const ONE_PROFILE_BURST: usize = 100;
/// Posts accepted one after another to time the gateway's answer.
const ACCEPTS: usize = 200;
/// Sub-second scheduling: the provider call lands within this after `scheduled_at`.
const LATENESS_P99_TARGET_MS: i64 = 1_000;
/// An agent gets its 201 within this.
const ACCEPT_P99_TARGET_MS: i64 = 100;

fn percentile(sorted: &[i64], p: f64) -> i64 {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn summary(name: &str, mut values: Vec<i64>) -> (i64, i64) {
    values.sort_unstable();
    let (p50, p99) = (percentile(&values, 50.0), percentile(&values, 99.0));
    println!(
        "{name:<50} n={:<4} p50={p50:>5} ms  p99={p99:>5} ms  max={:>5} ms",
        values.len(),
        values[values.len() - 1]
    );
    (p50, p99)
}

async fn accept_latency(s: &Stack, x: &str) -> Vec<i64> {
    let mut took = Vec::with_capacity(ACCEPTS);
    for i in 0..ACCEPTS {
        let body =
            json!({"post": {"body": format!("accept {i}"), "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [x]});
        let start = Instant::now();
        s.create(body).await;
        took.push(start.elapsed().as_millis() as i64);
    }
    took
}

/// Creates the posts for `profiles` at `when` and returns the provider call's lateness of each.
async fn lateness_at(s: &Stack, profiles: &[String], per_profile: usize, when: DateTime<Utc>) -> Vec<i64> {
    let mut deliveries = Vec::new();
    let mut ids = Vec::new();
    for profile in profiles {
        for i in 0..per_profile {
            let body = json!({"post": {"body": format!("at {when} #{i}"), "scheduled_at": when.to_rfc3339()}, "profiles": [profile]});
            let post = s.create(body).await;
            ids.push(post["id"].as_str().unwrap().to_owned());
            deliveries.push(post["deliveries"][0]["id"].as_str().unwrap().to_owned());
        }
    }
    assert!(Utc::now() < when, "creating the posts took past their scheduled time");
    for id in &ids {
        s.wait_post(id, Duration::from_secs(120), |p| p["status"] == "completed").await;
    }
    let calls: Vec<Value> = s.sim_records("calls").await;
    deliveries
        .iter()
        .map(|d| {
            let mine: Vec<&Value> = calls.iter().filter(|c| c["idempotency_key"] == d.as_str()).collect();
            assert_eq!(mine.len(), 1, "delivery {d} must reach its provider exactly once");
            let l = (mine[0]["at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap() - when).num_milliseconds();
            assert!(l >= 0, "delivery {d} was sent before its time");
            l
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if cfg!(debug_assertions) {
        println!("note: built without optimisations; run through `make bench` for the release numbers");
    }
    let s = Stack::start("bench-dispatch").await;
    let x = s.profile("x").await;

    let (_, accept_p99) = summary("accept: POST /api/posts -> 201", accept_latency(&s, &x).await);

    let mut profiles = Vec::new();
    for p in TEXT_PROVIDERS {
        profiles.push(s.profile(p).await);
    }
    let mut on_time = Vec::new();
    for _ in 0..ROUNDS {
        let when = Utc::now() + chrono::Duration::seconds(2);
        on_time.extend(lateness_at(&s, &profiles, PER_PROFILE, when).await);
    }
    let label = format!("dispatch: call after scheduled_at ({} at once)", profiles.len() * PER_PROFILE);
    let (_, lateness_p99) = summary(&label, on_time);

    let when = Utc::now() + chrono::Duration::seconds(4);
    let drained = lateness_at(&s, std::slice::from_ref(&x), ONE_PROFILE_BURST, when).await;
    let label = format!("one profile, {ONE_PROFILE_BURST} at once (cap 2, no target)");
    summary(&label, drained);

    let mut missed = Vec::new();
    if accept_p99 > ACCEPT_P99_TARGET_MS {
        missed.push(format!("accept p99 {accept_p99} ms > {ACCEPT_P99_TARGET_MS} ms"));
    }
    if lateness_p99 > LATENESS_P99_TARGET_MS {
        missed.push(format!("dispatch lateness p99 {lateness_p99} ms > {LATENESS_P99_TARGET_MS} ms"));
    }
    drop(s);
    if !missed.is_empty() {
        println!("targets missed: {}", missed.join("; "));
        std::process::exit(1);
    }
    println!("all targets met");
}
