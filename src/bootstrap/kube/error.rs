//! Why reading a cluster failed.

use super::*;

// Errors

/// Why reading a cluster failed. Messages name hosts, resources and settings,
/// never credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeError {
    /// A connection setting is missing or wrong. `setting` is the name of the
    /// [`Settings`] field at fault.
    #[error("{reason}")]
    Setting { setting: &'static str, summary: &'static str, reason: String },
    #[error("the API server at {host} refused the credentials (401 Unauthorized)")]
    Unauthorized { host: String },
    #[error("the API server at {host} does not allow {verb} on {resource}{}: {message}", in_namespace(.namespace))]
    Forbidden { host: String, verb: &'static str, resource: String, namespace: Option<String>, message: String },
    #[error(
        "the Cluster API CRDs are not installed on the cluster at {host}: the API group {group} does not exist (404)"
    )]
    NotInstalled { host: String, group: String },
    #[error("cluster {namespace}/{name} not found on the API server at {host}")]
    ClusterNotFound { host: String, namespace: String, name: String },
    #[error("cannot connect to the API server at {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("timed out talking to the API server at {host} ({reason})")]
    Timeout { host: String, reason: String },
    #[error("the TLS handshake with the API server at {host} failed: {reason}")]
    Tls { host: String, reason: String },
    #[error("the API server at {host} answered {status} to GET {path}: {message}")]
    Status { host: String, path: String, status: u16, message: String },
    #[error("the API server at {host} sent an unexpected response to GET {path}: {reason}")]
    Invalid { host: String, path: String, reason: String },
}

fn in_namespace(ns: &Option<String>) -> String {
    ns.as_ref().map(|n| format!(" in namespace {n}")).unwrap_or_default()
}
impl KubeError {
    pub(super) fn setting(setting: &'static str, summary: &'static str, reason: impl Into<String>) -> KubeError {
        KubeError::Setting { setting, summary, reason: reason.into() }
    }

    /// A short title for the problem.
    pub fn summary(&self) -> &'static str {
        match self {
            KubeError::Setting { summary, .. } => summary,
            KubeError::Unauthorized { .. } => "Kubernetes API credentials refused",
            KubeError::Forbidden { .. } => "Kubernetes API access forbidden",
            KubeError::NotInstalled { .. } => "Cluster API not installed",
            KubeError::ClusterNotFound { .. } => "Cluster not found",
            KubeError::Connect { .. } => "Cannot reach the Kubernetes API",
            KubeError::Timeout { .. } => "Kubernetes API timed out",
            KubeError::Tls { .. } => "TLS handshake with the Kubernetes API failed",
            KubeError::Status { .. } | KubeError::Invalid { .. } => "Unexpected Kubernetes API response",
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            KubeError::Setting { .. } => String::new(),
            KubeError::Unauthorized { .. } => "Check the token or client certificate: it must be valid for this cluster and not expired.".to_string(),
            KubeError::Forbidden { verb, resource, namespace, .. } => forbidden_hint(verb, resource, namespace.as_deref()),
            KubeError::NotInstalled { .. } => "Point the data source at the Cluster API management cluster (the one `clusterctl init` set up).".to_string(),
            KubeError::ClusterNotFound { .. } => "Check cluster_name and namespace; `kubectl get clusters -A` lists the clusters.".to_string(),
            KubeError::Connect { .. } | KubeError::Timeout { .. } => "Check the server address (host, or the kubeconfig's server) and that the API server is reachable from where Terraform runs.".to_string(),
            KubeError::Tls { .. } => "Check cluster_ca_certificate or the kubeconfig's certificate-authority: it must be the CA that signed the API server's certificate, and the server's certificate must name the host used.".to_string(),
            KubeError::Status { .. } | KubeError::Invalid { .. } => "Check that the address points at a Kubernetes API server.".to_string(),
        }
    }

    /// The [`Settings`] field the problem is about, when there is one.
    pub fn setting_name(&self) -> Option<&'static str> {
        match self {
            KubeError::Setting { setting, .. } => Some(setting),
            KubeError::ClusterNotFound { .. } => Some("cluster_name"),
            _ => None,
        }
    }
}
