//! `artifacts upload`: a directory and its manifest to S3 or another
//! directory.

use super::*;

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
pub(super) fn relative_key(url: &str) -> Option<&str> {
    if url.contains("://") || url.starts_with('/') {
        return None;
    }
    Some(url)
}

pub(super) fn check_relative_key(url: &str) -> Result<(), ToolError> {
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
