//! Who asks for a change, and what they may touch: the key's permission and scope, and
//! what its policy (or the person's role) lets it do — checked here, once, for every
//! surface (REST, the agency API, MCP, the dashboard, review links).

use store::KeyScope;
use uuid::Uuid;

use crate::PostingError;

/// Who acts: an API key, a person signed in to the dashboard, or a review link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    ApiKey(Uuid),
    Person(Uuid),
    ReviewLink(Uuid),
    /// A feed posting its new items.
    Feed(Uuid),
}

impl Actor {
    /// The id budgets and idempotency keys are kept under.
    pub fn id(&self) -> Uuid {
        match self {
            Actor::ApiKey(id) | Actor::Person(id) | Actor::ReviewLink(id) | Actor::Feed(id) => *id,
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::ApiKey(id) => write!(f, "key {id}"),
            Actor::Person(id) => write!(f, "person {id}"),
            Actor::ReviewLink(id) => write!(f, "review link {id}"),
            Actor::Feed(id) => write!(f, "feed {id}"),
        }
    }
}

/// What a caller may do beyond its permission: a key's policy or a person's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Everything its permission allows, the workspace's settings included (a key with
    /// the `publish` policy, an owner, an admin).
    #[default]
    Full,
    /// A person who writes and publishes but does not run the workspace.
    Editor,
    /// A key that creates and submits, never publishes or approves.
    DraftOnly,
    /// A key whose posts all pass review; it never approves its own.
    ApprovalRequired,
    /// A client (a member or a review link): reads posts and comments, comments, and
    /// approves or rejects at the client stage.
    Client,
}

impl Policy {
    /// A key's stored policy.
    pub fn of_key(s: &str) -> Option<Policy> {
        match s {
            "publish" => Some(Policy::Full),
            "draft_only" => Some(Policy::DraftOnly),
            "approval_required" => Some(Policy::ApprovalRequired),
            _ => None,
        }
    }

    /// A member's stored role.
    pub fn of_role(s: &str) -> Policy {
        match s {
            "owner" | "admin" => Policy::Full,
            "client" => Policy::Client,
            _ => Policy::Editor,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Policy::Full => "publish",
            Policy::Editor => "editor",
            Policy::DraftOnly => "draft_only",
            Policy::ApprovalRequired => "approval_required",
            Policy::Client => "client",
        }
    }
}

/// The key policies a key may be created with.
pub const KEY_POLICIES: &[&str] = &["publish", "draft_only", "approval_required"];
/// The roles a member may hold (`owner` is the workspace's creator's).
pub const ROLES: &[&str] = &["owner", "admin", "editor", "client"];

/// An authenticated caller: who, in which scope, whether it may write, and its policy.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub scope: KeyScope,
    pub can_write: bool,
    pub policy: Policy,
    /// A name people know the actor by (a review link's label), recorded with its steps.
    pub label: Option<String>,
}

impl Caller {
    /// A caller with the whole of its permission (a key with the `publish` policy).
    pub fn new(actor: Actor, scope: KeyScope, can_write: bool) -> Self {
        Self { actor, scope, can_write, policy: Policy::Full, label: None }
    }

    /// Who acted, as recorded on approvals, comments and the log.
    pub fn who(&self) -> String {
        match &self.label {
            Some(label) => format!("{} ({label})", self.actor),
            None => self.actor.to_string(),
        }
    }

    /// May change posts at all. A client only reviews and comments.
    pub fn require_write(&self) -> Result<(), PostingError> {
        if !self.can_write {
            return Err(PostingError::Forbidden(
                "This API key is read-only; this action needs a key with write permission.".into(),
            ));
        }
        if self.policy == Policy::Client {
            return Err(PostingError::Forbidden(
                "A client reviews: it reads posts and comments, comments, and approves or rejects at the client stage."
                    .into(),
            ));
        }
        Ok(())
    }

    /// May comment and take review steps (a client included).
    pub fn require_review(&self) -> Result<(), PostingError> {
        if self.can_write {
            Ok(())
        } else {
            Err(PostingError::Forbidden(
                "This API key is read-only; this action needs a key with write permission.".into(),
            ))
        }
    }

    /// May make a post enter the publishing workflow without review.
    pub fn require_publish(&self) -> Result<(), PostingError> {
        self.require_write()?;
        match self.policy {
            Policy::DraftOnly => Err(PostingError::Forbidden(
                "This key is draft_only: it creates drafts and submits them for review; it never publishes.".into(),
            )),
            Policy::ApprovalRequired => Err(PostingError::Forbidden(
                "This key is approval_required: what it makes is published only after review approves it.".into(),
            )),
            _ => Ok(()),
        }
    }

    /// May change the workspace's settings (a key without provider or profile scope, an
    /// owner or admin; not a key whose policy review is meant to hold).
    pub fn require_admin(&self) -> Result<(), PostingError> {
        self.require_write()?;
        match self.policy {
            Policy::Full => self.require_whole_workspace_for("workspace settings"),
            Policy::Editor => {
                Err(PostingError::Forbidden("Only owners and admins change the workspace's settings.".into()))
            }
            other => Err(PostingError::Forbidden(format!(
                "A {} key cannot change the workspace's settings (it could turn review off).",
                other.name()
            ))),
        }
    }

    fn require_whole_workspace_for(&self, what: &str) -> Result<(), PostingError> {
        if self.scope.providers.is_none() && self.scope.profile_ids.is_none() {
            Ok(())
        } else {
            Err(PostingError::Forbidden(format!("Only a key without provider or profile scope manages {what}.")))
        }
    }

    /// Webhooks receive every event of the workspace, so only a key that can see every
    /// post (no provider or profile scope) may see or manage them.
    pub fn require_whole_workspace(&self) -> Result<(), PostingError> {
        if self.scope.providers.is_none() && self.scope.profile_ids.is_none() {
            Ok(())
        } else {
            Err(PostingError::Forbidden(
                "Webhooks carry every event of the workspace; only a key without provider or profile scope manages them."
                    .into(),
            ))
        }
    }
}
