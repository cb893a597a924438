//! Property tests (bounded fuzzing) of every parser a user's or Terraform's
//! input reaches: msgpack and JSON dynamic values, Cluster API manifests,
//! PEM material, kubeadm patches, Go durations, Kubernetes versions and
//! bootstrap tokens.
//!
//! For each target, with arbitrary and with mutated valid input:
//!
//! - it never panics (every call runs under `catch_unwind`);
//! - it terminates: one input may take at most [`PER_INPUT`] of the thread's
//!   CPU time (not wall-clock time, which sibling tests on a loaded machine
//!   stretch), and each target's whole run is timed and printed (case counts
//!   are set so a target takes a few seconds in a debug build on two cores);
//! - what it produces is bounded by what it was given (decoded values,
//!   findings, error messages, rendered documents), so a small input cannot
//!   make a huge allocation;
//! - round trips hold where they exist (msgpack and JSON encode → decode,
//!   duration format → parse, version display → parse, token display → parse,
//!   the Secret manifest's YAML → its data).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use base64::Engine as _;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use terraform_provider_kubeadm::bootstrap::capi;
use terraform_provider_kubeadm::bootstrap::duration::GoDuration;
use terraform_provider_kubeadm::bootstrap::fixtures;
use terraform_provider_kubeadm::bootstrap::ignition;
use terraform_provider_kubeadm::bootstrap::kubeadm;
use terraform_provider_kubeadm::bootstrap::node::{FileSpec, KubernetesVersion, NodeSpec, OperatingSystem, Role};
use terraform_provider_kubeadm::bootstrap::pki::{self, CaRole, KeyAlgorithm};
use terraform_provider_kubeadm::bootstrap::secret::Sensitive;
use terraform_provider_kubeadm::bootstrap::token::{self, BootstrapToken};
use terraform_provider_kubeadm::provider;
use terraform_provider_kubeadm::tfplugin::json::{self, UnknownKeys};
use terraform_provider_kubeadm::tfplugin::msgpack;
use terraform_provider_kubeadm::tfplugin::types::Type;
use terraform_provider_kubeadm::tfplugin::value::{Number, Unknown, Value};
use time::OffsetDateTime;

/// The longest one input may take.
const PER_INPUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------
// Harness

/// Runs `f` under `catch_unwind` and a time limit (in this thread's CPU
/// time, see [`thread_cpu_time`]): a panic or a slow input fails the case.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let start = thread_cpu_time();
    let out = catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        TestCaseError::fail(format!("{what} panicked: {msg}"))
    })?;
    let took = thread_cpu_time().saturating_sub(start);
    if took > PER_INPUT {
        return Err(TestCaseError::fail(format!("{what} took {took:?} of CPU time")));
    }
    Ok(out)
}

/// Runs one target with `cases` inputs and prints how long it took.
fn run<S: Strategy>(name: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        max_shrink_time: 20_000,
        ..Config::default()
    };
    let start = Instant::now();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, test);
    eprintln!("fuzz target {name:<40} {cases:>5} cases in {:>8.2?}", start.elapsed());
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// Mutations of a valid input: flips, inserts, deletions, truncation,
/// duplication of a slice, and overwrites with "interesting" bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    Duplicate(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        any::<u8>(),
        Just(0x00u8),
        Just(0xff),
        Just(0x7f),
        Just(0x80),
        Just(0xc0),
        Just(0xc1),
        Just(0xdd),
        Just(0xdf),
        Just(0xdb),
        Just(b'-'),
        Just(b':'),
        Just(b'\n'),
        Just(b'"'),
        Just(b'{'),
        Just(b'['),
        Just(b'&'),
        Just(b'*'),
    ];
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), interesting.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), prop::collection::vec(interesting, 1..8)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..32, any::<usize>()).prop_map(|(i, n, at)| Mutation::Duplicate(i, n, at)),
    ]
}

fn mutate(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = bytes.len();
        let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match m {
            Mutation::Flip(i, b) if len > 0 => bytes[i % len] ^= b,
            Mutation::Set(i, b) if len > 0 => bytes[i % len] = *b,
            Mutation::Insert(i, b) => {
                let p = at(*i);
                bytes.splice(p..p, b.iter().copied());
            }
            Mutation::Delete(i, n) if len > 0 => {
                let p = i % len;
                let end = (p + n).min(len);
                bytes.drain(p..end);
            }
            Mutation::Truncate(i) => bytes.truncate(at(*i)),
            Mutation::Duplicate(i, n, to) if len > 0 => {
                let p = i % len;
                let slice: Vec<u8> = bytes[p..(p + n).min(len)].to_vec();
                let q = to % (len + 1);
                bytes.splice(q..q, slice);
            }
            _ => {}
        }
    }
    bytes
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..6)
}

/// Mutations applied to text; the result is made valid UTF-8 lossily.
fn mutate_text(text: &str, muts: &[Mutation]) -> String {
    String::from_utf8_lossy(&mutate(text.as_bytes().to_vec(), muts)).into_owned()
}

// ---------------------------------------------------------------------------
// Values

/// The schemas the provider serves, plus a few generic types.
fn types() -> Vec<(&'static str, Type)> {
    vec![
        ("kubeadm_bootstrap_token", provider::bootstrap_token::schema().ty()),
        ("kubeadm_cluster_ca", provider::cluster_ca::schema().ty()),
        ("kubeadm_ignition_config", provider::ignition_config::resource_schema().ty()),
        ("data kubeadm_ignition_config", provider::ignition_config::data_source_schema().ty()),
        ("data kubeadm_capi_manifests", provider::capi_manifests::schema().ty()),
        ("data kubeadm_cluster_health", provider::cluster_health::schema().ty()),
        ("kubeadm_kubeconfig", provider::kubeconfig::resource_schema().ty()),
        ("ephemeral kubeadm_kubeconfig", provider::kubeconfig::ephemeral_schema().ty()),
        ("provider", provider::provider_schema().ty()),
        ("dynamic", Type::Dynamic),
        ("list(dynamic)", Type::list(Type::Dynamic)),
        ("map(list(number))", Type::map(Type::list(Type::Number))),
        (
            "tuple",
            Type::Tuple(vec![Type::String, Type::Bool, Type::set(Type::Number), Type::map(Type::map(Type::String))]),
        ),
    ]
}

/// How much a value holds: one per node, plus the bytes of strings, keys,
/// big numbers, unknown payloads and dynamic types.
fn weight(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 1,
        Value::Unknown(u) => 1 + u.payload.len(),
        Value::Number(Number::Big(s)) => 1 + s.len(),
        Value::Number(_) => 1,
        Value::String(s) => 1 + s.len(),
        Value::List(xs) | Value::Set(xs) | Value::Tuple(xs) => 1 + xs.iter().map(weight).sum::<usize>(),
        Value::Map(m) | Value::Object(m) => 1 + m.iter().map(|(k, v)| k.len() + weight(v)).sum::<usize>(),
        Value::Dynamic(t, v) => 1 + t.to_json().to_string().len() + weight(v),
    }
}

/// The most one byte of input can add to a decoded value of `ty`: an empty
/// map (one byte) stands for an object whose attributes are all null.
fn widest_object(ty: &Type) -> usize {
    match ty {
        Type::Object(attrs, _) => {
            attrs.keys().map(|k| 1 + k.len()).sum::<usize>().max(attrs.values().map(widest_object).max().unwrap_or(0))
        }
        Type::List(t) | Type::Set(t) | Type::Map(t) => widest_object(t),
        Type::Tuple(ts) => ts.iter().map(widest_object).max().unwrap_or(0),
        _ => 0,
    }
}

/// The bound on a decoded value: linear in the input, with the factor the
/// expected type allows (dynamic values bring their own type, so for them
/// the factor is a fixed allowance, not the type they declare).
fn bound(ty: &Type, input_len: usize) -> usize {
    (input_len + 1) * (widest_object(ty) + 64) + 4096
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9:._-]{0,12}",
        "\\PC{0,16}",
        Just(String::new()),
        Just("-----BEGIN CERTIFICATE-----\n".to_string())
    ]
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Number::Float),
        "[1-9][0-9]{19,40}".prop_map(Number::Big),
    ]
}

/// A value of type `ty` (nulls and unknowns included when `unknowns`).
fn arb_value(ty: &Type, depth: u32, unknowns: bool) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        Type::String => arb_string().prop_map(Value::String).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(t) | Type::Set(t) => {
            let n = if depth > 3 { 0..2 } else { 0..4 };
            let list = matches!(ty, Type::List(_));
            prop::collection::vec(arb_value(t, depth + 1, unknowns), n)
                .prop_map(move |xs| if list { Value::List(xs) } else { Value::Set(xs) })
                .boxed()
        }
        Type::Map(t) => {
            let n = if depth > 3 { 0..2 } else { 0..4 };
            prop::collection::btree_map(arb_string(), arb_value(t, depth + 1, unknowns), n).prop_map(Value::Map).boxed()
        }
        Type::Object(attrs, _) => {
            let parts: Vec<BoxedStrategy<(String, Value)>> = attrs
                .iter()
                .map(|(k, t)| {
                    let k = k.clone();
                    arb_value(t, depth + 1, unknowns).prop_map(move |v| (k.clone(), v)).boxed()
                })
                .collect();
            parts.prop_map(|kv| Value::Object(kv.into_iter().collect())).boxed()
        }
        Type::Tuple(ts) => {
            let parts: Vec<BoxedStrategy<Value>> = ts.iter().map(|t| arb_value(t, depth + 1, unknowns)).collect();
            parts.prop_map(Value::Tuple).boxed()
        }
        Type::Dynamic => {
            let inner = prop_oneof![
                Just(Type::String),
                Just(Type::Number),
                Just(Type::list(Type::String)),
                Just(Type::object([("a".to_string(), Type::Bool), ("b".to_string(), Type::map(Type::Number))])),
            ];
            inner
                .prop_flat_map(move |t| {
                    arb_value(&t, depth + 1, unknowns).prop_map(move |v| Value::Dynamic(t.clone(), Box::new(v)))
                })
                .boxed()
        }
    };
    if unknowns {
        let unknown = prop_oneof![
            Just(Value::unknown()),
            prop::collection::vec(any::<u8>(), 1..12).prop_map(|payload| Value::Unknown(Unknown { code: 12, payload })),
        ];
        prop_oneof![1 => Just(Value::Null), 1 => unknown, 6 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

/// `v` with every unknown replaced by null (what JSON can carry).
fn without_unknowns(v: &Value) -> Value {
    match v {
        Value::Unknown(_) => Value::Null,
        Value::List(xs) => Value::List(xs.iter().map(without_unknowns).collect()),
        Value::Set(xs) => Value::Set(xs.iter().map(without_unknowns).collect()),
        Value::Tuple(xs) => Value::Tuple(xs.iter().map(without_unknowns).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), without_unknowns(v))).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), without_unknowns(v))).collect()),
        Value::Dynamic(t, v) => Value::Dynamic(t.clone(), Box::new(without_unknowns(v))),
        other => other.clone(),
    }
}

/// `v` with unknowns as the encoder writes them: refined unknowns (code 12
/// with a payload) verbatim, every other one as a plain unknown.
fn normalized(v: &Value) -> Value {
    match v {
        Value::Unknown(u) if u.code == 12 && !u.payload.is_empty() => v.clone(),
        Value::Unknown(_) => Value::unknown(),
        Value::List(xs) => Value::List(xs.iter().map(normalized).collect()),
        Value::Set(xs) => Value::Set(xs.iter().map(normalized).collect()),
        Value::Tuple(xs) => Value::Tuple(xs.iter().map(normalized).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), normalized(v))).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), normalized(v))).collect()),
        Value::Dynamic(t, v) => Value::Dynamic(t.clone(), Box::new(normalized(v))),
        other => other.clone(),
    }
}

/// Where two values first differ, for failure messages.
fn difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    if a == b {
        return None;
    }
    // Numbers through JSON: `to_json` (used by the docs generator only)
    // writes numbers beyond f64 precision as the nearest f64, and serde_json
    // (without its `float_roundtrip` feature) may read a float back one ULP
    // off. Both are tolerated here; msgpack round trips are compared exactly.
    if let (Value::Number(x), Value::Number(y)) = (a, b) {
        if let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) {
            if (x - y).abs() <= x.abs().max(y.abs()) * 1e-12 {
                return None;
            }
        }
    }
    let pairs: Option<Vec<(String, &Value, &Value)>> = match (a, b) {
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) | (Value::Set(x), Value::Set(y))
            if x.len() == y.len() =>
        {
            Some(x.iter().zip(y).enumerate().map(|(i, (p, q))| (format!("{path}[{i}]"), p, q)).collect())
        }
        (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) if x.keys().eq(y.keys()) => {
            Some(x.iter().zip(y.values()).map(|((k, p), q)| (format!("{path}.{k}"), p, q)).collect())
        }
        (Value::Dynamic(s, x), Value::Dynamic(t, y)) if s == t => {
            Some(vec![(format!("{path}<dyn>"), x.as_ref(), y.as_ref())])
        }
        _ => None,
    };
    match pairs {
        Some(pairs) => pairs.iter().find_map(|(p, x, y)| difference(x, y, p)),
        None => Some(format!("at {path}: {a:?} != {b:?}")),
    }
}

fn same(got: &Value, want: &Value) -> Result<(), TestCaseError> {
    match difference(got, want, "") {
        None => Ok(()),
        Some(d) => Err(TestCaseError::fail(format!("values differ {d}"))),
    }
}

/// Exactly equal (msgpack carries every number bit for bit).
fn same_exactly(got: &Value, want: &Value) -> Result<(), TestCaseError> {
    if got == want {
        return Ok(());
    }
    match difference(got, want, "") {
        None => Err(TestCaseError::fail("values differ in a number's last bits".to_string())),
        Some(d) => Err(TestCaseError::fail(format!("values differ {d}"))),
    }
}

fn type_and_value(unknowns: bool) -> impl Strategy<Value = (usize, Value)> {
    let tys = types();
    (0..tys.len()).prop_flat_map(move |i| {
        let t = types()[i].1.clone();
        (Just(i), arb_value(&t, 0, unknowns))
    })
}

fn check_decoded(ty: &Type, len: usize, v: &Value) -> Result<(), TestCaseError> {
    let w = weight(v);
    let limit = bound(ty, len);
    prop_assert!(w <= limit, "{len} input bytes decoded to a value of weight {w} (limit {limit})");
    Ok(())
}

/// msgpack structure-shaped noise: markers followed by plausible lengths.
fn msgpack_noise() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        (0x80u8..=0x8f).prop_map(|m| vec![m]),
        (0x90u8..=0x9f).prop_map(|m| vec![m]),
        (0xa0u8..=0xbf, "[a-z_]{0,8}").prop_map(|(m, s)| {
            let s = &s.as_bytes()[..s.len().min(usize::from(m & 0x1f))];
            let mut v = vec![0xa0 | s.len() as u8];
            v.extend_from_slice(s);
            v
        }),
        Just(vec![0xc0]),
        Just(vec![0xc2]),
        Just(vec![0xc3]),
        Just(vec![0xd4, 0x00, 0x00]),
        Just(vec![0xc7, 0x02, 0x0c, 0x01, 0x02]),
        (any::<u16>()).prop_map(|n| {
            let mut v = vec![0xdc];
            v.extend(n.to_be_bytes());
            v
        }),
        (any::<u32>()).prop_map(|n| {
            let mut v = vec![0xdf];
            v.extend(n.to_be_bytes());
            v
        }),
        (any::<u32>()).prop_map(|n| {
            let mut v = vec![0xdb];
            v.extend(n.to_be_bytes());
            v
        }),
        Just(b"\x92\xc4\x08\"string\"\xa1x".to_vec()),
        Just(b"\x92\xa8\"number\"\xcb".to_vec()),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(token, 0..48).prop_map(|ts| ts.concat())
}

#[test]
fn fuzz_msgpack_dynamic_values() {
    let tys = types();
    // Arbitrary bytes and structure-shaped noise, against every schema.
    run(
        "msgpack: arbitrary bytes",
        3000,
        (0..tys.len(), prop_oneof![prop::collection::vec(any::<u8>(), 0..256), msgpack_noise()]),
        |(i, bytes)| {
            let ty = &types()[i].1;
            if let Ok(v) = guarded("msgpack::decode", || msgpack::decode(&bytes, ty))? {
                check_decoded(ty, bytes.len(), &v)?;
                // What decodes, encodes, and decodes to the same value.
                let again = msgpack::encode(&v, ty).map_err(|e| TestCaseError::fail(format!("re-encode: {e}")))?;
                let back = msgpack::decode(&again, ty).map_err(|e| TestCaseError::fail(format!("decode: {e}")))?;
                same_exactly(&back, &normalized(&v))?;
            }
            Ok(())
        },
    );
    // Round trip of generated values.
    run("msgpack: encode -> decode", 1000, type_and_value(true), |(i, v)| {
        let ty = &types()[i].1;
        let bytes = guarded("msgpack::encode", || msgpack::encode(&v, ty))?
            .map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
        let back = guarded("msgpack::decode", || msgpack::decode(&bytes, ty))?
            .map_err(|e| TestCaseError::fail(format!("decode: {e}")))?;
        same_exactly(&back, &v)
    });
    // Mutated valid encodings.
    run("msgpack: mutated encodings", 1000, (type_and_value(true), mutations()), |((i, v), muts)| {
        let ty = &types()[i].1;
        let Ok(bytes) = msgpack::encode(&v, ty) else { return Ok(()) };
        let bytes = mutate(bytes, &muts);
        if let Ok(v) = guarded("msgpack::decode", || msgpack::decode(&bytes, ty))? {
            check_decoded(ty, bytes.len(), &v)?;
            let again = msgpack::encode(&v, ty).map_err(|e| TestCaseError::fail(format!("re-encode: {e}")))?;
            let back = msgpack::decode(&again, ty).map_err(|e| TestCaseError::fail(format!("decode: {e}")))?;
            same_exactly(&back, &normalized(&v))?;
        }
        Ok(())
    });
}

/// A dynamic value that declares an object type with `attrs` attributes and
/// holds a list of `items` empty maps: each empty map (one byte) stands for
/// an object of `attrs` nulls.
fn wide_dynamic_msgpack(attrs: usize, items: usize) -> Vec<u8> {
    let fields: serde_json::Map<String, serde_json::Value> =
        (0..attrs).map(|i| (format!("a{i}"), serde_json::Value::from("string"))).collect();
    let ty = serde_json::json!(["list", ["object", fields]]).to_string();
    let mut out = vec![0x92, 0xdb];
    out.extend((ty.len() as u32).to_be_bytes());
    out.extend(ty.as_bytes());
    out.push(0xdd);
    out.extend((items as u32).to_be_bytes());
    out.extend(std::iter::repeat_n(0x80u8, items));
    out
}

#[test]
fn fuzz_decoders_bound_missing_attribute_expansion() {
    // Missing object attributes decode as null; a dynamic value declares its
    // own object type, so a small input could otherwise stand for a huge one.
    run("msgpack/json: wide objects, few bytes", 24, (1usize..600, 1usize..6000), |(attrs, items)| {
        let bytes = wide_dynamic_msgpack(attrs, items);
        if let Ok(v) = guarded("msgpack::decode", || msgpack::decode(&bytes, &Type::Dynamic))? {
            check_decoded(&Type::Dynamic, bytes.len(), &v)?;
        }
        let fields: serde_json::Map<String, serde_json::Value> =
            (0..attrs).map(|i| (format!("a{i}"), serde_json::Value::from("string"))).collect();
        let text = serde_json::json!({
            "type": ["list", ["object", fields]],
            "value": vec![serde_json::json!({}); items],
        })
        .to_string();
        if let Ok(v) = guarded("json::decode", || json::decode(text.as_bytes(), &Type::Dynamic, UnknownKeys::Reject))? {
            check_decoded(&Type::Dynamic, text.len(), &v)?;
        }
        Ok(())
    });
}

#[test]
fn fuzz_json_dynamic_values() {
    let tys = types();
    run(
        "json: arbitrary bytes",
        3000,
        (
            0..tys.len(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..256),
                "[\\[\\]{}\":,0-9a-z ]{0,128}".prop_map(String::into_bytes)
            ],
        ),
        |(i, bytes)| {
            let ty = &types()[i].1;
            for mode in [UnknownKeys::Reject, UnknownKeys::Drop] {
                if let Ok(v) = guarded("json::decode", || json::decode(&bytes, ty, mode))? {
                    check_decoded(ty, bytes.len(), &v)?;
                }
            }
            Ok(())
        },
    );
    run("json: to_json -> from_json", 1000, type_and_value(false), |(i, v)| {
        let ty = &types()[i].1;
        let j = guarded("json::to_json", || json::to_json(&v, ty))?;
        let text = j.to_string();
        let back = guarded("json::decode", || json::decode(text.as_bytes(), ty, UnknownKeys::Reject))?
            .map_err(|e| TestCaseError::fail(format!("decode: {e}\n{text}")))?;
        same(&back, &without_unknowns(&v))
    });
    run("json: mutated documents", 1200, (type_and_value(true), mutations()), |((i, v), muts)| {
        let ty = &types()[i].1;
        let bytes = mutate(json::to_json(&v, ty).to_string().into_bytes(), &muts);
        for mode in [UnknownKeys::Reject, UnknownKeys::Drop] {
            if let Ok(v) = guarded("json::decode", || json::decode(&bytes, ty, mode))? {
                check_decoded(ty, bytes.len(), &v)?;
                // A decoded value encodes again and decodes to itself.
                let again = json::to_json(&v, ty).to_string();
                let back = json::decode(again.as_bytes(), ty, mode)
                    .map_err(|e| TestCaseError::fail(format!("decode: {e}")))?;
                same(&back, &v)?;
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// Cluster API manifests

fn fixtures() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/capi");
    let mut out = Vec::new();
    for v in ["v1beta1", "v1beta2"] {
        for entry in std::fs::read_dir(root.join(v)).expect("capi fixtures").flatten() {
            out.push(std::fs::read_to_string(entry.path()).expect("fixture"));
        }
    }
    out.sort();
    out
}

/// Bounds the findings of a parse or resolve by the input's size.
fn check_findings(input_len: usize, findings: &[capi::Finding]) -> Result<(), TestCaseError> {
    let total: usize = findings.iter().map(|f| f.to_string().len()).sum();
    let limit = 64 * input_len + 64 * 1024;
    prop_assert!(total <= limit, "{input_len} bytes of manifests gave {total} bytes of findings");
    Ok(())
}

/// Parses and, when usable, resolves for every role and API version.
fn parse_all(text: &str) -> Result<(), TestCaseError> {
    let secrets: capi::Secrets =
        BTreeMap::from([("s".to_string(), BTreeMap::from([("k".to_string(), "v".to_string())]))]);
    let m = guarded("capi::parse", || capi::parse(text, &secrets))?;
    check_findings(text.len(), &m.findings)?;
    if !m.has_errors() {
        let _ = guarded("inferred_role", || m.inferred_role())?;
        for role in [Role::Init, Role::ControlPlane, Role::Worker] {
            for v1beta4 in [false, true] {
                let r = guarded("Manifests::resolve", || m.resolve(role, v1beta4))?;
                check_findings(text.len(), &r.findings)?;
                let patches =
                    [&r.patches.cluster_configuration, &r.patches.init_configuration, &r.patches.join_configuration];
                let out: usize = patches.iter().filter_map(|p| p.as_ref()).map(String::len).sum();
                prop_assert!(out <= 16 * text.len() + 64 * 1024, "{} bytes gave {out} bytes of patches", text.len());
            }
        }
    }
    Ok(())
}

/// Random nesting in flow and block style, with anchors and aliases.
fn nested_yaml() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("x".to_string()),
        Just("null".to_string()),
        Just("&a [1, 2]".to_string()),
        Just("*a".to_string()),
        Just("!!binary aGk=".to_string()),
        Just("\"\\u0000\"".to_string()),
        "[a-z]{1,6}",
        "[0-9]{1,30}",
    ];
    let flow = leaf.prop_recursive(48, 256, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|xs| format!("[{}]", xs.join(", "))),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..4).prop_map(|kv| {
                format!("{{{}}}", kv.into_iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", "))
            }),
        ]
    });
    let block_depth = 0usize..300;
    let key = prop_oneof![Just("spec"), Just("metadata"), Just("joinConfiguration"), Just("files"), Just("a")];
    prop_oneof![
        flow.clone().prop_map(|f| format!(
            "apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfig\nmetadata:\n  name: n\nspec: {f}\n"
        )),
        (block_depth.clone(), key).prop_map(|(d, k)| {
            let mut s = String::from(
                "apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfig\nmetadata:\n  name: n\nspec:\n",
            );
            for i in 0..d {
                s.push_str(&" ".repeat(2 * (i + 1)));
                s.push_str(k);
                s.push_str(":\n");
            }
            s.push_str(&" ".repeat(2 * (d + 1)));
            s.push_str("x: 1\n");
            s
        }),
        block_depth.prop_map(|d| format!("spec: {}{}\n", "[".repeat(d), "]".repeat(d))),
        flow,
    ]
}

/// Exponential alias expansion ("billion laughs").
fn laughs(levels: usize) -> String {
    let mut s = String::from("apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfig\nmetadata:\n  name: n\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..levels {
        let refs = vec![format!("*l{}", i - 1); 9].join(", ");
        s.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    s.push_str(&format!("spec:\n  preKubeadmCommands: *l{}\n", levels - 1));
    s
}

#[test]
fn fuzz_capi_manifests() {
    let fx = fixtures();
    run("capi: arbitrary strings", 2000, any::<String>(), |text| parse_all(&text));
    run("capi: random nesting", 1000, nested_yaml(), |text| parse_all(&text));
    let n = fx.len();
    run("capi: mutated fixtures", 1500, (0..n, mutations()), |(i, muts)| {
        parse_all(&mutate_text(&fixtures()[i], &muts))
    });
    // Line-level edits keep more of the structure than byte mutations.
    let edit = prop_oneof![
        (any::<usize>()).prop_map(|i| (0u8, i, String::new())),
        (any::<usize>()).prop_map(|i| (1u8, i, String::new())),
        (any::<usize>(), "( {0,6})(- )?[a-zA-Z]{1,12}: ?(\\[|\\{|&a|\\*a|[0-9]{1,12}|\"[a-z]*\"|~|!!str|\\|)?")
            .prop_map(|(i, l)| (2u8, i, l)),
        (any::<usize>()).prop_map(|i| (3u8, i, String::new())),
    ];
    run("capi: line edits of fixtures", 1500, (0..n, prop::collection::vec(edit, 1..6)), |(i, edits)| {
        let mut lines: Vec<String> = fixtures()[i].lines().map(str::to_string).collect();
        for (kind, at, text) in edits {
            if lines.is_empty() {
                break;
            }
            let p = at % lines.len();
            match kind {
                0 => {
                    lines.remove(p);
                }
                1 => {
                    let l = lines[p].clone();
                    lines.insert(p, l);
                }
                2 => lines.insert(p, text),
                _ => lines[p] = format!("  {}", lines[p]),
            }
        }
        parse_all(&lines.join("\n"))
    });
    // Alias bombs stop early with a bounded result.
    run("capi: alias expansion", 8, 2usize..12, |levels| parse_all(&laughs(levels)));
    // Many documents: the findings stay bounded.
    run("capi: many documents", 4, 1usize..20_000, |docs| {
        let text: String =
            std::iter::repeat_n("---\nkind: ConfigMap\napiVersion: v1\nmetadata:\n  name: x\n", docs).collect();
        parse_all(&text)
    });
}

// ---------------------------------------------------------------------------
// PEM

struct Material {
    ca_cert: String,
    ca_key: String,
    rsa_cert: String,
    rsa_key: String,
    sa_pub: String,
    sa_key: String,
}

fn material() -> &'static Material {
    static M: std::sync::OnceLock<Material> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let now = OffsetDateTime::now_utc();
        let ca = pki::generate_ca(CaRole::Kubernetes, "prod", KeyAlgorithm::EcdsaP256, 365, now).expect("CA");
        let rsa = pki::generate_ca(CaRole::Etcd, "prod", KeyAlgorithm::Rsa2048, 365, now).expect("RSA CA");
        let sa = pki::generate_service_account(KeyAlgorithm::EcdsaP384).expect("sa");
        Material {
            ca_cert: ca.cert_pem,
            ca_key: ca.key_pem.into_inner(),
            rsa_cert: rsa.cert_pem,
            rsa_key: rsa.key_pem.into_inner(),
            sa_pub: sa.public_pem,
            sa_key: sa.private_pem.into_inner(),
        }
    })
}

/// Mutates the DER inside a PEM block (so the damage reaches the ASN.1
/// parsers, not only the base64 decoder) and re-wraps it.
fn mutate_der(pem: &str, muts: &[Mutation]) -> String {
    let label =
        pem.lines().next().unwrap_or_default().trim_start_matches("-----BEGIN ").trim_end_matches("-----").to_string();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let engine = base64::engine::general_purpose::STANDARD;
    let der = engine.decode(body).unwrap_or_default();
    let der = mutate(der, muts);
    let b64 = engine.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// Runs every PEM check on (certificate-ish, key-ish) input; error messages
/// must stay short and never quote private key material.
fn pem_checks(cert: &str, key: &str) -> Result<(), TestCaseError> {
    let now = OffsetDateTime::now_utc();
    let m = material();
    let secrets: Vec<&str> = [&m.ca_key, &m.rsa_key, &m.sa_key]
        .iter()
        .flat_map(|k| k.lines().filter(|l| !l.starts_with("-----") && l.len() >= 32))
        .collect();
    let mut messages = Vec::new();
    if let Err(e) = guarded("validate_ca_pair", || pki::validate_ca_pair(cert, key, now))? {
        messages.push(e.to_string());
    }
    if let Err(e) = guarded("validate_key_pair", || pki::validate_key_pair(cert, key))? {
        messages.push(e.to_string());
    }
    if let Err(e) = guarded("inspect_cert", || pki::inspect_cert(cert))? {
        messages.push(e.to_string());
    }
    if let Err(e) = guarded("ca_cert_hash", || pki::ca_cert_hash(cert))? {
        messages.push(e.to_string());
    }
    if let Err(e) = guarded("key_algorithm_of_private_key", || pki::key_algorithm_of_private_key(key))? {
        messages.push(e.to_string());
    }
    for msg in messages {
        prop_assert!(msg.len() <= 4096, "an error message of {} bytes: {}", msg.len(), &msg[..200.min(msg.len())]);
        for s in &secrets {
            prop_assert!(!msg.contains(s), "an error message quotes private key material: {msg}");
        }
    }
    Ok(())
}

#[test]
fn fuzz_pem_validation() {
    let _ = material();
    run("pem: arbitrary strings", 3000, (any::<String>(), any::<String>()), |(c, k)| pem_checks(&c, &k));
    let pick = |i: usize| {
        let m = material();
        [&m.ca_cert, &m.ca_key, &m.rsa_cert, &m.rsa_key, &m.sa_pub, &m.sa_key][i % 6].clone()
    };
    run("pem: mutated text", 2000, (0usize..6, 0usize..6, mutations(), mutations()), move |(a, b, ma, mb)| {
        pem_checks(&mutate_text(&pick(a), &ma), &mutate_text(&pick(b), &mb))
    });
    run("pem: mutated DER", 1500, (0usize..6, 0usize..6, mutations()), move |(a, b, muts)| {
        pem_checks(&mutate_der(&pick(a), &muts), &pick(b))?;
        pem_checks(&pick(a), &mutate_der(&pick(b), &muts))
    });
    // Concatenations, CRLF, whitespace, a large body.
    let shapes = prop_oneof![Just(0u8), Just(1u8), Just(2u8), Just(3u8), Just(4u8)];
    run("pem: reshaped blocks", 300, (0usize..6, 0usize..6, shapes), move |(a, b, shape)| {
        let (x, y) = (pick(a), pick(b));
        let cert = match shape {
            0 => format!("{x}{y}"),
            1 => x.replace('\n', "\r\n"),
            2 => format!("  \n{x}\n\n\t"),
            3 => x.replace("-----END", "junk\n-----END"),
            _ => format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", "QUFB".repeat(64 * 1024)),
        };
        pem_checks(&cert, &y)
    });
}

// ---------------------------------------------------------------------------
// kubeadm patches

fn spec(role: Role, version: &str) -> NodeSpec {
    NodeSpec {
        ca_cert_hashes: vec![format!("sha256:{}", "0f".repeat(32))],
        ..fixtures::node_spec(role, OperatingSystem::Flatcar, version)
    }
}

/// YAML made of real kubeadm field names with values of random shapes.
fn patch_yaml() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("apiServer"),
        Just("extraArgs"),
        Just("certSANs"),
        Just("networking"),
        Just("podSubnet"),
        Just("serviceSubnet"),
        Just("nodeRegistration"),
        Just("kubeletExtraArgs"),
        Just("taints"),
        Just("name"),
        Just("value"),
        Just("etcd"),
        Just("local"),
        Just("dataDir"),
        Just("bootstrapTokens"),
        Just("discovery"),
        Just("controlPlane"),
        Just("maxPods"),
        Just("cgroupDriver"),
        Just("mode"),
        Just("apiVersion"),
        Just("kind"),
        Just("timeouts"),
        Just("featureGates"),
    ];
    let scalar = prop_oneof![
        Just("1".to_string()),
        Just("-1".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("\"x\"".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("1.5".to_string()),
        "[a-z0-9./:-]{0,12}",
    ];
    let node = scalar.prop_recursive(5, 48, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|xs| format!("[{}]", xs.join(", "))),
            prop::collection::vec((field.clone(), inner), 0..4).prop_map(|kv| {
                format!("{{{}}}", kv.into_iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", "))
            }),
        ]
    });
    prop_oneof![
        4 => node,
        1 => any::<String>(),
        1 => (1usize..200).prop_map(|d| format!("apiServer: {}1{}", "[".repeat(d), "]".repeat(d))),
        1 => (2usize..10).prop_map(|levels| {
            let mut s = String::from("x0: &x0 [a, a, a, a, a, a, a, a]\n");
            for i in 1..levels {
                s.push_str(&format!("x{i}: &x{i} [{}]\n", vec![format!("*x{}", i - 1); 8].join(", ")));
            }
            s.push_str(&format!("certSANs: *x{}\n", levels - 1));
            s
        }),
    ]
}

#[test]
fn fuzz_kubeadm_patches() {
    let docs = [
        "cluster_configuration",
        "init_configuration",
        "join_configuration",
        "kubelet_configuration",
        "kube_proxy_configuration",
    ];
    let roles = [Role::Init, Role::ControlPlane, Role::Worker];
    let base: Vec<usize> = roles
        .iter()
        .flat_map(|r| ["v1.30.2", "v1.31.4"].map(|v| kubeadm::render(&spec(*r, v)).expect("base render").len()))
        .collect();
    let base_max = base.into_iter().max().unwrap_or(0);
    run("kubeadm: patches", 500, (0usize..5, 0usize..3, any::<bool>(), patch_yaml()), move |(d, r, v4, text)| {
        let mut sp = spec(roles[r], if v4 { "v1.31.4" } else { "v1.30.2" });
        let slot = match d {
            0 => &mut sp.patches.cluster_configuration,
            1 => &mut sp.patches.init_configuration,
            2 => &mut sp.patches.join_configuration,
            3 => &mut sp.patches.kubelet_configuration,
            _ => &mut sp.patches.kube_proxy_configuration,
        };
        *slot = Some(text.clone());
        let checked = guarded("kubeadm::validate_patches", || kubeadm::validate_patches(&sp))?;
        let rendered = guarded("kubeadm::render", || kubeadm::render(&sp))?;
        prop_assert_eq!(checked.is_ok(), rendered.is_ok(), "validate_patches and render disagree on {}", docs[d]);
        match rendered {
            Ok(yaml) => {
                let limit = base_max + 16 * text.len() + 4096;
                prop_assert!(yaml.len() <= limit, "a {}-byte patch rendered {} bytes", text.len(), yaml.len());
                // The rendered YAML reads back as the typed documents.
                let parsed = guarded("kubeadm::parse_documents", || kubeadm::parse_documents(&yaml))?;
                prop_assert!(parsed.is_ok(), "rendered YAML does not parse back: {:?}", parsed.err());
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.len() <= 2 * text.len() + 4096, "a {}-byte error message", msg.len());
                prop_assert!(
                    e.patch_document().is_some() || e.input().is_some(),
                    "an error not tied to an input: {msg}"
                );
            }
        }
        Ok(())
    });
}

/// The CPU time this thread has run so far (`/proc/thread-self/schedstat`,
/// in nanoseconds). Unlike the wall clock it does not grow while the thread
/// waits for a core, so sibling tests on a loaded machine do not inflate it:
/// it measures the work done.
fn thread_cpu_time() -> Duration {
    let path = "/proc/thread-self/schedstat";
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e} (needed to time this thread's work)"));
    let ns = text.split_whitespace().next().and_then(|n| n.parse::<u64>().ok());
    Duration::from_nanos(ns.unwrap_or_else(|| panic!("{path}: no run time in {text:?}")))
}

#[test]
fn rendering_ten_thousand_files_is_linear() {
    // What Terraform cannot hand over quickly (its own cost is quadratic in
    // the number of blocks with sensitive attributes), checked here directly.
    // Timed in this thread's CPU time, not wall-clock time: the bounds are
    // about the renderer's work, never a race with the tests running beside.
    let mut times = Vec::new();
    for n in [1_000usize, 10_000] {
        let mut sp = spec(Role::Worker, "v1.31.4");
        sp.files = (0..n)
            .map(|i| FileSpec {
                path: format!("/etc/many/{i}"),
                content: Sensitive::new(format!("file {i}\n")),
                mode: 0o644,
                owner: None,
                replace_generated: false,
            })
            .collect();
        let start = thread_cpu_time();
        let yaml = kubeadm::render(&sp).expect("kubeadm config");
        let r = ignition::render(&sp, &yaml).expect("ignition config");
        let took = thread_cpu_time().saturating_sub(start);
        assert!(r.json.len() < n * 400 + 200_000, "{n} files rendered {} bytes", r.json.len());
        eprintln!("render with {n:>6} files: {took:>8.2?} of CPU time, {} bytes", r.json.len());
        times.push(took);
    }
    assert!(times[1] > Duration::ZERO, "no CPU time measured for 10000 files: {times:?}");
    assert!(times[1] < Duration::from_secs(20), "10000 files took {:?} of CPU time", times[1]);
    // Ten times the files may not take a hundred times as long.
    assert!(times[1] < times[0] * 40 + Duration::from_millis(500), "superlinear: {times:?}");
}

// ---------------------------------------------------------------------------
// Durations, versions, tokens

#[test]
fn fuzz_durations() {
    run(
        "duration: arbitrary strings",
        10000,
        prop_oneof![any::<String>(), "[-+]?([0-9]{0,22}(\\.[0-9]{0,12})?(ns|us|µs|μs|ms|s|m|h|d)?){0,6}"],
        |s| {
            if let Ok(d) = guarded("GoDuration::parse", || GoDuration::parse(&s))? {
                // Anything parsed formats and parses back to the same duration.
                let text = d.format();
                prop_assert_eq!(GoDuration::parse(&text).ok(), Some(d), "{:?} -> {}", s, text);
            } else if let Err(e) = GoDuration::parse(&s) {
                prop_assert!(e.to_string().len() <= s.len() + 256);
            }
            Ok(())
        },
    );
    run("duration: format -> parse", 10000, any::<i64>(), |n| {
        let d = GoDuration::from_nanos(n);
        let text = guarded("GoDuration::format", || d.format())?;
        prop_assert_eq!(GoDuration::parse(&text).ok(), Some(d), "{} formatted as {}", n, text);
        Ok(())
    });
}

#[test]
fn fuzz_kubernetes_versions() {
    run(
        "version: arbitrary strings",
        10000,
        prop_oneof![any::<String>(), "v?[0-9]{0,8}\\.[0-9]{0,8}\\.[0-9]{0,8}(-[a-z0-9.]{0,8})?"],
        |s| {
            match guarded("KubernetesVersion::parse", || KubernetesVersion::parse(&s))? {
                Ok(v) => {
                    prop_assert_eq!(KubernetesVersion::parse(&v.to_string()).ok(), Some(v.clone()));
                    prop_assert!(v.minor >= KubernetesVersion::MINIMUM_MINOR);
                }
                Err(e) => prop_assert!(e.to_string().len() <= s.len() + 256),
            }
            Ok(())
        },
    );
    run(
        "version: display -> parse",
        5000,
        (22u32..1000, 0u32..100_000, prop::option::of("[a-z0-9][a-z0-9.]{0,8}")),
        |(minor, patch, pre)| {
            let text = match &pre {
                Some(p) => format!("v1.{minor}.{patch}-{p}"),
                None => format!("v1.{minor}.{patch}"),
            };
            let v = guarded("KubernetesVersion::parse", || KubernetesVersion::parse(&text))?
                .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(v.to_string(), text.clone());
            prop_assert_eq!(v.uses_v1beta4(), minor >= 31);
            Ok(())
        },
    );
}

#[test]
fn fuzz_tokens() {
    run("token: arbitrary strings", 10000, prop_oneof![any::<String>(), "[a-z0-9A-Z]{0,8}\\.?[a-z0-9]{0,18}"], |s| {
        match guarded("BootstrapToken::parse", || BootstrapToken::parse(&s))? {
            Ok(t) => prop_assert_eq!(t.to_token_string().into_inner(), s.clone()),
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.len() <= 512, "a {}-byte message", msg.len());
                // The message never quotes the secret half.
                if let Some((_, secret)) = s.split_once('.') {
                    if secret.len() >= 6 {
                        prop_assert!(!msg.contains(secret), "the message quotes the secret: {msg}");
                    }
                }
            }
        }
        Ok(())
    });
    run("token: generate -> display -> parse", 3000, any::<[u8; 32]>(), |seed| {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::from_seed(seed);
        let t = BootstrapToken::generate(&mut rng);
        let back =
            BootstrapToken::parse(t.to_token_string().expose()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.id(), t.id());
        prop_assert_eq!(back.secret().expose(), t.secret().expose());
        Ok(())
    });
    let list = prop::collection::vec(
        prop_oneof![
            "\\PC{0,12}",
            "system:bootstrappers:[a-z0-9:-]{0,12}",
            Just("signing".to_string()),
            Just("authentication".to_string())
        ],
        0..6,
    );
    run(
        "token: groups, usages and the Secret manifest",
        4000,
        (list.clone(), list, prop::option::of("\\PC{0,40}")),
        |(groups, usages, description)| {
            let g = guarded("validate_groups", || token::validate_groups(&groups))?;
            let u = guarded("validate_usages", || token::validate_usages(&usages))?;
            for e in [g.err(), u.err()].into_iter().flatten() {
                prop_assert!(e.to_string().len() <= 1024);
            }
            // Whatever the settings, the manifest is YAML holding exactly them.
            let tok = BootstrapToken::parse("abcdef.0123456789abcdef").expect("token");
            let text = guarded("secret_manifest", || {
                token::secret_manifest(&tok, description.as_deref(), None, &usages, &groups)
            })?;
            let doc: serde_yaml_ng::Value =
                serde_yaml_ng::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            let data = doc.get("data").and_then(|d| d.as_mapping()).cloned().unwrap_or_default();
            let decoded = |k: &str| {
                data.get(serde_yaml_ng::Value::from(k))
                    .and_then(|v| v.as_str())
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            prop_assert_eq!(decoded("token-secret"), Some("0123456789abcdef".to_string()));
            prop_assert_eq!(decoded("description"), description.filter(|d| !d.is_empty()));
            for usage in &usages {
                prop_assert_eq!(decoded(&format!("usage-bootstrap-{usage}")), Some("true".to_string()));
            }
            Ok(())
        },
    );
}
