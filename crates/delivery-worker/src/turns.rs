//! Turns at a full profile cap. A delivery that finds its profile's cap full goes back
//! to the outbox until later. With a fixed pause, a backlog for one profile (a burst of
//! posts for one account) came back again and again: in S2 each delivery found the cap
//! full about five times, and each time cost a read, three lease statements, an outbox
//! row, a relay take and two broker hops — more than the delivery itself, on the cores
//! the time gate needs. Here each one is given a turn after the turns already given for
//! that profile, spaced by how long this worker's calls for it hold a slot, shared among
//! the cap's slots: a backlog comes back about once, in the order it arrived. Before a
//! turn is given, a delivery that finds the cap full waits here, for about one hold (2 s
//! at most), to be handed the slot this process gives back — but only as many wait as
//! the cap has slots, so a profile's backlog never takes a worker's whole prefetch from
//! other profiles' posts. And a cap that this process alone fills is known to be full
//! without asking the database.
//!
//! The turns are this process's estimate, not a promise: a delivery that comes back to
//! a cap still full is given another, and the leases in PostgreSQL stay the only truth.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use domain::ProfileId;
use tokio::sync::Notify;

/// How long a call is taken to hold its slot until one for the profile ended here.
const FIRST_HOLD_MS: f64 = 200.0;
/// No turn is given further ahead than this: a turn counted on a slow call, or on a
/// backlog since canceled, would otherwise hold later posts back for nothing.
const MOST_AHEAD: Duration = Duration::seconds(30);
/// Turns are spaced a little closer than the measured holds, so that slots are not left
/// idle waiting for a turn; one that comes too early is given another.
const SPACING: f64 = 0.8;
/// Weight of the newest hold in the smoothed hold time.
const NEWEST: f64 = 0.2;
/// Profiles remembered; past this, the ones with no call in flight and no turn ahead
/// are forgotten.
const MOST_PROFILES: usize = 10_000;
/// The longest a delivery waits here for a slot, whatever the holds measured.
const LONGEST_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Default)]
pub struct Turns {
    profiles: Mutex<HashMap<ProfileId, Profile>>,
}

#[derive(Default)]
struct Profile {
    /// Calls of this process holding one of the profile's slots now.
    in_flight: i32,
    /// How long a call held its slot here, smoothed (ms); None until one ended here.
    hold_ms: Option<f64>,
    /// The latest turn given.
    last_turn: Option<DateTime<Utc>>,
    /// Deliveries waiting here for one of the profile's slots.
    waiting: i32,
    /// Told when a call of this process gives a slot back.
    freed: Arc<Notify>,
}

/// A slot of the profile's cap, held from `Turns::hold` until this drops (after the
/// settle that gives the lease back).
pub struct Hold {
    turns: Arc<Turns>,
    profile: ProfileId,
    since: Instant,
}

impl Turns {
    /// Whether this process's own calls already hold every slot of the profile's cap.
    pub fn full_here(&self, profile: ProfileId, cap: i32) -> bool {
        self.with(|p| p.get(&profile).is_some_and(|p| p.in_flight >= cap))
    }

    /// A call for the profile took a slot.
    pub fn hold(self: &Arc<Self>, profile: ProfileId) -> Hold {
        self.with(|p| {
            if p.len() >= MOST_PROFILES {
                let now = Utc::now();
                p.retain(|_, k| k.in_flight > 0 || k.waiting > 0 || k.last_turn.is_some_and(|t| t > now));
            }
            p.entry(profile).or_default().in_flight += 1;
        });
        Hold { turns: self.clone(), profile, since: Instant::now() }
    }

    /// Waits for a call of this process to give back one of the profile's slots, for as
    /// long as a call holds one; `false` at once when as many wait as the cap has slots:
    /// the delivery takes a turn instead.
    pub async fn wait_for_slot(&self, profile: ProfileId, cap: i32) -> bool {
        let Some((freed, wait)) = self.with(|p| {
            let k = p.entry(profile).or_default();
            let hold_ms = k.hold_ms.unwrap_or(FIRST_HOLD_MS);
            if k.waiting >= cap {
                return None;
            }
            k.waiting += 1;
            let wait = std::time::Duration::from_micros((hold_ms * 1000.0) as u64).min(LONGEST_WAIT);
            Some((k.freed.clone(), wait))
        }) else {
            return false;
        };
        let _ = tokio::time::timeout(wait, freed.notified()).await;
        self.with(|p| {
            if let Some(k) = p.get_mut(&profile) {
                k.waiting -= 1;
            }
        });
        true
    }

    /// When a delivery that found the profile's cap full should look again.
    pub fn next_turn(&self, profile: ProfileId, cap: i32, now: DateTime<Utc>) -> DateTime<Utc> {
        self.with(|p| {
            let k = p.entry(profile).or_default();
            let hold_ms = k.hold_ms.unwrap_or(FIRST_HOLD_MS);
            let spacing = Duration::microseconds((hold_ms * 1000.0 * SPACING / f64::from(cap.max(1))) as i64);
            let after = k.last_turn.filter(|t| *t > now).unwrap_or(now);
            let turn = (after + spacing).min(now + MOST_AHEAD);
            k.last_turn = Some(turn);
            turn
        })
    }

    fn ended(&self, profile: ProfileId, held_ms: f64) {
        self.with(|p| {
            if let Some(k) = p.get_mut(&profile) {
                k.in_flight -= 1;
                k.hold_ms = Some(k.hold_ms.map_or(held_ms, |h| h * (1.0 - NEWEST) + held_ms * NEWEST));
                // A permit kept when nobody waits lets the next waiter try at once: the
                // slot may well be free still.
                k.freed.notify_one();
            }
        });
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<ProfileId, Profile>) -> R) -> R {
        // A panic elsewhere while the lock was held leaves counts that are still usable.
        let mut p = self.profiles.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut p)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.turns.ended(self.profile, self.since.elapsed().as_secs_f64() * 1000.0);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn profile() -> ProfileId {
        ProfileId::new()
    }

    #[test]
    fn a_cap_filled_here_is_full_until_a_call_ends() {
        let turns = Arc::new(Turns::default());
        let p = profile();
        assert!(!turns.full_here(p, 2));
        let a = turns.hold(p);
        assert!(!turns.full_here(p, 2));
        let b = turns.hold(p);
        assert!(turns.full_here(p, 2));
        assert!(!turns.full_here(profile(), 2), "another profile's cap is its own");
        drop(a);
        assert!(!turns.full_here(p, 2));
        drop(b);
    }

    #[test]
    fn a_backlog_gets_turns_spaced_by_the_hold_shared_among_the_slots() {
        let turns = Arc::new(Turns::default());
        let p = profile();
        let now = Utc::now();
        // No hold measured yet: 200 ms taken, 80 ms apart with two slots.
        assert_eq!(turns.next_turn(p, 2, now) - now, Duration::milliseconds(80));
        let other = profile();
        turns.ended_for_test(other, 100.0);
        turns.ended_for_test(p, 100.0);
        let p = other;
        let first = turns.next_turn(p, 2, now);
        let second = turns.next_turn(p, 2, now);
        let third = turns.next_turn(p, 2, now);
        // 100 ms held, two slots: one frees every 50 ms; turns come a little sooner.
        assert_eq!(first - now, Duration::milliseconds(40));
        assert_eq!(second - first, Duration::milliseconds(40));
        assert_eq!(third - second, Duration::milliseconds(40));
        // Once the turns given have passed, the next one counts from now.
        let later = now + Duration::seconds(5);
        assert_eq!(turns.next_turn(p, 2, later) - later, Duration::milliseconds(40));
    }

    #[test]
    fn no_turn_is_given_further_ahead_than_the_limit() {
        let turns = Arc::new(Turns::default());
        let p = profile();
        turns.ended_for_test(p, 10_000.0);
        let now = Utc::now();
        let mut last = now;
        for _ in 0..100 {
            last = turns.next_turn(p, 1, now);
        }
        assert_eq!(last, now + MOST_AHEAD);
    }

    #[tokio::test]
    async fn a_waiter_is_handed_the_slot_given_back_and_waiters_are_no_more_than_the_slots() {
        let turns = Arc::new(Turns::default());
        let p = profile();
        // Holds far longer than the longest wait: a wake-up sooner is the slot given back.
        turns.ended_for_test(p, 60_000.0);
        let call = turns.hold(p);
        let waiter = tokio::spawn({
            let turns = turns.clone();
            async move {
                let started = std::time::Instant::now();
                (turns.wait_for_slot(p, 1).await, started.elapsed())
            }
        });
        let deadline = std::time::Instant::now() + LONGEST_WAIT / 2;
        while turns.with(|m| m[&p].waiting) == 0 {
            assert!(std::time::Instant::now() < deadline, "the waiter never waited");
            tokio::task::yield_now().await;
        }
        assert!(!turns.wait_for_slot(p, 1).await, "a cap of one slot has one waiter at most");
        drop(call);
        let (waited_for_it, waited) = waiter.await.unwrap();
        assert!(waited_for_it);
        assert!(waited < LONGEST_WAIT / 2, "woken by the slot given back, not at the end of the wait: {waited:?}");
        // Nobody gives one back: the wait ends at the longest.
        let _busy = turns.hold(p);
        let started = std::time::Instant::now();
        assert!(turns.wait_for_slot(p, 1).await);
        assert!(started.elapsed() >= LONGEST_WAIT, "{:?}", started.elapsed());
    }

    impl Turns {
        /// A hold of `ms` measured, as if a call had ended (no slot given back).
        fn ended_for_test(&self, p: ProfileId, ms: f64) {
            self.with(|m| m.entry(p).or_default().hold_ms = Some(ms));
        }
    }
}
