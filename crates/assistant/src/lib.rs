//! The assistant: a client of any OpenAI-compatible model server (hosted, or a local one
//! such as llama.cpp, vLLM or Ollama), chosen per task by the operator, and the
//! deterministic guards every model output passes (`guards`): whatever the model says, a
//! caption, a version or a rewrite that leaves here fits its platform, or is an error.
//! Fitting text to each platform and splitting threads need no model.

mod client;
pub mod config;
pub mod guards;
mod tasks;

pub use client::{AssistantError, Client, GeneratedImage};
pub use config::{AssistantConfig, Endpoint, Task, TaskConfig};
pub use tasks::{
    Caption, CaptionRequest, Fitted, Hashtag, IMAGE_SIZES, IMAGE_TEMPLATES, ImageTemplate, MAX_CAPTIONS, MAX_HASHTAGS,
    MAX_PROMPT_CHARS, MAX_TEXT_CHARS, TONES, Version, fit,
};
