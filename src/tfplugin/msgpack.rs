//! The msgpack encoding of `DynamicValue`, as go-cty writes and reads it.
//!
//! - null is msgpack nil; an unknown is any extension type (plain unknowns are
//!   ext 0, refined unknowns ext 12 with a payload we keep verbatim);
//! - objects are maps carrying every attribute key, nulls included;
//! - `dynamic` values are a two-element array `[type JSON, value]`;
//! - big numbers may arrive as decimal strings.
//!
//! Decoding is schema-directed: the caller says what type to expect. Garbage
//! input produces an error, never a panic, and nesting depth is bounded.

use std::collections::BTreeMap;
use std::io::Cursor;

use rmpv::Value as Mp;

use super::types::Type;
use super::value::{Number, Unknown, Value};

/// Nesting depth at which decoding gives up (Terraform schemas are far shallower).
const MAX_DEPTH: usize = 128;

/// A msgpack document that does not fit the expected type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MsgpackError {
    #[error("malformed msgpack: {0}")]
    Malformed(String),
    #[error("{extra} unexpected bytes after the msgpack value")]
    Trailing { extra: usize },
    #[error("at {path}: expected {expected}, found {found}")]
    Mismatch { path: String, expected: String, found: String },
    #[error("at {path}: {message}")]
    Invalid { path: String, message: String },
}

/// Decodes msgpack bytes as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, MsgpackError> {
    let mut cur = Cursor::new(bytes);
    let raw = rmpv::decode::read_value_with_max_depth(&mut cur, MAX_DEPTH)
        .map_err(|e| MsgpackError::Malformed(e.to_string()))?;
    let used = cur.position() as usize;
    if used != bytes.len() {
        return Err(MsgpackError::Trailing { extra: bytes.len() - used });
    }
    from_mp(raw, ty, &mut Vec::new())
}

/// Encodes a value of type `ty` as msgpack.
pub fn encode(v: &Value, ty: &Type) -> Result<Vec<u8>, MsgpackError> {
    let mut out = Vec::with_capacity(64);
    write(&mut out, v, ty, &mut Vec::new())?;
    Ok(out)
}

fn path_str(path: &[String]) -> String {
    if path.is_empty() {
        "the top level".to_string()
    } else {
        path.concat()
    }
}

fn kind(m: &Mp) -> &'static str {
    match m {
        Mp::Nil => "nil",
        Mp::Boolean(_) => "bool",
        Mp::Integer(_) => "integer",
        Mp::F32(_) | Mp::F64(_) => "float",
        Mp::String(_) => "string",
        Mp::Binary(_) => "binary",
        Mp::Array(_) => "array",
        Mp::Map(_) => "map",
        Mp::Ext(..) => "extension",
    }
}

fn mismatch(path: &[String], ty: &Type, m: &Mp) -> MsgpackError {
    MsgpackError::Mismatch { path: path_str(path), expected: ty.friendly(), found: kind(m).to_string() }
}

fn map_key(k: Mp, path: &[String]) -> Result<String, MsgpackError> {
    match k {
        Mp::String(s) => s.into_str().ok_or_else(|| MsgpackError::Invalid {
            path: path_str(path),
            message: "map key is not valid UTF-8".into(),
        }),
        other => Err(MsgpackError::Invalid {
            path: path_str(path),
            message: format!("map key must be a string, found {}", kind(&other)),
        }),
    }
}

fn from_mp(m: Mp, ty: &Type, path: &mut Vec<String>) -> Result<Value, MsgpackError> {
    if let Mp::Nil = m {
        return Ok(Value::Null);
    }
    if let Mp::Ext(code, payload) = m {
        return Ok(Value::Unknown(Unknown { code, payload }));
    }
    match ty {
        Type::String => match m {
            Mp::String(s) => s.into_str().map(Value::String).ok_or_else(|| MsgpackError::Invalid {
                path: path_str(path),
                message: "string is not valid UTF-8".into(),
            }),
            other => Err(mismatch(path, ty, &other)),
        },
        Type::Bool => match m {
            Mp::Boolean(b) => Ok(Value::Bool(b)),
            other => Err(mismatch(path, ty, &other)),
        },
        Type::Number => match m {
            Mp::Integer(i) => Ok(Value::Number(match i.as_i64() {
                Some(i) => Number::Int(i),
                None => Number::Big(i.to_string()),
            })),
            Mp::F32(f) => Ok(Value::Number(Number::Float(f64::from(f)))),
            Mp::F64(f) => Ok(Value::Number(Number::Float(f))),
            Mp::String(s) => {
                let text = s.into_str().unwrap_or_default();
                Number::parse(&text).map(Value::Number).ok_or_else(|| MsgpackError::Invalid {
                    path: path_str(path),
                    message: format!("{text:?} is not a number"),
                })
            }
            other => Err(mismatch(path, ty, &other)),
        },
        Type::List(et) | Type::Set(et) => match m {
            Mp::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    path.push(format!("[{i}]"));
                    out.push(from_mp(item, et, path)?);
                    path.pop();
                }
                Ok(if matches!(ty, Type::List(_)) { Value::List(out) } else { Value::Set(out) })
            }
            other => Err(mismatch(path, ty, &other)),
        },
        Type::Tuple(ets) => match m {
            Mp::Array(items) if items.len() == ets.len() => {
                let mut out = Vec::with_capacity(items.len());
                for (i, (item, et)) in items.into_iter().zip(ets).enumerate() {
                    path.push(format!("[{i}]"));
                    out.push(from_mp(item, et, path)?);
                    path.pop();
                }
                Ok(Value::Tuple(out))
            }
            Mp::Array(items) => Err(MsgpackError::Invalid {
                path: path_str(path),
                message: format!("tuple needs {} elements, found {}", ets.len(), items.len()),
            }),
            other => Err(mismatch(path, ty, &other)),
        },
        Type::Map(et) => match m {
            Mp::Map(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let k = map_key(k, path)?;
                    path.push(format!("[{k:?}]"));
                    let v = from_mp(v, et, path)?;
                    path.pop();
                    out.insert(k, v);
                }
                Ok(Value::Map(out))
            }
            other => Err(mismatch(path, ty, &other)),
        },
        Type::Object(attrs, _) => match m {
            Mp::Map(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let k = map_key(k, path)?;
                    let Some(at) = attrs.get(&k) else {
                        return Err(MsgpackError::Invalid {
                            path: path_str(path),
                            message: format!("unsupported attribute {k:?}"),
                        });
                    };
                    path.push(format!(".{k}"));
                    let v = from_mp(v, at, path)?;
                    path.pop();
                    out.insert(k, v);
                }
                // Missing keys mean null; Terraform always sends them all.
                for k in attrs.keys() {
                    out.entry(k.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(out))
            }
            other => Err(mismatch(path, ty, &other)),
        },
        Type::Dynamic => match m {
            Mp::Array(mut parts) if parts.len() == 2 => {
                let inner = parts.pop().unwrap_or(Mp::Nil);
                let type_json = match parts.pop() {
                    Some(Mp::Binary(b)) => b,
                    Some(Mp::String(s)) => s.into_bytes(),
                    _ => {
                        return Err(MsgpackError::Invalid {
                            path: path_str(path),
                            message: "dynamic value must start with its type as JSON".into(),
                        })
                    }
                };
                let inner_ty = Type::from_json_bytes(&type_json)
                    .map_err(|e| MsgpackError::Invalid { path: path_str(path), message: e.to_string() })?;
                let v = from_mp(inner, &inner_ty, path)?;
                Ok(Value::Dynamic(inner_ty, Box::new(v)))
            }
            other => Err(mismatch(path, ty, &other)),
        },
    }
}

fn wrong(path: &[String], ty: &Type, v: &Value) -> MsgpackError {
    let found = match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Tuple(_) => "tuple",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Dynamic(..) => "dynamic",
    };
    MsgpackError::Mismatch { path: path_str(path), expected: ty.friendly(), found: found.into() }
}

fn io_err(e: impl std::fmt::Display) -> MsgpackError {
    MsgpackError::Malformed(e.to_string())
}

fn write_unknown(out: &mut Vec<u8>, u: &Unknown) -> Result<(), MsgpackError> {
    if u.code == 12 && !u.payload.is_empty() {
        rmp::encode::write_ext_meta(out, u.payload.len() as u32, 12).map_err(io_err)?;
        out.extend_from_slice(&u.payload);
    } else {
        // A plain unknown, exactly as go-cty writes it.
        out.extend_from_slice(&[0xd4, 0x00, 0x00]);
    }
    Ok(())
}

fn write(out: &mut Vec<u8>, v: &Value, ty: &Type, path: &mut Vec<String>) -> Result<(), MsgpackError> {
    use rmp::encode as e;
    match v {
        Value::Null => {
            e::write_nil(out).map_err(io_err)?;
            return Ok(());
        }
        Value::Unknown(u) => return write_unknown(out, u),
        _ => {}
    }
    if *ty == Type::Dynamic {
        let (inner_ty, inner) = match v {
            Value::Dynamic(t, inner) => (t.clone(), inner.as_ref()),
            other => (other.infer_type(), other),
        };
        if let Value::Unknown(u) = inner.unwrap_dynamic() {
            // A wholly unknown dynamic value is a bare extension.
            return write_unknown(out, u);
        }
        e::write_array_len(out, 2).map_err(io_err)?;
        e::write_bin(out, &inner_ty.to_json_bytes()).map_err(io_err)?;
        return write(out, inner, &inner_ty, path);
    }
    let v = v.unwrap_dynamic();
    match (ty, v) {
        (_, Value::Null) => e::write_nil(out).map_err(io_err)?,
        (_, Value::Unknown(u)) => write_unknown(out, u)?,
        (Type::String, Value::String(s)) => e::write_str(out, s).map_err(io_err)?,
        (Type::Bool, Value::Bool(b)) => e::write_bool(out, *b).map_err(io_err)?,
        (Type::Number, Value::Number(n)) => match n {
            Number::Int(i) => {
                e::write_sint(out, *i).map_err(io_err)?;
            }
            Number::Float(f) => e::write_f64(out, *f).map_err(io_err)?,
            Number::Big(s) => e::write_str(out, s).map_err(io_err)?,
        },
        (Type::List(et), Value::List(items) | Value::Set(items) | Value::Tuple(items))
        | (Type::Set(et), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            e::write_array_len(out, items.len() as u32).map_err(io_err)?;
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                write(out, item, et, path)?;
                path.pop();
            }
        }
        (Type::Tuple(ets), Value::Tuple(items) | Value::List(items)) if ets.len() == items.len() => {
            e::write_array_len(out, items.len() as u32).map_err(io_err)?;
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                path.push(format!("[{i}]"));
                write(out, item, et, path)?;
                path.pop();
            }
        }
        (Type::Map(et), Value::Map(m) | Value::Object(m)) => {
            e::write_map_len(out, m.len() as u32).map_err(io_err)?;
            for (k, item) in m {
                e::write_str(out, k).map_err(io_err)?;
                path.push(format!("[{k:?}]"));
                write(out, item, et, path)?;
                path.pop();
            }
        }
        (Type::Object(attrs, _), Value::Object(m) | Value::Map(m)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(MsgpackError::Invalid {
                    path: path_str(path),
                    message: format!("value has attribute {extra:?} that the type lacks"),
                });
            }
            // Every attribute key is written, nulls included: Terraform
            // rejects objects with missing keys.
            e::write_map_len(out, attrs.len() as u32).map_err(io_err)?;
            for (k, at) in attrs {
                e::write_str(out, k).map_err(io_err)?;
                path.push(format!(".{k}"));
                write(out, m.get(k).unwrap_or(&Value::Null), at, path)?;
                path.pop();
            }
        }
        (ty, v) => return Err(wrong(path, ty, v)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn obj_ty() -> Type {
        Type::object([
            ("s".to_string(), Type::String),
            ("n".to_string(), Type::Number),
            ("b".to_string(), Type::Bool),
            ("l".to_string(), Type::list(Type::String)),
            ("m".to_string(), Type::map(Type::Number)),
            ("d".to_string(), Type::Dynamic),
        ])
    }

    #[test]
    fn unknown_is_d40000() {
        assert_eq!(encode(&Value::unknown(), &Type::String).unwrap(), vec![0xd4, 0, 0]);
        // Any extension decodes as unknown, including refined ones (ext 12).
        let refined = [0xd5, 12, 0x81, 0x01];
        let v = decode(&[0xc7, 3, 12, 0x81, 0x01, 0xc2], &Type::String).unwrap();
        assert!(v.is_unknown());
        let _ = refined;
        // and it is echoed as it came
        let bytes = encode(&v, &Type::String).unwrap();
        assert_eq!(bytes, vec![0xc7, 3, 12, 0x81, 0x01, 0xc2]);
    }

    #[test]
    fn objects_carry_every_key() {
        let v = Value::Object([("s".to_string(), Value::from("x"))].into_iter().collect());
        let bytes = encode(&v, &obj_ty()).unwrap();
        let back = decode(&bytes, &obj_ty()).unwrap();
        let entries = back.as_entries().unwrap();
        assert_eq!(entries.len(), 6);
        assert!(back.get("n").is_null());
        assert_eq!(back.get("s").as_str(), Some("x"));
        // first byte: fixmap with 6 entries
        assert_eq!(bytes[0], 0x86);
    }

    #[test]
    fn dynamic_is_wrapped() {
        let v = Value::Dynamic(Type::list(Type::String), Box::new(Value::string_list(["a"])));
        let bytes = encode(&v, &Type::Dynamic).unwrap();
        // [bin(["list","string"]), ["a"]]
        assert_eq!(bytes[0], 0x92);
        assert_eq!(bytes[1], 0xc4);
        let back = decode(&bytes, &Type::Dynamic).unwrap();
        assert_eq!(back, v);
        assert!(matches!(back, Value::Dynamic(..)));
        // A string-typed JSON header is accepted too.
        let mut alt = vec![0x92, 0xa8];
        alt.extend_from_slice(b"\"string\"");
        alt.extend_from_slice(&[0xa1, b'z']);
        assert_eq!(decode(&alt, &Type::Dynamic).unwrap().as_str(), Some("z"));
    }

    #[test]
    fn big_numbers_as_strings() {
        let mut bytes = vec![0xb5];
        bytes.extend_from_slice(b"123456789012345678901");
        let v = decode(&bytes, &Type::Number).unwrap();
        assert!(matches!(v, Value::Number(Number::Big(_))));
        assert_eq!(encode(&v, &Type::Number).unwrap(), bytes);
        assert!(decode(&[0xa3, b'a', b'b', b'c'], &Type::Number).is_err());
    }

    #[test]
    fn rejects_mismatch_and_trailing() {
        assert!(matches!(decode(&[0x01], &Type::String), Err(MsgpackError::Mismatch { .. })));
        assert!(matches!(decode(&[0xc0, 0xc0], &Type::String), Err(MsgpackError::Trailing { .. })));
        assert!(decode(&[], &Type::String).is_err());
        let bad_attr = [0x81, 0xa1, b'z', 0xc0];
        assert!(decode(&bad_attr, &obj_ty()).is_err());
        assert!(encode(&Value::from("x"), &Type::Number).is_err());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut bytes = vec![0x91; 100_000];
        bytes.push(0xc0);
        let mut ty = Type::String;
        for _ in 0..10 {
            ty = Type::list(ty);
        }
        assert!(decode(&bytes, &ty).is_err());
    }

    /// A type and a value of that type (with nulls and unknowns mixed in).
    fn arb_typed() -> impl Strategy<Value = (Type, Value)> {
        let leaf = prop_oneof![
            any::<String>().prop_map(|s| (Type::String, Value::String(s))),
            any::<i64>().prop_map(|i| (Type::Number, Value::int(i))),
            any::<bool>().prop_map(|b| (Type::Bool, Value::Bool(b))),
            Just((Type::String, Value::Null)),
            Just((Type::Number, Value::unknown())),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                // homogeneous list: one element type, several values
                (inner.clone(), 0usize..4).prop_map(|((t, v), n)| (Type::list(t), Value::List(vec![v; n]))),
                (inner.clone(), 0usize..3).prop_map(|((t, v), n)| {
                    (Type::map(t), Value::Map((0..n).map(|i| (format!("k{i}"), v.clone())).collect()))
                }),
                prop::collection::btree_map("[a-z]{1,4}", inner.clone(), 0..4).prop_map(|m| {
                    let ty = Type::object(m.iter().map(|(k, (t, _))| (k.clone(), t.clone())));
                    (ty, Value::Object(m.into_iter().map(|(k, (_, v))| (k, v)).collect()))
                }),
                prop::collection::vec(inner.clone(), 0..3).prop_map(|items| {
                    let ty = Type::Tuple(items.iter().map(|(t, _)| t.clone()).collect());
                    (ty, Value::Tuple(items.into_iter().map(|(_, v)| v).collect()))
                }),
                // A dynamic value's concrete type is never itself dynamic.
                inner
                    .prop_filter("concrete", |(t, _)| *t != Type::Dynamic)
                    .prop_map(|(t, v)| (Type::Dynamic, Value::Dynamic(t, Box::new(v)))),
            ]
        })
    }

    fn nested_type(depth: usize) -> Type {
        let mut t = Type::String;
        for i in 0..depth {
            t = if i % 2 == 0 { Type::map(t) } else { Type::list(t) };
        }
        t
    }

    proptest! {
        #[test]
        fn round_trips((ty, v) in arb_typed()) {
            let bytes = encode(&v, &ty).unwrap();
            let back = decode(&bytes, &ty).unwrap();
            prop_assert_eq!(&back, &v);
            // and the re-encoding is byte-identical
            prop_assert_eq!(encode(&back, &ty).unwrap(), bytes);
        }

        #[test]
        fn object_round_trips(s in any::<Option<String>>(), n in any::<Option<i64>>(), f in any::<f64>(), b in any::<Option<bool>>(),
                              l in prop::collection::vec(any::<String>(), 0..4),
                              m in prop::collection::btree_map(any::<String>(), -1000i64..1000, 0..4)) {
            prop_assume!(f.is_finite());
            let v = Value::Object([
                ("s".to_string(), Value::opt_string(s)),
                ("n".to_string(), n.map_or(Value::Null, Value::int)),
                ("b".to_string(), b.map_or(Value::Null, Value::Bool)),
                ("l".to_string(), Value::string_list(l)),
                ("m".to_string(), Value::Map(m.into_iter().map(|(k, v)| (k, Value::int(v))).collect())),
                ("d".to_string(), Value::Dynamic(Type::Number, Box::new(Value::Number(Number::Float(f))))),
            ].into_iter().collect());
            let bytes = encode(&v, &obj_ty()).unwrap();
            prop_assert_eq!(decode(&bytes, &obj_ty()).unwrap(), v);
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode(&bytes, &obj_ty());
            let _ = decode(&bytes, &Type::Dynamic);
            let _ = decode(&bytes, &nested_type(4));
        }
    }
}
