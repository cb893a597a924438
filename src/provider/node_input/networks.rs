//! `cluster.pod_subnet` and `cluster.service_subnet`: kubeadm's
//! `ValidateNetworking` rules, the controller manager's per-node ranges, and
//! no pod CIDR overlapping a service CIDR.

use crate::bootstrap::net::{
    check_pod_subnet_node_mask, check_service_subnet_size, parse_subnets, NodeMaskError, MAX_NODE_MASK_DIFF,
    MIN_POD_ADDRESSES, MIN_SERVICE_ADDRESSES,
};
use crate::bootstrap::node::DEFAULT_SERVICE_SUBNET;
use crate::tfplugin::diag::AttrPath;

use super::capi_location::{CapiField, Input, Origin};
use super::compat::Compat;
use super::Reader;

/// The detail of a pod subnet that does not fit the controller manager's
/// per-node ranges, naming the attribute that sets the flag.
fn node_mask_problem(e: &NodeMaskError) -> String {
    match e {
        NodeMaskError::NotInteger { flag: name, value: v } => format!(
            "the kube-controller-manager flag {name} is {v:?}, which kubeadm cannot read as an integer; set cluster.controller_manager.extra_args[\"{name}\"] to a prefix length such as \"24\""
        ),
        NodeMaskError::TooSmall { cidr: c, mask, flag: name } => format!(
            "{c} is smaller than the /{mask} range the controller manager gives each node ({name}); use a pod subnet of /{mask} or larger, or set cluster.controller_manager.extra_args[\"{name}\"]"
        ),
        NodeMaskError::TooManyRanges { cidr: c, mask, flag: name, largest } => format!(
            "{c} would hold more than 2^{MAX_NODE_MASK_DIFF} node ranges of /{mask} ({name}), more than kubeadm allows; use a /{largest} or smaller pod subnet, or raise cluster.controller_manager.extra_args[\"{name}\"]"
        ),
    }
}

impl Reader<'_> {
    /// A kube-controller-manager flag as the node will get it (HCL over the
    /// manifests): `None` while it cannot be told, `Some(None)` when unset.
    pub(super) fn controller_manager_arg(&self, compat: &Compat, name: &str) -> Option<Option<String>> {
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

    /// The pod and service subnets: kubeadm's `ValidateNetworking` rules, and
    /// no pod CIDR overlapping a service CIDR.
    pub(super) fn check_networks(&mut self, compat: &Compat) {
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
                    .and_then(|s| check_service_subnet_size(&s).map(|()| s))
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
            if let Err(e) = check_pod_subnet_node_mask(&pods, |flag| self.controller_manager_arg(compat, flag)) {
                self.report(
                    compat,
                    &pod_origin,
                    "Invalid pod_subnet",
                    &node_mask_problem(&e),
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
}
