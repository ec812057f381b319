//! Finding the post an earlier attempt made when its answer never came back.
//!
//! A look-up lists the account's latest posts and takes one only when it is surely ours:
//! created at or after this delivery's first attempt began (less a small clock margin),
//! not already the post of another delivery, and with our text as the platform stores it.
//! Anything weaker adopts someone else's post (a same-text post made a minute earlier).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use crate::{PublishRequest, Published};

/// How far a provider's clock may be behind ours, and the rounding of platforms that
/// stamp posts in whole seconds.
pub const CLOCK_MARGIN: chrono::Duration = chrono::Duration::seconds(2);

/// What a repeated attempt knows when an earlier one may have published.
#[derive(Debug, Clone, Default)]
pub struct Recovery {
    /// When this delivery's first attempt began: an older post cannot be ours.
    pub since: DateTime<Utc>,
    /// Provider post ids other deliveries of this profile already hold.
    pub taken: HashSet<String>,
}

/// One post of the account as a listing shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub url: String,
    pub text: Option<String>,
    /// For platforms with a title beside the text (YouTube, Reddit).
    pub title: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// Text as platforms store it: trimmed, line ends unified, every link folded to one
/// token (X wraps links in t.co, others shorten or expand them).
pub fn normalise(text: &str) -> String {
    let unified = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(unified.len());
    for word in unified.trim().split_inclusive(char::is_whitespace) {
        let bare = word.trim_end();
        let tail = &word[bare.len()..];
        if bare.starts_with("https://") || bare.starts_with("http://") {
            out.push_str("\u{1}link");
        } else {
            out.push_str(bare);
        }
        out.push_str(tail);
    }
    out
}

/// The oldest candidate that is surely the post of `req`, if any: `text` and `title` are
/// what the platform shows of it (`None`: not compared, e.g. a link post's missing body).
pub fn pick(req: &PublishRequest, text: Option<&str>, title: Option<&str>, found: Vec<Candidate>) -> Option<Published> {
    let recovery = req.recovery.as_ref()?;
    let want = text.map(normalise);
    let earliest = recovery.since - CLOCK_MARGIN;
    found
        .into_iter()
        .filter(|c| c.created_at.is_some_and(|at| at >= earliest))
        .filter(|c| !recovery.taken.contains(&c.id))
        .filter(|c| want.as_ref().is_none_or(|w| normalise(c.text.as_deref().unwrap_or("")) == *w))
        .filter(|c| title.is_none_or(|t| c.title.as_deref().map(str::trim) == Some(t.trim())))
        .min_by_key(|c| c.created_at)
        .map(|c| {
            tracing::info!(delivery_id = %req.delivery_id, id = %c.id, "found the post an earlier attempt made");
            Published::recovered(c.id, c.url)
        })
}

/// A provider's timestamp in any of the shapes platforms use: RFC 3339, Graph API's
/// `+0000` offsets, a zone-less UTC time, or Unix seconds / milliseconds.
pub fn timestamp(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => {
            let f = n.as_f64()?;
            // Milliseconds (LinkedIn) are past year 33658 when read as seconds.
            let ms = if f > 1.0e12 { f } else { f * 1000.0 };
            Utc.timestamp_millis_opt(ms as i64).single()
        }
        Value::String(s) => {
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Some(t.with_timezone(&Utc));
            }
            if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z") {
                return Some(t.with_timezone(&Utc));
            }
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|n| n.and_utc())
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Account, PublishRequest};

    fn req(text: &str, since: DateTime<Utc>, taken: &[&str]) -> PublishRequest {
        PublishRequest {
            delivery_id: domain::DeliveryId::default(),
            provider: domain::Provider::X,
            account: Account { external_id: "a".into(), username: None, access_token: None },
            text: Some(text.into()),
            media: vec![],
            options: Value::Null,
            cover: None,
            recovery: Some(Recovery { since, taken: taken.iter().map(|s| s.to_string()).collect() }),
            part: None,
        }
    }

    fn cand(id: &str, text: &str, at: DateTime<Utc>) -> Candidate {
        Candidate { id: id.into(), url: format!("u/{id}"), text: Some(text.into()), title: None, created_at: Some(at) }
    }

    #[test]
    fn a_post_older_than_the_first_attempt_is_never_ours() {
        let now = Utc::now();
        let r = req("same", now, &[]);
        let older = cand("1", "same", now - chrono::Duration::seconds(30));
        assert_eq!(pick(&r, r.text.as_deref(), None, vec![older]), None);
        let within_margin = cand("2", "same", now - chrono::Duration::seconds(1));
        assert_eq!(pick(&r, r.text.as_deref(), None, vec![within_margin]).unwrap().provider_post_id, "2");
    }

    #[test]
    fn a_post_another_delivery_holds_is_never_ours() {
        let now = Utc::now();
        let r = req("same", now, &["1"]);
        let found = vec![cand("1", "same", now), cand("2", "same", now + chrono::Duration::seconds(1))];
        assert_eq!(pick(&r, r.text.as_deref(), None, found).unwrap().provider_post_id, "2");
        let r = req("same", now, &["1", "2"]);
        assert_eq!(pick(&r, r.text.as_deref(), None, vec![cand("1", "same", now), cand("2", "same", now)]), None);
    }

    #[test]
    fn a_post_without_a_time_is_never_taken() {
        let r = req("same", Utc::now(), &[]);
        let mut c = cand("1", "same", Utc::now());
        c.created_at = None;
        assert_eq!(pick(&r, r.text.as_deref(), None, vec![c]), None);
    }

    #[test]
    fn text_matches_the_way_platforms_store_it() {
        assert_eq!(normalise("  read https://example.com/a?b=1 now \r\n"), normalise("read https://t.co/xYz now"));
        assert_ne!(normalise("read this"), normalise("read that"));
        assert_eq!(normalise("héllo\r\nworld"), "héllo\nworld");
        let now = Utc::now();
        let r = req("New: https://example.com/launch ", now, &[]);
        assert!(pick(&r, r.text.as_deref(), None, vec![cand("9", "New: https://t.co/abc123", now)]).is_some());
    }

    #[test]
    fn timestamps_in_every_platform_shape() {
        let want = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 5).unwrap();
        for v in [
            serde_json::json!("2026-12-01T12:00:05.000Z"),
            serde_json::json!("2026-12-01T12:00:05+0000"),
            serde_json::json!("2026-12-01T13:00:05+01:00"),
            serde_json::json!("2026-12-01T12:00:05"),
            serde_json::json!(want.timestamp()),
            serde_json::json!(want.timestamp() as f64),
            serde_json::json!(want.timestamp_millis()),
        ] {
            assert_eq!(timestamp(&v), Some(want), "{v}");
        }
        assert_eq!(timestamp(&serde_json::json!("yesterday")), None);
    }
}
