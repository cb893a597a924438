//! Unit tests of the node inputs, by subject; the fixtures they share
//! (configurations on a first plan and once everything is known) are here.

use std::collections::BTreeMap;

use super::*;
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::value::Value;

mod certificate_validity;
mod compat;
mod first_plan;

#[test]
fn schema_is_valid() {
    input_block().check().unwrap();
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

/// Sets `path` (dotted, objects created on the way) in `v`.
fn with(mut v: Value, path: &str, x: Value) -> Value {
    fn set(v: &mut Value, steps: &[&str], x: Value) {
        if !matches!(v, Value::Object(_)) {
            *v = obj(&[]);
        }
        match steps {
            [last] => v.set(last, x),
            [first, rest @ ..] => set(v.get_mut(first).expect("an object"), rest, x),
            [] => {}
        }
    }
    set(&mut v, &path.split('.').collect::<Vec<_>>(), x);
    v
}

/// A worker whose CA and token are resources created in the same apply.
fn first_plan() -> Value {
    obj(&[
        ("role", Value::from("worker")),
        ("cluster_ca", Value::unknown()),
        ("bootstrap_token", Value::unknown()),
        (
            "cluster",
            obj(&[
                ("name", Value::from("prod")),
                ("kubernetes_version", Value::from("v1.31.4")),
                ("control_plane_endpoint", Value::from("api.prod.example.com:6443")),
                ("pod_subnet", Value::from("192.168.0.0/16")),
            ]),
        ),
    ])
}

/// The same worker once the CA and the token exist.
fn all_known() -> Value {
    let ca = obj(&CA_FIELDS.map(|f| (f, Value::from(if f == "ca_cert_hash" { "sha256:00" } else { "pem" }))));
    let token = obj(&[
        ("token", Value::from("abcdef.0123456789abcdef")),
        ("expires_at", Value::Null),
        ("description", Value::Null),
        ("usages", Value::string_list(["signing", "authentication"])),
        ("groups", Value::string_list(["system:bootstrappers:kubeadm:default-node-token"])),
    ]);
    with(with(first_plan(), "cluster_ca", ca), "bootstrap_token", token)
}

fn read(config: &Value) -> (Option<NodeSpec>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let spec = Reader { config, diags: &mut diags, fetch_manifest: false, prefetched: None }.read();
    (spec, diags)
}

fn path(s: &str) -> AttrPath {
    let mut p = AttrPath::root();
    for part in s.split('.') {
        p = match part.split_once('[') {
            Some((name, i)) => p.then_attr(name).then_index(i.trim_end_matches(']').parse().unwrap()),
            None => p.then_attr(part),
        };
    }
    p
}

/// Reads `config` and requires exactly one error: `summary` at `at`, its
/// detail containing every one of `detail`. Returns the detail.
#[track_caller]
fn one_error(config: &Value, summary: &str, at: &str, detail: &[&str]) -> String {
    let (spec, diags) = read(config);
    assert!(spec.is_none());
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "want one error {summary:?}, got: {errors:#?}");
    let e = errors[0];
    assert_eq!(e.summary, summary, "{e}");
    assert_eq!(e.path, Some(path(at)), "{e}");
    for d in detail {
        assert!(e.detail.contains(d), "{e} lacks {d:?}");
    }
    e.detail.clone()
}

const WORKER_YAML: &str = include_str!("../../../../tests/fixtures/capi/v1beta1/worker.yaml");

/// Compat mode: only the manifests, the CA and the token unknown.
fn capi_first_plan(manifests: &str) -> Value {
    obj(&[
        ("cluster_ca", Value::unknown()),
        ("bootstrap_token", Value::unknown()),
        ("capi_manifests", Value::from(manifests)),
    ])
}

fn read_at_plan(config: &Value) -> (Option<NodeSpec>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let prefetched = BTreeMap::new();
    let spec = Reader { config, diags: &mut diags, fetch_manifest: true, prefetched: Some(&prefetched) }.read();
    (spec, diags)
}
