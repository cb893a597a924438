//! `terraform-provider-kubeadm artifacts build | mirror | upload`, run as a
//! user runs it: the real binary mirrors fake Kubernetes binaries from an
//! HTTP server in this test (laid out like the Kubernetes release bucket, with
//! `.sha256`/`.sha512` files beside them, one of them wrong), builds the
//! version manifest, and uploads it to a directory and to a moto S3 server.
//! Terraform then renders `data "kubeadm_ignition_config"` from those
//! manifests (over HTTP, from a local path with absolute URLs, and from S3),
//! and the rendered Ignition fetches each file with its sha512.

use crate::support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256, Sha512};
use support::hcl::{s3_provider, Node, CA_AND_TOKEN};
use support::{config, provider_binary, run_case, run_case_on, terraforms, Moto, Run, Step};

const VERSION: &str = "v1.31.4";
const CRICTL: &str = "crictl-v1.31.1-linux-amd64.tar.gz";

fn sha512(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Deterministic bytes that look like nothing in particular; `len` above the
/// tool's read buffer so downloads and hashing take several pieces.
fn fake_binary(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut block = Sha512::digest(seed.as_bytes());
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha512::digest(block);
    }
    out.truncate(len);
    out
}

/// A small HTTP/1.1 server on loopback: fixed paths, plus directories served
/// under a path prefix. Records every request path.
struct Upstream {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Upstream {
    fn start(files: BTreeMap<String, Vec<u8>>, dirs: Vec<(String, PathBuf)>) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let files = Arc::new(files);
        let dirs = Arc::new(dirs);
        let log2 = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (files, dirs, log) = (files.clone(), dirs.clone(), log2.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                    let mut request = String::new();
                    if reader.read_line(&mut request).is_err() {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        match reader.read_line(&mut header) {
                            Ok(0) | Err(_) => break,
                            Ok(_) if header == "\r\n" || header == "\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let mut parts = request.split_whitespace();
                    let method = parts.next().unwrap_or("").to_string();
                    let path = parts.next().unwrap_or("").to_string();
                    log.lock().unwrap().push(path.clone());
                    let body = files.get(&path).cloned().or_else(|| {
                        dirs.iter().find_map(|(prefix, dir)| {
                            let rel = path.strip_prefix(prefix.as_str())?;
                            if rel.split('/').any(|s| s == "..") {
                                return None;
                            }
                            std::fs::read(dir.join(rel)).ok()
                        })
                    });
                    let mut stream = stream;
                    let (status, body) = match body {
                        Some(b) => ("200 OK", b),
                        None => ("404 Not Found", b"not found\n".to_vec()),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes());
                    if method != "HEAD" {
                        let _ = stream.write_all(&body);
                    }
                    let _ = stream.flush();
                });
            }
        });
        Upstream { port, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn clear(&self) {
        self.log.lock().unwrap().clear();
    }
}

/// File name → contents.
type Bins = BTreeMap<&'static str, Vec<u8>>;

/// The fake release: v1.31.4 with good checksums (kubeadm and kubelet with
/// `.sha256` in the two forms sha256sum and the Kubernetes bucket write,
/// kubectl with `.sha512`), crictl in another place, and v1.31.5 whose
/// kubelet checksum is wrong.
fn release() -> (BTreeMap<String, Vec<u8>>, Bins) {
    let mut bins = BTreeMap::new();
    bins.insert("kubeadm", fake_binary("kubeadm", 300_000));
    bins.insert("kubelet", fake_binary("kubelet", 700_000));
    bins.insert("kubectl", fake_binary("kubectl", 200_000));
    bins.insert(CRICTL, fake_binary("crictl", 50_000));
    let mut files = BTreeMap::new();
    for version in [VERSION, "v1.31.5"] {
        let base = format!("/release/{version}/bin/linux/amd64");
        for name in ["kubeadm", "kubelet", "kubectl"] {
            files.insert(format!("{base}/{name}"), bins[name].clone());
        }
        files.insert(format!("{base}/kubeadm.sha256"), format!("{}  kubeadm\n", sha256(&bins["kubeadm"])).into_bytes());
        let kubelet_sum = if version == VERSION { sha256(&bins["kubelet"]) } else { sha256(b"something else") };
        files.insert(format!("{base}/kubelet.sha256"), format!("{kubelet_sum}\n").into_bytes());
        files.insert(format!("{base}/kubectl.sha512"), sha512(&bins["kubectl"]).into_bytes());
    }
    files.insert(format!("/cri/{CRICTL}"), bins[CRICTL].clone());
    files.insert(format!("/cri/{CRICTL}.sha256"), format!("{}  {CRICTL}\n", sha256(&bins[CRICTL])).into_bytes());
    // The same archive where nothing publishes its checksum.
    files.insert(format!("/unsigned/{CRICTL}"), bins[CRICTL].clone());
    (files, bins)
}

fn tool(args: &[&str], env: &[(String, String)]) -> Run {
    let mut cmd = Command::new(provider_binary());
    cmd.arg("artifacts").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the provider binary");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn tool_ok(args: &[&str], env: &[(String, String)]) -> Run {
    let r = tool(args, env);
    assert_eq!(r.code, 0, "artifacts {} failed:\n{}", args.join(" "), r.combined());
    r
}

fn read_manifest(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("manifest is JSON")
}

fn entry<'a>(manifest: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    manifest["files"].as_array().into_iter().flatten().find(|f| f["name"] == name).unwrap_or_else(|| {
        panic!("the manifest lists no {name}: {manifest:#}");
    })
}

fn worker(name: &str, manifest_url: &str) -> String {
    Node::data(name, "worker")
        .attr("name", format!("{name:?}"))
        .cluster("kubernetes_version", format!("{VERSION:?}"))
        .block(format!(
            "kubernetes_artifacts {{\n    source       = \"manifest\"\n    manifest_url = \"{manifest_url}\"\n  }}"
        ))
        .to_string()
}

/// The rendered config of a data source fetches each file from `url_of(file)`
/// and checks it against the sha512 of `bins[file]`.
fn check_rendered(
    s: &support::State,
    address: &str,
    bins: &Bins,
    url_of: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    let rendered = s.str(address, "rendered");
    let json: serde_json::Value = serde_json::from_str(&rendered).map_err(|e| format!("{address}: {e}"))?;
    let files = json["storage"]["files"].as_array().cloned().unwrap_or_default();
    for (file, path) in [
        ("kubeadm", "/opt/bin/kubeadm".to_string()),
        ("kubelet", "/opt/bin/kubelet".to_string()),
        ("kubectl", "/opt/bin/kubectl".to_string()),
        (CRICTL, format!("/opt/kubeadm/artifacts/{CRICTL}")),
    ] {
        let f = files
            .iter()
            .find(|f| f["path"] == path.as_str())
            .ok_or_else(|| format!("{address}: no file {path} in the rendered config"))?;
        let want_url = url_of(file);
        if f["contents"]["source"] != want_url.as_str() {
            return Err(format!("{address}: {path} comes from {}, want {want_url}", f["contents"]["source"]));
        }
        let want_hash = format!("sha512-{}", sha512(&bins[file]));
        if f["contents"]["verification"]["hash"] != want_hash.as_str() {
            return Err(format!("{address}: {path} hash {}, want {want_hash}", f["contents"]["verification"]["hash"]));
        }
    }
    Ok(())
}

#[test]
fn mirror_build_and_render_through_terraform() {
    let (files, bins) = release();
    let root = tempfile::tempdir().expect("temp dir");
    let mirror_root = root.path().join("mirror");
    let up = Upstream::start(files, vec![("/mirror/".into(), mirror_root.clone())]);
    let dir = mirror_root.join(VERSION);
    let dir_s = dir.display().to_string();
    let crictl_arg = format!("{CRICTL}={}", up.url(&format!("/cri/{CRICTL}")));
    let from = up.url("/release/");
    let mirror_args = ["mirror", "--version", VERSION, "--from", &from, "--dir", &dir_s, "--file", &crictl_arg];

    let run = tool_ok(&mirror_args, &[]);
    for line in [
        "kubeadm: 300000 bytes",
        "sha256 verified against",
        "kubectl: 200000 bytes",
        "sha512 verified against",
        "manifest.json for Kubernetes v1.31.4",
    ] {
        assert!(run.stdout.contains(line), "output lacks {line:?}:\n{}", run.stdout);
    }
    // The Kubernetes release layout, with the stronger checksum asked first.
    let asked = up.requests();
    for path in [
        "/release/v1.31.4/bin/linux/amd64/kubeadm.sha512",
        "/release/v1.31.4/bin/linux/amd64/kubeadm.sha256",
        "/release/v1.31.4/bin/linux/amd64/kubeadm",
        "/release/v1.31.4/bin/linux/amd64/kubectl.sha512",
        "/cri/crictl-v1.31.1-linux-amd64.tar.gz.sha256",
    ] {
        assert!(asked.iter().any(|a| a == path), "{path} was not requested: {asked:?}");
    }

    // The files are the upstream's, binaries executable.
    use std::os::unix::fs::PermissionsExt;
    for (name, bytes) in &bins {
        let path = dir.join(name);
        assert!(std::fs::read(&path).expect("mirrored file") == *bytes, "{name} differs from the upstream");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, if name.ends_with(".tar.gz") { 0o644 } else { 0o755 }, "{name}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    let m = read_manifest(&dir.join("manifest.json"));
    assert_eq!(m["kubernetesVersion"], VERSION);
    assert_eq!(m["files"].as_array().map(Vec::len), Some(4), "{m:#}");
    for name in ["kubeadm", "kubelet", "kubectl"] {
        let e = entry(&m, name);
        assert_eq!(e["url"], name, "relative to the manifest");
        assert_eq!(e["sha512"], sha512(&bins[name]).as_str(), "{name}");
        assert!(e.get("archive").is_none() && e.get("extractTo").is_none(), "{e}");
    }
    let c = entry(&m, "crictl");
    assert_eq!((&c["url"], &c["archive"]), (&serde_json::json!(CRICTL), &serde_json::json!(true)));
    assert_eq!(c["sha512"], sha512(&bins[CRICTL]).as_str());

    // A second run finds everything in place and downloads nothing again.
    up.clear();
    let again = tool_ok(&mirror_args, &[]);
    assert_eq!(again.stdout.matches("already in place").count(), 4, "{}", again.stdout);
    let asked = up.requests();
    assert!(!asked.iter().any(|a| a.ends_with("/kubelet")), "downloaded again: {asked:?}");

    // The same directory described with absolute URLs, the manifest elsewhere.
    let abs_manifest = root.path().join("local").join("manifest.json");
    let base = up.url(&format!("/mirror/{VERSION}"));
    tool_ok(
        &[
            "build",
            "--version",
            VERSION,
            "--dir",
            &dir_s,
            "--base-url",
            &base,
            "--out",
            &abs_manifest.display().to_string(),
        ],
        &[],
    );
    let am = read_manifest(&abs_manifest);
    assert_eq!(entry(&am, "kubelet")["url"], format!("{base}/kubelet").as_str());
    assert_eq!(entry(&am, "kubelet")["sha512"], sha512(&bins["kubelet"]).as_str());

    // Terraform renders both: the manifest over HTTP with relative URLs, and
    // the local one with absolute URLs.
    let http_manifest = up.url(&format!("/mirror/{VERSION}/manifest.json"));
    let body = format!(
        "{CA_AND_TOKEN}\n{}\n{}",
        worker("over_http", &http_manifest),
        worker("local", &abs_manifest.display().to_string())
    );
    let bins = Arc::new(bins);
    let (b1, b2) = (bins.clone(), bins.clone());
    let (base1, base2) = (base.clone(), base.clone());
    run_case(
        "artifacts manifests render",
        &[Step::config(config(&body))
            .check(move |s| {
                check_rendered(s, "data.kubeadm_ignition_config.over_http", &b1, &|f| format!("{base1}/{f}"))
            })
            .check(move |s| check_rendered(s, "data.kubeadm_ignition_config.local", &b2, &|f| format!("{base2}/{f}")))],
    );
}

#[test]
fn wrong_or_missing_upstream_files_fail_clearly() {
    let (files, _) = release();
    let up = Upstream::start(files, vec![]);
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("v1.31.5");
    let dir_s = dir.display().to_string();
    let from = up.url("/release");

    let r = tool(&["mirror", "--version", "v1.31.5", "--from", &from, "--dir", &dir_s], &[]);
    assert_eq!(r.code, 1, "a wrong checksum must fail:\n{}", r.combined());
    let flat = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "checksum mismatch for kubelet",
        &format!("{from}/v1.31.5/bin/linux/amd64/kubelet.sha256 says sha256 {}", sha256(b"something else")),
        "it was not kept",
    ] {
        assert!(flat.contains(needle), "stderr lacks {needle:?}:\n{}", r.stderr);
    }
    assert!(!dir.join("kubelet").exists(), "the corrupt kubelet was kept");
    assert!(!dir.join("manifest.json").exists(), "a manifest was written for a failed mirror");
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("kubeadm")], "only the verified kubeadm stays");

    // A file the upstream does not have.
    let r = tool(
        &["mirror", "--version", "v1.31.4", "--from", &from, "--dir", &dir_s, "--names", "kubeadm,kube-nope"],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.combined());
    assert!(r.stderr.contains("kube-nope failed: not found (404)"), "{}", r.stderr);

    // Checksums required but not published.
    let r = tool(
        &[
            "mirror",
            "--version",
            "v1.31.4",
            "--from",
            &from,
            "--dir",
            &dir_s,
            "--file",
            &format!("{CRICTL}={}", up.url(&format!("/unsigned/{CRICTL}"))),
            "--names",
            "kubeadm,kubelet",
            "--require-checksums",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.combined());
    assert!(r.stderr.contains("--require-checksums"), "{}", r.stderr);

    // Command lines that cannot work: exit 2 with the usage.
    for (args, needle) in [
        (vec!["mirror", "--from", from.as_str(), "--dir", dir_s.as_str()], "--version is required"),
        (vec!["build", "--version", "v1.31.4"], "--dir is required"),
        (vec!["build", "--version", "1.31", "--dir", dir_s.as_str()], "invalid Kubernetes version"),
        (vec!["build", "--version", "v1.31.4", "--dir", dir_s.as_str(), "--bogus"], "unknown option --bogus"),
        (vec!["upload", "--dir", dir_s.as_str()], "--to is required"),
        (vec!["publish"], "unknown artifacts command"),
    ] {
        let r = tool(&args, &[]);
        assert_eq!(r.code, 2, "{args:?}:\n{}", r.combined());
        assert!(r.stderr.contains(needle) && r.stderr.contains("usage:"), "{args:?}: {}", r.stderr);
    }
    // Values that cannot work: exit 1 with what to do.
    for (args, needle) in [
        (
            vec!["build", "--version", "v1.31.4", "--dir", dir_s.as_str(), "--names", "../kubeadm"],
            "not a plain file name",
        ),
        (vec!["build", "--version", "v1.31.4", "--dir", dir_s.as_str()], "has no file \"kubectl\""),
        (
            vec![
                "mirror",
                "--version",
                "v1.31.4",
                "--from",
                &from,
                "--dir",
                dir_s.as_str(),
                "--url-template",
                "{base}/{ver}/{name}",
            ],
            "{ver}",
        ),
    ] {
        let r = tool(&args, &[]);
        assert_eq!(r.code, 1, "{args:?}:\n{}", r.combined());
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
    let help = tool(&["--help"], &[]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("artifacts mirror"), "{}", help.stdout);
}

/// A directory of binaries the way a user has them, with the manifest built.
fn built_dir(root: &Path) -> (PathBuf, Bins) {
    let dir = root.join("k8s").join(VERSION);
    std::fs::create_dir_all(&dir).unwrap();
    let (_, bins) = release();
    for (name, bytes) in &bins {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    std::fs::write(dir.join("NOTES.txt"), "not an artifact").unwrap();
    let r = tool_ok(&["build", "--version", VERSION, "--dir", &dir.display().to_string()], &[]);
    assert!(r.stdout.contains("skipped NOTES.txt"), "{}", r.stdout);
    (dir, bins)
}

#[test]
fn upload_to_a_directory() {
    let root = tempfile::tempdir().expect("temp dir");
    let (dir, bins) = built_dir(root.path());
    let dest = root.path().join("www").join("k8s").join(VERSION);
    let dir_s = dir.display().to_string();
    let r = tool_ok(&["upload", "--dir", &dir_s, "--to", &dest.display().to_string()], &[]);
    let manifest_path = dest.join("manifest.json");
    assert!(r.stdout.contains(&format!("manifest_url = \"{}\"", manifest_path.display())), "{}", r.stdout);
    for (name, bytes) in &bins {
        assert!(std::fs::read(dest.join(name)).expect("uploaded") == *bytes, "{name}");
    }
    assert!(!dest.join("NOTES.txt").exists(), "only what the manifest lists is uploaded");
    assert_eq!(std::fs::read(&manifest_path).unwrap(), std::fs::read(dir.join("manifest.json")).unwrap());

    // A file changed after the build is refused before anything is written.
    std::fs::write(dir.join("kubectl"), b"changed").unwrap();
    let other = root.path().join("www2");
    let r = tool(&["upload", "--dir", &dir_s, "--to", &other.display().to_string()], &[]);
    assert_eq!(r.code, 1, "{}", r.combined());
    assert!(r.stderr.contains("changed after the manifest was built"), "{}", r.stderr);
    assert!(!other.exists(), "something was written: {:?}", std::fs::read_dir(&other).map(|d| d.count()));
}

#[test]
fn upload_to_s3_and_render_from_there() {
    let moto = Moto::start();
    moto.boto3("s3.create_bucket(Bucket='artifacts')\ns3.create_bucket(Bucket='cfg')");
    let root = tempfile::tempdir().expect("temp dir");
    let (dir, bins) = built_dir(root.path());
    let r = tool_ok(
        &[
            "upload",
            "--dir",
            &dir.display().to_string(),
            "--to",
            "s3://artifacts/k8s/v1.31.4/",
            "--endpoint",
            &moto.endpoint(),
            "--path-style",
            "--region",
            "us-east-1",
        ],
        &moto.provider_env(),
    );
    assert!(r.stdout.contains("manifest_url = \"s3://artifacts/k8s/v1.31.4/manifest.json\""), "{}", r.stdout);
    let listed = moto.boto3(
        "import hashlib\nfor o in s3.list_objects_v2(Bucket='artifacts')['Contents']:\n    b = s3.get_object(Bucket='artifacts', Key=o['Key'])['Body'].read()\n    print(o['Key'], hashlib.sha512(b).hexdigest())",
    );
    let listed: BTreeMap<&str, &str> = listed.lines().filter_map(|l| l.split_once(' ')).collect();
    for (name, bytes) in &bins {
        let key = format!("k8s/v1.31.4/{name}");
        assert_eq!(listed.get(key.as_str()).copied(), Some(sha512(bytes).as_str()), "{key}: {listed:?}");
    }
    assert!(listed.contains_key("k8s/v1.31.4/manifest.json"), "{listed:?}");
    assert_eq!(listed.len(), bins.len() + 1, "{listed:?}");

    let body = format!(
        "{}{CA_AND_TOKEN}{}",
        s3_provider("cfg", &moto.endpoint(), &[]),
        worker("from_s3", "s3://artifacts/k8s/v1.31.4/manifest.json")
    );
    let tf = terraforms().into_iter().last().expect("a terraform");
    run_case_on(
        "artifacts uploaded to S3 render",
        &tf,
        &[Step::config(config(&body)).check(move |s| {
            check_rendered(s, "data.kubeadm_ignition_config.from_s3", &bins, &|f| {
                format!("s3://artifacts/k8s/v1.31.4/{f}")
            })
        })],
        &moto.provider_env(),
    );
}
