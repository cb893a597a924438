//! The work behind `terraform-provider-kubeadm artifacts`: building a version
//! manifest (the [`Manifest`] the provider reads) from a directory of
//! binaries, mirroring the binaries from an upstream release location with
//! their published checksums checked, and uploading a directory and its
//! manifest to S3 or another directory.
//!
//! The options arrive already read from the command line ([`super`]). This
//! part uses the domain (`crate::bootstrap`) only: never the plugin protocol
//! (tonic, prost, msgpack), `crate::tfplugin` or `crate::provider`.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256, Sha512};

use crate::bootstrap::artifacts::{Manifest, ManifestFile};
use crate::bootstrap::node::KubernetesVersion;
use crate::bootstrap::store::s3::{S3Settings, S3Store};
use crate::bootstrap::store::{ObjectStore, StoreError};

/// The manifest's file name inside an artifacts directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The binaries a directory holds unless told otherwise.
pub const DEFAULT_NAMES: [&str; 3] = ["kubeadm", "kubelet", "kubectl"];
/// Where the Kubernetes release bucket keeps a binary.
pub const DEFAULT_URL_TEMPLATE: &str = "{base}/{version}/bin/linux/{arch}/{name}";
/// Where CNI plugin archives are unpacked.
pub const CNI_BIN_DIR: &str = "/opt/cni/bin";
/// The largest file downloaded (kubelet is about 80 MB).
pub const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;
/// The largest checksum file read.
const MAX_CHECKSUM_BYTES: u64 = 64 * 1024;

/// What went wrong, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// An option value that cannot work.
    #[error("{0}")]
    Invalid(String),
    #[error("cannot {op} {path}: {source}")]
    Io { op: &'static str, path: String, source: std::io::Error },
    #[error("download of {url} failed: {reason}")]
    Download { url: String, reason: String },
    #[error(transparent)]
    Checksum(Box<ChecksumMismatch>),
    #[error("the manifest would be invalid: {0}")]
    Manifest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A download that does not match the checksum its upstream publishes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "checksum mismatch for {name}: {checksum_url} says {algorithm} {expected}, but the file downloaded from {url} has \
     {actual}; it was not kept. The download was corrupted or the upstream is not what it claims: retry, or check \
     --from and --version"
)]
pub struct ChecksumMismatch {
    pub name: String,
    pub url: String,
    pub checksum_url: String,
    pub algorithm: &'static str,
    pub expected: String,
    pub actual: String,
}

fn io_error<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ToolError + 'a {
    move |source| ToolError::Io { op, path: path.display().to_string(), source }
}

/// What `build` is asked for.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub version: KubernetesVersion,
    pub dir: PathBuf,
    /// Plain binaries to list; each must be in `dir`. Archives (`.tar.gz`,
    /// `.tgz`) in `dir` are listed whether named or not.
    pub names: Vec<String>,
    /// Where `dir` is served; the manifest then lists absolute URLs.
    /// Without it, URLs are relative to the manifest.
    pub base_url: Option<String>,
    /// Default: `dir/manifest.json`.
    pub out: Option<PathBuf>,
}

/// What `build` wrote.
#[derive(Debug, Clone)]
pub struct Built {
    pub path: PathBuf,
    pub manifest: Manifest,
    /// The size in bytes of each of `manifest.files`, in the same order.
    pub sizes: Vec<u64>,
    /// Files in the directory that are not in the manifest.
    pub skipped: Vec<String>,
}

/// A plain file name: letters, digits, `-`, `_`, `.`; not `.` or `..`.
pub fn is_plain_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && n != "."
        && n != ".."
}

fn is_archive(file: &str) -> bool {
    file.ends_with(".tar.gz") || file.ends_with(".tgz")
}

/// The manifest name and unpack directory of an archive file.
fn archive_entry_name(file: &str) -> (String, Option<String>) {
    if file.starts_with("crictl") {
        return ("crictl".into(), None);
    }
    if file.starts_with("cni-plugins") {
        return ("cni-plugins".into(), Some(CNI_BIN_DIR.into()));
    }
    let stem = file.strip_suffix(".tar.gz").or_else(|| file.strip_suffix(".tgz")).unwrap_or(file);
    (stem.to_string(), None)
}

/// Files that sit beside binaries without being artifacts.
fn is_side_file(file: &str) -> bool {
    file.starts_with('.')
        || [".json", ".sha256", ".sha512", ".sig", ".asc", ".cert", ".pem", ".partial"]
            .iter()
            .any(|s| file.ends_with(s))
}

/// Checks a URL that files are served from.
fn check_base_url(url: &str, option: &str) -> Result<String, ToolError> {
    let ok = ["http://", "https://", "s3://"].iter().any(|s| url.starts_with(s) && url.len() > s.len());
    if !ok {
        return Err(ToolError::Invalid(format!(
            "{option} {url:?} is not an http://, https:// or s3:// URL; nodes fetch the files from there, e.g. \
             https://artifacts.example.com/k8s/v1.31.4"
        )));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Splits a comma-separated list of names and checks each.
pub fn parse_names(list: &str) -> Result<Vec<String>, ToolError> {
    let mut out: Vec<String> = Vec::new();
    for n in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !is_plain_name(n) {
            return Err(ToolError::Invalid(format!(
                "{n:?} is not a plain file name (letters, digits, - _ .), e.g. --names kubeadm,kubelet,kubectl"
            )));
        }
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    if out.is_empty() {
        return Err(ToolError::Invalid("--names lists no file, e.g. --names kubeadm,kubelet,kubectl".into()));
    }
    Ok(out)
}

/// SHA-512 and SHA-256 (lowercase hex) and the size of a file, read in pieces.
pub fn hash_file(path: &Path) -> Result<(String, String, u64), ToolError> {
    let mut f = std::fs::File::open(path).map_err(io_error("read", path))?;
    let (mut s512, mut s256, mut size) = (Sha512::new(), Sha256::new(), 0u64);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(io_error("read", path))?;
        if n == 0 {
            break;
        }
        s512.update(&buf[..n]);
        s256.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(s512.finalize()), hex::encode(s256.finalize()), size))
}

/// Writes `bytes` to `path` through a sibling temporary file, so readers never
/// see half a file.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ToolError> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_error("create directory", dir))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{:016x}.partial", rand::random::<u64>()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ToolError::Io { op: "write", path: path.display().to_string(), source: e }
    })
}

/// The canonical directory `path` lives in (the path itself need not exist).
fn canonical_parent(path: &Path) -> Option<PathBuf> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.canonicalize().ok()
}

/// Builds the manifest for the binaries and archives in `opts.dir`, checks it
/// the way the provider will read it, and writes it.
pub fn build(opts: &BuildOptions) -> Result<Built, ToolError> {
    let dir = &opts.dir;
    if !dir.is_dir() {
        return Err(ToolError::Invalid(format!(
            "{} is not a directory: put kubeadm, kubelet and kubectl there, or use `artifacts mirror` to download them",
            dir.display()
        )));
    }
    let out = opts.out.clone().unwrap_or_else(|| dir.join(MANIFEST_FILE));
    let base_url = opts.base_url.as_deref().map(|u| check_base_url(u, "--base-url")).transpose()?;
    if base_url.is_none() && canonical_parent(&out) != dir.canonicalize().ok() {
        return Err(ToolError::Invalid(format!(
            "without --base-url the manifest lists URLs relative to itself, so it must be written into {} (leave out \
             --out), or pass --base-url with the URL the directory is served at",
            dir.display()
        )));
    }
    let out_name = out.file_name().and_then(|n| n.to_str()).unwrap_or(MANIFEST_FILE).to_string();

    let mut listing: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error("list", dir))? {
        let entry = entry.map_err(io_error("list", dir))?;
        let path = entry.path();
        if path.is_file() {
            if let Some(name) = entry.file_name().to_str() {
                listing.push(name.to_string());
            }
        }
    }
    listing.sort();

    let mut files: Vec<String> = Vec::new();
    for name in &opts.names {
        if !is_plain_name(name) {
            return Err(ToolError::Invalid(format!("{name:?} is not a plain file name (letters, digits, - _ .)")));
        }
        if !listing.contains(name) {
            return Err(ToolError::Invalid(format!(
                "{} has no file {name:?}: put it there, or leave it out of --names",
                dir.display()
            )));
        }
        files.push(name.clone());
    }
    for f in &listing {
        if is_archive(f) && !files.contains(f) {
            files.push(f.clone());
        }
    }
    let skipped: Vec<String> =
        listing.iter().filter(|f| !files.contains(f) && **f != out_name && !is_side_file(f)).cloned().collect();

    let mut entries: Vec<ManifestFile> = Vec::new();
    let mut sizes: Vec<u64> = Vec::new();
    let mut names = BTreeSet::new();
    for file in &files {
        if !is_plain_name(file) {
            return Err(ToolError::Invalid(format!(
                "{:?} in {} is not a plain file name (letters, digits, - _ .): rename it",
                file,
                dir.display()
            )));
        }
        let (name, extract_to, archive) = if is_archive(file) {
            let (n, e) = archive_entry_name(file);
            (n, e, true)
        } else {
            (file.clone(), None, false)
        };
        if !names.insert(name.clone()) {
            return Err(ToolError::Invalid(format!(
                "{} holds two files listed as {name:?}: keep one of them",
                dir.display()
            )));
        }
        let path = dir.join(file);
        let (sha512, _, size) = hash_file(&path)?;
        if size == 0 {
            return Err(ToolError::Invalid(format!("{} is empty: replace it with the real file", path.display())));
        }
        let url = match &base_url {
            Some(b) => format!("{b}/{file}"),
            None => file.clone(),
        };
        entries.push(ManifestFile { name, url, sha512, archive, extract_to });
        sizes.push(size);
    }
    for needed in ["kubeadm", "kubelet"] {
        if !names.contains(needed) {
            return Err(ToolError::Invalid(format!(
                "{} has no {needed:?} in the manifest: a node needs kubeadm and kubelet; put the binary there and \
                 list it in --names",
                dir.display()
            )));
        }
    }

    let manifest = Manifest { kubernetes_version: opts.version.to_string(), files: entries };
    let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| ToolError::Manifest(e.to_string()))?;
    bytes.push(b'\n');
    // Read it back exactly as the provider will.
    Manifest::parse(&bytes, &out.display().to_string(), &opts.version)
        .map_err(|e| ToolError::Manifest(e.to_string()))?;
    write_atomically(&out, &bytes, 0o644)?;
    Ok(Built { path: out, manifest, sizes, skipped })
}

/// What `mirror` is asked for.
#[derive(Debug, Clone)]
pub struct MirrorOptions {
    pub version: KubernetesVersion,
    /// The upstream base: an `http(s)://` URL or a local directory.
    pub from: String,
    /// Files fetched through `url_template`.
    pub names: Vec<String>,
    /// Files fetched from their own URL: (file name, URL).
    pub extra: Vec<(String, String)>,
    pub dir: PathBuf,
    pub arch: String,
    /// With `{base}`, `{version}`, `{arch}` and `{name}`.
    pub url_template: String,
    /// Fail when the upstream publishes no checksum for a file.
    pub require_checksums: bool,
    pub base_url: Option<String>,
    pub out: Option<PathBuf>,
}

/// Fills in a URL template.
pub fn expand_template(template: &str, base: &str, version: &str, arch: &str, name: &str) -> Result<String, ToolError> {
    if !template.contains("{name}") {
        return Err(ToolError::Invalid(format!(
            "--url-template {template:?} has no {{name}}; e.g. {DEFAULT_URL_TEMPLATE:?}"
        )));
    }
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            return Err(ToolError::Invalid(format!("--url-template {template:?} has an unclosed '{{'")));
        };
        let key = &rest[open + 1..open + close];
        out.push_str(match key {
            "base" => base.trim_end_matches('/'),
            "version" => version,
            "arch" => arch,
            "name" => name,
            other => {
                return Err(ToolError::Invalid(format!(
                "--url-template {template:?} uses {{{other}}}; known are {{base}}, {{version}}, {{arch}} and {{name}}"
            )))
            }
        });
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_http(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

fn local_path(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("file://").unwrap_or(url))
}

fn agent() -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .tls_config(tls)
        .build()
        .into()
}

/// What a GET of a URL or a local path found.
enum Fetched<R> {
    Found(R),
    NotFound,
}

fn open(agent: &ureq::Agent, url: &str) -> Result<Fetched<Box<dyn Read>>, ToolError> {
    let fail = |reason: String| ToolError::Download { url: url.to_string(), reason };
    if is_http(url) {
        let resp = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Ok(Fetched::NotFound);
        }
        if status != 200 {
            return Err(fail(format!("the server answered HTTP {status}")));
        }
        let reader = resp.into_body().into_with_config().limit(MAX_DOWNLOAD_BYTES).reader();
        return Ok(Fetched::Found(Box::new(reader)));
    }
    match std::fs::File::open(local_path(url)) {
        Ok(f) => Ok(Fetched::Found(Box::new(f))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Fetched::NotFound),
        Err(e) => Err(fail(e.to_string())),
    }
}

/// A published checksum: `<hex>` or `<hex>  <file>` on the first line.
fn fetch_checksum(
    agent: &ureq::Agent,
    url: &str,
    algorithm: &'static str,
) -> Result<Option<(String, String)>, ToolError> {
    let sum_url = format!("{url}.{algorithm}");
    let mut reader = match open(agent, &sum_url)? {
        Fetched::Found(r) => r.take(MAX_CHECKSUM_BYTES),
        Fetched::NotFound => return Ok(None),
    };
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| ToolError::Download { url: sum_url.clone(), reason: e.to_string() })?;
    let digits = if algorithm == "sha512" { 128 } else { 64 };
    let token = text.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
    if token.len() != digits || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ToolError::Download {
            url: sum_url,
            reason: format!("it does not start with a {algorithm} checksum ({digits} hex digits)"),
        });
    }
    Ok(Some((sum_url, token)))
}

/// Downloads one file into `dest` (through a temporary file), checking it
/// against the upstream's `.sha512` or `.sha256` when one is published.
fn mirror_one(
    agent: &ureq::Agent,
    name: &str,
    url: &str,
    dest: &Path,
    require_checksum: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<(), ToolError> {
    let published = match fetch_checksum(agent, url, "sha512")? {
        Some((u, h)) => Some(("sha512", u, h)),
        None => fetch_checksum(agent, url, "sha256")?.map(|(u, h)| ("sha256", u, h)),
    };
    if published.is_none() && require_checksum {
        return Err(ToolError::Invalid(format!(
            "{url} has no {url}.sha512 or {url}.sha256 beside it, and --require-checksums is set: publish one, or \
             drop --require-checksums to record the sha512 of the file as downloaded"
        )));
    }
    let pick = |sha512: &str, sha256: &str, algorithm: &str| {
        if algorithm == "sha512" {
            sha512.to_string()
        } else {
            sha256.to_string()
        }
    };
    if let Some((algorithm, _, expected)) = &published {
        if dest.is_file() {
            let (s512, s256, _) = hash_file(dest)?;
            if &pick(&s512, &s256, algorithm) == expected {
                progress(&format!("{name}: already in place, {algorithm} matches {url}.{algorithm}"));
                return Ok(());
            }
        }
    }

    let mut reader = match open(agent, url)? {
        Fetched::Found(r) => r,
        Fetched::NotFound => {
            return Err(ToolError::Download {
                url: url.to_string(),
                reason: "not found (404): check --from, --version, --arch and --url-template (or the --file URL)"
                    .into(),
            })
        }
    };
    let dir = dest.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{name}.{:016x}.partial", rand::random::<u64>()));
    let result = (|| -> Result<(String, String, u64), ToolError> {
        let mut f = std::fs::File::create(&tmp).map_err(io_error("create", &tmp))?;
        let (mut s512, mut s256, mut size) = (Sha512::new(), Sha256::new(), 0u64);
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| ToolError::Download { url: url.to_string(), reason: e.to_string() })?;
            if n == 0 {
                break;
            }
            s512.update(&buf[..n]);
            s256.update(&buf[..n]);
            size += n as u64;
            f.write_all(&buf[..n]).map_err(io_error("write", &tmp))?;
        }
        f.sync_all().map_err(io_error("write", &tmp))?;
        Ok((hex::encode(s512.finalize()), hex::encode(s256.finalize()), size))
    })();
    let (s512, s256, size) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if let Some((algorithm, sum_url, expected)) = &published {
        let actual = pick(&s512, &s256, algorithm);
        if &actual != expected {
            let _ = std::fs::remove_file(&tmp);
            return Err(ToolError::Checksum(Box::new(ChecksumMismatch {
                name: name.to_string(),
                url: url.to_string(),
                checksum_url: sum_url.clone(),
                algorithm,
                expected: expected.clone(),
                actual,
            })));
        }
    }
    if size == 0 {
        let _ = std::fs::remove_file(&tmp);
        return Err(ToolError::Download { url: url.to_string(), reason: "the file is empty".into() });
    }
    let mode = if is_archive(name) { 0o644 } else { 0o755 };
    let finish = || -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        std::fs::rename(&tmp, dest)
    };
    if let Err(e) = finish() {
        let _ = std::fs::remove_file(&tmp);
        return Err(ToolError::Io { op: "write", path: dest.display().to_string(), source: e });
    }
    match &published {
        Some((algorithm, sum_url, _)) => {
            progress(&format!("{name}: {size} bytes from {url}, {algorithm} verified against {sum_url}"))
        }
        None => progress(&format!(
            "{name}: {size} bytes from {url}; the upstream publishes no .sha512 or .sha256, so its sha512 is \
             recorded as downloaded"
        )),
    }
    Ok(())
}

/// Downloads the files into `opts.dir`, checks each against the upstream's
/// checksum file when there is one, and builds the manifest.
pub fn mirror(opts: &MirrorOptions, progress: &mut dyn FnMut(&str)) -> Result<Built, ToolError> {
    let from = opts.from.trim();
    if from.is_empty() {
        return Err(ToolError::Invalid(
            "--from is empty: give the upstream base URL, e.g. https://dl.k8s.io/release".into(),
        ));
    }
    if from.contains("://") && !is_http(from) && !from.starts_with("file://") {
        return Err(ToolError::Invalid(format!("--from {from:?} is neither an http(s):// URL nor a local directory")));
    }
    if !is_plain_name(&opts.arch) {
        return Err(ToolError::Invalid(format!("--arch {:?} is not an architecture name such as amd64", opts.arch)));
    }
    if let Some(u) = &opts.base_url {
        check_base_url(u, "--base-url")?;
    }
    let version = opts.version.to_string();
    let mut jobs: Vec<(String, String)> = Vec::new();
    for name in &opts.names {
        if !is_plain_name(name) {
            return Err(ToolError::Invalid(format!("{name:?} is not a plain file name (letters, digits, - _ .)")));
        }
        jobs.push((name.clone(), expand_template(&opts.url_template, from, &version, &opts.arch, name)?));
    }
    for (name, url) in &opts.extra {
        if !is_plain_name(name) {
            return Err(ToolError::Invalid(format!(
                "--file {name:?}: the part before '=' is the file name to store, e.g. \
                 --file crictl-v1.31.1-linux-amd64.tar.gz=https://…/crictl-v1.31.1-linux-amd64.tar.gz"
            )));
        }
        if jobs.iter().any(|(n, _)| n == name) {
            return Err(ToolError::Invalid(format!("{name:?} is listed twice")));
        }
        jobs.push((name.clone(), url.clone()));
    }
    std::fs::create_dir_all(&opts.dir).map_err(io_error("create directory", &opts.dir))?;
    let agent = agent();
    for (name, url) in &jobs {
        mirror_one(&agent, name, url, &opts.dir.join(name), opts.require_checksums, progress)?;
    }
    let names = jobs.iter().map(|(n, _)| n.clone()).filter(|n| !is_archive(n)).collect();
    build(&BuildOptions {
        version: opts.version.clone(),
        dir: opts.dir.clone(),
        names,
        base_url: opts.base_url.clone(),
        out: opts.out.clone(),
    })
}

/// Where `upload` puts things.
#[derive(Debug, Clone)]
pub enum Target {
    /// `s3://bucket/prefix/`, through the provider's S3 store.
    S3(S3Settings),
    /// A directory (for a web server's document root, a mounted share).
    Local(PathBuf),
}

impl Target {
    /// Reads `s3://bucket/prefix/` (settings other than bucket and prefix
    /// come from `base`) or a local path.
    pub fn parse(to: &str, base: S3Settings) -> Result<Target, ToolError> {
        if let Some(rest) = to.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(ToolError::Invalid(format!("--to {to:?} names no bucket; write s3://bucket/prefix/")));
            }
            return Ok(Target::S3(S3Settings { bucket: bucket.to_string(), prefix: prefix.to_string(), ..base }));
        }
        if to.contains("://") && !to.starts_with("file://") {
            return Err(ToolError::Invalid(format!(
                "--to {to:?} is neither s3://bucket/prefix/ nor a local directory"
            )));
        }
        if to.is_empty() {
            return Err(ToolError::Invalid("--to is empty: give s3://bucket/prefix/ or a directory".into()));
        }
        Ok(Target::Local(local_path(to)))
    }
}

/// What `upload` is asked for.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    pub dir: PathBuf,
    /// Default: `dir/manifest.json`.
    pub manifest: Option<PathBuf>,
    pub target: Target,
}

/// What `upload` did.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// What `kubernetes_artifacts.manifest_url` should say.
    pub manifest_url: String,
    /// Object keys (or relative paths) written, the manifest last.
    pub keys: Vec<String>,
}

/// A relative URL of the manifest that names a file under the directory.
fn relative_key(url: &str) -> Option<&str> {
    if url.contains("://") || url.starts_with('/') {
        return None;
    }
    Some(url)
}

fn check_relative_key(url: &str) -> Result<(), ToolError> {
    if url.split('/').all(is_plain_name) {
        Ok(())
    } else {
        Err(ToolError::Invalid(format!(
            "the manifest's relative URL {url:?} is not a plain path below its directory; rebuild it with \
             `artifacts build`"
        )))
    }
}

/// Uploads the files a manifest lists by relative URL, each checked against
/// its sha512 first, then the manifest itself, so a reader never finds a
/// manifest whose files are missing.
pub async fn upload(opts: &UploadOptions, progress: &mut dyn FnMut(&str)) -> Result<Uploaded, ToolError> {
    let manifest_path = opts.manifest.clone().unwrap_or_else(|| opts.dir.join(MANIFEST_FILE));
    let bytes = std::fs::read(&manifest_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ToolError::Invalid(format!(
            "no manifest at {}: run `artifacts build` (or `artifacts mirror`) first",
            manifest_path.display()
        )),
        _ => ToolError::Io { op: "read", path: manifest_path.display().to_string(), source: e },
    })?;
    let location = manifest_path.display().to_string();
    let version = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["kubernetesVersion"].as_str().map(str::to_string))
        .ok_or_else(|| ToolError::Manifest(format!("{location} has no kubernetesVersion: rebuild it")))?;
    let version = KubernetesVersion::parse(&version).map_err(|e| ToolError::Manifest(e.to_string()))?;
    let manifest = Manifest::parse(&bytes, &location, &version).map_err(|e| ToolError::Manifest(e.to_string()))?;
    let manifest_key = manifest_path.file_name().and_then(|n| n.to_str()).unwrap_or(MANIFEST_FILE).to_string();

    // Check everything before writing anything.
    let mut jobs: Vec<(String, PathBuf)> = Vec::new();
    for f in &manifest.files {
        let Some(key) = relative_key(&f.url) else {
            progress(&format!("{}: stays at {} (an absolute URL)", f.name, f.url));
            continue;
        };
        check_relative_key(key)?;
        let path = opts.dir.join(key);
        let (sha512, _, _) = hash_file(&path)?;
        if !sha512.eq_ignore_ascii_case(&f.sha512) {
            return Err(ToolError::Invalid(format!(
                "{} does not match the sha512 in {location}: the file changed after the manifest was built; run \
                 `artifacts build` again",
                path.display()
            )));
        }
        jobs.push((key.to_string(), path));
    }
    jobs.push((manifest_key.clone(), manifest_path.clone()));

    let mut keys = Vec::new();
    match &opts.target {
        Target::S3(settings) => {
            let store = S3Store::new(settings.clone()).await?;
            for (key, path) in &jobs {
                let data = std::fs::read(path).map_err(io_error("read", path))?;
                let info = store.put(key, &data).await?;
                progress(&format!("uploaded {} ({} bytes)", store.object_url(key), info.size));
                keys.push(key.clone());
            }
            Ok(Uploaded { manifest_url: store.object_url(&manifest_key), keys })
        }
        Target::Local(root) => {
            for (key, path) in &jobs {
                let data = std::fs::read(path).map_err(io_error("read", path))?;
                let dest = root.join(key);
                write_atomically(&dest, &data, 0o644)?;
                progress(&format!("copied {} ({} bytes)", dest.display(), data.len()));
                keys.push(key.clone());
            }
            Ok(Uploaded { manifest_url: root.join(&manifest_key).display().to_string(), keys })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v() -> KubernetesVersion {
        KubernetesVersion::parse("v1.31.4").unwrap()
    }

    fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (n, b) in files {
            std::fs::write(d.path().join(n), b).unwrap();
        }
        d
    }

    fn opts(dir: &Path) -> BuildOptions {
        BuildOptions {
            version: v(),
            dir: dir.to_path_buf(),
            names: DEFAULT_NAMES.iter().map(|s| s.to_string()).collect(),
            base_url: None,
            out: None,
        }
    }

    #[test]
    fn builds_a_manifest_the_provider_reads() {
        let d = dir_with(&[
            ("kubeadm", b"a"),
            ("kubelet", b"b"),
            ("kubectl", b"c"),
            ("cni-plugins-linux-amd64-v1.5.1.tgz", b"d"),
            ("crictl-v1.31.1-linux-amd64.tar.gz", b"e"),
            ("kubeadm.sha256", b"x"),
            ("README", b"r"),
        ]);
        let built = build(&opts(d.path())).unwrap();
        assert_eq!(built.path, d.path().join("manifest.json"));
        assert_eq!(built.skipped, vec!["README".to_string()]);
        let text = std::fs::read_to_string(&built.path).unwrap();
        let m = Manifest::parse(text.as_bytes(), "http://h/v1.31.4/manifest.json", &v()).unwrap();
        let names: Vec<&str> = m.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["kubeadm", "kubelet", "kubectl", "cni-plugins", "crictl"]);
        assert_eq!(m.files[0].url, "kubeadm");
        assert_eq!(m.files[0].sha512, crate::bootstrap::store::sha512_hex(b"a"));
        assert!(!m.files[0].archive);
        assert!(m.files[3].archive);
        assert_eq!(m.files[3].extract_to.as_deref(), Some(CNI_BIN_DIR));
        assert_eq!(m.files[4].extract_to, None);
        assert!(!text.contains("\"archive\": false"), "{text}");

        let mut with_base = opts(d.path());
        with_base.base_url = Some("https://dl.example.com/k8s/v1.31.4/".into());
        with_base.out = Some(d.path().join("elsewhere").join("m.json"));
        let built = build(&with_base).unwrap();
        assert_eq!(built.manifest.files[1].url, "https://dl.example.com/k8s/v1.31.4/kubelet");
        // Building again gives the same bytes.
        let first = std::fs::read(&built.path).unwrap();
        build(&with_base).unwrap();
        assert_eq!(std::fs::read(&built.path).unwrap(), first);
    }

    #[test]
    fn build_errors_say_what_to_do() {
        let d = dir_with(&[("kubeadm", b"a"), ("kubelet", b"b")]);
        let e = build(&opts(d.path())).unwrap_err().to_string();
        assert!(e.contains("has no file \"kubectl\"") && e.contains("--names"), "{e}");
        let mut o = opts(d.path());
        o.names = vec!["kubeadm".into()];
        let e = build(&o).unwrap_err().to_string();
        assert!(e.contains("\"kubelet\"") && e.contains("a node needs kubeadm and kubelet"), "{e}");
        o.names = vec!["kubeadm".into(), "kubelet".into()];
        o.out = Some(d.path().join("sub/manifest.json"));
        assert!(build(&o).unwrap_err().to_string().contains("--base-url"));
        o.out = None;
        o.base_url = Some("ftp://x".into());
        assert!(build(&o).unwrap_err().to_string().contains("https://"));
        let e = build(&opts(&d.path().join("missing"))).unwrap_err().to_string();
        assert!(e.contains("is not a directory"), "{e}");
        let empty = dir_with(&[("kubeadm", b""), ("kubelet", b"b"), ("kubectl", b"c")]);
        assert!(build(&opts(empty.path())).unwrap_err().to_string().contains("is empty"));
        let twice = dir_with(&[
            ("kubeadm", b"a"),
            ("kubelet", b"b"),
            ("kubectl", b"c"),
            ("crictl-a.tgz", b"1"),
            ("crictl-b.tgz", b"2"),
        ]);
        assert!(build(&opts(twice.path())).unwrap_err().to_string().contains("keep one"));
    }

    #[test]
    fn templates_and_names() {
        let u = expand_template(DEFAULT_URL_TEMPLATE, "https://dl.example.com/release/", "v1.31.4", "amd64", "kubeadm")
            .unwrap();
        assert_eq!(u, "https://dl.example.com/release/v1.31.4/bin/linux/amd64/kubeadm");
        assert!(expand_template("{base}/{nme}", "b", "v", "a", "n").is_err());
        assert!(expand_template("{base}/{version}", "b", "v", "a", "n").is_err());
        assert!(expand_template("{base}/{name", "b", "v", "a", "n").is_err());
        assert_eq!(parse_names("kubeadm, kubelet,,kubeadm").unwrap(), ["kubeadm", "kubelet"]);
        assert!(parse_names("../etc/passwd").is_err());
        assert!(parse_names(" , ").is_err());
    }

    #[test]
    fn targets() {
        let t =
            Target::parse("s3://bucket/k8s/v1.31.4/", S3Settings { region: Some("r".into()), ..Default::default() })
                .unwrap();
        match t {
            Target::S3(s) => {
                assert_eq!(
                    (s.bucket.as_str(), s.prefix.as_str(), s.region.as_deref()),
                    ("bucket", "k8s/v1.31.4/", Some("r"))
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(Target::parse("/srv/k8s", S3Settings::default()), Ok(Target::Local(_))));
        assert!(Target::parse("s3:///x", S3Settings::default()).is_err());
        assert!(Target::parse("gs://b/x", S3Settings::default()).is_err());
    }

    #[test]
    fn mirrors_from_a_local_directory_and_checks_sums() {
        let up = tempfile::tempdir().unwrap();
        let bin = up.path().join("v1.31.4/bin/linux/amd64");
        std::fs::create_dir_all(&bin).unwrap();
        for (n, b) in [("kubeadm", b"a" as &[u8]), ("kubelet", b"b"), ("kubectl", b"c")] {
            std::fs::write(bin.join(n), b).unwrap();
        }
        std::fs::write(bin.join("kubeadm.sha256"), format!("{}  kubeadm\n", hex::encode(Sha256::digest(b"a"))))
            .unwrap();
        std::fs::write(bin.join("kubelet.sha512"), crate::bootstrap::store::sha512_hex(b"b")).unwrap();
        let dest = tempfile::tempdir().unwrap();
        let mut o = MirrorOptions {
            version: v(),
            from: up.path().display().to_string(),
            names: DEFAULT_NAMES.iter().map(|s| s.to_string()).collect(),
            extra: vec![],
            dir: dest.path().join("v1.31.4"),
            arch: "amd64".into(),
            url_template: DEFAULT_URL_TEMPLATE.into(),
            require_checksums: false,
            base_url: None,
            out: None,
        };
        let mut notes = Vec::new();
        let built = mirror(&o, &mut |s: &str| notes.push(s.to_string())).unwrap();
        assert_eq!(built.manifest.files.len(), 3);
        assert!(notes[0].contains("sha256 verified"), "{notes:?}");
        assert!(notes[1].contains("sha512 verified"), "{notes:?}");
        assert!(notes[2].contains("publishes no"), "{notes:?}");
        o.require_checksums = true;
        let e = mirror(&o, &mut |_: &str| {}).unwrap_err().to_string();
        assert!(e.contains("--require-checksums"), "{e}");
        o.require_checksums = false;
        std::fs::write(bin.join("kubelet.sha512"), "0".repeat(128)).unwrap();
        std::fs::remove_file(dest.path().join("v1.31.4/kubelet")).unwrap();
        let e = mirror(&o, &mut |_: &str| {}).unwrap_err();
        assert!(matches!(e, ToolError::Checksum(_)), "{e}");
        assert!(!dest.path().join("v1.31.4/kubelet").exists(), "a file failing its checksum was kept");
    }
}
