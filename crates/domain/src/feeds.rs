//! Feeds that auto-post: what a feed subscription says (checked input), how an item's
//! post text is made from the template and fitted to every target platform, and the key
//! an item is known by so that a re-published item is never posted twice.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::input::FieldError;
use crate::{Provider, platforms};

/// The least time between two checks of a feed, in minutes.
pub const MIN_INTERVAL_MINUTES: i32 = 15;
pub const DEFAULT_INTERVAL_MINUTES: i32 = 60;
/// Older items a new feed takes at most (`backlog`).
pub const MAX_BACKLOG: i32 = 50;
pub const DEFAULT_TEMPLATE: &str = "{{title}} {{url}}";
/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 5] = ["title", "url", "description", "author", "pubDate"];

/// What a new item of a feed becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Becomes {
    /// A draft for someone to finish and publish.
    Draft,
    /// A post submitted for review: published once approved.
    Review,
    /// A post in a posting queue (`queue`): its next free slot.
    Queue,
    /// A post scheduled at the workspace's best time for the first target platform.
    BestTime,
}

impl Becomes {
    pub fn as_str(self) -> &'static str {
        match self {
            Becomes::Draft => "draft",
            Becomes::Review => "review",
            Becomes::Queue => "queue",
            Becomes::BestTime => "best_time",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Becomes::Draft,
            "review" => Becomes::Review,
            "queue" => Becomes::Queue,
            "best_time" => Becomes::BestTime,
            _ => return None,
        })
    }
}

/// A feed subscription as created or changed (every field checked; `None`: not given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedInput {
    pub name: Option<String>,
    pub feed_url: Option<url::Url>,
    pub profiles: Option<Vec<Uuid>>,
    pub template: Option<String>,
    pub include_image: Option<bool>,
    pub becomes: Option<Becomes>,
    /// `Some(None)`: cleared.
    pub queue: Option<Option<Uuid>>,
    pub check_interval_minutes: Option<i32>,
    pub backlog: Option<i32>,
}

const FIELDS: [&str; 9] = [
    "name",
    "feed_url",
    "profiles",
    "template",
    "include_image",
    "becomes",
    "queue",
    "check_interval_minutes",
    "backlog",
];

/// Checks a feed's JSON (`creating`: name, feed_url and profiles are required), naming
/// each field that is wrong.
pub fn parse(v: &Value, creating: bool) -> Result<FeedInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(o) = v.as_object() else {
        return Err(vec![FieldError::new("", "the body must be a JSON object")]);
    };
    for k in o.keys() {
        if !FIELDS.contains(&k.as_str()) {
            errors.push(FieldError::new(k.clone(), format!("is not a feed field (known: {})", FIELDS.join(", "))));
        }
    }
    let mut f = FeedInput::default();
    match o.get("name") {
        None if creating => errors.push(FieldError::new("name", "is required")),
        None => {}
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 200 => f.name = Some(s.trim().into()),
        Some(_) => errors.push(FieldError::new("name", "a text of 1 to 200 characters")),
    }
    match o.get("feed_url") {
        None if creating => errors.push(FieldError::new("feed_url", "is required")),
        None => {}
        Some(Value::String(s)) => match url::Url::parse(s.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => f.feed_url = Some(u),
            _ => errors.push(FieldError::new("feed_url", "an http or https URL")),
        },
        Some(_) => errors.push(FieldError::new("feed_url", "an http or https URL")),
    }
    match o.get("profiles") {
        None if creating => errors.push(FieldError::new("profiles", "is required: the profiles new items go to")),
        None => {}
        Some(Value::Array(ids)) if !ids.is_empty() => {
            let parsed: Vec<Option<Uuid>> =
                ids.iter().map(|i| i.as_str().and_then(|s| Uuid::parse_str(s).ok())).collect();
            match parsed.iter().position(Option::is_none) {
                Some(i) => errors.push(FieldError::new(format!("profiles[{i}]"), "a profile id")),
                None => f.profiles = Some(parsed.into_iter().flatten().collect()),
            }
        }
        Some(_) => errors.push(FieldError::new("profiles", "a list of at least one profile id")),
    }
    match o.get("template") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) => match check_template(t) {
            Ok(()) => f.template = Some(t.clone()),
            Err(e) => errors.push(FieldError::new("template", e)),
        },
        Some(_) => errors.push(FieldError::new("template", "a text with {{placeholders}}")),
    }
    match o.get("include_image") {
        None => {}
        Some(Value::Bool(b)) => f.include_image = Some(*b),
        Some(_) => errors.push(FieldError::new("include_image", "must be a boolean")),
    }
    match o.get("becomes") {
        None => {}
        Some(Value::String(s)) if Becomes::parse(s).is_some() => f.becomes = Becomes::parse(s),
        Some(_) => errors.push(FieldError::new("becomes", "one of draft, review, queue, best_time")),
    }
    match o.get("queue") {
        None => {}
        Some(Value::Null) => f.queue = Some(None),
        Some(Value::String(s)) if Uuid::parse_str(s).is_ok() => f.queue = Some(Uuid::parse_str(s).ok()),
        Some(_) => errors.push(FieldError::new("queue", "a posting queue's id")),
    }
    match o.get("check_interval_minutes") {
        None => {}
        Some(n) => match n.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) if (MIN_INTERVAL_MINUTES..=10_080).contains(&n) => f.check_interval_minutes = Some(n),
            _ => errors.push(FieldError::new(
                "check_interval_minutes",
                format!("whole minutes from {MIN_INTERVAL_MINUTES} to 10080 (a week)"),
            )),
        },
    }
    match o.get("backlog") {
        None => {}
        Some(_) if !creating => errors.push(FieldError::new("backlog", "is taken when the feed is created")),
        Some(n) => match n.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) if (0..=MAX_BACKLOG).contains(&n) => f.backlog = Some(n),
            _ => errors.push(FieldError::new("backlog", format!("0 to {MAX_BACKLOG} older items"))),
        },
    }
    if f.becomes == Some(Becomes::Queue) && matches!(f.queue, None | Some(None)) && creating {
        errors.push(FieldError::new("queue", "is required when new items become queued posts"));
    }
    if !creating && f == FeedInput::default() && errors.is_empty() {
        errors.push(FieldError::new("", "give at least one field to change"));
    }
    if errors.is_empty() { Ok(f) } else { Err(errors) }
}

/// A template uses only known placeholders, and at least one.
fn check_template(t: &str) -> Result<(), String> {
    if t.trim().is_empty() || t.chars().count() > 2_000 {
        return Err("a text of 1 to 2000 characters".into());
    }
    let mut rest = t;
    let mut used = 0;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { return Err("a `{{` is never closed".into()) };
        let name = after[..end].trim();
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!("unknown placeholder {{{{{name}}}}} (known: {})", PLACEHOLDERS.join(", ")));
        }
        used += 1;
        rest = &after[end + 2..];
    }
    if used == 0 {
        return Err(format!("use at least one placeholder: {}", PLACEHOLDERS.join(", ")));
    }
    Ok(())
}

/// One feed item, as the template sees it (HTML already stripped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    pub url: String,
    pub description: String,
    pub author: String,
    pub pub_date: String,
}

/// Tags that break text into blocks (the rest are inline).
const BLOCK_TAGS: [&str; 20] = [
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "td",
    "th",
    "table",
    "blockquote",
    "hr",
    "section",
    "article",
];

/// Text without its HTML: tags dropped (script and style with their content), the common
/// entities decoded, whitespace folded.
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tag = &rest[lt..];
        let lower: String = tag.chars().take(8).collect::<String>().to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        match tag.to_ascii_lowercase().find(skip_to) {
            Some(end) => {
                // A block-level break reads as a space, not glued words; an inline tag
                // (`<b>`, `<a>`) is nothing, so "<b>done</b>." stays "done.".
                let name: String = tag[1..]
                    .trim_start_matches('/')
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                if BLOCK_TAGS.contains(&name.as_str()) || skip_to != ">" {
                    out.push(' ');
                }
                rest = &tag[end + skip_to.len()..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&#8217;", "\u{2019}")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fill(template: &str, item: &Item) -> String {
    let mut out = template.to_owned();
    for (name, value) in [
        ("title", &item.title),
        ("url", &item.url),
        ("description", &item.description),
        ("author", &item.author),
        ("pubDate", &item.pub_date),
    ] {
        for spelling in [format!("{{{{{name}}}}}"), format!("{{{{ {name} }}}}")] {
            out = out.replace(&spelling, value);
        }
    }
    out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_owned()
}

/// Cuts `s` to at most `keep` characters at a word boundary, with an ellipsis.
fn shorten(s: &str, keep: usize) -> String {
    if s.chars().count() <= keep {
        return s.to_owned();
    }
    if keep == 0 {
        return String::new();
    }
    let cut: String = s.chars().take(keep.saturating_sub(1)).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(i) if i > cut.len() / 2 => cut[..i].to_owned(),
        _ => cut,
    };
    format!("{}…", cut.trim_end())
}

/// The post text of `item` by `template`, fitted to the tightest of `targets`: the
/// description is shortened first, then the title; the link is never cut. `None` when even
/// the link and the template's own words do not fit.
pub fn render(template: &str, item: &Item, targets: &[Provider]) -> Option<String> {
    let fits = |text: &str| {
        targets.iter().all(|p| {
            let spec = platforms::get(*p);
            platforms::text_length(spec.text_counting, text) <= spec.max_characters
        })
    };
    let mut it = item.clone();
    let full = fill(template, &it);
    if fits(&full) {
        return Some(full);
    }
    for field in [0, 1] {
        let len = if field == 0 { it.description.chars().count() } else { it.title.chars().count() };
        // Halve what is kept until it fits, then grow back to the longest that fits.
        let (mut lo, mut hi) = (0usize, len);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let mut t = it.clone();
            if field == 0 {
                t.description = shorten(&item.description, mid);
            } else {
                t.title = shorten(&item.title, mid);
            }
            if fits(&fill(template, &t)) { lo = mid } else { hi = mid - 1 }
        }
        if field == 0 {
            it.description = shorten(&item.description, lo);
        } else {
            it.title = shorten(&item.title, lo);
        }
        let text = fill(template, &it);
        if fits(&text) {
            return Some(text);
        }
    }
    None
}

/// The link an item is known by when it has no id of its own: scheme and host lower-case,
/// no fragment, no tracking parameters (`utm_*`, `fbclid`, `gclid`), no trailing slash.
pub fn normalise_link(link: &str) -> String {
    let Ok(mut u) = url::Url::parse(link.trim()) else { return link.trim().to_owned() };
    u.set_fragment(None);
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("utm_") && k != "fbclid" && k != "gclid")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    let s = u.to_string();
    s.strip_suffix('/').map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_feed_is_checked_field_by_field() {
        let ok = parse(
            &json!({"name": "Blog", "feed_url": "https://example.com/feed.xml", "profiles": ["01a234db-0ea1-774e-8ee8-9b1edd70ba7f"], "check_interval_minutes": 30}),
            true,
        )
        .unwrap();
        assert_eq!(ok.check_interval_minutes, Some(30));
        let bad = parse(
            &json!({"name": "", "feed_url": "ftp://x", "profiles": ["nope"], "template": "{{titel}}", "check_interval_minutes": 5, "becomes": "queue", "colour": 1}),
            true,
        )
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["colour", "name", "feed_url", "profiles[0]", "template", "check_interval_minutes", "queue"],
            "{bad:?}"
        );
        assert!(bad[4].message.contains("unknown placeholder {{titel}}"), "{bad:?}");
        assert_eq!(parse(&json!({}), false).unwrap_err()[0].message, "give at least one field to change");
        assert_eq!(parse(&json!({"backlog": 3}), false).unwrap_err()[0].field, "backlog");
    }

    #[test]
    fn html_is_stripped_and_entities_decoded() {
        assert_eq!(
            strip_html("<p>Fish &amp; chips</p><script>alert(1)</script><br/>for&nbsp;<b>two</b>."),
            "Fish & chips for two."
        );
        assert_eq!(strip_html("<p>one</p><p>two</p>"), "one two");
    }

    #[test]
    fn the_text_is_fitted_to_the_tightest_platform_and_the_link_kept_whole() {
        let item = Item {
            title: "A title".into(),
            url: "https://example.com/a-long-article-address".into(),
            description: "word ".repeat(200),
            ..Item::default()
        };
        let t = "{{title}}: {{description}} {{url}}";
        let long = render(t, &item, &[Provider::Linkedin]).unwrap();
        assert!(long.ends_with(&item.url) && !long.contains('…'), "LinkedIn takes it whole");
        let short = render(t, &item, &[Provider::Linkedin, Provider::Bluesky]).unwrap();
        assert!(short.chars().count() <= 300, "{}", short.chars().count());
        assert!(short.ends_with(&item.url), "{short}");
        assert!(short.contains("word…"), "{short}");
        assert!(short.chars().count() > 250, "shortened no more than needed: {short}");
        let hopeless = Item { url: format!("https://example.com/{}", "x".repeat(400)), ..item };
        assert_eq!(render("{{url}}", &hopeless, &[Provider::Bluesky]), None);
    }

    #[test]
    fn links_are_compared_without_tracking_and_fragments() {
        assert_eq!(
            normalise_link("HTTPS://Example.com/post/1/?utm_source=rss&id=2#top"),
            "https://example.com/post/1/?id=2"
        );
        assert_eq!(normalise_link("https://example.com/post/1/"), "https://example.com/post/1");
    }
}
