//! Tests of the kubeadm renderer: the role × API version matrix, the
//! OS- and version-dependent details, patches, the documentation examples as
//! fixtures, field names checked against the upstream JSON tags, and
//! property tests for panics and round trips.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde::de::DeserializeOwned;

use super::*;
use crate::bootstrap::fixtures;
use crate::bootstrap::node::{
    ApiServerSpec, KubeadmPatches, NameFrom, NodeSpec, OperatingSystem, Role, Taint as SpecTaint,
};
use crate::bootstrap::secret::Sensitive;

mod certificate_validity;
mod join;
mod parsing;
mod patches;
mod properties;
mod rendering;
mod upstream_fields;

const TOKEN: &str = "abcdef.0123456789abcdef";
const TOKEN_SECRET: &str = "0123456789abcdef";
const EXPIRES: &str = "2030-01-02T03:04:05Z";
const HASH: &str = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn spec(role: Role, version: &str) -> NodeSpec {
    let mut s = fixtures::node_spec(role, OperatingSystem::Flatcar, version);
    s.cluster.api_server = ApiServerSpec {
        extra_args: BTreeMap::from([("audit-log-maxage".to_string(), "30".to_string())]),
        cert_sans: vec!["10.0.0.10".to_string(), "api.internal".to_string()],
    };
    s.ca_cert_hashes = vec![HASH.to_string()];
    s.bootstrap_token.token = Sensitive::new(TOKEN.to_string());
    s.bootstrap_token.description = Some("nodes".to_string());
    s.bootstrap_token.expires = Some(EXPIRES.to_string());
    s
}

fn render_parse(spec: &NodeSpec) -> (String, Documents) {
    let yaml = render(spec).unwrap();
    let docs = parse_documents(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    (yaml, docs)
}

/// The pieces of a rendered config the matrix test looks at, independent of
/// the API version.
#[derive(Debug, Default)]
struct Seen {
    api_version: &'static str,
    has_init: bool,
    has_cluster: bool,
    has_join: bool,
    has_kubelet: bool,
    kubernetes_version: Option<String>,
    endpoint: Option<String>,
    pod_subnet: Option<String>,
    service_subnet: Option<String>,
    dns_domain: Option<String>,
    cert_sans: Vec<String>,
    api_server_args: Vec<(String, String)>,
    controller_manager_args: Vec<(String, String)>,
    token: Option<String>,
    expires: Option<String>,
    ttl: Option<String>,
    discovery_token: Option<String>,
    discovery_endpoint: Option<String>,
    ca_cert_hashes: Vec<String>,
    control_plane: Option<bool>,
    node_name: Option<String>,
    cri_socket: Option<String>,
    kubelet_args: Vec<(String, String)>,
    ignore_preflight: Vec<String>,
    patches_dir: Option<String>,
    volume_plugin_dir: Option<String>,
    cgroup_driver: Option<String>,
}

fn pairs_map(m: &BTreeMap<String, String>) -> Vec<(String, String)> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn pairs_list(l: &[v1beta4::Arg]) -> Vec<(String, String)> {
    l.iter().map(|a| (a.name.clone(), a.value.clone())).collect()
}

fn seen(docs: &Documents) -> Seen {
    let mut s = Seen { api_version: docs.kubeadm_api_version(), ..Seen::default() };
    if let Some(k) = docs.kubelet() {
        s.has_kubelet = true;
        s.volume_plugin_dir = k.volume_plugin_dir.clone();
        s.cgroup_driver = k.cgroup_driver.clone();
    }
    match docs {
        Documents::V1beta3 { init, join, cluster, .. } => {
            if let Some(i) = init {
                s.has_init = true;
                let t = &i.bootstrap_tokens[0];
                s.token = t.token.as_ref().map(|t| t.expose().to_string());
                s.expires = t.expires.clone();
                s.ttl = t.ttl.clone();
                let r = i.node_registration.as_ref().unwrap();
                s.node_name = r.name.clone();
                s.cri_socket = r.cri_socket.clone();
                s.kubelet_args = pairs_map(&r.kubelet_extra_args);
                s.ignore_preflight = r.ignore_preflight_errors.clone();
                s.patches_dir = i.patches.as_ref().and_then(|p| p.directory.clone());
            }
            if let Some(c) = cluster {
                s.has_cluster = true;
                s.kubernetes_version = c.kubernetes_version.clone();
                s.endpoint = c.control_plane_endpoint.clone();
                let n = c.networking.as_ref().unwrap();
                (s.pod_subnet, s.service_subnet, s.dns_domain) =
                    (n.pod_subnet.clone(), n.service_subnet.clone(), n.dns_domain.clone());
                let a = c.api_server.as_ref().unwrap();
                s.cert_sans = a.cert_sans.clone();
                s.api_server_args = pairs_map(&a.extra_args);
                s.controller_manager_args =
                    c.controller_manager.as_ref().map(|m| pairs_map(&m.extra_args)).unwrap_or_default();
            }
            if let Some(j) = join {
                s.has_join = true;
                let b = j.discovery.bootstrap_token.as_ref().unwrap();
                s.discovery_token = Some(b.token.expose().to_string());
                s.discovery_endpoint = b.api_server_endpoint.clone();
                s.ca_cert_hashes = b.ca_cert_hashes.clone();
                s.control_plane = Some(j.control_plane.is_some());
                let r = j.node_registration.as_ref().unwrap();
                s.node_name = r.name.clone();
                s.cri_socket = r.cri_socket.clone();
                s.kubelet_args = pairs_map(&r.kubelet_extra_args);
                s.ignore_preflight = r.ignore_preflight_errors.clone();
                s.patches_dir = j.patches.as_ref().and_then(|p| p.directory.clone());
            }
        }
        Documents::V1beta4 { init, join, cluster, .. } => {
            if let Some(i) = init {
                s.has_init = true;
                let t = &i.bootstrap_tokens[0];
                s.token = t.token.as_ref().map(|t| t.expose().to_string());
                s.expires = t.expires.clone();
                s.ttl = t.ttl.clone();
                let r = i.node_registration.as_ref().unwrap();
                s.node_name = r.name.clone();
                s.cri_socket = r.cri_socket.clone();
                s.kubelet_args = pairs_list(&r.kubelet_extra_args);
                s.ignore_preflight = r.ignore_preflight_errors.clone();
                s.patches_dir = i.patches.as_ref().and_then(|p| p.directory.clone());
            }
            if let Some(c) = cluster {
                s.has_cluster = true;
                s.kubernetes_version = c.kubernetes_version.clone();
                s.endpoint = c.control_plane_endpoint.clone();
                let n = c.networking.as_ref().unwrap();
                (s.pod_subnet, s.service_subnet, s.dns_domain) =
                    (n.pod_subnet.clone(), n.service_subnet.clone(), n.dns_domain.clone());
                let a = c.api_server.as_ref().unwrap();
                s.cert_sans = a.cert_sans.clone();
                s.api_server_args = pairs_list(&a.extra_args);
                s.controller_manager_args =
                    c.controller_manager.as_ref().map(|m| pairs_list(&m.extra_args)).unwrap_or_default();
            }
            if let Some(j) = join {
                s.has_join = true;
                let b = j.discovery.bootstrap_token.as_ref().unwrap();
                s.discovery_token = Some(b.token.expose().to_string());
                s.discovery_endpoint = b.api_server_endpoint.clone();
                s.ca_cert_hashes = b.ca_cert_hashes.clone();
                s.control_plane = Some(j.control_plane.is_some());
                let r = j.node_registration.as_ref().unwrap();
                s.node_name = r.name.clone();
                s.cri_socket = r.cri_socket.clone();
                s.kubelet_args = pairs_list(&r.kubelet_extra_args);
                s.ignore_preflight = r.ignore_preflight_errors.clone();
                s.patches_dir = j.patches.as_ref().and_then(|p| p.directory.clone());
            }
        }
    }
    s
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn with_patch(role: Role, version: &str, set: impl FnOnce(&mut KubeadmPatches)) -> NodeSpec {
    let mut sp = spec(role, version);
    set(&mut sp.patches);
    sp
}
