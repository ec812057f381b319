//! The acceptance check: one set of rules for a new post, a draft being published, a
//! scheduled post being edited and a dry run, all read from `domain::platforms`.

use domain::{ProfileId, WorkspaceId};
use std::collections::HashSet;

use domain::{
    ProfileStatus, Provider,
    input::{FieldError, PostPatch},
    platforms::{self, MediaFacts},
};
use serde_json::{Map, Value};
use store::{models::ProfileRow, posts::PostView};
use uuid::Uuid;

use crate::{Caller, PostingError, PostingResult};

/// The selected profiles, in request order: each must be visible to the caller and connected.
/// Those read lately come from `cache` (a change to one is heard at once), the rest are read.
pub(crate) async fn check_profiles(
    conn: &mut store::Conn,
    cache: &crate::ProfileCache,
    caller: &Caller,
    ids: &[ProfileId],
) -> PostingResult<Vec<ProfileRow>> {
    let scope = &caller.scope;
    let generation = cache.generation();
    let (mut found, mut unread) = (Vec::with_capacity(ids.len()), Vec::new());
    for id in ids {
        match cache.get(id) {
            // A disconnected profile is read again: it may have been reconnected here a
            // moment ago (refusing costs nothing to read; a reconnect must not wait).
            Some(p) if p.status == ProfileStatus::Disconnected => unread.push(*id),
            // Kept rows are anyone's: what the key may see is checked as the read checks it.
            Some(p) if p.workspace_id == scope.workspace_id && scope.allows(p.provider.as_str(), p.id) => found.push(p),
            Some(_) => {}
            None => unread.push(*id),
        }
    }
    if !unread.is_empty() {
        for p in store::profiles::find_many(conn, scope, &unread).await? {
            cache.keep(p.id, p.clone(), generation);
            found.push(p);
        }
    }
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        match found.iter().find(|p| p.id == *id) {
            None => errors.push(FieldError::new(format!("profiles[{i}]"), "no such profile for this API key")),
            Some(p) if p.status == ProfileStatus::Disconnected => errors.push(FieldError::new(
                format!("profiles[{i}]"),
                format!("the profile {} is disconnected; reconnect it in the dashboard", quoted(&p.name)),
            )),
            Some(p) => rows.push(p.clone()),
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(PostingError::Validation(errors)) }
}

pub(crate) fn quoted(name: &str) -> String {
    format!("\u{201c}{name}\u{201d}")
}

/// One profile a post goes to, as the check sees it.
#[derive(Debug, Clone)]
pub struct Target {
    pub provider: Provider,
    /// The profile's name, for messages.
    pub name: String,
    /// The profile's `platform_meta`: its `options` fill what the post leaves out.
    pub meta: Value,
}

/// The profiles a post goes to, as targets of the check.
pub(crate) fn targets(profiles: &[ProfileRow]) -> Vec<Target> {
    profiles
        .iter()
        .map(|p| Target { provider: p.provider, name: quoted(&p.name), meta: p.platform_meta.clone() })
        .collect()
}

/// A post checked against the platform of every profile it goes to. Profiles are
/// (provider, display name); media are asset ids in post order.
#[allow(clippy::too_many_arguments)]
pub async fn check_post(
    conn: &mut store::Conn,
    workspace_id: WorkspaceId,
    texts: platforms::Texts<'_>,
    media: &[Uuid],
    thread_media: &[Vec<Uuid>],
    options: &Map<String, Value>,
    profiles: &[Target],
) -> PostingResult<()> {
    let all: Vec<Uuid> = media.iter().chain(thread_media.iter().flatten()).copied().collect();
    let assets = match all.is_empty() {
        true => Vec::new(),
        false => store::media::assets_in_workspace(conn, workspace_id, &all).await?,
    };
    let facts_of = |ids: &[Uuid]| -> Vec<MediaFacts> {
        ids.iter()
            .filter_map(|id| assets.iter().find(|a| a.id == *id))
            .map(|a| MediaFacts {
                content_type: a.content_type.clone(),
                size_bytes: u64::try_from(a.size_bytes).unwrap_or_default(),
                duration_ms: a.duration_ms.and_then(|d| u64::try_from(d).ok()),
            })
            .collect()
    };
    let facts = facts_of(media);
    let part_facts: Vec<Vec<MediaFacts>> = thread_media.iter().map(|ids| facts_of(ids)).collect();
    let mut errors: Vec<FieldError> = Vec::new();
    for Target { provider, name, meta } in profiles {
        let text = texts.for_provider(*provider);
        let options = platforms::with_profile_options(options, *provider, meta);
        let platform = platforms::get(*provider);
        let mut found = platforms::check(&platform, name, text.as_deref(), &facts, &options);
        // A provider's own body is checked as that body, and named so; in a thread the
        // body is its first part.
        let body_field = match (texts.bodies.contains_key(provider), texts.thread.is_empty()) {
            (true, _) => Some(format!("post.bodies.{provider}")),
            (false, false) => Some("post.thread[0]".to_owned()),
            (false, true) => None,
        };
        if let Some(field) = body_field {
            for e in found.iter_mut().filter(|e| e.field == "post.body") {
                e.field = field.clone();
            }
        }
        found.extend(platforms::check_thread(&platform, name, texts.thread, &part_facts));
        errors.extend(found);
    }
    for p in texts.bodies.keys().filter(|p| !profiles.iter().any(|t| t.provider == **p)) {
        errors.push(FieldError::new(
            format!("post.bodies.{p}"),
            format!("no profile of this post is on {}", p.display_name()),
        ));
    }
    // Options for providers no profile goes to: their shape is still checked (a typo is a
    // mistake), but nothing there is required.
    for (key, value) in options {
        let Ok(p) = key.parse::<Provider>() else { continue };
        if profiles.iter().any(|t| t.provider == p) {
            continue;
        }
        errors.extend(
            platforms::check_options(&platforms::get(p), value.as_object())
                .into_iter()
                .filter(|e| !e.message.starts_with("is required")),
        );
    }
    errors.extend(check_covers(conn, workspace_id, options).await?);
    let mut seen = HashSet::new();
    errors.retain(|e| seen.insert((e.field.clone(), e.message.clone())));
    if errors.is_empty() { Ok(()) } else { Err(PostingError::Validation(errors)) }
}

/// Cover assets must be images of this workspace.
async fn check_covers(
    conn: &mut store::Conn,
    workspace_id: WorkspaceId,
    options: &Map<String, Value>,
) -> PostingResult<Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut covers = Vec::new();
    for (key, value) in options {
        if let Some(id) = value.pointer("/cover/asset_id").and_then(Value::as_str) {
            match Uuid::parse_str(id) {
                Ok(uid) => covers.push((key.clone(), uid)),
                Err(_) => errors.push(FieldError::new(
                    format!("provider_options.{key}.cover.asset_id"),
                    "must be an asset id (uuid)",
                )),
            }
        }
    }
    if covers.is_empty() {
        return Ok(errors);
    }
    let ids: Vec<Uuid> = covers.iter().map(|(_, id)| *id).collect();
    let found = store::media::assets_in_workspace(conn, workspace_id, &ids).await?;
    for (key, id) in covers {
        match found.iter().find(|a| a.id == id) {
            None => errors.push(FieldError::new(
                format!("provider_options.{key}.cover.asset_id"),
                "no completed upload with this asset id",
            )),
            Some(a) if !a.content_type.starts_with("image/") => {
                errors.push(FieldError::new(format!("provider_options.{key}.cover"), "a cover must be an image"))
            }
            Some(_) => {}
        }
    }
    Ok(errors)
}

/// The acceptance check run on what a stored post becomes after `patch` (its body, media
/// and options, replaced where the patch gives them) against the platforms of its
/// deliveries: publishing a draft and editing a scheduled post pass the same rules as a
/// new post.
pub(crate) async fn check_edited(
    conn: &mut store::Conn,
    caller: &Caller,
    view: &PostView,
    patch: &PostPatch,
    media: Option<&[Uuid]>,
    thread_media: Option<&[Vec<Uuid>]>,
) -> PostingResult<()> {
    let media: Vec<Uuid> = match media {
        Some(ids) => ids.to_vec(),
        None => view.media.iter().map(|(m, _)| m.asset_id).collect(),
    };
    let ids: Vec<ProfileId> = view.deliveries.iter().map(|(d, _)| d.profile_id).collect();
    let rows = store::profiles::find_many(conn, &caller.scope, &ids).await?;
    let targets: Vec<Target> = view
        .deliveries
        .iter()
        .map(|(d, name)| Target {
            provider: d.provider,
            name: quoted(name),
            meta: rows.iter().find(|p| p.id == d.profile_id).map(|p| p.platform_meta.clone()).unwrap_or_default(),
        })
        .collect();
    let options = match &patch.provider_options {
        Some(o) => o.clone(),
        None => view.post.provider_options.as_object().cloned().unwrap_or_default(),
    };
    let body = match &patch.body {
        Some(b) => b.as_deref(),
        None => view.post.body.as_deref(),
    };
    let stored_bodies = domain::input::PostDetails::bodies_from(&view.post.bodies);
    let bodies = patch.bodies.as_ref().unwrap_or(&stored_bodies);
    let hashtags = patch.hashtags.as_deref().unwrap_or(&view.post.hashtags);
    let stored_thread = domain::input::PostDetails::thread_from(&view.post.thread);
    let thread = patch.thread.as_deref().unwrap_or(&stored_thread);
    let texts = platforms::Texts { body, bodies, hashtags, thread };
    let thread_media: Vec<Vec<Uuid>> = match thread_media {
        Some(parts) => parts.to_vec(),
        None => view
            .media_of_parts(thread.len())
            .iter()
            .map(|part| part.iter().map(|(m, _)| m.asset_id).collect())
            .collect(),
    };
    check_post(conn, caller.scope.workspace_id, texts, &media, &thread_media, &options, &targets).await
}
