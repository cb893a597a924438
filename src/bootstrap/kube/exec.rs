//! Exec credential plugins (client-go's protocol) and the cache of their
//! credentials.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rustls::pki_types::CertificateDer;
use serde::Deserialize;
use serde_json::Value as Json;

use super::*;
use crate::bootstrap::secret::Sensitive;

/// The exec credential API versions a plugin can speak.
pub const EXEC_API_VERSIONS: [&str; 2] = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];
/// The environment variable that carries the plugin's input.
pub const EXEC_INFO_ENV: &str = "KUBERNETES_EXEC_INFO";
/// The cluster extension passed to a plugin as `spec.cluster.config`.
pub(super) const EXEC_EXTENSION: &str = "client.authentication.k8s.io/exec";
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
pub(super) struct ExecCluster<'a> {
    pub(super) server: &'a str,
    pub(super) ca_pem: Option<&'a [u8]>,
    pub(super) insecure: bool,
    pub(super) extension: Option<&'a Json>,
}

/// The command of an `exec` block as written, for messages.
pub(super) fn exec_command_label(block: &serde_yaml_ng::Value) -> String {
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
    pub(super) program: PathBuf,
    pub(super) args: Vec<String>,
    pub(super) env: Vec<(String, Sensitive<String>)>,
    install_hint: Option<String>,
    /// `KUBERNETES_EXEC_INFO`: the ExecCredential the plugin gets.
    pub(super) input: String,
    /// Identifies the plugin and its input in the credential cache.
    pub(super) cache_key: String,
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
    pub(super) fn parse(
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
    pub(super) fn error(&self, reason: String) -> KubeError {
        KubeError::setting(
            self.setting,
            "Kubeconfig exec plugin failed",
            format!("the exec plugin {:?} of user {:?} of the kubeconfig {reason}", self.label, self.user),
        )
    }

    /// Runs the plugin once and reads its credential; gives up after `limit`.
    pub(super) fn run(&self, limit: Duration) -> Result<ExecCredential, KubeError> {
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
    pub(super) token: Option<Sensitive<String>>,
    pub(super) client_cert: Option<(Vec<CertificateDer<'static>>, Sensitive<Vec<u8>>)>,
    /// When it stops being valid; `None`: until the server refuses it.
    pub(super) expires: Option<time::OffsetDateTime>,
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
    pub(super) fn expired(&self, now: time::OffsetDateTime) -> bool {
        self.expires.is_some_and(|e| now >= e)
    }
}

/// Reads the ExecCredential a plugin printed. Errors never quote values.
pub(super) fn parse_exec_credential(stdout: &[u8], api_version: &str) -> Result<ExecCredential, String> {
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
            crate::bootstrap::timestamp::parse_rfc3339(t)
                .ok_or_else(|| "returned an expirationTimestamp that is not an RFC 3339 time".to_string())?,
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
pub(super) fn exec_credential(
    plugin: &ExecPlugin,
    refused: Option<&Arc<ExecCredential>>,
) -> Result<Arc<ExecCredential>, KubeError> {
    exec_credential_within(plugin, refused, EXEC_PLUGIN_TIMEOUT)
}

pub(super) fn exec_credential_within(
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
