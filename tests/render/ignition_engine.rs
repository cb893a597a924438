//! Rendered Ignition configs against the real Ignition tools.
//!
//! - Golden files: one config per role × OS × Kubernetes minor in
//!   `tests/golden/`, compared byte for byte (regenerate with
//!   `UPDATE_GOLDEN=1`), each accepted by `ignition-validate` without a single
//!   line of output. The CAs in them are fixtures in `tests/golden/pki/`,
//!   made once with the crate's own generator. The kubeadm config inside
//!   each is accepted by `kubeadm config validate` of the matching kubeadm
//!   release (`scripts/install-kubernetes.sh` builds them), with the
//!   placeholders the bootstrap script fills in at boot filled in.
//! - The Ignition engine (Debian's build, run as root into a scratch root
//!   directory, stages fetch-offline, fetch and files): every role on both
//!   OSes, booted through the pointer config and with artifacts fetched from
//!   a loopback HTTP server; a wrong artifact hash must stop it; and its
//!   config merging must agree with ours.
//!
//! `scripts/install-ignition.sh` installs the tools.

use crate::ignition_support;
use crate::kubeadm_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ignition_support::{fixture_pki, golden_dir, mode_of, node_spec, read, render, run_engine, updating, ALL_STAGES};
use serde_json::{json, Value};
use terraform_provider_kubeadm::bootstrap::ignition;
use terraform_provider_kubeadm::bootstrap::kubeadm::{self, Documents};
use terraform_provider_kubeadm::bootstrap::node::{
    Artifacts, ControlPlanePki, IgnitionVersion, NodeSpec, OperatingSystem, RemoteFile, Role,
};

const VALIDATE: &str = "ignition-validate";
const OSES: [OperatingSystem; 2] = [OperatingSystem::Flatcar, OperatingSystem::FedoraCoreos];
const GOLDEN_VERSIONS: [&str; 3] = ["v1.30.6", "v1.31.4", "v1.34.4"];

// ---- inputs -----------------------------------------------------------------

/// The files an artifacts manifest would list: name, bytes, archive target.
fn artifact_payloads() -> Vec<(&'static str, Vec<u8>, Option<&'static str>)> {
    vec![
        ("kubeadm", b"#!/bin/sh\necho fake kubeadm\n".to_vec(), None),
        ("kubelet", b"#!/bin/sh\necho fake kubelet\n".to_vec(), None),
        ("kubectl", b"#!/bin/sh\necho fake kubectl\n".to_vec(), None),
        ("cni-plugins.tgz", cni_archive(), Some("/opt/cni/bin")),
    ]
}

/// Remote artifacts at `base` (a URL prefix), the way the provider resolves a
/// manifest: binaries in the OS's binary directory, archives in
/// `/opt/kubeadm/artifacts` with an `extract_to`.
fn remote_artifacts(os: OperatingSystem, base: &str, payloads: &[(&str, Vec<u8>, Option<&str>)]) -> Artifacts {
    let bin = ignition::binary_dir(os);
    Artifacts::Remote(
        payloads
            .iter()
            .map(|(name, bytes, extract_to)| RemoteFile {
                path: match extract_to {
                    Some(_) => format!("/opt/kubeadm/artifacts/{name}"),
                    None => format!("{bin}/{name}"),
                },
                url: format!("{base}/{name}"),
                sha512: ignition::sha512_hex(bytes),
                mode: if extract_to.is_some() { 0o644 } else { 0o755 },
                extract_to: extract_to.map(str::to_owned),
            })
            .collect(),
    )
}

/// A small `.tar.gz` holding `loopback` and `bridge`, made with tar and
/// gzip.
fn cni_archive() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    for name in ["loopback", "bridge"] {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("#!/bin/sh\necho fake {name} plugin\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let tar = Command::new("tar")
        .args(["--owner=0", "--group=0", "--numeric-owner", "-cf", "-"])
        .args(["-C", dir.path().to_str().unwrap(), "loopback", "bridge"])
        .output()
        .unwrap();
    assert!(tar.status.success(), "tar: {}", String::from_utf8_lossy(&tar.stderr));
    let mut gzip = Command::new("gzip")
        .args(["-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    gzip.stdin.take().unwrap().write_all(&tar.stdout).unwrap();
    let out = gzip.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

// ---- tools ------------------------------------------------------------------

/// Runs `ignition-validate` on `json`; any output at all is a failure.
fn validate(name: &str, json: &str) {
    let mut child = Command::new(VALIDATE)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{VALIDATE}: {e}; run scripts/install-ignition.sh"));
    child.stdin.take().unwrap().write_all(json.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "{VALIDATE} on {name}: exit {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

type Files = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

/// A loopback HTTP/1.0 file server, stopped on drop. Files can be added
/// while it runs, since configs name the server's port.
struct FileServer {
    port: u16,
    files: Files,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FileServer {
    fn start() -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let files: Files = Arc::default();
        let (flag, served) = (stop.clone(), files.clone());
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                        serve_one(stream, &served);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break,
                }
            }
        });
        FileServer { port, files, stop, thread: Some(thread) }
    }

    fn put(&self, path: &str, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(path.to_owned(), bytes);
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_one(mut stream: std::net::TcpStream, files: &Files) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // Skip the headers.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/');
    let body = files.lock().unwrap().get(path).cloned();
    let response = match body {
        Some(body) => {
            let mut r =
                format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
            r.extend_from_slice(&body);
            r
        }
        None => b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    };
    let _ = stream.write_all(&response);
}

/// Every regular file under `dir` that contains `needle`.
fn files_containing(dir: &Path, needle: &[u8], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            files_containing(&entry.path(), needle, out);
        } else if kind.is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                out.push(entry.path());
            }
        }
    }
}

// ---- golden files ---------------------------------------------------------

fn golden_name(os: OperatingSystem, role: Role, version: &str) -> String {
    let minor = version.rsplit_once('.').map(|(m, _)| m).unwrap_or(version);
    format!("{}-{}-{minor}.ign", os.as_str(), role.as_str())
}

/// Artifacts as a mirror of the release downloads would list them. The
/// archive's bytes are a fixed stand-in here, so the golden hashes do not
/// depend on the local tar and gzip.
fn golden_artifacts(os: OperatingSystem, version: &str) -> Artifacts {
    let mut payloads = artifact_payloads();
    // cri-tools' release archive, unpacked into the binary directory: kubeadm
    // before 1.31 needs crictl, which Fedora CoreOS does not ship.
    payloads.push(("crictl-v1.30.1-linux-amd64.tar.gz", Vec::new(), Some(ignition::binary_dir(os))));
    for (name, bytes, extract_to) in &mut payloads {
        if extract_to.is_some() {
            *bytes = format!("stand-in for {name}").into_bytes();
        }
    }
    remote_artifacts(os, &format!("https://artifacts.golden.example.com/kubernetes/{version}"), &payloads)
}

#[test]
fn golden_configs_match_and_validate() {
    let pki = fixture_pki();
    let mut expected = BTreeSet::new();
    let mut stale = Vec::new();
    for version in GOLDEN_VERSIONS {
        for os in OSES {
            for role in Role::ALL {
                let spec = node_spec(role, os, version, &pki, golden_artifacts(os, version));
                let rendered = render(&spec);
                assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
                assert_eq!(rendered, render(&spec.clone()), "rendering is not deterministic");
                let name = golden_name(os, role, version);
                validate(&name, &rendered.json);
                // Real kubeadm of the matching release accepts the kubeadm
                // config inside, as the node hands it over at boot.
                let yaml = kubeadm_support::kubeadm_yaml_of(&rendered.json);
                kubeadm_support::assert_valid(&yaml, version, &name);
                if role == Role::Init {
                    // The join an init node takes when its cluster already runs,
                    // judged on its own too: the control-plane role's document.
                    let join = init_join_document(&yaml).unwrap_or_else(|| panic!("{name}: no JoinConfiguration"));
                    let mut cp = spec.clone();
                    cp.role = Role::ControlPlane;
                    assert_eq!(join, kubeadm::render(&cp).unwrap(), "{name}");
                    kubeadm_support::assert_valid(&join, version, &format!("{name}, its JoinConfiguration"));
                }
                let path = golden_dir().join(&name);
                if updating() {
                    std::fs::write(&path, &rendered.json).unwrap();
                } else {
                    match std::fs::read_to_string(&path) {
                        Ok(old) if old == rendered.json => {}
                        _ => stale.push(name.clone()),
                    }
                }
                expected.insert(name);
            }
        }
    }
    assert!(stale.is_empty(), "golden files differ from the rendered configs: {stale:?}; rerun with UPDATE_GOLDEN=1");
    let present: BTreeSet<String> = std::fs::read_dir(golden_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".ign"))
        .collect();
    assert_eq!(present, expected, "tests/golden holds configs no scenario produces");
}

/// The `JoinConfiguration` document of a multi-document kubeadm config,
/// as written (documents are separated by `---` lines).
fn init_join_document(yaml: &str) -> Option<String> {
    yaml.split("---\n").find(|d| d.lines().any(|l| l == "kind: JoinConfiguration")).map(str::to_owned)
}

#[test]
fn spec_3_4_configs_validate() {
    // Debian's validator knows 3.4.0 only as 3.4.0-experimental, which has the
    // same fields this renderer writes.
    let pki = fixture_pki();
    for os in OSES {
        for role in Role::ALL {
            let mut spec = node_spec(role, os, "v1.31.4", &pki, golden_artifacts(os, "v1.31.4"));
            spec.ignition_version = IgnitionVersion::V3_4;
            let json = render(&spec).json;
            let v: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(v["ignition"]["version"], "3.4.0");
            validate("3.4 config", &json.replacen("\"version\":\"3.4.0\"", "\"version\":\"3.4.0-experimental\"", 1));
        }
    }
}

#[test]
fn pointer_configs_validate() {
    for version in [IgnitionVersion::V3_3, IgnitionVersion::V3_4] {
        let p = ignition::pointer_config(version, "s3://bucket/ignition/node.ign", &ignition::sha512_hex(b"x"));
        validate("pointer config", &p.replacen("\"3.4.0\"", "\"3.4.0-experimental\"", 1));
    }
}

// ---- the engine ---------------------------------------------------------------

/// The `kubeadm` documents written on the node hold the cluster's values.
fn check_kubeadm_config(role: Role, yaml: &str, spec: &NodeSpec) {
    let docs = kubeadm::parse_documents(yaml).unwrap();
    assert_eq!(docs, kubeadm::documents(spec).unwrap());
    let (cluster, endpoint) = match &docs {
        Documents::V1beta4 { cluster, join, .. } => (
            cluster.as_ref().map(|c| (c.cluster_name.clone(), c.control_plane_endpoint.clone())),
            join.as_ref()
                .and_then(|j| j.discovery.bootstrap_token.as_ref())
                .and_then(|t| t.api_server_endpoint.clone()),
        ),
        Documents::V1beta3 { cluster, join, .. } => (
            cluster.as_ref().map(|c| (c.cluster_name.clone(), c.control_plane_endpoint.clone())),
            join.as_ref()
                .and_then(|j| j.discovery.bootstrap_token.as_ref())
                .and_then(|t| t.api_server_endpoint.clone()),
        ),
    };
    if role == Role::Init {
        assert_eq!(
            cluster,
            Some((Some("golden".to_owned()), Some("api.golden.example.com:6443".to_owned()))),
            "{yaml}"
        );
    }
    // Joins, and the init node's join path, discover the cluster through the endpoint.
    assert_eq!(endpoint.as_deref(), Some("api.golden.example.com:6443"), "{yaml}");
    assert!(yaml.contains(kubeadm::NODE_NAME_PLACEHOLDER), "the placeholder is filled in at boot, not before");
}

#[test]
fn engine_applies_every_role_on_both_oses() {
    let pki = fixture_pki();
    let payloads = artifact_payloads();
    for os in OSES {
        for role in Role::ALL {
            // Artifacts and the rendered config come from one loopback server;
            // the node boots from the pointer config, as from user data.
            let (server, spec, rendered) = node_server(role, os, &pki, &payloads);
            assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
            let pointer = ignition::pointer_config(
                spec.ignition_version,
                &server.url("node.ign"),
                &ignition::sha512_hex(rendered.json.as_bytes()),
            );
            let run = run_engine(&pointer, &ALL_STAGES);
            assert!(run.ok, "{os:?} {role:?}: Ignition failed:\n{}", run.log_tail());
            let root = run.root();

            // The kubeadm config.
            let yaml = String::from_utf8(read(&root, "/etc/kubeadm/config.yaml")).unwrap();
            assert_eq!(mode_of(&root, "/etc/kubeadm/config.yaml"), 0o600);
            check_kubeadm_config(role, &yaml, &spec);

            // PKI on control planes; no private key anywhere on workers.
            if role.is_control_plane() {
                for (path, text, mode) in [
                    ("ca.crt", &pki.ca.cert_pem, 0o644),
                    ("ca.key", pki.ca.key_pem.expose(), 0o600),
                    ("front-proxy-ca.crt", &pki.front_proxy_ca.cert_pem, 0o644),
                    ("front-proxy-ca.key", pki.front_proxy_ca.key_pem.expose(), 0o600),
                    ("etcd/ca.crt", &pki.etcd_ca.cert_pem, 0o644),
                    ("etcd/ca.key", pki.etcd_ca.key_pem.expose(), 0o600),
                    ("sa.pub", &pki.sa_public_pem, 0o644),
                    ("sa.key", pki.sa_private_pem.expose(), 0o600),
                ] {
                    let full = format!("/etc/kubernetes/pki/{path}");
                    assert_eq!(read(&root, &full), text.as_bytes(), "{full}");
                    assert_eq!(mode_of(&root, &full), mode, "{full}");
                    let meta = std::fs::metadata(root.join(full.trim_start_matches('/'))).unwrap();
                    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 0);
                }
            } else {
                let mut found = Vec::new();
                files_containing(&root, b"PRIVATE KEY", &mut found);
                assert!(found.is_empty(), "a worker root holds private keys: {found:?}");
                assert!(!root.join("etc/kubernetes/pki").exists());
            }

            // Units enabled through presets, masks as links to /dev/null.
            let preset = String::from_utf8(read(&root, "/etc/systemd/system-preset/20-ignition.preset")).unwrap();
            let got: BTreeSet<&str> = preset.lines().filter(|l| !l.trim().is_empty()).collect();
            let mut want: BTreeSet<&str> = [
                "enable kubeadm-bootstrap.service",
                "enable kubelet.service",
                "enable kubeadm-health-check.timer",
                "enable kubeadm-artifacts.service",
            ]
            .into();
            if os == OperatingSystem::FedoraCoreos {
                want.insert("enable containerd.service");
                for masked in ["docker.service", "docker.socket"] {
                    let link = std::fs::read_link(root.join("etc/systemd/system").join(masked)).unwrap();
                    assert_eq!(link, Path::new("/dev/null"));
                }
            }
            assert_eq!(got, want);
            assert!(root.join("etc/systemd/system/kubeadm-bootstrap.service").exists());
            assert!(root.join("etc/systemd/system/kubelet.service.d/10-kubeadm.conf").exists());

            // Artifacts fetched with the right bytes and modes.
            let bin = ignition::binary_dir(os);
            for (name, bytes, extract_to) in &payloads {
                let path = match extract_to {
                    Some(_) => format!("/opt/kubeadm/artifacts/{name}"),
                    None => format!("{bin}/{name}"),
                };
                assert_eq!(&read(&root, &path), bytes, "{path}");
                assert_eq!(mode_of(&root, &path), if extract_to.is_some() { 0o644 } else { 0o755 }, "{path}");
            }
            // The unpack unit's commands, run against the root, unpack the archive.
            let unit = String::from_utf8(read(&root, "/etc/systemd/system/kubeadm-artifacts.service")).unwrap();
            run_unpack_commands(&unit, &root);
            assert_eq!(read(&root, "/opt/cni/bin/loopback"), b"#!/bin/sh\necho fake loopback plugin\n");

            // The scripts parse.
            for script in ["/opt/kubeadm/bootstrap.sh", "/opt/kubeadm/health-check.sh"] {
                assert_eq!(mode_of(&root, script), 0o700);
                let out =
                    Command::new("bash").arg("-n").arg(root.join(script.trim_start_matches('/'))).output().unwrap();
                assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
            }

            // The user, its key, and the user's file owned by it.
            let keys = String::from_utf8(read(&root, "/home/core/.ssh/authorized_keys.d/ignition")).unwrap();
            assert!(keys.contains("GoldenKey"), "{keys}");
            let motd = std::fs::metadata(root.join("etc/golden/motd")).unwrap();
            assert_eq!(
                (std::os::unix::fs::MetadataExt::uid(&motd), std::os::unix::fs::MetadataExt::gid(&motd)),
                (500, 500)
            );
            assert_eq!(mode_of(&root, "/etc/golden/motd"), 0o640);
        }
    }
}

/// Starts a server holding the artifacts and the node's rendered config
/// (`node.ign`).
fn node_server(
    role: Role,
    os: OperatingSystem,
    pki: &ControlPlanePki,
    payloads: &[(&'static str, Vec<u8>, Option<&'static str>)],
) -> (FileServer, NodeSpec, ignition::Rendered) {
    let server = FileServer::start();
    for (name, bytes, _) in payloads {
        server.put(&format!("artifacts/{name}"), bytes.clone());
    }
    let spec = node_spec(role, os, "v1.31.4", pki, remote_artifacts(os, &server.url("artifacts"), payloads));
    let rendered = render(&spec);
    server.put("node.ign", rendered.json.clone().into_bytes());
    (server, spec, rendered)
}

#[test]
fn engine_rejects_a_wrong_artifact_hash() {
    let pki = fixture_pki();
    let (server, mut spec, _) = node_server(Role::Worker, OperatingSystem::Flatcar, &pki, &artifact_payloads());
    // Pin a kubelet hash that the served bytes do not have.
    let Artifacts::Remote(files) = &mut spec.artifacts else { unreachable!() };
    let kubelet = files.iter_mut().find(|f| f.path.ends_with("/kubelet")).unwrap();
    kubelet.sha512 = ignition::sha512_hex(b"some other kubelet");
    let json = render(&spec).json;
    let run = run_engine(&json, &ALL_STAGES);
    assert!(!run.ok, "Ignition accepted a file whose hash does not match");
    assert!(run.log.contains("hash verification failed"), "{}", run.log_tail());
    assert!(!run.root().join("opt/bin/kubelet").exists());

    // The pointer config's own hash is checked too.
    server.put("node.ign", json.clone().into_bytes());
    let pointer =
        ignition::pointer_config(spec.ignition_version, &server.url("node.ign"), &ignition::sha512_hex(b"other"));
    let run = run_engine(&pointer, &ALL_STAGES);
    assert!(!run.ok && run.log.contains("hash verification failed"), "{}", run.log_tail());
}

/// Drops what does not change the meaning of a config: empty objects and
/// lists, nulls, and the `ignition` section (version and config references).
fn normalize(v: &Value) -> Value {
    fn walk(v: &Value) -> Option<Value> {
        match v {
            Value::Null => None,
            Value::Object(m) => {
                let out: serde_json::Map<String, Value> =
                    m.iter().filter_map(|(k, v)| walk(v).map(|v| (k.clone(), v))).collect();
                (!out.is_empty()).then_some(Value::Object(out))
            }
            Value::Array(a) => {
                let out: Vec<Value> = a.iter().map(|v| walk(v).unwrap_or(json!({}))).collect();
                (!out.is_empty()).then_some(Value::Array(out))
            }
            other => Some(other.clone()),
        }
    }
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("ignition");
    }
    walk(&v).unwrap_or(json!({}))
}

#[test]
fn merging_agrees_with_the_engine() {
    let pki = fixture_pki();
    let children = [
        json!({"ignition": {"version": "3.0.0"},
            "storage": {
                "files": [
                    {"path": "/etc/crictl.yaml", "contents": {"source": "data:,timeout%3A%2030%0A"}, "user": {"id": 0}},
                    {"path": "/etc/extra.conf", "mode": 420, "contents": {"source": "data:,x"}, "append": [{"source": "data:,1"}]}
                ],
                "links": [{"path": "/etc/flatcar/update.conf", "target": "/dev/null"}],
                "directories": [{"path": "/var/lib/extra", "mode": 448}]
            },
            "systemd": {"units": [
                {"name": "kubelet.service", "dropins": [{"name": "10-kubeadm.conf", "contents": "[Service]\n"}, {"name": "20-x.conf", "contents": "[Service]\n"}]},
                {"name": "extra.service", "enabled": true, "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}
            ]},
            "passwd": {
                "users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 BBBB other"], "groups": ["docker"]}, {"name": "ops", "uid": 1500}],
                "groups": [{"name": "docker", "gid": 990}]
            }
        }),
        json!({"ignition": {"version": "3.3.0", "timeouts": {"httpTotal": 30}},
            "storage": {
                "files": [{"path": "/etc/extra.conf", "mode": 384, "append": [{"source": "data:,2"}]}],
                "directories": [{"path": "/etc/crictl.yaml"}]
            },
            "systemd": {"units": [{"name": "extra.service", "enabled": false, "dropins": [{"name": "1.conf", "contents": "[Unit]\n"}]}]},
            "kernelArguments": {"shouldExist": ["a", "b"], "shouldNotExist": ["c"]}
        }),
        json!({"ignition": {"version": "3.2.0"},
            "storage": {
                "links": [{"path": "/var/lib/extra", "target": "/tmp"}],
                "files": [{"path": "/etc/fetched", "contents": {"source": "https://x.example.com/f",
                    "httpHeaders": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}}],
                "disks": [{"device": "/dev/vdb", "partitions": [{"label": "data", "sizeMiB": 100}, {"number": 2, "label": "two"}]}],
                "filesystems": [{"device": "/dev/vdb1", "format": "ext4", "options": ["-m", "0"], "path": "/var/data"}],
                "raid": [{"name": "md0", "level": "raid1", "devices": ["/dev/vdc", "/dev/vdd"], "options": ["--x"]}]
            },
            "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 CCCC third", "ssh-ed25519 BBBB other"]}]}
        }),
        json!({"ignition": {"version": "3.3.0"},
            "storage": {
                "files": [{"path": "/etc/fetched", "contents": {"source": "https://y.example.com/f",
                    "httpHeaders": [{"name": "A"}, {"name": "C", "value": "3"}]}}],
                "disks": [{"device": "/dev/vdb", "wipeTable": true, "partitions": [{"label": "data", "sizeMiB": 200}, {"number": 2, "sizeMiB": 5}, {"number": 3}]}],
                "filesystems": [{"device": "/dev/vdb1", "format": "ext4", "options": ["-E", "lazy_itable_init=0"], "label": "DATA"}],
                "raid": [{"name": "md0", "level": "raid1", "devices": ["/dev/vde", "/dev/vdc"], "options": ["--x"]}]
            },
            "kernelArguments": {"shouldNotExist": ["a"], "shouldExist": ["c2"]}
        }),
    ];
    let mut spec = node_spec(Role::Worker, OperatingSystem::Flatcar, "v1.31.4", &pki, Artifacts::Preinstalled);
    let base = render(&spec).json;
    spec.additional_ignition = children.iter().map(Value::to_string).collect();
    let ours: Value = serde_json::from_str(&render(&spec).json).unwrap();

    // The engine merges the same children, referenced as data: URLs.
    let mut parent: Value = serde_json::from_str(&base).unwrap();
    parent["ignition"]["config"] = json!({"merge": children.iter().map(|c| json!({
        "source": format!("data:;base64,{}", base64_encode(c.to_string().as_bytes()))
    })).collect::<Vec<_>>()});
    let run = run_engine(&parent.to_string(), &["fetch-offline", "fetch"]);
    assert!(run.ok, "{}", run.log_tail());
    let theirs: Value = serde_json::from_slice(&std::fs::read(run.work.path().join("config.json")).unwrap()).unwrap();
    assert_eq!(normalize(&ours), normalize(&theirs));
    // A few of the rules the comparison covers, spelled out.
    assert_eq!(ours["ignition"]["timeouts"]["httpTotal"], 30);
    assert_eq!(ours["kernelArguments"], json!({"shouldExist": ["b", "c2"], "shouldNotExist": ["c", "a"]}));
    let fetched = ours["storage"]["files"].as_array().unwrap().iter().find(|f| f["path"] == "/etc/fetched").unwrap();
    assert_eq!(fetched["contents"]["httpHeaders"], json!([{"name": "B", "value": "2"}, {"name": "C", "value": "3"}]));
    assert_eq!(ours["storage"]["raid"][0]["devices"], json!(["/dev/vdc", "/dev/vdd", "/dev/vde"]));
    assert_eq!(ours["storage"]["raid"][0]["options"], json!(["--x", "--x"]));
    assert!(ours["storage"]["files"].as_array().unwrap().iter().all(|f| f["path"] != "/etc/crictl.yaml"));
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Runs the `mkdir` and `tar` lines of the unpack unit with every absolute
/// path moved under `root`.
fn run_unpack_commands(unit: &str, root: &Path) {
    let mut ran = 0;
    for line in unit.lines() {
        let Some(cmd) = line.strip_prefix("ExecStart=") else { continue };
        let words: Vec<String> = cmd
            .split_whitespace()
            .enumerate()
            .map(|(i, w)| if i > 0 && w.starts_with('/') { format!("{}{w}", root.display()) } else { w.to_owned() })
            .collect();
        let out = Command::new(&words[0]).args(&words[1..]).output().unwrap();
        assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
        ran += 1;
    }
    assert!(ran >= 4, "{unit}");
}
