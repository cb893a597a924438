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

use super::types::Type;
use super::value::{Number, Unknown, Value};
use std::collections::BTreeMap;

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
    let mut r = Reader { buf: bytes, pos: 0, fills_left: fill_allowance(bytes.len()) };
    let v = r.value(ty, &mut Vec::new())?;
    if r.pos != bytes.len() {
        return Err(MsgpackError::Trailing { extra: bytes.len() - r.pos });
    }
    Ok(v)
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

/// What a msgpack item is, for error messages.
fn kind(marker: u8) -> &'static str {
    match marker {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => "integer",
        0x80..=0x8f | 0xde | 0xdf => "map",
        0x90..=0x9f | 0xdc | 0xdd => "array",
        0xa0..=0xbf | 0xd9..=0xdb => "string",
        0xc0 => "nil",
        0xc2 | 0xc3 => "bool",
        0xc4..=0xc6 => "binary",
        0xc7..=0xc9 | 0xd4..=0xd8 => "extension",
        0xca | 0xcb => "float",
        _ => "reserved byte 0xc1",
    }
}

/// A strict, schema-directed msgpack reader over a byte slice. It rejects
/// the reserved marker 0xc1, checks every declared length against the bytes
/// that remain before allocating, and bounds nesting depth.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// How much more may still be filled in for missing object attributes
    /// (one per null plus its key's length; see [`fill_allowance`]).
    fills_left: usize,
}

/// Missing object attributes decode as null, so a one-byte empty map can
/// stand for an object of any width, and a dynamic value declares its own
/// object type: without a cap, a small input could decode into a value
/// quadratically larger. Terraform sends every attribute, so it never comes
/// close to this allowance.
fn fill_allowance(input_len: usize) -> usize {
    input_len.saturating_mul(4).saturating_add(4096)
}

impl<'a> Reader<'a> {
    fn eof(&self, path: &[String]) -> MsgpackError {
        MsgpackError::Malformed(format!("unexpected end of input at {} (byte {})", path_str(path), self.pos))
    }

    fn byte(&mut self, path: &[String]) -> Result<u8, MsgpackError> {
        let b = *self.buf.get(self.pos).ok_or_else(|| self.eof(path))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize, path: &[String]) -> Result<&'a [u8], MsgpackError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len()).ok_or_else(|| self.eof(path))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn uint(&mut self, width: usize, path: &[String]) -> Result<u64, MsgpackError> {
        Ok(self.take(width, path)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// A declared count of items, each needing at least `min_bytes`.
    fn count(&mut self, width: usize, min_bytes: usize, path: &[String]) -> Result<usize, MsgpackError> {
        let n = self.uint(width, path)?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n.saturating_mul(min_bytes) > self.remaining() {
            return Err(MsgpackError::Malformed(format!(
                "at {}: a length of {n} is more than the {} bytes left",
                path_str(path),
                self.remaining()
            )));
        }
        Ok(n)
    }

    /// Length of a string, binary, array or map by its marker; `None` for other kinds.
    fn length(&mut self, marker: u8, path: &[String]) -> Result<Option<usize>, MsgpackError> {
        Ok(Some(match marker {
            0x80..=0x8f => usize::from(marker & 0x0f),
            0x90..=0x9f => usize::from(marker & 0x0f),
            0xa0..=0xbf => usize::from(marker & 0x1f),
            0xc4 | 0xd9 => self.count(1, 1, path)?,
            0xc5 | 0xda => self.count(2, 1, path)?,
            0xc6 | 0xdb => self.count(4, 1, path)?,
            0xdc => self.count(2, 1, path)?,
            0xdd => self.count(4, 1, path)?,
            0xde => self.count(2, 2, path)?,
            0xdf => self.count(4, 2, path)?,
            _ => return Ok(None),
        }))
    }

    fn text(&mut self, marker: u8, path: &[String]) -> Result<Option<String>, MsgpackError> {
        if !matches!(marker, 0xa0..=0xbf | 0xd9..=0xdb) {
            return Ok(None);
        }
        let n = self.length(marker, path)?.unwrap_or(0);
        let bytes = self.take(n, path)?;
        std::str::from_utf8(bytes)
            .map(|s| Some(s.to_string()))
            .map_err(|_| MsgpackError::Invalid { path: path_str(path), message: "string is not valid UTF-8".into() })
    }

    fn mismatch(&self, path: &[String], ty: &Type, marker: u8) -> MsgpackError {
        MsgpackError::Mismatch { path: path_str(path), expected: ty.friendly(), found: kind(marker).to_string() }
    }

    fn value(&mut self, ty: &Type, path: &mut Vec<String>) -> Result<Value, MsgpackError> {
        if path.len() > MAX_DEPTH {
            return Err(MsgpackError::Malformed(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let m = self.byte(path)?;
        match m {
            0xc0 => return Ok(Value::Null),
            0xc1 => {
                return Err(MsgpackError::Malformed(format!(
                    "reserved byte 0xc1 at {} (byte {})",
                    path_str(path),
                    self.pos - 1
                )))
            }
            // Any extension is an unknown value.
            0xd4..=0xd8 => {
                let n = 1usize << (m - 0xd4);
                let code = self.byte(path)? as i8;
                let payload = self.take(n, path)?.to_vec();
                return Ok(Value::Unknown(Unknown { code, payload }));
            }
            0xc7..=0xc9 => {
                let n = self.count(1 << (m - 0xc7), 1, path)?;
                let code = self.byte(path)? as i8;
                let payload = self.take(n, path)?.to_vec();
                return Ok(Value::Unknown(Unknown { code, payload }));
            }
            _ => {}
        }
        match ty {
            Type::String => self.text(m, path)?.map(Value::String).ok_or_else(|| self.mismatch(path, ty, m)),
            Type::Bool => match m {
                0xc2 => Ok(Value::Bool(false)),
                0xc3 => Ok(Value::Bool(true)),
                _ => Err(self.mismatch(path, ty, m)),
            },
            Type::Number => {
                let n = match m {
                    0x00..=0x7f => Number::Int(i64::from(m)),
                    0xe0..=0xff => Number::Int(i64::from(m as i8)),
                    0xcc => Number::Int(self.uint(1, path)? as i64),
                    0xcd => Number::Int(self.uint(2, path)? as i64),
                    0xce => Number::Int(self.uint(4, path)? as i64),
                    0xcf => {
                        let u = self.uint(8, path)?;
                        i64::try_from(u).map_or_else(|_| Number::Big(u.to_string()), Number::Int)
                    }
                    0xd0 => Number::Int(i64::from(self.uint(1, path)? as u8 as i8)),
                    0xd1 => Number::Int(i64::from(self.uint(2, path)? as u16 as i16)),
                    0xd2 => Number::Int(i64::from(self.uint(4, path)? as u32 as i32)),
                    0xd3 => Number::Int(self.uint(8, path)? as i64),
                    0xca => Number::Float(f64::from(f32::from_bits(self.uint(4, path)? as u32))),
                    0xcb => Number::Float(f64::from_bits(self.uint(8, path)?)),
                    _ => match self.text(m, path)? {
                        Some(text) => Number::parse(&text).ok_or_else(|| MsgpackError::Invalid {
                            path: path_str(path),
                            message: format!("{text:?} is not a number"),
                        })?,
                        None => return Err(self.mismatch(path, ty, m)),
                    },
                };
                Ok(Value::Number(n))
            }
            Type::List(et) | Type::Set(et) => {
                if !matches!(m, 0x90..=0x9f | 0xdc | 0xdd) {
                    return Err(self.mismatch(path, ty, m));
                }
                let n = self.length(m, path)?.unwrap_or(0);
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    path.push(format!("[{i}]"));
                    out.push(self.value(et, path)?);
                    path.pop();
                }
                Ok(if matches!(ty, Type::List(_)) { Value::List(out) } else { Value::Set(out) })
            }
            Type::Tuple(ets) => {
                if !matches!(m, 0x90..=0x9f | 0xdc | 0xdd) {
                    return Err(self.mismatch(path, ty, m));
                }
                let n = self.length(m, path)?.unwrap_or(0);
                if n != ets.len() {
                    return Err(MsgpackError::Invalid {
                        path: path_str(path),
                        message: format!("tuple needs {} elements, found {n}", ets.len()),
                    });
                }
                let mut out = Vec::with_capacity(n);
                for (i, et) in ets.iter().enumerate() {
                    path.push(format!("[{i}]"));
                    out.push(self.value(et, path)?);
                    path.pop();
                }
                Ok(Value::Tuple(out))
            }
            Type::Map(_) | Type::Object(..) => {
                if !matches!(m, 0x80..=0x8f | 0xde | 0xdf) {
                    return Err(self.mismatch(path, ty, m));
                }
                let n = self.length(m, path)?.unwrap_or(0);
                let mut out = BTreeMap::new();
                for _ in 0..n {
                    let km = self.byte(path)?;
                    let Some(k) = self.text(km, path)? else {
                        return Err(MsgpackError::Invalid {
                            path: path_str(path),
                            message: format!("map key must be a string, found {}", kind(km)),
                        });
                    };
                    let vt = match ty {
                        Type::Map(et) => et.as_ref(),
                        Type::Object(attrs, _) => attrs.get(&k).ok_or_else(|| MsgpackError::Invalid {
                            path: path_str(path),
                            message: format!("unsupported attribute {k:?}"),
                        })?,
                        _ => return Err(self.mismatch(path, ty, m)),
                    };
                    path.push(if matches!(ty, Type::Map(_)) { format!("[{k:?}]") } else { format!(".{k}") });
                    let v = self.value(vt, path)?;
                    path.pop();
                    if out.insert(k.clone(), v).is_some() {
                        return Err(MsgpackError::Invalid {
                            path: path_str(path),
                            message: format!("duplicate key {k:?}"),
                        });
                    }
                }
                if let Type::Object(attrs, _) = ty {
                    // Missing keys mean null; Terraform always sends them all.
                    // Charged by what the nulls and their keys weigh.
                    let missing: usize = attrs.keys().filter(|k| !out.contains_key(*k)).map(|k| k.len() + 1).sum();
                    if missing > self.fills_left {
                        return Err(MsgpackError::Invalid {
                            path: path_str(path),
                            message: "more object attributes are missing than the input's size allows".into(),
                        });
                    }
                    self.fills_left -= missing;
                    for k in attrs.keys() {
                        out.entry(k.clone()).or_insert(Value::Null);
                    }
                    Ok(Value::Object(out))
                } else {
                    Ok(Value::Map(out))
                }
            }
            Type::Dynamic => {
                if !matches!(m, 0x92 | 0xdc | 0xdd) || self.length(m, path)? != Some(2) {
                    return Err(MsgpackError::Invalid {
                        path: path_str(path),
                        message: "a dynamic value must be a [type, value] pair".into(),
                    });
                }
                let tm = self.byte(path)?;
                let type_json = match tm {
                    0xc4..=0xc6 => {
                        let n = self.length(tm, path)?.unwrap_or(0);
                        self.take(n, path)?.to_vec()
                    }
                    _ => match self.text(tm, path)? {
                        Some(t) => t.into_bytes(),
                        None => {
                            return Err(MsgpackError::Invalid {
                                path: path_str(path),
                                message: "dynamic value must start with its type as JSON".into(),
                            })
                        }
                    },
                };
                let inner_ty = Type::from_json_bytes(&type_json)
                    .map_err(|e| MsgpackError::Invalid { path: path_str(path), message: e.to_string() })?;
                let v = self.value(&inner_ty, path)?;
                Ok(Value::Dynamic(inner_ty, Box::new(v)))
            }
        }
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
        // the reserved marker is not nil
        assert!(decode(&[0xc1], &Type::String).is_err());
        assert!(decode(&[0x81, 0xa1, b's', 0xc1], &obj_ty()).is_err());
        // a declared length beyond the input fails before allocating
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::String)).is_err());
        assert!(decode(&[0xdf, 0xff, 0xff, 0xff, 0xff], &Type::map(Type::String)).is_err());
        // duplicate keys
        assert!(decode(&[0x82, 0xa1, b's', 0xc0, 0xa1, b's', 0xc0], &obj_ty()).is_err());
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
