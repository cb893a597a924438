//! A small block-style YAML writer for the rendered documents.
//!
//! kubeadm reads its config with a YAML 1.1 parser, which turns plain
//! `yes`, `no`, `on`, `off`, `y`, `n`, `1_000` or `1:20` into booleans and
//! numbers; a general YAML 1.2 emitter leaves those unquoted. This writer
//! therefore emits a string plain only when it is unambiguous under both
//! YAML 1.1 and 1.2, and double-quotes (with escapes, ASCII only) everything
//! else; those scalar rules live in [`crate::bootstrap::yaml`]. Key order is
//! the order of the JSON object, so the output is as deterministic as the
//! value.
//!
//! Plain domain code: nothing here may depend on tonic, prost, msgpack or the
//! Terraform plugin protocol.

use serde_json::{Map, Value};

pub use crate::bootstrap::yaml::string;

/// Writes one YAML document (no leading `---`) for `value`.
pub fn document(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Writes the entries of `map` at `level`; with `inline_first` the first key
/// continues a line that already holds a `- ` marker.
fn write_map(out: &mut String, map: &Map<String, Value>, level: usize, inline_first: bool) {
    for (i, (key, value)) in map.iter().enumerate() {
        if !(inline_first && i == 0) {
            indent(out, level);
        }
        out.push_str(&string(key));
        out.push(':');
        match value {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                write_map(out, m, level + 2, false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, level);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

/// Writes the items of a sequence, `- ` markers at `level`.
fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        match item {
            Value::Object(m) if !m.is_empty() => {
                out.push_str("- ");
                write_map(out, m, level + 2, true);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push_str("-\n");
                write_seq(out, inner, level + 2);
            }
            other => {
                out.push_str("- ");
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection on one line.
fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "N",
            "true",
            "null",
            "~",
            "",
            "30",
            "1_000",
            "0x1F",
            "0o17",
            "0b101",
            "017",
            "1e3",
            "1.30",
            "1:20",
            "2030-01-02",
            "2030-01-02T03:04:05Z",
            "inf",
            "NaN",
            "a: b",
            "trailing:",
            "-x",
            ".5",
            "+1",
            "#x",
            "x #y",
            "@x",
            "<<",
            "=",
            "*x",
            "&x",
            "!x",
            "|",
            ">",
            "?x",
            "{a}",
            "[a]",
            "'",
            " lead",
            "tab\t",
        ] {
            assert!(string(s).starts_with('"'), "{s:?} -> {}", string(s));
        }
        for s in [
            "abc",
            "v1.31.4",
            "10.96.0.0/12",
            "10.0.0.1",
            "unix:///run/containerd/containerd.sock",
            "sha256:00ff",
            "__KUBEADM_NODE_NAME__",
            "aws:///eu-west-1a/i-0abc",
            "Node,RBAC",
            "a=b,c=d",
            "0s",
            "4m0s",
            "/opt/libexec/kubernetes/kubelet-plugins/volume/exec/",
            "system:bootstrappers:kubeadm:default-node-token",
            "abcdef.0123456789abcdef",
            "RSA-2048",
        ] {
            assert_eq!(string(s), s);
        }
        assert_eq!(string("a\"b\\c\nd\u{85}\u{1F600}"), "\"a\\\"b\\\\c\\nd\\u0085\\U0001F600\"");
    }

    #[test]
    fn layout() {
        let v = json!({
            "a": "x",
            "b": {"c": [1, {"d": "e", "f": ["g"]}, [], {}], "h": {}},
            "i": [],
            "j": [["k"], true, null, 0.5],
        });
        let want = "a: x\nb:\n  c:\n  - 1\n  - d: e\n    f:\n    - g\n  - []\n  - {}\n  h: {}\ni: []\nj:\n-\n  - k\n- true\n- null\n- 0.5\n";
        assert_eq!(document(&v), want);
        let back: Value = serde_yaml_ng::from_str(want).unwrap();
        assert_eq!(back, v);
    }

    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<String>().prop_map(Value::String),
            "[a-zA-Z0-9 _.:/=,+@#'\"-]{0,8}".prop_map(Value::String),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((any::<String>(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn output_reads_back_as_the_same_value(v in tree()) {
            let text = document(&v);
            let back: Value = serde_yaml_ng::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(back, v, "{}", text);
        }
    }
}
