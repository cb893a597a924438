//! Small helpers for walking YAML values with a path, collecting findings
//! instead of stopping at the first problem.

use serde_yaml_ng::Value;

use super::{Finding, Severity};

/// Collects findings for one manifest document.
pub(super) struct Walker<'a> {
    /// The document the findings are about, e.g. `KubeadmConfig default/worker-0 (document 2)`.
    pub object: String,
    pub findings: &'a mut Vec<Finding>,
}

impl Walker<'_> {
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        self.push(Severity::Error, path, message.into());
    }

    pub fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.push(Severity::Warning, path, message.into());
    }

    fn push(&mut self, severity: Severity, path: &str, message: String) {
        self.findings.push(Finding { severity, object: self.object.clone(), path: path.to_string(), message });
    }

    /// The entries of a mapping (`null` is an empty mapping), with string keys.
    pub fn map<'v>(&mut self, v: &'v Value, path: &str) -> Vec<(String, &'v Value)> {
        match v {
            Value::Null => Vec::new(),
            Value::Mapping(m) => {
                let mut out = Vec::new();
                for (k, v) in m {
                    match k.as_str() {
                        Some(k) => out.push((k.to_string(), v)),
                        None => self.error(path, format!("has a key that is not a string: {}", scalar_text(k))),
                    }
                }
                out
            }
            Value::Tagged(t) => self.map(&t.value, path),
            other => {
                self.error(path, format!("must be a mapping, found {}", kind(other)));
                Vec::new()
            }
        }
    }

    /// The elements of a list (`null` is empty).
    pub fn list<'v>(&mut self, v: &'v Value, path: &str) -> &'v [Value] {
        match v {
            Value::Null => &[],
            Value::Sequence(s) => s,
            Value::Tagged(t) => self.list(&t.value, path),
            other => {
                self.error(path, format!("must be a list, found {}", kind(other)));
                &[]
            }
        }
    }

    /// A string (`null` is absent). Numbers and booleans are refused as the
    /// Kubernetes API refuses them: quote them.
    pub fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Tagged(t) => self.string(&t.value, path),
            other => {
                self.error(path, format!("must be a string, found {}; quote it", kind(other)));
                None
            }
        }
    }

    pub fn bool(&mut self, v: &Value, path: &str) -> Option<bool> {
        match v {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            other => {
                self.error(path, format!("must be true or false, found {}", kind(other)));
                None
            }
        }
    }

    pub fn int(&mut self, v: &Value, path: &str) -> Option<i64> {
        match v {
            Value::Null => None,
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            other => {
                self.error(path, format!("must be an integer, found {}", kind(other)));
                None
            }
        }
    }

    pub fn strings(&mut self, v: &Value, path: &str) -> Vec<String> {
        let items = self.list(v, path);
        items.iter().enumerate().filter_map(|(i, s)| self.string(s, &format!("{path}[{i}]"))).collect()
    }

    /// A `map[string]string`.
    pub fn string_map(&mut self, v: &Value, path: &str) -> Vec<(String, String)> {
        self.map(v, path)
            .into_iter()
            .filter_map(|(k, val)| {
                let p = format!("{path}.{k}");
                self.string(val, &p).map(|s| (k, s))
            })
            .collect()
    }
}

/// What a YAML value is, for messages.
pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => kind(other).to_string(),
    }
}

/// Looks up `a.b.c` in nested mappings.
pub(super) fn at<'v>(v: &'v Value, dotted: &str) -> &'v Value {
    let mut cur = v;
    for part in dotted.split('.') {
        cur = match cur.get(part) {
            Some(next) => next,
            None => return &Value::Null,
        };
    }
    cur
}

/// `at(..)` as a string, if it is one.
pub(super) fn at_str<'v>(v: &'v Value, dotted: &str) -> Option<&'v str> {
    at(v, dotted).as_str()
}

/// Converts YAML into JSON for kubeadm patches (keys must be strings).
pub(super) fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                serde_json::Value::from(i)
            } else if let Some(u) = n.as_u64() {
                serde_json::Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Sequence(s) => serde_json::Value::Array(s.iter().map(to_json).collect()),
        Value::Mapping(m) => serde_json::Value::Object(
            m.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), to_json(v)))).collect(),
        ),
        Value::Tagged(t) => to_json(&t.value),
    }
}
