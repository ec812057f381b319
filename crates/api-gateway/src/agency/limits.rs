//! The seed's request budgets on the agency surface, per API key: standard routes 60 a
//! minute, the assistant's (`/ai/*`) 20, bulk 10. A refusal is a 429 with `Retry-After`.
//! Like the native budgets, they live in each gateway process.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AgencyRateLimits {
    pub standard_per_minute: u32,
    pub ai_per_minute: u32,
    pub bulk_per_minute: u32,
}

impl Default for AgencyRateLimits {
    fn default() -> Self {
        Self { standard_per_minute: 60, ai_per_minute: 20, bulk_per_minute: 10 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Standard,
    Ai,
    Bulk,
}

impl Budget {
    pub fn of(path: &str) -> Budget {
        if path.contains("/social/ai/") {
            Budget::Ai
        } else if path.contains("/bulk") || path.ends_with("/schedule") {
            Budget::Bulk
        } else {
            Budget::Standard
        }
    }
}

pub struct AgencyLimiter {
    standard: (DefaultKeyedRateLimiter<Uuid>, u32),
    ai: (DefaultKeyedRateLimiter<Uuid>, u32),
    bulk: (DefaultKeyedRateLimiter<Uuid>, u32),
}

fn per_minute(n: u32) -> (DefaultKeyedRateLimiter<Uuid>, u32) {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    (RateLimiter::keyed(Quota::per_minute(n)), n.get())
}

impl AgencyLimiter {
    pub fn new(c: &AgencyRateLimits) -> Self {
        Self {
            standard: per_minute(c.standard_per_minute),
            ai: per_minute(c.ai_per_minute),
            bulk: per_minute(c.bulk_per_minute),
        }
    }

    /// Spends one request of the key's budget of this kind.
    pub fn spend(&self, key: Uuid, budget: Budget) -> Result<(), ApiError> {
        let (limiter, limit) = match budget {
            Budget::Standard => &self.standard,
            Budget::Ai => &self.ai,
            Budget::Bulk => &self.bulk,
        };
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited { limit: *limit, retry_after_s: wait.as_secs() + u64::from(wait.subsec_nanos() > 0) }
        })
    }

    pub fn prune(&self) {
        for (l, _) in [&self.standard, &self.ai, &self.bulk] {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_budget_per_key() {
        let l = AgencyLimiter::new(&AgencyRateLimits { standard_per_minute: 2, ai_per_minute: 1, bulk_per_minute: 1 });
        let k = Uuid::now_v7();
        assert!(l.spend(k, Budget::Standard).is_ok() && l.spend(k, Budget::Standard).is_ok());
        match l.spend(k, Budget::Standard) {
            Err(ApiError::RateLimited { limit: 2, retry_after_s }) => assert!((1..=30).contains(&retry_after_s)),
            other => panic!("{other:?}"),
        }
        assert!(l.spend(k, Budget::Ai).is_ok());
        assert!(l.spend(k, Budget::Ai).is_err());
        assert!(l.spend(Uuid::now_v7(), Budget::Ai).is_ok(), "another key has its own");
        assert_eq!(Budget::of("/api/v1/social/ai/generate"), Budget::Ai);
        assert_eq!(Budget::of("/api/v1/social/posts/bulk"), Budget::Bulk);
        assert_eq!(Budget::of("/api/v1/social/posts"), Budget::Standard);
    }
}
