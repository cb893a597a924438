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
//! free ports, in one process group killed when the test ends
//! (`tests/support/apiserver.rs`). The certificates are made there: the
//! cluster CA and another cluster's by the provider's own CA code (as
//! `kubeadm_cluster_ca` makes them), and signed by openssl with them, the
//! API server's certificate, an admin client in `system:masters`, a client
//! with no RBAC binding, and an admin client of the other cluster.
//!
//! What stands in for a real cluster: there are no kubelets. Node objects
//! are created with `kubectl create` and their Ready condition set through
//! the status subresource (`kubectl patch --subresource=status`), as a
//! kubelet would report it; nothing else (no controller-manager) touches
//! them. The API server's audit log records the provider's Node lists (its
//! user agent), which shows when the read was polling. The same data source
//! runs against a cluster with real kubelets in `tests/kubernetes_e2e.rs`.

use crate::apiserver;
use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use apiserver::{cluster, free_port, ApiServer, ClientCert, Setup};
use serde_json::{json, Value as Json};
use support::{blocks, config, terraforms, Run, Terraform, WorkDir};

const ADDR: &str = "data.kubeadm_cluster_health.c";
/// The NotReady condition a kubelet reports before the network add-on runs.
const NOT_READY: (&str, &str, &str) = (
    "False",
    "KubeletNotReady",
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
);
const READY: (&str, &str, &str) = ("True", "KubeletReady", "kubelet is posting ready status");

// ---------------------------------------------------------------------------
// The API server

/// The server these tests use (see `support/apiserver.rs`): besides the
/// admin, a client with no RBAC binding and an admin client of the other
/// cluster's CA. Only Node lists are audited: they show when the provider
/// polled.
fn start_server() -> ApiServer {
    ApiServer::start(&Setup {
        clients: vec![
            ClientCert::new("nobody", "ca", "/CN=nobody"),
            ClientCert::new("rogue-admin", "rogue-ca", "/O=system:masters/CN=kubernetes-admin"),
        ],
        tokens: Vec::new(),
        audit_policy: "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [\"RequestReceived\"]\nrules:\n- level: Metadata\n  verbs: [\"list\"]\n  resources:\n  - group: \"\"\n    resources: [\"nodes\"]\n- level: None\n".to_string(),
    })
}

/// What these tests do with the server beyond starting it.
impl ApiServer {
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
    let server = start_server();
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
    let server = start_server();
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
    let server = start_server();
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
    let server = start_server();
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
