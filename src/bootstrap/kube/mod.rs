//! Reading Cluster API objects live from a management cluster over the
//! Kubernetes API: kubeconfig parsing, a small blocking HTTPS client, and the
//! assembly of one multi-document YAML manifests string per Machine (its
//! bootstrap `KubeadmConfig`, the `Cluster`, and its `KubeadmControlPlane` or
//! `MachineDeployment`), ready for the compat mode's `capi_manifests`.
//!
//! Static credentials are supported: bearer tokens (inline or from a token
//! file), client certificates and basic auth. A kubeconfig user's `exec`
//! credential plugin (EKS, GKE and the like) runs only when the settings
//! allow it ([`Settings::allow_exec_plugins`]), since it runs a program the
//! kubeconfig names; it then speaks client-go's exec credential protocol
//! (`client.authentication.k8s.io/v1` or `v1beta1`), without a terminal and
//! within [`EXEC_PLUGIN_TIMEOUT`], and its credential is kept in this process
//! until it expires. Auth-provider plugins are refused with a clear error.
//!
//! Tokens, passwords and private keys are held in [`Sensitive`] and never
//! appear in an error message, a warning or `Debug` output; neither does a
//! plugin's standard output.
//!
//! The collection logic talks to the server through the [`Api`] trait, so it
//! is tested without a network. Everything here is blocking: callers in async
//! code run it on a blocking thread.
//!
//! This module is plain domain code: it must not depend on the Terraform
//! plugin protocol, its RPC and wire-format crates, or the provider glue.

mod client;
mod collect;
mod error;
mod exec;
mod kubeconfig;
mod rbac;
#[cfg(test)]
mod tests;

pub use client::*;
pub use collect::*;
pub use error::*;
pub use exec::*;
pub use kubeconfig::*;
pub use rbac::*;

use serde_json::Value as Json;

// ---------------------------------------------------------------------------
// The API the collection talks to

/// What a request is for, so a refusal can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// `get` or `list`.
    pub verb: &'static str,
    /// `<plural>.<group>` (`secrets` for the core group), or a URL path for discovery.
    pub resource: String,
    pub namespace: Option<String>,
}

/// Read access to a Kubernetes API server.
pub trait Api {
    /// The server, for messages.
    fn host(&self) -> &str;
    /// GETs `path` (starting with `/`) and parses the JSON body; `Ok(None)` on 404.
    fn get(&self, path: &str, access: &Access) -> Result<Option<Json>, KubeError>;
}
