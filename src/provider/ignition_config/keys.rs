//! Where a rendered node is stored and how machines are pointed at it: the
//! object keys and the `user_data_mode`.

use super::*;

/// A key-safe form of a name.
pub(super) fn key_part(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_matches(|c| c == '.' || c == '-');
    if trimmed.is_empty() {
        "node".to_string()
    } else {
        trimmed.chars().take(63).collect()
    }
}

/// `<cluster>/<role>/<name>`, the part of a key that names the node.
pub(super) fn key_stem(cluster: &str, role: &str, name: Option<&str>) -> String {
    format!("{}/{}/{}", key_part(cluster), role, key_part(name.unwrap_or(role)))
}

/// `<cluster>/<role>/<name>-<hash prefix>.ign`: the key changes with the content.
pub fn object_key(spec: &NodeSpec, name: Option<&str>, sha512: &str) -> String {
    format!("{}-{}.ign", key_stem(&spec.cluster.name, spec.role.as_str(), name), &sha512[..32.min(sha512.len())])
}

/// `<cluster>/<role>/<name>.ign`: one key per node config, whatever it holds
/// (`user_data_mode = "stable"`).
pub fn stable_object_key(cluster: &str, role: &str, name: Option<&str>) -> String {
    format!("{}.ign", key_stem(cluster, role, name))
}

/// How `user_data` points at the stored config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDataMode {
    /// A content-addressed key, and `verification.hash` in the pointer: the
    /// machine boots exactly what was rendered, and `user_data` changes with
    /// every re-render.
    Pinned,
    /// One key per node and a pointer without a hash: `user_data` stays the
    /// same while the stored config changes.
    Stable,
}

impl UserDataMode {
    /// The names `user_data_mode` accepts.
    pub const NAMES: [&'static str; 2] = ["pinned", "stable"];

    pub fn parse(s: &str) -> Option<UserDataMode> {
        match s {
            "pinned" => Some(UserDataMode::Pinned),
            "stable" => Some(UserDataMode::Stable),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserDataMode::Pinned => "pinned",
            UserDataMode::Stable => "stable",
        }
    }

    /// The mode a configuration or state asks for: null is `pinned`, the
    /// default (and what states written before the attribute existed hold).
    /// `None` while the value is unknown, or when it is invalid (its
    /// validator reports that).
    pub fn of(v: &Value) -> Option<UserDataMode> {
        let m = v.get("user_data_mode");
        if m.is_null() {
            return Some(UserDataMode::Pinned);
        }
        m.as_str().and_then(UserDataMode::parse)
    }

    /// The pointer config for `user_data` in this mode.
    pub(super) fn pointer(self, version: IgnitionVersion, source_url: &str, sha512: &str) -> String {
        match self {
            UserDataMode::Pinned => ignition::pointer_config(version, source_url, sha512),
            UserDataMode::Stable => ignition::pointer_config_unverified(version, source_url),
        }
    }
}

/// The stable key as far as the configuration tells it without rendering
/// (the CA or the token may still be unknown): `None` while the role, the
/// cluster name or the node name is unknown, or given by `capi_manifests`.
pub(super) fn stable_key_of_config(config: &Value) -> Option<String> {
    let role = config.get("role").as_str().and_then(Role::parse)?;
    let cluster = config.get("cluster").get("name").as_str()?;
    let name = config.get("name");
    if name.is_unknown() {
        return None;
    }
    Some(stable_object_key(cluster, role.as_str(), name.as_str()))
}
