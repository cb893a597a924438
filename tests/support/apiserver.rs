//! A real Kubernetes API server for tests: etcd and kube-apiserver (the
//! binaries `scripts/install-kubernetes.sh` built, listed in
//! `.tools/kubernetes/versions.env`) started as plain processes on 127.0.0.1
//! with free ports, in one process group killed when the server is dropped.
//!
//! The certificates are made here: the cluster CA and another cluster's
//! (`rogue-ca`) by the provider's own CA code (as `kubeadm_cluster_ca` makes
//! them), and signed by openssl with them, the API server's certificate and
//! the client pairs a [`Setup`] asks for; an admin client in
//! `system:masters` (`admin`, with `admin.conf`) is always made. Bearer
//! tokens come from a static token file. Authorization is `Node,RBAC`, and
//! an audit policy of the test's choice writes `audit.log`.
//!
//! Included with `#[path = "support/apiserver.rs"]`; it includes
//! `cluster.rs` (the process group, waiting, lossy reads) itself, as
//! [`cluster`].
#![allow(dead_code)]

#[path = "cluster.rs"]
pub mod cluster;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value as Json;
use terraform_provider_kubeadm::bootstrap::pki::{self, CaRole, KeyAlgorithm};

/// One client certificate to issue: written as `<name>.crt`/`<name>.key`
/// (and a kubeconfig `<name>.conf`), signed by `ca` (`"ca"` or `"rogue-ca"`),
/// with the openssl subject `subject` (`/O=<group>/CN=<user>`).
#[derive(Debug, Clone)]
pub struct ClientCert {
    pub name: String,
    pub ca: String,
    pub subject: String,
}

impl ClientCert {
    pub fn new(name: &str, ca: &str, subject: &str) -> ClientCert {
        ClientCert { name: name.to_string(), ca: ca.to_string(), subject: subject.to_string() }
    }
}

/// What a server is started with.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Client certificates besides `admin`.
    pub clients: Vec<ClientCert>,
    /// Static bearer tokens: (token, user name).
    pub tokens: Vec<(String, String)>,
    /// The audit policy (YAML); empty: nothing is audited.
    pub audit_policy: String,
}

/// The audit policy that records nothing.
const NO_AUDIT: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n";

/// Writes `<name>.crt` and `<name>.key` in `dir`: a P-256 key and a
/// certificate for `subject` signed by `<ca>.crt` / `<ca>.key` with openssl,
/// for a server (`127.0.0.1`, `localhost`) or a client.
pub fn issue(dir: &Path, ca: &str, name: &str, subject: &str, server: bool) {
    let ext = if server {
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
    } else {
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
    };
    std::fs::write(dir.join(format!("{name}.ext")), ext).expect("write an openssl extension file");
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
        assert!(out.status.success(), "openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    };
    let (key, csr, crt) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.crt"));
    run(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", &key]);
    run(&["req", "-new", "-key", &key, "-subj", subject, "-out", &csr]);
    run(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &format!("{ca}.crt"),
        "-CAkey",
        &format!("{ca}.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-sha256",
        "-extfile",
        &format!("{name}.ext"),
        "-out",
        &crt,
    ]);
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

/// `.tools/kubernetes/versions.env` as key → value.
fn versions_env() -> BTreeMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/kubernetes/versions.env");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; run `bash scripts/install-kubernetes.sh` (the test command does)", path.display())
    });
    text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect()
}

/// Real etcd and kube-apiserver on loopback, killed (as a process group) on drop.
pub struct ApiServer {
    /// Holds etcd and kube-apiserver; kills them when dropped.
    pub group: cluster::Group,
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub kubectl: PathBuf,
    /// The server's `gitVersion`, e.g. `v1.34.4`.
    pub version: String,
}

impl ApiServer {
    /// Starts a server and waits until it answers `/readyz`.
    pub fn start(setup: &Setup) -> ApiServer {
        let env = versions_env();
        let get = |k: &str| env.get(k).cloned().unwrap_or_else(|| panic!("{k} missing from versions.env"));
        let bin = PathBuf::from(get("KUBERNETES_BIN"));
        let etcd = PathBuf::from(get("ETCD_BIN"));
        for p in [bin.join("kube-apiserver"), bin.join("kubectl"), etcd.clone()] {
            assert!(p.is_file(), "{} is missing: run scripts/install-kubernetes.sh", p.display());
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let write = |name: &str, text: &str| std::fs::write(d.join(name), text).expect("write a lab file");
        // The cluster CA as kubeadm_cluster_ca makes it, and one of another cluster.
        let now = time::OffsetDateTime::now_utc();
        for (name, cluster) in [("ca", "lab"), ("rogue-ca", "rogue")] {
            let ca = pki::generate_ca(CaRole::Kubernetes, cluster, KeyAlgorithm::EcdsaP256, 2, now).expect("a CA");
            write(&format!("{name}.crt"), &ca.cert_pem);
            write(&format!("{name}.key"), ca.key_pem.expose());
        }
        issue(d, "ca", "apiserver", "/CN=kube-apiserver", true);
        let mut clients = vec![ClientCert::new("admin", "ca", "/O=system:masters/CN=kubernetes-admin")];
        clients.extend(setup.clients.iter().cloned());
        for c in &clients {
            issue(d, &c.ca, &c.name, &c.subject, false);
        }
        let sa = pki::generate_service_account(KeyAlgorithm::EcdsaP256).expect("service account keys");
        write("sa.key", sa.private_pem.expose());
        write("sa.pub", &sa.public_pem);
        write("audit-policy.yaml", if setup.audit_policy.is_empty() { NO_AUDIT } else { &setup.audit_policy });
        // token,user,uid (one line each).
        let tokens: String =
            setup.tokens.iter().enumerate().map(|(i, (token, user))| format!("{token},{user},uid-{i}\n")).collect();
        write("tokens.csv", &tokens);

        let group = cluster::Group::new();
        let (client, peer, port) = (free_port(), free_port(), free_port());
        let log = |name: &str| std::fs::File::create(d.join(name)).expect("log file");
        let mut cmd = Command::new(&etcd);
        cmd.args(["--name", "lab", "--data-dir"])
            .arg(d.join("etcd"))
            .arg(format!("--listen-client-urls=http://127.0.0.1:{client}"))
            .arg(format!("--advertise-client-urls=http://127.0.0.1:{client}"))
            .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer}"))
            .arg(format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer}"))
            .arg(format!("--initial-cluster=lab=http://127.0.0.1:{peer}"))
            .args(["--unsafe-no-fsync", "--log-level=warn"])
            .stdin(Stdio::null())
            .stdout(log("etcd.log"))
            .stderr(log("etcd.log"));
        group.spawn(cmd);
        let path = |name: &str| d.join(name).display().to_string();
        let mut cmd = Command::new(bin.join("kube-apiserver"));
        cmd.arg(format!("--etcd-servers=http://127.0.0.1:{client}"))
            .arg("--bind-address=127.0.0.1")
            .arg("--advertise-address=127.0.0.1")
            .arg(format!("--secure-port={port}"))
            .arg(format!("--tls-cert-file={}", path("apiserver.crt")))
            .arg(format!("--tls-private-key-file={}", path("apiserver.key")))
            .arg(format!("--client-ca-file={}", path("ca.crt")))
            .arg(format!("--token-auth-file={}", path("tokens.csv")))
            .arg(format!("--cert-dir={}", path("cert-dir")))
            .arg("--service-account-issuer=https://kubernetes.default.svc.cluster.local")
            .arg(format!("--service-account-key-file={}", path("sa.pub")))
            .arg(format!("--service-account-signing-key-file={}", path("sa.key")))
            .arg("--service-cluster-ip-range=10.96.0.0/16")
            .arg("--authorization-mode=Node,RBAC")
            .arg(format!("--audit-policy-file={}", path("audit-policy.yaml")))
            .arg(format!("--audit-log-path={}", path("audit.log")))
            .stdin(Stdio::null())
            .stdout(log("kube-apiserver.log"))
            .stderr(log("kube-apiserver.log"));
        group.spawn(cmd);
        let server = ApiServer { group, dir, port, kubectl: bin.join("kubectl"), version: String::new() };
        for c in &clients {
            server.write_kubeconfig(&c.name);
        }
        let ready = cluster::wait_for(Duration::from_secs(120), Duration::from_millis(500), || {
            // A server that exited says so in its log; no need to wait then.
            if cluster::read_lossy(&server.file("kube-apiserver.log")).contains("\"command failed\"") {
                return Some(false);
            }
            let out = server.kubectl_output(&["get", "--raw", "/readyz"], None);
            (out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok").then_some(true)
        });
        if ready != Some(true) {
            panic!(
                "kube-apiserver did not become ready on port {port}\n--- etcd ---\n{}\n--- kube-apiserver ---\n{}",
                server.log_tail("etcd.log"),
                server.log_tail("kube-apiserver.log")
            );
        }
        let version: Json =
            serde_json::from_str(&server.kubectl(&["get", "--raw", "/version"], None)).expect("/version");
        let version = version["gitVersion"].as_str().expect("gitVersion").to_string();
        ApiServer { version, ..server }
    }

    /// The last lines of one of the lab's logs.
    pub fn log_tail(&self, name: &str) -> String {
        let text = cluster::read_lossy(&self.file(name));
        text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A kubeconfig `<user>.conf` for one of the client pairs, trusting the cluster CA.
    pub fn write_kubeconfig(&self, user: &str) -> PathBuf {
        let read = |name: &str| std::fs::read_to_string(self.file(name)).expect("read a lab file");
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {user}\nclusters:\n- name: lab\n  cluster:\n    server: {}\n    certificate-authority-data: {}\ncontexts:\n- name: {user}\n  context:\n    cluster: lab\n    user: {user}\nusers:\n- name: {user}\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
            self.url(),
            b64(&read("ca.crt")),
            b64(&read(&format!("{user}.crt"))),
            b64(&read(&format!("{user}.key")))
        );
        let path = self.file(&format!("{user}.conf"));
        std::fs::write(&path, text).expect("write a kubeconfig");
        path
    }

    pub fn kubectl_output(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut cmd = Command::new(&self.kubectl);
        cmd.arg("--kubeconfig").arg(self.file("admin.conf")).args(["--request-timeout", "20s"]).args(args);
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run kubectl");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).expect("kubectl stdin");
        }
        child.wait_with_output().expect("kubectl")
    }

    /// Runs kubectl as the admin; its stdout.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.kubectl_output(args, stdin);
        assert!(out.status.success(), "kubectl {} failed:\n{}", args.join(" "), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The audit log's events (one JSON object per line).
    pub fn audit_events(&self) -> Vec<Json> {
        cluster::read_lossy(&self.file("audit.log"))
            .lines()
            .filter_map(|l| serde_json::from_str::<Json>(l).ok())
            .collect()
    }
}
