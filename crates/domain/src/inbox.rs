//! The engagement inbox's words: what an item is, where it stands, how urgent it is and
//! how it sounds; and what a reply from the inbox answers.
//!
//! Sentiment is a deterministic lexicon scorer, documented here so an operator can
//! predict it: each word (lower-cased, letters and apostrophes) found in `POSITIVE` adds
//! one, in `NEGATIVE` takes one; a negator (`not`, `no`, `never`, `don't`, …) flips the
//! next scored word within three words; `!` doubles nothing (tone is not a word). A total
//! above zero is positive, below zero negative, zero neutral; an empty text has none.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! words {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }

            /// The accepted words, for an error naming them.
            pub fn one_of() -> String {
                [$($s),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words!(
    /// What an inbox item is.
    ItemKind { Comment => "comment", Mention => "mention", Reply => "reply", Dm => "dm", Like => "like", Share => "share", Follow => "follow" }
);

words!(
    /// Where an inbox item stands with the team.
    ItemStatus { Unread => "unread", Read => "read", Replied => "replied", Archived => "archived" }
);

words!(
    /// How soon an item wants an answer.
    Priority { High => "high", Normal => "normal", Low => "low" }
);

words!(
    /// How an item sounds, by the lexicon scorer (or the assistant).
    Sentiment { Positive => "positive", Neutral => "neutral", Negative => "negative" }
);

impl ItemKind {
    /// Kinds that carry words someone may answer.
    pub fn has_text(self) -> bool {
        matches!(self, ItemKind::Comment | ItemKind::Mention | ItemKind::Reply | ItemKind::Dm)
    }
}

const POSITIVE: &[&str] = &[
    "love",
    "loved",
    "loving",
    "great",
    "awesome",
    "amazing",
    "excellent",
    "good",
    "nice",
    "thanks",
    "thank",
    "helpful",
    "useful",
    "brilliant",
    "fantastic",
    "perfect",
    "best",
    "cool",
    "wonderful",
    "happy",
    "glad",
    "beautiful",
    "congrats",
    "congratulations",
    "impressive",
    "recommend",
    "enjoyed",
    "enjoy",
    "fan",
    "superb",
    "works",
];

const NEGATIVE: &[&str] = &[
    "hate",
    "hated",
    "terrible",
    "awful",
    "bad",
    "worst",
    "broken",
    "broke",
    "bug",
    "buggy",
    "useless",
    "scam",
    "disappointed",
    "disappointing",
    "angry",
    "annoying",
    "horrible",
    "poor",
    "slow",
    "refund",
    "fail",
    "failed",
    "fails",
    "crash",
    "crashed",
    "crashes",
    "wrong",
    "sucks",
    "problem",
    "issue",
    "unhappy",
    "spam",
    "waste",
];

const NEGATORS: &[&str] = &[
    "not", "no", "never", "don't", "dont", "doesn't", "doesnt", "isn't", "isnt", "wasn't", "didn't", "can't", "cannot",
    "won't",
];

/// The lexicon score of a text (see the module's documentation).
pub fn sentiment(text: &str) -> Option<Sentiment> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('\u{2019}', "'"))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut score = 0i32;
    let mut negated_for = 0u8;
    for w in &words {
        let value = if POSITIVE.contains(&w.as_str()) {
            1
        } else if NEGATIVE.contains(&w.as_str()) {
            -1
        } else {
            0
        };
        if NEGATORS.contains(&w.as_str()) {
            negated_for = 3;
            continue;
        }
        if value != 0 {
            score += if negated_for > 0 { -value } else { value };
            negated_for = 0;
        } else {
            negated_for = negated_for.saturating_sub(1);
        }
    }
    Some(match score {
        s if s > 0 => Sentiment::Positive,
        s if s < 0 => Sentiment::Negative,
        _ => Sentiment::Neutral,
    })
}

/// The priority an item starts with: a direct message or a negative comment wants an
/// answer soon; a like, share or follow none.
pub fn initial_priority(kind: ItemKind, sentiment: Option<Sentiment>) -> Priority {
    match (kind, sentiment) {
        (ItemKind::Dm, _) | (_, Some(Sentiment::Negative)) => Priority::High,
        (ItemKind::Like | ItemKind::Share | ItemKind::Follow, _) => Priority::Low,
        _ => Priority::Normal,
    }
}

/// What a reply from the inbox answers: the item (gone when it was deleted since), and the
/// platform ids its adapter needs (the item itself, and the root of its conversation where
/// the platform names one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    pub item_id: Option<Uuid>,
    pub platform_item_id: String,
    pub root_platform_id: Option<String>,
    /// The item's public address (what a reply without one of its own links to).
    pub item_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_scores_words_and_flips_after_a_negator() {
        assert_eq!(sentiment("Love this, thanks for sharing!"), Some(Sentiment::Positive));
        assert_eq!(sentiment("This is terrible, it broke my setup."), Some(Sentiment::Negative));
        assert_eq!(sentiment("Is this available in Europe?"), Some(Sentiment::Neutral));
        assert_eq!(sentiment("not good at all"), Some(Sentiment::Negative));
        assert_eq!(sentiment("Don\u{2019}t hate it"), Some(Sentiment::Positive));
        assert_eq!(sentiment("GREAT work but a bug, a crash and a refund"), Some(Sentiment::Negative));
        assert_eq!(sentiment("  !! "), None);
    }

    #[test]
    fn a_message_or_a_complaint_comes_first() {
        assert_eq!(initial_priority(ItemKind::Dm, Some(Sentiment::Positive)), Priority::High);
        assert_eq!(initial_priority(ItemKind::Comment, Some(Sentiment::Negative)), Priority::High);
        assert_eq!(initial_priority(ItemKind::Follow, None), Priority::Low);
        assert_eq!(initial_priority(ItemKind::Mention, Some(Sentiment::Neutral)), Priority::Normal);
    }

    #[test]
    fn words_round_trip() {
        for k in ItemKind::ALL {
            assert_eq!(ItemKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(ItemStatus::parse("archived"), Some(ItemStatus::Archived));
        assert!(Priority::parse("urgent").is_none());
        assert_eq!(Priority::one_of(), "high, normal, low");
    }
}
