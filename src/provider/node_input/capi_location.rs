//! Where a value `capi_manifests` gives comes from: the fields it can give,
//! the effective value of an input (HCL over the manifests), and the object
//! and YAML path a diagnostic about a manifest value names.

use crate::bootstrap::capi;
use crate::tfplugin::diag::AttrPath;

use super::compat::Compat;
use super::{err, Reader};

/// A cluster value `capi_manifests` can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CapiField {
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
    pub(super) fn value(self, m: &capi::Manifests) -> Option<String> {
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
pub(super) enum Origin {
    /// An attribute (set, or the schema's default).
    Attr(AttrPath),
    /// `capi_manifests`.
    Capi(CapiField),
}

impl Origin {
    pub(super) fn path(&self) -> AttrPath {
        match self {
            Origin::Attr(p) => p.clone(),
            Origin::Capi(_) => AttrPath::attr("capi_manifests"),
        }
    }
}

/// An input as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Input {
    /// Unknown, or given by manifests that are unknown or unusable.
    Unknown,
    /// Neither set nor given by the manifests.
    Absent,
    Given(String, Origin),
}

/// The manifests' objects: kind, the label findings use, the document.
pub(super) fn manifest_objects(text: &str) -> Vec<(String, String, serde_yaml_ng::Value)> {
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

pub(super) fn yaml_at<'v>(v: &'v serde_yaml_ng::Value, path: &str) -> Option<&'v serde_yaml_ng::Value> {
    path.split('.').try_fold(v, |v, k| v.get(k)).filter(|v| !v.is_null())
}

/// Where in the manifests `capi::parse` took `field` from, as
/// `<Kind> <namespace>/<name> (document <n>), <YAML path>`, in its order:
/// the Machine (or MachineDeployment, or KubeadmControlPlane) for the
/// version, the `clusterConfiguration` and then the Cluster for the rest.
pub(super) fn capi_location(text: &str, m: &capi::Manifests, field: CapiField) -> String {
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

impl Reader<'_> {
    /// The effective value of the string attribute at `attr`: what HCL sets,
    /// else what the manifests give.
    pub(super) fn input(&self, compat: &Compat, attr: &[&str], field: CapiField) -> Input {
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
    pub(super) fn lead(&self, compat: &Compat, origin: &Origin) -> String {
        match (origin, compat) {
            (Origin::Capi(field), Compat::On(m)) => {
                let text = self.config.get("capi_manifests").as_str().unwrap_or_default();
                format!("{}: ", capi_location(text, m, *field))
            }
            _ => String::new(),
        }
    }

    /// Reports an error about the value from `origin`, at its attribute.
    pub(super) fn report(&mut self, compat: &Compat, origin: &Origin, summary: &str, problem: &str, todo: &str) {
        let detail = format!("{}{problem}. {todo}", self.lead(compat, origin));
        err(self.diags, origin.path(), summary, detail);
    }
}
