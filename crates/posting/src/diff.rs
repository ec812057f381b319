//! What changed between two versions of a post: each field that differs, and for texts a
//! word-level diff a reviewer reads as struck-out and inserted words.

use serde::Serialize;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// A run of words kept, removed or added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    /// `equal | delete | insert`
    pub op: &'static str,
    pub text: String,
}

/// One field that differs between two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
    /// For a text field: the word runs from `before` to `after`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<Vec<Run>>,
}

/// Word runs from `a` to `b`, neighbouring words of one kind merged.
pub fn words(a: &str, b: &str) -> Vec<Run> {
    let diff = TextDiff::from_words(a, b);
    let mut runs: Vec<Run> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => "equal",
            ChangeTag::Delete => "delete",
            ChangeTag::Insert => "insert",
        };
        match runs.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => runs.push(Run { op, text: change.value().to_owned() }),
        }
    }
    runs
}

/// The fields of two stored versions' content that differ, in a fixed order.
pub fn changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    const FIELDS: &[&str] = &[
        "body",
        "bodies",
        "thread",
        "hashtags",
        "media",
        "thread_media",
        "profiles",
        "scheduled_at",
        "provider_options",
        "labels",
        "tags",
        "category",
    ];
    let null = Value::Null;
    let mut out = Vec::new();
    for field in FIELDS {
        let (a, b) = (before.get(*field).unwrap_or(&null), after.get(*field).unwrap_or(&null));
        // Versions stored before threads existed have no `thread`: the same as none.
        let no_thread = |v: &Value| v.is_null() || v.as_array().is_some_and(Vec::is_empty);
        let optional = *field == "thread" || *field == "thread_media";
        if a == b || (optional && no_thread(a) && no_thread(b)) {
            continue;
        }
        let runs = (*field == "body").then(|| words(a.as_str().unwrap_or_default(), b.as_str().unwrap_or_default()));
        out.push(FieldChange { field: (*field).to_owned(), before: a.clone(), after: b.clone(), runs });
        if *field == "bodies"
            && let (Some(x), Some(y)) = (a.as_object(), b.as_object())
        {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let (p, q) = (x.get(k).and_then(Value::as_str), y.get(k).and_then(Value::as_str));
                if p != q {
                    out.push(FieldChange {
                        field: format!("bodies.{k}"),
                        before: p.map_or(Value::Null, |s| Value::String(s.into())),
                        after: q.map_or(Value::Null, |s| Value::String(s.into())),
                        runs: Some(words(p.unwrap_or_default(), q.unwrap_or_default())),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reworded_body_reads_as_struck_and_inserted_words() {
        let runs = words("Launch day is Friday", "Launch day is Monday");
        let ops: Vec<(&str, &str)> = runs.iter().map(|r| (r.op, r.text.as_str())).collect();
        assert_eq!(ops, vec![("equal", "Launch day is "), ("delete", "Friday"), ("insert", "Monday")]);
    }

    #[test]
    fn only_changed_fields_are_listed_and_bodies_per_provider() {
        let a = json!({"body": "hi", "hashtags": ["#a"], "bodies": {"x": "short"}, "media": []});
        let b = json!({"body": "hi", "hashtags": ["#a", "#b"], "bodies": {"x": "shorter"}, "media": []});
        let c = changes(&a, &b);
        let fields: Vec<&str> = c.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["bodies", "bodies.x", "hashtags"]);
        assert!(c[1].runs.as_ref().unwrap().iter().any(|r| r.op == "insert" && r.text == "shorter"));
    }
}
