//! `kubeadm.k8s.io/v1beta3`, read by kubeadm 1.22 to 1.35 and rendered here
//! for Kubernetes 1.22–1.30. Extra arguments are string maps.
//!
//! Every struct refuses unknown fields, so parsing a document back (or a
//! patched one) reports a misspelt key instead of dropping it.
//!
//! Plain domain code: nothing here may depend on tonic, prost, msgpack or the
//! Terraform plugin protocol.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::common::{
    ApiEndpoint, BootstrapToken, BootstrapTokenDiscovery, FileDiscovery, HostPathMount, JoinControlPlane, Networking,
    Patches, SecretString, Taint,
};

/// The `apiVersion` of every kubeadm document in this module.
pub const API_VERSION: &str = "kubeadm.k8s.io/v1beta3";

/// Flags of a component: flag name without dashes → value.
pub type ExtraArgs = BTreeMap<String, String>;

/// `kubeadm init`-only settings for the first control plane.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InitConfiguration {
    /// Always [`API_VERSION`].
    pub api_version: String,
    /// Always `InitConfiguration`.
    pub kind: String,
    /// Tokens to create in the new cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bootstrap_tokens: Vec<BootstrapToken>,
    /// How this node registers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_registration: Option<NodeRegistrationOptions>,
    /// The API server instance on this node.
    #[serde(rename = "localAPIEndpoint", default, skip_serializing_if = "Option::is_none")]
    pub local_api_endpoint: Option<ApiEndpoint>,
    /// Key for the `upload-certs` phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_key: Option<SecretString>,
    /// Phases to skip.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_phases: Vec<String>,
    /// Static pod patches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patches: Option<Patches>,
}

/// Cluster-wide settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterConfiguration {
    /// Always [`API_VERSION`].
    pub api_version: String,
    /// Always `ClusterConfiguration`.
    pub kind: String,
    /// Local or external etcd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etcd: Option<Etcd>,
    /// Network ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networking: Option<Networking>,
    /// Control-plane version, e.g. `v1.30.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// Stable `host[:port]` of the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane_endpoint: Option<String>,
    /// API server settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server: Option<ApiServer>,
    /// Controller manager settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller_manager: Option<ControlPlaneComponent>,
    /// Scheduler settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<ControlPlaneComponent>,
    /// CoreDNS image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Dns>,
    /// Where certificates live, `/etc/kubernetes/pki` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificates_dir: Option<String>,
    /// Registry for control-plane images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_repository: Option<String>,
    /// kubeadm feature gates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
    /// Cluster name used in kubeconfigs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
}

/// Flags and volumes of one control-plane component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ControlPlaneComponent {
    /// Extra flags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_args: ExtraArgs,
    /// Extra host mounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_volumes: Vec<HostPathMount>,
}

/// The API server: component settings plus certificate SANs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiServer {
    /// Extra flags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_args: ExtraArgs,
    /// Extra host mounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_volumes: Vec<HostPathMount>,
    /// Extra SANs of the serving certificate.
    #[serde(rename = "certSANs", default, skip_serializing_if = "Vec::is_empty")]
    pub cert_sans: Vec<String>,
    /// How long to wait for the API server to come up, e.g. `4m0s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_for_control_plane: Option<String>,
}

/// The DNS add-on image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dns {
    /// Registry override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_repository: Option<String>,
    /// Tag override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag: Option<String>,
}

/// etcd: stacked (`local`) or `external`, not both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Etcd {
    /// Stacked etcd run by kubeadm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalEtcd>,
    /// An existing etcd cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalEtcd>,
}

/// Stacked etcd settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LocalEtcd {
    /// Registry override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_repository: Option<String>,
    /// Tag override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_tag: Option<String>,
    /// Data directory, `/var/lib/etcd` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<String>,
    /// Extra flags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_args: ExtraArgs,
    /// Extra SANs of the server certificate.
    #[serde(rename = "serverCertSANs", default, skip_serializing_if = "Vec::is_empty")]
    pub server_cert_sans: Vec<String>,
    /// Extra SANs of the peer certificate.
    #[serde(rename = "peerCertSANs", default, skip_serializing_if = "Vec::is_empty")]
    pub peer_cert_sans: Vec<String>,
}

/// An external etcd cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalEtcd {
    /// Client URLs.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// CA bundle path.
    #[serde(rename = "caFile", default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Client certificate path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    /// Client key path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
}

/// How a node registers itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeRegistrationOptions {
    /// Node name; the hostname when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// CRI endpoint, e.g. `unix:///run/containerd/containerd.sock`.
    #[serde(rename = "criSocket", default, skip_serializing_if = "Option::is_none")]
    pub cri_socket: Option<String>,
    /// Absent: kubeadm's default (control planes get the control-plane
    /// taint). An empty list: no taints at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taints: Option<Vec<Taint>>,
    /// Extra kubelet flags for this node.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kubelet_extra_args: ExtraArgs,
    /// Preflight checks whose failure is tolerated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_preflight_errors: Vec<String>,
    /// `Always`, `IfNotPresent` or `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
}

/// `kubeadm join` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JoinConfiguration {
    /// Always [`API_VERSION`].
    pub api_version: String,
    /// Always `JoinConfiguration`.
    pub kind: String,
    /// How this node registers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_registration: Option<NodeRegistrationOptions>,
    /// Where the cluster CA is written, `/etc/kubernetes/pki/ca.crt`.
    #[serde(rename = "caCertPath", default, skip_serializing_if = "Option::is_none")]
    pub ca_cert_path: Option<String>,
    /// How the node finds and trusts the cluster.
    #[serde(default)]
    pub discovery: Discovery,
    /// Present for a control-plane join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane: Option<JoinControlPlane>,
    /// Phases to skip.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_phases: Vec<String>,
    /// Static pod patches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patches: Option<Patches>,
}

/// Discovery settings of a join.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Discovery {
    /// Token discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_token: Option<BootstrapTokenDiscovery>,
    /// File discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileDiscovery>,
    /// Token for TLS bootstrap; defaults to the discovery token.
    #[serde(rename = "tlsBootstrapToken", default, skip_serializing_if = "Option::is_none")]
    pub tls_bootstrap_token: Option<SecretString>,
    /// Discovery timeout, e.g. `5m0s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}
