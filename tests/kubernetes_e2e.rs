//! Rendered nodes judged by real Kubernetes: Terraform applies a
//! `kubeadm_cluster_ca`, bootstrap tokens and `kubeadm_ignition_config`
//! nodes (Flatcar and Fedora CoreOS) on a local store served over http; the
//! real Ignition engine boots each node's `user_data` (pointer, store,
//! fetched kubeadm and kubelet with their SHA-512) into a scratch root; each
//! node's rendered bootstrap script then runs real kubeadm, which brings up
//! real etcd, kube-apiserver, kube-controller-manager and kube-scheduler,
//! and real kubelets that complete TLS bootstrap against containerd and turn
//! their Nodes Ready. Refusals (a worker rendered against another CA, an
//! expired token, a rotated-away token) fail with kubeadm's own errors.
//!
//! Day 2 on the same cluster: `kubeadm_kubeconfig` (managed and ephemeral)
//! lists the Nodes, while a client certificate of another CA and an expired
//! one are refused by the API server; `data "kubeadm_cluster_health"` waits
//! while workers join and returns once they are Ready, and fails within its
//! timeout naming what is missing; a second machine booted from the init
//! config joins the running cluster as an etcd member instead of founding a
//! second one; a worker in the stable `user_data` mode, whose `user_data`
//! was made before a token rotation, joins with the rotated-in token.
//!
//! What a test host cannot do that a machine does, and what stands in for it
//! (none of these edits a rendered file; kubeadm and Ignition see the
//! documents exactly as rendered):
//!
//! - **Own machine**: each node is a network namespace with its own address
//!   on a bridge (in a namespace of its own), plus a mount and UTS namespace
//!   with the node's hostname, in which the scratch root's `/etc/kubernetes`,
//!   `/etc/kubeadm`, `/etc/cni`, `/etc/containerd`, `/etc/systemd`,
//!   `/etc/sysctl.d`, `/var/lib/{kubelet,etcd,kubeadm,containerd}`,
//!   `/var/log`, `/opt`, `/run` and `/usr/local/bin` are bound over the host's.
//! - **Operator's machine**: this host gets a leg on the nodes' bridge
//!   (`10.240.0.250`), as an operator's machine reaches the API endpoint,
//!   so Terraform, the provider and kubectl here talk to the API servers.
//! - **No EC2 metadata**: the lab writes the environment file the OS's
//!   metadata agent would (`/run/metadata/flatcar`, `/run/metadata/afterburn`)
//!   and an `/etc/hosts` with the nodes' private DNS names; `/etc/resolv.conf`
//!   points at the node's loopback, where nothing answers, so lookups of
//!   registries fail at once.
//! - **No systemd**: the lab runs the units in the order systemd would
//!   (`kubeadm-artifacts.service`'s `ExecStart` lines, containerd, then
//!   `kubeadm-bootstrap.service`'s `ExecStart` with its `Environment`). A
//!   `systemctl` stand-in on PATH records calls and, for `start`/`restart
//!   kubelet`, runs the command line built from the rendered
//!   `kubelet.service` and its drop-ins (environment files included).
//! - **containerd**: Debian's containerd 1.6 runs in each node. Fedora CoreOS
//!   nodes use the rendered `/etc/containerd/config.toml`; Flatcar nodes a
//!   stand-in for the image's built-in config (CRI on, runc, CNI in
//!   `/opt/cni/bin` and `/etc/cni/net.d`), with runc's cgroupfs driver.
//! - **No systemd cgroups, one host**: the kubelet gets `--cgroup-driver=cgroupfs`
//!   and its own `--cgroup-root` (several kubelets share this host's cgroup v1
//!   tree).
//! - **No image pulls**: kubeadm is called through a wrapper that adds
//!   `--ignore-preflight-errors=ImagePull` (the preflight pull of the control
//!   plane's images, the only check this host fails), and the control-plane static pods run as plain processes from the manifests
//!   kubeadm wrote (command and args as written, with the host binary for
//!   the image), restarted when kubeadm rewrites a manifest. The kubelet
//!   still sees the manifests and publishes their mirror pods.
//! - **No kernel modules to load, no swap**: `modprobe` and `swapoff` are
//!   no-ops on PATH (the modules are built into this kernel; `swapoff -a`
//!   would act on the whole host). `sysctl` runs for real, in the node's
//!   network namespace.
//! - **CNI add-on**: a bridge CNI config, as a CNI add-on's DaemonSet would
//!   install it, so the runtime reports its network ready.
//! - **Refusal probes** run `kubeadm join` on the rendered config with
//!   `--ignore-preflight-errors=all` in a node without a runtime: they test
//!   discovery, which happens after preflight.
//!
//! Needs root and `scripts/install-kubernetes.sh`, `install-ignition.sh`
//! and `install-terraform.sh`; a missing piece fails the test.

#[path = "support/cluster.rs"]
mod cluster;
#[path = "support/ignition.rs"]
mod ignition_support;
#[path = "support/kubeadm.rs"]
mod kubeadm_support;
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use cluster::{
    exec_starts, remove_cgroups, service_launcher, setup_node, unit_environment, wait_for, FileServer, Group, Network,
    Node, NodeSetup, Programs, StaticPods,
};
use serde_json::Value as Json;
use support::{config, terraforms, Terraform, WorkDir};

const CLUSTER: &str = "e2e";
const DOMAIN: &str = "e2e.internal";
const INIT_ADDRESS: &str = "10.240.0.11";
const POD_SUBNET: &str = "10.244.0.0/16";

/// The machines of the test: (resource, short name, address, OS).
const MACHINES: [(&str, &str, &str, &str); 9] = [
    ("init", "cp0", "10.240.0.11", "flatcar"),
    ("cp", "cp1", "10.240.0.12", "fedora-coreos"),
    ("worker_a", "wa", "10.240.0.21", "flatcar"),
    ("worker_b", "wb", "10.240.0.22", "fedora-coreos"),
    ("rotated", "wr", "10.240.0.23", "flatcar"),
    ("other_ca", "px", "10.240.0.31", "flatcar"),
    ("expired", "pe", "10.240.0.32", "fedora-coreos"),
    ("rotated_old", "po", "10.240.0.33", "flatcar"),
    ("stable", "ws", "10.240.0.24", "flatcar"),
];

/// A second machine booted from the init config, replacing the first
/// control plane: it must join, not found a second cluster.
const INIT_REPLACEMENT: &str = "10.240.0.13";
/// Where this host sits on the nodes' network (Terraform runs here).
const HOST_ADDRESS: &str = "10.240.0.250";

fn private_dns(address: &str) -> String {
    format!("ip-{}.{DOMAIN}", address.replace('.', "-"))
}

fn node_block(resource: &str, role: &str, os: &str, token: &str, ca: &str, extra: &str, manifest: &str) -> String {
    let version = programs().version;
    format!(
        r#"
resource "kubeadm_ignition_config" "{resource}" {{
  role             = "{role}"
  name             = "{resource}"
  operating_system = "{os}"
  cluster_ca       = kubeadm_cluster_ca.{ca}
  bootstrap_token  = kubeadm_bootstrap_token.{token}
  cluster {{
    name                   = "{CLUSTER}"
    kubernetes_version     = "{version}"
    control_plane_endpoint = "{INIT_ADDRESS}:6443"
    pod_subnet             = "{POD_SUBNET}"
    certificate_validity   = "2160h"
  }}
  node {{
    name_from = "aws"
    {extra}
  }}
  kubernetes_artifacts {{
    source       = "manifest"
    manifest_url = "{manifest}"
  }}
}}
"#
    )
}

/// Day 2 on the same cluster: admin kubeconfigs (one signed by another CA,
/// one that expires within a minute) and the ephemeral kubeconfig, which a
/// `local-exec` provisioner hands to kubectl once the cluster is up
/// (`-var cluster_up=true`): provisioners are one of the places Terraform
/// lets an ephemeral value go.
fn day_two_config(kubectl: &Path) -> String {
    let version = programs().version;
    format!(
        r#"
variable "cluster_up" {{
  type    = bool
  default = false
}}

resource "kubeadm_kubeconfig" "admin" {{
  cluster_ca         = kubeadm_cluster_ca.cluster
  server             = "https://{INIT_ADDRESS}:6443"
  kubernetes_version = "{version}"
}}

resource "kubeadm_kubeconfig" "short" {{
  cluster_ca = kubeadm_cluster_ca.cluster
  server     = "https://{INIT_ADDRESS}:6443"
  validity   = "1m"
}}

resource "kubeadm_kubeconfig" "foreign" {{
  cluster_ca = kubeadm_cluster_ca.other
  server     = "https://{INIT_ADDRESS}:6443"
}}

ephemeral "kubeadm_kubeconfig" "admin" {{
  cluster_ca         = kubeadm_cluster_ca.cluster
  server             = "https://{INIT_ADDRESS}:6443"
  kubernetes_version = "{version}"
  validity           = "1h"
}}

resource "terraform_data" "ephemeral_nodes" {{
  count = var.cluster_up ? 1 : 0
  provisioner "local-exec" {{
    command     = "umask 077 && printf '%s' \"$KUBECONFIG_DATA\" >ephemeral.kubeconfig && sed -n 's/^ *client-certificate-data: *//p' ephemeral.kubeconfig >ephemeral-cert.b64 && {kubectl} --kubeconfig ephemeral.kubeconfig get nodes -o name >ephemeral-nodes.txt; rc=$?; rm -f ephemeral.kubeconfig; exit $rc"
    environment = {{ KUBECONFIG_DATA = ephemeral.kubeadm_kubeconfig.admin.kubeconfig }}
  }}
}}
"#,
        kubectl = kubectl.display()
    )
}

/// The health gate, in a working directory of its own so it can wait while
/// the main one is busy.
fn health_config(kubeconfig: &Path, workers: u32, timeout: &str) -> String {
    format!(
        r#"
data "kubeadm_cluster_health" "gate" {{
  kubeconfig_path = "{}"
  wait_for {{
    control_plane_nodes = 1
    worker_nodes        = {workers}
  }}
  timeout       = "{timeout}"
  poll_interval = "2s"
}}

output "nodes" {{ value = data.kubeadm_cluster_health.gate.nodes }}
output "api_server_version" {{ value = data.kubeadm_cluster_health.gate.api_server_version }}
output "healthy" {{ value = data.kubeadm_cluster_health.gate.healthy }}
"#,
        kubeconfig.display()
    )
}

/// Runs the host's kubectl with `kubeconfig` (over the host's leg on the
/// nodes' network).
fn host_kubectl(kubectl: &Path, kubeconfig: &Path, args: &[&str]) -> std::process::Output {
    Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--request-timeout", "20s"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Short discovery timeouts for the nodes that are meant to be refused.
const FAST_DISCOVERY: &str = r#"
  kubeadm_config_patches {
    join_configuration = yamlencode({ timeouts = { discovery = "20s" } })
  }
"#;

fn terraform_config(store: &Path, base_url: &str, manifest: &str, kubectl: &Path) -> String {
    let mut c = format!(
        r#"
provider "kubeadm" {{
  store {{
    local {{
      path     = "{}"
      base_url = "{base_url}"
    }}
  }}
}}

resource "kubeadm_cluster_ca" "cluster" {{
  cluster_name  = "{CLUSTER}"
  key_algorithm = "ECDSA-P256"
}}

resource "kubeadm_cluster_ca" "other" {{
  cluster_name  = "{CLUSTER}"
  key_algorithm = "ECDSA-P256"
}}

resource "kubeadm_bootstrap_token" "nodes" {{
  ttl         = "2h"
  description = "e2e nodes"
}}

resource "kubeadm_bootstrap_token" "short" {{
  ttl = "40s"
}}

resource "kubeadm_bootstrap_token" "rotating" {{
  ttl = "2h"
}}
"#,
        store.display()
    );
    let worker_extra = r#"labels = { "pool.e2e.example.com/name" = "a" }
    taints = [{ key = "dedicated.e2e.example.com", value = "infra", effect = "NoSchedule" }]"#;
    c.push_str(&node_block("init", "init", "flatcar", "nodes", "cluster", "", manifest));
    c.push_str(&node_block("cp", "control-plane", "fedora-coreos", "nodes", "cluster", "", manifest));
    c.push_str(&node_block("worker_a", "worker", "flatcar", "nodes", "cluster", worker_extra, manifest));
    c.push_str(&node_block("worker_b", "worker", "fedora-coreos", "nodes", "cluster", "", manifest));
    c.push_str(&node_block("rotated", "worker", "flatcar", "rotating", "cluster", "", manifest));
    c.push_str(
        &node_block("stable", "worker", "flatcar", "rotating", "cluster", "", manifest)
            .replace("  role ", "  user_data_mode   = \"stable\"\n  role "),
    );
    let refused = |resource: &str, os: &str, token: &str, ca: &str| {
        node_block(resource, "worker", os, token, ca, "", manifest)
            .replace("  kubernetes_artifacts {", &format!("{FAST_DISCOVERY}\n  kubernetes_artifacts {{"))
    };
    c.push_str(&refused("other_ca", "flatcar", "nodes", "other"));
    c.push_str(&refused("expired", "fedora-coreos", "short", "cluster"));
    c.push_str(&refused("rotated_old", "flatcar", "rotating", "cluster"));
    for (resource, ..) in MACHINES {
        c.push_str(&format!("output \"{resource}\" {{\n  value = kubeadm_ignition_config.{resource}.user_data\n}}\n"));
    }
    c.push_str(&day_two_config(kubectl));
    c.push_str(
        r#"
output "ca_cert_pem" { value = kubeadm_cluster_ca.cluster.ca_cert_pem }
output "ca_cert_hash" { value = kubeadm_cluster_ca.cluster.ca_cert_hash }
output "token_id" { value = kubeadm_bootstrap_token.nodes.token_id }
output "token_expires_at" { value = kubeadm_bootstrap_token.nodes.expires_at }
output "token_usages" { value = kubeadm_bootstrap_token.nodes.usages }
output "token_groups" { value = kubeadm_bootstrap_token.nodes.groups }
output "short_secret" {
  value     = kubeadm_bootstrap_token.short.secret_manifest
  sensitive = true
}
output "short_expires_at" { value = kubeadm_bootstrap_token.short.expires_at }
output "short_id" { value = kubeadm_bootstrap_token.short.token_id }
output "rotating_id" { value = kubeadm_bootstrap_token.rotating.token_id }
output "admin_kubeconfig" {
  value     = kubeadm_kubeconfig.admin.kubeconfig
  sensitive = true
}
output "short_kubeconfig" {
  value     = kubeadm_kubeconfig.short.kubeconfig
  sensitive = true
}
output "short_kubeconfig_expires_at" { value = kubeadm_kubeconfig.short.expires_at }
output "foreign_client_certificate" { value = kubeadm_kubeconfig.foreign.client_certificate }
output "foreign_client_key" {
  value     = kubeadm_kubeconfig.foreign.client_key
  sensitive = true
}
output "stable_object" { value = kubeadm_ignition_config.stable.object_url }
output "rotating_secret" {
  value     = kubeadm_bootstrap_token.rotating.secret_manifest
  sensitive = true
}
"#,
    );
    c
}

fn programs() -> Programs {
    Programs::from_env(&kubeadm_support::versions_env())
}

/// The newest Terraform the tests have.
fn newest_terraform() -> Terraform {
    terraforms().into_iter().last().expect("a Terraform")
}

fn sha512_file(path: &Path) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha512::new();
    let mut f = fs::File::open(path).unwrap();
    std::io::copy(&mut f, &mut h).unwrap();
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The artifacts a mirror of the release would hold: kubeadm and kubelet,
/// and the CNI plugins as a `.tgz`, with a version manifest.
fn write_artifacts(dir: &Path, p: &Programs) {
    let vdir = dir.join("artifacts").join(&p.version);
    fs::create_dir_all(&vdir).unwrap();
    for name in ["kubeadm", "kubelet"] {
        let dst = vdir.join(name);
        if fs::hard_link(p.bin.join(name), &dst).is_err() {
            fs::copy(p.bin.join(name), &dst).unwrap();
        }
    }
    let tgz = vdir.join("cni-plugins.tgz");
    let out = Command::new("tar")
        .arg("-czf")
        .arg(&tgz)
        .arg("-C")
        .arg(&p.cni_bin)
        .args(["bridge", "host-local", "loopback", "portmap"])
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {}", String::from_utf8_lossy(&out.stderr));
    let manifest = serde_json::json!({
        "kubernetesVersion": p.version,
        "files": [
            { "name": "kubeadm", "url": "kubeadm", "sha512": sha512_file(&vdir.join("kubeadm")) },
            { "name": "kubelet", "url": "kubelet", "sha512": sha512_file(&vdir.join("kubelet")) },
            { "name": "cni-plugins", "url": "cni-plugins.tgz", "sha512": sha512_file(&tgz),
              "archive": true, "extractTo": "/opt/cni/bin" },
        ],
    });
    fs::write(vdir.join("manifest.json"), serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

/// A lab: processes, network, file server, work directory.
struct Lab {
    group: Arc<Group>,
    net: Network,
    dir: tempfile::TempDir,
    programs: Programs,
    hosts: String,
    nodes: Vec<Node>,
    pods: Vec<StaticPods>,
    engine_runs: Vec<ignition_support::EngineRun>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.pods.clear();
        // Processes first (the group), then namespaces, then cgroups.
        let group = std::mem::replace(&mut self.group, Arc::new(Group::new()));
        drop(group);
        for n in &self.nodes {
            remove_cgroups(&n.cgroup_root);
        }
        if std::thread::panicking() {
            // Keep each node's lab files (logs, generated launchers) for a
            // look after the run, and print the tails that help most.
            let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/kubernetes-e2e");
            let _ = fs::remove_dir_all(&keep);
            for n in &self.nodes {
                let to = keep.join(n.lab.file_name().unwrap());
                let _ = fs::create_dir_all(&to);
                if let Ok(entries) = fs::read_dir(&n.lab) {
                    for e in entries.flatten() {
                        let name = e.file_name();
                        if e.path().is_file() && name != "kubeadm.real" {
                            let _ = fs::copy(e.path(), to.join(&name));
                        }
                    }
                }
            }
            eprintln!("node logs kept in {}", keep.display());
            for n in &self.nodes {
                for log in [
                    "bootstrap.log",
                    "kubelet.log",
                    "containerd.log",
                    "kube-apiserver.log",
                    "etcd.log",
                    "kube-controller-manager.log",
                    "systemctl.log",
                ] {
                    let tail = n.log_tail(log, 25);
                    if !tail.is_empty() {
                        eprintln!("----- {} {log} -----\n{tail}", n.name);
                    }
                }
            }
        }
    }
}

impl Lab {
    /// Boots `user_data` with the real Ignition engine into a fresh root and
    /// sets up the node around it.
    fn boot(&mut self, short: &str, address: &str, user_data: &str) -> usize {
        let run = ignition_support::run_engine(user_data, &ignition_support::ALL_STAGES);
        assert!(run.ok, "{short}: Ignition failed:\n{}", run.log_tail());
        let root = run.root();
        let name = private_dns(address);
        let node = setup_node(
            &self.group,
            &self.net,
            self.dir.path(),
            &NodeSetup { name: &name, short, address, root: &root, hosts: &self.hosts },
        );
        self.engine_runs.push(run);
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// What happens at boot before the bootstrap unit: metadata, archives,
    /// containerd, the CNI config and the kubeadm wrapper.
    fn prepare(&self, i: usize, os: &str, with_runtime: bool) {
        let node = &self.nodes[i];
        let instance = format!("i-0e2e{:0>12}", node.address.rsplit('.').next().unwrap());
        let (file, prefix) = match os {
            "flatcar" => ("/run/metadata/flatcar", "COREOS_EC2"),
            _ => ("/run/metadata/afterburn", "AFTERBURN_AWS"),
        };
        node.sh_ok(
            &self.group,
            &format!(
                "mkdir -p /run/metadata && printf '%s\\n' {prefix}_HOSTNAME={name} {prefix}_INSTANCE_ID={instance} \
                 {prefix}_AVAILABILITY_ZONE=eu-west-1a {prefix}_IPV4_LOCAL={addr} >{file}",
                name = node.name,
                addr = node.address
            ),
        );
        // kubeadm-artifacts.service, as systemd would run it.
        for line in exec_starts(&node.root, "kubeadm-artifacts.service") {
            node.sh_ok(&self.group, &line);
        }
        // The kubeadm wrapper (host adaptations), bound over the fetched binary.
        let bin = if os == "flatcar" { "/opt/bin" } else { "/usr/local/bin" };
        let real = node.lab.join("kubeadm.real");
        fs::hard_link(node.root.join(bin.trim_start_matches('/')).join("kubeadm"), &real).unwrap();
        let ignore = if with_runtime { "ImagePull" } else { "all" };
        let wrapper = format!(
            "#!/bin/bash\n# kubeadm with the preflight checks this host fails ignored.\n\
             case \"${{1:-}}\" in\n  init|join) exec /mnt/kubeadm.real \"$@\" --ignore-preflight-errors={ignore} ;;\n\
             \x20 *) exec /mnt/kubeadm.real \"$@\" ;;\nesac\n"
        );
        fs::write(node.lab.join("kubeadm-wrapper"), wrapper).unwrap();
        fs::set_permissions(node.lab.join("kubeadm-wrapper"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        node.sh_ok(&self.group, &format!("mount --bind /mnt/kubeadm-wrapper {bin}/kubeadm"));
        if !with_runtime {
            return;
        }
        // The kubelet's own cgroup root in every hierarchy (it must exist).
        for h in fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
            if h.path().join("cgroup.procs").exists() {
                fs::create_dir_all(h.path().join(node.cgroup_root.trim_start_matches('/'))).unwrap();
            }
        }
        // The kubelet as kubelet.service would start it.
        let launcher = service_launcher(
            &node.root,
            "kubelet.service",
            &["--cgroup-driver=cgroupfs".to_string(), format!("--cgroup-root={}", node.cgroup_root)],
        );
        fs::write(node.lab.join("kubelet-launch"), launcher).unwrap();
        fs::set_permissions(node.lab.join("kubelet-launch"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        // The CNI add-on's config.
        fs::create_dir_all(node.root.join("etc/cni/net.d")).unwrap();
        fs::write(
            node.root.join("etc/cni/net.d/10-bridge.conflist"),
            serde_json::to_vec_pretty(&serde_json::json!({
                "cniVersion": "0.4.0",
                "name": "e2e",
                "plugins": [
                    { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
                      "ipam": { "type": "host-local", "ranges": [[{ "subnet": format!("10.244.{}.0/24", node.address.rsplit('.').next().unwrap()) }]],
                                "routes": [{ "dst": "0.0.0.0/0" }] } },
                    { "type": "portmap", "capabilities": { "portMappings": true } }
                ]
            }))
            .unwrap(),
        )
        .unwrap();
        // containerd.
        let config = if os == "flatcar" {
            fs::write(node.lab.join("containerd.toml"), FLATCAR_CONTAINERD).unwrap();
            "/mnt/containerd.toml".to_string()
        } else {
            assert!(node.root.join("etc/containerd/config.toml").is_file(), "Fedora CoreOS config writes containerd's");
            "/etc/containerd/config.toml".to_string()
        };
        node.spawn(&self.group, "containerd", &["--config", &config], "containerd.log");
        let ok = wait_for(Duration::from_secs(30), Duration::from_millis(200), || {
            node.root.join("run/containerd/containerd.sock").exists().then_some(())
        });
        assert!(ok.is_some(), "{}: containerd did not start:\n{}", node.name, node.log_tail("containerd.log", 30));
    }

    /// Runs the node's bootstrap unit (`kubeadm-bootstrap.service`) in the
    /// background; returns when it was started.
    fn start_bootstrap(&self, i: usize) -> u32 {
        let node = &self.nodes[i];
        let env = unit_environment(&node.root, "kubeadm-bootstrap.service");
        let exec = exec_starts(&node.root, "kubeadm-bootstrap.service");
        assert_eq!(exec.len(), 1, "{exec:?}");
        let mut args: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        args.push("bash".into());
        args.push("-c".into());
        args.push(exec[0].clone());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        node.spawn(&self.group, "env", &refs, "bootstrap.log")
    }

    /// Waits for the bootstrap script to finish (its done marker), failing
    /// with its log when it fails or takes too long.
    fn wait_bootstrapped(&self, i: usize, limit: Duration) {
        let node = &self.nodes[i];
        let done = node.root.join("var/lib/kubeadm/bootstrap.done");
        let ok = wait_for(limit, Duration::from_millis(500), || done.exists().then_some(()));
        assert!(
            ok.is_some(),
            "{}: the bootstrap script did not finish within {limit:?}:\n{}",
            node.name,
            node.log_tail("bootstrap.log", 60)
        );
    }

    /// Waits until the bootstrap signer has taken the token's signature off
    /// `cluster-info` (an expired or deleted token).
    fn wait_unsigned(&self, token_id: &str) {
        let key = format!("jws-kubeconfig-{token_id}");
        let gone = wait_for(Duration::from_secs(120), Duration::from_secs(1), || {
            let cm = self.kubectl_json("-n kube-public get configmap cluster-info");
            cm["data"].get(&key).is_none().then_some(())
        });
        assert!(gone.is_some(), "cluster-info still carries a signature for token {token_id}");
    }

    fn kubectl(&self, args: &str) -> String {
        let cp = &self.nodes[0];
        let kubectl = self.programs.bin.join("kubectl");
        cp.sh_ok(&self.group, &format!("{} --kubeconfig /etc/kubernetes/admin.conf {args}", kubectl.display()))
    }

    fn kubectl_json(&self, args: &str) -> Json {
        serde_json::from_str(&self.kubectl(&format!("{args} -o json"))).unwrap()
    }

    fn node_json(&self, name: &str) -> Option<Json> {
        let cp = &self.nodes[0];
        let kubectl = self.programs.bin.join("kubectl");
        let out = cp.sh(
            &self.group,
            &format!("{} --kubeconfig /etc/kubernetes/admin.conf get node {name} -o json", kubectl.display()),
        );
        out.status.success().then(|| serde_json::from_slice(&out.stdout).unwrap())
    }
}

fn is_ready(node: &Json) -> bool {
    node["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

/// Stand-in for Flatcar's built-in containerd config
/// (`/usr/share/containerd/config.toml`: CRI on, runc), with cgroupfs.
const FLATCAR_CONTAINERD: &str = r#"version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
[grpc]
  address = "/run/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
"#;

/// The serving certificate at `address:6443`, seen from `node`, verified
/// against `ca_pem` by openssl.
fn verify_serving_cert(lab: &Lab, node: &Node, address: &str, ca_pem: &str) {
    let ca = lab.dir.path().join("ca.pem");
    fs::write(&ca, ca_pem).unwrap();
    let out = node.sh_ok(
        &lab.group,
        &format!(
            "openssl s_client -connect {address}:6443 -servername {address} </dev/null 2>/dev/null \
             | openssl x509 >/mnt/serving-{address}.pem && openssl verify -CAfile {} /mnt/serving-{address}.pem",
            ca.display()
        ),
    );
    assert!(out.contains(": OK"), "{address}: {out}");
}

fn spki_hash_of(pem: &str, lab: &Lab) -> String {
    let f = lab.dir.path().join("cluster-info-ca.pem");
    fs::write(&f, pem).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("openssl x509 -in {} -pubkey -noout | openssl pkey -pubin -outform der | sha256sum", f.display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    format!("sha256:{}", String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap())
}

/// The subject of a CertificateSigningRequest's PEM request, as openssl
/// prints it.
fn b64_pem_subject(csr: &Json) -> String {
    let pem = b64(&csr["spec"]["request"]);
    let mut child = Command::new("openssl")
        .args(["req", "-noout", "-subject"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), pem.as_bytes()).unwrap();
    String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned()
}

fn b64(s: &Json) -> String {
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s.as_str().unwrap()).unwrap()).unwrap()
}

/// Runs a refusal probe: `kubeadm join` on the node's rendered config, and
/// returns its output (it must fail).
fn probe_join(lab: &Lab, i: usize) -> String {
    let node = &lab.nodes[i];
    let yaml = fs::read_to_string(node.root.join("etc/kubeadm/config.yaml")).unwrap();
    fs::write(
        node.lab.join("join.yaml"),
        kubeadm_support::as_booted(&yaml).replace(kubeadm_support::BOOT_NODE_NAME, &node.name),
    )
    .unwrap();
    let out = node.sh(
        &lab.group,
        "timeout 90 /mnt/kubeadm.real join --config /mnt/join.yaml --ignore-preflight-errors=all --v=5 2>&1",
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{}: kubeadm join was expected to fail:\n{text}", node.name);
    text
}

/// What kubeadm's token discovery says (and, while it retries, logs at
/// `--v=5`) when `cluster-info` carries no signature for the token.
fn no_signature(token_id: &str) -> String {
    format!("could not find a JWS signature in the cluster-info ConfigMap for token ID \"{token_id}\"")
}

/// What the init config's bootstrap script logs when it finds the cluster
/// running and joins it.
const INIT_JOINS: &str = "kubeadm-bootstrap: the cluster already runs: joining it as a control plane (kubeadm join)";

/// etcd's member list, asked of node `i`'s etcd.
fn etcd_member_list(lab: &Lab, i: usize) -> Json {
    let members = lab.nodes[i].sh_ok(
        &lab.group,
        "curl -sf --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/apiserver-etcd-client.crt \
         --key /etc/kubernetes/pki/apiserver-etcd-client.key -X POST -d '{}' https://127.0.0.1:2379/v3/cluster/member/list",
    );
    serde_json::from_str(&members).unwrap()
}

/// The names of the etcd members, asked of node `i`'s etcd.
fn etcd_members(lab: &Lab, i: usize) -> Vec<String> {
    let members = etcd_member_list(lab, i);
    members["members"].as_array().unwrap().iter().filter_map(|m| m["name"].as_str().map(str::to_string)).collect()
}

/// The etcd cluster ID node `i`'s etcd belongs to.
fn etcd_cluster_id(lab: &Lab, i: usize) -> String {
    etcd_member_list(lab, i)["header"]["cluster_id"].as_str().unwrap().to_string()
}

/// The API server certificate kubeadm signed on node `i` lives as long as
/// `certificate_validity` says (within the hour), not kubeadm's default year.
fn assert_leaf_lifetime(lab: &Lab, i: usize, validity: Duration) {
    let node = &lab.nodes[i];
    let pem = fs::read_to_string(node.root.join("etc/kubernetes/pki/apiserver.crt")).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = pem.parse_x509().unwrap();
    let not_after = cert.validity().not_after.timestamp();
    let left = not_after - time::OffsetDateTime::now_utc().unix_timestamp();
    let want = validity.as_secs() as i64;
    assert!(
        (want - 3600..=want + 3600).contains(&left),
        "{}: apiserver.crt expires in {left} s, want {want} s",
        node.name
    );
}

/// A copy of `kubeconfig` (in the same directory) with another client
/// certificate and key.
fn with_client(kubeconfig: &Path, cert_pem: &str, key_pem: &str) -> std::path::PathBuf {
    let mut doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&fs::read_to_string(kubeconfig).unwrap()).unwrap();
    let enc = |s: &str| serde_yaml_ng::Value::from(base64::engine::general_purpose::STANDARD.encode(s));
    let user = &mut doc["users"][0]["user"];
    user["client-certificate-data"] = enc(cert_pem);
    user["client-key-data"] = enc(key_pem);
    let path = kubeconfig.with_file_name("foreign.kubeconfig");
    fs::write(&path, serde_yaml_ng::to_string(&doc).unwrap()).unwrap();
    path
}

fn output(state: &Json, name: &str) -> Json {
    state["values"]["outputs"][name]["value"].clone()
}

fn outputs(wd: &WorkDir) -> Json {
    let r = wd.ok(&["show", "-json", "-no-color"]);
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn a_cluster_comes_up_from_rendered_nodes() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&uid.stdout).trim(), "0", "the cluster test must run as root");
    let started = Instant::now();
    let programs = programs();
    let dir = tempfile::tempdir().unwrap();
    let serve_dir = dir.path().join("www");
    let store = serve_dir.join("store");
    fs::create_dir_all(&store).unwrap();
    write_artifacts(&serve_dir, &programs);
    let server = FileServer::start(&serve_dir);
    let manifest = server.url(&format!("artifacts/{}/manifest.json", programs.version));

    // 1. Terraform applies the CA, the tokens and the nodes.
    let tf = newest_terraform();
    let wd = WorkDir::new(&tf);
    let kubectl = programs.bin.join("kubectl");
    wd.write_config(&config(&terraform_config(&store, &server.url("store"), &manifest, &kubectl)));
    wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let state = outputs(&wd);
    let user_data = |r: &str| output(&state, r).as_str().unwrap().to_string();
    eprintln!("e2e-timing: terraform apply done at {:.1}s", started.elapsed().as_secs_f64());

    let hosts = {
        let mut h = String::from("127.0.0.1 localhost\n");
        for address in MACHINES.iter().map(|m| m.2).chain([INIT_REPLACEMENT]) {
            h.push_str(&format!("{address} {}\n", private_dns(address)));
        }
        h
    };
    let mut lab = Lab {
        group: Arc::new(Group::new()),
        net: Network::new(),
        dir,
        programs: programs.clone(),
        hosts,
        nodes: Vec::new(),
        pods: Vec::new(),
        engine_runs: Vec::new(),
    };
    lab.net.attach_host(HOST_ADDRESS);

    // 2-3. The first control plane: kubeadm init.
    let init = lab.boot("cp0", "10.240.0.11", &user_data("init"));
    lab.prepare(init, "flatcar", true);
    let pods = StaticPods::start(lab.group.clone(), &lab.nodes[init], &programs);
    lab.pods.push(pods);
    let t0 = Instant::now();
    lab.start_bootstrap(init);
    lab.wait_bootstrapped(init, Duration::from_secs(600));
    eprintln!("e2e-timing: kubeadm init {:.1}s", t0.elapsed().as_secs_f64());
    let bootstrap_log = lab.nodes[init].log("bootstrap.log");
    assert!(bootstrap_log.contains("node bootstrapped"), "{bootstrap_log}");
    assert!(
        bootstrap_log.contains(&format!(
            "kubeadm-bootstrap: no cluster with this CA answers at {INIT_ADDRESS}:6443: founding it (kubeadm init)"
        )),
        "the first boot founds the cluster: {bootstrap_log}"
    );
    assert_leaf_lifetime(&lab, init, Duration::from_secs(2160 * 3600));

    let ca_pem = output(&state, "ca_cert_pem").as_str().unwrap().to_string();
    verify_serving_cert(&lab, &lab.nodes[init], "10.240.0.11", &ca_pem);

    // cluster-info carries the CA that ca_cert_hash pins, signed for the token.
    let token_id = output(&state, "token_id").as_str().unwrap().to_string();
    // The controller manager's bootstrap signer adds the token's signature
    // shortly after init.
    let jws = format!("jws-kubeconfig-{token_id}");
    let info = wait_for(Duration::from_secs(90), Duration::from_secs(1), || {
        let cm = lab.kubectl_json("-n kube-public get configmap cluster-info");
        cm["data"][&jws].is_string().then_some(cm)
    })
    .unwrap_or_else(|| panic!("cluster-info never got a signature for the token"));
    let kubeconfig: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(info["data"]["kubeconfig"].as_str().unwrap()).unwrap();
    let ca_data = kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"].as_str().unwrap();
    let published = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(ca_data).unwrap()).unwrap();
    assert_eq!(spki_hash_of(&published, &lab), output(&state, "ca_cert_hash").as_str().unwrap());

    // The token from kubeadm_bootstrap_token, with its expiry, usages and groups.
    let secret = lab.kubectl_json(&format!("-n kube-system get secret bootstrap-token-{token_id}"));
    let expires_at = output(&state, "token_expires_at").as_str().unwrap().to_string();
    let in_cluster = b64(&secret["data"]["expiration"]);
    let parse = |s: &str| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
    let drift = (parse(&in_cluster) - parse(&expires_at)).whole_seconds();
    assert!(
        (0..=600).contains(&drift),
        "the seeded token expires at {in_cluster}, Terraform says {expires_at} (kubeadm counts the ttl from when it \
         creates the token, after the control plane is up)"
    );
    assert_eq!(b64(&secret["data"]["usage-bootstrap-authentication"]), "true");
    assert_eq!(b64(&secret["data"]["usage-bootstrap-signing"]), "true");
    let groups: Vec<String> =
        output(&state, "token_groups").as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_string()).collect();
    assert_eq!(b64(&secret["data"]["auth-extra-groups"]), groups.join(","));
    assert_eq!(b64(&secret["data"]["description"]), "e2e nodes");

    // Extra tokens a user adds with their secret manifests: one short-lived,
    // one that will be rotated.
    for out in ["short_secret", "rotating_secret"] {
        let manifest = lab.dir.path().join(format!("{out}.yaml"));
        fs::write(&manifest, output(&state, out).as_str().unwrap()).unwrap();
        lab.kubectl(&format!("apply -f {}", manifest.display()));
    }

    // Day 2: the admin kubeconfig lists the Nodes from this host; one whose
    // client certificate another CA signed is refused by the API server.
    let admin = lab.dir.path().join("admin.kubeconfig");
    fs::write(&admin, output(&state, "admin_kubeconfig").as_str().unwrap()).unwrap();
    let listed = host_kubectl(&kubectl, &admin, &["get", "nodes", "-o", "name"]);
    assert!(listed.status.success(), "the admin kubeconfig: {}", String::from_utf8_lossy(&listed.stderr));
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(&format!("node/{}", private_dns(INIT_ADDRESS))),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );
    let who = host_kubectl(&kubectl, &admin, &["auth", "whoami", "-o", "json"]);
    let who: Json = serde_json::from_slice(&who.stdout).unwrap_or_default();
    assert_eq!(who["status"]["userInfo"]["username"], "kubernetes-admin", "{who}");
    assert!(
        who["status"]["userInfo"]["groups"].as_array().is_some_and(|g| g.iter().any(|g| g == "kubeadm:cluster-admins")),
        "kubeadm's admin group for 1.29 and later: {who}"
    );
    let foreign = with_client(
        &admin,
        output(&state, "foreign_client_certificate").as_str().unwrap(),
        output(&state, "foreign_client_key").as_str().unwrap(),
    );
    let refused = host_kubectl(&kubectl, &foreign, &["get", "nodes"]);
    assert!(
        !refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("Unauthorized"),
        "a client certificate of another CA: {}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // The ephemeral kubeconfig reaches kubectl through a provisioner and
    // never the state.
    wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color", "-var", "cluster_up=true"]);
    let listed = fs::read_to_string(wd.path().join("ephemeral-nodes.txt")).unwrap_or_default();
    assert!(listed.contains(&format!("node/{}", private_dns(INIT_ADDRESS))), "the ephemeral kubeconfig: {listed:?}");
    assert!(!wd.path().join("ephemeral.kubeconfig").exists());
    // Its certificate (public, so the provisioner may keep it) is nowhere
    // in the state, in either of the forms a kubeconfig or a PEM holds it.
    let cert_b64 = fs::read_to_string(wd.path().join("ephemeral-cert.b64")).unwrap().trim().to_string();
    let cert_pem = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&cert_b64).unwrap()).unwrap();
    let pem_line = cert_pem.lines().nth(3).unwrap().to_string();
    assert!(cert_b64.len() > 100 && pem_line.len() == 64, "{cert_pem}");
    let tfstate = fs::read_to_string(wd.path().join("terraform.tfstate")).unwrap();
    assert!(tfstate.contains("client-certificate-data"), "the managed kubeconfigs are in the state");
    assert!(!tfstate.contains(&cert_b64) && !tfstate.contains(&pem_line), "the ephemeral certificate is in the state");

    // The first control plane's replacement boots the same init config while
    // the cluster runs: it joins as a second etcd member, and the cluster
    // keeps its CA and its data.
    lab.kubectl("-n default create configmap e2e-before-replacement --from-literal=kept=yes");
    let cr = lab.boot("cp0r", INIT_REPLACEMENT, &user_data("init"));
    lab.prepare(cr, "flatcar", true);
    let pods = StaticPods::start(lab.group.clone(), &lab.nodes[cr], &programs);
    lab.pods.push(pods);
    let t = Instant::now();
    lab.start_bootstrap(cr);
    lab.wait_bootstrapped(cr, Duration::from_secs(600));
    eprintln!("e2e-timing: init config on a second machine (join) {:.1}s", t.elapsed().as_secs_f64());
    let log = lab.nodes[cr].log("bootstrap.log");
    assert!(log.contains(INIT_JOINS), "the replacement's boot log: {log}");
    assert!(log.contains("kubeadm join, try 1 of") && !log.contains("kubeadm init, try"), "{log}");
    assert_eq!(etcd_members(&lab, cr).len(), 2);
    assert_eq!(etcd_cluster_id(&lab, cr), etcd_cluster_id(&lab, init), "the replacement founded an etcd cluster");
    assert_leaf_lifetime(&lab, cr, Duration::from_secs(2160 * 3600));
    verify_serving_cert(&lab, &lab.nodes[init], INIT_REPLACEMENT, &ca_pem);
    let via_replacement = lab.dir.path().join("replacement.kubeconfig");
    fs::write(
        &via_replacement,
        fs::read_to_string(&admin)
            .unwrap()
            .replace(&format!("https://{INIT_ADDRESS}:6443"), &format!("https://{INIT_REPLACEMENT}:6443")),
    )
    .unwrap();
    let kept = host_kubectl(
        &kubectl,
        &via_replacement,
        &["-n", "default", "get", "configmap", "e2e-before-replacement", "-o", "json"],
    );
    let kept: Json = serde_json::from_slice(&kept.stdout).unwrap_or_default();
    assert_eq!(kept["data"]["kept"], "yes", "the data written before the replacement, read through its API server");

    // 4. Workers join, TLS-bootstrap their kubelets and turn Ready, while
    // the health gate waits for them.
    let gate = WorkDir::new(&tf);
    gate.write_config(&config(&health_config(&admin, 2, "6m")));
    let gate_started = Instant::now();
    let gate = std::thread::spawn(move || {
        let r = gate.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        (r, gate_started.elapsed(), gate)
    });
    let mut workers_ready = Duration::ZERO;
    for (resource, short, address, os) in
        [("worker_a", "wa", "10.240.0.21", "flatcar"), ("worker_b", "wb", "10.240.0.22", "fedora-coreos")]
    {
        let i = lab.boot(short, address, &user_data(resource));
        lab.prepare(i, os, true);
        let t = Instant::now();
        lab.start_bootstrap(i);
        let name = lab.nodes[i].name.clone();
        let registered = wait_for(Duration::from_secs(300), Duration::from_millis(500), || lab.node_json(&name));
        assert!(registered.is_some(), "{name} never registered:\n{}", lab.nodes[i].log_tail("bootstrap.log", 40));
        eprintln!("e2e-timing: worker {os} join to Node registered {:.1}s", t.elapsed().as_secs_f64());
        let ready =
            wait_for(Duration::from_secs(300), Duration::from_secs(1), || lab.node_json(&name).filter(is_ready));
        let node = ready.unwrap_or_else(|| {
            panic!("{name} never turned Ready: {:#}", lab.node_json(&name).unwrap_or_default()["status"]["conditions"])
        });
        eprintln!("e2e-timing: worker {os} join to Node Ready {:.1}s", t.elapsed().as_secs_f64());
        workers_ready = gate_started.elapsed();
        lab.wait_bootstrapped(i, Duration::from_secs(120));
        if resource == "worker_a" {
            assert_eq!(node["metadata"]["labels"]["pool.e2e.example.com/name"], "a", "{node}");
            let taints = node["spec"]["taints"].as_array().cloned().unwrap_or_default();
            assert!(
                taints.iter().any(|t| t["key"] == "dedicated.e2e.example.com"
                    && t["value"] == "infra"
                    && t["effect"] == "NoSchedule"),
                "{taints:?}"
            );
        }
        assert!(
            node["spec"]["providerID"].as_str().is_some_and(|p| p.starts_with("aws:///eu-west-1a/i-0e2e")),
            "{}",
            node["spec"]
        );
    }

    let (r, gate_took, gate) = gate.join().unwrap();
    assert_eq!(r.code, 0, "the health gate: {}", r.combined());
    let gate_out = outputs(&gate);
    assert_eq!(output(&gate_out, "healthy"), true);
    let seen = output(&gate_out, "nodes");
    let ready_workers = seen
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["ready"] == true && !n["roles"].as_array().unwrap().iter().any(|r| r == "control-plane"))
        .count();
    assert!(ready_workers >= 2, "{seen}");
    assert!(
        gate_took + Duration::from_secs(3) >= workers_ready,
        "the gate returned after {gate_took:?}, before the second worker was Ready ({workers_ready:?})"
    );
    assert_eq!(output(&gate_out, "api_server_version"), programs.version.as_str());
    eprintln!("e2e-timing: health gate waited {:.1}s", gate_took.as_secs_f64());

    // A gate that asks for more than the cluster has fails within its
    // timeout, naming what is missing.
    gate.write_config(&config(&health_config(&admin, 9, "15s")));
    let t = Instant::now();
    let r = gate.run(&["plan", "-input=false", "-no-color"]);
    let took = t.elapsed();
    assert_ne!(r.code, 0, "{}", r.combined());
    let text = r.combined();
    assert!(text.contains("worker") && text.contains('9'), "the timeout names what is missing: {text}");
    assert!(took < Duration::from_secs(75), "the 15 s gate took {took:?}");

    // Each worker's kubelet asked for its client certificate with the token,
    // and the controller manager approved and signed it.
    let csrs = lab.kubectl_json("get csr");
    for address in ["10.240.0.21", "10.240.0.22"] {
        let node = format!("system:node:{}", private_dns(address));
        let csr = csrs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["spec"]["username"] == format!("system:bootstrap:{token_id}") && b64_pem_subject(c).contains(&node)
            })
            .unwrap_or_else(|| panic!("no CSR of {node} made with the bootstrap token: {csrs}"));
        let conditions = csr["status"]["conditions"].as_array().cloned().unwrap_or_default();
        assert!(conditions.iter().any(|c| c["type"] == "Approved" && c["status"] == "True"), "{csr}");
        assert!(csr["status"]["certificate"].is_string(), "the CSR of {node} was not signed: {csr}");
    }

    // 5. A second control plane joins on the shared CA.
    let cp = lab.boot("cp1", "10.240.0.12", &user_data("cp"));
    lab.prepare(cp, "fedora-coreos", true);
    let pods = StaticPods::start(lab.group.clone(), &lab.nodes[cp], &programs);
    lab.pods.push(pods);
    let t = Instant::now();
    lab.start_bootstrap(cp);
    lab.wait_bootstrapped(cp, Duration::from_secs(600));
    eprintln!("e2e-timing: kubeadm join --control-plane {:.1}s", t.elapsed().as_secs_f64());
    verify_serving_cert(&lab, &lab.nodes[init], "10.240.0.12", &ca_pem);
    assert_eq!(etcd_members(&lab, cp).len(), 3);

    // 6. Refusals, with kubeadm's own words.
    let px = lab.boot("px", "10.240.0.31", &user_data("other_ca"));
    lab.prepare(px, "flatcar", false);
    let out = probe_join(&lab, px);
    assert!(
        out.contains("cluster CA found in cluster-info ConfigMap is invalid") && out.contains("are pinned"),
        "a worker pinned to another CA: {out}"
    );

    let short_expires = parse(output(&state, "short_expires_at").as_str().unwrap());
    let wait = short_expires - time::OffsetDateTime::now_utc();
    if wait.is_positive() {
        std::thread::sleep(Duration::from_secs(wait.whole_seconds() as u64 + 5));
    }
    let short_id = output(&state, "short_id").as_str().unwrap().to_string();
    lab.wait_unsigned(&short_id);
    let pe = lab.boot("pe", "10.240.0.32", &user_data("expired"));
    lab.prepare(pe, "fedora-coreos", false);
    let out = probe_join(&lab, pe);
    assert!(out.contains(&no_signature(&short_id)), "an expired token: {out}");

    // An admin kubeconfig past its expiry is refused by the API server.
    let short_kubeconfig_expires = parse(output(&state, "short_kubeconfig_expires_at").as_str().unwrap());
    let wait = short_kubeconfig_expires - time::OffsetDateTime::now_utc();
    if wait.is_positive() {
        std::thread::sleep(Duration::from_secs(wait.whole_seconds() as u64 + 2));
    }
    let expired = lab.dir.path().join("expired.kubeconfig");
    fs::write(&expired, output(&state, "short_kubeconfig").as_str().unwrap()).unwrap();
    let refused = host_kubectl(&kubectl, &expired, &["get", "nodes"]);
    assert!(
        !refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("Unauthorized"),
        "an expired admin certificate: {}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Rotation: the old rendering is booted, then the token is replaced.
    let po = lab.boot("po", "10.240.0.33", &user_data("rotated"));
    lab.prepare(po, "flatcar", false);
    let old_id = output(&state, "rotating_id").as_str().unwrap().to_string();
    let stable_before = fs::read(output(&state, "stable_object").as_str().unwrap()).unwrap();
    wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color", "-replace=kubeadm_bootstrap_token.rotating"]);
    let state2 = outputs(&wd);
    let new_id = output(&state2, "rotating_id").as_str().unwrap().to_string();
    assert_ne!(old_id, new_id);
    let manifest = lab.dir.path().join("rotated.yaml");
    fs::write(&manifest, output(&state2, "rotating_secret").as_str().unwrap()).unwrap();
    lab.kubectl(&format!("apply -f {}", manifest.display()));
    lab.kubectl(&format!("-n kube-system delete secret bootstrap-token-{old_id}"));
    lab.wait_unsigned(&old_id);
    let out = probe_join(&lab, po);
    assert!(out.contains(&no_signature(&old_id)), "a rotated-away token: {out}");
    let rotated = output(&state2, "rotated").as_str().unwrap().to_string();
    assert_ne!(rotated, user_data("rotated"), "the pinned worker is rendered with the new token");
    // In the stable mode user_data stays byte-identical, while the stored
    // config now holds the new token: a machine booting the user_data made
    // before the rotation joins with it.
    assert_eq!(output(&state2, "stable"), output(&state, "stable"), "stable user_data changed on rotation");
    assert_eq!(output(&state2, "stable_object"), output(&state, "stable_object"), "the stable key moved");
    let stored = fs::read(output(&state2, "stable_object").as_str().unwrap()).unwrap();
    assert_ne!(stored, stable_before, "the stored stable config was not re-rendered with the new token");
    let ws = lab.boot("ws", "10.240.0.24", &user_data("stable"));
    lab.prepare(ws, "flatcar", true);
    lab.start_bootstrap(ws);
    let name = lab.nodes[ws].name.clone();
    let joined = wait_for(Duration::from_secs(300), Duration::from_secs(1), || lab.node_json(&name));
    assert!(
        joined.is_some(),
        "the stable worker did not join with the new token:\n{}",
        lab.nodes[ws].log_tail("bootstrap.log", 40)
    );
    lab.wait_bootstrapped(ws, Duration::from_secs(120));

    // 7. An admin client sees the Nodes and their roles.
    let nodes = lab.kubectl_json("get nodes");
    let mut roles: BTreeMap<String, bool> = BTreeMap::new();
    for n in nodes["items"].as_array().unwrap() {
        let name = n["metadata"]["name"].as_str().unwrap().to_string();
        let cp = n["metadata"]["labels"].get("node-role.kubernetes.io/control-plane").is_some();
        roles.insert(name, cp);
    }
    let expected: BTreeMap<String, bool> = [
        ("10.240.0.11", true),
        ("10.240.0.12", true),
        (INIT_REPLACEMENT, true),
        ("10.240.0.21", false),
        ("10.240.0.22", false),
        ("10.240.0.24", false),
    ]
    .iter()
    .map(|(a, cp)| (private_dns(a), *cp))
    .collect();
    assert_eq!(roles, expected);
    eprintln!("e2e-timing: whole test {:.1}s", started.elapsed().as_secs_f64());

    wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    drop(lab);
    drop(server);
}
