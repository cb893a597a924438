//! Compat mode against Cluster API itself. Every Cluster API fixture in
//! tests/fixtures/capi (init, control-plane join, worker,
//! KubeadmConfigTemplate + MachineDeployment, KubeadmControlPlane; v1beta1
//! and v1beta2; a v1beta2 worker with file templates), as it is and on the
//! other kubeadm config API (its version set to Kubernetes 1.30 or 1.31),
//! and each KubeadmControlPlane also with
//! its control plane initialized (the next Machine joins) and on Kubernetes
//! 1.36, is rendered twice:
//!
//! - by the provider: the `kubeadm_ignition_config` inputs (the manifests,
//!   a CA hash, a bootstrap token) read by the provider's own input reader
//!   and rendered by its renderer, the code the data source and resource run;
//! - by Cluster API v1.14.2: `tests/cabpk-types`, a Go program built by
//!   `scripts/install-cabpk-types.sh`, decodes the same objects with Cluster
//!   API's types (v1beta1 converted by its conversion functions), takes the
//!   steps CABPK's KubeadmConfig reconciler takes (init or join, the
//!   Cluster's and Machine's values in ClusterConfiguration, join discovery
//!   from the same token and CA hash, the uninitialized taint; KCP's own
//!   desired-state functions for a KubeadmControlPlane) and marshals the
//!   kubeadm documents with Cluster API's `bootstrap/kubeadm/pkg/types`.
//!
//! Both must agree on the role and, document by document (by kind), field
//! by field: each YAML is parsed into a tree and the trees are compared,
//! each differing path reported. They must also agree on the node's files:
//! `tests/cabpk-types` prepares them as CABPK's `resolveFiles` does
//! (`contentFrom` Secrets read, `contentFormat: Template` rendered by Go's
//! own `text/template` with the control plane's version), and each must be
//! in the provider's Ignition config with the same content, owner and mode.
//! Fixtures with Template files and a `controlPlaneRef` are also rendered
//! without the reference (the template data is then empty). The differences the provider makes on
//! purpose are listed once, in [`KNOWN`], with the reason; the compat guide
//! (docs/guides/migrating-from-cluster-api.md) shows the same table, and a
//! test keeps the two in step. Any other difference fails the test, and so
//! does a listed one that no longer occurs anywhere.

use crate::kubeadm_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use terraform_provider_kubeadm::provider::ignition_config;
use terraform_provider_kubeadm::provider::node_input::{Reader, CA_FIELDS};
use terraform_provider_kubeadm::tfplugin::diag::Diagnostics;
use terraform_provider_kubeadm::tfplugin::value::Value as Tf;

/// Every compat fixture (tests/fixtures/capi/<version>/<scenario>.yaml).
const FIXTURES: [&str; 11] = [
    "v1beta1/init.yaml",
    "v1beta1/control-plane-join.yaml",
    "v1beta1/worker.yaml",
    "v1beta1/machinedeployment.yaml",
    "v1beta1/kubeadmcontrolplane.yaml",
    "v1beta2/init.yaml",
    "v1beta2/control-plane-join.yaml",
    "v1beta2/worker.yaml",
    "v1beta2/machinedeployment.yaml",
    "v1beta2/kubeadmcontrolplane.yaml",
    "v1beta2/file-templates.yaml",
];

/// What both sides get: the bootstrap token and CA hash a join discovers
/// with (CABPK creates the token and hashes the CA Secret; the provider takes
/// `bootstrap_token` and `cluster_ca`), and the endpoint every fixture's
/// Cluster names.
const TOKEN: &str = "w8r1dq.4kz0m3xvq7h2c9ta";
const CA_CERT_HASH: &str = "sha256:5c3a1e0f9d8b7a6c5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e";
const ENDPOINT: &str = "api.demo.example.com:6443";

/// A value expected on one side of a listed difference.
const ABSENT: &str = "-";
const ANY: &str = "*";

/// A difference the provider makes on purpose.
struct Known {
    /// `<document kind>.<field path>`; `extraArgs`/`kubeletExtraArgs` entries
    /// by flag name, taints as `taints[<key>:<effect>]`; a kind alone for a
    /// whole document.
    path: &'static str,
    /// The provider's value: JSON, [`ABSENT`] or [`ANY`].
    provider: &'static str,
    /// Cluster API's value, likewise.
    cabpk: &'static str,
    reason: &'static str,
}

/// The intended differences, each with its reason. docs/guides/migrating-
/// from-cluster-api.md ("Differences from Cluster API's own rendering")
/// shows the same paths.
const KNOWN: &[Known] = &[
    Known {
        path: "InitConfiguration.nodeRegistration.name",
        provider: r#""__KUBEADM_NODE_NAME__""#,
        cabpk: r#""${COREOS_EC2_HOSTNAME}""#,
        reason: "both stand for the EC2 private DNS name: CABPK's config relies on the envsubst pre-commands over /etc/kubeadm.yml, the provider's bootstrap script fills its placeholder from the instance metadata",
    },
    Known {
        path: "JoinConfiguration.nodeRegistration.name",
        provider: r#""__KUBEADM_NODE_NAME__""#,
        cabpk: r#""${COREOS_EC2_HOSTNAME}""#,
        reason: "as for InitConfiguration: the same name, filled in at boot by the bootstrap script instead of envsubst",
    },
    Known {
        path: "InitConfiguration.nodeRegistration.kubeletExtraArgs.node-ip",
        provider: ABSENT,
        cabpk: r#""${COREOS_EC2_IPV4_LOCAL}""#,
        reason: "left out with a warning: nothing on the provider's nodes substitutes the variable, and the kubelet picks the primary private address by itself",
    },
    Known {
        path: "JoinConfiguration.nodeRegistration.kubeletExtraArgs.node-ip",
        provider: ABSENT,
        cabpk: r#""${COREOS_EC2_IPV4_LOCAL}""#,
        reason: "as for InitConfiguration",
    },
    Known {
        path: "InitConfiguration.nodeRegistration.kubeletExtraArgs.provider-id",
        provider: r#""__KUBEADM_PROVIDER_ID__""#,
        cabpk: ABSENT,
        reason: "the EC2 node name implies the AWS provider ID (aws:///<zone>/<instance-id>), filled in at boot; under Cluster API the AWS infrastructure provider sets it on the Node instead",
    },
    Known {
        path: "JoinConfiguration.nodeRegistration.kubeletExtraArgs.provider-id",
        provider: r#""__KUBEADM_PROVIDER_ID__""#,
        cabpk: ABSENT,
        reason: "as for InitConfiguration",
    },
    Known {
        path: "InitConfiguration.nodeRegistration.criSocket",
        provider: r#""unix:///run/containerd/containerd.sock""#,
        cabpk: ABSENT,
        reason: "the provider's nodes run containerd and say so; kubeadm would detect the same socket",
    },
    Known {
        path: "JoinConfiguration.nodeRegistration.criSocket",
        provider: r#""unix:///run/containerd/containerd.sock""#,
        cabpk: ABSENT,
        reason: "as for InitConfiguration",
    },
    Known {
        path: "JoinConfiguration.nodeRegistration.taints[node.cluster.x-k8s.io/uninitialized:NoSchedule]",
        provider: ABSENT,
        cabpk: r#"{"key": "node.cluster.x-k8s.io/uninitialized", "effect": "NoSchedule"}"#,
        reason: "CABPK adds this taint to workers and Cluster API's Machine controller removes it; without Cluster API nothing would, so the provider drops it",
    },
    Known {
        path: "InitConfiguration.bootstrapTokens",
        provider: ANY,
        cabpk: ABSENT,
        reason: "the init node seeds the bootstrap token the other nodes join with (kubeadm_bootstrap_token); CABPK creates tokens through the API server instead and lets kubeadm init make a throwaway one",
    },
    Known {
        path: "ClusterConfiguration.controllerManager.extraArgs.flex-volume-plugin-dir",
        provider: r#""/opt/libexec/kubernetes/kubelet-plugins/volume/exec/""#,
        cabpk: ABSENT,
        reason: "Flatcar's /usr is read-only: the controller manager and the kubelet (KubeletConfiguration.volumePluginDir) use a writable flex-volume directory",
    },
    Known {
        path: "ClusterConfiguration.etcd.local.dataDir",
        provider: r#""/var/lib/etcd""#,
        cabpk: ABSENT,
        reason: "the provider writes kubeadm's default out; Cluster API writes an empty string, which kubeadm defaults to the same directory",
    },
    Known {
        path: "KubeletConfiguration",
        provider: ANY,
        cabpk: ABSENT,
        reason: "the init node sets the cluster's kubelet configuration: the systemd cgroup driver and the writable flex-volume directory the provider's operating systems need",
    },
    Known {
        path: "JoinConfiguration",
        provider: ANY,
        cabpk: ABSENT,
        reason: "an init node also carries the control-plane join its bootstrap script runs when the cluster already answers at the endpoint (a replaced first node), instead of founding a second cluster",
    },
];

// ---------------------------------------------------------------- renders

/// One node as one side renders it.
#[derive(Debug)]
struct Node {
    role: String,
    kubernetes_version: String,
    /// Document kind → document.
    documents: BTreeMap<String, Json>,
    /// The config file as written.
    yaml: String,
    /// The files the manifests give the node, by path.
    files: BTreeMap<String, File>,
}

/// A file as written on the node.
#[derive(Debug, Clone, PartialEq)]
struct File {
    content: String,
    /// `user:group`; empty where Cluster API's file leaves it unset.
    owner: String,
    /// The mode; `None` where Cluster API's file leaves it unset.
    mode: Option<u32>,
}

fn fixture_path(fixture: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/capi").join(fixture)
}

/// A fixture with its Cluster's control plane initialized: the next
/// control-plane Machine a KubeadmControlPlane creates joins.
fn initialized(fixture: &str, text: &str) -> String {
    let mut out = text.to_string();
    for (from, to) in [
        ("status: \"False\"", "status: \"True\""),
        ("controlPlaneInitialized: false", "controlPlaneInitialized: true"),
        ("controlPlaneReady: false", "controlPlaneReady: true"),
    ] {
        out = out.replace(from, to);
    }
    assert!(out.contains("status: \"True\"") && !out.contains("status: \"False\""), "{fixture}: {out}");
    out
}

/// A fixture whose Machine (or MachineDeployment, or KubeadmControlPlane
/// when the node is one of its own) names another Kubernetes version. A
/// KubeadmControlPlane next to a Machine or MachineDeployment is only the
/// Cluster's control plane and keeps its version.
fn at_version(fixture: &str, text: &str, version: &str) -> String {
    let mut changed = 0;
    let has_machine = text.contains("\nkind: Machine\n") || text.contains("\nkind: MachineDeployment\n");
    let mut in_control_plane = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l == "---" {
                in_control_plane = false;
            } else if l == "kind: KubeadmControlPlane" {
                in_control_plane = has_machine;
            }
            let indent = &l[..l.len() - l.trim_start().len()];
            match l.trim().strip_prefix("version: v1.") {
                Some(_) if !in_control_plane => {
                    changed += 1;
                    format!("{indent}version: {version}")
                }
                _ => l.to_string(),
            }
        })
        .collect();
    assert_eq!(changed, 1, "{fixture}: one version line expected");
    lines.join("\n") + "\n"
}

/// A fixture whose Cluster names no control plane: `spec.controlPlaneRef`
/// and the lines under it removed.
fn without_control_plane_ref(fixture: &str, text: &str) -> String {
    let mut out = Vec::new();
    let mut skipping = false;
    for l in text.lines() {
        if l == "  controlPlaneRef:" {
            skipping = true;
            continue;
        }
        if skipping && l.starts_with("    ") {
            continue;
        }
        skipping = false;
        out.push(l);
    }
    assert_eq!(out.len() + 4, text.lines().count(), "{fixture}: a four-line controlPlaneRef expected");
    out.join("\n") + "\n"
}

/// One set of manifests both sides render.
struct Case {
    name: String,
    manifests: String,
    /// Whether an installed kubeadm judges the provider's config (every case
    /// but those on Kubernetes 1.36, which no installed kubeadm covers and
    /// which are here for KCP's version boundary).
    judged: bool,
}

/// Every case: each fixture as it is; each once more on the other kubeadm
/// API (Kubernetes 1.30, kubeadm v1beta3, or 1.31, v1beta4); the
/// KubeadmControlPlane ones also with the control plane initialized (the
/// second Machine, a control-plane join) and on Kubernetes 1.36, past KCP's
/// feature-gate default.
fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut case = |name: String, manifests: String, judged: bool| out.push(Case { name, manifests, judged });
    for fixture in FIXTURES {
        let text = std::fs::read_to_string(fixture_path(fixture)).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let other = if text.contains("version: v1.30.") { "v1.31.4" } else { "v1.30.8" };
        case(format!("{fixture} on Kubernetes {other}"), at_version(fixture, &text, other), true);
        if fixture.ends_with("kubeadmcontrolplane.yaml") {
            case(format!("{fixture}, control plane initialized"), initialized(fixture, &text), true);
            case(format!("{fixture} on Kubernetes v1.36.0"), at_version(fixture, &text, "v1.36.0"), false);
        }
        // The kubeadm documents are those of the fixture as it is.
        if text.contains("contentFormat: Template") && text.contains("  controlPlaneRef:") {
            case(format!("{fixture} without controlPlaneRef"), without_control_plane_ref(fixture, &text), false);
        }
        case(fixture.to_string(), text, true);
    }
    out
}

fn tf_object(pairs: Vec<(&str, Tf)>) -> Tf {
    Tf::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Splits a kubeadm config file into its documents, by kind.
fn documents(yaml: &str, who: &str) -> BTreeMap<String, Json> {
    use serde::Deserialize as _;
    let mut out = BTreeMap::new();
    for doc in serde_yaml_ng::Deserializer::from_str(yaml) {
        let v = Json::deserialize(doc).unwrap_or_else(|e| panic!("{who}: a kubeadm document is not YAML: {e}\n{yaml}"));
        if v.is_null() {
            continue;
        }
        let kind = v["kind"].as_str().unwrap_or_else(|| panic!("{who}: a document without kind:\n{yaml}")).to_string();
        assert!(out.insert(kind.clone(), v).is_none(), "{who}: two {kind} documents:\n{yaml}");
    }
    out
}

/// The provider's node: the data source's inputs through the provider's
/// own reader and renderer.
fn provider_node(fixture: &str, manifests: &str) -> Node {
    let ca = tf_object(
        CA_FIELDS.iter().map(|f| (*f, Tf::from(if *f == "ca_cert_hash" { CA_CERT_HASH } else { "pem" }))).collect(),
    );
    let token = tf_object(vec![
        ("token", Tf::from(TOKEN)),
        ("expires_at", Tf::Null),
        ("description", Tf::Null),
        ("usages", Tf::string_list(["signing", "authentication"])),
        ("groups", Tf::string_list(["system:bootstrappers:kubeadm:default-node-token"])),
    ]);
    let config =
        tf_object(vec![("cluster_ca", ca), ("bootstrap_token", token), ("capi_manifests", Tf::from(manifests))]);
    let mut diags = Diagnostics::new();
    let spec = Reader { config: &config, diags: &mut diags, fetch_manifest: false, prefetched: None }.read();
    let rendered = spec.as_ref().and_then(|spec| ignition_config::render(spec, &mut diags));
    let errors: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    let (Some(spec), Some(rendered), true) = (spec, rendered, errors.is_empty()) else {
        panic!("{fixture}: the provider did not render the node: {errors:?}");
    };
    // The files as the Ignition config writes them.
    let ignition: Json = serde_json::from_str(&rendered.json).unwrap();
    let written: BTreeMap<&str, &Json> = ignition["storage"]["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| (f["path"].as_str().unwrap_or_default(), f))
        .collect();
    let mut files = BTreeMap::new();
    for f in &spec.files {
        // CABPK's Ignition output writes a user's sudo rule from users[].sudo,
        // not from files; the provider carries it as a file.
        let sudoers = f.path.strip_prefix("/etc/sudoers.d/").is_some_and(|u| spec.users.iter().any(|x| x.name == u));
        if sudoers {
            continue;
        }
        let entry = written
            .get(f.path.as_str())
            .unwrap_or_else(|| panic!("{fixture}: {} is not in the Ignition config", f.path));
        let source = entry["contents"]["source"].as_str().unwrap_or_default();
        let b64 = source
            .strip_prefix("data:;base64,")
            .unwrap_or_else(|| panic!("{fixture}: {} is not inline: {source}", f.path));
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        let owner = format!(
            "{}:{}",
            entry["user"]["name"].as_str().unwrap_or("root"),
            entry["group"]["name"].as_str().unwrap_or("root")
        );
        let mode = entry["mode"].as_u64().map(|m| m as u32);
        files.insert(f.path.clone(), File { content: String::from_utf8(bytes).unwrap(), owner, mode });
    }
    Node {
        role: spec.role.as_str().to_string(),
        kubernetes_version: spec.cluster.kubernetes_version.to_string(),
        documents: documents(&rendered.kubeadm_yaml, &format!("{fixture} (provider)")),
        yaml: rendered.kubeadm_yaml,
        files,
    }
}

/// The Cluster API version tests/cabpk-types pins.
fn capi_version() -> String {
    let go_mod = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cabpk-types/go.mod");
    let text = std::fs::read_to_string(&go_mod).unwrap();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("sigs.k8s.io/cluster-api "))
        .map(|rest| rest.split_whitespace().next().unwrap_or_default().to_string())
        .next()
        .unwrap_or_else(|| panic!("{} requires no sigs.k8s.io/cluster-api", go_mod.display()))
}

/// The sources record scripts/install-cabpk-types.sh keeps next to the
/// binary: SHA-256 over each source's name and content, in name order.
fn sources_sha256() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cabpk-types");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".go") || n == "go.mod" || n == "go.sum")
        .collect();
    names.sort();
    let mut h = Sha256::new();
    for n in names {
        h.update(format!("{n}\n").as_bytes());
        h.update(std::fs::read(dir.join(&n)).unwrap());
    }
    hex::encode(h.finalize())
}

/// The built program; a missing or stale one is a failure, never a skip.
fn cabpk_types() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/cabpk-types").join(capi_version());
    let bin = dir.join("cabpk-types");
    let install = "run `bash scripts/install-cabpk-types.sh` (the test command does)";
    assert!(bin.exists(), "{} is missing; {install}", bin.display());
    let recorded = std::fs::read_to_string(dir.join("sources.sha256")).unwrap_or_default();
    assert_eq!(
        recorded.trim(),
        sources_sha256(),
        "{} was built from other sources than tests/cabpk-types holds now; {install}",
        bin.display()
    );
    bin
}

/// Cluster API's node: tests/cabpk-types on the same manifests and inputs.
fn cabpk_node(bin: &Path, fixture: &str, manifests: &str) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("manifests.yaml");
    std::fs::write(&file, manifests).unwrap();
    let out = Command::new(bin)
        .args(["-token", TOKEN, "-ca-cert-hash", CA_CERT_HASH, "-endpoint", ENDPOINT])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "{fixture}: cabpk-types failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{fixture}: cabpk-types printed no JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout))
    });
    let nodes = v["nodes"].as_array().unwrap_or_else(|| panic!("{fixture}: no nodes in {v}"));
    assert_eq!(nodes.len(), 1, "{fixture}: one node expected, got {v}");
    let n = &nodes[0];
    let text = |k: &str| n[k].as_str().unwrap_or_else(|| panic!("{fixture}: no {k} in {n}")).to_string();
    let mut files = BTreeMap::new();
    for f in n["files"].as_array().unwrap_or_else(|| panic!("{fixture}: no files in {n}")) {
        let field = |k: &str| f[k].as_str().unwrap_or_else(|| panic!("{fixture}: no {k} in {f}")).to_string();
        // What the bootstrap data writes: the content decoded.
        let content = match field("encoding").as_str() {
            "" => field("content"),
            "base64" => {
                let clean: String = field("content").chars().filter(|c| !c.is_whitespace()).collect();
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(clean).unwrap()).unwrap()
            }
            other => panic!("{fixture}: the encoding {other:?} is not decoded here"),
        };
        let permissions = field("permissions");
        let mode = (!permissions.is_empty()).then(|| u32::from_str_radix(&permissions, 8).unwrap());
        files.insert(field("path"), File { content, owner: field("owner"), mode });
    }
    Node {
        role: text("role"),
        kubernetes_version: text("kubernetesVersion"),
        documents: documents(&text("kubeadmConfig"), &format!("{fixture} (Cluster API)")),
        yaml: text("kubeadmConfig"),
        files,
    }
}

/// Where the provider's files differ from Cluster API's: every file of
/// either side must be on the other with the same content, and with the
/// owner and mode Cluster API's file names (where it names none, the
/// bootstrap format's default applies and the provider writes its own).
fn compare_files(provider: &Node, cabpk: &Node) -> Vec<String> {
    let mut out = Vec::new();
    let paths: BTreeSet<&String> = provider.files.keys().chain(cabpk.files.keys()).collect();
    for path in paths {
        match (provider.files.get(path), cabpk.files.get(path)) {
            (Some(p), Some(c)) => {
                if p.content != c.content {
                    out.push(format!(
                        "{path}: content {:?} in the provider, {:?} in Cluster API",
                        p.content, c.content
                    ));
                }
                if !c.owner.is_empty() && p.owner != c.owner {
                    out.push(format!("{path}: owner {} in the provider, {} in Cluster API", p.owner, c.owner));
                }
                if c.mode.is_some() && p.mode != c.mode {
                    let octal = |m: Option<u32>| m.map_or("unset".to_string(), |m| format!("{m:04o}"));
                    out.push(format!(
                        "{path}: mode {} in the provider, {} in Cluster API",
                        octal(p.mode),
                        octal(c.mode)
                    ));
                }
            }
            (p, _) => {
                out.push(format!("{path}: {} only", if p.is_some() { "in the provider" } else { "in Cluster API" }))
            }
        }
    }
    out
}

// ---------------------------------------------------------------- the comparison

/// The keys whose `{name, value}` lists (kubeadm v1beta4) are compared as
/// flag name → value, like the maps of v1beta3.
const ARG_LISTS: [&str; 2] = ["extraArgs", "kubeletExtraArgs"];

/// A document tree as compared: what kubeadm reads as "unset" (null, an
/// empty string, an empty mapping) is left out, so either side may write it
/// or not; an empty list stays (`taints: []` means "no taints"). Argument
/// lists become maps by flag name and taints become entries keyed
/// `[<key>:<effect>]`, compared whole.
fn normalize(v: &Json, key: &str) -> Option<Json> {
    match v {
        Json::Null => None,
        Json::String(s) if s.is_empty() => None,
        Json::Object(m) => {
            let out: serde_json::Map<String, Json> =
                m.iter().filter_map(|(k, v)| Some((k.clone(), normalize(v, k)?))).collect();
            (!out.is_empty()).then_some(Json::Object(out))
        }
        Json::Array(items) if ARG_LISTS.contains(&key) && items.iter().all(is_name_value) => {
            let mut out = serde_json::Map::new();
            for item in items {
                let name = item["name"].as_str().unwrap_or_default().to_string();
                // A repeated flag stays a list: its order matters then.
                if out.insert(name, item["value"].clone()).is_some() {
                    return Some(v.clone());
                }
            }
            (!out.is_empty()).then_some(Json::Object(out))
        }
        Json::Array(items) if key == "taints" && !items.is_empty() => {
            let mut out = serde_json::Map::new();
            for t in items {
                let id =
                    format!("[{}:{}]", t["key"].as_str().unwrap_or_default(), t["effect"].as_str().unwrap_or_default());
                out.insert(id, normalize(t, "").unwrap_or(Json::Null));
            }
            Some(Json::Object(out))
        }
        Json::Array(items) => Some(Json::Array(items.iter().map(|i| normalize(i, "").unwrap_or(Json::Null)).collect())),
        other => Some(other.clone()),
    }
}

fn is_name_value(v: &Json) -> bool {
    v.as_object().is_some_and(|m| m.len() == 2 && m.contains_key("name") && m.contains_key("value"))
}

/// One differing path.
#[derive(Debug, Clone, PartialEq)]
struct Difference {
    path: String,
    provider: Option<Json>,
    cabpk: Option<Json>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Whole documents are long: their start says enough.
        let side = |v: &Option<Json>| match v {
            None => "(absent)".to_string(),
            Some(v) => {
                let text = v.to_string();
                match text.char_indices().nth(160) {
                    Some((cut, _)) => format!("{}…", &text[..cut]),
                    None => text,
                }
            }
        };
        write!(f, "{}: provider {} / Cluster API {}", self.path, side(&self.provider), side(&self.cabpk))
    }
}

fn join(path: &str, key: &str) -> String {
    if key.starts_with('[') {
        format!("{path}{key}")
    } else {
        format!("{path}.{key}")
    }
}

/// Walks two normalized trees. A mapping on one side only is walked too, so
/// each field it holds is its own difference; taint entries, lists and
/// scalars are compared whole.
fn diff(path: &str, provider: Option<&Json>, cabpk: Option<&Json>, out: &mut Vec<Difference>) {
    let whole = path.ends_with(']');
    match (provider, cabpk) {
        (Some(a), Some(b)) if a == b => {}
        (None, None) => {}
        (a, b) if !whole && (a.is_none_or(Json::is_object) && b.is_none_or(Json::is_object)) => {
            let keys: BTreeSet<&String> = a
                .and_then(Json::as_object)
                .into_iter()
                .chain(b.and_then(Json::as_object))
                .flat_map(|m| m.keys())
                .collect();
            for k in keys {
                diff(&join(path, k), a.and_then(|a| a.get(k)), b.and_then(|b| b.get(k)), out);
            }
        }
        (a, b) => out.push(Difference { path: path.to_string(), provider: a.cloned(), cabpk: b.cloned() }),
    }
}

/// The differences between two nodes' documents: a document on one side
/// only is one difference (its kind), the rest field by field.
fn compare(provider: &Node, cabpk: &Node) -> Vec<Difference> {
    let mut out = Vec::new();
    let kinds: BTreeSet<&String> = provider.documents.keys().chain(cabpk.documents.keys()).collect();
    for kind in kinds {
        let (a, b) = (provider.documents.get(kind), cabpk.documents.get(kind));
        if a.is_none() || b.is_none() {
            out.push(Difference { path: kind.clone(), provider: a.cloned(), cabpk: b.cloned() });
            continue;
        }
        let (a, b) = (a.and_then(|v| normalize(v, "")), b.and_then(|v| normalize(v, "")));
        diff(kind, a.as_ref(), b.as_ref(), &mut out);
    }
    out
}

fn side_matches(expected: &str, actual: &Option<Json>) -> bool {
    match (expected, actual) {
        (ABSENT, v) => v.is_none(),
        (ANY, v) => v.is_some(),
        (json, Some(v)) => {
            let want: Json = serde_json::from_str(json).unwrap_or_else(|e| panic!("KNOWN value {json}: {e}"));
            normalize(&want, "").as_ref() == Some(v) || &want == v
        }
        (_, None) => false,
    }
}

fn known(d: &Difference) -> Option<usize> {
    KNOWN
        .iter()
        .position(|k| k.path == d.path && side_matches(k.provider, &d.provider) && side_matches(k.cabpk, &d.cabpk))
}

#[test]
fn compat_mode_renders_what_cluster_api_renders() {
    let started = std::time::Instant::now();
    let bin = cabpk_types();
    let mut problems = Vec::new();
    let mut seen = vec![0usize; KNOWN.len()];
    let mut report = String::new();
    let mut files_compared = 0;
    let cases = cases();
    for Case { name: fixture, manifests, judged } in &cases {
        let (cabpk, provider) = (cabpk_node(&bin, fixture, manifests), provider_node(fixture, manifests));
        // What the provider renders stays a config real kubeadm takes.
        if *judged {
            if let Err(e) = kubeadm_support::validate(&provider.yaml, &provider.kubernetes_version) {
                problems.push(format!("{fixture}: kubeadm refuses the provider's config:\n{e}"));
            }
        }
        if provider.role != cabpk.role {
            problems.push(format!("{fixture}: role {} in the provider, {} in Cluster API", provider.role, cabpk.role));
        }
        if provider.kubernetes_version != cabpk.kubernetes_version {
            problems.push(format!(
                "{fixture}: Kubernetes {} in the provider, {} in Cluster API",
                provider.kubernetes_version, cabpk.kubernetes_version
            ));
        }
        // Both sides really rendered something to compare.
        assert!(
            cabpk.documents.keys().any(|k| k.ends_with("Configuration")) && !provider.documents.is_empty(),
            "{fixture}: nothing rendered: {cabpk:?} / {provider:?}"
        );
        assert!(!cabpk.files.is_empty(), "{fixture}: Cluster API gives the node no files");
        files_compared += cabpk.files.len();
        for d in compare_files(&provider, &cabpk) {
            problems.push(format!("{fixture}: files differ: {d}"));
        }
        for d in compare(&provider, &cabpk) {
            match known(&d) {
                Some(i) => {
                    seen[i] += 1;
                    report.push_str(&format!("  {fixture} ({}): known: {d}\n", cabpk.role));
                }
                None => problems.push(format!("{fixture} ({}): not listed in KNOWN: {d}", cabpk.role)),
            }
        }
    }
    for (k, n) in KNOWN.iter().zip(&seen) {
        if *n == 0 {
            problems.push(format!(
                "KNOWN lists {} (provider {}, Cluster API {}), but no fixture shows it any more: remove it here and in the compat guide",
                k.path, k.provider, k.cabpk
            ));
        }
    }
    eprintln!(
        "{} cases ({files_compared} files) compared with Cluster API {} in {:?}:\n{report}",
        cases.len(),
        capi_version(),
        started.elapsed()
    );
    assert!(problems.is_empty(), "compat mode and Cluster API differ:\n{}", problems.join("\n"));
}

/// The compat guide's table of differences: the paths of its rows.
fn guide_paths() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guides/migrating-from-cluster-api.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let section = text.split("\n## Differences from Cluster API's own rendering\n").nth(1).unwrap_or_else(|| {
        panic!("{}: no \"## Differences from Cluster API's own rendering\" section", path.display())
    });
    let section = section.split("\n## ").next().unwrap_or_default();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(p, _)| p.to_string()))
        .collect()
}

#[test]
fn the_compat_guide_lists_the_same_differences() {
    let in_test: BTreeSet<String> = KNOWN.iter().map(|k| k.path.to_string()).collect();
    assert_eq!(in_test.len(), KNOWN.len(), "KNOWN lists a path twice");
    for k in KNOWN {
        assert!(!k.reason.is_empty(), "{}: no reason", k.path);
    }
    let in_guide = guide_paths();
    let missing: Vec<&String> = in_test.difference(&in_guide).collect();
    let extra: Vec<&String> = in_guide.difference(&in_test).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the compat guide's table and KNOWN in tests/capi/capi_cabpk.rs differ: missing in the guide {missing:?}, only in the guide {extra:?}"
    );
}

/// The comparison itself: flags in either shape, empty values, taints by
/// key and effect, fields of a mapping only one side has.
#[test]
fn the_comparison_reports_each_differing_path() {
    let node = |yaml: &str| Node {
        role: String::new(),
        kubernetes_version: String::new(),
        documents: documents(yaml, "t"),
        yaml: yaml.to_string(),
        files: BTreeMap::new(),
    };
    let provider = node(
        "kind: JoinConfiguration\nnodeRegistration:\n  kubeletExtraArgs:\n  - {name: a, value: '1'}\n  - {name: b, value: '2'}\n  taints:\n  - {key: k, effect: NoSchedule}\n  name: n\ndiscovery:\n  bootstrapToken: {token: t}\n---\nkind: KubeletConfiguration\ncgroupDriver: systemd\n",
    );
    let cabpk = node(
        "kind: JoinConfiguration\nnodeRegistration:\n  kubeletExtraArgs:\n  - {name: b, value: '2'}\n  - {name: a, value: '3'}\n  taints:\n  - {key: k, effect: NoSchedule}\n  - {key: u, effect: NoSchedule}\n  name: n\n  criSocket: ''\ncontrolPlane: {localAPIEndpoint: {bindPort: 6443}}\ndiscovery:\n  bootstrapToken: {token: t}\n  file: null\n",
    );
    let got: Vec<String> = compare(&provider, &cabpk).iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "JoinConfiguration.controlPlane.localAPIEndpoint.bindPort: provider (absent) / Cluster API 6443",
            "JoinConfiguration.nodeRegistration.kubeletExtraArgs.a: provider \"1\" / Cluster API \"3\"",
            "JoinConfiguration.nodeRegistration.taints[u:NoSchedule]: provider (absent) / Cluster API {\"key\":\"u\",\"effect\":\"NoSchedule\"}",
            "KubeletConfiguration: provider {\"kind\":\"KubeletConfiguration\",\"cgroupDriver\":\"systemd\"} / Cluster API (absent)",
        ]
    );
    // An empty taint list is no taint list left out.
    let none = node("kind: InitConfiguration\nnodeRegistration:\n  taints: []\n");
    let unset = node("kind: InitConfiguration\nnodeRegistration:\n  taints: null\n");
    let got: Vec<String> = compare(&none, &unset).iter().map(ToString::to_string).collect();
    assert_eq!(got, ["InitConfiguration.nodeRegistration.taints: provider [] / Cluster API (absent)"]);
}
