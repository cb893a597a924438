//! `data "kubeadm_cluster_health"` against a real Kubernetes API server, with
//! Terraform: the wait while a Node is missing and then NotReady, the return
//! once it is Ready, a timeout that names what is missing with the NotReady
//! Node's reason, credentials of another CA refused at once, a server
//! certificate that does not verify, a user without RBAC refused naming
//! `list nodes`, a closed port retried until the timeout, and the computed
//! `nodes` and `api_server_version` checked against the server.
//!
//! Each test starts real etcd and a real kube-apiserver (the binaries
//! `scripts/install-kubernetes.sh` built, listed in
//! `.tools/kubernetes/versions.env`) as plain processes on 127.0.0.1 with
//! free ports, in one process group killed when the test ends. The
//! certificates are made here: the cluster CA and another cluster's by the
//! provider's own CA code (as `kubeadm_cluster_ca` makes them), and signed
//! by openssl with them, the API server's certificate, an admin client in
//! `system:masters`, a client with no RBAC binding, and an admin client of
//! the other cluster.
//!
//! What stands in for a real cluster: there are no kubelets. Node objects
//! are created with `kubectl create` and their Ready condition set through
//! the status subresource (`kubectl patch --subresource=status`), as a
//! kubelet would report it; nothing else (no controller-manager) touches
//! them. The API server's audit log records the provider's Node lists (its
//! user agent), which shows when the read was polling. The same data source
//! runs against a cluster with real kubelets in `tests/kubernetes_e2e.rs`.

#[path = "support/cluster.rs"]
mod cluster;
#[path = "support/kubeadm.rs"]
mod kubeadm_support;
mod support;

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value as Json};
use support::{blocks, config, terraforms, Run, Terraform, WorkDir};
use terraform_provider_kubeadm::bootstrap::pki::{self, CaRole, KeyAlgorithm};

const ADDR: &str = "data.kubeadm_cluster_health.c";
/// The NotReady condition a kubelet reports before the network add-on runs.
const NOT_READY: (&str, &str, &str) = (
    "False",
    "KubeletNotReady",
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
);
const READY: (&str, &str, &str) = ("True", "KubeletReady", "kubelet is posting ready status");

// ---------------------------------------------------------------------------
// Certificates

/// Writes `<name>.crt` and `<name>.key` in `dir`: a P-256 key and a
/// certificate for `subject` signed by `<ca>.crt` / `<ca>.key` with openssl,
/// for a server (`127.0.0.1`, `localhost`) or a client.
fn issue(dir: &Path, ca: &str, name: &str, subject: &str, server: bool) {
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

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

// ---------------------------------------------------------------------------
// The API server

/// Real etcd and kube-apiserver on loopback, killed (as a process group) on drop.
struct ApiServer {
    /// Holds etcd and kube-apiserver; kills them when dropped.
    _group: cluster::Group,
    dir: tempfile::TempDir,
    port: u16,
    kubectl: PathBuf,
    version: String,
}

impl ApiServer {
    fn start() -> ApiServer {
        let env = kubeadm_support::versions_env();
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
        issue(d, "ca", "admin", "/O=system:masters/CN=kubernetes-admin", false);
        issue(d, "ca", "nobody", "/CN=nobody", false);
        issue(d, "rogue-ca", "rogue-admin", "/O=system:masters/CN=kubernetes-admin", false);
        let sa = pki::generate_service_account(KeyAlgorithm::EcdsaP256).expect("service account keys");
        write("sa.key", sa.private_pem.expose());
        write("sa.pub", &sa.public_pem);
        // Only Node lists are audited: they show when the provider polled.
        write(
            "audit-policy.yaml",
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [\"RequestReceived\"]\nrules:\n- level: Metadata\n  verbs: [\"list\"]\n  resources:\n  - group: \"\"\n    resources: [\"nodes\"]\n- level: None\n",
        );

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
        let server = ApiServer { _group: group, dir, port, kubectl: bin.join("kubectl"), version: String::new() };
        for user in ["admin", "nobody", "rogue-admin"] {
            server.write_kubeconfig(user);
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
            let tail = |name: &str| {
                let text = cluster::read_lossy(&server.dir.path().join(name));
                text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
            };
            panic!(
                "kube-apiserver did not become ready on port {port}\n--- etcd ---\n{}\n--- kube-apiserver ---\n{}",
                tail("etcd.log"),
                tail("kube-apiserver.log")
            );
        }
        let version: Json =
            serde_json::from_str(&server.kubectl(&["get", "--raw", "/version"], None)).expect("/version");
        let version = version["gitVersion"].as_str().expect("gitVersion").to_string();
        ApiServer { version, ..server }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A kubeconfig for one of the client pairs, trusting the cluster CA.
    fn write_kubeconfig(&self, user: &str) -> PathBuf {
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

    fn kubectl_output(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
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
    fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.kubectl_output(args, stdin);
        assert!(out.status.success(), "kubectl {} failed:\n{}", args.join(" "), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Registers a Node, as a kubelet would, without a Ready condition yet.
    fn create_node(&self, name: &str, control_plane: bool) {
        let mut labels = json!({ "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" });
        if control_plane {
            labels["node-role.kubernetes.io/control-plane"] = json!("");
        }
        let node = json!({ "apiVersion": "v1", "kind": "Node", "metadata": { "name": name, "labels": labels } });
        self.kubectl(&["create", "-f", "-"], Some(&node.to_string()));
    }

    /// Sets a Node's Ready condition and kubelet version through the status
    /// subresource, as the kubelet reports them.
    fn set_ready(&self, name: &str, (status, reason, message): (&str, &str, &str)) {
        let patch = json!({ "status": {
            "nodeInfo": { "kubeletVersion": self.version, "containerRuntimeVersion": "containerd://1.6.20", "operatingSystem": "linux", "architecture": "amd64" },
            "conditions": [{
                "type": "Ready", "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"
            }]
        }});
        self.kubectl(&["patch", "node", name, "--subresource=status", "--type=merge", "-p", &patch.to_string()], None);
    }

    /// How many Node lists the provider made (its user agent in the audit log).
    fn provider_node_lists(&self) -> usize {
        cluster::read_lossy(&self.file("audit.log"))
            .lines()
            .filter_map(|l| serde_json::from_str::<Json>(l).ok())
            .filter(|e| {
                e["stage"] == "ResponseComplete"
                    && e["verb"] == "list"
                    && e["objectRef"]["resource"] == "nodes"
                    && e["userAgent"].as_str().is_some_and(|a| a.starts_with("terraform-provider-kubeadm/"))
            })
            .count()
    }

    /// The Nodes as the server has them: (name, roles, ready, kubelet version).
    fn nodes(&self) -> Vec<Json> {
        let list: Json = serde_json::from_str(&self.kubectl(&["get", "nodes", "-o", "json"], None)).expect("node list");
        let mut out: Vec<Json> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|n| {
                let mut roles: Vec<String> = n["metadata"]["labels"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/").map(str::to_string))
                    .collect();
                roles.sort();
                let ready = n["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True");
                json!({
                    "name": n["metadata"]["name"],
                    "roles": roles,
                    "ready": ready,
                    "kubelet_version": n["status"]["nodeInfo"]["kubeletVersion"].as_str().unwrap_or(""),
                })
            })
            .collect();
        out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        out
    }
}

// ---------------------------------------------------------------------------
// Terraform

/// The data source with `connection` lines, waiting for `cp` and `workers`.
fn health(connection: &str, cp: u32, workers: u32, timeout: &str) -> String {
    config(&format!(
        r#"
data "kubeadm_cluster_health" "c" {{
{connection}
  wait_for {{
    control_plane_nodes = {cp}
    worker_nodes        = {workers}
  }}
  timeout       = "{timeout}"
  poll_interval = "1s"
}}

output "nodes" {{
  value = data.kubeadm_cluster_health.c.nodes
}}
"#
    ))
}

/// Host, CA and a client pair by file.
fn direct(server: &ApiServer, ca: &str, user: &str) -> String {
    let f = |n: &str| server.file(n).display().to_string();
    format!(
        "  host                   = \"{}\"\n  cluster_ca_certificate = file(\"{}\")\n  client_certificate     = file(\"{}\")\n  client_key             = file(\"{}\")",
        server.url(),
        f(ca),
        f(&format!("{user}.crt")),
        f(&format!("{user}.key"))
    )
}

fn kubeconfig_path(path: &Path) -> String {
    format!("  kubeconfig_path = \"{}\"", path.display())
}

fn apply(wd: &WorkDir, limit: Duration) -> (Run, Duration) {
    let started = Instant::now();
    let run = wd.run_within(&["apply", "-auto-approve", "-input=false", "-no-color"], limit);
    (run, started.elapsed())
}

/// The error blocks of a run, flattened to single spaces.
fn errors(run: &Run) -> Vec<String> {
    blocks(&run.combined())
        .into_iter()
        .filter(|b| b.starts_with("Error: "))
        .map(|b| b.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn newest() -> Terraform {
    terraforms().pop().expect("a Terraform binary")
}

fn fresh(tf: &Terraform, config: &str) -> WorkDir {
    let wd = WorkDir::new(tf);
    wd.write_config(config);
    wd.init();
    wd
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn waits_while_a_node_is_missing_or_not_ready_and_returns_once_ready() {
    let server = ApiServer::start();
    server.create_node("cp-1", true);
    server.set_ready("cp-1", READY);
    let wd = fresh(&newest(), &health(&kubeconfig_path(&server.file("admin.conf")), 1, 1, "3m"));

    let (run, lists_before_ready, took) = std::thread::scope(|s| {
        let apply = s.spawn(|| apply(&wd, Duration::from_secs(240)));
        let polled = |n: usize| {
            cluster::wait_for(Duration::from_secs(120), Duration::from_millis(100), || {
                (server.provider_node_lists() >= n).then_some(())
            })
            .is_some()
        };
        // The worker is missing while the read polls; then it registers NotReady ...
        assert!(polled(2), "the provider did not list Nodes twice");
        server.create_node("w-1", false);
        server.set_ready("w-1", NOT_READY);
        let registered = server.provider_node_lists();
        assert!(polled(registered + 2), "the provider did not go on polling after the worker registered");
        // ... and at last turns Ready.
        let before = server.provider_node_lists();
        server.set_ready("w-1", READY);
        let (run, took) = apply.join().expect("the apply thread");
        (run, before, took)
    });
    assert_eq!(run.code, 0, "apply failed:\n{}", run.combined());
    assert!(lists_before_ready >= 4, "the read polled {lists_before_ready} times before the worker was Ready");
    assert!(server.provider_node_lists() > lists_before_ready, "the read did not see the Ready worker");
    eprintln!("waited {took:?}; {lists_before_ready} Node lists before the worker was Ready");

    let state = wd.state();
    let want = server.nodes();
    assert_eq!(want.len(), 2);
    assert_eq!(state.attr(ADDR, "nodes"), Json::Array(want.clone()), "nodes");
    assert_eq!(want[0]["roles"], json!(["control-plane"]));
    assert_eq!(want[1]["ready"], json!(true));
    assert_eq!(state.attr(ADDR, "api_server_version"), json!(server.version));
    assert_eq!(state.attr(ADDR, "healthy"), json!(true));
    assert_eq!(state.attr(ADDR, "id"), json!(server.url()));
    assert_eq!(state.attr(ADDR, "timeout"), json!("3m"));
    assert_eq!(state.output("nodes"), Json::Array(want));
}

#[test]
fn computed_values_match_the_server_on_every_terraform() {
    let server = ApiServer::start();
    for (name, cp) in [("cp-b", true), ("cp-a", true), ("w-2", false), ("w-1", false)] {
        server.create_node(name, cp);
        server.set_ready(name, READY);
    }
    server.kubectl(&["label", "node", "w-2", "node-role.kubernetes.io/ingress="], None);
    let want = server.nodes();
    let names: Vec<&str> = want.iter().filter_map(|n| n["name"].as_str()).collect();
    assert_eq!(names, ["cp-a", "cp-b", "w-1", "w-2"]);
    assert_eq!(want[3]["roles"], json!(["ingress"]));
    let want_nodes = want.clone();
    let version = server.version.clone();
    let url = server.url();
    let step = support::Step::config(health(&direct(&server, "ca.crt", "admin"), 2, 2, "1m")).check(move |s| {
        let checks = [
            ("nodes", Json::Array(want_nodes.clone())),
            ("api_server_version", json!(version)),
            ("healthy", json!(true)),
            ("id", json!(url)),
            ("poll_interval", json!("1s")),
        ];
        for (attr, want) in checks {
            let got = s.attr(ADDR, attr);
            if got != want {
                return Err(format!("{attr} is {got}, the server says {want}"));
            }
        }
        Ok(())
    });
    // Apply, then plan twice (each plan reads it again): nothing changes.
    support::run_case("cluster health of a healthy cluster", &[step]);
}

#[test]
fn times_out_within_its_timeout_naming_what_is_missing() {
    let server = ApiServer::start();
    server.create_node("cp-1", true);
    server.set_ready("cp-1", READY);
    server.create_node("w-1", false);
    server.set_ready("w-1", NOT_READY);
    for tf in terraforms() {
        let wd = fresh(&tf, &health(&direct(&server, "ca.crt", "admin"), 1, 1, "8s"));
        let lists = server.provider_node_lists();
        let (run, took) = apply(&wd, Duration::from_secs(120));
        let ctx = format!("Terraform {}", tf.version);
        assert_ne!(run.code, 0, "{ctx}: apply succeeded:\n{}", run.combined());
        assert!(took >= Duration::from_secs(8), "{ctx}: failed after {took:?}, before its timeout");
        // Terraform and the provider start in a few seconds; the wait itself ends at 8s.
        assert!(took < Duration::from_secs(30), "{ctx}: took {took:?}");
        assert!(server.provider_node_lists() - lists >= 5, "{ctx}: the read did not keep polling");
        let errs = errors(&run);
        let e = errs.iter().find(|e| e.contains("Cluster not healthy in time")).unwrap_or_else(|| {
            panic!("{ctx}: no timeout error:\n{}", run.combined());
        });
        for want in [
            &format!("with {ADDR},"),
            &format!("the cluster at {} was not as healthy as asked within 8s", server.url()),
            "Still missing: - Ready worker Nodes: 0 of 1 (not Ready: w-1 (KubeletNotReady))",
            "- cp-1 [roles: control-plane] Ready=True (KubeletReady: kubelet is posting ready status)",
            "- w-1 [roles: none] Ready=False (KubeletNotReady: container runtime network not ready: NetworkReady=false",
            &format!("kubelet {}", server.version),
            &format!("API server version: {}", server.version),
            "raise timeout",
        ] {
            assert!(e.contains(want), "{ctx}: the error lacks {want:?}:\n{e}");
        }
    }

    // Each poll logs what is missing: Terraform shows provider logs with
    // TF_LOG_PROVIDER (here Terraform starts the provider itself).
    let mut wd = WorkDir::new(&newest());
    support::install_mirror(&wd);
    wd.env.push(("TF_LOG_PROVIDER".to_string(), "info".to_string()));
    wd.write_config(&health(&direct(&server, "ca.crt", "admin"), 1, 1, "3s"));
    wd.ok_direct(&["init", "-input=false", "-no-color"]);
    let run = wd.run_direct(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(run.code, 0, "apply succeeded:\n{}", run.combined());
    let want = format!(
        "waiting for the cluster at {}: still missing Ready worker Nodes: 0 of 1 (not Ready: w-1 (KubeletNotReady))",
        server.url()
    );
    let polls = run.stderr.lines().filter(|l| l.contains(&want)).count();
    assert!(polls >= 3, "{polls} poll(s) logged {want:?}:\n{}", run.stderr);
}

#[test]
fn refused_credentials_fail_at_once_and_unreachable_servers_are_retried() {
    let server = ApiServer::start();
    server.create_node("cp-1", true);
    server.set_ready("cp-1", READY);
    let closed = free_port();
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            "client certificate of another CA",
            direct(&server, "ca.crt", "rogue-admin"),
            vec![
                "Error: Kubernetes API credentials refused".into(),
                format!("the API server at {} refused the credentials (401 Unauthorized)", server.url()),
            ],
        ),
        (
            "server certificate not from the given CA",
            direct(&server, "rogue-ca.crt", "admin"),
            vec!["Error: TLS handshake with the Kubernetes API failed".into(), "cluster_ca_certificate".into()],
        ),
        (
            "user without RBAC",
            kubeconfig_path(&server.file("nobody.conf")),
            vec![
                "Error: Kubernetes API access forbidden".into(),
                "does not allow list on nodes".into(),
                "User \"nobody\" cannot list resource \"nodes\"".into(),
                "The identity must be allowed to list nodes".into(),
                "at cluster scope".into(),
            ],
        ),
    ];
    for tf in terraforms() {
        for (name, connection, wants) in &cases {
            let ctx = format!("{name}, Terraform {}", tf.version);
            let wd = fresh(&tf, &health(connection, 1, 0, "5m"));
            let (run, took) = apply(&wd, Duration::from_secs(120));
            assert_ne!(run.code, 0, "{ctx}: apply succeeded:\n{}", run.combined());
            // Far below the 5m timeout: one poll, then the error.
            assert!(took < Duration::from_secs(30), "{ctx}: took {took:?}");
            let errs = errors(&run).join("\n");
            for want in wants {
                assert!(errs.contains(want.as_str()), "{ctx}: the errors lack {want:?}:\n{}", run.combined());
            }
            assert!(!errs.contains("BEGIN"), "{ctx}: PEM material in the error:\n{errs}");
        }

        // Refused connections are retried until the timeout, and named.
        let ctx = format!("closed port, Terraform {}", tf.version);
        let connection = format!(
            "  host                   = \"https://127.0.0.1:{closed}\"\n  cluster_ca_certificate = file(\"{}\")\n  token                  = \"not-used\"",
            server.file("ca.crt").display()
        );
        let wd = fresh(&tf, &health(&connection, 1, 0, "3s"));
        let (run, took) = apply(&wd, Duration::from_secs(120));
        assert_ne!(run.code, 0, "{ctx}: apply succeeded");
        assert!(took >= Duration::from_secs(3), "{ctx}: gave up after {took:?}, before its timeout");
        let errs = errors(&run).join("\n");
        for want in [
            "Error: Cluster not healthy in time",
            "Still missing: - an answer from the API server",
            "Nodes last seen: not listed yet",
            &format!("Last API error: cannot connect to the API server at https://127.0.0.1:{closed}"),
        ] {
            assert!(errs.contains(want), "{ctx}: the errors lack {want:?}:\n{}", run.combined());
        }
    }
}
