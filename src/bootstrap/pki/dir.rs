//! A kubeadm pki directory: generating its contents, and reading and
//! checking the files of one on disk.

use std::fmt;
use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::ca::{check_ca_cert, check_cert_key_type, check_key_matches, generate_ca, parse_cert};
use super::keys::{check_public_matches, generate_service_account, parse_private_key, parse_public_key};
use super::{
    CaPair, CaRole, KeyAlgorithm, KeyPairPem, PkiError, MAX_PKI_FILE_BYTES, PKI_FILES, SA_KEY_PATH, SA_PUB_PATH,
};
use crate::bootstrap::secret::Sensitive;

/// Material read from a kubeadm pki directory by [`read_pki_dir`]. The texts
/// are exactly the files' contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiDir {
    /// `ca.crt` and `ca.key`.
    pub ca: CaPair,
    /// `front-proxy-ca.crt` and `front-proxy-ca.key`.
    pub front_proxy_ca: CaPair,
    /// `etcd/ca.crt` and `etcd/ca.key`.
    pub etcd_ca: CaPair,
    /// `sa.pub` and `sa.key`.
    pub sa: KeyPairPem,
}

impl PkiDir {
    /// The pair belonging to `role`.
    pub fn ca_pair(&self, role: CaRole) -> &CaPair {
        match role {
            CaRole::Kubernetes => &self.ca,
            CaRole::FrontProxy => &self.front_proxy_ca,
            CaRole::Etcd => &self.etcd_ca,
        }
    }

    /// Every file as (relative path, contents), in [`PKI_FILES`] order.
    /// Four of the eight are private keys.
    pub fn files(&self) -> [(&'static str, &str); 8] {
        [
            (PKI_FILES[0], self.ca.cert_pem.as_str()),
            (PKI_FILES[1], self.ca.key_pem.expose().as_str()),
            (PKI_FILES[2], self.front_proxy_ca.cert_pem.as_str()),
            (PKI_FILES[3], self.front_proxy_ca.key_pem.expose().as_str()),
            (PKI_FILES[4], self.etcd_ca.cert_pem.as_str()),
            (PKI_FILES[5], self.etcd_ca.key_pem.expose().as_str()),
            (PKI_FILES[6], self.sa.private_pem.expose().as_str()),
            (PKI_FILES[7], self.sa.public_pem.as_str()),
        ]
    }
}

/// What is wrong with one file of a pki directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    /// The directory itself does not exist.
    #[error("the directory does not exist")]
    DirectoryMissing,
    /// The path exists but is not a directory.
    #[error("the path is not a directory")]
    NotADirectory,
    /// The file does not exist.
    #[error("the file is missing")]
    Missing,
    /// The path exists but is not a regular file.
    #[error("not a regular file")]
    NotAFile,
    /// Reading failed.
    #[error("cannot be read: {reason}")]
    Unreadable {
        /// The operating system's explanation.
        reason: String,
    },
    /// The file is implausibly large for PEM material.
    #[error("the file is larger than {limit} bytes; expected a PEM file of a few kilobytes")]
    TooLarge {
        /// The limit that was exceeded.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("the file is not UTF-8 text; expected PEM")]
    NotUtf8,
    /// The contents are not valid, or do not fit the other file of the pair.
    #[error("{0}")]
    Invalid(PkiError),
}

/// One problem found by [`read_pki_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiFileProblem {
    /// Path relative to the pki directory, such as `etcd/ca.key`; empty for
    /// a problem with the directory itself.
    pub path: String,
    /// What is wrong.
    pub problem: FileProblem,
}

impl fmt::Display for PkiFileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

/// Every problem [`read_pki_dir`] found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the pki directory {} is not usable ({}):{}", .dir.display(), problem_count(.problems), problem_list(.problems))]
pub struct PkiDirError {
    /// The directory that was read.
    pub dir: PathBuf,
    /// The problems, in [`PKI_FILES`] order.
    pub problems: Vec<PkiFileProblem>,
}

impl PkiDirError {
    /// The relative paths that have problems, in order, without repeats.
    pub fn paths(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.problems {
            if !out.contains(&p.path.as_str()) {
                out.push(&p.path);
            }
        }
        out
    }
}

/// "1 problem" or "N problems".
fn problem_count(problems: &[PkiFileProblem]) -> String {
    match problems.len() {
        1 => "1 problem".to_owned(),
        n => format!("{n} problems"),
    }
}

/// One problem per line, each starting with "- ".
fn problem_list(problems: &[PkiFileProblem]) -> String {
    problems.iter().map(|p| format!("\n- {p}")).collect()
}

/// Generates a complete pki directory: the three CAs with the same
/// algorithm, cluster name and validity, plus service-account keys.
pub fn generate_pki(
    cluster_name: &str,
    alg: KeyAlgorithm,
    validity_days: u32,
    now: OffsetDateTime,
) -> Result<PkiDir, PkiError> {
    Ok(PkiDir {
        ca: generate_ca(CaRole::Kubernetes, cluster_name, alg, validity_days, now)?,
        front_proxy_ca: generate_ca(CaRole::FrontProxy, cluster_name, alg, validity_days, now)?,
        etcd_ca: generate_ca(CaRole::Etcd, cluster_name, alg, validity_days, now)?,
        sa: generate_service_account(alg)?,
    })
}

/// Reads and checks the eight files of a kubeadm pki directory (see
/// [`PKI_FILES`]): each CA pair passes [`validate_ca_pair`](super::validate_ca_pair) at `now` and the
/// service-account keys pass [`validate_key_pair`](super::validate_key_pair).
///
/// On failure the error lists every problem found, each with the file's
/// relative path: missing or unreadable files, contents that do not parse,
/// keys that do not match their certificate (reported on the key file) or
/// public key (reported on `sa.pub`), and CA certificates that are not
/// usable (reported on the certificate file).
pub fn read_pki_dir(dir: &Path, now: OffsetDateTime) -> Result<PkiDir, PkiDirError> {
    let fail =
        |problem| PkiDirError { dir: dir.to_owned(), problems: vec![PkiFileProblem { path: String::new(), problem }] };
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(fail(FileProblem::NotADirectory)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(fail(FileProblem::DirectoryMissing)),
        Err(e) => return Err(fail(FileProblem::Unreadable { reason: e.to_string() })),
    }

    let mut reader = DirReader { dir, problems: Vec::new() };
    let ca = reader.ca_pair(CaRole::Kubernetes, now);
    let front_proxy_ca = reader.ca_pair(CaRole::FrontProxy, now);
    let etcd_ca = reader.ca_pair(CaRole::Etcd, now);
    let sa = reader.sa_pair();
    match (ca, front_proxy_ca, etcd_ca, sa) {
        (Some(ca), Some(front_proxy_ca), Some(etcd_ca), Some(sa)) if reader.problems.is_empty() => {
            Ok(PkiDir { ca, front_proxy_ca, etcd_ca, sa })
        }
        _ => Err(PkiDirError { dir: dir.to_owned(), problems: reader.problems }),
    }
}

/// Reads files of one pki directory, collecting problems as it goes.
struct DirReader<'a> {
    dir: &'a Path,
    problems: Vec<PkiFileProblem>,
}

impl DirReader<'_> {
    /// Notes `problem` against `path`.
    fn note(&mut self, path: &str, problem: FileProblem) {
        self.problems.push(PkiFileProblem { path: path.to_owned(), problem });
    }

    /// The value of `result`, or `None` after noting its error.
    fn check<T>(&mut self, path: &str, result: Result<T, PkiError>) -> Option<T> {
        result.map_err(|e| self.note(path, FileProblem::Invalid(e))).ok()
    }

    /// The text of a file, or `None` after noting why it cannot be had.
    fn read(&mut self, path: &str) -> Option<String> {
        read_text(&self.dir.join(path)).map_err(|problem| self.note(path, problem)).ok()
    }

    /// Reads and checks one CA's certificate and key.
    fn ca_pair(&mut self, role: CaRole, now: OffsetDateTime) -> Option<CaPair> {
        let (cert_path, key_path) = (role.cert_path(), role.key_path());
        let cert_text = self.read(cert_path);
        let key_text = self.read(key_path);
        let cert = cert_text.as_deref().and_then(|t| {
            let parsed = parse_cert(t).and_then(|c| check_cert_key_type(&c).map(|()| c));
            self.check(cert_path, parsed)
        });
        let key = key_text.as_deref().and_then(|t| self.check(key_path, parse_private_key(t)));
        let (cert, key) = (cert?, key?);
        let usable = self.check(cert_path, check_ca_cert(&cert, now));
        let matches = self.check(key_path, check_key_matches(&cert, &key));
        usable.and(matches)?;
        Some(CaPair { cert_pem: cert_text?, key_pem: Sensitive::new(key_text?) })
    }

    /// Reads and checks the service-account keys.
    fn sa_pair(&mut self) -> Option<KeyPairPem> {
        let private_text = self.read(SA_KEY_PATH);
        let public_text = self.read(SA_PUB_PATH);
        let private = private_text.as_deref().and_then(|t| self.check(SA_KEY_PATH, parse_private_key(t)));
        let public = public_text.as_deref().and_then(|t| self.check(SA_PUB_PATH, parse_public_key(t)));
        let (private, public) = (private?, public?);
        self.check(SA_PUB_PATH, check_public_matches(&public, &private))?;
        Some(KeyPairPem { public_pem: public_text?, private_pem: Sensitive::new(private_text?) })
    }
}

/// Reads a regular file of at most [`MAX_PKI_FILE_BYTES`] as UTF-8 text.
fn read_text(path: &Path) -> Result<String, FileProblem> {
    let unreadable = |e: io::Error| FileProblem::Unreadable { reason: e.to_string() };
    // Looking before opening keeps a FIFO or device from blocking the read.
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(FileProblem::NotAFile),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(FileProblem::Missing),
        Err(e) => return Err(unreadable(e)),
    }
    let file = fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_PKI_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > MAX_PKI_FILE_BYTES {
        return Err(FileProblem::TooLarge { limit: MAX_PKI_FILE_BYTES });
    }
    String::from_utf8(bytes).map_err(|_| FileProblem::NotUtf8)
}
