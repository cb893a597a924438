//! kubeadm bootstrap tokens: parsing, generation, validation of their
//! settings, expiry arithmetic and the Secret manifest kubeadm creates.
//!
//! A bootstrap token has the form `[a-z0-9]{6}.[a-z0-9]{16}`: a public id
//! and a private secret. The cluster stores it as a Secret named
//! `bootstrap-token-<id>` in `kube-system`, of type
//! `bootstrap.kubernetes.io/token`, whose data keys follow
//! `k8s.io/cluster-bootstrap` (`token-id`, `token-secret`, `description`,
//! `expiration`, `usage-bootstrap-<usage>`, `auth-extra-groups`).
//!
//! Errors never repeat the secret half of a token. Everything here is
//! deterministic given its inputs (the clock and random source are passed
//! in).
//!
//! This module is plain domain code: it must not depend on tonic, prost,
//! msgpack or any Terraform plugin protocol code.

pub use crate::bootstrap::timestamp::format_rfc3339;

mod error;
mod expiry;
mod mint;
mod secret;
#[cfg(test)]
mod tests;
mod validate;

pub use error::{TokenError, TokenFormatProblem};
pub use expiry::{expires_at, needs_renewal};
pub use mint::BootstrapToken;
pub use secret::secret_manifest;
pub use validate::{validate_group, validate_groups, validate_usages};

/// Length of the public token id.
pub const TOKEN_ID_LEN: usize = 6;
/// Length of the private token secret.
pub const TOKEN_SECRET_LEN: usize = 16;
/// The token format, as shown in error messages.
pub const TOKEN_PATTERN: &str = "[a-z0-9]{6}.[a-z0-9]{16}";
/// A well-formed example token, as shown in error messages.
pub const TOKEN_EXAMPLE: &str = "abcdef.0123456789abcdef";

/// Usages kubeadm knows for bootstrap tokens.
pub const KNOWN_USAGES: [&str; 2] = ["signing", "authentication"];
/// Prefix every extra group must start with.
pub const GROUP_PREFIX: &str = "system:bootstrappers:";
/// The full rule extra groups must satisfy, as shown in error messages.
pub const GROUP_PATTERN: &str = "^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$";

/// Namespace that holds bootstrap token Secrets.
pub const SECRET_NAMESPACE: &str = "kube-system";
/// Prefix of a bootstrap token Secret's name; the token id follows it.
pub const SECRET_NAME_PREFIX: &str = "bootstrap-token-";
/// Secret type of bootstrap token Secrets.
pub const SECRET_TYPE: &str = "bootstrap.kubernetes.io/token";

/// Secret data key holding the token id.
pub const KEY_TOKEN_ID: &str = "token-id";
/// Secret data key holding the token secret.
pub const KEY_TOKEN_SECRET: &str = "token-secret";
/// Secret data key holding the optional description.
pub const KEY_DESCRIPTION: &str = "description";
/// Secret data key holding the optional RFC 3339 expiry time.
pub const KEY_EXPIRATION: &str = "expiration";
/// Prefix of the per-usage Secret data keys.
pub const KEY_USAGE_PREFIX: &str = "usage-bootstrap-";
/// Secret data key holding the comma-separated extra groups.
pub const KEY_EXTRA_GROUPS: &str = "auth-extra-groups";
