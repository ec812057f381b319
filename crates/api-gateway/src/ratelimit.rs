//! Request budgets per API key, separate for reads and writes, and a looser one per
//! workspace (all its keys together). Budgets live in each gateway process: with N
//! replicas behind a balancer a caller gets up to N times the budget.

use domain::WorkspaceId;

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    pub read_per_second: u32,
    pub read_burst: u32,
    pub write_per_second: u32,
    pub write_burst: u32,
    /// A workspace's keys together get this many times one key's budget.
    pub workspace_factor: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { read_per_second: 50, read_burst: 200, write_per_second: 10, write_burst: 50, workspace_factor: 4 }
    }
}

/// The budget that ran out: its size and when to come back.
pub struct Exceeded {
    pub limit: u32,
    pub retry_after: Duration,
}

struct Budget {
    limiter: DefaultKeyedRateLimiter<Uuid>,
    burst: u32,
}

impl Budget {
    fn new(per_second: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let size = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Self { limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(size)), burst: size.get() }
    }

    fn spend(&self, id: Uuid) -> Result<(), Exceeded> {
        self.limiter.check_key(&id).map_err(|not_until| Exceeded {
            limit: self.burst,
            retry_after: not_until.wait_time_from(DefaultClock::default().now()),
        })
    }
}

pub struct Limiter {
    key_reads: Budget,
    key_writes: Budget,
    workspace_reads: Budget,
    workspace_writes: Budget,
    /// Dashboard sign-in attempts per e-mail address: password guessing gets
    /// `SIGN_IN_BURST` tries, then one more a minute. At most `MAX_TRACKED_ADDRESSES`
    /// addresses are kept; `prune` drops those whose budget is full again.
    sign_ins: DefaultKeyedRateLimiter<String>,
    /// Sign-ins of all addresses together: each costs an argon2 check, and a flood of
    /// made-up addresses must not turn into a flood of them.
    sign_ins_all: governor::DefaultDirectRateLimiter,
}

const SIGN_IN_BURST: u32 = 10;
const MAX_TRACKED_ADDRESSES: usize = 100_000;
const SIGN_INS_PER_SECOND: u32 = 20;

impl Limiter {
    pub fn new(c: &RateLimits) -> Self {
        let f = c.workspace_factor.max(1);
        Self {
            key_reads: Budget::new(c.read_per_second, c.read_burst),
            key_writes: Budget::new(c.write_per_second, c.write_burst),
            workspace_reads: Budget::new(c.read_per_second * f, c.read_burst * f),
            workspace_writes: Budget::new(c.write_per_second * f, c.write_burst * f),
            sign_ins: RateLimiter::keyed(
                Quota::per_minute(NonZeroU32::MIN)
                    .allow_burst(NonZeroU32::new(SIGN_IN_BURST).unwrap_or(NonZeroU32::MIN)),
            ),
            sign_ins_all: RateLimiter::direct(
                Quota::per_second(NonZeroU32::new(SIGN_INS_PER_SECOND).unwrap_or(NonZeroU32::MIN))
                    .allow_burst(NonZeroU32::new(SIGN_INS_PER_SECOND * 2).unwrap_or(NonZeroU32::MIN)),
            ),
        }
    }

    /// Spends one sign-in attempt for this address (case-insensitive), and one of all
    /// addresses' together.
    pub fn sign_in(&self, email: &str) -> Result<(), Exceeded> {
        let now = DefaultClock::default().now();
        if self.sign_ins.len() >= MAX_TRACKED_ADDRESSES {
            self.prune();
            if self.sign_ins.len() >= MAX_TRACKED_ADDRESSES {
                return Err(Exceeded { limit: SIGN_IN_BURST, retry_after: Duration::from_secs(60) });
            }
        }
        self.sign_ins_all.check().map_err(|not_until| Exceeded {
            limit: SIGN_INS_PER_SECOND * 2,
            retry_after: not_until.wait_time_from(now),
        })?;
        self.sign_ins
            .check_key(&email.trim().to_lowercase())
            .map_err(|not_until| Exceeded { limit: SIGN_IN_BURST, retry_after: not_until.wait_time_from(now) })
    }

    /// Forgets addresses whose sign-in budget is full again (called every minute).
    pub fn prune(&self) {
        self.sign_ins.retain_recent();
        self.sign_ins.shrink_to_fit();
    }

    /// Addresses tracked now.
    #[cfg(test)]
    pub fn tracked_addresses(&self) -> usize {
        self.sign_ins.len()
    }

    /// Spends one request of the key's budget and of its workspace's.
    pub fn check(&self, key: Uuid, workspace: WorkspaceId, write: bool) -> Result<(), Exceeded> {
        let (k, w) =
            if write { (&self.key_writes, &self.workspace_writes) } else { (&self.key_reads, &self.workspace_reads) };
        k.spend(key)?;
        w.spend(workspace.uuid())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_past_the_budget_is_refused_with_a_wait_and_reads_are_counted_apart() {
        let l = Limiter::new(&RateLimits {
            read_per_second: 1,
            read_burst: 3,
            write_per_second: 1,
            write_burst: 2,
            workspace_factor: 4,
        });
        let (k, w) = (Uuid::now_v7(), domain::WorkspaceId::new());
        assert!(l.check(k, w, true).is_ok() && l.check(k, w, true).is_ok());
        let e = l.check(k, w, true).err().unwrap();
        assert_eq!(e.limit, 2);
        assert!(e.retry_after > Duration::ZERO && e.retry_after <= Duration::from_secs(1));
        assert!(l.check(k, w, false).is_ok(), "reads have their own budget");
        // Another key of the same workspace still has its own budget.
        assert!(l.check(Uuid::now_v7(), w, true).is_ok());
    }

    #[test]
    fn sign_in_addresses_are_pruned_and_all_addresses_share_a_budget() {
        let l = Limiter::new(&RateLimits::default());
        let mut refused = 0;
        for i in 0..100 {
            if l.sign_in(&format!("user{i}@example.com")).is_err() {
                refused += 1;
            }
        }
        // 40 at once, then 20 a second: a flood of made-up addresses is refused, and a
        // refused attempt is not remembered.
        assert!(refused >= 50, "{refused} refused");
        assert_eq!(l.tracked_addresses(), 100 - refused);
        l.prune();
        assert!(l.tracked_addresses() <= 100 - refused);
    }
}
