//! The seed's names for what PostMantis calls otherwise: `twitter` for X (`x` accepted as
//! the legacy alias), `cancelled`, account statuses, and the camelCase field names.

use domain::{Outcome, Provider};

use super::envelope::AgencyError;

/// The seed's name of a platform.
pub fn platform_name(p: Provider) -> &'static str {
    match p {
        Provider::X => "twitter",
        other => other.as_str(),
    }
}

/// A platform by the seed's name. Names are case-sensitive, as the seed's are.
pub fn platform(name: &str) -> Result<Provider, AgencyError> {
    match name {
        "twitter" | "x" => Ok(Provider::X),
        other => other.parse().map_err(|_| AgencyError::bad_request(format!("Unsupported platform: {other}"))),
    }
}

/// A post's status as the seed names it.
pub fn status_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Canceled => "cancelled",
        other => other.as_str(),
    }
}

/// Every status the seed names for a post.
pub const POST_STATUSES: &[&str] = &[
    "draft",
    "pending_approval",
    "qa_review",
    "client_review",
    "regenerating",
    "changes_requested",
    "approved",
    "vaulted",
    "scheduled",
    "publishing",
    "published",
    "partially_published",
    "failed",
    "cancelled",
];

/// A post's status as the seed names it: a draft in review shows its review status; any
/// other post what became of it.
pub fn post_status(v: &store::posts::PostView) -> &'static str {
    let outcome = v.outcome();
    match (outcome, v.post.review) {
        (Outcome::Draft, Some(review)) => review.as_str(),
        (o, _) => status_name(o),
    }
}

/// A status the seed names, checked.
pub fn status_filter(name: &str) -> Result<&str, AgencyError> {
    POST_STATUSES.iter().find(|s| **s == name).copied().ok_or_else(|| {
        AgencyError::bad_request(format!("status must be one of {} (got `{name}`)", POST_STATUSES.join(", ")))
    })
}

/// An account's status as the seed names it: `token_expired` for a profile whose grant
/// the provider refused, `rate_limited` while a provider's Retry-After holds it.
pub fn account_status(p: &store::models::ProfileRow) -> &'static str {
    use domain::ProfileStatus::*;
    match p.status {
        Disconnected => "disconnected",
        ReauthRequired => "token_expired",
        Active if p.not_before.is_some_and(|t| t > chrono::Utc::now()) => "rate_limited",
        Active => "active",
    }
}

/// Native field paths in the seed's words, for messages.
pub fn field(native: &str) -> String {
    let mapped = [
        ("post.bodies.", "content.platformOverrides."),
        ("post.thread", "threadParts"),
        ("post.body", "content.text"),
        ("post.scheduled_at", "scheduledFor"),
        ("post.hashtags", "hashtags"),
        ("post.labels", "labels"),
        ("post.tags", "tags"),
        ("post.category", "category"),
        ("profiles", "accountIds"),
        ("provider_options.", "platformOptions."),
        ("media", "media"),
    ];
    let mut out = native.to_owned();
    for (from, to) in mapped {
        if let Some(rest) = native.strip_prefix(from) {
            out = format!("{to}{rest}");
            break;
        }
    }
    // `content.platformOverrides.x` → `…twitter`.
    out.replace("platformOverrides.x", "platformOverrides.twitter")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_both_ways_and_are_case_sensitive() {
        assert_eq!(platform("twitter").ok(), Some(Provider::X));
        assert_eq!(platform("x").ok(), Some(Provider::X));
        assert_eq!(platform("X").err().map(|e| e.message), Some("Unsupported platform: X".to_owned()));
        assert_eq!(platform("dribbble").ok(), Some(Provider::Dribbble));
        for p in Provider::ALL {
            assert_eq!(platform(platform_name(*p)).ok(), Some(*p));
        }
        assert_eq!(field("post.bodies.x"), "content.platformOverrides.twitter");
        assert_eq!(field("profiles[1]"), "accountIds[1]");
        assert_eq!(status_name(Outcome::Canceled), "cancelled");
    }
}
