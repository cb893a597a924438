//! Unit tests of the Ignition renderer: determinism, what each role and OS
//! gets, modes, secrets on workers, merging and errors.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};

use super::*;
use crate::bootstrap::fixtures;
use crate::bootstrap::node::{
    Artifacts, CaMaterial, ControlPlanePki, FileSpec, KubernetesVersion, NameFrom, NodeOptions, RemoteFile, Role,
    UserSpec,
};
use crate::bootstrap::secret::Sensitive;

mod bootstrap_script;
mod contents;
mod merge_and_errors;
mod probe;

const OSES: [OperatingSystem; 2] = [OperatingSystem::Flatcar, OperatingSystem::FedoraCoreos];
const YAML: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n";

fn pem(label: &str, body: &str) -> String {
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

fn pki() -> ControlPlanePki {
    let ca = |n: &str| CaMaterial {
        cert_pem: pem("CERTIFICATE", &format!("{n}-cert")),
        key_pem: Sensitive::new(pem("PRIVATE KEY", &format!("{n}-key"))),
    };
    ControlPlanePki {
        ca: ca("ca"),
        front_proxy_ca: ca("fp"),
        etcd_ca: ca("etcd"),
        sa_public_pem: pem("PUBLIC KEY", "sa-pub"),
        sa_private_pem: Sensitive::new(pem("PRIVATE KEY", "sa-key")),
    }
}

fn artifacts(os: OperatingSystem) -> Artifacts {
    let bin = binary_dir(os);
    let file = |name: &str, mode: u32, extract_to: Option<&str>| RemoteFile {
        path: if extract_to.is_some() { format!("/opt/kubeadm/artifacts/{name}") } else { format!("{bin}/{name}") },
        url: format!("https://dl.example.com/v1.31.4/{name}"),
        sha512: sha512_hex(name.as_bytes()),
        mode,
        extract_to: extract_to.map(str::to_owned),
    };
    Artifacts::Remote(vec![
        file("kubeadm", 0o755, None),
        file("kubelet", 0o755, None),
        file("kubectl", 0o755, None),
        file("cni-plugins.tgz", 0o644, Some("/opt/cni/bin")),
    ])
}

fn spec(role: Role, os: OperatingSystem) -> NodeSpec {
    let mut s = fixtures::node_spec(role, os, "v1.31.4");
    s.cluster.control_plane_endpoint = "api.example.com:6443".into();
    // Always filled in, as the provider does: workers must still get none of it.
    s.pki = Some(pki());
    s.bootstrap_token.expires = None;
    s.bootstrap_token.usages = vec![];
    s.bootstrap_token.groups = vec![];
    s.node = NodeOptions { name_from: NameFrom::Aws, ..NodeOptions::default() };
    s.artifacts = artifacts(os);
    s.files = vec![FileSpec {
        path: "/etc/foo.conf".into(),
        content: Sensitive::new("foo=1\n".into()),
        mode: 0o640,
        owner: Some("core:1000".into()),
        replace_generated: false,
    }];
    s.pre_kubeadm_commands = vec!["echo before".into()];
    s.post_kubeadm_commands = vec!["echo after".into()];
    s.users = vec![UserSpec {
        name: "core".into(),
        ssh_authorized_keys: vec!["ssh-ed25519 AAAA core@example".into()],
        groups: vec!["wheel".into()],
        ..UserSpec::default()
    }];
    s.ntp_servers = vec!["169.254.169.123".into()];
    s
}

fn yaml() -> String {
    format!("{YAML}nodeRegistration:\n  name: {NODE_NAME_PLACEHOLDER}\n")
}

fn rendered(spec: &NodeSpec) -> Value {
    serde_json::from_str(&render(spec, &yaml()).unwrap().json).unwrap()
}

fn files(v: &Value) -> BTreeMap<String, Value> {
    v["storage"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f.clone()))
        .collect()
}

fn units(v: &Value) -> BTreeMap<String, Value> {
    v["systemd"]["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap().to_owned(), u.clone()))
        .collect()
}

fn contents(v: &Value, path: &str) -> String {
    let f = files(v).remove(path).unwrap_or_else(|| panic!("no file {path}"));
    let src = f["contents"]["source"].as_str().unwrap();
    let b64 = src.strip_prefix("data:;base64,").unwrap_or_else(|| panic!("{path} is not inline: {src}"));
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap()
}

fn mode(v: &Value, path: &str) -> u64 {
    files(v)[path]["mode"].as_u64().unwrap()
}

/// Every inline file's decoded text, joined.
fn all_inline_text(v: &Value) -> String {
    files(v)
        .keys()
        .filter(|p| files(v)[*p]["contents"]["source"].as_str().unwrap().starts_with("data:"))
        .map(|p| contents(v, p))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The init node of the scripted runs, with the token expiring at `expires`.
fn init_spec(expires: Option<String>) -> NodeSpec {
    let mut s = spec(Role::Init, OperatingSystem::Flatcar);
    s.post_kubeadm_commands = vec!["echo after".into()];
    s.bootstrap_token.expires = expires;
    s
}
