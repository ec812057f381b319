//! `POST /api/posts` as multipart/form-data, with the seed's field names:
//! `post[body]`, `post[scheduled_at]`, `post[draft]`, `profiles[]`,
//! `provider_options[provider][field]`, `media[n][file|url|asset_id|alt]` and
//! `provider_options[youtube|instagram|pinterest][cover][file|url|asset_id]`.
//! Files are streamed to staging and made assets by media-ingest; the form then becomes
//! the same JSON body the JSON path validates, with each file replaced by its asset id.

use std::collections::BTreeMap;
use std::time::Duration;

use actix_multipart::Multipart;
use domain::input::FieldError;
use domain::messages::{MediaCommandV1, MediaReplyV1};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{app::AppState, auth::Caller, error::ApiError};

const MAX_TEXT_BYTES: usize = 1024 * 1024;
/// Every media slot and every cover: the most files one post can use.
const MAX_FILES: usize = domain::input::MAX_MEDIA + COVER_PROVIDERS.len();
const COVER_PROVIDERS: &[&str] = &["youtube", "instagram", "pinterest"];

/// `a[b][c]` → ["a", "b", "c"]; `profiles[]` → ["profiles", ""].
fn segments(name: &str) -> Option<Vec<String>> {
    let (head, mut rest) = match name.find('[') {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    };
    let mut out = vec![head.to_owned()];
    while !rest.is_empty() {
        let close = rest.find(']')?;
        if !rest.starts_with('[') {
            return None;
        }
        out.push(rest[1..close].to_owned());
        rest = &rest[close + 1..];
    }
    Some(out)
}

#[derive(PartialEq, Eq)]
enum Slot {
    Media(usize),
    Cover(String),
}

struct Staged {
    id: Uuid,
    slot: Slot,
    field: String,
}

#[derive(Default)]
struct Form {
    post: Map<String, Value>,
    profiles: Vec<Value>,
    media: BTreeMap<usize, Map<String, Value>>,
    options: BTreeMap<String, Map<String, Value>>,
    covers: BTreeMap<String, Map<String, Value>>,
    files: Vec<Staged>,
    errors: Vec<FieldError>,
}

impl Form {
    fn text(&mut self, name: &str, path: &[String], value: String) {
        let seg: Vec<&str> = path.iter().map(String::as_str).collect();
        match seg.as_slice() {
            ["post", key @ ("body" | "scheduled_at")] => {
                self.post.insert((*key).to_owned(), Value::String(value));
            }
            // The whole thread, first part first (as `post.thread` in JSON).
            ["post", "thread", _] => {
                let parts = self.post.entry("thread").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(parts) = parts {
                    parts.push(Value::String(value));
                }
            }
            ["post", "draft"] => {
                let v = match value.as_str() {
                    "true" | "1" | "on" => Value::Bool(true),
                    "false" | "0" | "" => Value::Bool(false),
                    _ => Value::String(value),
                };
                self.post.insert("draft".into(), v);
            }
            ["profiles"] | ["profiles", _] => self.profiles.push(Value::String(value)),
            ["media", n, key @ ("url" | "asset_id" | "alt")] => match n.parse::<usize>() {
                Ok(i) if i < domain::input::MAX_MEDIA => {
                    self.media.entry(i).or_default().insert((*key).to_owned(), Value::String(value));
                }
                _ => self.fail(name, "media items are numbered 0 to 19"),
            },
            ["provider_options", provider, "cover", key @ ("url" | "asset_id")] => {
                self.covers.entry((*provider).to_owned()).or_default().insert((*key).to_owned(), Value::String(value));
            }
            ["provider_options", provider, field] => {
                self.options
                    .entry((*provider).to_owned())
                    .or_default()
                    .insert((*field).to_owned(), Value::String(value));
            }
            _ => self.fail(name, "unknown form field"),
        }
    }

    fn fail(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError::new(field, message));
    }
}

/// Reads the whole form, staging every file. Assets made for it are added to `staged`.
/// Text fields named in `extras` (the dashboard's own, such as its CSRF token) are handed
/// back beside the body instead of being refused as unknown.
pub async fn read(
    state: &AppState,
    caller: &Caller,
    mut form_data: Multipart,
    staged: &mut posting::Staged,
    extras: &[&str],
) -> Result<(Value, BTreeMap<String, String>), ApiError> {
    let mut form = Form::default();
    let mut extra_values = BTreeMap::new();
    let mut text_bytes = 0usize;
    let result: Result<(), ApiError> = async {
        while let Some(field) = form_data.next().await {
            let mut field = field.map_err(|e| ApiError::field("", format!("the form could not be read: {e}")))?;
            let name = field.name().unwrap_or("").to_owned();
            let filename = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
            // A browser sends an empty file input as a part with no file name: nothing chosen.
            if filename.as_deref() == Some("") {
                while let Some(chunk) = field.next().await {
                    chunk.map_err(|e| ApiError::field(&name, format!("could not be read: {e}")))?;
                }
                continue;
            }
            let is_file = filename.is_some();
            let Some(path) = segments(&name) else {
                form.fail(&name, "is not a valid field name");
                continue;
            };
            let seg: Vec<&str> = path.iter().map(String::as_str).collect();
            let slot = match (is_file, seg.as_slice()) {
                (true, ["media", n, "file"]) => match n.parse::<usize>() {
                    Ok(i) if i < domain::input::MAX_MEDIA => Some(Slot::Media(i)),
                    _ => None,
                },
                (true, ["provider_options", p, "cover", "file"]) if COVER_PROVIDERS.contains(p) => {
                    Some(Slot::Cover((*p).to_owned()))
                }
                (true, _) => None,
                (false, _) => {
                    let mut value = Vec::new();
                    while let Some(chunk) = field.next().await {
                        let chunk = chunk.map_err(|e| ApiError::field(&name, format!("could not be read: {e}")))?;
                        text_bytes += chunk.len();
                        if text_bytes > MAX_TEXT_BYTES {
                            return Err(ApiError::PayloadTooLarge(format!(
                                "The form's text fields exceed {MAX_TEXT_BYTES} bytes."
                            )));
                        }
                        value.extend_from_slice(&chunk);
                    }
                    match String::from_utf8(value) {
                        Ok(v) if extras.contains(&name.as_str()) => {
                            extra_values.insert(name, v);
                        }
                        Ok(v) => form.text(&name, &path, v),
                        Err(_) => form.fail(&name, "must be UTF-8 text"),
                    }
                    continue;
                }
            };
            let Some(slot) = slot else {
                form.fail(
                    &name,
                    "files go in media[n][file] or provider_options[youtube|instagram|pinterest][cover][file]",
                );
                continue;
            };
            // Refused before a byte is staged: a form cannot make us store more files than a
            // post can carry, nor two files for one place.
            if form.files.iter().any(|f| f.slot == slot) {
                return Err(ApiError::field(&name, "was given twice; one file per place"));
            }
            if form.files.len() >= MAX_FILES {
                return Err(ApiError::field(
                    "media",
                    format!(
                        "a post carries at most {} files and {} covers",
                        domain::input::MAX_MEDIA,
                        COVER_PROVIDERS.len()
                    ),
                ));
            }
            let id = Uuid::now_v7();
            let key = storage::staging_key(&id.to_string());
            state
                .storage
                .write_stream(&key, field.map(|c| c.map_err(|e| e.to_string())), state.config.max_upload_bytes)
                .await?;
            if let Slot::Media(i) = slot {
                form.media.entry(i).or_default().insert("file".into(), Value::Bool(true));
            }
            form.files.push(Staged { id, slot, field: name.replace("][", ".").replace('[', ".").replace(']', "") });
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        discard_staged(state, &form.files).await;
        return Err(e);
    }
    let ambiguous: Vec<usize> = form
        .media
        .iter()
        .filter(|(_, m)| ["file", "url", "asset_id"].iter().filter(|k| m.contains_key(**k)).count() != 1)
        .map(|(i, _)| *i)
        .collect();
    for i in ambiguous {
        form.fail(&format!("media[{i}]"), "give exactly one of file, url or asset_id");
    }
    if !form.errors.is_empty() {
        discard_staged(state, &form.files).await;
        return Err(ApiError::Validation(form.errors));
    }
    // Every file becomes an asset (or the reason it cannot), before anything else is written.
    let timeout = Duration::from_millis(state.config.ingest_timeout_ms);
    let mut errors = Vec::new();
    for f in &form.files {
        let cmd =
            MediaCommandV1::IngestStaged { workspace_id: caller.scope.workspace_id, staged_id: f.id, filename: None };
        match state.rpc.call::<_, MediaReplyV1>(&state.names.media_rpc(), &cmd, timeout).await {
            Ok(MediaReplyV1::Ingested { asset_id, .. }) => {
                staged.push(asset_id);
                let target = match &f.slot {
                    Slot::Media(i) => form.media.entry(*i).or_default(),
                    Slot::Cover(p) => form.covers.entry(p.clone()).or_default(),
                };
                target.remove("file");
                target.insert("asset_id".into(), Value::String(asset_id.to_string()));
            }
            Ok(MediaReplyV1::Refused { message }) | Ok(MediaReplyV1::NotReady { detail: message }) => {
                errors.push(FieldError::new(&f.field, message))
            }
            Ok(MediaReplyV1::Done) => errors.push(FieldError::new(&f.field, "was not ingested")),
            Err(e) => {
                discard_staged(state, &form.files).await;
                return Err(e.into());
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut body = Map::new();
    body.insert("post".into(), Value::Object(form.post));
    if !form.profiles.is_empty() {
        body.insert("profiles".into(), Value::Array(form.profiles));
    }
    if !form.media.is_empty() {
        body.insert("media".into(), Value::Array(form.media.into_values().map(Value::Object).collect()));
    }
    for (provider, cover) in form.covers {
        form.options.entry(provider).or_default().insert("cover".into(), Value::Object(cover));
    }
    if !form.options.is_empty() {
        let options = form.options.into_iter().map(|(p, o)| (p, Value::Object(o))).collect();
        body.insert("provider_options".into(), Value::Object(options));
    }
    Ok((Value::Object(body), extra_values))
}

async fn discard_staged(state: &AppState, files: &[Staged]) {
    for f in files {
        let _ = state.storage.delete(&storage::staging_key(&f.id.to_string())).await;
    }
}

pub fn is_multipart(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::segments;

    #[test]
    fn bracketed_names_split_into_paths() {
        assert_eq!(segments("post[body]").unwrap(), vec!["post", "body"]);
        assert_eq!(segments("profiles[]").unwrap(), vec!["profiles", ""]);
        assert_eq!(
            segments("provider_options[youtube][cover][file]").unwrap(),
            vec!["provider_options", "youtube", "cover", "file"]
        );
        assert_eq!(segments("media[3][alt]").unwrap(), vec!["media", "3", "alt"]);
        assert!(segments("media[3").is_none());
        assert!(segments("media[3]x").is_none());
    }
}
