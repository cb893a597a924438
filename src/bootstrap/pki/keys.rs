//! Key pairs: generating them, and reading private and public keys
//! supplied as PEM.

use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::kind::{classify_private_key, classify_spki, KeyKind, KeySyntax};
use super::pem::{
    labels, parse_pem, shown_label, PemBlock, LABEL_EC_PARAMETERS, LABEL_EC_PRIVATE_KEY, LABEL_ENCRYPTED_PRIVATE_KEY,
    LABEL_PRIVATE_KEY, LABEL_PUBLIC_KEY, LABEL_RSA_PRIVATE_KEY,
};
use super::{KeyAlgorithm, PemInput, PkiError};
use crate::bootstrap::secret::Sensitive;

/// A bare key pair, PEM (used for the service-account keys). `Debug` hides
/// the private half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairPem {
    /// The public key, one PKIX `PUBLIC KEY` block (`sa.pub`).
    pub public_pem: String,
    /// The private key (`sa.key`).
    pub private_pem: Sensitive<String>,
}

/// Generates a service-account key pair: `sa.key` as PKCS#8 PEM and
/// `sa.pub` as PKIX `PUBLIC KEY` PEM.
pub fn generate_service_account(alg: KeyAlgorithm) -> Result<KeyPairPem, PkiError> {
    let key = new_key_pair(alg)?;
    Ok(KeyPairPem { public_pem: key.public_key_pem(), private_pem: Sensitive::new(key.serialize_pem()) })
}

/// A fresh key pair for `alg`.
pub(super) fn new_key_pair(alg: KeyAlgorithm) -> Result<rcgen::KeyPair, PkiError> {
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

/// A private key reduced to what checks need.
pub(super) struct ParsedKey {
    pub(super) algorithm: KeyAlgorithm,
    /// The public half, as subjectPublicKey bits.
    pub(super) public_raw: Vec<u8>,
}

/// A public key reduced to what checks need.
pub(super) struct ParsedPublic {
    algorithm: KeyAlgorithm,
    public_raw: Vec<u8>,
}

/// Fails unless the public key is the private key's public half.
pub(super) fn check_public_matches(public: &ParsedPublic, private: &ParsedKey) -> Result<(), PkiError> {
    if public.algorithm == private.algorithm && public.public_raw == private.public_raw {
        Ok(())
    } else {
        Err(PkiError::PublicKeyMismatch)
    }
}

/// Decodes a private key PEM, names its key type and derives its public
/// half, refusing unsupported types, encrypted keys and labels that do not
/// match the contents.
pub(super) fn parse_private_key(private_pem: &str) -> Result<ParsedKey, PkiError> {
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
pub(super) fn parse_public_key(public_pem: &str) -> Result<ParsedPublic, PkiError> {
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
    let invalid = PkiError::InvalidPublicKey { problem: "the DER structure is not a SubjectPublicKeyInfo" };
    let spki = match SubjectPublicKeyInfo::from_der(&block.der) {
        Ok(([], spki)) => spki,
        _ => return Err(invalid),
    };
    let (kind, raw) = classify_spki(&spki).ok_or(invalid)?;
    match kind {
        KeyKind::Supported(algorithm) => Ok(ParsedPublic { algorithm, public_raw: raw.to_vec() }),
        KeyKind::Unsupported(key_type) => Err(PkiError::UnsupportedKey { input: PemInput::PublicKey, key_type }),
    }
}
