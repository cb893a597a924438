//! Waiting until a Kubernetes cluster is as healthy as asked: the API server
//! answers its readiness endpoint (`/readyz`, or `/healthz` on servers without
//! it) and `/version`, and enough Nodes are Ready, counted apart for the
//! control plane (Nodes labelled `node-role.kubernetes.io/control-plane`) and
//! the workers (the others).
//!
//! The wait polls until that holds or its timeout passes, then fails with
//! what is still missing and the last state seen: each Node with its roles
//! and its Ready condition, or the API error last seen. Errors that waiting
//! cannot fix (credentials refused, a TLS verification failure, a missing
//! permission, a server that is not a Kubernetes API server) end it at once;
//! refused connections, timeouts and 5xx answers are retried.
//!
//! The evaluation works on the [`Api`] trait and a [`Clock`], so it is tested
//! without a network or real time. [`check`] is the blocking whole: it
//! resolves the connection settings, bounds each request by the wait's
//! deadline and stops when its cancel flag is set.
//!
//! Text that comes from the cluster (condition messages, error bodies) is
//! stripped of control characters and shortened before it is shown.
//!
//! This module is plain domain code: it must not depend on the Terraform
//! plugin protocol, its RPC and wire-format crates, or the provider glue.

mod model;
mod nodes;
mod poll;
mod report;
#[cfg(test)]
mod tests;
mod wait;

pub use model::*;
pub use nodes::*;
pub use poll::*;
pub use report::*;
pub use wait::*;

use std::time::Duration;

/// The label that makes a Node a control-plane Node.
pub const CONTROL_PLANE_LABEL: &str = "node-role.kubernetes.io/control-plane";
/// Labels `node-role.kubernetes.io/<role>` give a Node its roles (as `kubectl get nodes` shows them).
const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";
/// The older label holding a role as its value.
const LEGACY_ROLE_LABEL: &str = "kubernetes.io/role";

/// The permission the node list needs, for error hints.
pub const NODES_RBAC_HINT: &str = "list on nodes at cluster scope (a ClusterRole with verb `list` on resource `nodes`, bound with a ClusterRoleBinding), for example `kubectl create clusterrole node-reader --verb=list --resource=nodes` and `kubectl create clusterrolebinding node-reader --clusterrole=node-reader --user=NAME`";

/// How long after the API server first answered ready a 403 on the node
/// list is still retried, when this wait saw the server come up: kubeadm
/// binds its admin group (`kubeadm:cluster-admins`) to cluster-admin only
/// after the API server is up, so an admin kubeconfig is refused for a
/// moment on a brand-new cluster.
pub const FORBIDDEN_GRACE: Duration = Duration::from_secs(60);
/// The longest one request may take (a hung connection must not eat the wait).
const REQUEST_LIMIT: Duration = Duration::from_secs(30);
/// How long the last poll, started at the deadline, may run past it.
const DEADLINE_GRACE: Duration = Duration::from_secs(5);
/// How often a blocked request or a sleep looks at the cancel flag.
const CANCEL_CHECK: Duration = Duration::from_millis(100);
/// Nodes per page of the node list.
const PAGE_SIZE: u32 = 500;
/// Most pages read in one poll (500 000 Nodes, far beyond any cluster).
const MAX_PAGES: usize = 1000;
/// Longest text quoted from the cluster, in characters.
const MAX_QUOTE: usize = 300;
/// Most Nodes listed in an error message.
const MAX_NODES_SHOWN: usize = 50;
