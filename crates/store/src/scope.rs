use domain::{ProfileId, WorkspaceId};

/// What an API key may see: its workspace, and optionally a subset of providers and profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyScope {
    pub workspace_id: WorkspaceId,
    pub providers: Option<Vec<String>>,
    pub profile_ids: Option<Vec<ProfileId>>,
}

impl KeyScope {
    pub fn workspace(workspace_id: WorkspaceId) -> Self {
        Self { workspace_id, providers: None, profile_ids: None }
    }

    pub fn allows(&self, provider: &str, profile_id: ProfileId) -> bool {
        self.providers.as_ref().is_none_or(|p| p.iter().any(|x| x == provider))
            && self.profile_ids.as_ref().is_none_or(|p| p.contains(&profile_id))
    }
}
