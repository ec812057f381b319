//! Which model serves which task: one OpenAI-compatible endpoint, with per-task overrides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A task the assistant runs on a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Caption,
    Hashtags,
    Repurpose,
    Rewrite,
    Image,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Caption => "caption",
            Task::Hashtags => "hashtags",
            Task::Repurpose => "repurpose",
            Task::Rewrite => "rewrite",
            Task::Image => "image",
        }
    }
}

/// One task's own endpoint, key, model or token limit; what is empty comes from the
/// assistant's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskConfig {
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    pub max_tokens: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AssistantConfig {
    /// The OpenAI-compatible API's base, e.g. `https://api.openai.com/v1` or a local
    /// `http://127.0.0.1:11434/v1` (Ollama); empty: the assistant is not configured.
    pub base_url: String,
    /// Sent as `Authorization: Bearer`; empty for servers that take none.
    pub api_key: String,
    /// The chat model.
    pub model: String,
    /// The image model (`/images/generations`).
    pub image_model: String,
    /// Longest answer, in tokens.
    pub max_tokens: u32,
    /// One call's deadline.
    pub timeout_ms: u64,
    /// Further tries after a 429, a 5xx or a timeout (waiting its Retry-After).
    pub max_retries: u32,
    /// Per task (`caption`, `hashtags`, `repurpose`, `rewrite`, `image`).
    pub tasks: BTreeMap<String, TaskConfig>,
}

impl Default for AssistantConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            api_key: String::new(),
            model: String::new(),
            image_model: String::new(),
            max_tokens: 800,
            timeout_ms: 30_000,
            max_retries: 2,
            tasks: BTreeMap::new(),
        }
    }
}

/// Where one task's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    pub max_tokens: u32,
}

impl AssistantConfig {
    /// The task's endpoint, or the configuration key to set.
    pub fn endpoint(&self, task: Task) -> Result<Endpoint, String> {
        let own = self.tasks.get(task.as_str()).cloned().unwrap_or_default();
        let pick = |a: &str, b: &str| if a.is_empty() { b.to_owned() } else { a.to_owned() };
        let base_url = pick(&own.base_url, &self.base_url);
        let default_model = if task == Task::Image { &self.image_model } else { &self.model };
        let model = pick(&own.model, default_model);
        if base_url.is_empty() {
            return Err("assistant.base_url".into());
        }
        if model.is_empty() {
            let key = if task == Task::Image { "assistant.image_model" } else { "assistant.model" };
            return Err(key.into());
        }
        Ok(Endpoint {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: pick(&own.api_key, &self.api_key),
            model,
            max_tokens: if own.max_tokens > 0 { own.max_tokens } else { self.max_tokens },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_task_takes_its_own_settings_over_the_assistants() {
        let mut c = AssistantConfig::default();
        assert_eq!(c.endpoint(Task::Caption).unwrap_err(), "assistant.base_url");
        c.base_url = "http://127.0.0.1:11434/v1/".into();
        assert_eq!(c.endpoint(Task::Caption).unwrap_err(), "assistant.model");
        c.model = "llama3.1".into();
        c.tasks
            .insert("rewrite".into(), TaskConfig { model: "qwen2.5".into(), max_tokens: 2000, ..Default::default() });
        let e = c.endpoint(Task::Caption).unwrap();
        assert_eq!(
            (e.base_url.as_str(), e.model.as_str(), e.max_tokens),
            ("http://127.0.0.1:11434/v1", "llama3.1", 800)
        );
        let e = c.endpoint(Task::Rewrite).unwrap();
        assert_eq!((e.model.as_str(), e.max_tokens), ("qwen2.5", 2000));
        assert_eq!(c.endpoint(Task::Image).unwrap_err(), "assistant.image_model");
    }
}
