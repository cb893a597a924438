//! The rendered bootstrap script, run against a fake kubeadm and curl.

use super::*;

/// Runs the rendered bootstrap script with its paths moved into a scratch
/// directory, a fake kubeadm that fails until try `succeed_on`, and stubs for
/// the commands that would touch the host. Returns the directory, the exit
/// status and the fake kubeadm's log.
fn run_bootstrap(role: Role, succeed_on: u32, post: &str, runs: usize) -> (tempfile::TempDir, Vec<bool>, String) {
    run_bootstrap_with(role, succeed_on, post, runs, None)
}

/// As `run_bootstrap`, with the bootstrap token expiring at `expires`.
fn run_bootstrap_with(
    role: Role,
    succeed_on: u32,
    post: &str,
    runs: usize,
    expires: Option<String>,
) -> (tempfile::TempDir, Vec<bool>, String) {
    let mut s = spec(role, OperatingSystem::Flatcar);
    s.post_kubeadm_commands = vec![post.to_owned()];
    s.bootstrap_token.expires = expires;
    let run = run_script(&s, succeed_on, runs, Cluster::Absent);
    (run.dir, run.ok, run.log)
}

/// What the fake curl finds at the control-plane endpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cluster {
    /// An API server with a certificate from the shipped CA (HTTP 403).
    Running,
    /// Nothing listening: the connection is refused.
    Absent,
}

/// One or more boots of a rendered bootstrap script.
struct ScriptRun {
    dir: tempfile::TempDir,
    /// Whether each run exited 0.
    ok: Vec<bool>,
    /// What the fake kubeadm, curl and sleep recorded.
    log: String,
    /// What the script printed, all runs.
    stdout: String,
}

impl ScriptRun {
    /// Asserts that the script printed `text`.
    #[track_caller]
    fn printed(&self, text: &str) {
        assert!(self.stdout.contains(text), "{text:?} is not in what the script printed:\n{}", self.stdout);
    }
}

/// Runs the bootstrap script rendered for `s` with its paths moved into a
/// scratch directory, a fake kubeadm that fails until try `succeed_on`, a
/// fake curl that answers as `cluster` says, and stubs for the commands
/// that would touch the host.
fn run_script(s: &NodeSpec, succeed_on: u32, runs: usize, cluster: Cluster) -> ScriptRun {
    let seeds_ttl = s.role == Role::Init && s.bootstrap_token.expires.is_some();
    let v = rendered(s);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap().to_owned();
    let stubs = format!("{root}/stubs");
    std::fs::create_dir_all(&stubs).unwrap();
    let write = |path: String, text: &str| {
        std::fs::create_dir_all(std::path::Path::new(&path).parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    };
    for tool in ["swapoff", "modprobe", "sysctl"] {
        write(format!("{stubs}/{tool}"), "#!/bin/bash\nexit 0\n");
    }
    write(format!("{stubs}/sleep"), "#!/bin/bash\necho \"sleep $1\" >>\"$LOG\"\n");
    write(
        format!("{stubs}/curl"),
        "#!/bin/bash\n\
         ca=\n\
         while [ $# -gt 1 ]; do case \"$1\" in --cacert) ca=$2; shift ;; esac; shift; done\n\
         echo \"curl $1 --cacert $ca\" >>\"$LOG\"\n\
         if [ \"$CLUSTER\" = running ] && [ -s \"$ca\" ]; then printf 403; exit 0; fi\n\
         echo \"curl: (7) Failed to connect to api.example.com port 6443: Connection refused\" >&2\n\
         printf 000\n\
         exit 7\n",
    );
    write(
        format!("{stubs}/kubeadm"),
        "#!/bin/bash\n\
         pki=\"$ROOT/etc/kubernetes/pki\"\n\
         case \"$1\" in\n\
         reset) echo reset >>\"$LOG\"; rm -rf \"$pki\"; mkdir -p \"$pki\" ;;\n\
         *) n=$(( $(cat \"$ROOT/count\" 2>/dev/null || echo 0) + 1 )); echo \"$n\" >\"$ROOT/count\"\n\
         \x20  echo \"$1 $2 $3 pki:$(ls \"$pki\" 2>/dev/null | tr '\\n' ' ')\" >>\"$LOG\"\n\
         \x20  case \"$3\" in *kubeadm-init.yaml) grep -h 'ttl:' \"$3\" >>\"$LOG\" ;; esac\n\
         \x20  echo leaf >\"$pki/apiserver.crt\" 2>/dev/null\n\
         \x20  [ \"$n\" -ge \"$SUCCEED_ON\" ] ;;\n\
         esac\n",
    );
    for tool in ["swapoff", "modprobe", "sysctl", "sleep", "kubeadm", "curl"] {
        let p = format!("{stubs}/{tool}");
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    write(
        format!("{root}/run/metadata/flatcar"),
        "COREOS_EC2_HOSTNAME=ip-10-0-0-7.ec2.internal\nCOREOS_EC2_INSTANCE_ID=i-0abc\nCOREOS_EC2_AVAILABILITY_ZONE=eu-west-1a\n",
    );
    for (path, _) in files(&v) {
        if path.starts_with("/etc/kubernetes/pki/") || path == "/etc/kubeadm/config.yaml" {
            write(format!("{root}{path}"), &contents(&v, &path));
        }
    }
    if seeds_ttl {
        // What the kubeadm renderer seeds on an init node with an expiring token.
        write(format!("{root}{CONFIG_PATH}"), &format!("{YAML}bootstrapTokens:\n- ttl: {TOKEN_TTL_PLACEHOLDER}\n"));
    }
    let script = contents(&v, units::BOOTSTRAP_SCRIPT)
        .replace("export PATH=", &format!("export PATH={stubs}:"))
        .replace("KUBEADM=/opt/bin/kubeadm", &format!("KUBEADM={stubs}/kubeadm"))
        .replace("/etc/kubeadm/", &format!("{root}/etc/kubeadm/"))
        .replace("/var/lib/kubeadm", &format!("{root}/var/lib/kubeadm"))
        .replace("/etc/kubernetes/pki", &format!("{root}/etc/kubernetes/pki"))
        .replace("/run/metadata/flatcar", &format!("{root}/run/metadata/flatcar"));
    write(format!("{root}/bootstrap.sh"), &script);
    let log = format!("{root}/log");
    let mut stdout = String::new();
    let ok = (0..runs)
        .map(|_| {
            let out = std::process::Command::new("bash")
                .arg(format!("{root}/bootstrap.sh"))
                .env("ROOT", &root)
                .env("LOG", &log)
                .env("SUCCEED_ON", succeed_on.to_string())
                .env("CLUSTER", if cluster == Cluster::Running { "running" } else { "absent" })
                .output()
                .unwrap();
            stdout.push_str(&String::from_utf8_lossy(&out.stdout));
            out.status.success()
        })
        .collect();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    ScriptRun { dir, ok, log, stdout }
}

#[test]
fn bootstrap_script_retries_resets_and_keeps_the_cas() {
    let (dir, ok, log) = run_bootstrap(Role::ControlPlane, 3, "echo after", 1);
    assert_eq!(ok, [true], "{log}");
    let cas = "ca.crt ca.key etcd front-proxy-ca.crt front-proxy-ca.key sa.key sa.pub ";
    let config = format!("{}/etc/kubeadm/config.yaml", dir.path().display());
    assert_eq!(
        log,
        format!(
            "join --config {config} pki:{cas}\nreset\nsleep 10\n\
             join --config {config} pki:{cas}\nreset\nsleep 20\n\
             join --config {config} pki:{cas}\n"
        )
    );
    let root = dir.path();
    let yaml = std::fs::read_to_string(root.join("etc/kubeadm/config.yaml")).unwrap();
    assert!(yaml.contains("name: ip-10-0-0-7.ec2.internal"), "{yaml}");
    assert!(!yaml.contains(NODE_NAME_PLACEHOLDER));
    assert!(root.join("var/lib/kubeadm/bootstrap.done").exists());
    assert!(!root.join("var/lib/kubeadm/pki-seed").exists(), "the spare CA copy is removed");
    assert_eq!(
        std::fs::read_to_string(root.join("etc/kubernetes/pki/ca.key")).unwrap(),
        pki().ca.key_pem.expose().clone()
    );
}

#[test]
fn bootstrap_script_repeats_only_the_post_commands() {
    // The post command fails on the first run only.
    let post = "if [ ! -e \"$ROOT/post-ran\" ]; then touch \"$ROOT/post-ran\"; exit 1; fi";
    let (dir, ok, log) = run_bootstrap(Role::Worker, 1, post, 2);
    assert_eq!(ok, [false, true], "{log}");
    assert_eq!(log.matches("join --config").count(), 1, "{log}");
    assert!(!log.contains("reset"), "{log}");
    assert!(dir.path().join("var/lib/kubeadm/bootstrap.done").exists());
}

#[test]
fn bootstrap_script_gives_up_and_backs_off() {
    let (_dir, ok, log) = run_bootstrap(Role::Init, 99, "echo after", 1);
    assert_eq!(ok, [false]);
    assert_eq!(log.matches("init --config").count(), 3, "{log}");
    // Three looks for a running cluster 2s apart, then three inits.
    let sleeps: Vec<&str> = log.lines().filter(|l| l.starts_with("sleep")).collect();
    assert_eq!(sleeps, ["sleep 2", "sleep 2", "sleep 10", "sleep 20"]);
    let (_dir, ok, log) = run_bootstrap(Role::Worker, 99, "echo after", 1);
    assert_eq!(ok, [false]);
    assert_eq!(log.matches("join --config").count(), 30);
    let sleeps: Vec<&str> = log.lines().filter(|l| l.starts_with("sleep")).collect();
    assert_eq!(&sleeps[..5], ["sleep 10", "sleep 20", "sleep 40", "sleep 60", "sleep 60"]);
    assert_eq!(sleeps.len(), 29);
}

#[test]
fn init_seeds_the_token_lifetime_left_at_boot() {
    // kubeadm refuses `expires` next to its defaulted `ttl`: the script
    // writes the lifetime left when kubeadm runs, into a copy of the config.
    let at = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let expires = crate::bootstrap::token::format_rfc3339(at);
    let (dir, ok, log) = run_bootstrap_with(Role::Init, 2, "echo after", 1, Some(expires));
    assert_eq!(ok, [true], "{log}");
    let run_config = format!("{}/var/lib/kubeadm/kubeadm-init.yaml", dir.path().display());
    assert_eq!(log.matches(&format!("init --config {run_config}")).count(), 2, "{log}");
    let ttls: Vec<u64> = log
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("ttl: ")?.strip_suffix('s')?.parse().ok())
        .collect();
    assert_eq!(ttls.len(), 2, "{log}");
    assert!(ttls.iter().all(|t| (3500..=3600).contains(t)), "{ttls:?}");
    let rendered = std::fs::read_to_string(dir.path().join("etc/kubeadm/config.yaml")).unwrap();
    assert!(rendered.contains(TOKEN_TTL_PLACEHOLDER), "the rendered config keeps its placeholder");
    assert!(!rendered.contains("expires"), "{rendered}");
    let mode = std::fs::metadata(&run_config).unwrap().permissions();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);

    // A token that has run out stops the node before kubeadm runs.
    let past = crate::bootstrap::token::format_rfc3339(time::OffsetDateTime::now_utc() - time::Duration::minutes(5));
    let (dir, ok, log) = run_bootstrap_with(Role::Init, 1, "echo after", 1, Some(past));
    assert_eq!(ok, [false]);
    assert!(!log.contains("init --config"), "{log}");
    assert!(!dir.path().join("var/lib/kubeadm/bootstrap.done").exists());
}

#[test]
fn fedora_coreos_before_1_31_needs_crictl() {
    let mut s = spec(Role::Worker, OperatingSystem::FedoraCoreos);
    s.cluster.kubernetes_version = KubernetesVersion::parse("v1.30.6").unwrap();
    let err = render(&s, &yaml()).unwrap_err();
    assert!(matches!(err, IgnitionError::MissingCrictl { .. }), "{err}");
    assert_eq!(err.input(), Some("kubernetes_artifacts"));
    assert!(err.to_string().contains("FileExisting-crictl"), "{err}");
    // With cri-tools' archive in the artifacts it renders, and unpacks it.
    let Artifacts::Remote(files) = &mut s.artifacts else { unreachable!() };
    files.push(RemoteFile {
        path: "/opt/kubeadm/artifacts/crictl-v1.30.1-linux-amd64.tar.gz".into(),
        url: "https://dl.example.com/crictl-v1.30.1-linux-amd64.tar.gz".into(),
        sha512: sha512_hex(b"crictl"),
        mode: 0o644,
        extract_to: Some("/usr/local/bin".into()),
    });
    let v = rendered(&s);
    let unit = units(&v)["kubeadm-artifacts.service"]["contents"].as_str().unwrap().to_owned();
    assert!(unit.contains("-C /usr/local/bin -xzf /opt/kubeadm/artifacts/crictl-v1.30.1-linux-amd64.tar.gz"), "{unit}");
    // Flatcar ships crictl; from 1.31 kubeadm does not call it.
    let mut flatcar = spec(Role::Worker, OperatingSystem::Flatcar);
    flatcar.cluster.kubernetes_version = KubernetesVersion::parse("v1.30.6").unwrap();
    assert!(render(&flatcar, &yaml()).is_ok());
    assert!(render(&spec(Role::Worker, OperatingSystem::FedoraCoreos), &yaml()).is_ok());
    // Preinstalled binaries: the image must bring it, which is a warning.
    let mut pre = spec(Role::Worker, OperatingSystem::FedoraCoreos);
    pre.cluster.kubernetes_version = KubernetesVersion::parse("v1.30.6").unwrap();
    pre.artifacts = Artifacts::Preinstalled;
    let r = render(&pre, &yaml()).unwrap();
    assert!(r.warnings.iter().any(|w| w.contains("crictl")), "{:?}", r.warnings);
}

#[test]
fn init_joins_its_cluster_when_it_already_runs() {
    let run = run_script(&init_spec(None), 1, 1, Cluster::Running);
    assert_eq!(run.ok, [true], "{}\n{}", run.log, run.stdout);
    let root = run.dir.path().display().to_string();
    // One look, against the CA shipped with the node, then a join with the
    // config that carries the JoinConfiguration, and never an init.
    let first: Vec<&str> = run.log.lines().take(2).collect();
    assert_eq!(
        first,
        [
            format!("curl https://api.example.com:6443/ --cacert {root}/etc/kubernetes/pki/ca.crt").as_str(),
            format!("join --config {root}/etc/kubeadm/config.yaml pki:ca.crt ca.key etcd front-proxy-ca.crt front-proxy-ca.key sa.key sa.pub ").as_str(),
        ],
        "{}",
        run.log
    );
    assert!(!run.log.contains("init --config") && !run.log.contains("sleep"), "{}", run.log);
    run.printed("the API at api.example.com:6443 answers (HTTP 403) with a certificate from this cluster's CA");
    run.printed("the cluster already runs: joining it as a control plane (kubeadm join)");
    run.printed("kubeadm join, try 1 of 30");
    assert!(run.dir.path().join("var/lib/kubeadm/bootstrap.done").exists());

    // A join that fails is retried as a join, from a clean slate, with the CAs kept.
    let run = run_script(&init_spec(None), 3, 1, Cluster::Running);
    assert_eq!(run.ok, [true], "{}", run.log);
    assert_eq!(run.log.matches("join --config").count(), 3, "{}", run.log);
    assert_eq!(run.log.matches("reset").count(), 2, "{}", run.log);
    assert_eq!(run.log.matches("pki:ca.crt ca.key etcd").count(), 3, "{}", run.log);
    assert!(!run.log.contains("init --config"), "{}", run.log);
}

#[test]
fn init_founds_the_cluster_when_none_answers() {
    let run = run_script(&init_spec(None), 1, 1, Cluster::Absent);
    assert_eq!(run.ok, [true], "{}\n{}", run.log, run.stdout);
    let root = run.dir.path().display().to_string();
    let curl = format!("curl https://api.example.com:6443/ --cacert {root}/etc/kubernetes/pki/ca.crt");
    let lines: Vec<&str> = run.log.lines().collect();
    assert_eq!(lines[..5], [curl.as_str(), "sleep 2", curl.as_str(), "sleep 2", curl.as_str()], "{}", run.log);
    assert!(lines[5].starts_with(&format!("init --config {root}/etc/kubeadm/config.yaml ")), "{}", run.log);
    assert!(!run.log.contains("join --config"), "{}", run.log);
    for n in 1..=3 {
        run.printed(&format!(
            "no cluster with this CA at api.example.com:6443 (try {n} of 3): curl: (7) Failed to connect"
        ));
    }
    run.printed("no cluster with this CA answers at api.example.com:6443: founding it (kubeadm init)");
    run.printed("kubeadm init, try 1 of 3");
    assert!(run.dir.path().join("var/lib/kubeadm/bootstrap.done").exists());
}

#[test]
fn init_without_an_endpoint_never_looks_for_a_cluster() {
    let mut s = init_spec(None);
    s.cluster.control_plane_endpoint.clear();
    let script = contents(&rendered(&s), units::BOOTSTRAP_SCRIPT);
    assert!(!script.contains("curl") && !script.contains("ENDPOINT"), "{script}");
    assert!(script.contains("\"$KUBEADM\" init --config \"$CONFIG\""), "{script}");
    let run = run_script(&s, 1, 1, Cluster::Running);
    assert_eq!(run.ok, [true], "{}", run.log);
    assert!(!run.log.contains("curl") && !run.log.contains("join"), "{}", run.log);
    assert_eq!(run.log.matches("init --config").count(), 1, "{}", run.log);
    run.printed(
        "this config has no control_plane_endpoint, so there is no cluster to look for: founding it (kubeadm init)",
    );
}

#[test]
fn init_joins_with_the_node_token_while_it_lives() {
    // A live token: the join uses the rendered config as it is (the token's
    // ttl is an init matter), and the init path still seeds what is left.
    let at = crate::bootstrap::token::format_rfc3339(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let run = run_script(&init_spec(Some(at.clone())), 1, 1, Cluster::Running);
    assert_eq!(run.ok, [true], "{}\n{}", run.log, run.stdout);
    let root = run.dir.path().display().to_string();
    assert!(run.log.contains(&format!("join --config {root}/etc/kubeadm/config.yaml ")), "{}", run.log);
    assert!(!run.dir.path().join("var/lib/kubeadm/kubeadm-init.yaml").exists());
    let run = run_script(&init_spec(Some(at)), 1, 1, Cluster::Absent);
    assert_eq!(run.ok, [true], "{}", run.log);
    assert!(
        run.log.contains(&format!(
            "init --config {root2}/var/lib/kubeadm/kubeadm-init.yaml",
            root2 = run.dir.path().display()
        )),
        "{}",
        run.log
    );

    // An expired one cannot join: the node stops with a reason instead of
    // retrying for half an hour, and never founds a cluster.
    let past = crate::bootstrap::token::format_rfc3339(time::OffsetDateTime::now_utc() - time::Duration::minutes(5));
    let run = run_script(&init_spec(Some(past.clone())), 1, 1, Cluster::Running);
    assert_eq!(run.ok, [false]);
    assert!(!run.log.contains("--config"), "{}", run.log);
    run.printed(&format!(
        "the cluster runs, but the bootstrap token expired at {past}: joining needs a token the cluster still knows"
    ));
    assert!(!run.dir.path().join("var/lib/kubeadm/bootstrap.done").exists());
}

#[test]
fn a_reboot_after_an_interrupted_try_looks_again() {
    // The first boot's join fails every try; the next boot resets and looks
    // again, and founds the cluster when it is gone by then.
    let s = init_spec(None);
    let first = run_script(&s, 99, 1, Cluster::Running);
    assert_eq!(first.ok, [false]);
    assert_eq!(first.log.matches("join --config").count(), 30);
    let root = first.dir.path().to_path_buf();
    let script = root.join("bootstrap.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .env("ROOT", &root)
        .env("LOG", root.join("log2"))
        .env("SUCCEED_ON", "0")
        .env("CLUSTER", "absent")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let log = std::fs::read_to_string(root.join("log2")).unwrap();
    let kinds: Vec<&str> = log.lines().map(|l| l.split(' ').next().unwrap_or("")).collect();
    assert_eq!(kinds, ["reset", "curl", "sleep", "curl", "sleep", "curl", "init"], "{log}");
}

#[test]
fn init_script_is_deterministic_and_names_the_bracketed_endpoint() {
    let mut s = init_spec(None);
    s.cluster.control_plane_endpoint = "fd00::10".into();
    let a = render(&s, &yaml()).unwrap();
    assert_eq!(a, render(&s, &yaml()).unwrap());
    let script = contents(&serde_json::from_str(&a.json).unwrap(), units::BOOTSTRAP_SCRIPT);
    // curl takes brackets literally only with --globoff.
    assert!(script.contains("ENDPOINT=[fd00::10]:6443\n") && script.contains("--globoff"), "{script}");
    // An init config without the JoinConfiguration could not join: refused.
    let without = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";
    assert_eq!(render(&s, without).unwrap_err(), IgnitionError::InitWithoutJoin);
    s.cluster.control_plane_endpoint.clear();
    assert!(render(&s, without).is_ok());
    // Nothing that a shell would read goes into the script.
    s.cluster.control_plane_endpoint = "api$(reboot).example.com".into();
    assert!(matches!(render(&s, &yaml()), Err(IgnitionError::JoinEndpoint { .. })));
}
