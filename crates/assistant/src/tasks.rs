//! The assistant's tasks. Each asks the model for JSON, then passes every piece of the
//! answer through the guards: what leaves here fits its platform.

use domain::Provider;
use domain::platforms;
use serde::Serialize;
use serde_json::{Value, json};

use crate::client::{AssistantError, Client};
use crate::config::Task;
use crate::guards;

pub const TONES: &[&str] = &["professional", "casual", "humorous", "inspirational", "educational", "provocative"];
pub const MAX_CAPTIONS: usize = 5;
pub const MAX_HASHTAGS: usize = 20;
pub const MAX_PROMPT_CHARS: usize = 4_000;
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const IMAGE_SIZES: &[&str] = &["1024x1024", "1024x1536", "1536x1024"];

#[derive(Debug, Clone)]
pub struct CaptionRequest {
    pub prompt: String,
    pub provider: Provider,
    pub tone: String,
    pub count: usize,
    pub hashtags: bool,
    pub emojis: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Caption {
    pub text: String,
    pub hashtags: Vec<String>,
    /// The caption with its hashtags, as the platform counts it.
    pub length: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hashtag {
    pub tag: String,
    pub relevance: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub provider: Provider,
    pub text: String,
    pub hashtags: Vec<String>,
    pub length: usize,
}

/// A text fitted to one platform without a model.
#[derive(Debug, Clone, Serialize)]
pub struct Fitted {
    pub provider: Provider,
    /// The text within the limit (cut when it had to be).
    pub text: String,
    pub shortened: bool,
    /// The whole text as a numbered thread, where the platform takes threads and the
    /// text is longer than one post.
    pub thread: Option<Vec<String>>,
    pub length: usize,
    pub max_characters: usize,
}

fn length(p: Provider, text: &str) -> usize {
    platforms::text_length(platforms::get(p).text_counting, text)
}

fn full(text: &str, tags: &[String]) -> String {
    if tags.is_empty() { text.to_owned() } else { format!("{text}\n\n{}", tags.join(" ")) }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

/// Fits text to each platform and splits it into a thread where one post is not enough;
/// no model involved.
pub fn fit(text: &str, providers: &[Provider]) -> Result<Vec<Fitted>, AssistantError> {
    providers
        .iter()
        .map(|p| {
            let fitted = guards::fit(text, *p, 0)
                .ok_or_else(|| AssistantError::Unfit(format!("no part of the text fits {}", p.display_name())))?;
            let shortened = fitted != text.trim();
            let thread = (shortened && platforms::get(*p).supports_threads)
                .then(|| guards::split_thread(text, *p))
                .filter(|t| !t.is_empty());
            Ok(Fitted {
                provider: *p,
                length: length(*p, &fitted),
                max_characters: platforms::get(*p).max_characters,
                text: fitted,
                shortened,
                thread,
            })
        })
        .collect()
}

impl Client {
    pub async fn captions(&self, r: &CaptionRequest) -> Result<Vec<Caption>, AssistantError> {
        let platform = platforms::get(r.provider);
        let schema = json!({
            "type": "object", "additionalProperties": false, "required": ["captions"],
            "properties": {"captions": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["text", "hashtags"],
                "properties": {"text": {"type": "string"}, "hashtags": {"type": "array", "items": {"type": "string"}}}}}},
        });
        let data = json!({
            "task": "Write social media captions.",
            "topic": r.prompt,
            "platform": platform.name,
            "max_characters": platform.max_characters,
            "tone": r.tone,
            "count": r.count,
            "hashtags": if r.hashtags { platform.max_hashtags } else { 0 },
            "emojis": r.emojis,
        });
        let answer =
            self.json(Task::Caption, "You write social media captions for a brand.", &data, "captions", schema).await?;
        let mut out = Vec::new();
        for c in answer["captions"].as_array().into_iter().flatten().take(r.count) {
            let Some(text) = c["text"].as_str().filter(|t| !t.trim().is_empty()) else { continue };
            let tags =
                if r.hashtags { guards::hashtags(&strings(&c["hashtags"]), r.provider, usize::MAX) } else { vec![] };
            if let Some((text, tags)) = guards::caption(text, &tags, r.provider) {
                out.push(Caption { length: length(r.provider, &full(&text, &tags)), text, hashtags: tags });
            }
        }
        if out.is_empty() {
            return Err(AssistantError::BadAnswer("no usable caption in the answer".into()));
        }
        Ok(out)
    }

    pub async fn hashtags(&self, text: &str, provider: Provider, count: usize) -> Result<Vec<Hashtag>, AssistantError> {
        let schema = json!({
            "type": "object", "additionalProperties": false, "required": ["hashtags"],
            "properties": {"hashtags": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["tag", "relevance"],
                "properties": {"tag": {"type": "string"}, "relevance": {"type": "number"}}}}},
        });
        let data = json!({"task": "Suggest hashtags for this post.", "text": text, "platform": platforms::get(provider).name, "count": count});
        let answer = self.json(Task::Hashtags, "You suggest relevant hashtags.", &data, "hashtags", schema).await?;
        let items: Vec<(String, f64)> = answer["hashtags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| Some((h["tag"].as_str()?.to_owned(), h["relevance"].as_f64().unwrap_or(0.5))))
            .collect();
        let tags: Vec<String> = items.iter().map(|(t, _)| t.clone()).collect();
        let kept = guards::hashtags(&tags, provider, count);
        Ok(kept
            .into_iter()
            .map(|tag| {
                let relevance = items
                    .iter()
                    .find(|(t, _)| domain::input::normalize_hashtag(t).is_some_and(|n| n.eq_ignore_ascii_case(&tag)))
                    .map_or(0.5, |(_, r)| r.clamp(0.0, 1.0));
                Hashtag { tag, relevance }
            })
            .collect())
    }

    /// One version per target platform, each within its limits. A platform the model left
    /// out gets the original text fitted to it.
    pub async fn repurpose(
        &self,
        text: &str,
        source: &str,
        targets: &[Provider],
        preserve_tone: bool,
    ) -> Result<Vec<Version>, AssistantError> {
        let schema = json!({
            "type": "object", "additionalProperties": false, "required": ["versions"],
            "properties": {"versions": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["platform", "text", "hashtags"],
                "properties": {"platform": {"type": "string"}, "text": {"type": "string"}, "hashtags": {"type": "array", "items": {"type": "string"}}}}}},
        });
        let limits: Vec<Value> = targets
            .iter()
            .map(|p| json!({"platform": p.as_str(), "max_characters": platforms::get(*p).max_characters, "max_hashtags": platforms::get(*p).max_hashtags}))
            .collect();
        let data = json!({"task": "Rewrite this content for each platform.", "text": text, "source": source, "targets": limits, "preserve_tone": preserve_tone});
        let answer =
            self.json(Task::Repurpose, "You adapt content to each social platform.", &data, "versions", schema).await?;
        let versions = answer["versions"].as_array().cloned().unwrap_or_default();
        let mut out = Vec::new();
        for p in targets {
            let given = versions.iter().find(|v| v["platform"].as_str() == Some(p.as_str()));
            let (body, tags) = match given.and_then(|v| v["text"].as_str()).filter(|t| !t.trim().is_empty()) {
                Some(t) => (
                    t.to_owned(),
                    guards::hashtags(
                        &strings(&given.map(|v| v["hashtags"].clone()).unwrap_or_default()),
                        *p,
                        usize::MAX,
                    ),
                ),
                None => (text.to_owned(), Vec::new()),
            };
            let (body, tags) = guards::caption(&body, &tags, *p)
                .ok_or_else(|| AssistantError::Unfit(format!("no version fits {}", p.display_name())))?;
            out.push(Version { provider: *p, length: length(*p, &full(&body, &tags)), text: body, hashtags: tags });
        }
        Ok(out)
    }

    /// A new body for a post after a reviewer's feedback, within every target platform's
    /// limit (fitted to the tightest, counted each platform's way).
    pub async fn rewrite(
        &self,
        body: &str,
        feedback: &[String],
        targets: &[Provider],
    ) -> Result<String, AssistantError> {
        let schema = json!({
            "type": "object", "additionalProperties": false, "required": ["text"],
            "properties": {"text": {"type": "string"}},
        });
        let tightest =
            targets.iter().map(|p| platforms::get(*p).max_characters).min().unwrap_or(domain::input::MAX_BODY_CHARS);
        let data = json!({"task": "Rewrite the post so it answers the feedback.", "post": body, "feedback": feedback, "max_characters": tightest});
        let answer =
            self.json(Task::Rewrite, "You revise social media posts after review.", &data, "rewrite", schema).await?;
        let mut text = answer["text"]
            .as_str()
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned)
            .ok_or_else(|| AssistantError::BadAnswer("no text".into()))?;
        for p in targets {
            text = guards::fit(&text, *p, 0)
                .ok_or_else(|| AssistantError::Unfit(format!("the rewrite does not fit {}", p.display_name())))?;
        }
        Ok(text)
    }
}

/// A prompt template for images, with `{{placeholders}}`.
#[derive(Debug, Clone, Serialize)]
pub struct ImageTemplate {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    #[serde(rename = "promptTemplate")]
    pub prompt_template: &'static str,
    #[serde(rename = "suggestedSize")]
    pub suggested_size: &'static str,
    pub category: &'static str,
}

const fn template(
    id: &'static str,
    name: &'static str,
    description: &'static str,
    prompt_template: &'static str,
    suggested_size: &'static str,
    category: &'static str,
) -> ImageTemplate {
    ImageTemplate { id, name, description, prompt_template, suggested_size, category }
}

/// The image templates, one or more per category the seed names.
pub const IMAGE_TEMPLATES: &[ImageTemplate] = &[
    template(
        "product-hero",
        "Product hero",
        "The product on a clean backdrop",
        "A professional photo of {{product}} on a {{background}} background, soft studio light, brand colours {{colours}}",
        "1024x1024",
        "product",
    ),
    template(
        "quote-card",
        "Quote card",
        "A quote set large over a calm texture",
        "A minimal card with the quote \"{{quote}}\" by {{author}}, large serif type, {{colours}} palette",
        "1024x1024",
        "quote",
    ),
    template(
        "event-banner",
        "Event banner",
        "Announce an event with date and place",
        "A banner for {{event}} on {{date}} at {{place}}, bold headline, {{colours}} accents",
        "1536x1024",
        "event",
    ),
    template(
        "blog-cover",
        "Blog cover",
        "A cover image for an article",
        "An editorial illustration for an article titled \"{{title}}\", flat style, {{colours}} palette",
        "1536x1024",
        "blog",
    ),
    template(
        "testimonial",
        "Testimonial",
        "A customer's words with their name",
        "A testimonial card: \"{{quote}}\" — {{customer}}, {{company}}; friendly, clean layout",
        "1024x1024",
        "testimonial",
    ),
    template(
        "promotion",
        "Promotion",
        "A sale or offer",
        "A promotional graphic: {{offer}} on {{product}}, until {{date}}, eye-catching, {{colours}}",
        "1024x1536",
        "promotion",
    ),
    template(
        "comparison",
        "Comparison",
        "Two options side by side",
        "A side-by-side comparison of {{option_a}} and {{option_b}} across {{criteria}}, clear icons",
        "1536x1024",
        "comparison",
    ),
    template(
        "infographic",
        "Infographic",
        "Figures at a glance",
        "A vertical infographic about {{topic}} showing {{figures}}, simple icons, {{colours}}",
        "1024x1536",
        "infographic",
    ),
];
