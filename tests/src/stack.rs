use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::Proxy;

const DEMO_WORKSPACE: &str = "00000000-0000-4000-8000-00000000d3e0";

#[derive(Clone)]
pub struct Options {
    /// Delay before a thrown delivery attempt is retried (the seed's 60 s, shortened).
    pub retry_delay_ms: u64,
    /// How long the worker waits for a provider answer.
    pub provider_timeout_ms: u64,
    /// Loopback hosts media-ingest may fetch from ("" refuses them all).
    pub remote_allow_hosts: &'static str,
    /// When unused imported media are swept.
    pub orphan_grace_s: i64,
    /// How long an upload session accepts bytes.
    pub upload_ttl_s: i64,
    /// More settings for the delivery workers (`POSTMANTIS_…` names).
    pub worker_env: Vec<(&'static str, &'static str)>,
    /// The gateway's write budget per key.
    pub write_per_second: u32,
    pub write_burst: u32,
    /// Where every service sends its spans (OTLP over HTTP), if anywhere.
    pub otlp_endpoint: Option<String>,
    /// Database connections per service (tests keep it small; benchmarks raise it).
    pub db_pool_size: u32,
    /// Webhook hosts allowed although private (the tests' receivers listen on loopback).
    pub webhook_allow_hosts: &'static str,
    /// More settings for the gateway only.
    pub gateway_env: Vec<(&'static str, String)>,
    /// More settings for every service.
    pub common_env: Vec<(&'static str, String)>,
    /// Start the collector with these settings (its schedule in seconds, say); `None`
    /// leaves it out, as most tests read no figures.
    pub collector_env: Option<Vec<(&'static str, String)>>,
    /// The services reach PostgreSQL and RabbitMQ themselves, not through the proxies that
    /// let a test cut them (benchmarks: the proxies copy every byte through this process,
    /// a hop and a core's share no deployment has); `cut` then has no effect.
    pub direct: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            retry_delay_ms: 1_000,
            provider_timeout_ms: 2_000,
            remote_allow_hosts: "127.0.0.1",
            orphan_grace_s: 3600,
            upload_ttl_s: 3600,
            worker_env: Vec::new(),
            write_per_second: 10_000,
            write_burst: 10_000,
            otlp_endpoint: None,
            db_pool_size: 4,
            webhook_allow_hosts: "127.0.0.1",
            gateway_env: Vec::new(),
            common_env: Vec::new(),
            collector_env: None,
            direct: false,
        }
    }
}

pub struct Stack {
    pub gateway: String,
    pub sim: String,
    pub key: String,
    /// The demo workspace owner's dashboard e-mail and password.
    pub login: (String, String),
    pub db_name: String,
    /// The local object store's directory.
    pub media_dir: PathBuf,
    pub broker: Proxy,
    /// Every service reaches PostgreSQL through this (so a test can cut it), unless
    /// `Options::direct`.
    pub database: Proxy,
    pub http: reqwest::Client,
    children: Vec<(String, Child)>,
    logs: PathBuf,
    env: Vec<(String, String)>,
    worker_env: Vec<(String, String)>,
    /// Where each worker service serves /healthz, /readyz and /metrics.
    pub health: std::collections::HashMap<String, String>,
}

fn bin_dir() -> PathBuf {
    // target/debug/deps/e2e-… → target/debug
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|p| p.parent()).unwrap().to_path_buf()
}

impl Stack {
    pub async fn start(name: &str) -> Stack {
        Self::start_with(name, Options::default()).await
    }

    pub async fn start_with(name: &str, opts: Options) -> Stack {
        let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
        let db_name = format!("pm_e2e_{id}");
        let logs = bin_dir().join("e2e-logs").join(format!("{name}-{id}"));
        std::fs::create_dir_all(&logs).unwrap();
        let storage = logs.join("media");
        let media_dir = storage.clone();
        let broker = Proxy::start("127.0.0.1:5672").await;
        let database = Proxy::start("127.0.0.1:5432").await;
        let (db_port, amqp_port) = if opts.direct { (5432, 5672) } else { (database.port, broker.port) };
        let mut env: Vec<(String, String)> = vec![
            ("POSTMANTIS_DATABASE_URL".into(), format!("postgres://postgres@127.0.0.1:{db_port}/{db_name}")),
            ("POSTMANTIS_DB_POOL_SIZE".into(), opts.db_pool_size.to_string()),
            ("POSTMANTIS_BUS__AMQP_URL".into(), format!("amqp://guest:guest@127.0.0.1:{amqp_port}/%2f")),
            ("POSTMANTIS_BUS__PREFIX".into(), format!("e2e.{id}.")),
            ("POSTMANTIS_BUS__RETRY_DELAY_MS".into(), opts.retry_delay_ms.to_string()),
            ("POSTMANTIS_BUS__QUEUE_EXPIRES_MS".into(), "600000".into()),
            ("POSTMANTIS_HEALTH_ADDR".into(), "127.0.0.1:0".into()),
            ("POSTMANTIS_STORAGE__DIR".into(), storage.display().to_string()),
            ("POSTMANTIS_ORPHAN_GRACE_S".into(), opts.orphan_grace_s.to_string()),
            ("POSTMANTIS_JANITOR_INTERVAL_MS".into(), "500".into()),
            ("POSTMANTIS_UPLOAD_TTL_S".into(), opts.upload_ttl_s.to_string()),
            // Tests poll hard; the rate-limit test sets its own budget.
            ("POSTMANTIS_RATE_LIMITS__READ_PER_SECOND".into(), "10000".into()),
            ("POSTMANTIS_RATE_LIMITS__READ_BURST".into(), "10000".into()),
            ("POSTMANTIS_RATE_LIMITS__WRITE_PER_SECOND".into(), opts.write_per_second.to_string()),
            ("POSTMANTIS_RATE_LIMITS__WRITE_BURST".into(), opts.write_burst.to_string()),
            ("POSTMANTIS_WEBHOOK_ALLOW_HOSTS".into(), opts.webhook_allow_hosts.into()),
            ("POSTMANTIS_AGENCY_RATE_LIMITS__STANDARD_PER_MINUTE".into(), "100000".into()),
            ("POSTMANTIS_AGENCY_RATE_LIMITS__AI_PER_MINUTE".into(), "100000".into()),
            ("POSTMANTIS_AGENCY_RATE_LIMITS__BULK_PER_MINUTE".into(), "100000".into()),
            ("POSTMANTIS_QUEUE_WATCH_MS".into(), "300".into()),
            ("RUST_LOG".into(), "info,lapin=warn".into()),
        ];
        env.extend(opts.common_env.iter().map(|(k, v)| (k.to_string(), v.clone())));
        if let Some(endpoint) = &opts.otlp_endpoint {
            env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), endpoint.clone()));
            // Send spans every 100 ms rather than every 5 s.
            env.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()));
        }
        let mut stack = Stack {
            gateway: String::new(),
            sim: String::new(),
            key: String::new(),
            login: (String::new(), String::new()),
            db_name,
            media_dir,
            broker,
            database,
            // Idle connections are dropped before the gateway's 5 s keep-alive closes them:
            // a request on a connection the server is closing fails with IncompleteMessage.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .pool_idle_timeout(Duration::from_secs(2))
                .build()
                .unwrap(),
            children: Vec::new(),
            logs,
            env: env.clone(),
            worker_env: Vec::new(),
            health: std::collections::HashMap::new(),
        };
        stack.sim = stack.spawn("provider-sim", &[], &env, &[("POSTMANTIS_SIM_ADDR", "127.0.0.1:0")]).await;
        stack.cli(&["migrate"], &env).await;
        let sim = stack.sim.clone();
        stack.env.push(("POSTMANTIS_PROVIDERS__DEFAULT_BASE_URL".into(), sim.clone()));
        // The assistant's model is provider-sim's OpenAI-compatible double, unless the
        // test sets its own (an empty base URL: no model).
        for (k, v) in [
            ("POSTMANTIS_ASSISTANT__BASE_URL", format!("{sim}/v1")),
            ("POSTMANTIS_ASSISTANT__MODEL", "sim-chat".into()),
            ("POSTMANTIS_ASSISTANT__IMAGE_MODEL", "sim-image".into()),
            ("POSTMANTIS_ASSISTANT__MAX_RETRIES", "1".into()),
            ("POSTMANTIS_ASSISTANT__TIMEOUT_MS", "2000".into()),
        ] {
            if !opts.common_env.iter().any(|(set, _)| *set == k) {
                stack.env.push((k.into(), v));
            }
        }
        let env = stack.env.clone();
        let mut gateway_env = vec![("POSTMANTIS_HTTP_ADDR", "127.0.0.1:0")];
        gateway_env.extend(opts.gateway_env.iter().map(|(k, v)| (*k, v.as_str())));
        stack.gateway = stack.spawn("api-gateway", &["serve"], &env, &gateway_env).await;
        stack.wait_ready(&stack.gateway.clone()).await;
        // The gateway's address is known now: the CLI builds OAuth redirects on it.
        stack.env.push(("POSTMANTIS_PUBLIC_URL".into(), stack.gateway.clone()));
        let env = stack.env.clone();
        let seeded = stack.cli(&["seed-demo"], &env).await;
        stack.key = seeded.lines().find_map(|l| l.strip_prefix("API key: ")).unwrap().trim().to_owned();
        let login = seeded.lines().find_map(|l| l.strip_prefix("Dashboard login: ")).unwrap();
        let (email, password) = login.split_once(" / ").unwrap();
        stack.login = (email.trim().to_owned(), password.trim().to_owned());
        stack.worker_env = vec![
            ("POSTMANTIS_PROVIDERS__TIMEOUT_MS".into(), opts.provider_timeout_ms.to_string()),
            ("POSTMANTIS_MEDIA_BASE_URL".into(), stack.gateway.clone()),
        ];
        stack.worker_env.extend(opts.worker_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let health = [
            stack.spawn("scheduler", &[], &env, &[]).await,
            stack.start_worker_process().await,
            stack.spawn("media-ingest", &[], &env, &[("POSTMANTIS_REMOTE_ALLOW_HOSTS", opts.remote_allow_hosts)]).await,
        ];
        for url in &health {
            stack.wait_ready(url).await;
        }
        for (name, url) in ["scheduler", "delivery-worker", "media-ingest"].iter().zip(health) {
            stack.health.insert((*name).to_owned(), url);
        }
        if let Some(more) = &opts.collector_env {
            let more: Vec<(&str, &str)> = more.iter().map(|(k, v)| (*k, v.as_str())).collect();
            stack.start_collector(&more).await;
        }
        stack
    }

    /// Starts a collector (polling every 200 ms) with these settings on top of the stack's.
    pub async fn start_collector(&mut self, settings: &[(&str, &str)]) {
        let mut extra: Vec<(&str, &str)> = vec![("POSTMANTIS_POLL_INTERVAL_MS", "200")];
        extra.extend_from_slice(settings);
        let env = self.env.clone();
        let url = self.spawn("collector", &[], &env, &extra).await;
        self.wait_ready(&url).await;
        self.health.insert("collector".into(), url);
    }

    async fn cli(&self, args: &[&str], env: &[(String, String)]) -> String {
        let out =
            Command::new(bin_dir().join("api-gateway")).args(args).envs(env.iter().cloned()).output().await.unwrap();
        assert!(out.status.success(), "api-gateway {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Starts a binary and returns the URL it announces.
    async fn spawn(&mut self, bin: &str, args: &[&str], env: &[(String, String)], extra: &[(&str, &str)]) -> String {
        let log = std::fs::File::create(self.logs.join(format!("{bin}.log"))).unwrap();
        let mut child = Command::new(bin_dir().join(bin))
            .args(args)
            .envs(env.iter().cloned())
            .envs(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin} (run `cargo build --bins` first): {e}"));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix("LISTENING ") {
                    return rest.split_whitespace().nth(1).unwrap().to_owned();
                }
            }
            panic!("{bin} exited before announcing its address; see {}", self.logs.display());
        })
        .await
        .unwrap_or_else(|_| panic!("{bin} did not start"));
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.children.push((bin.to_owned(), child));
        url
    }

    pub async fn wait_ready(&self, base: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = self.http.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "{base} never became ready; logs in {}", self.logs.display());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn start_worker_process(&mut self) -> String {
        self.start_worker_with(&[]).await
    }

    /// Starts another delivery-worker with more settings; returns where it serves
    /// /readyz, without waiting for it to be ready.
    pub async fn start_worker_with(&mut self, more: &[(&str, &str)]) -> String {
        let (env, mut extra) = (self.env.clone(), self.worker_env.clone());
        extra.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.spawn("delivery-worker", &[], &env, &extra).await
    }

    /// Starts another delivery-worker (after a kill, or to scale out) and waits until it is ready.
    pub async fn start_worker(&mut self) {
        let url = self.start_worker_process().await;
        self.wait_ready(&url).await;
    }

    /// Sends SIGTERM to a service and waits (up to `within`) for it to exit by itself;
    /// returns whether it did.
    pub async fn terminate(&mut self, bin: &str, within: Duration) -> bool {
        let mut exited = true;
        for (name, child) in self.children.iter_mut() {
            if name != bin {
                continue;
            }
            let Some(pid) = child.id() else { continue };
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
            exited &= tokio::time::timeout(within, child.wait()).await.is_ok();
        }
        exited
    }

    /// Kills one service (SIGKILL).
    pub async fn kill(&mut self, bin: &str) {
        for (name, child) in self.children.iter_mut() {
            if name == bin {
                let _ = child.kill().await;
            }
        }
    }

    /// The live processes: (service, pid).
    pub fn pids(&mut self) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for (name, child) in self.children.iter_mut() {
            if matches!(child.try_wait(), Ok(None))
                && let Some(pid) = child.id()
            {
                out.push((name.clone(), pid));
            }
        }
        out
    }

    /// The queue and exchange name prefix of this stack's services.
    pub fn bus_prefix(&self) -> String {
        self.env.iter().find(|(k, _)| k == "POSTMANTIS_BUS__PREFIX").map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// Sends a message to the services through the outbox (the relay publishes it), as a
    /// redelivered or duplicated copy would arrive.
    pub fn inject(&self, exchange: &str, routing_key: &str, message_type: &str, payload: &Value) {
        let payload = payload.to_string().replace('\'', "''");
        self.sql(&format!(
            "INSERT INTO outbox (message_id, exchange, routing_key, message_type, payload) VALUES (gen_random_uuid(), '{}{exchange}', '{routing_key}', '{message_type}', '{payload}'::jsonb)",
            self.bus_prefix()
        ));
    }

    pub fn database_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.db_name)
    }

    /// SIGKILLs the oldest live process of a service; returns whether there was one.
    pub async fn kill_one(&mut self, bin: &str) -> bool {
        for (name, child) in self.children.iter_mut() {
            if name == bin && matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill().await;
                return true;
            }
        }
        false
    }

    /// Starts one more process of a service (after a kill, or to scale out), ready.
    pub async fn start_service(&mut self, bin: &str) {
        if bin == "delivery-worker" {
            return self.start_worker().await;
        }
        let env = self.env.clone();
        let url = self.spawn(bin, &[], &env, &[]).await;
        self.wait_ready(&url).await;
    }

    // ---- the public API ----

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_as(&self.key, method, path, body).await
    }

    pub async fn call_as(&self, key: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.gateway)).bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let text = resp.text().await.unwrap();
        if !status.is_success() {
            assert_eq!(ct, "application/problem+json", "every error is problem+json: {status} {text}");
        }
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Mints a key in the demo workspace with `api-gateway create-key` and these flags.
    pub async fn create_key(&self, flags: &[&str]) -> String {
        let mut args = vec!["create-key", "--workspace", DEMO_WORKSPACE];
        args.extend_from_slice(flags);
        let out = self.cli(&args, &self.env).await;
        out.lines().find_map(|l| l.strip_prefix("API key: ")).unwrap().trim().to_owned()
    }

    /// Runs SQL in this stack's database and returns psql's unaligned output.
    pub fn sql(&self, query: &str) -> String {
        let out = std::process::Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", &self.db_name, "-Atqc", query])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Files in the object store (assets and staging), to prove nothing was left behind.
    pub fn stored_files(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() { walk(&p, out) } else { out.push(p.display().to_string()) }
            }
        }
        let mut out = Vec::new();
        walk(&self.media_dir, &mut out);
        out.sort();
        out
    }

    /// Runs `api-gateway` with these arguments in this stack's environment; (success, stdout+stderr).
    pub async fn run_cli(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new(bin_dir().join("api-gateway"))
            .args(args)
            .envs(self.env.iter().cloned())
            .output()
            .await
            .unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    }

    /// A second workspace with its own write key.
    pub async fn other_workspace(&self) -> String {
        let out = self.cli(&["create-workspace", "--name", "Other"], &self.env).await;
        let ws = out.lines().find_map(|l| l.strip_prefix("Workspace: ")).unwrap().trim().to_owned();
        let key = self.cli(&["create-key", "--workspace", &ws], &self.env).await;
        key.lines().find_map(|l| l.strip_prefix("API key: ")).unwrap().trim().to_owned()
    }

    /// The demo profile id of a provider.
    pub async fn profile(&self, provider: &str) -> String {
        let (_, v) = self.get("/api/profiles").await;
        v["data"].as_array().unwrap().iter().find(|p| p["provider"] == provider).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a post and returns the response body's `data`, asserting 201.
    pub async fn create(&self, body: Value) -> Value {
        let (status, v) = self.post("/api/posts", body).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        v["data"].clone()
    }

    pub async fn post_by_id(&self, id: &str) -> Value {
        let (status, v) = self.get(&format!("/api/posts/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["data"].clone()
    }

    /// Polls the post until `done` holds (or panics after `within`).
    pub async fn wait_post(&self, id: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let p = self.post_by_id(id).await;
            if done(&p) {
                return p;
            }
            assert!(
                Instant::now() < deadline,
                "post never reached the expected state: {p}\nlogs in {}",
                self.logs.display()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn wait_status(&self, id: &str, status: &str) -> Value {
        self.wait_post(id, Duration::from_secs(15), |p| p["status"] == status).await
    }

    // ---- provider-sim ----

    pub async fn fault(&self, account: &str, fault: Value) {
        let r = self.http.put(format!("{}/_sim/faults/{account}", self.sim)).json(&fault).send().await.unwrap();
        assert!(r.status().is_success());
    }

    pub async fn clear_fault(&self, account: &str) {
        let r = self.http.delete(format!("{}/_sim/faults/{account}", self.sim)).send().await.unwrap();
        assert!(r.status().is_success());
    }

    /// One of provider-sim's record lists (`calls`, `requests`, `publishes`), with an optional query.
    pub async fn sim_records<T: serde::de::DeserializeOwned>(&self, list_and_query: &str) -> Vec<T> {
        let r = self.http.get(format!("{}/_sim/{list_and_query}", self.sim)).send().await.unwrap();
        r.json::<Vec<T>>().await.unwrap()
    }

    /// Every call the simulated provider received for one account.
    pub async fn calls(&self, account: &str) -> Vec<Value> {
        self.sim_records(&format!("calls?account={account}")).await
    }

    /// How many messages `service` has handled from queues whose name contains `queue`
    /// (acked, retried or parked): the signal that a message was looked at.
    pub async fn handled(&self, service: &str, queue: &str) -> f64 {
        let url = format!("{}/metrics", self.health[service]);
        let text = self.http.get(url).send().await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|l| l.starts_with("postmantis_messages_handled_total") && l.contains(queue))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Waits until `service` has handled more than `before` messages from `queue`, so a
    /// check that nothing happened runs after the message was really looked at.
    pub async fn wait_handled(&self, service: &str, queue: &str, before: f64) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while self.handled(service, queue).await <= before {
            assert!(std::time::Instant::now() < deadline, "{service} never handled the message from {queue}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until nothing is left that could still make a call: the outbox is empty and
    /// every delivery queue, the retry-wait queue included, holds no message, as read
    /// after this call began. The signal for "and no retry comes later".
    pub async fn wait_quiet(&self) {
        let since = chrono::Utc::now();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (_, h) = self.get("/api/health").await;
            let fresh = h["queues_read_at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t > since);
            let queues_empty = h["queues"].as_object().is_some_and(|q| {
                q.iter().filter(|(k, _)| k.contains("deliveries.")).all(|(_, n)| n.as_u64() == Some(0))
            });
            if fresh && queues_empty && h["outbox_backlog"].as_i64() == Some(0) {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "never quiet: {h}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn calls_for_delivery(&self, delivery_id: &str) -> Vec<Value> {
        self.sim_records::<Value>("calls").await.into_iter().filter(|c| c["idempotency_key"] == delivery_id).collect()
    }

    /// The post a 503 names as perhaps accepted (its insert's answer lost), if it names one.
    pub fn post_in_doubt(problem: &Value) -> Option<String> {
        problem["detail"]
            .as_str()
            .filter(|d| d.contains("may have been accepted"))
            .and_then(|d| d.split_whitespace().find(|w| uuid::Uuid::parse_str(w).is_ok()))
            .map(str::to_owned)
    }

    pub fn json_post(body: &str, profiles: &[&str]) -> Value {
        json!({"post": {"body": body}, "profiles": profiles})
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for (_, child) in self.children.iter_mut() {
            let _ = child.start_kill();
        }
        // `KEEP_DB=1` leaves it for a look afterwards (a bench's rows, say).
        if std::env::var_os("KEEP_DB").is_some() {
            eprintln!("kept database {}", self.db_name);
            return;
        }
        // Drop the database from a plain thread: this may run inside the test's runtime.
        let db = self.db_name.clone();
        let _ = std::thread::spawn(move || {
            let _ = std::process::Command::new("psql")
                .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"])
                .arg(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        })
        .join();
    }
}
