//! The key algorithms kubeadm supports and the three certificate
//! authorities of a cluster.

use std::fmt;
use std::str::FromStr;

use super::PkiError;

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
    pub(super) fn signer(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
            Self::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        }
    }

    /// The algorithm for an RSA modulus of `bits` bits, if supported.
    pub(super) fn rsa_with_bits(bits: usize) -> Option<Self> {
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
pub(super) fn algorithm_names() -> String {
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
    /// All roles, in the order of [`PKI_FILES`](super::PKI_FILES).
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
