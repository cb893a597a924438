//! The local-directory store: `<path>/<key>`, written atomically with mode
//! 0600 (configs hold keys and tokens) in directories of mode 0700.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{check_key, sha512_hex, ObjectInfo, ObjectStore, StoreError};

/// A directory of rendered configs, optionally served at `base_url`.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    base_url: Option<String>,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>, base_url: Option<String>) -> LocalStore {
        LocalStore { root: root.into(), base_url: base_url.map(|u| u.trim_end_matches('/').to_string()) }
    }

    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io { op, location: path.display().to_string(), source }
}

#[async_trait]
impl ObjectStore for LocalStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<ObjectInfo, StoreError> {
        let path = self.path(key)?;
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(io("create directory", &dir))?;
        // Write a sibling temp file, then rename: readers never see half a config.
        let tmp = dir.join(format!(
            ".{}.{:016x}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("obj"),
            rand::random::<u64>()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(io("write", &path)(e));
        }
        Ok(ObjectInfo { sha512: sha512_hex(bytes), size: bytes.len() as u64, etag: None })
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        let path = self.path(key)?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(ObjectInfo { sha512: sha512_hex(&bytes), size: bytes.len() as u64, etag: None })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("read", &path)(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path(key)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("delete", &path)(e)),
        }
    }

    fn object_url(&self, key: &str) -> String {
        self.root.join(key).display().to_string()
    }

    fn source_url(&self, key: &str) -> Option<String> {
        self.base_url.as_ref().map(|b| format!("{b}/{key}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn put_head_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalStore::new(dir.path(), Some("https://ign.example/".into()));
        let info = s.put("prod/worker/a-1.ign", b"{}").await.unwrap();
        assert_eq!(info.size, 2);
        let path = dir.path().join("prod/worker/a-1.ign");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(s.head("prod/worker/a-1.ign").await.unwrap(), Some(info));
        std::fs::write(&path, b"{ }").unwrap();
        assert_ne!(s.head("prod/worker/a-1.ign").await.unwrap().unwrap().sha512, sha512_hex(b"{}"));
        assert_eq!(s.source_url("k/x.ign").as_deref(), Some("https://ign.example/k/x.ign"));
        s.delete("prod/worker/a-1.ign").await.unwrap();
        s.delete("prod/worker/a-1.ign").await.unwrap();
        assert_eq!(s.head("prod/worker/a-1.ign").await.unwrap(), None);
        assert!(s.put("../escape", b"x").await.is_err());
        assert!(s.put("/abs", b"x").await.is_err());
        assert!(s.put("a//b", b"x").await.is_err());
        assert_eq!(LocalStore::new(dir.path(), None).source_url("k"), None);
    }
}
