//! The Secret manifest kubeadm creates for a token.

use std::collections::BTreeMap;

use base64::Engine as _;
use time::OffsetDateTime;

use super::*;
use crate::bootstrap::yaml;

/// Renders the Secret kubeadm creates for `token`, as block-style YAML.
///
/// The `data` entries follow kubeadm's `encodeTokenSecretData`:
/// `token-id`, `token-secret`, `description` (only when non-empty),
/// `expiration` (only when `expires_at` is set, formatted with
/// [`format_rfc3339`]), `usage-bootstrap-<usage>: true` for each usage and
/// `auth-extra-groups` (the groups joined with `,`, only when there are
/// any). Values are base64-encoded and double-quoted so that no YAML reader
/// can take one for a number. All mapping keys are emitted in sorted order,
/// so the output is byte-for-byte stable for the same inputs.
///
/// Usages and groups are written as given; check them first with
/// [`validate_usages`] and [`validate_groups`]. The returned text contains
/// the token secret.
pub fn secret_manifest(
    token: &BootstrapToken,
    description: Option<&str>,
    expires_at: Option<OffsetDateTime>,
    usages: &[String],
    groups: &[String],
) -> String {
    let mut data: BTreeMap<String, String> = BTreeMap::new();
    data.insert(KEY_TOKEN_ID.to_owned(), token.id.clone());
    data.insert(KEY_TOKEN_SECRET.to_owned(), token.secret.expose().clone());
    if let Some(text) = description.filter(|d| !d.is_empty()) {
        data.insert(KEY_DESCRIPTION.to_owned(), text.to_owned());
    }
    if let Some(at) = expires_at {
        data.insert(KEY_EXPIRATION.to_owned(), format_rfc3339(at));
    }
    for usage in usages {
        data.insert(format!("{KEY_USAGE_PREFIX}{usage}"), "true".to_owned());
    }
    if !groups.is_empty() {
        data.insert(KEY_EXTRA_GROUPS.to_owned(), groups.join(","));
    }

    let engine = base64::engine::general_purpose::STANDARD;
    let mut out = String::new();
    out.push_str("apiVersion: v1\n");
    out.push_str("data:\n");
    for (key, value) in &data {
        out.push_str("  ");
        out.push_str(&yaml_key(key));
        out.push_str(": ");
        out.push_str(&yaml::quoted(&engine.encode(value.as_bytes())));
        out.push('\n');
    }
    out.push_str("kind: Secret\n");
    out.push_str("metadata:\n");
    out.push_str("  name: ");
    out.push_str(&yaml_key(&token.secret_name()));
    out.push('\n');
    out.push_str("  namespace: ");
    out.push_str(SECRET_NAMESPACE);
    out.push('\n');
    out.push_str("type: ");
    out.push_str(SECRET_TYPE);
    out.push('\n');
    out
}

/// Writes a mapping key or simple value as a plain YAML scalar when it is
/// a letter followed by letters, digits, `.`, `_` or `-` (such text cannot
/// be read as anything but a string), and as a double-quoted scalar
/// ([`yaml::quoted`]) otherwise.
pub(super) fn yaml_key(text: &str) -> String {
    let mut bytes = text.bytes();
    let plain = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        text.to_owned()
    } else {
        yaml::quoted(text)
    }
}
