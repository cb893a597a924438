//! The S3 store: rendered configs as objects in a bucket under a key prefix,
//! written with server-side encryption, a SHA-256 integrity checksum, the
//! Ignition content type and the SHA-512 of the body as user metadata
//! (`x-amz-meta-sha512`).
//!
//! One client per process, built from the AWS default chain (environment,
//! shared config and profile, web identity, container and instance metadata)
//! with region, endpoint and path-style overrides for S3-compatible servers.
//! Every request has bounded timeouts and the SDK's standard retry mode
//! (exponential backoff with jitter, at most five attempts) for throttling,
//! 5xx answers and transient network failures.
//!
//! Refresh: `probe` with the ETag an object had when last written or checked
//! answers from one listing of the key's folder (`ListObjectsV2`, at most
//! [`LISTING_MAX_PAGES`] pages, kept for the life of the store) instead of one
//! HEAD per object: a listed, unchanged ETag means unchanged bytes, and a key
//! missing from a complete listing is gone. Keys this store wrote or deleted
//! since, keys past the listed pages, changed ETags and a listing that fails
//! (no `s3:ListBucket`, say) fall back to HEAD.
//!
//! Drift: `head` trusts the `sha512` metadata. An object replaced out of band
//! without that metadata reads as `unknown-<etag>`, which never equals a real
//! hash, so the caller sees the change. HEAD cannot see new bytes written
//! together with a copied `sha512` value; [`S3Store::get_sha512`] downloads and
//! hashes for callers that want certainty. A HEAD of a missing bucket answers
//! 404 without a body, exactly like a missing object, so it reads as `None`
//! too; writes then fail with `NoSuchBucket`.
//!
//! Domain code, reusable alone: this module must not depend on tonic, prost,
//! msgpack, `crate::tfplugin` or `crate::provider`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{AppName, Credentials, ProvideCredentials, Region, SharedCredentialsProvider};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ServerSideEncryption};
use aws_sdk_s3::Client;
use tokio::sync::OnceCell;

use super::{check_key, sha512_hex, ObjectInfo, ObjectStore, Probe, StoreError};

/// The media type of an Ignition config.
pub const CONTENT_TYPE: &str = "application/vnd.coreos.ignition+json";
/// The user-metadata entry holding the hex SHA-512 of the body.
pub const SHA512_METADATA: &str = "sha512";
/// The longest lifetime of a SigV4 presigned URL; longer requests are cut to it.
pub const MAX_PRESIGN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Attempts per request, the first included (the SDK's standard retry mode).
const MAX_ATTEMPTS: u32 = 5;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One attempt; leaves room for a retry inside the operation timeout.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// One operation, retries and backoff included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Most pages (of up to 1,000 keys) one folder listing reads; keys past them
/// are probed with HEAD.
pub const LISTING_MAX_PAGES: usize = 10;
/// The region used against a custom endpoint when nothing else names one;
/// S3-compatible servers accept it.
const ENDPOINT_DEFAULT_REGION: &str = "us-east-1";

/// A failed S3 request (after retries) or unusable S3 settings. Never
/// carries credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("S3 {op} of s3://{bucket}/{key} failed with {code}: {message}; {hint}")]
pub struct S3Error {
    /// What was attempted: `put`, `head`, `get`, `delete`, `presign` or `configure`.
    pub op: &'static str,
    pub bucket: String,
    /// The full object key (prefix included); empty for `configure`.
    pub key: String,
    /// The AWS error code (`AccessDenied`, `NoSuchBucket`, `KMS.NotFoundException`,
    /// `PermanentRedirect`, ...) or, for failures without one, `Timeout`,
    /// `ConnectionFailed`, `NoCredentials`, `NoRegion`, `InvalidBucketName`,
    /// `ReadFailed` or `RequestFailed`.
    pub code: String,
    /// What S3 (or the client) said, on one line.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl From<S3Error> for StoreError {
    fn from(e: S3Error) -> StoreError {
        StoreError::S3(Box::new(e))
    }
}

/// Server-side encryption of stored objects.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Sse {
    /// SSE-S3 (`AES256`).
    #[default]
    Aes256,
    /// SSE-KMS (`aws:kms`), with the bucket's default key when `key_id` is `None`.
    Kms { key_id: Option<String> },
    /// No encryption header (the bucket's default encryption still applies).
    None,
}

/// How to reach the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct S3Settings {
    pub bucket: String,
    /// Prepended to every key; `"ignition"` and `"ignition/"` both give `ignition/<key>`.
    pub prefix: String,
    /// Default: the AWS default chain (`AWS_REGION`, the profile, instance metadata);
    /// `us-east-1` with a custom `endpoint`.
    pub region: Option<String>,
    /// An S3-compatible endpoint URL (MinIO, Ceph, a test server).
    pub endpoint: Option<String>,
    /// Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`.
    pub force_path_style: bool,
    pub encryption: Sse,
    /// A shared-config profile for credentials and region.
    pub profile: Option<String>,
}

/// Rendered configs in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    /// Empty, or ends with exactly one `/`.
    prefix: String,
    encryption: Sse,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
    temporary: Arc<OnceCell<bool>>,
    /// Folder (full key up to its last `/`) → its listing; `None` when listing failed.
    listings: Arc<Mutex<HashMap<String, FolderListing>>>,
    /// Full keys this store wrote or deleted: listings may predate that.
    written: Arc<Mutex<HashSet<String>>>,
}

/// A folder's listing, made once by whichever probe needs it first.
type FolderListing = Arc<OnceCell<Option<Listing>>>;

/// What a folder listing says of one key.
enum Listed {
    Etag(String),
    /// Not in a complete listing.
    Absent,
    /// Listed without an ETag, past the listed pages, or the listing failed.
    Unknown,
}

/// One folder's objects: full key → ETag without quotes, if listed with one.
#[derive(Debug)]
struct Listing {
    etags: HashMap<String, Option<String>>,
    /// Every page was read.
    complete: bool,
}

impl S3Store {
    /// One client per provider process; built from the AWS default chain
    /// (env, shared config/profile, web identity, container and instance
    /// metadata), with region/endpoint/path-style overrides. Bounded timeouts
    /// (connect 5 s, attempt 30 s, operation 60 s) and the SDK's standard retry
    /// mode with backoff (at most 5 attempts) for throttling and 5xx.
    ///
    /// Credentials are resolved lazily, on the first request.
    pub async fn new(settings: S3Settings) -> Result<S3Store, StoreError> {
        S3Store::build(settings, None).await
    }

    /// Like [`S3Store::new`] with fixed credentials instead of the default
    /// chain: for S3-compatible servers with their own keys, and tests.
    pub async fn with_static_credentials(
        settings: S3Settings,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> Result<S3Store, StoreError> {
        let creds = Credentials::new(
            access_key_id,
            secret_access_key,
            session_token.map(str::to_string),
            None,
            "kubeadm-static",
        );
        S3Store::build(settings, Some(SharedCredentialsProvider::new(creds))).await
    }

    async fn build(
        settings: S3Settings,
        credentials: Option<SharedCredentialsProvider>,
    ) -> Result<S3Store, StoreError> {
        let bucket = settings.bucket.trim().to_string();
        let config_error = |code: &str, message: String, hint: &str| {
            StoreError::from(S3Error {
                op: "configure",
                bucket: bucket.clone(),
                key: String::new(),
                code: code.to_string(),
                message,
                hint: hint.to_string(),
            })
        };
        if bucket.is_empty() {
            return Err(config_error("InvalidBucketName", "the bucket name is empty".into(), "set the bucket name."));
        }
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Ok(name) = AppName::new("terraform-provider-kubeadm") {
            loader = loader.app_name(name);
        }
        if let Some(profile) = settings.profile.as_deref().filter(|p| !p.is_empty()) {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = settings.region.as_deref().filter(|r| !r.is_empty()) {
            loader = loader.region(Region::new(region.to_string()));
        }
        if let Some(c) = credentials {
            loader = loader.credentials_provider(c);
        }
        let shared = loader.load().await;
        let endpoint = settings.endpoint.as_deref().filter(|e| !e.is_empty());
        let region = match (shared.region(), endpoint) {
            (Some(r), _) => r.to_string(),
            (None, Some(_)) => ENDPOINT_DEFAULT_REGION.to_string(),
            (None, None) => {
                return Err(config_error(
                    "NoRegion",
                    "no AWS region is configured".into(),
                    "set the region in the S3 store settings, or AWS_REGION, or a region in the AWS profile.",
                ))
            }
        };
        let mut s3 = aws_sdk_s3::config::Builder::from(&shared)
            .region(Region::new(region.clone()))
            .force_path_style(settings.force_path_style);
        if let Some(endpoint) = endpoint {
            s3 = s3.endpoint_url(endpoint);
        }
        Ok(S3Store {
            client: Client::from_conf(s3.build()),
            prefix: normalize_prefix(&settings.prefix),
            bucket,
            encryption: settings.encryption,
            region,
            credentials: shared.credentials_provider(),
            temporary: Arc::new(OnceCell::new()),
            listings: Default::default(),
            written: Default::default(),
        })
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The region requests go to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The object key in the bucket: the prefix, then `key`.
    pub fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// A presigned HTTPS GET URL for the object (plain HTTP with an `http://`
    /// endpoint), valid for `ttl`, cut to seven days. It stops working sooner
    /// when the signing credentials are temporary and expire; see
    /// [`S3Store::credentials_are_temporary`].
    pub async fn presign_get(&self, key: &str, ttl: Duration) -> Result<String, StoreError> {
        check_key(key)?;
        let full = self.full_key(key);
        let config = PresigningConfig::expires_in(ttl.min(MAX_PRESIGN_TTL)).map_err(|e| {
            self.error(
                "presign",
                &full,
                "InvalidArgument",
                e.to_string(),
                "use a positive presign lifetime of at most 168h.".into(),
            )
        })?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&full)
            .presigned(config)
            .await
            .map_err(|e| self.sdk_error("presign", &full, e))?;
        Ok(request.uri().to_string())
    }

    /// Whether the credentials in use are temporary (have a session token or
    /// an expiry): presigned URLs then die with the session. `false` when no
    /// credentials can be loaded. Resolved once per store.
    pub async fn credentials_are_temporary(&self) -> bool {
        let Some(provider) = &self.credentials else { return false };
        let answer = self
            .temporary
            .get_or_try_init(|| async {
                provider.provide_credentials().await.map(|c| c.session_token().is_some() || c.expiry().is_some())
            })
            .await;
        answer.copied().unwrap_or(false)
    }

    /// Downloads any `s3://bucket/key` object this client can read (for
    /// example an artifacts manifest), at most `max` bytes: `None` when it
    /// does not exist.
    pub async fn get_url(&self, url: &str, max: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((bucket, key)) = url.strip_prefix("s3://").and_then(|r| r.split_once('/')) else {
            return Err(self.error(
                "get",
                url,
                "InvalidURL",
                format!("{url:?} is not s3://bucket/key"),
                "write the URL as s3://bucket/key.".into(),
            ));
        };
        let out = match self.client.get_object().bucket(bucket).key(key).send().await {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(self.sdk_error("get", key, e)),
        };
        if out.content_length().is_some_and(|n| n < 0 || n as u64 > max) {
            return Err(self.error(
                "get",
                key,
                "TooLarge",
                format!("the object is larger than {max} bytes"),
                "point at the manifest itself.".into(),
            ));
        }
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| self.error("get", key, "ReadFailed", chain(&e), UNAVAILABLE_HINT.into()))?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    /// Downloads the object and hashes it: `None` when it does not exist.
    /// Certain where [`ObjectStore::head`] trusts metadata.
    pub async fn get_sha512(&self, key: &str) -> Result<Option<String>, StoreError> {
        check_key(key)?;
        let full = self.full_key(key);
        let out = match self.client.get_object().bucket(&self.bucket).key(&full).send().await {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(self.sdk_error("get", &full, e)),
        };
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| self.error("get", &full, "ReadFailed", chain(&e), UNAVAILABLE_HINT.into()))?;
        Ok(Some(sha512_hex(&body.into_bytes())))
    }

    /// The IAM policy document (JSON, deterministic) that lets a node read the
    /// object: `s3:GetObject` on exactly `arn:aws:s3:::bucket/prefix+key`, and
    /// with `aws:kms` also `kms:Decrypt` on the key — on `"*"` limited to use
    /// through S3 in this region when the key is not given as a key ARN.
    pub fn read_policy_json(&self, key: &str) -> String {
        let (partition, dns_suffix) = partition(&self.region);
        let object = format!("arn:{partition}:s3:::{}/{}", self.bucket, self.full_key(key));
        let mut statements = vec![serde_json::json!({
            "Sid": "ReadIgnitionConfig",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": object,
        })];
        if let Sse::Kms { key_id } = &self.encryption {
            let key_arn = key_id.as_deref().filter(|k| k.starts_with("arn:") && k.contains(":key/"));
            statements.push(match key_arn {
                Some(arn) => serde_json::json!({
                    "Sid": "DecryptIgnitionConfig",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": arn,
                }),
                None => serde_json::json!({
                    "Sid": "DecryptIgnitionConfig",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": { "kms:ViaService": format!("s3.{}.{dns_suffix}", self.region) },
                    },
                }),
            });
        }
        let policy = serde_json::json!({ "Version": "2012-10-17", "Statement": statements });
        serde_json::to_string_pretty(&policy).unwrap_or_default()
    }

    /// What the listing of the folder holding `full` (a full key) says of
    /// it. The listing is made on first use and shared by every later probe.
    async fn listed(&self, full: &str) -> Listed {
        let folder = full.rsplit_once('/').map(|(f, _)| format!("{f}/")).unwrap_or_default();
        let cell = {
            let mut listings = self.listings.lock().unwrap_or_else(|p| p.into_inner());
            listings.entry(folder.clone()).or_default().clone()
        };
        match cell.get_or_init(|| self.list_folder(folder)).await {
            None => Listed::Unknown,
            Some(listing) => match listing.etags.get(full) {
                Some(Some(etag)) => Listed::Etag(etag.clone()),
                Some(None) => Listed::Unknown,
                None if listing.complete => Listed::Absent,
                None => Listed::Unknown,
            },
        }
    }

    async fn list_folder(&self, folder: String) -> Option<Listing> {
        let mut etags = HashMap::new();
        let mut token: Option<String> = None;
        for _ in 0..LISTING_MAX_PAGES {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&folder)
                .delimiter("/")
                .set_continuation_token(token.take())
                .send()
                .await
                .ok()?;
            for object in out.contents() {
                if let Some(key) = object.key() {
                    // Some servers list no ETags: such keys are present, their state unknown.
                    let etag = bare_etag(object.e_tag());
                    etags.insert(key.to_string(), etag);
                }
            }
            match out.next_continuation_token() {
                Some(next) if out.is_truncated() == Some(true) => token = Some(next.to_string()),
                _ => return Some(Listing { etags, complete: true }),
            }
        }
        Some(Listing { etags, complete: false })
    }

    fn mark_written(&self, full: &str) {
        self.written.lock().unwrap_or_else(|p| p.into_inner()).insert(full.to_string());
    }

    fn was_written(&self, full: &str) -> bool {
        self.written.lock().unwrap_or_else(|p| p.into_inner()).contains(full)
    }

    fn error(&self, op: &'static str, key: &str, code: &str, message: String, hint: String) -> StoreError {
        S3Error { op, bucket: self.bucket.clone(), key: key.to_string(), code: code.to_string(), message, hint }.into()
    }

    /// Turns an SDK failure (already retried) into an error that names the
    /// object and the AWS error code and says what to do.
    fn sdk_error<E>(&self, op: &'static str, key: &str, err: SdkError<E, HttpResponse>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let bucket_region = err.raw_response().and_then(|r| r.headers().get("x-amz-bucket-region")).map(str::to_string);
        let context = || chain(&err);
        let (code, message) = match &err {
            _ if has_source::<CredentialsError>(&err) => ("NoCredentials".into(), context()),
            SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
                let code = err
                    .code()
                    .map(str::to_string)
                    .or_else(|| status.map(status_code))
                    .unwrap_or_else(|| "UnknownError".into());
                let message = err.message().map(one_line).unwrap_or_else(|| match status {
                    Some(s) => format!("HTTP status {s}"),
                    None => context(),
                });
                (code, message)
            }
            SdkError::TimeoutError(_) => ("Timeout".into(), context()),
            SdkError::DispatchFailure(d) if d.is_timeout() => ("Timeout".into(), context()),
            SdkError::DispatchFailure(d) if d.is_io() => ("ConnectionFailed".into(), context()),
            _ => ("RequestFailed".into(), context()),
        };
        let hint = hint(op, &code, &message, status, bucket_region.as_deref(), &self.region, &self.bucket);
        self.error(op, key, &code, message, hint)
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<ObjectInfo, StoreError> {
        check_key(key)?;
        let full = self.full_key(key);
        let sha512 = sha512_hex(bytes);
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&full)
            .content_type(CONTENT_TYPE)
            .content_length(bytes.len() as i64)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .metadata(SHA512_METADATA, &sha512)
            .body(ByteStream::from(bytes.to_vec()));
        let request = match &self.encryption {
            Sse::Aes256 => request.server_side_encryption(ServerSideEncryption::Aes256),
            Sse::Kms { key_id } => {
                request.server_side_encryption(ServerSideEncryption::AwsKms).set_ssekms_key_id(key_id.clone())
            }
            Sse::None => request,
        };
        self.mark_written(&full);
        let out = request.send().await.map_err(|e| self.sdk_error("put", &full, e))?;
        let etag = bare_etag(out.e_tag());
        Ok(ObjectInfo { sha512, size: bytes.len() as u64, etag })
    }

    /// HEAD only: the hash is the `sha512` metadata written by `put`, or
    /// `unknown-<etag>` when an out-of-band write dropped it.
    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        check_key(key)?;
        let full = self.full_key(key);
        let out = match self.client.head_object().bucket(&self.bucket).key(&full).send().await {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(self.sdk_error("head", &full, e)),
        };
        let recorded = out.metadata().and_then(|m| m.get(SHA512_METADATA)).filter(|h| is_sha512_hex(h));
        let sha512 = match recorded {
            Some(h) => h.clone(),
            None => format!("unknown-{}", out.e_tag().unwrap_or("no-etag").trim_matches('"')),
        };
        let etag = bare_etag(out.e_tag());
        Ok(Some(ObjectInfo { sha512, size: out.content_length().unwrap_or(0).max(0) as u64, etag }))
    }

    /// From the folder listing when the ETag is known and this store has
    /// not written the key since; HEAD otherwise (see the module notes).
    async fn probe(&self, key: &str, last_etag: Option<&str>) -> Result<Probe, StoreError> {
        check_key(key)?;
        let full = self.full_key(key);
        if let Some(last) = last_etag.filter(|_| !self.was_written(&full)) {
            match self.listed(&full).await {
                Listed::Etag(etag) if etag == last => return Ok(Probe::Unchanged),
                Listed::Absent => return Ok(Probe::Gone),
                Listed::Etag(_) | Listed::Unknown => {}
            }
        }
        Ok(match self.head(key).await? {
            Some(info) => Probe::Found(info),
            None => Probe::Gone,
        })
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        let full = self.full_key(key);
        self.mark_written(&full);
        match self.client.delete_object().bucket(&self.bucket).key(&full).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(self.sdk_error("delete", &full, e)),
        }
    }

    fn object_url(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.full_key(key))
    }

    /// Ignition fetches `s3://` URLs with the instance profile's credentials.
    fn source_url(&self, key: &str) -> Option<String> {
        Some(self.object_url(key))
    }
}

/// `""` stays empty; anything else loses outer slashes and gains one `/`.
fn normalize_prefix(prefix: &str) -> String {
    let p = prefix.trim().trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// An ETag without its quotes; `None` when absent or empty.
fn bare_etag(etag: Option<&str>) -> Option<String> {
    etag.map(|e| e.trim_matches('"').to_string()).filter(|e| !e.is_empty())
}

fn is_sha512_hex(s: &str) -> bool {
    s.len() == 128 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_not_found<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    matches!(err.code(), Some("NoSuchKey" | "NotFound"))
}

fn has_source<T: std::error::Error + 'static>(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.is::<T>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// A code for error answers without a body (HEAD).
fn status_code(status: u16) -> String {
    match status {
        301 => "PermanentRedirect".into(),
        400 => "BadRequest".into(),
        403 => "AccessDenied".into(),
        404 => "NotFound".into(),
        500 => "InternalError".into(),
        503 => "ServiceUnavailable".into(),
        s => format!("HTTP{s}"),
    }
}

/// An error and its sources, `: `-separated, without `Debug` output (which
/// could show request internals).
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    one_line(&parts.join(": "))
}

/// Messages on one line, of bounded length and without a final period: they
/// end up in diagnostics, followed by a hint.
fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = s.trim_end_matches('.').to_string();
    match s.char_indices().nth(400) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}

/// The ARN partition and DNS suffix of a region.
fn partition(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else {
        ("aws", "amazonaws.com")
    }
}

const UNAVAILABLE_HINT: &str = "S3 did not answer after 5 attempts with backoff: the service or the endpoint is \
    unavailable or unreachable; check the endpoint and the network, then re-run apply.";

const TIMEOUT_HINT: &str = "S3 did not answer in time (5 s to connect, 30 s per attempt, 60 s per operation \
    including retries): the service or the endpoint is slow, unavailable or unreachable; check the endpoint and \
    the network, then re-run apply.";

/// What to do about an error code.
fn hint(
    op: &str,
    code: &str,
    message: &str,
    status: Option<u16>,
    bucket_region: Option<&str>,
    region: &str,
    bucket: &str,
) -> String {
    let kms_message = message.contains("KMS") || message.contains("kms");
    match code {
        "NoSuchBucket" => format!("create the bucket {bucket:?} or fix the bucket name in the S3 store settings."),
        "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" | "BadRequest"
            if bucket_region.is_some_and(|r| r != region) =>
        {
            let r = bucket_region.unwrap_or_default();
            format!("the bucket is in region {r}, not {region}: set region = {r:?} in the S3 store settings.")
        }
        "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" => {
            format!("the bucket is in another region than {region}: set the bucket's region in the S3 store settings.")
        }
        c if c.starts_with("KMS") || (matches!(c, "AccessDenied" | "KMSAccessDenied") && kms_message) => {
            "check the KMS key id and the key policy: the credentials need kms:GenerateDataKey to write and \
             kms:Decrypt to read, and the key must be enabled and in the bucket's region."
                .into()
        }
        "AccessDenied" | "Forbidden" | "AllAccessDisabled" => format!(
            "the {op} was refused: check the IAM policy of the credentials in use and the bucket policy; the store \
             needs s3:PutObject, s3:GetObject and s3:DeleteObject on the objects of bucket {bucket:?}, s3:ListBucket \
             on the bucket (without it a missing object reads as AccessDenied), and with aws:kms encryption \
             kms:GenerateDataKey and kms:Decrypt on the key.{}",
            if op == "head" {
                " A HEAD carries no error body, so wrong credentials (secret key, expired session) look the same: check them too."
            } else {
                ""
            }
        ),
        "NoCredentials"
        | "InvalidAccessKeyId"
        | "NotSignedUp"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "InvalidToken"
        | "TokenRefreshRequired" => "the AWS credentials are missing, invalid or expired: check AWS_PROFILE or the \
             store's profile, the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment, or refresh the session \
             (for example `aws sso login`), then re-run apply."
            .into(),
        "NoRegion" => "set the region in the S3 store settings or AWS_REGION.".into(),
        "Timeout" => TIMEOUT_HINT.into(),
        "ConnectionFailed" | "SlowDown" | "ServiceUnavailable" | "InternalError" | "RequestTimeout" | "ReadFailed" => {
            UNAVAILABLE_HINT.into()
        }
        _ if status.is_some_and(|s| s >= 500) => UNAVAILABLE_HINT.into(),
        "InvalidArgument" | "InvalidRequest" | "InvalidEncryptionAlgorithmError" => {
            "check the S3 store settings (encryption, KMS key id, endpoint).".into()
        }
        _ => "check the S3 store settings and the permissions of the credentials in use.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_normalize() {
        assert_eq!(normalize_prefix(""), "");
        assert_eq!(normalize_prefix("/"), "");
        assert_eq!(normalize_prefix("ignition"), "ignition/");
        assert_eq!(normalize_prefix("ignition/"), "ignition/");
        assert_eq!(normalize_prefix("/a/b/"), "a/b/");
    }

    #[test]
    fn recorded_hashes_must_look_like_sha512() {
        assert!(is_sha512_hex(&sha512_hex(b"x")));
        assert!(!is_sha512_hex("abc"));
        assert!(!is_sha512_hex(&sha512_hex(b"x").to_uppercase()));
    }

    #[test]
    fn hints_say_what_to_do() {
        let h = |code, msg, status, br| hint("put", code, msg, status, br, "eu-west-1", "b");
        assert!(h("NoSuchBucket", "", Some(404), None).contains("create the bucket"));
        assert!(h("PermanentRedirect", "", Some(301), Some("us-west-2")).contains("region = \"us-west-2\""));
        assert!(h("AuthorizationHeaderMalformed", "", Some(400), None).contains("another region"));
        assert!(h("AccessDenied", "", Some(403), None).contains("s3:PutObject"));
        assert!(
            h("AccessDenied", "not authorized to perform kms:GenerateDataKey", Some(403), None).contains("key policy")
        );
        assert!(h("KMS.NotFoundException", "", Some(400), None).contains("key policy"));
        assert!(h("SlowDown", "", Some(503), None).contains("re-run apply"));
        assert!(h("Timeout", "", None, None).contains("did not answer in time"));
        assert!(!h("Timeout", "", None, None).contains("5 attempts"));
        assert!(h("WeirdError", "", Some(502), None).contains("re-run apply"));
        assert!(h("ExpiredToken", "", Some(400), None).contains("credentials"));
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("eu-west-1"), ("aws", "amazonaws.com"));
        assert_eq!(partition("cn-north-1").0, "aws-cn");
        assert_eq!(partition("us-gov-west-1").0, "aws-us-gov");
    }

    #[test]
    fn messages_stay_short() {
        assert_eq!(one_line("a\n  b"), "a b");
        assert!(one_line(&"x".repeat(1000)).len() < 410);
    }
}
