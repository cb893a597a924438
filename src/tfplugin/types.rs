//! Terraform's type system (cty types) as the plugin protocol describes them.
//!
//! Types travel as JSON in `Schema.Attribute.type` and inside every `dynamic`
//! value (`["list","string"]`, `["object",{"a":"number"}]`, ...). This module
//! knows nothing of Kubernetes or of any provider.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

/// A Terraform value type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    String,
    Number,
    Bool,
    /// Any type; values carry their own type on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    /// Attribute types plus the names of attributes that are optional in a
    /// type constraint (only meaningful in type constraints, kept for round trips).
    Object(BTreeMap<String, Type>, BTreeSet<String>),
    Tuple(Vec<Type>),
}

/// A type JSON document that is not a valid Terraform type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid type specification {0}")]
pub struct TypeError(pub String);

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    /// An object type with every attribute required.
    pub fn object<I: IntoIterator<Item = (String, Type)>>(attrs: I) -> Type {
        Type::Object(attrs.into_iter().collect(), BTreeSet::new())
    }

    /// The JSON form used on the wire.
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => Json::from("string"),
            Type::Number => Json::from("number"),
            Type::Bool => Json::from("bool"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => Json::Array(vec!["list".into(), t.to_json()]),
            Type::Set(t) => Json::Array(vec!["set".into(), t.to_json()]),
            Type::Map(t) => Json::Array(vec!["map".into(), t.to_json()]),
            Type::Object(attrs, optional) => {
                let obj: serde_json::Map<String, Json> = attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect();
                let mut parts = vec!["object".into(), Json::Object(obj)];
                if !optional.is_empty() {
                    parts.push(Json::Array(optional.iter().map(|s| Json::from(s.as_str())).collect()));
                }
                Json::Array(parts)
            }
            Type::Tuple(elems) => {
                Json::Array(vec!["tuple".into(), Json::Array(elems.iter().map(Type::to_json).collect())])
            }
        }
    }

    /// Compact JSON bytes, as `Schema.Attribute.type` wants them.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serialising a serde_json::Value to a Vec cannot fail.
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }

    /// Parses the JSON form of a type.
    pub fn from_json(j: &Json) -> Result<Type, TypeError> {
        Self::from_json_depth(j, 0)
    }

    fn from_json_depth(j: &Json, depth: usize) -> Result<Type, TypeError> {
        if depth > 64 {
            return Err(TypeError("nested more than 64 levels".into()));
        }
        let bad = || TypeError(truncate(&j.to_string()));
        match j {
            Json::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => {
                let kind = parts.first().and_then(Json::as_str).ok_or_else(bad)?;
                match (kind, parts.len()) {
                    ("list", 2) => Ok(Type::list(Self::from_json_depth(&parts[1], depth + 1)?)),
                    ("set", 2) => Ok(Type::set(Self::from_json_depth(&parts[1], depth + 1)?)),
                    ("map", 2) => Ok(Type::map(Self::from_json_depth(&parts[1], depth + 1)?)),
                    ("object", 2 | 3) => {
                        let attrs = parts[1].as_object().ok_or_else(bad)?;
                        let mut out = BTreeMap::new();
                        for (k, v) in attrs {
                            out.insert(k.clone(), Self::from_json_depth(v, depth + 1)?);
                        }
                        let mut optional = BTreeSet::new();
                        if let Some(opt) = parts.get(2) {
                            for name in opt.as_array().ok_or_else(bad)? {
                                let name = name.as_str().ok_or_else(bad)?;
                                if !out.contains_key(name) {
                                    return Err(bad());
                                }
                                optional.insert(name.to_string());
                            }
                        }
                        Ok(Type::Object(out, optional))
                    }
                    ("tuple", 2) => {
                        let elems = parts[1].as_array().ok_or_else(bad)?;
                        let elems =
                            elems.iter().map(|e| Self::from_json_depth(e, depth + 1)).collect::<Result<Vec<_>, _>>()?;
                        Ok(Type::Tuple(elems))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    /// Parses type JSON bytes (the first element of a msgpack dynamic value).
    pub fn from_json_bytes(b: &[u8]) -> Result<Type, TypeError> {
        let j: Json = serde_json::from_slice(b).map_err(|e| TypeError(e.to_string()))?;
        Self::from_json(&j)
    }

    /// A short human form, for error messages.
    pub fn friendly(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Dynamic => "any".into(),
            Type::List(t) => format!("list of {}", t.friendly()),
            Type::Set(t) => format!("set of {}", t.friendly()),
            Type::Map(t) => format!("map of {}", t.friendly()),
            Type::Object(..) => "object".into(),
            Type::Tuple(..) => "tuple".into(),
        }
    }
}

fn truncate(s: &str) -> String {
    if s.len() <= 120 {
        return s.to_string();
    }
    let mut end = 120;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let t = Type::Object(
            [
                ("a".to_string(), Type::list(Type::String)),
                ("b".to_string(), Type::Tuple(vec![Type::Number, Type::Bool])),
                ("c".to_string(), Type::map(Type::set(Type::Dynamic))),
            ]
            .into_iter()
            .collect(),
            ["a".to_string()].into_iter().collect(),
        );
        let j = t.to_json();
        assert_eq!(
            j.to_string(),
            r#"["object",{"a":["list","string"],"b":["tuple",["number","bool"]],"c":["map",["set","dynamic"]]},["a"]]"#
        );
        assert_eq!(Type::from_json(&j).unwrap(), t);
    }

    #[test]
    fn rejects_bad_types() {
        for s in [r#""strin""#, r#"["list"]"#, r#"["object",{"a":"string"},["b"]]"#, r#"42"#, r#"["tuple","string"]"#] {
            let j: Json = serde_json::from_str(s).unwrap();
            assert!(Type::from_json(&j).is_err(), "{s}");
        }
    }
}
