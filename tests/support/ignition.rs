//! Shared by the tests that run the real Ignition engine: the `golden`
//! cluster's fixture PKI and node specs, and one engine run (stages
//! `fetch-offline`, `fetch`, `files`) into a scratch root prepared the way an
//! OS image would have it. Included with `#[path]` by each test file, which
//! uses only part of it.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use terraform_provider_kubeadm::bootstrap::fixtures;
use terraform_provider_kubeadm::bootstrap::ignition;
use terraform_provider_kubeadm::bootstrap::kubeadm;
use terraform_provider_kubeadm::bootstrap::node::{
    Artifacts, CaMaterial, ControlPlanePki, FileSpec, NameFrom, NodeOptions, NodeSpec, OperatingSystem, Role, UserSpec,
};
use terraform_provider_kubeadm::bootstrap::pki::{self, KeyAlgorithm};
use terraform_provider_kubeadm::bootstrap::secret::Sensitive;
use time::macros::datetime;
use time::OffsetDateTime;

pub const ENGINE: &str = "/usr/lib/dracut/modules.d/30ignition/ignition";

/// The clock of the fixture PKI: generated at this time, read one day later.
pub const FIXTURE_TIME: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);
pub const TOKEN: &str = "abcdef.0123456789abcdef";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn golden_dir() -> PathBuf {
    repo().join("tests").join("golden")
}

/// `UPDATE_GOLDEN=1`: rewrite the golden files instead of comparing. The
/// rule of `support::switch` (this file is included without `support`): an
/// empty value counts as unset, and under CI a set switch fails the test.
pub fn updating() -> bool {
    let Some(value) = std::env::var("UPDATE_GOLDEN").ok().filter(|v| !v.is_empty()) else { return false };
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(
        !ci,
        "UPDATE_GOLDEN={value} is set under CI: it turns a check into a rewrite, which CI must never do. Unset UPDATE_GOLDEN."
    );
    value == "1"
}

/// The fixture CAs and service-account keys, created on the first
/// `UPDATE_GOLDEN=1` run and committed afterwards (generation is random, so
/// regenerating would change every golden file).
pub fn fixture_pki() -> ControlPlanePki {
    static CREATE: Mutex<()> = Mutex::new(());
    let _once = CREATE.lock().unwrap_or_else(|e| e.into_inner());
    let dir = golden_dir().join("pki");
    if !dir.join("ca.crt").exists() {
        assert!(updating(), "{} is missing; run with UPDATE_GOLDEN=1 to create the fixture PKI", dir.display());
        let made = pki::generate_pki("golden", KeyAlgorithm::EcdsaP256, 3650, FIXTURE_TIME).unwrap();
        for (rel, text) in made.files() {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }
    let d = pki::read_pki_dir(&dir, FIXTURE_TIME + time::Duration::days(1)).unwrap();
    let ca = |p: pki::CaPair| CaMaterial { cert_pem: p.cert_pem, key_pem: p.key_pem };
    ControlPlanePki {
        ca: ca(d.ca),
        front_proxy_ca: ca(d.front_proxy_ca),
        etcd_ca: ca(d.etcd_ca),
        sa_public_pem: d.sa.public_pem,
        sa_private_pem: d.sa.private_pem,
    }
}

/// A node of the `golden` cluster. `artifacts` is given by the caller.
pub fn node_spec(
    role: Role,
    os: OperatingSystem,
    version: &str,
    pki: &ControlPlanePki,
    artifacts: Artifacts,
) -> NodeSpec {
    let mut spec = fixtures::node_spec(role, os, version);
    spec.cluster.name = "golden".into();
    spec.cluster.control_plane_endpoint = "api.golden.example.com:6443".into();
    // Set for every role, as the provider does: workers must not get it.
    spec.pki = Some(pki.clone());
    spec.ca_cert_hashes = vec![pki::ca_cert_hash(&pki.ca.cert_pem).unwrap()];
    spec.bootstrap_token.token = Sensitive::new(TOKEN.into());
    spec.bootstrap_token.description = Some("golden nodes".into());
    spec.bootstrap_token.expires = Some("2026-01-02T00:00:00Z".into());
    spec.node = NodeOptions { name_from: NameFrom::Aws, ..NodeOptions::default() };
    spec.artifacts = artifacts;
    spec.files = vec![FileSpec {
        path: "/etc/golden/motd".into(),
        content: Sensitive::new("welcome to the golden cluster\n".into()),
        mode: 0o640,
        owner: Some("core:core".into()),
        replace_generated: false,
    }];
    spec.pre_kubeadm_commands = vec!["echo pre-kubeadm".into()];
    spec.post_kubeadm_commands = vec!["echo post-kubeadm".into()];
    spec.users = vec![UserSpec {
        name: "core".into(),
        ssh_authorized_keys: vec![
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoldenKeyGoldenKeyGoldenKeyGoldenKey00 ops".into()
        ],
        groups: vec!["wheel".into()],
        ..UserSpec::default()
    }];
    spec.ntp_servers = vec!["169.254.169.123".into()];
    spec
}

pub fn render(spec: &NodeSpec) -> ignition::Rendered {
    let yaml = kubeadm::render(spec).unwrap();
    ignition::render(spec, &yaml).unwrap()
}

/// One run of the Ignition engine over a fresh root.
pub struct EngineRun {
    pub ok: bool,
    pub log: String,
    pub work: tempfile::TempDir,
}

impl EngineRun {
    pub fn root(&self) -> PathBuf {
        self.work.path().join("root")
    }

    /// The log's error lines and the last stage messages, without the config
    /// Ignition dumps on failure and the noise about the missing journal.
    pub fn log_tail(&self) -> String {
        let lines: Vec<&str> = self
            .log
            .lines()
            .filter(|l| !l.contains("journal"))
            .filter(|l| {
                l.starts_with("CRITICAL") || l.starts_with("ERROR") || l.starts_with("WARNING") || l.starts_with("INFO")
            })
            .collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

/// Prepares a root the way the OS image would have it, then applies
/// `config` with the stages `stages` (stopping at the first failure).
pub fn run_engine(config: &str, stages: &[&str]) -> EngineRun {
    assert!(Path::new(ENGINE).exists(), "{ENGINE} is missing; run scripts/install-ignition.sh");
    let uid = Command::new("id").arg("-u").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&uid.stdout).trim(), "0", "the Ignition engine test must run as root");

    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let root = w.join("root");
    for dir in ["bin", "sysconf", "root/etc/selinux", "root/home"] {
        std::fs::create_dir_all(w.join(dir)).unwrap();
    }
    for (name, script) in [("setfiles", "#!/bin/sh\nexit 0\n"), ("systemctl", "#!/bin/sh\nexit 0\n")] {
        let p = w.join("bin").join(name);
        std::fs::write(&p, script).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // Both OSes ship a `core` account and a `wheel` group; Flatcar a `docker` group too.
    let etc = root.join("etc");
    std::fs::write(etc.join("passwd"), "root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:Core:/home/core:/bin/bash\n")
        .unwrap();
    std::fs::write(etc.join("group"), "root:x:0:\nwheel:x:10:core\ndocker:x:233:\ncore:x:500:\n").unwrap();
    std::fs::write(etc.join("shadow"), "root:*:19000:0:99999:7:::\ncore:*:19000:0:99999:7:::\n").unwrap();
    std::fs::write(etc.join("gshadow"), "root:*::\nwheel:*::core\ndocker:!::\ncore:!::\n").unwrap();
    std::fs::create_dir_all(root.join("home/core")).unwrap();
    std::os::unix::fs::chown(root.join("home/core"), Some(500), Some(500)).unwrap();
    std::fs::write(etc.join("selinux/config"), "SELINUXTYPE=stub\n").unwrap();
    let config_path = w.join("config.ign");
    std::fs::write(&config_path, config).unwrap();

    let mut log = String::new();
    for stage in stages {
        let out = Command::new("timeout")
            .args(["30", ENGINE, "-platform", "file", "-stage", stage, "-root"])
            .arg(&root)
            .arg("-config-cache")
            .arg(w.join("config.json"))
            .arg("-state-file")
            .arg(w.join("state"))
            .arg("-neednet")
            .arg(w.join("neednet"))
            .arg("-log-to-stdout")
            .env_clear()
            .env("PATH", format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", w.join("bin").display()))
            .env("TMPDIR", w)
            .env("IGNITION_CONFIG_FILE", &config_path)
            .env("IGNITION_SYSTEM_CONFIG_DIR", w.join("sysconf"))
            .output()
            .unwrap();
        log.push_str(&String::from_utf8_lossy(&out.stdout));
        log.push_str(&String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            return EngineRun { ok: false, log, work };
        }
    }
    EngineRun { ok: true, log, work }
}

pub const ALL_STAGES: [&str; 3] = ["fetch-offline", "fetch", "files"];

pub fn read(root: &Path, path: &str) -> Vec<u8> {
    std::fs::read(root.join(path.trim_start_matches('/'))).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn mode_of(root: &Path, path: &str) -> u32 {
    std::fs::metadata(root.join(path.trim_start_matches('/'))).unwrap().permissions().mode() & 0o7777
}
