//! `artifacts build`: the manifest of a directory of binaries and archives.

use super::*;

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
