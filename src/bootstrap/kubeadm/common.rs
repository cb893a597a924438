//! Types that `kubeadm.k8s.io/v1beta3` and `v1beta4` share unchanged, plus
//! small helpers (a redacting string for tokens and keys, an int-or-string
//! value) used by the kubelet and kube-proxy documents too.
//!
//! Plain domain code: nothing here may depend on tonic, prost, msgpack or the
//! Terraform plugin protocol.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::bootstrap::secret::REDACTED;

/// A string that carries a credential (a bootstrap token, a certificate
/// key). It serializes as the plain string, but `Debug` and `Display` print
/// `<sensitive>`, so a typed document can be logged without leaking it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Borrows the credential; callers must not log what they read.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A value Kubernetes accepts either as a number or as a string, such as a
/// resource quantity (`64Ki` or `65536`) or the logging flush frequency
/// (`"5s"` or nanoseconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    /// The numeric form.
    Int(i64),
    /// The string form.
    String(String),
}

/// One bootstrap token that `kubeadm init` creates (`bootstrapTokens[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BootstrapToken {
    /// `<id>.<secret>`; kubeadm generates one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretString>,
    /// Why the token exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lifetime as a Go duration; `0s` means the token never expires.
    /// kubeadm treats `ttl` and `expires` as alternatives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    /// Absolute expiry, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `signing`, `authentication`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usages: Vec<String>,
    /// Extra groups the token authenticates as.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

/// A node taint (core/v1 `Taint`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Optional value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
    /// Only meaningful for `NoExecute`; set by the API server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_added: Option<String>,
}

/// Address and port one API server instance advertises and binds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiEndpoint {
    /// IP the API server advertises; auto-detected when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advertise_address: Option<String>,
    /// Secure port, 6443 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_port: Option<i32>,
}

/// Where kubeadm finds patches for the static pods it writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Patches {
    /// Directory of `target[suffix][+patchtype].{yaml,json}` files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
}

/// Cluster network ranges and the service DNS domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Networking {
    /// Service CIDR, `10.96.0.0/12` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_subnet: Option<String>,
    /// Pod CIDR handed to the controller manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_subnet: Option<String>,
    /// Service DNS domain, `cluster.local` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_domain: Option<String>,
}

/// A host path mounted into a control-plane static pod.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HostPathMount {
    /// Volume name inside the pod.
    pub name: String,
    /// Path on the host.
    pub host_path: String,
    /// Path inside the container.
    pub mount_path: String,
    /// Mount read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// core/v1 `HostPathType`, e.g. `DirectoryOrCreate`, `File`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_type: Option<String>,
}

/// Token-based discovery of the cluster CA and API server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BootstrapTokenDiscovery {
    /// The bootstrap token used to validate `cluster-info`.
    pub token: SecretString,
    /// `host:port` of the API server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server_endpoint: Option<String>,
    /// `sha256:<hex>` pins of the CA's public key.
    #[serde(rename = "caCertHashes", default, skip_serializing_if = "Vec::is_empty")]
    pub ca_cert_hashes: Vec<String>,
    /// Join without pinning the CA (unsafe).
    #[serde(rename = "unsafeSkipCAVerification", default, skip_serializing_if = "Option::is_none")]
    pub unsafe_skip_ca_verification: Option<bool>,
}

/// Discovery from a kubeconfig file or URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileDiscovery {
    /// Path or URL of the kubeconfig.
    pub kube_config_path: String,
}

/// Marks a join as a control-plane join.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JoinControlPlane {
    /// The API server instance this node runs.
    #[serde(rename = "localAPIEndpoint", default, skip_serializing_if = "Option::is_none")]
    pub local_api_endpoint: Option<ApiEndpoint>,
    /// Decrypts certificates uploaded by `kubeadm init --upload-certs`;
    /// unused when the certificates ship with the node config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_key: Option<SecretString>,
}
