//! Compat mode: reads Cluster API manifests the way the kubeadm bootstrap
//! provider (CABPK) does and turns them into the pieces of a node model.
//!
//! Input: a multi-document YAML string with one `KubeadmConfig`,
//! `KubeadmConfigTemplate` or `KubeadmControlPlane`
//! (`bootstrap.cluster.x-k8s.io` / `controlplane.cluster.x-k8s.io`
//! v1alpha3, v1alpha4, v1beta1, v1beta2), optionally with the `Cluster`,
//! `Machine`, `MachineDeployment` (or `MachineSet`/`MachinePool`) it belongs
//! to, and `Secret`s its files read. Infrastructure objects are skipped.
//!
//! CABPK's defaults: the Kubernetes version comes from the Machine (or its
//! MachineDeployment, or the KubeadmControlPlane); cluster name, control-plane
//! endpoint and networks come from the `clusterConfiguration` when set there
//! and from the Cluster otherwise. The role follows CABPK too: a machine
//! that is not a control plane joins as a worker; a control-plane machine
//! runs `kubeadm init` while the Cluster's control plane is not initialized
//! and joins once it is.
//!
//! Every problem is a [`Finding`] naming the document and the YAML path.
//!
//! Plain domain code: nothing here may depend on tonic, prost, msgpack or the
//! Terraform plugin protocol.

mod clc;
mod spec;
mod template;
mod yaml;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use serde_yaml_ng::Value;

pub use spec::{ClusterPart, ConfigSpec, Doc, FileTemplate, NodeName, NodePart, Pass, Target, UNINITIALIZED_TAINT};
use template::ControlPlane;
use yaml::{at, at_str, Walker};

use crate::bootstrap::node::{KubeadmPatches, KubernetesVersion, Role};
use crate::bootstrap::secret::Sensitive;

/// Secret name → key → value (plain text), for `contentFrom` and `passwdFrom`.
pub type Secrets = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A problem with the manifests: what, where, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// The document, e.g. `KubeadmConfig default/worker-0 (document 2)`.
    pub object: String,
    /// YAML path inside it, e.g. `spec.diskSetup`; empty for the whole document.
    pub path: String,
    pub message: String,
}

impl Finding {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.object, self.message)
        } else {
            write!(f, "{}, {}: {}", self.object, self.path, self.message)
        }
    }
}

const VERSIONS: [&str; 4] = ["v1alpha3", "v1alpha4", "v1beta1", "v1beta2"];
const CONTROL_PLANE_LABEL: &str = "cluster.x-k8s.io/control-plane";
const CLUSTER_NAME_LABEL: &str = "cluster.x-k8s.io/cluster-name";

/// One document of the input.
struct Object {
    index: usize,
    kind: String,
    version: String,
    name: String,
    value: Value,
}

impl Object {
    fn label(&self) -> String {
        let ns = at_str(&self.value, "metadata.namespace").unwrap_or("default");
        format!("{} {}/{} (document {})", self.kind, ns, self.name, self.index + 1)
    }
    fn labels(&self) -> BTreeMap<String, String> {
        at(&self.value, "metadata.labels")
            .as_mapping()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str().unwrap_or_default().to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }
    fn v1beta2(&self) -> bool {
        self.version == "v1beta2"
    }
}

/// What the manifests say about one node.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    /// The object the KubeadmConfigSpec came from.
    pub source: String,
    pub spec: ConfigSpec,
    /// The Machine's (or MachineDeployment's) name.
    pub machine_name: Option<String>,
    pub cluster_name: Option<String>,
    pub kubernetes_version: Option<String>,
    pub control_plane_endpoint: Option<String>,
    pub pod_subnet: Option<String>,
    pub service_subnet: Option<String>,
    pub dns_domain: Option<String>,
    /// The machine runs the control plane.
    pub control_plane: Option<bool>,
    /// The Cluster's status: is the control plane initialized?
    pub initialized: Option<bool>,
    pub findings: Vec<Finding>,
}

/// The pieces of a node the manifests give, for a role and kubeadm API version.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub node: NodePart,
    pub patches: KubeadmPatches,
    pub findings: Vec<Finding>,
}

fn split_documents(text: &str, findings: &mut Vec<Finding>) -> Vec<(usize, Value)> {
    let mut out = Vec::new();
    for (index, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        match Value::deserialize(doc) {
            Ok(Value::Null) => {}
            Ok(v) => out.push((index, v)),
            Err(e) => {
                let at =
                    e.location().map(|l| format!(" at line {}, column {}", l.line(), l.column())).unwrap_or_default();
                findings.push(Finding {
                    severity: Severity::Error,
                    object: format!("document {}", index + 1),
                    path: String::new(),
                    message: format!("is not valid YAML{at}: {e}"),
                });
                // The parser cannot resume after a syntax error.
                break;
            }
        }
    }
    out
}

/// Reads the manifests. Errors are findings; the result is only meaningful
/// when none of them is an error.
pub fn parse(text: &str, secrets: &Secrets) -> Manifests {
    let mut m = Manifests::default();
    let mut objects = Vec::new();
    let mut all_secrets: Secrets = BTreeMap::new();
    for (index, value) in split_documents(text, &mut m.findings) {
        let mut w = Walker { object: format!("document {}", index + 1), findings: &mut m.findings };
        let api_version = at_str(&value, "apiVersion").unwrap_or_default().to_string();
        let kind = at_str(&value, "kind").unwrap_or_default().to_string();
        if !value.is_mapping() {
            w.error("", "is not a Kubernetes object (a mapping with apiVersion and kind)");
            continue;
        }
        if api_version.is_empty() || kind.is_empty() {
            w.error(
                if api_version.is_empty() { "apiVersion" } else { "kind" },
                "is missing; every document must be a Kubernetes object with apiVersion and kind",
            );
            continue;
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version.as_str()));
        let name = at_str(&value, "metadata.name").unwrap_or_default().to_string();
        let known_kinds: &[&str] = match group {
            "bootstrap.cluster.x-k8s.io" => &["KubeadmConfig", "KubeadmConfigTemplate"],
            "cluster.x-k8s.io" => &["Cluster", "Machine", "MachineDeployment", "MachineSet", "MachinePool"],
            "controlplane.cluster.x-k8s.io" => &["KubeadmControlPlane"],
            "" if version == "v1" => &["Secret"],
            "infrastructure.cluster.x-k8s.io" => {
                w.warn(
                    "",
                    format!(
                        "{kind} {name:?} is an infrastructure object; it does not shape the node config and is skipped"
                    ),
                );
                continue;
            }
            _ => {
                w.error("apiVersion", format!("{api_version:?} is not a Cluster API group this provider reads (bootstrap.cluster.x-k8s.io, cluster.x-k8s.io, controlplane.cluster.x-k8s.io, v1 Secret)"));
                continue;
            }
        };
        if !known_kinds.contains(&kind.as_str()) {
            w.error(
                "kind",
                format!(
                    "{kind:?} is not a kind this provider reads in {api_version}; expected one of {}",
                    known_kinds.join(", ")
                ),
            );
            continue;
        }
        if group.is_empty() {
            read_secret(&value, &name, &mut w, &mut all_secrets);
            continue;
        }
        if !VERSIONS.contains(&version) {
            w.error(
                "apiVersion",
                format!(
                    "{api_version:?} is not a supported version; use {}",
                    VERSIONS.map(|v| format!("{group}/{v}")).join(", ")
                ),
            );
            continue;
        }
        objects.push(Object { index, kind, version: version.to_string(), name, value });
    }
    // Values given in capi_secrets win over Secrets in the manifests.
    for (name, keys) in secrets {
        all_secrets.entry(name.clone()).or_default().extend(keys.clone());
    }
    read_objects(&mut m, &objects, &all_secrets);
    m
}

fn read_secret(value: &Value, name: &str, w: &mut Walker<'_>, out: &mut Secrets) {
    let entry = out.entry(name.to_string()).or_default();
    for (k, v) in w.map(at(value, "data"), "data") {
        let p = format!("data.{k}");
        if let Some(b64) = w.string(v, &p) {
            match base64::engine::general_purpose::STANDARD.decode(b64.trim()).map(String::from_utf8) {
                Ok(Ok(text)) => {
                    entry.insert(k, text);
                }
                _ => w.error(&p, "is not base64-encoded UTF-8 text"),
            }
        }
    }
    for (k, v) in w.string_map(at(value, "stringData"), "stringData") {
        entry.insert(k, v);
    }
}

fn one<'o>(m: &mut Manifests, objects: &'o [Object], kinds: &[&str], chosen: Option<&str>) -> Option<&'o Object> {
    let found: Vec<&Object> = objects.iter().filter(|o| kinds.contains(&o.kind.as_str())).collect();
    if found.len() <= 1 {
        return found.first().copied();
    }
    if let Some(name) = chosen {
        if let Some(o) = found.iter().find(|o| o.name == name) {
            return Some(o);
        }
    }
    let second = found[1];
    m.findings.push(Finding {
        severity: Severity::Error,
        object: second.label(),
        path: String::new(),
        message: format!(
            "the manifests hold {} {} objects ({}), but one node is rendered from one; pass each node's objects separately",
            found.len(),
            kinds.join("/"),
            found.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
    });
    None
}

fn read_objects(m: &mut Manifests, objects: &[Object], secrets: &Secrets) {
    let machine = one(m, objects, &["Machine"], None);
    let deployment = one(m, objects, &["MachineDeployment", "MachineSet", "MachinePool"], None);
    let cluster = one(m, objects, &["Cluster"], None);
    let kcp = one(m, objects, &["KubeadmControlPlane"], None);
    let config_ref = |o: Option<&Object>, path: &str| o.and_then(|o| at_str(&o.value, path).map(str::to_string));
    let machine_ref = config_ref(machine, "spec.bootstrap.configRef.name");
    let template_ref = config_ref(deployment, "spec.template.spec.bootstrap.configRef.name");
    let config = one(m, objects, &["KubeadmConfig"], machine_ref.as_deref());
    let template =
        if config.is_none() { one(m, objects, &["KubeadmConfigTemplate"], template_ref.as_deref()) } else { None };

    let (source, spec_path) = match (config, template, kcp) {
        (Some(c), _, _) => (c, "spec"),
        (None, Some(t), _) => (t, "spec.template.spec"),
        (None, None, Some(k)) => (k, "spec.kubeadmConfigSpec"),
        (None, None, None) => {
            if !m.findings.iter().any(Finding::is_error) {
                m.findings.push(Finding {
                    severity: Severity::Error,
                    object: "capi_manifests".into(),
                    path: String::new(),
                    message: "holds no KubeadmConfig, KubeadmConfigTemplate or KubeadmControlPlane; give the bootstrap config of the node".into(),
                });
            }
            return;
        }
    };
    m.source = source.label();
    {
        let mut w = Walker { object: source.label(), findings: &mut m.findings };
        let spec = at(&source.value, spec_path);
        if spec.is_null() && source.kind != "KubeadmConfig" {
            w.error(spec_path, "is missing");
        }
        m.spec = spec::SpecReader { w: &mut w, v1beta2: source.v1beta2(), version: &source.version, secrets }
            .read(spec, spec_path);
    }
    let control_plane = control_plane_data(m, cluster, kcp);
    render_file_templates(m, source, &control_plane);
    if let (Some(mach), Some(want)) = (machine, &machine_ref) {
        if source.kind == "KubeadmConfig" && &source.name != want {
            m.findings.push(Finding {
                severity: Severity::Warning,
                object: mach.label(),
                path: "spec.bootstrap.configRef.name".into(),
                message: format!("names {want:?}, but the KubeadmConfig in the manifests is {:?}", source.name),
            });
        }
    }

    // Which machine, which version.
    m.machine_name = machine.or(deployment).map(|o| o.name.clone());
    m.kubernetes_version = machine
        .and_then(|o| at_str(&o.value, "spec.version"))
        .or_else(|| deployment.and_then(|o| at_str(&o.value, "spec.template.spec.version")))
        .or_else(|| kcp.and_then(|o| at_str(&o.value, "spec.version")))
        .map(str::to_string)
        .or_else(|| m.spec.cluster.as_ref().and_then(|c| c.kubernetes_version.clone()));

    // Cluster-wide values: the config first, then the Cluster (CABPK's order).
    let cc = m.spec.cluster.clone().unwrap_or_default();
    let labelled = [machine, deployment, Some(source)]
        .into_iter()
        .flatten()
        .find_map(|o| o.labels().get(CLUSTER_NAME_LABEL).cloned().filter(|s| !s.is_empty()));
    m.cluster_name = cc
        .name
        .clone()
        .or_else(|| cluster.map(|c| c.name.clone()))
        .or_else(|| machine.and_then(|o| at_str(&o.value, "spec.clusterName")).map(str::to_string))
        .or_else(|| deployment.and_then(|o| at_str(&o.value, "spec.clusterName")).map(str::to_string))
        .or(labelled);
    let cluster_endpoint = cluster.and_then(|c| {
        let host = at_str(&c.value, "spec.controlPlaneEndpoint.host").filter(|h| !h.is_empty())?;
        let port = at(&c.value, "spec.controlPlaneEndpoint.port").as_i64().filter(|p| *p > 0).unwrap_or(6443);
        Some(if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") })
    });
    m.control_plane_endpoint = cc
        .control_plane_endpoint
        .clone()
        .filter(|s| !s.is_empty())
        .or(cluster_endpoint)
        .or_else(|| m.spec.join.as_ref().and_then(|j| j.discovery_endpoint.clone()));
    let blocks = |path: &str| -> Option<String> {
        let list = at(&cluster?.value, path).as_sequence()?;
        let cidrs: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
        (!cidrs.is_empty()).then(|| cidrs.join(","))
    };
    m.pod_subnet = cc.pod_subnet.clone().or_else(|| blocks("spec.clusterNetwork.pods.cidrBlocks"));
    m.service_subnet = cc.service_subnet.clone().or_else(|| blocks("spec.clusterNetwork.services.cidrBlocks"));
    m.dns_domain = cc
        .dns_domain
        .clone()
        .or_else(|| cluster.and_then(|c| at_str(&c.value, "spec.clusterNetwork.serviceDomain")).map(str::to_string));
    m.initialized = cluster.and_then(|c| initialized(&c.value));

    // Control plane or worker.
    let cp_label = [machine, Some(source)].into_iter().flatten().any(|o| o.labels().contains_key(CONTROL_PLANE_LABEL));
    m.control_plane = if source.kind == "KubeadmControlPlane" || cp_label {
        Some(true)
    } else if machine.is_some() || source.kind == "KubeadmConfigTemplate" {
        Some(false)
    } else if m.spec.join.as_ref().is_some_and(|j| j.control_plane) || m.spec.init.is_some() {
        Some(true)
    } else if m.spec.join.is_some() {
        Some(false)
    } else {
        None
    };

    if source.kind == "KubeadmControlPlane" {
        kcp_default_feature_gates(m, at_str(&source.value, "spec.version"));
    }
}

/// The template data's `.controlPlane`, as CABPK finds it (its
/// `getControlPlaneVersion` and `resolveFiles`): the `spec.version` of the
/// object the Cluster's `controlPlaneRef` names, normalised to a full
/// semantic version with a leading `v`; absent when the Cluster has no
/// control plane reference or the control plane no version. Without a
/// Cluster in the manifests, a KubeadmControlPlane there is taken as its
/// control plane. A version CABPK cannot read fails every node's files, so
/// it is an error here whether or not a file is a template.
fn control_plane_data(m: &mut Manifests, cluster: Option<&Object>, kcp: Option<&Object>) -> ControlPlane {
    let target = match cluster {
        Some(c) => {
            let r = at(&c.value, "spec.controlPlaneRef");
            let s = |k: &str| at_str(r, k).unwrap_or_default();
            // v1beta2 names the group, v1beta1 the apiVersion.
            let group = match s("apiGroup") {
                "" => s("apiVersion").rsplit_once('/').map_or("", |(g, _)| g),
                g => g,
            };
            let (kind, name) = (s("kind"), s("name"));
            if kind.is_empty() && name.is_empty() && group.is_empty() {
                return ControlPlane::Absent;
            }
            match kcp {
                Some(k) if kind == "KubeadmControlPlane" && k.name == name => k,
                _ if kind == "KubeadmControlPlane" => {
                    return ControlPlane::Unknown(format!(
                        "the Cluster's controlPlaneRef names KubeadmControlPlane {name:?}, which the manifests do not hold; add it to them"
                    ))
                }
                _ => {
                    return ControlPlane::Unknown(format!(
                        "the Cluster's controlPlaneRef names {kind} {name:?}, which compat mode does not read; render the content in Terraform (templatefile) and pass it without contentFormat"
                    ))
                }
            }
        }
        None => match kcp {
            Some(k) => k,
            None => return ControlPlane::Unknown(
                "the manifests hold no Cluster, so they do not tell which control plane it references; add the Cluster and its KubeadmControlPlane to them".into(),
            ),
        },
    };
    let version = at_str(&target.value, "spec.version").unwrap_or_default();
    if version.is_empty() {
        return ControlPlane::Absent;
    }
    match template::normalize_version(version) {
        Ok(v) => ControlPlane::Version(v),
        Err(why) => {
            m.findings.push(Finding {
                severity: Severity::Error,
                object: target.label(),
                path: "spec.version".into(),
                message: format!("{version:?} is not a version Cluster API can read ({why}); CABPK fails to prepare the files of every node of the cluster with it"),
            });
            ControlPlane::Unknown(format!("the control plane's spec.version {version:?} is not a version"))
        }
    }
}

/// Renders the files whose content is a Go template (`contentFormat:
/// Template`) with the template data CABPK builds.
fn render_file_templates(m: &mut Manifests, source: &Object, control_plane: &ControlPlane) {
    for t in std::mem::take(&mut m.spec.templates) {
        let Some(file) = m.spec.files.get_mut(t.index) else { continue };
        match template::render(file.content.expose(), control_plane) {
            Ok(r) => {
                file.content = Sensitive::new(r.text);
                for operand in r.no_value {
                    let why = if operand.trim_start_matches('$').starts_with(".controlPlane")
                        && *control_plane == ControlPlane::Absent
                    {
                        "the Cluster has no controlPlaneRef naming a control plane with a spec.version, so the template data is empty; guard the line with {{ if .controlPlane }} ... {{ end }}"
                    } else {
                        "the template data holds only .controlPlane.version (names are case-sensitive)"
                    };
                    m.findings.push(Finding {
                        severity: Severity::Warning,
                        object: source.label(),
                        path: t.source.clone(),
                        message: format!(
                            "{{{{ {operand} }}}} renders as \"<no value>\", as Cluster API renders it: {why}"
                        ),
                    });
                }
            }
            Err(why) => m.findings.push(Finding {
                severity: Severity::Error,
                object: source.label(),
                path: t.source.clone(),
                message: format!(
                    "the Go template (contentFormat: Template) cannot be rendered as Cluster API renders it: {why}"
                ),
            }),
        }
    }
}

/// The kubeadm feature gate KubeadmControlPlane turns on in the
/// KubeadmConfigs it creates for Kubernetes 1.31 to 1.35: the kubelet of a
/// control-plane node talks to the API server on its own node.
pub const KCP_KUBELET_LOCAL_MODE_GATE: &str = "ControlPlaneKubeletLocalMode";

/// KubeadmControlPlane's defaulting of the configs it creates: from 1.31,
/// where kubeadm added the gate, up to 1.35 (from 1.36 on KCP leaves it
/// out: the behaviour is no longer behind a gate),
/// `ControlPlaneKubeletLocalMode` is on unless the `clusterConfiguration`
/// names it. KCP decides by its own `spec.version`, and so does this. Only `kubeadm init` reads it from the node's config
/// (joins take the cluster's). A spec with neither cluster nor init
/// configuration, whose role no Cluster status tells, is left alone: it
/// describes a join, and a cluster configuration would make it ambiguous.
fn kcp_default_feature_gates(m: &mut Manifests, version: Option<&str>) {
    let Some(v) = version.and_then(|v| KubernetesVersion::parse(v).ok()) else { return };
    if !(31..36).contains(&v.minor) {
        return;
    }
    if m.spec.cluster.is_none() && m.spec.init.is_none() && m.initialized.is_none() {
        return;
    }
    let cluster = m.spec.cluster.get_or_insert_with(ClusterPart::default);
    cluster.feature_gates.entry(KCP_KUBELET_LOCAL_MODE_GATE.to_string()).or_insert(true);
}

/// Whether the Cluster's status says the control plane is initialized.
fn initialized(cluster: &Value) -> Option<bool> {
    // The condition first, as CABPK reads it; v1beta1 Clusters may carry
    // the newer conditions under status.v1beta2.
    let condition = ["status.conditions", "status.v1beta2.conditions"].iter().find_map(|path| {
        at(cluster, path)
            .as_sequence()?
            .iter()
            .find(|c| at_str(c, "type") == Some("ControlPlaneInitialized"))
            .map(|c| at_str(c, "status") == Some("True"))
    });
    condition
        .or_else(|| at(cluster, "status.initialization.controlPlaneInitialized").as_bool())
        .or_else(|| at(cluster, "status.controlPlaneInitialized").as_bool())
}

impl Manifests {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The role CABPK would give the node, or why it cannot tell.
    pub fn inferred_role(&self) -> Result<Role, String> {
        match self.control_plane {
            Some(false) => Ok(Role::Worker),
            Some(true) => match self.initialized {
                Some(true) => Ok(Role::ControlPlane),
                Some(false) => Ok(Role::Init),
                None => {
                    let join_cp = self.spec.join.as_ref().is_some_and(|j| j.control_plane);
                    let init = self.spec.init.is_some() || self.spec.cluster.is_some();
                    match (init, join_cp) {
                        (true, false) => Ok(Role::Init),
                        (false, true) => Ok(Role::ControlPlane),
                        _ => Err(format!("{} describes both kubeadm init and a control-plane join, and no Cluster status says whether the control plane is initialized", self.source)),
                    }
                }
            },
            None => {
                Err(format!("{} says neither whether the machine is a control plane nor how it joins", self.source))
            }
        }
    }

    /// The node part and kubeadm patches for `role` on the given kubeadm API.
    pub fn resolve(&self, role: Role, v1beta4: bool) -> Resolved {
        let mut r = Resolved::default();
        let part = match role {
            Role::Init => self.spec.init.clone(),
            Role::ControlPlane | Role::Worker => self.spec.join.clone(),
        };
        r.node = part.unwrap_or_default();
        if r.node.name == NodeName::Unset && r.node.aws_provider_id {
            r.node.name = NodeName::Aws;
        }
        let mut docs: BTreeMap<&'static str, Map<String, Json>> = BTreeMap::new();
        let node_doc = if role == Role::Init { Doc::Init } else { Doc::Join };
        let mut passes: Vec<&Pass> = r.node.passes.iter().collect();
        if let Some(c) = &self.spec.cluster {
            passes.extend(if role == Role::Init { c.passes.iter() } else { c.join_passes.iter() });
        }
        if let NodeName::Literal(name) = &r.node.name {
            let value = Json::String(name.clone());
            insert(docs.entry(doc_name(node_doc)).or_default(), &["nodeRegistration", "name"], value);
        }
        for pass in passes {
            let chosen = if v1beta4 { &pass.v1beta4 } else { &pass.v1beta3 };
            match chosen {
                Ok(t) => {
                    if t.doc == Doc::Cluster && role != Role::Init || t.doc != Doc::Cluster && t.doc != node_doc {
                        continue;
                    }
                    let path: Vec<&str> = t.path.iter().map(String::as_str).collect();
                    insert(docs.entry(doc_name(t.doc)).or_default(), &path, t.value.clone());
                }
                // Cluster API drops these too when it writes an older kubeadm API.
                Err(why) => r.findings.push(Finding {
                    severity: Severity::Warning,
                    object: self.source.clone(),
                    path: pass.source.clone(),
                    message: why.clone(),
                }),
            }
        }
        let validity = self.spec.cluster.as_ref().and_then(|c| c.certificate_validity.as_ref());
        if let (Role::Init, Some((_, source)), false) = (role, validity, v1beta4) {
            // Cluster API drops it too when it writes kubeadm's v1beta3.
            r.findings.push(Finding {
                severity: Severity::Warning,
                object: self.source.clone(),
                path: source.clone(),
                message: "not carried over: kubeadm's v1beta3 config API (Kubernetes 1.22–1.30) has no certificate validity setting and signs for a year; it takes effect from Kubernetes 1.31".into(),
            });
        }
        let text = |name: &str| docs.get(name).map(|m| Json::Object(m.clone()).to_string());
        r.patches = KubeadmPatches {
            cluster_configuration: text("cluster_configuration"),
            init_configuration: text("init_configuration"),
            join_configuration: text("join_configuration"),
            kubelet_configuration: None,
            kube_proxy_configuration: None,
        };
        r
    }
}

fn doc_name(doc: Doc) -> &'static str {
    match doc {
        Doc::Cluster => "cluster_configuration",
        Doc::Init => "init_configuration",
        Doc::Join => "join_configuration",
    }
}

/// Sets `path` in nested JSON objects, merging mappings already there.
fn insert(map: &mut Map<String, Json>, path: &[&str], value: Json) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut cur = map;
    for p in parents {
        let entry = cur.entry(p.to_string()).or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        let Json::Object(next) = entry else { return };
        cur = next;
    }
    match (cur.get_mut(*last), value) {
        (Some(Json::Object(existing)), Json::Object(more)) => existing.extend(more),
        (_, value) => {
            cur.insert(last.to_string(), value);
        }
    }
}

/// Composes two JSON merge patches: applying the result equals applying
/// `first`, then `second`.
pub fn compose_patches(first: &str, second: &str) -> Option<String> {
    let a: Json = serde_yaml_ng::from_str(first).ok()?;
    let b: Json = serde_yaml_ng::from_str(second).ok()?;
    fn go(a: &mut Json, b: &Json) {
        match (a, b) {
            (Json::Object(am), Json::Object(bm)) => {
                for (k, v) in bm {
                    match am.get_mut(k) {
                        Some(existing) if existing.is_object() && v.is_object() => go(existing, v),
                        _ => {
                            am.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            (a, b) => *a = b.clone(),
        }
    }
    let mut a = a;
    go(&mut a, &b);
    Some(a.to_string())
}
