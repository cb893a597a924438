//! `cluster.pod_subnet` and `cluster.service_subnet`: kubeadm's
//! `ValidateNetworking` rules, the controller manager's per-node ranges, and
//! no pod CIDR overlapping a service CIDR.

use std::net::IpAddr;

use crate::bootstrap::node::DEFAULT_SERVICE_SUBNET;
use crate::tfplugin::diag::AttrPath;

use super::capi_location::{CapiField, Input, Origin};
use super::compat::Compat;
use super::Reader;

/// kubeadm's subnet limits (`cmd/kubeadm/app/constants`):
/// `MinimumAddressesInServiceSubnet`, `MinimumAddressesInPodSubnet`,
/// `MaximumBitsForServiceSubnet` and `PodSubnetNodeMaskMaxDiff`.
pub(super) const MIN_SERVICE_ADDRESSES: u64 = 10;
pub(super) const MIN_POD_ADDRESSES: u64 = 14;
pub(super) const MAX_SERVICE_HOST_BITS: u8 = 20;
pub(super) const MAX_NODE_MASK_DIFF: u8 = 16;
/// The controller manager's default per-node pod ranges (kubeadm's
/// `getClusterNodeMask`).
pub(super) const DEFAULT_NODE_MASK_V4: u8 = 24;
pub(super) const DEFAULT_NODE_MASK_V6: u8 = 64;

/// One CIDR of a subnet list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cidr {
    ip: IpAddr,
    len: u8,
}

impl Cidr {
    /// `address/prefix` as Go's `net.ParseCIDR` takes it: no spaces, a
    /// decimal prefix length within the family.
    pub(super) fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = s.split_once('/')?;
        let ip: IpAddr = ip.parse().ok()?;
        if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let len: u8 = len.parse().ok()?;
        let cidr = Cidr { ip, len };
        (len <= cidr.bits()).then_some(cidr)
    }
    pub(super) fn bits(&self) -> u8 {
        if self.ip.is_ipv4() {
            32
        } else {
            128
        }
    }
    pub(super) fn family(&self) -> &'static str {
        if self.ip.is_ipv4() {
            "IPv4"
        } else {
            "IPv6"
        }
    }
    /// How many addresses it holds, saturating as kubeadm's `RangeSize` does.
    pub(super) fn size(&self) -> u64 {
        let host = self.bits() - self.len;
        if host >= 63 {
            i64::MAX as u64
        } else {
            1 << host
        }
    }
    pub(super) fn overlaps(&self, other: &Cidr) -> bool {
        let bits = |ip: IpAddr| -> u128 {
            match ip {
                IpAddr::V4(v) => u128::from(u32::from(v)) << 96,
                IpAddr::V6(v) => u128::from(v),
            }
        };
        if self.ip.is_ipv4() != other.ip.is_ipv4() {
            return false;
        }
        // IPv4 addresses sit in the top 32 bits, so prefix lengths count from the top for both.
        let len = u32::from(self.len.min(other.len));
        let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
        bits(self.ip) & mask == bits(other.ip) & mask
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.ip, self.len)
    }
}

/// A subnet list as kubeadm's `ValidateIPNetFromString` takes it: one CIDR,
/// or two of different families separated by a comma (dual stack), none
/// with fewer than `min` addresses. `Err` says what is wrong.
pub(super) fn parse_subnets(s: &str, min: u64, example: &str) -> Result<Vec<Cidr>, String> {
    let mut out = Vec::new();
    for piece in s.split(',') {
        match Cidr::parse(piece) {
            Some(c) => out.push(c),
            None => return Err(format!("{piece:?} is not a CIDR such as {example:?}")),
        }
    }
    if out.len() > 2 || (out.len() == 2 && out[0].ip.is_ipv4() == out[1].ip.is_ipv4()) {
        return Err(format!(
            "{s:?} is not one CIDR, or two (one IPv4, one IPv6) for dual stack, as kubeadm takes them"
        ));
    }
    if let Some(c) = out.iter().find(|c| c.size() < min) {
        return Err(format!("{c} is too small: it holds {} addresses, kubeadm needs at least {min}", c.size()));
    }
    Ok(out)
}

/// kubeadm's `ValidateServiceSubnetSize` (the API server's own limit).
pub(super) fn service_subnet_size(services: &[Cidr]) -> Result<(), String> {
    match services.iter().find(|c| c.bits() - c.len > MAX_SERVICE_HOST_BITS) {
        Some(c) => Err(format!(
            "{c} is too large: kubeadm and the API server take at most {MAX_SERVICE_HOST_BITS} host bits, so an {} service subnet must be a /{} or smaller",
            c.family(),
            c.bits() - MAX_SERVICE_HOST_BITS
        )),
        None => Ok(()),
    }
}

/// The controller manager flag giving each node's share of an IPv4 or IPv6
/// pod subnet.
pub(super) fn node_mask_flag(c: &Cidr) -> &'static str {
    if c.ip.is_ipv4() {
        "node-cidr-mask-size-ipv4"
    } else {
        "node-cidr-mask-size-ipv6"
    }
}

/// kubeadm's `ValidatePodSubnetNodeMask`: a pod CIDR holds whole per-node
/// ranges, and at most 2^16 of them. `flag` gives the controller manager's
/// value of `node-cidr-mask-size-ipv4`/`-ipv6`: `None` when unknown (that
/// CIDR is not checked), `Some(None)` when unset (kubeadm's default).
pub(super) fn pod_subnet_node_mask(pods: &[Cidr], flag: impl Fn(&str) -> Option<Option<String>>) -> Result<(), String> {
    for c in pods {
        let name = node_mask_flag(c);
        let mask = match flag(name) {
            None => continue,
            Some(None) => {
                if c.ip.is_ipv4() {
                    DEFAULT_NODE_MASK_V4
                } else {
                    DEFAULT_NODE_MASK_V6
                }
            }
            Some(Some(v)) => match v.parse::<u8>() {
                Ok(n) => n,
                Err(_) => {
                    return Err(format!(
                        "the kube-controller-manager flag {name} is {v:?}, which kubeadm cannot read as an integer; set cluster.controller_manager.extra_args[\"{name}\"] to a prefix length such as \"24\""
                    ))
                }
            },
        };
        if c.len > mask {
            return Err(format!(
                "{c} is smaller than the /{mask} range the controller manager gives each node ({name}); use a pod subnet of /{mask} or larger, or set cluster.controller_manager.extra_args[\"{name}\"]"
            ));
        }
        if mask - c.len > MAX_NODE_MASK_DIFF {
            return Err(format!(
                "{c} would hold more than 2^{MAX_NODE_MASK_DIFF} node ranges of /{mask} ({name}), more than kubeadm allows; use a /{} or smaller pod subnet, or raise cluster.controller_manager.extra_args[\"{name}\"]",
                mask - MAX_NODE_MASK_DIFF
            ));
        }
    }
    Ok(())
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
                    .and_then(|s| service_subnet_size(&s).map(|()| s))
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
            if let Err(why) = pod_subnet_node_mask(&pods, |flag| self.controller_manager_arg(compat, flag)) {
                self.report(
                    compat,
                    &pod_origin,
                    "Invalid pod_subnet",
                    &why,
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
