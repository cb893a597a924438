//! File names, hashes and atomic writes shared by `build` and `mirror`.

use super::*;

/// A plain file name: letters, digits, `-`, `_`, `.`; not `.` or `..`.
pub fn is_plain_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && n != "."
        && n != ".."
}

pub(super) fn is_archive(file: &str) -> bool {
    file.ends_with(".tar.gz") || file.ends_with(".tgz")
}

/// The manifest name and unpack directory of an archive file.
pub(super) fn archive_entry_name(file: &str) -> (String, Option<String>) {
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
pub(super) fn is_side_file(file: &str) -> bool {
    file.starts_with('.')
        || [".json", ".sha256", ".sha512", ".sig", ".asc", ".cert", ".pem", ".partial"]
            .iter()
            .any(|s| file.ends_with(s))
}

/// Checks a URL that files are served from.
pub(super) fn check_base_url(url: &str, option: &str) -> Result<String, ToolError> {
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
pub(super) fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ToolError> {
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
pub(super) fn canonical_parent(path: &Path) -> Option<PathBuf> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.canonicalize().ok()
}
