//! Real kubeadm as the judge of a rendered kubeadm configuration: the
//! binaries `scripts/install-kubernetes.sh` builds (listed in
//! `.tools/kubernetes/versions.env`), and `kubeadm config validate` run on
//! a config the way the node would hand it to `kubeadm init` or `kubeadm
//! join`, that is with the boot-time placeholders filled in. Included with
//! `#[path]` by each test file, which uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use terraform_provider_kubeadm::bootstrap::kubeadm;

/// What `install-kubernetes.sh` wrote: `KEY=value` lines.
pub fn versions_env() -> BTreeMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/kubernetes/versions.env");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; run `bash scripts/install-kubernetes.sh` (the test command does)", path.display())
    });
    text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect()
}

/// The minor version of `v1.31.4` (31).
pub fn minor_of(version: &str) -> u32 {
    let v = version.trim_start_matches('v');
    let mut parts = v.split('.');
    assert_eq!(parts.next(), Some("1"), "{version}");
    parts.next().and_then(|m| m.parse().ok()).unwrap_or_else(|| panic!("no minor in {version}"))
}

/// Every installed kubeadm by minor version (`KUBEADM_1_<minor>` entries).
pub fn kubeadms() -> BTreeMap<u32, PathBuf> {
    versions_env()
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("KUBEADM_1_")?.parse().ok()?, PathBuf::from(v))))
        .collect()
}

/// The kubeadm that judges a config for Kubernetes `version`: the same minor,
/// or the next one (kubeadm deploys its own minor and the one before). A
/// version no installed kubeadm covers is a test failure, never a skip.
pub fn kubeadm_for(version: &str) -> PathBuf {
    let minor = minor_of(version);
    let all = kubeadms();
    for m in [minor, minor + 1] {
        if let Some(p) = all.get(&m) {
            assert!(p.exists(), "{} is missing; run `bash scripts/install-kubernetes.sh`", p.display());
            return p.clone();
        }
    }
    panic!(
        "no installed kubeadm can judge a Kubernetes {version} config (installed minors: {:?}); \
         add the release to scripts/install-kubernetes.sh",
        all.keys().collect::<Vec<_>>()
    )
}

/// Values for the placeholders the bootstrap script fills in at boot.
pub const BOOT_NODE_NAME: &str = "ip-10-0-1-23.eu-west-1.compute.internal";
pub const BOOT_PROVIDER_ID: &str = "aws:///eu-west-1a/i-0123456789abcdef0";
pub const BOOT_TOKEN_TTL: &str = "86399s";

/// The config as `kubeadm` sees it on the node: placeholders substituted.
pub fn as_booted(yaml: &str) -> String {
    yaml.replace(kubeadm::NODE_NAME_PLACEHOLDER, BOOT_NODE_NAME)
        .replace(kubeadm::PROVIDER_ID_PLACEHOLDER, BOOT_PROVIDER_ID)
        .replace(kubeadm::TOKEN_TTL_PLACEHOLDER, BOOT_TOKEN_TTL)
}

/// Runs `kubeadm config validate` of the release that matches `version` on
/// `yaml` (after the boot-time substitutions). `Err` holds kubeadm's output.
pub fn validate(yaml: &str, version: &str) -> Result<String, String> {
    let kubeadm = kubeadm_for(version);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeadm.yaml");
    std::fs::write(&path, as_booted(yaml)).unwrap();
    let out = Command::new(&kubeadm)
        .args(["config", "validate", "--config"])
        .arg(&path)
        .env("HOME", dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", kubeadm.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{} config validate: {}\n{text}", kubeadm.display(), out.status))
    }
}

/// Asserts that real kubeadm accepts `yaml`, with `ctx` in the message.
pub fn assert_valid(yaml: &str, version: &str, ctx: &str) {
    if let Err(e) = validate(yaml, version) {
        panic!("kubeadm refuses the config of {ctx}:\n{e}\n--- config ---\n{}", redact(yaml));
    }
}

/// The config with the token secret masked, for failure messages.
pub fn redact(yaml: &str) -> String {
    yaml.lines()
        .map(|l| if l.trim_start().starts_with("token:") { "  token: <redacted>" } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The kubeadm YAML inside a rendered Ignition config (`/etc/kubeadm/config.yaml`).
pub fn kubeadm_yaml_of(ignition_json: &str) -> String {
    use base64::Engine as _;
    let v: serde_json::Value = serde_json::from_str(ignition_json).unwrap();
    let files = v["storage"]["files"].as_array().expect("storage.files");
    let f = files
        .iter()
        .find(|f| f["path"] == kubeadm::CONFIG_PATH)
        .unwrap_or_else(|| panic!("no {} in the config", kubeadm::CONFIG_PATH));
    let source = f["contents"]["source"].as_str().unwrap();
    let data = source.strip_prefix("data:;base64,").expect("base64 data URL");
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(data).unwrap()).unwrap()
}
