//! Terraform values as a provider sees them: known, null or unknown, with
//! collections and objects. The wire encodings live in `msgpack` and `json`.
//!
//! This module knows nothing of Kubernetes or of any provider.

use std::collections::BTreeMap;

use super::types::Type;

/// A number. Terraform numbers are arbitrary precision; small ones arrive as
/// msgpack integers or floats, large ones as decimal strings.
#[derive(Debug, Clone)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// A decimal string, kept verbatim.
    Big(String),
}

impl Number {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            Number::Float(_) => None,
            Number::Big(s) => s.parse().ok(),
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Int(i) => Some(*i as f64),
            Number::Float(f) => Some(*f),
            Number::Big(s) => s.parse().ok(),
        }
    }
    /// Parses a decimal string as Terraform writes big numbers.
    pub fn parse(s: &str) -> Option<Number> {
        if let Ok(i) = s.parse::<i64>() {
            return Some(Number::Int(i));
        }
        let f: f64 = s.parse().ok()?;
        if !f.is_finite() {
            return None;
        }
        Some(Number::Big(s.to_string()))
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Big(a), Number::Big(b)) if a == b => true,
            _ => match (self.as_f64(), other.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        }
    }
}

/// An unknown value, with the msgpack extension it arrived in so that
/// refinements Terraform attached are echoed back untouched.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    /// The extension type code (0 for a plain unknown, 12 with refinements).
    pub code: i8,
    /// The extension payload.
    pub payload: Vec<u8>,
}

/// A Terraform value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Unknown(Unknown),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    /// A value of a `dynamic` attribute, with the concrete type it carries.
    Dynamic(Type, Box<Value>),
}

static NULL: Value = Value::Null;

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) => true,
            (Unknown(a), Unknown(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Number(a), Number(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            // Sets compare without regard to order.
            (Set(a), Set(b)) => {
                a.len() == b.len() && a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
            }
            (Map(a), Map(b)) | (Object(a), Object(b)) => a == b,
            (Dynamic(ta, a), Dynamic(tb, b)) => ta == tb && a == b,
            (Dynamic(_, a), b) => a.as_ref() == b,
            (a, Dynamic(_, b)) => a == b.as_ref(),
            _ => false,
        }
    }
}

impl Value {
    /// A plain unknown value.
    pub fn unknown() -> Value {
        // go-cty's plain unknown: extension 0 with a single zero byte.
        Value::Unknown(Unknown { code: 0, payload: vec![0] })
    }
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }
    /// A string, or null when `None`.
    pub fn opt_string<S: Into<String>>(s: Option<S>) -> Value {
        s.map_or(Value::Null, |s| Value::String(s.into()))
    }
    /// A list of strings.
    pub fn string_list<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Value {
        Value::List(items.into_iter().map(|s| Value::String(s.into())).collect())
    }

    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Dynamic(_, v) => v.is_null(),
            _ => false,
        }
    }
    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Dynamic(_, v) => v.is_unknown(),
            _ => false,
        }
    }
    /// Known at the top level (may still contain unknowns inside).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }
    /// Known all the way down.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().all(Value::is_wholly_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    /// The dynamic wrapper removed.
    pub fn unwrap_dynamic(&self) -> &Value {
        match self {
            Value::Dynamic(_, v) => v.unwrap_dynamic(),
            v => v,
        }
    }

    /// An attribute of an object (null when absent or when this is not an object).
    pub fn get(&self, name: &str) -> &Value {
        match self.unwrap_dynamic() {
            Value::Object(m) | Value::Map(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
    /// Mutable access to an object attribute, inserting null when absent.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) | Value::Map(m) => Some(m.entry(name.to_string()).or_insert(Value::Null)),
            Value::Dynamic(_, v) => v.get_mut(name),
            _ => None,
        }
    }
    /// Sets an object attribute; does nothing on a non-object.
    pub fn set(&mut self, name: &str, v: Value) {
        if let Some(slot) = self.get_mut(name) {
            *slot = v;
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unwrap_dynamic() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self.unwrap_dynamic() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self.unwrap_dynamic() {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    /// Elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self.unwrap_dynamic() {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }
    /// Entries of a map or object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unwrap_dynamic() {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }
    /// A list/set of strings; `None` when not a collection or when any element
    /// is not a known string.
    pub fn as_string_vec(&self) -> Option<Vec<String>> {
        self.as_elements()?.iter().map(|v| v.as_str().map(str::to_string)).collect()
    }
    /// A map of strings; `None` when not a map or when any value is not a known string.
    pub fn as_string_map(&self) -> Option<BTreeMap<String, String>> {
        self.as_entries()?.iter().map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect()
    }

    /// The null value shaped for a type: null for everything (Terraform's
    /// representation of an absent object or attribute).
    pub fn null_object(ty: &Type) -> Value {
        match ty {
            Type::Object(attrs, _) => Value::Object(attrs.keys().map(|k| (k.clone(), Value::Null)).collect()),
            _ => Value::Null,
        }
    }

    /// Guesses the type of a value that lacks a schema type (dynamic attributes
    /// set by provider code).
    pub fn infer_type(&self) -> Type {
        match self {
            Value::Null | Value::Unknown(_) => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(v) => Type::list(v.first().map_or(Type::Dynamic, Value::infer_type)),
            Value::Set(v) => Type::set(v.first().map_or(Type::Dynamic, Value::infer_type)),
            Value::Tuple(v) => Type::Tuple(v.iter().map(Value::infer_type).collect()),
            Value::Map(m) => Type::map(m.values().next().map_or(Type::Dynamic, Value::infer_type)),
            Value::Object(m) => Type::object(m.iter().map(|(k, v)| (k.clone(), v.infer_type()))),
            Value::Dynamic(t, _) => t.clone(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::int(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_compare_unordered() {
        let a = Value::Set(vec!["x".into(), "y".into()]);
        let b = Value::Set(vec!["y".into(), "x".into()]);
        assert_eq!(a, b);
        assert_ne!(Value::List(vec!["x".into(), "y".into()]), Value::List(vec!["y".into(), "x".into()]));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(Number::Int(3), Number::Float(3.0));
        assert_eq!(Number::Big("3".into()), Number::Int(3));
        assert_ne!(Number::Int(3), Number::Float(3.5));
    }

    #[test]
    fn accessors() {
        let mut v = Value::null_object(&Type::object([("a".into(), Type::String)]));
        assert!(v.get("a").is_null());
        v.set("a", "x".into());
        assert_eq!(v.get("a").as_str(), Some("x"));
        assert!(v.get("missing").is_null());
        assert!(Value::List(vec![Value::unknown()]).is_known());
        assert!(!Value::List(vec![Value::unknown()]).is_wholly_known());
    }
}
