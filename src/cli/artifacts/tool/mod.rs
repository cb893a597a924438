//! The work behind `terraform-provider-kubeadm artifacts`: building a version
//! manifest (the [`Manifest`] the provider reads) from a directory of
//! binaries, mirroring the binaries from an upstream release location with
//! their published checksums checked, and uploading a directory and its
//! manifest to S3 or another directory.
//!
//! The options arrive already read from the command line ([`super`]). This
//! part uses the domain (`crate::bootstrap`) only: never the plugin protocol
//! (tonic, prost, msgpack), `crate::tfplugin` or `crate::provider`.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256, Sha512};

use crate::bootstrap::artifacts::{Manifest, ManifestFile};
use crate::bootstrap::node::KubernetesVersion;
use crate::bootstrap::store::s3::{S3Settings, S3Store};
use crate::bootstrap::store::{ObjectStore, StoreError};

mod build;
mod files;
mod mirror;
#[cfg(test)]
mod tests;
mod upload;

use files::*;
use mirror::*;

pub use build::{build, BuildOptions, Built};
pub use files::{hash_file, is_plain_name, parse_names};
pub use mirror::{expand_template, mirror, MirrorOptions};
pub use upload::{upload, Target, UploadOptions, Uploaded};

/// The manifest's file name inside an artifacts directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The binaries a directory holds unless told otherwise.
pub const DEFAULT_NAMES: [&str; 3] = ["kubeadm", "kubelet", "kubectl"];
/// Where the Kubernetes release bucket keeps a binary.
pub const DEFAULT_URL_TEMPLATE: &str = "{base}/{version}/bin/linux/{arch}/{name}";
/// Where CNI plugin archives are unpacked.
pub const CNI_BIN_DIR: &str = "/opt/cni/bin";
/// The largest file downloaded (kubelet is about 80 MB).
pub const MAX_DOWNLOAD_BYTES: u64 = crate::bootstrap::http::DOWNLOAD.body_limit;
/// The largest checksum file read.
const MAX_CHECKSUM_BYTES: u64 = 64 * 1024;

/// What went wrong, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// An option value that cannot work.
    #[error("{0}")]
    Invalid(String),
    #[error("cannot {op} {path}: {source}")]
    Io { op: &'static str, path: String, source: std::io::Error },
    #[error("download of {url} failed: {reason}")]
    Download { url: String, reason: String },
    #[error(transparent)]
    Checksum(Box<ChecksumMismatch>),
    #[error("the manifest would be invalid: {0}")]
    Manifest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A download that does not match the checksum its upstream publishes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "checksum mismatch for {name}: {checksum_url} says {algorithm} {expected}, but the file downloaded from {url} has \
     {actual}; it was not kept. The download was corrupted or the upstream is not what it claims: retry, or check \
     --from and --version"
)]
pub struct ChecksumMismatch {
    pub name: String,
    pub url: String,
    pub checksum_url: String,
    pub algorithm: &'static str,
    pub expected: String,
    pub actual: String,
}

fn io_error<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ToolError + 'a {
    move |source| ToolError::Io { op, path: path.display().to_string(), source }
}
