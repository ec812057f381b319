//! Query strings and dates as the seed gives them.

use actix_web::HttpRequest;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::envelope::{AgencyError, AgencyResult};

pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(req: &HttpRequest) -> AgencyResult<Self> {
        serde_urlencoded::from_str(req.query_string())
            .map(Query)
            .map_err(|e| AgencyError::bad_request(format!("Validation error: the query string is malformed: {e}")))
    }

    pub fn one(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// `page` (from 1) and `limit` (1 to 100).
    pub fn page(&self, default_limit: i64) -> AgencyResult<(i64, i64)> {
        let int = |key: &str, default: i64, max: i64| match self.one(key) {
            None => Ok(default),
            Some(v) => v.parse::<i64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                AgencyError::bad_request(format!("Validation error: {key} must be an integer from 1 to {max}"))
            }),
        };
        Ok((int("page", 1, 1_000_000)?, int("limit", default_limit, 100)?))
    }

    pub fn date(&self, key: &str) -> AgencyResult<Option<DateTime<Utc>>> {
        self.one(key)
            .map(|v| iso(v).ok_or_else(|| AgencyError::bad_request(format!("{key} must be a valid ISO date string"))))
            .transpose()
    }
}

/// An ISO 8601 date or date-time as JavaScript's `Date` reads the common forms: with an
/// offset or `Z`; without one (taken as UTC); or a date alone (midnight UTC).
pub fn iso(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::iso;

    #[test]
    fn iso_dates_in_the_forms_agents_send() {
        assert_eq!(iso("2026-04-14T09:00:00Z").map(|t| t.to_rfc3339()), Some("2026-04-14T09:00:00+00:00".into()));
        assert_eq!(iso("2026-05-12T09:00:00+02:00").map(|t| t.to_rfc3339()), Some("2026-05-12T07:00:00+00:00".into()));
        assert_eq!(iso("2026-04-14T09:00:00.000Z").map(|t| t.to_rfc3339()), Some("2026-04-14T09:00:00+00:00".into()));
        assert_eq!(iso("2026-04-14T09:00").map(|t| t.to_rfc3339()), Some("2026-04-14T09:00:00+00:00".into()));
        assert_eq!(iso("2026-04-14").map(|t| t.to_rfc3339()), Some("2026-04-14T00:00:00+00:00".into()));
        assert_eq!(iso("next tuesday"), None);
        assert_eq!(iso("2026-13-01T00:00:00Z"), None);
    }
}
