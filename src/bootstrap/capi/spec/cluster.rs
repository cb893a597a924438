//! The `clusterConfiguration`: cluster-wide settings and the control-plane
//! components.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};
use serde_yaml_ng::Value;

use super::types::{same, target, v4_only, ClusterPart, Doc, Pass};
use super::SpecReader;
use crate::bootstrap::capi::yaml::to_json;
use crate::bootstrap::duration::GoDuration;

impl SpecReader<'_, '_> {
    pub(super) fn cluster(&mut self, v: &Value, path: &str) -> ClusterPart {
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

    pub(super) fn days(&mut self, v: &Value, path: &str) -> Option<GoDuration> {
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

    pub(super) fn etcd(&mut self, v: &Value, path: &str, c: &mut ClusterPart) {
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

    pub(super) fn api_server(&mut self, v: &Value, path: &str, c: &mut ClusterPart) {
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
    pub(super) fn component(
        &mut self,
        v: &Value,
        path: &str,
        name: &str,
        passes: &mut Vec<Pass>,
    ) -> BTreeMap<String, String> {
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

    pub(super) fn envs(&mut self, v: &Value, path: &str) -> Option<Json> {
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
    pub(super) fn args(&mut self, v: &Value, path: &str) -> BTreeMap<String, String> {
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

    pub(super) fn duration(&mut self, v: &Value, path: &str) -> Option<String> {
        let s = self.w.string(v, path)?;
        match GoDuration::parse(&s) {
            Ok(d) => Some(d.format()),
            Err(e) => {
                self.w.error(path, format!("{e}"));
                None
            }
        }
    }

    pub(super) fn seconds(&mut self, v: &Value, path: &str) -> Option<String> {
        let n = self.w.int(v, path)?;
        if n < 0 {
            self.w.error(path, "must not be negative");
            return None;
        }
        GoDuration::parse(&format!("{n}s")).ok().map(|d| d.format())
    }
}
