//! Release packaging: `scripts/release.sh` builds the release binary (`cargo
//! build --release --locked`, incremental, so the binary packaged is always
//! the one of this checkout) and writes the registry's files (zip,
//! SHA256SUMS, manifest);
//! `scripts/install-mirror.sh` lays the zip out as a packed filesystem
//! mirror, under Terraform's and OpenTofu's registry hosts. Every Terraform
//! and OpenTofu found installs the provider from that mirror with the network
//! blocked (`terraform init` / `tofu init` offline), applies a bootstrap token, and records in
//! `.terraform.lock.hcl` the `h1:` hash this test computes on its own from the
//! zip's contents; a lock pinned to the release's `zh:` hash (the zip's
//! sha256 from SHA256SUMS) installs, a wrong one is refused.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use sha2::{Digest, Sha256};
use support::{repo_root, terraforms, Run, WorkDir};

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// 2023-11-14 22:13:20 UTC: an even second, as zip time stamps need.
const EPOCH: &str = "1700000000";
const MANIFEST: &str = r#"{"version": 1, "metadata": {"protocol_versions": ["6.0"]}}"#;

fn platform() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "linux_amd64",
        "aarch64" => "linux_arm64",
        other => panic!("no release platform for {other}"),
    }
}

fn zip_name() -> String {
    format!("terraform-provider-kubeadm_{VERSION}_{}.zip", platform())
}

fn binary_name() -> String {
    format!("terraform-provider-kubeadm_v{VERSION}")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Runs a script of the repository with a clean idea of where cargo builds.
fn script(name: &str, args: &[&Path], env: &[(&str, &str)]) -> Run {
    let root = repo_root();
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("scripts").join(name))
        .args(args)
        .current_dir(&root)
        .env("CARGO", env!("CARGO"))
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env_remove("GPG_FINGERPRINT")
        .env_remove("RELEASE_ZIP");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run bash");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn script_ok(name: &str, args: &[&Path], env: &[(&str, &str)]) -> Run {
    let r = script(name, args, env);
    assert_eq!(r.code, 0, "scripts/{name} failed:\n{}", r.combined());
    r
}

/// One zip entry as Python's zipfile reads it.
#[derive(Debug)]
struct Entry {
    name: String,
    mode: u32,
    unix: bool,
    date_time: Vec<u64>,
}

/// Lists the zip and extracts it into `into` with Python's zipfile, a reader
/// independent of the one that wrote it (Info-ZIP, or zipfile's writer).
fn unzip(zip: &Path, into: &Path) -> Vec<Entry> {
    let code = r#"
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad is not None:
        sys.exit("corrupt entry " + bad)
    z.extractall(sys.argv[2])
    print(json.dumps([{"name": i.filename, "mode": i.external_attr >> 16, "unix": i.create_system == 3,
                       "date_time": list(i.date_time)} for i in z.infolist()]))
"#;
    let out = Command::new("python3").arg("-c").arg(code).arg(zip).arg(into).output().expect("python3");
    assert!(out.status.success(), "cannot read {}: {}", zip.display(), String::from_utf8_lossy(&out.stderr));
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).expect("zip listing");
    listing
        .as_array()
        .expect("array")
        .iter()
        .map(|e| Entry {
            name: e["name"].as_str().unwrap_or_default().to_string(),
            mode: e["mode"].as_u64().unwrap_or(0) as u32,
            unix: e["unix"].as_bool().unwrap_or(false),
            date_time: e["date_time"].as_array().expect("date_time").iter().filter_map(|n| n.as_u64()).collect(),
        })
        .collect()
}

/// Terraform's "h1" package hash (Go's dirhash.Hash1): for every file under
/// `dir`, sorted by `/`-separated relative name, the line
/// `hex(sha256(contents)) + "  " + name + "\n"`; then `h1:` and the base64 of
/// the sha256 of all lines.
fn h1_of_dir(dir: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("relative").to_string_lossy().replace('\\', "/");
                out.insert(rel, path);
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    assert!(!files.is_empty(), "nothing under {}", dir.display());
    let mut summary = String::new();
    for (name, path) in files {
        let bytes = std::fs::read(&path).expect("read file");
        summary.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
    }
    format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes())))
}

/// Checks OUT_DIR: the files, SHA256SUMS against the bytes, the manifest and
/// the zip (one executable entry holding the release binary). Returns the
/// zip's sha256 and its h1 hash.
fn check_dist(out: &Path, release_binary: &[u8]) -> (String, String) {
    let sums_name = format!("terraform-provider-kubeadm_{VERSION}_SHA256SUMS");
    let manifest_name = format!("terraform-provider-kubeadm_{VERSION}_manifest.json");
    for f in [zip_name(), sums_name.clone(), manifest_name.clone(), "terraform-registry-manifest.json".into()] {
        assert!(out.join(&f).is_file(), "{} is missing from {}", f, out.display());
    }

    for f in [&manifest_name, "terraform-registry-manifest.json"] {
        let text = std::fs::read_to_string(out.join(f)).expect("manifest");
        assert_eq!(text.trim_end(), MANIFEST, "{f}");
        let json: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
        assert_eq!(json, serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}}));
    }

    let sums = std::fs::read_to_string(out.join(&sums_name)).expect("SHA256SUMS");
    let mut listed = Vec::new();
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").unwrap_or_else(|| panic!("not a sha256sum line: {line:?}"));
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{line:?}");
        let bytes = std::fs::read(out.join(name)).unwrap_or_else(|e| panic!("{name} listed but unreadable: {e}"));
        assert_eq!(hash, sha256_hex(&bytes), "SHA256SUMS is wrong for {name}");
        listed.push(name.to_string());
    }
    let mut want = vec![zip_name(), manifest_name];
    want.sort();
    assert_eq!(listed, want, "SHA256SUMS lists exactly the zip and the manifest, sorted");
    // The format is the one `sha256sum -c` reads.
    let check = Command::new("sha256sum").args(["-c", "--strict", &sums_name]).current_dir(out).output();
    if let Ok(check) = check {
        assert!(check.status.success(), "sha256sum -c: {}", String::from_utf8_lossy(&check.stdout));
    }

    let zip = std::fs::read(out.join(zip_name())).expect("zip");
    let extracted = tempfile::tempdir().expect("temp dir");
    let entries = unzip(&out.join(zip_name()), extracted.path());
    assert_eq!(entries.len(), 1, "one entry: {entries:?}");
    let e = &entries[0];
    assert_eq!(e.name, binary_name());
    assert!(e.unix, "the entry must carry Unix attributes so its mode is honoured");
    assert_eq!(e.mode, 0o100755, "mode {:o}", e.mode);
    assert_eq!(e.date_time, vec![2023, 11, 14, 22, 13, 20], "the time stamp comes from SOURCE_DATE_EPOCH");
    let inside = std::fs::read(extracted.path().join(binary_name())).expect("extracted binary");
    assert!(inside == release_binary, "the zip must hold target/release/terraform-provider-kubeadm");
    (sha256_hex(&zip), h1_of_dir(extracted.path()))
}

/// The hashes `.terraform.lock.hcl` records for the provider, under the
/// address the CLI gives `kubeadm-ignition/kubeadm` (OpenTofu's registry
/// host on OpenTofu).
fn lock_hashes(wd: &WorkDir) -> Vec<String> {
    let lock = std::fs::read_to_string(wd.path().join(".terraform.lock.hcl")).expect("lock file");
    assert!(lock.contains(&format!("provider \"{}\"", wd.tf.provider_address())), "{lock}");
    assert!(lock.contains(&format!("version     = \"{VERSION}\"")), "{lock}");
    lock.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix('"').and_then(|l| l.strip_suffix("\",")))
        .filter(|h| h.starts_with("h1:") || h.starts_with("zh:"))
        .map(str::to_string)
        .collect()
}

fn pinned_lock(tf: &support::Terraform, hash: &str) -> String {
    format!(
        "provider \"{}\" {{\n  version     = \"{VERSION}\"\n  constraints = \"{VERSION}\"\n  hashes = [\n    \"{hash}\",\n  ]\n}}\n",
        tf.provider_address()
    )
}

/// A working directory whose Terraform installs only from `mirror` and
/// cannot reach any network (every proxy points at a closed port).
fn offline_workdir(tf: &support::Terraform, mirror: &Path) -> WorkDir {
    let mut wd = WorkDir::new(tf);
    let cli = wd.path().join("mirror.tfrc");
    std::fs::write(
        &cli,
        format!("provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n", mirror.display()),
    )
    .expect("cli config");
    wd.env.push(("TF_CLI_CONFIG_FILE".into(), cli.display().to_string()));
    for k in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        wd.env.push((k.into(), "http://127.0.0.1:9".into()));
    }
    wd.write_config(&format!(
        r#"terraform {{
  required_providers {{
    kubeadm = {{
      source  = "kubeadm-ignition/kubeadm"
      version = "{VERSION}"
    }}
  }}
}}

resource "kubeadm_bootstrap_token" "nodes" {{
  ttl = "1h"
}}

output "token_id" {{
  value = kubeadm_bootstrap_token.nodes.token_id
}}
"#
    ));
    wd
}

#[test]
fn release_zip_installs_from_a_packed_mirror_on_every_terraform() {
    let tfs = terraforms();
    let dist = tempfile::tempdir().expect("temp dir");
    let out = dist.path().join("dist");
    let mirror = dist.path().join("mirror");

    // The script builds the release binary in the crate's target directory,
    // always: a binary left there by an earlier checkout would be packaged
    // stale. The build is incremental (seconds when nothing changed; the
    // crate alone after a source change).
    let binary = repo_root().join("target/release/terraform-provider-kubeadm");
    let args = [Path::new("--install-mirror"), mirror.as_path(), out.as_path()];
    let run = script_ok("release.sh", &args, &[]);
    assert!(run.stdout.contains(&zip_name()), "{}", run.stdout);
    let release_binary = std::fs::read(&binary).expect("the release binary");
    let (zh, h1) = check_dist(&out, &release_binary);

    // The same zip under each registry host: Terraform's and OpenTofu's.
    for host in ["registry.terraform.io", "registry.opentofu.org"] {
        let packed = mirror.join(host).join("kubeadm-ignition/kubeadm").join(zip_name());
        assert_eq!(sha256_hex(&std::fs::read(&packed).expect("the packed mirror holds the zip")), zh, "{host}");
    }

    // Same binary, same epoch: the same bytes.
    let again = dist.path().join("again");
    script_ok("release.sh", &[Path::new("--no-build"), again.as_path()], &[]);
    assert_eq!(sha256_hex(&std::fs::read(again.join(zip_name())).expect("zip")), zh, "the zip is not reproducible");

    // Python's zipfile writes another zip with the same contents, mode and time.
    let py = dist.path().join("python");
    script_ok("release.sh", &[Path::new("--no-build"), py.as_path()], &[("RELEASE_ZIP", "python")]);
    let (py_zh, py_h1) = check_dist(&py, &release_binary);
    assert_eq!(py_h1, h1, "the same contents give the same h1 hash");
    let py_mirror = dist.path().join("py-mirror");
    let installed = script_ok("install-mirror.sh", &[py.as_path(), py_mirror.as_path()], &[]);
    assert!(installed.stdout.contains("filesystem_mirror"), "{}", installed.stdout);
    assert!(installed.stdout.contains("registry.opentofu.org/kubeadm-ignition/*"), "{}", installed.stdout);

    // A zip changed after the release is refused.
    let tampered = dist.path().join("tampered");
    std::fs::create_dir(&tampered).expect("mkdir");
    for entry in std::fs::read_dir(&out).expect("dist").flatten() {
        std::fs::copy(entry.path(), tampered.join(entry.file_name())).expect("copy");
    }
    let mut bytes = std::fs::read(tampered.join(zip_name())).expect("zip");
    bytes.extend_from_slice(b"tampered");
    std::fs::write(tampered.join(zip_name()), bytes).expect("write");
    let refused = script("install-mirror.sh", &[tampered.as_path(), dist.path().join("bad-mirror").as_path()], &[]);
    assert_ne!(refused.code, 0, "a tampered zip was installed:\n{}", refused.combined());
    assert!(refused.stderr.contains("the file changed after the release"), "{}", refused.stderr);
    assert!(!dist.path().join("bad-mirror/registry.terraform.io/kubeadm-ignition/kubeadm").join(zip_name()).exists());

    for tf in &tfs {
        // A fresh init records the package's h1 hash.
        let wd = offline_workdir(tf, &mirror);
        wd.ok_direct(&["init", "-input=false", "-no-color"]);
        let hashes = lock_hashes(&wd);
        assert!(hashes.contains(&h1), "{}: lock hashes {hashes:?} lack {h1}", tf.label());

        // A lock pinned to the release's zh: hash (SHA256SUMS) accepts the zip
        // and gains the h1 hash; then the provider Terraform started applies.
        std::fs::remove_dir_all(wd.path().join(".terraform")).expect("remove .terraform");
        std::fs::write(wd.path().join(".terraform.lock.hcl"), pinned_lock(tf, &format!("zh:{zh}"))).expect("lock");
        wd.ok_direct(&["init", "-input=false", "-no-color"]);
        let hashes = lock_hashes(&wd);
        assert!(hashes.contains(&format!("zh:{zh}")), "{}: {hashes:?}", tf.label());
        assert!(hashes.contains(&h1), "{}: {hashes:?} lack {h1}", tf.label());
        wd.ok_direct(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let token_id = wd.ok_direct(&["output", "-raw", "token_id"]).stdout;
        assert!(
            token_id.len() == 6 && token_id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "Terraform {}: token_id {token_id:?}",
            tf.version
        );
        wd.ok_direct(&["destroy", "-auto-approve", "-input=false", "-no-color"]);

        // A lock pinned to another zip refuses this one.
        let wrong = offline_workdir(tf, &mirror);
        std::fs::write(wrong.path().join(".terraform.lock.hcl"), pinned_lock(tf, &format!("zh:{}", "0".repeat(64))))
            .expect("lock");
        let r = wrong.run_direct(&["init", "-input=false", "-no-color"]);
        assert_ne!(r.code, 0, "{}: a wrong zh: hash was accepted", tf.label());
        let flat = r.combined().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("doesn't match any of the checksums"), "{}: {flat}", tf.label());
    }

    // The zip Python wrote installs too (its zh: differs, its h1: does not).
    let newest = tfs.last().expect("a terraform");
    let wd = offline_workdir(newest, &py_mirror);
    std::fs::write(wd.path().join(".terraform.lock.hcl"), pinned_lock(newest, &format!("zh:{py_zh}"))).expect("lock");
    wd.ok_direct(&["init", "-input=false", "-no-color"]);
    assert!(lock_hashes(&wd).contains(&h1));
    wd.ok_direct(&["plan", "-input=false", "-no-color"]);
}
