//! The JSON encoding of values, as stored in state files and sent in
//! `RawState.json` and `DynamicValue.json`.
//!
//! JSON cannot carry unknown values. `dynamic` values are wrapped as
//! `{"value": V, "type": T}`. Decoding is lenient about object keys the way
//! state upgrades need: missing attributes become null and, in lenient mode,
//! attributes the type does not know are dropped.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::types::Type;
use super::value::{Number, Value};

/// A JSON document that does not fit the expected type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at {path}: {message}")]
pub struct JsonError {
    pub path: String,
    pub message: String,
}

/// How to treat object keys the type does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKeys {
    Reject,
    Drop,
}

/// Decodes JSON bytes as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type, unknown_keys: UnknownKeys) -> Result<Value, JsonError> {
    let j: Json = serde_json::from_slice(bytes)
        .map_err(|e| JsonError { path: "the top level".into(), message: e.to_string() })?;
    from_json(&j, ty, unknown_keys, &mut Vec::new())
}

/// Decodes a parsed JSON value as a value of type `ty`.
pub fn from_json(j: &Json, ty: &Type, unknown_keys: UnknownKeys, path: &mut Vec<String>) -> Result<Value, JsonError> {
    let mut fills_left = nodes(j).saturating_mul(16).saturating_add(4096);
    from_json_capped(j, ty, unknown_keys, path, &mut fills_left)
}

/// How many JSON values `j` holds (itself included).
fn nodes(j: &Json) -> usize {
    match j {
        Json::Array(items) => 1 + items.iter().map(nodes).sum::<usize>(),
        Json::Object(m) => 1 + m.values().map(nodes).sum::<usize>(),
        _ => 1,
    }
}

/// [`from_json`] with a cap on the missing object attributes filled with
/// null: an empty object can stand for an object of any width, and a
/// dynamic value declares its own type, so without the cap a small document
/// could decode into a value quadratically larger.
fn from_json_capped(
    j: &Json,
    ty: &Type,
    unknown_keys: UnknownKeys,
    path: &mut Vec<String>,
    fills_left: &mut usize,
) -> Result<Value, JsonError> {
    let err = |path: &[String], message: String| JsonError {
        path: if path.is_empty() { "the top level".into() } else { path.concat() },
        message,
    };
    if j.is_null() {
        return Ok(Value::Null);
    }
    if path.len() > 128 {
        return Err(err(path, "nested too deeply".into()));
    }
    match ty {
        Type::String => match j {
            Json::String(s) => Ok(Value::String(s.clone())),
            // State written by older providers may hold scalars of another kind.
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(err(path, format!("expected string, found {}", json_kind(j)))),
        },
        Type::Bool => match j {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => Err(err(path, format!("expected bool, found {}", json_kind(j)))),
        },
        Type::Number => match j {
            Json::Number(n) => Ok(Value::Number(if let Some(i) = n.as_i64() {
                Number::Int(i)
            } else if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                Number::Float(f)
            } else {
                Number::Big(n.to_string())
            })),
            Json::String(s) => {
                Number::parse(s).map(Value::Number).ok_or_else(|| err(path, format!("{s:?} is not a number")))
            }
            _ => Err(err(path, format!("expected number, found {}", json_kind(j)))),
        },
        Type::List(et) | Type::Set(et) => match j {
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    path.push(format!("[{i}]"));
                    out.push(from_json_capped(item, et, unknown_keys, path, fills_left)?);
                    path.pop();
                }
                Ok(if matches!(ty, Type::List(_)) { Value::List(out) } else { Value::Set(out) })
            }
            _ => Err(err(path, format!("expected {}, found {}", ty.friendly(), json_kind(j)))),
        },
        Type::Tuple(ets) => match j {
            Json::Array(items) if items.len() == ets.len() => {
                let mut out = Vec::with_capacity(items.len());
                for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                    path.push(format!("[{i}]"));
                    out.push(from_json_capped(item, et, unknown_keys, path, fills_left)?);
                    path.pop();
                }
                Ok(Value::Tuple(out))
            }
            _ => Err(err(path, format!("expected a tuple of {} elements", ets.len()))),
        },
        Type::Map(et) => match j {
            Json::Object(m) => {
                let mut out = BTreeMap::new();
                for (k, item) in m {
                    path.push(format!("[{k:?}]"));
                    out.insert(k.clone(), from_json_capped(item, et, unknown_keys, path, fills_left)?);
                    path.pop();
                }
                Ok(Value::Map(out))
            }
            _ => Err(err(path, format!("expected {}, found {}", ty.friendly(), json_kind(j)))),
        },
        Type::Object(attrs, _) => match j {
            Json::Object(m) => {
                let mut out = BTreeMap::new();
                for (k, item) in m {
                    match attrs.get(k) {
                        Some(at) => {
                            path.push(format!(".{k}"));
                            out.insert(k.clone(), from_json_capped(item, at, unknown_keys, path, fills_left)?);
                            path.pop();
                        }
                        None if unknown_keys == UnknownKeys::Drop => {}
                        None => return Err(err(path, format!("unsupported attribute {k:?}"))),
                    }
                }
                // Charged by what the nulls and their keys weigh.
                let missing: usize = attrs.keys().filter(|k| !out.contains_key(*k)).map(|k| k.len() + 1).sum();
                if missing > *fills_left {
                    return Err(err(path, "more object attributes are missing than the document's size allows".into()));
                }
                *fills_left -= missing;
                for k in attrs.keys() {
                    out.entry(k.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(out))
            }
            _ => Err(err(path, format!("expected object, found {}", json_kind(j)))),
        },
        Type::Dynamic => match j {
            Json::Object(m) if m.contains_key("type") && m.contains_key("value") && m.len() == 2 => {
                let inner_ty = Type::from_json(&m["type"]).map_err(|e| err(path, e.to_string()))?;
                let v = from_json_capped(&m["value"], &inner_ty, unknown_keys, path, fills_left)?;
                Ok(Value::Dynamic(inner_ty, Box::new(v)))
            }
            _ => Err(err(path, "dynamic value must be {\"value\": ..., \"type\": ...}".into())),
        },
    }
}

fn json_kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Encodes a value as JSON; unknowns (which JSON cannot hold) become null.
pub fn to_json(v: &Value, ty: &Type) -> Json {
    match (ty, v) {
        (_, Value::Null | Value::Unknown(_)) => Json::Null,
        (Type::Dynamic, v) => {
            let (t, inner) = match v {
                Value::Dynamic(t, inner) => (t.clone(), inner.as_ref()),
                other => (other.infer_type(), other),
            };
            serde_json::json!({ "value": to_json(inner, &t), "type": t.to_json() })
        }
        (_, Value::Dynamic(_, inner)) => to_json(inner, ty),
        (_, Value::String(s)) => Json::String(s.clone()),
        (_, Value::Bool(b)) => Json::Bool(*b),
        (_, Value::Number(n)) => match n {
            Number::Int(i) => Json::from(*i),
            Number::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Number::Big(s) => s.parse::<serde_json::Number>().map_or_else(|_| Json::String(s.clone()), Json::Number),
        },
        (Type::Tuple(ets), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            Json::Array(items.iter().zip(ets).map(|(i, t)| to_json(i, t)).collect())
        }
        (Type::List(et) | Type::Set(et), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            Json::Array(items.iter().map(|i| to_json(i, et)).collect())
        }
        (_, Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            Json::Array(items.iter().map(|i| to_json(i, &Type::Dynamic)).collect())
        }
        (Type::Map(et), Value::Map(m) | Value::Object(m)) => {
            Json::Object(m.iter().map(|(k, i)| (k.clone(), to_json(i, et))).collect())
        }
        (Type::Object(attrs, _), Value::Map(m) | Value::Object(m)) => Json::Object(
            attrs.iter().map(|(k, at)| (k.clone(), to_json(m.get(k).unwrap_or(&Value::Null), at))).collect(),
        ),
        (_, Value::Map(m) | Value::Object(m)) => {
            Json::Object(m.iter().map(|(k, i)| (k.clone(), to_json(i, &Type::Dynamic))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ty() -> Type {
        Type::object([
            ("id".to_string(), Type::String),
            ("n".to_string(), Type::Number),
            ("tags".to_string(), Type::map(Type::String)),
            ("d".to_string(), Type::Dynamic),
        ])
    }

    #[test]
    fn fills_missing_and_drops_removed() {
        let v = decode(br#"{"id":"x","old":1}"#, &ty(), UnknownKeys::Drop).unwrap();
        assert_eq!(v.get("id").as_str(), Some("x"));
        assert!(v.get("n").is_null());
        assert_eq!(v.as_entries().unwrap().len(), 4);
        assert!(decode(br#"{"id":"x","old":1}"#, &ty(), UnknownKeys::Reject).is_err());
    }

    #[test]
    fn dynamic_wrapping() {
        let v = decode(br#"{"d":{"value":["a"],"type":["list","string"]}}"#, &ty(), UnknownKeys::Reject).unwrap();
        assert_eq!(v.get("d").as_string_vec(), Some(vec!["a".to_string()]));
        let back = to_json(&v, &ty());
        assert_eq!(back["d"]["type"], serde_json::json!(["list", "string"]));
    }

    proptest! {
        #[test]
        fn round_trip(id in any::<Option<String>>(), n in any::<Option<i64>>(), tags in prop::collection::btree_map(any::<String>(), any::<String>(), 0..4)) {
            let v = Value::Object([
                ("id".to_string(), Value::opt_string(id)),
                ("n".to_string(), n.map_or(Value::Null, Value::int)),
                ("tags".to_string(), Value::Map(tags.into_iter().map(|(k, v)| (k, Value::String(v))).collect())),
                ("d".to_string(), Value::Null),
            ].into_iter().collect());
            let j = to_json(&v, &ty());
            let back = from_json(&j, &ty(), UnknownKeys::Reject, &mut Vec::new()).unwrap();
            prop_assert_eq!(back, v);
        }

        #[test]
        fn garbage_never_panics(s in ".{0,64}") {
            let _ = decode(s.as_bytes(), &ty(), UnknownKeys::Drop);
        }
    }
}
