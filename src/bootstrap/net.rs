//! Network values of a cluster as kubeadm checks them: CIDRs and the pod and
//! service subnet lists (`ValidateNetworking`), the control-plane endpoint
//! (`host[:port]`) and the API server certificate's SANs.
//!
//! Nothing here knows about Terraform, tonic, prost or msgpack.

use std::net::IpAddr;

use super::kubeadm::{self, KubeadmError};
use super::node::is_dns1123_subdomain;

/// kubeadm's `MinimumAddressesInServiceSubnet` (`cmd/kubeadm/app/constants`).
pub const MIN_SERVICE_ADDRESSES: u64 = 10;
/// kubeadm's `MinimumAddressesInPodSubnet`.
pub const MIN_POD_ADDRESSES: u64 = 14;
/// kubeadm's `MaximumBitsForServiceSubnet`: the most host bits of a service CIDR.
pub const MAX_SERVICE_HOST_BITS: u8 = 20;
/// kubeadm's `PodSubnetNodeMaskMaxDiff`: a pod CIDR holds at most 2^16 node ranges.
pub const MAX_NODE_MASK_DIFF: u8 = 16;
/// The controller manager's default per-node IPv4 pod range (kubeadm's
/// `getClusterNodeMask`).
pub const DEFAULT_NODE_MASK_V4: u8 = 24;
/// The controller manager's default per-node IPv6 pod range.
pub const DEFAULT_NODE_MASK_V6: u8 = 64;

/// One CIDR of a subnet list: an address and a prefix length within its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    ip: IpAddr,
    len: u8,
}

impl Cidr {
    /// `address/prefix` as Go's `net.ParseCIDR` takes it: no spaces, a
    /// decimal prefix length within the family.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = s.split_once('/')?;
        let ip: IpAddr = ip.parse().ok()?;
        if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let len: u8 = len.parse().ok()?;
        let cidr = Cidr { ip, len };
        (len <= cidr.bits()).then_some(cidr)
    }

    /// The address as written.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Whether it is an IPv4 CIDR.
    pub fn is_ipv4(&self) -> bool {
        self.ip.is_ipv4()
    }

    /// The family's address length in bits: 32 or 128.
    pub fn bits(&self) -> u8 {
        if self.ip.is_ipv4() {
            32
        } else {
            128
        }
    }

    /// `IPv4` or `IPv6`.
    pub fn family(&self) -> &'static str {
        if self.ip.is_ipv4() {
            "IPv4"
        } else {
            "IPv6"
        }
    }

    /// The number of host bits.
    pub fn host_bits(&self) -> u8 {
        self.bits() - self.len
    }

    /// How many addresses it holds, saturating as kubeadm's `RangeSize` does.
    pub fn size(&self) -> u64 {
        let host = self.host_bits();
        if host >= 63 {
            i64::MAX as u64
        } else {
            1 << host
        }
    }

    /// Whether the two share an address (never across families).
    pub fn overlaps(&self, other: &Cidr) -> bool {
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
/// with fewer than `min` addresses. `example` is the CIDR an error names as
/// a model. `Err` says what is wrong.
pub fn parse_subnets(s: &str, min: u64, example: &str) -> Result<Vec<Cidr>, String> {
    let mut out = Vec::new();
    for piece in s.split(',') {
        match Cidr::parse(piece) {
            Some(c) => out.push(c),
            None => return Err(format!("{piece:?} is not a CIDR such as {example:?}")),
        }
    }
    if out.len() > 2 || (out.len() == 2 && out[0].is_ipv4() == out[1].is_ipv4()) {
        return Err(format!(
            "{s:?} is not one CIDR, or two (one IPv4, one IPv6) for dual stack, as kubeadm takes them"
        ));
    }
    if let Some(c) = out.iter().find(|c| c.size() < min) {
        return Err(format!("{c} is too small: it holds {} addresses, kubeadm needs at least {min}", c.size()));
    }
    Ok(out)
}

/// kubeadm's `ValidateServiceSubnetSize` (the API server's own limit): no
/// service CIDR with more than [`MAX_SERVICE_HOST_BITS`] host bits.
pub fn check_service_subnet_size(services: &[Cidr]) -> Result<(), String> {
    match services.iter().find(|c| c.host_bits() > MAX_SERVICE_HOST_BITS) {
        Some(c) => Err(format!(
            "{c} is too large: kubeadm and the API server take at most {MAX_SERVICE_HOST_BITS} host bits, so an {} service subnet must be a /{} or smaller",
            c.family(),
            c.bits() - MAX_SERVICE_HOST_BITS
        )),
        None => Ok(()),
    }
}

/// The kube-controller-manager flag giving each node's share of an IPv4 or
/// IPv6 pod subnet.
pub fn node_mask_flag(c: &Cidr) -> &'static str {
    if c.is_ipv4() {
        "node-cidr-mask-size-ipv4"
    } else {
        "node-cidr-mask-size-ipv6"
    }
}

/// Why a pod subnet does not fit the controller manager's per-node ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeMaskError {
    /// The flag's value is not an integer.
    NotInteger { flag: &'static str, value: String },
    /// The CIDR is smaller than one node's range.
    TooSmall { cidr: Cidr, mask: u8, flag: &'static str },
    /// The CIDR holds more than 2^[`MAX_NODE_MASK_DIFF`] node ranges;
    /// `largest` is the shortest prefix length allowed.
    TooManyRanges { cidr: Cidr, mask: u8, flag: &'static str, largest: u8 },
}

/// kubeadm's `ValidatePodSubnetNodeMask`: a pod CIDR holds whole per-node
/// ranges, and at most 2^16 of them. `flag` gives the controller manager's
/// value of `node-cidr-mask-size-ipv4`/`-ipv6`: `None` when unknown (that
/// CIDR is not checked), `Some(None)` when unset (kubeadm's default).
pub fn check_pod_subnet_node_mask(
    pods: &[Cidr],
    flag: impl Fn(&str) -> Option<Option<String>>,
) -> Result<(), NodeMaskError> {
    for c in pods {
        let name = node_mask_flag(c);
        let mask = match flag(name) {
            None => continue,
            Some(None) => {
                if c.is_ipv4() {
                    DEFAULT_NODE_MASK_V4
                } else {
                    DEFAULT_NODE_MASK_V6
                }
            }
            Some(Some(v)) => match v.parse::<u8>() {
                Ok(n) => n,
                Err(_) => return Err(NodeMaskError::NotInteger { flag: name, value: v }),
            },
        };
        if c.len > mask {
            return Err(NodeMaskError::TooSmall { cidr: *c, mask, flag: name });
        }
        if mask - c.len > MAX_NODE_MASK_DIFF {
            return Err(NodeMaskError::TooManyRanges {
                cidr: *c,
                mask,
                flag: name,
                largest: mask - MAX_NODE_MASK_DIFF,
            });
        }
    }
    Ok(())
}

/// Checks a control-plane endpoint `host[:port]` as kubeadm does
/// (`ParseHostPort` and the render's own rules): the port, when given, is
/// 1-65535 and the host an IP address or a lower-case DNS name. `Err` says
/// what is wrong.
pub fn check_endpoint(e: &str) -> Result<(), String> {
    match kubeadm::endpoint_with_port(e) {
        Err(KubeadmError::InvalidControlPlaneEndpoint { reason, .. }) => return Err(reason.to_string()),
        Err(other) => return Err(other.to_string()),
        Ok(_) => {}
    }
    let host = if let Some(rest) = e.strip_prefix('[') {
        // Go's SplitHostPort only takes brackets with a port after them.
        match rest.split_once("]:") {
            Some((h, _)) => h,
            None => {
                return Err(
                    "kubeadm takes a bracketed IPv6 address only with a port; write [fd00::1]:6443, or the address without brackets".into(),
                )
            }
        }
    } else if e.matches(':').count() == 1 {
        e.split_once(':').map_or(e, |(h, _)| h)
    } else {
        e
    };
    if host.parse::<IpAddr>().is_ok() || is_dns1123_subdomain(host) {
        Ok(())
    } else {
        Err(format!("the host {host:?} is neither an IP address nor a lower-case DNS name"))
    }
}

/// An API server certificate SAN as kubeadm's `ValidateCertSANs` takes it:
/// an IP address, a DNS name or a wildcard DNS name (`*.example.com`).
pub fn valid_cert_san(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok() || is_dns1123_subdomain(s) || s.strip_prefix("*.").is_some_and(is_dns1123_subdomain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_and_overlaps() {
        let one = |s: &str| parse_subnets(s, 1, "x").unwrap()[0];
        let (a, b, c) = (one("10.96.0.0/12"), one("10.100.0.0/16"), one("192.168.0.0/16"));
        assert!(a.overlaps(&b));
        assert!(!a.overlaps(&c));
        assert!(!one("fd00::/108").overlaps(&one("0.0.0.0/0")));
        assert_eq!(
            (a.ip().to_string(), a.prefix_len(), a.family(), a.size()),
            ("10.96.0.0".into(), 12, "IPv4", 1 << 20)
        );
        assert_eq!(one("::/0").size(), i64::MAX as u64);
        for bad in ["10.0.0.0/33", "nope", "", "10.0.0.0/16,", "10.0.0.0/+8", " 10.0.0.0/8", "::/129"] {
            assert!(parse_subnets(bad, 1, "x").is_err(), "{bad:?}");
        }
        assert!(parse_subnets("fd00::/108,10.0.0.0/8", 1, "x").is_ok());
        // Dual stack: two CIDRs of different families, no more.
        assert!(parse_subnets("10.0.0.0/8,10.1.0.0/16", 1, "x").unwrap_err().contains("dual stack"));
        assert!(parse_subnets("10.0.0.0/8,fd00::/64,fd01::/64", 1, "x").is_err());
        // kubeadm's minimum sizes: 10 service and 14 pod addresses.
        assert!(parse_subnets("10.0.0.0/29", MIN_SERVICE_ADDRESSES, "x").unwrap_err().contains("too small"));
        assert!(parse_subnets("10.0.0.0/28", MIN_POD_ADDRESSES, "x").is_ok());
        assert!(parse_subnets("fd00::/128", MIN_POD_ADDRESSES, "x").is_err());
        // At most 20 host bits for services.
        assert!(check_service_subnet_size(&[one("10.96.0.0/12"), one("fd00::/108")]).is_ok());
        assert!(check_service_subnet_size(&[one("10.0.0.0/11")]).unwrap_err().contains("/12"));
        assert!(check_service_subnet_size(&[one("fd00::/64")]).unwrap_err().contains("/108"));
    }

    #[test]
    fn pod_subnet_node_masks() {
        let pods = |s: &str| parse_subnets(s, 1, "x").unwrap();
        let unset = |_: &str| Some(None);
        assert!(check_pod_subnet_node_mask(&pods("10.0.0.0/8,fd00::/48"), unset).is_ok());
        assert!(matches!(
            check_pod_subnet_node_mask(&pods("10.0.0.0/7"), unset),
            Err(NodeMaskError::TooManyRanges { mask: 24, largest: 8, .. })
        ));
        assert!(matches!(
            check_pod_subnet_node_mask(&pods("10.0.0.0/25"), unset),
            Err(NodeMaskError::TooSmall { mask: 24, flag: "node-cidr-mask-size-ipv4", .. })
        ));
        assert!(matches!(
            check_pod_subnet_node_mask(&pods("fd00::/108"), unset),
            Err(NodeMaskError::TooSmall { flag: "node-cidr-mask-size-ipv6", .. })
        ));
        let set = |f: &str| Some((f == "node-cidr-mask-size-ipv6").then(|| "120".to_string()));
        assert!(check_pod_subnet_node_mask(&pods("fd00::/108"), set).is_ok());
        let garbage = |_: &str| Some(Some("big".to_string()));
        assert!(matches!(
            check_pod_subnet_node_mask(&pods("10.0.0.0/16"), garbage),
            Err(NodeMaskError::NotInteger { value, .. }) if value == "big"
        ));
        // Unknown flags leave the CIDR unchecked.
        assert!(check_pod_subnet_node_mask(&pods("10.0.0.0/25"), |_: &str| None).is_ok());
    }

    #[test]
    fn endpoints() {
        for ok in ["api.example.com", "api.example.com:6443", "10.0.0.1:443", "[fd00::1]:6443", "fd00::1", "api"] {
            assert_eq!(check_endpoint(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "api example",
            "host:0",
            "host:99999",
            "http://x",
            "API.example.com",
            "api_x:6443",
            "[fd00::1]",
            "host:",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cert_sans() {
        for ok in ["api.example.com", "10.0.0.1", "fd00::1", "*.example.com"] {
            assert!(valid_cert_san(ok), "{ok}");
        }
        for bad in ["", "API", "a b", "*", "*.", "x.*.com", "https://x"] {
            assert!(!valid_cert_san(bad), "{bad}");
        }
    }
}
