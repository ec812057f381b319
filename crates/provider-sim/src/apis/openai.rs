//! An OpenAI-compatible model server for the assistant: chat completions answered with
//! JSON derived from the prompt alone (the same request, the same answer), and image
//! generations served from here. Faults are set like a provider account's, on the account
//! `assistant`: `timeout`, `rate_limit`, `error`, `refusal`, `long` (answers far over any
//! platform's limit), `garbage` (not JSON).

use std::time::Duration;

use base64::Engine;

use super::*;

/// A 1×1 PNG: what every generated image is.
const PIXEL_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

enum Verdict {
    Answer,
    Long,
    Garbage,
    Refuse,
    Reply(HttpResponse),
}

async fn verdict(sim: &SimData) -> Verdict {
    let fault = {
        let mut st = sim.state.lock();
        let Some(f) = st.faults.get_mut("assistant") else { return Verdict::Answer };
        let f2 = f.clone();
        if let Some(n) = f.times.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                st.faults.remove("assistant");
            }
        }
        f2
    };
    match fault.mode.as_str() {
        "timeout" => {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms.unwrap_or(30_000))).await;
            Verdict::Reply(HttpResponse::GatewayTimeout().finish())
        }
        "rate_limit" => Verdict::Reply(
            HttpResponse::TooManyRequests()
                .insert_header(("retry-after", fault.retry_after_s.unwrap_or(1).to_string()))
                .json(json!({"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded"}})),
        ),
        "error" => Verdict::Reply(
            HttpResponse::InternalServerError().json(json!({"error": {"message": "The server had an error"}})),
        ),
        "refusal" => Verdict::Refuse,
        "long" => Verdict::Long,
        "garbage" => Verdict::Garbage,
        _ => Verdict::Answer,
    }
}

/// The DATA block of the user message, as JSON.
fn data_of(body: &Value) -> Value {
    let user = body["messages"].as_array().into_iter().flatten().find(|m| m["role"] == "user");
    let content = user.and_then(|m| m["content"].as_str()).unwrap_or("");
    let inner = content.split_once("<<<DATA\n").and_then(|(_, rest)| rest.rsplit_once("\nDATA>>>")).map(|(d, _)| d);
    inner.and_then(|d| serde_json::from_str(d).ok()).unwrap_or(Value::Null)
}

/// Words of a text worth a hashtag.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() > 3) {
        let w = w.to_lowercase();
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

fn answer(schema: &str, data: &Value, long: bool) -> Value {
    let stretch = |t: String| if long { format!("{t} {}", "and it goes on ".repeat(400)) } else { t };
    match schema {
        "captions" => {
            let topic = data["topic"].as_str().unwrap_or("");
            let n = data["count"].as_u64().unwrap_or(1).clamp(1, 5);
            let tags: Vec<String> = words(topic)
                .iter()
                .take(data["hashtags"].as_u64().unwrap_or(0) as usize)
                .map(|w| format!("#{w}"))
                .collect();
            let captions: Vec<Value> = (1..=n)
                .map(|i| json!({"text": stretch(format!("Take {i} ({}): {topic}", data["tone"].as_str().unwrap_or("neutral"))), "hashtags": tags}))
                .collect();
            json!({"captions": captions})
        }
        "hashtags" => {
            let n = data["count"].as_u64().unwrap_or(10) as usize;
            let tags: Vec<Value> = words(data["text"].as_str().unwrap_or(""))
                .iter()
                .take(n)
                .enumerate()
                .map(|(i, w)| json!({"tag": format!("#{w}"), "relevance": 1.0 - i as f64 * 0.05}))
                .collect();
            json!({"hashtags": tags})
        }
        "versions" => {
            let text = data["text"].as_str().unwrap_or("");
            let versions: Vec<Value> = data["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    let tags: Vec<String> = words(text).iter().take(2).map(|w| format!("#{w}")).collect();
                    json!({"platform": t["platform"], "text": stretch(format!("For {}: {text}", t["platform"].as_str().unwrap_or(""))), "hashtags": tags})
                })
                .collect();
            json!({"versions": versions})
        }
        "rewrite" => {
            let feedback: Vec<&str> =
                data["feedback"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            json!({"text": stretch(format!("Revised ({}): {}", feedback.join("; "), data["post"].as_str().unwrap_or("")))})
        }
        _ => json!({}),
    }
}

pub(super) async fn chat(sim: SimData, body: web::Json<Value>) -> HttpResponse {
    sim.state.lock().assistant_requests.push(body.0.clone());
    let schema = body.pointer("/response_format/json_schema/name").and_then(Value::as_str).unwrap_or("").to_owned();
    let data = data_of(&body);
    let message = match verdict(&sim).await {
        Verdict::Reply(r) => return r,
        Verdict::Refuse => json!({"role": "assistant", "content": null, "refusal": "I can't help with that request."}),
        Verdict::Garbage => json!({"role": "assistant", "content": "Sure! Here are some ideas...", "refusal": null}),
        Verdict::Long => {
            json!({"role": "assistant", "content": answer(&schema, &data, true).to_string(), "refusal": null})
        }
        Verdict::Answer => {
            json!({"role": "assistant", "content": answer(&schema, &data, false).to_string(), "refusal": null})
        }
    };
    HttpResponse::Ok().json(json!({
        "id": format!("chatcmpl-{}", sim.next_id()),
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }))
}

pub(super) async fn images(sim: SimData, body: web::Json<Value>) -> HttpResponse {
    sim.state.lock().assistant_requests.push(body.0.clone());
    match verdict(&sim).await {
        Verdict::Reply(r) => return r,
        Verdict::Refuse => {
            return HttpResponse::BadRequest().json(json!({"error": {"message": "Your request was rejected by the safety system (content policy).", "code": "content_policy_violation"}}));
        }
        _ => {}
    }
    let prompt = body["prompt"].as_str().unwrap_or("");
    let name = format!("{}.png", &crate::sim::sha256(prompt.as_bytes())[..16]);
    HttpResponse::Ok().json(json!({
        "created": chrono::Utc::now().timestamp(),
        "data": [{"url": format!("{}/_sim/assistant/images/{name}", sim.base_url), "revised_prompt": format!("A detailed rendering of: {prompt}")}],
    }))
}

pub(super) async fn image_file() -> HttpResponse {
    match base64::engine::general_purpose::STANDARD.decode(PIXEL_PNG) {
        Ok(bytes) => HttpResponse::Ok().content_type("image/png").body(bytes),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

pub(super) async fn requests(sim: SimData) -> HttpResponse {
    HttpResponse::Ok().json(&sim.state.lock().assistant_requests)
}
