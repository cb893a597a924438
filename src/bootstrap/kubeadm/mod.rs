//! The kubeadm configuration file of one node: the multi-document YAML that
//! `kubeadm init --config` or `kubeadm join --config` reads, rendered from a
//! [`NodeSpec`].
//!
//! * Kubernetes 1.22–1.30 gets `kubeadm.k8s.io/v1beta3`, 1.31 and newer
//!   `kubeadm.k8s.io/v1beta4` ([`KubernetesVersion::uses_v1beta4`]).
//! * An init node gets `InitConfiguration` (which seeds the bootstrap token),
//!   `ClusterConfiguration`, `KubeletConfiguration` and, only when the user
//!   patches it, `KubeProxyConfiguration`. Joins get a single
//!   `JoinConfiguration` (with `controlPlane: {}` for control planes, whose
//!   certificates ship with the node config).
//! * An init node with a control-plane endpoint also gets the control-plane
//!   `JoinConfiguration` of that node, in the same file: `kubeadm init`
//!   ignores it, and the bootstrap script hands the file to `kubeadm join`
//!   instead when a cluster with the shipped CA already answers at the
//!   endpoint (a replacement of the first control plane must not found a
//!   second cluster). `kubeadm join` in turn ignores the init documents.
//! * Values only known on the machine are placeholders the boot unit
//!   substitutes: [`NODE_NAME_PLACEHOLDER`], [`PROVIDER_ID_PLACEHOLDER`] and,
//!   on an init node whose token expires, [`TOKEN_TTL_PLACEHOLDER`].
//! * User patches (`kubeadm_config_patches`) are JSON merge patches applied to
//!   the serialized typed documents and parsed back strictly, so a misspelt
//!   field is an error with its path rather than a silently ignored key.
//! * Output is deterministic: keys in struct order, maps sorted, v1beta4
//!   argument lists sorted by name. Strings a YAML 1.1 reader (kubeadm's)
//!   could take for booleans or numbers are quoted.
//!
//! The output contains the bootstrap token; nothing here logs it, and the
//! typed documents redact it in `Debug`.
//!
//! This module is plain domain code: it must not depend on tonic, prost,
//! msgpack, `crate::tfplugin` or `crate::provider`.
//!
//! [`KubernetesVersion::uses_v1beta4`]: crate::bootstrap::node::KubernetesVersion::uses_v1beta4

pub mod common;
mod emit;
pub mod kubelet;
pub mod patch;
pub mod proxy;
mod render;
pub mod v1beta3;
pub mod v1beta4;

#[cfg(test)]
mod tests;

use serde::Serialize;
use serde_yaml_ng::Value as YamlValue;

use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::node::NodeSpec;

pub use common::{IntOrString, SecretString};
pub use kubelet::KubeletConfiguration;
pub use proxy::KubeProxyConfiguration;
pub use render::{
    endpoint_with_port, flex_volume_dir, CONNTRACK_PREFLIGHT, FCOS_FLEX_VOLUME_DIR, FLATCAR_FLEX_VOLUME_DIR,
};

/// Stand-in for the node name, replaced at boot with the EC2 private DNS
/// name from the metadata agent (only when `node.name_from` is `aws`).
pub const NODE_NAME_PLACEHOLDER: &str = "__KUBEADM_NODE_NAME__";
/// Stand-in for the kubelet `provider-id` flag value, replaced at boot with
/// `aws:///<availability-zone>/<instance-id>` (only with `name_from = aws`).
pub const PROVIDER_ID_PLACEHOLDER: &str = "__KUBEADM_PROVIDER_ID__";
/// Stand-in for the seeded bootstrap token's `ttl` on an init node, replaced
/// at boot with the token's remaining lifetime in seconds (`<n>s`). kubeadm
/// defaults a missing `ttl` to 24h and then refuses a token that has both
/// `ttl` and `expires`, so an expiring token can only be seeded as a `ttl`,
/// and only the booting machine knows how much of it is left.
pub const TOKEN_TTL_PLACEHOLDER: &str = "__KUBEADM_TOKEN_TTL__";
/// Where the node config puts the rendered YAML.
pub const CONFIG_PATH: &str = "/etc/kubeadm/config.yaml";
/// kubeadm `patches.directory` of Fedora CoreOS control planes; the Ignition
/// renderer writes the SELinux (`spc_t`) static pod patches there.
pub const PATCHES_DIR: &str = "/etc/kubeadm/patches";
/// The containerd CRI socket on both operating systems.
pub const CRI_SOCKET: &str = "unix:///run/containerd/containerd.sock";
/// API server port assumed when the endpoint has none.
pub const DEFAULT_API_PORT: u16 = 6443;
/// Stacked etcd data directory when none is configured.
pub const DEFAULT_ETCD_DATA_DIR: &str = "/var/lib/etcd";
/// kubeadm's lifetime of the leaf certificates it signs when
/// `certificateValidityPeriod` is unset (a year); it warns about a longer one.
pub const CERTIFICATE_VALIDITY_DEFAULT: GoDuration = GoDuration::from_secs(365 * 24 * 3600);

/// Patch (and document) name of the `InitConfiguration`.
pub const DOC_INIT: &str = "init_configuration";
/// Patch (and document) name of the `ClusterConfiguration`.
pub const DOC_CLUSTER: &str = "cluster_configuration";
/// Patch (and document) name of the `JoinConfiguration`.
pub const DOC_JOIN: &str = "join_configuration";
/// Patch (and document) name of the `KubeletConfiguration`.
pub const DOC_KUBELET: &str = "kubelet_configuration";
/// Patch (and document) name of the `KubeProxyConfiguration`.
pub const DOC_PROXY: &str = "kube_proxy_configuration";

/// Rendering, patching and parsing errors. Messages name the patch or the
/// document and say how to fix it; none contains the bootstrap token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeadmError {
    /// A patch is not parseable YAML (or holds several documents).
    #[error("kubeadm_config_patches.{document} is not valid YAML: {message}; give one YAML or JSON mapping, e.g. yamlencode({{...}})")]
    PatchNotYaml {
        /// Patch name, e.g. `cluster_configuration`.
        document: &'static str,
        /// The parser's message.
        message: String,
    },

    /// A patch is YAML but not a mapping.
    #[error("kubeadm_config_patches.{document} must be a YAML mapping that is merged onto the generated document, but it is {found}")]
    PatchNotMapping {
        /// Patch name.
        document: &'static str,
        /// What it was instead, e.g. `a list`.
        found: &'static str,
    },

    /// A patched document has a field the API does not know (or this
    /// provider does not model).
    #[error("kubeadm_config_patches.{document}: unknown field {path:?}; check the spelling and case against the kubeadm configuration reference (fields are camelCase, e.g. apiServer.extraArgs)")]
    PatchUnknownField {
        /// Patch name.
        document: &'static str,
        /// Dotted path of the field, e.g. `apiServer.extraArgz`.
        path: String,
    },

    /// A patched document has a value of the wrong type.
    #[error("kubeadm_config_patches.{document}: {path}: {message}")]
    PatchInvalidValue {
        /// Patch name.
        document: &'static str,
        /// Dotted path of the value.
        path: String,
        /// What is wrong.
        message: String,
    },

    /// A patch changes or removes `apiVersion` or `kind`.
    #[error("kubeadm_config_patches.{document} may not change {field} (it stays {expected:?}, chosen from the Kubernetes version); remove {field} from the patch")]
    PatchChangesTypeMeta {
        /// Patch name.
        document: &'static str,
        /// `apiVersion` or `kind`.
        field: &'static str,
        /// The value the document keeps.
        expected: String,
    },

    /// A patch targets a document the node's role does not use.
    #[error("kubeadm_config_patches.{document} does not apply to role {role:?}: {}", patch_scope(.role))]
    PatchNotApplicable {
        /// Patch name.
        document: &'static str,
        /// The node's role, `init`, `control-plane` or `worker`.
        role: &'static str,
    },

    /// The control-plane endpoint is not `host[:port]`.
    #[error("invalid control_plane_endpoint {endpoint:?}: {reason}")]
    InvalidControlPlaneEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong.
        reason: &'static str,
    },

    /// A node label is not valid Kubernetes label syntax.
    #[error("invalid node label {key:?}: {reason}")]
    InvalidNodeLabel {
        /// The label key.
        key: String,
        /// What is wrong.
        reason: String,
    },

    /// A node label the kubelet is not allowed to set on its own node.
    #[error("node label {key:?} cannot be set by the kubelet (it refuses to start with kubernetes.io or k8s.io labels outside node.kubernetes.io/, kubelet.kubernetes.io/ and a few well-known keys); use a label under node.kubernetes.io/ or your own prefix, or label the node after it joined")]
    ForbiddenNodeLabel {
        /// The label key.
        key: String,
    },

    /// A join without a CA pin.
    #[error("a joining node needs the cluster CA's public key hash to trust the API server: set ca_cert_hashes (kubeadm_cluster_ca's ca_cert_hash), or set discovery.bootstrapToken.unsafeSkipCAVerification: true in kubeadm_config_patches.join_configuration to join without pinning (unsafe)")]
    MissingCaCertHashes,

    /// A CA pin in the wrong format.
    #[error("invalid CA certificate hash {hash:?}: expected sha256:<64 hex digits>, the form of kubeadm_cluster_ca's ca_cert_hash")]
    InvalidCaCertHash {
        /// The hash as given.
        hash: String,
    },

    /// `certificate_validity` on a release whose kubeadm API has no such field.
    #[error("certificate_validity needs Kubernetes 1.31 or newer (kubeadm's v1beta4 config API, the first with ClusterConfiguration.certificateValidityPeriod); this node is for {version}: remove certificate_validity or upgrade")]
    CertificateValidityNeedsV1beta4 {
        /// The node's Kubernetes version.
        version: String,
    },

    /// A `certificate_validity` that is zero or negative.
    #[error("certificate_validity {value:?} must be a positive duration such as \"8760h\" (kubeadm's default, a year); a certificate valid for no time expires as it is signed")]
    InvalidCertificateValidity {
        /// The value, as a Go duration.
        value: String,
    },

    /// Labels were given both as `node.labels` and as a raw kubelet flag.
    #[error("node.labels and node.kubelet_extra_args[\"node-labels\"] are both set; put all labels in node.labels")]
    NodeLabelsTwice,

    /// A document could not be serialized.
    #[error("cannot serialize the {document} document: {message}")]
    Serialize {
        /// Document name.
        document: &'static str,
        /// The serializer's message.
        message: String,
    },

    /// The text given to [`parse_documents`] is not YAML.
    #[error("kubeadm config document {index} is not valid YAML: {message}")]
    NotYaml {
        /// 0-based document position.
        index: usize,
        /// The parser's message.
        message: String,
    },

    /// A document is not a mapping with `apiVersion` and `kind` strings.
    #[error("kubeadm config document {index} must be a mapping with string apiVersion and kind fields")]
    MissingTypeMeta {
        /// 0-based document position.
        index: usize,
    },

    /// A document of a type this module does not read.
    #[error("kubeadm config document {index} has unsupported apiVersion {api_version:?} / kind {kind:?}; expected kubeadm.k8s.io/v1beta3 or v1beta4 Init/Cluster/JoinConfiguration, kubelet.config.k8s.io/v1beta1 KubeletConfiguration or kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration")]
    UnknownDocument {
        /// 0-based document position.
        index: usize,
        /// Its `apiVersion`.
        api_version: String,
        /// Its `kind`.
        kind: String,
    },

    /// The same kind appears twice.
    #[error("kubeadm config has more than one {kind} document")]
    DuplicateDocument {
        /// The repeated kind.
        kind: String,
    },

    /// kubeadm documents of both API versions.
    #[error("kubeadm config mixes {first} and {second} documents; use one kubeadm API version")]
    MixedKubeadmVersions {
        /// The version seen first.
        first: String,
        /// The other version.
        second: String,
    },

    /// No `kubeadm.k8s.io` document at all.
    #[error(
        "kubeadm config has no kubeadm.k8s.io document (InitConfiguration, ClusterConfiguration or JoinConfiguration)"
    )]
    NoKubeadmDocument,

    /// A document does not match its schema.
    #[error("kubeadm config document {index} ({kind}): {path}: {message}")]
    InvalidDocument {
        /// 0-based document position.
        index: usize,
        /// Its `kind`.
        kind: String,
        /// Dotted path of the problem.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Which patches a role takes, for [`KubeadmError::PatchNotApplicable`].
fn patch_scope(role: &str) -> &'static str {
    if role == "init" {
        "kubeadm init reads init_configuration, cluster_configuration, kubelet_configuration and kube_proxy_configuration; join_configuration shapes the control-plane join an init node takes when it finds its cluster already running, which needs cluster.control_plane_endpoint"
    } else {
        "kubeadm join reads only the JoinConfiguration (cluster, kubelet and kube-proxy settings come from the cluster); use join_configuration here and put cluster-wide patches on the init node"
    }
}

/// The typed documents of one node config, in the API version kubeadm
/// reads for the node's Kubernetes release. Absent documents are `None`.
// Both variants are large and differ in size; a value is built once per
// render and never stored in bulk, so boxing the documents would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Documents {
    /// `kubeadm.k8s.io/v1beta3` (Kubernetes 1.22–1.30).
    V1beta3 {
        /// `InitConfiguration` (init nodes).
        init: Option<v1beta3::InitConfiguration>,
        /// `JoinConfiguration` (joins).
        join: Option<v1beta3::JoinConfiguration>,
        /// `ClusterConfiguration` (init nodes).
        cluster: Option<v1beta3::ClusterConfiguration>,
        /// `KubeletConfiguration` (init nodes).
        kubelet: Option<KubeletConfiguration>,
        /// `KubeProxyConfiguration` (init nodes, when patched).
        proxy: Option<KubeProxyConfiguration>,
    },
    /// `kubeadm.k8s.io/v1beta4` (Kubernetes 1.31+).
    V1beta4 {
        /// `InitConfiguration` (init nodes).
        init: Option<v1beta4::InitConfiguration>,
        /// `JoinConfiguration` (joins).
        join: Option<v1beta4::JoinConfiguration>,
        /// `ClusterConfiguration` (init nodes).
        cluster: Option<v1beta4::ClusterConfiguration>,
        /// `KubeletConfiguration` (init nodes).
        kubelet: Option<KubeletConfiguration>,
        /// `KubeProxyConfiguration` (init nodes, when patched).
        proxy: Option<KubeProxyConfiguration>,
    },
}

impl Documents {
    /// `kubeadm.k8s.io/v1beta3` or `kubeadm.k8s.io/v1beta4`.
    pub fn kubeadm_api_version(&self) -> &'static str {
        match self {
            Documents::V1beta3 { .. } => v1beta3::API_VERSION,
            Documents::V1beta4 { .. } => v1beta4::API_VERSION,
        }
    }

    /// The `KubeletConfiguration`, if present.
    pub fn kubelet(&self) -> Option<&KubeletConfiguration> {
        match self {
            Documents::V1beta3 { kubelet, .. } | Documents::V1beta4 { kubelet, .. } => kubelet.as_ref(),
        }
    }

    /// The `KubeProxyConfiguration`, if present.
    pub fn proxy(&self) -> Option<&KubeProxyConfiguration> {
        match self {
            Documents::V1beta3 { proxy, .. } | Documents::V1beta4 { proxy, .. } => proxy.as_ref(),
        }
    }

    /// Serializes the documents present as multi-document YAML, in the order
    /// Init, Cluster, Kubelet, KubeProxy, Join, separated by `---`.
    pub fn to_yaml(&self) -> Result<String, KubeadmError> {
        let mut parts = Vec::new();
        match self {
            Documents::V1beta3 { init, join, cluster, kubelet, proxy } => {
                push_yaml(&mut parts, DOC_INIT, init)?;
                push_yaml(&mut parts, DOC_CLUSTER, cluster)?;
                push_yaml(&mut parts, DOC_KUBELET, kubelet)?;
                push_yaml(&mut parts, DOC_PROXY, proxy)?;
                push_yaml(&mut parts, DOC_JOIN, join)?;
            }
            Documents::V1beta4 { init, join, cluster, kubelet, proxy } => {
                push_yaml(&mut parts, DOC_INIT, init)?;
                push_yaml(&mut parts, DOC_CLUSTER, cluster)?;
                push_yaml(&mut parts, DOC_KUBELET, kubelet)?;
                push_yaml(&mut parts, DOC_PROXY, proxy)?;
                push_yaml(&mut parts, DOC_JOIN, join)?;
            }
        }
        Ok(parts.join("---\n"))
    }
}

fn push_yaml<T: Serialize>(
    parts: &mut Vec<String>,
    document: &'static str,
    doc: &Option<T>,
) -> Result<(), KubeadmError> {
    if let Some(doc) = doc {
        parts.push(emit::document(&patch::to_value(document, doc)?));
    }
    Ok(())
}

impl KubeadmError {
    /// The patch (`cluster_configuration`, ...) an error is about, if any.
    pub fn patch_document(&self) -> Option<&'static str> {
        match self {
            KubeadmError::PatchNotYaml { document, .. }
            | KubeadmError::PatchNotMapping { document, .. }
            | KubeadmError::PatchUnknownField { document, .. }
            | KubeadmError::PatchInvalidValue { document, .. }
            | KubeadmError::PatchChangesTypeMeta { document, .. }
            | KubeadmError::PatchNotApplicable { document, .. } => Some(document),
            _ => None,
        }
    }

    /// The node input an error is about, as (block, attribute), if any.
    pub fn input(&self) -> Option<(&'static str, &'static str)> {
        match self {
            KubeadmError::InvalidControlPlaneEndpoint { .. } => Some(("cluster", "control_plane_endpoint")),
            KubeadmError::CertificateValidityNeedsV1beta4 { .. } | KubeadmError::InvalidCertificateValidity { .. } => {
                Some(("cluster", "certificate_validity"))
            }
            KubeadmError::InvalidNodeLabel { .. }
            | KubeadmError::ForbiddenNodeLabel { .. }
            | KubeadmError::NodeLabelsTwice => Some(("node", "labels")),
            _ => None,
        }
    }
}

/// Renders the kubeadm config of `spec`: the YAML `kubeadm init|join
/// --config` reads, with user patches applied. The same spec always gives
/// the same bytes. The result contains the bootstrap token.
pub fn render(spec: &NodeSpec) -> Result<String, KubeadmError> {
    render::build(spec)?.to_yaml()
}

/// Renders the typed documents of `spec` (patches applied) without
/// serializing them.
pub fn documents(spec: &NodeSpec) -> Result<Documents, KubeadmError> {
    render::build(spec)
}

/// Plan-time check of `spec.patches`: each parses as a mapping, targets a
/// document the role emits, leaves `apiVersion`/`kind` alone and yields a
/// document without unknown fields or mistyped values. It runs the whole
/// (cheap) render, so it also reports the other render errors: bad labels,
/// a malformed endpoint, a join without a CA hash.
pub fn validate_patches(spec: &NodeSpec) -> Result<(), KubeadmError> {
    render::build(spec).map(|_| ())
}

/// Parses multi-document kubeadm config YAML back into typed documents,
/// refusing unknown fields, unknown kinds, duplicates and mixed kubeadm API
/// versions. Empty documents are skipped.
pub fn parse_documents(yaml: &str) -> Result<Documents, KubeadmError> {
    let mut raw = Vec::new();
    for (index, de) in serde_yaml_ng::Deserializer::from_str(yaml).enumerate() {
        let value = <YamlValue as serde::Deserialize>::deserialize(de)
            .map_err(|e| KubeadmError::NotYaml { index, message: e.to_string() })?;
        if value.is_null() {
            continue;
        }
        let field = |name: &str| value.get(name).and_then(YamlValue::as_str).map(str::to_string);
        let (Some(api_version), Some(kind)) = (field("apiVersion"), field("kind")) else {
            return Err(KubeadmError::MissingTypeMeta { index });
        };
        raw.push((index, api_version, kind, value));
    }

    let mut kubeadm_version: Option<String> = None;
    for (_, api_version, _, _) in &raw {
        if api_version == v1beta3::API_VERSION || api_version == v1beta4::API_VERSION {
            match &kubeadm_version {
                None => kubeadm_version = Some(api_version.clone()),
                Some(first) if first != api_version => {
                    return Err(KubeadmError::MixedKubeadmVersions {
                        first: first.clone(),
                        second: api_version.clone(),
                    })
                }
                Some(_) => {}
            }
        }
    }
    let mut docs = match kubeadm_version.as_deref() {
        Some(v) if v == v1beta3::API_VERSION => {
            Documents::V1beta3 { init: None, join: None, cluster: None, kubelet: None, proxy: None }
        }
        Some(_) => Documents::V1beta4 { init: None, join: None, cluster: None, kubelet: None, proxy: None },
        None => return Err(KubeadmError::NoKubeadmDocument),
    };

    for (index, api_version, kind, value) in raw {
        let is_kubeadm = api_version == v1beta3::API_VERSION || api_version == v1beta4::API_VERSION;
        let filled = match (&mut docs, kind.as_str()) {
            (Documents::V1beta3 { kubelet, .. } | Documents::V1beta4 { kubelet, .. }, kubelet::KIND)
                if api_version == kubelet::API_VERSION =>
            {
                fill(kubelet, index, &kind, value)
            }
            (Documents::V1beta3 { proxy, .. } | Documents::V1beta4 { proxy, .. }, proxy::KIND)
                if api_version == proxy::API_VERSION =>
            {
                fill(proxy, index, &kind, value)
            }
            (Documents::V1beta3 { init, .. }, "InitConfiguration") if is_kubeadm => fill(init, index, &kind, value),
            (Documents::V1beta3 { cluster, .. }, "ClusterConfiguration") if is_kubeadm => {
                fill(cluster, index, &kind, value)
            }
            (Documents::V1beta3 { join, .. }, "JoinConfiguration") if is_kubeadm => fill(join, index, &kind, value),
            (Documents::V1beta4 { init, .. }, "InitConfiguration") if is_kubeadm => fill(init, index, &kind, value),
            (Documents::V1beta4 { cluster, .. }, "ClusterConfiguration") if is_kubeadm => {
                fill(cluster, index, &kind, value)
            }
            (Documents::V1beta4 { join, .. }, "JoinConfiguration") if is_kubeadm => fill(join, index, &kind, value),
            _ => Err(KubeadmError::UnknownDocument { index, api_version, kind: kind.clone() }),
        };
        filled?;
    }
    Ok(docs)
}

/// Parses `value` strictly into `slot`, refusing a second document of the
/// same kind.
fn fill<T: serde::de::DeserializeOwned>(
    slot: &mut Option<T>,
    index: usize,
    kind: &str,
    value: YamlValue,
) -> Result<(), KubeadmError> {
    if slot.is_some() {
        return Err(KubeadmError::DuplicateDocument { kind: kind.to_string() });
    }
    let parsed = serde_path_to_error::deserialize(value).map_err(|e| KubeadmError::InvalidDocument {
        index,
        kind: kind.to_string(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    *slot = Some(parsed);
    Ok(())
}
