//! The audience of each account: what other people say to it (comments on its posts,
//! mentions, direct messages, likes, shares, follows), kept apart from what the account
//! itself publishes. All of it is deterministic: every published post gets one comment at
//! once (the text picked by the post's number), and an account's first inbox read finds
//! one mention and one message. Tests add more through `POST /_sim/audience`, and have the
//! sim send a platform's signed webhook for an item through `POST /_sim/webhooks`.

use actix_web::{HttpResponse, web};
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::sim::{Publish, Sim, SimData, bad_request};

/// Something the audience said (or did) to an account.
#[derive(Debug, Clone, Serialize)]
pub struct Said {
    pub id: String,
    pub provider: String,
    /// The account it is addressed to.
    pub account: String,
    /// comment | mention | dm | like | share | follow
    pub kind: String,
    /// The handle of who said it.
    pub author: String,
    pub text: String,
    /// The sim id of what it answers or is about (a post, or another item).
    pub about: Option<String>,
    pub at: DateTime<Utc>,
}

/// The comments a new post gets, in turn: one glad, one asking, one cross.
const COMMENTS: &[&str] =
    &["Love this, thanks for sharing!", "Is this available in Europe?", "This is terrible, it broke my setup."];

/// Platforms whose inbox PostMantis reads (and so whose posts get a comment at once).
pub const WITH_INBOX: &[&str] = &["x", "mastodon", "bluesky", "facebook", "instagram"];

/// Platforms with direct messages the inbox reads.
const WITH_MESSAGES: &[&str] = &["x", "mastodon"];

impl Sim {
    fn said(&self, provider: &str, account: &str, kind: &str, author: &str, text: &str, about: Option<String>) -> Said {
        let id = (1_900_000_000_000_000_000u64 + self.next_id()).to_string();
        let s = Said {
            id,
            provider: provider.to_owned(),
            account: account.to_owned(),
            kind: kind.to_owned(),
            author: author.to_owned(),
            text: text.to_owned(),
            about,
            at: Utc::now(),
        };
        self.state.lock().audience.push(s.clone());
        s
    }

    /// A new post's first comment (posts only: not a thread's parts or comments).
    pub fn on_published(&self, p: &Publish) {
        if p.kind != "post" || !WITH_INBOX.contains(&p.provider.as_str()) {
            return;
        }
        let n: usize = p.id.bytes().map(usize::from).sum();
        let text = COMMENTS[n % COMMENTS.len()];
        self.said(&p.provider, &p.account, "comment", &format!("fan{}", n % 7), text, Some(p.id.clone()));
    }

    /// What the account's audience said, oldest first; the first read of an account finds
    /// its mention and, where the platform has them, its message.
    pub fn audience_of(&self, provider: &str, account: &str) -> Vec<Said> {
        let first = self.state.lock().seeded.insert(format!("{provider}/{account}"));
        if first {
            self.said(provider, account, "mention", "reporter", &format!("Has anyone tried @{account} yet?"), None);
            if WITH_MESSAGES.contains(&provider) {
                self.said(provider, account, "dm", "customer", "Hi, my order has not arrived. Can you help?", None);
            }
        }
        self.state.lock().audience.iter().filter(|s| s.provider == provider && s.account == account).cloned().collect()
    }
}

#[derive(Deserialize)]
pub struct NewSaid {
    provider: String,
    account: String,
    kind: String,
    text: Option<String>,
    author: Option<String>,
    about: Option<String>,
}

/// `POST /_sim/audience`: someone says something to an account now.
pub async fn add(sim: SimData, body: web::Json<NewSaid>) -> HttpResponse {
    let b = body.into_inner();
    if !["comment", "mention", "dm", "like", "share", "follow"].contains(&b.kind.as_str()) {
        return bad_request("kind must be comment, mention, dm, like, share or follow");
    }
    let s = sim.said(
        &b.provider,
        &b.account,
        &b.kind,
        b.author.as_deref().unwrap_or("someone"),
        b.text.as_deref().unwrap_or(""),
        b.about,
    );
    HttpResponse::Created().json(s)
}

#[derive(Deserialize)]
pub struct ByAccount {
    account: Option<String>,
}

/// `GET /_sim/audience?account=`: everything said, oldest first.
pub async fn list(sim: SimData, q: web::Query<ByAccount>) -> HttpResponse {
    let st = sim.state.lock();
    let rows: Vec<&Said> = st.audience.iter().filter(|s| q.account.as_ref().is_none_or(|a| &s.account == a)).collect();
    HttpResponse::Ok().json(rows)
}

#[derive(Deserialize)]
pub struct Hook {
    /// The audience item to announce (its sim id).
    id: String,
    /// Where the platform delivers (`…/api/inbound/{provider}`).
    url: String,
    /// The app secret the platform signs with (X consumer secret, Meta app secret).
    secret: String,
    /// Sign with this secret instead (a forged delivery).
    #[serde(default)]
    forge_with: Option<String>,
}

/// `POST /_sim/webhooks`: the platform delivers its webhook for an item, signed its way
/// (X: `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256>`; Meta:
/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`). Answers what the receiver said.
pub async fn send(sim: SimData, body: web::Json<Hook>) -> HttpResponse {
    let h = body.into_inner();
    let Some(s) = sim.state.lock().audience.iter().find(|s| s.id == h.id).cloned() else {
        return bad_request("no such audience item");
    };
    let payload = match s.provider.as_str() {
        "x" => x_event(&s),
        "facebook" | "instagram" => meta_event(&s),
        other => return bad_request(&format!("{other} sends no webhooks here")),
    };
    let bytes = payload.to_string().into_bytes();
    let key = h.forge_with.as_deref().unwrap_or(&h.secret);
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else { return bad_request("bad secret") };
    mac.update(&bytes);
    let digest = mac.finalize().into_bytes();
    let (name, value) = match s.provider.as_str() {
        "x" => (
            "x-twitter-webhooks-signature",
            format!("sha256={}", base64::engine::general_purpose::STANDARD.encode(digest)),
        ),
        _ => ("X-Hub-Signature-256", format!("sha256={}", hex::encode(digest))),
    };
    let sent =
        sim.http.post(&h.url).header("content-type", "application/json").header(name, value).body(bytes).send().await;
    match sent {
        Ok(r) => {
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            HttpResponse::Ok().json(json!({"status": status, "body": body}))
        }
        Err(e) => HttpResponse::BadGateway().json(json!({"error": e.to_string()})),
    }
}

/// X's Account Activity event for an item: a tweet mentioning or replying to the account,
/// or a direct message to it.
fn x_event(s: &Said) -> Value {
    let created = s.at.format("%a %b %d %H:%M:%S +0000 %Y").to_string();
    let user = json!({"id_str": format!("u{}", s.author), "screen_name": s.author, "name": s.author});
    match s.kind.as_str() {
        "dm" => json!({
            "for_user_id": s.account,
            "direct_message_events": [{
                "type": "message_create", "id": s.id, "created_timestamp": s.at.timestamp_millis().to_string(),
                "message_create": {"sender_id": format!("u{}", s.author), "target": {"recipient_id": s.account}, "message_data": {"text": s.text}},
            }],
            "users": {format!("u{}", s.author): user},
        }),
        _ => json!({
            "for_user_id": s.account,
            "tweet_create_events": [{
                "id_str": s.id, "text": s.text, "created_at": created, "user": user,
                "in_reply_to_status_id_str": s.about,
            }],
        }),
    }
}

/// A Meta (Facebook page, Instagram) webhook for a comment: the `feed` change of a page,
/// the `comments` field of an Instagram account.
fn meta_event(s: &Said) -> Value {
    let time = s.at.timestamp();
    match s.provider.as_str() {
        "facebook" => {
            let post = s.about.as_deref().map(|p| format!("{}_{p}", s.account));
            json!({"object": "page", "entry": [{"id": s.account, "time": time, "changes": [{"field": "feed", "value": {
                "item": "comment", "verb": "add", "comment_id": format!("{}_{}", s.about.as_deref().unwrap_or_default(), s.id),
                "post_id": post, "message": s.text, "created_time": time, "from": {"id": format!("u{}", s.author), "name": s.author},
            }}]}]})
        }
        _ => {
            json!({"object": "instagram", "entry": [{"id": s.account, "time": time, "changes": [{"field": "comments", "value": {
                "id": s.id, "text": s.text, "from": {"id": format!("u{}", s.author), "username": s.author}, "media": {"id": s.about},
            }}]}]})
        }
    }
}
