//! `artifacts mirror`: downloading a release with its published checksums
//! checked, then building its manifest.

use super::*;
use crate::bootstrap::http;

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

pub(super) fn is_http(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

pub(super) fn local_path(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("file://").unwrap_or(url))
}

pub(super) fn agent() -> http::Agent {
    http::Agent::new(&http::DOWNLOAD)
}

/// What a GET of a URL or a local path found.
pub(super) enum Fetched<R> {
    Found(R),
    NotFound,
}

pub(super) fn open(agent: &http::Agent, url: &str) -> Result<Fetched<Box<dyn Read>>, ToolError> {
    let fail = |reason: String| ToolError::Download { url: url.to_string(), reason };
    if is_http(url) {
        return match agent.get(url, &[]).map_err(|e| fail(e.to_string()))? {
            http::Got::Found(body) => Ok(Fetched::Found(Box::new(body.into_reader()))),
            http::Got::NotFound(_) => Ok(Fetched::NotFound),
            http::Got::Status(status, _) => Err(fail(format!("the server answered HTTP {status}"))),
        };
    }
    match std::fs::File::open(local_path(url)) {
        Ok(f) => Ok(Fetched::Found(Box::new(f))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Fetched::NotFound),
        Err(e) => Err(fail(e.to_string())),
    }
}

/// A published checksum: `<hex>` or `<hex>  <file>` on the first line.
pub(super) fn fetch_checksum(
    agent: &http::Agent,
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
pub(super) fn mirror_one(
    agent: &http::Agent,
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
