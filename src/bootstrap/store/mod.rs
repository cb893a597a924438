//! Where rendered Ignition configs are kept: an `ObjectStore` trait with a
//! local-directory implementation (and S3 beside it). Keys are relative,
//! `/`-separated names; a pinned config's key contains its content hash, a
//! stable one's does not.
//!
//! Nothing here knows about Terraform, tonic, prost or msgpack.

use async_trait::async_trait;

pub mod local;
pub mod s3;

/// What a store knows about one stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Lowercase hex SHA-512 of the stored bytes.
    pub sha512: String,
    pub size: u64,
    /// The store's version tag of the object (an S3 ETag, quotes removed),
    /// when the store has one: it changes whenever the object is rewritten.
    pub etag: Option<String>,
}

/// What [`ObjectStore::probe`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// No object under the key.
    Gone,
    /// The object still carries the version tag it had when last seen.
    Unchanged,
    /// The object as it is now.
    Found(ObjectInfo),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid object key {key:?}: {reason}")]
    BadKey { key: String, reason: &'static str },
    #[error("{op} {location} failed: {source}")]
    Io { op: &'static str, location: String, source: std::io::Error },
    /// An S3 request that failed for good (after retries), or S3 settings
    /// that cannot work: bucket, key, AWS error code and what to do.
    #[error(transparent)]
    S3(Box<s3::S3Error>),
}

/// A place for rendered configs.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing what was there.
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<ObjectInfo, StoreError>;
    /// Describes the object under `key`; `None` when it does not exist.
    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError>;
    /// Checks the object under `key` against the version tag it had when last
    /// seen (`None`: not known). A store that can list may answer many probes
    /// from one listing; the default describes the object with [`ObjectStore::head`].
    async fn probe(&self, key: &str, last_etag: Option<&str>) -> Result<Probe, StoreError> {
        let _ = last_etag;
        Ok(match self.head(key).await? {
            Some(info) => Probe::Found(info),
            None => Probe::Gone,
        })
    }
    /// Removes the object; a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Where the object lives, for people (`s3://bucket/key` or a file path).
    fn object_url(&self, key: &str) -> String;
    /// What a pointer config fetches, or `None` when the node cannot reach the
    /// store and the config must be inlined in user data.
    fn source_url(&self, key: &str) -> Option<String>;
}

/// Checks a key: relative, `/`-separated, no empty, `.` or `..` segments.
pub fn check_key(key: &str) -> Result<(), StoreError> {
    let bad = |reason| Err(StoreError::BadKey { key: key.to_string(), reason });
    if key.is_empty() || key.len() > 900 {
        return bad("keys are 1 to 900 characters long");
    }
    if key.starts_with('/') {
        return bad("keys are relative");
    }
    if key.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return bad("keys have no empty, '.' or '..' segments");
    }
    if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)) {
        return bad("keys use only letters, digits and - _ . /");
    }
    Ok(())
}

/// Lowercase hex SHA-512.
pub fn sha512_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha512::digest(bytes))
}
