//! The texts the renderer writes onto a node: systemd units and drop-ins,
//! the bootstrap and health-check scripts, and small configuration files.
//! Each function returns the exact bytes of one file, so a change here shows
//! up in the golden configs.
//!
//! Plain domain code: no tonic, prost, msgpack, `crate::tfplugin` or
//! `crate::provider`.

use std::fmt::Write as _;

use super::profile::{Profile, TimeSync};
use super::{CONFIG_PATH, NODE_NAME_PLACEHOLDER, PROVIDER_ID_PLACEHOLDER, TOKEN_TTL_PLACEHOLDER};
use crate::bootstrap::node::Role;

/// The unit that runs kubeadm.
pub(crate) const BOOTSTRAP_UNIT: &str = "kubeadm-bootstrap.service";
/// The unit that unpacks fetched archives.
pub(crate) const ARTIFACTS_UNIT: &str = "kubeadm-artifacts.service";
/// The health check and its timer.
pub(crate) const HEALTH_UNIT: &str = "kubeadm-health-check.service";
pub(crate) const HEALTH_TIMER: &str = "kubeadm-health-check.timer";
/// Scripts.
pub(crate) const BOOTSTRAP_SCRIPT: &str = "/opt/kubeadm/bootstrap.sh";
pub(crate) const HEALTH_SCRIPT: &str = "/opt/kubeadm/health-check.sh";
/// State kept across boots.
pub(crate) const STATE_DIR: &str = "/var/lib/kubeadm";
pub(crate) const BOOTSTRAP_DONE: &str = "/var/lib/kubeadm/bootstrap.done";
pub(crate) const ARTIFACTS_DONE: &str = "/var/lib/kubeadm/artifacts.done";
/// The containerd socket both OSes use.
pub(crate) const CONTAINERD_SOCKET: &str = "/run/containerd/containerd.sock";

/// Kernel modules: overlayfs for container images, br_netfilter so bridged
/// pod traffic passes through iptables (needed by bridge CNIs and
/// kube-proxy). Neither OS loads br_netfilter by itself.
pub(crate) const MODULES_LOAD: &str =
    "# Loaded at boot for Kubernetes: container image layers and bridged pod traffic.\n\
                                       overlay\nbr_netfilter\n";

/// Forwarding (a kubeadm preflight requirement) and iptables on bridges.
pub(crate) const SYSCTL: &str = "# Kubernetes networking: forward pod traffic, and let iptables see bridged packets.\n\
                                 net.ipv4.ip_forward = 1\n\
                                 net.bridge.bridge-nf-call-iptables = 1\n\
                                 net.bridge.bridge-nf-call-ip6tables = 1\n";

/// An empty zram-generator config: no zram swap device, whatever a package
/// default might say. The kubelet refuses to run with swap on.
pub(crate) const ZRAM_GENERATOR: &str = "";

/// crictl talks to containerd without flags.
pub(crate) fn crictl_yaml() -> String {
    format!("runtime-endpoint: unix://{CONTAINERD_SOCKET}\nimage-endpoint: unix://{CONTAINERD_SOCKET}\ntimeout: 10\n")
}

/// containerd for Fedora CoreOS: the CRI plugin on (a package default may
/// disable it), runc with the systemd cgroup driver that kubeadm configures
/// for the kubelet, SELinux labels for containers, and the usual CNI paths.
/// Config version 2 is read by containerd 1.7 and migrated by 2.x.
pub(crate) fn containerd_config() -> String {
    format!(
        "# Written at first boot for kubeadm: CRI enabled, runc with the systemd cgroup driver.\n\
         version = 2\n\
         root = \"/var/lib/containerd\"\n\
         state = \"/run/containerd\"\n\
         \n\
         [grpc]\n\
         \x20 address = \"{CONTAINERD_SOCKET}\"\n\
         \n\
         [plugins.\"io.containerd.grpc.v1.cri\"]\n\
         \x20 enable_selinux = true\n\
         \x20 [plugins.\"io.containerd.grpc.v1.cri\".cni]\n\
         \x20   bin_dir = \"/opt/cni/bin\"\n\
         \x20   conf_dir = \"/etc/cni/net.d\"\n\
         \x20 [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n\
         \x20   default_runtime_name = \"runc\"\n\
         \x20   [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n\
         \x20     runtime_type = \"io.containerd.runc.v2\"\n\
         \x20     [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n\
         \x20       SystemdCgroup = true\n"
    )
}

/// The kubelet unit of the upstream packages (kubernetes/release
/// `cmd/krel/templates/latest/kubelet/kubelet.service`), pointing at the
/// fetched binary.
pub(crate) fn kubelet_service(kubelet: &str) -> String {
    format!(
        "[Unit]\n\
         Description=kubelet: The Kubernetes Node Agent\n\
         Documentation=https://kubernetes.io/docs/\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         ExecStart={kubelet}\n\
         Restart=always\n\
         StartLimitInterval=0\n\
         RestartSec=10\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n"
    )
}

/// kubeadm's kubelet drop-in (`10-kubeadm.conf` of the upstream packages):
/// the kubeconfigs, the config file and the flags kubeadm writes at run time.
pub(crate) fn kubeadm_kubelet_dropin(kubelet: &str) -> String {
    format!(
        "# Flags kubeadm prepares for the kubelet; the last ExecStart wins.\n\
         [Service]\n\
         Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"\n\
         Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\n\
         EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\n\
         EnvironmentFile=-/etc/sysconfig/kubelet\n\
         ExecStart=\n\
         ExecStart={kubelet} $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n"
    )
}

/// `/etc/sysconfig/kubelet`: extra flags live in the kubeadm config
/// (`nodeRegistration.kubeletExtraArgs`), so this stays empty; it exists
/// for operators who want a local override.
pub(crate) const SYSCONFIG_KUBELET: &str = "KUBELET_EXTRA_ARGS=\n";

/// A drop-in putting the binary directory on a unit's PATH (Flatcar keeps
/// `/opt/bin` off systemd's default PATH).
pub(crate) fn path_dropin(profile: &Profile) -> String {
    format!(
        "# Fetched binaries live in {}, which is not on systemd's default PATH.\n[Service]\nEnvironment=PATH={}\n",
        profile.bin_dir,
        profile.path_env()
    )
}

/// One archive to unpack: the fetched file and the directory it goes to.
pub(crate) struct Archive<'a> {
    pub file: &'a str,
    pub into: &'a str,
}

/// A oneshot unit that unpacks the fetched archives once, before kubeadm
/// runs. Ignition itself can only decompress single files, not tarballs.
pub(crate) fn artifacts_service(archives: &[Archive<'_>]) -> String {
    let mut s = String::from(
        "[Unit]\n\
         Description=Unpack archives fetched at first boot for kubeadm\n",
    );
    let _ = writeln!(s, "ConditionPathExists=!{ARTIFACTS_DONE}");
    let _ = writeln!(s, "Before={BOOTSTRAP_UNIT}");
    s.push_str("\n[Service]\nType=oneshot\nRemainAfterExit=yes\n");
    for a in archives {
        let _ = writeln!(s, "ExecStart=/usr/bin/mkdir -p {}", a.into);
        let _ = writeln!(s, "ExecStart=/usr/bin/tar --no-same-owner -C {} -xzf {}", a.into, a.file);
    }
    let _ = writeln!(s, "ExecStart=/usr/bin/mkdir -p {STATE_DIR}");
    let _ = writeln!(s, "ExecStart=/usr/bin/touch {ARTIFACTS_DONE}");
    s.push_str("\n[Install]\nWantedBy=multi-user.target\n");
    s
}

/// Everything the bootstrap unit and script depend on.
pub(crate) struct Bootstrap<'a> {
    pub role: Role,
    pub profile: &'a Profile,
    /// How the script calls kubeadm: an absolute path, or `kubeadm` to find
    /// it on PATH.
    pub kubeadm: &'a str,
    pub name_from_aws: bool,
    pub unpacks_archives: bool,
    pub pre_commands: &'a [String],
    pub post_commands: &'a [String],
    /// kubeadm's `--v` log level.
    pub verbosity: Option<u8>,
    /// On an init node whose seeded bootstrap token expires: the expiry as
    /// RFC 3339 and as Unix seconds. The script turns it into the `ttl`
    /// kubeadm wants, before each try.
    pub token_expires: Option<(String, i64)>,
    /// On an init node with a control-plane endpoint: that endpoint as
    /// `host:port`. The script looks for a running cluster there first and
    /// joins it as a control plane instead of founding a second one.
    pub join_endpoint: Option<String>,
}

/// How the bootstrap script of an init node looks for a running cluster
/// before it founds one: this many tries, [`PROBE_PAUSE_SECONDS`] apart,
/// each giving up on connecting after [`PROBE_CONNECT_SECONDS`] and on the
/// whole request after [`PROBE_MAX_SECONDS`]. When nothing listens the first
/// boot waits at most 3 × 5 + 2 × 2 = 19 seconds more (about 4 when the
/// connection is refused outright).
pub(crate) const PROBE_TRIES: u32 = 3;
/// Seconds between two tries of the probe.
pub(crate) const PROBE_PAUSE_SECONDS: u32 = 2;
/// curl's `--connect-timeout` for one try.
pub(crate) const PROBE_CONNECT_SECONDS: u32 = 3;
/// curl's `--max-time` for one try.
pub(crate) const PROBE_MAX_SECONDS: u32 = 5;

/// The shell function `cluster_answers` of an init node's bootstrap script:
/// success when the API at `$ENDPOINT` gives any HTTP answer over TLS that
/// verifies against the cluster CA shipped with the node (then a cluster
/// founded with that CA runs there); failure when nothing answers, the
/// connection is refused or times out, or the certificate comes from
/// another CA. Each try is logged with curl's reason.
fn probe_function(s: &mut String) {
    s.push_str("cluster_answers() {\n  local try code\n");
    let _ = writeln!(s, "  for try in $(seq 1 {PROBE_TRIES}); do");
    s.push_str("    if code=$(curl --silent --show-error --globoff --output /dev/null --write-out '%{http_code}' \\\n");
    let _ = writeln!(
        s,
        "      --cacert \"$PKI_DIR/ca.crt\" --connect-timeout {PROBE_CONNECT_SECONDS} --max-time {PROBE_MAX_SECONDS} \\"
    );
    s.push_str("      \"https://$ENDPOINT/\" 2>\"$STATE_DIR/probe.err\"); then\n");
    s.push_str("      log \"the API at $ENDPOINT answers (HTTP $code) with a certificate from this cluster's CA\"\n");
    s.push_str("      return 0\n    fi\n");
    let _ = writeln!(
        s,
        "    log \"no cluster with this CA at $ENDPOINT (try $try of {PROBE_TRIES}): $(tr -s '\\n' ' ' <\"$STATE_DIR/probe.err\")\""
    );
    let _ = writeln!(s, "    if [ \"$try\" -lt {PROBE_TRIES} ]; then\n      sleep {PROBE_PAUSE_SECONDS}\n    fi");
    s.push_str("  done\n  return 1\n}\n\n");
}

/// The oneshot unit running the bootstrap script, once.
pub(crate) fn bootstrap_service(b: &Bootstrap<'_>) -> String {
    let mut s = String::from("[Unit]\n");
    let _ = writeln!(s, "Description=Bootstrap this node with kubeadm ({})", b.role.as_str());
    s.push_str("Documentation=https://kubernetes.io/docs/reference/setup-tools/kubeadm/\n");
    s.push_str("Wants=network-online.target\nAfter=network-online.target\n");
    s.push_str("Requires=containerd.service\nAfter=containerd.service\n");
    if b.unpacks_archives {
        let _ = writeln!(s, "Requires={ARTIFACTS_UNIT}\nAfter={ARTIFACTS_UNIT}");
    }
    if b.name_from_aws {
        let _ = writeln!(s, "Requires={0}\nAfter={0}", b.profile.metadata_unit);
    }
    let _ = writeln!(s, "ConditionPathExists=!{BOOTSTRAP_DONE}");
    s.push_str("\n[Service]\nType=oneshot\nRemainAfterExit=yes\n");
    // Joins wait for the control plane with retries; never time out the unit.
    s.push_str("TimeoutStartSec=infinity\n");
    let _ = writeln!(s, "Environment=PATH={}", b.profile.path_env());
    let _ = writeln!(s, "ExecStart=/bin/bash {BOOTSTRAP_SCRIPT}");
    s.push_str("StandardOutput=journal\nStandardError=journal\n");
    s.push_str("\n[Install]\nWantedBy=multi-user.target\n");
    s
}

/// The bootstrap script. It is safe to run again after a failure at any
/// point: kubeadm runs until it succeeds once (with `kubeadm reset` between
/// tries), then only the post commands are repeated until they pass.
pub(crate) fn bootstrap_script(b: &Bootstrap<'_>) -> String {
    let p = b.profile;
    let (verb, tries) = match b.role {
        Role::Init => ("init", 3),
        Role::ControlPlane | Role::Worker => ("join", 30),
    };
    let keeps_pki = b.role.is_control_plane();
    // An init node that may find its cluster running: init or join, decided at boot.
    let joins = b.role == Role::Init && b.join_endpoint.is_some();
    let mut s = String::new();
    s.push_str("#!/bin/bash\n");
    if joins {
        s.push_str(
            "# Turns this machine into the first control plane with kubeadm init, or, when the\n\
             # cluster already runs, into another control plane with kubeadm join (init).\n",
        );
    } else {
        let _ = writeln!(s, "# Turns this machine into a Kubernetes node with kubeadm {verb} ({}).", b.role.as_str());
    }
    let _ = writeln!(s, "# Started by {BOOTSTRAP_UNIT} until {BOOTSTRAP_DONE} exists.");
    s.push_str("set -euo pipefail\n\n");
    let _ = writeln!(s, "export PATH={}", p.path_env());
    let _ = writeln!(s, "KUBEADM={}", b.kubeadm);
    let _ = writeln!(s, "CONFIG={CONFIG_PATH}");
    let _ = writeln!(s, "STATE_DIR={STATE_DIR}");
    s.push_str("KUBEADM_DONE=\"$STATE_DIR/kubeadm.done\"\n");
    s.push_str("ATTEMPTED=\"$STATE_DIR/kubeadm.attempted\"\n");
    let _ = writeln!(s, "DONE={BOOTSTRAP_DONE}");
    if keeps_pki {
        s.push_str("PKI_DIR=/etc/kubernetes/pki\n");
        s.push_str("PKI_SEED=\"$STATE_DIR/pki-seed\"\n");
    }
    s.push('\n');
    s.push_str("log() { echo \"kubeadm-bootstrap: $*\"; }\n\n");
    s.push_str("mkdir -p \"$STATE_DIR\"\nchmod 0700 \"$STATE_DIR\"\n\n");

    if keeps_pki {
        s.push_str(
            "# kubeadm reset empties the pki directory. Keep the certificate authorities\n\
             # provisioned with this node, so every try starts from the same ones.\n\
             if [ ! -d \"$PKI_SEED\" ]; then\n\
             \x20 rm -rf \"$PKI_SEED.tmp\"\n\
             \x20 cp -a \"$PKI_DIR\" \"$PKI_SEED.tmp\"\n\
             \x20 mv \"$PKI_SEED.tmp\" \"$PKI_SEED\"\n\
             fi\n\n",
        );
    }

    s.push_str("reset_node() {\n");
    s.push_str("  log \"cleaning up with kubeadm reset\"\n");
    s.push_str("  \"$KUBEADM\" reset -f || log \"kubeadm reset failed; trying anyway\"\n");
    if keeps_pki {
        s.push_str("  rm -rf \"$PKI_DIR\"\n  cp -a \"$PKI_SEED\" \"$PKI_DIR\"\n");
    }
    s.push_str("}\n\n");

    s.push_str("if [ ! -e \"$KUBEADM_DONE\" ]; then\n\n");
    s.push_str(
        "# The kubelet does not run with swap on; modules and sysctls are applied\n\
         # again in case their units ran before the files were in place.\n\
         swapoff -a\n\
         modprobe overlay\n\
         modprobe br_netfilter\n\
         sysctl -q -p /etc/sysctl.d/90-kubernetes.conf\n\n",
    );

    if !b.pre_commands.is_empty() {
        s.push_str("# pre_kubeadm_commands\n");
        for c in b.pre_commands {
            s.push_str(c);
            s.push('\n');
        }
        s.push('\n');
    }

    if b.name_from_aws {
        let file = p.metadata_env_file;
        let _ = writeln!(s, "# Node name and provider ID from the EC2 metadata that {} wrote.", p.metadata_unit);
        let _ = writeln!(s, ". {file}");
        let _ = writeln!(s, "node_name=\"${{{}:-}}\"", p.hostname_var);
        let _ = writeln!(s, "instance_id=\"${{{}:-}}\"", p.instance_id_var);
        let _ = writeln!(s, "zone=\"${{{}:-}}\"", p.zone_var);
        s.push_str("for value in \"$node_name\" \"$instance_id\" \"$zone\"; do\n");
        s.push_str("  case \"$value\" in\n");
        let _ = writeln!(s, "    '' | *[!A-Za-z0-9.-]*) log \"unusable value '$value' in {file}\"; exit 1 ;;");
        s.push_str("  esac\ndone\n");
        let _ = writeln!(s, "sed -i -e \"s|{NODE_NAME_PLACEHOLDER}|${{node_name}}|g\" \\");
        let _ = writeln!(s, "  -e \"s|{PROVIDER_ID_PLACEHOLDER}|aws:///${{zone}}/${{instance_id}}|g\" \"$CONFIG\"");
        s.push('\n');
    }

    if let Some((rfc3339, unix)) = &b.token_expires {
        s.push_str(
            "# kubeadm takes the seeded bootstrap token's lifetime as a ttl (it refuses\n\
             # ttl together with expires): work out what is left of it for each try.\n",
        );
        let _ = writeln!(s, "TOKEN_EXPIRES={rfc3339}");
        let _ = writeln!(s, "TOKEN_EXPIRES_UNIX={unix}");
        s.push_str("RUN_CONFIG=\"$STATE_DIR/kubeadm-init.yaml\"\n");
        s.push_str("write_run_config() {\n");
        s.push_str("  local left\n");
        s.push_str("  left=$((TOKEN_EXPIRES_UNIX - $(date +%s)))\n");
        s.push_str("  if [ \"$left\" -le 0 ]; then\n");
        s.push_str(
            "    log \"the bootstrap token expired at $TOKEN_EXPIRES: render this node again with a valid token\"\n",
        );
        s.push_str("    exit 1\n  fi\n");
        s.push_str("  (umask 077 && sed -e \"s|");
        s.push_str(TOKEN_TTL_PLACEHOLDER);
        s.push_str("|${left}s|g\" \"$CONFIG\" >\"$RUN_CONFIG.tmp\")\n");
        s.push_str("  mv \"$RUN_CONFIG.tmp\" \"$RUN_CONFIG\"\n");
        s.push_str("}\n\n");
    }

    s.push_str(
        "# A try interrupted by a reboot leaves state behind that makes the next one fail.\n\
         if [ -e \"$ATTEMPTED\" ]; then\n\
         \x20 reset_node\n\
         fi\n\
         touch \"$ATTEMPTED\"\n\n",
    );
    let init_config = if b.token_expires.is_some() { "$RUN_CONFIG" } else { "$CONFIG" };
    // What the loop runs: fixed for most nodes, chosen at boot by an init node that may join.
    let (verb, config) = match &b.join_endpoint {
        Some(endpoint) if joins => {
            init_or_join(&mut s, endpoint, b.token_expires.is_some(), init_config);
            ("\"$verb\"", "$config")
        }
        _ => {
            if verb == "join" {
                s.push_str("# The control plane may not answer yet: retry, backing off from 10s to 60s.\n");
            } else {
                if b.role == Role::Init {
                    s.push_str(
                        "log \"this config has no control_plane_endpoint, so there is no cluster to look for: founding it (kubeadm init)\"\n",
                    );
                }
                s.push_str("# A failed init is retried from a clean slate a few times.\n");
            }
            let _ = writeln!(s, "tries={tries}");
            (verb, init_config)
        }
    };
    let shown = verb.trim_matches('"');
    s.push_str("delay=10\n");
    s.push_str("for try in $(seq 1 \"$tries\"); do\n");
    let _ = writeln!(s, "  log \"kubeadm {shown}, try $try of $tries\"");
    let v = b.verbosity.map(|n| format!(" --v={n}")).unwrap_or_default();
    if b.token_expires.is_some() {
        if joins {
            s.push_str("  if [ \"$verb\" = init ]; then\n    write_run_config\n  fi\n");
        } else {
            s.push_str("  write_run_config\n");
        }
    }
    let _ = writeln!(s, "  if \"$KUBEADM\" {verb} --config \"{config}\"{v}; then");
    s.push_str("    break\n  fi\n");
    s.push_str("  if [ \"$try\" -eq \"$tries\" ]; then\n");
    let _ = writeln!(s, "    log \"kubeadm {shown} failed $tries times; giving up until the next boot\"");
    s.push_str("    exit 1\n  fi\n");
    s.push_str("  reset_node\n");
    s.push_str("  log \"next try in ${delay}s\"\n");
    s.push_str("  sleep \"$delay\"\n");
    s.push_str("  delay=$((delay * 2 > 60 ? 60 : delay * 2))\n");
    s.push_str("done\n");
    s.push_str("touch \"$KUBEADM_DONE\"\n\n");
    s.push_str("fi\n\n");

    if !b.post_commands.is_empty() {
        s.push_str("# post_kubeadm_commands\n");
        for c in b.post_commands {
            s.push_str(c);
            s.push('\n');
        }
        s.push('\n');
    }
    if keeps_pki {
        s.push_str("# kubeadm keeps its own copy in the pki directory; drop the spare one.\n");
        s.push_str("rm -rf \"$PKI_SEED\"\n");
    }
    s.push_str("touch \"$DONE\"\n");
    s.push_str("log \"node bootstrapped\"\n");
    s
}

/// The decision of an init node that may find its cluster running: probe the
/// endpoint, then set `verb`, `tries` and `config` for the loop that runs
/// kubeadm, and log which path the node takes and why.
fn init_or_join(s: &mut String, endpoint: &str, token_expires: bool, init_config: &str) {
    s.push_str(
        "# This config founds the cluster on its first boot. A machine that boots it while\n\
         # the cluster runs (a replacement of the first control plane) must join that\n\
         # cluster instead of founding a second one with the same CA.\n",
    );
    let _ = writeln!(s, "ENDPOINT={endpoint}");
    probe_function(s);
    s.push_str("if cluster_answers; then\n");
    if token_expires {
        s.push_str(
            "  if [ \"$(date +%s)\" -ge \"$TOKEN_EXPIRES_UNIX\" ]; then\n\
             \x20   log \"the cluster runs, but the bootstrap token expired at $TOKEN_EXPIRES: joining needs a token the cluster still knows; render this node again with a fresh token\"\n\
             \x20   exit 1\n\
             \x20 fi\n",
        );
    }
    s.push_str(
        "  log \"the cluster already runs: joining it as a control plane (kubeadm join) with this config's bootstrap token, not founding a second one\"\n\
         \x20 verb=join\n",
    );
    s.push_str("  # The JoinConfiguration in the config; kubeadm join ignores the init documents.\n");
    s.push_str("  config=\"$CONFIG\"\n");
    s.push_str("  # The control plane may not take this node yet: retry, backing off from 10s to 60s.\n");
    s.push_str("  tries=30\n");
    s.push_str("else\n");
    s.push_str("  log \"no cluster with this CA answers at $ENDPOINT: founding it (kubeadm init)\"\n");
    s.push_str("  verb=init\n");
    let _ = writeln!(s, "  config=\"{init_config}\"");
    s.push_str("  # A failed init is retried from a clean slate a few times.\n");
    s.push_str("  tries=3\n");
    s.push_str("fi\n");
}

/// The health check: restarts containerd or the kubelet after three failed
/// checks in a row, and does nothing before the node is bootstrapped (the
/// kubelet crash-loops by design until kubeadm has configured it).
pub(crate) fn health_script(profile: &Profile) -> String {
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(
        "# Restarts containerd or the kubelet when they stop answering. Runs from\n\
         # kubeadm-health-check.timer; acts only after three failed checks in a row\n\
         # so that a slow start is not taken for a hang.\n\
         set -uo pipefail\n\n",
    );
    let _ = writeln!(s, "export PATH={}", profile.path_env());
    s.push_str("STATE=/run/kubeadm-health\nLIMIT=3\n\n");
    let _ = writeln!(s, "[ -e {BOOTSTRAP_DONE} ] || exit 0");
    s.push_str("mkdir -p \"$STATE\"\n\n");
    s.push_str("containerd_ok() {\n");
    s.push_str("  if command -v crictl >/dev/null 2>&1; then\n");
    let _ = writeln!(s, "    timeout 20 crictl --runtime-endpoint unix://{CONTAINERD_SOCKET} info >/dev/null 2>&1");
    s.push_str("  else\n");
    let _ = writeln!(s, "    timeout 20 ctr --address {CONTAINERD_SOCKET} version >/dev/null 2>&1");
    s.push_str("  fi\n}\n\n");
    s.push_str("kubelet_ok() {\n");
    s.push_str("  curl -fsS --max-time 10 http://127.0.0.1:10248/healthz >/dev/null 2>&1\n");
    s.push_str("}\n\n");
    s.push_str(
        "check() {\n\
         \x20 local name=$1 unit=$2 probe=$3 count=0\n\
         \x20 if \"$probe\"; then\n\
         \x20   rm -f \"$STATE/$name\"\n\
         \x20   return 0\n\
         \x20 fi\n\
         \x20 [ -r \"$STATE/$name\" ] && count=$(<\"$STATE/$name\")\n\
         \x20 case \"$count\" in '' | *[!0-9]*) count=0 ;; esac\n\
         \x20 count=$((count + 1))\n\
         \x20 if [ \"$count\" -ge \"$LIMIT\" ]; then\n\
         \x20   echo \"$unit failed $count health checks in a row; restarting it\"\n\
         \x20   rm -f \"$STATE/$name\"\n\
         \x20   systemctl restart \"$unit\"\n\
         \x20 else\n\
         \x20   echo \"$count\" >\"$STATE/$name\"\n\
         \x20   echo \"$unit did not answer its health check ($count of $LIMIT)\"\n\
         \x20 fi\n\
         }\n\n\
         check containerd containerd.service containerd_ok\n\
         check kubelet kubelet.service kubelet_ok\n\
         exit 0\n",
    );
    s
}

/// The oneshot service behind the timer.
pub(crate) fn health_service() -> String {
    format!(
        "[Unit]\n\
         Description=Restart containerd or the kubelet when they stop answering\n\
         After={BOOTSTRAP_UNIT}\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart=/bin/bash {HEALTH_SCRIPT}\n"
    )
}

/// Runs the health check every minute, starting five minutes after boot.
pub(crate) fn health_timer() -> String {
    "[Unit]\n\
     Description=Periodic health check of containerd and the kubelet\n\
     \n\
     [Timer]\n\
     OnBootSec=5min\n\
     OnUnitActiveSec=1min\n\
     \n\
     [Install]\n\
     WantedBy=timers.target\n"
        .to_owned()
}

/// kubeadm patch for one static control-plane pod: the `spc_t` SELinux type.
pub(crate) fn selinux_patch() -> String {
    "# kubeadm patch: run this static pod as spc_t. Under enforcing SELinux the default\n\
     # container_t type may not read /etc/kubernetes/pki or /var/lib/etcd.\n\
     spec:\n\
     \x20 securityContext:\n\
     \x20   seLinuxOptions:\n\
     \x20     type: spc_t\n"
        .to_owned()
}

/// Where the NTP servers go, and the file's text.
pub(crate) fn time_sync(profile: &Profile, servers: &[String]) -> (&'static str, String) {
    match profile.time_sync {
        TimeSync::Timesyncd => {
            let mut s = String::from("# NTP servers for systemd-timesyncd, written at first boot.\n[Time]\nNTP=");
            s.push_str(&servers.join(" "));
            s.push('\n');
            ("/etc/systemd/timesyncd.conf.d/10-kubeadm.conf", s)
        }
        TimeSync::Chrony => {
            let mut s = String::from("# chrony configuration written at first boot with the node's NTP servers.\n");
            for server in servers {
                let _ = writeln!(s, "server {server} iburst");
            }
            s.push_str(
                "driftfile /var/lib/chrony/drift\n\
                 makestep 1.0 3\n\
                 rtcsync\n\
                 ntsdumpdir /var/lib/chrony\n\
                 leapsectz right/UTC\n\
                 logdir /var/log/chrony\n",
            );
            ("/etc/chrony.conf", s)
        }
    }
}
