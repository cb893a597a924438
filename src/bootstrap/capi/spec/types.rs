//! What a KubeadmConfigSpec turns into: the parts of the node model and
//! the kubeadm patches for fields the model does not carry.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::node::{ApiServerSpec, ComponentSpec, EtcdSpec, FileSpec, NameFrom, Taint, UserSpec};

/// The taint CABPK puts on workers until Cluster API removes it; a node
/// managed without Cluster API would keep it forever.
pub const UNINITIALIZED_TAINT: &str = "node.cluster.x-k8s.io/uninitialized";

/// The kubeadm document a passed-through field goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    Cluster,
    Init,
    Join,
}

/// Where a field goes in one kubeadm API version.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub doc: Doc,
    pub path: Vec<String>,
    pub value: Json,
}

/// A field carried as a kubeadm patch.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// YAML path of the source field.
    pub source: String,
    /// Its place in `kubeadm.k8s.io/v1beta3` (Kubernetes 1.22–1.30), or why it has none.
    pub v1beta3: Result<Target, String>,
    /// Its place in `kubeadm.k8s.io/v1beta4` (1.31+), or why it has none.
    pub v1beta4: Result<Target, String>,
}

pub(super) fn target(doc: Doc, path: &[&str], value: Json) -> Target {
    Target { doc, path: path.iter().map(|s| s.to_string()).collect(), value }
}

pub(super) fn same(source: &str, doc: Doc, path: &[&str], value: Json) -> Pass {
    let t = target(doc, path, value);
    Pass { source: source.to_string(), v1beta3: Ok(t.clone()), v1beta4: Ok(t) }
}

pub(super) fn v4_only(source: &str, doc: Doc, path: &[&str], value: Json) -> Pass {
    Pass {
        source: source.to_string(),
        v1beta3: Err("not carried over: kubeadm's v1beta3 config API (Kubernetes 1.22–1.30) has no such setting; it takes effect from Kubernetes 1.31".into()),
        v1beta4: Ok(target(doc, path, value)),
    }
}

/// How the node's name is set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NodeName {
    #[default]
    Unset,
    /// A boot-time template for the EC2 private DNS name.
    Aws,
    /// A fixed name.
    Literal(String),
}

/// An `initConfiguration` or `joinConfiguration`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodePart {
    pub name: NodeName,
    pub taints: Option<Vec<Taint>>,
    pub kubelet_extra_args: BTreeMap<String, String>,
    pub ignore_preflight_errors: Vec<String>,
    pub skip_phases: Vec<String>,
    /// `provider-id` was an AWS template (replaced by `name_from = "aws"`).
    pub aws_provider_id: bool,
    pub passes: Vec<Pass>,
    /// Join only: `discovery.bootstrapToken.apiServerEndpoint`.
    pub discovery_endpoint: Option<String>,
    /// Join only: extra `discovery.bootstrapToken.caCertHashes`.
    pub ca_cert_hashes: Vec<String>,
    /// Join only: `controlPlane` is set.
    pub control_plane: bool,
}

/// The `clusterConfiguration`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterPart {
    pub name: Option<String>,
    pub kubernetes_version: Option<String>,
    pub control_plane_endpoint: Option<String>,
    pub pod_subnet: Option<String>,
    pub service_subnet: Option<String>,
    pub dns_domain: Option<String>,
    pub image_repository: Option<String>,
    pub feature_gates: BTreeMap<String, bool>,
    pub api_server: ApiServerSpec,
    pub controller_manager: ComponentSpec,
    pub scheduler: ComponentSpec,
    pub etcd: EtcdSpec,
    /// `certificateValidityPeriodDays` as a duration, with the YAML path it
    /// came from (for the warning on kubeadm APIs without the field).
    pub certificate_validity: Option<(GoDuration, String)>,
    pub passes: Vec<Pass>,
    /// Passes for the `JoinConfiguration` of a node that joins: what Cluster
    /// API's conversion to v1beta2 copies from the cluster configuration
    /// into `joinConfiguration` (v1beta1's `apiServer.timeoutForControlPlane`).
    pub join_passes: Vec<Pass>,
}

/// Everything one KubeadmConfigSpec says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigSpec {
    pub cluster: Option<ClusterPart>,
    pub init: Option<NodePart>,
    pub join: Option<NodePart>,
    pub files: Vec<FileSpec>,
    pub pre_kubeadm_commands: Vec<String>,
    pub post_kubeadm_commands: Vec<String>,
    pub users: Vec<UserSpec>,
    pub ntp_servers: Vec<String>,
    pub verbosity: Option<u8>,
    /// Ignition JSON documents (from `mounts` and `ignition.containerLinuxConfig`).
    pub additional_ignition: Vec<String>,
    /// Files whose content is a Go template (`contentFormat: Template`),
    /// rendered once the manifests tell the control plane's version.
    pub templates: Vec<FileTemplate>,
}

/// A file whose content is a Go template, as CABPK renders it (see
/// [`super::template`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FileTemplate {
    /// Its place in [`ConfigSpec::files`].
    pub index: usize,
    /// The YAML path its content came from (`...content` or `...contentFrom`).
    pub source: String,
}

impl NodeName {
    pub fn name_from(&self) -> Option<NameFrom> {
        match self {
            NodeName::Aws => Some(NameFrom::Aws),
            _ => None,
        }
    }
}
