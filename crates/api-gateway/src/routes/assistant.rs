//! The assistant over HTTP: captions, hashtags, repurposing and images from the operator's
//! model, fitting text to each platform without one. Every answer has passed the guards
//! (`assistant::guards`): nothing here exceeds a platform's limits. Its own budget per key.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::Provider;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::{
    agency::limits::Budget,
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::small_json,
    views::Envelope,
};

/// The assistant's budget (shared with the agency surface's `/ai/*`).
pub fn spend(state: &AppState, caller: &Caller) -> ApiResult<()> {
    state.agency_limiter.spend(caller.actor.id(), Budget::Ai)
}

/// Reads fields of a JSON object, collecting every problem by its name.
pub struct Fields<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<domain::input::FieldError>,
}

impl<'a> Fields<'a> {
    pub fn of(v: &'a Value, known: &[&str]) -> ApiResult<Self> {
        let body = v.as_object().ok_or_else(|| ApiError::field("", "must be a JSON object"))?;
        let mut errors = Vec::new();
        for k in body.keys().filter(|k| !known.contains(&k.as_str())) {
            errors.push(domain::input::FieldError::new(k, format!("unknown field; allowed: {}", known.join(", "))));
        }
        Ok(Self { body, errors })
    }

    /// A field as sent (for shapes checked elsewhere).
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.body.get(key)
    }

    /// A whole number within `min..=max`, if sent.
    pub fn number(&mut self, key: &str, min: i64, max: i64) -> Option<i64> {
        match self.body.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64().filter(|n| (min..=max).contains(n)) {
                Some(n) => Some(n),
                None => {
                    self.fail(key, format!("must be a whole number from {min} to {max}"));
                    None
                }
            },
        }
    }

    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(domain::input::FieldError::new(field, message));
    }

    pub fn text(&mut self, key: &str, max: usize, required: bool) -> Option<String> {
        match self.body.get(key) {
            None | Some(Value::Null) if required => {
                self.fail(key, "is required");
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() && required => {
                self.fail(key, "must not be empty");
                None
            }
            Some(Value::String(s)) if s.chars().count() > max => {
                self.fail(key, format!("must be at most {max} characters"));
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.fail(key, "must be a string");
                None
            }
        }
    }

    pub fn provider(&mut self, key: &str, default: Provider, parse: fn(&str) -> Option<Provider>) -> Provider {
        match self.body.get(key).and_then(Value::as_str) {
            None => default,
            Some(p) => parse(p).unwrap_or_else(|| {
                self.fail(key, format!("unknown platform `{p}`"));
                default
            }),
        }
    }

    pub fn providers(&mut self, key: &str, parse: fn(&str) -> Option<Provider>) -> Vec<Provider> {
        let Some(Value::Array(items)) = self.body.get(key) else {
            self.fail(key, "is required: an array of platforms");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str().and_then(parse) {
                Some(p) if !out.contains(&p) => out.push(p),
                Some(_) => {}
                None => self.fail(&format!("{key}[{i}]"), "unknown platform"),
            }
        }
        if out.is_empty() && self.errors.is_empty() {
            self.fail(key, "name at least one platform");
        }
        out
    }

    pub fn int(&mut self, key: &str, default: usize, max: usize) -> usize {
        match self.body.get(key) {
            None | Some(Value::Null) => default,
            Some(v) => match v.as_u64().map(|n| n as usize).filter(|n| (1..=max).contains(n)) {
                Some(n) => n,
                None => {
                    self.fail(key, format!("must be an integer from 1 to {max}"));
                    default
                }
            },
        }
    }

    pub fn flag(&mut self, key: &str, default: bool) -> bool {
        match self.body.get(key) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.fail(key, "must be true or false");
                default
            }
        }
    }

    pub fn one_of(&mut self, key: &str, allowed: &[&str], default: &str) -> String {
        match self.body.get(key) {
            None | Some(Value::Null) => default.to_owned(),
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => s.clone(),
            Some(_) => {
                self.fail(key, format!("must be one of {}", allowed.join(", ")));
                default.to_owned()
            }
        }
    }

    pub fn done(self) -> ApiResult<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(self.errors)) }
    }
}

fn native(p: &str) -> Option<Provider> {
    p.parse().ok()
}

#[derive(Serialize, ToSchema)]
pub struct Captions {
    #[schema(value_type = Vec<Object>)]
    pub captions: Vec<assistant::Caption>,
}

#[utoipa::path(
    post, path = "/api/assistant/captions", operation_id = "suggest_captions", tag = "assistant",
    request_body(content = crate::openapi::CaptionsBody),
    responses((status = 200, description = "Captions, each with its hashtags, within the platform's limit", body = Envelope<Captions>), (status = 400, description = "Invalid input, or declined by the model (`content_policy`)", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 502, description = "The model's answer was unusable", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "No model configured (`assistant_not_configured`) or the model server is away", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn captions(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    spend(&state, &caller)?;
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["prompt", "provider", "tone", "count", "hashtags", "emojis"])?;
    let r = assistant::CaptionRequest {
        prompt: f.text("prompt", assistant::MAX_PROMPT_CHARS, true).unwrap_or_default(),
        provider: f.provider("provider", Provider::X, native),
        tone: f.one_of("tone", assistant::TONES, "professional"),
        count: f.int("count", 3, assistant::MAX_CAPTIONS),
        hashtags: f.flag("hashtags", true),
        emojis: f.flag("emojis", false),
    };
    f.done()?;
    let captions = state.assistant.captions(&r).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(Captions { captions })))
}

#[derive(Serialize, ToSchema)]
pub struct Hashtags {
    #[schema(value_type = Vec<Object>)]
    pub hashtags: Vec<assistant::Hashtag>,
}

#[utoipa::path(
    post, path = "/api/assistant/hashtags", operation_id = "suggest_hashtags", tag = "assistant",
    request_body(content = crate::openapi::HashtagsBody),
    responses((status = 200, description = "Hashtags with their relevance, as many as the platform takes", body = Envelope<Hashtags>), (status = 503, description = "No model configured", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn hashtags(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    spend(&state, &caller)?;
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["text", "provider", "count"])?;
    let text = f.text("text", assistant::MAX_TEXT_CHARS, true).unwrap_or_default();
    let provider = f.provider("provider", Provider::X, native);
    let count = f.int("count", 10, assistant::MAX_HASHTAGS);
    f.done()?;
    let hashtags = state.assistant.hashtags(&text, provider, count).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(Hashtags { hashtags })))
}

#[derive(Serialize, ToSchema)]
pub struct Versions {
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<assistant::Version>,
}

#[utoipa::path(
    post, path = "/api/assistant/repurpose", operation_id = "repurpose_text", tag = "assistant",
    request_body(content = crate::openapi::RepurposeBody),
    responses((status = 200, description = "One version per target platform, each within its limits", body = Envelope<Versions>), (status = 503, description = "No model configured", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn repurpose(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    spend(&state, &caller)?;
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["text", "source", "targets", "preserve_tone"])?;
    let text = f.text("text", assistant::MAX_TEXT_CHARS, true).unwrap_or_default();
    let source = f.text("source", 50, false).unwrap_or_else(|| "text".into());
    let targets = f.providers("targets", native);
    let preserve = f.flag("preserve_tone", true);
    f.done()?;
    let versions = state.assistant.repurpose(&text, &source, &targets, preserve).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(Versions { versions })))
}

#[derive(Serialize, ToSchema)]
pub struct FittedTexts {
    #[schema(value_type = Vec<Object>)]
    pub fitted: Vec<assistant::Fitted>,
}

/// Needs no model: the text fitted to each platform, and as a numbered thread where the
/// platform takes threads and one post is not enough.
#[utoipa::path(
    post, path = "/api/assistant/fit", operation_id = "fit_text", tag = "assistant",
    request_body(content = crate::openapi::FitBody),
    responses((status = 200, description = "The text for each platform", body = Envelope<FittedTexts>))
)]
pub async fn fit(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    spend(&state, &caller)?;
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["text", "providers"])?;
    let text = f.text("text", assistant::MAX_TEXT_CHARS, true).unwrap_or_default();
    let providers = f.providers("providers", native);
    f.done()?;
    let fitted = assistant::fit(&text, &providers)?;
    Ok(HttpResponse::Ok().json(Envelope::of(FittedTexts { fitted })))
}

#[derive(Serialize, ToSchema)]
pub struct GeneratedImage {
    pub asset_id: uuid::Uuid,
    /// The owned asset's URL (never the model server's link).
    pub url: String,
    pub content_type: String,
    pub revised_prompt: Option<String>,
}

/// Generates an image and makes it an owned asset of the workspace's library.
pub async fn generate_image(state: &AppState, caller: &Caller, prompt: &str, size: &str) -> ApiResult<GeneratedImage> {
    caller.require_write()?;
    let image = state.assistant.image(prompt, size).await?;
    let ws = caller.scope.workspace_id;
    let asset = match (&image.url, &image.b64) {
        (Some(url), _) => crate::library::import(state, ws, url, Some(prompt), Some("generated.png"), "prompt").await?,
        (None, Some(b64)) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| ApiError::AssistantAnswer("The model's image was not valid base64.".into()))?;
            crate::library::store_bytes(state, ws, bytes, "generated.png", "prompt").await?
        }
        (None, None) => return Err(ApiError::AssistantAnswer("The model returned no image.".into())),
    };
    Ok(GeneratedImage {
        asset_id: asset.id,
        url: format!("{}/media/{}", state.config.public_url.trim_end_matches('/'), asset.id),
        content_type: asset.content_type,
        revised_prompt: image.revised_prompt,
    })
}

#[utoipa::path(
    post, path = "/api/assistant/images", operation_id = "generate_image", tag = "assistant",
    request_body(content = crate::openapi::ImageBody),
    responses((status = 201, description = "The image, an owned asset of the workspace", body = Envelope<GeneratedImage>), (status = 400, description = "Invalid input, or declined (`content_policy`)", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "No image model configured", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn images(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    spend(&state, &caller)?;
    let body = small_json(&req, payload).await?;
    let mut f = Fields::of(&body, &["prompt", "size"])?;
    let prompt = f.text("prompt", assistant::MAX_PROMPT_CHARS, true).unwrap_or_default();
    let size = f.one_of("size", assistant::IMAGE_SIZES, "1024x1024");
    f.done()?;
    let image = generate_image(&state, &caller, &prompt, &size).await?;
    Ok(HttpResponse::Created().json(Envelope::of(image)))
}

#[derive(Serialize, ToSchema)]
pub struct ImageTemplates {
    #[schema(value_type = Vec<Object>)]
    pub data: &'static [assistant::ImageTemplate],
}

#[utoipa::path(
    get, path = "/api/assistant/image-templates", operation_id = "list_image_templates", tag = "assistant",
    responses((status = 200, description = "Image prompt templates with {{placeholders}}", body = ImageTemplates))
)]
pub async fn image_templates(_caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(ImageTemplates { data: assistant::IMAGE_TEMPLATES })
}
