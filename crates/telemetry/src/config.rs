//! Layered configuration (defaults, an optional TOML file, `POSTMANTIS_…` variables) and
//! the registry of every service's keys, `proto/config-keys.json`.
//!
//! One file and one environment may serve every service, so a service ignores the keys of
//! the others; a key no service knows (a typo such as `POSTMANTIS_BUS__AMQP_ULR`) stops the
//! start with its name. Each service's unit test keeps its entry in the registry exact.

use std::collections::BTreeSet;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

const REGISTRY: &str = include_str!("../../../proto/config-keys.json");

/// Variables read outside the services' configuration structs: the file's path, the log
/// format, and provider-sim's address.
const PROCESS_KEYS: &[&str] = &["config", "log_format", "sim_addr"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Load(#[from] Box<figment::Error>),
    #[error(
        "unknown configuration key{} {} (from the file or POSTMANTIS_… variables): no PostMantis service reads {}; see the configuration table in the README",
        if .0.len() > 1 { "s" } else { "" },
        .0.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
        if .0.len() > 1 { "them" } else { "it" }
    )]
    Unknown(Vec<String>),
}

/// Defaults, then an optional TOML file, then `POSTMANTIS_…` environment variables
/// (nested keys with `__`, e.g. `POSTMANTIS_BUS__PREFIX`). Refuses keys no service knows.
pub fn load_config<T: Serialize + DeserializeOwned + Default>(file: Option<&Path>) -> Result<T, ConfigError> {
    let mut given = Figment::new();
    if let Some(f) = file {
        given = given.merge(Toml::file_exact(f));
    }
    given = given.merge(Env::prefixed("POSTMANTIS_").split("__"));
    let unknown = unknown_keys(&given.extract::<Value>().map_err(Box::new)?);
    if !unknown.is_empty() {
        return Err(ConfigError::Unknown(unknown));
    }
    Ok(Figment::from(Serialized::defaults(T::default())).merge(given).extract().map_err(Box::new)?)
}

/// The dotted paths of a configuration: its leaves, and `path.*` for a map that is empty
/// by default (its keys are the operator's, e.g. per-provider settings).
pub fn key_paths<T: Serialize + Default>() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Ok(v) = serde_json::to_value(T::default()) {
        collect("", &v, &mut out);
    }
    out
}

fn collect(prefix: &str, v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) if map.is_empty() && !prefix.is_empty() => {
            out.insert(format!("{prefix}.*"));
        }
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                collect(&path, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

/// The registry: service → its key paths.
pub fn registry() -> serde_json::Map<String, Value> {
    serde_json::from_str::<Value>(REGISTRY).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default()
}

fn known(path: &str, all: &BTreeSet<String>) -> bool {
    let under = |path: &str, base: &str| path.strip_prefix(base).is_some_and(|rest| rest.starts_with('.'));
    all.iter().any(|k| match k.strip_suffix(".*") {
        // A map's own table, or one of its keys (they are the operator's).
        Some(map) => path == map || under(path, map),
        // A leaf; a list given item by item; or a table that holds known keys (empty).
        None => path == k || under(path, k) || under(k, path),
    })
}

fn unknown_keys(given: &Value) -> Vec<String> {
    let mut all: BTreeSet<String> = PROCESS_KEYS.iter().map(|k| (*k).to_owned()).collect();
    for keys in registry().values() {
        all.extend(keys.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned));
    }
    let mut paths = BTreeSet::new();
    collect("", given, &mut paths);
    paths.into_iter().filter(|p| !p.is_empty() && !known(p.trim_end_matches(".*"), &all)).collect()
}

/// For each service's unit test: its entry in `proto/config-keys.json` is exactly its
/// configuration's paths. `UPDATE_PROTO=1` rewrites the entry.
pub fn check_registered<T: Serialize + Default>(service: &str) -> Result<(), String> {
    let mine: Vec<String> = key_paths::<T>().into_iter().collect();
    let mut reg = registry();
    let entry: Vec<String> = reg
        .get(service)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    if entry == mine {
        return Ok(());
    }
    if std::env::var("UPDATE_PROTO").is_ok_and(|v| v == "1") {
        reg.insert(service.to_owned(), Value::from(mine));
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto/config-keys.json");
        let text = serde_json::to_string_pretty(&Value::Object(reg)).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| e.to_string())?;
        return Ok(());
    }
    Err(format!(
        "proto/config-keys.json's `{service}` differs from its Config (UPDATE_PROTO=1 to accept): registered {entry:?}, actual {mine:?}"
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_known_as_a_leaf_a_list_or_a_map_entry() {
        let all: BTreeSet<String> =
            ["database_url", "bus.amqp_url", "providers_enabled", "limits.*"].iter().map(|s| (*s).to_owned()).collect();
        assert!(known("database_url", &all));
        assert!(known("bus.amqp_url", &all));
        assert!(known("providers_enabled.0", &all), "a list given in the environment");
        assert!(known("limits.x.per_second", &all), "an operator's map key");
        assert!(!known("bus.amqp_ulr", &all));
        assert!(!known("database", &all));
        assert!(!known("limitsx", &all));
        assert!(known("limits", &all) && known("bus", &all), "an empty table");
    }

    #[test]
    fn unknown_keys_are_named_and_process_variables_pass() {
        let given = serde_json::json!({"log_format": "json", "config": "/etc/pm.toml", "databse_url": "x"});
        assert_eq!(unknown_keys(&given), vec!["databse_url".to_owned()]);
    }
}
