//! Which profiles a post goes to when it names platforms rather than profiles, and the
//! default profile of each platform that decides it.

use domain::input::FieldError;
use domain::{ProfileId, ProfileStatus, Provider};
use store::models::ProfileRow;

use crate::{Caller, Posting, PostingError, PostingResult};

/// The profile a post naming only `provider` goes to: the one marked default, else the
/// only active one.
pub fn default_of(profiles: &[ProfileRow], provider: Provider) -> Option<&ProfileRow> {
    let active: Vec<&ProfileRow> =
        profiles.iter().filter(|p| p.provider == provider && p.status == ProfileStatus::Active).collect();
    active.iter().find(|p| p.is_default).copied().or(if active.len() == 1 { active.first().copied() } else { None })
}

impl Posting {
    /// The profiles for `ids` (each visible and active), plus the default profile of each
    /// platform in `providers` that none of them is on. A profile on a platform outside a
    /// non-empty `providers` is refused.
    pub async fn profiles_for(
        &self,
        caller: &Caller,
        providers: &[Provider],
        ids: &[ProfileId],
    ) -> PostingResult<Vec<ProfileId>> {
        let mut conn = self.pool.get().await?;
        let visible: Vec<ProfileRow> =
            store::profiles::list(&mut conn, &caller.scope).await?.into_iter().map(|(p, _)| p).collect();
        let mut errors = Vec::new();
        let mut chosen: Vec<&ProfileRow> = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            match visible.iter().find(|p| p.id == *id) {
                Some(p) if p.status == ProfileStatus::Active => {
                    if !providers.is_empty() && !providers.contains(&p.provider) {
                        errors.push(FieldError::new(
                            format!("profiles[{i}]"),
                            format!(
                                "is a {} account, and the post does not go to {}",
                                p.provider.display_name(),
                                p.provider.display_name()
                            ),
                        ));
                    } else if !chosen.iter().any(|c| c.id == p.id) {
                        chosen.push(p);
                    }
                }
                _ => errors.push(FieldError::new(format!("profiles[{i}]"), "account not found or inactive")),
            }
        }
        for (i, provider) in providers.iter().enumerate() {
            if chosen.iter().any(|p| p.provider == *provider) {
                continue;
            }
            match default_of(&visible, *provider) {
                Some(p) => chosen.push(p),
                None => errors.push(FieldError::new(
                    format!("platforms[{i}]"),
                    format!(
                        "no default {} account: name one in accountIds, or make one the default",
                        provider.display_name()
                    ),
                )),
            }
        }
        if chosen.is_empty() && errors.is_empty() {
            errors.push(FieldError::new("platforms", "name at least one platform or account"));
        }
        if errors.is_empty() {
            Ok(chosen.iter().map(|p| p.id).collect())
        } else {
            Err(PostingError::Validation(errors))
        }
    }

    /// Makes an active profile its platform's default in the workspace.
    pub async fn set_default_profile(&self, caller: &Caller, id: ProfileId) -> PostingResult<ProfileRow> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        let (p, _) = store::profiles::get(&mut conn, &caller.scope, id).await?.ok_or(PostingError::ProfileNotFound)?;
        if p.status == ProfileStatus::Disconnected {
            return Err(PostingError::Conflict(
                "A disconnected account cannot be the default; reconnect it first.".into(),
            ));
        }
        store::profiles::set_default(&mut conn, &p).await?;
        Ok(p)
    }
}
