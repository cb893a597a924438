//! Reads one `KubeadmConfigSpec` (the spec of a `KubeadmConfig`, the
//! `spec.template.spec` of a `KubeadmConfigTemplate` or the
//! `spec.kubeadmConfigSpec` of a `KubeadmControlPlane`) field by field.
//!
//! Every field lands in one of three places: the node model (what the HCL
//! blocks also set), a kubeadm merge patch for fields the model does not
//! carry (converted to the kubeadm API version the node gets), or a finding
//! that names its YAML path. A field this reader does not know is an error,
//! so nothing is ever dropped silently.
//!
//! Both shapes are read: v1alpha3 to v1beta1 (kubeadm v1beta1–v1beta3 style:
//! `extraArgs` maps, duration strings) and v1beta2 (kubeadm v1beta4 style:
//! `extraArgs` lists, `*Seconds` integers, validity in days).

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value as Json};
use serde_yaml_ng::Value;

use super::clc;
use super::yaml::{to_json, Walker};
use super::Secrets;
use crate::bootstrap::artifacts::parse_mode;
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::node::{ApiServerSpec, ComponentSpec, EtcdSpec, FileSpec, NameFrom, Taint, UserSpec};
use crate::bootstrap::secret::Sensitive;

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

fn target(doc: Doc, path: &[&str], value: Json) -> Target {
    Target { doc, path: path.iter().map(|s| s.to_string()).collect(), value }
}

fn same(source: &str, doc: Doc, path: &[&str], value: Json) -> Pass {
    let t = target(doc, path, value);
    Pass { source: source.to_string(), v1beta3: Ok(t.clone()), v1beta4: Ok(t) }
}

fn v4_only(source: &str, doc: Doc, path: &[&str], value: Json) -> Pass {
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

/// Reads a KubeadmConfigSpec at `path` (e.g. `spec` or `spec.template.spec`).
pub(super) struct SpecReader<'w, 'a> {
    pub w: &'w mut Walker<'a>,
    pub v1beta2: bool,
    /// The object's API version (`v1alpha3` ... `v1beta2`).
    pub version: &'w str,
    pub secrets: &'w Secrets,
}

impl SpecReader<'_, '_> {
    fn unknown(&mut self, path: &str, key: &str) {
        self.w.error(
            &format!("{path}.{key}"),
            "unknown field; check its spelling and the Cluster API version of the object",
        );
    }

    /// A field that exists only in the other API shape.
    fn wrong_shape(&mut self, path: &str, moved_to: &str) {
        let version = if self.v1beta2 { "v1beta2" } else { "v1beta1 and older" };
        self.w.error(path, format!("this field does not exist in bootstrap.cluster.x-k8s.io {version}; {moved_to}"));
    }

    /// `apiVersion`/`kind` inside the kubeadm sections: Cluster API fills
    /// them in, and so does this provider (from the Kubernetes version).
    fn type_meta(&mut self, v: &Value, path: &str) {
        if self.w.string(v, path).is_some_and(|s| !s.is_empty()) {
            self.w.warn(path, "not carried over: the kubeadm API version and kind follow from the Kubernetes version (v1beta3 before 1.31, v1beta4 from 1.31)");
        }
    }

    pub fn read(&mut self, v: &Value, path: &str) -> ConfigSpec {
        let mut out = ConfigSpec::default();
        let mut mounts: Option<(String, &Value)> = None;
        let mut has_disk_setup = false;
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "clusterConfiguration" => out.cluster = (!val.is_null()).then(|| self.cluster(val, &p)),
                "initConfiguration" => out.init = (!val.is_null()).then(|| self.node(val, &p, Doc::Init)),
                "joinConfiguration" => out.join = (!val.is_null()).then(|| self.node(val, &p, Doc::Join)),
                "files" => {
                    for (i, f) in self.w.list(val, &p).iter().enumerate() {
                        let fp = format!("{p}[{i}]");
                        if let Some((file, template)) = self.file(f, &fp) {
                            if let Some(source) = template {
                                out.templates.push(FileTemplate { index: out.files.len(), source });
                            }
                            out.files.push(file);
                        }
                    }
                }
                "diskSetup" => {
                    let empty = self.w.map(val, &p).iter().all(|(_, x)| x.is_null() || x.as_sequence().is_some_and(|s| s.is_empty()));
                    if !empty {
                        has_disk_setup = true;
                        self.w.error(&p, "partitioning and formatting disks is not rendered for Ignition-based nodes; describe the disks in an Ignition config (storage.disks and storage.filesystems) passed in additional_ignition, and remove diskSetup");
                    }
                }
                "mounts" => mounts = Some((p, val)),
                "bootCommands" => {
                    if !self.w.list(val, &p).is_empty() {
                        self.w.error(&p, "bootCommands are a cloud-init feature that Ignition cannot run (Cluster API forbids them with format: ignition too); move them to preKubeadmCommands or a systemd unit in additional_ignition");
                    }
                }
                "preKubeadmCommands" => out.pre_kubeadm_commands = self.commands(val, &p),
                "postKubeadmCommands" => out.post_kubeadm_commands = self.commands(val, &p),
                "users" => {
                    for (i, u) in self.w.list(val, &p).iter().enumerate() {
                        if let Some((user, sudo)) = self.user(u, &format!("{p}[{i}]")) {
                            if let Some(sudo) = sudo {
                                out.files.push(FileSpec {
                                    path: format!("/etc/sudoers.d/{}", user.name),
                                    content: Sensitive::new(format!("{} {}\n", user.name, sudo)),
                                    mode: 0o440,
                                    owner: None,
                                    replace_generated: true,
                                });
                            }
                            out.users.push(user);
                        }
                    }
                }
                "ntp" => {
                    let mut enabled = None;
                    let mut servers = Vec::new();
                    for (nk, nv) in self.w.map(val, &p) {
                        let np = format!("{p}.{nk}");
                        match nk.as_str() {
                            "servers" => servers = self.w.strings(nv, &np),
                            "enabled" => enabled = self.w.bool(nv, &np),
                            _ => self.unknown(&p, &nk),
                        }
                    }
                    if enabled == Some(false) {
                        if !servers.is_empty() {
                            self.w.warn(&format!("{p}.enabled"), "NTP is disabled, so ntp.servers are not configured; the image's default time sources stay in place");
                        }
                    } else {
                        out.ntp_servers = servers;
                    }
                }
                "format" => match self.w.string(val, &p).as_deref() {
                    None | Some("ignition") => {}
                    Some("cloud-config") => self.w.warn(&p, "this node boots with Ignition (Flatcar, Fedora CoreOS): the config is rendered as Ignition, not cloud-config"),
                    Some(other) => self.w.error(&p, format!("unknown bootstrap format {other:?}; Cluster API knows cloud-config and ignition")),
                },
                "verbosity" => match self.w.int(val, &p) {
                    Some(n) if (0..=10).contains(&n) => out.verbosity = Some(n as u8),
                    Some(n) => self.w.error(&p, format!("kubeadm verbosity {n} is out of range; use 0 to 10")),
                    None => {}
                },
                "useExperimentalRetryJoin" => {
                    if self.v1beta2 {
                        self.wrong_shape(&p, "it was removed: joins are retried anyway");
                    } else if self.w.bool(val, &p) == Some(true) {
                        self.w.warn(&p, "not needed: the node's bootstrap unit always retries kubeadm join with backoff, resetting between tries");
                    }
                }
                "ignition" => self.ignition(val, &p, &mut out),
                _ => self.unknown(path, &k),
            }
        }
        if let Some((p, val)) = mounts {
            if let Some(unit) = self.mounts(val, &p, has_disk_setup) {
                out.additional_ignition.push(unit);
            }
        }
        out
    }

    fn commands(&mut self, v: &Value, path: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, c) in self.w.strings(v, path).into_iter().enumerate() {
            // Cluster API's Ignition templates rewrite CABPK's own config
            // file with envsubst; this provider substitutes the node name
            // itself and writes its config elsewhere.
            if c.contains("/etc/kubeadm.yml") {
                self.w.warn(&format!("{path}[{i}]"), format!("{c:?} edits CABPK's /etc/kubeadm.yml, which this provider does not write (the node name and provider ID are filled in by the bootstrap unit); the command is left out"));
                continue;
            }
            out.push(c);
        }
        out
    }

    // ---- clusterConfiguration ----------------------------------------------------

    fn cluster(&mut self, v: &Value, path: &str) -> ClusterPart {
        let mut c = ClusterPart::default();
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "apiVersion" | "kind" => self.type_meta(val, &p),
                "etcd" => self.etcd(val, &p, &mut c),
                "networking" => {
                    if self.v1beta2 {
                        self.wrong_shape(&p, "the networks come from the Cluster's spec.clusterNetwork");
                    }
                    for (nk, nv) in self.w.map(val, &p) {
                        let np = format!("{p}.{nk}");
                        match nk.as_str() {
                            "serviceSubnet" => c.service_subnet = self.w.string(nv, &np),
                            "podSubnet" => c.pod_subnet = self.w.string(nv, &np),
                            "dnsDomain" => c.dns_domain = self.w.string(nv, &np),
                            _ => self.unknown(&p, &nk),
                        }
                    }
                }
                "kubernetesVersion" => {
                    if self.v1beta2 {
                        self.wrong_shape(&p, "the version comes from the Machine's spec.version");
                    }
                    c.kubernetes_version = self.w.string(val, &p);
                }
                "clusterName" => {
                    if self.v1beta2 {
                        self.wrong_shape(&p, "the name comes from the Cluster");
                    }
                    c.name = self.w.string(val, &p);
                }
                "controlPlaneEndpoint" => c.control_plane_endpoint = self.w.string(val, &p),
                "apiServer" => self.api_server(val, &p, &mut c),
                "controllerManager" => {
                    c.controller_manager.extra_args = self.component(val, &p, "controllerManager", &mut c.passes)
                }
                "scheduler" => c.scheduler.extra_args = self.component(val, &p, "scheduler", &mut c.passes),
                "dns" => {
                    for (dk, dv) in self.w.map(val, &p) {
                        let dp = format!("{p}.{dk}");
                        match dk.as_str() {
                            "imageRepository" | "imageTag" => {
                                if let Some(s) = self.w.string(dv, &dp) {
                                    c.passes.push(same(&dp, Doc::Cluster, &["dns", &dk], json!(s)));
                                }
                            }
                            "type" => match self.w.string(dv, &dp).as_deref() {
                                None | Some("CoreDNS") => {
                                    self.w.warn(&dp, "kubeadm only deploys CoreDNS; dns.type is not carried over")
                                }
                                Some(other) => self.w.error(&dp, format!("DNS type {other:?} is not supported: kubeadm v1beta3 and newer deploy CoreDNS only")),
                            },
                            "disabled" => {
                                if let Some(b) = self.w.bool(dv, &dp) {
                                    c.passes.push(v4_only(&dp, Doc::Cluster, &["dns", "disabled"], json!(b)));
                                }
                            }
                            _ => self.unknown(&p, &dk),
                        }
                    }
                }
                "proxy" => {
                    for (dk, dv) in self.w.map(val, &p) {
                        let dp = format!("{p}.{dk}");
                        match dk.as_str() {
                            "disabled" => {
                                if let Some(b) = self.w.bool(dv, &dp) {
                                    c.passes.push(v4_only(&dp, Doc::Cluster, &["proxy", "disabled"], json!(b)));
                                }
                            }
                            _ => self.unknown(&p, &dk),
                        }
                    }
                }
                "certificatesDir" => {
                    if let Some(dir) = self.w.string(val, &p) {
                        if dir.trim_end_matches('/') != "/etc/kubernetes/pki" {
                            self.w.error(&p, format!("the cluster CAs are written to /etc/kubernetes/pki, so kubeadm would mint new CAs in {dir:?}; remove certificatesDir or set it to /etc/kubernetes/pki"));
                        }
                    }
                }
                "imageRepository" => c.image_repository = self.w.string(val, &p),
                "featureGates" => {
                    for (gk, gv) in self.w.map(val, &p) {
                        if let Some(b) = self.w.bool(gv, &format!("{p}.{gk}")) {
                            c.feature_gates.insert(gk, b);
                        }
                    }
                }
                "useHyperKubeImage" => {
                    if self.w.bool(val, &p) == Some(true) {
                        self.w.error(
                            &p,
                            "the hyperkube image is gone from kubeadm (since v1beta3); remove useHyperKubeImage",
                        );
                    }
                }
                "certificateValidityPeriodDays" => {
                    // The node model carries it (cluster.certificate_validity), so HCL can override it.
                    if let Some(d) = self.days(val, &p) {
                        c.certificate_validity = Some((d, p.clone()));
                    }
                }
                "caCertificateValidityPeriodDays" => {
                    if self.days(val, &p).is_some() {
                        self.w.warn(&p, "the CAs come from cluster_ca (kubeadm_cluster_ca); set their lifetime there with validity_days");
                    }
                }
                "encryptionAlgorithm" => {
                    if let Some(a) = self.w.string(val, &p) {
                        const KNOWN: [&str; 5] = ["ECDSA-P256", "ECDSA-P384", "RSA-2048", "RSA-3072", "RSA-4096"];
                        if KNOWN.contains(&a.as_str()) {
                            c.passes.push(v4_only(&p, Doc::Cluster, &["encryptionAlgorithm"], json!(a)));
                        } else {
                            self.w.error(
                                &p,
                                format!("unknown encryption algorithm {a:?}; use one of {}", KNOWN.join(", ")),
                            );
                        }
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
        c
    }

    fn days(&mut self, v: &Value, path: &str) -> Option<GoDuration> {
        let n = self.w.int(v, path)?;
        let days = match u32::try_from(n) {
            Ok(d) if d > 0 => d,
            _ => {
                self.w.error(path, "must be a positive number of days");
                return None;
            }
        };
        match i64::from(days).checked_mul(24 * 3600).and_then(GoDuration::checked_from_secs) {
            Some(d) => Some(d),
            None => {
                self.w.error(path, "is too many days for a duration kubeadm can hold (about 106,000 at most)");
                None
            }
        }
    }

    fn etcd(&mut self, v: &Value, path: &str, c: &mut ClusterPart) {
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "local" => {
                    for (lk, lv) in self.w.map(val, &p) {
                        let lp = format!("{p}.{lk}");
                        match lk.as_str() {
                            "dataDir" => c.etcd.data_dir = self.w.string(lv, &lp),
                            "extraArgs" => c.etcd.extra_args = self.args(lv, &lp),
                            "imageRepository" | "imageTag" => {
                                if let Some(s) = self.w.string(lv, &lp) {
                                    c.passes.push(same(&lp, Doc::Cluster, &["etcd", "local", &lk], json!(s)));
                                }
                            }
                            "serverCertSANs" | "peerCertSANs" => {
                                let list = self.w.strings(lv, &lp);
                                if !list.is_empty() {
                                    c.passes.push(same(&lp, Doc::Cluster, &["etcd", "local", &lk], json!(list)));
                                }
                            }
                            "extraEnvs" => {
                                if let Some(envs) = self.envs(lv, &lp) {
                                    c.passes.push(v4_only(&lp, Doc::Cluster, &["etcd", "local", "extraEnvs"], envs));
                                }
                            }
                            _ => self.unknown(&p, &lk),
                        }
                    }
                }
                "external" => {
                    let mut ext = serde_json::Map::new();
                    for (ek, ev) in self.w.map(val, &p) {
                        let ep = format!("{p}.{ek}");
                        match ek.as_str() {
                            "endpoints" => {
                                ext.insert(ek, json!(self.w.strings(ev, &ep)));
                            }
                            "caFile" | "certFile" | "keyFile" => {
                                if let Some(s) = self.w.string(ev, &ep) {
                                    ext.insert(ek, json!(s));
                                }
                            }
                            _ => self.unknown(&p, &ek),
                        }
                    }
                    // External etcd replaces the stacked one.
                    c.passes.push(same(&p, Doc::Cluster, &["etcd"], json!({ "local": null, "external": ext })));
                    self.w.warn(&p, "with external etcd the node needs the etcd client certificate and key at caFile/certFile/keyFile; ship them with files (contentFrom secrets in capi_secrets)");
                }
                _ => self.unknown(path, &k),
            }
        }
    }

    fn api_server(&mut self, v: &Value, path: &str, c: &mut ClusterPart) {
        let mut rest = serde_yaml_ng::Mapping::new();
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "certSANs" => c.api_server.cert_sans = self.w.strings(val, &p),
                "timeoutForControlPlane" => {
                    if self.v1beta2 {
                        self.wrong_shape(
                            &p,
                            "it moved to initConfiguration.timeouts.controlPlaneComponentHealthCheckSeconds",
                        );
                    } else if let Some(d) = self.duration(val, &p) {
                        let v1beta3 = target(Doc::Cluster, &["apiServer", "timeoutForControlPlane"], json!(d));
                        c.passes.push(Pass {
                            source: p.clone(),
                            v1beta3: Ok(v1beta3.clone()),
                            v1beta4: Ok(target(Doc::Init, &["timeouts", "controlPlaneComponentHealthCheck"], json!(d))),
                        });
                        // Cluster API's conversion gives joins the same wait,
                        // as kubeadm's own v1beta3 conversion does. A v1beta3
                        // join has no such field (it reads the cluster's
                        // ClusterConfiguration), and a joining node renders
                        // no ClusterConfiguration: nothing lands there.
                        c.join_passes.push(Pass {
                            source: p.clone(),
                            v1beta3: Ok(v1beta3),
                            v1beta4: Ok(target(Doc::Join, &["timeouts", "controlPlaneComponentHealthCheck"], json!(d))),
                        });
                    }
                }
                _ => {
                    rest.insert(Value::String(k), val.clone());
                }
            }
        }
        c.api_server.extra_args = self.component(&Value::Mapping(rest), path, "apiServer", &mut c.passes);
    }

    /// `extraArgs`, `extraVolumes` and `extraEnvs` of a control-plane component.
    fn component(&mut self, v: &Value, path: &str, name: &str, passes: &mut Vec<Pass>) -> BTreeMap<String, String> {
        let mut args = BTreeMap::new();
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "extraArgs" => args = self.args(val, &p),
                "extraVolumes" => {
                    let mut vols = Vec::new();
                    for (i, vol) in self.w.list(val, &p).iter().enumerate() {
                        let vp = format!("{p}[{i}]");
                        let mut m = serde_json::Map::new();
                        for (vk, vv) in self.w.map(vol, &vp) {
                            let vkp = format!("{vp}.{vk}");
                            match vk.as_str() {
                                "name" | "hostPath" | "mountPath" | "pathType" => {
                                    if let Some(s) = self.w.string(vv, &vkp) {
                                        m.insert(vk, json!(s));
                                    }
                                }
                                "readOnly" => {
                                    if let Some(b) = self.w.bool(vv, &vkp) {
                                        m.insert(vk, json!(b));
                                    }
                                }
                                _ => self.unknown(&vp, &vk),
                            }
                        }
                        vols.push(Json::Object(m));
                    }
                    if !vols.is_empty() {
                        passes.push(same(&p, Doc::Cluster, &[name, "extraVolumes"], Json::Array(vols)));
                    }
                }
                "extraEnvs" => {
                    if let Some(envs) = self.envs(val, &p) {
                        passes.push(v4_only(&p, Doc::Cluster, &[name, "extraEnvs"], envs));
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
        args
    }

    fn envs(&mut self, v: &Value, path: &str) -> Option<Json> {
        let list = self.w.list(v, path);
        if list.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for (i, e) in list.iter().enumerate() {
            let ep = format!("{path}[{i}]");
            for (k, _) in self.w.map(e, &ep) {
                if !matches!(k.as_str(), "name" | "value" | "valueFrom") {
                    self.unknown(&ep, &k);
                }
            }
            out.push(to_json(e));
        }
        Some(Json::Array(out))
    }

    /// `extraArgs`: a map (v1beta1 and older) or a list of `{name, value}` (v1beta2).
    fn args(&mut self, v: &Value, path: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match v {
            Value::Sequence(items) => {
                if !self.v1beta2 {
                    self.wrong_shape(path, "write extraArgs as a mapping of flag to value");
                }
                for (i, item) in items.iter().enumerate() {
                    let ip = format!("{path}[{i}]");
                    let mut name = None;
                    let mut value = None;
                    for (k, val) in self.w.map(item, &ip) {
                        match k.as_str() {
                            "name" => name = self.w.string(val, &format!("{ip}.name")),
                            "value" => value = self.w.string(val, &format!("{ip}.value")),
                            _ => self.unknown(&ip, &k),
                        }
                    }
                    match name {
                        None => self.w.error(&ip, "an argument needs a name"),
                        Some(n) => {
                            if out.insert(n.clone(), value.unwrap_or_default()).is_some() {
                                self.w.error(&ip, format!("the flag {n:?} is given twice; repeated flags are not carried over, give it once (or set the list with kubeadm_config_patches)"));
                            }
                        }
                    }
                }
            }
            Value::Null => {}
            _ => {
                if self.v1beta2 {
                    self.wrong_shape(path, "in v1beta2 extraArgs is a list of {name, value}");
                }
                out.extend(self.w.string_map(v, path));
            }
        }
        out
    }

    fn duration(&mut self, v: &Value, path: &str) -> Option<String> {
        let s = self.w.string(v, path)?;
        match GoDuration::parse(&s) {
            Ok(d) => Some(d.format()),
            Err(e) => {
                self.w.error(path, format!("{e}"));
                None
            }
        }
    }

    fn seconds(&mut self, v: &Value, path: &str) -> Option<String> {
        let n = self.w.int(v, path)?;
        if n < 0 {
            self.w.error(path, "must not be negative");
            return None;
        }
        GoDuration::parse(&format!("{n}s")).ok().map(|d| d.format())
    }

    // ---- initConfiguration / joinConfiguration -----------------------------------

    fn node(&mut self, v: &Value, path: &str, doc: Doc) -> NodePart {
        let mut n = NodePart::default();
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match (k.as_str(), doc) {
                ("apiVersion" | "kind", _) => self.type_meta(val, &p),
                ("nodeRegistration", _) => self.registration(val, &p, doc, &mut n),
                ("skipPhases", _) => n.skip_phases = self.w.strings(val, &p),
                ("patches", _) => {
                    for (pk, pv) in self.w.map(val, &p) {
                        let pp = format!("{p}.{pk}");
                        match pk.as_str() {
                            "directory" => {
                                if let Some(dir) = self.w.string(pv, &pp) {
                                    self.w.warn(&pp, "the patches directory must exist on the node: ship its files with files; on Fedora CoreOS control planes it replaces the provider's SELinux patches");
                                    n.passes.push(same(&pp, doc, &["patches", "directory"], json!(dir)));
                                }
                            }
                            _ => self.unknown(&p, &pk),
                        }
                    }
                }
                ("timeouts", _) => self.timeouts(val, &p, doc, &mut n),
                ("bootstrapTokens", Doc::Init) => {
                    if !self.w.list(val, &p).is_empty() {
                        self.w.warn(&p, "the init node seeds the token of bootstrap_token (kubeadm_bootstrap_token); these tokens are not carried over, create them with more kubeadm_bootstrap_token resources");
                    }
                }
                ("localAPIEndpoint", Doc::Init) => {
                    if let Some(e) = self.endpoint(val, &p) {
                        n.passes.push(same(&p, Doc::Init, &["localAPIEndpoint"], e));
                    }
                }
                ("certificateKey", Doc::Init) => {
                    self.w.error(&p, "the control-plane certificates ship with each control-plane node, so kubeadm's certificate upload is not used; remove certificateKey");
                }
                ("caCertPath", Doc::Join) => {
                    if let Some(s) = self.w.string(val, &p) {
                        n.passes.push(same(&p, Doc::Join, &["caCertPath"], json!(s)));
                    }
                }
                ("discovery", Doc::Join) => self.discovery(val, &p, &mut n),
                ("controlPlane", Doc::Join) => {
                    n.control_plane = !val.is_null();
                    for (ck, cv) in self.w.map(val, &p) {
                        let cp = format!("{p}.{ck}");
                        match ck.as_str() {
                            "localAPIEndpoint" => {
                                if let Some(e) = self.endpoint(cv, &cp) {
                                    n.passes.push(same(&cp, Doc::Join, &["controlPlane", "localAPIEndpoint"], e));
                                }
                            }
                            "certificateKey" => self.w.error(&cp, "the control-plane certificates ship with each control-plane node; remove certificateKey"),
                            _ => self.unknown(&p, &ck),
                        }
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
        n
    }

    fn endpoint(&mut self, v: &Value, path: &str) -> Option<Json> {
        let mut m = serde_json::Map::new();
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "advertiseAddress" => {
                    if let Some(s) = self.w.string(val, &p) {
                        if s.contains("{{") || s.contains("${") {
                            self.w.error(&p, "templates are not expanded on Ignition-based nodes; leave advertiseAddress unset and kubeadm uses the default route's address");
                        } else {
                            m.insert(k, json!(s));
                        }
                    }
                }
                "bindPort" => match self.w.int(val, &p) {
                    Some(port) if (1..=65535).contains(&port) => {
                        m.insert(k, json!(port));
                    }
                    Some(port) => self.w.error(&p, format!("{port} is not a TCP port")),
                    None => {}
                },
                _ => self.unknown(path, &k),
            }
        }
        (!m.is_empty()).then_some(Json::Object(m))
    }

    fn timeouts(&mut self, v: &Value, path: &str, doc: Doc, n: &mut NodePart) {
        if !self.v1beta2 {
            self.wrong_shape(
                path,
                "timeouts are v1beta2 fields; use apiServer.timeoutForControlPlane and discovery.timeout",
            );
        }
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            let Some(name) = k.strip_suffix("Seconds") else {
                self.unknown(path, &k);
                continue;
            };
            let known = [
                "controlPlaneComponentHealthCheck",
                "kubeletHealthCheck",
                "kubernetesAPICall",
                "etcdAPICall",
                "tlsBootstrap",
                "discovery",
                "upgradeManifests",
            ];
            if !known.contains(&name) {
                self.unknown(path, &k);
                continue;
            }
            let Some(d) = self.seconds(val, &p) else { continue };
            let v1beta3 = match (name, doc) {
                ("controlPlaneComponentHealthCheck", Doc::Init) => {
                    Ok(target(Doc::Cluster, &["apiServer", "timeoutForControlPlane"], json!(d)))
                }
                // kubeadm v1beta4 replaced discovery.timeout with timeouts.tlsBootstrap.
                ("tlsBootstrap", Doc::Join) => Ok(target(Doc::Join, &["discovery", "timeout"], json!(d))),
                _ => Err(format!("not carried over: kubeadm's v1beta3 config API (Kubernetes 1.22–1.30) has no {name} timeout; it takes effect from Kubernetes 1.31")),
            };
            n.passes.push(Pass { source: p, v1beta3, v1beta4: Ok(target(doc, &["timeouts", name], json!(d))) });
        }
    }

    fn discovery(&mut self, v: &Value, path: &str, n: &mut NodePart) {
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "bootstrapToken" => {
                    for (bk, bv) in self.w.map(val, &p) {
                        let bp = format!("{p}.{bk}");
                        match bk.as_str() {
                            "token" => {
                                if self.w.string(bv, &bp).is_some_and(|t| !t.is_empty()) {
                                    self.w.warn(&bp, "the node joins with the token of bootstrap_token (kubeadm_bootstrap_token); this token is not used");
                                }
                            }
                            "apiServerEndpoint" => n.discovery_endpoint = self.w.string(bv, &bp),
                            "caCertHashes" => n.ca_cert_hashes = self.w.strings(bv, &bp),
                            "unsafeSkipCAVerification" => {
                                if self.w.bool(bv, &bp) == Some(true) {
                                    self.w.warn(&bp, "not carried over: joins always pin the CA hash of cluster_ca");
                                }
                            }
                            _ => self.unknown(&p, &bk),
                        }
                    }
                }
                "file" => {
                    if !val.is_null() {
                        self.w.error(&p, "discovery from a kubeconfig file is not supported: joins discover the cluster with bootstrap_token and the CA hash of cluster_ca; remove discovery.file");
                    }
                }
                "tlsBootstrapToken" => {
                    if self.w.string(val, &p).is_some_and(|t| !t.is_empty()) {
                        self.w.warn(&p, "the TLS bootstrap uses the token of bootstrap_token; this token is not used");
                    }
                }
                "timeout" => {
                    if self.v1beta2 {
                        self.wrong_shape(&p, "it moved to joinConfiguration.timeouts.tlsBootstrapSeconds");
                    } else if let Some(d) = self.duration(val, &p) {
                        n.passes.push(Pass {
                            source: p.clone(),
                            v1beta3: Ok(target(Doc::Join, &["discovery", "timeout"], json!(d))),
                            v1beta4: Ok(target(Doc::Join, &["timeouts", "tlsBootstrap"], json!(d))),
                        });
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
    }

    fn registration(&mut self, v: &Value, path: &str, doc: Doc, n: &mut NodePart) {
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "name" => {
                    if let Some(name) = self.w.string(val, &p) {
                        n.name = node_name(&name);
                        if n.name == NodeName::Unset {
                            self.w.error(&p, format!("{name:?} is a template Ignition-based nodes cannot expand; for the EC2 private DNS name use {{{{ ds.meta_data.local_hostname }}}} or ${{COREOS_EC2_HOSTNAME}} (both become name_from = \"aws\"), or set node.name_from in HCL"));
                        }
                    }
                }
                "criSocket" => {
                    if let Some(s) = self.w.string(val, &p) {
                        n.passes.push(same(&p, doc, &["nodeRegistration", "criSocket"], json!(s)));
                    }
                }
                "taints" => {
                    if val.is_null() {
                        continue;
                    }
                    let mut taints = Vec::new();
                    for (i, t) in self.w.list(val, &p).iter().enumerate() {
                        let tp = format!("{p}[{i}]");
                        let mut taint = Taint { key: String::new(), value: None, effect: String::new() };
                        for (tk, tv) in self.w.map(t, &tp) {
                            let tkp = format!("{tp}.{tk}");
                            match tk.as_str() {
                                "key" => taint.key = self.w.string(tv, &tkp).unwrap_or_default(),
                                "value" => taint.value = self.w.string(tv, &tkp).filter(|s| !s.is_empty()),
                                "effect" => taint.effect = self.w.string(tv, &tkp).unwrap_or_default(),
                                "timeAdded" => {
                                    self.w.string(tv, &tkp);
                                    self.w
                                        .warn(&tkp, "timeAdded is set by the node when it registers; not carried over");
                                }
                                _ => self.unknown(&tp, &tk),
                            }
                        }
                        if taint.key == UNINITIALIZED_TAINT {
                            // Only Cluster API removes it; kept, it would block the node for ever.
                            continue;
                        }
                        if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&taint.effect.as_str()) {
                            self.w.error(
                                &format!("{tp}.effect"),
                                format!(
                                    "{:?} is not a taint effect; use NoSchedule, PreferNoSchedule or NoExecute",
                                    taint.effect
                                ),
                            );
                        }
                        taints.push(taint);
                    }
                    n.taints = Some(taints);
                }
                "kubeletExtraArgs" => {
                    let mut args = self.args(val, &p);
                    if let Some(id) = args.get("provider-id") {
                        if is_aws_provider_id_template(id) {
                            args.remove("provider-id");
                            n.aws_provider_id = true;
                        } else if id.contains("{{") || id.contains("${") {
                            self.w.error(&format!("{p}.provider-id"), format!("{id:?} is a template Ignition-based nodes cannot expand; use name_from = \"aws\" for aws:///<zone>/<instance-id>"));
                        }
                    }
                    let templated: Vec<(String, String)> = args
                        .iter()
                        .filter(|(k, v)| k.as_str() != "provider-id" && (v.contains("{{") || v.contains("${")))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    for (k, value) in templated {
                        let local_ip = value.contains("IPV4_LOCAL")
                            || value.contains("local_ipv4")
                            || value.contains("local-ipv4");
                        if k == "node-ip" && local_ip {
                            args.remove(&k);
                            self.w.warn(&format!("{p}.node-ip"), format!("{value:?} is not expanded on the node; left out, the kubelet then uses the instance's primary private address, which is what it names"));
                        } else {
                            self.w.error(
                                &format!("{p}.{k}"),
                                format!(
                                    "{value:?} is a template Ignition-based nodes cannot expand; give a literal value"
                                ),
                            );
                        }
                    }
                    n.kubelet_extra_args = args;
                }
                "ignorePreflightErrors" => n.ignore_preflight_errors = self.w.strings(val, &p),
                "imagePullPolicy" => match self.w.string(val, &p).as_deref() {
                    Some(s @ ("Always" | "IfNotPresent" | "Never")) => {
                        n.passes.push(same(&p, doc, &["nodeRegistration", "imagePullPolicy"], json!(s)))
                    }
                    Some(other) => {
                        self.w.error(&p, format!("{other:?} is not a pull policy; use Always, IfNotPresent or Never"))
                    }
                    None => {}
                },
                "imagePullSerial" => {
                    if let Some(b) = self.w.bool(val, &p) {
                        n.passes.push(v4_only(&p, doc, &["nodeRegistration", "imagePullSerial"], json!(b)));
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
    }

    // ---- files, users, mounts, ignition ----------------------------------------

    fn secret_value(&mut self, v: &Value, path: &str) -> Option<String> {
        let mut name = None;
        let mut key = None;
        for (k, val) in self.w.map(v, path) {
            match k.as_str() {
                "secret" => {
                    let sp = format!("{path}.secret");
                    for (sk, sv) in self.w.map(val, &sp) {
                        match sk.as_str() {
                            "name" => name = self.w.string(sv, &format!("{sp}.name")),
                            "key" => key = self.w.string(sv, &format!("{sp}.key")),
                            _ => self.unknown(&sp, &sk),
                        }
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
        let (Some(name), Some(key)) = (name, key) else {
            self.w.error(path, "needs secret.name and secret.key");
            return None;
        };
        match self.secrets.get(&name).and_then(|s| s.get(&key)) {
            Some(value) => Some(value.clone()),
            None => {
                self.w.error(
                    path,
                    format!("the Secret {name:?} (key {key:?}) has no value here; supply it in capi_secrets = {{ {name:?} = {{ {key:?} = ... }} }}, or add the Secret to the manifests"),
                );
                None
            }
        }
    }

    /// A file and, when its content is a Go template, the YAML path the
    /// content came from.
    fn file(&mut self, v: &Value, path: &str) -> Option<(FileSpec, Option<String>)> {
        let mut fpath = None;
        let mut owner = None;
        let mut mode = 0o644;
        let mut content: Option<(String, String)> = None;
        let mut encoding = None;
        let mut template = None;
        let mut ok = true;
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "path" => fpath = self.w.string(val, &p),
                "owner" => owner = self.w.string(val, &p),
                "permissions" => {
                    if let Some(s) = self.w.string(val, &p) {
                        match parse_mode(&s) {
                            Some(m) => mode = m,
                            None => {
                                ok = false;
                                self.w.error(&p, format!("{s:?} is not an octal mode such as \"0644\""));
                            }
                        }
                    }
                }
                "encoding" => encoding = self.w.string(val, &p).map(|e| (e, p.clone())),
                "append" => {
                    if self.w.bool(val, &p) == Some(true) {
                        ok = false;
                        self.w.error(&p, "appending to a file of the image is not rendered; write the whole file instead (drop append)");
                    }
                }
                "content" => {
                    if let Some(c) = self.w.string(val, &p) {
                        // CABPK reads contentFrom instead when both are set.
                        if !content.as_ref().is_some_and(|(_, from)| from.ends_with(".contentFrom")) {
                            content = Some((c, p.clone()));
                        }
                    }
                }
                "contentFrom" => {
                    if !val.is_null() {
                        match self.secret_value(val, &p) {
                            Some(c) => content = Some((c, p.clone())),
                            None => ok = false,
                        }
                    }
                }
                "contentFormat" => match self.w.string(val, &p).as_deref() {
                    None => {}
                    Some(_) if !matches!(self.version, "v1beta1" | "v1beta2") => {
                        ok = false;
                        self.w.error(
                            &p,
                            format!("this field does not exist in Cluster API {}: file templates exist in v1beta1 and v1beta2 only; write the object in one of those, or render the content in Terraform (templatefile) and pass it plainly", self.version),
                        );
                    }
                    Some("Raw") => {}
                    Some("Template") => template = Some(p.clone()),
                    Some("go-template") => {
                        ok = false;
                        self.w.error(&p, "\"go-template\" is not a content format Cluster API knows (Raw or Template); for a file rendered with the control plane's version write Template and {{ .controlPlane.version }}, which carries the leading \"v\"");
                    }
                    Some(f) => {
                        ok = false;
                        self.w.error(&p, format!("{f:?} is not a content format Cluster API knows; use Raw (the default: the content as it is) or Template (a Go template)"));
                    }
                },
                _ => self.unknown(path, &k),
            }
        }
        let Some(fpath) = fpath else {
            self.w.error(path, "a file needs a path");
            return None;
        };
        let (mut content, mut content_path) = content.unwrap_or_default();
        if content_path.is_empty() {
            content_path = format!("{path}.content");
        }
        if let Some((enc, p)) = &encoding {
            match enc.as_str() {
                "" | "plain" | "text/plain" => {}
                "base64" | "b64" | "application/base64" => {
                    let cleaned: String = content.chars().filter(|c| !c.is_whitespace()).collect();
                    match base64::engine::general_purpose::STANDARD.decode(cleaned).map(String::from_utf8) {
                        Ok(Ok(text)) => content = text,
                        Ok(Err(_)) => {
                            ok = false;
                            self.w.error(p, "the decoded content is not UTF-8 text; binary files are not supported in files, ship them with kubernetes_artifacts or additional_ignition");
                        }
                        Err(e) => {
                            ok = false;
                            self.w.error(p, format!("content is not valid base64: {e}"));
                        }
                    }
                }
                "gzip"
                | "gz"
                | "gzip+base64"
                | "gz+base64"
                | "gz+b64"
                | "gzip+b64"
                | "application/x-gzip"
                | "application/x-gzip+base64" => {
                    ok = false;
                    self.w.error(p, "gzip-encoded files are not supported with Ignition (Cluster API refuses them too); give the content plain or base64-encoded");
                }
                other => {
                    ok = false;
                    self.w.error(p, format!("unknown encoding {other:?}; use base64 or leave it unset"));
                }
            }
        }
        let encoded = encoding.as_ref().is_some_and(|(e, _)| !matches!(e.as_str(), "" | "plain" | "text/plain"));
        if let (Some(p), true) = (&template, encoded) {
            // CABPK renders the content as it is written, before decoding;
            // base64 text holds no template actions, so nothing changes.
            self.w.warn(p, "has no effect on base64-encoded content: Cluster API renders the encoded text, which holds no template actions, and decodes it afterwards; give the content plain to render it as a template");
            template = None;
        }
        ok.then(|| {
            (
                FileSpec { path: fpath, content: Sensitive::new(content), mode, owner, replace_generated: true },
                template.map(|_| content_path),
            )
        })
    }

    /// A user; the second value is its sudoers rule.
    fn user(&mut self, v: &Value, path: &str) -> Option<(UserSpec, Option<String>)> {
        let mut user = UserSpec {
            name: String::new(),
            ssh_authorized_keys: Vec::new(),
            groups: Vec::new(),
            gecos: None,
            home_dir: None,
            shell: None,
            primary_group: None,
            password_hash: None,
        };
        let mut sudo = None;
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "name" => user.name = self.w.string(val, &p).unwrap_or_default(),
                "sshAuthorizedKeys" => user.ssh_authorized_keys = self.w.strings(val, &p),
                "groups" => {
                    // A comma-separated string, as cloud-init takes it.
                    if let Some(g) = self.w.string(val, &p) {
                        user.groups = g.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                    }
                }
                "gecos" => user.gecos = self.w.string(val, &p),
                "homeDir" => user.home_dir = self.w.string(val, &p),
                "shell" => user.shell = self.w.string(val, &p),
                "primaryGroup" => user.primary_group = self.w.string(val, &p),
                "passwd" => user.password_hash = self.w.string(val, &p).map(Sensitive::new),
                "passwdFrom" => {
                    if !val.is_null() {
                        user.password_hash = self.secret_value(val, &p).map(Sensitive::new);
                    }
                }
                "lockPassword" => {
                    if self.w.bool(val, &p) == Some(false) {
                        self.w.warn(&p, "Ignition leaves password logins as the image has them (locked on Flatcar and Fedora CoreOS unless a password hash is set); lockPassword: false is not carried over");
                    }
                }
                "sudo" => sudo = self.w.string(val, &p).filter(|s| !s.trim().is_empty()),
                "inactive" => {
                    if self.w.bool(val, &p) == Some(true) {
                        self.w.error(&p, "Ignition cannot create inactive accounts (Cluster API refuses this with format: ignition too); remove inactive");
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
        if user.name.is_empty() {
            self.w.error(path, "a user needs a name");
            return None;
        }
        if let Some(rule) = &sudo {
            if rule.contains('\n') {
                self.w.error(&format!("{path}.sudo"), "a sudo rule is one line");
                return None;
            }
        }
        Some((user, sudo))
    }

    /// `mounts` (cloud-init style `[device, mount point, type, options]`) as
    /// systemd mount units in an Ignition config.
    fn mounts(&mut self, v: &Value, path: &str, has_disk_setup: bool) -> Option<String> {
        let mut units = Vec::new();
        for (i, m) in self.w.list(v, path).iter().enumerate() {
            let mp = format!("{path}[{i}]");
            let parts = self.w.strings(m, &mp);
            if parts.len() < 2 {
                self.w.error(&mp, "a mount is [device, mount point, type, options]");
                continue;
            }
            if has_disk_setup {
                // Already reported: the device would need partitioning first.
                continue;
            }
            let (what, place) = (&parts[0], &parts[1]);
            if !place.starts_with('/') || place.contains("..") || place.contains(char::is_whitespace) {
                self.w.error(&mp, format!("the mount point {place:?} must be an absolute path"));
                continue;
            }
            if what.contains(char::is_whitespace) || what.is_empty() {
                self.w.error(&mp, format!("the device {what:?} is not usable"));
                continue;
            }
            let fstype = parts.get(2).filter(|t| !t.is_empty() && *t != "auto");
            let options = parts.get(3).filter(|o| !o.is_empty() && *o != "defaults");
            let mut unit = format!("[Unit]\nDescription=Mount {place}\nBefore=kubeadm-bootstrap.service\n\n[Mount]\nWhat={what}\nWhere={place}\n");
            if let Some(t) = fstype {
                unit.push_str(&format!("Type={t}\n"));
            }
            if let Some(o) = options {
                unit.push_str(&format!("Options={o}\n"));
            }
            unit.push_str("\n[Install]\nWantedBy=local-fs.target\n");
            units.push(json!({ "name": mount_unit_name(place), "enabled": true, "contents": unit }));
        }
        if units.is_empty() {
            return None;
        }
        Some(json!({ "ignition": { "version": "3.3.0" }, "systemd": { "units": units } }).to_string())
    }

    fn ignition(&mut self, v: &Value, path: &str, out: &mut ConfigSpec) {
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "containerLinuxConfig" => {
                    let mut additional = None;
                    for (ck, cv) in self.w.map(val, &p) {
                        let cp = format!("{p}.{ck}");
                        match ck.as_str() {
                            "additionalConfig" => additional = self.w.string(cv, &cp).map(|s| (s, cp)),
                            "strict" => {
                                if self.w.bool(cv, &cp) == Some(false) {
                                    self.w.warn(&cp, "the conversion is always strict: anything in additionalConfig it cannot convert is an error");
                                }
                            }
                            _ => self.unknown(&p, &ck),
                        }
                    }
                    if let Some((text, cp)) = additional {
                        if let Some(json) = clc::to_ignition(&text, &cp, self.w) {
                            out.additional_ignition.push(json);
                        }
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
    }
}

/// Recognises the node-name templates Cluster API's AWS templates use.
fn node_name(name: &str) -> NodeName {
    let compact: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    const AWS: [&str; 6] = [
        "{{ds.meta_data.local_hostname}}",
        "{{ds.meta_data[\"local_hostname\"]}}",
        "{{ds.meta_data['local_hostname']}}",
        "{{v1.local_hostname}}",
        "${COREOS_EC2_HOSTNAME}",
        "$${COREOS_EC2_HOSTNAME}",
    ];
    if AWS.contains(&compact.as_str()) {
        NodeName::Aws
    } else if name.contains("{{") || name.contains("${") || name.contains("__") && name.contains("NODE_NAME") {
        NodeName::Unset
    } else {
        NodeName::Literal(name.to_string())
    }
}

fn is_aws_provider_id_template(id: &str) -> bool {
    let compact: String = id.chars().filter(|c| !c.is_whitespace()).collect();
    compact.starts_with("aws:///") && (compact.contains("{{") || compact.contains("${COREOS_EC2"))
}

/// The unit name systemd requires for a mount point (`systemd-escape --path --suffix=mount`).
pub(super) fn mount_unit_name(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return "-.mount".into();
    }
    let mut out = String::new();
    for (i, b) in trimmed.bytes().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' => out.push(b as char),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push_str(".mount");
    out
}

impl NodeName {
    pub fn name_from(&self) -> Option<NameFrom> {
        match self {
            NodeName::Aws => Some(NameFrom::Aws),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names() {
        assert_eq!(node_name("{{ ds.meta_data.local_hostname }}"), NodeName::Aws);
        assert_eq!(node_name("{{ ds.meta_data[\"local_hostname\"] }}"), NodeName::Aws);
        assert_eq!(node_name("${COREOS_EC2_HOSTNAME}"), NodeName::Aws);
        assert_eq!(node_name("{{ ds.meta_data.hostname }}x"), NodeName::Unset);
        assert_eq!(node_name("worker-0"), NodeName::Literal("worker-0".into()));
        assert!(is_aws_provider_id_template(
            "aws:///{{ ds.meta_data.placement.availability_zone }}/{{ ds.meta_data.instance_id }}"
        ));
        assert!(!is_aws_provider_id_template("aws:///eu-west-1a/i-0123"));
    }

    #[test]
    fn mount_units() {
        assert_eq!(mount_unit_name("/var/lib/etcd"), "var-lib-etcd.mount");
        assert_eq!(mount_unit_name("/mnt/data-1"), "mnt-data\\x2d1.mount");
        assert_eq!(mount_unit_name("/"), "-.mount");
    }
}
