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

mod cluster;
mod files;
mod node;
mod types;

#[cfg(test)]
mod tests;

pub use types::{ClusterPart, ConfigSpec, Doc, FileTemplate, NodeName, NodePart, Pass, Target, UNINITIALIZED_TAINT};

use serde_yaml_ng::Value;

use crate::bootstrap::capi::yaml::Walker;
use crate::bootstrap::capi::Secrets;
use crate::bootstrap::node::FileSpec;
use crate::bootstrap::secret::Sensitive;

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
}
