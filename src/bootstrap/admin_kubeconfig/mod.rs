//! Admin kubeconfigs: a client certificate signed by the cluster's Kubernetes
//! CA, and the kubeconfig around it, the way kubeadm writes
//! `/etc/kubernetes/admin.conf` (the `kubeconfig admin` phase).
//!
//! What kubeadm does, and so what this module does:
//!
//! - the subject is `O=<group>` for each group, then `CN=<username>`, with
//!   kubeadm's admin defaults: `kubernetes-admin` in `kubeadm:cluster-admins`
//!   from Kubernetes 1.29 on, in `system:masters` before (1.29 split the old
//!   admin into the RBAC-bound admin and a `super-admin` in `system:masters`);
//! - key usage digitalSignature (plus keyEncipherment for RSA keys, which is
//!   what that bit is about), extended key usage clientAuth, CA:FALSE, and an
//!   authority key identifier equal to the CA's subject key identifier;
//! - the validity starts a few minutes before `now`, so clocks that lag
//!   slightly still accept it, and ends `validity` after `now`;
//! - the kubeconfig names the cluster `<cluster name>`, the user
//!   `<username>` and the context `<username>@<cluster name>`, sets it as the
//!   current context and embeds the CA certificate, the client certificate
//!   and its key as base64 data.
//!
//! The certificate body is encoded here rather than by rcgen: the issuer name
//! must be byte-for-byte the CA's subject (Go's verifier, and so the API
//! server, finds a client certificate's issuer by those bytes, and a CA made
//! by kubeadm encodes its names differently from one made by rcgen), and an
//! rcgen distinguished name holds one value per attribute type, which cannot
//! express several `O=` groups. rcgen still makes the key pair and signs with
//! the CA key.
//!
//! The clock is passed in. Errors name the input that is wrong and never
//! repeat key material.
//!
//! This module is plain domain code: it must not depend on tonic, prost,
//! msgpack or any Terraform plugin protocol code.

use time::{Duration, OffsetDateTime};

use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::node::KubernetesVersion;
use crate::bootstrap::pki::{KeyAlgorithm, PkiError};
use crate::bootstrap::secret::Sensitive;
use crate::bootstrap::token;

mod certificate;
mod checks;
mod der;
mod kubeconfig;
#[cfg(test)]
mod tests;

pub use certificate::issue;
pub use checks::{check_cluster_name, check_groups, check_server, check_username, check_validity};
pub use kubeconfig::render;

/// kubeadm's admin user, the certificate's common name.
pub const DEFAULT_USERNAME: &str = "kubernetes-admin";
/// The group kubeadm's `admin.conf` carries from Kubernetes 1.29 on; kubeadm
/// binds it to `cluster-admin` with RBAC, so it can be revoked.
pub const CLUSTER_ADMINS_GROUP: &str = "kubeadm:cluster-admins";
/// The group of kubeadm's super-admin (and of `admin.conf` before 1.29): the
/// API server grants it everything without consulting RBAC.
pub const SUPER_ADMIN_GROUP: &str = "system:masters";
/// The minor release whose `admin.conf` moved to [`CLUSTER_ADMINS_GROUP`].
pub const CLUSTER_ADMINS_SINCE_MINOR: u32 = 29;
/// kubeadm's default lifetime of `admin.conf`'s certificate: a year.
pub const DEFAULT_VALIDITY: &str = "8760h";
/// The cluster name kubeadm uses when none is configured.
pub const DEFAULT_CLUSTER_NAME: &str = "kubernetes";
/// How far `NotBefore` lies before `now`.
pub const BACKDATE: Duration = Duration::minutes(5);
/// The shortest validity accepted.
pub const MIN_VALIDITY: GoDuration = GoDuration::from_secs(1);

/// Which input an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The CA certificate or its key.
    ClusterCa,
    /// The API server URL.
    Server,
    /// The cluster name.
    ClusterName,
    /// The username.
    Username,
    /// The groups; the index of the offending one when there is one.
    Groups(Option<usize>),
    /// The validity.
    Validity,
}

/// Why an admin kubeconfig cannot be made. No message holds key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeconfigError {
    /// The server is not an `https://host[:port][/path]` URL.
    #[error("{url:?} is not a usable API server URL: {problem}; expected https://host:port, e.g. \"https://api.example.com:6443\"")]
    InvalidServer {
        /// The rejected URL (an address, not a secret).
        url: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The cluster name is empty or holds control characters.
    #[error("the cluster name {name:?} is not usable: {problem}")]
    InvalidClusterName {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The username is empty or holds control characters.
    #[error("the username {name:?} is not usable: {problem}; kubeadm's admin is \"{DEFAULT_USERNAME}\"")]
    InvalidUsername {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A group is empty or holds control characters.
    #[error("group {index} ({group:?}) is not usable: {problem}")]
    InvalidGroup {
        /// Position in the list.
        index: usize,
        /// The rejected group.
        group: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The same group twice.
    #[error("group {group:?} is listed twice (at {first} and {index}); list each group once")]
    DuplicateGroup {
        /// The second position.
        index: usize,
        /// The first position.
        first: usize,
        /// The repeated group.
        group: String,
    },
    /// A validity that cannot become a certificate's lifetime.
    #[error("a validity of {validity} cannot be used: {problem}")]
    InvalidValidity {
        /// The duration, as Go prints it.
        validity: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The CA certificate and key are not a usable CA.
    #[error("the cluster CA cannot sign: {0}")]
    Ca(#[from] PkiError),
    /// Key generation, encoding or signing failed inside a library.
    #[error("could not issue the client certificate: {0}")]
    Issue(String),
}

impl KubeconfigError {
    /// The input the error is about.
    pub fn input(&self) -> Input {
        match self {
            Self::InvalidServer { .. } => Input::Server,
            Self::InvalidClusterName { .. } => Input::ClusterName,
            Self::InvalidUsername { .. } => Input::Username,
            Self::InvalidGroup { index, .. } | Self::DuplicateGroup { index, .. } => Input::Groups(Some(*index)),
            Self::InvalidValidity { .. } => Input::Validity,
            Self::Ca(_) | Self::Issue(_) => Input::ClusterCa,
        }
    }
}

/// What to issue.
#[derive(Debug, Clone)]
pub struct AdminRequest<'a> {
    /// The Kubernetes CA certificate (`ca.crt`), PEM.
    pub ca_cert_pem: &'a str,
    /// Its private key (`ca.key`), PEM (PKCS#8, PKCS#1 or SEC1).
    pub ca_key_pem: &'a Sensitive<String>,
    /// The API server URL written into the kubeconfig.
    pub server: &'a str,
    /// The cluster's name in the kubeconfig.
    pub cluster_name: &'a str,
    /// The certificate's common name and the kubeconfig's user.
    pub username: &'a str,
    /// The certificate's organizations (Kubernetes groups), in order.
    pub groups: &'a [String],
    /// How long the certificate is valid from `now`.
    pub validity: GoDuration,
    /// The client key's algorithm.
    pub key_algorithm: KeyAlgorithm,
    /// The current time.
    pub now: OffsetDateTime,
}

/// An issued admin kubeconfig. `Debug` hides the key and the kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminKubeconfig {
    /// The kubeconfig YAML, usable as it is by kubectl.
    pub kubeconfig: Sensitive<String>,
    /// The client certificate, PEM.
    pub client_certificate_pem: String,
    /// The client key, PKCS#8 PEM.
    pub client_key_pem: Sensitive<String>,
    /// Start of the validity window.
    pub not_before: OffsetDateTime,
    /// End of the validity window.
    pub expires_at: OffsetDateTime,
    /// The certificate's serial number, lowercase hex.
    pub serial_hex: String,
}

/// The parts of a kubeconfig.
#[derive(Debug, Clone, Copy)]
pub struct KubeconfigParts<'a> {
    /// The API server URL.
    pub server: &'a str,
    /// The cluster's name.
    pub cluster_name: &'a str,
    /// The user's name.
    pub username: &'a str,
    /// The CA certificate, PEM.
    pub ca_cert_pem: &'a str,
    /// The client certificate, PEM.
    pub client_certificate_pem: &'a str,
    /// The client key, PEM.
    pub client_key_pem: &'a Sensitive<String>,
}

/// The groups kubeadm's `admin.conf` carries for `version`; without a
/// version, those of current releases.
pub fn default_groups(version: Option<&KubernetesVersion>) -> Vec<String> {
    let group = match version {
        Some(v) if v.minor < CLUSTER_ADMINS_SINCE_MINOR => SUPER_ADMIN_GROUP,
        _ => CLUSTER_ADMINS_GROUP,
    };
    vec![group.to_string()]
}

/// kubeadm's context name: `<username>@<cluster name>`.
pub fn context_name(username: &str, cluster_name: &str) -> String {
    format!("{username}@{cluster_name}")
}

/// Whether a certificate expiring at `expires_at` is due for re-issue at
/// `now`: once `expires_at - renew_before` has passed, or once it has
/// expired when no `renew_before` is given.
pub fn needs_renewal(now: OffsetDateTime, expires_at: OffsetDateTime, renew_before: Option<GoDuration>) -> bool {
    token::needs_renewal(now, Some(expires_at), renew_before.unwrap_or(GoDuration::ZERO))
}
