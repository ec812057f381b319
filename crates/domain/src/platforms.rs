//! The platform catalogue: one source for `GET /api/platforms` and for the checks a post
//! passes at acceptance (text length as each platform counts it, media count, kinds and
//! types, provider options).

use serde::Serialize;
use serde_json::{Map, Value};
use unicode_segmentation::UnicodeSegmentation;

use crate::Provider;
use crate::input::FieldError;
use crate::media::MediaKind;

/// How a platform counts the length of a post's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TextCounting {
    /// Unicode scalar values.
    Characters,
    /// User-perceived characters (Bluesky).
    Graphemes,
    /// X's weighted count: URLs count 23, most CJK and emoji count 2.
    XWeighted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OptionKind {
    Text {
        max_length: usize,
    },
    Choice {
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
        values: &'static [&'static str],
    },
    Flag,
    Url,
    /// `{"asset_id": …}` (or a file / URL in multipart, made an asset first).
    Asset,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OptionSpec {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub name: &'static str,
    #[serde(flatten)]
    pub kind: OptionKind,
    pub required: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub description: &'static str,
}

/// What PostMantis does on a platform in this build: each `true` is wired end to end
/// (an adapter implements it and provider-sim serves it), so a request for a `false` one is
/// refused at acceptance naming it. The same table drives acceptance, the dry run, the
/// dashboard and `GET /api/platforms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Capabilities {
    /// A post of several parts, each a reply to the one before (`post.thread`).
    pub threads: bool,
    /// A comment posted on the post right after it (`provider_options.<provider>.first_comment`).
    pub first_comment: bool,
    /// Several media items shown as one swipeable post.
    pub carousel: bool,
    /// Changing a published post in place.
    pub edit: bool,
    /// Removing a published post from the platform.
    pub delete: bool,
    /// Answering a comment or message from the inbox.
    pub reply: bool,
    /// Reading a published post's figures.
    pub metrics: bool,
    pub inbox: InboxCapabilities,
}

/// What the engagement inbox reads from a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxCapabilities {
    pub comments: bool,
    pub mentions: bool,
    pub messages: bool,
}

/// Platforms that take a first comment, and the longest comment each takes.
const FIRST_COMMENT: &[(Provider, usize)] = &[
    (Provider::Linkedin, 1250),
    (Provider::Facebook, 8000),
    (Provider::Instagram, 2200),
    (Provider::Youtube, 10_000),
    (Provider::Reddit, 10_000),
];

/// Platforms whose audience the inbox reads (comments, mentions, messages), each of
/// whose items with words can be answered from it (`reply`).
const INBOX: &[(Provider, InboxCapabilities)] = &[
    (Provider::X, InboxCapabilities { comments: true, mentions: true, messages: true }),
    (Provider::Mastodon, InboxCapabilities { comments: true, mentions: true, messages: true }),
    (Provider::Bluesky, InboxCapabilities { comments: true, mentions: true, messages: false }),
    (Provider::Facebook, InboxCapabilities { comments: true, mentions: false, messages: false }),
    (Provider::Instagram, InboxCapabilities { comments: true, mentions: false, messages: false }),
];

const fn first_comment(max_length: usize) -> OptionSpec {
    opt(
        "first_comment",
        OptionKind::Text { max_length },
        false,
        "A comment posted on the post right after it is published",
    )
}

/// One platform's limits and `provider_options`, as acceptance enforces them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Platform {
    /// The provider id (`x`, `linkedin`, …).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub platform: Provider,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub name: &'static str,
    pub max_characters: usize,
    pub text_counting: TextCounting,
    /// The text may be empty when media carry the post.
    pub requires_text: bool,
    pub max_media_items: usize,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub supported_media_types: &'static [&'static str],
    pub requires_media: bool,
    pub requires_video: bool,
    /// A video may not share a post with other media.
    pub video_alone: bool,
    pub max_video_duration_s: Option<u64>,
    pub max_image_bytes: u64,
    pub max_video_bytes: u64,
    pub supports_threads: bool,
    pub supports_hashtags: bool,
    /// The most hashtags the assistant suggests (the platform's own cap where it has one:
    /// Instagram 30, Threads 1); 0 where hashtags are not used.
    pub max_hashtags: usize,
    pub supports_carousel: bool,
    /// The most parts a thread may have (first part included); 0 without threads.
    pub max_thread_parts: usize,
    pub capabilities: Capabilities,
    /// Wired for publishing in this deployment.
    pub active: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<OptionSpec>))]
    pub options: &'static [OptionSpec],
}

const IMAGES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];
const IMAGES_VIDEO: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime"];
const MB: u64 = 1024 * 1024;

const fn opt(name: &'static str, kind: OptionKind, required: bool, description: &'static str) -> OptionSpec {
    OptionSpec { name, kind, required, description }
}

const X_OPTIONS: &[OptionSpec] = &[opt(
    "reply_settings",
    OptionKind::Choice { values: &["following", "mentionedUsers", "subscribers", "verified"] },
    false,
    "Who may reply; everyone when omitted",
)];
const LINKEDIN_OPTIONS: &[OptionSpec] = &[
    opt(
        "visibility",
        OptionKind::Choice { values: &["PUBLIC", "CONNECTIONS"] },
        false,
        "Audience of the post; PUBLIC when omitted",
    ),
    first_comment(1250),
];
const YOUTUBE_OPTIONS: &[OptionSpec] = &[
    opt("title", OptionKind::Text { max_length: 100 }, true, "Video title"),
    opt(
        "privacy_status",
        OptionKind::Choice { values: &["public", "unlisted", "private"] },
        false,
        "public when omitted",
    ),
    opt("made_for_kids", OptionKind::Flag, false, "Self-declared made-for-kids status"),
    opt("cover", OptionKind::Asset, false, "Custom thumbnail (an image asset)"),
    first_comment(10_000),
];
const INSTAGRAM_OPTIONS: &[OptionSpec] =
    &[opt("cover", OptionKind::Asset, false, "Cover image for video posts"), first_comment(2200)];
const TIKTOK_OPTIONS: &[OptionSpec] = &[
    opt("format", OptionKind::Choice { values: &["video"] }, false, "Only video posts are supported"),
    opt(
        "privacy_status",
        OptionKind::Choice {
            values: &["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"],
        },
        false,
        "PUBLIC_TO_EVERYONE when omitted",
    ),
    opt("disable_comment", OptionKind::Flag, false, "Turn comments off"),
];
const FACEBOOK_OPTIONS: &[OptionSpec] = &[
    opt("format", OptionKind::Choice { values: &["post"] }, false, "Feed posts only; omit or \"post\""),
    first_comment(8000),
];
const THREADS_OPTIONS: &[OptionSpec] = &[opt(
    "reply_control",
    OptionKind::Choice { values: &["everyone", "accounts_you_follow", "mentioned_only"] },
    false,
    "Who may reply; everyone when omitted",
)];
const PINTEREST_OPTIONS: &[OptionSpec] = &[
    opt("board_id", OptionKind::Text { max_length: 64 }, true, "The board the pin goes to"),
    opt("title", OptionKind::Text { max_length: 100 }, false, "Pin title"),
    opt("link", OptionKind::Url, false, "Where the pin leads"),
    opt("cover", OptionKind::Asset, false, "Cover image for video pins"),
];
const MASTODON_OPTIONS: &[OptionSpec] = &[
    opt(
        "visibility",
        OptionKind::Choice { values: &["public", "unlisted", "private", "direct"] },
        false,
        "public when omitted",
    ),
    opt("spoiler_text", OptionKind::Text { max_length: 500 }, false, "Content warning shown before the post"),
    opt("sensitive", OptionKind::Flag, false, "Mark the media sensitive"),
];
const DRIBBBLE_OPTIONS: &[OptionSpec] = &[
    opt("title", OptionKind::Text { max_length: 100 }, true, "Shot title"),
    opt("tags", OptionKind::Text { max_length: 200 }, false, "Comma-separated tags, at most 12"),
    opt("low_profile", OptionKind::Flag, false, "Keep the shot off the popular pages"),
];
const REDDIT_OPTIONS: &[OptionSpec] = &[
    opt("subreddit", OptionKind::Text { max_length: 21 }, true, "Subreddit name, without r/"),
    opt("title", OptionKind::Text { max_length: 300 }, true, "Submission title"),
    opt("flair_id", OptionKind::Text { max_length: 64 }, false, "Link flair template id"),
    opt("nsfw", OptionKind::Flag, false, "Mark NSFW"),
    opt("spoiler", OptionKind::Flag, false, "Mark as spoiler"),
    first_comment(10_000),
];

#[allow(clippy::too_many_arguments)]
const fn platform(
    platform: Provider,
    name: &'static str,
    max_characters: usize,
    text_counting: TextCounting,
    max_media_items: usize,
    supported_media_types: &'static [&'static str],
    requires_media: bool,
    requires_video: bool,
    options: &'static [OptionSpec],
) -> Platform {
    Platform {
        platform,
        name,
        max_characters,
        text_counting,
        requires_text: false,
        max_media_items,
        supported_media_types,
        requires_media,
        requires_video,
        video_alone: true,
        max_video_duration_s: None,
        max_image_bytes: 8 * MB,
        max_video_bytes: 1024 * MB,
        supports_threads: false,
        supports_hashtags: true,
        max_hashtags: 10,
        supports_carousel: false,
        max_thread_parts: 0,
        capabilities: Capabilities {
            threads: false,
            first_comment: false,
            carousel: false,
            edit: false,
            delete: false,
            reply: false,
            metrics: false,
            inbox: InboxCapabilities { comments: false, mentions: false, messages: false },
        },
        active: true,
        options,
    }
}

/// The catalogue, one entry per provider in `Provider::ALL` order.
pub fn catalogue() -> Vec<Platform> {
    let mut all = entries();
    for p in &mut all {
        p.capabilities.threads = p.supports_threads;
        p.capabilities.carousel = p.supports_carousel;
        p.capabilities.first_comment = FIRST_COMMENT.iter().any(|(q, _)| *q == p.platform);
        // Every platform's figures are read and kept by the collector.
        p.capabilities.metrics = true;
        if let Some((_, inbox)) = INBOX.iter().find(|(q, _)| *q == p.platform) {
            p.capabilities.inbox = *inbox;
            p.capabilities.reply = true;
        }
    }
    all
}

fn entries() -> Vec<Platform> {
    use Provider::*;
    use TextCounting::*;
    vec![
        Platform {
            supports_threads: true,
            max_thread_parts: 25,
            max_image_bytes: 5 * MB,
            max_video_bytes: 512 * MB,
            max_video_duration_s: Some(140),
            max_hashtags: 2,
            ..platform(X, "X", 280, XWeighted, 4, IMAGES_VIDEO, false, false, X_OPTIONS)
        },
        Platform {
            max_video_bytes: 500 * MB,
            max_hashtags: 5,
            ..platform(Linkedin, "LinkedIn", 3000, Characters, 20, IMAGES_VIDEO, false, false, LINKEDIN_OPTIONS)
        },
        Platform {
            max_video_bytes: 1024 * MB,
            supports_hashtags: true,
            max_hashtags: 15,
            ..platform(
                Youtube,
                "YouTube",
                5000,
                Characters,
                1,
                &["video/mp4", "video/quicktime"],
                true,
                true,
                YOUTUBE_OPTIONS,
            )
        },
        // Feed image posts only: exactly one JPEG (the seed's current support).
        Platform {
            max_hashtags: 30,
            ..platform(Instagram, "Instagram", 2200, Characters, 1, &["image/jpeg"], true, false, INSTAGRAM_OPTIONS)
        },
        Platform {
            max_video_duration_s: Some(600),
            ..platform(
                Tiktok,
                "TikTok",
                2200,
                Characters,
                1,
                &["video/mp4", "video/quicktime"],
                true,
                true,
                TIKTOK_OPTIONS,
            )
        },
        // Feed posts: text alone, or with at most one image.
        platform(Facebook, "Facebook", 63_206, Characters, 1, IMAGES, false, false, FACEBOOK_OPTIONS),
        // Carousels mix images and videos.
        Platform {
            supports_carousel: true,
            supports_threads: true,
            max_thread_parts: 20,
            video_alone: false,
            max_video_duration_s: Some(300),
            max_hashtags: 1,
            ..platform(Threads, "Threads", 500, Characters, 20, IMAGES_VIDEO, false, false, THREADS_OPTIONS)
        },
        Platform {
            supports_hashtags: false,
            max_hashtags: 0,
            ..platform(Pinterest, "Pinterest", 500, Characters, 1, IMAGES_VIDEO, true, false, PINTEREST_OPTIONS)
        },
        Platform {
            max_image_bytes: MB,
            max_video_bytes: 50 * MB,
            max_video_duration_s: Some(180),
            supports_threads: true,
            max_thread_parts: 25,
            max_hashtags: 5,
            ..platform(Bluesky, "Bluesky", 300, Graphemes, 4, IMAGES_VIDEO, false, false, &[])
        },
        Platform {
            max_image_bytes: 16 * MB,
            max_video_bytes: 99 * MB,
            supports_threads: true,
            max_thread_parts: 25,
            ..platform(Mastodon, "Mastodon", 500, Characters, 4, IMAGES_VIDEO, false, false, MASTODON_OPTIONS)
        },
        Platform {
            max_video_bytes: MB * 1024,
            supports_hashtags: false,
            max_hashtags: 0,
            ..platform(Reddit, "Reddit", 40_000, Characters, 1, IMAGES_VIDEO, false, false, REDDIT_OPTIONS)
        },
        // Shots: exactly one image (JPEG, PNG or GIF, up to 8 MB) and a title; the text is
        // the shot's description.
        Platform {
            supports_hashtags: false,
            max_hashtags: 0,
            ..platform(
                Dribbble,
                "Dribbble",
                2000,
                Characters,
                1,
                &["image/jpeg", "image/png", "image/gif"],
                true,
                false,
                DRIBBBLE_OPTIONS,
            )
        },
    ]
}

pub fn get(p: Provider) -> Platform {
    catalogue()
        .into_iter()
        .find(|x| x.platform == p)
        .unwrap_or_else(|| platform(p, "", 0, TextCounting::Characters, 0, &[], false, false, &[]))
}

/// A post's options for one profile: its own `provider_options`, with what the profile
/// supplies (`platform_meta.options`, e.g. the Pinterest board a board account is) for
/// the keys the post leaves out.
pub fn with_profile_options(
    options: &Map<String, Value>,
    provider: Provider,
    profile_meta: &Value,
) -> Map<String, Value> {
    let mut out = options.clone();
    if let Some(defaults) = profile_meta.get("options").and_then(Value::as_object).filter(|d| !d.is_empty()) {
        let own = out.entry(provider.as_str().to_owned()).or_insert_with(|| Value::Object(Map::new()));
        if let Some(own) = own.as_object_mut() {
            for (k, v) in defaults {
                own.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    out
}

/// What a post says, before it is fitted to each provider.
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a> {
    pub body: Option<&'a str>,
    pub bodies: &'a std::collections::BTreeMap<Provider, String>,
    pub hashtags: &'a [String],
    /// A thread's parts after the body (sent as written: no hashtags, no per-provider text).
    pub thread: &'a [String],
}

impl Texts<'_> {
    /// The text one provider receives: its own body when the post has one for it, else
    /// the post's body; then, where the platform takes hashtags, those not already in the
    /// text, on a line of their own.
    pub fn for_provider(&self, p: Provider) -> Option<String> {
        let base = self.bodies.get(&p).map(String::as_str).or(self.body);
        let lower = base.unwrap_or("").to_lowercase();
        let extra: Vec<&str> = if get(p).supports_hashtags {
            self.hashtags
                .iter()
                .filter(|t| {
                    let t = t.to_lowercase();
                    !lower.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '#')).any(|w| w == t)
                })
                .map(String::as_str)
                .collect()
        } else {
            Vec::new()
        };
        match (base, extra.is_empty()) {
            (base, true) => base.map(str::to_owned),
            (None, false) => Some(extra.join(" ")),
            (Some(b), false) => Some(format!("{}\n\n{}", b.trim_end(), extra.join(" "))),
        }
    }
}

/// X's weighted length: each URL counts 23; code points in the Latin and general
/// punctuation ranges count 1, everything else (CJK, emoji…) counts 2.
pub fn x_weighted_length(text: &str) -> usize {
    let mut total = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end();
        if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
            total += 23 + (word.len() - trimmed.len());
            continue;
        }
        for c in word.chars() {
            let cp = c as u32;
            let light =
                cp <= 4351 || (8192..=8205).contains(&cp) || (8208..=8223).contains(&cp) || (8242..=8247).contains(&cp);
            total += if light { 1 } else { 2 };
        }
    }
    total
}

pub fn text_length(counting: TextCounting, text: &str) -> usize {
    match counting {
        TextCounting::Characters => text.chars().count(),
        TextCounting::Graphemes => text.graphemes(true).count(),
        TextCounting::XWeighted => x_weighted_length(text),
    }
}

/// What acceptance knows about one attached media item (from its inspection).
#[derive(Debug, Clone)]
pub struct MediaFacts {
    pub content_type: String,
    pub size_bytes: u64,
    pub duration_ms: Option<u64>,
}

/// Checks the post against one profile's platform. `who` names the profile in messages.
pub fn check(
    p: &Platform,
    who: &str,
    body: Option<&str>,
    media: &[MediaFacts],
    options: &Map<String, Value>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name = p.name;
    let text = body.unwrap_or("");
    let len = text_length(p.text_counting, text);
    if len > p.max_characters {
        errors.push(FieldError::new(
            "post.body",
            format!("{name} ({who}) takes at most {} {}; this text has {len}", p.max_characters, unit(p)),
        ));
    }
    if p.requires_text && text.trim().is_empty() {
        errors.push(FieldError::new("post.body", format!("{name} ({who}) needs text")));
    }
    if p.requires_media && media.is_empty() {
        let what = if p.requires_video { "a video" } else { "an image or video" };
        errors.push(FieldError::new("media", format!("{name} ({who}) needs {what}")));
    }
    errors.extend(check_media(p, who, media, "media"));
    let own = options.get(p.platform.as_str()).and_then(Value::as_object);
    errors.extend(check_options(p, own));
    errors
}

/// A list of media at `at` (`media`, `post.thread[2].media`) against one platform: how
/// many, which kinds together, each one's type, size and length.
pub fn check_media(p: &Platform, who: &str, media: &[MediaFacts], at: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name = p.name;
    if media.len() > p.max_media_items {
        errors.push(FieldError::new(
            at,
            format!("{name} ({who}) takes at most {} media items; this post has {}", p.max_media_items, media.len()),
        ));
    }
    let videos = media.iter().filter(|m| MediaKind::of(&m.content_type) == Some(MediaKind::Video)).count();
    if p.video_alone && videos > 0 && media.len() > 1 && !p.requires_video {
        errors.push(FieldError::new(at, format!("{name} ({who}) takes a video only on its own")));
    }
    for (i, m) in media.iter().enumerate() {
        let field = format!("{at}[{i}]");
        if !p.supported_media_types.contains(&m.content_type.as_str()) {
            errors.push(FieldError::new(
                &field,
                format!(
                    "{name} ({who}) does not take {}; it takes {}",
                    m.content_type,
                    p.supported_media_types.join(", ")
                ),
            ));
            continue;
        }
        let is_video = m.content_type.starts_with("video/");
        let max = if is_video { p.max_video_bytes } else { p.max_image_bytes };
        if m.size_bytes > max {
            errors.push(FieldError::new(
                &field,
                format!(
                    "{name} ({who}) takes files up to {} MB; this one is {:.1} MB",
                    max / MB,
                    m.size_bytes as f64 / MB as f64
                ),
            ));
        }
        if let (Some(limit), Some(d)) = (p.max_video_duration_s, m.duration_ms)
            && d > limit * 1000
        {
            errors.push(FieldError::new(
                &field,
                format!("{name} ({who}) takes videos up to {limit} s; this one is {:.1} s", d as f64 / 1000.0),
            ));
        }
    }
    errors
}

/// A thread's parts after the first (`post.thread[1]` onwards) against one profile's
/// platform: it must have threads, take that many parts, and take each part's text.
pub fn check_thread(p: &Platform, who: &str, parts: &[String], media: &[Vec<MediaFacts>]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if parts.is_empty() {
        return errors;
    }
    let name = p.name;
    if !p.capabilities.threads {
        let with: Vec<&str> = catalogue().iter().filter(|q| q.capabilities.threads).map(|q| q.name).collect();
        errors.push(FieldError::new(
            "post.thread",
            format!("{name} ({who}) has no threads (capabilities.threads is false); threads go to {}", with.join(", ")),
        ));
        return errors;
    }
    let total = parts.len() + 1;
    if total > p.max_thread_parts {
        errors.push(FieldError::new(
            "post.thread",
            format!("{name} ({who}) takes threads of at most {} parts; this one has {total}", p.max_thread_parts),
        ));
    }
    for (i, part) in parts.iter().enumerate() {
        if let Some(m) = media.get(i).filter(|m| !m.is_empty()) {
            errors.extend(check_media(p, who, m, &format!("post.thread[{}].media", i + 1)));
        }
        let len = text_length(p.text_counting, part);
        if len > p.max_characters {
            errors.push(FieldError::new(
                format!("post.thread[{}]", i + 1),
                format!("{name} ({who}) takes at most {} {} per part; this part has {len}", p.max_characters, unit(p)),
            ));
        }
    }
    errors
}

fn unit(p: &Platform) -> &'static str {
    match p.text_counting {
        TextCounting::XWeighted => "weighted characters",
        TextCounting::Graphemes => "graphemes",
        TextCounting::Characters => "characters",
    }
}

/// Unknown fields, wrong types and enum values, missing required ones.
pub fn check_options(p: &Platform, given: Option<&Map<String, Value>>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let prefix = format!("provider_options.{}", p.platform.as_str());
    let empty = Map::new();
    let given = given.unwrap_or(&empty);
    for (k, v) in given {
        let field = format!("{prefix}.{k}");
        let Some(spec) = p.options.iter().find(|o| o.name == k) else {
            if k == "first_comment" {
                let with: Vec<&str> =
                    catalogue().iter().filter(|q| q.capabilities.first_comment).map(|q| q.name).collect();
                errors.push(FieldError::new(
                    field,
                    format!(
                        "{} takes no first comment (capabilities.first_comment is false); first comments go to {}",
                        p.name,
                        with.join(", ")
                    ),
                ));
                continue;
            }
            let known: Vec<&str> = p.options.iter().map(|o| o.name).collect();
            let allowed = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            errors.push(FieldError::new(field, format!("unknown option for {}; allowed: {allowed}", p.name)));
            continue;
        };
        let problem = match (spec.kind, v) {
            (OptionKind::Text { max_length }, Value::String(s))
                if s.trim().is_empty() || s.chars().count() > max_length =>
            {
                Some(format!("must be 1 to {max_length} characters"))
            }
            (OptionKind::Text { .. }, Value::String(_)) => None,
            (OptionKind::Choice { values }, Value::String(s)) if values.contains(&s.as_str()) => None,
            (OptionKind::Choice { values }, _) => Some(format!("must be one of {}", values.join(", "))),
            (OptionKind::Flag, Value::Bool(_)) => None,
            (OptionKind::Flag, Value::String(s)) if s == "true" || s == "false" => None,
            (OptionKind::Url, Value::String(s)) if s.starts_with("https://") || s.starts_with("http://") => None,
            (OptionKind::Url, _) => Some("must be an http(s) URL".into()),
            (OptionKind::Asset, Value::Object(o))
                if o.get("asset_id").and_then(Value::as_str).is_some() && o.len() == 1 =>
            {
                None
            }
            (OptionKind::Asset, _) => {
                Some("must be {\"asset_id\": …} of a completed upload (multipart may send a file)".into())
            }
            (OptionKind::Text { .. }, _) => Some("must be a string".into()),
            (OptionKind::Flag, _) => Some("must be true or false".into()),
        };
        if let Some(message) = problem {
            errors.push(FieldError::new(field, message));
        }
    }
    for spec in p.options.iter().filter(|o| o.required && !given.contains_key(o.name)) {
        errors.push(FieldError::new(format!("{prefix}.{}", spec.name), format!("is required for {}", p.name)));
    }
    errors
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts(ct: &str, size: u64, duration_ms: Option<u64>) -> MediaFacts {
        MediaFacts { content_type: ct.into(), size_bytes: size, duration_ms }
    }

    fn fields(e: &[FieldError]) -> Vec<&str> {
        e.iter().map(|e| e.field.as_str()).collect()
    }

    /// The README's option table is written by hand; it must name every option.
    #[test]
    fn the_readme_lists_every_provider_and_option() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
        let section = readme.split("## Platforms and provider options").nth(1).unwrap().split("\n## ").next().unwrap();
        for p in catalogue() {
            let row = section
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", p.platform.as_str())))
                .unwrap_or_else(|| panic!("no row for {}", p.platform));
            for o in p.options {
                assert!(
                    row.contains(&format!("`{}`", o.name)),
                    "README row for {} lacks option {}",
                    p.platform,
                    o.name
                );
            }
            assert!(row.contains(&p.max_characters.to_string()), "README row for {} lacks its limit", p.platform);
        }
    }

    #[test]
    fn every_provider_has_one_entry_in_order() {
        let c = catalogue();
        assert_eq!(c.iter().map(|p| p.platform).collect::<Vec<_>>(), Provider::ALL.to_vec());
        assert!(c.iter().all(|p| p.max_characters > 0 && p.max_media_items > 0 && !p.name.is_empty()));
    }

    #[test]
    fn each_provider_gets_its_own_body_and_the_hashtags_it_takes() {
        let bodies = std::collections::BTreeMap::from([(Provider::Linkedin, "Longer LinkedIn text".to_owned())]);
        let tags = vec!["#ai".to_owned(), "#launch".to_owned()];
        let t = Texts { body: Some("Short #launch post"), bodies: &bodies, hashtags: &tags, thread: &[] };
        assert_eq!(t.for_provider(Provider::X).as_deref(), Some("Short #launch post\n\n#ai"));
        assert_eq!(t.for_provider(Provider::Linkedin).as_deref(), Some("Longer LinkedIn text\n\n#ai #launch"));
        // Pinterest takes no hashtags: the text goes as written.
        assert_eq!(t.for_provider(Provider::Pinterest).as_deref(), Some("Short #launch post"));
        let none = Texts { body: None, bodies: &Default::default(), hashtags: &[], thread: &[] };
        assert_eq!(none.for_provider(Provider::X), None);
    }

    #[test]
    fn a_profile_fills_the_options_a_post_leaves_out() {
        let meta = serde_json::json!({"options": {"board_id": "b7"}});
        let none = Map::new();
        let filled = with_profile_options(&none, Provider::Pinterest, &meta);
        assert_eq!(filled["pinterest"]["board_id"], "b7");
        let given: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"pinterest": {"board_id": "mine"}})).unwrap();
        assert_eq!(with_profile_options(&given, Provider::Pinterest, &meta)["pinterest"]["board_id"], "mine");
        assert!(with_profile_options(&none, Provider::X, &serde_json::json!({})).is_empty());
    }

    #[test]
    fn x_counts_urls_as_23_and_wide_characters_as_2() {
        assert_eq!(x_weighted_length("hello"), 5);
        assert_eq!(x_weighted_length("see https://example.com/a/very/long/path/that/goes/on"), 4 + 23);
        assert_eq!(x_weighted_length("日本語"), 6);
        assert_eq!(x_weighted_length("😀"), 2);
        assert_eq!(x_weighted_length("é—"), 2);
    }

    #[test]
    fn bluesky_counts_graphemes() {
        let family = "👨‍👩‍👧‍👦";
        assert_eq!(text_length(TextCounting::Graphemes, family), 1);
        assert_eq!(text_length(TextCounting::Characters, family), 7);
        let ok = family.repeat(300);
        assert!(check(&get(Provider::Bluesky), "b", Some(&ok), &[], &Map::new()).is_empty());
        let long = "a".repeat(301);
        assert_eq!(fields(&check(&get(Provider::Bluesky), "b", Some(&long), &[], &Map::new())), vec!["post.body"]);
    }

    #[test]
    fn text_limits_name_the_platform_and_profile() {
        let e = check(&get(Provider::X), "Demo X", Some(&"a".repeat(281)), &[], &Map::new());
        assert_eq!(e.len(), 1);
        assert!(
            e[0].message.contains("X (Demo X)") && e[0].message.contains("280") && e[0].message.contains("281"),
            "{}",
            e[0].message
        );
        assert!(check(&get(Provider::X), "x", Some(&"a".repeat(280)), &[], &Map::new()).is_empty());
    }

    #[test]
    fn media_rules() {
        let img = facts("image/png", 1000, None);
        let jpg = facts("image/jpeg", 1000, None);
        let vid = facts("video/mp4", 10 * MB, Some(30_000));
        let no = Map::new();
        // Instagram: exactly one JPEG.
        assert!(check(&get(Provider::Instagram), "i", Some("c"), std::slice::from_ref(&jpg), &no).is_empty());
        assert_eq!(
            fields(&check(&get(Provider::Instagram), "i", Some("c"), std::slice::from_ref(&img), &no)),
            vec!["media[0]"]
        );
        assert_eq!(fields(&check(&get(Provider::Instagram), "i", Some("c"), &[], &no)), vec!["media"]);
        assert_eq!(
            fields(&check(&get(Provider::Instagram), "i", Some("c"), &[jpg.clone(), jpg.clone()], &no)),
            vec!["media"]
        );
        // YouTube and TikTok need a video.
        let yt_opts = json!({"youtube": {"title": "t"}}).as_object().unwrap().clone();
        assert!(check(&get(Provider::Youtube), "y", None, std::slice::from_ref(&vid), &yt_opts).is_empty());
        assert_eq!(fields(&check(&get(Provider::Youtube), "y", None, &[], &yt_opts)), vec!["media"]);
        assert_eq!(
            fields(&check(&get(Provider::Tiktok), "t", None, std::slice::from_ref(&img), &no)),
            vec!["media[0]"]
        );
        // X: at most four; a video alone; 140 s at most.
        assert_eq!(fields(&check(&get(Provider::X), "x", Some("t"), &vec![img.clone(); 5], &no)), vec!["media"]);
        assert_eq!(fields(&check(&get(Provider::X), "x", Some("t"), &[img.clone(), vid.clone()], &no)), vec!["media"]);
        let long = facts("video/mp4", MB, Some(141_000));
        assert_eq!(
            fields(&check(&get(Provider::X), "x", Some("t"), std::slice::from_ref(&long), &no)),
            vec!["media[0]"]
        );
        // Bluesky images are 1 MB at most.
        assert_eq!(
            fields(&check(&get(Provider::Bluesky), "b", Some("t"), &[facts("image/png", 2 * MB, None)], &no)),
            vec!["media[0]"]
        );
    }

    #[test]
    fn the_capability_matrix_says_who_threads_and_who_takes_a_first_comment() {
        let threads: Vec<Provider> =
            catalogue().iter().filter(|p| p.capabilities.threads).map(|p| p.platform).collect();
        assert_eq!(threads, vec![Provider::X, Provider::Threads, Provider::Bluesky, Provider::Mastodon]);
        let comments: Vec<Provider> =
            catalogue().iter().filter(|p| p.capabilities.first_comment).map(|p| p.platform).collect();
        assert_eq!(
            comments,
            vec![Provider::Linkedin, Provider::Youtube, Provider::Instagram, Provider::Facebook, Provider::Reddit]
        );
        for p in catalogue() {
            assert_eq!(p.capabilities.threads, p.max_thread_parts > 0, "{}", p.platform);
            assert_eq!(
                p.capabilities.first_comment,
                p.options.iter().any(|o| o.name == "first_comment"),
                "{}",
                p.platform
            );
        }
    }

    #[test]
    fn thread_parts_are_checked_one_by_one_and_named() {
        let parts = vec!["ok".to_owned(), "a".repeat(281)];
        assert_eq!(fields(&check_thread(&get(Provider::X), "x", &parts, &[])), vec!["post.thread[2]"]);
        assert!(check_thread(&get(Provider::X), "x", &parts[..1], &[]).is_empty());
        let e = check_thread(&get(Provider::Linkedin), "Demo", &parts[..1], &[]);
        assert_eq!(fields(&e), vec!["post.thread"]);
        assert!(e[0].message.contains("capabilities.threads"), "{}", e[0].message);
        let long = vec!["p".to_owned(); 25];
        assert_eq!(fields(&check_thread(&get(Provider::Bluesky), "b", &long, &[])), vec!["post.thread"]);
        let fc = json!({"first_comment": "hi"});
        assert_eq!(fields(&check_options(&get(Provider::X), fc.as_object())), vec!["provider_options.x.first_comment"]);
        assert!(check_options(&get(Provider::Linkedin), fc.as_object()).is_empty());
        // A part's own media, named by part.
        let big = MediaFacts { content_type: "image/png".into(), size_bytes: 2 * MB, duration_ms: None };
        let e = check_thread(&get(Provider::Bluesky), "b", &parts[..1], &[vec![big.clone(), big]]);
        assert_eq!(fields(&e), vec!["post.thread[1].media[0]", "post.thread[1].media[1]"]);
    }

    #[test]
    fn provider_options_are_checked_field_by_field() {
        let opts = json!({"youtube": {"title": "", "privacy_status": "everyone", "colour": 1}, "pinterest": {}, "bluesky": {"x": 1}});
        let o = opts.as_object().unwrap();
        let yt = fields(&check_options(&get(Provider::Youtube), o["youtube"].as_object()))
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        assert!(yt.contains(&"provider_options.youtube.title".to_owned()));
        assert!(yt.contains(&"provider_options.youtube.privacy_status".to_owned()));
        assert!(yt.contains(&"provider_options.youtube.colour".to_owned()));
        assert_eq!(
            fields(&check_options(&get(Provider::Pinterest), o["pinterest"].as_object())),
            vec!["provider_options.pinterest.board_id"]
        );
        assert_eq!(
            fields(&check_options(&get(Provider::Bluesky), o["bluesky"].as_object())),
            vec!["provider_options.bluesky.x"]
        );
        let fine = json!({"title": "Launch", "privacy_status": "unlisted", "made_for_kids": false, "cover": {"asset_id": "a"}});
        assert!(check_options(&get(Provider::Youtube), fine.as_object()).is_empty());
        let reddit = json!({"subreddit": "rust"});
        assert_eq!(
            fields(&check_options(&get(Provider::Reddit), reddit.as_object())),
            vec!["provider_options.reddit.title"]
        );
    }
}
