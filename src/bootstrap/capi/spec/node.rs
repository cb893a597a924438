//! `initConfiguration` / `joinConfiguration` and the node-name templates.

use serde_json::{json, Value as Json};
use serde_yaml_ng::Value;

use super::types::{same, target, v4_only, Doc, NodeName, NodePart, Pass, UNINITIALIZED_TAINT};
use super::SpecReader;
use crate::bootstrap::node::Taint;

impl SpecReader<'_, '_> {
    pub(super) fn node(&mut self, v: &Value, path: &str, doc: Doc) -> NodePart {
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

    pub(super) fn endpoint(&mut self, v: &Value, path: &str) -> Option<Json> {
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

    pub(super) fn timeouts(&mut self, v: &Value, path: &str, doc: Doc, n: &mut NodePart) {
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

    pub(super) fn discovery(&mut self, v: &Value, path: &str, n: &mut NodePart) {
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

    pub(super) fn registration(&mut self, v: &Value, path: &str, doc: Doc, n: &mut NodePart) {
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
}

/// Recognises the node-name templates Cluster API's AWS templates use.
pub(super) fn node_name(name: &str) -> NodeName {
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

pub(super) fn is_aws_provider_id_template(id: &str) -> bool {
    let compact: String = id.chars().filter(|c| !c.is_whitespace()).collect();
    compact.starts_with("aws:///") && (compact.contains("{{") || compact.contains("${COREOS_EC2"))
}
