//! Reading Cluster API objects live from a management cluster over the
//! Kubernetes API: kubeconfig parsing, a small blocking HTTPS client, and the
//! assembly of one multi-document YAML manifests string per Machine (its
//! bootstrap `KubeadmConfig`, the `Cluster`, and its `KubeadmControlPlane` or
//! `MachineDeployment`), ready for the compat mode's `capi_manifests`.
//!
//! Static credentials are supported: bearer tokens (inline or from a token
//! file), client certificates and basic auth. A kubeconfig user's `exec`
//! credential plugin (EKS, GKE and the like) runs only when the settings
//! allow it ([`Settings::allow_exec_plugins`]), since it runs a program the
//! kubeconfig names; it then speaks client-go's exec credential protocol
//! (`client.authentication.k8s.io/v1` or `v1beta1`), without a terminal and
//! within [`EXEC_PLUGIN_TIMEOUT`], and its credential is kept in this process
//! until it expires. Auth-provider plugins are refused with a clear error.
//!
//! Tokens, passwords and private keys are held in [`Sensitive`] and never
//! appear in an error message, a warning or `Debug` output; neither does a
//! plugin's standard output.
//!
//! The collection logic talks to the server through the [`Api`] trait, so it
//! is tested without a network. Everything here is blocking: callers in async
//! code run it on a blocking thread.
//!
//! This module is plain domain code: it must not depend on the Terraform
//! plugin protocol, its RPC and wire-format crates, or the provider glue.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::bootstrap::secret::Sensitive;

/// The Cluster API core group (Cluster, Machine, MachineDeployment).
pub const CLUSTER_GROUP: &str = "cluster.x-k8s.io";
/// The kubeadm bootstrap provider's group (KubeadmConfig, KubeadmConfigTemplate).
pub const BOOTSTRAP_GROUP: &str = "bootstrap.cluster.x-k8s.io";
/// The kubeadm control-plane provider's group (KubeadmControlPlane).
pub const CONTROLPLANE_GROUP: &str = "controlplane.cluster.x-k8s.io";
/// The label Cluster API puts on every object of a cluster.
pub const CLUSTER_NAME_LABEL: &str = "cluster.x-k8s.io/cluster-name";
/// The label Cluster API puts on the Machines of a MachineDeployment.
pub const DEPLOYMENT_NAME_LABEL: &str = "cluster.x-k8s.io/deployment-name";
/// The label Cluster API puts on the Machines of a control plane.
pub const CONTROL_PLANE_NAME_LABEL: &str = "cluster.x-k8s.io/control-plane-name";

/// Largest response body read (a list of many Machines stays well below).
const MAX_RESPONSE_BYTES: u64 = 64 << 20;
/// Time allowed to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one whole request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The RBAC a reader needs, for error hints.
pub const RBAC_HINT: &str = "get and list on clusters, machines and machinedeployments (cluster.x-k8s.io), kubeadmconfigs and kubeadmconfigtemplates (bootstrap.cluster.x-k8s.io) and kubeadmcontrolplanes (controlplane.cluster.x-k8s.io), and get on the secrets the configs reference";

// ---------------------------------------------------------------------------
// Errors

/// Why reading a cluster failed. Messages name hosts, resources and settings,
/// never credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeError {
    /// A connection setting is missing or wrong. `setting` is the name of the
    /// [`Settings`] field at fault.
    #[error("{reason}")]
    Setting { setting: &'static str, summary: &'static str, reason: String },
    #[error("the API server at {host} refused the credentials (401 Unauthorized)")]
    Unauthorized { host: String },
    #[error("the API server at {host} does not allow {verb} on {resource}{}: {message}", in_namespace(.namespace))]
    Forbidden { host: String, verb: &'static str, resource: String, namespace: Option<String>, message: String },
    #[error(
        "the Cluster API CRDs are not installed on the cluster at {host}: the API group {group} does not exist (404)"
    )]
    NotInstalled { host: String, group: String },
    #[error("cluster {namespace}/{name} not found on the API server at {host}")]
    ClusterNotFound { host: String, namespace: String, name: String },
    #[error("cannot connect to the API server at {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("timed out talking to the API server at {host} ({reason})")]
    Timeout { host: String, reason: String },
    #[error("the TLS handshake with the API server at {host} failed: {reason}")]
    Tls { host: String, reason: String },
    #[error("the API server at {host} answered {status} to GET {path}: {message}")]
    Status { host: String, path: String, status: u16, message: String },
    #[error("the API server at {host} sent an unexpected response to GET {path}: {reason}")]
    Invalid { host: String, path: String, reason: String },
}

fn in_namespace(ns: &Option<String>) -> String {
    ns.as_ref().map(|n| format!(" in namespace {n}")).unwrap_or_default()
}

/// What to grant after a 403: the one permission that was missing, as an
/// RBAC rule, then everything the data source needs.
fn forbidden_hint(verb: &str, resource: &str, namespace: Option<&str>) -> String {
    if resource.starts_with('/') {
        return format!(
            "Grant the identity get on the non-resource URL {resource} (Kubernetes grants API discovery to every authenticated user through the system:discovery ClusterRole, unless that binding was changed)."
        );
    }
    let (plural, group) = resource.split_once('.').unwrap_or((resource, ""));
    let group_name = if group.is_empty() { "the core API group".to_string() } else { format!("API group {group}") };
    let scope = namespace.map(|n| format!(" in namespace {n}")).unwrap_or_default();
    let binding = if namespace.is_some() {
        "a Role bound to it with a RoleBinding"
    } else {
        "a ClusterRole bound to it with a ClusterRoleBinding"
    };
    format!(
        "Grant the identity {verb} on {plural} ({group_name}){scope}: {binding}, with the rule apiGroups: [\"{group}\"], resources: [\"{plural}\"], verbs: [\"{verb}\"]. In all, the data source needs {RBAC_HINT}, in the cluster's namespace."
    )
}

impl KubeError {
    fn setting(setting: &'static str, summary: &'static str, reason: impl Into<String>) -> KubeError {
        KubeError::Setting { setting, summary, reason: reason.into() }
    }

    /// A short title for the problem.
    pub fn summary(&self) -> &'static str {
        match self {
            KubeError::Setting { summary, .. } => summary,
            KubeError::Unauthorized { .. } => "Kubernetes API credentials refused",
            KubeError::Forbidden { .. } => "Kubernetes API access forbidden",
            KubeError::NotInstalled { .. } => "Cluster API not installed",
            KubeError::ClusterNotFound { .. } => "Cluster not found",
            KubeError::Connect { .. } => "Cannot reach the Kubernetes API",
            KubeError::Timeout { .. } => "Kubernetes API timed out",
            KubeError::Tls { .. } => "TLS handshake with the Kubernetes API failed",
            KubeError::Status { .. } | KubeError::Invalid { .. } => "Unexpected Kubernetes API response",
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            KubeError::Setting { .. } => String::new(),
            KubeError::Unauthorized { .. } => "Check the token or client certificate: it must be valid for this cluster and not expired.".to_string(),
            KubeError::Forbidden { verb, resource, namespace, .. } => forbidden_hint(verb, resource, namespace.as_deref()),
            KubeError::NotInstalled { .. } => "Point the data source at the Cluster API management cluster (the one `clusterctl init` set up).".to_string(),
            KubeError::ClusterNotFound { .. } => "Check cluster_name and namespace; `kubectl get clusters -A` lists the clusters.".to_string(),
            KubeError::Connect { .. } | KubeError::Timeout { .. } => "Check the server address (host, or the kubeconfig's server) and that the API server is reachable from where Terraform runs.".to_string(),
            KubeError::Tls { .. } => "Check cluster_ca_certificate or the kubeconfig's certificate-authority: it must be the CA that signed the API server's certificate, and the server's certificate must name the host used.".to_string(),
            KubeError::Status { .. } | KubeError::Invalid { .. } => "Check that the address points at a Kubernetes API server.".to_string(),
        }
    }

    /// The [`Settings`] field the problem is about, when there is one.
    pub fn setting_name(&self) -> Option<&'static str> {
        match self {
            KubeError::Setting { setting, .. } => Some(setting),
            KubeError::ClusterNotFound { .. } => Some("cluster_name"),
            _ => None,
        }
    }
}

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
    ca: Option<Vec<CertificateDer<'static>>>,
    /// Skip server certificate verification.
    insecure: bool,
    token: Option<Sensitive<String>>,
    basic: Option<(String, Sensitive<String>)>,
    client_cert: Option<(Vec<CertificateDer<'static>>, Sensitive<Vec<u8>>)>,
    /// The exec plugin that supplies the credentials (run on the first request).
    exec: Option<ExecPlugin>,
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
fn yaml_error(e: &serde_yaml_ng::Error) -> String {
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
fn parse_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
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

fn parse_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|_| "is not a PEM private key (PKCS#1, PKCS#8 or SEC1)".to_string())
}

fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Checks that a client key is usable and belongs to the certificate.
fn check_pair(certs: &[CertificateDer<'static>], key: &PrivateKeyDer<'static>) -> Result<(), String> {
    rustls::sign::CertifiedKey::from_der(certs.to_vec(), key.clone_key(), &crypto_provider()).map(|_| ()).map_err(|e| {
        match e {
            rustls::Error::InconsistentKeys(_) => "does not belong to the client certificate".to_string(),
            _ => "is not a usable private key (RSA, ECDSA or Ed25519)".to_string(),
        }
    })
}

fn is_header_safe(s: &str) -> bool {
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

// ---------------------------------------------------------------------------
// The HTTP client

/// What a request is for, so a refusal can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// `get` or `list`.
    pub verb: &'static str,
    /// `<plural>.<group>` (`secrets` for the core group), or a URL path for discovery.
    pub resource: String,
    pub namespace: Option<String>,
}

/// Read access to a Kubernetes API server.
pub trait Api {
    /// The server, for messages.
    fn host(&self) -> &str;
    /// GETs `path` (starting with `/`) and parses the JSON body; `Ok(None)` on 404.
    fn get(&self, path: &str, access: &Access) -> Result<Option<Json>, KubeError>;
}

/// A blocking Kubernetes API client on ureq.
pub struct Client {
    agent: ureq::Agent,
    server: String,
    authorization: Option<Sensitive<String>>,
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
struct RequestAuth {
    agent: ureq::Agent,
    authorization: Option<Sensitive<String>>,
    /// The plugin's credential it carries, when a plugin supplied it.
    credential: Option<Arc<ExecCredential>>,
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
    fn auth(&self, refused: Option<&Arc<ExecCredential>>) -> Result<RequestAuth, KubeError> {
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

// ---------------------------------------------------------------------------
// Exec credential plugins (client-go's protocol)

/// The exec credential API versions a plugin can speak.
pub const EXEC_API_VERSIONS: [&str; 2] = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];
/// The environment variable that carries the plugin's input.
pub const EXEC_INFO_ENV: &str = "KUBERNETES_EXEC_INFO";
/// The cluster extension passed to a plugin as `spec.cluster.config`.
const EXEC_EXTENSION: &str = "client.authentication.k8s.io/exec";
/// The longest a plugin may run.
pub const EXEC_PLUGIN_TIMEOUT: Duration = Duration::from_secs(60);
/// The most of a plugin's standard output read (an ExecCredential is small).
const MAX_PLUGIN_STDOUT: u64 = 1 << 20;
/// The most of a plugin's standard error read, and shown in an error.
const MAX_PLUGIN_STDERR: u64 = 64 << 10;
const PLUGIN_STDERR_SHOWN: usize = 2000;

/// An `exec` block as a kubeconfig writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecBlock {
    api_version: Option<String>,
    command: Option<String>,
    args: Option<Vec<String>>,
    env: Option<Vec<ExecEnvVar>>,
    install_hint: Option<String>,
    provide_cluster_info: Option<bool>,
    interactive_mode: Option<String>,
}

/// Holds a value that may be secret: deliberately without `Debug`.
#[derive(Deserialize)]
struct ExecEnvVar {
    name: Option<String>,
    value: Option<String>,
}

/// What a plugin learns about the cluster (`spec.cluster`, with `provideClusterInfo`).
struct ExecCluster<'a> {
    server: &'a str,
    ca_pem: Option<&'a [u8]>,
    insecure: bool,
    extension: Option<&'a Json>,
}

/// The command of an `exec` block as written, for messages.
fn exec_command_label(block: &serde_yaml_ng::Value) -> String {
    block.get("command").and_then(|c| c.as_str()).filter(|c| !c.is_empty()).unwrap_or("(no command)").to_string()
}

/// A kubeconfig user's exec credential plugin, checked and ready to run.
#[derive(Clone)]
pub struct ExecPlugin {
    /// The setting the kubeconfig came from, for errors.
    setting: &'static str,
    user: String,
    api_version: String,
    /// The command as the kubeconfig writes it.
    label: String,
    /// What runs: a path (a relative one resolved from the kubeconfig's
    /// directory) or a name looked up on PATH.
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, Sensitive<String>)>,
    install_hint: Option<String>,
    /// `KUBERNETES_EXEC_INFO`: the ExecCredential the plugin gets.
    input: String,
    /// Identifies the plugin and its input in the credential cache.
    cache_key: String,
}

impl std::fmt::Debug for ExecPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Arguments and environment values may hold secrets.
        f.debug_struct("ExecPlugin").field("command", &self.label).field("api_version", &self.api_version).finish()
    }
}

impl ExecPlugin {
    /// Checks an `exec` block the way client-go does when it loads a
    /// kubeconfig, and prepares the plugin's input. Runs nothing.
    fn parse(
        block: &serde_yaml_ng::Value,
        setting: &'static str,
        user: &str,
        base_dir: &Path,
        cluster: &ExecCluster<'_>,
    ) -> Result<ExecPlugin, KubeError> {
        let invalid = |reason: String| {
            KubeError::setting(
                setting,
                "Invalid kubeconfig exec plugin",
                format!("the exec plugin of user {user:?} of the kubeconfig {reason}"),
            )
        };
        let b: ExecBlock = serde_yaml_ng::from_value(block.clone())
            .map_err(|e| invalid(format!("is not a valid exec block: {}", yaml_error(&e))))?;
        let api_version = b.api_version.filter(|v| !v.is_empty()).ok_or_else(|| {
            invalid(format!("has no apiVersion: set it to {} or {}", EXEC_API_VERSIONS[0], EXEC_API_VERSIONS[1]))
        })?;
        if !EXEC_API_VERSIONS.contains(&api_version.as_str()) {
            return Err(invalid(format!(
                "asks for apiVersion {api_version:?}, which the provider does not speak: use {} or {}",
                EXEC_API_VERSIONS[0], EXEC_API_VERSIONS[1]
            )));
        }
        let command = b.command.filter(|c| !c.is_empty()).ok_or_else(|| invalid("has no command".to_string()))?;
        // Kubernetes defaults the mode for v1beta1 only; v1 must state it.
        let mode = match (b.interactive_mode.as_deref().filter(|m| !m.is_empty()), api_version.as_str()) {
            (Some(m), _) => m.to_string(),
            (None, "client.authentication.k8s.io/v1beta1") => "IfAvailable".to_string(),
            (None, _) => {
                return Err(invalid(format!(
                    "has no interactiveMode, which apiVersion {api_version} requires: set it to Never (or IfAvailable)"
                )))
            }
        };
        match mode.as_str() {
            "Never" | "IfAvailable" => {}
            "Always" => {
                return Err(invalid(
                    "asks for interactiveMode Always, which needs a terminal, and Terraform runs the provider without one: log in before running Terraform and set interactiveMode to IfAvailable or Never, or use a token or client certificate".to_string(),
                ))
            }
            other => {
                return Err(invalid(format!(
                    "has interactiveMode {other:?}: use Never, IfAvailable or Always"
                )))
            }
        }
        let mut env = Vec::new();
        for (i, var) in b.env.unwrap_or_default().into_iter().enumerate() {
            let name = var
                .name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid(format!("has an env entry ({}) without a name", i + 1)))?;
            if name.contains('=') || name.contains('\0') {
                return Err(invalid(format!("has an env entry named {name:?}, which cannot be a variable name")));
            }
            env.push((name, Sensitive::new(var.value.unwrap_or_default())));
        }
        let args = b.args.unwrap_or_default();
        // Like client-go: a command with a slash is a path, relative ones
        // from the kubeconfig's directory; a bare name is looked up on PATH.
        let program = if command.contains('/') { base_dir.join(&command) } else { PathBuf::from(&command) };
        let mut spec = serde_json::json!({ "interactive": false });
        if b.provide_cluster_info.unwrap_or(false) {
            let mut c = serde_json::json!({ "server": cluster.server });
            if let Some(pem) = cluster.ca_pem {
                c["certificate-authority-data"] = Json::String(base64::engine::general_purpose::STANDARD.encode(pem));
            }
            if cluster.insecure {
                c["insecure-skip-tls-verify"] = Json::Bool(true);
            }
            if let Some(ext) = cluster.extension {
                c["config"] = ext.clone();
            }
            spec["cluster"] = c;
        }
        let input =
            serde_json::json!({ "apiVersion": api_version, "kind": "ExecCredential", "spec": spec }).to_string();
        let mut key = sha2::Sha256::default();
        {
            use sha2::Digest as _;
            for part in [api_version.as_str(), &program.to_string_lossy(), &input] {
                key.update(part.as_bytes());
                key.update([0]);
            }
            for a in &args {
                key.update(a.as_bytes());
                key.update([0]);
            }
            for (n, v) in &env {
                key.update(n.as_bytes());
                key.update([b'=']);
                key.update(v.expose().as_bytes());
                key.update([0]);
            }
        }
        let cache_key = hex::encode(sha2::Digest::finalize(key));
        Ok(ExecPlugin {
            setting,
            user: user.to_string(),
            api_version,
            label: command,
            program,
            args,
            env,
            install_hint: b.install_hint.map(|h| h.trim().to_string()).filter(|h| !h.is_empty()),
            input,
            cache_key,
        })
    }

    /// The command as the kubeconfig writes it.
    pub fn command(&self) -> &str {
        &self.label
    }

    /// A failure of this plugin, at the kubeconfig setting.
    fn error(&self, reason: String) -> KubeError {
        KubeError::setting(
            self.setting,
            "Kubeconfig exec plugin failed",
            format!("the exec plugin {:?} of user {:?} of the kubeconfig {reason}", self.label, self.user),
        )
    }

    /// Runs the plugin once and reads its credential; gives up after `limit`.
    fn run(&self, limit: Duration) -> Result<ExecCredential, KubeError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (name, value) in &self.env {
            cmd.env(name, value.expose());
        }
        cmd.env(EXEC_INFO_ENV, &self.input);
        let mut child = cmd.spawn().map_err(|e| {
            let hint = self.install_hint.as_ref().map(|h| format!("\n\n{h}")).unwrap_or_default();
            match e.kind() {
                std::io::ErrorKind::NotFound if self.label.contains('/') => {
                    self.error(format!("cannot run: there is no executable {}{hint}", self.program.display()))
                }
                std::io::ErrorKind::NotFound => {
                    self.error(format!("cannot run: no executable {:?} is on PATH{hint}", self.label))
                }
                std::io::ErrorKind::PermissionDenied => {
                    self.error(format!("cannot run: {} is not executable ({e})", self.program.display()))
                }
                _ => self.error(format!("cannot run: {e}")),
            }
        })?;
        let drain = |pipe: Option<Box<dyn std::io::Read + Send>>, max: u64| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(pipe) = pipe {
                    let mut limited = pipe.take(max);
                    let _ = limited.read_to_end(&mut bytes);
                    // Read past the limit without keeping it, so the plugin never blocks on a full pipe.
                    let _ = std::io::copy(&mut limited.into_inner(), &mut std::io::sink());
                }
                bytes
            })
        };
        let stdout =
            drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>), MAX_PLUGIN_STDOUT);
        let stderr =
            drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>), MAX_PLUGIN_STDERR);
        let deadline = Instant::now() + limit;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.error(format!("did not finish within {}s and was stopped", limit.as_secs_f64())));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(self.error(format!("could not be waited for: {e}"))),
            }
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        if !status.success() {
            let how = match status.code() {
                Some(code) => format!("exited with status {code}"),
                None => "was killed by a signal".to_string(),
            };
            // Standard output is never shown: it may hold a credential.
            let said = plugin_stderr(&stderr);
            return Err(self.error(if said.is_empty() {
                format!("{how} and printed nothing on standard error")
            } else {
                format!("{how}; it said:\n{said}")
            }));
        }
        parse_exec_credential(&stdout, &self.api_version).map_err(|e| self.error(e))
    }
}

/// A plugin's standard error for a message: without control characters
/// (line breaks kept), trimmed, and at most its last lines.
fn plugin_stderr(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let clean: String = text.chars().filter(|c| *c == '\n' || !c.is_control()).collect();
    let clean = clean.trim();
    let count = clean.chars().count();
    if count > PLUGIN_STDERR_SHOWN {
        format!("…{}", clean.chars().skip(count - PLUGIN_STDERR_SHOWN).collect::<String>())
    } else {
        clean.to_string()
    }
}

/// The credential an exec plugin returned.
pub struct ExecCredential {
    token: Option<Sensitive<String>>,
    client_cert: Option<(Vec<CertificateDer<'static>>, Sensitive<Vec<u8>>)>,
    /// When it stops being valid; `None`: until the server refuses it.
    expires: Option<time::OffsetDateTime>,
}

impl std::fmt::Debug for ExecCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecCredential")
            .field("token", &self.token.as_ref().map(|_| "<sensitive>"))
            .field("client_certificate", &self.client_cert.is_some())
            .field("expires", &self.expires)
            .finish()
    }
}

impl ExecCredential {
    fn expired(&self, now: time::OffsetDateTime) -> bool {
        self.expires.is_some_and(|e| now >= e)
    }
}

/// Reads the ExecCredential a plugin printed. Errors never quote values.
fn parse_exec_credential(stdout: &[u8], api_version: &str) -> Result<ExecCredential, String> {
    let doc: Json = serde_json::from_slice(stdout).map_err(|e| {
        if stdout.iter().all(u8::is_ascii_whitespace) {
            "printed nothing on standard output, where an ExecCredential belongs".to_string()
        } else {
            format!(
                "printed something other than an ExecCredential in JSON on standard output (line {}, column {})",
                e.line(),
                e.column()
            )
        }
    })?;
    let Some(obj) = doc.as_object() else {
        return Err("printed JSON that is not an ExecCredential object on standard output".to_string());
    };
    let word = |k: &str| obj.get(k).and_then(Json::as_str).unwrap_or("");
    let plain = |s: &str| s.len() <= 100 && s.chars().all(|c| c.is_ascii_graphic());
    if word("kind") != "ExecCredential" {
        let kind = word("kind");
        return Err(if kind.is_empty() || !plain(kind) {
            "printed a JSON object without kind ExecCredential".to_string()
        } else {
            format!("printed a {kind:?} instead of an ExecCredential")
        });
    }
    if word("apiVersion") != api_version {
        let got = word("apiVersion");
        return Err(format!(
            "answered with apiVersion {}, but the kubeconfig configures it with {api_version}",
            if got.is_empty() || !plain(got) { "(none)".to_string() } else { format!("{got:?}") }
        ));
    }
    let Some(status) = obj.get("status").and_then(Json::as_object) else {
        return Err("returned an ExecCredential without a status".to_string());
    };
    let field = |k: &str| -> Result<Option<&str>, String> {
        match status.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if s.is_empty() => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("returned an ExecCredential whose status.{k} is not a string")),
        }
    };
    let token = field("token")?;
    let (cert, key) = (field("clientCertificateData")?, field("clientKeyData")?);
    let client_cert = match (cert, key) {
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            return Err("returned only a client certificate or only a client key (clientCertificateData and clientKeyData go together)".to_string())
        }
        (Some(cert), Some(key)) => {
            let certs = parse_certs(cert.as_bytes()).map_err(|e| format!("returned a clientCertificateData that {e}"))?;
            let parsed = parse_key(key.as_bytes()).map_err(|e| format!("returned a clientKeyData that {e}"))?;
            check_pair(&certs, &parsed).map_err(|e| format!("returned a clientKeyData that {e}"))?;
            Some((certs, Sensitive::new(key.as_bytes().to_vec())))
        }
    };
    if token.is_none() && client_cert.is_none() {
        return Err(
            "returned an ExecCredential whose status holds neither a token nor clientCertificateData and clientKeyData"
                .to_string(),
        );
    }
    if let Some(t) = token {
        if !is_header_safe(t) {
            return Err("returned a token that holds characters an HTTP header cannot carry".to_string());
        }
    }
    let expires = match field("expirationTimestamp")? {
        None => None,
        Some(t) => Some(
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map_err(|_| "returned an expirationTimestamp that is not an RFC 3339 time".to_string())?,
        ),
    };
    Ok(ExecCredential { token: token.map(|t| Sensitive::new(t.to_string())), client_cert, expires })
}

/// One cache slot per plugin (and input): the credential it last returned.
type Slot = Arc<Mutex<Option<Arc<ExecCredential>>>>;

fn credential_cache() -> &'static Mutex<HashMap<String, Slot>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The credential of `plugin`: the one this process holds while it has not
/// expired (and is not `refused`, the one the server just refused), else
/// a fresh one from running the plugin. One plugin runs at a time per slot,
/// so concurrent reads share one run.
fn exec_credential(
    plugin: &ExecPlugin,
    refused: Option<&Arc<ExecCredential>>,
) -> Result<Arc<ExecCredential>, KubeError> {
    exec_credential_within(plugin, refused, EXEC_PLUGIN_TIMEOUT)
}

fn exec_credential_within(
    plugin: &ExecPlugin,
    refused: Option<&Arc<ExecCredential>>,
    limit: Duration,
) -> Result<Arc<ExecCredential>, KubeError> {
    let slot = {
        let mut cache = credential_cache().lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(cache.entry(plugin.cache_key.clone()).or_default())
    };
    let mut held = slot.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = held.as_ref() {
        let is_refused = refused.is_some_and(|r| Arc::ptr_eq(r, c));
        if !is_refused && !c.expired(time::OffsetDateTime::now_utc()) {
            return Ok(Arc::clone(c));
        }
    }
    *held = None;
    let fresh = Arc::new(plugin.run(limit)?);
    *held = Some(Arc::clone(&fresh));
    Ok(fresh)
}

// ---------------------------------------------------------------------------
// Collecting a cluster's objects

/// What [`read_cluster`] returns.
#[derive(Debug, Default)]
pub struct ClusterObjects {
    /// Machine name → YAML of the Cluster, its KubeadmControlPlane, the
    /// Machine's MachineDeployment (workers), the Machine and its
    /// KubeadmConfig. Workers carry the control plane too: Cluster API renders
    /// their file templates with its version (`.controlPlane.version`).
    pub manifests: BTreeMap<String, String>,
    /// MachineDeployment name → YAML of the Cluster, its KubeadmControlPlane,
    /// the MachineDeployment and its KubeadmConfigTemplate.
    pub machine_deployments: BTreeMap<String, String>,
    /// YAML of the Cluster and its KubeadmControlPlane, when it has one.
    pub control_plane: Option<String>,
    /// Secret name → key → decoded value, for the secrets the configs reference.
    pub secrets: BTreeMap<String, BTreeMap<String, Sensitive<String>>>,
    pub warnings: Vec<String>,
}

/// Percent-encodes a URL path segment or query value.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn str_at<'a>(v: &'a Json, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn name_of(v: &Json) -> &str {
    str_at(v, &["metadata", "name"]).unwrap_or("")
}

/// A group's preferred version, `None` when the group does not exist.
fn preferred_version(api: &dyn Api, group: &str) -> Result<Option<String>, KubeError> {
    let path = format!("/apis/{group}");
    let access = Access { verb: "get", resource: path.clone(), namespace: None };
    let Some(doc) = api.get(&path, &access)? else { return Ok(None) };
    let gv = str_at(&doc, &["preferredVersion", "groupVersion"]).or_else(|| {
        doc.get("versions").and_then(|v| v.get(0)).and_then(|v| v.get("groupVersion")).and_then(Json::as_str)
    });
    let version = gv.and_then(|gv| gv.strip_prefix(&format!("{group}/"))).unwrap_or("");
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(KubeError::Invalid {
            host: api.host().to_string(),
            path,
            reason: format!("it is not an APIGroup of {group} with a preferred version"),
        });
    }
    Ok(Some(version.to_string()))
}

/// A served API group.
struct Group {
    name: &'static str,
    version: String,
}

impl Group {
    fn api_version(&self) -> String {
        format!("{}/{}", self.name, self.version)
    }

    fn collection(&self, namespace: &str, plural: &str) -> String {
        format!("/apis/{}/{}/namespaces/{}/{plural}", self.name, self.version, enc(namespace))
    }

    fn access(&self, verb: &'static str, plural: &str, namespace: &str) -> Access {
        Access { verb, resource: format!("{plural}.{}", self.name), namespace: Some(namespace.to_string()) }
    }

    /// Lists the objects of one cluster, by name, with apiVersion and kind set.
    fn list(
        &self,
        api: &dyn Api,
        namespace: &str,
        plural: &str,
        cluster: &str,
    ) -> Result<BTreeMap<String, Json>, KubeError> {
        let selector = format!("{CLUSTER_NAME_LABEL}={cluster}");
        let path = format!("{}?labelSelector={}", self.collection(namespace, plural), enc(&selector));
        let doc = api.get(&path, &self.access("list", plural, namespace))?.ok_or_else(|| KubeError::Invalid {
            host: api.host().to_string(),
            path: path.clone(),
            reason: format!("{plural} are not served (404) although the API group is"),
        })?;
        let list_kind = doc.get("kind").and_then(Json::as_str).unwrap_or("");
        let kind = list_kind.strip_suffix("List").unwrap_or(list_kind).to_string();
        let api_version =
            doc.get("apiVersion").and_then(Json::as_str).map_or_else(|| self.api_version(), str::to_string);
        let items = doc.get("items").and_then(Json::as_array).cloned().unwrap_or_default();
        let mut out = BTreeMap::new();
        for mut item in items {
            // Servers that ignore the selector must not leak other clusters' objects.
            if str_at(&item, &["metadata", "labels", CLUSTER_NAME_LABEL]) != Some(cluster) {
                continue;
            }
            if let Some(obj) = item.as_object_mut() {
                if !obj.contains_key("apiVersion") {
                    obj.insert("apiVersion".to_string(), Json::String(api_version.clone()));
                }
                if !obj.contains_key("kind") && !kind.is_empty() {
                    obj.insert("kind".to_string(), Json::String(kind.clone()));
                }
            }
            let name = name_of(&item).to_string();
            if !name.is_empty() {
                out.insert(name, item);
            }
        }
        Ok(out)
    }

    /// Gets one object by name; `None` when it does not exist.
    fn get(&self, api: &dyn Api, namespace: &str, plural: &str, name: &str) -> Result<Option<Json>, KubeError> {
        let path = format!("{}/{}", self.collection(namespace, plural), enc(name));
        api.get(&path, &self.access("get", plural, namespace))
    }
}

/// A reference to a KubeadmConfig or KubeadmConfigTemplate, from
/// `bootstrap.configRef` (v1beta1 `apiVersion`, v1beta2 `apiGroup`).
fn config_ref<'a>(bootstrap: Option<&'a Json>, want_kind: &str) -> Result<&'a str, String> {
    let Some(r) = bootstrap.and_then(|b| b.get("configRef")).filter(|r| r.is_object()) else {
        return Err("has no bootstrap.configRef".to_string());
    };
    let kind = r.get("kind").and_then(Json::as_str).unwrap_or("");
    let group = r
        .get("apiGroup")
        .and_then(Json::as_str)
        .or_else(|| r.get("apiVersion").and_then(Json::as_str).map(|v| v.split('/').next().unwrap_or("")))
        .unwrap_or(BOOTSTRAP_GROUP);
    if kind != want_kind || group != BOOTSTRAP_GROUP {
        return Err(format!("uses a {kind} of {group}, not a {want_kind}, as its bootstrap config"));
    }
    match r.get("name").and_then(Json::as_str) {
        Some(n) if !n.is_empty() => Ok(n),
        _ => Err("has a bootstrap.configRef without a name".to_string()),
    }
}

/// The Secret name under which `secrets` returns password hashes that
/// bootstrap configs hold inline (`users[].passwd`); the configs refer to
/// them with `passwdFrom`, so the hashes stay out of `manifests`.
pub const INLINE_PASSWORDS: &str = "kubeadm-capi-manifests.inline-passwords";

/// Password hashes moved out of the manifests: key → hash.
type Inline = std::cell::RefCell<BTreeMap<String, Sensitive<String>>>;

/// Removes what changes with every write and means nothing to a reader,
/// and the bootstrap tokens Cluster API writes into bootstrap configs (the
/// workload cluster's join secrets; compat mode uses its own token anyway).
/// Inline password hashes move to [`INLINE_PASSWORDS`].
fn clean(mut obj: Json, inline: &Inline) -> Json {
    if let Some(meta) = obj.get_mut("metadata").and_then(Json::as_object_mut) {
        meta.remove("managedFields");
    }
    drop_tokens(&mut obj);
    let owner = name_of(&obj).to_string();
    move_passwords(&mut obj, &owner, inline);
    obj
}

/// Replaces `users[].passwd` with a `passwdFrom` reference to [`INLINE_PASSWORDS`].
fn move_passwords(v: &mut Json, owner: &str, inline: &Inline) {
    match v {
        Json::Object(m) => {
            if let Some(Json::Array(users)) = m.get_mut("users") {
                for user in users.iter_mut().filter_map(Json::as_object_mut) {
                    let Some(Json::String(hash)) = user.get("passwd").cloned() else { continue };
                    let name = user.get("name").and_then(Json::as_str).unwrap_or_default().to_string();
                    let key = format!("{owner}.{name}");
                    user.remove("passwd");
                    user.insert(
                        "passwdFrom".into(),
                        serde_json::json!({ "secret": { "name": INLINE_PASSWORDS, "key": key } }),
                    );
                    inline.borrow_mut().insert(key, Sensitive::new(hash));
                }
            }
            m.values_mut().for_each(|x| move_passwords(x, owner, inline));
        }
        Json::Array(a) => a.iter_mut().for_each(|x| move_passwords(x, owner, inline)),
        _ => {}
    }
}

fn drop_tokens(v: &mut Json) {
    match v {
        Json::Object(m) => {
            m.remove("tlsBootstrapToken");
            if let Some(Json::Object(bt)) = m.get_mut("bootstrapToken") {
                bt.remove("token");
            }
            if let Some(Json::Array(tokens)) = m.get_mut("bootstrapTokens") {
                for t in tokens.iter_mut().filter_map(Json::as_object_mut) {
                    t.remove("token");
                }
            }
            m.values_mut().for_each(drop_tokens);
        }
        Json::Array(a) => a.iter_mut().for_each(drop_tokens),
        _ => {}
    }
}

/// The same value with every object's keys sorted.
fn sorted(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&m[k]));
            }
            Json::Object(out)
        }
        Json::Array(a) => Json::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Multi-document YAML of `docs`, in order, keys sorted.
pub fn to_yaml(docs: &[&Json]) -> String {
    docs.iter().map(|d| serde_yaml_ng::to_string(&sorted(d)).unwrap_or_default()).collect::<Vec<_>>().join("---\n")
}

/// Secret references of a `KubeadmConfigSpec` (`files[].contentFrom.secret`,
/// `users[].passwdFrom.secret`).
fn secret_refs(spec: Option<&Json>, out: &mut BTreeMap<String, BTreeSet<String>>) {
    let Some(spec) = spec else { return };
    let refs = [("files", "contentFrom"), ("users", "passwdFrom")];
    for (list, from) in refs {
        for item in spec.get(list).and_then(Json::as_array).into_iter().flatten() {
            let secret = item.get(from).and_then(|f| f.get("secret"));
            if let (Some(name), Some(key)) = (
                secret.and_then(|s| s.get("name")).and_then(Json::as_str),
                secret.and_then(|s| s.get("key")).and_then(Json::as_str),
            ) {
                if !name.is_empty() && !key.is_empty() {
                    out.entry(name.to_string()).or_default().insert(key.to_string());
                }
            }
        }
    }
}

/// Reads the Cluster API objects of cluster `namespace/cluster_name`.
pub fn read_cluster(api: &dyn Api, namespace: &str, cluster_name: &str) -> Result<ClusterObjects, KubeError> {
    let host = api.host().to_string();
    let mut warnings = Vec::new();
    let inline = Inline::default();
    let required = |name: &'static str| -> Result<Group, KubeError> {
        match preferred_version(api, name)? {
            Some(version) => Ok(Group { name, version }),
            None => Err(KubeError::NotInstalled { host: host.clone(), group: name.to_string() }),
        }
    };
    let core = required(CLUSTER_GROUP)?;
    let bootstrap = required(BOOTSTRAP_GROUP)?;
    // Without the control-plane provider there is simply no KubeadmControlPlane.
    let controlplane =
        preferred_version(api, CONTROLPLANE_GROUP)?.map(|version| Group { name: CONTROLPLANE_GROUP, version });

    let mut cluster =
        core.get(api, namespace, "clusters", cluster_name)?.ok_or_else(|| KubeError::ClusterNotFound {
            host: host.clone(),
            namespace: namespace.to_string(),
            name: cluster_name.to_string(),
        })?;
    if let Some(obj) = cluster.as_object_mut() {
        obj.entry("apiVersion").or_insert_with(|| Json::String(core.api_version()));
        obj.entry("kind").or_insert_with(|| Json::String("Cluster".to_string()));
    }
    let cluster = clean(cluster, &inline);

    let machines = core.list(api, namespace, "machines", cluster_name)?;
    let deployments = core.list(api, namespace, "machinedeployments", cluster_name)?;
    let kcps = match &controlplane {
        Some(cp) => cp.list(api, namespace, "kubeadmcontrolplanes", cluster_name)?,
        None => BTreeMap::new(),
    };
    let mut refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let with_kind = |mut obj: Json, kind: &str| {
        if let Some(o) = obj.as_object_mut() {
            o.entry("apiVersion").or_insert_with(|| Json::String(bootstrap.api_version()));
            o.entry("kind").or_insert_with(|| Json::String(kind.to_string()));
        }
        clean(obj, &inline)
    };

    // The control plane the Cluster names, else the only one there is.
    let cp_ref = cluster.get("spec").and_then(|s| s.get("controlPlaneRef"));
    let control_plane_name: Option<String> = match cp_ref {
        Some(r) if r.is_object() => (r.get("kind").and_then(Json::as_str) == Some("KubeadmControlPlane"))
            .then(|| r.get("name").and_then(Json::as_str).map(str::to_string))
            .flatten(),
        _ if kcps.len() == 1 => kcps.keys().next().cloned(),
        _ => None,
    };
    let kcps: BTreeMap<String, Json> = kcps.into_iter().map(|(k, v)| (k, clean(v, &inline))).collect();
    for kcp in kcps.values() {
        secret_refs(kcp.get("spec").and_then(|s| s.get("kubeadmConfigSpec")), &mut refs);
    }
    let cluster_kcp: Option<&Json> = control_plane_name.as_ref().and_then(|n| kcps.get(n));
    let control_plane = cluster_kcp.map(|kcp| to_yaml(&[&cluster, kcp]));
    if let Some(name) = &control_plane_name {
        if !kcps.contains_key(name) {
            warnings.push(format!(
                "Cluster {namespace}/{cluster_name} names KubeadmControlPlane {name}, which was not found: control_plane is null."
            ));
        }
    }

    let mut machine_deployments = BTreeMap::new();
    let mut deployments_clean = BTreeMap::new();
    for (name, md) in deployments {
        let md = clean(md, &inline);
        let template_ref = config_ref(
            md.get("spec").and_then(|s| s.get("template")).and_then(|t| t.get("spec")).and_then(|s| s.get("bootstrap")),
            "KubeadmConfigTemplate",
        );
        let template = match template_ref {
            Ok(t) => match bootstrap.get(api, namespace, "kubeadmconfigtemplates", t)? {
                Some(t) => Some(with_kind(t, "KubeadmConfigTemplate")),
                None => {
                    warnings.push(format!(
                        "KubeadmConfigTemplate {namespace}/{t} of MachineDeployment {name} was not found: its entry holds no bootstrap config."
                    ));
                    None
                }
            },
            Err(why) => {
                warnings
                    .push(format!("MachineDeployment {namespace}/{name} {why}: its entry holds no bootstrap config."));
                None
            }
        };
        if let Some(t) = &template {
            secret_refs(t.get("spec").and_then(|s| s.get("template")).and_then(|t| t.get("spec")), &mut refs);
        }
        let mut docs = vec![&cluster];
        docs.extend(cluster_kcp);
        docs.push(&md);
        docs.extend(template.as_ref());
        machine_deployments.insert(name.clone(), to_yaml(&docs));
        deployments_clean.insert(name, md);
    }

    let mut manifests = BTreeMap::new();
    for (name, machine) in machines {
        let machine = clean(machine, &inline);
        let owner_kcp = machine
            .get("metadata")
            .and_then(|m| m.get("ownerReferences"))
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .find(|o| o.get("kind").and_then(Json::as_str) == Some("KubeadmControlPlane"))
            .and_then(|o| o.get("name").and_then(Json::as_str))
            .or_else(|| str_at(&machine, &["metadata", "labels", CONTROL_PLANE_NAME_LABEL]));
        let owner: Option<&Json> = if let Some(kcp) = owner_kcp {
            let found = kcps.get(kcp);
            if found.is_none() {
                warnings.push(format!(
                    "Machine {namespace}/{name} belongs to KubeadmControlPlane {kcp}, which was not found: its entry holds no control plane."
                ));
            }
            found
        } else if let Some(md) = str_at(&machine, &["metadata", "labels", DEPLOYMENT_NAME_LABEL]) {
            let found = deployments_clean.get(md);
            if found.is_none() {
                warnings.push(format!(
                    "Machine {namespace}/{name} belongs to MachineDeployment {md}, which was not found: its entry holds no MachineDeployment."
                ));
            }
            found
        } else {
            None
        };
        let config = match config_ref(machine.get("spec").and_then(|s| s.get("bootstrap")), "KubeadmConfig") {
            Ok(c) => match bootstrap.get(api, namespace, "kubeadmconfigs", c)? {
                Some(c) => Some(with_kind(c, "KubeadmConfig")),
                None => {
                    warnings.push(format!(
                        "KubeadmConfig {namespace}/{c} of Machine {name} was not found: its entry holds no bootstrap config."
                    ));
                    None
                }
            },
            Err(why) => {
                warnings.push(format!("Machine {namespace}/{name} {why}: its entry holds no bootstrap config."));
                None
            }
        };
        if let Some(c) = &config {
            secret_refs(c.get("spec"), &mut refs);
        }
        let mut docs = vec![&cluster];
        // A worker's entry holds the Cluster's control plane as well.
        if owner_kcp.is_none() {
            docs.extend(cluster_kcp);
        }
        docs.extend(owner);
        docs.push(&machine);
        docs.extend(config.as_ref());
        manifests.insert(name, to_yaml(&docs));
    }

    refs.remove(INLINE_PASSWORDS);
    let mut secrets = read_secrets(api, namespace, &refs, &mut warnings);
    let inline = inline.into_inner();
    if !inline.is_empty() {
        secrets.entry(INLINE_PASSWORDS.to_string()).or_default().extend(inline);
    }
    Ok(ClusterObjects { manifests, machine_deployments, control_plane, secrets, warnings })
}

/// Reads the referenced keys of each secret; problems are warnings.
fn read_secrets(
    api: &dyn Api,
    namespace: &str,
    refs: &BTreeMap<String, BTreeSet<String>>,
    warnings: &mut Vec<String>,
) -> BTreeMap<String, BTreeMap<String, Sensitive<String>>> {
    let mut out = BTreeMap::new();
    for (name, keys) in refs {
        let path = format!("/api/v1/namespaces/{}/secrets/{}", enc(namespace), enc(name));
        let access = Access { verb: "get", resource: "secrets".to_string(), namespace: Some(namespace.to_string()) };
        let secret = match api.get(&path, &access) {
            Ok(Some(s)) => s,
            Ok(None) => {
                warnings.push(format!("Secret {namespace}/{name}, referenced by a bootstrap config, was not found: secrets has no entry for it."));
                continue;
            }
            Err(e) => {
                let grant = match &e {
                    KubeError::Forbidden { .. } => format!(" Grant the identity get on secrets (the core API group) in namespace {namespace} to have its values."),
                    _ => String::new(),
                };
                warnings.push(format!("Secret {namespace}/{name}, referenced by a bootstrap config, cannot be read: {e}. secrets has no entry for it.{grant}"));
                continue;
            }
        };
        let mut values = BTreeMap::new();
        for key in keys {
            let Some(encoded) = secret.get("data").and_then(|d| d.get(key)).and_then(Json::as_str) else {
                warnings.push(format!(
                    "Secret {namespace}/{name} has no key {key:?}, which a bootstrap config references."
                ));
                continue;
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded {
                Some(v) => {
                    values.insert(key.clone(), Sensitive::new(v));
                }
                None => warnings.push(format!(
                    "Key {key:?} of Secret {namespace}/{name} is not base64-encoded UTF-8 text: secrets leaves it out."
                )),
            }
        }
        if !values.is_empty() {
            out.insert(name.clone(), values);
        }
    }
    out
}

/// Resolves the settings, connects and reads the cluster: the whole read,
/// blocking. Warnings from resolving come first.
pub fn fetch(settings: &Settings, namespace: &str, cluster_name: &str) -> Result<ClusterObjects, KubeError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let resolved = resolve(settings, home.as_deref())?;
    let client = Client::new(&resolved.connection)?;
    let mut objects = read_cluster(&client, namespace, cluster_name)?;
    let mut warnings = resolved.warnings;
    warnings.append(&mut objects.warnings);
    objects.warnings = warnings;
    Ok(objects)
}

/// Checks a namespace name (an RFC 1123 label).
pub fn check_namespace(ns: &str) -> Result<(), String> {
    let ok = !ns.is_empty()
        && ns.len() <= 63
        && ns.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !ns.starts_with('-')
        && !ns.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!("{ns:?} is not a namespace name: up to 63 lower-case letters, digits and '-', starting and ending with a letter or digit"))
    }
}

/// Checks a cluster name (an object name that is also a label value).
pub fn check_cluster_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && name.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric);
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} is not a Cluster name: up to 63 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    fn pair(cn: &str) -> (String, String, rcgen::Certificate, rcgen::KeyPair) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(vec![cn.to_string()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem(), cert, key)
    }

    fn kubeconfig(user: &str) -> String {
        format!(
            r#"apiVersion: v1
kind: Config
current-context: admin@prod
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    insecure-skip-tls-verify: true
- name: other
  cluster:
    server: https://10.0.0.2:6443
contexts:
- name: admin@prod
  context: {{cluster: prod, user: admin}}
- name: other
  context: {{cluster: other, user: admin}}
users:
- name: admin
  user:
{user}
"#
        )
    }

    fn inline(text: &str) -> Settings {
        Settings { kubeconfig: Some(Sensitive::new(text.to_string())), ..Default::default() }
    }

    fn err_of(s: &Settings) -> KubeError {
        resolve(s, None).expect_err("resolve should fail")
    }

    #[test]
    fn kubeconfig_token_and_context() {
        let text = kubeconfig("    token: abc.def");
        let r = resolve(&inline(&text), None).unwrap();
        assert_eq!(r.connection.server, "https://10.0.0.1:6443");
        assert!(r.connection.insecure);
        assert_eq!(r.connection.token.as_ref().unwrap().expose(), "abc.def");
        assert!(r.warnings.iter().any(|w| w.contains("insecure-skip-tls-verify")), "{:?}", r.warnings);
        let mut s = inline(&text);
        s.context = Some("other".into());
        let r = resolve(&s, None).unwrap();
        assert_eq!(r.connection.server, "https://10.0.0.2:6443");
        assert!(!r.connection.insecure && r.warnings.is_empty());
        // Direct settings override.
        s.host = Some("https://override.example:443".into());
        s.token = Some(Sensitive::new("direct\n".into()));
        let r = resolve(&s, None).unwrap();
        assert_eq!(r.connection.server, "https://override.example:443");
        assert_eq!(r.connection.token.as_ref().unwrap().expose(), "direct");
    }

    #[test]
    fn kubeconfig_files_resolve_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, _, _, _) = pair("ca");
        let (cert, key, _, _) = pair("client");
        std::fs::create_dir(dir.path().join("pki")).unwrap();
        std::fs::write(dir.path().join("pki/ca.crt"), &ca).unwrap();
        std::fs::write(dir.path().join("pki/client.crt"), &cert).unwrap();
        std::fs::write(dir.path().join("token"), "tok-from-file\n").unwrap();
        let text = format!(
            "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://k:6443\n    certificate-authority: pki/ca.crt\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n    client-certificate: pki/client.crt\n    client-key-data: {}\n    tokenFile: token\n",
            B64.encode(&key)
        );
        std::fs::write(dir.path().join("config"), &text).unwrap();
        let s = Settings { kubeconfig_path: Some("~/config".into()), ..Default::default() };
        let r = resolve(&s, Some(dir.path())).unwrap();
        let c = &r.connection;
        assert_eq!(c.ca.as_ref().map(Vec::len), Some(1));
        assert!(c.client_cert.is_some());
        assert_eq!(c.token.as_ref().unwrap().expose(), "tok-from-file");
        assert!(r.warnings.is_empty());
        // A key of another certificate is refused, naming the setting.
        let (_, other_key, _, _) = pair("other");
        let bad = text.replace(&B64.encode(&key), &B64.encode(&other_key));
        std::fs::write(dir.path().join("config"), &bad).unwrap();
        let e = resolve(&s, Some(dir.path())).unwrap_err();
        assert_eq!(e.setting_name(), Some("kubeconfig_path"));
        assert!(e.to_string().contains("does not belong"), "{e}");
        assert!(!e.to_string().contains("PRIVATE"), "{e}");
    }

    #[test]
    fn basic_auth_and_data_fields() {
        let (ca, _, _, _) = pair("ca");
        let text = format!(
            "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://k\n    certificate-authority-data: {}\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n    username: admin\n    password: s3cret\n",
            B64.encode(&ca)
        );
        let r = resolve(&inline(&text), None).unwrap();
        assert!(r.connection.basic.is_some());
        let client = Client::new(&r.connection).unwrap();
        let auth = client.authorization.as_ref().unwrap().expose();
        assert_eq!(auth, &format!("Basic {}", B64.encode("admin:s3cret")));
        assert!(!format!("{:?}", r.connection).contains("s3cret"));
    }

    #[test]
    fn plugins_are_refused_unless_allowed_or_overridden() {
        let text = kubeconfig("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /usr/local/bin/aws\n      args: [eks, get-token]\n      interactiveMode: Never");
        let e = err_of(&inline(&text));
        assert_eq!(e.setting_name(), Some("kubeconfig"));
        assert_eq!(e.summary(), "Kubeconfig exec plugin not allowed");
        assert!(e.to_string().contains("the exec plugin \"/usr/local/bin/aws\""), "{e}");
        assert!(e.to_string().contains("set allow_exec_plugins = true"), "{e}");
        assert!(e.to_string().contains("token"), "{e}");
        // A direct credential overrides the kubeconfig's user: no plugin needed.
        let mut s = inline(&text);
        s.token = Some(Sensitive::new("from-terraform".into()));
        let r = resolve(&s, None).unwrap();
        assert!(r.connection.exec.is_none());
        // Allowed: parsed, not run.
        let mut s = inline(&text);
        s.allow_exec_plugins = true;
        let r = resolve(&s, None).unwrap();
        let plugin = r.connection.exec_plugin().expect("an exec plugin");
        assert_eq!(plugin.command(), "/usr/local/bin/aws");
        assert_eq!(plugin.args, ["eks", "get-token"]);
        assert!(r.connection.has_credentials());
        // Auth-provider plugins stay refused, allowed or not.
        let text = kubeconfig("    auth-provider:\n      name: gcp");
        let mut s = inline(&text);
        s.allow_exec_plugins = true;
        let e = err_of(&s);
        assert_eq!(e.summary(), "Kubeconfig credential plugins are not supported");
        assert!(e.to_string().contains("auth-provider plugin \"gcp\""), "{e}");
    }

    fn exec_settings(exec: &str) -> Settings {
        let mut s = inline(&kubeconfig(&format!("    exec:\n{exec}")));
        s.allow_exec_plugins = true;
        s
    }

    #[test]
    fn exec_blocks_are_checked_like_kubectl_does() {
        let v1 = "      apiVersion: client.authentication.k8s.io/v1\n";
        let cases: Vec<(String, &str)> = vec![
            (
                "      command: aws\n      interactiveMode: Never".into(),
                "has no apiVersion: set it to client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1",
            ),
            (
                "      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: aws".into(),
                "asks for apiVersion \"client.authentication.k8s.io/v1alpha1\", which the provider does not speak",
            ),
            (format!("{v1}      interactiveMode: Never"), "has no command"),
            (
                format!("{v1}      command: aws"),
                "has no interactiveMode, which apiVersion client.authentication.k8s.io/v1 requires",
            ),
            (
                format!("{v1}      command: aws\n      interactiveMode: Always"),
                "asks for interactiveMode Always, which needs a terminal",
            ),
            (
                format!("{v1}      command: aws\n      interactiveMode: Sometimes"),
                "has interactiveMode \"Sometimes\": use Never, IfAvailable or Always",
            ),
            (
                format!(
                    "{v1}      command: aws\n      interactiveMode: Never\n      env:\n      - value: secret-env-value"
                ),
                "has an env entry (1) without a name",
            ),
            (
                format!("{v1}      command: aws\n      interactiveMode: Never\n      args: 5"),
                "is not a valid exec block",
            ),
        ];
        for (block, want) in cases {
            let e = err_of(&exec_settings(&block));
            assert_eq!(e.setting_name(), Some("kubeconfig"), "{e}");
            assert_eq!(e.summary(), "Invalid kubeconfig exec plugin", "{e}");
            assert!(e.to_string().contains("the exec plugin of user \"admin\" of the kubeconfig"), "{e}");
            assert!(e.to_string().contains(want), "{e} lacks {want:?}");
            assert!(!e.to_string().contains("secret-env-value"), "{e}");
        }
        // v1beta1 defaults interactiveMode to IfAvailable, as Kubernetes does.
        let s = exec_settings(
            "      apiVersion: client.authentication.k8s.io/v1beta1\n      command: gke-gcloud-auth-plugin",
        );
        assert!(resolve(&s, None).is_ok());
    }

    #[test]
    fn exec_input_and_command_paths() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, _, _, _) = pair("ca");
        std::fs::write(dir.path().join("ca.crt"), &ca).unwrap();
        let write = |exec: &str| {
            let text = format!(
                "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://k:6443\n    certificate-authority: ca.crt\n    extensions:\n    - name: client.authentication.k8s.io/exec\n      extension: {{audience: prod, region: eu-west-1}}\n    - name: other\n      extension: {{x: 1}}\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n    exec:\n{exec}\n"
            );
            std::fs::write(dir.path().join("config"), text).unwrap();
            let s = Settings {
                kubeconfig_path: Some(dir.path().join("config").display().to_string()),
                allow_exec_plugins: true,
                ..Default::default()
            };
            resolve(&s, None).unwrap().connection.exec.expect("an exec plugin")
        };
        let p = write("      apiVersion: client.authentication.k8s.io/v1\n      command: bin/token-plugin\n      interactiveMode: IfAvailable\n      provideClusterInfo: true\n      env:\n      - {name: PROFILE, value: prod}");
        assert_eq!(p.program, dir.path().join("bin/token-plugin"));
        assert_eq!(p.env.len(), 1);
        assert_eq!((p.env[0].0.as_str(), p.env[0].1.expose().as_str()), ("PROFILE", "prod"));
        let input: Json = serde_json::from_str(&p.input).unwrap();
        assert_eq!(
            input,
            serde_json::json!({
                "apiVersion": "client.authentication.k8s.io/v1",
                "kind": "ExecCredential",
                "spec": {
                    "interactive": false,
                    "cluster": {
                        "server": "https://k:6443",
                        "certificate-authority-data": B64.encode(&ca),
                        "config": {"audience": "prod", "region": "eu-west-1"}
                    }
                }
            })
        );
        // Without provideClusterInfo the input holds no cluster; a bare name stays a name (PATH).
        let q = write(
            "      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [eks, get-token]",
        );
        assert_eq!(q.program, PathBuf::from("aws"));
        let input: Json = serde_json::from_str(&q.input).unwrap();
        assert_eq!(input["spec"], serde_json::json!({"interactive": false}));
        assert_eq!(input["apiVersion"], "client.authentication.k8s.io/v1beta1");
        assert_ne!(p.cache_key, q.cache_key);
        // Debug output names the command only.
        assert!(!format!("{q:?}").contains("get-token"), "{q:?}");
    }

    const V1: &str = "client.authentication.k8s.io/v1";

    fn credential_json(status: Json) -> Vec<u8> {
        serde_json::json!({"apiVersion": V1, "kind": "ExecCredential", "status": status}).to_string().into_bytes()
    }

    #[test]
    fn exec_credentials_are_read_like_client_go_does() {
        let c = parse_exec_credential(&credential_json(serde_json::json!({"token": "tok-123"})), V1).unwrap();
        assert_eq!(c.token.as_ref().unwrap().expose(), "tok-123");
        assert!(c.client_cert.is_none() && c.expires.is_none());
        assert!(!format!("{c:?}").contains("tok-123"));
        let (cert, key, _, _) = pair("client");
        let c = parse_exec_credential(
            &credential_json(serde_json::json!({"clientCertificateData": cert, "clientKeyData": key, "expirationTimestamp": "2030-01-02T03:04:05Z"})),
            V1,
        )
        .unwrap();
        assert!(c.token.is_none());
        assert_eq!(c.client_cert.as_ref().unwrap().0.len(), 1);
        assert_eq!(c.expires, Some(time::macros::datetime!(2030-01-02 03:04:05 UTC)));
        assert!(!c.expired(time::macros::datetime!(2030-01-02 03:04:04 UTC)));
        assert!(c.expired(time::macros::datetime!(2030-01-02 03:04:05 UTC)));

        let (_, other_key, _, _) = pair("other");
        let bad: Vec<(Vec<u8>, &str)> = vec![
            (b"".to_vec(), "printed nothing on standard output"),
            (b"token: secret-token-value".to_vec(), "something other than an ExecCredential in JSON on standard output (line 1, column 2)"),
            (b"[\"secret-token-value\"]".to_vec(), "JSON that is not an ExecCredential object"),
            (serde_json::json!({"apiVersion": V1, "kind": "Secret", "status": {"token": "secret-token-value"}}).to_string().into_bytes(), "printed a \"Secret\" instead of an ExecCredential"),
            (serde_json::json!({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", "status": {"token": "secret-token-value"}}).to_string().into_bytes(), "answered with apiVersion \"client.authentication.k8s.io/v1beta1\", but the kubeconfig configures it with client.authentication.k8s.io/v1"),
            (serde_json::json!({"apiVersion": V1, "kind": "ExecCredential"}).to_string().into_bytes(), "without a status"),
            (credential_json(serde_json::json!({})), "holds neither a token nor clientCertificateData and clientKeyData"),
            (credential_json(serde_json::json!({"token": 12345})), "status.token is not a string"),
            (credential_json(serde_json::json!({"clientCertificateData": cert})), "only a client certificate or only a client key"),
            (credential_json(serde_json::json!({"clientCertificateData": "junk", "clientKeyData": key})), "clientCertificateData that holds no PEM certificate"),
            (credential_json(serde_json::json!({"clientCertificateData": cert, "clientKeyData": other_key})), "clientKeyData that does not belong to the client certificate"),
            (credential_json(serde_json::json!({"token": "secret-token-value\nx"})), "token that holds characters an HTTP header cannot carry"),
            (credential_json(serde_json::json!({"token": "secret-token-value", "expirationTimestamp": "tomorrow"})), "expirationTimestamp that is not an RFC 3339 time"),
        ];
        for (stdout, want) in bad {
            let e = parse_exec_credential(&stdout, V1).expect_err(want);
            assert!(e.contains(want), "{e} lacks {want:?}");
            assert!(!e.contains("secret-token-value") && !e.contains("PRIVATE"), "{e}");
        }
    }

    /// A plugin script in `dir`: `body` is shell run with `set -e`.
    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// A plugin for `program`, read from a kubeconfig in `dir`.
    fn plugin(dir: &Path, command: &str, extra: &str) -> ExecPlugin {
        std::fs::write(
            dir.join("config"),
            format!("current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://k:6443\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: {V1}\n      command: {command}\n      interactiveMode: Never\n      provideClusterInfo: true\n{extra}\n"),
        )
        .unwrap();
        let s = Settings {
            kubeconfig_path: Some(dir.join("config").display().to_string()),
            allow_exec_plugins: true,
            ..Default::default()
        };
        resolve(&s, None).unwrap().connection.exec.expect("an exec plugin")
    }

    #[test]
    fn exec_plugins_run_with_their_input_and_report_failures() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("bin")).unwrap();
        script(
            &d.join("bin"),
            "ok",
            &format!(
                "printf '%s' \"$KUBERNETES_EXEC_INFO\" > {info}\nprintf '%s %s %s' \"$1\" \"$2\" \"$PROFILE\" > {args}\necho '{{\"apiVersion\":\"{V1}\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"tok-from-plugin\"}}}}'",
                info = d.join("info").display(),
                args = d.join("args").display()
            ),
        );
        let p = plugin(d, "bin/ok", "      args: [eks, get-token]\n      env:\n      - {name: PROFILE, value: prod}");
        let c = p.run(Duration::from_secs(20)).unwrap();
        assert_eq!(c.token.unwrap().expose(), "tok-from-plugin");
        let info: Json = serde_json::from_str(&std::fs::read_to_string(d.join("info")).unwrap()).unwrap();
        assert_eq!(info["kind"], "ExecCredential");
        assert_eq!(info["apiVersion"], V1);
        assert_eq!(info["spec"]["interactive"], false);
        assert_eq!(info["spec"]["cluster"]["server"], "https://k:6443");
        assert_eq!(std::fs::read_to_string(d.join("args")).unwrap(), "eks get-token prod");

        // A failure shows the plugin's standard error, never its standard output.
        script(d, "fails", "echo '{\"status\":{\"token\":\"tok-printed-before-failing\"}}'\necho '  token expired: run `login` first\x07  ' >&2\nexit 3");
        let e = plugin(d, "./fails", "").run(Duration::from_secs(20)).unwrap_err();
        assert_eq!(e.summary(), "Kubeconfig exec plugin failed");
        assert_eq!(e.setting_name(), Some("kubeconfig_path"));
        let text = e.to_string();
        assert!(text.contains("the exec plugin \"./fails\" of user \"u\" of the kubeconfig exited with status 3; it said:\ntoken expired: run `login` first"), "{text}");
        assert!(!text.contains("tok-printed-before-failing") && !text.contains('\x07'), "{text}");
        script(d, "silent", "exit 1");
        let e = plugin(d, "./silent", "").run(Duration::from_secs(20)).unwrap_err();
        assert!(e.to_string().contains("exited with status 1 and printed nothing on standard error"), "{e}");

        // Not found: the install hint follows.
        let hint = "      installHint: |\n        Install the plugin with: apt-get install token-helper";
        let e = plugin(d, "no-such-token-helper-3f9a", hint).run(Duration::from_secs(20)).unwrap_err();
        assert!(e.to_string().contains("cannot run: no executable \"no-such-token-helper-3f9a\" is on PATH\n\nInstall the plugin with: apt-get install token-helper"), "{e}");
        let e = plugin(d, "bin/missing", "").run(Duration::from_secs(20)).unwrap_err();
        assert!(
            e.to_string().contains(&format!("cannot run: there is no executable {}", d.join("bin/missing").display())),
            "{e}"
        );
        std::fs::write(d.join("plain"), "#!/bin/sh\n").unwrap();
        let e = plugin(d, "./plain", "").run(Duration::from_secs(20)).unwrap_err();
        assert!(e.to_string().contains("is not executable"), "{e}");

        // Bad output names what is wrong.
        script(d, "wrong-version", "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}'");
        let e = plugin(d, "./wrong-version", "").run(Duration::from_secs(20)).unwrap_err();
        assert!(e.to_string().contains("answered with apiVersion \"client.authentication.k8s.io/v1beta1\""), "{e}");

        // A plugin that hangs is stopped at the limit.
        script(d, "hangs", "sleep 30");
        let started = Instant::now();
        let e = plugin(d, "./hangs", "").run(Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
        assert!(e.to_string().contains("did not finish within 0.3s and was stopped"), "{e}");
    }

    #[test]
    fn exec_credentials_are_kept_until_they_expire_or_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Prints a new token on each run (counted in a file) expiring at $EXPIRES.
        script(
            d,
            "counting",
            &format!(
                "n=$(( $(cat {count} 2>/dev/null || echo 0) + 1 ))\necho $n > {count}\necho \"{{\\\"apiVersion\\\":\\\"{V1}\\\",\\\"kind\\\":\\\"ExecCredential\\\",\\\"status\\\":{{\\\"token\\\":\\\"tok-$n\\\"$EXPIRES}}}}\"",
                count = d.join("count").display()
            ),
        );
        let runs = || std::fs::read_to_string(d.join("count")).unwrap_or_default().trim().parse::<u32>().unwrap_or(0);
        let token = |c: &Arc<ExecCredential>| c.token.as_ref().unwrap().expose().clone();
        let limit = Duration::from_secs(20);

        // No expiry: kept until refused.
        let p = plugin(d, "./counting", "      env:\n      - {name: EXPIRES, value: ''}");
        let first = exec_credential_within(&p, None, limit).unwrap();
        let again = exec_credential_within(&p, None, limit).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!((token(&first), runs()), ("tok-1".to_string(), 1));
        let fresh = exec_credential_within(&p, Some(&first), limit).unwrap();
        assert_eq!((token(&fresh), runs()), ("tok-2".to_string(), 2));
        // A refusal of the credential already replaced runs nothing.
        let same = exec_credential_within(&p, Some(&first), limit).unwrap();
        assert!(Arc::ptr_eq(&same, &fresh));
        assert_eq!(runs(), 2);

        // Expiring in an hour: kept; expired already: run every time.
        let later = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let p = plugin(
            d,
            "./counting",
            &format!("      env:\n      - {{name: EXPIRES, value: ',\"expirationTimestamp\":\"{later}\"'}}"),
        );
        let a = exec_credential_within(&p, None, limit).unwrap();
        let b = exec_credential_within(&p, None, limit).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(runs(), 3);
        let p = plugin(
            d,
            "./counting",
            "      env:\n      - {name: EXPIRES, value: ',\"expirationTimestamp\":\"2020-01-01T00:00:00Z\"'}",
        );
        exec_credential_within(&p, None, limit).unwrap();
        exec_credential_within(&p, None, limit).unwrap();
        assert_eq!(runs(), 5);
    }

    #[test]
    fn the_client_sends_the_plugin_credential() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (cert, key, _, _) = pair("client");
        let status = serde_json::json!({"clientCertificateData": cert, "clientKeyData": key, "token": "tok-client"});
        script(
            d,
            "both",
            &format!(
                "printf '%s\\n' '{}'",
                serde_json::json!({"apiVersion": V1, "kind": "ExecCredential", "status": status})
            ),
        );
        let p = plugin(d, "./both", "");
        let conn = Connection {
            server: "https://k:6443".into(),
            ca: None,
            insecure: false,
            token: None,
            basic: None,
            client_cert: None,
            exec: Some(p),
        };
        let client = Client::new(&conn).unwrap();
        let auth = client.auth(None).unwrap();
        assert_eq!(auth.authorization.unwrap().expose(), "Bearer tok-client");
        let credential = auth.credential.unwrap();
        assert!(credential.client_cert.is_some());
        // The same credential next time: the agent is reused.
        let again = client.auth(None).unwrap();
        assert!(Arc::ptr_eq(&credential, &again.credential.unwrap()));
    }

    #[test]
    fn setting_errors_name_the_setting() {
        let cases: Vec<(Settings, &str, &str)> = vec![
            (Settings::default(), "kubeconfig_path", "no connection settings"),
            (Settings { token: Some(Sensitive::new("t".into())), ..Default::default() }, "host", "host is not set"),
            (Settings { host: Some("ftp://x".into()), ..Default::default() }, "host", "not an https:// URL"),
            (
                Settings { host: Some("https://u:p@x".into()), ..Default::default() },
                "host",
                "must not carry credentials",
            ),
            (
                Settings {
                    host: Some("https://x".into()),
                    cluster_ca_certificate: Some("junk".into()),
                    ..Default::default()
                },
                "cluster_ca_certificate",
                "holds no PEM certificate",
            ),
            (
                Settings {
                    host: Some("https://x".into()),
                    client_certificate: Some(pair("c").0),
                    ..Default::default()
                },
                "client_key",
                "without a private key",
            ),
            (
                Settings {
                    host: Some("https://x".into()),
                    client_key: Some(Sensitive::new(pair("c").1)),
                    ..Default::default()
                },
                "client_certificate",
                "without a client certificate",
            ),
            (
                Settings {
                    host: Some("https://x".into()),
                    client_certificate: Some(pair("c").0),
                    client_key: Some(Sensitive::new(
                        "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n".into(),
                    )),
                    ..Default::default()
                },
                "client_key",
                "is not a PEM private key",
            ),
            (
                Settings {
                    host: Some("https://x".into()),
                    token: Some(Sensitive::new("a\nb".into())),
                    ..Default::default()
                },
                "token",
                "HTTP header",
            ),
            (
                Settings { host: Some("https://x".into()), context: Some("c".into()), ..Default::default() },
                "context",
                "context",
            ),
            (
                Settings {
                    kubeconfig_path: Some("/nonexistent/kubeconfig".into()),
                    kubeconfig: Some(Sensitive::new(String::new())),
                    ..Default::default()
                },
                "kubeconfig",
                "both set",
            ),
            (
                Settings { kubeconfig_path: Some("/nonexistent/kubeconfig".into()), ..Default::default() },
                "kubeconfig_path",
                "/nonexistent/kubeconfig",
            ),
            (inline("clusters: 5"), "kubeconfig", "not a valid kubeconfig"),
            (
                inline(&kubeconfig("    token: t").replace("current-context: admin@prod", "")),
                "context",
                "no current-context",
            ),
            (
                {
                    let mut s = inline(&kubeconfig("    token: t"));
                    s.context = Some("missing".into());
                    s
                },
                "context",
                "no context \"missing\" (it has: \"admin@prod\", \"other\")",
            ),
            (
                inline(&kubeconfig("    token: t").replace("user: admin}", "user: ghost}")),
                "kubeconfig",
                "names user \"ghost\"",
            ),
            (inline(&kubeconfig("    client-key-data: '%%%'")), "kubeconfig", "not valid base64"),
        ];
        for (s, setting, text) in cases {
            let e = err_of(&s);
            assert_eq!(e.setting_name(), Some(setting), "{e}");
            assert!(e.to_string().contains(text), "{e} lacks {text:?}");
        }
    }

    #[test]
    fn forbidden_names_the_missing_rule() {
        let forbidden = |verb, resource: &str, namespace: Option<&str>| KubeError::Forbidden {
            host: "https://k".into(),
            verb,
            resource: resource.into(),
            namespace: namespace.map(str::to_string),
            message: "no".into(),
        };
        let e = forbidden("get", "kubeadmconfigs.bootstrap.cluster.x-k8s.io", Some("prod"));
        assert_eq!(
            e.to_string(),
            "the API server at https://k does not allow get on kubeadmconfigs.bootstrap.cluster.x-k8s.io in namespace prod: no"
        );
        let hint = e.hint();
        assert!(hint.starts_with("Grant the identity get on kubeadmconfigs (API group bootstrap.cluster.x-k8s.io) in namespace prod: a Role bound to it with a RoleBinding, with the rule apiGroups: [\"bootstrap.cluster.x-k8s.io\"], resources: [\"kubeadmconfigs\"], verbs: [\"get\"]. In all, the data source needs get and list on clusters"), "{hint}");
        let hint = forbidden("list", "secrets", Some("prod")).hint();
        assert!(
            hint.contains("list on secrets (the core API group) in namespace prod")
                && hint.contains("apiGroups: [\"\"]"),
            "{hint}"
        );
        let hint = forbidden("get", "/apis/cluster.x-k8s.io", None).hint();
        assert!(hint.starts_with("Grant the identity get on the non-resource URL /apis/cluster.x-k8s.io"), "{hint}");
    }

    #[test]
    fn yaml_errors_do_not_quote_values() {
        let e = err_of(&inline("users:\n- name: u\n  user:\n    token: [secret-token-value]\n"));
        assert!(!e.to_string().contains("secret-token-value"), "{e}");
    }

    #[test]
    fn home_expansion() {
        let h = Path::new("/home/me");
        assert_eq!(expand_home("~/.kube/config", Some(h)), PathBuf::from("/home/me/.kube/config"));
        assert_eq!(expand_home("~", Some(h)), PathBuf::from("/home/me"));
        assert_eq!(expand_home("/etc/k", Some(h)), PathBuf::from("/etc/k"));
        assert_eq!(expand_home("~other/x", Some(h)), PathBuf::from("~other/x"));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_namespace("capi-system").is_ok());
        assert!(check_namespace("Bad").is_err());
        assert!(check_namespace("a/b").is_err());
        assert!(check_cluster_name("prod.eu-1").is_ok());
        assert!(check_cluster_name("prod?x=1").is_err());
        assert!(check_cluster_name("").is_err());
    }

    /// An in-memory API: path → body; paths absent answer 404.
    struct Fake {
        objects: BTreeMap<String, Json>,
        calls: RefCell<Vec<String>>,
    }

    impl Api for Fake {
        fn host(&self) -> &str {
            "https://fake"
        }
        fn get(&self, path: &str, access: &Access) -> Result<Option<Json>, KubeError> {
            self.calls.borrow_mut().push(path.to_string());
            if path.contains("forbidden") {
                return Err(KubeError::Forbidden {
                    host: "https://fake".into(),
                    verb: access.verb,
                    resource: access.resource.clone(),
                    namespace: access.namespace.clone(),
                    message: "no".into(),
                });
            }
            Ok(self.objects.get(path).cloned())
        }
    }

    fn fake() -> Fake {
        let sel = "?labelSelector=cluster.x-k8s.io%2Fcluster-name%3Dprod";
        let label = serde_json::json!({ CLUSTER_NAME_LABEL: "prod" });
        let mut o = BTreeMap::new();
        let group = |g: &str, v: &str| serde_json::json!({"kind": "APIGroup", "preferredVersion": {"groupVersion": format!("{g}/{v}")}});
        o.insert("/apis/cluster.x-k8s.io".to_string(), group(CLUSTER_GROUP, "v1beta2"));
        o.insert("/apis/bootstrap.cluster.x-k8s.io".to_string(), group(BOOTSTRAP_GROUP, "v1beta2"));
        o.insert(
            "/apis/cluster.x-k8s.io/v1beta2/namespaces/ns/clusters/prod".to_string(),
            serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
                "metadata": {"name": "prod", "managedFields": [{"manager": "x"}]}, "status": {"initialization": {"controlPlaneInitialized": true}}}),
        );
        o.insert(
            format!("/apis/cluster.x-k8s.io/v1beta2/namespaces/ns/machines{sel}"),
            serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineList", "items": [
                {"metadata": {"name": "w-1", "labels": {CLUSTER_NAME_LABEL: "prod", DEPLOYMENT_NAME_LABEL: "md"}},
                 "spec": {"bootstrap": {"configRef": {"apiGroup": BOOTSTRAP_GROUP, "kind": "KubeadmConfig", "name": "w-1"}}}},
                {"metadata": {"name": "other", "labels": {CLUSTER_NAME_LABEL: "staging"}}},
                {"metadata": {"name": "w-2", "labels": label}, "spec": {"bootstrap": {"dataSecretName": "x"}}}
            ]}),
        );
        o.insert(
            format!("/apis/cluster.x-k8s.io/v1beta2/namespaces/ns/machinedeployments{sel}"),
            serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeploymentList", "items": [
                {"metadata": {"name": "md", "labels": label},
                 "spec": {"template": {"spec": {"bootstrap": {"configRef": {"apiGroup": BOOTSTRAP_GROUP, "kind": "KubeadmConfigTemplate", "name": "md-t"}}}}}}
            ]}),
        );
        o.insert(
            "/apis/bootstrap.cluster.x-k8s.io/v1beta2/namespaces/ns/kubeadmconfigs/w-1".to_string(),
            serde_json::json!({"metadata": {"name": "w-1"}, "spec": {"files": [
                {"path": "/a", "contentFrom": {"secret": {"name": "s", "key": "k"}}},
                {"path": "/b", "contentFrom": {"secret": {"name": "s", "key": "missing"}}},
                {"path": "/c", "contentFrom": {"secret": {"name": "forbidden", "key": "k"}}}
            ]}}),
        );
        o.insert(
            "/apis/bootstrap.cluster.x-k8s.io/v1beta2/namespaces/ns/kubeadmconfigtemplates/md-t".to_string(),
            serde_json::json!({"metadata": {"name": "md-t"}, "spec": {"template": {"spec": {"users": [
                {"name": "core", "passwdFrom": {"secret": {"name": "s", "key": "pw"}}}]}}}}),
        );
        o.insert(
            "/api/v1/namespaces/ns/secrets/s".to_string(),
            serde_json::json!({"data": {"k": B64.encode("value k"), "pw": B64.encode("hash"), "other": B64.encode("not read")}}),
        );
        Fake { objects: o, calls: RefCell::new(Vec::new()) }
    }

    #[test]
    fn collects_and_assembles() {
        let f = fake();
        let out = read_cluster(&f, "ns", "prod").unwrap();
        assert_eq!(out.manifests.keys().collect::<Vec<_>>(), ["w-1", "w-2"]);
        let docs: Vec<Json> =
            out.manifests["w-1"].split("---\n").map(|d| serde_yaml_ng::from_str(d).unwrap()).collect();
        let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["Cluster", "MachineDeployment", "Machine", "KubeadmConfig"]);
        assert_eq!(docs[2]["apiVersion"], "cluster.x-k8s.io/v1beta2");
        assert_eq!(docs[3]["apiVersion"], "bootstrap.cluster.x-k8s.io/v1beta2");
        assert!(docs[0]["metadata"].get("managedFields").is_none());
        let mut config = serde_json::json!({"spec": {"joinConfiguration": {"discovery": {
            "bootstrapToken": {"token": "abcdef.0123456789abcdef", "apiServerEndpoint": "api:6443"},
            "tlsBootstrapToken": "abcdef.0123456789abcdef"}},
            "initConfiguration": {"bootstrapTokens": [{"token": "abcdef.0123456789abcdef", "ttl": "1h"}]}}});
        drop_tokens(&mut config);
        let inline = Inline::default();
        let mut with_user =
            serde_json::json!({"metadata": {"name": "cfg"}, "spec": {"users": [{"name": "ops", "passwd": "$6$hash"}]}});
        with_user = clean(with_user, &inline);
        assert_eq!(with_user["spec"]["users"][0]["passwdFrom"]["secret"]["name"], INLINE_PASSWORDS);
        assert_eq!(with_user["spec"]["users"][0]["passwdFrom"]["secret"]["key"], "cfg.ops");
        assert!(!with_user.to_string().contains("$6$hash"));
        assert_eq!(inline.borrow()["cfg.ops"].expose(), "$6$hash");
        assert!(!config.to_string().contains("0123456789abcdef"), "{config}");
        assert_eq!(config["spec"]["joinConfiguration"]["discovery"]["bootstrapToken"]["apiServerEndpoint"], "api:6443");
        assert_eq!(docs[0]["status"]["initialization"]["controlPlaneInitialized"], true);
        assert!(out.manifests["w-1"].starts_with("apiVersion:"), "keys sorted");
        let w2: Vec<&str> = out.manifests["w-2"].split("---\n").collect();
        assert_eq!(w2.len(), 2);
        assert!(out.control_plane.is_none());
        let md: Vec<Json> =
            out.machine_deployments["md"].split("---\n").map(|d| serde_yaml_ng::from_str(d).unwrap()).collect();
        assert_eq!(md[2]["kind"], "KubeadmConfigTemplate");
        let secrets: BTreeMap<&str, BTreeMap<&str, &str>> = out
            .secrets
            .iter()
            .map(|(n, kv)| (n.as_str(), kv.iter().map(|(k, v)| (k.as_str(), v.expose().as_str())).collect()))
            .collect();
        assert_eq!(secrets, BTreeMap::from([("s", BTreeMap::from([("k", "value k"), ("pw", "hash")]))]));
        let w = out.warnings.join("\n");
        assert!(w.contains("Machine ns/w-2 has no bootstrap.configRef"), "{w}");
        assert!(w.contains("has no key \"missing\""), "{w}");
        assert!(w.contains("Secret ns/forbidden") && w.contains("cannot be read"), "{w}");
        assert!(!w.contains("value k"));
        // The same objects give the same bytes.
        let again = read_cluster(&fake(), "ns", "prod").unwrap();
        assert_eq!(again.manifests, out.manifests);
        assert!(f.calls.borrow().iter().any(|c| c == "/apis/controlplane.cluster.x-k8s.io"));
    }

    #[test]
    fn missing_groups_and_clusters() {
        let mut f = fake();
        assert_eq!(
            read_cluster(&f, "ns", "nope").unwrap_err().to_string(),
            "cluster ns/nope not found on the API server at https://fake"
        );
        f.objects.remove("/apis/bootstrap.cluster.x-k8s.io");
        let e = read_cluster(&f, "ns", "prod").unwrap_err();
        assert!(matches!(e, KubeError::NotInstalled { ref group, .. } if group == BOOTSTRAP_GROUP), "{e}");
        f.objects.insert("/apis/bootstrap.cluster.x-k8s.io".into(), serde_json::json!({"kind": "Status"}));
        assert!(matches!(read_cluster(&f, "ns", "prod").unwrap_err(), KubeError::Invalid { .. }));
    }
}
