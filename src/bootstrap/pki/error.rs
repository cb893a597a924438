//! The errors of generating, reading and checking PKI material. No
//! message repeats private key material.

use std::fmt;

use time::OffsetDateTime;

use super::algorithm::algorithm_names;
use super::pem::{LABEL_CERTIFICATE, LABEL_PRIVATE_KEY, LABEL_PUBLIC_KEY};
use crate::bootstrap::token::format_rfc3339;

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
    /// as the public key's, matching where [`read_pki_dir`](super::read_pki_dir) reports them.
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
