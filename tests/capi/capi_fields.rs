//! Walks every field of Cluster API's `KubeadmConfigSpec` (the inventories in
//! tests/fixtures/capi/fields, one per API version) and checks that compat
//! mode either carries it into the node (the kubeadm documents or the
//! Ignition config the provider renders change when the field is set, for
//! some role and kubeadm API version) or reports it with its YAML path (or
//! the path of the section that holds it). Fields that are reported rather
//! than carried are listed in tests/fixtures/capi/fields/reported.txt, so a
//! field that stops being carried fails this test. `UPDATE_CAPI_FIELDS=1`
//! rewrites that list (refused under CI).

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_yaml_ng::{Mapping, Value};
use terraform_provider_kubeadm::bootstrap::capi::{self, Manifests, Secrets};
use terraform_provider_kubeadm::bootstrap::node::Role;
use terraform_provider_kubeadm::provider::ignition_config;
use terraform_provider_kubeadm::provider::node_input::{Reader, CA_FIELDS};
use terraform_provider_kubeadm::tfplugin::diag::Diagnostics;
use terraform_provider_kubeadm::tfplugin::value::Value as Tf;

const VERSIONS: [&str; 4] = ["v1alpha3", "v1alpha4", "v1beta1", "v1beta2"];

struct Field {
    path: String,
    kind: String,
}

fn inventory(version: &str) -> Vec<Field> {
    let path = format!("{}/tests/fixtures/capi/fields/{version}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            Field { path: cols.next().unwrap().to_string(), kind: cols.next().unwrap_or("string").to_string() }
        })
        .collect()
}

/// Leaves: fields whose children are not listed.
fn leaves(fields: &[Field]) -> Vec<&Field> {
    fields
        .iter()
        .filter(|f| {
            !fields.iter().any(|g| {
                g.path.len() > f.path.len()
                    && (g.path.starts_with(&format!("{}.", f.path)) || g.path.starts_with(&format!("{}[].", f.path)))
            })
        })
        .collect()
}

fn y(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap()
}

/// A value that makes a difference for this field.
fn sample(path: &str, kind: &str) -> Value {
    let leaf = path.rsplit('.').next().unwrap().trim_end_matches("[]");
    let special = match leaf {
        "permissions" => Some("'0600'"),
        "encoding" => Some("base64"),
        "effect" => Some("NoExecute"),
        "imagePullPolicy" => Some("Never"),
        "format" => Some("cloud-config"),
        "encryptionAlgorithm" => Some("RSA-3072"),
        "criSocket" => Some("unix:///run/sample.sock"),
        "owner" => Some("core:core"),
        "path" | "hostPath" | "mountPath" | "homeDir" | "shell" | "dataDir" | "caFile" | "certFile" | "keyFile"
        | "kubeConfigPath" | "caCertPath" | "directory" => Some("/sample/dir"),
        "advertiseAddress" => Some("10.0.0.9"),
        // kubeadm takes a lower-case DNS name only.
        "dnsDomain" => Some("sample.example"),
        // The sources of an environment variable, each with what it needs.
        "fieldRef" => Some("{fieldPath: status.podIP}"),
        "resourceFieldRef" => Some("{resource: limits.memory}"),
        "configMapKeyRef" | "secretKeyRef" => Some("{name: sample-name, key: sample-key}"),
        "fileKeyRef" => Some("{volumeName: sample-volume, path: sample.env, key: SAMPLE}"),
        "controlPlaneEndpoint" | "apiServerEndpoint" => Some("api.sample.example.com:6443"),
        "kubernetesVersion" => Some("v1.29.1"),
        "serviceSubnet" => Some("10.200.0.0/16"),
        "podSubnet" => Some("10.244.0.0/16"),
        "pathType" => Some("DirectoryOrCreate"),
        "contentFormat" => Some("Template"),
        "additionalConfig" => Some("|\n  systemd:\n    units:\n      - name: sample.service\n        enabled: true\n"),
        "caCertHashes" => Some("['sha256:0000000000000000000000000000000000000000000000000000000000000001']"),
        "sshAuthorizedKeys" => Some("['ssh-ed25519 AAAA sample']"),
        "mounts" => Some("[['/dev/xvdc', '/mnt/sample', 'ext4']]"),
        "groups" if kind == "string" => Some("wheel,sample"),
        "sudo" => Some("ALL=(ALL) NOPASSWD:ALL"),
        "skipPhases" => Some("['addon/kube-proxy']"),
        "enabled" | "strict" | "lockPassword" => Some("false"),
        _ => None,
    };
    if let Some(s) = special {
        return y(s);
    }
    match kind {
        "string" => Value::String(format!("sample-{leaf}")),
        "bool" => Value::Bool(true),
        "int" if leaf.ends_with("Seconds") => y("120"),
        "int" if leaf == "bindPort" => y("6444"),
        "int" => y("5"),
        "duration" => y("'3m0s'"),
        "time" => y("'2030-01-01T00:00:00Z'"),
        "[]string" => y("['sample-a']"),
        "map[string]string" => y("{sample-flag: '1'}"),
        "map[string]bool" => y("{SampleGate: true}"),
        "[][]string" => y("[['a', 'b']]"),
        "object" | "[]object" | "rawjson" => y("{}"),
        other => panic!("{path}: unknown kind {other}"),
    }
}

/// What a list element needs besides the field under test.
fn companion(list_path: &str) -> Value {
    let leaf = list_path.rsplit('.').next().unwrap();
    match leaf {
        "files" => y("{path: /etc/sample-file, content: aGVsbG8=}"),
        "users" => y("{name: sample}"),
        "taints" => y("{key: sample, effect: NoSchedule}"),
        "extraVolumes" => y("{name: v, hostPath: /h, mountPath: /m}"),
        "extraEnvs" => y("{name: E}"),
        "extraArgs" | "kubeletExtraArgs" => y("{name: sample-flag, value: '1'}"),
        "partitions" | "filesystems" => y("{device: /dev/xvdb}"),
        _ => y("{}"),
    }
}

/// Sets `path` (from `spec`) to `value`, creating list elements with their
/// companions.
fn set(root: &mut Value, path: &str, value: Value) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut cur = root;
    let mut walked = String::new();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let (name, is_list) = match part.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (*part, false),
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(name);
        if !cur.is_mapping() {
            *cur = Value::Mapping(Mapping::new());
        }
        let map = cur.as_mapping_mut().unwrap();
        if last && !is_list {
            map.insert(Value::String(name.to_string()), value);
            return;
        }
        let key = Value::String(name.to_string());
        if !map.contains_key(&key) {
            let fresh =
                if is_list { Value::Sequence(vec![companion(&walked)]) } else { Value::Mapping(Mapping::new()) };
            map.insert(key.clone(), fresh);
        }
        let next = map.get_mut(&key).unwrap();
        cur = if is_list { &mut next.as_sequence_mut().unwrap()[0] } else { next };
        if last {
            *cur = value;
            return;
        }
    }
}

fn tf_object(pairs: Vec<(&str, Tf)>) -> Tf {
    Tf::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// One rendering of a node: its kubeadm documents and Ignition config, or
/// the errors that stopped it.
#[derive(Debug, Clone, PartialEq)]
enum Render {
    Ok { kubeadm: String, ignition: String },
    Failed(String),
}

/// What the provider renders from `manifests` (the data source's inputs
/// read by the provider's own reader, then its renderer) for every role, on
/// a kubeadm v1beta3 release (Kubernetes 1.30) and a v1beta4 one (1.31).
/// The configuration gives the node only what it needs and the manifests
/// leave out (role, CA, token, and the cluster's name, version and endpoint
/// when `parsed` has none), so every value the manifests give is theirs.
fn render_all(manifests: &str, parsed: &Manifests) -> Vec<Render> {
    let hash = format!("sha256:{}", "0".repeat(64));
    let ca = tf_object(
        CA_FIELDS.iter().map(|f| (*f, Tf::from(if *f == "ca_cert_hash" { hash.as_str() } else { "pem" }))).collect(),
    );
    let token = tf_object(vec![
        ("token", Tf::from("abcdef.0123456789abcdef")),
        ("expires_at", Tf::Null),
        ("description", Tf::Null),
        ("usages", Tf::string_list(["signing", "authentication"])),
        ("groups", Tf::string_list(["system:bootstrappers:kubeadm:default-node-token"])),
    ]);
    let secrets = Tf::Object(
        secrets()
            .into_iter()
            .map(|(name, keys)| (name, Tf::Map(keys.into_iter().map(|(k, v)| (k, Tf::from(v))).collect())))
            .collect(),
    );
    let mut out = Vec::new();
    for role in Role::ALL {
        for version in ["v1.30.8", "v1.31.4"] {
            let mut cluster = Vec::new();
            if parsed.cluster_name.is_none() {
                cluster.push(("name", Tf::from("fields")));
            }
            if parsed.kubernetes_version.is_none() {
                cluster.push(("kubernetes_version", Tf::from(version)));
            }
            if parsed.control_plane_endpoint.is_none() {
                cluster.push(("control_plane_endpoint", Tf::from("api.fields.example.com:6443")));
            }
            let config = tf_object(vec![
                ("role", Tf::from(role.as_str())),
                ("cluster", tf_object(cluster)),
                ("cluster_ca", ca.clone()),
                ("bootstrap_token", token.clone()),
                ("capi_manifests", Tf::from(manifests)),
                ("capi_secrets", secrets.clone()),
            ]);
            let mut diags = Diagnostics::new();
            let spec = Reader { config: &config, diags: &mut diags, fetch_manifest: false, prefetched: None }.read();
            let r = spec.and_then(|spec| ignition_config::render(&spec, &mut diags));
            out.push(match r {
                Some(r) => Render::Ok { kubeadm: r.kubeadm_yaml, ignition: r.json },
                None => Render::Failed(
                    diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect::<Vec<_>>().join("; "),
                ),
            });
        }
    }
    out
}

/// Whether setting the field changed what some role renders: both renderings
/// succeeded and their kubeadm documents or Ignition configs differ.
fn rendered_differently(before: &[Render], after: &[Render]) -> bool {
    before.iter().zip(after).any(|(b, a)| matches!((b, a), (Render::Ok { .. }, Render::Ok { .. })) && a != b)
}

/// The renderer's error where the node rendered without the field and does
/// not with it, when the error names the field.
fn refusal(before: &[Render], after: &[Render], path: &str) -> Option<String> {
    let leaf = path.rsplit('.').next().unwrap_or(path).trim_end_matches("[]");
    before.iter().zip(after).find_map(|(b, a)| match (b, a) {
        (Render::Ok { .. }, Render::Failed(e)) if e.contains(leaf) => Some(e.clone()),
        _ => None,
    })
}

/// Known gaps: fields compat mode takes over as written (no finding) that
/// the renderer then refuses, so the plan fails at
/// `kubeadm_config_patches` rather than at the field's YAML path. Each must
/// still be refused: carried or reported, it leaves this list.
const KNOWN_REFUSED: [&str; 0] = [];

/// Paths of the findings (compat parse and every resolution), without list indexes.
fn reported(m: &Manifests) -> BTreeSet<String> {
    let mut all: Vec<capi::Finding> = m.findings.clone();
    for role in Role::ALL {
        for v4 in [false, true] {
            all.extend(m.resolve(role, v4).findings);
        }
    }
    all.iter().map(|f| strip_indexes(&f.path)).collect()
}

fn strip_indexes(path: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for c in path.chars() {
        match c {
            '[' => {
                skip = true;
                out.push_str("[]");
            }
            ']' => skip = false,
            _ if skip => {}
            _ => out.push(c),
        }
    }
    out
}

fn manifest(version: &str, spec: Value) -> String {
    let mut doc = y(&format!(
        "apiVersion: bootstrap.cluster.x-k8s.io/{version}\nkind: KubeadmConfig\nmetadata: {{name: sample}}\n"
    ));
    doc.as_mapping_mut().unwrap().insert(Value::String("spec".into()), spec);
    serde_yaml_ng::to_string(&doc).unwrap()
}

fn secrets() -> Secrets {
    let mut s = Secrets::new();
    for name in ["base-name", "sample-name"] {
        for key in ["base-key", "sample-key"] {
            s.entry(name.into()).or_default().insert(key.into(), format!("{name}/{key}"));
        }
    }
    s
}

#[test]
fn every_kubeadm_config_spec_field_is_carried_or_reported() {
    let update = support::switch("UPDATE_CAPI_FIELDS").is_some();
    let mut baselines: BTreeMap<String, Vec<Render>> = BTreeMap::new();
    let expected_path = format!("{}/tests/fixtures/capi/fields/reported.txt", env!("CARGO_MANIFEST_DIR"));
    let expected: BTreeSet<String> = std::fs::read_to_string(&expected_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    let mut problems = Vec::new();
    let mut reported_now = BTreeMap::new();
    let mut carried = 0;
    for version in VERSIONS {
        let fields = inventory(version);
        assert!(fields.len() > 100, "{version}: inventory too short");
        for field in leaves(&fields) {
            let rel = field.path.strip_prefix("spec.").unwrap_or_else(|| panic!("{}", field.path));
            // The baseline holds the list elements the field needs.
            let mut base = Value::Mapping(Mapping::new());
            if let Some((parent, _)) = rel.rsplit_once('.') {
                let mut probe = Value::Mapping(Mapping::new());
                set(&mut probe, &format!("{parent}.__probe"), Value::Null);
                base = strip_probe(probe);
            }
            // A template makes a difference only to content with template
            // actions; a comment needs no template data (the manifests here
            // hold no Cluster to tell the control plane's version).
            if rel == "files[].contentFormat" {
                set(&mut base, "files[].content", y("'kubernetes{{/* rendered away */}}'"));
            }
            if rel.starts_with("ntp.") {
                set(&mut base, "ntp.servers", y("['pool.sample']"));
            }
            if rel.starts_with("files[].contentFrom") || rel.starts_with("users[].passwdFrom") {
                let parent = rel.split(".secret").next().unwrap();
                set(&mut base, &format!("{parent}.secret.name"), y("base-name"));
                set(&mut base, &format!("{parent}.secret.key"), y("base-key"));
            }
            let mut with = base.clone();
            set(&mut with, rel, sample(&field.path, &field.kind));
            let (base_text, with_text) = (manifest(version, base), manifest(version, with.clone()));
            let before = capi::parse(&base_text, &secrets());
            let after = capi::parse(&with_text, &secrets());
            let all_reports = reported(&after);
            let new_reports: BTreeSet<String> = all_reports.difference(&reported(&before)).cloned().collect();
            // Reported: the field itself (a warning or an error at its path),
            // or, when setting it changes nothing, the section holding it
            // (refused or warned about as a whole), or the kubeadm API
            // versions it has no place in.
            let key = format!("{version} {}", field.path);
            let exact = new_reports.iter().find(|p| field.path == p.as_str()).cloned();
            // Carried: the field reaches what the node gets (the rendered
            // kubeadm documents or Ignition config), not merely the parsed spec.
            let (changed, refused) = if exact.is_some() {
                (false, None)
            } else {
                let base_render =
                    baselines.entry(base_text.clone()).or_insert_with(|| render_all(&base_text, &before)).clone();
                let with_render = render_all(&with_text, &after);
                (rendered_differently(&base_render, &with_render), refusal(&base_render, &with_render, &field.path))
            };
            let known_refused = KNOWN_REFUSED.iter().any(|k| field.path.ends_with(k));
            if known_refused && (changed || refused.is_none()) {
                problems.push(format!(
                    "{key}: listed in KNOWN_REFUSED, but the renderer no longer refuses it; remove it there"
                ));
            }
            let section = all_reports
                .iter()
                .find(|p| {
                    let p = p.as_str();
                    field.path.starts_with(&format!("{p}.")) || field.path.starts_with(&format!("{p}[]"))
                })
                .cloned();
            let outside: Vec<&String> = new_reports
                .iter()
                .filter(|p| !field.path.starts_with(p.as_str()) && !p.starts_with(field.path.as_str()))
                .collect();
            if !outside.is_empty() {
                problems.push(format!("{key}: reported at unrelated paths: {outside:?}"));
            }
            match (exact, changed, section) {
                (None, false, _) if refused.is_some() => {
                    let e = refused.unwrap_or_default();
                    if known_refused {
                        eprintln!("known gap: {key} is taken over, then refused by the renderer: {e}");
                    } else {
                        problems.push(format!("{key}: taken over, then refused by the renderer ({e})"));
                    }
                }
                (Some(p), _, _) | (None, false, Some(p)) => {
                    reported_now.insert(key.clone(), p.clone());
                    if !expected.contains(&key) {
                        problems.push(format!("{key}: newly reported (at {p}) instead of carried"));
                    }
                }
                (None, true, _) => {
                    carried += 1;
                    if expected.contains(&key) {
                        problems.push(format!("{key}: listed as reported, but carried now; update reported.txt"));
                    }
                }
                (None, false, None) => problems.push(format!(
                    "{key}: neither carried nor reported (sample {:?}; findings {new_reports:?})",
                    serde_yaml_ng::to_string(&with).unwrap_or_default()
                )),
            }
        }
    }
    if update {
        let mut text = String::from(
            "# Fields compat mode reports (warning or error) instead of carrying, with the path reported.\n",
        );
        for (k, p) in &reported_now {
            let _ = writeln!(text, "{k}\t{p}");
        }
        std::fs::write(&expected_path, text).unwrap();
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    assert!(carried >= 390, "only {carried} fields carried");
    println!("carried {carried}, reported {}", reported_now.len());
}

/// Removes the `__probe` keys `set` used to build parents.
fn strip_probe(mut v: Value) -> Value {
    fn go(v: &mut Value) {
        match v {
            Value::Mapping(m) => {
                m.remove("__probe");
                for (_, x) in m.iter_mut() {
                    go(x);
                }
            }
            Value::Sequence(s) => s.iter_mut().for_each(go),
            _ => {}
        }
    }
    go(&mut v);
    v
}
