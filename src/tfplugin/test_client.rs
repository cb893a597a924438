//! Terraform's side of the AutoMTLS handshake, for the provider's own
//! handshake tests and benchmarks: a client certificate shaped like the one
//! go-plugin makes for Terraform (`PLUGIN_CLIENT_CERT`), and a TLS client
//! configured the way go-plugin configures Terraform's. Nothing in the
//! provider itself uses this module.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::SupportedProtocolVersion;

/// A client certificate and its key, plus the PEM text Terraform would put
/// in `PLUGIN_CLIENT_CERT`.
pub struct ClientIdentity {
    /// The certificate, DER.
    pub cert: CertificateDer<'static>,
    /// Its private key, PKCS#8.
    pub key: PrivateKeyDer<'static>,
    /// The certificate as PEM.
    pub pem: String,
}

/// Mints a certificate shaped like go-plugin's AutoMTLS client certificate:
/// a self-signed ECDSA P-521 CA, CN=localhost, O=HashiCorp, client and
/// server auth, valid for about 30 years. Every call makes a new key, so two
/// calls give two distinct certificates with the very same subject.
pub fn terraform_like_identity() -> ClientIdentity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("certificate parameters");
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, "localhost");
    name.push(rcgen::DnType::OrganizationName, "HashiCorp");
    params.distinguished_name = name;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyAgreement,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages =
        vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth, rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let now = SystemTime::now();
    params.not_before = (now - Duration::from_secs(30)).into();
    params.not_after = (now + Duration::from_secs(262_980 * 3600)).into();
    let cert = params.self_signed(&key).expect("self-signed certificate");
    ClientIdentity {
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        pem: cert.pem(),
    }
}

/// A TLS client set up like Terraform's: the server certificate the plugin
/// announced as the only root, ALPN `h2`, the given protocol versions (all
/// safe defaults when `None`) and, optionally, a client certificate.
pub fn terraform_like_client(
    server_cert_der: &[u8],
    identity: Option<&ClientIdentity>,
    versions: Option<&[&'static SupportedProtocolVersion]>,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(server_cert_der.to_vec())).expect("the server certificate as a root");
    let provider = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let builder = match versions {
        Some(v) => provider.with_protocol_versions(v),
        None => provider.with_safe_default_protocol_versions(),
    }
    .expect("protocol versions")
    .with_root_certificates(roots);
    let mut config = match identity {
        Some(id) => {
            builder.with_client_auth_cert(vec![id.cert.clone()], id.key.clone_key()).expect("client certificate")
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}
