//! User patches onto the generated documents: JSON merge patch (RFC 7386)
//! applied to the serialized typed document, then parsed back strictly.
//!
//! Merge rules: a mapping in the patch merges key by key into the mapping it
//! meets, `null` removes the key, anything else (scalars and whole lists)
//! replaces. Lists are never merged element-wise, so patching a v1beta4
//! `extraArgs` list replaces the generated list.
//!
//! Plain domain code: nothing here may depend on tonic, prost, msgpack or the
//! Terraform plugin protocol.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::KubeadmError;

/// Applies `patch` to `target` with JSON merge patch semantics.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target_map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                target_map.remove(key);
            } else {
                merge(target_map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// What kind of YAML value a patch was, for error messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Parses a patch: a single YAML (or JSON) mapping. An empty patch (no
/// document, or `null`) yields `None` and changes nothing.
pub fn parse_patch(document: &'static str, text: &str) -> Result<Option<Map<String, Value>>, KubeadmError> {
    let value: Value =
        serde_yaml_ng::from_str(text).map_err(|e| KubeadmError::PatchNotYaml { document, message: e.to_string() })?;
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        other => Err(KubeadmError::PatchNotMapping { document, found: describe(&other) }),
    }
}

/// Merges `patch` (YAML text) onto `doc` and parses the result back into
/// `T`, refusing unknown fields and changes of `apiVersion` or `kind`.
pub fn apply<T>(document: &'static str, doc: &T, patch: &str) -> Result<T, KubeadmError>
where
    T: Serialize + DeserializeOwned,
{
    let Some(patch) = parse_patch(document, patch)? else {
        return to_value(document, doc).and_then(|v| from_value(document, v));
    };
    let mut value = to_value(document, doc)?;
    let original = value.clone();
    merge(&mut value, &Value::Object(patch));
    for field in ["apiVersion", "kind"] {
        if value.get(field) != original.get(field) {
            return Err(KubeadmError::PatchChangesTypeMeta {
                document,
                field,
                expected: original.get(field).and_then(Value::as_str).unwrap_or_default().to_string(),
            });
        }
    }
    from_value(document, value)
}

/// Serializes a typed document into a JSON value (keys in field order).
pub fn to_value<T: Serialize>(document: &'static str, doc: &T) -> Result<Value, KubeadmError> {
    serde_json::to_value(doc).map_err(|e| KubeadmError::Serialize { document, message: e.to_string() })
}

/// Parses a JSON value strictly into `T`, naming the path of any problem.
fn from_value<T: DeserializeOwned>(document: &'static str, value: Value) -> Result<T, KubeadmError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        if message.starts_with("unknown field") {
            KubeadmError::PatchUnknownField { document, path }
        } else {
            KubeadmError::PatchInvalidValue { document, path, message }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The examples of RFC 7386, appendix A.
    #[test]
    fn rfc7386_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (json!({"a": {"b": "c"}}), json!({"a": {"b": "d", "c": null}}), json!({"a": {"b": "d"}})),
            (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
            (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
            (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
        ];
        for (mut target, patch, want) in cases {
            merge(&mut target, &patch);
            assert_eq!(target, want, "patch {patch}");
        }
    }

    #[test]
    fn patch_text_must_be_one_mapping() {
        assert_eq!(parse_patch("x", "").unwrap(), None);
        assert_eq!(parse_patch("x", "# nothing\n").unwrap(), None);
        assert!(parse_patch("x", "{\"a\": 1}").unwrap().is_some());
        assert!(matches!(parse_patch("x", "- a\n"), Err(KubeadmError::PatchNotMapping { found: "a list", .. })));
        assert!(matches!(parse_patch("x", "hello"), Err(KubeadmError::PatchNotMapping { found: "a string", .. })));
        assert!(matches!(parse_patch("x", "a: [\n"), Err(KubeadmError::PatchNotYaml { .. })));
        assert!(matches!(parse_patch("x", "a: 1\n---\nb: 2\n"), Err(KubeadmError::PatchNotYaml { .. })));
    }
}
