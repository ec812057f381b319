//! The deterministic rules every model output passes, and the tasks that need no model:
//! text counted the platform's way (`domain::platforms`), cut at a sentence or word
//! boundary — never inside a URL, a mention, a hashtag or a grapheme (an emoji, a
//! combining sequence) — split into a numbered thread, hashtags checked and capped.

use domain::Provider;
use domain::platforms::{self, text_length};
use unicode_segmentation::UnicodeSegmentation;

/// The marker a shortened text ends with.
pub const ELLIPSIS: &str = "…";

/// Whether `text` is within the platform's limit, counted its way.
pub fn fits(text: &str, p: Provider, reserve: usize) -> bool {
    let platform = platforms::get(p);
    text_length(platform.text_counting, text) + reserve <= platform.max_characters
}

/// Where a text may be cut, from the strongest boundary to the weakest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Boundary {
    Sentence,
    Word,
    Grapheme,
}

fn ends_sentence(g: &str) -> bool {
    matches!(g, "." | "!" | "?" | "。" | "！" | "？" | "\n")
}

/// Byte ranges no cut may fall inside: URLs, mentions and hashtags (whole words).
fn protected(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        let lower = word.to_ascii_lowercase();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || word.starts_with('@')
            || word.starts_with('#')
        {
            spans.push(offset..offset + word.len());
        }
        offset += piece.len();
    }
    spans
}

/// Every place the text may be cut (a byte index, what precedes it kept), with its kind.
fn cut_points(text: &str) -> Vec<(usize, Boundary)> {
    let spans = protected(text);
    let graphemes: Vec<(usize, &str)> = text.grapheme_indices(true).collect();
    let mut out = Vec::with_capacity(graphemes.len());
    for (i, (at, g)) in graphemes.iter().enumerate() {
        let end = at + g.len();
        if spans.iter().any(|s| s.start < end && end < s.end) {
            continue;
        }
        let next = graphemes.get(i + 1).map(|(_, n)| *n);
        let next_is_space = next.is_none_or(|n| n.chars().all(char::is_whitespace));
        let kind = if ends_sentence(g) && (next_is_space || !g.is_ascii()) {
            Boundary::Sentence
        } else if next_is_space || g.chars().all(char::is_whitespace) {
            Boundary::Word
        } else {
            Boundary::Grapheme
        };
        out.push((end, kind));
    }
    out
}

/// The longest prefix cut at a boundary at least as strong as `weakest` that fits in
/// `budget` (counted the platform's way) once `suffix` is added.
fn longest_prefix(text: &str, p: Provider, budget: usize, weakest: Boundary, suffix: &str) -> Option<String> {
    let counting = platforms::get(p).text_counting;
    let mut best = None;
    for (at, kind) in cut_points(text) {
        if kind > weakest {
            continue;
        }
        let head = text[..at].trim_end();
        if head.is_empty() {
            continue;
        }
        let candidate = format!("{head}{suffix}");
        if text_length(counting, &candidate) <= budget {
            best = Some(candidate);
        } else if text_length(counting, head) > budget {
            break;
        }
    }
    best
}

/// `text` within the platform's limit, less `reserve` characters (for hashtags added
/// after it): as it is when it fits; else cut at the last sentence end that keeps at
/// least half of the room, else at a word, else between graphemes — with an ellipsis
/// unless cut at a sentence end. `None` when not even one word fits.
pub fn fit(text: &str, p: Provider, reserve: usize) -> Option<String> {
    let text = text.trim();
    let platform = platforms::get(p);
    let budget = platform.max_characters.checked_sub(reserve)?;
    if text_length(platform.text_counting, text) <= budget {
        return Some(text.to_owned());
    }
    if let Some(s) = longest_prefix(text, p, budget, Boundary::Sentence, "")
        && text_length(platform.text_counting, &s) * 2 >= budget
    {
        return Some(s);
    }
    longest_prefix(text, p, budget, Boundary::Word, ELLIPSIS)
        .or_else(|| longest_prefix(text, p, budget, Boundary::Grapheme, ELLIPSIS))
}

/// `text` as a numbered thread for the platform: each part ends with ` i/n` and fits; cut
/// at sentence ends where they make parts of at least half the room, else at words, never
/// inside a URL, a mention or a grapheme. One part (unnumbered) when the text fits.
pub fn split_thread(text: &str, p: Provider) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    if fits(text, p, 0) {
        return vec![text.to_owned()];
    }
    let platform = platforms::get(p);
    let counting = platform.text_counting;
    // The suffix's length depends on the number of parts: grow the guess until it holds.
    for guess in 2..=99usize {
        let width = text_length(counting, &format!(" {guess}/{guess}"));
        let Some(budget) = platform.max_characters.checked_sub(width) else { return Vec::new() };
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() && parts.len() <= guess {
            if text_length(counting, rest) <= budget {
                parts.push(rest.to_owned());
                break;
            }
            let head = longest_prefix(rest, p, budget, Boundary::Sentence, "")
                .filter(|s| text_length(counting, s) * 2 >= budget)
                .or_else(|| longest_prefix(rest, p, budget, Boundary::Word, ""))
                .or_else(|| longest_prefix(rest, p, budget, Boundary::Grapheme, ""));
            let Some(head) = head else { return Vec::new() };
            rest = rest[head.len()..].trim_start();
            parts.push(head);
        }
        if parts.len() <= guess {
            let n = parts.len();
            return parts.into_iter().enumerate().map(|(i, t)| format!("{t} {}/{n}", i + 1)).collect();
        }
    }
    Vec::new()
}

/// The hashtags a model suggested, as stored: each `#` and letters, digits or `_`,
/// duplicates (any case) dropped, at most the platform's number (none where it takes none).
pub fn hashtags(suggested: &[String], p: Provider, wanted: usize) -> Vec<String> {
    let platform = platforms::get(p);
    if !platform.supports_hashtags {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for tag in suggested.iter().filter_map(|t| domain::input::normalize_hashtag(t)) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&tag)) {
            out.push(tag);
        }
    }
    out.truncate(wanted.min(platform.max_hashtags));
    out
}

/// A caption with its hashtags, within the limit: the hashtags (on a line of their own)
/// are kept while they fit, the text is cut to leave them room.
pub fn caption(text: &str, tags: &[String], p: Provider) -> Option<(String, Vec<String>)> {
    let counting = platforms::get(p).text_counting;
    let mut tags = tags.to_vec();
    loop {
        let reserve = if tags.is_empty() { 0 } else { text_length(counting, &format!("\n\n{}", tags.join(" "))) };
        // Hashtags may cost the text a cut, not most of it.
        if let Some(body) = fit(text, p, reserve)
            && (reserve == 0
                || body == text.trim()
                || text_length(counting, &body) * 2 >= platforms::get(p).max_characters.saturating_sub(reserve))
        {
            return Some((body, tags));
        }
        tags.pop()?;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use domain::platforms::text_length;

    fn len(p: Provider, t: &str) -> usize {
        text_length(platforms::get(p).text_counting, t)
    }

    #[test]
    fn what_fits_is_left_alone() {
        assert_eq!(fit("  Hello there.  ", Provider::X, 0).as_deref(), Some("Hello there."));
    }

    #[test]
    fn a_long_text_is_cut_at_a_sentence_end_then_a_word_with_an_ellipsis() {
        let s = format!("{}. {}.", "a".repeat(200), "b ".repeat(100).trim());
        let out = fit(&s, Provider::X, 0).unwrap();
        assert_eq!(out, format!("{}.", "a".repeat(200)), "the sentence end keeps most of the room");
        let words = "word ".repeat(100);
        let out = fit(&words, Provider::X, 0).unwrap();
        assert!(out.ends_with("word…") && len(Provider::X, &out) <= 280, "{out}");
    }

    /// The table of tricky texts: every output fits and nothing protected is cut.
    #[test]
    fn urls_mentions_hashtags_emoji_and_cjk_are_never_cut_inside() {
        let url = "https://example.com/a/very/long/path/that/must/stay/whole?x=1";
        let cases: Vec<(Provider, String, Vec<&str>)> = vec![
            (Provider::X, format!("{} {url} {}", "a ".repeat(120), "b ".repeat(60)), vec![]),
            (
                Provider::Bluesky,
                format!("{}@someone.bsky.social and more", "x".repeat(290)),
                vec!["@someone.bsky.social"],
            ),
            (Provider::Threads, format!("{} #launchday {}", "y".repeat(488), "z".repeat(20)), vec![]),
            (Provider::Bluesky, "👨‍👩‍👧‍👦".repeat(400), vec![]),
            (Provider::X, "こんにちは世界。".repeat(40), vec![]),
            (Provider::Mastodon, format!("{}🇿🇦🇿🇦 tail", "e".repeat(497)), vec![]),
        ];
        for (p, text, _) in &cases {
            let out = fit(text, *p, 0).unwrap_or_else(|| panic!("{p}: nothing fits for {text}"));
            assert!(len(*p, &out) <= platforms::get(*p).max_characters, "{p}: {out}");
            let body = out.trim_end_matches(ELLIPSIS);
            assert!(text.starts_with(body), "{p}: {out} is not a prefix");
            // The cut never lands inside a protected word or a grapheme.
            for span in protected(text) {
                assert!(!(span.start < body.len() && body.len() < span.end), "{p}: cut inside {}", &text[span]);
            }
            assert!(text.is_char_boundary(body.len()));
            assert!(
                text[..body.len()].graphemes(true).count() + text[body.len()..].graphemes(true).count()
                    == text.graphemes(true).count(),
                "{p}: cut inside a grapheme"
            );
        }
        // A URL longer than what is left is dropped whole, not cut.
        let t = format!("{} {url}", "w".repeat(270));
        let out = fit(&t, Provider::Mastodon, 250).unwrap();
        assert!(!out.contains("https"), "{out}");
        // CJK counts 2 on X: the cut lands at a sentence end (。).
        let out = fit(&"こんにちは世界。".repeat(40), Provider::X, 0).unwrap();
        assert!(out.ends_with('。') && len(Provider::X, &out) <= 280, "{out}");
    }

    #[test]
    fn a_thread_numbers_its_parts_and_every_part_fits() {
        let text =
            (1..=40).map(|i| format!("Sentence number {i} says something useful.")).collect::<Vec<_>>().join(" ");
        let parts = split_thread(&text, Provider::X);
        assert!(parts.len() >= 6, "{parts:?}");
        let n = parts.len();
        for (i, part) in parts.iter().enumerate() {
            assert!(len(Provider::X, part) <= 280, "{part}");
            assert!(part.ends_with(&format!(" {}/{n}", i + 1)), "{part}");
        }
        // Nothing is lost: the parts, unnumbered, are the text.
        let joined: Vec<String> =
            parts.iter().map(|p| p.rsplit_once(' ').map(|(t, _)| t.to_owned()).unwrap_or_default()).collect();
        assert_eq!(joined.join(" "), text);
        assert_eq!(split_thread("short", Provider::X), vec!["short"]);
    }

    #[test]
    fn hashtags_are_normalized_deduplicated_and_capped_by_the_platform() {
        let raw: Vec<String> =
            ["ai", "#AI", "two words", "#ok_1", "#x", "#y", "#z"].iter().map(|s| s.to_string()).collect();
        assert_eq!(hashtags(&raw, Provider::Instagram, 10), vec!["#ai", "#ok_1", "#x", "#y", "#z"]);
        assert_eq!(hashtags(&raw, Provider::Threads, 10), vec!["#ai"], "Threads takes one");
        assert!(hashtags(&raw, Provider::Pinterest, 10).is_empty(), "Pinterest takes none");
        assert_eq!(hashtags(&raw, Provider::Instagram, 2).len(), 2);
    }

    #[test]
    fn a_short_caption_keeps_all_its_hashtags() {
        let tags = vec!["#ai".to_owned(), "#launch".to_owned()];
        assert_eq!(caption("Short.", &tags, Provider::X), Some(("Short.".to_owned(), tags)));
    }

    #[test]
    fn a_caption_keeps_its_hashtags_by_cutting_the_text() {
        let tags = vec!["#ai".to_owned(), "#launch".to_owned()];
        let (body, kept) = caption(&"word ".repeat(100), &tags, Provider::X).unwrap();
        assert_eq!(kept, tags);
        let full = format!("{body}\n\n{}", kept.join(" "));
        assert!(len(Provider::X, &full) <= 280, "{full}");
    }
}
