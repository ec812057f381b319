//! Platforms' webhooks for the inbox: each verified the platform's way before anything in
//! it is read, then turned into the same items an inbox read finds.
//!
//! - X (Account Activity API): a `GET` with `crc_token` is answered with
//!   `sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>`; every delivery carries
//!   `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, body)>`.
//! - Meta (Facebook pages, Instagram): a `GET` with `hub.mode=subscribe`, the configured
//!   `hub.verify_token` and `hub.challenge` is answered with the challenge; every delivery
//!   carries `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`.

use base64::Engine;
use chrono::Utc;
use domain::Provider;
use domain::inbox::ItemKind;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::{Author, InboxItem};

fn mac(secret: &str) -> Result<Hmac<Sha256>, String> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| "the configured app secret cannot key an HMAC".into())
}

/// The answer to X's challenge-response check.
pub fn x_crc(secret: &str, crc_token: &str) -> Result<String, String> {
    let mut m = mac(secret)?;
    m.update(crc_token.as_bytes());
    Ok(format!("sha256={}", base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())))
}

/// Checks a delivery's signature header the provider's way; the error says what is wrong
/// (never what the right signature would have been).
pub fn verify(provider: Provider, secret: &str, body: &[u8], signature: Option<&str>) -> Result<(), String> {
    let header = match provider {
        Provider::X => "x-twitter-webhooks-signature",
        _ => "X-Hub-Signature-256",
    };
    let given = signature.ok_or_else(|| format!("the {header} header is missing"))?;
    let given = given.strip_prefix("sha256=").ok_or_else(|| format!("the {header} header is not sha256=…"))?;
    let bytes = match provider {
        Provider::X => base64::engine::general_purpose::STANDARD.decode(given).ok(),
        _ => hex::decode(given).ok(),
    }
    .ok_or_else(|| format!("the {header} header does not hold a digest"))?;
    let mut m = mac(secret)?;
    m.update(body);
    m.verify_slice(&bytes).map_err(|_| format!("the {header} signature does not match the body"))
}

/// The platforms that deliver inbox webhooks here.
pub fn takes_webhooks(p: Provider) -> bool {
    matches!(p, Provider::X | Provider::Facebook | Provider::Instagram)
}

/// The items of a verified delivery, each with the platform account it is addressed to.
/// Events of kinds the inbox does not keep (and the account's own doings) are left out.
pub fn items(provider: Provider, body: &Value) -> Result<Vec<(String, InboxItem)>, String> {
    match provider {
        Provider::X => x_items(body),
        Provider::Facebook | Provider::Instagram => meta_items(provider, body),
        other => Err(format!("{} delivers no webhooks to PostMantis", other.display_name())),
    }
}

fn text(v: &Value, ptr: &str) -> Option<String> {
    match v.pointer(ptr)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn item(id: String, kind: ItemKind, author: Author, words: String, about: Option<String>) -> InboxItem {
    InboxItem {
        id,
        kind,
        author,
        text: words,
        at: Utc::now(),
        url: None,
        about,
        root: None,
        can_reply: kind.has_text() && kind != ItemKind::Dm,
        can_hide: kind == ItemKind::Comment,
        can_delete: false,
    }
}

fn x_items(body: &Value) -> Result<Vec<(String, InboxItem)>, String> {
    let account = text(body, "/for_user_id").ok_or("for_user_id is missing")?;
    let mut out = Vec::new();
    for t in body.pointer("/tweet_create_events").and_then(Value::as_array).into_iter().flatten() {
        let (Some(id), Some(by)) = (text(t, "/id_str"), text(t, "/user/id_str")) else { continue };
        if by == account {
            continue;
        }
        let about = text(t, "/in_reply_to_status_id_str");
        let kind = if about.is_some() { ItemKind::Comment } else { ItemKind::Mention };
        let username = text(t, "/user/screen_name");
        let mut it = item(id.clone(), kind, x_author(t.pointer("/user")), text(t, "/text").unwrap_or_default(), about);
        it.url = Some(format!("https://x.com/{}/status/{id}", username.as_deref().unwrap_or("i")));
        if let Some(at) = t
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_str(s, "%a %b %d %H:%M:%S %z %Y").ok())
        {
            it.at = at.with_timezone(&Utc);
        }
        out.push((account.clone(), it));
    }
    for e in body.pointer("/direct_message_events").and_then(Value::as_array).into_iter().flatten() {
        if e["type"] != "message_create" {
            continue;
        }
        let (Some(id), Some(sender)) = (text(e, "/id"), text(e, "/message_create/sender_id")) else { continue };
        if sender == account {
            continue;
        }
        let user = body.pointer("/users").and_then(|u| u.get(&sender));
        let mut it = item(
            id,
            ItemKind::Dm,
            x_author(user),
            text(e, "/message_create/message_data/text").unwrap_or_default(),
            None,
        );
        if let Some(ms) = text(e, "/created_timestamp").and_then(|s| s.parse::<i64>().ok())
            && let Some(at) = chrono::DateTime::from_timestamp_millis(ms)
        {
            it.at = at;
        }
        out.push((account.clone(), it));
    }
    Ok(out)
}

fn x_author(u: Option<&Value>) -> Author {
    let u = u.cloned().unwrap_or(Value::Null);
    let username = text(&u, "/screen_name");
    Author {
        name: text(&u, "/name"),
        profile_url: username.as_ref().map(|n| format!("https://x.com/{n}")),
        avatar_url: text(&u, "/profile_image_url_https"),
        username,
    }
}

fn meta_items(provider: Provider, body: &Value) -> Result<Vec<(String, InboxItem)>, String> {
    let expected = if provider == Provider::Facebook { "page" } else { "instagram" };
    if body["object"] != expected {
        return Err(format!("object must be \"{expected}\""));
    }
    let mut out = Vec::new();
    for entry in body.pointer("/entry").and_then(Value::as_array).into_iter().flatten() {
        let Some(account) = text(entry, "/id") else { continue };
        for change in entry.pointer("/changes").and_then(Value::as_array).into_iter().flatten() {
            let v = &change["value"];
            let found = match (provider, change["field"].as_str()) {
                (Provider::Facebook, Some("feed")) if v["item"] == "comment" && v["verb"] == "add" => {
                    let from = text(v, "/from/id");
                    if from.as_deref() == Some(account.as_str()) {
                        continue;
                    }
                    let author = Author {
                        name: text(v, "/from/name"),
                        username: None,
                        avatar_url: None,
                        profile_url: from.map(|f| format!("https://www.facebook.com/{f}")),
                    };
                    text(v, "/comment_id").map(|id| {
                        let mut it = item(
                            id.clone(),
                            ItemKind::Comment,
                            author,
                            text(v, "/message").unwrap_or_default(),
                            text(v, "/post_id"),
                        );
                        it.can_delete = true;
                        it.url = text(v, "/post_id").map(|p| format!("https://www.facebook.com/{p}?comment_id={id}"));
                        it
                    })
                }
                (Provider::Instagram, Some(field @ ("comments" | "mentions"))) => {
                    let username = text(v, "/from/username");
                    let author = Author {
                        profile_url: username.as_ref().map(|n| format!("https://www.instagram.com/{n}/")),
                        username,
                        name: None,
                        avatar_url: None,
                    };
                    let kind = if field == "comments" { ItemKind::Comment } else { ItemKind::Mention };
                    let id = text(v, "/id").or_else(|| text(v, "/comment_id")).or_else(|| text(v, "/media_id"));
                    id.map(|id| {
                        let mut it = item(id, kind, author, text(v, "/text").unwrap_or_default(), text(v, "/media/id"));
                        it.can_delete = kind == ItemKind::Comment;
                        it
                    })
                }
                _ => None,
            };
            if let Some(mut it) = found {
                if let Some(t) =
                    v.get("created_time").and_then(Value::as_i64).and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                {
                    it.at = t;
                }
                out.push((account.clone(), it));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_signature_is_checked_the_platforms_way() {
        let body = br#"{"for_user_id":"1"}"#;
        let mut m = mac("s3cret").unwrap();
        m.update(body);
        let digest = m.finalize().into_bytes();
        let x = format!("sha256={}", base64::engine::general_purpose::STANDARD.encode(digest));
        let meta = format!("sha256={}", hex::encode(digest));
        assert!(verify(Provider::X, "s3cret", body, Some(&x)).is_ok());
        assert!(verify(Provider::Facebook, "s3cret", body, Some(&meta)).is_ok());
        assert!(verify(Provider::X, "other", body, Some(&x)).unwrap_err().contains("does not match"));
        assert!(verify(Provider::X, "s3cret", b"{}", Some(&x)).is_err());
        assert!(verify(Provider::Facebook, "s3cret", body, None).unwrap_err().contains("missing"));
        assert!(verify(Provider::Facebook, "s3cret", body, Some("md5=00")).is_err());
        // X's CRC: base64 of the HMAC of the token.
        assert!(x_crc("s3cret", "abc").unwrap().starts_with("sha256="));
        assert_ne!(x_crc("s3cret", "abc"), x_crc("s3cret", "abd"));
    }

    #[test]
    fn the_accounts_own_doings_are_left_out() {
        let body = json!({"for_user_id": "9", "tweet_create_events": [
            {"id_str": "1", "text": "@me hi", "user": {"id_str": "5", "screen_name": "jane"}},
            {"id_str": "2", "text": "my own", "user": {"id_str": "9", "screen_name": "me"}, "in_reply_to_status_id_str": "1"},
            {"id_str": "3", "text": "nice post", "user": {"id_str": "6", "screen_name": "joe"}, "in_reply_to_status_id_str": "77"}]});
        let got = items(Provider::X, &body).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.kind, ItemKind::Mention);
        assert_eq!(got[1].1.kind, ItemKind::Comment);
        assert_eq!(got[1].1.about.as_deref(), Some("77"));
        assert_eq!(got[0].0, "9");
        assert!(items(Provider::Facebook, &json!({"object": "user"})).is_err());
    }
}
