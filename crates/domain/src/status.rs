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
        #[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        // Stored as its text: readable in psql, and the column's CHECK lists the same words.
        #[cfg(feature = "diesel")]
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
            }
        }
        #[cfg(feature = "diesel")]
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(value)?;
                Ok(text.parse()?)
            }
        }

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

/// `edge(from, to)` for a layer with a transition table: the pair, or (in a `const`) a
/// compile error when the table has no such edge. The store writes each status change
/// through one of these constants, so a write the table forbids does not build.
macro_rules! edges {
    ($name:ident) => {
        impl $name {
            pub const fn edge(from: $name, to: $name) -> ($name, $name) {
                let mut i = 0;
                while i < Self::EDGES.len() {
                    let (a, b) = Self::EDGES[i];
                    if a as u8 == from as u8 && b as u8 == to as u8 {
                        return (from, to);
                    }
                    i += 1;
                }
                panic!("not an edge of this status layer's transition table")
            }
        }
    };
}
edges!(PostStatus);
edges!(DeliveryStatus);
edges!(MediaStatus);

impl PostStatus {
    /// The post workflow of the seed: draft → pending → scheduled → completed, and
    /// scheduled → canceled; plus completed → scheduled when one of its failed deliveries
    /// is retried by hand. Nothing leaves canceled.
    pub const EDGES: &'static [(PostStatus, PostStatus)] = &[
        (PostStatus::Draft, PostStatus::Pending),
        (PostStatus::Pending, PostStatus::Scheduled),
        (PostStatus::Scheduled, PostStatus::Completed),
        (PostStatus::Scheduled, PostStatus::Canceled),
        (PostStatus::Completed, PostStatus::Scheduled),
    ];

    pub fn can_become(self, next: PostStatus) -> bool {
        Self::EDGES.contains(&(self, next))
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, PostStatus::Completed | PostStatus::Canceled)
    }
}

impl DeliveryStatus {
    /// A delivery settles once; only a manual retry takes a failed one back to pending.
    /// A published delivery never changes again.
    pub const EDGES: &'static [(DeliveryStatus, DeliveryStatus)] = &[
        (DeliveryStatus::Pending, DeliveryStatus::Published),
        (DeliveryStatus::Pending, DeliveryStatus::Failed),
        (DeliveryStatus::Failed, DeliveryStatus::Pending),
    ];

    pub fn can_become(self, next: DeliveryStatus) -> bool {
        Self::EDGES.contains(&(self, next))
    }

    pub fn is_settled(self) -> bool {
        self != DeliveryStatus::Pending
    }
}

impl MediaStatus {
    pub const EDGES: &'static [(MediaStatus, MediaStatus)] =
        &[(MediaStatus::Pending, MediaStatus::Processed), (MediaStatus::Pending, MediaStatus::Failed)];

    pub fn can_become(self, next: MediaStatus) -> bool {
        Self::EDGES.contains(&(self, next))
    }

    /// Media is treated as ready once its post reached one of these states (seed, "Media states").
    pub fn processed_by(post: PostStatus) -> bool {
        matches!(post, PostStatus::Scheduled | PostStatus::Completed | PostStatus::Canceled)
    }
}

status_enum!(ReviewStatus, "review", {
    PendingApproval => "pending_approval", QaReview => "qa_review", ClientReview => "client_review",
    Regenerating => "regenerating", ChangesRequested => "changes_requested", Approved => "approved",
    Vaulted => "vaulted",
});

/// What approved content becomes (a workspace setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    AutoPublish,
    DownloadOnly,
    Both,
}

impl DeliveryMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto_publish" => Some(Self::AutoPublish),
            "download_only" => Some(Self::DownloadOnly),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AutoPublish => "auto_publish",
            Self::DownloadOnly => "download_only",
            Self::Both => "both",
        }
    }
}

/// A reviewer's (or the author's) step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    Submit,
    QaApprove,
    QaReject,
    ClientApprove,
    ClientReject,
    /// The legacy single stage (`pending_approval`).
    Approve,
    /// The legacy single stage's rejection: back to a plain draft.
    Reject,
    Regenerate,
}

impl ReviewStatus {
    /// A post in this review status is not published around its review.
    pub fn holds_publishing(self) -> bool {
        matches!(self, Self::PendingApproval | Self::QaReview | Self::ClientReview | Self::Regenerating)
    }
}

impl ReviewAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::QaApprove => "qa_approve",
            Self::QaReject => "qa_reject",
            Self::ClientApprove => "client_approve",
            Self::ClientReject => "client_reject",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Regenerate => "regenerate",
        }
    }
}

/// Where a review step leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStep {
    /// To this review status.
    To(ReviewStatus),
    /// Final approval: `vaulted` under download_only, else `approved`, and into the
    /// publishing workflow when the post has a date (and the mode publishes).
    Final,
    /// Rejected: rewritten by the assistant (`regenerating`), or back to the author
    /// (`changes_requested`) when no model is configured.
    Rejected,
    /// Out of review: a plain draft again.
    Leave,
}

/// The stages a workspace (or a post's own override) requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stages {
    pub qa: bool,
    pub client: bool,
}

impl Stages {
    /// Where a review round starts: the first stage required (`None`: none is).
    pub fn first(self) -> Option<ReviewStatus> {
        if self.qa {
            Some(ReviewStatus::QaReview)
        } else if self.client {
            Some(ReviewStatus::ClientReview)
        } else {
            None
        }
    }

    /// A post's stages: its own `requires_approval` (false: none; true: at least QA), else
    /// the workspace's.
    pub fn of(requires_approval: Option<bool>, qa: bool, client: bool) -> Stages {
        match requires_approval {
            Some(false) => Stages { qa: false, client: false },
            Some(true) if !qa && !client => Stages { qa: true, client: false },
            _ => Stages { qa, client },
        }
    }
}

impl ReviewStatus {
    /// Seed 002's diagram: what `action` does from `from` (`None`: never submitted), or
    /// `None` when the diagram has no such step.
    pub fn step(from: Option<ReviewStatus>, action: ReviewAction, stages: Stages) -> Option<ReviewStep> {
        use ReviewAction as A;
        use ReviewStatus as R;
        let after_qa = if stages.client { ReviewStep::To(R::ClientReview) } else { ReviewStep::Final };
        Some(match (from, action) {
            (None | Some(R::ChangesRequested), A::Submit) if stages.qa => ReviewStep::To(R::QaReview),
            (None | Some(R::ChangesRequested), A::Submit) if stages.client => ReviewStep::To(R::ClientReview),
            (None | Some(R::ChangesRequested), A::Submit) => ReviewStep::Final,
            (Some(R::QaReview), A::QaApprove) => after_qa,
            (Some(R::QaReview), A::QaReject) => ReviewStep::Rejected,
            (Some(R::ClientReview | R::PendingApproval), A::ClientApprove) => ReviewStep::Final,
            (Some(R::ClientReview), A::ClientReject) => ReviewStep::Rejected,
            (Some(R::PendingApproval | R::QaReview | R::ClientReview), A::Approve) => ReviewStep::Final,
            (Some(R::PendingApproval), A::Reject) => ReviewStep::Leave,
            (Some(R::QaReview | R::ClientReview | R::PendingApproval), A::Regenerate) => ReviewStep::Rejected,
            _ => return None,
        })
    }
}

status_enum!(Outcome, "outcome", {
    Draft => "draft", Scheduled => "scheduled", Publishing => "publishing", Published => "published",
    PartiallyPublished => "partially_published", Failed => "failed", Canceled => "canceled",
});

impl Outcome {
    /// What became of a post, read from the layers: its status, whether its deliveries
    /// were dispatched, how they settled, and whether it was deleted (soft). Accepted and
    /// not yet dispatched reads `scheduled`; dispatched and not completed, `publishing`; a
    /// completed post is `published` when every delivery was, `failed` when none was.
    pub fn of(post: PostStatus, dispatched: bool, deliveries: &[DeliveryStatus], archived: bool) -> Outcome {
        let published = deliveries.iter().filter(|d| **d == DeliveryStatus::Published).count();
        match post {
            _ if archived => Outcome::Canceled,
            PostStatus::Draft => Outcome::Draft,
            PostStatus::Canceled => Outcome::Canceled,
            PostStatus::Pending => Outcome::Scheduled,
            PostStatus::Scheduled if !dispatched => Outcome::Scheduled,
            PostStatus::Scheduled => Outcome::Publishing,
            PostStatus::Completed if published == deliveries.len() && published > 0 => Outcome::Published,
            PostStatus::Completed if published == 0 => Outcome::Failed,
            PostStatus::Completed => Outcome::PartiallyPublished,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Every step of seed 002's diagram, and what is refused.
    #[test]
    fn review_follows_the_seeds_diagram() {
        use ReviewAction as A;
        use ReviewStatus as R;
        use ReviewStep::*;
        let both = Stages { qa: true, client: true };
        let qa_only = Stages { qa: true, client: false };
        let client_only = Stages { qa: false, client: true };
        let none = Stages { qa: false, client: false };
        let table: &[(Option<R>, A, Stages, Option<ReviewStep>)] = &[
            (None, A::Submit, both, Some(To(R::QaReview))),
            (None, A::Submit, client_only, Some(To(R::ClientReview))),
            (None, A::Submit, none, Some(Final)),
            (Some(R::ChangesRequested), A::Submit, both, Some(To(R::QaReview))),
            (Some(R::QaReview), A::QaApprove, both, Some(To(R::ClientReview))),
            (Some(R::QaReview), A::QaApprove, qa_only, Some(Final)),
            (Some(R::QaReview), A::QaReject, both, Some(Rejected)),
            (Some(R::ClientReview), A::ClientApprove, both, Some(Final)),
            (Some(R::PendingApproval), A::ClientApprove, none, Some(Final)),
            (Some(R::ClientReview), A::ClientReject, both, Some(Rejected)),
            (Some(R::PendingApproval), A::Approve, none, Some(Final)),
            (Some(R::PendingApproval), A::Reject, none, Some(Leave)),
            (Some(R::ClientReview), A::Regenerate, both, Some(Rejected)),
            (Some(R::QaReview), A::Submit, both, None),
            (Some(R::ClientReview), A::QaApprove, both, None),
            (Some(R::QaReview), A::ClientApprove, both, None),
            (Some(R::Regenerating), A::QaApprove, both, None),
            (Some(R::Approved), A::Submit, both, None),
            (Some(R::Vaulted), A::ClientReject, both, None),
            (None, A::QaApprove, both, None),
        ];
        for (from, action, stages, want) in table {
            assert_eq!(ReviewStatus::step(*from, *action, *stages), *want, "{from:?} {action:?} {stages:?}");
        }
    }

    #[test]
    fn outcomes_are_read_from_the_layers() {
        use DeliveryStatus::{Failed as F, Pending as P, Published as D};
        use PostStatus::*;
        assert_eq!(Outcome::of(Draft, false, &[P], false), Outcome::Draft);
        assert_eq!(Outcome::of(Pending, false, &[P], false), Outcome::Scheduled);
        assert_eq!(Outcome::of(Scheduled, false, &[P], false), Outcome::Scheduled);
        assert_eq!(Outcome::of(Scheduled, true, &[D, P], false), Outcome::Publishing);
        assert_eq!(Outcome::of(Completed, true, &[D, D], false), Outcome::Published);
        assert_eq!(Outcome::of(Completed, true, &[D, F], false), Outcome::PartiallyPublished);
        assert_eq!(Outcome::of(Completed, true, &[F, F], false), Outcome::Failed);
        assert_eq!(Outcome::of(Canceled, false, &[P], false), Outcome::Canceled);
        assert_eq!(Outcome::of(Completed, true, &[D], true), Outcome::Canceled);
    }

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
    fn post_workflow_allows_exactly_the_seed_edges_and_the_manual_retry() {
        use PostStatus::*;
        let allowed = [
            (Draft, Pending),
            (Pending, Scheduled),
            (Scheduled, Completed),
            (Scheduled, Canceled),
            (Completed, Scheduled),
        ];
        for from in PostStatus::ALL {
            for to in PostStatus::ALL {
                assert_eq!(from.can_become(*to), allowed.contains(&(*from, *to)), "{from} -> {to}");
            }
        }
        assert!(Completed.is_terminal() && Canceled.is_terminal() && !Scheduled.is_terminal());
    }

    #[test]
    fn a_delivery_settles_once_and_only_a_failed_one_reopens() {
        use DeliveryStatus::*;
        assert!(Pending.can_become(Published) && Pending.can_become(Failed));
        assert!(!Published.can_become(Failed) && !Failed.can_become(Published));
        assert!(Failed.can_become(Pending), "a manual retry reopens a failed delivery");
        assert!(!Published.can_become(Pending), "a published delivery is final");
        assert!(Published.is_settled() && Failed.is_settled() && !Pending.is_settled());
    }

    #[test]
    fn edge_returns_exactly_the_edges_of_the_table() {
        const RETRY: (PostStatus, PostStatus) = PostStatus::edge(PostStatus::Completed, PostStatus::Scheduled);
        assert_eq!(RETRY, (PostStatus::Completed, PostStatus::Scheduled));
        let refused = std::panic::catch_unwind(|| PostStatus::edge(PostStatus::Canceled, PostStatus::Scheduled));
        assert!(refused.is_err(), "nothing leaves canceled");
        let refused =
            std::panic::catch_unwind(|| DeliveryStatus::edge(DeliveryStatus::Published, DeliveryStatus::Pending));
        assert!(refused.is_err(), "a published delivery is final");
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
