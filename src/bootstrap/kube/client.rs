//! The blocking HTTPS client: one GET at a time, authenticated by a static
//! credential or an exec plugin's.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rustls::pki_types::CertificateDer;
use serde_json::Value as Json;

use super::*;
use crate::bootstrap::secret::Sensitive;

/// Largest response body read (a list of many Machines stays well below).
const MAX_RESPONSE_BYTES: u64 = 64 << 20;
/// Time allowed to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one whole request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A blocking Kubernetes API client on ureq.
pub struct Client {
    agent: ureq::Agent,
    server: String,
    pub(super) authorization: Option<Sensitive<String>>,
    /// Trust settings, to build an agent for a client certificate a plugin returns.
    trust: Trust,
    /// The plugin that supplies credentials, and what it last supplied.
    exec: Option<(ExecPlugin, Mutex<Option<ExecAuth>>)>,
}

/// How the server's certificate is checked.
#[derive(Clone)]
struct Trust {
    ca: Option<Vec<CertificateDer<'static>>>,
    insecure: bool,
}

/// Requests authenticated by one credential of an exec plugin.
#[derive(Clone)]
struct ExecAuth {
    credential: Arc<ExecCredential>,
    agent: ureq::Agent,
    authorization: Option<Sensitive<String>>,
}

/// What the next request goes out with.
pub(super) struct RequestAuth {
    pub(super) agent: ureq::Agent,
    pub(super) authorization: Option<Sensitive<String>>,
    /// The plugin's credential it carries, when a plugin supplied it.
    pub(super) credential: Option<Arc<ExecCredential>>,
}

/// A ureq agent trusting `trust` and presenting `client_cert`.
fn build_agent(
    trust: &Trust,
    client_cert: Option<&(Vec<CertificateDer<'static>>, Sensitive<Vec<u8>>)>,
) -> Result<ureq::Agent, String> {
    let mut tls = ureq::tls::TlsConfig::builder().unversioned_rustls_crypto_provider(crypto_provider());
    if trust.insecure {
        tls = tls.disable_verification(true);
    } else if let Some(ca) = &trust.ca {
        let roots: Vec<ureq::tls::Certificate<'static>> =
            ca.iter().map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned()).collect();
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&roots));
    }
    if let Some((certs, key)) = client_cert {
        let chain: Vec<ureq::tls::Certificate<'static>> =
            certs.iter().map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned()).collect();
        // The key was checked already; ureq parses the same PEM again.
        let key = ureq::tls::PrivateKey::from_pem(key.expose())
            .map_err(|_| "the client key is not a usable PEM private key".to_string())?;
        tls = tls.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&chain, key)));
    }
    Ok(ureq::Agent::config_builder()
        .tls_config(tls.build())
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(REQUEST_TIMEOUT))
        .user_agent(concat!("terraform-provider-kubeadm/", env!("CARGO_PKG_VERSION")))
        .build()
        .into())
}

fn bearer(token: &Sensitive<String>) -> Sensitive<String> {
    Sensitive::new(format!("Bearer {}", token.expose()))
}

impl Client {
    /// A client for `conn`. An exec plugin runs on the first request, not here.
    pub fn new(conn: &Connection) -> Result<Client, KubeError> {
        let trust = Trust { ca: conn.ca.clone(), insecure: conn.insecure };
        let agent = build_agent(&trust, conn.client_cert.as_ref())
            .map_err(|e| KubeError::setting("client_key", "Invalid client key", e))?;
        let authorization = if let Some(t) = &conn.token {
            Some(bearer(t))
        } else {
            conn.basic.as_ref().map(|(u, p)| {
                let raw = format!("{u}:{}", p.expose());
                Sensitive::new(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw)))
            })
        };
        let exec = conn.exec.clone().map(|p| (p, Mutex::new(None)));
        Ok(Client { agent, server: conn.server.clone(), authorization, trust, exec })
    }

    /// The agent and Authorization header for the next request. With an
    /// exec plugin: its credential (cached, run again once expired, or when
    /// `refused` is the credential the cache still holds).
    pub(super) fn auth(&self, refused: Option<&Arc<ExecCredential>>) -> Result<RequestAuth, KubeError> {
        let Some((plugin, current)) = &self.exec else {
            return Ok(RequestAuth {
                agent: self.agent.clone(),
                authorization: self.authorization.clone(),
                credential: None,
            });
        };
        let credential = exec_credential(plugin, refused)?;
        let mut current = current.lock().unwrap_or_else(|p| p.into_inner());
        let auth = match current.as_ref() {
            Some(a) if Arc::ptr_eq(&a.credential, &credential) => a.clone(),
            _ => {
                let agent = build_agent(&self.trust, credential.client_cert.as_ref())
                    .map_err(|e| plugin.error(format!("the client key it returned cannot be used: {e}")))?;
                let auth = ExecAuth {
                    credential: Arc::clone(&credential),
                    agent,
                    authorization: credential.token.as_ref().map(bearer),
                };
                *current = Some(auth.clone());
                auth
            }
        };
        Ok(RequestAuth { agent: auth.agent, authorization: auth.authorization, credential: Some(credential) })
    }

    /// One GET: the status and the body.
    fn send(
        &self,
        agent: &ureq::Agent,
        authorization: Option<&Sensitive<String>>,
        path: &str,
    ) -> Result<(u16, Vec<u8>), KubeError> {
        let url = format!("{}{path}", self.server);
        let mut req = agent.get(&url).header("Accept", "application/json");
        if let Some(a) = authorization {
            req = req.header("Authorization", a.expose().as_str());
        }
        let resp = req.call().map_err(|e| self.transport_error(e))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| self.transport_error(e))?;
        Ok((status, body))
    }

    fn transport_error(&self, e: ureq::Error) -> KubeError {
        let host = self.server.clone();
        match e {
            ureq::Error::Timeout(t) => KubeError::Timeout { host, reason: format!("{t} timeout") },
            ureq::Error::HostNotFound => {
                KubeError::Connect { host, reason: "the host name does not resolve".to_string() }
            }
            ureq::Error::Rustls(e) => KubeError::Tls { host, reason: e.to_string() },
            ureq::Error::Tls(e) => KubeError::Tls { host, reason: e.to_string() },
            ureq::Error::Io(io) => {
                if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    KubeError::Tls { host, reason: tls.to_string() }
                } else if io.kind() == std::io::ErrorKind::TimedOut {
                    KubeError::Timeout { host, reason: io.to_string() }
                } else {
                    KubeError::Connect { host, reason: io.to_string() }
                }
            }
            other => KubeError::Connect { host, reason: other.to_string() },
        }
    }
}

/// The `message` of a Kubernetes Status body, or the start of the body.
fn status_message(body: &[u8]) -> String {
    let msg = serde_json::from_slice::<Json>(body)
        .ok()
        .and_then(|j| j.get("message").and_then(Json::as_str).map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_string());
    let msg: String = msg.chars().filter(|c| !c.is_control()).collect();
    if msg.chars().count() > 400 {
        format!("{}…", msg.chars().take(400).collect::<String>())
    } else if msg.is_empty() {
        "no details".to_string()
    } else {
        msg
    }
}

impl Api for Client {
    fn host(&self) -> &str {
        &self.server
    }

    fn get(&self, path: &str, access: &Access) -> Result<Option<Json>, KubeError> {
        let auth = self.auth(None)?;
        let (mut status, mut body) = self.send(&auth.agent, auth.authorization.as_ref(), path)?;
        // A plugin's credential the server refuses is replaced once, as
        // client-go does (the plugin may have rotated it early).
        if status == 401 {
            if let Some(refused) = &auth.credential {
                let fresh = self.auth(Some(refused))?;
                (status, body) = self.send(&fresh.agent, fresh.authorization.as_ref(), path)?;
            }
        }
        let host = self.server.clone();
        match status {
            200 => serde_json::from_slice(&body).map(Some).map_err(|e| KubeError::Invalid {
                host,
                path: path.to_string(),
                reason: format!("the body is not JSON ({e})"),
            }),
            404 => Ok(None),
            401 => Err(KubeError::Unauthorized { host }),
            403 => Err(KubeError::Forbidden {
                host,
                verb: access.verb,
                resource: access.resource.clone(),
                namespace: access.namespace.clone(),
                message: status_message(&body),
            }),
            _ => Err(KubeError::Status { host, path: path.to_string(), status, message: status_message(&body) }),
        }
    }
}
