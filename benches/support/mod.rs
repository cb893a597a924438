//! Helpers shared by the system benches (`s3`, `plugin`, `e2e`): statistics,
//! the tools directory, and a local moto S3 server.
//!
//! Included with `#[path = "support/mod.rs"] mod support;`; not every bench
//! uses every helper.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `KUBEADM_TOOLS_DIR`, default `<repo>/.tools` (where the install scripts put things).
pub fn tools_dir() -> PathBuf {
    std::env::var_os("KUBEADM_TOOLS_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".tools"))
}

/// The first executable called `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|p| p.is_file()))
}

/// The median of `v` (sorted in place); zero for an empty slice.
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The `p`-th percentile (0..=100, nearest rank) of `v` (sorted in place).
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A free loopback TCP port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Where a moto server comes from: `MOTO_SERVER`, PATH, or the venv
/// `scripts/install-moto.sh` makes.
pub fn moto_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(p);
    }
    if let Some(p) = on_path("moto_server") {
        return p;
    }
    for p in [tools_dir().join("bin/moto_server"), tools_dir().join("venv-moto/bin/moto_server")] {
        if p.is_file() {
            return p;
        }
    }
    panic!("moto_server not found: run scripts/install-moto.sh (or set MOTO_SERVER)")
}

/// An S3 endpoint for a bench: the one in `KUBEADM_BENCH_S3_ENDPOINT` (a
/// server started by scripts/bench.sh), else a moto server of its own,
/// stopped on drop.
pub struct S3Server {
    child: Option<Child>,
    pub endpoint: String,
}

impl S3Server {
    pub fn start() -> S3Server {
        if let Ok(endpoint) = std::env::var("KUBEADM_BENCH_S3_ENDPOINT") {
            return S3Server { child: None, endpoint };
        }
        let port = free_port();
        let child = Command::new(moto_binary())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen on port {port} within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        S3Server { child: Some(child), endpoint: format!("http://127.0.0.1:{port}") }
    }

    /// Creates a bucket (moto accepts unsigned requests); an existing one is fine.
    pub fn create_bucket(&self, bucket: &str) {
        let url = format!("{}/{bucket}", self.endpoint);
        match ureq::put(&url).send_empty() {
            Ok(_) => {}
            Err(ureq::Error::StatusCode(409)) => {}
            Err(e) => panic!("create bucket {bucket} at {url}: {e}"),
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Removes and recreates a directory.
pub fn fresh_dir(dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("create directory");
    dir.to_path_buf()
}
