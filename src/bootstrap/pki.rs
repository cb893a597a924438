//! The cluster PKI kubeadm needs before `kubeadm init`: the three CAs
//! (Kubernetes, front proxy, etcd) and the service-account key pair.
//!
//! This module generates that material the way kubeadm's `certs` phase
//! does, inspects and validates material a user brings along (a CA
//! certificate with its key, service-account keys, or a whole kubeadm pki
//! directory), and computes the `sha256:<hex>` discovery hash
//! `kubeadm join --discovery-token-ca-cert-hash` expects.
//!
//! Generated CA certificates are self-signed X.509 v3 with a random
//! positive serial, subject `O=<cluster name>, CN=<role CN>`, a DNS SAN equal
//! to the CN, critical `basicConstraints CA:TRUE`, critical `keyUsage`
//! digitalSignature, keyEncipherment and keyCertSign, and a validity window
//! from five minutes before `now` to `now` plus the requested days. Private
//! keys come out as PKCS#8 `PRIVATE KEY` PEM; supplied keys may also be
//! PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
//!
//! The clock is always passed in. Error messages name the input and the
//! problem but never repeat private key material.
//!
//! This module is plain domain code: it must not depend on tonic, prost,
//! msgpack or any Terraform plugin protocol code.

use std::fmt;
use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime, UtcOffset};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer as _;

use crate::bootstrap::secret::Sensitive;
use crate::bootstrap::token::format_rfc3339;

/// How far a generated CA's `NotBefore` lies before `now`, so that nodes
/// whose clocks lag slightly still accept it (kubeadm uses the same).
pub const CA_BACKDATE: Duration = Duration::minutes(5);

/// Largest file [`read_pki_dir`] reads; PEM files of a pki directory are a
/// few kilobytes at most.
pub const MAX_PKI_FILE_BYTES: u64 = 1024 * 1024;

/// The files of a kubeadm pki directory, relative to it, in the order
/// [`PkiDir::files`] returns them.
pub const PKI_FILES: [&str; 8] =
    ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "etcd/ca.crt", "etcd/ca.key", "sa.key", "sa.pub"];

/// Relative path of the service-account private key.
pub const SA_KEY_PATH: &str = "sa.key";
/// Relative path of the service-account public key.
pub const SA_PUB_PATH: &str = "sa.pub";

const LABEL_CERTIFICATE: &str = "CERTIFICATE";
const LABEL_PRIVATE_KEY: &str = "PRIVATE KEY";
const LABEL_RSA_PRIVATE_KEY: &str = "RSA PRIVATE KEY";
const LABEL_EC_PRIVATE_KEY: &str = "EC PRIVATE KEY";
const LABEL_ENCRYPTED_PRIVATE_KEY: &str = "ENCRYPTED PRIVATE KEY";
const LABEL_EC_PARAMETERS: &str = "EC PARAMETERS";
const LABEL_PUBLIC_KEY: &str = "PUBLIC KEY";

/// Longest PEM label repeated in an error message.
const MAX_SHOWN_LABEL: usize = 40;

// DER tags used when looking inside keys.
const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_EC_PARAMETERS: u8 = 0xA0;

// Object identifiers (DER contents) of the key algorithms and curves this
// module recognises.
const OID_RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_RSASSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_DSA: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x01];
const OID_X25519: &[u8] = &[0x2B, 0x65, 0x6E];
const OID_X448: &[u8] = &[0x2B, 0x65, 0x6F];
const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x2B, 0x65, 0x71];
const OID_CURVE_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const OID_CURVE_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
const OID_CURVE_P521: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x23];
const OID_CURVE_SECP256K1: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x0A];

// ---- algorithms and roles -------------------------------------------------

/// Key algorithms kubeadm supports, named as in its `encryptionAlgorithm`
/// setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyAlgorithm {
    /// RSA with a 2048-bit modulus, signing with sha256WithRSAEncryption
    /// (kubeadm's default).
    #[default]
    Rsa2048,
    /// RSA with a 3072-bit modulus, signing with sha256WithRSAEncryption.
    Rsa3072,
    /// RSA with a 4096-bit modulus, signing with sha256WithRSAEncryption.
    Rsa4096,
    /// ECDSA on NIST P-256, signing with ecdsa-with-SHA256.
    EcdsaP256,
    /// ECDSA on NIST P-384, signing with ecdsa-with-SHA384.
    EcdsaP384,
}

impl KeyAlgorithm {
    /// Every supported algorithm, in the order kubeadm documents them.
    pub const ALL: [KeyAlgorithm; 5] = [Self::Rsa2048, Self::Rsa3072, Self::Rsa4096, Self::EcdsaP256, Self::EcdsaP384];

    /// Parses a kubeadm algorithm name (`RSA-2048`, `RSA-3072`, `RSA-4096`,
    /// `ECDSA-P256`, `ECDSA-P384`). Matching is exact; the error lists the
    /// valid names.
    pub fn parse(s: &str) -> Result<Self, PkiError> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.as_str() == s)
            .ok_or_else(|| PkiError::UnknownAlgorithm { value: s.to_owned() })
    }

    /// The kubeadm name of the algorithm.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA-2048",
            Self::Rsa3072 => "RSA-3072",
            Self::Rsa4096 => "RSA-4096",
            Self::EcdsaP256 => "ECDSA-P256",
            Self::EcdsaP384 => "ECDSA-P384",
        }
    }

    /// The signature algorithm certificates signed with such a key use, as
    /// OpenSSL names it.
    pub fn signature_algorithm(self) -> &'static str {
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => "sha256WithRSAEncryption",
            Self::EcdsaP256 => "ecdsa-with-SHA256",
            Self::EcdsaP384 => "ecdsa-with-SHA384",
        }
    }

    /// True for the RSA algorithms.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096)
    }

    /// The matching signature algorithm of the certificate library.
    fn signer(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
            Self::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        }
    }

    /// The algorithm for an RSA modulus of `bits` bits, if supported.
    fn rsa_with_bits(bits: usize) -> Option<Self> {
        match bits {
            2048 => Some(Self::Rsa2048),
            3072 => Some(Self::Rsa3072),
            4096 => Some(Self::Rsa4096),
            _ => None,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = PkiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The supported algorithm names, comma-separated, for error messages.
fn algorithm_names() -> String {
    KeyAlgorithm::ALL.map(KeyAlgorithm::as_str).join(", ")
}

/// The three certificate authorities of a kubeadm cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaRole {
    /// The cluster CA (`ca.crt`), CN `kubernetes`.
    Kubernetes,
    /// The front-proxy CA (`front-proxy-ca.crt`), CN `front-proxy-ca`.
    FrontProxy,
    /// The etcd CA (`etcd/ca.crt`), CN `etcd-ca`.
    Etcd,
}

impl CaRole {
    /// All roles, in the order of [`PKI_FILES`].
    pub const ALL: [CaRole; 3] = [Self::Kubernetes, Self::FrontProxy, Self::Etcd];

    /// The subject common name kubeadm gives this CA.
    pub fn common_name(self) -> &'static str {
        match self {
            Self::Kubernetes => "kubernetes",
            Self::FrontProxy => "front-proxy-ca",
            Self::Etcd => "etcd-ca",
        }
    }

    /// File name without extension, relative to the pki directory.
    pub fn stem(self) -> &'static str {
        match self {
            Self::Kubernetes => "ca",
            Self::FrontProxy => "front-proxy-ca",
            Self::Etcd => "etcd/ca",
        }
    }

    /// Relative path of the certificate, e.g. `etcd/ca.crt`.
    pub fn cert_path(self) -> &'static str {
        match self {
            Self::Kubernetes => "ca.crt",
            Self::FrontProxy => "front-proxy-ca.crt",
            Self::Etcd => "etcd/ca.crt",
        }
    }

    /// Relative path of the private key, e.g. `etcd/ca.key`.
    pub fn key_path(self) -> &'static str {
        match self {
            Self::Kubernetes => "ca.key",
            Self::FrontProxy => "front-proxy-ca.key",
            Self::Etcd => "etcd/ca.key",
        }
    }
}

impl fmt::Display for CaRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.common_name())
    }
}

// ---- material -------------------------------------------------------------

/// A CA certificate and its private key, both PEM. `Debug` hides the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaPair {
    /// The certificate, one `CERTIFICATE` block.
    pub cert_pem: String,
    /// The private key.
    pub key_pem: Sensitive<String>,
}

/// A bare key pair, PEM (used for the service-account keys). `Debug` hides
/// the private half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairPem {
    /// The public key, one PKIX `PUBLIC KEY` block (`sa.pub`).
    pub public_pem: String,
    /// The private key (`sa.key`).
    pub private_pem: Sensitive<String>,
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
        classify_spki(&self.spki_der).map_or_else(|| "an unrecognised key type".to_owned(), |(kind, _)| kind.describe())
    }
}

/// Material read from a kubeadm pki directory by [`read_pki_dir`]. The texts
/// are exactly the files' contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiDir {
    /// `ca.crt` and `ca.key`.
    pub ca: CaPair,
    /// `front-proxy-ca.crt` and `front-proxy-ca.key`.
    pub front_proxy_ca: CaPair,
    /// `etcd/ca.crt` and `etcd/ca.key`.
    pub etcd_ca: CaPair,
    /// `sa.pub` and `sa.key`.
    pub sa: KeyPairPem,
}

impl PkiDir {
    /// The pair belonging to `role`.
    pub fn ca_pair(&self, role: CaRole) -> &CaPair {
        match role {
            CaRole::Kubernetes => &self.ca,
            CaRole::FrontProxy => &self.front_proxy_ca,
            CaRole::Etcd => &self.etcd_ca,
        }
    }

    /// Every file as (relative path, contents), in [`PKI_FILES`] order.
    /// Four of the eight are private keys.
    pub fn files(&self) -> [(&'static str, &str); 8] {
        [
            (PKI_FILES[0], self.ca.cert_pem.as_str()),
            (PKI_FILES[1], self.ca.key_pem.expose().as_str()),
            (PKI_FILES[2], self.front_proxy_ca.cert_pem.as_str()),
            (PKI_FILES[3], self.front_proxy_ca.key_pem.expose().as_str()),
            (PKI_FILES[4], self.etcd_ca.cert_pem.as_str()),
            (PKI_FILES[5], self.etcd_ca.key_pem.expose().as_str()),
            (PKI_FILES[6], self.sa.private_pem.expose().as_str()),
            (PKI_FILES[7], self.sa.public_pem.as_str()),
        ]
    }
}

// ---- errors ---------------------------------------------------------------

/// Which kind of PEM input an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemInput {
    /// A certificate.
    Certificate,
    /// A private key.
    PrivateKey,
    /// A public key.
    PublicKey,
}

impl PemInput {
    /// What a well-formed input of this kind holds, for error messages.
    fn expected(self) -> &'static str {
        match self {
            Self::Certificate => "exactly one CERTIFICATE block",
            Self::PrivateKey => "exactly one PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block",
            Self::PublicKey => "exactly one PUBLIC KEY block",
        }
    }

    /// The label a block of this kind usually has.
    fn main_label(self) -> &'static str {
        match self {
            Self::Certificate => LABEL_CERTIFICATE,
            Self::PrivateKey => LABEL_PRIVATE_KEY,
            Self::PublicKey => LABEL_PUBLIC_KEY,
        }
    }
}

impl fmt::Display for PemInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Certificate => "certificate",
            Self::PrivateKey => "private key",
            Self::PublicKey => "public key",
        })
    }
}

/// Errors from generating, reading and checking PKI material. No message
/// contains private key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkiError {
    /// An algorithm name kubeadm does not know.
    #[error("unknown key algorithm {value:?}; expected one of {}", algorithm_names())]
    UnknownAlgorithm {
        /// The rejected name.
        value: String,
    },

    /// A validity period that cannot be turned into a certificate.
    #[error("invalid certificate validity of {days} days: {problem}")]
    InvalidValidity {
        /// The requested number of days.
        days: u32,
        /// What is wrong.
        problem: &'static str,
    },

    /// Key or certificate generation failed inside the crypto library.
    #[error("could not generate the {what}: {reason}")]
    Generation {
        /// What was being generated.
        what: &'static str,
        /// The library's explanation.
        reason: String,
    },

    /// The input has no PEM block at all.
    #[error("the {input} is not PEM: expected {}, starting with a \"-----BEGIN {}-----\" line", .input.expected(), .input.main_label())]
    NotPem {
        /// Which input.
        input: PemInput,
    },

    /// The input has PEM armour that is broken.
    #[error("the {input} is not valid PEM: {problem}")]
    MalformedPem {
        /// Which input.
        input: PemInput,
        /// What is broken.
        problem: String,
    },

    /// PEM blocks were found, but none is a certificate.
    #[error("the certificate PEM holds no CERTIFICATE block (found {}); expected exactly one CERTIFICATE block", found_labels(.found))]
    NoCertificate {
        /// Labels of the blocks that were found.
        found: Vec<String>,
    },

    /// More than one certificate where one is expected.
    #[error(
        "the certificate PEM holds {count} certificates; expected exactly one (the CA certificate alone, without a chain)"
    )]
    MultipleCertificates {
        /// How many were found.
        count: usize,
    },

    /// PEM blocks were found, but none is a private key.
    #[error(
        "the private key PEM holds no private key block (found {}); expected exactly one PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block",
        found_labels(.found)
    )]
    NoPrivateKey {
        /// Labels of the blocks that were found.
        found: Vec<String>,
    },

    /// More than one private key where one is expected.
    #[error("the private key PEM holds {count} private keys; expected exactly one")]
    MultiplePrivateKeys {
        /// How many were found.
        count: usize,
    },

    /// PEM blocks were found, but none is a public key.
    #[error("the public key PEM holds no PUBLIC KEY block (found {}); expected exactly one PKIX PUBLIC KEY block", found_labels(.found))]
    NoPublicKey {
        /// Labels of the blocks that were found.
        found: Vec<String>,
    },

    /// More than one public key where one is expected.
    #[error("the public key PEM holds {count} public keys; expected exactly one")]
    MultiplePublicKeys {
        /// How many were found.
        count: usize,
    },

    /// A block of a kind that does not belong in this input.
    #[error("the {input} PEM also holds a {label} block; expected {} and nothing else", .input.expected())]
    UnexpectedPemBlock {
        /// Which input.
        input: PemInput,
        /// The label of the stray block.
        label: String,
    },

    /// The certificate block does not hold a parsable X.509 certificate.
    #[error("the certificate cannot be parsed as X.509: {reason}")]
    InvalidCertificate {
        /// What the parser reported.
        reason: String,
    },

    /// The private key is protected by a passphrase.
    #[error(
        "the private key is encrypted; supply it without a passphrase (for example decrypted with `openssl pkey -in key.pem -out plain.pem`)"
    )]
    EncryptedPrivateKey,

    /// The private key block does not hold a usable key.
    #[error("the private key in the {label} block cannot be parsed: {problem}")]
    InvalidPrivateKey {
        /// The block's label.
        label: String,
        /// What is wrong, in fixed words.
        problem: &'static str,
    },

    /// The private key uses an encoding this module does not read.
    #[error(
        "the private key is in the unsupported {label} format; expected PKCS#8 (PRIVATE KEY), PKCS#1 (RSA PRIVATE KEY) or SEC1 (EC PRIVATE KEY) PEM"
    )]
    UnsupportedKeyFormat {
        /// The block's label.
        label: String,
    },

    /// The public key block does not hold a parsable SubjectPublicKeyInfo.
    #[error("the public key cannot be parsed as a PKIX SubjectPublicKeyInfo: {problem}")]
    InvalidPublicKey {
        /// What is wrong.
        problem: &'static str,
    },

    /// A key of a type or size kubeadm does not support.
    #[error("the {input} uses the unsupported key type {key_type}; supported: {}", algorithm_names())]
    UnsupportedKey {
        /// Which input holds the key.
        input: PemInput,
        /// The key type, such as `RSA-1024` or `Ed25519`.
        key_type: String,
    },

    /// The private key is not the one the certificate was issued for.
    #[error("the private key does not belong to {}: their public keys differ; supply the key the certificate was issued for", cert_name(.subject_cn))]
    KeyMismatch {
        /// The certificate's common name.
        subject_cn: String,
    },

    /// The certificate is not a CA certificate.
    #[error("{} is not a CA: {problem}; expected a basicConstraints extension with CA:TRUE", cert_name(.subject_cn))]
    NotCa {
        /// The certificate's common name.
        subject_cn: String,
        /// Why not.
        problem: &'static str,
    },

    /// The CA certificate's key usage does not allow signing certificates.
    #[error(
        "{} may not sign certificates: its keyUsage extension lacks keyCertSign (\"Certificate Sign\")",
        cert_name(.subject_cn)
    )]
    CannotSignCerts {
        /// The certificate's common name.
        subject_cn: String,
    },

    /// The certificate's validity ended before `now`.
    #[error(
        "{} expired at {}; the current time is {}; supply a certificate that is still valid",
        cert_name(.subject_cn), format_rfc3339(*.not_after), format_rfc3339(*.now)
    )]
    Expired {
        /// The certificate's common name.
        subject_cn: String,
        /// The end of its validity.
        not_after: OffsetDateTime,
        /// The time it was checked at.
        now: OffsetDateTime,
    },

    /// The certificate's validity starts after `now`.
    #[error(
        "{} is not valid before {}; the current time is {} (check the clocks)",
        cert_name(.subject_cn), format_rfc3339(*.not_before), format_rfc3339(*.now)
    )]
    NotYetValid {
        /// The certificate's common name.
        subject_cn: String,
        /// The start of its validity.
        not_before: OffsetDateTime,
        /// The time it was checked at.
        now: OffsetDateTime,
    },

    /// The public key is not the public half of the private key.
    #[error(
        "the public key does not match the private key; supply the public half of the same key pair (`openssl pkey -in sa.key -pubout`)"
    )]
    PublicKeyMismatch,
}

impl PkiError {
    /// Which input the error is about, when it concerns a single one.
    /// [`PkiError::KeyMismatch`] counts as the private key's (the
    /// certificate is the reference) and [`PkiError::PublicKeyMismatch`]
    /// as the public key's, matching where [`read_pki_dir`] reports them.
    pub fn input(&self) -> Option<PemInput> {
        match self {
            Self::NotPem { input }
            | Self::MalformedPem { input, .. }
            | Self::UnexpectedPemBlock { input, .. }
            | Self::UnsupportedKey { input, .. } => Some(*input),
            Self::NoCertificate { .. }
            | Self::MultipleCertificates { .. }
            | Self::InvalidCertificate { .. }
            | Self::NotCa { .. }
            | Self::CannotSignCerts { .. }
            | Self::Expired { .. }
            | Self::NotYetValid { .. } => Some(PemInput::Certificate),
            Self::NoPrivateKey { .. }
            | Self::MultiplePrivateKeys { .. }
            | Self::EncryptedPrivateKey
            | Self::InvalidPrivateKey { .. }
            | Self::UnsupportedKeyFormat { .. }
            | Self::KeyMismatch { .. } => Some(PemInput::PrivateKey),
            Self::NoPublicKey { .. }
            | Self::MultiplePublicKeys { .. }
            | Self::InvalidPublicKey { .. }
            | Self::PublicKeyMismatch => Some(PemInput::PublicKey),
            Self::UnknownAlgorithm { .. } | Self::InvalidValidity { .. } | Self::Generation { .. } => None,
        }
    }

    /// True when the error is about a private key (see [`PkiError::input`]),
    /// so a caller can point at the key rather than the certificate or
    /// public key.
    pub fn is_about_key(&self) -> bool {
        self.input() == Some(PemInput::PrivateKey)
    }
}

/// `the certificate with CN "x"`, or just `the certificate` without a CN.
fn cert_name(cn: &str) -> String {
    if cn.is_empty() {
        "the certificate".to_owned()
    } else {
        format!("the certificate with CN {cn:?}")
    }
}

/// The labels of found PEM blocks, for error messages.
fn found_labels(found: &[String]) -> String {
    if found.is_empty() {
        return "nothing".to_owned();
    }
    found.join(", ")
}

/// A PEM label made safe to repeat: printable ASCII only, cut short.
fn shown_label(label: &str) -> String {
    let mut out: String =
        label.chars().take(MAX_SHOWN_LABEL).map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
    if label.chars().count() > MAX_SHOWN_LABEL {
        out.push_str("...");
    }
    out
}

/// What is wrong with one file of a pki directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    /// The directory itself does not exist.
    #[error("the directory does not exist")]
    DirectoryMissing,
    /// The path exists but is not a directory.
    #[error("the path is not a directory")]
    NotADirectory,
    /// The file does not exist.
    #[error("the file is missing")]
    Missing,
    /// The path exists but is not a regular file.
    #[error("not a regular file")]
    NotAFile,
    /// Reading failed.
    #[error("cannot be read: {reason}")]
    Unreadable {
        /// The operating system's explanation.
        reason: String,
    },
    /// The file is implausibly large for PEM material.
    #[error("the file is larger than {limit} bytes; expected a PEM file of a few kilobytes")]
    TooLarge {
        /// The limit that was exceeded.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("the file is not UTF-8 text; expected PEM")]
    NotUtf8,
    /// The contents are not valid, or do not fit the other file of the pair.
    #[error("{0}")]
    Invalid(PkiError),
}

/// One problem found by [`read_pki_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiFileProblem {
    /// Path relative to the pki directory, such as `etcd/ca.key`; empty for
    /// a problem with the directory itself.
    pub path: String,
    /// What is wrong.
    pub problem: FileProblem,
}

impl fmt::Display for PkiFileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

/// Every problem [`read_pki_dir`] found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the pki directory {} is not usable ({}):{}", .dir.display(), problem_count(.problems), problem_list(.problems))]
pub struct PkiDirError {
    /// The directory that was read.
    pub dir: PathBuf,
    /// The problems, in [`PKI_FILES`] order.
    pub problems: Vec<PkiFileProblem>,
}

impl PkiDirError {
    /// The relative paths that have problems, in order, without repeats.
    pub fn paths(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.problems {
            if !out.contains(&p.path.as_str()) {
                out.push(&p.path);
            }
        }
        out
    }
}

/// "1 problem" or "N problems".
fn problem_count(problems: &[PkiFileProblem]) -> String {
    match problems.len() {
        1 => "1 problem".to_owned(),
        n => format!("{n} problems"),
    }
}

/// One problem per line, each starting with "- ".
fn problem_list(problems: &[PkiFileProblem]) -> String {
    problems.iter().map(|p| format!("\n- {p}")).collect()
}

// ---- generation -----------------------------------------------------------

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

/// Generates a service-account key pair: `sa.key` as PKCS#8 PEM and
/// `sa.pub` as PKIX `PUBLIC KEY` PEM.
pub fn generate_service_account(alg: KeyAlgorithm) -> Result<KeyPairPem, PkiError> {
    let key = new_key_pair(alg)?;
    Ok(KeyPairPem { public_pem: key.public_key_pem(), private_pem: Sensitive::new(key.serialize_pem()) })
}

/// Generates a complete pki directory: the three CAs with the same
/// algorithm, cluster name and validity, plus service-account keys.
pub fn generate_pki(
    cluster_name: &str,
    alg: KeyAlgorithm,
    validity_days: u32,
    now: OffsetDateTime,
) -> Result<PkiDir, PkiError> {
    Ok(PkiDir {
        ca: generate_ca(CaRole::Kubernetes, cluster_name, alg, validity_days, now)?,
        front_proxy_ca: generate_ca(CaRole::FrontProxy, cluster_name, alg, validity_days, now)?,
        etcd_ca: generate_ca(CaRole::Etcd, cluster_name, alg, validity_days, now)?,
        sa: generate_service_account(alg)?,
    })
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

/// A fresh key pair for `alg`.
fn new_key_pair(alg: KeyAlgorithm) -> Result<rcgen::KeyPair, PkiError> {
    let size = match alg {
        KeyAlgorithm::Rsa2048 => Some(rcgen::RsaKeySize::_2048),
        KeyAlgorithm::Rsa3072 => Some(rcgen::RsaKeySize::_3072),
        KeyAlgorithm::Rsa4096 => Some(rcgen::RsaKeySize::_4096),
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => None,
    };
    let key = match size {
        Some(size) => rcgen::KeyPair::generate_rsa_for(alg.signer(), size),
        None => rcgen::KeyPair::generate_for(alg.signer()),
    };
    key.map_err(|e| PkiError::Generation { what: "key pair", reason: e.to_string() })
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

/// Checks a bare key pair (the service-account keys): both parse, the key
/// type is supported and the public key is the private key's public half.
/// Returns the algorithm.
pub fn validate_key_pair(public_pem: &str, private_pem: &str) -> Result<KeyAlgorithm, PkiError> {
    let private = parse_private_key(private_pem)?;
    let public = parse_public_key(public_pem)?;
    check_public_matches(&public, &private)?;
    Ok(private.algorithm)
}

/// The algorithm of a private key in PKCS#8, PKCS#1 or SEC1 PEM.
pub fn key_algorithm_of_private_key(private_pem: &str) -> Result<KeyAlgorithm, PkiError> {
    parse_private_key(private_pem).map(|k| k.algorithm)
}

/// Whole days from `not_before` to `not_after`, rounded down (zero when
/// the window is empty or reversed).
pub fn validity_days(info: &CertInfo) -> u32 {
    let days = (info.not_after - info.not_before).whole_days();
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

/// A certificate with the details checks need beyond [`CertInfo`].
struct ParsedCert {
    info: CertInfo,
    /// The key type as classified from the SubjectPublicKeyInfo.
    kind: KeyKind,
    /// The subjectPublicKey bits (an RSAPublicKey or an EC point).
    public_raw: Vec<u8>,
    /// `None` without a basicConstraints extension, else its CA flag.
    basic_ca: Option<bool>,
}

/// A private key reduced to what checks need.
struct ParsedKey {
    algorithm: KeyAlgorithm,
    /// The public half, as subjectPublicKey bits.
    public_raw: Vec<u8>,
}

/// A public key reduced to what checks need.
struct ParsedPublic {
    algorithm: KeyAlgorithm,
    public_raw: Vec<u8>,
}

/// Decodes and parses a certificate PEM holding exactly one certificate.
fn parse_cert(cert_pem: &str) -> Result<ParsedCert, PkiError> {
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

    let spki_der = cert.public_key().raw.to_vec();
    let (kind, public_raw) = match classify_spki(&spki_der) {
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
fn check_cert_key_type(cert: &ParsedCert) -> Result<(), PkiError> {
    match &cert.kind {
        KeyKind::Supported(_) => Ok(()),
        KeyKind::Unsupported(key_type) => {
            Err(PkiError::UnsupportedKey { input: PemInput::Certificate, key_type: key_type.clone() })
        }
    }
}

/// Fails unless the private key is the certificate's.
fn check_key_matches(cert: &ParsedCert, key: &ParsedKey) -> Result<(), PkiError> {
    if cert.kind == KeyKind::Supported(key.algorithm) && cert.public_raw == key.public_raw {
        Ok(())
    } else {
        Err(PkiError::KeyMismatch { subject_cn: cert.info.subject_cn.clone() })
    }
}

/// Fails unless the certificate is a usable CA at `now`.
fn check_ca_cert(cert: &ParsedCert, now: OffsetDateTime) -> Result<(), PkiError> {
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

/// Fails unless the public key is the private key's public half.
fn check_public_matches(public: &ParsedPublic, private: &ParsedKey) -> Result<(), PkiError> {
    if public.algorithm == private.algorithm && public.public_raw == private.public_raw {
        Ok(())
    } else {
        Err(PkiError::PublicKeyMismatch)
    }
}

/// The DER encodings a private key PEM block may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeySyntax {
    /// `PRIVATE KEY`: PKCS#8 PrivateKeyInfo.
    Pkcs8,
    /// `RSA PRIVATE KEY`: PKCS#1 RSAPrivateKey.
    Pkcs1,
    /// `EC PRIVATE KEY`: SEC1 ECPrivateKey.
    Sec1,
}

impl KeySyntax {
    /// What the block should have held, when it does not.
    fn mismatch(self) -> &'static str {
        match self {
            Self::Pkcs8 => "the contents are not a PKCS#8 private key",
            Self::Pkcs1 => "the contents are not a PKCS#1 RSA private key",
            Self::Sec1 => "the contents are not a SEC1 EC private key that names its curve",
        }
    }
}

/// Decodes a private key PEM, names its key type and derives its public
/// half, refusing unsupported types, encrypted keys and labels that do not
/// match the contents.
fn parse_private_key(private_pem: &str) -> Result<ParsedKey, PkiError> {
    let blocks = parse_pem(PemInput::PrivateKey, private_pem)?;
    let mut keys = Vec::new();
    for block in &blocks {
        if block.label.ends_with(LABEL_PRIVATE_KEY) {
            keys.push(block);
        } else if block.label != LABEL_EC_PARAMETERS {
            // `openssl ecparam -genkey` puts an EC PARAMETERS block first;
            // anything else does not belong in a key file.
            return Err(PkiError::UnexpectedPemBlock { input: PemInput::PrivateKey, label: shown_label(&block.label) });
        }
    }
    let block = match keys.as_slice() {
        [] => return Err(PkiError::NoPrivateKey { found: labels(&blocks) }),
        [one] => *one,
        many => return Err(PkiError::MultiplePrivateKeys { count: many.len() }),
    };
    if block.label == LABEL_ENCRYPTED_PRIVATE_KEY || block.has_headers {
        return Err(PkiError::EncryptedPrivateKey);
    }
    let syntax = match block.label.as_str() {
        LABEL_PRIVATE_KEY => KeySyntax::Pkcs8,
        LABEL_RSA_PRIVATE_KEY => KeySyntax::Pkcs1,
        LABEL_EC_PRIVATE_KEY => KeySyntax::Sec1,
        "DSA PRIVATE KEY" => {
            return Err(PkiError::UnsupportedKey { input: PemInput::PrivateKey, key_type: "DSA".to_owned() })
        }
        other => return Err(PkiError::UnsupportedKeyFormat { label: shown_label(other) }),
    };
    let label = block.label.clone();
    let kind = classify_private_key(syntax, &block.der)
        .ok_or_else(|| PkiError::InvalidPrivateKey { label: label.clone(), problem: syntax.mismatch() })?;
    let algorithm = match kind {
        KeyKind::Supported(alg) => alg,
        KeyKind::Unsupported(key_type) => {
            return Err(PkiError::UnsupportedKey { input: PemInput::PrivateKey, key_type });
        }
    };
    // The crypto library checks the key's inner consistency and derives
    // the public half; its own messages are not passed on.
    let broken = || PkiError::InvalidPrivateKey {
        label: label.clone(),
        problem: "the key data is malformed or its parts are inconsistent",
    };
    let key = rcgen::KeyPair::try_from(block.der.as_slice()).map_err(|_| broken())?;
    if key.algorithm() != algorithm.signer() {
        return Err(broken());
    }
    Ok(ParsedKey { algorithm, public_raw: key.public_key_raw().to_vec() })
}

/// Decodes a PKIX public key PEM holding exactly one key.
fn parse_public_key(public_pem: &str) -> Result<ParsedPublic, PkiError> {
    let blocks = parse_pem(PemInput::PublicKey, public_pem)?;
    let keys: Vec<&PemBlock> = blocks.iter().filter(|b| b.label == LABEL_PUBLIC_KEY).collect();
    let block = match keys.as_slice() {
        [] => return Err(PkiError::NoPublicKey { found: labels(&blocks) }),
        [one] => *one,
        many => return Err(PkiError::MultiplePublicKeys { count: many.len() }),
    };
    if let Some(stray) = blocks.iter().find(|b| b.label != LABEL_PUBLIC_KEY) {
        return Err(PkiError::UnexpectedPemBlock { input: PemInput::PublicKey, label: shown_label(&stray.label) });
    }
    let (kind, raw) = classify_spki(&block.der)
        .ok_or(PkiError::InvalidPublicKey { problem: "the DER structure is not a SubjectPublicKeyInfo" })?;
    match kind {
        KeyKind::Supported(algorithm) => Ok(ParsedPublic { algorithm, public_raw: raw.to_vec() }),
        KeyKind::Unsupported(key_type) => Err(PkiError::UnsupportedKey { input: PemInput::PublicKey, key_type }),
    }
}

// ---- key classification ---------------------------------------------------

/// A key's type as far as kubeadm is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyKind {
    /// One of the algorithms kubeadm supports.
    Supported(KeyAlgorithm),
    /// Anything else, with a readable name such as `RSA-1024`.
    Unsupported(String),
}

impl KeyKind {
    /// The supported algorithm, if it is one.
    fn algorithm(&self) -> Option<KeyAlgorithm> {
        match self {
            Self::Supported(alg) => Some(*alg),
            Self::Unsupported(_) => None,
        }
    }

    /// A readable name such as `ECDSA-P256` or `Ed25519`.
    fn describe(&self) -> String {
        match self {
            Self::Supported(alg) => alg.as_str().to_owned(),
            Self::Unsupported(name) => name.clone(),
        }
    }
}

/// The key type of a DER SubjectPublicKeyInfo and its subjectPublicKey
/// bits, or `None` when the structure is malformed.
fn classify_spki(der: &[u8]) -> Option<(KeyKind, &[u8])> {
    let (spki, rest) = der_take(der, TAG_SEQUENCE)?;
    if !rest.is_empty() {
        return None;
    }
    let (algorithm, spki) = der_take(spki, TAG_SEQUENCE)?;
    let (bits, spki) = der_take(spki, TAG_BIT_STRING)?;
    if !spki.is_empty() {
        return None;
    }
    let (&unused_bits, key) = bits.split_first()?;
    if unused_bits != 0 || key.is_empty() {
        return None;
    }
    let (oid, params) = der_take(algorithm, TAG_OID)?;
    let kind = match oid {
        OID_RSA_ENCRYPTION => {
            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
            let (body, _) = der_take(key, TAG_SEQUENCE)?;
            let (modulus, _) = der_take(body, TAG_INTEGER)?;
            rsa_kind(integer_bits(modulus)?)
        }
        OID_EC_PUBLIC_KEY => ec_kind(params),
        other => other_kind(other),
    };
    Some((kind, key))
}

/// The key type of a DER private key in the given syntax, or `None` when
/// the contents do not have that syntax.
fn classify_private_key(syntax: KeySyntax, der: &[u8]) -> Option<KeyKind> {
    let (body, rest) = der_take(der, TAG_SEQUENCE)?;
    if !rest.is_empty() {
        return None;
    }
    match syntax {
        KeySyntax::Pkcs1 => rsa_private_kind(body),
        KeySyntax::Sec1 => {
            // ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey
            //   OCTET STRING, parameters [0] OPTIONAL, publicKey [1] OPTIONAL }
            let (version, body) = der_take(body, TAG_INTEGER)?;
            if version != [1] {
                return None;
            }
            let (_, body) = der_take(body, TAG_OCTET_STRING)?;
            let (params, _) = der_take(body, TAG_EC_PARAMETERS)?;
            Some(ec_kind(params))
        }
        KeySyntax::Pkcs8 => {
            // PrivateKeyInfo ::= SEQUENCE { version INTEGER (0 or 1),
            //   privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
            let (version, body) = der_take(body, TAG_INTEGER)?;
            if version != [0] && version != [1] {
                return None;
            }
            let (algorithm, body) = der_take(body, TAG_SEQUENCE)?;
            let (inner, _) = der_take(body, TAG_OCTET_STRING)?;
            let (oid, params) = der_take(algorithm, TAG_OID)?;
            match oid {
                OID_RSA_ENCRYPTION => {
                    let (rsa, _) = der_take(inner, TAG_SEQUENCE)?;
                    rsa_private_kind(rsa)
                }
                OID_EC_PUBLIC_KEY => Some(ec_kind(params)),
                other => Some(other_kind(other)),
            }
        }
    }
}

/// The kind of a PKCS#1 RSAPrivateKey, given the contents of its SEQUENCE.
fn rsa_private_kind(body: &[u8]) -> Option<KeyKind> {
    let (version, body) = der_take(body, TAG_INTEGER)?;
    if version != [0] && version != [1] {
        return None;
    }
    let (modulus, _) = der_take(body, TAG_INTEGER)?;
    Some(rsa_kind(integer_bits(modulus)?))
}

/// RSA of the given modulus size.
fn rsa_kind(bits: usize) -> KeyKind {
    match KeyAlgorithm::rsa_with_bits(bits) {
        Some(alg) => KeyKind::Supported(alg),
        None => KeyKind::Unsupported(format!("RSA-{bits}")),
    }
}

/// The kind of an EC key from its algorithm parameters, which should be a
/// named curve.
fn ec_kind(params: &[u8]) -> KeyKind {
    let Some((curve, _)) = der_take(params, TAG_OID) else {
        return KeyKind::Unsupported("ECDSA with explicit curve parameters".to_owned());
    };
    match curve {
        OID_CURVE_P256 => KeyKind::Supported(KeyAlgorithm::EcdsaP256),
        OID_CURVE_P384 => KeyKind::Supported(KeyAlgorithm::EcdsaP384),
        OID_CURVE_P521 => KeyKind::Unsupported("ECDSA-P521".to_owned()),
        OID_CURVE_SECP256K1 => KeyKind::Unsupported("ECDSA-secp256k1".to_owned()),
        other => KeyKind::Unsupported(format!("ECDSA on curve {}", oid_text(other))),
    }
}

/// Names key algorithms other than RSA and ECDSA.
fn other_kind(oid: &[u8]) -> KeyKind {
    KeyKind::Unsupported(
        match oid {
            OID_ED25519 => "Ed25519",
            OID_ED448 => "Ed448",
            OID_X25519 => "X25519",
            OID_X448 => "X448",
            OID_DSA => "DSA",
            OID_RSASSA_PSS => "RSASSA-PSS",
            other => return KeyKind::Unsupported(format!("a key with algorithm {}", oid_text(other))),
        }
        .to_owned(),
    )
}

/// Bit length of a non-negative DER INTEGER, `None` for negative or zero.
fn integer_bits(content: &[u8]) -> Option<usize> {
    if content.first()? & 0x80 != 0 {
        return None;
    }
    let start = content.iter().position(|&b| b != 0)?;
    let significant = &content[start..];
    let top = significant.first()?;
    Some((significant.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// Dotted-decimal form of an OID's DER contents, for messages.
fn oid_text(oid: &[u8]) -> String {
    let mut arcs: Vec<u128> = Vec::new();
    let mut value: u128 = 0;
    for &b in oid {
        if value > (u128::MAX >> 7) {
            return "an oversized object identifier".to_owned();
        }
        value = (value << 7) | u128::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        }
    }
    let Some((&first, rest)) = arcs.split_first() else {
        return "an empty object identifier".to_owned();
    };
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut out = format!("{a}.{b}");
    for arc in rest {
        out.push('.');
        out.push_str(&arc.to_string());
    }
    out
}

/// Splits one DER element with tag `tag` off the front of `input`,
/// returning its contents and what follows. Only single-byte tags and
/// definite lengths up to four bytes are accepted.
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let len_bytes = rest.get(..count)?;
        let len = len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest.get(count..)?)
    };
    Some((rest.get(..len)?, rest.get(len..)?))
}

// ---- PEM ------------------------------------------------------------------

/// One decoded PEM block. The bytes may be a private key, so this type has
/// no `Debug`.
struct PemBlock {
    label: String,
    der: Vec<u8>,
    /// True when RFC 1421 headers (such as `Proc-Type: 4,ENCRYPTED`) precede
    /// the body.
    has_headers: bool,
}

/// The labels of `blocks`, made safe to show.
fn labels(blocks: &[PemBlock]) -> Vec<String> {
    blocks.iter().map(|b| shown_label(&b.label)).collect()
}

/// Decodes every PEM block in `text`. Text outside blocks is ignored, as
/// OpenSSL does; at least one block must be present.
fn parse_pem(input: PemInput, text: &str) -> Result<Vec<PemBlock>, PkiError> {
    let malformed = |problem: String| PkiError::MalformedPem { input, problem };
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = begin_label(line.trim()) else {
            continue;
        };
        let shown = shown_label(label);
        let mut body = String::new();
        let mut has_headers = false;
        let mut closed = false;
        for inner in lines.by_ref() {
            let inner = inner.trim();
            if let Some(end) = end_label(inner) {
                if end != label {
                    return Err(malformed(format!(
                        "the {shown} block is closed by an END line for {}",
                        shown_label(end)
                    )));
                }
                closed = true;
                break;
            }
            if begin_label(inner).is_some() {
                return Err(malformed(format!("the {shown} block has no END line before the next BEGIN line")));
            }
            if inner.contains(':') {
                has_headers = true;
            } else {
                body.push_str(inner);
            }
        }
        if !closed {
            return Err(malformed(format!("the {shown} block has no \"-----END {shown}-----\" line")));
        }
        let der = engine
            .decode(body.as_bytes())
            .map_err(|_| malformed(format!("the body of the {shown} block is not valid base64")))?;
        if der.is_empty() {
            return Err(malformed(format!("the {shown} block is empty")));
        }
        blocks.push(PemBlock { label: label.to_owned(), der, has_headers });
    }
    if blocks.is_empty() {
        return Err(PkiError::NotPem { input });
    }
    Ok(blocks)
}

/// The label of a `-----BEGIN <label>-----` line.
fn begin_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")
}

/// The label of an `-----END <label>-----` line.
fn end_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----END ")?.strip_suffix("-----")
}

// ---- pki directory --------------------------------------------------------

/// Reads and checks the eight files of a kubeadm pki directory (see
/// [`PKI_FILES`]): each CA pair passes [`validate_ca_pair`] at `now` and the
/// service-account keys pass [`validate_key_pair`].
///
/// On failure the error lists every problem found, each with the file's
/// relative path: missing or unreadable files, contents that do not parse,
/// keys that do not match their certificate (reported on the key file) or
/// public key (reported on `sa.pub`), and CA certificates that are not
/// usable (reported on the certificate file).
pub fn read_pki_dir(dir: &Path, now: OffsetDateTime) -> Result<PkiDir, PkiDirError> {
    let fail =
        |problem| PkiDirError { dir: dir.to_owned(), problems: vec![PkiFileProblem { path: String::new(), problem }] };
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(fail(FileProblem::NotADirectory)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(fail(FileProblem::DirectoryMissing)),
        Err(e) => return Err(fail(FileProblem::Unreadable { reason: e.to_string() })),
    }

    let mut reader = DirReader { dir, problems: Vec::new() };
    let ca = reader.ca_pair(CaRole::Kubernetes, now);
    let front_proxy_ca = reader.ca_pair(CaRole::FrontProxy, now);
    let etcd_ca = reader.ca_pair(CaRole::Etcd, now);
    let sa = reader.sa_pair();
    match (ca, front_proxy_ca, etcd_ca, sa) {
        (Some(ca), Some(front_proxy_ca), Some(etcd_ca), Some(sa)) if reader.problems.is_empty() => {
            Ok(PkiDir { ca, front_proxy_ca, etcd_ca, sa })
        }
        _ => Err(PkiDirError { dir: dir.to_owned(), problems: reader.problems }),
    }
}

/// Reads files of one pki directory, collecting problems as it goes.
struct DirReader<'a> {
    dir: &'a Path,
    problems: Vec<PkiFileProblem>,
}

impl DirReader<'_> {
    /// Notes `problem` against `path`.
    fn note(&mut self, path: &str, problem: FileProblem) {
        self.problems.push(PkiFileProblem { path: path.to_owned(), problem });
    }

    /// The value of `result`, or `None` after noting its error.
    fn check<T>(&mut self, path: &str, result: Result<T, PkiError>) -> Option<T> {
        result.map_err(|e| self.note(path, FileProblem::Invalid(e))).ok()
    }

    /// The text of a file, or `None` after noting why it cannot be had.
    fn read(&mut self, path: &str) -> Option<String> {
        read_text(&self.dir.join(path)).map_err(|problem| self.note(path, problem)).ok()
    }

    /// Reads and checks one CA's certificate and key.
    fn ca_pair(&mut self, role: CaRole, now: OffsetDateTime) -> Option<CaPair> {
        let (cert_path, key_path) = (role.cert_path(), role.key_path());
        let cert_text = self.read(cert_path);
        let key_text = self.read(key_path);
        let cert = cert_text.as_deref().and_then(|t| {
            let parsed = parse_cert(t).and_then(|c| check_cert_key_type(&c).map(|()| c));
            self.check(cert_path, parsed)
        });
        let key = key_text.as_deref().and_then(|t| self.check(key_path, parse_private_key(t)));
        let (cert, key) = (cert?, key?);
        let usable = self.check(cert_path, check_ca_cert(&cert, now));
        let matches = self.check(key_path, check_key_matches(&cert, &key));
        usable.and(matches)?;
        Some(CaPair { cert_pem: cert_text?, key_pem: Sensitive::new(key_text?) })
    }

    /// Reads and checks the service-account keys.
    fn sa_pair(&mut self) -> Option<KeyPairPem> {
        let private_text = self.read(SA_KEY_PATH);
        let public_text = self.read(SA_PUB_PATH);
        let private = private_text.as_deref().and_then(|t| self.check(SA_KEY_PATH, parse_private_key(t)));
        let public = public_text.as_deref().and_then(|t| self.check(SA_PUB_PATH, parse_public_key(t)));
        let (private, public) = (private?, public?);
        self.check(SA_PUB_PATH, check_public_matches(&public, &private))?;
        Some(KeyPairPem { public_pem: public_text?, private_pem: Sensitive::new(private_text?) })
    }
}

/// Reads a regular file of at most [`MAX_PKI_FILE_BYTES`] as UTF-8 text.
fn read_text(path: &Path) -> Result<String, FileProblem> {
    let unreadable = |e: io::Error| FileProblem::Unreadable { reason: e.to_string() };
    // Looking before opening keeps a FIFO or device from blocking the read.
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(FileProblem::NotAFile),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(FileProblem::Missing),
        Err(e) => return Err(unreadable(e)),
    }
    let file = fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_PKI_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > MAX_PKI_FILE_BYTES {
        return Err(FileProblem::TooLarge { limit: MAX_PKI_FILE_BYTES });
    }
    String::from_utf8(bytes).map_err(|_| FileProblem::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::process::Command;
    use std::sync::OnceLock;
    use time::macros::datetime;

    // ---- helpers -----------------------------------------------------------

    /// The current time in whole seconds, so generated dates compare exactly.
    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
    }

    /// Runs a program in `dir`, insisting that it succeeds; returns stdout.
    fn run(dir: &Path, program: &str, args: &[&str]) -> String {
        let out = Command::new(program)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Has openssl make a P-256 leaf key and sign `leaf.crt` with `ca.crt`/`ca.key`
    /// (valid one day when `one_day`, else openssl's default).
    fn issue_leaf(dir: &Path, one_day: bool) {
        openssl(
            dir,
            &["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key"]
                .into_iter()
                .chain(["-subj", "/CN=leaf", "-out", "leaf.csr"])
                .collect::<Vec<_>>(),
        );
        let mut args = vec!["x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"];
        if one_day {
            args.extend(["-days", "1"]);
        }
        args.extend(["-out", "leaf.crt"]);
        openssl(dir, &args);
    }

    fn openssl(dir: &Path, args: &[&str]) -> String {
        run(dir, "openssl", args)
    }

    fn sh(dir: &Path, script: &str) -> String {
        run(dir, "sh", &["-c", script])
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(path, text).unwrap();
    }

    fn read(dir: &Path, rel: &str) -> String {
        fs::read_to_string(dir.join(rel)).unwrap()
    }

    /// Whitespace runs collapsed to single spaces, for matching
    /// `openssl x509 -text` output across line breaks.
    fn squash(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Parses `notBefore=Nov 22 01:24:29 2026 GMT` style lines.
    fn openssl_date(line: &str) -> OffsetDateTime {
        let value = line.split_once('=').unwrap().1.trim();
        let format = time::macros::format_description!(
            "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
        );
        time::PrimitiveDateTime::parse(value, &format).unwrap_or_else(|e| panic!("{value:?}: {e}")).assume_utc()
    }

    /// The base64 body lines of a PEM text, to search error messages for.
    fn body_lines(pem: &str) -> Vec<String> {
        pem.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("-----")).map(str::to_owned).collect()
    }

    fn assert_no_key_material(message: &str, key_pem: &str) {
        for line in body_lines(key_pem) {
            let probe = &line[..line.len().min(24)];
            assert!(!message.contains(probe), "message leaks key material: {message}");
        }
    }

    fn armour(label: &str, der: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut out = format!("-----BEGIN {label}-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap());
            out.push('\n');
        }
        out.push_str(&format!("-----END {label}-----\n"));
        out
    }

    fn single_der(pem: &str) -> Vec<u8> {
        let mut blocks = parse_pem(PemInput::Certificate, pem).unwrap();
        assert_eq!(blocks.len(), 1);
        blocks.remove(0).der
    }

    fn rsa_bits(alg: KeyAlgorithm) -> Option<u32> {
        match alg {
            KeyAlgorithm::Rsa2048 => Some(2048),
            KeyAlgorithm::Rsa3072 => Some(3072),
            KeyAlgorithm::Rsa4096 => Some(4096),
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => None,
        }
    }

    /// `openssl req -newkey` arguments for a fresh key of `alg`.
    fn openssl_newkey(alg: KeyAlgorithm) -> Vec<&'static str> {
        match alg {
            KeyAlgorithm::Rsa2048 => vec!["-newkey", "rsa:2048"],
            KeyAlgorithm::Rsa3072 => vec!["-newkey", "rsa:3072"],
            KeyAlgorithm::Rsa4096 => vec!["-newkey", "rsa:4096"],
            KeyAlgorithm::EcdsaP256 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyAlgorithm::EcdsaP384 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        }
    }

    const CA_EXTS: [&str; 4] =
        ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,digitalSignature"];

    /// Makes a self-signed CA with openssl into `<name>.crt` / `<name>.key`.
    fn openssl_ca(dir: &Path, name: &str, key_args: &[&str], cn: &str, extra: &[&str]) -> (String, String) {
        let (crt, key) = (format!("{name}.crt"), format!("{name}.key"));
        let subj = format!("/CN={cn}");
        let mut args = vec!["req", "-x509", "-nodes", "-days", "30", "-subj", &subj, "-keyout", &key, "-out", &crt];
        args.extend_from_slice(key_args);
        args.extend_from_slice(extra);
        openssl(dir, &args);
        (read(dir, &crt), read(dir, &key))
    }

    struct Fixture {
        ec: CaPair,
        rsa: CaPair,
        sa: KeyPairPem,
    }

    /// Material shared by tests that only read it.
    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| Fixture {
            ec: generate_ca(CaRole::Kubernetes, "fixture", KeyAlgorithm::EcdsaP256, 365, now()).unwrap(),
            rsa: generate_ca(CaRole::Etcd, "fixture", KeyAlgorithm::Rsa2048, 365, now()).unwrap(),
            sa: generate_service_account(KeyAlgorithm::EcdsaP256).unwrap(),
        })
    }

    // ---- names -------------------------------------------------------------

    #[test]
    fn algorithm_names_round_trip() {
        let names = ["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"];
        for (alg, name) in KeyAlgorithm::ALL.into_iter().zip(names) {
            assert_eq!(alg.as_str(), name);
            assert_eq!(alg.to_string(), name);
            assert_eq!(KeyAlgorithm::parse(name), Ok(alg));
            assert_eq!(name.parse::<KeyAlgorithm>(), Ok(alg));
        }
        assert_eq!(KeyAlgorithm::default(), KeyAlgorithm::Rsa2048);
        assert_eq!(KeyAlgorithm::EcdsaP384.signature_algorithm(), "ecdsa-with-SHA384");
        assert!(KeyAlgorithm::Rsa4096.is_rsa() && !KeyAlgorithm::EcdsaP256.is_rsa());
    }

    #[test]
    fn unknown_algorithms_are_rejected_with_the_valid_names() {
        for bad in ["", "rsa-2048", "RSA2048", "RSA-1024", "ECDSA-P521", "Ed25519", " RSA-2048"] {
            let err = KeyAlgorithm::parse(bad).unwrap_err();
            assert_eq!(err, PkiError::UnknownAlgorithm { value: bad.to_owned() });
        }
        assert_eq!(
            KeyAlgorithm::parse("rsa").unwrap_err().to_string(),
            "unknown key algorithm \"rsa\"; expected one of RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384"
        );
    }

    #[test]
    fn role_names_and_paths() {
        let expect = [
            (CaRole::Kubernetes, "kubernetes", "ca", "ca.crt", "ca.key"),
            (CaRole::FrontProxy, "front-proxy-ca", "front-proxy-ca", "front-proxy-ca.crt", "front-proxy-ca.key"),
            (CaRole::Etcd, "etcd-ca", "etcd/ca", "etcd/ca.crt", "etcd/ca.key"),
        ];
        for (role, cn, stem, crt, key) in expect {
            assert_eq!((role.common_name(), role.stem(), role.cert_path(), role.key_path()), (cn, stem, crt, key));
            assert_eq!(format!("{}.crt", role.stem()), crt);
            assert!(PKI_FILES.contains(&crt) && PKI_FILES.contains(&key));
        }
        assert_eq!(CaRole::ALL.map(CaRole::cert_path), ["ca.crt", "front-proxy-ca.crt", "etcd/ca.crt"]);
    }

    // ---- generation, checked by openssl --------------------------------------

    #[test]
    fn generated_cas_pass_openssl_for_every_algorithm() {
        let now = now();
        for (i, alg) in KeyAlgorithm::ALL.into_iter().enumerate() {
            let role = CaRole::ALL[i % 3];
            let cn = role.common_name();
            let days = 3650 + i as u32;
            let pair = generate_ca(role, "my-cluster", alg, days, now).unwrap();
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            write(dir, "ca.crt", &pair.cert_pem);
            write(dir, "ca.key", pair.key_pem.expose());
            assert!(pair.cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{alg}");
            assert!(pair.key_pem.expose().starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}");

            let text = squash(&openssl(dir, &["x509", "-noout", "-text", "-in", "ca.crt"]));
            for needle in [
                "Version: 3 (0x2)".to_owned(),
                format!("Signature Algorithm: {}", alg.signature_algorithm()),
                format!("Issuer: O = my-cluster, CN = {cn}"),
                format!("Subject: O = my-cluster, CN = {cn}"),
                "X509v3 Basic Constraints: critical CA:TRUE".to_owned(),
                "X509v3 Key Usage: critical Digital Signature, Key Encipherment, Certificate Sign".to_owned(),
                format!("X509v3 Subject Alternative Name: DNS:{cn}"),
            ] {
                assert!(text.contains(&needle), "{alg}: {needle:?} not in\n{text}");
            }
            match (alg, rsa_bits(alg)) {
                (_, Some(bits)) => {
                    assert!(text.contains("Public Key Algorithm: rsaEncryption"), "{alg}");
                    assert!(text.contains(&format!("Public-Key: ({bits} bit)")), "{alg}");
                }
                (KeyAlgorithm::EcdsaP256, None) => {
                    assert!(text.contains("Public-Key: (256 bit)") && text.contains("NIST CURVE: P-256"), "{text}");
                }
                (_, None) => {
                    assert!(text.contains("Public-Key: (384 bit)") && text.contains("NIST CURVE: P-384"), "{text}");
                }
            }

            let dates = openssl(dir, &["x509", "-noout", "-startdate", "-enddate", "-in", "ca.crt"]);
            let mut lines = dates.lines();
            assert_eq!(openssl_date(lines.next().unwrap()), now - Duration::minutes(5), "{alg}");
            assert_eq!(openssl_date(lines.next().unwrap()), now + Duration::days(i64::from(days)), "{alg}");

            let serial = openssl(dir, &["x509", "-noout", "-serial", "-in", "ca.crt"]);
            let serial = serial.trim().strip_prefix("serial=").unwrap();
            assert!(serial.len() == 32 && serial.chars().any(|c| c != '0'), "{serial}");

            // Self-signed and verifiable on its own.
            assert_eq!(openssl(dir, &["verify", "-CAfile", "ca.crt", "ca.crt"]).trim(), "ca.crt: OK");

            // The key is the certificate's.
            let key_pub = openssl(dir, &["pkey", "-in", "ca.key", "-pubout"]);
            let cert_pub = openssl(dir, &["x509", "-pubkey", "-noout", "-in", "ca.crt"]);
            assert_eq!(key_pub, cert_pub, "{alg}");

            // The discovery hash matches the usual openssl pipeline.
            let piped =
                sh(dir, "openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | sha256sum");
            let expected = format!("sha256:{}", piped.split_whitespace().next().unwrap());
            assert_eq!(ca_cert_hash(&pair.cert_pem).unwrap(), expected, "{alg}");

            // openssl can issue a leaf with the CA key, and it verifies.
            issue_leaf(dir, true);
            assert_eq!(openssl(dir, &["verify", "-CAfile", "ca.crt", "leaf.crt"]).trim(), "leaf.crt: OK");

            // Our own reading agrees.
            let info = validate_ca_pair(&pair.cert_pem, pair.key_pem.expose(), now).unwrap();
            assert_eq!(info.subject_cn, cn);
            assert_eq!(info.subject_o.as_deref(), Some("my-cluster"));
            assert_eq!((info.is_ca, info.can_sign_certs), (true, true));
            assert_eq!(info.algorithm, Some(alg));
            assert_eq!(info.key_type(), alg.as_str());
            assert_eq!(info.not_before, now - Duration::minutes(5));
            assert_eq!(validity_days(&info), days);
            assert_eq!(inspect_cert(&pair.cert_pem).unwrap(), info);
            assert_eq!(key_algorithm_of_private_key(pair.key_pem.expose()), Ok(alg));
            let der_spki = openssl(dir, &["x509", "-pubkey", "-noout", "-in", "ca.crt"]);
            assert_eq!(info.spki_der, single_der(&der_spki.replace("PUBLIC KEY", "CERTIFICATE")));
        }
    }

    #[test]
    fn every_role_gets_its_kubeadm_subject() {
        for role in CaRole::ALL {
            let pair = generate_ca(role, "prod", KeyAlgorithm::EcdsaP256, 10, now()).unwrap();
            let info = inspect_cert(&pair.cert_pem).unwrap();
            assert_eq!(info.subject_cn, role.common_name());
            assert_eq!(info.subject_o.as_deref(), Some("prod"));
        }
        // Without a cluster name the subject has no organisation.
        let pair = generate_ca(CaRole::Etcd, "", KeyAlgorithm::EcdsaP256, 10, now()).unwrap();
        let info = inspect_cert(&pair.cert_pem).unwrap();
        assert_eq!((info.subject_cn.as_str(), info.subject_o), ("etcd-ca", None));
    }

    #[test]
    fn serials_and_keys_differ_between_runs() {
        let a = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 10, now()).unwrap();
        let b = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 10, now()).unwrap();
        assert_ne!(a.cert_pem, b.cert_pem);
        assert_ne!(a.key_pem, b.key_pem);
        assert_ne!(ca_cert_hash(&a.cert_pem).unwrap(), ca_cert_hash(&b.cert_pem).unwrap());
        let serial = |pem: &str| {
            let der = single_der(pem);
            let (_, cert) = X509Certificate::from_der(&der).unwrap();
            cert.raw_serial().to_vec()
        };
        let (sa, sb) = (serial(&a.cert_pem), serial(&b.cert_pem));
        assert_ne!(sa, sb);
        for s in [sa, sb] {
            assert_eq!(s.len(), 16);
            assert_eq!(s[0] & 0xc0, 0x40, "positive and full length");
        }
    }

    #[test]
    fn service_account_keys_pass_openssl_for_every_algorithm() {
        for alg in KeyAlgorithm::ALL {
            let sa = generate_service_account(alg).unwrap();
            assert!(sa.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{alg}");
            assert!(sa.private_pem.expose().starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}");
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            write(dir, "sa.key", sa.private_pem.expose());
            write(dir, "sa.pub", &sa.public_pem);
            assert_eq!(openssl(dir, &["pkey", "-in", "sa.key", "-pubout"]), sa.public_pem, "{alg}");
            let text = squash(&openssl(dir, &["pkey", "-pubin", "-in", "sa.pub", "-noout", "-text"]));
            let size = rsa_bits(alg).unwrap_or(if alg == KeyAlgorithm::EcdsaP256 { 256 } else { 384 });
            assert!(text.contains(&format!("Public-Key: ({size} bit)")), "{alg}: {text}");
            assert_eq!(validate_key_pair(&sa.public_pem, sa.private_pem.expose()), Ok(alg));
            assert_eq!(key_algorithm_of_private_key(sa.private_pem.expose()), Ok(alg));
        }
    }

    #[test]
    fn validity_window_edges() {
        // Sub-second parts and offsets are normalised to whole UTC seconds.
        let odd_now = datetime!(2026-03-01 01:30:15.75 +02:00);
        let pair = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 1, odd_now).unwrap();
        let info = inspect_cert(&pair.cert_pem).unwrap();
        assert_eq!(info.not_before, datetime!(2026-02-28 23:25:15 UTC));
        assert_eq!(info.not_after, datetime!(2026-03-01 23:30:15 UTC));
        assert_eq!(validity_days(&info), 1);

        // Expiry after 2049 is written as GeneralizedTime and reads back.
        let pair = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 36500, odd_now).unwrap();
        assert_eq!(validity_days(&inspect_cert(&pair.cert_pem).unwrap()), 36500);

        let err = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 0, odd_now).unwrap_err();
        assert_eq!(err, PkiError::InvalidValidity { days: 0, problem: "it must be at least 1 day" });
        assert_eq!(err.to_string(), "invalid certificate validity of 0 days: it must be at least 1 day");

        let late = datetime!(9999-06-01 00:00:00 UTC);
        let err = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 365, late).unwrap_err();
        assert!(err.to_string().contains("after the year 9999"), "{err}");
        let err = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, u32::MAX, odd_now).unwrap_err();
        assert!(matches!(err, PkiError::InvalidValidity { .. }), "{err}");
        let early = datetime!(0001-01-01 00:01:00 UTC);
        let err = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 1, early).unwrap_err();
        assert!(err.to_string().contains("outside the years 1 to 9999"), "{err}");
        // The earliest workable moment still works.
        generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 1, datetime!(0001-01-01 00:05:00 UTC)).unwrap();
    }

    #[test]
    fn validity_days_rounds_down_and_never_goes_negative() {
        let mut info = inspect_cert(&fixture().ec.cert_pem).unwrap();
        info.not_before = datetime!(2026-01-01 00:00:00 UTC);
        info.not_after = datetime!(2026-01-03 23:59:59 UTC);
        assert_eq!(validity_days(&info), 2);
        info.not_after = datetime!(2025-01-01 00:00:00 UTC);
        assert_eq!(validity_days(&info), 0);
    }

    // ---- bring your own --------------------------------------------------------

    #[test]
    fn openssl_cas_pass_in_every_key_encoding() {
        // openssl starts the validity at the moment it signs, after this
        // test's clock reading; check a little later.
        let now = now() + Duration::minutes(1);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for alg in KeyAlgorithm::ALL {
            let (cert, key) = openssl_ca(dir, "byo", &openssl_newkey(alg), "kubernetes", &CA_EXTS);
            assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{alg}");
            let traditional = openssl(dir, &["pkey", "-in", "byo.key", "-traditional"]);
            let label = if alg.is_rsa() { "RSA PRIVATE KEY" } else { "EC PRIVATE KEY" };
            assert!(traditional.starts_with(&format!("-----BEGIN {label}-----")), "{alg}: {traditional}");
            let mut forms = vec![key.clone(), traditional];
            if alg.is_rsa() {
                let pkcs1 = openssl(dir, &["rsa", "-in", "byo.key", "-traditional"]);
                assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
                forms.push(pkcs1);
            }
            let public = openssl(dir, &["pkey", "-in", "byo.key", "-pubout"]);
            for form in &forms {
                let info = validate_ca_pair(&cert, form, now).unwrap_or_else(|e| panic!("{alg}: {e}"));
                assert_eq!(info.algorithm, Some(alg));
                assert_eq!((info.subject_cn.as_str(), info.subject_o.as_deref()), ("kubernetes", None));
                assert!(info.is_ca && info.can_sign_certs);
                assert_eq!(validity_days(&info), 30);
                assert_eq!(key_algorithm_of_private_key(form), Ok(alg));
                assert_eq!(validate_key_pair(&public, form), Ok(alg));
            }
            // CRLF line endings are fine too.
            let crlf = |s: &str| s.replace('\n', "\r\n");
            validate_ca_pair(&crlf(&cert), &crlf(&key), now).unwrap();
        }

        // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
        openssl(dir, &["ecparam", "-name", "prime256v1", "-genkey", "-out", "ecparam.key"]);
        let key = read(dir, "ecparam.key");
        assert!(key.starts_with("-----BEGIN EC PARAMETERS-----"), "{key}");
        let mut args =
            vec!["req", "-x509", "-key", "ecparam.key", "-subj", "/CN=etcd-ca", "-days", "5", "-out", "e.crt"];
        args.extend_from_slice(&CA_EXTS);
        openssl(dir, &args);
        let info = validate_ca_pair(&read(dir, "e.crt"), &key, now).unwrap();
        assert_eq!((info.subject_cn.as_str(), info.algorithm), ("etcd-ca", Some(KeyAlgorithm::EcdsaP256)));

        // `openssl x509 -text` output with the PEM after the dump still reads.
        let dumped = openssl(dir, &["x509", "-in", "e.crt", "-text"]);
        assert!(!dumped.starts_with("-----BEGIN"));
        assert_eq!(inspect_cert(&dumped).unwrap(), info);
    }

    #[test]
    fn mismatched_key_is_reported() {
        let now = now();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (cert, _) = openssl_ca(dir, "a", &openssl_newkey(KeyAlgorithm::EcdsaP256), "kubernetes", &CA_EXTS);
        let (_, other) = openssl_ca(dir, "b", &openssl_newkey(KeyAlgorithm::EcdsaP256), "kubernetes", &CA_EXTS);
        let err = validate_ca_pair(&cert, &other, now).unwrap_err();
        assert_eq!(err, PkiError::KeyMismatch { subject_cn: "kubernetes".into() });
        assert_eq!(
            err.to_string(),
            "the private key does not belong to the certificate with CN \"kubernetes\": their public keys differ; \
             supply the key the certificate was issued for"
        );
        assert_no_key_material(&err.to_string(), &other);
        // A key of another algorithm does not match either.
        let rsa = fixture().rsa.key_pem.expose();
        assert!(matches!(validate_ca_pair(&cert, rsa, now), Err(PkiError::KeyMismatch { .. })));
        // Generated material: a key from another generated CA.
        let f = fixture();
        let ec2 = generate_ca(CaRole::Kubernetes, "fixture", KeyAlgorithm::EcdsaP256, 365, now).unwrap();
        assert!(matches!(
            validate_ca_pair(&f.ec.cert_pem, ec2.key_pem.expose(), now),
            Err(PkiError::KeyMismatch { .. })
        ));
    }

    #[test]
    fn non_ca_certificates_are_reported() {
        let now = now();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (ca_cert, ca_key) = openssl_ca(dir, "ca", &openssl_newkey(KeyAlgorithm::EcdsaP256), "kubernetes", &CA_EXTS);
        let _ = ca_cert;

        // A leaf issued by `x509 -req` without extensions: no basicConstraints.
        issue_leaf(dir, false);
        let (leaf, leaf_key) = (read(dir, "leaf.crt"), read(dir, "leaf.key"));
        let info = inspect_cert(&leaf).unwrap();
        assert!(!info.is_ca && !info.can_sign_certs);
        let err = validate_ca_pair(&leaf, &leaf_key, now).unwrap_err();
        assert_eq!(err, PkiError::NotCa { subject_cn: "leaf".into(), problem: "it has no basicConstraints extension" });
        assert_eq!(
            err.to_string(),
            "the certificate with CN \"leaf\" is not a CA: it has no basicConstraints extension; \
             expected a basicConstraints extension with CA:TRUE"
        );

        // A self-signed certificate that says CA:FALSE.
        let (cert, key) = openssl_ca(
            dir,
            "notca",
            &openssl_newkey(KeyAlgorithm::EcdsaP256),
            "kubernetes",
            &["-addext", "basicConstraints=critical,CA:FALSE"],
        );
        assert!(squash(&openssl(dir, &["x509", "-in", "notca.crt", "-noout", "-text"])).contains("CA:FALSE"));
        let err = validate_ca_pair(&cert, &key, now).unwrap_err();
        assert_eq!(
            err,
            PkiError::NotCa { subject_cn: "kubernetes".into(), problem: "its basicConstraints say CA:FALSE" }
        );
        assert_no_key_material(&err.to_string(), &key);
        let _ = ca_key;
    }

    #[test]
    fn ca_without_key_cert_sign_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (cert, key) = openssl_ca(
            dir,
            "nosign",
            &openssl_newkey(KeyAlgorithm::EcdsaP256),
            "front-proxy-ca",
            &["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,digitalSignature"],
        );
        let info = inspect_cert(&cert).unwrap();
        assert!(info.is_ca && !info.can_sign_certs);
        let err = validate_ca_pair(&cert, &key, now()).unwrap_err();
        assert_eq!(err, PkiError::CannotSignCerts { subject_cn: "front-proxy-ca".into() });
        assert!(err.to_string().contains("lacks keyCertSign"), "{err}");
    }

    #[test]
    fn expired_and_not_yet_valid_certificates_are_reported() {
        let now = now();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        // openssl 3.0 has no -not_after, but `x509 -req -days -1` ends the
        // validity a day before it starts.
        write(dir, "ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,digitalSignature\n");
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "old.key",
                "-subj",
                "/CN=kubernetes",
                "-out",
                "old.csr",
            ],
        );
        openssl(
            dir,
            &[
                "x509", "-req", "-in", "old.csr", "-signkey", "old.key", "-days", "-1", "-extfile", "ca.ext", "-out",
                "old.crt",
            ],
        );
        let (cert, key) = (read(dir, "old.crt"), read(dir, "old.key"));
        let info = inspect_cert(&cert).unwrap();
        assert!(info.is_ca && info.can_sign_certs && info.not_after < now);
        let err = validate_ca_pair(&cert, &key, now).unwrap_err();
        assert_eq!(err, PkiError::Expired { subject_cn: "kubernetes".into(), not_after: info.not_after, now });
        let msg = err.to_string();
        assert!(msg.contains(&format!("expired at {}", format_rfc3339(info.not_after))), "{msg}");
        assert!(msg.starts_with("the certificate with CN \"kubernetes\" expired at "), "{msg}");

        // With the clock injected, a good CA is expired later and not yet
        // valid earlier; the boundaries themselves are inside.
        let pair = &fixture().ec;
        let good = inspect_cert(&pair.cert_pem).unwrap();
        let key = pair.key_pem.expose();
        validate_ca_pair(&pair.cert_pem, key, good.not_before).unwrap();
        validate_ca_pair(&pair.cert_pem, key, good.not_after).unwrap();
        let later = good.not_after + Duration::seconds(1);
        assert_eq!(
            validate_ca_pair(&pair.cert_pem, key, later),
            Err(PkiError::Expired { subject_cn: "kubernetes".into(), not_after: good.not_after, now: later })
        );
        let earlier = good.not_before - Duration::seconds(1);
        let err = validate_ca_pair(&pair.cert_pem, key, earlier).unwrap_err();
        assert_eq!(
            err,
            PkiError::NotYetValid { subject_cn: "kubernetes".into(), not_before: good.not_before, now: earlier }
        );
        assert!(err.to_string().contains(&format!("not valid before {}", format_rfc3339(good.not_before))));

        // A CA generated with an old clock is expired today.
        let old = generate_ca(CaRole::Etcd, "c", KeyAlgorithm::EcdsaP256, 1, now - Duration::days(30)).unwrap();
        assert!(matches!(validate_ca_pair(&old.cert_pem, old.key_pem.expose(), now), Err(PkiError::Expired { .. })));
    }

    #[test]
    fn garbage_and_wrong_blocks_in_a_certificate() {
        let f = fixture();
        let cert = &f.ec.cert_pem;
        assert_eq!(inspect_cert(""), Err(PkiError::NotPem { input: PemInput::Certificate }));
        assert_eq!(inspect_cert("hello world"), Err(PkiError::NotPem { input: PemInput::Certificate }));
        assert_eq!(
            inspect_cert("hello").unwrap_err().to_string(),
            "the certificate is not PEM: expected exactly one CERTIFICATE block, \
             starting with a \"-----BEGIN CERTIFICATE-----\" line"
        );
        let bad64 = "-----BEGIN CERTIFICATE-----\n!!!notbase64\n-----END CERTIFICATE-----\n";
        assert_eq!(
            inspect_cert(bad64),
            Err(PkiError::MalformedPem {
                input: PemInput::Certificate,
                problem: "the body of the CERTIFICATE block is not valid base64".into()
            })
        );
        let unterminated = cert.replace("-----END CERTIFICATE-----", "");
        assert!(matches!(inspect_cert(&unterminated), Err(PkiError::MalformedPem { .. })));
        let wrong_end = cert.replace("-----END CERTIFICATE-----", "-----END PRIVATE KEY-----");
        assert!(matches!(inspect_cert(&wrong_end), Err(PkiError::MalformedPem { .. })));
        let empty = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
        assert!(matches!(inspect_cert(empty), Err(PkiError::MalformedPem { .. })));

        // PEM, but no certificate in it.
        let err = inspect_cert(&f.sa.public_pem).unwrap_err();
        assert_eq!(err, PkiError::NoCertificate { found: vec!["PUBLIC KEY".into()] });
        assert!(err.to_string().contains("holds no CERTIFICATE block (found PUBLIC KEY)"), "{err}");
        let err = inspect_cert(f.ec.key_pem.expose()).unwrap_err();
        assert_eq!(err, PkiError::NoCertificate { found: vec!["PRIVATE KEY".into()] });
        assert_no_key_material(&err.to_string(), f.ec.key_pem.expose());

        // Two certificates.
        let two = format!("{cert}{}", f.rsa.cert_pem);
        assert_eq!(inspect_cert(&two), Err(PkiError::MultipleCertificates { count: 2 }));
        assert_eq!(ca_cert_hash(&two), Err(PkiError::MultipleCertificates { count: 2 }));

        // A certificate bundled with its key is refused rather than half-read.
        let bundled = format!("{cert}{}", f.ec.key_pem.expose());
        let err = inspect_cert(&bundled).unwrap_err();
        assert_eq!(err, PkiError::UnexpectedPemBlock { input: PemInput::Certificate, label: "PRIVATE KEY".into() });
        assert_no_key_material(&err.to_string(), f.ec.key_pem.expose());

        // Valid base64 that is not a certificate.
        let junk = armour("CERTIFICATE", b"definitely not DER");
        assert!(matches!(inspect_cert(&junk), Err(PkiError::InvalidCertificate { .. })));
        let mut der = single_der(cert);
        der.truncate(der.len() - 10);
        assert!(matches!(inspect_cert(&armour("CERTIFICATE", &der)), Err(PkiError::InvalidCertificate { .. })));
        let mut der = single_der(cert);
        der.extend_from_slice(&[0, 0]);
        assert!(matches!(inspect_cert(&armour("CERTIFICATE", &der)), Err(PkiError::InvalidCertificate { .. })));

        // Text around the block is ignored; the result is unchanged.
        let chatty = format!("subject=CN = kubernetes\n\n{cert}\ntrailing words\n");
        assert_eq!(inspect_cert(&chatty), inspect_cert(cert));
    }

    #[test]
    fn bad_private_keys_are_reported_without_their_contents() {
        let now = now();
        let f = fixture();
        let cert = &f.ec.cert_pem;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        openssl(dir, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k.pem"]);
        let key = read(dir, "k.pem");

        let mut cases: Vec<(String, PkiError)> = vec![
            ("".into(), PkiError::NotPem { input: PemInput::PrivateKey }),
            ("not a key".into(), PkiError::NotPem { input: PemInput::PrivateKey }),
            (cert.clone(), PkiError::UnexpectedPemBlock { input: PemInput::PrivateKey, label: "CERTIFICATE".into() }),
            (format!("{key}{key}"), PkiError::MultiplePrivateKeys { count: 2 }),
            (
                armour("PRIVATE KEY", b"\x30\x03\x02\x01\x00"),
                PkiError::InvalidPrivateKey {
                    label: "PRIVATE KEY".into(),
                    problem: "the contents are not a PKCS#8 private key",
                },
            ),
            (
                key.replace("PRIVATE KEY", "RSA PRIVATE KEY"),
                PkiError::InvalidPrivateKey {
                    label: "RSA PRIVATE KEY".into(),
                    problem: "the contents are not a PKCS#1 RSA private key",
                },
            ),
            (
                key.replace("PRIVATE KEY", "EC PRIVATE KEY"),
                PkiError::InvalidPrivateKey {
                    label: "EC PRIVATE KEY".into(),
                    problem: "the contents are not a SEC1 EC private key that names its curve",
                },
            ),
            (
                key.replace("PRIVATE KEY", "OPENSSH PRIVATE KEY"),
                PkiError::UnsupportedKeyFormat { label: "OPENSSH PRIVATE KEY".into() },
            ),
            (
                key.replace("PRIVATE KEY", "DSA PRIVATE KEY"),
                PkiError::UnsupportedKey { input: PemInput::PrivateKey, key_type: "DSA".into() },
            ),
        ];

        // Garbage key bytes inside a structurally plausible PKCS#8 P-256
        // key: the outer layout parses, the key itself does not.
        let mut der = single_der(&key.replace("PRIVATE KEY", "CERTIFICATE"));
        let last = der.len() - 1;
        der[last] ^= 0xff;
        cases.push((
            armour("PRIVATE KEY", &der),
            PkiError::InvalidPrivateKey {
                label: "PRIVATE KEY".into(),
                problem: "the key data is malformed or its parts are inconsistent",
            },
        ));

        // Encrypted keys, in the PKCS#8 and the legacy form.
        openssl(dir, &["pkey", "-in", "k.pem", "-aes256", "-passout", "pass:hunter2", "-out", "enc8.pem"]);
        openssl(
            dir,
            &["pkey", "-in", "k.pem", "-traditional", "-aes256", "-passout", "pass:hunter2", "-out", "encl.pem"],
        );
        let legacy = read(dir, "encl.pem");
        assert!(legacy.contains("Proc-Type: 4,ENCRYPTED"), "{legacy}");
        cases.push((read(dir, "enc8.pem"), PkiError::EncryptedPrivateKey));
        cases.push((legacy, PkiError::EncryptedPrivateKey));

        for (input, expected) in cases {
            let got = key_algorithm_of_private_key(&input).unwrap_err();
            assert_eq!(got, expected, "input:\n{input}");
            // validate_ca_pair reports the same problem for the key.
            assert_eq!(validate_ca_pair(cert, &input, now).unwrap_err(), expected);
            let msg = got.to_string();
            assert_no_key_material(&msg, &input);
            assert!(!msg.contains("hunter2"));
            assert!(msg.starts_with("the private key"), "{msg}");
        }
    }

    #[test]
    fn unsupported_key_types_are_named() {
        let now = now();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let cases: [(&[&str], &str); 4] = [
            (&["-newkey", "ed25519"], "Ed25519"),
            (&["-newkey", "rsa:1024"], "RSA-1024"),
            (&["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"], "ECDSA-P521"),
            (&["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"], "ECDSA-secp256k1"),
        ];
        for (key_args, name) in cases {
            let (cert, key) = openssl_ca(dir, "odd", key_args, "kubernetes", &CA_EXTS);
            let info = inspect_cert(&cert).unwrap();
            assert_eq!((info.algorithm, info.key_type()), (None, name.to_owned()));
            assert!(ca_cert_hash(&cert).unwrap().starts_with("sha256:"));
            let err = validate_ca_pair(&cert, &key, now).unwrap_err();
            assert_eq!(err, PkiError::UnsupportedKey { input: PemInput::Certificate, key_type: name.into() });
            assert!(err.to_string().starts_with(&format!("the certificate uses the unsupported key type {name}; ")));
            let err = key_algorithm_of_private_key(&key).unwrap_err();
            assert_eq!(err, PkiError::UnsupportedKey { input: PemInput::PrivateKey, key_type: name.into() });
            assert!(err.to_string().ends_with("supported: RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384"));
            // Ed25519 has no traditional encoding.
            if name != "Ed25519" {
                let traditional = openssl(dir, &["pkey", "-in", "odd.key", "-traditional"]);
                assert_eq!(key_algorithm_of_private_key(&traditional), Err(err));
            }
            let public = openssl(dir, &["pkey", "-in", "odd.key", "-pubout"]);
            assert_eq!(
                validate_key_pair(&public, &fixture().sa.private_pem.expose().clone()),
                Err(PkiError::UnsupportedKey { input: PemInput::PublicKey, key_type: name.into() })
            );
        }
    }

    #[test]
    fn service_account_key_problems() {
        let f = fixture();
        let other = generate_service_account(KeyAlgorithm::EcdsaP256).unwrap();
        let err = validate_key_pair(&other.public_pem, f.sa.private_pem.expose()).unwrap_err();
        assert_eq!(err, PkiError::PublicKeyMismatch);
        assert!(err.to_string().starts_with("the public key does not match the private key"));
        // An RSA public key against an EC private key.
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "ca.crt", &f.rsa.cert_pem);
        let rsa_pub = openssl(tmp.path(), &["x509", "-pubkey", "-noout", "-in", "ca.crt"]);
        assert_eq!(validate_key_pair(&rsa_pub, f.sa.private_pem.expose()), Err(PkiError::PublicKeyMismatch));
        assert_eq!(validate_key_pair(&rsa_pub, f.rsa.key_pem.expose()), Ok(KeyAlgorithm::Rsa2048));

        assert_eq!(
            validate_key_pair("garbage", f.sa.private_pem.expose()),
            Err(PkiError::NotPem { input: PemInput::PublicKey })
        );
        assert_eq!(
            validate_key_pair(&f.ec.cert_pem, f.sa.private_pem.expose()),
            Err(PkiError::NoPublicKey { found: vec!["CERTIFICATE".into()] })
        );
        let two = format!("{}{}", f.sa.public_pem, other.public_pem);
        assert_eq!(validate_key_pair(&two, f.sa.private_pem.expose()), Err(PkiError::MultiplePublicKeys { count: 2 }));
        // A private key pasted where the public key belongs.
        let err =
            validate_key_pair(&format!("{}{}", f.sa.public_pem, f.sa.private_pem.expose()), f.sa.private_pem.expose())
                .unwrap_err();
        assert_eq!(err, PkiError::UnexpectedPemBlock { input: PemInput::PublicKey, label: "PRIVATE KEY".into() });
        assert_no_key_material(&err.to_string(), f.sa.private_pem.expose());
        assert!(matches!(
            validate_key_pair(&armour("PUBLIC KEY", b"\x30\x00"), f.sa.private_pem.expose()),
            Err(PkiError::InvalidPublicKey { .. })
        ));
        // The private key is checked first.
        assert_eq!(validate_key_pair(&f.sa.public_pem, "nope"), Err(PkiError::NotPem { input: PemInput::PrivateKey }));
    }

    #[test]
    fn errors_say_which_input_they_are_about() {
        let f = fixture();
        let now = now();
        let key_errors = [
            validate_ca_pair(&f.ec.cert_pem, "x", now).unwrap_err(),
            validate_ca_pair(&f.ec.cert_pem, &f.ec.cert_pem, now).unwrap_err(),
            validate_ca_pair(&f.ec.cert_pem, f.rsa.key_pem.expose(), now).unwrap_err(),
            validate_key_pair(&f.sa.public_pem, "x").unwrap_err(),
        ];
        for e in key_errors {
            assert!(e.is_about_key(), "{e:?}");
            assert_eq!(e.input(), Some(PemInput::PrivateKey));
        }
        let cert_errors = [
            validate_ca_pair("x", f.ec.key_pem.expose(), now).unwrap_err(),
            validate_ca_pair(&f.ec.cert_pem, f.ec.key_pem.expose(), now + Duration::days(999)).unwrap_err(),
        ];
        for e in cert_errors {
            assert!(!e.is_about_key(), "{e:?}");
            assert_eq!(e.input(), Some(PemInput::Certificate));
        }
        let e = validate_key_pair(&f.ec.cert_pem, f.sa.private_pem.expose()).unwrap_err();
        assert_eq!(e.input(), Some(PemInput::PublicKey));
        assert_eq!(PkiError::PublicKeyMismatch.input(), Some(PemInput::PublicKey));
        assert_eq!(KeyAlgorithm::parse("x").unwrap_err().input(), None);
    }

    #[test]
    fn debug_output_hides_private_keys() {
        let f = fixture();
        let shown = format!("{:?} {:?}", f.ec, f.sa);
        assert!(shown.contains("<sensitive>"));
        for line in body_lines(f.ec.key_pem.expose()).into_iter().chain(body_lines(f.sa.private_pem.expose())) {
            assert!(!shown.contains(&line), "{shown}");
        }
    }

    #[test]
    fn labels_in_messages_are_sanitised() {
        let label = format!("EVIL\u{7}{}", "X".repeat(100));
        let text = format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n");
        let err = inspect_cert(&text).unwrap_err();
        let PkiError::NoCertificate { found } = &err else { panic!("{err:?}") };
        assert_eq!(found[0], format!("EVIL?{}...", "X".repeat(35)));
        assert!(!err.to_string().contains('\u{7}'));
    }

    #[test]
    fn oid_and_integer_helpers() {
        assert_eq!(oid_text(OID_CURVE_P256), "1.2.840.10045.3.1.7");
        assert_eq!(oid_text(OID_ED25519), "1.3.101.112");
        assert_eq!(oid_text(&[0x88, 0x37]), "2.999");
        assert_eq!(oid_text(&[]), "an empty object identifier");
        assert_eq!(oid_text(&[0xff; 40]), "an oversized object identifier");
        assert_eq!(integer_bits(&[0x00, 0x80]), Some(8));
        assert_eq!(integer_bits(&[0x01, 0x00]), Some(9));
        assert_eq!(integer_bits(&[0x00, 0x00, 0x7f]), Some(7));
        assert_eq!(integer_bits(&[0x80]), None);
        assert_eq!(integer_bits(&[0x00]), None);
        assert_eq!(integer_bits(&[]), None);
        assert_eq!(der_take(&[0x04, 0x82, 0x00, 0x01, 0xaa, 0xbb], 0x04), Some((&[0xaa][..], &[0xbb][..])));
        assert_eq!(der_take(&[0x04, 0x85, 0, 0, 0, 0, 1], 0x04), None);
        assert_eq!(der_take(&[0x04, 0x80], 0x04), None);
        assert_eq!(der_take(&[0x04, 0x05, 0x00], 0x04), None);
        assert_eq!(der_take(&[0x02, 0x00], 0x04), None);
    }

    // ---- pki directory -------------------------------------------------------

    fn write_pki(dir: &Path, pki: &PkiDir) {
        for (rel, text) in pki.files() {
            write(dir, rel, text);
        }
    }

    #[test]
    fn a_generated_pki_dir_reads_back_byte_for_byte() {
        let now = now();
        let pki = generate_pki("kubernetes", KeyAlgorithm::Rsa2048, 3650, now).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        write_pki(tmp.path(), &pki);
        let back = read_pki_dir(tmp.path(), now).unwrap();
        assert_eq!(back, pki);
        for (rel, text) in back.files() {
            assert_eq!(fs::read(tmp.path().join(rel)).unwrap(), text.as_bytes(), "{rel}");
        }
        for role in CaRole::ALL {
            let info = inspect_cert(&back.ca_pair(role).cert_pem).unwrap();
            assert_eq!(info.subject_cn, role.common_name());
            assert_eq!(info.subject_o.as_deref(), Some("kubernetes"));
        }
        assert_eq!(validate_key_pair(&back.sa.public_pem, back.sa.private_pem.expose()), Ok(KeyAlgorithm::Rsa2048));
        // openssl agrees the directory is consistent.
        let dir = tmp.path();
        assert_eq!(openssl(dir, &["verify", "-CAfile", "etcd/ca.crt", "etcd/ca.crt"]).trim(), "etcd/ca.crt: OK");
        assert_eq!(openssl(dir, &["pkey", "-in", "sa.key", "-pubout"]), read(dir, "sa.pub"));
    }

    #[test]
    fn a_broken_pki_dir_reports_every_problem() {
        let now = now();
        let pki = generate_pki("c", KeyAlgorithm::EcdsaP256, 365, now).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write_pki(dir, &pki);
        fs::remove_file(dir.join("etcd/ca.key")).unwrap();
        write(dir, "sa.pub", "garbage\n");

        let err = read_pki_dir(dir, now).unwrap_err();
        assert_eq!(err.dir, dir);
        assert_eq!(err.paths(), ["etcd/ca.key", "sa.pub"]);
        assert_eq!(err.problems[0].problem, FileProblem::Missing);
        assert_eq!(err.problems[1].problem, FileProblem::Invalid(PkiError::NotPem { input: PemInput::PublicKey }));
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("the pki directory {} is not usable (2 problems):\n", dir.display())),
            "{msg}"
        );
        assert!(msg.contains("\n- etcd/ca.key: the file is missing"), "{msg}");
        assert!(msg.contains("\n- sa.pub: the public key is not PEM: "), "{msg}");
    }

    #[test]
    fn pair_problems_are_reported_on_the_right_file() {
        let now = now();
        let pki = generate_pki("c", KeyAlgorithm::EcdsaP256, 365, now).unwrap();
        let other_sa = generate_service_account(KeyAlgorithm::EcdsaP256).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write_pki(dir, &pki);
        // Swapped CA keys, a foreign sa.pub.
        write(dir, "ca.key", pki.front_proxy_ca.key_pem.expose());
        write(dir, "front-proxy-ca.key", pki.ca.key_pem.expose());
        write(dir, "sa.pub", &other_sa.public_pem);
        let err = read_pki_dir(dir, now).unwrap_err();
        assert_eq!(err.paths(), ["ca.key", "front-proxy-ca.key", "sa.pub"]);
        assert_eq!(
            err.problems[0].problem,
            FileProblem::Invalid(PkiError::KeyMismatch { subject_cn: "kubernetes".into() })
        );
        assert_eq!(err.problems[2].problem, FileProblem::Invalid(PkiError::PublicKeyMismatch));
        let msg = err.to_string();
        for pem in [pki.ca.key_pem.expose(), pki.front_proxy_ca.key_pem.expose(), pki.sa.private_pem.expose()] {
            assert_no_key_material(&msg, pem);
        }

        // Read far in the future every certificate has expired.
        write_pki(dir, &pki);
        let err = read_pki_dir(dir, now + Duration::days(400)).unwrap_err();
        assert_eq!(err.paths(), ["ca.crt", "front-proxy-ca.crt", "etcd/ca.crt"]);
        assert!(err.problems.iter().all(|p| matches!(p.problem, FileProblem::Invalid(PkiError::Expired { .. }))));
    }

    #[test]
    fn pki_dir_file_level_problems() {
        let now = now();
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope");
        let err = read_pki_dir(&missing, now).unwrap_err();
        assert_eq!(err.problems, [PkiFileProblem { path: String::new(), problem: FileProblem::DirectoryMissing }]);
        assert!(err.to_string().ends_with("(1 problem):\n- the directory does not exist"), "{err}");
        write(tmp.path(), "plain", "x");
        let err = read_pki_dir(&tmp.path().join("plain"), now).unwrap_err();
        assert_eq!(err.problems[0].problem, FileProblem::NotADirectory);

        // An empty directory: all eight files are missing.
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        let err = read_pki_dir(&empty, now).unwrap_err();
        assert_eq!(err.paths(), PKI_FILES);
        assert!(err.problems.iter().all(|p| p.problem == FileProblem::Missing));

        let pki = generate_pki("c", KeyAlgorithm::EcdsaP256, 365, now).unwrap();
        let dir = tmp.path().join("pki");
        write_pki(&dir, &pki);
        fs::write(dir.join("ca.crt"), [0xff, 0xfe, 0x00]).unwrap();
        fs::remove_file(dir.join("etcd/ca.key")).unwrap();
        fs::create_dir(dir.join("etcd/ca.key")).unwrap();
        fs::write(dir.join("sa.pub"), vec![b'a'; MAX_PKI_FILE_BYTES as usize + 1]).unwrap();
        let err = read_pki_dir(&dir, now).unwrap_err();
        assert_eq!(
            err.problems,
            [
                PkiFileProblem { path: "ca.crt".into(), problem: FileProblem::NotUtf8 },
                PkiFileProblem { path: "etcd/ca.key".into(), problem: FileProblem::NotAFile },
                PkiFileProblem { path: "sa.pub".into(), problem: FileProblem::TooLarge { limit: MAX_PKI_FILE_BYTES } },
            ]
        );
    }

    // ---- robustness ----------------------------------------------------------

    /// Calls every parser on the inputs; none may panic.
    fn poke(text: &str) {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let f = fixture();
        let _ = inspect_cert(text);
        let _ = ca_cert_hash(text);
        let _ = validate_ca_pair(text, text, now);
        let _ = validate_ca_pair(&f.ec.cert_pem, text, now);
        let _ = validate_ca_pair(text, f.ec.key_pem.expose(), now);
        let _ = validate_key_pair(text, text);
        let _ = validate_key_pair(text, f.sa.private_pem.expose());
        let _ = key_algorithm_of_private_key(text);
    }

    const LABELS: [&str; 8] = [
        "CERTIFICATE",
        "PRIVATE KEY",
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "PUBLIC KEY",
        "ENCRYPTED PRIVATE KEY",
        "EC PARAMETERS",
        "X",
    ];

    proptest! {
        #[test]
        fn parsers_never_panic_on_arbitrary_text(s in any::<String>()) {
            poke(&s);
        }

        #[test]
        fn parsers_never_panic_on_armoured_bytes(
            label in proptest::sample::select(LABELS.to_vec()),
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            poke(&armour(label, &bytes));
        }

        #[test]
        fn parsers_never_panic_on_damaged_material(
            which in 0usize..5,
            at in any::<proptest::sample::Index>(),
            xor in 1u8..=255,
            cut in any::<proptest::sample::Index>(),
        ) {
            let f = fixture();
            let (label, pem) = match which {
                0 => ("CERTIFICATE", f.ec.cert_pem.as_str()),
                1 => ("CERTIFICATE", f.rsa.cert_pem.as_str()),
                2 => ("PRIVATE KEY", f.ec.key_pem.expose().as_str()),
                3 => ("PRIVATE KEY", f.rsa.key_pem.expose().as_str()),
                _ => ("PUBLIC KEY", f.sa.public_pem.as_str()),
            };
            let mut der = parse_pem(PemInput::Certificate, pem).unwrap().remove(0).der;
            let i = at.index(der.len());
            der[i] ^= xor;
            poke(&armour(label, &der));
            der.truncate(cut.index(der.len()));
            poke(&armour(label, &der));
            poke(&armour("RSA PRIVATE KEY", &der));
            poke(&armour("EC PRIVATE KEY", &der));
        }

        #[test]
        fn read_pki_dir_never_panics(contents in proptest::collection::vec(any::<String>(), 8)) {
            let tmp = tempfile::tempdir().unwrap();
            for (rel, text) in PKI_FILES.iter().zip(&contents) {
                write(tmp.path(), rel, text);
            }
            let err = read_pki_dir(tmp.path(), datetime!(2026-01-01 00:00:00 UTC)).unwrap_err();
            prop_assert_eq!(err.paths(), PKI_FILES.to_vec());
        }
    }
}
