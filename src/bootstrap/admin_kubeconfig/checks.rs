//! Checks of the inputs: the API server URL, the names, the groups and the
//! validity.

use super::{KubeconfigError, MIN_VALIDITY};
use crate::bootstrap::duration::GoDuration;

/// Checks an API server URL: `https://host[:port][/path]`, the host a DNS
/// name, an IPv4 address or a bracketed IPv6 address, without credentials,
/// query or fragment.
pub fn check_server(url: &str) -> Result<(), KubeconfigError> {
    let bad = |problem: &str| KubeconfigError::InvalidServer { url: url.to_string(), problem: problem.to_string() };
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(if url.contains("://") {
            bad("the scheme must be https (the API server only serves TLS)")
        } else {
            bad("it has no https:// scheme")
        });
    };
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains spaces or control characters"));
    }
    if rest.contains(['?', '#']) {
        return Err(bad("it has a query or fragment"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(bad("it carries credentials; the client certificate authenticates"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or_else(|| bad("the IPv6 address has no closing bracket"))?;
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("the bracketed host is not an IPv6 address"));
        }
        match after {
            "" => (addr, None),
            p => (addr, Some(p.strip_prefix(':').ok_or_else(|| bad("unexpected text after the IPv6 address"))?)),
        }
    } else {
        match authority.split_once(':') {
            Some((_, p)) if p.contains(':') => return Err(bad("an IPv6 address must be written in brackets")),
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("it names no host"));
    }
    if !authority.starts_with('[') && !is_host_name(host) {
        return Err(bad("the host is not a DNS name or an IP address"));
    }
    if let Some(p) = port {
        let valid = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
        if !valid || !(1..=65535).contains(&p.parse::<u32>().unwrap_or(0)) {
            return Err(bad("the port must be a number from 1 to 65535"));
        }
    }
    Ok(())
}

/// A DNS name (letters, digits, hyphens and dots, each label 1 to 63
/// characters) or a dotted IPv4 address.
fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.trim_end_matches('.').split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Why a name that goes into a certificate or kubeconfig is unusable.
fn name_problem(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("it is empty")
    } else if name.chars().any(char::is_control) {
        Some("it contains control characters")
    } else {
        None
    }
}

/// Checks the username (the certificate's CN).
pub fn check_username(name: &str) -> Result<(), KubeconfigError> {
    match name_problem(name) {
        Some(problem) => Err(KubeconfigError::InvalidUsername { name: name.to_string(), problem }),
        None => Ok(()),
    }
}

/// Checks the cluster name.
pub fn check_cluster_name(name: &str) -> Result<(), KubeconfigError> {
    match name_problem(name) {
        Some(problem) => Err(KubeconfigError::InvalidClusterName { name: name.to_string(), problem }),
        None => Ok(()),
    }
}

/// Checks the groups: none empty, none twice. An empty list is allowed (a
/// certificate with only a user name, bound by RBAC to that user).
pub fn check_groups(groups: &[String]) -> Result<(), KubeconfigError> {
    for (index, group) in groups.iter().enumerate() {
        if let Some(problem) = name_problem(group) {
            return Err(KubeconfigError::InvalidGroup { index, group: group.clone(), problem });
        }
        if let Some(first) = groups[..index].iter().position(|g| g == group) {
            return Err(KubeconfigError::DuplicateGroup { index, first, group: group.clone() });
        }
    }
    Ok(())
}

/// Checks a validity: at least [`MIN_VALIDITY`].
pub fn check_validity(validity: GoDuration) -> Result<(), KubeconfigError> {
    if validity < MIN_VALIDITY {
        return Err(KubeconfigError::InvalidValidity {
            validity: validity.format(),
            problem: "it must be at least one second",
        });
    }
    Ok(())
}
