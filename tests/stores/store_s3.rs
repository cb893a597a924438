//! The S3 store against a real moto server that each test starts on its own
//! loopback port: round trips, requested encryption checked independently
//! with boto3, missing objects, out-of-band overwrites, error codes and hints,
//! presigned URLs fetched over HTTP, the read policy and key prefixes.
//!
//! Needs `moto_server` on PATH (`pip install 'moto[server]'`, which brings
//! boto3 too).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use terraform_provider_kubeadm::bootstrap::store::s3::{S3Settings, S3Store, Sse, CONTENT_TYPE};
use terraform_provider_kubeadm::bootstrap::store::{sha512_hex, ObjectStore, Probe, StoreError};

const ACCESS_KEY: &str = "AKIASTORETESTKEY0001";
const SECRET_KEY: &str = "store-test-secret-never-shown";
const KMS_KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const CONFIG: &[u8] = br#"{"ignition":{"version":"3.4.0"}}"#;

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free loopback port").port()
}

/// A moto server on a free loopback port, killed on drop.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let exe = find_on_path("moto_server").unwrap_or_else(|| {
            panic!("moto_server is not on PATH; install it with `pip install 'moto[server]'` and re-run the tests")
        });
        for _ in 0..3 {
            let port = free_port();
            let mut child = Command::new(&exe)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // lost the port to someone else: try another
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Moto { child, port };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("moto_server did not listen on 127.0.0.1:{port} within 60 s");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("moto_server exited three times before listening");
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn settings(&self, bucket: &str, encryption: Sse) -> S3Settings {
        S3Settings {
            bucket: bucket.into(),
            prefix: "ignition".into(),
            region: Some("us-east-1".into()),
            endpoint: Some(self.endpoint()),
            force_path_style: true,
            encryption,
            profile: None,
        }
    }

    async fn store(&self, bucket: &str, encryption: Sse) -> S3Store {
        S3Store::with_static_credentials(self.settings(bucket, encryption), ACCESS_KEY, SECRET_KEY, None)
            .await
            .expect("store")
    }

    /// A plain SDK client, for what the store does not do (buckets, foreign writes).
    fn client(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
            .endpoint_url(self.endpoint())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    async fn create_bucket(&self, bucket: &str) {
        self.client().create_bucket().bucket(bucket).send().await.expect("create bucket");
    }

    /// HeadObject through boto3, an implementation independent of the store's.
    fn boto3_head(&self, bucket: &str, key: &str) -> serde_json::Value {
        let script = format!(
            r#"
import boto3, json
s3 = boto3.client("s3", endpoint_url="{endpoint}", region_name="us-east-1",
                  aws_access_key_id="{ACCESS_KEY}", aws_secret_access_key="{SECRET_KEY}")
h = s3.head_object(Bucket="{bucket}", Key="{key}", ChecksumMode="ENABLED")
print(json.dumps({{k: h.get(k) for k in ["ServerSideEncryption", "SSEKMSKeyId", "ContentType",
                                          "Metadata", "ContentLength", "ChecksumSHA256"]}}))
"#,
            endpoint = self.endpoint()
        );
        let out = Command::new("python3").arg("-c").arg(&script).output().expect("python3");
        assert!(out.status.success(), "boto3 head_object failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("boto3 output is JSON")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s3_error(e: StoreError) -> (String, String, String, String, String) {
    let display = e.to_string();
    match e {
        StoreError::S3(e) => (e.bucket, e.key, e.code, e.hint, display),
        other => panic!("expected an S3 error, got {other:?}"),
    }
}

#[tokio::test]
async fn put_head_delete_round_trip_with_aes256() {
    let moto = Moto::start();
    moto.create_bucket("round-trip").await;
    let store = moto.store("round-trip", Sse::Aes256).await;

    let info = store.put("prod/worker/a-1.ign", CONFIG).await.unwrap();
    assert_eq!(info.sha512, sha512_hex(CONFIG));
    assert_eq!(info.size, CONFIG.len() as u64);
    assert_eq!(store.head("prod/worker/a-1.ign").await.unwrap(), Some(info.clone()));
    assert_eq!(store.get_sha512("prod/worker/a-1.ign").await.unwrap(), Some(info.sha512.clone()));

    let h = moto.boto3_head("round-trip", "ignition/prod/worker/a-1.ign");
    assert_eq!(h["ServerSideEncryption"], "AES256", "{h}");
    assert_eq!(h["SSEKMSKeyId"], serde_json::Value::Null, "{h}");
    assert_eq!(h["ContentType"], CONTENT_TYPE, "{h}");
    assert_eq!(h["Metadata"]["sha512"], info.sha512.as_str(), "{h}");
    assert_eq!(h["ContentLength"], CONFIG.len(), "{h}");
    // The integrity checksum went with the upload and was kept.
    use base64::Engine as _;
    use sha2::Digest as _;
    let sha256 = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(CONFIG));
    assert_eq!(h["ChecksumSHA256"], sha256.as_str(), "{h}");

    assert_eq!(store.object_url("prod/worker/a-1.ign"), "s3://round-trip/ignition/prod/worker/a-1.ign");
    assert_eq!(
        store.source_url("prod/worker/a-1.ign").as_deref(),
        Some("s3://round-trip/ignition/prod/worker/a-1.ign")
    );
    assert_eq!(store.bucket(), "round-trip");

    store.delete("prod/worker/a-1.ign").await.unwrap();
    assert_eq!(store.head("prod/worker/a-1.ign").await.unwrap(), None);
    store.delete("prod/worker/a-1.ign").await.unwrap();

    assert!(matches!(store.put("../escape", b"x").await, Err(StoreError::BadKey { .. })));
    assert!(matches!(store.head("/abs").await, Err(StoreError::BadKey { .. })));
}

#[tokio::test]
async fn kms_and_no_encryption_are_applied_as_requested() {
    let moto = Moto::start();
    moto.create_bucket("enc").await;

    let kms = moto.store("enc", Sse::Kms { key_id: Some(KMS_KEY_ARN.into()) }).await;
    let info = kms.put("kms.ign", CONFIG).await.unwrap();
    let h = moto.boto3_head("enc", "ignition/kms.ign");
    assert_eq!(h["ServerSideEncryption"], "aws:kms", "{h}");
    assert_eq!(h["SSEKMSKeyId"], KMS_KEY_ARN, "{h}");
    assert_eq!(h["Metadata"]["sha512"], info.sha512.as_str(), "{h}");
    assert_eq!(kms.head("kms.ign").await.unwrap(), Some(info));

    let plain = moto.store("enc", Sse::None).await;
    plain.put("plain.ign", CONFIG).await.unwrap();
    let h = moto.boto3_head("enc", "ignition/plain.ign");
    assert_eq!(h["ServerSideEncryption"], serde_json::Value::Null, "{h}");
    assert_eq!(h["ContentType"], CONTENT_TYPE, "{h}");
}

#[tokio::test]
async fn missing_objects_are_not_errors() {
    let moto = Moto::start();
    moto.create_bucket("gone").await;
    let store = moto.store("gone", Sse::Aes256).await;
    assert_eq!(store.head("never/was.ign").await.unwrap(), None);
    assert_eq!(store.get_sha512("never/was.ign").await.unwrap(), None);
    store.delete("never/was.ign").await.unwrap();
}

#[tokio::test]
async fn out_of_band_overwrites_show_as_drift() {
    let moto = Moto::start();
    moto.create_bucket("drift").await;
    let store = moto.store("drift", Sse::Aes256).await;
    let original = store.put("w.ign", CONFIG).await.unwrap();
    let client = moto.client();

    // A plain write drops the metadata: HEAD reports a hash that matches nothing.
    client
        .put_object()
        .bucket("drift")
        .key("ignition/w.ign")
        .body(ByteStream::from_static(b"{ }"))
        .send()
        .await
        .unwrap();
    let seen = store.head("w.ign").await.unwrap().unwrap();
    assert_ne!(seen.sha512, original.sha512);
    assert!(seen.sha512.starts_with("unknown-"), "{}", seen.sha512);
    assert_ne!(seen.sha512, sha512_hex(b"{ }"));
    assert_eq!(seen.size, 3);
    assert_eq!(store.get_sha512("w.ign").await.unwrap(), Some(sha512_hex(b"{ }")));

    // New bytes under a copied hash fool HEAD (the documented limit); the
    // download-and-hash path does not.
    client
        .put_object()
        .bucket("drift")
        .key("ignition/w.ign")
        .metadata("sha512", &original.sha512)
        .body(ByteStream::from_static(b"{  }"))
        .send()
        .await
        .unwrap();
    assert_eq!(store.head("w.ign").await.unwrap().unwrap().sha512, original.sha512);
    assert_eq!(store.get_sha512("w.ign").await.unwrap(), Some(sha512_hex(b"{  }")));
}

#[tokio::test]
async fn probes_with_known_etags_are_answered_by_the_folder_listing() {
    let moto = Moto::start();
    moto.create_bucket("probe").await;
    let writer = moto.store("probe", Sse::Aes256).await;
    let mut etags = Vec::new();
    for i in 0..4 {
        let info = writer.put(&format!("c/worker/n{i}.ign"), CONFIG).await.unwrap();
        assert!(info.etag.as_deref().is_some_and(|e| !e.is_empty() && !e.contains('"')), "{info:?}");
        etags.push(info.etag.unwrap());
    }
    let head = writer.head("c/worker/n0.ign").await.unwrap().unwrap();
    assert_eq!(head.etag.as_deref(), Some(etags[0].as_str()), "HEAD and PUT agree on the ETag");
    moto.client().delete_object().bucket("probe").key("ignition/c/worker/n3.ign").send().await.unwrap();
    moto.client()
        .put_object()
        .bucket("probe")
        .key("ignition/c/worker/n2.ign")
        .body(ByteStream::from_static(b"{ }"))
        .send()
        .await
        .unwrap();

    // A store in a new process: one listing, then HEAD only for the changed object.
    let reader = moto.store("probe", Sse::Aes256).await;
    assert_eq!(reader.probe("c/worker/n0.ign", Some(&etags[0])).await.unwrap(), Probe::Unchanged);
    assert_eq!(reader.probe("c/worker/n1.ign", Some(&etags[1])).await.unwrap(), Probe::Unchanged);
    match reader.probe("c/worker/n2.ign", Some(&etags[2])).await.unwrap() {
        Probe::Found(info) => assert!(info.sha512.starts_with("unknown-") && info.size == 3, "{info:?}"),
        other => panic!("an overwritten object must be described anew: {other:?}"),
    }
    assert_eq!(reader.probe("c/worker/n3.ign", Some(&etags[3])).await.unwrap(), Probe::Gone);
    // Without a known ETag: HEAD, as before.
    assert!(matches!(reader.probe("c/worker/n0.ign", None).await.unwrap(), Probe::Found(_)));
    // What this store writes afterwards is not judged by the older listing.
    let rewritten = reader.put("c/worker/n3.ign", CONFIG).await.unwrap();
    assert!(matches!(reader.probe("c/worker/n3.ign", rewritten.etag.as_deref()).await.unwrap(), Probe::Found(_)));
    reader.delete("c/worker/n1.ign").await.unwrap();
    assert_eq!(reader.probe("c/worker/n1.ign", Some(&etags[1])).await.unwrap(), Probe::Gone);
}

#[tokio::test]
async fn a_refused_listing_falls_back_to_head() {
    let forbidden = Canned::start("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let store = forbidden.store().await;
    let (_, key, code, _, _) = s3_error(store.probe("c/w.ign", Some("abc")).await.unwrap_err());
    assert_eq!((key.as_str(), code.as_str()), ("c/w.ign", "AccessDenied"), "the HEAD's answer is reported");
    assert_eq!(forbidden.requests(), 2, "one listing, then one HEAD");
    // The refused listing is not asked again.
    let _ = store.probe("c/v.ign", Some("abc")).await.unwrap_err();
    assert_eq!(forbidden.requests(), 3);
}

#[tokio::test]
async fn missing_bucket_errors_name_bucket_key_and_code() {
    let moto = Moto::start();
    let store = moto.store("no-such-bucket-here", Sse::Aes256).await;

    let (bucket, key, code, hint, display) = s3_error(store.put("w.ign", CONFIG).await.unwrap_err());
    assert_eq!(
        (bucket.as_str(), key.as_str(), code.as_str()),
        ("no-such-bucket-here", "ignition/w.ign", "NoSuchBucket")
    );
    assert!(hint.contains("create the bucket"), "{hint}");
    for needle in ["no-such-bucket-here", "ignition/w.ign", "NoSuchBucket", "create the bucket"] {
        assert!(display.contains(needle), "{needle:?} missing from {display:?}");
    }
    assert!(!display.contains(SECRET_KEY) && !display.contains(ACCESS_KEY), "{display}");

    let (_, _, code, _, _) = s3_error(store.delete("w.ign").await.unwrap_err());
    assert_eq!(code, "NoSuchBucket");
    let (_, _, code, _, _) = s3_error(store.get_sha512("w.ign").await.unwrap_err());
    assert_eq!(code, "NoSuchBucket");
}

#[tokio::test]
async fn unreachable_endpoint_fails_after_bounded_retries() {
    let port = free_port(); // nothing listens there
    let settings = S3Settings {
        bucket: "b".into(),
        region: Some("us-east-1".into()),
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        force_path_style: true,
        ..S3Settings::default()
    };
    let store = S3Store::with_static_credentials(settings, ACCESS_KEY, SECRET_KEY, None).await.unwrap();
    let started = Instant::now();
    let (bucket, key, code, hint, display) = s3_error(store.put("w.ign", CONFIG).await.unwrap_err());
    assert!(started.elapsed() < Duration::from_secs(65), "{:?}", started.elapsed());
    assert_eq!((bucket.as_str(), key.as_str(), code.as_str()), ("b", "w.ign", "ConnectionFailed"));
    assert!(hint.contains("re-run apply"), "{hint}");
    // The cause in words, without Debug dumps of SDK internals.
    assert!(display.contains("Connection refused") && !display.contains("{"), "{display}");
}

/// An outage moto cannot stage: one canned HTTP answer to every request,
/// counting the requests.
struct Canned {
    port: u16,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Canned {
    fn start(response: &'static str) -> Canned {
        use std::io::{Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = requests.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head and the declared body, then answer and close.
                while let Ok(n) = conn.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = conn.write_all(response.as_bytes());
            }
        });
        Canned { port, requests }
    }

    async fn store(&self) -> S3Store {
        let settings = S3Settings {
            bucket: "canned".into(),
            region: Some("us-east-1".into()),
            endpoint: Some(format!("http://127.0.0.1:{}", self.port)),
            force_path_style: true,
            ..S3Settings::default()
        };
        S3Store::with_static_credentials(settings, ACCESS_KEY, SECRET_KEY, None).await.unwrap()
    }

    fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test]
async fn throttling_is_retried_five_times_then_reported() {
    let canned = Canned::start(concat!(
        "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: 87\r\nConnection: close\r\n\r\n",
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
    ));
    let store = canned.store().await;
    let (_, key, code, hint, _) = s3_error(store.put("w.ign", CONFIG).await.unwrap_err());
    assert_eq!((key.as_str(), code.as_str()), ("w.ign", "SlowDown"));
    assert!(hint.contains("re-run apply"), "{hint}");
    assert_eq!(canned.requests(), 5, "one attempt and four retries");
}

#[tokio::test]
async fn bodiless_head_errors_get_codes_and_hints() {
    let forbidden = Canned::start("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let (_, key, code, hint, _) = s3_error(forbidden.store().await.head("w.ign").await.unwrap_err());
    assert_eq!((key.as_str(), code.as_str()), ("w.ign", "AccessDenied"));
    assert!(hint.contains("s3:ListBucket") && hint.contains("s3:GetObject"), "{hint}");
    assert_eq!(forbidden.requests(), 1, "a refusal is not retried");

    let moved = Canned::start(
        "HTTP/1.1 301 Moved Permanently\r\nx-amz-bucket-region: eu-central-1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let (_, _, code, hint, display) = s3_error(moved.store().await.head("w.ign").await.unwrap_err());
    assert_eq!(code, "PermanentRedirect");
    assert!(hint.contains("region = \"eu-central-1\""), "{hint}");
    assert!(display.contains("canned") && display.contains("w.ign"), "{display}");
}

#[tokio::test]
async fn presigned_urls_fetch_the_object() {
    let moto = Moto::start();
    moto.create_bucket("pre").await;
    let store = moto.store("pre", Sse::Aes256).await;
    store.put("nodes/w.ign", CONFIG).await.unwrap();

    let url = store.presign_get("nodes/w.ign", Duration::from_secs(3600)).await.unwrap();
    assert!(url.starts_with(&format!("{}/pre/ignition/nodes/w.ign?", moto.endpoint())), "{url}");
    assert!(url.contains("X-Amz-Expires=3600"), "{url}");
    assert!(!url.contains(SECRET_KEY), "{url}");
    let body = ureq::get(&url).call().unwrap().into_body().read_to_vec().unwrap();
    assert_eq!(body, CONFIG);

    // SigV4 caps the lifetime at seven days.
    let long = store.presign_get("nodes/w.ign", Duration::from_secs(30 * 24 * 3600)).await.unwrap();
    assert!(long.contains("X-Amz-Expires=604800"), "{long}");
    assert!(matches!(store.presign_get("../x", Duration::from_secs(60)).await, Err(StoreError::BadKey { .. })));

    assert!(!store.credentials_are_temporary().await);
    let session = S3Store::with_static_credentials(
        moto.settings("pre", Sse::Aes256),
        ACCESS_KEY,
        SECRET_KEY,
        Some("session-token"),
    )
    .await
    .unwrap();
    assert!(session.credentials_are_temporary().await);
    let url = session.presign_get("nodes/w.ign", Duration::from_secs(60)).await.unwrap();
    assert!(url.contains("X-Amz-Security-Token="), "{url}");
}

#[tokio::test]
async fn read_policy_grants_exactly_the_object() {
    let settings = |encryption| S3Settings {
        bucket: "prod-bootstrap".into(),
        prefix: "ignition/".into(),
        region: Some("eu-west-1".into()),
        encryption,
        ..S3Settings::default()
    };
    let policy = |store: &S3Store| -> serde_json::Value {
        let json = store.read_policy_json("prod/worker/a-1.ign");
        assert_eq!(json, store.read_policy_json("prod/worker/a-1.ign"), "deterministic");
        serde_json::from_str(&json).expect("valid JSON")
    };
    let new = |encryption| async move {
        S3Store::with_static_credentials(settings(encryption), ACCESS_KEY, SECRET_KEY, None).await.unwrap()
    };

    let p = policy(&new(Sse::Aes256).await);
    assert_eq!(p["Version"], "2012-10-17");
    let statements = p["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{p}");
    assert_eq!(statements[0]["Effect"], "Allow");
    assert_eq!(statements[0]["Action"], "s3:GetObject");
    assert_eq!(statements[0]["Resource"], "arn:aws:s3:::prod-bootstrap/ignition/prod/worker/a-1.ign");
    assert!(!p.to_string().contains("kms"), "{p}");
    assert!(!policy(&new(Sse::None).await).to_string().contains("kms"));

    let p = policy(&new(Sse::Kms { key_id: Some(KMS_KEY_ARN.into()) }).await);
    let statements = p["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2, "{p}");
    assert_eq!(statements[0]["Resource"], "arn:aws:s3:::prod-bootstrap/ignition/prod/worker/a-1.ign");
    assert_eq!(statements[1]["Action"], "kms:Decrypt");
    assert_eq!(statements[1]["Resource"], KMS_KEY_ARN);

    let p = policy(&new(Sse::Kms { key_id: None }).await);
    let statements = p["Statement"].as_array().unwrap();
    assert_eq!(statements[1]["Action"], "kms:Decrypt");
    assert_eq!(statements[1]["Resource"], "*");
    assert_eq!(statements[1]["Condition"]["StringEquals"]["kms:ViaService"], "s3.eu-west-1.amazonaws.com");
}

#[tokio::test]
async fn prefixes_with_and_without_slash_agree() {
    let moto = Moto::start();
    moto.create_bucket("pfx").await;
    let mut keys = Vec::new();
    for prefix in ["ignition/", "ignition", "/ignition/", ""] {
        let settings = S3Settings { prefix: prefix.into(), ..moto.settings("pfx", Sse::Aes256) };
        let store = S3Store::with_static_credentials(settings, ACCESS_KEY, SECRET_KEY, None).await.unwrap();
        keys.push(store.full_key("w.ign"));
        store.put(&format!("{}.ign", prefix.len()), CONFIG).await.unwrap();
    }
    assert_eq!(keys, ["ignition/w.ign", "ignition/w.ign", "ignition/w.ign", "w.ign"]);
    let listed = moto.client().list_objects_v2().bucket("pfx").send().await.unwrap();
    let mut listed: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    listed.sort();
    assert_eq!(listed, ["0.ign", "ignition/10.ign", "ignition/8.ign", "ignition/9.ign"]);
}

#[tokio::test]
async fn settings_that_cannot_work_are_refused() {
    let settings = S3Settings { bucket: " ".into(), region: Some("us-east-1".into()), ..S3Settings::default() };
    let (_, _, code, _, _) =
        s3_error(S3Store::with_static_credentials(settings, ACCESS_KEY, SECRET_KEY, None).await.unwrap_err());
    assert_eq!(code, "InvalidBucketName");
}
