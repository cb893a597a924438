//! What type of key a SubjectPublicKeyInfo or a DER private key holds, as
//! far as kubeadm is concerned.

use x509_parser::asn1_rs::Tag;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::der::*;
use super::KeyAlgorithm;

/// A key's type as far as kubeadm is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum KeyKind {
    /// One of the algorithms kubeadm supports.
    Supported(KeyAlgorithm),
    /// Anything else, with a readable name such as `RSA-1024`.
    Unsupported(String),
}

impl KeyKind {
    /// The supported algorithm, if it is one.
    pub(super) fn algorithm(&self) -> Option<KeyAlgorithm> {
        match self {
            Self::Supported(alg) => Some(*alg),
            Self::Unsupported(_) => None,
        }
    }

    /// A readable name such as `ECDSA-P256` or `Ed25519`.
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Supported(alg) => alg.as_str().to_owned(),
            Self::Unsupported(name) => name.clone(),
        }
    }
}

/// The DER encodings a private key PEM block may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeySyntax {
    /// `PRIVATE KEY`: PKCS#8 PrivateKeyInfo.
    Pkcs8,
    /// `RSA PRIVATE KEY`: PKCS#1 RSAPrivateKey.
    Pkcs1,
    /// `EC PRIVATE KEY`: SEC1 ECPrivateKey.
    Sec1,
}

impl KeySyntax {
    /// What the block should have held, when it does not.
    pub(super) fn mismatch(self) -> &'static str {
        match self {
            Self::Pkcs8 => "the contents are not a PKCS#8 private key",
            Self::Pkcs1 => "the contents are not a PKCS#1 RSA private key",
            Self::Sec1 => "the contents are not a SEC1 EC private key that names its curve",
        }
    }
}

/// The key type of a SubjectPublicKeyInfo read by x509-parser and its
/// subjectPublicKey bits, or `None` when the key does not have the
/// structure its algorithm calls for.
pub(super) fn classify_spki<'a>(spki: &'a SubjectPublicKeyInfo<'_>) -> Option<(KeyKind, &'a [u8])> {
    let bits = &spki.subject_public_key;
    if bits.unused_bits != 0 || bits.data.is_empty() {
        return None;
    }
    let algorithm = &spki.algorithm;
    let oid = algorithm.algorithm.as_bytes();
    let kind = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => rsa_kind(integer_bits(rsa.modulus)?),
        Ok(PublicKey::EC(_)) => ec_kind(algorithm.parameters.as_ref().filter(|p| p.tag() == Tag::Oid).map(|p| p.data)),
        // Other key types are only named, whether or not their key reads.
        Ok(_) => other_kind(oid),
        Err(_) if oid != OID_RSA_ENCRYPTION => other_kind(oid),
        Err(_) => return None,
    };
    Some((kind, &bits.data))
}

/// The key type of a DER private key in the given syntax, or `None` when
/// the contents do not have that syntax.
pub(super) fn classify_private_key(syntax: KeySyntax, der: &[u8]) -> Option<KeyKind> {
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
            Some(ec_kind(named_curve(params)))
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
                OID_EC_PUBLIC_KEY => Some(ec_kind(named_curve(params))),
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

/// The curve OID that DER EC parameters start with, if they name one.
fn named_curve(params: &[u8]) -> Option<&[u8]> {
    der_take(params, TAG_OID).map(|(curve, _)| curve)
}

/// The kind of an EC key from the named curve of its parameters.
fn ec_kind(curve: Option<&[u8]>) -> KeyKind {
    let Some(curve) = curve else {
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
