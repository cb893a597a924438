//! The `cluster` block: its checks (version, name, endpoint, networks,
//! certificate lifetime, DNS domain, etcd directory, certificate SANs) and
//! its reading into a `ClusterSpec`, HCL over what the manifests give.

use crate::bootstrap::capi;
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::kubeadm::CERTIFICATE_VALIDITY_DEFAULT;
use crate::bootstrap::net::{check_endpoint, valid_cert_san};
use crate::bootstrap::node::{
    is_dns1123_subdomain, ClusterSpec, KubernetesVersion, Role, DEFAULT_DNS_DOMAIN, DEFAULT_SERVICE_SUBNET,
};
use crate::tfplugin::diag::{AttrPath, Diagnostic};

use super::capi_location::{CapiField, Input, Origin};
use super::compat::Compat;
use super::{components, err, hcl_str, Reader, MAX_REPORTED};

impl Reader<'_> {
    /// Checks the cluster inputs known on their own; the Kubernetes version
    /// when it is known and supported.
    pub(super) fn check_cluster(&mut self, compat: &Compat, role: Option<Role>) -> Option<KubernetesVersion> {
        let cluster = AttrPath::attr("cluster");
        let mut version = None;
        match self.input(compat, &["cluster", "kubernetes_version"], CapiField::Version) {
            Input::Given(text, origin) => match KubernetesVersion::parse(&text) {
                Ok(v) => version = Some(v),
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
                if let Some(r) = role.filter(|r| *r != Role::Init) {
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
        self.check_certificate_validity(version.as_ref());

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
        version
    }

    /// The cluster settings: HCL over what the manifests give. `None` when
    /// neither names the cluster (check_known reported it).
    pub(super) fn read_cluster(
        &self,
        capi: Option<&capi::Manifests>,
        version: &KubernetesVersion,
    ) -> Option<ClusterSpec> {
        let cl = self.config.get("cluster");
        let from_capi = |f: fn(&capi::Manifests) -> Option<String>| capi.and_then(f);
        let cluster_name = hcl_str(cl.get("name")).or_else(|| from_capi(|m| m.cluster_name.clone()))?;
        let endpoint =
            hcl_str(cl.get("control_plane_endpoint")).or_else(|| from_capi(|m| m.control_plane_endpoint.clone()));
        let service_subnet = hcl_str(cl.get("service_subnet"))
            .or_else(|| from_capi(|m| m.service_subnet.clone()))
            .unwrap_or_else(|| DEFAULT_SERVICE_SUBNET.to_string());
        let pod_subnet = hcl_str(cl.get("pod_subnet")).or_else(|| from_capi(|m| m.pod_subnet.clone()));
        let cc = capi.and_then(|m| m.spec.cluster.clone()).unwrap_or_default();
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
        Some(ClusterSpec {
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
            api_server: components::api_server(cl.get("api_server"), &cc.api_server),
            controller_manager: components::component(cl.get("controller_manager"), &cc.controller_manager),
            scheduler: components::component(cl.get("scheduler"), &cc.scheduler),
            etcd: components::etcd(cl.get("etcd"), &cc.etcd),
            certificate_validity,
        })
    }

    /// `cluster.certificate_validity`: a positive Go duration, on a release
    /// whose kubeadm config API has the field (v1beta4, Kubernetes 1.31+).
    /// At plan time, a value above kubeadm's default draws the warning
    /// kubeadm itself would print.
    pub(super) fn check_certificate_validity(&mut self, version: Option<&KubernetesVersion>) {
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
    pub(super) fn check_cert_sans(&mut self, compat: &Compat) {
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
}
