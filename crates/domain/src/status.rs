//! The three status layers of the seed, plus profile status. Each layer has one owner
//! (see DESIGN.md); the transition tables here are what every owner checks against.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind} status `{value}`")]
pub struct UnknownStatus {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! status_enum {
    ($name:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $name {
            type Err = UnknownStatus;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownStatus { kind: $kind, value: other.to_owned() }),
                }
            }
        }
    };
}

status_enum!(PostStatus, "post", {
    Draft => "draft", Pending => "pending", Scheduled => "scheduled",
    Completed => "completed", Canceled => "canceled",
});
status_enum!(DeliveryStatus, "delivery", {
    Pending => "pending", Published => "published", Failed => "failed",
});
status_enum!(MediaStatus, "media", {
    Pending => "pending", Processed => "processed", Failed => "failed",
});
status_enum!(ProfileStatus, "profile", {
    Active => "active", ReauthRequired => "reauth_required", Disconnected => "disconnected",
});

impl PostStatus {
    /// The post workflow of the seed: draft → pending → scheduled → completed, and
    /// scheduled → canceled. Nothing leaves completed or canceled.
    pub fn can_become(self, next: PostStatus) -> bool {
        use PostStatus::*;
        matches!((self, next), (Draft, Pending) | (Pending, Scheduled) | (Scheduled, Completed) | (Scheduled, Canceled))
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, PostStatus::Completed | PostStatus::Canceled)
    }
}

impl DeliveryStatus {
    pub fn can_become(self, next: DeliveryStatus) -> bool {
        matches!(
            (self, next),
            (DeliveryStatus::Pending, DeliveryStatus::Published) | (DeliveryStatus::Pending, DeliveryStatus::Failed)
        )
    }

    pub fn is_settled(self) -> bool {
        self != DeliveryStatus::Pending
    }
}

impl MediaStatus {
    pub fn can_become(self, next: MediaStatus) -> bool {
        matches!(
            (self, next),
            (MediaStatus::Pending, MediaStatus::Processed) | (MediaStatus::Pending, MediaStatus::Failed)
        )
    }

    /// Media is treated as ready once its post reached one of these states (seed, "Media states").
    pub fn processed_by(post: PostStatus) -> bool {
        matches!(post, PostStatus::Scheduled | PostStatus::Completed | PostStatus::Canceled)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_text() {
        for s in PostStatus::ALL {
            assert_eq!(s.as_str().parse::<PostStatus>(), Ok(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        for s in DeliveryStatus::ALL {
            assert_eq!(s.as_str().parse::<DeliveryStatus>(), Ok(*s));
        }
        for s in MediaStatus::ALL {
            assert_eq!(s.as_str().parse::<MediaStatus>(), Ok(*s));
        }
        for s in ProfileStatus::ALL {
            assert_eq!(s.as_str().parse::<ProfileStatus>(), Ok(*s));
        }
        assert!("settled".parse::<PostStatus>().is_err());
    }

    #[test]
    fn post_workflow_allows_exactly_the_seed_edges() {
        use PostStatus::*;
        let allowed = [(Draft, Pending), (Pending, Scheduled), (Scheduled, Completed), (Scheduled, Canceled)];
        for from in PostStatus::ALL {
            for to in PostStatus::ALL {
                assert_eq!(from.can_become(*to), allowed.contains(&(*from, *to)), "{from} -> {to}");
            }
        }
        assert!(Completed.is_terminal() && Canceled.is_terminal() && !Scheduled.is_terminal());
    }

    #[test]
    fn delivery_settles_once_and_never_back() {
        use DeliveryStatus::*;
        assert!(Pending.can_become(Published) && Pending.can_become(Failed));
        assert!(!Published.can_become(Failed) && !Failed.can_become(Published));
        assert!(!Failed.can_become(Pending) && !Published.can_become(Pending));
        assert!(Published.is_settled() && Failed.is_settled() && !Pending.is_settled());
    }

    #[test]
    fn media_is_processed_by_the_later_post_states_only() {
        assert!(MediaStatus::processed_by(PostStatus::Scheduled));
        assert!(MediaStatus::processed_by(PostStatus::Completed));
        assert!(MediaStatus::processed_by(PostStatus::Canceled));
        assert!(!MediaStatus::processed_by(PostStatus::Pending));
        assert!(!MediaStatus::processed_by(PostStatus::Draft));
        assert!(MediaStatus::Pending.can_become(MediaStatus::Processed));
        assert!(!MediaStatus::Processed.can_become(MediaStatus::Pending));
    }
}
