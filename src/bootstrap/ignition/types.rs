//! A serde model of the part of the Ignition 3.x config that the renderer
//! writes: files, units with drop-ins, users, and the `ignition` section of
//! pointer configs. Field names and nesting follow the v3.3.0 / v3.4.0
//! specifications (coreos/ignition `docs/configuration-v3_3.md`,
//! `configuration-v3_4.md`); both versions share every field used here.
//!
//! Only serialisation is needed: configs supplied by users are handled as
//! plain JSON by `merge`, which knows the whole schema. Optional fields are
//! left out of the output rather than written as `null`, so the JSON stays
//! small and stable.
//!
//! Plain domain code: no tonic, prost, msgpack, `crate::tfplugin` or
//! `crate::provider`.

use serde::Serialize;

/// A whole config document.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Config {
    pub ignition: Ignition,
    #[serde(skip_serializing_if = "Passwd::is_empty")]
    pub passwd: Passwd,
    #[serde(skip_serializing_if = "Storage::is_empty")]
    pub storage: Storage,
    #[serde(skip_serializing_if = "Systemd::is_empty")]
    pub systemd: Systemd,
}

/// Metadata about the config itself.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Ignition {
    /// The spec version, e.g. `3.3.0`.
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<IgnitionConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Timeouts>,
}

/// `ignition.config`: where the real config comes from.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct IgnitionConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace: Option<Resource>,
}

/// `ignition.timeouts`, in seconds.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Timeouts {
    /// Limit for a whole fetch including its retries; 0 means none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_total: Option<u32>,
}

/// A fetched resource: a config, or a file's contents.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Resource {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

/// How Ignition checks what it fetched.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Verification {
    /// `sha512-<hex>` (or `sha256-<hex>`).
    pub hash: String,
}

/// `storage`: the files written.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Storage {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<File>,
}

impl Storage {
    fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// One regular file.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct File {
    pub path: String,
    /// Replace whatever the image has at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
    pub contents: Resource,
    /// Permission bits, written in decimal as the spec requires.
    pub mode: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Owner>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Owner>,
}

/// A file's user or group, by numeric id or by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Owner {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `systemd`: units and drop-ins.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Systemd {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<Unit>,
}

impl Systemd {
    fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
}

/// One unit: its own contents, drop-ins, and whether it is enabled or masked.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Unit {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contents: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropins: Vec<Dropin>,
}

/// A drop-in under `<unit>.d/`.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Dropin {
    pub name: String,
    pub contents: String,
}

/// `passwd`: accounts.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Passwd {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
}

impl Passwd {
    fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// One account, created if missing, with its SSH keys and extra groups.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh_authorized_keys: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gecos: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
}
