//! What the wait is asked for and what it sees: wants, Nodes, the report
//! and the errors.

use std::time::Duration;

use crate::bootstrap::kube::KubeError;

use super::*;

/// How many Ready Nodes of each kind to wait for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Want {
    /// Ready Nodes with the control-plane label.
    pub control_plane_nodes: u64,
    /// Ready Nodes without it.
    pub worker_nodes: u64,
}

/// The wait's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitFor {
    pub want: Want,
    /// How long to wait in all.
    pub timeout: Duration,
    /// The pause between two polls.
    pub poll_interval: Duration,
}

/// A Node's Ready condition as the kubelet last reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    /// `True`, `False` or `Unknown`.
    pub status: String,
    pub reason: String,
    pub message: String,
}

/// One Node, as far as health goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    /// From the `node-role.kubernetes.io/<role>` labels (and the older
    /// `kubernetes.io/role`), sorted.
    pub roles: Vec<String>,
    /// Whether the Node has the control-plane label.
    pub control_plane: bool,
    /// Whether its Ready condition is `True`.
    pub ready: bool,
    /// `status.nodeInfo.kubeletVersion`, empty when not reported yet.
    pub kubelet_version: String,
    /// The Ready condition, `None` before the kubelet reported one.
    pub ready_condition: Option<Condition>,
}

/// How the API server answered its readiness endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Readiness {
    /// No answer (the error is in [`Seen::error`]).
    #[default]
    NoAnswer,
    /// It answered, not ready: the endpoint and what it said.
    NotReady {
        path: String,
        detail: String,
    },
    Ready,
}

/// What one poll saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub readiness: Readiness,
    /// `gitVersion` from `/version`.
    pub version: Option<String>,
    /// The Nodes, sorted by name; `None` when they were not listed.
    pub nodes: Option<Vec<Node>>,
    /// The API error that cut the poll short.
    pub error: Option<KubeError>,
}

/// A healthy cluster, as the last poll saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The server that was asked.
    pub host: String,
    /// `gitVersion` from `/version`.
    pub api_server_version: String,
    /// Every Node, sorted by name.
    pub nodes: Vec<Node>,
    /// How many polls it took.
    pub polls: u32,
}

/// The state a failed wait ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub host: String,
    pub timeout: Duration,
    /// How long the wait ran.
    pub waited: Duration,
    pub polls: u32,
    /// What the last poll found missing.
    pub missing: Vec<String>,
    /// The API server version last seen.
    pub api_server_version: Option<String>,
    /// The Nodes last listed.
    pub nodes: Option<Vec<Node>>,
    /// The API error of the last poll, if it had one.
    pub last_error: Option<KubeError>,
}

/// Why a wait failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthError {
    /// An error waiting cannot fix, or a bad connection setting.
    #[error(transparent)]
    Kube(#[from] KubeError),
    /// The timeout passed first.
    #[error("{}", .0.render("was not as healthy as asked within", .0.timeout))]
    TimedOut(Box<Report>),
    /// The wait was stopped from outside before the cluster was healthy.
    #[error("{}", .0.render("was not healthy yet when the wait was stopped, after", .0.waited))]
    Cancelled(Box<Report>),
}

impl HealthError {
    /// A short title for the problem.
    pub fn summary(&self) -> &'static str {
        match self {
            HealthError::Kube(e) => e.summary(),
            HealthError::TimedOut(_) => "Cluster not healthy in time",
            HealthError::Cancelled(_) => "Waiting for the cluster stopped",
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            HealthError::Kube(KubeError::Forbidden { resource, .. }) if resource == "nodes" => {
                format!("The identity must be allowed to list nodes: grant it {NODES_RBAC_HINT}.")
            }
            HealthError::Kube(KubeError::Forbidden { resource, .. }) => format!(
                "The identity must be allowed to get the non-resource URL {resource} (Kubernetes grants it to everyone through the system:public-info-viewer ClusterRole unless that binding was changed)."
            ),
            HealthError::Kube(e) => e.hint(),
            HealthError::TimedOut(r) => match (&r.nodes, &r.last_error) {
                (Some(nodes), _) if !nodes.is_empty() => "Look at the Nodes above (`kubectl describe node NAME` tells more), then raise timeout or lower the counts in wait_for if the cluster needs longer or has fewer Nodes.".to_string(),
                (_, Some(e)) => format!("{} Raise timeout if the cluster needs longer to come up.", e.hint()),
                _ => "Raise timeout if the cluster needs longer to come up, or lower the counts in wait_for.".to_string(),
            },
            HealthError::Cancelled(_) => String::new(),
        }
    }

    /// The connection setting the problem is about, when there is one.
    pub fn setting_name(&self) -> Option<&'static str> {
        match self {
            HealthError::Kube(e) => e.setting_name(),
            _ => None,
        }
    }
}
