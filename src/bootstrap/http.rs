//! The one place HTTP(S) agents are built: the rustls crypto provider, the
//! trusted roots (public, a cluster's own CA, or none checked), a client
//! certificate, the timeouts, the user agent and the largest body read, for
//! every client of the provider: artifact manifests, the Kubernetes API and
//! the operator's `artifacts mirror` downloads.
//!
//! A GET answers with a [`Got`]: found (200), not found (404) or another
//! status, each with its body still unread; a failure before an answer is a
//! [`TransportError`] that says what kind it is, so callers never look into
//! error text.
//!
//! Everything here is blocking: callers in async code run it on a blocking
//! thread.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

/// The user agent of the provider's Kubernetes API requests.
pub const USER_AGENT: &str = concat!("terraform-provider-kubeadm/", env!("CARGO_PKG_VERSION"));

/// Timeouts, redirects, user agent and body limit of one kind of client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// Time allowed to open a connection.
    pub connect: Option<Duration>,
    /// Time allowed for one whole request, body included.
    pub whole: Option<Duration>,
    /// Time allowed from sending the request to the response head.
    pub response: Option<Duration>,
    /// Time allowed for each read of the body.
    pub per_read: Option<Duration>,
    /// Follow redirects (up to ten); otherwise a 3xx is the answer.
    pub follow_redirects: bool,
    /// The `User-Agent` sent; `None` sends ureq's own.
    pub user_agent: Option<&'static str>,
    /// Largest body read, in bytes.
    pub body_limit: u64,
}

/// Version manifests: 30 s for the whole read, at most 1 MiB.
pub const MANIFEST: Profile = Profile {
    connect: None,
    whole: Some(Duration::from_secs(30)),
    response: None,
    per_read: None,
    follow_redirects: true,
    user_agent: None,
    body_limit: 1 << 20,
};

/// The Kubernetes API: 10 s to connect, 60 s for a request, no redirects,
/// at most 64 MiB (a list of many Machines stays well below).
pub const KUBE_API: Profile = Profile {
    connect: Some(Duration::from_secs(10)),
    whole: Some(Duration::from_secs(60)),
    response: None,
    per_read: None,
    follow_redirects: false,
    user_agent: Some(USER_AGENT),
    body_limit: 64 << 20,
};

/// Release downloads: 15 s to connect, 60 s to the answer and between reads,
/// no limit on the whole (binaries are large), at most 1 GiB.
pub const DOWNLOAD: Profile = Profile {
    connect: Some(Duration::from_secs(15)),
    whole: None,
    response: Some(Duration::from_secs(60)),
    per_read: Some(Duration::from_secs(60)),
    follow_redirects: true,
    user_agent: None,
    body_limit: 1 << 30,
};

/// Which server certificates are accepted.
#[derive(Debug, Clone, Default)]
pub enum Roots {
    /// The public web PKI.
    #[default]
    Public,
    /// Only certificates issued by these CAs.
    Only(Vec<CertificateDer<'static>>),
    /// Any certificate (`insecure-skip-tls-verify`).
    Unverified,
}

/// A client certificate chain and its private key (PEM).
pub struct ClientCert<'a> {
    pub chain: &'a [CertificateDer<'static>],
    pub key_pem: &'a [u8],
}

/// The rustls crypto provider every TLS connection uses.
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A blocking HTTP(S) agent; clones share their connections.
#[derive(Clone)]
pub struct Agent {
    agent: ureq::Agent,
    body_limit: u64,
}

/// What a GET answered.
pub enum Got {
    /// 200, with the body.
    Found(Body),
    /// 404, with the body.
    NotFound(Body),
    /// Any other status, with the body.
    Status(u16, Body),
}

impl Got {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Got::Found(_) => 200,
            Got::NotFound(_) => 404,
            Got::Status(s, _) => *s,
        }
    }

    /// The body, unread.
    pub fn into_body(self) -> Body {
        match self {
            Got::Found(b) | Got::NotFound(b) | Got::Status(_, b) => b,
        }
    }
}

/// An unread response body, read at most up to the agent's body limit.
pub struct Body {
    body: ureq::Body,
    limit: u64,
}

impl Body {
    /// Reads the whole body.
    pub fn read(mut self) -> Result<Vec<u8>, TransportError> {
        self.body.with_config().limit(self.limit).read_to_vec().map_err(TransportError::from)
    }

    /// The body as a reader; past the limit a read fails.
    pub fn into_reader(self) -> impl Read + Send + 'static {
        self.body.into_with_config().limit(self.limit).reader()
    }
}

/// What kind of failure kept a request from an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// A timeout ran out.
    Timeout,
    /// The host name does not resolve.
    HostNotFound,
    /// The TLS handshake or session failed.
    Tls,
    /// Connecting, sending or reading failed otherwise.
    Connect,
}

/// A request that got no (complete) answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub kind: TransportKind,
    /// The cause alone, e.g. `global timeout` or the TLS error.
    pub detail: String,
    /// The whole message, as the HTTP library words it.
    message: String,
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

impl From<ureq::Error> for TransportError {
    fn from(e: ureq::Error) -> Self {
        let message = e.to_string();
        let (kind, detail) = match e {
            ureq::Error::Timeout(t) => (TransportKind::Timeout, format!("{t} timeout")),
            ureq::Error::HostNotFound => (TransportKind::HostNotFound, message.clone()),
            ureq::Error::Rustls(e) => (TransportKind::Tls, e.to_string()),
            ureq::Error::Tls(e) => (TransportKind::Tls, e.to_string()),
            ureq::Error::Io(io) => {
                if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    (TransportKind::Tls, tls.to_string())
                } else if io.kind() == std::io::ErrorKind::TimedOut {
                    (TransportKind::Timeout, io.to_string())
                } else {
                    (TransportKind::Connect, io.to_string())
                }
            }
            other => (TransportKind::Connect, other.to_string()),
        };
        TransportError { kind, detail, message }
    }
}

impl Agent {
    /// An agent trusting the public web PKI, without a client certificate.
    pub fn new(profile: &Profile) -> Agent {
        Agent::build(profile, ureq::tls::TlsConfig::builder().unversioned_rustls_crypto_provider(crypto_provider()))
    }

    /// An agent trusting `roots` and presenting `client_cert`; fails only
    /// when the client key is not a usable PEM private key.
    pub fn with_tls(profile: &Profile, roots: &Roots, client_cert: Option<ClientCert<'_>>) -> Result<Agent, String> {
        let mut tls = ureq::tls::TlsConfig::builder().unversioned_rustls_crypto_provider(crypto_provider());
        match roots {
            Roots::Public => {}
            Roots::Only(ca) => {
                let roots: Vec<ureq::tls::Certificate<'static>> =
                    ca.iter().map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned()).collect();
                tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&roots));
            }
            Roots::Unverified => tls = tls.disable_verification(true),
        }
        if let Some(cert) = client_cert {
            let chain: Vec<ureq::tls::Certificate<'static>> =
                cert.chain.iter().map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned()).collect();
            let key = ureq::tls::PrivateKey::from_pem(cert.key_pem)
                .map_err(|_| "the client key is not a usable PEM private key".to_string())?;
            tls = tls.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&chain, key)));
        }
        Ok(Agent::build(profile, tls))
    }

    fn build(profile: &Profile, tls: ureq::tls::TlsConfigBuilder) -> Agent {
        let mut config = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .timeout_connect(profile.connect)
            .timeout_global(profile.whole)
            .timeout_recv_response(profile.response)
            .timeout_per_read(profile.per_read);
        if !profile.follow_redirects {
            config = config.max_redirects(0).max_redirects_will_error(false);
        }
        if let Some(ua) = profile.user_agent {
            config = config.user_agent(ua);
        }
        Agent { agent: config.build().into(), body_limit: profile.body_limit }
    }

    /// GETs `url` with `headers`.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Got, TransportError> {
        let mut req = self.agent.get(url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.call()?;
        let status = resp.status().as_u16();
        let body = Body { body: resp.into_body(), limit: self.body_limit };
        Ok(match status {
            200 => Got::Found(body),
            404 => Got::NotFound(body),
            s => Got::Status(s, body),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_say_their_kind() {
        let e = TransportError::from(ureq::Error::HostNotFound);
        assert_eq!(e.kind, TransportKind::HostNotFound);
        assert_eq!(e.to_string(), "host not found");
        let e = TransportError::from(ureq::Error::Timeout(ureq::Timeout::Global));
        assert_eq!(e.kind, TransportKind::Timeout);
        assert_eq!(e.detail, "global timeout");
        assert_eq!(e.to_string(), "timeout: global");
        let e = TransportError::from(ureq::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)));
        assert_eq!(e.kind, TransportKind::Connect);
        assert_eq!(e.to_string(), format!("io: {}", e.detail));
    }

    #[test]
    fn answers_are_sorted_by_status() {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let serve = std::thread::spawn(move || {
            for status in ["200 OK", "404 Not Found", "500 Internal Server Error"] {
                let (mut s, _) = server.accept().unwrap();
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap();
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                assert!(head.contains("x-probe: 1"), "{head}");
                let reply = format!("HTTP/1.1 {status}\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbody");
                std::io::Write::write_all(&mut s, reply.as_bytes()).unwrap();
            }
        });
        let agent = Agent::new(&MANIFEST);
        let url = format!("http://{addr}/m");
        let got = agent.get(&url, &[("x-probe", "1")]).unwrap();
        assert!(matches!(got, Got::Found(_)));
        assert_eq!(got.into_body().read().unwrap(), b"body");
        assert!(matches!(agent.get(&url, &[("x-probe", "1")]).unwrap(), Got::NotFound(_)));
        assert_eq!(agent.get(&url, &[("x-probe", "1")]).unwrap().status(), 500);
        serve.join().unwrap();
    }
}
