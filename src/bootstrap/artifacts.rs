//! Kubernetes artifacts fetched at boot: the version manifest format, reading
//! and writing it, and turning it (or a list of URLs) into files the node
//! fetches and checks against their SHA-512.
//!
//! The manifest (one per Kubernetes version, e.g. `…/v1.31.4/manifest.json`):
//!
//! ```json
//! {
//!   "kubernetesVersion": "v1.31.4",
//!   "files": [
//!     { "name": "kubeadm", "url": "kubeadm", "sha512": "<128 hex digits>" },
//!     { "name": "kubelet", "url": "https://dl.example.com/v1.31.4/kubelet", "sha512": "…" },
//!     { "name": "kubectl", "url": "kubectl", "sha512": "…" },
//!     { "name": "crictl", "url": "crictl-v1.31.1-linux-amd64.tar.gz", "sha512": "…", "archive": true },
//!     { "name": "cni-plugins", "url": "cni-plugins-linux-amd64-v1.5.1.tgz", "sha512": "…",
//!       "archive": true, "extractTo": "/opt/cni/bin" }
//!   ]
//! }
//! ```
//!
//! Relative URLs resolve against the manifest's own URL, so a mirrored
//! directory works unchanged. Plain files land in the OS's binary directory
//! under their `name`; archives are unpacked into `extractTo` (default: the
//! binary directory) before kubeadm runs.
//!
//! Nothing here knows about Terraform, tonic, prost or msgpack.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::http;
use super::node::{KubernetesVersion, OperatingSystem, RemoteFile};

/// Largest manifest read (it lists a handful of files).
const MAX_MANIFEST_BYTES: u64 = http::MANIFEST.body_limit;

/// Where archives are downloaded before they are unpacked.
pub const ARCHIVE_DIR: &str = "/opt/kubeadm/artifacts";

/// Largest manifest read, in bytes.
pub const MANIFEST_LIMIT: u64 = MAX_MANIFEST_BYTES;

/// The directory binaries go to: `/usr` is read-only on both OSes.
pub fn bin_dir(os: OperatingSystem) -> &'static str {
    match os {
        OperatingSystem::Flatcar => "/opt/bin",
        OperatingSystem::FedoraCoreos => "/usr/local/bin",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    #[error("Kubernetes {version} is not supported: no manifest at {url} ({reason})")]
    Missing { version: String, url: String, reason: String },
    #[error("cannot read the artifacts manifest at {url}: {reason}")]
    Unreadable { url: String, reason: String },
    #[error("the artifacts manifest at {url} is invalid: {reason}")]
    Invalid { url: String, reason: String },
    #[error("the artifacts manifest at {url} is for Kubernetes {found}, not {wanted}")]
    WrongVersion { url: String, found: String, wanted: String },
    #[error("{0}")]
    BadFile(String),
}

/// One file of a version manifest. Written, `archive` appears only when
/// true and `extractTo` only when set.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestFile {
    pub name: String,
    pub url: String,
    pub sha512: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract_to: Option<String>,
}

/// A version manifest, as read by the provider and written by
/// `terraform-provider-kubeadm artifacts`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    pub kubernetes_version: String,
    pub files: Vec<ManifestFile>,
}

/// Checks a SHA-512 written as 128 hex digits.
pub fn valid_sha512(s: &str) -> bool {
    s.len() == 128 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a file mode such as `0644` or `755` and returns its value.
pub fn parse_mode(s: &str) -> Option<u32> {
    let t = s.trim();
    if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    u32::from_str_radix(t, 8).ok()
}

fn is_safe_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && n != "."
        && n != ".."
}

/// Resolves `url` against the manifest's location when it is relative.
pub fn resolve_url(base: &str, url: &str) -> String {
    if url.contains("://") || url.starts_with('/') {
        return url.to_string();
    }
    match base.rfind('/') {
        Some(i) => format!("{}{}", &base[..=i], url),
        None => url.to_string(),
    }
}

impl Manifest {
    /// Parses and checks a manifest read from `url`.
    pub fn parse(bytes: &[u8], url: &str, wanted: &KubernetesVersion) -> Result<Manifest, ArtifactError> {
        let invalid = |reason: String| ArtifactError::Invalid { url: url.to_string(), reason };
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        let found = KubernetesVersion::parse(&m.kubernetes_version).map_err(|e| invalid(e.to_string()))?;
        if found != *wanted {
            return Err(ArtifactError::WrongVersion {
                url: url.to_string(),
                found: found.to_string(),
                wanted: wanted.to_string(),
            });
        }
        let mut names = BTreeSet::new();
        for (i, f) in m.files.iter().enumerate() {
            if !is_safe_name(&f.name) {
                return Err(invalid(format!("files[{i}].name {:?} must be a plain file name", f.name)));
            }
            if !names.insert(f.name.as_str()) {
                return Err(invalid(format!("files[{i}].name {:?} appears twice", f.name)));
            }
            if !valid_sha512(&f.sha512) {
                return Err(invalid(format!("files[{i}].sha512 must be 128 hex digits")));
            }
            if f.extract_to.is_some() && !f.archive {
                return Err(invalid(format!("files[{i}].extractTo needs \"archive\": true")));
            }
            if f.extract_to.as_deref().is_some_and(|p| !p.starts_with('/')) {
                return Err(invalid(format!("files[{i}].extractTo must be an absolute path")));
            }
        }
        for needed in ["kubeadm", "kubelet"] {
            if !names.contains(needed) {
                return Err(invalid(format!("it lists no {needed:?} file")));
            }
        }
        Ok(m)
    }

    /// The files a node of `os` fetches.
    pub fn remote_files(&self, manifest_url: &str, os: OperatingSystem) -> Vec<RemoteFile> {
        let bin = bin_dir(os);
        self.files
            .iter()
            .map(|f| {
                let url = resolve_url(manifest_url, &f.url);
                if f.archive {
                    let file_name = url.rsplit('/').next().filter(|n| is_safe_name(n)).unwrap_or(&f.name);
                    RemoteFile {
                        path: format!("{ARCHIVE_DIR}/{file_name}"),
                        url,
                        sha512: f.sha512.to_ascii_lowercase(),
                        mode: 0o644,
                        extract_to: Some(f.extract_to.clone().unwrap_or_else(|| bin.to_string())),
                    }
                } else {
                    RemoteFile {
                        path: format!("{bin}/{}", f.name),
                        url,
                        sha512: f.sha512.to_ascii_lowercase(),
                        mode: 0o755,
                        extract_to: None,
                    }
                }
            })
            .collect()
    }
}

/// Why a manifest could not be read, by kind: the reader that fails says
/// which (a file reader by its I/O error kind, HTTP by the status or the
/// transport error's kind, an object store by its answer), so no error text
/// is ever looked into. The reason is what users read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// There is none at the URL (no such file, HTTP 404, a host name that
    /// does not resolve, no such object): the version is not supported by
    /// this artifact source.
    Missing(String),
    /// It is there, or may be, but cannot be read.
    Unreadable(String),
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl Unread {
    /// The reason, as the reader words it.
    pub fn reason(&self) -> &str {
        match self {
            Unread::Missing(r) | Unread::Unreadable(r) => r,
        }
    }

    fn into_error(self, url: &str, version: &KubernetesVersion) -> ArtifactError {
        match self {
            Unread::Missing(reason) => {
                ArtifactError::Missing { version: version.to_string(), url: url.to_string(), reason }
            }
            Unread::Unreadable(reason) => ArtifactError::Unreadable { url: url.to_string(), reason },
        }
    }
}

/// Reads a manifest from a local path, `file://`, `http://` or `https://`.
/// (`s3://` manifests are read by the S3 store.)
pub fn fetch(url: &str) -> Result<Vec<u8>, Unread> {
    read(url)
}

fn read(url: &str) -> Result<Vec<u8>, Unread> {
    if url.starts_with("http://") || url.starts_with("https://") {
        return read_http(url);
    }
    if url.starts_with("s3://") {
        return Err(Unread::Unreadable("s3:// manifests need the provider's S3 store".to_string()));
    }
    let path = url.strip_prefix("file://").unwrap_or(url);
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Unread::Missing(e.to_string())
        } else {
            Unread::Unreadable(e.to_string())
        }
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(Unread::Unreadable(format!("larger than {MAX_MANIFEST_BYTES} bytes")));
    }
    std::fs::read(path).map_err(io)
}

/// The reasons keep the HTTP library's wording (`http status: 404`, `host
/// not found`, `timeout: global`); a host name that does not resolve counts
/// as a missing manifest, as a 404 does.
fn read_http(url: &str) -> Result<Vec<u8>, Unread> {
    let transport = |e: http::TransportError| match e.kind {
        http::TransportKind::HostNotFound => Unread::Missing(e.to_string()),
        _ => Unread::Unreadable(e.to_string()),
    };
    match http::Agent::new(&http::MANIFEST).get(url, &[]).map_err(transport)? {
        http::Got::Found(body) => body.read().map_err(transport),
        http::Got::NotFound(_) => Err(Unread::Missing("http status: 404".to_string())),
        // Below 400 the answer is read as it is.
        http::Got::Status(status, body) if status < 400 => body.read().map_err(transport),
        http::Got::Status(status, _) => Err(Unread::Unreadable(format!("http status: {status}"))),
    }
}

/// Reads and parses the manifest for `version`; a missing manifest means the
/// version is not supported by this artifact source.
pub fn load(url: &str, version: &KubernetesVersion) -> Result<Manifest, ArtifactError> {
    let bytes = read(url).map_err(|u| u.into_error(url, version))?;
    Manifest::parse(&bytes, url, version)
}

/// Like [`load`], with the caller's way of reading `url` (e.g. through an
/// S3 client for `s3://`, or a reading done ahead of time): it says whether
/// the manifest is missing or unreadable, as [`fetch`] does.
pub fn load_with(
    url: &str,
    version: &KubernetesVersion,
    fetch: impl FnOnce(&str) -> Result<Vec<u8>, Unread>,
) -> Result<Manifest, ArtifactError> {
    let bytes = fetch(url).map_err(|u| u.into_error(url, version))?;
    Manifest::parse(&bytes, url, version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v() -> KubernetesVersion {
        KubernetesVersion::parse("v1.31.4").unwrap()
    }

    fn sha() -> String {
        "a".repeat(128)
    }

    fn manifest_json() -> String {
        format!(
            r#"{{"kubernetesVersion":"v1.31.4","files":[
              {{"name":"kubeadm","url":"kubeadm","sha512":"{s}"}},
              {{"name":"kubelet","url":"https://mirror.example/kubelet","sha512":"{s}"}},
              {{"name":"cni-plugins","url":"cni.tgz","sha512":"{s}","archive":true,"extractTo":"/opt/cni/bin"}}]}}"#,
            s = sha()
        )
    }

    #[test]
    fn parses_and_resolves() {
        let m = Manifest::parse(manifest_json().as_bytes(), "http://h/k8s/v1.31.4/manifest.json", &v()).unwrap();
        let files = m.remote_files("http://h/k8s/v1.31.4/manifest.json", OperatingSystem::Flatcar);
        assert_eq!(files[0].path, "/opt/bin/kubeadm");
        assert_eq!(files[0].url, "http://h/k8s/v1.31.4/kubeadm");
        assert_eq!(files[0].mode, 0o755);
        assert_eq!(files[1].url, "https://mirror.example/kubelet");
        assert_eq!(files[2].path, "/opt/kubeadm/artifacts/cni.tgz");
        assert_eq!(files[2].extract_to.as_deref(), Some("/opt/cni/bin"));
        let fcos = m.remote_files("m.json", OperatingSystem::FedoraCoreos);
        assert_eq!(fcos[0].path, "/usr/local/bin/kubeadm");
    }

    #[test]
    fn rejects_bad_manifests() {
        let wrong_version = manifest_json().replace("v1.31.4", "v1.30.1");
        assert!(matches!(
            Manifest::parse(wrong_version.as_bytes(), "u", &v()),
            Err(ArtifactError::WrongVersion { .. })
        ));
        let bad_sha = manifest_json().replacen(&sha(), "abc", 1);
        assert!(Manifest::parse(bad_sha.as_bytes(), "u", &v()).is_err());
        let traversal = manifest_json().replace("\"name\":\"kubeadm\"", "\"name\":\"../kubeadm\"");
        assert!(Manifest::parse(traversal.as_bytes(), "u", &v()).is_err());
        let unknown = manifest_json().replace("\"archive\":true", "\"archiv\":true");
        assert!(Manifest::parse(unknown.as_bytes(), "u", &v()).is_err());
        assert!(Manifest::parse(b"not json", "u", &v()).is_err());
    }

    #[test]
    fn missing_manifest_says_version_unsupported() {
        let e = load("/nonexistent/v1.31.4/manifest.json", &v()).unwrap_err();
        assert_eq!(e.to_string().split(':').next().unwrap(), "Kubernetes v1.31.4 is not supported");
    }

    /// Serves each of `replies` (status line and body) to one request.
    fn serve(replies: &'static [(&'static str, &'static str)]) -> (String, std::thread::JoinHandle<()>) {
        use std::io::{Read as _, Write as _};
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/k8s/v1.31.4/manifest.json", server.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            for (status, body) in replies {
                let (mut s, _) = server.accept().unwrap();
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).unwrap();
                let reply =
                    format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                s.write_all(reply.as_bytes()).unwrap();
            }
        });
        (url, handle)
    }

    #[test]
    fn http_answers_sort_into_missing_and_unreadable() {
        let (url, server) = serve(&[("404 Not Found", "gone"), ("500 Oops", "down"), ("404 Not Found", "gone")]);
        let e = load(&url, &v()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("Kubernetes v1.31.4 is not supported: no manifest at {url} (http status: 404)")
        );
        let e = load(&url, &v()).unwrap_err();
        assert_eq!(e.to_string(), format!("cannot read the artifacts manifest at {url}: http status: 500"));
        // Read ahead of time, the kind is kept.
        let e = load_with(&url, &v(), fetch).unwrap_err();
        assert!(matches!(e, ArtifactError::Missing { .. }), "{e}");
        server.join().unwrap();
        let body: &'static str = Box::leak(manifest_json().into_boxed_str());
        let replies: &'static [(&'static str, &'static str)] = Box::leak(Box::new([("200 OK", body)]));
        let (url, server) = serve(replies);
        assert_eq!(load(&url, &v()).unwrap().files.len(), 3);
        server.join().unwrap();
    }

    #[test]
    fn modes() {
        assert_eq!(parse_mode("0644"), Some(0o644));
        assert_eq!(parse_mode("755"), Some(0o755));
        for bad in ["", "0888", "12345", "rw", "-1"] {
            assert_eq!(parse_mode(bad), None, "{bad}");
        }
    }
}
