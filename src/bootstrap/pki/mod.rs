//! The cluster PKI kubeadm needs before `kubeadm init`: the three CAs
//! (Kubernetes, front proxy, etcd) and the service-account key pair.
//!
//! This module generates that material the way kubeadm's `certs` phase
//! does, inspects and validates material a user brings along (a CA
//! certificate with its key, service-account keys, or a whole kubeadm pki
//! directory), and computes the `sha256:<hex>` discovery hash
//! `kubeadm join --discovery-token-ca-cert-hash` expects.
//!
//! Generated CA certificates are self-signed X.509 v3 with a random
//! positive serial, subject `O=<cluster name>, CN=<role CN>`, a DNS SAN equal
//! to the CN, critical `basicConstraints CA:TRUE`, critical `keyUsage`
//! digitalSignature, keyEncipherment and keyCertSign, and a validity window
//! from five minutes before `now` to `now` plus the requested days. Private
//! keys come out as PKCS#8 `PRIVATE KEY` PEM; supplied keys may also be
//! PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
//!
//! The clock is always passed in. Error messages name the input and the
//! problem but never repeat private key material.
//!
//! This module is plain domain code: it must not depend on tonic, prost,
//! msgpack or any Terraform plugin protocol code.

mod algorithm;
mod ca;
mod der;
mod dir;
mod error;
mod keys;
mod kind;
mod pem;

#[cfg(test)]
mod tests;

use time::Duration;

pub use algorithm::{CaRole, KeyAlgorithm};
pub use ca::{ca_cert_hash, generate_ca, inspect_cert, validate_ca_pair, validity_days, CaPair, CertInfo};
pub use dir::{generate_pki, read_pki_dir, FileProblem, PkiDir, PkiDirError, PkiFileProblem};
pub use error::{PemInput, PkiError};
pub use keys::{generate_service_account, key_algorithm_of_private_key, validate_key_pair, KeyPairPem};

/// How far a generated CA's `NotBefore` lies before `now`, so that nodes
/// whose clocks lag slightly still accept it (kubeadm uses the same).
pub const CA_BACKDATE: Duration = Duration::minutes(5);

/// Largest file [`read_pki_dir`] reads; PEM files of a pki directory are a
/// few kilobytes at most.
pub const MAX_PKI_FILE_BYTES: u64 = 1024 * 1024;

/// The files of a kubeadm pki directory, relative to it, in the order
/// [`PkiDir::files`] returns them.
pub const PKI_FILES: [&str; 8] =
    ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "etcd/ca.crt", "etcd/ca.key", "sa.key", "sa.pub"];

/// Relative path of the service-account private key.
pub const SA_KEY_PATH: &str = "sa.key";
/// Relative path of the service-account public key.
pub const SA_PUB_PATH: &str = "sa.pub";
