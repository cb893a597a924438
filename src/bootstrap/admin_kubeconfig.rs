//! Admin kubeconfigs: a client certificate signed by the cluster's Kubernetes
//! CA, and the kubeconfig around it, the way kubeadm writes
//! `/etc/kubernetes/admin.conf` (the `kubeconfig admin` phase).
//!
//! What kubeadm does, and so what this module does:
//!
//! - the subject is `O=<group>` for each group, then `CN=<username>`, with
//!   kubeadm's admin defaults: `kubernetes-admin` in `kubeadm:cluster-admins`
//!   from Kubernetes 1.29 on, in `system:masters` before (1.29 split the old
//!   admin into the RBAC-bound admin and a `super-admin` in `system:masters`);
//! - key usage digitalSignature (plus keyEncipherment for RSA keys, which is
//!   what that bit is about), extended key usage clientAuth, CA:FALSE, and an
//!   authority key identifier equal to the CA's subject key identifier;
//! - the validity starts a few minutes before `now`, so clocks that lag
//!   slightly still accept it, and ends `validity` after `now`;
//! - the kubeconfig names the cluster `<cluster name>`, the user
//!   `<username>` and the context `<username>@<cluster name>`, sets it as the
//!   current context and embeds the CA certificate, the client certificate
//!   and its key as base64 data.
//!
//! The certificate body is encoded here rather than by rcgen: the issuer name
//! must be byte-for-byte the CA's subject (Go's verifier, and so the API
//! server, finds a client certificate's issuer by those bytes, and a CA made
//! by kubeadm encodes its names differently from one made by rcgen), and an
//! rcgen distinguished name holds one value per attribute type, which cannot
//! express several `O=` groups. rcgen still makes the key pair and signs with
//! the CA key.
//!
//! The clock is passed in. Errors name the input that is wrong and never
//! repeat key material.
//!
//! This module is plain domain code: it must not depend on tonic, prost,
//! msgpack or any Terraform plugin protocol code.

use std::collections::BTreeMap;

use base64::Engine as _;
use rand::RngCore as _;
use rcgen::{PublicKeyData as _, SigningKey as _};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use time::{Duration, OffsetDateTime, UtcOffset};
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer as _;

use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::node::KubernetesVersion;
use crate::bootstrap::pki::{self, KeyAlgorithm, PkiError};
use crate::bootstrap::secret::Sensitive;
use crate::bootstrap::token;

/// kubeadm's admin user, the certificate's common name.
pub const DEFAULT_USERNAME: &str = "kubernetes-admin";
/// The group kubeadm's `admin.conf` carries from Kubernetes 1.29 on; kubeadm
/// binds it to `cluster-admin` with RBAC, so it can be revoked.
pub const CLUSTER_ADMINS_GROUP: &str = "kubeadm:cluster-admins";
/// The group of kubeadm's super-admin (and of `admin.conf` before 1.29): the
/// API server grants it everything without consulting RBAC.
pub const SUPER_ADMIN_GROUP: &str = "system:masters";
/// The minor release whose `admin.conf` moved to [`CLUSTER_ADMINS_GROUP`].
pub const CLUSTER_ADMINS_SINCE_MINOR: u32 = 29;
/// kubeadm's default lifetime of `admin.conf`'s certificate: a year.
pub const DEFAULT_VALIDITY: &str = "8760h";
/// The cluster name kubeadm uses when none is configured.
pub const DEFAULT_CLUSTER_NAME: &str = "kubernetes";
/// How far `NotBefore` lies before `now`.
pub const BACKDATE: Duration = Duration::minutes(5);
/// The shortest validity accepted.
pub const MIN_VALIDITY: GoDuration = GoDuration::from_secs(1);

/// Which input an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The CA certificate or its key.
    ClusterCa,
    /// The API server URL.
    Server,
    /// The cluster name.
    ClusterName,
    /// The username.
    Username,
    /// The groups; the index of the offending one when there is one.
    Groups(Option<usize>),
    /// The validity.
    Validity,
}

/// Why an admin kubeconfig cannot be made. No message holds key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeconfigError {
    /// The server is not an `https://host[:port][/path]` URL.
    #[error("{url:?} is not a usable API server URL: {problem}; expected https://host:port, e.g. \"https://api.example.com:6443\"")]
    InvalidServer {
        /// The rejected URL (an address, not a secret).
        url: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The cluster name is empty or holds control characters.
    #[error("the cluster name {name:?} is not usable: {problem}")]
    InvalidClusterName {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The username is empty or holds control characters.
    #[error("the username {name:?} is not usable: {problem}; kubeadm's admin is \"{DEFAULT_USERNAME}\"")]
    InvalidUsername {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A group is empty or holds control characters.
    #[error("group {index} ({group:?}) is not usable: {problem}")]
    InvalidGroup {
        /// Position in the list.
        index: usize,
        /// The rejected group.
        group: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The same group twice.
    #[error("group {group:?} is listed twice (at {first} and {index}); list each group once")]
    DuplicateGroup {
        /// The second position.
        index: usize,
        /// The first position.
        first: usize,
        /// The repeated group.
        group: String,
    },
    /// A validity that cannot become a certificate's lifetime.
    #[error("a validity of {validity} cannot be used: {problem}")]
    InvalidValidity {
        /// The duration, as Go prints it.
        validity: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The CA certificate and key are not a usable CA.
    #[error("the cluster CA cannot sign: {0}")]
    Ca(#[from] PkiError),
    /// Key generation, encoding or signing failed inside a library.
    #[error("could not issue the client certificate: {0}")]
    Issue(String),
}

impl KubeconfigError {
    /// The input the error is about.
    pub fn input(&self) -> Input {
        match self {
            Self::InvalidServer { .. } => Input::Server,
            Self::InvalidClusterName { .. } => Input::ClusterName,
            Self::InvalidUsername { .. } => Input::Username,
            Self::InvalidGroup { index, .. } | Self::DuplicateGroup { index, .. } => Input::Groups(Some(*index)),
            Self::InvalidValidity { .. } => Input::Validity,
            Self::Ca(_) | Self::Issue(_) => Input::ClusterCa,
        }
    }
}

/// What to issue.
#[derive(Debug, Clone)]
pub struct AdminRequest<'a> {
    /// The Kubernetes CA certificate (`ca.crt`), PEM.
    pub ca_cert_pem: &'a str,
    /// Its private key (`ca.key`), PEM (PKCS#8, PKCS#1 or SEC1).
    pub ca_key_pem: &'a Sensitive<String>,
    /// The API server URL written into the kubeconfig.
    pub server: &'a str,
    /// The cluster's name in the kubeconfig.
    pub cluster_name: &'a str,
    /// The certificate's common name and the kubeconfig's user.
    pub username: &'a str,
    /// The certificate's organizations (Kubernetes groups), in order.
    pub groups: &'a [String],
    /// How long the certificate is valid from `now`.
    pub validity: GoDuration,
    /// The client key's algorithm.
    pub key_algorithm: KeyAlgorithm,
    /// The current time.
    pub now: OffsetDateTime,
}

/// An issued admin kubeconfig. `Debug` hides the key and the kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminKubeconfig {
    /// The kubeconfig YAML, usable as it is by kubectl.
    pub kubeconfig: Sensitive<String>,
    /// The client certificate, PEM.
    pub client_certificate_pem: String,
    /// The client key, PKCS#8 PEM.
    pub client_key_pem: Sensitive<String>,
    /// Start of the validity window.
    pub not_before: OffsetDateTime,
    /// End of the validity window.
    pub expires_at: OffsetDateTime,
    /// The certificate's serial number, lowercase hex.
    pub serial_hex: String,
}

/// The parts of a kubeconfig.
#[derive(Debug, Clone, Copy)]
pub struct KubeconfigParts<'a> {
    /// The API server URL.
    pub server: &'a str,
    /// The cluster's name.
    pub cluster_name: &'a str,
    /// The user's name.
    pub username: &'a str,
    /// The CA certificate, PEM.
    pub ca_cert_pem: &'a str,
    /// The client certificate, PEM.
    pub client_certificate_pem: &'a str,
    /// The client key, PEM.
    pub client_key_pem: &'a Sensitive<String>,
}

/// The groups kubeadm's `admin.conf` carries for `version`; without a
/// version, those of current releases.
pub fn default_groups(version: Option<&KubernetesVersion>) -> Vec<String> {
    let group = match version {
        Some(v) if v.minor < CLUSTER_ADMINS_SINCE_MINOR => SUPER_ADMIN_GROUP,
        _ => CLUSTER_ADMINS_GROUP,
    };
    vec![group.to_string()]
}

/// kubeadm's context name: `<username>@<cluster name>`.
pub fn context_name(username: &str, cluster_name: &str) -> String {
    format!("{username}@{cluster_name}")
}

/// Whether a certificate expiring at `expires_at` is due for re-issue at
/// `now`: once `expires_at - renew_before` has passed, or once it has
/// expired when no `renew_before` is given.
pub fn needs_renewal(now: OffsetDateTime, expires_at: OffsetDateTime, renew_before: Option<GoDuration>) -> bool {
    token::needs_renewal(now, Some(expires_at), renew_before.unwrap_or(GoDuration::ZERO))
}

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

/// Issues a client certificate for `req` signed by its CA and returns the
/// kubeconfig around it. The CA must pass [`pki::validate_ca_pair`] at
/// `req.now`.
pub fn issue(req: &AdminRequest<'_>) -> Result<AdminKubeconfig, KubeconfigError> {
    check_server(req.server)?;
    check_cluster_name(req.cluster_name)?;
    check_username(req.username)?;
    check_groups(req.groups)?;
    check_validity(req.validity)?;
    let (not_before, not_after) = window(req.validity, req.now)?;
    let ca_info = pki::validate_ca_pair(req.ca_cert_pem, req.ca_key_pem.expose(), req.now)?;
    let ca_alg = ca_info.algorithm.ok_or_else(|| KubeconfigError::Issue("the CA key type is not supported".into()))?;

    let issue_err = |what: &'static str| move |e: rcgen::Error| KubeconfigError::Issue(format!("{what}: {e}"));
    let ca_der = CertificateDer::from_pem_slice(req.ca_cert_pem.as_bytes())
        .map_err(|_| KubeconfigError::Issue("the CA certificate does not decode".into()))?;
    let (_, ca_cert) = x509_parser::certificate::X509Certificate::from_der(ca_der.as_ref())
        .map_err(|_| KubeconfigError::Issue("the CA certificate does not parse".into()))?;
    let ca_key_der = PrivateKeyDer::from_pem_slice(req.ca_key_pem.expose().as_bytes())
        .map_err(|_| KubeconfigError::Issue("the CA key does not decode".into()))?;
    let ca_key = rcgen::KeyPair::try_from(&ca_key_der).map_err(issue_err("the CA key is not usable"))?;
    let (sig_alg, rcgen_alg) = signature_algorithm(ca_alg);
    if ca_key.algorithm() != rcgen_alg {
        return Err(KubeconfigError::Issue("the CA key does not sign with the algorithm of its certificate".into()));
    }

    let key = new_key_pair(req.key_algorithm).map_err(issue_err("could not generate the client key"))?;
    let serial = random_serial();
    let ski = ca_cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
        _ => None,
    });
    let tbs = der::seq(&[
        // version [0] EXPLICIT v3
        &der::tlv(0xa0, &der::tlv(der::INTEGER, &[2])),
        &der::tlv(der::INTEGER, &serial),
        sig_alg,
        ca_cert.tbs_certificate.subject.as_raw(),
        &der::seq(&[&der::time(not_before), &der::time(not_after)]),
        &subject(req.username, req.groups),
        &key.subject_public_key_info(),
        &der::tlv(0xa3, &extensions(req.key_algorithm, ski.as_deref())),
    ]);
    let signature = ca_key.sign(&tbs).map_err(issue_err("the CA key could not sign"))?;
    let mut bits = vec![0u8];
    bits.extend_from_slice(&signature);
    let cert_der = der::seq(&[&tbs, sig_alg, &der::tlv(der::BIT_STRING, &bits)]);
    let client_certificate_pem = pem("CERTIFICATE", &cert_der);
    let client_key_pem = Sensitive::new(key.serialize_pem());
    let kubeconfig = render(&KubeconfigParts {
        server: req.server,
        cluster_name: req.cluster_name,
        username: req.username,
        ca_cert_pem: req.ca_cert_pem,
        client_certificate_pem: &client_certificate_pem,
        client_key_pem: &client_key_pem,
    })?;
    Ok(AdminKubeconfig {
        kubeconfig,
        client_certificate_pem,
        client_key_pem,
        not_before,
        expires_at: not_after,
        serial_hex: hex::encode(serial),
    })
}

/// NotBefore and NotAfter for a certificate issued at `now`, in UTC and
/// whole seconds, within the years certificates can express.
fn window(validity: GoDuration, now: OffsetDateTime) -> Result<(OffsetDateTime, OffsetDateTime), KubeconfigError> {
    let invalid = |problem| KubeconfigError::InvalidValidity { validity: validity.format(), problem };
    let now = now
        .checked_to_offset(UtcOffset::UTC)
        .and_then(|t| t.replace_nanosecond(0).ok())
        .ok_or_else(|| invalid("the current time cannot be written into a certificate"))?;
    let whole = Duration::seconds(validity.to_time_duration().whole_seconds());
    let start = now.checked_sub(BACKDATE).filter(|t| t.year() >= 1);
    let end = now.checked_add(whole).filter(|t| t.year() <= 9999);
    match (start, end) {
        (Some(s), Some(e)) => Ok((s, e)),
        (None, _) => Err(invalid("the current time cannot be written into a certificate")),
        (_, None) => Err(invalid("the certificate would expire after the year 9999")),
    }
}

/// The AlgorithmIdentifier DER of the signatures a CA key of `alg` makes,
/// and rcgen's matching algorithm.
fn signature_algorithm(alg: KeyAlgorithm) -> (&'static [u8], &'static rcgen::SignatureAlgorithm) {
    // sha256WithRSAEncryption (with its NULL parameters), ecdsa-with-SHA256,
    // ecdsa-with-SHA384 (RFC 4055, RFC 5758).
    const RSA_SHA256: &[u8] =
        &[0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00];
    const ECDSA_SHA256: &[u8] = &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    const ECDSA_SHA384: &[u8] = &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    match alg {
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => (RSA_SHA256, &rcgen::PKCS_RSA_SHA256),
        KeyAlgorithm::EcdsaP256 => (ECDSA_SHA256, &rcgen::PKCS_ECDSA_P256_SHA256),
        KeyAlgorithm::EcdsaP384 => (ECDSA_SHA384, &rcgen::PKCS_ECDSA_P384_SHA384),
    }
}

/// A fresh client key of `alg`.
fn new_key_pair(alg: KeyAlgorithm) -> Result<rcgen::KeyPair, rcgen::Error> {
    let rsa = |size| rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size);
    match alg {
        KeyAlgorithm::Rsa2048 => rsa(rcgen::RsaKeySize::_2048),
        KeyAlgorithm::Rsa3072 => rsa(rcgen::RsaKeySize::_3072),
        KeyAlgorithm::Rsa4096 => rsa(rcgen::RsaKeySize::_4096),
        KeyAlgorithm::EcdsaP256 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeyAlgorithm::EcdsaP384 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
    }
}

/// 16 random bytes read as a positive INTEGER with no leading zero byte.
fn random_serial() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    bytes
}

/// `O=<group>` for each group, then `CN=<username>`: the order of Go's
/// `pkix.Name`, one attribute per RDN.
fn subject(username: &str, groups: &[String]) -> Vec<u8> {
    // id-at-organizationName and id-at-commonName.
    const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
    const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
    let rdn = |oid: &[u8], value: &str| {
        let atv = der::seq(&[&der::tlv(der::OID, oid), &der::directory_string(value)]);
        der::tlv(der::SET, &atv)
    };
    let mut rdns: Vec<Vec<u8>> = groups.iter().map(|g| rdn(OID_O, g)).collect();
    rdns.push(rdn(OID_CN, username));
    der::seq_of(&rdns)
}

/// The extensions (a SEQUENCE): critical key usage, client-auth extended
/// key usage, critical CA:FALSE, and the authority key identifier when the
/// CA has a subject key identifier.
fn extensions(alg: KeyAlgorithm, ca_key_id: Option<&[u8]>) -> Vec<u8> {
    const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
    const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
    const AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
    // id-kp-clientAuth, 1.3.6.1.5.5.7.3.2.
    const CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
    let ext = |oid: &[u8], critical: bool, value: &[u8]| {
        let flag = der::tlv(der::BOOLEAN, &[0xff]);
        let oid = der::tlv(der::OID, oid);
        let value = der::tlv(der::OCTET_STRING, value);
        if critical {
            der::seq(&[&oid, &flag, &value])
        } else {
            der::seq(&[&oid, &value])
        }
    };
    // digitalSignature is bit 0 and keyEncipherment bit 2, counted from the
    // most significant bit; DER drops trailing zero bits (RFC 5280 4.2.1.3).
    let key_usage: &[u8] = if alg.is_rsa() { &[0x05, 0xa0] } else { &[0x07, 0x80] };
    let mut out = vec![
        ext(KEY_USAGE, true, &der::tlv(der::BIT_STRING, key_usage)),
        ext(EXT_KEY_USAGE, false, &der::seq(&[&der::tlv(der::OID, CLIENT_AUTH)])),
        ext(BASIC_CONSTRAINTS, true, &der::seq(&[])),
    ];
    if let Some(id) = ca_key_id {
        out.push(ext(AUTHORITY_KEY_ID, false, &der::seq(&[&der::tlv(0x80, id)])));
    }
    der::seq_of(&out)
}

/// PEM of DER bytes, 64 base64 characters per line.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    // base64 is ASCII, so every chunk is text.
    let lines: Vec<&str> = b64.as_bytes().chunks(64).filter_map(|c| std::str::from_utf8(c).ok()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// The kubeconfig document, with keys in the order kubectl writes them.
#[derive(Serialize)]
struct KubeconfigDoc<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    clusters: [NamedCluster<'a>; 1],
    contexts: [NamedContext<'a>; 1],
    #[serde(rename = "current-context")]
    current_context: String,
    kind: &'static str,
    preferences: BTreeMap<String, String>,
    users: [NamedUser<'a>; 1],
}

#[derive(Serialize)]
struct NamedCluster<'a> {
    cluster: ClusterEntry<'a>,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ClusterEntry<'a> {
    certificate_authority_data: String,
    server: &'a str,
}

#[derive(Serialize)]
struct NamedContext<'a> {
    context: ContextEntry<'a>,
    name: String,
}

#[derive(Serialize)]
struct ContextEntry<'a> {
    cluster: &'a str,
    user: &'a str,
}

/// Holds the key: no `Debug`.
#[derive(Serialize)]
struct NamedUser<'a> {
    name: &'a str,
    user: UserEntry,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct UserEntry {
    client_certificate_data: String,
    client_key_data: String,
}

/// The kubeconfig YAML for `parts`: one cluster, one user, one context,
/// selected; the PEM texts embedded as base64, as kubeadm does.
pub fn render(parts: &KubeconfigParts<'_>) -> Result<Sensitive<String>, KubeconfigError> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let context = context_name(parts.username, parts.cluster_name);
    let doc = KubeconfigDoc {
        api_version: "v1",
        clusters: [NamedCluster {
            cluster: ClusterEntry { certificate_authority_data: b64(parts.ca_cert_pem), server: parts.server },
            name: parts.cluster_name,
        }],
        contexts: [NamedContext {
            context: ContextEntry { cluster: parts.cluster_name, user: parts.username },
            name: context.clone(),
        }],
        current_context: context,
        kind: "Config",
        preferences: BTreeMap::new(),
        users: [NamedUser {
            name: parts.username,
            user: UserEntry {
                client_certificate_data: b64(parts.client_certificate_pem),
                client_key_data: b64(parts.client_key_pem.expose()),
            },
        }],
    };
    serde_yaml_ng::to_string(&doc)
        .map(Sensitive::new)
        .map_err(|_| KubeconfigError::Issue("the kubeconfig could not be written as YAML".into()))
}

/// Just enough DER to write a certificate body.
mod der {
    use time::OffsetDateTime;

    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    const UTF8_STRING: u8 = 0x0c;
    const PRINTABLE_STRING: u8 = 0x13;
    const UTC_TIME: u8 = 0x17;
    const GENERALIZED_TIME: u8 = 0x18;
    const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;

    /// Tag, definite length, content.
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let len = content.len();
        let mut out = vec![tag];
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }

    /// A SEQUENCE of already encoded elements.
    pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(SEQUENCE, &parts.concat())
    }

    /// A SEQUENCE of encoded elements held in a list.
    pub fn seq_of(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(SEQUENCE, &parts.concat())
    }

    /// PrintableString when every character allows it, else UTF8String:
    /// Go's choice for the names it writes.
    pub fn directory_string(s: &str) -> Vec<u8> {
        let printable = s.bytes().all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
        tlv(if printable { PRINTABLE_STRING } else { UTF8_STRING }, s.as_bytes())
    }

    /// UTCTime for 1950 to 2049, GeneralizedTime otherwise (RFC 5280
    /// 4.1.2.5); `at` is in UTC and whole seconds.
    pub fn time(at: OffsetDateTime) -> Vec<u8> {
        let (y, m, d) = (at.year(), u8::from(at.month()), at.day());
        let (hh, mm, ss) = (at.hour(), at.minute(), at.second());
        if (1950..2050).contains(&y) {
            let text = format!("{:02}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z", y % 100);
            tlv(UTC_TIME, text.as_bytes())
        } else {
            let text = format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z");
            tlv(GENERALIZED_TIME, text.as_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;
    use std::sync::OnceLock;

    use x509_parser::certificate::X509Certificate;
    use x509_parser::extensions::{GeneralName, ParsedExtension};

    use super::*;
    use crate::bootstrap::kube;
    use crate::bootstrap::pki::{CaPair, CaRole};

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-03-04 05:06:07.891 UTC)
    }

    /// CAs shared by the tests that only read them.
    fn ca(alg: KeyAlgorithm) -> &'static CaPair {
        static CAS: OnceLock<Vec<(KeyAlgorithm, CaPair)>> = OnceLock::new();
        let cas = CAS.get_or_init(|| {
            [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384]
                .into_iter()
                .map(|a| (a, pki::generate_ca(CaRole::Kubernetes, "prod", a, 3650, now()).unwrap()))
                .collect()
        });
        &cas.iter().find(|(a, _)| *a == alg).expect("a CA of that algorithm").1
    }

    fn groups(g: &[&str]) -> Vec<String> {
        g.iter().map(|s| s.to_string()).collect()
    }

    fn issue_with(
        ca: &CaPair,
        groups: &[String],
        validity: &str,
        alg: KeyAlgorithm,
    ) -> Result<AdminKubeconfig, KubeconfigError> {
        issue(&AdminRequest {
            ca_cert_pem: &ca.cert_pem,
            ca_key_pem: &ca.key_pem,
            server: "https://api.prod.example.com:6443",
            cluster_name: "prod",
            username: "kubernetes-admin",
            groups,
            validity: GoDuration::parse(validity).unwrap(),
            key_algorithm: alg,
            now: now(),
        })
    }

    fn der_of(pem: &str) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem.as_bytes()).unwrap().as_ref().to_vec()
    }

    /// Whether openssl succeeded, and what it printed (stdout, then stderr).
    fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
        let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    }

    /// What openssl printed, insisting that it succeeded.
    fn openssl_ok(dir: &Path, args: &[&str]) -> String {
        let (ok, text) = openssl(dir, args);
        assert!(ok, "openssl {args:?}: {text}");
        text
    }

    /// openssl checks the chain for a TLS client at a time inside the
    /// validity, and that the key is the certificate's.
    fn openssl_accepts(ca_cert_pem: &str, issued: &AdminKubeconfig) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ca.crt"), ca_cert_pem).unwrap();
        std::fs::write(d.join("client.crt"), &issued.client_certificate_pem).unwrap();
        std::fs::write(d.join("client.key"), issued.client_key_pem.expose()).unwrap();
        let at = (now() + Duration::hours(1)).unix_timestamp().to_string();
        let verdict = openssl_ok(
            d,
            &["verify", "-x509_strict", "-purpose", "sslclient", "-attime", &at, "-CAfile", "ca.crt", "client.crt"],
        );
        assert_eq!(verdict.trim(), "client.crt: OK");
        // Before NotBefore and after NotAfter, openssl refuses it.
        for outside in [issued.not_before - Duration::seconds(1), issued.expires_at + Duration::seconds(1)] {
            let t = outside.unix_timestamp().to_string();
            let (ok, _) = openssl(d, &["verify", "-attime", &t, "-CAfile", "ca.crt", "client.crt"]);
            assert!(!ok, "openssl accepted the certificate at {outside}");
        }
        let from_cert = openssl_ok(d, &["x509", "-noout", "-pubkey", "-in", "client.crt"]);
        let from_key = openssl_ok(d, &["pkey", "-pubout", "-in", "client.key"]);
        assert_eq!(from_cert, from_key, "the key is not the certificate's");
    }

    #[test]
    fn client_certificate_is_kubeadms_admin_and_chains_to_the_ca() {
        for (ca_alg, client_alg) in [
            (KeyAlgorithm::Rsa2048, KeyAlgorithm::Rsa2048),
            (KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256),
            (KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384),
            (KeyAlgorithm::EcdsaP384, KeyAlgorithm::Rsa2048),
        ] {
            let ca = ca(ca_alg);
            let issued = issue_with(ca, &groups(&["kubeadm:cluster-admins", "ops team"]), "8760h", client_alg).unwrap();
            let der = der_of(&issued.client_certificate_pem);
            let (rest, cert) = X509Certificate::from_der(&der).unwrap();
            assert!(rest.is_empty());
            let ca_der = der_of(&ca.cert_pem);
            let (_, ca_cert) = X509Certificate::from_der(&ca_der).unwrap();

            // Subject: O per group in order, then CN; issuer: the CA's subject, byte for byte.
            let subject = cert.subject();
            let cn: Vec<_> = subject.iter_common_name().map(|a| a.as_str().unwrap()).collect();
            let orgs: Vec<_> = subject.iter_organization().map(|a| a.as_str().unwrap()).collect();
            assert_eq!(cn, ["kubernetes-admin"]);
            assert_eq!(orgs, ["kubeadm:cluster-admins", "ops team"]);
            assert_eq!(subject.to_string(), "O=kubeadm:cluster-admins, O=ops team, CN=kubernetes-admin");
            assert_eq!(cert.issuer().as_raw(), ca_cert.subject().as_raw());
            assert_eq!(cert.version(), x509_parser::x509::X509Version::V3);

            // Extensions as kubeadm's client certificates have them.
            let ku = cert.key_usage().unwrap().expect("key usage");
            assert!(ku.critical);
            assert!(ku.value.digital_signature() && !ku.value.key_cert_sign());
            assert_eq!(ku.value.key_encipherment(), client_alg.is_rsa(), "{client_alg}");
            let eku = cert.extended_key_usage().unwrap().expect("extended key usage").value;
            assert!(eku.client_auth && !eku.server_auth && eku.other.is_empty());
            let bc = cert.basic_constraints().unwrap().expect("basic constraints");
            assert!(bc.critical && !bc.value.ca);
            let aki = cert.extensions().iter().find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0.to_vec()),
                _ => None,
            });
            let ski = ca_cert.extensions().iter().find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                _ => None,
            });
            assert!(ski.is_some(), "the generated CA has a subject key identifier");
            assert_eq!(aki, ski, "the authority key identifier is the CA's");
            assert!(
                !cert.extensions().iter().any(|e| matches!(
                    e.parsed_extension(),
                    ParsedExtension::SubjectAlternativeName(n) if n.general_names.iter().any(|g| matches!(g, GeneralName::DNSName(_)))
                )),
                "a client certificate names no hosts"
            );

            // Validity: backdated five minutes, a year from now, whole seconds.
            let start = now().replace_nanosecond(0).unwrap();
            assert_eq!(cert.validity().not_before.to_datetime(), start - Duration::minutes(5));
            assert_eq!(cert.validity().not_after.to_datetime(), start + Duration::hours(8760));
            assert_eq!(issued.not_before, start - Duration::minutes(5));
            assert_eq!(issued.expires_at, start + Duration::hours(8760));
            assert_eq!(issued.serial_hex, hex::encode(cert.raw_serial()));
            assert!(cert.tbs_certificate.serial.bits() > 64, "a random serial of 127 bits");

            // The key is a fresh one of the asked algorithm.
            assert_eq!(pki::key_algorithm_of_private_key(issued.client_key_pem.expose()).unwrap(), client_alg);
            assert_eq!(cert.signature_algorithm.algorithm.to_id_string(), sig_oid(ca_alg));
            openssl_accepts(&ca.cert_pem, &issued);
        }
    }

    fn sig_oid(ca_alg: KeyAlgorithm) -> &'static str {
        match ca_alg {
            KeyAlgorithm::EcdsaP256 => "1.2.840.10045.4.3.2",
            KeyAlgorithm::EcdsaP384 => "1.2.840.10045.4.3.3",
            _ => "1.2.840.113549.1.1.11",
        }
    }

    #[test]
    fn a_ca_made_by_openssl_with_a_pkcs1_key_signs_too() {
        // openssl encodes names its own way and writes a PKCS#1 key with
        // -traditional; the issuer must still be the CA's subject exactly.
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl_ok(
            d,
            &[
                "req",
                "-x509",
                "-nodes",
                "-days",
                "3650",
                "-newkey",
                "rsa:2048",
                "-subj",
                "/CN=kubernetes",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,digitalSignature",
                "-keyout",
                "ca8.key",
                "-out",
                "ca.crt",
            ],
        );
        openssl_ok(d, &["rsa", "-traditional", "-in", "ca8.key", "-out", "ca.key"]);
        let cert_pem = std::fs::read_to_string(d.join("ca.crt")).unwrap();
        let key_pem = std::fs::read_to_string(d.join("ca.key")).unwrap();
        assert!(key_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        let ca = CaPair { cert_pem, key_pem: Sensitive::new(key_pem) };
        // openssl's CA starts now; issue within its validity.
        let now = OffsetDateTime::now_utc();
        let issued = issue(&AdminRequest {
            ca_cert_pem: &ca.cert_pem,
            ca_key_pem: &ca.key_pem,
            server: "https://10.0.0.1:6443",
            cluster_name: "kubernetes",
            username: "kubernetes-admin",
            groups: &groups(&[SUPER_ADMIN_GROUP]),
            validity: GoDuration::parse("1h").unwrap(),
            key_algorithm: KeyAlgorithm::EcdsaP256,
            now,
        })
        .unwrap();
        let client_der = der_of(&issued.client_certificate_pem);
        let (_, cert) = X509Certificate::from_der(&client_der).unwrap();
        let ca_der = der_of(&ca.cert_pem);
        let (_, ca_cert) = X509Certificate::from_der(&ca_der).unwrap();
        assert_eq!(cert.issuer().as_raw(), ca_cert.subject().as_raw());
        std::fs::write(d.join("client.crt"), &issued.client_certificate_pem).unwrap();
        let verdict = openssl_ok(d, &["verify", "-purpose", "sslclient", "-CAfile", "ca.crt", "client.crt"]);
        assert_eq!(verdict.trim(), "client.crt: OK");
    }

    #[test]
    fn groups_default_to_kubeadms_admin_conf_for_the_release() {
        let v = |s: &str| KubernetesVersion::parse(s).unwrap();
        assert_eq!(default_groups(Some(&v("v1.28.15"))), [SUPER_ADMIN_GROUP]);
        assert_eq!(default_groups(Some(&v("v1.22.0"))), [SUPER_ADMIN_GROUP]);
        for newer in ["v1.29.0", "v1.31.4", "v1.34.4"] {
            assert_eq!(default_groups(Some(&v(newer))), [CLUSTER_ADMINS_GROUP], "{newer}");
        }
        assert_eq!(default_groups(None), [CLUSTER_ADMINS_GROUP]);
    }

    #[test]
    fn kubeconfig_names_things_as_kubeadm_does_and_a_client_can_use_it() {
        let ca = ca(KeyAlgorithm::EcdsaP256);
        let issued = issue_with(ca, &groups(&[CLUSTER_ADMINS_GROUP]), "1h", KeyAlgorithm::EcdsaP256).unwrap();
        let text = issued.kubeconfig.expose();
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).unwrap();
        let s = |v: &serde_yaml_ng::Value| v.as_str().unwrap().to_string();
        let b64 = |v: &serde_yaml_ng::Value| {
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s(v)).unwrap()).unwrap()
        };
        assert_eq!(s(&doc["apiVersion"]), "v1");
        assert_eq!(s(&doc["kind"]), "Config");
        assert_eq!(s(&doc["current-context"]), "kubernetes-admin@prod");
        assert_eq!(s(&doc["clusters"][0]["name"]), "prod");
        assert_eq!(s(&doc["clusters"][0]["cluster"]["server"]), "https://api.prod.example.com:6443");
        assert_eq!(b64(&doc["clusters"][0]["cluster"]["certificate-authority-data"]), ca.cert_pem);
        assert_eq!(s(&doc["contexts"][0]["name"]), "kubernetes-admin@prod");
        assert_eq!(s(&doc["contexts"][0]["context"]["cluster"]), "prod");
        assert_eq!(s(&doc["contexts"][0]["context"]["user"]), "kubernetes-admin");
        assert_eq!(s(&doc["users"][0]["name"]), "kubernetes-admin");
        assert_eq!(b64(&doc["users"][0]["user"]["client-certificate-data"]), issued.client_certificate_pem);
        assert_eq!(b64(&doc["users"][0]["user"]["client-key-data"]), *issued.client_key_pem.expose());
        for list in ["clusters", "contexts", "users"] {
            assert_eq!(doc[list].as_sequence().unwrap().len(), 1, "{list}");
        }
        // The same layout as admin.conf: top-level keys in kubectl's order.
        let keys: Vec<&str> =
            text.lines().filter(|l| !l.starts_with([' ', '-'])).map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(keys, ["apiVersion", "clusters", "contexts", "current-context", "kind", "preferences", "users"]);

        // The provider's own Kubernetes client takes it as it is: the
        // current context, the server, the CA and a matching key pair.
        let settings = kube::Settings { kubeconfig: Some(Sensitive::new(text.clone())), ..Default::default() };
        let resolved = kube::resolve(&settings, None).unwrap();
        assert_eq!(resolved.connection.server, "https://api.prod.example.com:6443");
        assert!(resolved.connection.has_credentials());
        assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
    }

    #[test]
    fn names_that_need_quoting_stay_intact() {
        let key = Sensitive::new("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_string());
        let text = render(&KubeconfigParts {
            server: "https://[fd00::1]:6443/k8s",
            cluster_name: "prod: eu #1",
            username: "@admin",
            ca_cert_pem: "ca",
            client_certificate_pem: "cert",
            client_key_pem: &key,
        })
        .unwrap();
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text.expose()).unwrap();
        assert_eq!(doc["current-context"].as_str(), Some("@admin@prod: eu #1"));
        assert_eq!(doc["clusters"][0]["name"].as_str(), Some("prod: eu #1"));
        assert_eq!(doc["clusters"][0]["cluster"]["server"].as_str(), Some("https://[fd00::1]:6443/k8s"));
        assert_eq!(
            render(&KubeconfigParts { cluster_name: "prod: eu #1", ..parts(&key) }).unwrap(),
            render(&KubeconfigParts { cluster_name: "prod: eu #1", ..parts(&key) }).unwrap(),
            "deterministic"
        );
    }

    fn parts(key: &Sensitive<String>) -> KubeconfigParts<'_> {
        KubeconfigParts {
            server: "https://api:6443",
            cluster_name: "c",
            username: "u",
            ca_cert_pem: "ca",
            client_certificate_pem: "cert",
            client_key_pem: key,
        }
    }

    #[test]
    fn a_wrong_ca_key_is_an_error_about_the_ca_that_shows_no_key() {
        let good = ca(KeyAlgorithm::EcdsaP256);
        let other = ca(KeyAlgorithm::EcdsaP384);
        let mixed = CaPair { cert_pem: good.cert_pem.clone(), key_pem: other.key_pem.clone() };
        let e = issue_with(&mixed, &groups(&[CLUSTER_ADMINS_GROUP]), "1h", KeyAlgorithm::EcdsaP256).unwrap_err();
        assert!(matches!(e, KubeconfigError::Ca(PkiError::KeyMismatch { .. })), "{e:?}");
        assert_eq!(e.input(), Input::ClusterCa);
        let message = e.to_string();
        for line in other.key_pem.expose().lines().filter(|l| !l.starts_with("-----")) {
            assert!(!message.contains(&line[..line.len().min(20)]), "{message}");
        }
        // Not a CA at all: a client certificate offered as the CA.
        let leaf = issue_with(good, &[], "1h", KeyAlgorithm::EcdsaP256).unwrap();
        let not_ca = CaPair { cert_pem: leaf.client_certificate_pem.clone(), key_pem: leaf.client_key_pem.clone() };
        let e = issue_with(&not_ca, &[], "1h", KeyAlgorithm::EcdsaP256).unwrap_err();
        assert!(matches!(e, KubeconfigError::Ca(PkiError::NotCa { .. })), "{e:?}");
        // An expired CA cannot sign.
        let old =
            pki::generate_ca(CaRole::Kubernetes, "old", KeyAlgorithm::EcdsaP256, 1, now() - Duration::days(3)).unwrap();
        let e = issue_with(&old, &[], "1h", KeyAlgorithm::EcdsaP256).unwrap_err();
        assert!(matches!(e, KubeconfigError::Ca(PkiError::Expired { .. })), "{e:?}");
    }

    #[test]
    fn bad_inputs_name_their_input() {
        let ca = ca(KeyAlgorithm::EcdsaP256);
        let base = AdminRequest {
            ca_cert_pem: &ca.cert_pem,
            ca_key_pem: &ca.key_pem,
            server: "https://api:6443",
            cluster_name: "prod",
            username: "kubernetes-admin",
            groups: &[],
            validity: GoDuration::parse("1h").unwrap(),
            key_algorithm: KeyAlgorithm::EcdsaP256,
            now: now(),
        };
        let dup = groups(&["a", "b", "a"]);
        let blank = groups(&["a", " "]);
        let cases: Vec<(AdminRequest<'_>, Input)> = vec![
            (AdminRequest { server: "http://api:6443", ..base.clone() }, Input::Server),
            (AdminRequest { username: "", ..base.clone() }, Input::Username),
            (AdminRequest { username: "admin\n", ..base.clone() }, Input::Username),
            (AdminRequest { cluster_name: " ", ..base.clone() }, Input::ClusterName),
            (AdminRequest { groups: &dup, ..base.clone() }, Input::Groups(Some(2))),
            (AdminRequest { groups: &blank, ..base.clone() }, Input::Groups(Some(1))),
            (AdminRequest { validity: GoDuration::ZERO, ..base.clone() }, Input::Validity),
            (AdminRequest { validity: GoDuration::parse("999ms").unwrap(), ..base.clone() }, Input::Validity),
            (
                AdminRequest {
                    validity: GoDuration::MAX,
                    now: time::macros::datetime!(9800-01-01 00:00 UTC),
                    ..base.clone()
                },
                Input::Validity,
            ),
        ];
        for (req, want) in cases {
            let e = issue(&req).unwrap_err();
            assert_eq!(e.input(), want, "{e}");
        }
        let ok = issue(&AdminRequest { validity: GoDuration::parse("1m").unwrap(), ..base.clone() }).unwrap();
        assert_eq!(ok.expires_at - ok.not_before, Duration::minutes(6));
    }

    #[test]
    fn servers_must_be_https_urls() {
        for good in [
            "https://api.example.com:6443",
            "https://api.example.com",
            "https://10.0.0.1:6443",
            "https://[fd00::1]:6443",
            "https://[::1]",
            "https://lb.example.com:443/k8s/clusters/c-1",
            "https://api.example.com.:6443",
        ] {
            assert!(check_server(good).is_ok(), "{good}: {:?}", check_server(good));
        }
        for bad in [
            "http://api:6443",
            "api.example.com:6443",
            "https://",
            "https://:6443",
            "https://api:99999",
            "https://api:0",
            "https://api:",
            "https://api:https",
            "https://user:pw@api:6443",
            "https://api:6443?x=1",
            "https://api:6443#top",
            "https://api example:6443",
            "https://fd00::1:6443",
            "https://[fd00::1:6443",
            "https://[not-v6]:6443",
            "https://api_1.example.com",
            "https://-api.example.com",
            "HTTPS://api:6443",
        ] {
            let e = check_server(bad).unwrap_err();
            assert_eq!(e.input(), Input::Server);
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn renewal_is_due_from_expiry_minus_renew_before() {
        let expires = now() + Duration::hours(10);
        let rb = |s: &str| Some(GoDuration::parse(s).unwrap());
        assert!(!needs_renewal(now(), expires, rb("1h")));
        assert!(!needs_renewal(expires - Duration::hours(1) - Duration::seconds(1), expires, rb("1h")));
        assert!(needs_renewal(expires - Duration::hours(1), expires, rb("1h")));
        assert!(needs_renewal(now(), expires, rb("10h")));
        assert!(needs_renewal(now(), expires, rb("8760h")));
        // Without renew_before: once expired.
        assert!(!needs_renewal(expires - Duration::seconds(1), expires, None));
        assert!(needs_renewal(expires, expires, None));
    }

    #[test]
    fn debug_output_hides_the_key_and_the_kubeconfig() {
        let issued = issue_with(ca(KeyAlgorithm::EcdsaP256), &[], "1h", KeyAlgorithm::EcdsaP256).unwrap();
        let shown = format!("{issued:?}");
        assert!(shown.contains("<sensitive>"));
        assert!(!shown.contains("PRIVATE KEY") && !shown.contains("client-key-data"), "{shown}");
        let req = AdminRequest {
            ca_cert_pem: "",
            ca_key_pem: &ca(KeyAlgorithm::EcdsaP256).key_pem,
            server: "",
            cluster_name: "",
            username: "",
            groups: &[],
            validity: GoDuration::ZERO,
            key_algorithm: KeyAlgorithm::EcdsaP256,
            now: now(),
        };
        assert!(!format!("{req:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn times_switch_to_generalized_time_from_2050() {
        let t = |y: i32| {
            let at = time::Date::from_calendar_date(y, time::Month::July, 9)
                .unwrap()
                .with_hms(1, 2, 3)
                .unwrap()
                .assume_utc();
            der::time(at)
        };
        assert_eq!(t(2049), [&[0x17, 13][..], b"490709010203Z"].concat());
        assert_eq!(t(2050), [&[0x18, 15][..], b"20500709010203Z"].concat());
        assert_eq!(t(1950), [&[0x17, 13][..], b"500709010203Z"].concat());
        assert_eq!(der::tlv(0x04, &[0u8; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(der::tlv(0x04, &[0u8; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(der::directory_string("kubeadm:cluster-admins")[0], 0x13);
        assert_eq!(der::directory_string("ops*")[0], 0x0c);
        assert_eq!(der::directory_string("équipe")[0], 0x0c);
    }
}
