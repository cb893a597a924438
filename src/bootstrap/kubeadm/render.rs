//! From a [`NodeSpec`] to typed kubeadm documents: the version-independent
//! decisions (node name, kubelet flags, preflight exceptions, flex-volume
//! directory, discovery endpoint) are made once, then poured into the
//! v1beta3 or v1beta4 shapes, and the user's patches are applied last.
//!
//! An init node with a control-plane endpoint gets, besides the documents
//! `kubeadm init` reads, the control-plane `JoinConfiguration` the
//! `control-plane` role would get: its bootstrap script runs `kubeadm join`
//! with it instead of founding a second cluster when a cluster with the
//! shipped CA already answers at the endpoint.
//!
//! Plain domain code: nothing here may depend on tonic, prost, msgpack or the
//! Terraform plugin protocol.

use std::collections::BTreeMap;

use super::common::{
    BootstrapToken, BootstrapTokenDiscovery, JoinControlPlane, Networking, Patches, SecretString, Taint,
};
use super::kubelet::{self, KubeletConfiguration};
use super::proxy::{self, KubeProxyConfiguration};
use super::{patch, v1beta3, v1beta4, Documents, KubeadmError};
use super::{
    CRI_SOCKET, DEFAULT_API_PORT, DEFAULT_ETCD_DATA_DIR, DOC_CLUSTER, DOC_INIT, DOC_JOIN, DOC_KUBELET, DOC_PROXY,
    NODE_NAME_PLACEHOLDER, PATCHES_DIR, PROVIDER_ID_PLACEHOLDER, TOKEN_TTL_PLACEHOLDER,
};
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::node::{ClusterSpec, NameFrom, NodeSpec, OperatingSystem, Role, KUBELET_SETTABLE_LABELS};

/// Flex-volume directory on Flatcar (writable, under `/opt`).
pub const FLATCAR_FLEX_VOLUME_DIR: &str = "/opt/libexec/kubernetes/kubelet-plugins/volume/exec/";
/// Flex-volume directory on Fedora CoreOS (writable, under `/var`).
pub const FCOS_FLEX_VOLUME_DIR: &str = "/var/lib/kubelet/volumeplugins";
/// Preflight check that fails on Fedora CoreOS (no conntrack binary) while
/// kubeadm still requires conntrack (before 1.32).
pub const CONNTRACK_PREFLIGHT: &str = "FileExisting-conntrack";

/// kubelet flag carrying the node labels.
const NODE_LABELS_FLAG: &str = "node-labels";
/// kubelet flag carrying the cloud provider ID.
const PROVIDER_ID_FLAG: &str = "provider-id";
/// Controller manager flag moving the flex-volume directory.
const FLEX_DIR_FLAG: &str = "flex-volume-plugin-dir";

/// Builds the typed, patched documents for `spec`.
pub fn build(spec: &NodeSpec) -> Result<Documents, KubeadmError> {
    check_patch_targets(spec)?;
    let certificate_validity = certificate_validity(spec)?;
    let node = NodeParts::new(spec)?;
    let mut docs = if spec.cluster.kubernetes_version.uses_v1beta4() {
        build_v1beta4(spec, &node, certificate_validity)?
    } else {
        build_v1beta3(spec, &node)?
    };
    apply_patches(spec, &mut docs)?;
    check_discovery(&docs)?;
    Ok(docs)
}

/// A join must pin the cluster CA (kubeadm refuses token discovery without
/// `caCertHashes` unless `unsafeSkipCAVerification` is set), and every pin
/// must be `sha256:<64 hex digits>`. Checked after patches, which may change
/// either.
fn check_discovery(docs: &Documents) -> Result<(), KubeadmError> {
    let discovery = match docs {
        Documents::V1beta3 { join, .. } => join.as_ref().and_then(|j| j.discovery.bootstrap_token.as_ref()),
        Documents::V1beta4 { join, .. } => join.as_ref().and_then(|j| j.discovery.bootstrap_token.as_ref()),
    };
    let Some(discovery) = discovery else {
        return Ok(());
    };
    for hash in &discovery.ca_cert_hashes {
        let valid = hash.split_once(':').is_some_and(|(kind, hex)| {
            kind.eq_ignore_ascii_case("sha256") && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !valid {
            return Err(KubeadmError::InvalidCaCertHash { hash: hash.clone() });
        }
    }
    if discovery.ca_cert_hashes.is_empty() && discovery.unsafe_skip_ca_verification != Some(true) {
        return Err(KubeadmError::MissingCaCertHashes);
    }
    Ok(())
}

/// `ClusterConfiguration.certificateValidityPeriod` as kubeadm reads it (a
/// Go duration such as `2160h0m0s`), if set: a positive span, on the
/// `v1beta4` API (Kubernetes 1.31+), the first that has the field.
fn certificate_validity(spec: &NodeSpec) -> Result<Option<String>, KubeadmError> {
    let Some(validity) = spec.cluster.certificate_validity else {
        return Ok(None);
    };
    if !spec.cluster.kubernetes_version.uses_v1beta4() {
        return Err(KubeadmError::CertificateValidityNeedsV1beta4 {
            version: spec.cluster.kubernetes_version.to_string(),
        });
    }
    if validity <= GoDuration::ZERO {
        return Err(KubeadmError::InvalidCertificateValidity { value: validity.format() });
    }
    Ok(Some(validity.format()))
}

/// Whether the init node also carries the control-plane join it takes when
/// it finds the cluster running: only with an endpoint to join through.
fn init_joins(spec: &NodeSpec) -> bool {
    spec.role == Role::Init && !spec.cluster.control_plane_endpoint.is_empty()
}

/// The patch names a role's documents accept.
fn accepted_patches(spec: &NodeSpec) -> &'static [&'static str] {
    match spec.role {
        Role::Init if init_joins(spec) => &[DOC_INIT, DOC_CLUSTER, DOC_KUBELET, DOC_PROXY, DOC_JOIN],
        Role::Init => &[DOC_INIT, DOC_CLUSTER, DOC_KUBELET, DOC_PROXY],
        Role::ControlPlane | Role::Worker => &[DOC_JOIN],
    }
}

/// Refuses patches for documents the role does not emit.
fn check_patch_targets(spec: &NodeSpec) -> Result<(), KubeadmError> {
    let p = &spec.patches;
    let given = [
        (DOC_CLUSTER, p.cluster_configuration.is_some()),
        (DOC_INIT, p.init_configuration.is_some()),
        (DOC_JOIN, p.join_configuration.is_some()),
        (DOC_KUBELET, p.kubelet_configuration.is_some()),
        (DOC_PROXY, p.kube_proxy_configuration.is_some()),
    ];
    let accepted = accepted_patches(spec);
    for (document, present) in given {
        if present && !accepted.contains(&document) {
            return Err(KubeadmError::PatchNotApplicable { document, role: spec.role.as_str() });
        }
    }
    Ok(())
}

/// Version-independent node settings.
struct NodeParts {
    name: Option<String>,
    kubelet_args: BTreeMap<String, String>,
    taints: Option<Vec<Taint>>,
    ignore_preflight_errors: Vec<String>,
    skip_phases: Vec<String>,
    patches: Option<Patches>,
    flex_dir: Option<&'static str>,
}

impl NodeParts {
    fn new(spec: &NodeSpec) -> Result<Self, KubeadmError> {
        let opts = &spec.node;
        let version = &spec.cluster.kubernetes_version;

        let mut kubelet_args = opts.kubelet_extra_args.clone();
        if opts.name_from == NameFrom::Aws {
            kubelet_args.entry(PROVIDER_ID_FLAG.to_string()).or_insert_with(|| PROVIDER_ID_PLACEHOLDER.to_string());
        }
        if !opts.labels.is_empty() {
            if kubelet_args.contains_key(NODE_LABELS_FLAG) {
                return Err(KubeadmError::NodeLabelsTwice);
            }
            for (key, value) in &opts.labels {
                validate_label(key, value)?;
            }
            let joined = opts.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
            kubelet_args.insert(NODE_LABELS_FLAG.to_string(), joined);
        }

        let mut ignore_preflight_errors = opts.ignore_preflight_errors.clone();
        if spec.os == OperatingSystem::FedoraCoreos
            && version.minor < 32
            && !ignore_preflight_errors.iter().any(|e| e.eq_ignore_ascii_case(CONNTRACK_PREFLIGHT))
        {
            ignore_preflight_errors.push(CONNTRACK_PREFLIGHT.to_string());
        }

        let taints = opts.taints.as_ref().map(|list| {
            list.iter()
                .map(|t| Taint {
                    key: t.key.clone(),
                    value: t.value.clone(),
                    effect: t.effect.clone(),
                    time_added: None,
                })
                .collect()
        });

        let patches = (spec.os == OperatingSystem::FedoraCoreos && spec.role.is_control_plane())
            .then(|| Patches { directory: Some(PATCHES_DIR.to_string()) });

        Ok(NodeParts {
            name: (opts.name_from == NameFrom::Aws).then(|| NODE_NAME_PLACEHOLDER.to_string()),
            kubelet_args,
            taints,
            ignore_preflight_errors,
            skip_phases: opts.skip_phases.clone(),
            patches,
            flex_dir: flex_volume_dir(spec),
        })
    }
}

/// The writable flex-volume directory, for kubeadm releases that still mount
/// one (before 1.36); `None` from 1.36 on.
pub fn flex_volume_dir(spec: &NodeSpec) -> Option<&'static str> {
    if spec.cluster.kubernetes_version.minor >= 36 {
        return None;
    }
    Some(match spec.os {
        OperatingSystem::Flatcar => FLATCAR_FLEX_VOLUME_DIR,
        OperatingSystem::FedoraCoreos => FCOS_FLEX_VOLUME_DIR,
    })
}

/// Checks one node label: valid Kubernetes syntax, and settable by the
/// kubelet (it refuses to start with other `kubernetes.io` labels).
fn validate_label(key: &str, value: &str) -> Result<(), KubeadmError> {
    let bad = |reason: String| KubeadmError::InvalidNodeLabel { key: key.to_string(), reason };
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() || prefix.len() > 253 || !is_dns_subdomain(prefix) {
            return Err(bad(format!(
                "the prefix {prefix:?} must be a DNS subdomain (lower-case letters, digits, '-' and '.'), at most 253 characters"
            )));
        }
    }
    if name.is_empty() || name.len() > 63 || !is_label_word(name) {
        return Err(bad(format!(
            "the name {name:?} must be 1-63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        )));
    }
    if value.len() > 63 || !(value.is_empty() || is_label_word(value)) {
        return Err(bad(format!(
            "the value {value:?} must be empty or 1-63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        )));
    }
    if let Some(prefix) = prefix {
        let reserved =
            ["kubernetes.io", "k8s.io"].iter().any(|ns| prefix == *ns || prefix.ends_with(&format!(".{ns}")));
        let allowed_ns = ["kubelet.kubernetes.io", "node.kubernetes.io"]
            .iter()
            .any(|ns| prefix == *ns || prefix.ends_with(&format!(".{ns}")));
        if reserved && !allowed_ns && !KUBELET_SETTABLE_LABELS.contains(&key) {
            return Err(KubeadmError::ForbiddenNodeLabel { key: key.to_string() });
        }
    }
    Ok(())
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
fn is_label_word(s: &str) -> bool {
    let bytes = s.as_bytes();
    let edge = |b: &u8| b.is_ascii_alphanumeric();
    bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Lower-case RFC 1123 subdomain.
fn is_dns_subdomain(s: &str) -> bool {
    s.split('.').all(|part| {
        let b = part.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    })
}

/// Checks `host[:port]` and returns it with the port kubeadm's discovery
/// needs: `:6443` is appended when none is given, and a bare IPv6 address is
/// bracketed.
pub fn endpoint_with_port(endpoint: &str) -> Result<String, KubeadmError> {
    let bad =
        |reason: &'static str| KubeadmError::InvalidControlPlaneEndpoint { endpoint: endpoint.to_string(), reason };
    if endpoint.is_empty() {
        return Err(bad("it is empty"));
    }
    if endpoint.contains("://") || endpoint.contains('/') {
        return Err(bad("it must be host[:port] without a scheme or path (write api.example.com:6443, not https://api.example.com:6443)"));
    }
    if endpoint.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains whitespace"));
    }
    let check_port = |port: &str| -> Result<(), KubeadmError> {
        match port.parse::<u16>() {
            Ok(p) if p > 0 && !port.starts_with('+') => Ok(()),
            _ => Err(bad("the port must be a number from 1 to 65535")),
        }
    };
    if let Some(rest) = endpoint.strip_prefix('[') {
        let Some((host, tail)) = rest.split_once(']') else {
            return Err(bad("an IPv6 address in brackets is missing its closing ']'"));
        };
        if host.is_empty() {
            return Err(bad("the host is empty"));
        }
        return match tail.strip_prefix(':') {
            Some(port) => check_port(port).map(|()| endpoint.to_string()),
            None if tail.is_empty() => Ok(format!("{endpoint}:{DEFAULT_API_PORT}")),
            None => Err(bad("only :port may follow a bracketed IPv6 address")),
        };
    }
    match endpoint.matches(':').count() {
        0 => Ok(format!("{endpoint}:{DEFAULT_API_PORT}")),
        1 => {
            let (host, port) = endpoint.split_once(':').unwrap_or((endpoint, ""));
            if host.is_empty() {
                return Err(bad("the host is empty"));
            }
            check_port(port).map(|()| endpoint.to_string())
        }
        _ => Ok(format!("[{endpoint}]:{DEFAULT_API_PORT}")),
    }
}

/// `ClusterConfiguration.controlPlaneEndpoint`: as given, except that a
/// bracketed IPv6 address gets the default port, since kubeadm (Go's
/// SplitHostPort) reads `[2001:db8::10]` without a port as a host name and
/// refuses it.
fn cluster_endpoint(endpoint: &str) -> String {
    if endpoint.starts_with('[') && endpoint.ends_with(']') {
        format!("{endpoint}:{DEFAULT_API_PORT}")
    } else {
        endpoint.to_string()
    }
}

/// The bootstrap token `kubeadm init` seeds. kubeadm defaults a missing `ttl`
/// to 24h and then rejects `ttl` together with `expires`, so the token never
/// carries `expires`: a token that never expires gets `ttl: 0s`, an expiring
/// one the [`TOKEN_TTL_PLACEHOLDER`] the bootstrap script replaces with the
/// lifetime left when `kubeadm init` runs.
fn seeded_token(spec: &NodeSpec) -> BootstrapToken {
    let t = &spec.bootstrap_token;
    BootstrapToken {
        token: Some(SecretString::new(t.token.expose().clone())),
        description: t.description.clone(),
        ttl: Some(if t.expires.is_some() { TOKEN_TTL_PLACEHOLDER.to_string() } else { "0s".to_string() }),
        expires: None,
        usages: t.usages.clone(),
        groups: t.groups.clone(),
    }
}

/// Token discovery for joins.
fn discovery_token(spec: &NodeSpec) -> Result<BootstrapTokenDiscovery, KubeadmError> {
    Ok(BootstrapTokenDiscovery {
        token: SecretString::new(spec.bootstrap_token.token.expose().clone()),
        api_server_endpoint: Some(endpoint_with_port(&spec.cluster.control_plane_endpoint)?),
        ca_cert_hashes: spec.ca_cert_hashes.clone(),
        unsafe_skip_ca_verification: None,
    })
}

fn networking(cluster: &ClusterSpec) -> Networking {
    Networking {
        service_subnet: Some(cluster.service_subnet.clone()),
        pod_subnet: cluster.pod_subnet.clone(),
        dns_domain: Some(cluster.dns_domain.clone()),
    }
}

/// Controller manager flags plus the flex-volume directory (unless the user
/// chose one).
fn controller_manager_args(cluster: &ClusterSpec, flex_dir: Option<&str>) -> BTreeMap<String, String> {
    let mut args = cluster.controller_manager.extra_args.clone();
    if let Some(dir) = flex_dir {
        args.entry(FLEX_DIR_FLAG.to_string()).or_insert_with(|| dir.to_string());
    }
    args
}

fn kubelet_configuration(node: &NodeParts) -> KubeletConfiguration {
    KubeletConfiguration {
        api_version: kubelet::API_VERSION.to_string(),
        kind: kubelet::KIND.to_string(),
        cgroup_driver: Some("systemd".to_string()),
        volume_plugin_dir: node.flex_dir.map(str::to_string),
        ..KubeletConfiguration::default()
    }
}

fn kube_proxy_configuration() -> KubeProxyConfiguration {
    KubeProxyConfiguration {
        api_version: proxy::API_VERSION.to_string(),
        kind: proxy::KIND.to_string(),
        ..KubeProxyConfiguration::default()
    }
}

/// `Some(value)` unless it equals the type's default (an empty section).
fn non_empty<T: Default + PartialEq>(value: T) -> Option<T> {
    (value != T::default()).then_some(value)
}

fn etcd_parts(cluster: &ClusterSpec) -> Option<(String, BTreeMap<String, String>)> {
    let etcd = &cluster.etcd;
    if etcd.data_dir.is_none() && etcd.extra_args.is_empty() {
        return None;
    }
    Some((etcd.data_dir.clone().unwrap_or_else(|| DEFAULT_ETCD_DATA_DIR.to_string()), etcd.extra_args.clone()))
}

/// The `JoinConfiguration` of a control-plane or worker node, and of an init
/// node's join path (a control-plane join), in the API module `$v`
/// (`v1beta3` or `v1beta4`, whose join documents share these fields).
macro_rules! join_configuration {
    ($v:ident, $spec:expr, $node:expr, $registration:expr, $control_plane:expr) => {
        $v::JoinConfiguration {
            api_version: $v::API_VERSION.to_string(),
            kind: "JoinConfiguration".to_string(),
            node_registration: Some($registration),
            discovery: $v::Discovery { bootstrap_token: Some(discovery_token($spec)?), ..$v::Discovery::default() },
            control_plane: $control_plane.then(JoinControlPlane::default),
            skip_phases: $node.skip_phases.clone(),
            patches: $node.patches.clone(),
            ..$v::JoinConfiguration::default()
        }
    };
}

fn build_v1beta3(spec: &NodeSpec, node: &NodeParts) -> Result<Documents, KubeadmError> {
    use v1beta3 as v;
    let registration = v::NodeRegistrationOptions {
        name: node.name.clone(),
        cri_socket: Some(CRI_SOCKET.to_string()),
        taints: node.taints.clone(),
        kubelet_extra_args: node.kubelet_args.clone(),
        ignore_preflight_errors: node.ignore_preflight_errors.clone(),
        image_pull_policy: None,
    };
    let mut docs = Documents::V1beta3 { init: None, join: None, cluster: None, kubelet: None, proxy: None };
    let Documents::V1beta3 { init, join, cluster, kubelet, proxy } = &mut docs else {
        return Ok(docs);
    };
    match spec.role {
        Role::Init => {
            let c = &spec.cluster;
            if init_joins(spec) {
                *join = Some(join_configuration!(v1beta3, spec, node, registration.clone(), true));
            }
            *init = Some(v::InitConfiguration {
                api_version: v::API_VERSION.to_string(),
                kind: "InitConfiguration".to_string(),
                bootstrap_tokens: vec![seeded_token(spec)],
                node_registration: Some(registration),
                skip_phases: node.skip_phases.clone(),
                patches: node.patches.clone(),
                ..v::InitConfiguration::default()
            });
            *cluster = Some(v::ClusterConfiguration {
                api_version: v::API_VERSION.to_string(),
                kind: "ClusterConfiguration".to_string(),
                etcd: etcd_parts(c).map(|(data_dir, extra_args)| v::Etcd {
                    local: Some(v::LocalEtcd { data_dir: Some(data_dir), extra_args, ..v::LocalEtcd::default() }),
                    external: None,
                }),
                networking: Some(networking(c)),
                kubernetes_version: Some(c.kubernetes_version.to_string()),
                control_plane_endpoint: Some(cluster_endpoint(&c.control_plane_endpoint)),
                api_server: non_empty(v::ApiServer {
                    extra_args: c.api_server.extra_args.clone(),
                    cert_sans: c.api_server.cert_sans.clone(),
                    ..v::ApiServer::default()
                }),
                controller_manager: non_empty(v::ControlPlaneComponent {
                    extra_args: controller_manager_args(c, node.flex_dir),
                    ..v::ControlPlaneComponent::default()
                }),
                scheduler: non_empty(v::ControlPlaneComponent {
                    extra_args: c.scheduler.extra_args.clone(),
                    ..v::ControlPlaneComponent::default()
                }),
                image_repository: c.image_repository.clone(),
                feature_gates: c.feature_gates.clone(),
                cluster_name: Some(c.name.clone()),
                ..v::ClusterConfiguration::default()
            });
            *kubelet = Some(kubelet_configuration(node));
            *proxy = spec.patches.kube_proxy_configuration.is_some().then(kube_proxy_configuration);
        }
        Role::ControlPlane | Role::Worker => {
            *join = Some(join_configuration!(v1beta3, spec, node, registration, spec.role == Role::ControlPlane));
        }
    }
    Ok(docs)
}

fn build_v1beta4(
    spec: &NodeSpec,
    node: &NodeParts,
    certificate_validity: Option<String>,
) -> Result<Documents, KubeadmError> {
    use v1beta4 as v;
    let registration = v::NodeRegistrationOptions {
        name: node.name.clone(),
        cri_socket: Some(CRI_SOCKET.to_string()),
        taints: node.taints.clone(),
        kubelet_extra_args: v::args_from_map(&node.kubelet_args),
        ignore_preflight_errors: node.ignore_preflight_errors.clone(),
        image_pull_policy: None,
        image_pull_serial: None,
    };
    let mut docs = Documents::V1beta4 { init: None, join: None, cluster: None, kubelet: None, proxy: None };
    let Documents::V1beta4 { init, join, cluster, kubelet, proxy } = &mut docs else {
        return Ok(docs);
    };
    match spec.role {
        Role::Init => {
            let c = &spec.cluster;
            if init_joins(spec) {
                *join = Some(join_configuration!(v1beta4, spec, node, registration.clone(), true));
            }
            *init = Some(v::InitConfiguration {
                api_version: v::API_VERSION.to_string(),
                kind: "InitConfiguration".to_string(),
                bootstrap_tokens: vec![seeded_token(spec)],
                node_registration: Some(registration),
                skip_phases: node.skip_phases.clone(),
                patches: node.patches.clone(),
                ..v::InitConfiguration::default()
            });
            *cluster = Some(v::ClusterConfiguration {
                api_version: v::API_VERSION.to_string(),
                kind: "ClusterConfiguration".to_string(),
                etcd: etcd_parts(c).map(|(data_dir, extra_args)| v::Etcd {
                    local: Some(v::LocalEtcd {
                        data_dir: Some(data_dir),
                        extra_args: v::args_from_map(&extra_args),
                        ..v::LocalEtcd::default()
                    }),
                    external: None,
                }),
                networking: Some(networking(c)),
                kubernetes_version: Some(c.kubernetes_version.to_string()),
                control_plane_endpoint: Some(cluster_endpoint(&c.control_plane_endpoint)),
                api_server: non_empty(v::ApiServer {
                    extra_args: v::args_from_map(&c.api_server.extra_args),
                    cert_sans: c.api_server.cert_sans.clone(),
                    ..v::ApiServer::default()
                }),
                controller_manager: non_empty(v::ControlPlaneComponent {
                    extra_args: v::args_from_map(&controller_manager_args(c, node.flex_dir)),
                    ..v::ControlPlaneComponent::default()
                }),
                scheduler: non_empty(v::ControlPlaneComponent {
                    extra_args: v::args_from_map(&c.scheduler.extra_args),
                    ..v::ControlPlaneComponent::default()
                }),
                image_repository: c.image_repository.clone(),
                feature_gates: c.feature_gates.clone(),
                cluster_name: Some(c.name.clone()),
                certificate_validity_period: certificate_validity,
                ..v::ClusterConfiguration::default()
            });
            *kubelet = Some(kubelet_configuration(node));
            *proxy = spec.patches.kube_proxy_configuration.is_some().then(kube_proxy_configuration);
        }
        Role::ControlPlane | Role::Worker => {
            *join = Some(join_configuration!(v1beta4, spec, node, registration, spec.role == Role::ControlPlane));
        }
    }
    Ok(docs)
}

/// Applies `patch` to `slot` when both are present.
fn patch_slot<T>(document: &'static str, slot: &mut Option<T>, patch: Option<&String>) -> Result<(), KubeadmError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    if let (Some(doc), Some(text)) = (slot.as_ref(), patch) {
        *slot = Some(patch::apply(document, doc, text)?);
    }
    Ok(())
}

fn apply_patches(spec: &NodeSpec, docs: &mut Documents) -> Result<(), KubeadmError> {
    let p = &spec.patches;
    match docs {
        Documents::V1beta3 { init, join, cluster, kubelet, proxy } => {
            patch_slot(DOC_INIT, init, p.init_configuration.as_ref())?;
            patch_slot(DOC_CLUSTER, cluster, p.cluster_configuration.as_ref())?;
            patch_slot(DOC_JOIN, join, p.join_configuration.as_ref())?;
            patch_slot(DOC_KUBELET, kubelet, p.kubelet_configuration.as_ref())?;
            patch_slot(DOC_PROXY, proxy, p.kube_proxy_configuration.as_ref())?;
        }
        Documents::V1beta4 { init, join, cluster, kubelet, proxy } => {
            patch_slot(DOC_INIT, init, p.init_configuration.as_ref())?;
            patch_slot(DOC_CLUSTER, cluster, p.cluster_configuration.as_ref())?;
            patch_slot(DOC_JOIN, join, p.join_configuration.as_ref())?;
            patch_slot(DOC_KUBELET, kubelet, p.kubelet_configuration.as_ref())?;
            patch_slot(DOC_PROXY, proxy, p.kube_proxy_configuration.as_ref())?;
            sort_v1beta4_args(init.as_mut(), join.as_mut(), cluster.as_mut());
        }
    }
    Ok(())
}

/// Keeps every v1beta4 argument list sorted by name after patching, so the
/// output does not depend on the order a patch listed them in.
fn sort_v1beta4_args(
    init: Option<&mut v1beta4::InitConfiguration>,
    join: Option<&mut v1beta4::JoinConfiguration>,
    cluster: Option<&mut v1beta4::ClusterConfiguration>,
) {
    let registrations =
        [init.and_then(|i| i.node_registration.as_mut()), join.and_then(|j| j.node_registration.as_mut())];
    for registration in registrations.into_iter().flatten() {
        v1beta4::sort_args(&mut registration.kubelet_extra_args);
    }
    if let Some(c) = cluster {
        if let Some(a) = c.api_server.as_mut() {
            v1beta4::sort_args(&mut a.extra_args);
        }
        for component in [c.controller_manager.as_mut(), c.scheduler.as_mut()].into_iter().flatten() {
            v1beta4::sort_args(&mut component.extra_args);
        }
        if let Some(local) = c.etcd.as_mut().and_then(|e| e.local.as_mut()) {
            v1beta4::sort_args(&mut local.extra_args);
        }
    }
}
