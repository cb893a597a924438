//! CA certificates: generating them the way kubeadm does, reading and
//! checking supplied ones, and the discovery hash.

use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime, UtcOffset};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::keys::{new_key_pair, parse_private_key, ParsedKey};
use super::kind::{classify_spki, KeyKind};
use super::pem::{labels, parse_pem, shown_label, PemBlock, LABEL_CERTIFICATE};
use super::{CaRole, KeyAlgorithm, PemInput, PkiError, CA_BACKDATE};
use crate::bootstrap::secret::Sensitive;

/// A CA certificate and its private key, both PEM. `Debug` hides the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaPair {
    /// The certificate, one `CERTIFICATE` block.
    pub cert_pem: String,
    /// The private key.
    pub key_pem: Sensitive<String>,
}

/// What [`inspect_cert`] reads out of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The first subject common name, empty when there is none.
    pub subject_cn: String,
    /// The first subject organisation, if any. Generated CAs carry the
    /// cluster name here.
    pub subject_o: Option<String>,
    /// Start of the validity window.
    pub not_before: OffsetDateTime,
    /// End of the validity window.
    pub not_after: OffsetDateTime,
    /// True when basicConstraints says CA:TRUE.
    pub is_ca: bool,
    /// True when the certificate is a CA and its keyUsage (if present)
    /// includes keyCertSign.
    pub can_sign_certs: bool,
    /// The key algorithm, or `None` for key types and sizes kubeadm does
    /// not support (see [`CertInfo::key_type`]).
    pub algorithm: Option<KeyAlgorithm>,
    /// The DER SubjectPublicKeyInfo exactly as it appears in the
    /// certificate.
    pub spki_der: Vec<u8>,
}

impl CertInfo {
    /// A human-readable name of the certificate's key type, such as
    /// `RSA-2048`, `ECDSA-P521` or `Ed25519`.
    pub fn key_type(&self) -> String {
        let spki = SubjectPublicKeyInfo::from_der(&self.spki_der).ok().map(|(_, spki)| spki);
        spki.as_ref()
            .and_then(classify_spki)
            .map_or_else(|| "an unrecognised key type".to_owned(), |(kind, _)| kind.describe())
    }
}

/// Generates a self-signed CA for `role` the way kubeadm's
/// `NewSelfSignedCACert` does (see the module documentation), with
/// `O=<cluster_name>` added to the subject when `cluster_name` is not empty.
///
/// The validity runs from `now` − 5 minutes to `now` + `validity_days`,
/// both truncated to whole seconds, so [`validity_days`] of the result gives
/// back `validity_days`. The key is fresh and random; so is the serial.
pub fn generate_ca(
    role: CaRole,
    cluster_name: &str,
    alg: KeyAlgorithm,
    validity_days: u32,
    now: OffsetDateTime,
) -> Result<CaPair, PkiError> {
    let (not_before, not_after) = validity_window(validity_days, now)?;
    let key = new_key_pair(alg)?;
    let generation = |reason: rcgen::Error| PkiError::Generation { what: "CA certificate", reason: reason.to_string() };

    let cn = role.common_name();
    let mut name = rcgen::DistinguishedName::new();
    // Same order as Go's pkix.Name: organisation before common name.
    if !cluster_name.is_empty() {
        name.push(rcgen::DnType::OrganizationName, cluster_name);
    }
    name.push(rcgen::DnType::CommonName, cn);

    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = name;
    params.subject_alt_names = vec![rcgen::SanType::DnsName(cn.try_into().map_err(generation)?)];
    params.serial_number = Some(random_serial());
    params.not_before = not_before;
    params.not_after = not_after;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    let cert = params.self_signed(&key).map_err(generation)?;
    Ok(CaPair { cert_pem: cert.pem(), key_pem: Sensitive::new(key.serialize_pem()) })
}

/// The NotBefore and NotAfter of a CA generated at `now`, in UTC and whole
/// seconds, within the years 1 to 9999 that certificates can express.
fn validity_window(days: u32, now: OffsetDateTime) -> Result<(OffsetDateTime, OffsetDateTime), PkiError> {
    let invalid = |problem| PkiError::InvalidValidity { days, problem };
    if days == 0 {
        return Err(invalid("it must be at least 1 day"));
    }
    let out_of_range = || invalid("the current time is outside the years 1 to 9999");
    let now =
        now.checked_to_offset(UtcOffset::UTC).and_then(|t| t.replace_nanosecond(0).ok()).ok_or_else(out_of_range)?;
    let start = now.checked_sub(CA_BACKDATE).filter(|t| t.year() >= 1).ok_or_else(out_of_range)?;
    let end = now
        .checked_add(Duration::days(i64::from(days)))
        .filter(|t| t.year() <= 9999)
        .ok_or_else(|| invalid("the certificate would expire after the year 9999"))?;
    Ok((start, end))
}

/// A random 127-bit serial number: positive, never zero, always 16 bytes.
fn random_serial() -> rcgen::SerialNumber {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    rcgen::SerialNumber::from_slice(&bytes)
}

// ---- inspection and validation -------------------------------------------

/// Reads a certificate: `cert_pem` must hold exactly one `CERTIFICATE`
/// block and nothing else.
pub fn inspect_cert(cert_pem: &str) -> Result<CertInfo, PkiError> {
    parse_cert(cert_pem).map(|c| c.info)
}

/// The discovery hash of a CA certificate: `sha256:` followed by the
/// lowercase hex SHA-256 of its DER SubjectPublicKeyInfo, as
/// `kubeadm join --discovery-token-ca-cert-hash` expects.
pub fn ca_cert_hash(cert_pem: &str) -> Result<String, PkiError> {
    let cert = parse_cert(cert_pem)?;
    Ok(spki_hash(&cert.info.spki_der))
}

/// `sha256:<hex>` of DER bytes.
fn spki_hash(spki_der: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(spki_der)))
}

/// Checks a CA certificate and its private key: both parse, the key type
/// is supported, the key belongs to the certificate, the certificate is a
/// CA allowed to sign certificates, and `now` lies within its validity.
/// Returns what [`inspect_cert`] would.
pub fn validate_ca_pair(cert_pem: &str, key_pem: &str, now: OffsetDateTime) -> Result<CertInfo, PkiError> {
    let cert = parse_cert(cert_pem)?;
    check_cert_key_type(&cert)?;
    let key = parse_private_key(key_pem)?;
    check_key_matches(&cert, &key)?;
    check_ca_cert(&cert, now)?;
    Ok(cert.info)
}

/// Whole days from `not_before` to `not_after`, rounded down (zero when
/// the window is empty or reversed).
pub fn validity_days(info: &CertInfo) -> u32 {
    let days = (info.not_after - info.not_before).whole_days();
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

/// A certificate with the details checks need beyond [`CertInfo`].
pub(super) struct ParsedCert {
    info: CertInfo,
    /// The key type as classified from the SubjectPublicKeyInfo.
    kind: KeyKind,
    /// The subjectPublicKey bits (an RSAPublicKey or an EC point).
    public_raw: Vec<u8>,
    /// `None` without a basicConstraints extension, else its CA flag.
    basic_ca: Option<bool>,
}

/// Decodes and parses a certificate PEM holding exactly one certificate.
pub(super) fn parse_cert(cert_pem: &str) -> Result<ParsedCert, PkiError> {
    let blocks = parse_pem(PemInput::Certificate, cert_pem)?;
    let certs: Vec<&PemBlock> = blocks.iter().filter(|b| b.label == LABEL_CERTIFICATE).collect();
    let block = match certs.as_slice() {
        [] => return Err(PkiError::NoCertificate { found: labels(&blocks) }),
        [one] => *one,
        many => return Err(PkiError::MultipleCertificates { count: many.len() }),
    };
    if let Some(stray) = blocks.iter().find(|b| b.label != LABEL_CERTIFICATE) {
        return Err(PkiError::UnexpectedPemBlock { input: PemInput::Certificate, label: shown_label(&stray.label) });
    }

    let invalid = |reason: String| PkiError::InvalidCertificate { reason };
    let (rest, cert) = X509Certificate::from_der(&block.der)
        .map_err(|e| invalid(format!("the CERTIFICATE block does not hold a well-formed DER certificate ({e})")))?;
    if !rest.is_empty() {
        return Err(invalid("there is data after the end of the certificate".to_owned()));
    }
    let basic = cert.basic_constraints().map_err(|e| invalid(format!("basicConstraints: {e}")))?;
    let usage = cert.key_usage().map_err(|e| invalid(format!("keyUsage: {e}")))?;
    let basic_ca = basic.map(|b| b.value.ca);
    let is_ca = basic_ca == Some(true);
    let can_sign_certs = is_ca && usage.is_none_or(|u| u.value.key_cert_sign());

    let subject = cert.subject();
    let subject_cn =
        subject.iter_common_name().next().and_then(|a| a.as_str().ok()).map(str::to_owned).unwrap_or_default();
    let subject_o = subject.iter_organization().next().and_then(|a| a.as_str().ok()).map(str::to_owned);

    let spki = cert.public_key();
    let spki_der = spki.raw.to_vec();
    let (kind, public_raw) = match classify_spki(spki) {
        Some((kind, raw)) => (kind, raw.to_vec()),
        None => (KeyKind::Unsupported("an unrecognised key type".to_owned()), Vec::new()),
    };
    let validity = cert.validity();
    let info = CertInfo {
        subject_cn,
        subject_o,
        not_before: validity.not_before.to_datetime(),
        not_after: validity.not_after.to_datetime(),
        is_ca,
        can_sign_certs,
        algorithm: kind.algorithm(),
        spki_der,
    };
    Ok(ParsedCert { info, kind, public_raw, basic_ca })
}

/// Fails when the certificate's key is of a type kubeadm does not support.
pub(super) fn check_cert_key_type(cert: &ParsedCert) -> Result<(), PkiError> {
    match &cert.kind {
        KeyKind::Supported(_) => Ok(()),
        KeyKind::Unsupported(key_type) => {
            Err(PkiError::UnsupportedKey { input: PemInput::Certificate, key_type: key_type.clone() })
        }
    }
}

/// Fails unless the private key is the certificate's.
pub(super) fn check_key_matches(cert: &ParsedCert, key: &ParsedKey) -> Result<(), PkiError> {
    if cert.kind == KeyKind::Supported(key.algorithm) && cert.public_raw == key.public_raw {
        Ok(())
    } else {
        Err(PkiError::KeyMismatch { subject_cn: cert.info.subject_cn.clone() })
    }
}

/// Fails unless the certificate is a usable CA at `now`.
pub(super) fn check_ca_cert(cert: &ParsedCert, now: OffsetDateTime) -> Result<(), PkiError> {
    check_cert_key_type(cert)?;
    let info = &cert.info;
    let subject_cn = || info.subject_cn.clone();
    match cert.basic_ca {
        None => {
            return Err(PkiError::NotCa { subject_cn: subject_cn(), problem: "it has no basicConstraints extension" })
        }
        Some(false) => {
            return Err(PkiError::NotCa { subject_cn: subject_cn(), problem: "its basicConstraints say CA:FALSE" })
        }
        Some(true) => {}
    }
    if !info.can_sign_certs {
        return Err(PkiError::CannotSignCerts { subject_cn: subject_cn() });
    }
    if now > info.not_after {
        return Err(PkiError::Expired { subject_cn: subject_cn(), not_after: info.not_after, now });
    }
    if now < info.not_before {
        return Err(PkiError::NotYetValid { subject_cn: subject_cn(), not_before: info.not_before, now });
    }
    Ok(())
}
