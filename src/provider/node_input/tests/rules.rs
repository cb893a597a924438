//! The subnet, endpoint and certificate SAN rules on their own.

use super::super::cluster::{check_endpoint, valid_cert_san};
use super::super::networks::*;

#[test]
fn cidrs_and_overlaps() {
    let one = |s: &str| parse_subnets(s, 1, "x").unwrap()[0];
    let (a, b, c) = (one("10.96.0.0/12"), one("10.100.0.0/16"), one("192.168.0.0/16"));
    assert!(a.overlaps(&b));
    assert!(!a.overlaps(&c));
    assert!(!one("fd00::/108").overlaps(&one("0.0.0.0/0")));
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
    assert!(service_subnet_size(&[one("10.96.0.0/12"), one("fd00::/108")]).is_ok());
    assert!(service_subnet_size(&[one("10.0.0.0/11")]).unwrap_err().contains("/12"));
    assert!(service_subnet_size(&[one("fd00::/64")]).unwrap_err().contains("/108"));
}

#[test]
fn pod_subnet_node_masks() {
    let pods = |s: &str| parse_subnets(s, 1, "x").unwrap();
    let unset = |_: &str| Some(None);
    assert!(pod_subnet_node_mask(&pods("10.0.0.0/8,fd00::/48"), unset).is_ok());
    assert!(pod_subnet_node_mask(&pods("10.0.0.0/7"), unset).unwrap_err().contains("2^16"));
    assert!(pod_subnet_node_mask(&pods("10.0.0.0/25"), unset).unwrap_err().contains("/24"));
    assert!(pod_subnet_node_mask(&pods("fd00::/108"), unset).unwrap_err().contains("node-cidr-mask-size-ipv6"));
    let set = |f: &str| Some((f == "node-cidr-mask-size-ipv6").then(|| "120".to_string()));
    assert!(pod_subnet_node_mask(&pods("fd00::/108"), set).is_ok());
    let garbage = |_: &str| Some(Some("big".to_string()));
    assert!(pod_subnet_node_mask(&pods("10.0.0.0/16"), garbage).unwrap_err().contains("integer"));
    // Unknown flags leave the CIDR unchecked.
    assert!(pod_subnet_node_mask(&pods("10.0.0.0/25"), |_: &str| None).is_ok());
}

#[test]
fn endpoints() {
    for ok in ["api.example.com", "api.example.com:6443", "10.0.0.1:443", "[fd00::1]:6443", "fd00::1", "api"] {
        assert_eq!(check_endpoint(ok), Ok(()), "{ok}");
    }
    for bad in
        ["", "api example", "host:0", "host:99999", "http://x", "API.example.com", "api_x:6443", "[fd00::1]", "host:"]
    {
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
