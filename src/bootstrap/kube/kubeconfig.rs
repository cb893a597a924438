//! Connection settings and kubeconfig files: reading a kubeconfig (and the
//! files it names), applying the direct settings over it, and checking every
//! certificate and key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use serde_json::Value as Json;

use super::*;
use crate::bootstrap::secret::Sensitive;

// ---------------------------------------------------------------------------
// Settings and kubeconfig

/// How to reach the management cluster, as the user gave it. Every field is
/// optional; direct fields override what the kubeconfig says.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Path of a kubeconfig file (`~` expanded).
    pub kubeconfig_path: Option<String>,
    /// Raw kubeconfig YAML.
    pub kubeconfig: Option<Sensitive<String>>,
    /// Context to use (default: the kubeconfig's current-context).
    pub context: Option<String>,
    /// API server URL.
    pub host: Option<String>,
    /// Bearer token.
    pub token: Option<Sensitive<String>>,
    /// Client certificate (PEM).
    pub client_certificate: Option<String>,
    /// Client private key (PEM).
    pub client_key: Option<Sensitive<String>>,
    /// CA certificate(s) of the API server (PEM).
    pub cluster_ca_certificate: Option<String>,
    /// Whether the kubeconfig user's `exec` credential plugin may run.
    pub allow_exec_plugins: bool,
}

/// A resolved connection: where to go and how to authenticate.
#[derive(Debug)]
pub struct Connection {
    /// The API server URL, without a trailing slash.
    pub server: String,
    /// Trusted CA certificates; `None` uses the bundled public roots.
    pub(super) ca: Option<Vec<CertificateDer<'static>>>,
    /// Skip server certificate verification.
    pub(super) insecure: bool,
    pub(super) token: Option<Sensitive<String>>,
    pub(super) basic: Option<(String, Sensitive<String>)>,
    pub(super) client_cert: Option<(Vec<CertificateDer<'static>>, Sensitive<Vec<u8>>)>,
    /// The exec plugin that supplies the credentials (run on the first request).
    pub(super) exec: Option<ExecPlugin>,
}

impl Connection {
    /// Whether requests carry any credential.
    pub fn has_credentials(&self) -> bool {
        self.token.is_some() || self.basic.is_some() || self.client_cert.is_some() || self.exec.is_some()
    }

    /// The exec plugin that supplies the credentials, when one does.
    pub fn exec_plugin(&self) -> Option<&ExecPlugin> {
        self.exec.as_ref()
    }
}

/// A resolved connection and the warnings found on the way.
#[derive(Debug)]
pub struct Resolved {
    pub connection: Connection,
    pub warnings: Vec<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct KubeconfigFile {
    clusters: Option<Vec<NamedCluster>>,
    contexts: Option<Vec<NamedContext>>,
    users: Option<Vec<NamedUser>>,
    current_context: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NamedCluster {
    name: String,
    cluster: Option<ClusterEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ClusterEntry {
    server: Option<String>,
    certificate_authority: Option<String>,
    certificate_authority_data: Option<String>,
    insecure_skip_tls_verify: Option<bool>,
    /// Named extensions; `client.authentication.k8s.io/exec` is passed to exec plugins.
    extensions: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Deserialize)]
struct NamedContext {
    name: String,
    context: Option<ContextEntry>,
}

#[derive(Debug, Default, Deserialize)]
struct ContextEntry {
    cluster: Option<String>,
    user: Option<String>,
}

/// Holds credentials: deliberately without `Debug`.
#[derive(Deserialize)]
struct NamedUser {
    name: String,
    user: Option<UserEntry>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct UserEntry {
    token: Option<String>,
    #[serde(rename = "tokenFile")]
    token_file: Option<String>,
    client_certificate: Option<String>,
    client_certificate_data: Option<String>,
    client_key: Option<String>,
    client_key_data: Option<String>,
    username: Option<String>,
    password: Option<String>,
    exec: Option<serde_yaml_ng::Value>,
    auth_provider: Option<serde_yaml_ng::Value>,
}

/// Expands a leading `~` to `home`.
pub fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(h)) => h.to_path_buf(),
        (Some(rest), Some(h)) if rest.starts_with('/') => h.join(rest.trim_start_matches('/')),
        _ => PathBuf::from(path),
    }
}

/// A parse error's position and gist, without quoting values (a mistyped
/// token would otherwise be echoed).
pub(super) fn yaml_error(e: &serde_yaml_ng::Error) -> String {
    let mut msg = String::new();
    let mut quoted = false;
    for c in e.to_string().chars() {
        if c == '`' {
            quoted = !quoted;
            msg.push_str(if quoted { "`…" } else { "`" });
        } else if !quoted {
            msg.push(c);
        }
    }
    msg
}

/// What the kubeconfig resolved to, before direct settings apply.
#[derive(Default)]
struct FromKubeconfig {
    server: Option<String>,
    ca_pem: Option<(Vec<u8>, String)>,
    insecure: bool,
    token: Option<Sensitive<String>>,
    basic: Option<(String, Sensitive<String>)>,
    cert_pem: Option<(Vec<u8>, String)>,
    key_pem: Option<Sensitive<Vec<u8>>>,
    /// The user entry's `exec` block, as written.
    exec: Option<serde_yaml_ng::Value>,
    /// The name of the user entry's auth-provider plugin.
    auth_provider: Option<String>,
    /// The cluster's `client.authentication.k8s.io/exec` extension, for exec plugins.
    exec_extension: Option<Json>,
    user_name: String,
    /// Where relative paths inside the kubeconfig resolve from.
    base_dir: PathBuf,
}

struct KubeconfigSource<'a> {
    /// The setting it came from: `kubeconfig_path` or `kubeconfig`.
    setting: &'static str,
    /// How to name it in messages.
    label: String,
    /// Where relative paths inside resolve from.
    base_dir: PathBuf,
    text: &'a str,
}

impl KubeconfigSource<'_> {
    fn err(&self, reason: String) -> KubeError {
        KubeError::setting(self.setting, "Invalid kubeconfig", format!("{}: {reason}", self.label))
    }

    /// Reads a file a kubeconfig entry names (relative to the kubeconfig).
    fn read_file(&self, what: &str, path: &str) -> Result<Vec<u8>, KubeError> {
        let p = self.base_dir.join(path);
        std::fs::read(&p).map_err(|e| self.err(format!("cannot read the {what} file {}: {e}", p.display())))
    }

    fn decode_data(&self, what: &str, data: &str) -> Result<Vec<u8>, KubeError> {
        let cleaned: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(cleaned.as_bytes())
            .map_err(|_| self.err(format!("{what} is not valid base64")))
    }

    fn parse(&self, context: Option<&str>) -> Result<FromKubeconfig, KubeError> {
        let file: KubeconfigFile = if self.text.trim().is_empty() {
            KubeconfigFile::default()
        } else {
            serde_yaml_ng::from_str(self.text)
                .map_err(|e| self.err(format!("not a valid kubeconfig: {}", yaml_error(&e))))?
        };
        let contexts = file.contexts.unwrap_or_default();
        let context_name = match context {
            Some(c) => c.to_string(),
            None => match file.current_context.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => c.to_string(),
                None => {
                    return Err(KubeError::setting(
                        "context",
                        "No kubeconfig context",
                        format!(
                            "{} has no current-context: set context to one of its contexts ({})",
                            self.label,
                            names(contexts.iter().map(|c| c.name.as_str()))
                        ),
                    ))
                }
            },
        };
        let Some(ctx) = contexts.iter().find(|c| c.name == context_name) else {
            return Err(KubeError::setting(
                if context.is_some() { "context" } else { self.setting },
                "Kubeconfig context not found",
                format!(
                    "{} has no context {context_name:?} (it has: {})",
                    self.label,
                    names(contexts.iter().map(|c| c.name.as_str()))
                ),
            ));
        };
        let ctx_entry = ctx.context.as_ref();
        let mut out = FromKubeconfig { base_dir: self.base_dir.clone(), ..Default::default() };
        if let Some(cluster_name) = ctx_entry.and_then(|c| c.cluster.as_deref()).filter(|c| !c.is_empty()) {
            let clusters = file.clusters.unwrap_or_default();
            let cluster = clusters.iter().find(|c| c.name == cluster_name).ok_or_else(|| {
                self.err(format!("context {context_name:?} names cluster {cluster_name:?}, which it does not define"))
            })?;
            let entry = cluster.cluster.as_ref();
            out.server = entry.and_then(|e| e.server.clone()).filter(|s| !s.is_empty());
            if let Some(data) = entry.and_then(|e| e.certificate_authority_data.as_deref()).filter(|d| !d.is_empty()) {
                let what = format!("certificate-authority-data of cluster {cluster_name:?}");
                out.ca_pem = Some((self.decode_data(&what, data)?, what));
            } else if let Some(path) = entry.and_then(|e| e.certificate_authority.as_deref()).filter(|p| !p.is_empty())
            {
                let what = format!("certificate-authority of cluster {cluster_name:?}");
                out.ca_pem = Some((self.read_file(&what, path)?, what));
            }
            out.insecure = entry.and_then(|e| e.insecure_skip_tls_verify).unwrap_or(false);
            out.exec_extension = entry
                .and_then(|e| e.extensions.as_ref())
                .and_then(|x| x.as_sequence())
                .into_iter()
                .flatten()
                .find(|x| x.get("name").and_then(|n| n.as_str()) == Some(EXEC_EXTENSION))
                .and_then(|x| x.get("extension"))
                .and_then(|v| serde_json::to_value(v).ok());
        } else {
            return Err(self.err(format!("context {context_name:?} names no cluster")));
        }
        if let Some(user_name) = ctx_entry.and_then(|c| c.user.as_deref()).filter(|u| !u.is_empty()) {
            let users = file.users.unwrap_or_default();
            let user = users.iter().find(|u| u.name == user_name).ok_or_else(|| {
                self.err(format!("context {context_name:?} names user {user_name:?}, which it does not define"))
            })?;
            out.user_name = user_name.to_string();
            let empty = UserEntry::default();
            let u = user.user.as_ref().unwrap_or(&empty);
            if let Some(t) = u.token.as_deref().filter(|t| !t.is_empty()) {
                out.token = Some(Sensitive::new(t.to_string()));
            } else if let Some(path) = u.token_file.as_deref().filter(|p| !p.is_empty()) {
                let bytes = self.read_file(&format!("tokenFile of user {user_name:?}"), path)?;
                let t = String::from_utf8(bytes)
                    .map_err(|_| self.err(format!("the tokenFile of user {user_name:?} is not text")))?;
                out.token = Some(Sensitive::new(t.trim().to_string()));
            }
            if let Some(data) = u.client_certificate_data.as_deref().filter(|d| !d.is_empty()) {
                let what = format!("client-certificate-data of user {user_name:?}");
                out.cert_pem = Some((self.decode_data(&what, data)?, what));
            } else if let Some(path) = u.client_certificate.as_deref().filter(|p| !p.is_empty()) {
                let what = format!("client-certificate of user {user_name:?}");
                out.cert_pem = Some((self.read_file(&what, path)?, what));
            }
            if let Some(data) = u.client_key_data.as_deref().filter(|d| !d.is_empty()) {
                out.key_pem =
                    Some(Sensitive::new(self.decode_data(&format!("client-key-data of user {user_name:?}"), data)?));
            } else if let Some(path) = u.client_key.as_deref().filter(|p| !p.is_empty()) {
                out.key_pem = Some(Sensitive::new(self.read_file(&format!("client-key of user {user_name:?}"), path)?));
            }
            if let (Some(name), Some(pw)) = (u.username.as_deref(), u.password.as_deref()) {
                if !name.is_empty() {
                    out.basic = Some((name.to_string(), Sensitive::new(pw.to_string())));
                }
            }
            if let Some(exec) = u.exec.as_ref().filter(|e| !e.is_null()) {
                out.exec = Some(exec.clone());
            } else if let Some(ap) = &u.auth_provider {
                out.auth_provider = Some(ap.get("name").and_then(|c| c.as_str()).unwrap_or("unnamed").to_string());
            }
        }
        Ok(out)
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = it.map(|n| format!("{n:?}")).collect();
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Checks an API server URL: `https://host[:port][/path]` (or `http://`).
pub fn check_server(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} is not an https:// URL"))?;
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    if authority.contains('@') {
        return Err("the URL must not carry credentials; use token or a client certificate".to_string());
    }
    if rest.contains('?') || rest.contains('#') || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} is not a plain server URL (no query, fragment or spaces)"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Parses a PEM bundle of certificates, each an X.509 certificate.
pub(super) fn parse_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut out = Vec::new();
    for item in CertificateDer::pem_slice_iter(pem) {
        let der = item.map_err(|_| "is not valid PEM".to_string())?;
        x509_parser::parse_x509_certificate(der.as_ref())
            .map_err(|e| format!("holds a certificate that does not parse ({e})"))?;
        out.push(der);
    }
    if out.is_empty() {
        return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_string());
    }
    Ok(out)
}

pub(super) fn parse_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|_| "is not a PEM private key (PKCS#1, PKCS#8 or SEC1)".to_string())
}

pub(super) fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    crate::bootstrap::http::crypto_provider()
}

/// Checks that a client key is usable and belongs to the certificate.
pub(super) fn check_pair(certs: &[CertificateDer<'static>], key: &PrivateKeyDer<'static>) -> Result<(), String> {
    rustls::sign::CertifiedKey::from_der(certs.to_vec(), key.clone_key(), &crypto_provider()).map(|_| ()).map_err(|e| {
        match e {
            rustls::Error::InconsistentKeys(_) => "does not belong to the client certificate".to_string(),
            _ => "is not a usable private key (RSA, ECDSA or Ed25519)".to_string(),
        }
    })
}

pub(super) fn is_header_safe(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Whether any connection setting is given.
pub fn has_connection(s: &Settings) -> bool {
    s.kubeconfig_path.is_some()
        || s.kubeconfig.is_some()
        || s.host.is_some()
        || s.token.is_some()
        || s.client_certificate.is_some()
        || s.client_key.is_some()
        || s.cluster_ca_certificate.is_some()
}

/// Resolves the settings into a connection: reads the kubeconfig (and the
/// files it names), applies the direct settings over it, and checks every
/// certificate and key. Touches no network.
pub fn resolve(settings: &Settings, home: Option<&Path>) -> Result<Resolved, KubeError> {
    let s = settings;
    let mut warnings = Vec::new();
    if !has_connection(s) {
        return Err(KubeError::setting(
            "kubeconfig_path",
            "No connection to a management cluster",
            "no connection settings are given: set kubeconfig_path (or kubeconfig) to use a kubeconfig, or host with token, or host with client_certificate and client_key, to connect directly",
        ));
    }
    if s.kubeconfig_path.is_some() && s.kubeconfig.is_some() {
        return Err(KubeError::setting(
            "kubeconfig",
            "Conflicting kubeconfig settings",
            "kubeconfig_path and kubeconfig are both set: use one of them",
        ));
    }
    let (mut kc, kc_setting) = match (&s.kubeconfig_path, &s.kubeconfig) {
        (Some(path), _) => {
            if path.trim().is_empty() {
                return Err(KubeError::setting("kubeconfig_path", "Invalid kubeconfig", "kubeconfig_path is empty"));
            }
            let p = expand_home(path, home);
            let text = std::fs::read_to_string(&p).map_err(|e| {
                KubeError::setting(
                    "kubeconfig_path",
                    "Cannot read the kubeconfig",
                    format!("cannot read the kubeconfig file {}: {e}", p.display()),
                )
            })?;
            let source = KubeconfigSource {
                setting: "kubeconfig_path",
                label: format!("the kubeconfig {}", p.display()),
                base_dir: p.parent().map(Path::to_path_buf).unwrap_or_default(),
                text: &text,
            };
            (source.parse(s.context.as_deref())?, "kubeconfig_path")
        }
        (None, Some(text)) => {
            let source = KubeconfigSource {
                setting: "kubeconfig",
                label: "the kubeconfig".to_string(),
                base_dir: std::env::current_dir().unwrap_or_default(),
                text: text.expose(),
            };
            (source.parse(s.context.as_deref())?, "kubeconfig")
        }
        (None, None) => {
            if s.context.is_some() {
                return Err(KubeError::setting(
                    "context",
                    "context without a kubeconfig",
                    "context selects a context of a kubeconfig: set kubeconfig_path or kubeconfig too, or remove context",
                ));
            }
            (FromKubeconfig::default(), "host")
        }
    };

    // Direct settings override the kubeconfig.
    let server_setting = if s.host.is_some() { "host" } else { kc_setting };
    let server = match s.host.clone().or(kc.server.take()) {
        Some(h) => check_server(&h).map_err(|e| KubeError::setting(server_setting, "Invalid API server address", e))?,
        None => {
            return Err(KubeError::setting(
                server_setting,
                "No API server address",
                if kc_setting == "host" {
                    "host is not set: set it to the API server's https:// URL".to_string()
                } else {
                    "the kubeconfig's cluster has no server: set host to the API server's https:// URL".to_string()
                },
            ))
        }
    };
    if server.starts_with("http://") {
        warnings.push(format!(
            "The API server address {server} is plain HTTP: requests, and any token they carry, are not encrypted."
        ));
    }

    let (ca, ca_pem, insecure) = if let Some(pem) = &s.cluster_ca_certificate {
        let certs = parse_certs(pem.as_bytes()).map_err(|e| {
            KubeError::setting(
                "cluster_ca_certificate",
                "Invalid cluster_ca_certificate",
                format!("cluster_ca_certificate {e}"),
            )
        })?;
        (Some(certs), Some(pem.as_bytes().to_vec()), false)
    } else if let Some((pem, what)) = &kc.ca_pem {
        let certs = parse_certs(pem).map_err(|e| {
            KubeError::setting(kc_setting, "Invalid kubeconfig", format!("the kubeconfig's {what} {e}"))
        })?;
        (Some(certs), Some(pem.clone()), kc.insecure)
    } else {
        (None, None, kc.insecure)
    };
    if insecure {
        warnings.push(format!(
            "The kubeconfig sets insecure-skip-tls-verify: the certificate of {server} is not verified, so anyone on the path can pose as the API server and read the credentials. Set certificate-authority-data (or cluster_ca_certificate) instead."
        ));
    }

    // Surrounding whitespace (a token read with `file()` ends in a newline) is not part of it.
    let token = match &s.token {
        Some(t) => Some(Sensitive::new(t.expose().trim().to_string())),
        None => kc.token.take().map(|t| Sensitive::new(t.expose().trim().to_string())),
    };
    if let Some(t) = &token {
        if !is_header_safe(t.expose()) {
            let setting = if s.token.is_some() { "token" } else { kc_setting };
            return Err(KubeError::setting(
                setting,
                "Invalid token",
                "the bearer token is empty or holds characters an HTTP header cannot carry (line breaks, other control characters or non-ASCII)",
            ));
        }
    }

    let direct_pair = s.client_certificate.is_some() || s.client_key.is_some();
    let client_cert = match (&s.client_certificate, &s.client_key, &kc.cert_pem, &kc.key_pem) {
        (None, None, None, None) => None,
        (cert, key, kc_cert, kc_key) => {
            let (cert_pem, cert_setting, cert_label): (Vec<u8>, &'static str, String) = match (cert, kc_cert) {
                (Some(c), _) => (c.as_bytes().to_vec(), "client_certificate", "client_certificate".to_string()),
                (None, Some((c, what))) => (c.clone(), kc_setting, format!("the kubeconfig's {what}")),
                (None, None) => {
                    return Err(KubeError::setting(
                        "client_certificate",
                        "Incomplete client certificate",
                        "client_key is set without a client certificate: set client_certificate too",
                    ))
                }
            };
            let (key_pem, key_setting, key_label): (&[u8], &'static str, String) = match (key, kc_key) {
                (Some(k), _) => (k.expose().as_bytes(), "client_key", "client_key".to_string()),
                (None, Some(k)) => (k.expose().as_slice(), kc_setting, "the kubeconfig's client key".to_string()),
                (None, None) => {
                    return Err(KubeError::setting(
                        if direct_pair { "client_key" } else { kc_setting },
                        "Incomplete client certificate",
                        format!("{cert_label} is set without a private key: set client_key too"),
                    ))
                }
            };
            let certs = parse_certs(&cert_pem).map_err(|e| {
                KubeError::setting(cert_setting, "Invalid client certificate", format!("{cert_label} {e}"))
            })?;
            let key = parse_key(key_pem)
                .map_err(|e| KubeError::setting(key_setting, "Invalid client key", format!("{key_label} {e}")))?;
            check_pair(&certs, &key)
                .map_err(|e| KubeError::setting(key_setting, "Invalid client key", format!("{key_label} {e}")))?;
            Some((certs, Sensitive::new(key_pem.to_vec())))
        }
    };

    let basic = if token.is_some() { None } else { kc.basic.take() };
    if let Some((user, pw)) = &basic {
        if !is_header_safe(user) || user.contains(':') || pw.expose().chars().any(char::is_control) {
            return Err(KubeError::setting(
                kc_setting,
                "Invalid kubeconfig",
                "the kubeconfig's username or password holds characters basic auth cannot carry",
            ));
        }
    }

    // A plugin matters only when nothing else gives a credential (direct
    // settings override the kubeconfig's user, plugin included).
    let static_credential = token.is_some() || client_cert.is_some() || basic.is_some();
    let mut exec = None;
    if let (Some(block), false) = (&kc.exec, static_credential) {
        let label = exec_command_label(block);
        if !s.allow_exec_plugins {
            return Err(KubeError::setting(
                kc_setting,
                "Kubeconfig exec plugin not allowed",
                format!(
                    "user {:?} of the kubeconfig gets its credentials from the exec plugin {label:?}, a program the kubeconfig names, which runs only when allowed: set allow_exec_plugins = true to run it as kubectl would, or use a bearer token (token, for example from `kubectl create token`) or a client certificate (client_certificate and client_key) instead",
                    kc.user_name
                ),
            ));
        }
        let cluster =
            ExecCluster { server: &server, ca_pem: ca_pem.as_deref(), insecure, extension: kc.exec_extension.as_ref() };
        exec = Some(ExecPlugin::parse(block, kc_setting, &kc.user_name, &kc.base_dir, &cluster)?);
    } else if let (Some(name), false) = (&kc.auth_provider, static_credential) {
        return Err(KubeError::setting(
            kc_setting,
            "Kubeconfig credential plugins are not supported",
            format!(
                "user {:?} of the kubeconfig gets its credentials from the auth-provider plugin {name:?}, which the provider does not support (kubectl dropped these plugins too): use an exec plugin (with allow_exec_plugins = true), a bearer token (token, for example from `kubectl create token`) or a client certificate (client_certificate and client_key) instead",
                kc.user_name
            ),
        ));
    }

    Ok(Resolved { connection: Connection { server, ca, insecure, token, basic, client_cert, exec }, warnings })
}
