//! Ignition configs for kubeadm nodes on Flatcar Container Linux and Fedora
//! CoreOS: [`render`] turns one [`NodeSpec`] plus the kubeadm YAML for it
//! into the full Ignition 3.3.0 or 3.4.0 config that makes a fresh machine
//! an `init`, `control-plane` or `worker` node, and [`pointer_config`] makes
//! the small config that goes into user data and points at the full one.
//!
//! What a rendered config holds:
//! - base provisioning: kernel modules and sysctls for pod networking, no
//!   swap, crictl pointed at containerd, containerd with the systemd cgroup
//!   driver (configured on Fedora CoreOS; Flatcar's built-in containerd
//!   already is), an update policy so the OS does not reboot a half-built
//!   node, and a health check that restarts containerd or the kubelet when
//!   they hang;
//! - with fetched artifacts: the binaries (checked by SHA-512), a unit that
//!   unpacks archives, and the upstream kubelet unit and kubeadm drop-in;
//! - on control planes only, the cluster CAs and service-account keys in
//!   `/etc/kubernetes/pki` (and on Fedora CoreOS the kubeadm patches that
//!   give static pods the `spc_t` SELinux type); workers get no private key;
//! - the kubeadm config and a bootstrap script and unit that run
//!   `kubeadm init` or `kubeadm join` once, with retries; an init node with a
//!   control-plane endpoint first looks for its cluster there (any HTTP
//!   answer over TLS verified by the shipped CA) and joins it as a control
//!   plane when it runs, so a replacement never founds a second cluster;
//! - the user's files, accounts and NTP servers, and then every
//!   `additional_ignition` config merged on top with Ignition's own rules.
//!
//! The output is deterministic: the same inputs give the same bytes (entries
//! sorted by path and name, inline contents as base64 `data:` URLs, no
//! timestamps).
//!
//! Plain domain code: it must not depend on tonic, prost, msgpack,
//! `crate::tfplugin` or `crate::provider`.

mod merge;
mod profile;
mod render;
mod types;
mod units;

use sha2::{Digest, Sha512};

use crate::bootstrap::node::{IgnitionVersion, NodeSpec, OperatingSystem};

// Names shared with the kubeadm renderer: where its YAML and patches go, and
// the placeholders the bootstrap script fills in at boot.
use crate::bootstrap::kubeadm::{
    CONFIG_PATH, NODE_NAME_PLACEHOLDER, PATCHES_DIR, PROVIDER_ID_PLACEHOLDER, TOKEN_TTL_PLACEHOLDER,
};

/// How long a node keeps trying to fetch the config its pointer names, in
/// seconds. Without a limit Ignition retries a dead URL forever and the
/// machine never finishes booting.
pub const POINTER_HTTP_TOTAL_SECONDS: u32 = 600;

/// A rendered config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The config, as the exact bytes to store and hash.
    pub json: String,
    /// Things the user should know that do not stop rendering, such as an
    /// `additional_ignition` config overriding a generated file.
    pub warnings: Vec<String>,
}

/// Why a config cannot be rendered. Messages carry paths, names and JSON
/// paths, never file contents or key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnitionError {
    /// kubeadm before 1.31 needs crictl, the image has none, and the
    /// artifacts bring none.
    #[error(
        "kubeadm {version} needs crictl (its preflight check FileExisting-crictl is mandatory before 1.31, and it \
         pulls images with it), and {os} does not ship it: add crictl to kubernetes_artifacts (a \
         crictl-<version>-linux-<arch>.tar.gz archive from cri-tools, extracted into {bin_dir}, or a plain file \
         named crictl), or use Kubernetes 1.31 or newer"
    )]
    MissingCrictl {
        /// The Kubernetes version.
        version: String,
        /// The operating system.
        os: &'static str,
        /// Where binaries go on that OS.
        bin_dir: &'static str,
    },
    /// The bootstrap token's expiry is not an RFC 3339 time.
    #[error("bootstrap_token expires_at {expires:?} is not an RFC 3339 time: {reason}")]
    TokenExpiry {
        /// The value given.
        expires: String,
        /// What the parser said.
        reason: String,
    },
    /// An `additional_ignition` entry that is not a JSON object.
    #[error("additional_ignition[{index}] is not an Ignition config: {reason}")]
    AdditionalNotJson {
        /// Position in `additional_ignition`.
        index: usize,
        /// What the JSON parser said, or what is missing.
        reason: String,
    },
    /// An `additional_ignition` entry of an unusable spec version.
    #[error(
        "additional_ignition[{index}] declares {found}; it must be an Ignition spec version from 3.0.0 up to \
         {max}, the version this node's config is rendered with"
    )]
    AdditionalVersion {
        /// Position in `additional_ignition`.
        index: usize,
        /// The declared version, quoted, or a description of what was found.
        found: String,
        /// The version rendered.
        max: &'static str,
    },
    /// A field of an `additional_ignition` entry that is wrong or cannot be
    /// merged.
    #[error("additional_ignition[{index}] at {path}: {problem}")]
    AdditionalField {
        /// Position in `additional_ignition`.
        index: usize,
        /// JSON path of the field, e.g. `$.storage.files[2].mode`.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A path that is not absolute and clean.
    #[error("{what} {path:?}: {problem}")]
    BadPath {
        /// Which input, e.g. `files[1]`.
        what: String,
        /// The path given.
        path: String,
        /// What is wrong: relative, `..`, trailing slash, ...
        problem: &'static str,
    },
    /// Two entries for the same path.
    #[error(
        "{path} is written twice, by {first} and by {second}; use additional_ignition to replace a generated file"
    )]
    DuplicatePath {
        /// The path.
        path: String,
        /// Where the first entry comes from.
        first: String,
        /// Where the second one comes from.
        second: String,
    },
    /// A path below a path that is a file.
    #[error("{what} writes {path}, below {parent}, which {parent_from} writes as a file")]
    PathUnderFile {
        /// Which input writes the inner path.
        what: String,
        /// The inner path.
        path: String,
        /// The file above it.
        parent: String,
        /// Which input writes that file.
        parent_from: String,
    },
    /// A path Ignition cannot write on this OS.
    #[error("{what} {path}: {os} mounts /usr read-only, so Ignition cannot write there; use {bin_dir} for binaries")]
    ReadOnlyPath {
        /// Which input.
        what: String,
        /// The path.
        path: String,
        /// The operating system.
        os: &'static str,
        /// Where binaries go instead.
        bin_dir: &'static str,
    },
    /// A file mode Ignition cannot apply.
    #[error("{what} {path}: mode {mode:#o} is not valid for Ignition {version} (at most {max:#o})")]
    BadMode {
        /// Which input.
        what: String,
        /// The file.
        path: String,
        /// The mode given.
        mode: u32,
        /// The largest mode the spec version allows.
        max: u32,
        /// The spec version.
        version: &'static str,
    },
    /// A file owner that is not `user`, `user:group`, or numeric ids.
    #[error("files[{index}] {path}: owner {owner:?} must be \"user:group\", \"user\" or numeric ids such as \"0:0\"")]
    BadOwner {
        /// Position in `files`.
        index: usize,
        /// The file.
        path: String,
        /// The owner given.
        owner: String,
    },
    /// A fetched artifact that cannot be written as an Ignition file.
    #[error("artifact {path}: {problem}")]
    BadArtifact {
        /// The artifact's path.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// A user account that cannot be created.
    #[error("users[{index}] {name:?}: {problem}")]
    BadUser {
        /// Position in `users`.
        index: usize,
        /// The account name.
        name: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// An NTP server name that would break the time daemon's config file.
    #[error("ntp server {server:?}: {problem}")]
    BadNtpServer {
        /// The server given.
        server: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A control-plane role without the cluster PKI.
    #[error("role {role} needs the cluster CAs and service-account keys (cluster_ca), which were not given")]
    MissingPki {
        /// The role.
        role: &'static str,
    },
    /// The kubeadm YAML is missing.
    #[error("the kubeadm config is empty")]
    EmptyKubeadmConfig,
    /// An init node with a control-plane endpoint whose kubeadm YAML has no
    /// `JoinConfiguration`: it could not join its cluster when it finds it
    /// running, and would found a second one.
    #[error(
        "the kubeadm config of an init node with a control_plane_endpoint must carry the control-plane \
         JoinConfiguration the node uses when it finds its cluster already running"
    )]
    InitWithoutJoin,
    /// The control-plane endpoint an init node probes is not `host[:port]`.
    #[error("the control_plane_endpoint an init node looks for its cluster at is unusable: {reason}")]
    JoinEndpoint {
        /// What is wrong with it.
        reason: String,
    },
    /// The kubeadm YAML has a name placeholder, but nothing would fill it in.
    #[error(
        "the kubeadm config contains {placeholder} but the node name does not come from EC2 metadata \
         (name_from = \"hostname\"), so nothing would replace it at boot"
    )]
    UnfilledPlaceholder {
        /// The placeholder found.
        placeholder: &'static str,
    },
    /// Serialising the config failed (not expected to happen).
    #[error("could not serialise the Ignition config: {0}")]
    Serialize(String),
}

impl IgnitionError {
    /// The `additional_ignition` entry an error is about, if any.
    pub fn additional_index(&self) -> Option<usize> {
        match self {
            IgnitionError::AdditionalNotJson { index, .. }
            | IgnitionError::AdditionalVersion { index, .. }
            | IgnitionError::AdditionalField { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The input an error is about, as the renderer names it (`files[2]`,
    /// `kubernetes_artifacts file`, ...), if any.
    pub fn input(&self) -> Option<&str> {
        match self {
            IgnitionError::BadPath { what, .. }
            | IgnitionError::PathUnderFile { what, .. }
            | IgnitionError::ReadOnlyPath { what, .. }
            | IgnitionError::BadMode { what, .. } => Some(what),
            IgnitionError::DuplicatePath { second, .. } => Some(second),
            IgnitionError::MissingCrictl { .. } => Some("kubernetes_artifacts"),
            _ => None,
        }
    }
}

/// Renders the Ignition config of one node. `kubeadm_yaml` is the kubeadm
/// configuration written to `/etc/kubeadm/config.yaml`; with
/// `name_from = aws` it should contain the node name (and may contain the
/// provider ID) placeholders that the bootstrap script fills in from EC2
/// metadata.
pub fn render(spec: &NodeSpec, kubeadm_yaml: &str) -> Result<Rendered, IgnitionError> {
    render::render(spec, kubeadm_yaml)
}

/// The small config for user data: the same spec version, replaced at boot
/// by the config at `source_url` after checking its SHA-512, with a time
/// limit on fetching it ([`POINTER_HTTP_TOTAL_SECONDS`]).
pub fn pointer_config(version: IgnitionVersion, source_url: &str, sha512_hex: &str) -> String {
    pointer(version, source_url, Some(types::Verification { hash: format!("sha512-{sha512_hex}") }))
}

/// Like [`pointer_config`], without `verification`: the machine boots
/// whatever the URL serves when it fetches it. The pointer then stays the
/// same while the config behind the URL changes, so integrity rests on who
/// may write there.
pub fn pointer_config_unverified(version: IgnitionVersion, source_url: &str) -> String {
    pointer(version, source_url, None)
}

fn pointer(version: IgnitionVersion, source_url: &str, verification: Option<types::Verification>) -> String {
    let config = types::Config {
        ignition: types::Ignition {
            version: version.as_str().to_owned(),
            config: Some(types::IgnitionConfig {
                replace: Some(types::Resource { source: source_url.to_owned(), verification }),
            }),
            timeouts: Some(types::Timeouts { http_total: Some(POINTER_HTTP_TOTAL_SECONDS) }),
        },
        ..types::Config::default()
    };
    // A struct of strings and integers always serialises.
    serde_json::to_string(&config).unwrap_or_default()
}

/// Lowercase hex SHA-512 of `bytes`, the form `verification.hash` and the
/// artifact inputs use.
pub fn sha512_hex(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

/// Where fetched binaries belong on `os`: `/opt/bin` on Flatcar (its `/usr`
/// is read-only), `/usr/local/bin` on Fedora CoreOS.
pub fn binary_dir(os: OperatingSystem) -> &'static str {
    profile::Profile::of(os).bin_dir
}

#[cfg(test)]
mod tests;
