//! The inputs of `kubeadm_ignition_config` (resource and data source): their
//! schema, and their translation into the domain's `NodeSpec` with
//! plan-time diagnostics that point at the attribute at fault.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::bootstrap::artifacts::{self, parse_mode, valid_sha512};
use crate::bootstrap::capi;
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::kubeadm::{self, KubeadmError, CERTIFICATE_VALIDITY_DEFAULT};
use crate::bootstrap::node::{
    check_node_label, check_taint, is_dns1123_subdomain, ApiServerSpec, Artifacts, CaMaterial, ClusterSpec,
    ComponentSpec, ControlPlanePki, EtcdSpec, FileSpec, IgnitionVersion, KubeadmPatches, KubernetesVersion, NameFrom,
    NodeOptions, NodeSpec, OperatingSystem, RemoteFile, Role, Taint, TokenSpec, UserSpec, DEFAULT_DNS_DOMAIN,
    DEFAULT_SERVICE_SUBNET,
};
use crate::bootstrap::secret::Sensitive;
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::schema::{Attribute, Block, BlockType, Nesting};
use crate::tfplugin::types::Type;
use crate::tfplugin::value::Value;

/// The attributes of `kubeadm_cluster_ca` a node needs; passing the whole
/// resource object works (extra attributes are dropped by Terraform).
pub const CA_FIELDS: [&str; 9] = [
    "ca_cert_pem",
    "ca_key_pem",
    "front_proxy_ca_cert_pem",
    "front_proxy_ca_key_pem",
    "etcd_ca_cert_pem",
    "etcd_ca_key_pem",
    "service_account_public_key_pem",
    "service_account_private_key_pem",
    "ca_cert_hash",
];

/// The attributes of `kubeadm_bootstrap_token` a node needs.
pub const TOKEN_FIELDS: [&str; 5] = ["token", "expires_at", "description", "usages", "groups"];

fn object_of(fields: &[&str]) -> Type {
    Type::object(fields.iter().map(|f| {
        let t = if matches!(*f, "usages" | "groups") { Type::list(Type::String) } else { Type::String };
        (f.to_string(), t)
    }))
}

fn one_of(name: &'static str, allowed: &'static [&'static str]) -> impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync {
    move |v| match v.as_str() {
        Some(s) if !allowed.contains(&s) => vec![Diagnostic::error(
            format!("Invalid {name}"),
            format!(
                "{s:?} is not supported; use one of: {}.",
                allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
            ),
        )],
        _ => vec![],
    }
}

fn component(name: &str, what: &str) -> BlockType {
    BlockType::new(
        name,
        Nesting::Single,
        Block::new(vec![Attribute::string_map("extra_args").optional().describe(&format!("Extra flags for {what}."))]),
    )
}

/// The inputs shared by the resource and the data source.
pub fn input_block() -> Block {
    let cluster = Block::new(vec![
        Attribute::string("name")
            .optional()
            .describe("Cluster name (`clusterName`). Required unless `capi_manifests` gives it."),
        Attribute::string("kubernetes_version")
            .optional()
            // Checked by Reader::check_known with the other cluster inputs.
            .describe("Kubernetes version, e.g. `v1.31.4`. Picks kubeadm's config API: `v1beta3` for 1.22–1.30, `v1beta4` from 1.31. Required unless `capi_manifests` gives it (the Machine's `spec.version`)."),
        Attribute::string("control_plane_endpoint").optional().describe(
            "`host[:port]` of the API server load balancer (`controlPlaneEndpoint`). Required for joins; set it at init too, or control-plane nodes cannot join later (and an init node looks for its running cluster there before it founds one).",
        ),
        Attribute::string("pod_subnet").optional().describe("Pod network CIDR(s), comma-separated for dual stack."),
        Attribute::string("service_subnet")
            .default(Value::from(DEFAULT_SERVICE_SUBNET))
            .describe("Service network CIDR(s), comma-separated for dual stack."),
        Attribute::string("dns_domain").default(Value::from(DEFAULT_DNS_DOMAIN)).describe("Cluster DNS domain."),
        Attribute::string("image_repository").optional().describe("Registry for control-plane images (default: kubeadm's)."),
        Attribute::of_type("feature_gates", Type::map(Type::Bool)).optional().describe("Feature gates for every component."),
        Attribute::string("certificate_validity").optional().describe(
            "Lifetime of the certificates kubeadm signs on control planes (API server, etcd, front-proxy client, the kubeconfigs in `/etc/kubernetes`), as a Go duration such as `\"2160h\"`: kubeadm's `certificateValidityPeriod`, default `8760h` (a year). Kubernetes 1.31 and newer (kubeadm's `v1beta4` config API); an error before. `kubeadm init` reads it and keeps it in the cluster's `kubeadm-config`, where control planes that join later and `kubeadm certs renew` find it, so it matters on the init node. kubeadm's `caCertificateValidityPeriod` is not offered: kubeadm applies it only to CAs it generates, and every CA of these nodes comes from `kubeadm_cluster_ca` (set their lifetime with its `validity_days`). In compat mode `clusterConfiguration.certificateValidityPeriodDays` gives it unless this is set.",
        ),
    ])
    .with_blocks(vec![
        BlockType::new(
            "api_server",
            Nesting::Single,
            Block::new(vec![
                Attribute::string_map("extra_args").optional().describe("Extra kube-apiserver flags."),
                Attribute::string_list("cert_sans").optional().describe("Extra SANs for the API server certificate."),
            ]),
        ),
        component("controller_manager", "kube-controller-manager"),
        component("scheduler", "kube-scheduler"),
        BlockType::new(
            "etcd",
            Nesting::Single,
            Block::new(vec![
                Attribute::string_map("extra_args").optional().describe("Extra etcd flags."),
                Attribute::string("data_dir").optional().describe("etcd data directory (default `/var/lib/etcd`)."),
            ]),
        ),
    ])
    .describe("Cluster-wide settings (kubeadm's `ClusterConfiguration`).");

    let node = Block::new(vec![
        Attribute::string("name_from")
            .default(Value::from("hostname"))
            .describe("`aws`: the node name is the EC2 private DNS name and the kubelet's provider ID `aws:///<zone>/<instance>`, read from the OS metadata agent at boot. `hostname`: kubeadm's default.")
            .validate(one_of("name_from", &["aws", "hostname"])),
        Attribute::string_map("labels").optional().describe("Node labels."),
        Attribute::nested(
            "taints",
            Nesting::List,
            vec![
                Attribute::string("key").required(),
                Attribute::string("value").optional(),
                Attribute::string("effect")
                    .required()
                    .validate(one_of("taint effect", &["NoSchedule", "PreferNoSchedule", "NoExecute"])),
            ],
        )
        .optional()
        .describe("Node taints. Unset keeps kubeadm's default (control planes are tainted); `[]` means none."),
        Attribute::string_map("kubelet_extra_args").optional().describe("Extra kubelet flags."),
        Attribute::string_list("skip_phases").optional().describe("kubeadm phases to skip."),
        Attribute::string_list("ignore_preflight_errors").optional().describe("kubeadm preflight checks to ignore."),
        Attribute::number("kubeadm_verbosity").optional().describe("kubeadm's log level (`--v`, 0–10).").validate(|v| {
            match v.as_i64() {
                Some(n) if !(0..=10).contains(&n) => {
                    vec![Diagnostic::error("Invalid kubeadm_verbosity", format!("{n} is out of range; use 0 to 10."))]
                }
                // A fraction (or a number too large for an integer) would otherwise be dropped silently.
                None if !v.is_null() => {
                    vec![Diagnostic::error("Invalid kubeadm_verbosity", "Use a whole number from 0 to 10.")]
                }
                _ => vec![],
            }
        }),
    ])
    .describe("Node registration.");

    let artifacts = Block::new(vec![
        Attribute::string("source")
            .default(Value::from("preinstalled"))
            .describe("`preinstalled` (the image has kubeadm and kubelet), `manifest` (a version manifest) or `urls` (the `files` blocks).")
            .validate(one_of("artifact source", &["preinstalled", "manifest", "urls"])),
        Attribute::string("manifest_url")
            .optional()
            .describe("Where the version manifest is: a local path, `https://` or `s3://` URL (with `source = \"manifest\"`)."),
    ])
    .with_blocks(vec![BlockType::new(
        "files",
        Nesting::List,
        Block::new(vec![
            Attribute::string("path").required().describe("Absolute path on the node."),
            Attribute::string("url").required().describe("Where the node fetches it."),
            Attribute::string("sha512")
                .required()
                .describe("Hex SHA-512 of the file; the node refuses anything else.")
                .validate(|v| match v.as_str() {
                    Some(s) if !valid_sha512(s) => vec![Diagnostic::error("Invalid sha512", "Write the SHA-512 as 128 hex digits.")],
                    _ => vec![],
                }),
            Attribute::string("mode").optional().describe("File mode, default `0755`.").validate(mode_validator),
            Attribute::string("extract_to").optional().describe("Unpack this `.tar.gz` into this directory before kubeadm runs."),
        ]),
    )])
    .describe("How kubeadm, kubelet and friends reach the node.");

    let files = Block::new(vec![
        Attribute::string("path").required().describe("Absolute path."),
        Attribute::string("content").required().sensitive().describe("File contents."),
        Attribute::string("mode").default(Value::from("0644")).describe("Octal mode.").validate(mode_validator),
        Attribute::string("owner").optional().describe("`user:group`, default `root:root`."),
    ]);
    let users = Block::new(vec![
        Attribute::string("name").required().describe("Account name; created when missing."),
        Attribute::string_list("ssh_authorized_keys").optional().describe("SSH public keys, one per entry."),
        Attribute::string_list("groups").optional().describe("Supplementary groups."),
        Attribute::string("primary_group").optional().describe("Primary group."),
        Attribute::string("gecos").optional().describe("Comment (full name) field."),
        Attribute::string("home_dir").optional().describe("Home directory (absolute)."),
        Attribute::string("shell").optional().describe("Login shell (absolute)."),
        Attribute::string("password_hash")
            .optional()
            .sensitive()
            .describe("crypt(3) password hash; without one the account has no password login."),
    ]);
    let ntp = Block::new(vec![Attribute::string_list("servers").required().describe("NTP servers.")]);
    let patch_attr = |n: &str, doc: &str| {
        Attribute::string(n)
            .optional()
            .describe(&format!("YAML merge patch onto the generated {doc}; unknown fields are errors."))
    };
    let patches = Block::new(vec![
        patch_attr("cluster_configuration", "`ClusterConfiguration`"),
        patch_attr("init_configuration", "`InitConfiguration`"),
        patch_attr("join_configuration", "`JoinConfiguration`"),
        patch_attr("kubelet_configuration", "`KubeletConfiguration`"),
        patch_attr("kube_proxy_configuration", "`KubeProxyConfiguration`"),
    ]);

    Block::new(vec![
        Attribute::string("role")
            .optional()
            .describe("`init` (the first control plane: founds the cluster on its first boot; a machine that boots it while the cluster answers at `cluster.control_plane_endpoint` joins it as a control plane instead), `control-plane` (joins as control plane) or `worker`. Required unless `capi_manifests` lets the provider infer it as Cluster API would.")
            .validate(one_of("role", &["init", "control-plane", "worker"])),
        Attribute::string("name").optional().describe("Node or pool name, part of the object key."),
        Attribute::of_type("cluster_ca", object_of(&CA_FIELDS))
            .optional()
            .sensitive()
            .describe("The `kubeadm_cluster_ca` resource (the whole object). Keys ship only to init and control-plane nodes; workers get the CA hash."),
        Attribute::of_type("bootstrap_token", object_of(&TOKEN_FIELDS))
            .required()
            .sensitive()
            .describe("The `kubeadm_bootstrap_token` resource (the whole object)."),
        Attribute::string("operating_system")
            .default(Value::from("flatcar"))
            .describe("`flatcar` or `fedora-coreos`.")
            .validate(one_of("operating_system", &["flatcar", "fedora-coreos"])),
        Attribute::string("ignition_version")
            .default(Value::from("3.3.0"))
            .describe("Ignition spec version: `3.3.0` (accepted by every current Flatcar and Fedora CoreOS) or `3.4.0`.")
            .validate(one_of("ignition_version", &["3.3.0", "3.4.0"])),
        Attribute::string_list("pre_kubeadm_commands").optional().describe("Shell commands run before kubeadm."),
        Attribute::string_list("post_kubeadm_commands").optional().describe("Shell commands run after kubeadm succeeded."),
        Attribute::string_list("additional_ignition")
            .optional()
            .describe("Ignition configs (JSON) merged onto the rendered one with Ignition's merge rules."),
        Attribute::string("capi_manifests").optional().describe(
            "Compat mode: multi-document YAML with a Cluster API `KubeadmConfig`, `KubeadmConfigTemplate` or `KubeadmControlPlane` (v1alpha3–v1beta2), optionally with its `Cluster`, `Machine` or `MachineDeployment` and `Secret`s. The node is rendered from them as Cluster API's kubeadm bootstrap provider would; blocks and attributes set here override them. See the migration guide.",
        ),
        Attribute::of_type("capi_secrets", Type::map(Type::map(Type::String)))
            .optional()
            .sensitive()
            .describe("Values of the Secrets that `capi_manifests` files read with `contentFrom` (and users with `passwdFrom`): secret name → key → value (plain text)."),
    ])
    .with_blocks(vec![
        BlockType::new("cluster", Nesting::Single, cluster),
        BlockType::new("node", Nesting::Single, node),
        BlockType::new("kubernetes_artifacts", Nesting::Single, artifacts),
        BlockType::new("files", Nesting::List, files),
        BlockType::new("users", Nesting::List, users),
        BlockType::new("ntp", Nesting::Single, ntp),
        BlockType::new("kubeadm_config_patches", Nesting::Single, patches),
    ])
}

fn mode_validator(v: &Value) -> Vec<Diagnostic> {
    match v.as_str() {
        Some(s) if parse_mode(s).is_none() => {
            vec![Diagnostic::error(
                "Invalid file mode",
                format!("{s:?} is not an octal mode such as \"0644\" or \"0755\"."),
            )]
        }
        _ => vec![],
    }
}

/// kubeadm's subnet limits (`cmd/kubeadm/app/constants`):
/// `MinimumAddressesInServiceSubnet`, `MinimumAddressesInPodSubnet`,
/// `MaximumBitsForServiceSubnet` and `PodSubnetNodeMaskMaxDiff`.
const MIN_SERVICE_ADDRESSES: u64 = 10;
const MIN_POD_ADDRESSES: u64 = 14;
const MAX_SERVICE_HOST_BITS: u8 = 20;
const MAX_NODE_MASK_DIFF: u8 = 16;
/// The controller manager's default per-node pod ranges (kubeadm's
/// `getClusterNodeMask`).
const DEFAULT_NODE_MASK_V4: u8 = 24;
const DEFAULT_NODE_MASK_V6: u8 = 64;

/// One CIDR of a subnet list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    ip: IpAddr,
    len: u8,
}

impl Cidr {
    /// `address/prefix` as Go's `net.ParseCIDR` takes it: no spaces, a
    /// decimal prefix length within the family.
    fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = s.split_once('/')?;
        let ip: IpAddr = ip.parse().ok()?;
        if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let len: u8 = len.parse().ok()?;
        let cidr = Cidr { ip, len };
        (len <= cidr.bits()).then_some(cidr)
    }
    fn bits(&self) -> u8 {
        if self.ip.is_ipv4() {
            32
        } else {
            128
        }
    }
    fn family(&self) -> &'static str {
        if self.ip.is_ipv4() {
            "IPv4"
        } else {
            "IPv6"
        }
    }
    /// How many addresses it holds, saturating as kubeadm's `RangeSize` does.
    fn size(&self) -> u64 {
        let host = self.bits() - self.len;
        if host >= 63 {
            i64::MAX as u64
        } else {
            1 << host
        }
    }
    fn overlaps(&self, other: &Cidr) -> bool {
        let bits = |ip: IpAddr| -> u128 {
            match ip {
                IpAddr::V4(v) => u128::from(u32::from(v)) << 96,
                IpAddr::V6(v) => u128::from(v),
            }
        };
        if self.ip.is_ipv4() != other.ip.is_ipv4() {
            return false;
        }
        // IPv4 addresses sit in the top 32 bits, so prefix lengths count from the top for both.
        let len = u32::from(self.len.min(other.len));
        let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
        bits(self.ip) & mask == bits(other.ip) & mask
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.ip, self.len)
    }
}

/// A subnet list as kubeadm's `ValidateIPNetFromString` takes it: one CIDR,
/// or two of different families separated by a comma (dual stack), none
/// with fewer than `min` addresses. `Err` says what is wrong.
fn parse_subnets(s: &str, min: u64, example: &str) -> Result<Vec<Cidr>, String> {
    let mut out = Vec::new();
    for piece in s.split(',') {
        match Cidr::parse(piece) {
            Some(c) => out.push(c),
            None => return Err(format!("{piece:?} is not a CIDR such as {example:?}")),
        }
    }
    if out.len() > 2 || (out.len() == 2 && out[0].ip.is_ipv4() == out[1].ip.is_ipv4()) {
        return Err(format!(
            "{s:?} is not one CIDR, or two (one IPv4, one IPv6) for dual stack, as kubeadm takes them"
        ));
    }
    if let Some(c) = out.iter().find(|c| c.size() < min) {
        return Err(format!("{c} is too small: it holds {} addresses, kubeadm needs at least {min}", c.size()));
    }
    Ok(out)
}

/// kubeadm's `ValidateServiceSubnetSize` (the API server's own limit).
fn service_subnet_size(services: &[Cidr]) -> Result<(), String> {
    match services.iter().find(|c| c.bits() - c.len > MAX_SERVICE_HOST_BITS) {
        Some(c) => Err(format!(
            "{c} is too large: kubeadm and the API server take at most {MAX_SERVICE_HOST_BITS} host bits, so an {} service subnet must be a /{} or smaller",
            c.family(),
            c.bits() - MAX_SERVICE_HOST_BITS
        )),
        None => Ok(()),
    }
}

/// The controller manager flag giving each node's share of an IPv4 or IPv6
/// pod subnet.
fn node_mask_flag(c: &Cidr) -> &'static str {
    if c.ip.is_ipv4() {
        "node-cidr-mask-size-ipv4"
    } else {
        "node-cidr-mask-size-ipv6"
    }
}

/// kubeadm's `ValidatePodSubnetNodeMask`: a pod CIDR holds whole per-node
/// ranges, and at most 2^16 of them. `flag` gives the controller manager's
/// value of `node-cidr-mask-size-ipv4`/`-ipv6`: `None` when unknown (that
/// CIDR is not checked), `Some(None)` when unset (kubeadm's default).
fn pod_subnet_node_mask(pods: &[Cidr], flag: impl Fn(&str) -> Option<Option<String>>) -> Result<(), String> {
    for c in pods {
        let name = node_mask_flag(c);
        let mask = match flag(name) {
            None => continue,
            Some(None) => {
                if c.ip.is_ipv4() {
                    DEFAULT_NODE_MASK_V4
                } else {
                    DEFAULT_NODE_MASK_V6
                }
            }
            Some(Some(v)) => match v.parse::<u8>() {
                Ok(n) => n,
                Err(_) => {
                    return Err(format!(
                        "the kube-controller-manager flag {name} is {v:?}, which kubeadm cannot read as an integer; set cluster.controller_manager.extra_args[\"{name}\"] to a prefix length such as \"24\""
                    ))
                }
            },
        };
        if c.len > mask {
            return Err(format!(
                "{c} is smaller than the /{mask} range the controller manager gives each node ({name}); use a pod subnet of /{mask} or larger, or set cluster.controller_manager.extra_args[\"{name}\"]"
            ));
        }
        if mask - c.len > MAX_NODE_MASK_DIFF {
            return Err(format!(
                "{c} would hold more than 2^{MAX_NODE_MASK_DIFF} node ranges of /{mask} ({name}), more than kubeadm allows; use a /{} or smaller pod subnet, or raise cluster.controller_manager.extra_args[\"{name}\"]",
                mask - MAX_NODE_MASK_DIFF
            ));
        }
    }
    Ok(())
}

/// Checks `host[:port]` as kubeadm does (`ParseHostPort` and the render's
/// own rules): the port, when given, is 1-65535 and the host an IP address
/// or a lower-case DNS name. `Err` says what is wrong.
fn check_endpoint(e: &str) -> Result<(), String> {
    match kubeadm::endpoint_with_port(e) {
        Err(KubeadmError::InvalidControlPlaneEndpoint { reason, .. }) => return Err(reason.to_string()),
        Err(other) => return Err(other.to_string()),
        Ok(_) => {}
    }
    let host = if let Some(rest) = e.strip_prefix('[') {
        // Go's SplitHostPort only takes brackets with a port after them.
        match rest.split_once("]:") {
            Some((h, _)) => h,
            None => {
                return Err(
                    "kubeadm takes a bracketed IPv6 address only with a port; write [fd00::1]:6443, or the address without brackets".into(),
                )
            }
        }
    } else if e.matches(':').count() == 1 {
        e.split_once(':').map_or(e, |(h, _)| h)
    } else {
        e
    };
    if host.parse::<IpAddr>().is_ok() || is_dns1123_subdomain(host) {
        Ok(())
    } else {
        Err(format!("the host {host:?} is neither an IP address nor a lower-case DNS name"))
    }
}

/// An API server certificate SAN as kubeadm's `ValidateCertSANs` takes it:
/// an IP address, a DNS name or a wildcard DNS name (`*.example.com`).
fn valid_cert_san(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok() || is_dns1123_subdomain(s) || s.strip_prefix("*.").is_some_and(is_dns1123_subdomain)
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_string_map().unwrap_or_default()
}

fn string_vec(v: &Value) -> Vec<String> {
    v.as_string_vec().unwrap_or_default()
}

/// The result of reading the inputs: a NodeSpec, or `None` when something is
/// still unknown (the plan then leaves rendered values unknown) or wrong
/// (errors are in the diagnostics).
pub struct Reader<'a> {
    pub config: &'a Value,
    pub diags: &'a mut Diagnostics,
    /// Fetch the artifacts manifest (plan and apply); validation skips it.
    pub fetch_manifest: bool,
    /// Manifests already read by the caller (once per process, `s3://` ones
    /// through the store's client): URL → bytes, or the reason they could not
    /// be read. A URL missing here is read on the spot.
    pub prefetched: Option<&'a BTreeMap<String, Result<Vec<u8>, String>>>,
}

/// How many problems of one list (files, manifest findings) are reported
/// one by one before the rest are only counted.
const MAX_REPORTED: usize = 20;

fn err(diags: &mut Diagnostics, path: AttrPath, summary: &str, detail: String) {
    diags.push(Diagnostic::error(summary, detail).at(path));
}

/// Compat mode as far as it is known.
enum Compat {
    /// No `capi_manifests`.
    Off,
    /// `capi_manifests` or `capi_secrets` is still unknown.
    Unknown,
    /// The manifests have errors (already reported).
    Unusable,
    On(Box<capi::Manifests>),
}

/// A cluster value `capi_manifests` can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CapiField {
    Version,
    Name,
    Endpoint,
    PodSubnet,
    ServiceSubnet,
    DnsDomain,
    CertSans,
    EtcdDataDir,
}

impl CapiField {
    /// The value the manifests give, as `capi::parse` resolved it.
    fn value(self, m: &capi::Manifests) -> Option<String> {
        let cc = m.spec.cluster.as_ref();
        match self {
            CapiField::Version => m.kubernetes_version.clone(),
            CapiField::Name => m.cluster_name.clone(),
            CapiField::Endpoint => m.control_plane_endpoint.clone(),
            CapiField::PodSubnet => m.pod_subnet.clone(),
            CapiField::ServiceSubnet => m.service_subnet.clone(),
            CapiField::DnsDomain => m.dns_domain.clone(),
            CapiField::CertSans => None,
            CapiField::EtcdDataDir => cc.and_then(|c| c.etcd.data_dir.clone()),
        }
    }
}

/// Where an effective input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// An attribute (set, or the schema's default).
    Attr(AttrPath),
    /// `capi_manifests`.
    Capi(CapiField),
}

impl Origin {
    fn path(&self) -> AttrPath {
        match self {
            Origin::Attr(p) => p.clone(),
            Origin::Capi(_) => AttrPath::attr("capi_manifests"),
        }
    }
}

/// An input as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    /// Unknown, or given by manifests that are unknown or unusable.
    Unknown,
    /// Neither set nor given by the manifests.
    Absent,
    Given(String, Origin),
}

/// The manifests' objects: kind, the label findings use, the document.
fn manifest_objects(text: &str) -> Vec<(String, String, serde_yaml_ng::Value)> {
    use serde::Deserialize as _;
    let mut out = Vec::new();
    for (index, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let Ok(v) = serde_yaml_ng::Value::deserialize(doc) else { break };
        let field = |k: &str| yaml_at(&v, k).and_then(serde_yaml_ng::Value::as_str).map(str::to_string);
        let (Some(kind), Some(name)) = (field("kind"), field("metadata.name")) else { continue };
        let ns = field("metadata.namespace").unwrap_or_else(|| "default".to_string());
        out.push((kind.clone(), format!("{kind} {ns}/{name} (document {})", index + 1), v));
    }
    out
}

fn yaml_at<'v>(v: &'v serde_yaml_ng::Value, path: &str) -> Option<&'v serde_yaml_ng::Value> {
    path.split('.').try_fold(v, |v, k| v.get(k)).filter(|v| !v.is_null())
}

/// Where in the manifests `capi::parse` took `field` from, as
/// `<Kind> <namespace>/<name> (document <n>), <YAML path>`, in its order:
/// the Machine (or MachineDeployment, or KubeadmControlPlane) for the
/// version, the `clusterConfiguration` and then the Cluster for the rest.
fn capi_location(text: &str, m: &capi::Manifests, field: CapiField) -> String {
    let objects = manifest_objects(text);
    let find = |kinds: &[&str], path: &str| {
        objects
            .iter()
            .find(|(kind, _, v)| kinds.contains(&kind.as_str()) && yaml_at(v, path).is_some())
            .map(|(_, label, _)| format!("{label}, {path}"))
    };
    let spec = match m.source.split(' ').next() {
        Some("KubeadmConfigTemplate") => "spec.template.spec",
        Some("KubeadmControlPlane") => "spec.kubeadmConfigSpec",
        _ => "spec",
    };
    let in_config = |p: &str| format!("{}, {spec}.clusterConfiguration.{p}", m.source);
    let cc = m.spec.cluster.clone().unwrap_or_default();
    let from_cluster = |set: bool, config_path: &str, cluster_path: &str| {
        if set {
            in_config(config_path)
        } else {
            find(&["Cluster"], cluster_path).unwrap_or_else(|| in_config(config_path))
        }
    };
    match field {
        CapiField::Version => find(&["Machine"], "spec.version")
            .or_else(|| find(&["MachineDeployment", "MachineSet", "MachinePool"], "spec.template.spec.version"))
            .or_else(|| find(&["KubeadmControlPlane"], "spec.version"))
            .unwrap_or_else(|| in_config("kubernetesVersion")),
        CapiField::Name => from_cluster(cc.name.is_some(), "clusterName", "metadata.name"),
        CapiField::Endpoint => {
            if cc.control_plane_endpoint.as_deref().is_some_and(|e| !e.is_empty()) {
                in_config("controlPlaneEndpoint")
            } else {
                find(&["Cluster"], "spec.controlPlaneEndpoint")
                    .unwrap_or_else(|| format!("{}, {spec}.joinConfiguration.discovery", m.source))
            }
        }
        CapiField::PodSubnet => {
            from_cluster(cc.pod_subnet.is_some(), "networking.podSubnet", "spec.clusterNetwork.pods.cidrBlocks")
        }
        CapiField::ServiceSubnet => from_cluster(
            cc.service_subnet.is_some(),
            "networking.serviceSubnet",
            "spec.clusterNetwork.services.cidrBlocks",
        ),
        CapiField::DnsDomain => {
            from_cluster(cc.dns_domain.is_some(), "networking.dnsDomain", "spec.clusterNetwork.serviceDomain")
        }
        CapiField::CertSans => in_config("apiServer.certSANs"),
        CapiField::EtcdDataDir => in_config("etcd.local.dataDir"),
    }
}

/// What [`Reader::check_known`] made of the inputs, for the full read.
#[derive(Debug, Default)]
struct Checked {
    role: Option<Role>,
    version: Option<KubernetesVersion>,
}

impl Reader<'_> {
    /// Checks what can be checked without rendering (used by validation too).
    pub fn read(&mut self) -> Option<NodeSpec> {
        let c = self.config;
        let compat = self.compat();
        let checked = self.check_known(&compat);
        if !c.is_wholly_known() {
            // Wait for the rest.
            self.check_partial(checked.version.as_ref());
            return None;
        }
        let capi = match compat {
            Compat::Off => None,
            Compat::On(m) => Some(*m),
            Compat::Unknown | Compat::Unusable => return None,
        };
        // check_known reported a role or version that is missing or wrong.
        let (role, version) = (checked.role?, checked.version?);
        let cl = c.get("cluster");
        let hcl_str = |v: &Value| v.as_str().map(str::to_string);
        let from_capi = |f: fn(&capi::Manifests) -> Option<String>| capi.as_ref().and_then(f);
        let resolved = capi.as_ref().map(|m| m.resolve(role, version.uses_v1beta4()));
        if let Some(r) = &resolved {
            self.findings(&r.findings);
        }
        let cluster_name = hcl_str(cl.get("name")).or_else(|| from_capi(|m| m.cluster_name.clone()))?;
        let endpoint =
            hcl_str(cl.get("control_plane_endpoint")).or_else(|| from_capi(|m| m.control_plane_endpoint.clone()));
        let service_subnet = hcl_str(cl.get("service_subnet"))
            .or_else(|| from_capi(|m| m.service_subnet.clone()))
            .unwrap_or_else(|| DEFAULT_SERVICE_SUBNET.to_string());
        let pod_subnet = hcl_str(cl.get("pod_subnet")).or_else(|| from_capi(|m| m.pod_subnet.clone()));
        let cc = capi.as_ref().and_then(|m| m.spec.cluster.clone()).unwrap_or_default();
        let api = cl.get("api_server");
        let merged = |base: &BTreeMap<String, String>, over: &Value| {
            let mut out = base.clone();
            out.extend(string_map(over));
            out
        };
        let mut feature_gates = cc.feature_gates.clone();
        if let Some(m) = cl.get("feature_gates").as_entries() {
            feature_gates.extend(m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_bool()?))));
        }
        let certificate_validity = match cl.get("certificate_validity").as_str() {
            // check_known refused a value that does not parse.
            Some(text) => GoDuration::parse(text).ok(),
            // The manifests' value only where kubeadm has the field (resolve warned otherwise).
            None => cc.certificate_validity.as_ref().map(|(d, _)| *d).filter(|_| version.uses_v1beta4()),
        };
        let cluster = ClusterSpec {
            name: cluster_name,
            kubernetes_version: version.clone(),
            control_plane_endpoint: endpoint.unwrap_or_default(),
            pod_subnet,
            service_subnet,
            dns_domain: hcl_str(cl.get("dns_domain"))
                .or_else(|| from_capi(|m| m.dns_domain.clone()))
                .unwrap_or_else(|| DEFAULT_DNS_DOMAIN.to_string()),
            image_repository: hcl_str(cl.get("image_repository")).or(cc.image_repository.clone()),
            feature_gates,
            api_server: ApiServerSpec {
                extra_args: merged(&cc.api_server.extra_args, api.get("extra_args")),
                cert_sans: api.get("cert_sans").as_string_vec().unwrap_or(cc.api_server.cert_sans.clone()),
            },
            controller_manager: ComponentSpec {
                extra_args: merged(&cc.controller_manager.extra_args, cl.get("controller_manager").get("extra_args")),
            },
            scheduler: ComponentSpec {
                extra_args: merged(&cc.scheduler.extra_args, cl.get("scheduler").get("extra_args")),
            },
            etcd: EtcdSpec {
                extra_args: merged(&cc.etcd.extra_args, cl.get("etcd").get("extra_args")),
                data_dir: hcl_str(cl.get("etcd").get("data_dir")).or(cc.etcd.data_dir.clone()),
            },
            certificate_validity,
        };

        // check_known reported a missing or incomplete CA.
        let ca = c.get("cluster_ca");
        let (pki, mut hashes) = if ca.is_null() {
            (None, Vec::new())
        } else {
            let s = |k: &str| ca.get(k).as_str().unwrap_or_default().to_string();
            let pki = role.is_control_plane().then(|| ControlPlanePki {
                ca: CaMaterial { cert_pem: s("ca_cert_pem"), key_pem: Sensitive::new(s("ca_key_pem")) },
                front_proxy_ca: CaMaterial {
                    cert_pem: s("front_proxy_ca_cert_pem"),
                    key_pem: Sensitive::new(s("front_proxy_ca_key_pem")),
                },
                etcd_ca: CaMaterial { cert_pem: s("etcd_ca_cert_pem"), key_pem: Sensitive::new(s("etcd_ca_key_pem")) },
                sa_public_pem: s("service_account_public_key_pem"),
                sa_private_pem: Sensitive::new(s("service_account_private_key_pem")),
            });
            (pki, vec![s("ca_cert_hash")])
        };
        if let Some(r) = &resolved {
            for h in &r.node.ca_cert_hashes {
                if !hashes.contains(h) {
                    hashes.push(h.clone());
                }
            }
        }

        let tok = c.get("bootstrap_token");
        let bootstrap_token = TokenSpec {
            token: Sensitive::new(tok.get("token").as_str().unwrap_or_default().to_string()),
            description: tok.get("description").as_str().map(str::to_string),
            expires: tok.get("expires_at").as_str().map(str::to_string),
            usages: string_vec(tok.get("usages")),
            groups: string_vec(tok.get("groups")),
        };

        let n = c.get("node");
        let part = resolved.as_ref().map(|r| r.node.clone()).unwrap_or_default();
        let name_from = match n.get("name_from").as_str() {
            Some("aws") => NameFrom::Aws,
            Some(_) => NameFrom::Hostname,
            None => part.name.name_from().unwrap_or(NameFrom::Hostname),
        };
        let hcl_taints = n.get("taints").as_elements().map(|ts| {
            ts.iter()
                .map(|t| Taint {
                    key: t.get("key").as_str().unwrap_or_default().to_string(),
                    value: t.get("value").as_str().map(str::to_string),
                    effect: t.get("effect").as_str().unwrap_or_default().to_string(),
                })
                .collect()
        });
        let node = NodeOptions {
            name_from,
            labels: string_map(n.get("labels")),
            taints: hcl_taints.or(part.taints.clone()),
            kubelet_extra_args: merged(&part.kubelet_extra_args, n.get("kubelet_extra_args")),
            skip_phases: n.get("skip_phases").as_string_vec().unwrap_or(part.skip_phases.clone()),
            ignore_preflight_errors: n
                .get("ignore_preflight_errors")
                .as_string_vec()
                .unwrap_or(part.ignore_preflight_errors.clone()),
            kubeadm_verbosity: n
                .get("kubeadm_verbosity")
                .as_i64()
                .and_then(|v| u8::try_from(v).ok())
                .or(capi.as_ref().and_then(|m| m.spec.verbosity)),
        };
        let os = OperatingSystem::parse(c.get("operating_system").as_str().unwrap_or("flatcar"))?;
        let ignition_version = IgnitionVersion::parse(c.get("ignition_version").as_str().unwrap_or("3.3.0"))?;
        let artifacts = self.artifacts(os, &version)?;
        let spec_of = capi.as_ref().map(|m| m.spec.clone()).unwrap_or_default();
        // HCL files and users replace manifest entries with the same path or name.
        let mut files = spec_of.files.clone();
        for f in self.files() {
            files.retain(|x| x.path != f.path);
            files.push(f);
        }
        let mut users = spec_of.users.clone();
        for u in c.get("users").as_elements().unwrap_or_default() {
            let user = UserSpec {
                name: u.get("name").as_str().unwrap_or_default().to_string(),
                ssh_authorized_keys: string_vec(u.get("ssh_authorized_keys")),
                groups: string_vec(u.get("groups")),
                gecos: hcl_str(u.get("gecos")),
                home_dir: hcl_str(u.get("home_dir")),
                shell: hcl_str(u.get("shell")),
                primary_group: hcl_str(u.get("primary_group")),
                password_hash: hcl_str(u.get("password_hash")).map(Sensitive::new),
            };
            users.retain(|x| x.name != user.name);
            users.push(user);
        }
        let mut additional_ignition = spec_of.additional_ignition.clone();
        additional_ignition.extend(string_vec(c.get("additional_ignition")));
        let p = c.get("kubeadm_config_patches");
        let capi_patches = resolved.as_ref().map(|r| r.patches.clone()).unwrap_or_default();
        let patch = |k: &str, from_capi: &Option<String>| {
            let hcl = p.get(k).as_str().map(str::to_string);
            match (from_capi, hcl) {
                (Some(a), Some(b)) => capi::compose_patches(a, &b).or(Some(b)),
                (a, b) => b.or(a.clone()),
            }
        };
        let ntp = c.get("ntp");
        let spec = NodeSpec {
            role,
            cluster,
            pki,
            ca_cert_hashes: hashes,
            bootstrap_token,
            node,
            os,
            ignition_version,
            artifacts,
            files,
            pre_kubeadm_commands: c
                .get("pre_kubeadm_commands")
                .as_string_vec()
                .unwrap_or(spec_of.pre_kubeadm_commands.clone()),
            post_kubeadm_commands: c
                .get("post_kubeadm_commands")
                .as_string_vec()
                .unwrap_or(spec_of.post_kubeadm_commands.clone()),
            users,
            ntp_servers: if ntp.is_null() { spec_of.ntp_servers.clone() } else { string_vec(ntp.get("servers")) },
            additional_ignition,
            patches: KubeadmPatches {
                cluster_configuration: patch("cluster_configuration", &capi_patches.cluster_configuration),
                init_configuration: patch("init_configuration", &capi_patches.init_configuration),
                join_configuration: patch("join_configuration", &capi_patches.join_configuration),
                kubelet_configuration: patch("kubelet_configuration", &None),
                kube_proxy_configuration: patch("kube_proxy_configuration", &None),
            },
        };
        (!self.diags.has_errors()).then_some(spec)
    }

    /// Compat mode as far as it is known; parses the manifests once they
    /// and their secrets are known (reporting their findings).
    fn compat(&mut self) -> Compat {
        let c = self.config;
        let m = c.get("capi_manifests");
        if m.is_null() {
            return Compat::Off;
        }
        if m.is_unknown() || !c.get("capi_secrets").is_wholly_known() {
            return Compat::Unknown;
        }
        match self.capi() {
            Some(Some(m)) => Compat::On(Box::new(m)),
            Some(None) => Compat::Off,
            None => Compat::Unusable,
        }
    }

    /// The effective value of the string attribute at `attr`: what HCL sets,
    /// else what the manifests give.
    fn input(&self, compat: &Compat, attr: &[&str], field: CapiField) -> Input {
        let mut v = self.config;
        let mut path = AttrPath::root();
        for step in attr {
            if v.is_unknown() {
                return Input::Unknown;
            }
            v = v.get(step);
            path = path.then_attr(step);
        }
        if v.is_unknown() {
            return Input::Unknown;
        }
        if let Some(s) = v.as_str() {
            return Input::Given(s.to_string(), Origin::Attr(path));
        }
        match compat {
            Compat::Off => Input::Absent,
            Compat::Unknown | Compat::Unusable => Input::Unknown,
            Compat::On(m) => field.value(m).map_or(Input::Absent, |s| Input::Given(s, Origin::Capi(field))),
        }
    }

    /// How a detail about a value from `origin` starts: nothing for an
    /// attribute, the object and YAML path for the manifests.
    fn lead(&self, compat: &Compat, origin: &Origin) -> String {
        match (origin, compat) {
            (Origin::Capi(field), Compat::On(m)) => {
                let text = self.config.get("capi_manifests").as_str().unwrap_or_default();
                format!("{}: ", capi_location(text, m, *field))
            }
            _ => String::new(),
        }
    }

    /// Reports an error about the value from `origin`, at its attribute.
    fn report(&mut self, compat: &Compat, origin: &Origin, summary: &str, problem: &str, todo: &str) {
        let detail = format!("{}{problem}. {todo}", self.lead(compat, origin));
        err(self.diags, origin.path(), summary, detail);
    }

    /// A kube-controller-manager flag as the node will get it (HCL over the
    /// manifests): `None` while it cannot be told, `Some(None)` when unset.
    fn controller_manager_arg(&self, compat: &Compat, name: &str) -> Option<Option<String>> {
        let cl = self.config.get("cluster");
        let cm = cl.get("controller_manager");
        let args = cm.get("extra_args");
        if cl.is_unknown() || cm.is_unknown() || args.is_unknown() {
            return None;
        }
        // A cluster_configuration patch may set it too.
        let patch = self.config.get("kubeadm_config_patches");
        let doc = patch.get("cluster_configuration");
        if patch.is_unknown() || doc.is_unknown() || doc.as_str().is_some_and(|p| p.contains(name)) {
            return None;
        }
        let hcl = args.get(name);
        if hcl.is_unknown() {
            return None;
        }
        if let Some(v) = hcl.as_str() {
            return Some(Some(v.to_string()));
        }
        match compat {
            Compat::Off => Some(None),
            Compat::Unknown | Compat::Unusable => None,
            Compat::On(m) => {
                Some(m.spec.cluster.as_ref().and_then(|c| c.controller_manager.extra_args.get(name).cloned()))
            }
        }
    }

    /// Checks every input that is known on its own, whatever else is still
    /// unknown: on the first plan of a new cluster the CA and the token are
    /// unknown, and what kubeadm would refuse must still fail there. The one
    /// place these checks run, for partial and fully known configurations
    /// alike (validation, plan, apply).
    fn check_known(&mut self, compat: &Compat) -> Checked {
        let c = self.config;
        let mut out = Checked::default();
        let cluster = AttrPath::attr("cluster");

        // The role: HCL (its validator reports bad names), or inferred.
        let role = c.get("role");
        if role.is_null() {
            match compat {
                Compat::On(m) => match m.inferred_role() {
                    Ok(r) => out.role = Some(r),
                    Err(why) => err(
                        self.diags,
                        AttrPath::attr("role"),
                        "Cannot infer the node's role",
                        format!("{why}. Set role = \"init\", \"control-plane\" or \"worker\"."),
                    ),
                },
                Compat::Off => err(
                    self.diags,
                    AttrPath::attr("role"),
                    "Missing role",
                    "Set role = \"init\", \"control-plane\" or \"worker\" (or give capi_manifests to infer it).".into(),
                ),
                Compat::Unknown | Compat::Unusable => {}
            }
        } else {
            out.role = role.as_str().and_then(Role::parse);
        }

        match self.input(compat, &["cluster", "kubernetes_version"], CapiField::Version) {
            Input::Given(text, origin) => match KubernetesVersion::parse(&text) {
                Ok(v) => out.version = Some(v),
                Err(e) => {
                    let todo = match origin {
                        Origin::Attr(_) => "Set cluster.kubernetes_version to a release from v1.22 on, e.g. \"v1.31.4\".",
                        Origin::Capi(_) => "Give the manifests a release from v1.22 on, or set cluster.kubernetes_version to override them.",
                    };
                    self.report(compat, &origin, "Unsupported Kubernetes version", &e.to_string(), todo);
                }
            },
            Input::Absent => err(
                self.diags,
                cluster.clone().then_attr("kubernetes_version"),
                "Missing kubernetes_version",
                "Set cluster.kubernetes_version, e.g. \"v1.31.4\" (in compat mode the Machine's spec.version gives it).".into(),
            ),
            Input::Unknown => {}
        }
        if self.input(compat, &["cluster", "name"], CapiField::Name) == Input::Absent {
            err(
                self.diags,
                cluster.clone().then_attr("name"),
                "Missing cluster name",
                "Set cluster.name (in compat mode the Cluster object gives it).".into(),
            );
        }

        match self.input(compat, &["cluster", "control_plane_endpoint"], CapiField::Endpoint) {
            Input::Given(e, origin) => {
                if let Err(why) = check_endpoint(&e) {
                    self.report(
                        compat,
                        &origin,
                        "Invalid control_plane_endpoint",
                        &format!("{e:?} is not host[:port]: {why}"),
                        "Give the API load balancer's host[:port], e.g. \"api.prod.example.com:6443\".",
                    );
                }
            }
            Input::Absent => {
                if let Some(r) = out.role.filter(|r| *r != Role::Init) {
                    err(
                        self.diags,
                        cluster.clone().then_attr("control_plane_endpoint"),
                        "Missing control_plane_endpoint",
                        format!("A {} node joins through the control-plane endpoint; set cluster.control_plane_endpoint to the API load balancer's host[:port].", r.as_str()),
                    );
                }
            }
            Input::Unknown => {}
        }

        self.check_networks(compat);
        self.check_certificate_validity(out.version.as_ref());

        if let Input::Given(d, origin) = self.input(compat, &["cluster", "dns_domain"], CapiField::DnsDomain) {
            if !is_dns1123_subdomain(&d) {
                self.report(
                    compat,
                    &origin,
                    "Invalid dns_domain",
                    &format!("{d:?} is not a lower-case DNS name (letters, digits, '-' and '.', at most 253 characters), as kubeadm requires"),
                    "Use a domain such as \"cluster.local\".",
                );
            }
        }
        if let Input::Given(d, origin) = self.input(compat, &["cluster", "etcd", "data_dir"], CapiField::EtcdDataDir) {
            if !d.starts_with('/') {
                self.report(
                    compat,
                    &origin,
                    "Invalid etcd data_dir",
                    &format!("{d:?} is not an absolute path, which kubeadm requires"),
                    "Use an absolute directory such as \"/var/lib/etcd\".",
                );
            }
        }
        self.check_cert_sans(compat);
        self.check_node_registration();

        // The CA and the token, when they are known.
        let ca = c.get("cluster_ca");
        if ca.is_null() {
            let detail = match out.role {
                Some(r) => format!(
                    "A {} node needs the cluster CA ({}); set cluster_ca = kubeadm_cluster_ca.<name>.",
                    r.as_str(),
                    if r.is_control_plane() { "its keys go to /etc/kubernetes/pki" } else { "joins pin its hash" }
                ),
                None => "Set cluster_ca = kubeadm_cluster_ca.<name>.".into(),
            };
            err(self.diags, AttrPath::attr("cluster_ca"), "Missing cluster_ca", detail);
        } else if ca.is_wholly_known() {
            let empty = |f: &&str| ca.get(f).as_str().is_none_or(str::is_empty);
            if out.role.is_some_and(Role::is_control_plane) {
                let missing: Vec<&str> = CA_FIELDS[..8].iter().copied().filter(empty).collect();
                if !missing.is_empty() {
                    err(
                        self.diags,
                        AttrPath::attr("cluster_ca"),
                        "Incomplete cluster_ca",
                        format!("A control-plane node needs every CA pair; missing: {}.", missing.join(", ")),
                    );
                }
            }
            if empty(&"ca_cert_hash") {
                err(
                    self.diags,
                    AttrPath::attr("cluster_ca"),
                    "Incomplete cluster_ca",
                    "cluster_ca has no ca_cert_hash; pass the whole kubeadm_cluster_ca resource.".into(),
                );
            }
        }
        let tok = c.get("bootstrap_token");
        if !tok.is_null() && tok.is_wholly_known() {
            let token = tok.get("token").as_str().unwrap_or_default();
            if crate::bootstrap::token::BootstrapToken::parse(token).is_err() {
                err(
                    self.diags,
                    AttrPath::attr("bootstrap_token"),
                    "Invalid bootstrap_token",
                    "bootstrap_token.token is not a kubeadm token; pass the whole kubeadm_bootstrap_token resource."
                        .into(),
                );
            }
        }
        out
    }

    /// The pod and service subnets: kubeadm's `ValidateNetworking` rules, and
    /// no pod CIDR overlapping a service CIDR.
    fn check_networks(&mut self, compat: &Compat) {
        let services = match self.input(compat, &["cluster", "service_subnet"], CapiField::ServiceSubnet) {
            // The schema's default.
            Input::Absent => Input::Given(
                DEFAULT_SERVICE_SUBNET.to_string(),
                Origin::Attr(AttrPath::attr("cluster").then_attr("service_subnet")),
            ),
            other => other,
        };
        let svc = match &services {
            Input::Given(text, origin) => {
                match parse_subnets(text, MIN_SERVICE_ADDRESSES, DEFAULT_SERVICE_SUBNET)
                    .and_then(|s| service_subnet_size(&s).map(|()| s))
                {
                    Ok(s) => Some(s),
                    Err(why) => {
                        self.report(
                            compat,
                            origin,
                            "Invalid service_subnet",
                            &why,
                            "Give the service network as one CIDR, or an IPv4 and an IPv6 CIDR separated by a comma for dual stack.",
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        let Input::Given(pod_text, pod_origin) = self.input(compat, &["cluster", "pod_subnet"], CapiField::PodSubnet)
        else {
            return;
        };
        let pods = match parse_subnets(&pod_text, MIN_POD_ADDRESSES, "192.168.0.0/16") {
            Ok(p) => p,
            Err(why) => {
                self.report(
                    compat,
                    &pod_origin,
                    "Invalid pod_subnet",
                    &why,
                    "Give the pod network as one CIDR, or an IPv4 and an IPv6 CIDR separated by a comma for dual stack.",
                );
                return;
            }
        };
        // kubeadm skips the node-mask rule when the controller manager does not allocate node ranges.
        let allocates = self.controller_manager_arg(compat, "allocate-node-cidrs");
        if allocates.as_ref().is_some_and(|a| a.as_deref() != Some("false")) {
            if let Err(why) = pod_subnet_node_mask(&pods, |flag| self.controller_manager_arg(compat, flag)) {
                self.report(
                    compat,
                    &pod_origin,
                    "Invalid pod_subnet",
                    &why,
                    "kubeadm refuses this pod subnet with the controller manager's per-node ranges.",
                );
                return;
            }
        }
        if let (Some(svc), Input::Given(svc_text, _)) = (&svc, &services) {
            let clash = pods.iter().find_map(|p| svc.iter().find(|s| p.overlaps(s)).map(|s| (p, s)));
            if let Some((p, s)) = clash {
                self.report(
                    compat,
                    &pod_origin,
                    "Overlapping subnets",
                    &format!("pod_subnet {pod_text:?} overlaps service_subnet {svc_text:?} ({p} and {s})"),
                    "Pick disjoint ranges.",
                );
            }
        }
    }

    /// `cluster.certificate_validity`: a positive Go duration, on a release
    /// whose kubeadm config API has the field (v1beta4, Kubernetes 1.31+).
    /// At plan time, a value above kubeadm's default draws the warning
    /// kubeadm itself would print.
    fn check_certificate_validity(&mut self, version: Option<&KubernetesVersion>) {
        let cl = self.config.get("cluster");
        let value = cl.get("certificate_validity");
        if cl.is_unknown() || value.is_unknown() {
            return;
        }
        let Some(text) = value.as_str() else { return };
        let at = AttrPath::attr("cluster").then_attr("certificate_validity");
        let examples = "Give a Go duration such as \"8760h\" (a year, kubeadm's default) or \"2160h\" (90 days).";
        let validity = match GoDuration::parse(text) {
            Ok(d) if d > GoDuration::ZERO => d,
            Ok(_) => {
                let problem = format!(
                    "{text:?} is not a positive duration: a certificate valid for no time expires as kubeadm signs it"
                );
                return err(self.diags, at, "Invalid certificate_validity", format!("{problem}. {examples}"));
            }
            Err(e) => return err(self.diags, at, "Invalid certificate_validity", format!("{e}. {examples}")),
        };
        if let Some(v) = version.filter(|v| !v.uses_v1beta4()) {
            err(
                self.diags,
                at,
                "certificate_validity needs Kubernetes 1.31+",
                format!("kubeadm reads the certificate lifetime from ClusterConfiguration.certificateValidityPeriod, which its v1beta4 config API (Kubernetes 1.31 and newer) introduced; this node is for {v}, whose kubeadm (v1beta3) has no such setting and signs for a year. Remove certificate_validity, or set cluster.kubernetes_version to v1.31 or newer."),
            );
        } else if validity > CERTIFICATE_VALIDITY_DEFAULT && self.fetch_manifest {
            self.diags.push(
                Diagnostic::warning(
                    "Long certificate_validity",
                    format!("{text:?} is longer than kubeadm's default and recommended lifetime of a year (8760h); kubeadm signs with it but warns at init. Certificates that live longer are longer exposed when a key leaks, and none outlives the CA that signed it."),
                )
                .at(at),
            );
        }
    }

    /// `cluster.api_server.cert_sans` (or the manifests' `certSANs`):
    /// kubeadm's `ValidateCertSANs`.
    fn check_cert_sans(&mut self, compat: &Compat) {
        let cl = self.config.get("cluster");
        let api = cl.get("api_server");
        let sans = api.get("cert_sans");
        if cl.is_unknown() || api.is_unknown() || sans.is_unknown() {
            return;
        }
        let at = AttrPath::attr("cluster").then_attr("api_server").then_attr("cert_sans");
        let bad = |s: &str| !valid_cert_san(s);
        let found: Vec<(Origin, String)> = match sans.as_elements() {
            Some(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    v.as_str().filter(|s| bad(s)).map(|s| (Origin::Attr(at.clone().then_index(i)), s.to_string()))
                })
                .collect(),
            None => match compat {
                Compat::On(m) => m
                    .spec
                    .cluster
                    .iter()
                    .flat_map(|c| c.api_server.cert_sans.iter())
                    .filter(|s| bad(s))
                    .map(|s| (Origin::Capi(CapiField::CertSans), s.clone()))
                    .take(1)
                    .collect(),
                _ => Vec::new(),
            },
        };
        for (origin, s) in found.into_iter().take(MAX_REPORTED) {
            self.report(
                compat,
                &origin,
                "Invalid cert_sans",
                &format!("{s:?} is neither an IP address, a lower-case DNS name nor a wildcard DNS name (*.example.com), as kubeadm requires"),
                "Fix or remove the entry.",
            );
        }
    }

    /// Node labels and taints, as the API server and the kubelet check them.
    fn check_node_registration(&mut self) {
        let n = self.config.get("node");
        if n.is_unknown() {
            return;
        }
        let at = AttrPath::attr("node");
        let labels = n.get("labels");
        let mut found = Diagnostics::new();
        for (k, v) in labels.as_entries().into_iter().flatten() {
            let Some(v) = v.as_str() else { continue };
            if let Err(why) = check_node_label(k, v) {
                err(&mut found, at.clone().then_attr("labels"), "Invalid node label", format!("{k:?} = {v:?}: {why}."));
            }
        }
        for (i, t) in n.get("taints").as_elements().unwrap_or_default().iter().enumerate() {
            let Some(key) = t.get("key").as_str() else { continue };
            let value = t.get("value");
            if value.is_unknown() {
                continue;
            }
            let path = at.clone().then_attr("taints").then_index(i);
            if let Err(why) = check_taint(key, None) {
                err(&mut found, path.then_attr("key"), "Invalid taint", format!("Taint key {key:?}: {why}."));
            } else if let Err(why) = check_taint(key, value.as_str()) {
                err(&mut found, path.then_attr("value"), "Invalid taint", format!("Taint {key:?}: {why}."));
            }
        }
        let hidden = found.0.len().saturating_sub(MAX_REPORTED);
        self.diags.0.extend(found.0.into_iter().take(MAX_REPORTED));
        if hidden > 0 {
            err(
                self.diags,
                at,
                "More problems in node",
                format!("{hidden} more problems like the ones above are not shown; fix those first."),
            );
        }
    }

    /// Parses `capi_manifests` when set. `Some(None)`: compat mode is off;
    /// `None`: the manifests are unusable (errors reported).
    fn capi(&mut self) -> Option<Option<capi::Manifests>> {
        let Some(text) = self.config.get("capi_manifests").as_str() else { return Some(None) };
        let mut secrets = capi::Secrets::new();
        if let Some(m) = self.config.get("capi_secrets").as_entries() {
            for (name, keys) in m {
                secrets.insert(name.clone(), string_map(keys));
            }
        }
        let m = capi::parse(text, &secrets);
        self.findings(&m.findings);
        (!m.has_errors()).then_some(Some(m))
    }

    /// Reports manifest findings: errors always, warnings at plan time only
    /// (validation would show them twice).
    /// At most [`MAX_REPORTED`] of them, then one diagnostic counting the rest,
    /// so a huge input cannot flood the output.
    fn findings(&mut self, findings: &[capi::Finding]) {
        let (mut shown, mut hidden, mut hidden_errors) = (0, 0, false);
        for f in findings {
            let d = if f.is_error() {
                Diagnostic::error("Unusable capi_manifests", format!("{f}."))
            } else if self.fetch_manifest {
                Diagnostic::warning("capi_manifests: not carried over as written", format!("{f}."))
            } else {
                continue;
            };
            if shown == MAX_REPORTED {
                hidden += 1;
                hidden_errors |= f.is_error();
                continue;
            }
            shown += 1;
            self.diags.push(d.at(AttrPath::attr("capi_manifests")));
        }
        if hidden > 0 {
            let (summary, detail) = (
                "More capi_manifests findings",
                format!("{hidden} more findings like the ones above are not shown; fix those first."),
            );
            let d =
                if hidden_errors { Diagnostic::error(summary, detail) } else { Diagnostic::warning(summary, detail) };
            self.diags.push(d.at(AttrPath::attr("capi_manifests")));
        }
    }

    /// What else can be checked on partially known configurations: files,
    /// and the artifacts (a missing manifest is a plan error even while the
    /// CA and the token are still unknown).
    fn check_partial(&mut self, version: Option<&KubernetesVersion>) {
        let c = self.config;
        self.files();
        let os =
            c.get("operating_system").as_str().and_then(OperatingSystem::parse).unwrap_or(OperatingSystem::Flatcar);
        if let Some(version) = version {
            if c.get("kubernetes_artifacts").is_wholly_known() {
                self.artifacts(os, version);
            }
        }
    }

    fn files(&mut self) -> Vec<FileSpec> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut repeated = BTreeSet::new();
        // Collected apart, so thousands of broken entries give a bounded report.
        let mut found = Diagnostics::new();
        for (i, f) in self.config.get("files").as_elements().unwrap_or_default().iter().enumerate() {
            let at = AttrPath::attr("files").then_index(i);
            let Some(path) = f.get("path").as_str() else { continue };
            if !path.starts_with('/') || path.split('/').any(|s| s == "..") || path.ends_with('/') {
                err(
                    &mut found,
                    at.clone().then_attr("path"),
                    "Invalid file path",
                    format!("{path:?} must be an absolute file path without '..', e.g. \"/etc/foo.conf\"."),
                );
            } else if !seen.insert(path.to_string()) && repeated.insert(path.to_string()) {
                err(
                    &mut found,
                    at.clone().then_attr("path"),
                    "Duplicate file path",
                    format!("{path:?} is listed more than once in files."),
                );
            }
            let mode = f.get("mode").as_str().and_then(parse_mode).unwrap_or(0o644);
            if let Some(owner) = f.get("owner").as_str() {
                if owner.split(':').count() > 2 || owner.is_empty() {
                    err(
                        &mut found,
                        at.clone().then_attr("owner"),
                        "Invalid owner",
                        format!("{owner:?} is not user or user:group."),
                    );
                }
            }
            out.push(FileSpec {
                path: path.to_string(),
                content: Sensitive::new(f.get("content").as_str().unwrap_or_default().to_string()),
                mode,
                owner: f.get("owner").as_str().map(str::to_string),
                replace_generated: false,
            });
        }
        let hidden = found.0.len().saturating_sub(MAX_REPORTED);
        self.diags.0.extend(found.0.into_iter().take(MAX_REPORTED));
        if hidden > 0 {
            err(
                self.diags,
                AttrPath::attr("files"),
                "More problems in files",
                format!("{hidden} more problems like the ones above are not shown; fix those first."),
            );
        }
        out
    }

    fn artifacts(&mut self, os: OperatingSystem, version: &KubernetesVersion) -> Option<Artifacts> {
        let a = self.config.get("kubernetes_artifacts");
        let at = AttrPath::attr("kubernetes_artifacts");
        match a.get("source").as_str().unwrap_or("preinstalled") {
            "manifest" => {
                let Some(url) = a.get("manifest_url").as_str() else {
                    err(
                        self.diags,
                        at.then_attr("manifest_url"),
                        "Missing manifest_url",
                        "source = \"manifest\" needs manifest_url.".into(),
                    );
                    return Some(Artifacts::Preinstalled);
                };
                if !self.fetch_manifest {
                    return Some(Artifacts::Remote(Vec::new()));
                }
                let prefetched = self.prefetched.and_then(|m| m.get(url)).cloned();
                let loaded = match prefetched {
                    Some(bytes) => artifacts::load_with(url, version, |_| bytes),
                    None => artifacts::load(url, version),
                };
                match loaded {
                    Ok(m) => Some(Artifacts::Remote(m.remote_files(url, os))),
                    Err(e) => {
                        err(self.diags, at.then_attr("manifest_url"), "Artifacts manifest unusable", format!("{e}. Publish a manifest for this version (see the provider docs for its format) or fix manifest_url."));
                        None
                    }
                }
            }
            "urls" => {
                let files = a.get("files").as_elements().unwrap_or_default();
                if files.is_empty() {
                    err(
                        self.diags,
                        at.clone().then_attr("files"),
                        "No artifact files",
                        "source = \"urls\" needs at least one files block.".into(),
                    );
                }
                let mut out = Vec::new();
                for (i, f) in files.iter().enumerate() {
                    let fpath = at.clone().then_attr("files").then_index(i);
                    let path = f.get("path").as_str().unwrap_or_default();
                    if !path.starts_with('/') {
                        err(
                            self.diags,
                            fpath.clone().then_attr("path"),
                            "Invalid artifact path",
                            format!("{path:?} must be absolute."),
                        );
                    }
                    let extract_to = f.get("extract_to").as_str().map(str::to_string);
                    out.push(RemoteFile {
                        path: path.to_string(),
                        url: f.get("url").as_str().unwrap_or_default().to_string(),
                        sha512: f.get("sha512").as_str().unwrap_or_default().to_ascii_lowercase(),
                        mode: f.get("mode").as_str().and_then(parse_mode).unwrap_or(if extract_to.is_some() {
                            0o644
                        } else {
                            0o755
                        }),
                        extract_to,
                    });
                }
                Some(Artifacts::Remote(out))
            }
            _ => Some(Artifacts::Preinstalled),
        }
    }
}

/// The plan warning for an init node without `control_plane_endpoint`
/// whose config is rendered anew while an earlier one exists (a prior state,
/// and the plan changes the stored object). With an endpoint, a machine that
/// boots the init config joins the cluster when it answers there, as the
/// day-2 guide describes; without one, nothing can be joined and every
/// machine that boots it founds a new cluster. `None` for other nodes. The
/// resource's plan attaches it when `rendered_sha512` changes against the
/// prior state.
pub fn init_rerender_warning(spec: &NodeSpec) -> Option<Diagnostic> {
    if spec.role != Role::Init || !spec.cluster.control_plane_endpoint.is_empty() {
        return None;
    }
    Some(
        Diagnostic::warning(
            "Init config rendered again",
            "This init config has no control_plane_endpoint, so a machine that boots it always runs kubeadm init and founds a new, empty cluster: there is no address at which it could find the running one and join it. Set cluster.control_plane_endpoint (a load balancer or DNS name in front of the control planes) so that a replacement of the first control plane joins, or boot replacements from a role = \"control-plane\" config.",
        )
        .at(AttrPath::attr("cluster").then_attr("control_plane_endpoint")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_valid() {
        input_block().check().unwrap();
    }

    #[test]
    fn cidrs_and_overlaps() {
        let one = |s: &str| parse_subnets(s, 1, "x").unwrap()[0];
        let (a, b, c) = (one("10.96.0.0/12"), one("10.100.0.0/16"), one("192.168.0.0/16"));
        assert!(a.overlaps(&b));
        assert!(!a.overlaps(&c));
        assert!(!one("fd00::/108").overlaps(&one("0.0.0.0/0")));
        for bad in ["10.0.0.0/33", "nope", "", "10.0.0.0/16,", "10.0.0.0/+8", " 10.0.0.0/8", "::/129"] {
            assert!(parse_subnets(bad, 1, "x").is_err(), "{bad:?}");
        }
        assert!(parse_subnets("fd00::/108,10.0.0.0/8", 1, "x").is_ok());
        // Dual stack: two CIDRs of different families, no more.
        assert!(parse_subnets("10.0.0.0/8,10.1.0.0/16", 1, "x").unwrap_err().contains("dual stack"));
        assert!(parse_subnets("10.0.0.0/8,fd00::/64,fd01::/64", 1, "x").is_err());
        // kubeadm's minimum sizes: 10 service and 14 pod addresses.
        assert!(parse_subnets("10.0.0.0/29", MIN_SERVICE_ADDRESSES, "x").unwrap_err().contains("too small"));
        assert!(parse_subnets("10.0.0.0/28", MIN_POD_ADDRESSES, "x").is_ok());
        assert!(parse_subnets("fd00::/128", MIN_POD_ADDRESSES, "x").is_err());
        // At most 20 host bits for services.
        assert!(service_subnet_size(&[one("10.96.0.0/12"), one("fd00::/108")]).is_ok());
        assert!(service_subnet_size(&[one("10.0.0.0/11")]).unwrap_err().contains("/12"));
        assert!(service_subnet_size(&[one("fd00::/64")]).unwrap_err().contains("/108"));
    }

    #[test]
    fn pod_subnet_node_masks() {
        let pods = |s: &str| parse_subnets(s, 1, "x").unwrap();
        let unset = |_: &str| Some(None);
        assert!(pod_subnet_node_mask(&pods("10.0.0.0/8,fd00::/48"), unset).is_ok());
        assert!(pod_subnet_node_mask(&pods("10.0.0.0/7"), unset).unwrap_err().contains("2^16"));
        assert!(pod_subnet_node_mask(&pods("10.0.0.0/25"), unset).unwrap_err().contains("/24"));
        assert!(pod_subnet_node_mask(&pods("fd00::/108"), unset).unwrap_err().contains("node-cidr-mask-size-ipv6"));
        let set = |f: &str| Some((f == "node-cidr-mask-size-ipv6").then(|| "120".to_string()));
        assert!(pod_subnet_node_mask(&pods("fd00::/108"), set).is_ok());
        let garbage = |_: &str| Some(Some("big".to_string()));
        assert!(pod_subnet_node_mask(&pods("10.0.0.0/16"), garbage).unwrap_err().contains("integer"));
        // Unknown flags leave the CIDR unchecked.
        assert!(pod_subnet_node_mask(&pods("10.0.0.0/25"), |_: &str| None).is_ok());
    }

    #[test]
    fn endpoints() {
        for ok in ["api.example.com", "api.example.com:6443", "10.0.0.1:443", "[fd00::1]:6443", "fd00::1", "api"] {
            assert_eq!(check_endpoint(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "api example",
            "host:0",
            "host:99999",
            "http://x",
            "API.example.com",
            "api_x:6443",
            "[fd00::1]",
            "host:",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cert_sans() {
        for ok in ["api.example.com", "10.0.0.1", "fd00::1", "*.example.com"] {
            assert!(valid_cert_san(ok), "{ok}");
        }
        for bad in ["", "API", "a b", "*", "*.", "x.*.com", "https://x"] {
            assert!(!valid_cert_san(bad), "{bad}");
        }
    }

    // ---- the reader on a first plan: the CA and the token still unknown ----

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    /// Sets `path` (dotted, objects created on the way) in `v`.
    fn with(mut v: Value, path: &str, x: Value) -> Value {
        fn set(v: &mut Value, steps: &[&str], x: Value) {
            if !matches!(v, Value::Object(_)) {
                *v = obj(&[]);
            }
            match steps {
                [last] => v.set(last, x),
                [first, rest @ ..] => set(v.get_mut(first).expect("an object"), rest, x),
                [] => {}
            }
        }
        set(&mut v, &path.split('.').collect::<Vec<_>>(), x);
        v
    }

    /// A worker whose CA and token are resources created in the same apply.
    fn first_plan() -> Value {
        obj(&[
            ("role", Value::from("worker")),
            ("cluster_ca", Value::unknown()),
            ("bootstrap_token", Value::unknown()),
            (
                "cluster",
                obj(&[
                    ("name", Value::from("prod")),
                    ("kubernetes_version", Value::from("v1.31.4")),
                    ("control_plane_endpoint", Value::from("api.prod.example.com:6443")),
                    ("pod_subnet", Value::from("192.168.0.0/16")),
                ]),
            ),
        ])
    }

    /// The same worker once the CA and the token exist.
    fn all_known() -> Value {
        let ca = obj(&CA_FIELDS.map(|f| (f, Value::from(if f == "ca_cert_hash" { "sha256:00" } else { "pem" }))));
        let token = obj(&[
            ("token", Value::from("abcdef.0123456789abcdef")),
            ("expires_at", Value::Null),
            ("description", Value::Null),
            ("usages", Value::string_list(["signing", "authentication"])),
            ("groups", Value::string_list(["system:bootstrappers:kubeadm:default-node-token"])),
        ]);
        with(with(first_plan(), "cluster_ca", ca), "bootstrap_token", token)
    }

    fn read(config: &Value) -> (Option<NodeSpec>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let spec = Reader { config, diags: &mut diags, fetch_manifest: false, prefetched: None }.read();
        (spec, diags)
    }

    fn path(s: &str) -> AttrPath {
        let mut p = AttrPath::root();
        for part in s.split('.') {
            p = match part.split_once('[') {
                Some((name, i)) => p.then_attr(name).then_index(i.trim_end_matches(']').parse().unwrap()),
                None => p.then_attr(part),
            };
        }
        p
    }

    /// Reads `config` and requires exactly one error: `summary` at `at`, its
    /// detail containing every one of `detail`. Returns the detail.
    #[track_caller]
    fn one_error(config: &Value, summary: &str, at: &str, detail: &[&str]) -> String {
        let (spec, diags) = read(config);
        assert!(spec.is_none());
        let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "want one error {summary:?}, got: {errors:#?}");
        let e = errors[0];
        assert_eq!(e.summary, summary, "{e}");
        assert_eq!(e.path, Some(path(at)), "{e}");
        for d in detail {
            assert!(e.detail.contains(d), "{e} lacks {d:?}");
        }
        e.detail.clone()
    }

    #[test]
    fn first_plan_good_inputs_pass() {
        let (spec, diags) = read(&first_plan());
        assert!(spec.is_none(), "the CA and token are unknown");
        assert!(diags.is_empty(), "{diags:?}");
        let (spec, diags) = read(&all_known());
        assert!(diags.is_empty(), "{diags:?}");
        assert!(spec.is_some());
    }

    #[test]
    fn first_plan_refuses_bad_subnets() {
        let c = |k: &str, v: &str| with(first_plan(), &format!("cluster.{k}"), Value::from(v));
        one_error(&c("pod_subnet", "10.0.0.0/33"), "Invalid pod_subnet", "cluster.pod_subnet", &["\"10.0.0.0/33\""]);
        one_error(&c("pod_subnet", "192.168.0.0/16,nope"), "Invalid pod_subnet", "cluster.pod_subnet", &["nope"]);
        one_error(
            &c("pod_subnet", "10.0.0.0/8,10.1.0.0/16"),
            "Invalid pod_subnet",
            "cluster.pod_subnet",
            &["dual stack"],
        );
        // kubeadm's node-mask rule: a /25 cannot hold a node's /24.
        one_error(
            &c("pod_subnet", "10.0.0.0/25"),
            "Invalid pod_subnet",
            "cluster.pod_subnet",
            &["node-cidr-mask-size-ipv4"],
        );
        // ... unless the controller manager does not allocate node ranges.
        let no_alloc = with(
            c("pod_subnet", "10.0.0.0/25"),
            "cluster.controller_manager.extra_args",
            obj(&[("allocate-node-cidrs", Value::from("false"))]),
        );
        assert!(read(&no_alloc).1.is_empty());
        one_error(
            &c("service_subnet", "10.0.0.0/33"),
            "Invalid service_subnet",
            "cluster.service_subnet",
            &["10.0.0.0/33"],
        );
        one_error(&c("service_subnet", "10.0.0.0/8"), "Invalid service_subnet", "cluster.service_subnet", &["/12"]);
        one_error(&c("service_subnet", "banana"), "Invalid service_subnet", "cluster.service_subnet", &["banana"]);
    }

    #[test]
    fn first_plan_refuses_overlapping_subnets() {
        let both = |pod: &str, svc: &str| {
            with(with(first_plan(), "cluster.pod_subnet", Value::from(pod)), "cluster.service_subnet", Value::from(svc))
        };
        one_error(
            &both("10.96.0.0/16", "10.96.0.0/12"),
            "Overlapping subnets",
            "cluster.pod_subnet",
            &["10.96.0.0/16", "10.96.0.0/12"],
        );
        // Against the default service subnet (10.96.0.0/12).
        one_error(
            &with(first_plan(), "cluster.pod_subnet", Value::from("10.100.0.0/16")),
            "Overlapping subnets",
            "cluster.pod_subnet",
            &["10.96.0.0/12"],
        );
        // Any pod CIDR against any service CIDR: the IPv6 halves clash here.
        one_error(
            &both("10.244.0.0/16,fd00:1::/56", "fd00:1::/112,10.96.0.0/12"),
            "Overlapping subnets",
            "cluster.pod_subnet",
            &["fd00:1::/56 and fd00:1::/112"],
        );
        assert!(read(&both("10.244.0.0/16,fd00:1::/56", "10.96.0.0/12,fd00:2::/112")).1.is_empty());
    }

    #[test]
    fn first_plan_refuses_bad_cluster_settings() {
        let c = |k: &str, v: &str| with(first_plan(), &format!("cluster.{k}"), Value::from(v));
        one_error(
            &c("kubernetes_version", "v1.14.0"),
            "Unsupported Kubernetes version",
            "cluster.kubernetes_version",
            &["v1.14.0", "1.22"],
        );
        one_error(
            &c("kubernetes_version", "latest"),
            "Unsupported Kubernetes version",
            "cluster.kubernetes_version",
            &["latest"],
        );
        one_error(&c("dns_domain", "Cluster.Local"), "Invalid dns_domain", "cluster.dns_domain", &["Cluster.Local"]);
        for e in ["https://api:6443", "api:99999", "api example", "API.example.com", "[fd00::1]"] {
            one_error(
                &c("control_plane_endpoint", e),
                "Invalid control_plane_endpoint",
                "cluster.control_plane_endpoint",
                &[e],
            );
        }
        one_error(&c("etcd.data_dir", "var/lib/etcd"), "Invalid etcd data_dir", "cluster.etcd.data_dir", &["absolute"]);
        one_error(
            &with(first_plan(), "cluster.api_server.cert_sans", Value::string_list(["api.example.com", "not a name"])),
            "Invalid cert_sans",
            "cluster.api_server.cert_sans[1]",
            &["not a name"],
        );
        // A join without an endpoint, and no CA at all.
        one_error(
            &with(first_plan(), "cluster.control_plane_endpoint", Value::Null),
            "Missing control_plane_endpoint",
            "cluster.control_plane_endpoint",
            &["worker"],
        );
        one_error(&with(first_plan(), "cluster_ca", Value::Null), "Missing cluster_ca", "cluster_ca", &["worker"]);
    }

    #[test]
    fn first_plan_refuses_bad_labels_and_taints() {
        one_error(
            &with(first_plan(), "node.labels", obj(&[("node-role.kubernetes.io/worker", Value::from(""))])),
            "Invalid node label",
            "node.labels",
            &["kubelet"],
        );
        one_error(
            &with(first_plan(), "node.labels", obj(&[("pool", Value::from("a b"))])),
            "Invalid node label",
            "node.labels",
            &["a b"],
        );
        let taint = |k: &str, v: &str| {
            Value::List(vec![obj(&[
                ("key", Value::from(k)),
                ("value", Value::from(v)),
                ("effect", Value::from("NoSchedule")),
            ])])
        };
        one_error(
            &with(first_plan(), "node.taints", taint("bad key", "x")),
            "Invalid taint",
            "node.taints[0].key",
            &["bad key"],
        );
        one_error(
            &with(first_plan(), "node.taints", taint("ok", "x y")),
            "Invalid taint",
            "node.taints[0].value",
            &["x y"],
        );
    }

    const WORKER_YAML: &str = include_str!("../../tests/fixtures/capi/v1beta1/worker.yaml");

    /// Compat mode: only the manifests, the CA and the token unknown.
    fn capi_first_plan(manifests: &str) -> Value {
        obj(&[
            ("cluster_ca", Value::unknown()),
            ("bootstrap_token", Value::unknown()),
            ("capi_manifests", Value::from(manifests)),
        ])
    }

    #[test]
    fn first_plan_refuses_what_the_manifests_give() {
        assert!(read(&capi_first_plan(WORKER_YAML)).1.iter().all(|d| !d.is_error()));
        let detail = one_error(
            &capi_first_plan(&WORKER_YAML.replace("version: v1.31.4", "version: v1.14.0")),
            "Unsupported Kubernetes version",
            "capi_manifests",
            &["Machine default/demo-worker-0 (document 2), spec.version", "v1.14.0", "1.22"],
        );
        assert!(detail.contains("cluster.kubernetes_version"), "{detail}");
        // The HCL version overrides the Machine's.
        let over = with(
            capi_first_plan(&WORKER_YAML.replace("version: v1.31.4", "version: v1.14.0")),
            "cluster.kubernetes_version",
            Value::from("v1.31.4"),
        );
        assert!(read(&over).1.iter().all(|d| !d.is_error()));
        one_error(
            &with(capi_first_plan(WORKER_YAML), "cluster.kubernetes_version", Value::from("v1.14.0")),
            "Unsupported Kubernetes version",
            "cluster.kubernetes_version",
            &["v1.14.0"],
        );
        one_error(
            &capi_first_plan(&WORKER_YAML.replace("- 192.168.0.0/16", "- 192.168.0.0/33")),
            "Invalid pod_subnet",
            "capi_manifests",
            &["Cluster default/demo (document 1), spec.clusterNetwork.pods.cidrBlocks", "192.168.0.0/33"],
        );
        one_error(
            &capi_first_plan(&WORKER_YAML.replace("- 192.168.0.0/16", "- 10.96.0.0/16")),
            "Overlapping subnets",
            "capi_manifests",
            &["spec.clusterNetwork.pods.cidrBlocks", "10.96.0.0/12"],
        );
        one_error(
            &capi_first_plan(&WORKER_YAML.replace("serviceDomain: cluster.local", "serviceDomain: Cluster_Local")),
            "Invalid dns_domain",
            "capi_manifests",
            &["spec.clusterNetwork.serviceDomain"],
        );
        // A MachineDeployment gives the version at its own path.
        let md = include_str!("../../tests/fixtures/capi/v1beta1/machinedeployment.yaml");
        assert!(md.contains("version: v1.30.8"));
        one_error(
            &capi_first_plan(&md.replace("version: v1.30.8", "version: v1.14.0")),
            "Unsupported Kubernetes version",
            "capi_manifests",
            &["spec.template.spec.version"],
        );
        // Unknown manifests: nothing to say yet.
        assert!(read(&with(capi_first_plan(""), "capi_manifests", Value::unknown())).1.is_empty());
    }

    #[test]
    fn every_capi_fixture_passes_the_checks() {
        macro_rules! fixtures {
            ($($f:literal),*) => { [$(($f, include_str!(concat!("../../tests/fixtures/capi/", $f)))),*] };
        }
        for (name, yaml) in fixtures!(
            "v1beta1/init.yaml",
            "v1beta1/control-plane-join.yaml",
            "v1beta1/worker.yaml",
            "v1beta1/machinedeployment.yaml",
            "v1beta1/kubeadmcontrolplane.yaml",
            "v1beta2/init.yaml",
            "v1beta2/control-plane-join.yaml",
            "v1beta2/worker.yaml",
            "v1beta2/machinedeployment.yaml",
            "v1beta2/kubeadmcontrolplane.yaml"
        ) {
            let (_, diags) = read(&capi_first_plan(yaml));
            assert!(!diags.has_errors(), "{name}: {diags:?}");
        }
    }

    fn read_at_plan(config: &Value) -> (Option<NodeSpec>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let prefetched = BTreeMap::new();
        let spec = Reader { config, diags: &mut diags, fetch_manifest: true, prefetched: Some(&prefetched) }.read();
        (spec, diags)
    }

    #[test]
    fn certificate_validity_is_checked_where_it_is_given() {
        let c = |v: &str| with(first_plan(), "cluster.certificate_validity", Value::from(v));
        for bad in ["abc", "90d", "1y"] {
            one_error(&c(bad), "Invalid certificate_validity", "cluster.certificate_validity", &[bad, "8760h"]);
        }
        for zero in ["0s", "0", "-720h"] {
            one_error(&c(zero), "Invalid certificate_validity", "cluster.certificate_validity", &[zero, "positive"]);
        }
        let old = with(c("2160h"), "cluster.kubernetes_version", Value::from("v1.30.8"));
        one_error(
            &old,
            "certificate_validity needs Kubernetes 1.31+",
            "cluster.certificate_validity",
            &["v1.30.8", "v1beta4", "certificateValidityPeriod"],
        );
        // Unknown while the first plan runs: nothing to say yet.
        assert!(read(&with(first_plan(), "cluster.certificate_validity", Value::unknown())).1.is_empty());
        // Known and good: into the node model, in Go's own spelling.
        let good =
            with(with(all_known(), "role", Value::from("init")), "cluster.certificate_validity", Value::from("90m"));
        let (spec, diags) = read(&good);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(spec.unwrap().cluster.certificate_validity.map(GoDuration::format).as_deref(), Some("1h30m0s"));
        // Longer than kubeadm's year: kubeadm's own warning, at plan time only.
        let long = with(good.clone(), "cluster.certificate_validity", Value::from("17520h"));
        assert!(read(&long).1.is_empty());
        let (spec, diags) = read_at_plan(&long);
        assert!(spec.is_some());
        let warnings: Vec<&Diagnostic> = diags.iter().collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(!warnings[0].is_error() && warnings[0].summary == "Long certificate_validity", "{warnings:?}");
        assert_eq!(warnings[0].path, Some(path("cluster.certificate_validity")));
    }

    #[test]
    fn certificate_validity_from_the_manifests_yields_to_hcl() {
        let manifests = "apiVersion: bootstrap.cluster.x-k8s.io/v1beta2\nkind: KubeadmConfig\nmetadata: {name: cp-0}\nspec:\n  clusterConfiguration:\n    certificateValidityPeriodDays: 90\n";
        let compat = with(with(all_known(), "role", Value::from("init")), "capi_manifests", Value::from(manifests));
        let validity = |config: &Value| {
            let (spec, diags) = read_at_plan(config);
            (spec.and_then(|s| s.cluster.certificate_validity).map(GoDuration::format), diags)
        };
        let (v, diags) = validity(&compat);
        assert_eq!(v.as_deref(), Some("2160h0m0s"), "{diags:?}");
        assert!(diags.is_empty(), "{diags:?}");
        let (v, _) = validity(&with(compat.clone(), "cluster.certificate_validity", Value::from("720h")));
        assert_eq!(v.as_deref(), Some("720h0m0s"));
        // On kubeadm v1beta3 Cluster API drops it, with a warning at the field; no error.
        let (v, diags) = validity(&with(compat, "cluster.kubernetes_version", Value::from("v1.30.8")));
        assert_eq!(v, None);
        assert!(!diags.has_errors(), "{diags:?}");
        assert!(diags.iter().any(|d| d.detail.contains("certificateValidityPeriodDays")), "{diags:?}");
    }

    #[test]
    fn a_rerendered_init_config_warns_what_its_machines_do() {
        let init = with(all_known(), "role", Value::from("init"));
        let spec = read(&init).0.unwrap();
        // With an endpoint the machine decides at boot: no warning.
        assert!(init_rerender_warning(&spec).is_none());
        let mut lone = spec.clone();
        lone.cluster.control_plane_endpoint.clear();
        let w = init_rerender_warning(&lone).unwrap();
        assert!(!w.is_error());
        assert_eq!(w.path, Some(path("cluster.control_plane_endpoint")));
        assert!(w.detail.contains("always runs kubeadm init"), "{}", w.detail);
        let worker = read(&all_known()).0.unwrap();
        assert!(init_rerender_warning(&worker).is_none());
    }

    #[test]
    fn known_inputs_report_once() {
        // Everything known: the same checks, each error once.
        let bad = with(all_known(), "cluster.pod_subnet", Value::from("10.0.0.0/33"));
        one_error(&bad, "Invalid pod_subnet", "cluster.pod_subnet", &["10.0.0.0/33"]);
        let bad = with(all_known(), "cluster.kubernetes_version", Value::from("v1.14.0"));
        one_error(&bad, "Unsupported Kubernetes version", "cluster.kubernetes_version", &["v1.14.0"]);
        let bad = with(all_known(), "node.labels", obj(&[("kubernetes.io/role", Value::from("x"))]));
        one_error(&bad, "Invalid node label", "node.labels", &["kubernetes.io/role"]);
        let ca = with(all_known(), "cluster_ca.ca_cert_hash", Value::from(""));
        one_error(&ca, "Incomplete cluster_ca", "cluster_ca", &["ca_cert_hash"]);
        let token = with(all_known(), "bootstrap_token.token", Value::from("nope"));
        one_error(&token, "Invalid bootstrap_token", "bootstrap_token", &["not a kubeadm token"]);
        // The schema no longer reports versions itself, so validation shows one error.
        let mut diags = Diagnostics::new();
        let bad = with(all_known(), "cluster.kubernetes_version", Value::from("v1.14.0"));
        crate::tfplugin::planning::validate(&input_block(), &bad, &AttrPath::root(), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
    }
}
