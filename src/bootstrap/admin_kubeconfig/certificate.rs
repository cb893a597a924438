//! The client certificate: its body encoded here, signed with the CA key.

use base64::Engine as _;
use rand::RngCore as _;
use rcgen::{PublicKeyData as _, SigningKey as _};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime, UtcOffset};
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer as _;

use super::der;
use super::{check_cluster_name, check_groups, check_server, check_username, check_validity, render};
use super::{AdminKubeconfig, AdminRequest, KubeconfigError, KubeconfigParts, BACKDATE};
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::pki::{self, KeyAlgorithm};
use crate::bootstrap::secret::Sensitive;

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
