//! The dry run: everything a create checks, and per delivery the exact requests the
//! provider adapter would send, with nothing stored, fetched or queued.

use chrono::Utc;
use domain::{DeliveryId, ProfileId};
use domain::{
    ProfileStatus,
    input::{FieldError, MediaSource, NewPost},
    platforms,
};
use providers::{Account, MediaItem};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    Caller, Posting, PostingError, PostingResult,
    acceptance::{check_post, check_profiles, quoted, targets},
    provider_request,
};

/// What a create would do: valid, with warnings, and per delivery the provider requests
/// that would be sent (no credentials).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRun {
    pub dry_run: bool,
    pub valid: bool,
    pub deliveries: Vec<DryRunDelivery>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRunDelivery {
    pub profile_id: ProfileId,
    pub provider: String,
    pub profile_name: String,
    /// The HTTP requests the adapter would make for the post, in order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub requests: Vec<Value>,
    /// What follows the post on this profile: a thread's next parts, the first comment.
    pub parts: Vec<DryRunPart>,
}

/// One part after the post, with the requests that would send it (ids of earlier parts
/// shown as `dry-run`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRunPart {
    /// 2 for the part after the post, and so on.
    pub part: usize,
    /// `reply | comment`
    pub kind: String,
    pub text: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub requests: Vec<Value>,
}

impl Posting {
    pub async fn dry_run(&self, caller: &Caller, input: NewPost) -> PostingResult<DryRun> {
        let mut conn = self.pool.get().await?;
        let profiles = check_profiles(&mut conn, &self.profiles, caller, &input.profiles).await?;
        let asset_of =
            |m: &domain::input::MediaInput| if let MediaSource::Asset(id) = m.source { Some(id) } else { None };
        let asset_ids: Vec<Uuid> = input.media.iter().filter_map(asset_of).collect();
        let part_ids: Vec<Vec<Uuid>> =
            input.details.thread_media.iter().map(|p| p.iter().filter_map(asset_of).collect()).collect();
        let every: Vec<Uuid> = asset_ids.iter().chain(part_ids.iter().flatten()).copied().collect();
        let assets = store::media::assets_in_workspace(&mut conn, caller.scope.workspace_id, &every).await?;
        let base = &self.settings.public_url;
        let mut errors = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        let mut known = 0;
        let mut preview_items = |media: &[domain::input::MediaInput], at: &str| -> Vec<MediaItem> {
            let mut items = Vec::new();
            for (i, m) in media.iter().enumerate() {
                match &m.source {
                    MediaSource::Asset(id) => match assets.iter().find(|a| a.id == *id) {
                        Some(a) => {
                            known += 1;
                            items.push(provider_request::media_item(base, a, m.alt.clone()));
                        }
                        None => errors.push(FieldError::new(
                            format!("{at}[{i}].asset_id"),
                            "no completed upload with this asset id",
                        )),
                    },
                    MediaSource::Url(url) => {
                        warnings.push(format!(
                            "{at}[{i}].url is fetched and checked only when the post is created; the preview shows its place with the remote URL"
                        ));
                        items.push(MediaItem {
                            url: url.clone(),
                            content_type: "application/octet-stream".into(),
                            alt: m.alt.clone(),
                            size_bytes: 0,
                        });
                    }
                }
            }
            items
        };
        let items = preview_items(&input.media, "media");
        let part_items: Vec<Vec<MediaItem>> = input
            .details
            .thread_media
            .iter()
            .enumerate()
            .map(|(i, m)| preview_items(m, &format!("post.thread[{}].media", i + 1)))
            .collect();
        let given = input.media.len() + input.details.thread_media.iter().map(Vec::len).sum::<usize>();
        if !errors.is_empty() {
            return Err(PostingError::Validation(errors));
        }
        // With every media item known, the platforms' rules are checked as a create would;
        // else only the options' shape (remote files are not fetched here).
        let texts = domain::platforms::Texts {
            body: input.body.as_deref(),
            bodies: &input.details.bodies,
            hashtags: &input.details.hashtags,
            thread: &input.details.thread,
        };
        if known == given && !input.draft {
            let targets = targets(&profiles);
            let options = &input.provider_options;
            check_post(&mut conn, caller.scope.workspace_id, texts, &asset_ids, &part_ids, options, &targets).await?;
        } else {
            for p in &profiles {
                let options = platforms::with_profile_options(&input.provider_options, p.provider, &p.platform_meta);
                errors.extend(platforms::check_options(
                    &platforms::get(p.provider),
                    options.get(p.provider.as_str()).and_then(Value::as_object),
                ));
                errors.extend(platforms::check_thread(
                    &platforms::get(p.provider),
                    &quoted(&p.name),
                    &input.details.thread,
                    &[],
                ));
            }
            if !errors.is_empty() {
                return Err(PostingError::Validation(errors));
            }
        }
        if input.scheduled_at.is_some_and(|t| t < Utc::now()) {
            warnings.push("post.scheduled_at is in the past: the post would be sent at once".into());
        }
        let mut deliveries = Vec::new();
        for p in &profiles {
            let provider = p.provider;
            if p.status == ProfileStatus::ReauthRequired {
                warnings
                    .push(format!("the profile {} needs to be reconnected; its delivery would fail", quoted(&p.name)));
            }
            let parts = provider_request::Parts {
                delivery_id: DeliveryId::default(),
                provider,
                workspace_id: caller.scope.workspace_id,
                account: Account {
                    external_id: p.external_id.clone(),
                    username: p.username.clone(),
                    access_token: None,
                },
                text: texts.for_provider(provider),
                media: items.clone(),
                all_options: &input.provider_options,
                profile_meta: &p.platform_meta,
                recovery: None,
            };
            let req = provider_request::build(&mut conn, base, parts).await?;
            let preview = async |req: &providers::PublishRequest| {
                self.providers.preview(req).await.map_err(|e| PostingError::field("provider_options", e.to_string()))
            };
            let requests = preview(&req).await?;
            let placeholder = providers::Published::new("dry-run".into(), "https://dry-run.invalid/post".into());
            let mut later = Vec::new();
            let later_parts = provider_request::later_parts(provider, &input.details.thread, &part_items, &req.options);
            for (i, part) in later_parts.iter().enumerate() {
                let index = u16::try_from(i + 1).unwrap_or(u16::MAX);
                let part_req = provider_request::part_request(&req, index, part, &placeholder, &placeholder);
                later.push(DryRunPart {
                    part: i + 2,
                    kind: part.kind.as_str().to_owned(),
                    text: part.text.clone(),
                    requests: preview(&part_req).await?,
                });
            }
            deliveries.push(DryRunDelivery {
                profile_id: p.id,
                provider: p.provider.as_str().to_owned(),
                profile_name: p.name.clone(),
                requests,
                parts: later,
            });
        }
        Ok(DryRun { dry_run: true, valid: true, deliveries, warnings })
    }
}
