//! A node booting from `user_data_presigned`, end to end: the rendered config
//! is stored with the S3 store in s3s-fs (an S3 server on a local directory
//! that, unlike moto, verifies SigV4 signatures and the expiry of presigned
//! URLs), the pointer config names the presigned URL, and the real Ignition
//! engine fetches the full config through it, checks its SHA-512 and writes
//! the files into a scratch root.
//!
//! The refusals matter as much as the success: a replaced object fails the
//! hash check, and a URL signed with the wrong secret, an unsigned URL and an
//! expired URL are all refused by the server, so the signature really is what
//! grants access.
//!
//! Needs root, the Ignition engine (`scripts/install-ignition.sh`) and s3s-fs
//! (`scripts/install-s3s.sh`).

use crate::ignition_support;

use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use ignition_support::{fixture_pki, node_spec, read, run_engine, EngineRun, ALL_STAGES};
use serde_json::{json, Value};
use terraform_provider_kubeadm::bootstrap::ignition;
use terraform_provider_kubeadm::bootstrap::kubeadm;
use terraform_provider_kubeadm::bootstrap::node::{Artifacts, IgnitionVersion, NodeSpec, OperatingSystem, Role};
use terraform_provider_kubeadm::bootstrap::store::s3::{S3Settings, S3Store};
use terraform_provider_kubeadm::bootstrap::store::ObjectStore;

const ACCESS_KEY: &str = "AKIAPRESIGNTEST00001";
const SECRET_KEY: &str = "presign-test-secret-key-0000000000000001";
const BUCKET: &str = "bootstrap";
const KEY: &str = "nodes/worker-a.ign";
const CONFIG_PATH: &str = "/etc/kubeadm/config.yaml";
const BOOTSTRAP_UNIT: &str = "/etc/systemd/system/kubeadm-bootstrap.service";
const PRESET: &str = "/etc/systemd/system-preset/20-ignition.preset";

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

/// s3s-fs from PATH, else the copy `scripts/install-s3s.sh` builds.
fn s3s_fs_binary() -> PathBuf {
    if let Some(path) = find_on_path("s3s-fs") {
        return path;
    }
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/s3s/bin/s3s-fs");
    assert!(
        built.is_file(),
        "s3s-fs is neither on PATH nor at {}; run scripts/install-s3s.sh and re-run the tests",
        built.display()
    );
    built
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free loopback port").port()
}

/// An s3s-fs server on a free loopback port serving a fresh directory that
/// holds one bucket; killed on drop.
struct S3sFs {
    child: Child,
    port: u16,
    /// Holds `data/<bucket>` (the server's root) and the server's log.
    dir: tempfile::TempDir,
}

impl S3sFs {
    fn start() -> S3sFs {
        let exe = s3s_fs_binary();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(data.join(BUCKET)).unwrap();
        for _ in 0..3 {
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("s3s-fs.log")).unwrap();
            let mut child = Command::new(&exe)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(&data)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return S3sFs { child, port, dir };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("s3s-fs did not listen on 127.0.0.1:{port} within 20 s");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let log = std::fs::read_to_string(dir.path().join("s3s-fs.log")).unwrap_or_default();
        panic!("s3s-fs exited three times before listening:\n{log}");
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn settings(&self) -> S3Settings {
        S3Settings {
            bucket: BUCKET.into(),
            endpoint: Some(self.endpoint()),
            force_path_style: true,
            region: Some("us-east-1".into()),
            ..S3Settings::default()
        }
    }

    /// The provider's store, signing with `secret_key`.
    async fn store(&self, secret_key: &str) -> S3Store {
        S3Store::with_static_credentials(self.settings(), ACCESS_KEY, secret_key, None).await.expect("store")
    }

    /// A plain SDK client with the server's keys: a writer other than the store.
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

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("s3s-fs.log")).unwrap_or_default()
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A worker's rendered config, stored and presigned.
struct Stored {
    server: S3sFs,
    store: S3Store,
    spec: NodeSpec,
    kubeadm_yaml: String,
    json: String,
    sha512: String,
    url: String,
}

impl Stored {
    /// What `user_data_presigned` holds for this object.
    fn pointer(&self, url: &str) -> String {
        ignition::pointer_config(IgnitionVersion::V3_3, url, &self.sha512)
    }
}

async fn stored_worker() -> Stored {
    let server = S3sFs::start();
    let store = server.store(SECRET_KEY).await;
    let pki = fixture_pki();
    let spec = node_spec(Role::Worker, OperatingSystem::Flatcar, "v1.31.4", &pki, Artifacts::Preinstalled);
    let kubeadm_yaml = kubeadm::render(&spec).unwrap();
    let rendered = ignition::render(&spec, &kubeadm_yaml).unwrap();
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    let sha512 = ignition::sha512_hex(rendered.json.as_bytes());
    let info = store.put(KEY, rendered.json.as_bytes()).await.unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    assert_eq!(info.sha512, sha512);
    let url = store.presign_get(KEY, Duration::from_secs(3600)).await.unwrap();
    assert!(url.starts_with(&format!("{}/{BUCKET}/{KEY}?", server.endpoint())), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    Stored { server, store, spec, kubeadm_yaml, json: rendered.json, sha512, url }
}

/// The status of a plain GET of `url`: 200, or the error status.
fn get_status(url: &str) -> u16 {
    match ureq::get(url).call() {
        Ok(response) => response.status().as_u16(),
        Err(ureq::Error::StatusCode(code)) => code,
        Err(e) => panic!("GET {url}: {e}"),
    }
}

fn assert_nothing_written(run: &EngineRun) {
    let root = run.root();
    assert!(!root.join(CONFIG_PATH.trim_start_matches('/')).exists(), "the kubeadm config was written anyway");
    assert!(!root.join(BOOTSTRAP_UNIT.trim_start_matches('/')).exists(), "the bootstrap unit was written anyway");
}

#[tokio::test]
async fn engine_boots_from_a_presigned_url() {
    let s = stored_worker().await;
    assert_eq!(get_status(&s.url), 200);

    let run = run_engine(&s.pointer(&s.url), &ALL_STAGES);
    assert!(run.ok, "Ignition failed:\n{}\nserver log:\n{}", run.log_tail(), s.server.log());
    assert!(run.log.contains("GET result: OK"), "{}", run.log_tail());
    // What the engine applied is the stored config, not the pointer alone.
    let paths = |v: &Value| -> BTreeSet<String> {
        v["storage"]["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_owned()).collect()
    };
    let applied: Value = serde_json::from_slice(&std::fs::read(run.work.path().join("config.json")).unwrap()).unwrap();
    let stored: Value = serde_json::from_str(&s.json).unwrap();
    assert!(paths(&applied).contains(CONFIG_PATH));
    assert_eq!(paths(&applied), paths(&stored));

    let root = run.root();
    let yaml = String::from_utf8(read(&root, CONFIG_PATH)).unwrap();
    assert_eq!(yaml, s.kubeadm_yaml);
    assert_eq!(kubeadm::parse_documents(&yaml).unwrap(), kubeadm::documents(&s.spec).unwrap());
    let unit = String::from_utf8(read(&root, BOOTSTRAP_UNIT)).unwrap();
    assert!(unit.contains("ExecStart="), "{unit}");
    let preset = String::from_utf8(read(&root, PRESET)).unwrap();
    let enabled: BTreeSet<&str> = preset.lines().map(str::trim).collect();
    assert!(enabled.contains("enable kubeadm-bootstrap.service"), "{preset}");
    assert!(enabled.contains("enable kubelet.service"), "{preset}");
}

#[tokio::test]
async fn engine_rejects_a_replaced_object() {
    let s = stored_worker().await;
    // Someone with write access replaces the object with a valid config of
    // their own; the presigned URL still works, only the hash protects the node.
    let mut forged: Value = serde_json::from_str(&s.json).unwrap();
    forged["storage"]["files"].as_array_mut().unwrap().push(json!({
        "path": "/etc/forged", "mode": 420, "contents": {"source": "data:,forged"}
    }));
    s.server
        .client()
        .put_object()
        .bucket(BUCKET)
        .key(KEY)
        .body(ByteStream::from(forged.to_string().into_bytes()))
        .send()
        .await
        .expect("overwrite the object");
    assert_ne!(s.store.get_sha512(KEY).await.unwrap().as_deref(), Some(s.sha512.as_str()));
    assert_eq!(get_status(&s.url), 200, "the URL itself still works");

    let run = run_engine(&s.pointer(&s.url), &ALL_STAGES);
    assert!(!run.ok, "Ignition accepted a config whose hash does not match");
    // Fetched fine over the presigned URL, then stopped by the hash.
    assert!(run.log.contains("GET result: OK"), "{}", run.log_tail());
    assert!(run.log.contains("hash verification failed"), "{}", run.log_tail());
    assert_nothing_written(&run);
    assert!(!run.root().join("etc/forged").exists());
}

#[tokio::test]
async fn a_url_signed_with_the_wrong_secret_is_refused() {
    let s = stored_worker().await;
    let impostor = s.server.store("not-the-secret-key-0000000000000000000000").await;
    let url = impostor.presign_get(KEY, Duration::from_secs(3600)).await.unwrap();
    assert_ne!(url, s.url);
    assert_eq!(get_status(&url), 403);

    let run = run_engine(&s.pointer(&url), &ALL_STAGES);
    assert!(!run.ok, "Ignition fetched through a URL with a bad signature");
    assert!(!run.log.contains("hash verification failed"), "the fetch itself must fail:\n{}", run.log_tail());
    assert!(run.log.contains("GET result: Forbidden"), "{}", run.log_tail());
    assert_nothing_written(&run);
}

#[tokio::test]
async fn an_unsigned_url_is_refused() {
    let s = stored_worker().await;
    let plain = format!("{}/{BUCKET}/{KEY}", s.server.endpoint());
    assert_eq!(get_status(&plain), 403);
    // The presigned URL with its signature removed is no better.
    let stripped: String =
        s.url.split('&').filter(|p| !p.starts_with("X-Amz-Signature=")).collect::<Vec<_>>().join("&");
    assert_ne!(stripped, s.url);
    assert_eq!(get_status(&stripped), 403);

    let run = run_engine(&s.pointer(&plain), &ALL_STAGES);
    assert!(!run.ok, "Ignition fetched the object without a signature");
    assert!(run.log.contains("GET result: Forbidden"), "{}", run.log_tail());
    assert_nothing_written(&run);
}

#[tokio::test]
async fn an_expired_url_is_refused() {
    let s = stored_worker().await;
    let short = s.store.presign_get(KEY, Duration::from_secs(1)).await.unwrap();
    assert!(short.contains("X-Amz-Expires=1&") || short.ends_with("X-Amz-Expires=1"), "{short}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(get_status(&short), 403);
    // The long-lived URL made at the same time still works.
    assert_eq!(get_status(&s.url), 200);
}
