//! AutoMTLS for the plugin's gRPC server, the way go-plugin and Terraform
//! expect it.
//!
//! Terraform hands the plugin its own client certificate in
//! `PLUGIN_CLIENT_CERT` (a self-signed ECDSA P-521 certificate that is also a
//! CA). In return the plugin creates a throw-away server certificate, prints
//! it on the handshake line, and Terraform trusts exactly that certificate.
//! This module builds both halves: the server certificate and a rustls
//! [`ServerConfig`](rustls::ServerConfig) that demands a client certificate
//! and accepts only the one Terraform announced, compared byte for byte.
//!
//! It knows nothing of Kubernetes, gRPC services or the handshake line's other
//! fields; it only turns the PEM text into a ready TLS configuration.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// The only ALPN protocol offered. Terraform 1.12 and later refuse a plugin
/// server that does not negotiate `h2`.
const ALPN_H2: &[u8] = b"h2";

/// The host name Terraform verifies the server certificate against.
const SERVER_NAME: &str = "localhost";

/// How far back the server certificate's validity starts, so that a clock
/// step between generation and Terraform's check cannot make it "not yet
/// valid".
const NOT_BEFORE_MARGIN: Duration = Duration::from_secs(60);

/// How long the server certificate stays valid. It lives only as long as the
/// process and its key never leaves memory, so a long span costs nothing and
/// spares a long-running plugin from ever outliving its certificate.
const VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// Why the AutoMTLS configuration could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` is empty or only whitespace.
    #[error("PLUGIN_CLIENT_CERT is empty")]
    MissingClientCert,
    /// The PEM text is malformed (bad armour or base64).
    #[error("PLUGIN_CLIENT_CERT is not valid PEM: {0}")]
    Pem(String),
    /// The PEM text holds no `CERTIFICATE` block.
    #[error("PLUGIN_CLIENT_CERT holds no CERTIFICATE block")]
    NoCertificate,
    /// The PEM text holds more than one certificate; the pin must be a single one.
    #[error("PLUGIN_CLIENT_CERT holds {0} certificates, expected exactly one")]
    MultipleCertificates(usize),
    /// The `CERTIFICATE` block does not decode as an X.509 certificate.
    #[error("PLUGIN_CLIENT_CERT certificate cannot be parsed: {0}")]
    InvalidCertificate(String),
    /// Generating the server key or certificate failed.
    #[error("cannot generate the server certificate: {0}")]
    ServerCert(String),
    /// rustls refused the server configuration.
    #[error("cannot build the TLS server configuration: {0}")]
    Config(String),
}

/// A TLS server configuration for go-plugin's AutoMTLS, with the server
/// certificate the client must be told about.
#[derive(Debug, Clone)]
pub struct AutoMtls {
    /// Ready for `tokio_rustls::TlsAcceptor::from`: TLS 1.3 and 1.2, ALPN `h2`,
    /// a mandatory client certificate pinned to `PLUGIN_CLIENT_CERT`.
    pub server_config: Arc<rustls::ServerConfig>,
    /// DER of the freshly generated, self-signed server certificate.
    pub server_cert_der: Vec<u8>,
}

impl AutoMtls {
    /// Builds the configuration from the PEM text of `PLUGIN_CLIENT_CERT`.
    ///
    /// The text must hold exactly one `CERTIFICATE` block; other PEM blocks
    /// are ignored. A new server key and certificate are generated on every
    /// call.
    pub fn from_client_cert_pem(pem: &str) -> Result<Self, TlsError> {
        let client_cert = parse_single_cert(pem)?;
        let (server_cert, server_key) = generate_server_cert()?;
        let server_cert_der = server_cert.as_ref().to_vec();

        // Naming the provider here, rather than relying on a process-wide
        // default, keeps this usable no matter what else the process installs.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = Arc::new(PinnedClientCert::new(client_cert, provider.signature_verification_algorithms));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![server_cert], server_key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        config.alpn_protocols = vec![ALPN_H2.to_vec()];
        // Go's client, as go-plugin sets it up, keeps no resumption cache, so
        // resumption state here would be memory spent for nothing.
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;

        Ok(Self { server_config: Arc::new(config), server_cert_der })
    }

    /// The last field of the handshake line: the server certificate's DER in
    /// standard base64 without `=` padding, which is what go-plugin decodes.
    pub fn server_cert_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&self.server_cert_der)
    }
}

/// Tells whether a failed TLS accept was the pinning verifier turning away a
/// client certificate other than `PLUGIN_CLIENT_CERT` (as opposed to a
/// missing certificate, a protocol error or a dropped connection).
///
/// `tokio_rustls` reports handshake failures as an [`std::io::Error`] wrapping
/// the [`rustls::Error`]; the rejection is
/// `InvalidCertificate(ApplicationVerificationFailure)`, which nothing else in
/// this configuration produces.
pub fn is_client_cert_mismatch(err: &std::io::Error) -> bool {
    matches!(
        err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
    )
}

/// Extracts the one certificate of the PEM text and checks that it is X.509.
fn parse_single_cert(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    if pem.trim().is_empty() {
        return Err(TlsError::MissingClientCert);
    }
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem(e.to_string()))?;
    let cert = match <[_; 1]>::try_from(certs) {
        Ok([cert]) => cert,
        Err(certs) if certs.is_empty() => return Err(TlsError::NoCertificate),
        Err(certs) => return Err(TlsError::MultipleCertificates(certs.len())),
    };
    // Pinning compares bytes and never needs the parsed form, but a block
    // that is not a certificate at all would only surface later as every
    // handshake failing; better to say so at start-up.
    match x509_parser::parse_x509_certificate(cert.as_ref()) {
        Ok(([], _)) => Ok(cert),
        Ok((rest, _)) => {
            Err(TlsError::InvalidCertificate(format!("{} unexpected bytes after the certificate", rest.len())))
        }
        Err(e) => Err(TlsError::InvalidCertificate(e.to_string())),
    }
}

/// Creates the self-signed server certificate and its key.
fn generate_server_cert() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let fail = |e: rcgen::Error| TlsError::ServerCert(e.to_string());
    // P-256 is the cheapest key to generate and sign with, and every Go
    // client accepts it.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(fail)?;

    let mut params = rcgen::CertificateParams::new(vec![SERVER_NAME.to_string()]).map_err(fail)?;
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, SERVER_NAME);
    params.distinguished_name = name;
    // Unlike go-plugin's own certificate this one is not a CA: Go does not
    // mind either way when the leaf is itself the pinned root, but
    // webpki-based clients refuse a CA certificate as the end entity.
    params.is_ca = rcgen::IsCa::NoCa;
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let now = SystemTime::now();
    params.not_before = now.checked_sub(NOT_BEFORE_MARGIN).unwrap_or(SystemTime::UNIX_EPOCH).into();
    params.not_after =
        now.checked_add(VALIDITY).ok_or_else(|| TlsError::ServerCert("validity end out of range".to_string()))?.into();

    let cert = params.self_signed(&key).map_err(fail)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().clone(), key_der))
}

/// Client certificate verifier that accepts exactly one certificate.
///
/// Path validation is deliberately skipped: Terraform's certificate is a CA
/// used as its own end entity, which webpki rejects, and the pin makes a
/// chain meaningless anyway. Proof of possession of the private key still
/// comes from the handshake signature, checked against the pinned
/// certificate's public key. Validity dates are not checked either: Terraform
/// mints the certificate seconds before starting the plugin.
#[derive(Debug)]
struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCert {
    fn new(pinned: CertificateDer<'static>, algorithms: WebPkiSupportedAlgorithms) -> Self {
        Self { pinned, algorithms }
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // An empty list keeps Go from filtering its certificate by issuer
        // before deciding whether to send it.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Whatever else the client sends along cannot change who it is: the
        // leaf alone is pinned.
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // aws-lc-rs's list includes ECDSA P-521 with SHA-512, the scheme
        // Terraform's key signs with.
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    use crate::tfplugin::test_client::{terraform_like_client, terraform_like_identity, ClientIdentity};
    use rustls::pki_types::ServerName;
    use rustls::{ProtocolVersion, SupportedProtocolVersion};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio_rustls::{TlsAcceptor, TlsConnector};

    const TIMEOUT: Duration = Duration::from_secs(10);

    /// A client configured the way go-plugin configures Terraform's, at one
    /// protocol version.
    fn go_like_client(
        server_cert_der: &[u8],
        identity: Option<&ClientIdentity>,
        version: &'static SupportedProtocolVersion,
    ) -> Arc<rustls::ClientConfig> {
        terraform_like_client(server_cert_der, identity, Some(&[version]))
    }

    /// What one side saw of a connection that got as far as exchanging data.
    #[derive(Debug, PartialEq)]
    struct Negotiated {
        alpn: Option<Vec<u8>>,
        version: Option<ProtocolVersion>,
    }

    /// Runs one connection over loopback: the client sends "ping", the
    /// server answers "pong". Returns each side's outcome.
    async fn ping_pong(
        server_config: Arc<rustls::ServerConfig>,
        client_config: Arc<rustls::ClientConfig>,
    ) -> (io::Result<Negotiated>, io::Result<Negotiated>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = TlsAcceptor::from(server_config);
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await?;
            let mut tls = acceptor.accept(tcp).await?;
            let mut buf = [0u8; 4];
            tls.read_exact(&mut buf).await?;
            if &buf != b"ping" {
                return Err(io::Error::other("server got a wrong request"));
            }
            tls.write_all(b"pong").await?;
            tls.flush().await?;
            let conn = tls.get_ref().1;
            Ok(Negotiated { alpn: conn.alpn_protocol().map(<[u8]>::to_vec), version: conn.protocol_version() })
        });
        let client = async {
            let tcp = TcpStream::connect(addr).await?;
            let name = ServerName::try_from("localhost").unwrap();
            let mut tls = TlsConnector::from(client_config).connect(name, tcp).await?;
            tls.write_all(b"ping").await?;
            tls.flush().await?;
            let mut buf = [0u8; 4];
            tls.read_exact(&mut buf).await?;
            if &buf != b"pong" {
                return Err(io::Error::other("client got a wrong reply"));
            }
            let conn = tls.get_ref().1;
            Ok(Negotiated { alpn: conn.alpn_protocol().map(<[u8]>::to_vec), version: conn.protocol_version() })
        };
        let client = tokio::time::timeout(TIMEOUT, client).await.expect("client timed out");
        let server =
            tokio::time::timeout(TIMEOUT, server).await.expect("server timed out").expect("server task panicked");
        (server, client)
    }

    fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
        err.get_ref()?.downcast_ref::<rustls::Error>()
    }

    const VERSIONS: [(&SupportedProtocolVersion, ProtocolVersion); 2] =
        [(&rustls::version::TLS13, ProtocolVersion::TLSv1_3), (&rustls::version::TLS12, ProtocolVersion::TLSv1_2)];

    #[tokio::test]
    async fn pinned_client_cert_completes_handshake_with_h2() {
        let terraform = terraform_like_identity();
        let mtls = AutoMtls::from_client_cert_pem(&terraform.pem).unwrap();
        for (version, expected) in VERSIONS {
            let client = go_like_client(&mtls.server_cert_der, Some(&terraform), version);
            let (server, client) = ping_pong(mtls.server_config.clone(), client).await;
            let want = Negotiated { alpn: Some(b"h2".to_vec()), version: Some(expected) };
            assert_eq!(server.unwrap(), want, "server side, {expected:?}");
            assert_eq!(client.unwrap(), want, "client side, {expected:?}");
        }
    }

    #[tokio::test]
    async fn other_client_cert_with_same_subject_is_refused() {
        let terraform = terraform_like_identity();
        let impostor = terraform_like_identity();
        assert_ne!(terraform.cert, impostor.cert);
        let mtls = AutoMtls::from_client_cert_pem(&terraform.pem).unwrap();
        for (version, expected) in VERSIONS {
            let client = go_like_client(&mtls.server_cert_der, Some(&impostor), version);
            let (server, client) = ping_pong(mtls.server_config.clone(), client).await;
            let err = server.expect_err("server accepted an unpinned certificate");
            assert!(is_client_cert_mismatch(&err), "{expected:?}: unexpected server error {err:?}");
            assert!(client.is_err(), "{expected:?}: client exchanged data");
        }
    }

    #[tokio::test]
    async fn missing_client_cert_is_refused() {
        let terraform = terraform_like_identity();
        let mtls = AutoMtls::from_client_cert_pem(&terraform.pem).unwrap();
        for (version, expected) in VERSIONS {
            let client = go_like_client(&mtls.server_cert_der, None, version);
            let (server, client) = ping_pong(mtls.server_config.clone(), client).await;
            let err = server.expect_err("server accepted a client without certificate");
            assert_eq!(
                rustls_error(&err),
                Some(&rustls::Error::NoCertificatesPresented),
                "{expected:?}: unexpected server error {err:?}"
            );
            assert!(!is_client_cert_mismatch(&err));
            assert!(client.is_err(), "{expected:?}: client exchanged data");
        }
    }

    #[test]
    fn server_config_offers_only_h2() {
        let terraform = terraform_like_identity();
        let mtls = AutoMtls::from_client_cert_pem(&terraform.pem).unwrap();
        assert_eq!(mtls.server_config.alpn_protocols, vec![b"h2".to_vec()]);
    }

    #[test]
    fn server_cert_base64_is_unpadded_standard_base64_of_the_der() {
        let terraform = terraform_like_identity();
        // Padding only shows when the DER length is not a multiple of three,
        // and that length varies with the signature; try until it is not.
        let mut saw_padding_case = false;
        for _ in 0..32 {
            let mtls = AutoMtls::from_client_cert_pem(&terraform.pem).unwrap();
            let encoded = mtls.server_cert_base64();
            assert!(!encoded.contains('='));
            assert_eq!(encoded.len(), (mtls.server_cert_der.len() * 4).div_ceil(3));
            let decoded = base64::engine::general_purpose::STANDARD_NO_PAD.decode(&encoded).unwrap();
            assert_eq!(decoded, mtls.server_cert_der);
            if !mtls.server_cert_der.len().is_multiple_of(3) {
                saw_padding_case = true;
                break;
            }
        }
        assert!(saw_padding_case, "every DER length was a multiple of three");
    }

    #[test]
    fn server_cert_fits_what_go_checks() {
        use x509_parser::extensions::GeneralName;

        let terraform = terraform_like_identity();
        let mtls = AutoMtls::from_client_cert_pem(&terraform.pem).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&mtls.server_cert_der).unwrap();
        assert!(cert.validity().is_valid());
        let san = cert.subject_alternative_name().unwrap().unwrap();
        assert!(san.value.general_names.contains(&GeneralName::DNSName("localhost")));
        let eku = cert.extended_key_usage().unwrap().unwrap();
        assert!(eku.value.server_auth);
        assert!(!cert.is_ca());

        // A fresh key and certificate every time.
        let again = AutoMtls::from_client_cert_pem(&terraform.pem).unwrap();
        assert_ne!(again.server_cert_der, mtls.server_cert_der);
    }

    #[test]
    fn verifier_demands_a_cert_hints_nothing_and_pins_the_leaf_only() {
        let terraform = terraform_like_identity();
        let other = terraform_like_identity();
        let algorithms = rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
        let verifier = PinnedClientCert::new(terraform.cert.clone(), algorithms);
        assert!(verifier.offer_client_auth());
        assert!(verifier.client_auth_mandatory());
        assert!(verifier.root_hint_subjects().is_empty());
        assert!(verifier.supported_verify_schemes().contains(&SignatureScheme::ECDSA_NISTP521_SHA512));

        let now = UnixTime::now();
        assert!(verifier.verify_client_cert(&terraform.cert, &[], now).is_ok());
        assert!(verifier.verify_client_cert(&terraform.cert, std::slice::from_ref(&other.cert), now).is_ok());
        assert_eq!(
            verifier.verify_client_cert(&other.cert, std::slice::from_ref(&terraform.cert), now).err(),
            Some(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
        );
    }

    #[test]
    fn pem_with_other_blocks_and_crlf_is_accepted() {
        let terraform = terraform_like_identity();
        let key_pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap().serialize_pem();
        let pem = format!("{key_pem}\n{}", terraform.pem).replace('\n', "\r\n");
        AutoMtls::from_client_cert_pem(&pem).unwrap();
    }

    #[test]
    fn bad_pem_is_rejected_with_a_clear_error() {
        let err = |pem: &str| AutoMtls::from_client_cert_pem(pem).unwrap_err();

        assert_eq!(err(""), TlsError::MissingClientCert);
        assert_eq!(err(" \n\t"), TlsError::MissingClientCert);
        assert_eq!(err("garbage"), TlsError::NoCertificate);

        let key_only = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap().serialize_pem();
        assert_eq!(err(&key_only), TlsError::NoCertificate);

        let two = format!("{}{}", terraform_like_identity().pem, terraform_like_identity().pem);
        assert_eq!(err(&two), TlsError::MultipleCertificates(2));

        let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(err(bad_base64), TlsError::Pem(_)));
        let unterminated = "-----BEGIN CERTIFICATE-----\nAAECAwQ=\n";
        assert!(matches!(err(unterminated), TlsError::Pem(_)));

        let not_x509 = "-----BEGIN CERTIFICATE-----\nAAECAwQ=\n-----END CERTIFICATE-----\n";
        assert!(matches!(err(not_x509), TlsError::InvalidCertificate(_)));

        assert_eq!(TlsError::NoCertificate.to_string(), "PLUGIN_CLIENT_CERT holds no CERTIFICATE block");
    }
}
