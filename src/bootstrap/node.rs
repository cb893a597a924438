//! The node model: everything needed to render one kubeadm node, independent
//! of where it came from (HCL blocks or Cluster API manifests). The kubeadm
//! documents (`kubeadm`) and the Ignition config (`ignition`) are both pure
//! functions of a `NodeSpec`.
//!
//! Nothing here knows about Terraform, tonic, prost or msgpack.

use std::collections::BTreeMap;
use std::fmt;

use super::duration::GoDuration;
use super::secret::Sensitive;

/// What the node does when it boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The first control plane: `kubeadm init` on the cluster's first boot.
    /// A machine that boots the same config while the cluster already
    /// answers at the control-plane endpoint joins it as a control plane
    /// instead (the bootstrap script decides at boot).
    Init,
    /// An extra control plane: `kubeadm join --control-plane`.
    ControlPlane,
    /// A worker: `kubeadm join`.
    Worker,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Init, Role::ControlPlane, Role::Worker];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "init" => Some(Role::Init),
            "control-plane" => Some(Role::ControlPlane),
            "worker" => Some(Role::Worker),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Init => "init",
            Role::ControlPlane => "control-plane",
            Role::Worker => "worker",
        }
    }
    /// Init and control-plane nodes run the control plane and carry the CAs.
    pub fn is_control_plane(self) -> bool {
        !matches!(self, Role::Worker)
    }
}

/// The operating system the config is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OperatingSystem {
    Flatcar,
    FedoraCoreos,
}

impl OperatingSystem {
    pub fn parse(s: &str) -> Option<OperatingSystem> {
        match s {
            "flatcar" => Some(OperatingSystem::Flatcar),
            "fedora-coreos" => Some(OperatingSystem::FedoraCoreos),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            OperatingSystem::Flatcar => "flatcar",
            OperatingSystem::FedoraCoreos => "fedora-coreos",
        }
    }
}

/// The Ignition spec version emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IgnitionVersion {
    V3_3,
    V3_4,
}

impl IgnitionVersion {
    pub fn parse(s: &str) -> Option<IgnitionVersion> {
        match s {
            "3.3.0" => Some(IgnitionVersion::V3_3),
            "3.4.0" => Some(IgnitionVersion::V3_4),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            IgnitionVersion::V3_3 => "3.3.0",
            IgnitionVersion::V3_4 => "3.4.0",
        }
    }
}

/// A Kubernetes release, `v1.31.4` (the `v` is optional on input).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KubernetesVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// A pre-release suffix such as `rc.1`, without the dash.
    pub pre: Option<String>,
}

/// A malformed or unsupported Kubernetes version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("invalid Kubernetes version {0:?}: expected the form v1.31.4 (major.minor.patch, optional leading v and -prerelease)")]
    Malformed(String),
    #[error("Kubernetes {0} is not supported: kubeadm's config API v1beta3 needs 1.22 or newer")]
    TooOld(String),
}

impl KubernetesVersion {
    /// The oldest release this provider renders for.
    pub const MINIMUM_MINOR: u32 = 22;

    /// Parses `v1.31.4`, `1.31.4` or `v1.32.0-rc.1`, and rejects releases
    /// below 1.22.
    pub fn parse(s: &str) -> Result<KubernetesVersion, VersionError> {
        let bad = || VersionError::Malformed(s.to_string());
        let t = s.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') => {
                (c, Some(p.to_string()))
            }
            Some(_) => return Err(bad()),
            None => (t, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() != 3 {
            return Err(bad());
        }
        let num = |p: &str| -> Result<u32, VersionError> {
            if p.is_empty()
                || p.len() > 6
                || !p.bytes().all(|b| b.is_ascii_digit())
                || (p.len() > 1 && p.starts_with('0'))
            {
                return Err(bad());
            }
            p.parse().map_err(|_| bad())
        };
        let v = KubernetesVersion { major: num(parts[0])?, minor: num(parts[1])?, patch: num(parts[2])?, pre };
        if v.major != 1 {
            return Err(bad());
        }
        if v.minor < Self::MINIMUM_MINOR {
            return Err(VersionError::TooOld(v.to_string()));
        }
        Ok(v)
    }

    /// `kubeadm.k8s.io/v1beta4` from 1.31, `v1beta3` before.
    pub fn uses_v1beta4(&self) -> bool {
        self.minor >= 31
    }
}

impl fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(p) = &self.pre {
            write!(f, "-{p}")?;
        }
        Ok(())
    }
}

/// Extra flags of one control-plane component.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentSpec {
    pub extra_args: BTreeMap<String, String>,
}

/// The API server: flags and extra SANs for its serving certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiServerSpec {
    pub extra_args: BTreeMap<String, String>,
    pub cert_sans: Vec<String>,
}

/// Local (stacked) etcd settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EtcdSpec {
    pub extra_args: BTreeMap<String, String>,
    /// Default `/var/lib/etcd`.
    pub data_dir: Option<String>,
}

/// Cluster-wide settings (kubeadm's ClusterConfiguration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    pub name: String,
    pub kubernetes_version: KubernetesVersion,
    /// `host[:port]` of the API load balancer; port 6443 when absent.
    pub control_plane_endpoint: String,
    pub pod_subnet: Option<String>,
    /// Default `10.96.0.0/12`.
    pub service_subnet: String,
    /// Default `cluster.local`.
    pub dns_domain: String,
    pub image_repository: Option<String>,
    pub feature_gates: BTreeMap<String, bool>,
    pub api_server: ApiServerSpec,
    pub controller_manager: ComponentSpec,
    pub scheduler: ComponentSpec,
    pub etcd: EtcdSpec,
    /// Lifetime of the leaf certificates kubeadm signs (v1beta4's
    /// `certificateValidityPeriod`, Kubernetes 1.31+); `None` keeps kubeadm's
    /// default of a year. Read by `kubeadm init`, which stores it in the
    /// cluster's `kubeadm-config` for later joins and `kubeadm certs renew`.
    pub certificate_validity: Option<GoDuration>,
}

pub const DEFAULT_SERVICE_SUBNET: &str = "10.96.0.0/12";
pub const DEFAULT_DNS_DOMAIN: &str = "cluster.local";

/// One certificate authority: certificate and private key, PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaMaterial {
    pub cert_pem: String,
    pub key_pem: Sensitive<String>,
}

/// The PKI a control-plane node needs in `/etc/kubernetes/pki`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlPlanePki {
    pub ca: CaMaterial,
    pub front_proxy_ca: CaMaterial,
    pub etcd_ca: CaMaterial,
    pub sa_public_pem: String,
    pub sa_private_pem: Sensitive<String>,
}

/// The bootstrap token the cluster knows (init seeds it) and joins use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    /// `<id>.<secret>`.
    pub token: Sensitive<String>,
    pub description: Option<String>,
    /// RFC 3339; `None` for a token that never expires.
    pub expires: Option<String>,
    pub usages: Vec<String>,
    pub groups: Vec<String>,
}

/// Where the node's name comes from at boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameFrom {
    /// The EC2 private DNS name, from the OS metadata agent; also sets the
    /// kubelet's provider ID to `aws:///<zone>/<instance-id>`.
    Aws,
    /// The machine's hostname (kubeadm's default).
    Hostname,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

/// Label keys in the `kubernetes.io` / `k8s.io` namespaces a kubelet may set
/// on its own node (besides the `kubelet.kubernetes.io` and
/// `node.kubernetes.io` namespaces); it refuses to start with any other.
pub const KUBELET_SETTABLE_LABELS: [&str; 13] = [
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "kubernetes.io/instance-type",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/instance-type",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.kubernetes.io/zone",
    "failure-domain.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
];

/// A lower-case RFC 1123 subdomain as Kubernetes checks it
/// (`IsDNS1123Subdomain`): at most 253 characters of dot-separated
/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` parts.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63 characters: a
/// label value, and the name part of a label or taint key.
fn is_label_word(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() <= 63
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A qualified name (`[prefix/]name`), the syntax of label and taint keys;
/// `Err` says what is wrong.
fn check_qualified_name(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() || prefix.len() > 253 || !is_dns1123_subdomain(prefix) {
            return Err(format!(
                "the prefix {prefix:?} must be a DNS subdomain (lower-case letters, digits, '-' and '.'), at most 253 characters"
            ));
        }
    }
    if !is_label_word(name) {
        return Err(format!(
            "the name {name:?} must be 1-63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() || is_label_word(value) {
        Ok(())
    } else {
        Err(format!(
            "the value {value:?} must be empty or 1-63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        ))
    }
}

/// Checks a node label as the API server and the kubelet do: the key is a
/// qualified name, the value a label value, and a key in the `kubernetes.io`
/// or `k8s.io` namespaces is one the kubelet may set on its own node.
/// `Err` says what is wrong and what to do.
pub fn check_node_label(key: &str, value: &str) -> Result<(), String> {
    check_qualified_name(key)?;
    check_label_value(value)?;
    if let Some((prefix, _)) = key.split_once('/') {
        let within = |ns: &str| prefix == ns || prefix.ends_with(&format!(".{ns}"));
        let reserved = within("kubernetes.io") || within("k8s.io");
        let allowed = within("kubelet.kubernetes.io") || within("node.kubernetes.io");
        if reserved && !allowed && !KUBELET_SETTABLE_LABELS.contains(&key) {
            return Err("the kubelet refuses to start with kubernetes.io or k8s.io labels outside node.kubernetes.io/, kubelet.kubernetes.io/ and a few well-known keys; use a label under node.kubernetes.io/ or your own prefix, or label the node after it joined".to_string());
        }
    }
    Ok(())
}

/// Checks a taint's key and value as the API server does (a qualified name
/// and a label value); `Err` says what is wrong.
pub fn check_taint(key: &str, value: Option<&str>) -> Result<(), String> {
    check_qualified_name(key)?;
    value.map_or(Ok(()), check_label_value)
}

/// Node registration (kubeadm's `nodeRegistration`) and kubeadm run options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOptions {
    pub name_from: NameFrom,
    pub labels: BTreeMap<String, String>,
    /// `None` keeps kubeadm's default (control planes get the control-plane taint).
    pub taints: Option<Vec<Taint>>,
    pub kubelet_extra_args: BTreeMap<String, String>,
    pub skip_phases: Vec<String>,
    pub ignore_preflight_errors: Vec<String>,
    /// kubeadm's log level (`--v`); `None` keeps kubeadm's default.
    pub kubeadm_verbosity: Option<u8>,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            name_from: NameFrom::Hostname,
            labels: BTreeMap::new(),
            taints: None,
            kubelet_extra_args: BTreeMap::new(),
            skip_phases: Vec::new(),
            ignore_preflight_errors: Vec::new(),
            kubeadm_verbosity: None,
        }
    }
}

/// One file fetched at boot and checked against its SHA-512.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// Absolute path on the node.
    pub path: String,
    /// `http(s)://`, `s3://` or `data:` URL.
    pub url: String,
    /// Lowercase hex SHA-512 of the file.
    pub sha512: String,
    pub mode: u32,
    /// A `.tar.gz`/`.tgz` archive to unpack into this directory before kubeadm runs.
    pub extract_to: Option<String>,
}

/// How kubeadm, kubelet and friends reach the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Artifacts {
    /// The image already has them (e.g. a Flatcar Kubernetes sysext or a baked AMI).
    Preinstalled,
    /// Files fetched at boot (from `urls` or a resolved version manifest).
    Remote(Vec<RemoteFile>),
}

/// A file written onto the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub path: String,
    pub content: Sensitive<String>,
    pub mode: u32,
    /// `user:group`, default `root:root`.
    pub owner: Option<String>,
    /// Replace a file the renderer generates at the same path (with a
    /// warning) instead of refusing the clash. Files read from Cluster API
    /// manifests do, because Cluster API nodes have no generated files.
    pub replace_generated: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSpec {
    pub name: String,
    pub ssh_authorized_keys: Vec<String>,
    /// Supplementary groups.
    pub groups: Vec<String>,
    pub gecos: Option<String>,
    pub home_dir: Option<String>,
    pub shell: Option<String>,
    pub primary_group: Option<String>,
    /// A crypt(3) hash; without one the account has no password login.
    pub password_hash: Option<Sensitive<String>>,
}

/// Raw YAML merge patches applied onto the typed kubeadm documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeadmPatches {
    pub cluster_configuration: Option<String>,
    pub init_configuration: Option<String>,
    pub join_configuration: Option<String>,
    pub kubelet_configuration: Option<String>,
    pub kube_proxy_configuration: Option<String>,
}

/// Everything one node needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub role: Role,
    pub cluster: ClusterSpec,
    /// Required for init and control-plane; never shipped to workers.
    pub pki: Option<ControlPlanePki>,
    /// `sha256:<hex>` pins for token discovery (joins).
    pub ca_cert_hashes: Vec<String>,
    pub bootstrap_token: TokenSpec,
    pub node: NodeOptions,
    pub os: OperatingSystem,
    pub ignition_version: IgnitionVersion,
    pub artifacts: Artifacts,
    pub files: Vec<FileSpec>,
    pub pre_kubeadm_commands: Vec<String>,
    pub post_kubeadm_commands: Vec<String>,
    pub users: Vec<UserSpec>,
    pub ntp_servers: Vec<String>,
    /// Ignition JSON documents merged on top of the rendered config.
    pub additional_ignition: Vec<String>,
    pub patches: KubeadmPatches,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v = KubernetesVersion::parse("v1.31.4").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 31, 4));
        assert!(v.uses_v1beta4());
        assert!(!KubernetesVersion::parse("1.30.2").unwrap().uses_v1beta4());
        assert_eq!(KubernetesVersion::parse("v1.32.0-rc.1").unwrap().to_string(), "v1.32.0-rc.1");
        assert!(matches!(KubernetesVersion::parse("v1.21.9"), Err(VersionError::TooOld(_))));
        for bad in ["", "v1.31", "1.31.x", "v2.0.0", "v1.031.0", "v1.31.4-", "latest", "v1.31.4 "] {
            assert!(KubernetesVersion::parse(bad.trim_end_matches(' ')).is_err() || bad.ends_with(' '), "{bad}");
        }
    }

    #[test]
    fn labels_and_taints() {
        for (k, v) in [
            ("pool", "a"),
            ("example.com/empty", ""),
            ("node.kubernetes.io/pool", "infra"),
            ("kubernetes.io/os", "linux"),
            ("Zone_1", "b.c-d"),
        ] {
            assert_eq!(check_node_label(k, v), Ok(()), "{k}={v}");
        }
        for (k, v) in [
            ("", "a"),
            ("-pool", "a"),
            ("Example.com/x", "a"),
            ("a/b/c", "a"),
            ("pool", "-a"),
            ("pool", "a b"),
            ("node-role.kubernetes.io/worker", ""),
            ("x.k8s.io/y", "z"),
        ] {
            assert!(check_node_label(k, v).is_err(), "{k}={v}");
        }
        assert!(check_node_label(&"a".repeat(64), "").is_err());
        assert!(check_node_label("pool", &"a".repeat(64)).is_err());
        assert_eq!(check_taint("dedicated", Some("infra")), Ok(()));
        assert_eq!(check_taint("node-role.kubernetes.io/control-plane", None), Ok(()));
        assert!(check_taint("bad key", None).is_err());
        assert!(check_taint("ok", Some("bad value!")).is_err());
        assert!(is_dns1123_subdomain("cluster.local"));
        assert!(!is_dns1123_subdomain("Cluster.local"));
        assert!(!is_dns1123_subdomain("cluster..local"));
        assert!(!is_dns1123_subdomain(""));
    }

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(OperatingSystem::parse("fedora-coreos"), Some(OperatingSystem::FedoraCoreos));
        assert_eq!(IgnitionVersion::parse("3.4.0"), Some(IgnitionVersion::V3_4));
        assert_eq!(IgnitionVersion::parse("3.5.0"), None);
    }
}
