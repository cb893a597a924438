//! The blocking HTTPS client: one GET at a time, authenticated by a static
//! credential or an exec plugin's.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use rustls::pki_types::CertificateDer;
use serde_json::Value as Json;

use super::*;
use crate::bootstrap::http;
use crate::bootstrap::secret::Sensitive;

/// A blocking Kubernetes API client.
pub struct Client {
    agent: http::Agent,
    server: String,
    pub(super) authorization: Option<Sensitive<String>>,
    /// Trust settings, to build an agent for a client certificate a plugin returns.
    trust: http::Roots,
    /// The plugin that supplies credentials, and what it last supplied.
    exec: Option<(ExecPlugin, Mutex<Option<ExecAuth>>)>,
}

/// Requests authenticated by one credential of an exec plugin.
#[derive(Clone)]
struct ExecAuth {
    credential: Arc<ExecCredential>,
    agent: http::Agent,
    authorization: Option<Sensitive<String>>,
}

/// What the next request goes out with.
pub(super) struct RequestAuth {
    pub(super) agent: http::Agent,
    pub(super) authorization: Option<Sensitive<String>>,
    /// The plugin's credential it carries, when a plugin supplied it.
    pub(super) credential: Option<Arc<ExecCredential>>,
}

/// An agent trusting `trust` and presenting `client_cert`.
fn build_agent(
    trust: &http::Roots,
    client_cert: Option<&(Vec<CertificateDer<'static>>, Sensitive<Vec<u8>>)>,
) -> Result<http::Agent, String> {
    // The key was checked already; the TLS library parses the same PEM again.
    let cert = client_cert.map(|(chain, key)| http::ClientCert { chain, key_pem: key.expose() });
    http::Agent::with_tls(&http::KUBE_API, trust, cert)
}

fn bearer(token: &Sensitive<String>) -> Sensitive<String> {
    Sensitive::new(format!("Bearer {}", token.expose()))
}

impl Client {
    /// A client for `conn`. An exec plugin runs on the first request, not here.
    pub fn new(conn: &Connection) -> Result<Client, KubeError> {
        let trust = match (&conn.ca, conn.insecure) {
            (_, true) => http::Roots::Unverified,
            (Some(ca), false) => http::Roots::Only(ca.clone()),
            (None, false) => http::Roots::Public,
        };
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
        agent: &http::Agent,
        authorization: Option<&Sensitive<String>>,
        path: &str,
    ) -> Result<(u16, Vec<u8>), KubeError> {
        let url = format!("{}{path}", self.server);
        let mut headers = vec![("Accept", "application/json")];
        if let Some(a) = authorization {
            headers.push(("Authorization", a.expose().as_str()));
        }
        let got = agent.get(&url, &headers).map_err(|e| self.transport_error(e))?;
        let status = got.status();
        let body = got.into_body().read().map_err(|e| self.transport_error(e))?;
        Ok((status, body))
    }

    fn transport_error(&self, e: http::TransportError) -> KubeError {
        let host = self.server.clone();
        match e.kind {
            http::TransportKind::Timeout => KubeError::Timeout { host, reason: e.detail },
            http::TransportKind::HostNotFound => {
                KubeError::Connect { host, reason: "the host name does not resolve".to_string() }
            }
            http::TransportKind::Tls => KubeError::Tls { host, reason: e.detail },
            http::TransportKind::Connect => KubeError::Connect { host, reason: e.detail },
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
