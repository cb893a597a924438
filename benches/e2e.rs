//! End to end with real Terraform, side by side in one run: `terraform
//! apply` from an empty state and `terraform plan` with state present (with
//! refresh) for N `kubeadm_ignition_config` workers (plus one
//! `kubeadm_cluster_ca` with ECDSA-P256 and one `kubeadm_bootstrap_token`) on
//! the local store and on the S3 store (a local moto server), against N
//! `terraform_data` resources (the floor: Terraform alone) and N
//! `aws_s3_object` resources of the real `hashicorp/aws` provider writing
//! objects of the same size to the same server. Every Terraform command runs
//! with the same `-parallelism`; the repetitions interleave the scenarios so
//! load changes hit them all alike. While a command runs, every provider
//! process Terraform starts is sampled in /proc for its peak RSS (`VmHWM`)
//! and CPU time, and Terraform's own process for its CPU time, which shows
//! who spends the wall-clock time.
//!
//! A control scenario, `sized`, applies N `terraform_data` whose state weighs
//! per instance what a kubeadm node's does (measured in the same run): what
//! Terraform alone spends on state of that size, which separates Terraform's
//! share of the kubeadm times from the provider's.
//!
//! At the end it prints the table, checks the targets and, with `--report
//! FILE`, writes the Markdown report with the machine, the versions, the
//! date, these numbers and the tables of the other benches (read from
//! `--results DIR`, where scripts/bench.sh saved their output).
//!
//! Run through `scripts/bench.sh`; alone: `cargo bench --bench e2e -- [--quick]
//! [--sizes 100,1000] [--runs 3,2] [--parallelism 10] [--scenarios
//! floor,local,s3,aws,sized] [--results DIR] [--report FILE]`.
//!
//! Environment: `KUBEADM_BENCH_TERRAFORM` (default: Terraform 1.15.5 from the
//! tools directory, see scripts/install-terraform.sh), `KUBEADM_BENCH_MIRROR`
//! (a filesystem mirror holding this provider; default: one made here from
//! the bench's build), `KUBEADM_BENCH_AWS_MIRROR` (default /opt/tf-plugins),
//! `KUBEADM_BENCH_S3_ENDPOINT` (default: a moto server of its own),
//! `KUBEADM_BENCH_WORK` (default target/bench-e2e).

#[path = "support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{fresh_dir, median, repo_root, tools_dir, S3Server};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-kubeadm");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const KUBEADM_SOURCE: &str = "registry.terraform.io/kubeadm-ignition/kubeadm";
const KUBEADM_BUCKET: &str = "kubeadm-bench-store";
const AWS_BUCKET: &str = "kubeadm-bench-aws";
/// Longest a single Terraform command may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(1800);
/// The line in the report after which hand-written text is kept on regeneration.
const KEEP_MARKER: &str = "<!-- Everything below this line is kept when scripts/bench.sh rewrites this file. -->";

// ---------------------------------------------------------------------------
// Options

struct Options {
    quick: bool,
    sizes: Vec<usize>,
    /// Runs per size, in the order of `sizes`.
    runs: Vec<usize>,
    parallelism: usize,
    scenarios: Vec<Scenario>,
    results: Option<PathBuf>,
    report: Option<PathBuf>,
}

impl Options {
    fn parse() -> Options {
        let mut o = Options {
            quick: false,
            sizes: vec![100, 1000],
            runs: vec![3, 2],
            parallelism: 10,
            scenarios: Scenario::DEFAULT.to_vec(),
            results: None,
            report: None,
        };
        let (mut sizes, mut runs) = (None, None);
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
            match a.as_str() {
                "--quick" => o.quick = true,
                "--sizes" => {
                    sizes = Some(value().split(',').map(|s| s.trim().parse().expect("--sizes: numbers")).collect())
                }
                "--runs" => {
                    runs = Some(
                        value().split(',').map(|s| s.trim().parse().expect("--runs: numbers")).collect::<Vec<usize>>(),
                    )
                }
                "--parallelism" => o.parallelism = value().parse().expect("--parallelism: a number"),
                "--scenarios" => {
                    o.scenarios = value()
                        .split(',')
                        .map(|s| {
                            Scenario::ALL
                                .into_iter()
                                .find(|c| c.key() == s.trim())
                                .unwrap_or_else(|| panic!("unknown scenario {s:?}: floor, local, s3, aws or sized"))
                        })
                        .collect()
                }
                "--results" => o.results = Some(PathBuf::from(value())),
                "--report" => o.report = Some(PathBuf::from(value())),
                // What cargo passes to every bench.
                "--bench" => {}
                other => panic!("unknown argument {other:?}"),
            }
        }
        if o.quick {
            o.sizes = vec![100];
            o.runs = vec![1];
        }
        if let Some(s) = sizes {
            o.sizes = s;
        }
        if let Some(r) = runs {
            o.runs = r;
        }
        // One count for every size, or one per size; the last one repeats.
        let last = *o.runs.last().expect("--runs: at least one number");
        o.runs.resize(o.sizes.len().max(o.runs.len()), last);
        o.runs.truncate(o.sizes.len());
        assert!(o.runs.iter().all(|&r| r > 0) && !o.sizes.is_empty());
        o
    }
}

// ---------------------------------------------------------------------------
// Scenarios

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Scenario {
    Floor,
    Local,
    S3,
    Aws,
    /// `terraform_data` whose state weighs per instance what a kubeadm
    /// node's does: what Terraform itself spends on state of that size.
    Sized,
}

impl Scenario {
    const ALL: [Scenario; 5] = [Scenario::Floor, Scenario::Local, Scenario::S3, Scenario::Aws, Scenario::Sized];
    /// What runs unless `--scenarios` says otherwise.
    /// `sized` comes after the kubeadm scenarios, whose state it copies.
    const DEFAULT: [Scenario; 5] = [Scenario::Floor, Scenario::Local, Scenario::S3, Scenario::Aws, Scenario::Sized];

    fn key(self) -> &'static str {
        match self {
            Scenario::Floor => "floor",
            Scenario::Local => "local",
            Scenario::S3 => "s3",
            Scenario::Aws => "aws",
            Scenario::Sized => "sized",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Scenario::Floor => "terraform_data (floor)",
            Scenario::Local => "kubeadm, local store",
            Scenario::S3 => "kubeadm, S3 store",
            Scenario::Aws => "aws_s3_object (hashicorp/aws)",
            Scenario::Sized => "terraform_data, node-sized state",
        }
    }

    fn is_kubeadm(self) -> bool {
        matches!(self, Scenario::Local | Scenario::S3)
    }
}

const KUBEADM_HEADER: &str = r#"terraform {
  required_providers {
    kubeadm = { source = "kubeadm-ignition/kubeadm" }
  }
}
"#;

fn kubeadm_nodes(n: usize) -> String {
    format!(
        r#"
resource "kubeadm_cluster_ca" "bench" {{
  cluster_name  = "bench"
  key_algorithm = "ECDSA-P256"
}}

resource "kubeadm_bootstrap_token" "join" {{
  ttl = "24h"
}}

resource "kubeadm_ignition_config" "worker" {{
  count           = {n}
  role            = "worker"
  name            = "worker-${{count.index}}"
  cluster_ca      = kubeadm_cluster_ca.bench
  bootstrap_token = kubeadm_bootstrap_token.join

  cluster {{
    name                   = "bench"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.bench.example.com:6443"
  }}
}}
"#
    )
}

/// The Terraform configuration of a scenario with `n` resources.
fn config(scenario: Scenario, n: usize, endpoint: &str, object_size: usize) -> String {
    match scenario {
        Scenario::Floor => format!(
            "resource \"terraform_data\" \"node\" {{\n  count = {n}\n  input = \"worker-${{count.index}}\"\n}}\n"
        ),
        Scenario::Sized => format!(
            "locals {{\n  pad = \"{}\"\n}}\n\nresource \"terraform_data\" \"node\" {{\n  count = {n}\n  input = \"${{local.pad}}${{format(\"%06d\", count.index)}}\"\n}}\n",
            "x".repeat(object_size.saturating_sub(6).max(1))
        ),
        // As in examples/quickstart: the store is served over http, so
        // user_data is the small pointer config, as it is with S3.
        Scenario::Local => format!(
            "{KUBEADM_HEADER}\nprovider \"kubeadm\" {{\n  store {{\n    local {{\n      base_url = \"http://127.0.0.1:8080\"\n    }}\n  }}\n}}\n{}",
            kubeadm_nodes(n)
        ),
        Scenario::S3 => format!(
            r#"{KUBEADM_HEADER}
provider "kubeadm" {{
  store {{
    s3 {{
      bucket           = "{KUBEADM_BUCKET}"
      region           = "us-east-1"
      endpoint         = "{endpoint}"
      force_path_style = true
    }}
  }}
}}
{}"#,
            kubeadm_nodes(n)
        ),
        Scenario::Aws => {
            // Same size as a rendered worker config: padding plus a 6-digit index.
            let pad = "x".repeat(object_size.saturating_sub(6).max(1));
            format!(
                r#"terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws" }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {{
    s3 = "{endpoint}"
  }}
}}

locals {{
  pad = "{pad}"
}}

resource "aws_s3_object" "node" {{
  count                  = {n}
  bucket                 = "{AWS_BUCKET}"
  key                    = "bench/worker-${{count.index}}.ign"
  content                = "${{local.pad}}${{format("%06d", count.index)}}"
  content_type           = "application/vnd.coreos.ignition+json"
  server_side_encryption = "AES256"
}}
"#
            )
        }
    }
}

// ---------------------------------------------------------------------------
// Provider processes: peak RSS sampling

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Kubeadm,
    Aws,
    Other,
    /// A forked process that may not have exec'd its program yet.
    Unsettled,
}

/// What a process is, counting only the providers Terraform (`root`) started:
/// on a shared machine other provider processes may come and go.
fn kind_of(pid: u32, root: Option<u32>) -> Kind {
    let Ok(exe) = fs::read_link(format!("/proc/{pid}/exe")) else { return Kind::Unsettled };
    if root.is_some() && parent_of(pid) != root {
        return Kind::Other;
    }
    let name = exe.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.starts_with("terraform-provider-kubeadm") {
        Kind::Kubeadm
    } else if name.starts_with("terraform-provider-aws") {
        Kind::Aws
    } else if name.starts_with("python") || name.starts_with("terraform") {
        // Terraform itself (or the wrapper it runs in), or a child between
        // fork and exec: look again next time.
        Kind::Unsettled
    } else {
        Kind::Other
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Peak RSS and CPU time of every provider process seen while a command
/// runs, and the CPU time of Terraform's own process.
#[derive(Default)]
struct Sampler {
    kinds: HashMap<u32, Kind>,
    peak: HashMap<u32, u64>,
    /// Last seen user + system time, in clock ticks.
    cpu: HashMap<u32, u64>,
    root: Option<u32>,
    root_cpu: u64,
}

impl Sampler {
    fn new() -> Sampler {
        // Whatever runs already is not started by the command.
        let mut s = Sampler::default();
        for pid in pids() {
            s.kinds.insert(pid, Kind::Other);
        }
        s
    }

    fn sample(&mut self) {
        for pid in pids() {
            let kind = match self.kinds.get(&pid) {
                Some(Kind::Unsettled) | None => {
                    let k = kind_of(pid, self.root);
                    self.kinds.insert(pid, k);
                    k
                }
                Some(k) => *k,
            };
            if matches!(kind, Kind::Kubeadm | Kind::Aws) {
                if let Some(h) = vm_hwm_kib(pid) {
                    let e = self.peak.entry(pid).or_default();
                    *e = (*e).max(h);
                }
                if let Some(t) = cpu_ticks(pid) {
                    self.cpu.insert(pid, t);
                }
            }
        }
        if let Some(t) = self.root.and_then(cpu_ticks) {
            self.root_cpu = t;
        }
    }

    /// CPU seconds of the provider processes of one kind.
    fn cpu_secs(&self, kind: Kind) -> f64 {
        let ticks: u64 = self.cpu.iter().filter(|(pid, _)| self.kinds.get(pid) == Some(&kind)).map(|(_, t)| t).sum();
        ticks as f64 / CLOCK_TICKS
    }

    /// (largest peak in KiB, number of processes) of one kind.
    fn of(&self, kind: Kind) -> (u64, usize) {
        let it = self.peak.iter().filter(|(pid, _)| self.kinds.get(pid) == Some(&kind));
        it.fold((0, 0), |(m, n), (_, h)| (m.max(*h), n + 1))
    }
}

/// Linux reports process times in USER_HZ, 100 per second on every
/// architecture Terraform ships for.
const CLOCK_TICKS: f64 = 100.0;

/// The fields of `/proc/<pid>/stat` after the command name (state first).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it do not.
    Some(stat[stat.rfind(')')? + 2..].split(' ').map(str::to_string).collect())
}

/// User plus system time of a process itself (not its children), in ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let f = stat_fields(pid)?;
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn parent_of(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

fn pids() -> Vec<u32> {
    let Ok(rd) = fs::read_dir("/proc") else { return Vec::new() };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect()
}

// ---------------------------------------------------------------------------
// Terraform

struct Terraform {
    path: PathBuf,
    version: String,
    cli_config: PathBuf,
    extra_env: Vec<(String, String)>,
}

/// One finished Terraform command.
struct Outcome {
    secs: f64,
    code: i32,
    kubeadm_peak_kib: u64,
    kubeadm_procs: usize,
    aws_peak_kib: u64,
    /// CPU seconds of the provider processes (kubeadm or aws).
    provider_cpu: f64,
    /// CPU seconds of Terraform's own process.
    terraform_cpu: f64,
}

impl Terraform {
    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.path);
        cmd.args(args).current_dir(dir).env_clear().stdin(Stdio::null());
        for k in ["PATH", "HOME", "TMPDIR", "LANG"] {
            if let Some(v) = std::env::var_os(k) {
                cmd.env(k, v);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0");
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a command, output to `dir/<log>.log`, timing it and sampling the
    /// provider processes it starts.
    fn run(&self, dir: &Path, args: &[&str], log: &str) -> Outcome {
        let log_path = dir.join(format!("{log}.log"));
        let out = fs::File::create(&log_path).expect("log file");
        let mut cmd = self.command(dir, args);
        cmd.stdout(out.try_clone().expect("log file")).stderr(out);
        let mut sampler = Sampler::new();
        let (tx, rx) = mpsc::channel();
        let start = Instant::now();
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {}: {e}", self.path.display()));
        let pid = child.id();
        sampler.root = Some(pid);
        std::thread::spawn(move || {
            let status = child.wait();
            let _ = tx.send((Instant::now(), status));
        });
        let (end, status) = loop {
            sampler.sample();
            match rx.recv_timeout(Duration::from_millis(10)) {
                Ok(done) => break done,
                Err(mpsc::RecvTimeoutError::Timeout) if start.elapsed() > COMMAND_LIMIT => {
                    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                    panic!(
                        "terraform {} did not finish within {COMMAND_LIMIT:?}; see {}",
                        args.join(" "),
                        log_path.display()
                    );
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!("lost the terraform process"),
            }
        };
        let code = status.ok().and_then(|s| s.code()).unwrap_or(-1);
        let (kubeadm_peak_kib, kubeadm_procs) = sampler.of(Kind::Kubeadm);
        let (aws_peak_kib, _) = sampler.of(Kind::Aws);
        Outcome {
            secs: (end - start).as_secs_f64(),
            code,
            kubeadm_peak_kib,
            kubeadm_procs,
            aws_peak_kib,
            provider_cpu: sampler.cpu_secs(Kind::Kubeadm) + sampler.cpu_secs(Kind::Aws),
            terraform_cpu: sampler.root_cpu as f64 / CLOCK_TICKS,
        }
    }

    fn ok(&self, dir: &Path, args: &[&str], log: &str) -> Outcome {
        let o = self.run(dir, args, log);
        if o.code != 0 {
            let text = fs::read_to_string(dir.join(format!("{log}.log"))).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
            panic!("terraform {} failed ({}) in {}:\n{}", args.join(" "), o.code, dir.display(), tail.join("\n"));
        }
        o
    }
}

fn find_terraform() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBEADM_BENCH_TERRAFORM") {
        return PathBuf::from(p);
    }
    let pinned = tools_dir().join("terraform-1.15.5/terraform");
    if pinned.is_file() {
        return pinned;
    }
    eprintln!("warning: {} is missing (scripts/install-terraform.sh); using terraform on PATH", shown_path(&pinned));
    support::on_path("terraform").expect("no terraform: run scripts/install-terraform.sh")
}

fn terraform_version(path: &Path, dir: &Path) -> String {
    let cli = dir.join("empty.tfrc");
    fs::write(&cli, "").expect("empty CLI config");
    let out = Command::new(path)
        .args(["version", "-json"])
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", &cli)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("terraform version");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    j["terraform_version"].as_str().unwrap_or("unknown").to_string()
}

/// The provider in a filesystem mirror: the one scripts/bench.sh made, or a
/// new one with this bench's build.
fn kubeadm_mirror(work: &Path) -> PathBuf {
    if let Some(m) = std::env::var_os("KUBEADM_BENCH_MIRROR") {
        return PathBuf::from(m);
    }
    let mirror = work.join("mirror");
    let dir = mirror.join(format!("{KUBEADM_SOURCE}/{VERSION}/linux_amd64"));
    fs::create_dir_all(&dir).expect("mirror directory");
    fs::copy(BIN, dir.join(format!("terraform-provider-kubeadm_v{VERSION}"))).expect("install the provider");
    mirror
}

/// The version directory of hashicorp/aws in a filesystem mirror.
fn aws_version(mirror: &Path) -> Option<String> {
    let dir = mirror.join("registry.terraform.io/hashicorp/aws");
    let mut versions: Vec<String> =
        fs::read_dir(dir).ok()?.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned())).collect();
    versions.sort();
    versions.pop()
}

// ---------------------------------------------------------------------------
// Results

#[derive(Default)]
struct Series {
    apply: Vec<f64>,
    plan: Vec<f64>,
    kubeadm_peak_kib: u64,
    aws_peak_kib: u64,
    apply_procs: usize,
    plan_procs: usize,
    non_empty_plans: usize,
    apply_provider_cpu: Vec<f64>,
    apply_terraform_cpu: Vec<f64>,
    plan_provider_cpu: Vec<f64>,
    plan_terraform_cpu: Vec<f64>,
    state_bytes: u64,
}

type Results = BTreeMap<(usize, Scenario), Series>;

fn med(v: &[f64]) -> f64 {
    median(&mut v.to_vec())
}

fn range(v: &[f64]) -> String {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    if v.len() > 1 {
        format!("{min:.2}–{max:.2}")
    } else {
        "-".into()
    }
}

fn mb(kib: u64) -> String {
    if kib == 0 {
        "-".into()
    } else {
        format!("{:.1} MB", kib as f64 / 1024.0)
    }
}

/// Size of a rendered worker config: the largest object in the local store.
fn stored_object_size(dir: &Path) -> Option<usize> {
    fn walk(d: &Path, best: &mut usize) {
        for e in fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, best);
            } else if p.extension().is_some_and(|x| x == "ign") {
                *best = (*best).max(e.metadata().map(|m| m.len() as usize).unwrap_or(0));
            }
        }
    }
    let mut best = 0;
    walk(dir, &mut best);
    (best > 0).then_some(best)
}

fn main() {
    let opts = Options::parse();
    let work = std::env::var_os("KUBEADM_BENCH_WORK")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/bench-e2e"));
    fresh_dir(&work);
    let tf_path = find_terraform();
    let tf_version = terraform_version(&tf_path, &work);
    let aws_mirror = std::env::var_os("KUBEADM_BENCH_AWS_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tf-plugins"));
    let aws_ver = aws_version(&aws_mirror);
    let mut scenarios = opts.scenarios.clone();
    if aws_ver.is_none() && scenarios.contains(&Scenario::Aws) {
        eprintln!("warning: no hashicorp/aws in {}: skipping the aws_s3_object scenario", shown_path(&aws_mirror));
        scenarios.retain(|s| *s != Scenario::Aws);
    }
    let mirror = kubeadm_mirror(&work);
    let cli_config = work.join("terraformrc");
    fs::write(
        &cli_config,
        format!(
            r#"provider_installation {{
  filesystem_mirror {{
    path    = "{}"
    include = ["registry.terraform.io/kubeadm-ignition/*"]
  }}
  filesystem_mirror {{
    path    = "{}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{
    exclude = ["registry.terraform.io/kubeadm-ignition/*", "registry.terraform.io/hashicorp/aws"]
  }}
}}
"#,
            mirror.display(),
            aws_mirror.display()
        ),
    )
    .expect("CLI config");

    let needs_s3 = scenarios.iter().any(|s| matches!(s, Scenario::S3 | Scenario::Aws));
    let s3 = needs_s3.then(S3Server::start);
    let endpoint = s3.as_ref().map(|s| s.endpoint.clone()).unwrap_or_default();
    if let Some(s3) = &s3 {
        s3.create_bucket(KUBEADM_BUCKET);
        s3.create_bucket(AWS_BUCKET);
    }
    let tf = Terraform {
        path: tf_path,
        version: tf_version,
        cli_config,
        extra_env: vec![
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ],
    };
    let par = format!("-parallelism={}", opts.parallelism);
    let started = time::OffsetDateTime::now_utc();
    let load_before = loadavg();
    eprintln!(
        "e2e: Terraform {} ({}), sizes {:?}, runs {:?}, {par}, scenarios {:?}",
        tf.version,
        shown_path(&tf.path),
        opts.sizes,
        opts.runs,
        scenarios.iter().map(|s| s.key()).collect::<Vec<_>>()
    );

    // One directory per scenario, initialised once.
    let mut object_size: Option<usize> = None;
    // State bytes per kubeadm node, by N, for the `sized` control.
    let mut node_state: BTreeMap<usize, usize> = BTreeMap::new();
    let mut dirs = BTreeMap::new();
    for &sc in &scenarios {
        let dir = fresh_dir(&work.join(sc.key()));
        fs::write(dir.join("main.tf"), config(sc, 1, &endpoint, 1024)).expect("main.tf");
        tf.ok(&dir, &["init", "-input=false", "-no-color"], "init");
        dirs.insert(sc, dir);
    }

    let mut results: Results = BTreeMap::new();
    for (&n, &runs) in opts.sizes.iter().zip(&opts.runs) {
        for rep in 0..runs {
            for &sc in &scenarios {
                let dir = &dirs[&sc];
                let size = match sc {
                    // terraform_data stores its input twice (input and output).
                    Scenario::Sized => node_state.get(&n).map_or(2048, |b| b.saturating_sub(300) / 2),
                    _ => object_size.unwrap_or(10 * 1024),
                };
                fs::write(dir.join("main.tf"), config(sc, n, &endpoint, size)).expect("main.tf");
                for f in ["terraform.tfstate", "terraform.tfstate.backup"] {
                    let _ = fs::remove_file(dir.join(f));
                }
                let _ = fs::remove_dir_all(dir.join(".kubeadm-ignition"));
                let tag = format!("{n}-{rep}");
                let apply =
                    tf.ok(dir, &["apply", "-input=false", "-no-color", "-auto-approve", &par], &format!("apply-{tag}"));
                if sc == Scenario::Local && object_size.is_none() {
                    object_size = stored_object_size(&dir.join(".kubeadm-ignition"));
                }
                let plan = tf.run(
                    dir,
                    &["plan", "-input=false", "-no-color", "-detailed-exitcode", &par],
                    &format!("plan-{tag}"),
                );
                assert!(plan.code == 0 || plan.code == 2, "terraform plan failed in {}", dir.display());
                let s = results.entry((n, sc)).or_default();
                s.apply.push(apply.secs);
                s.plan.push(plan.secs);
                s.kubeadm_peak_kib = s.kubeadm_peak_kib.max(apply.kubeadm_peak_kib).max(plan.kubeadm_peak_kib);
                s.aws_peak_kib = s.aws_peak_kib.max(apply.aws_peak_kib).max(plan.aws_peak_kib);
                s.apply_procs = apply.kubeadm_procs;
                s.plan_procs = plan.kubeadm_procs;
                s.non_empty_plans += usize::from(plan.code == 2);
                s.apply_provider_cpu.push(apply.provider_cpu);
                s.apply_terraform_cpu.push(apply.terraform_cpu);
                s.plan_provider_cpu.push(plan.provider_cpu);
                s.plan_terraform_cpu.push(plan.terraform_cpu);
                s.state_bytes = fs::metadata(dir.join("terraform.tfstate")).map(|m| m.len()).unwrap_or(0);
                if sc.is_kubeadm() {
                    // Bytes per node, the CA and token included: the largest of the stores.
                    let per_node = s.state_bytes as usize / n;
                    node_state.entry(n).and_modify(|b| *b = (*b).max(per_node)).or_insert(per_node);
                }
                eprintln!(
                    "  N={n:<5} run {} {:<34} apply {:>7.2} s (CPU: Terraform {:.1} s, provider {:.1} s)  plan {:>6.2} s (CPU: {:.1} s, {:.1} s){}{}",
                    rep + 1,
                    sc.label(),
                    apply.secs,
                    apply.terraform_cpu,
                    apply.provider_cpu,
                    plan.secs,
                    plan.terraform_cpu,
                    plan.provider_cpu,
                    if sc.is_kubeadm() { format!("  provider peak {}", mb(apply.kubeadm_peak_kib)) } else { String::new() },
                    if plan.code == 2 { "  (plan not empty!)" } else { "" }
                );
            }
        }
    }
    let load_after = loadavg();

    let table = e2e_table(&results, &opts, &scenarios);
    println!("{table}");
    let other = OtherBenches::read(opts.results.as_deref());
    let targets = targets(&results, &other);
    println!("{}", targets_table(&targets));

    if let Some(report) = &opts.report {
        let env = Env {
            started,
            load_before,
            load_after,
            terraform: format!("{} ({})", tf.version, shown_path(&tf.path)),
            aws: aws_ver.map(|v| format!("hashicorp/aws {v} (filesystem mirror {})", shown_path(&aws_mirror))),
            object_size,
        };
        let text =
            report_markdown(&opts, &env, &table, &targets, &other, &fs::read_to_string(report).unwrap_or_default());
        fs::write(report, text).expect("write the report");
        eprintln!("wrote {}", shown_path(report));
    }
}

// ---------------------------------------------------------------------------
// Tables and targets

fn e2e_table(results: &Results, opts: &Options, scenarios: &[Scenario]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "| N | scenario | apply (s) | × floor (× node-sized) | plan, refresh (s) | × floor (× node-sized) | CPU s in apply: Terraform / provider | CPU s in plan: Terraform / provider | state file | provider peak RSS | runs (apply range / plan range) |"
    );
    let _ = writeln!(t, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for &n in &opts.sizes {
        let floor = results.get(&(n, Scenario::Floor));
        let sized = results.get(&(n, Scenario::Sized));
        for &sc in scenarios {
            let Some(s) = results.get(&(n, sc)) else { continue };
            let (a, p) = (med(&s.apply), med(&s.plan));
            let ratio = |v: f64, f: Option<f64>, z: Option<f64>| {
                let mut r = match f {
                    _ if sc == Scenario::Floor => "1.00".into(),
                    Some(f) if f > 0.0 => format!("{:.2}", v / f),
                    _ => "-".into(),
                };
                if let (Some(z), true) = (z, sc.is_kubeadm()) {
                    if z > 0.0 {
                        let _ = write!(r, " ({:.2})", v / z);
                    }
                }
                r
            };
            let peak = match sc {
                Scenario::Local | Scenario::S3 => mb(s.kubeadm_peak_kib),
                Scenario::Aws => mb(s.aws_peak_kib),
                Scenario::Floor | Scenario::Sized => "-".into(),
            };
            let cpu = |tf: &[f64], pr: &[f64]| {
                if sc == Scenario::Floor || sc == Scenario::Sized {
                    format!("{:.1} / -", med(tf))
                } else {
                    format!("{:.1} / {:.1}", med(tf), med(pr))
                }
            };
            let _ = writeln!(
                t,
                "| {n} | {} | {a:.2} | {} | {p:.2} | {} | {} | {} | {} | {peak} | {} ({} / {}){} |",
                sc.label(),
                ratio(a, floor.map(|f| med(&f.apply)), sized.map(|z| med(&z.apply))),
                ratio(p, floor.map(|f| med(&f.plan)), sized.map(|z| med(&z.plan))),
                cpu(&s.apply_terraform_cpu, &s.apply_provider_cpu),
                cpu(&s.plan_terraform_cpu, &s.plan_provider_cpu),
                bytes(s.state_bytes),
                s.apply.len(),
                range(&s.apply),
                range(&s.plan),
                if s.non_empty_plans > 0 {
                    format!(", {} non-empty plan(s)", s.non_empty_plans)
                } else {
                    String::new()
                }
            );
        }
    }
    t
}

fn bytes(b: u64) -> String {
    match b {
        0 => "-".into(),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b => format!("{:.0} KB", b as f64 / 1024.0),
    }
}

/// Tables printed by the other benches, as scripts/bench.sh saved them.
#[derive(Default)]
struct OtherBenches {
    texts: Vec<(String, String)>,
}

impl OtherBenches {
    const NAMES: [(&'static str, &'static str); 5] = [
        ("plugin", "Provider process (`cargo bench --bench plugin`)"),
        ("render", "Render throughput (`cargo bench --bench render`)"),
        ("pki", "Cluster PKI (`cargo bench --bench pki`)"),
        ("token", "Bootstrap tokens (`cargo bench --bench token`)"),
        ("s3", "S3 store against moto (`cargo bench --bench s3`)"),
    ];

    fn read(dir: Option<&Path>) -> OtherBenches {
        let mut o = OtherBenches::default();
        if let Some(dir) = dir {
            for (name, _) in Self::NAMES {
                if let Ok(t) = fs::read_to_string(dir.join(format!("{name}.txt"))) {
                    o.texts.push((name.to_string(), t));
                }
            }
        }
        o
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.texts.iter().find(|(n, _)| n == name).map(|(_, t)| t.as_str())
    }

    /// The median column of a row of the plugin bench, in ms.
    fn plugin_ms(&self, row: &str) -> Option<f64> {
        let line = self.text("plugin")?.lines().find(|l| l.starts_with(row))?;
        line[row.len()..].split_whitespace().nth(1)?.parse().ok()
    }

    /// The slowest worker render rate over the operating systems, configs/s.
    fn worker_rate(&self) -> Option<(f64, String)> {
        self.text("render")?
            .lines()
            .filter(|l| l.split_whitespace().next() == Some("worker"))
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                Some((f.get(4)?.parse::<f64>().ok()?, f.get(1)?.to_string()))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }
}

struct Target {
    what: String,
    goal: String,
    measured: String,
    pass: Option<bool>,
}

fn targets(results: &Results, other: &OtherBenches) -> Vec<Target> {
    let largest = results.keys().map(|(n, _)| *n).max().unwrap_or(0);
    let note = if largest == 1000 { String::new() } else { format!(" (measured at N={largest})") };
    let ratio = |sc: Scenario, plan: bool| {
        let s = results.get(&(largest, sc))?;
        let f = results.get(&(largest, Scenario::Floor))?;
        let (v, fl) = if plan { (med(&s.plan), med(&f.plan)) } else { (med(&s.apply), med(&f.apply)) };
        Some((v / fl, v, fl))
    };
    let mut out = Vec::new();
    let r = ratio(Scenario::Local, false);
    out.push(Target {
        what: format!("apply, N=1000, local store{note}"),
        goal: "≤ 1.25 × floor".into(),
        measured: r.map_or("not measured".into(), |(x, v, f)| format!("{x:.2} × ({v:.2} s vs {f:.2} s)")),
        pass: r.map(|(x, _, _)| x <= 1.25),
    });
    let r = ratio(Scenario::S3, true);
    out.push(Target {
        what: format!("plan with refresh, N=1000, S3 store{note}"),
        goal: "≤ 1.5 × floor".into(),
        measured: r.map_or("not measured".into(), |(x, v, f)| format!("{x:.2} × ({v:.2} s vs {f:.2} s)")),
        pass: r.map(|(x, _, _)| x <= 1.5),
    });
    let peak = [Scenario::Local, Scenario::S3]
        .iter()
        .filter_map(|sc| results.get(&(largest, *sc)))
        .map(|s| s.kubeadm_peak_kib)
        .max()
        .filter(|k| *k > 0);
    out.push(Target {
        what: format!("provider peak RSS, N=1000 (max over processes, both stores){note}"),
        goal: "≤ 20 MB".into(),
        measured: peak.map_or("not measured".into(), mb),
        pass: peak.map(|k| (k as f64) / 1024.0 <= 20.0),
    });
    let hs = other.plugin_ms("exec -> handshake line");
    out.push(Target {
        what: "exec → handshake line (median of 50)".into(),
        goal: "≤ 10 ms".into(),
        measured: hs.map_or("not measured".into(), |v| format!("{v:.2} ms")),
        pass: hs.map(|v| v <= 10.0),
    });
    let rate = other.worker_rate();
    out.push(Target {
        what: "worker configs rendered per second per core (slowest OS)".into(),
        goal: "≥ 10,000".into(),
        measured: rate.as_ref().map_or("not measured".into(), |(r, os)| format!("{r:.0} ({os})")),
        pass: rate.map(|(r, _)| r >= 10_000.0),
    });
    out
}

fn targets_table(targets: &[Target]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "| target | goal | measured | result |");
    let _ = writeln!(t, "|---|---|---|---|");
    for x in targets {
        let verdict = match x.pass {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "-",
        };
        let _ = writeln!(t, "| {} | {} | {} | {verdict} |", x.what, x.goal, x.measured);
    }
    t
}

// ---------------------------------------------------------------------------
// The report

struct Env {
    started: time::OffsetDateTime,
    load_before: String,
    load_after: String,
    terraform: String,
    aws: Option<String>,
    object_size: Option<usize>,
}

/// A path as the report shows it: relative to the repository when inside it.
fn shown_path(p: &Path) -> String {
    p.strip_prefix(repo_root()).map_or_else(|_| p.display().to_string(), |r| r.display().to_string())
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn mem_total() -> String {
    fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_string())))
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or("unknown".into(), |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
}

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).current_dir(repo_root()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn report_markdown(
    opts: &Options,
    env: &Env,
    e2e: &str,
    targets: &[Target],
    other: &OtherBenches,
    previous: &str,
) -> String {
    let fmt = time::format_description::well_known::Rfc3339;
    let date = env.started.replace_nanosecond(0).ok().and_then(|d| d.format(&fmt).ok()).unwrap_or_default();
    let commit = command_line("git", &["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = command_line("git", &["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let rustc = command_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into());
    let mut t = String::new();
    let _ = writeln!(t, "# Benchmarks\n");
    let _ = writeln!(
        t,
        "Written by `scripts/bench.sh{}`; run it again to refresh this file. Wall-clock times are\n\
         medians over {} per cell, Terraform's own `-parallelism={}` everywhere, the\n\
         scenarios interleaved run by run so that load changes hit them alike.\n",
        if opts.quick { " --quick" } else { "" },
        opts.sizes.iter().zip(&opts.runs).map(|(n, r)| format!("{r} run(s) at N={n}")).collect::<Vec<_>>().join(", "),
        opts.parallelism
    );
    let _ = writeln!(t, "| | |\n|---|---|");
    let _ = writeln!(t, "| date | {date} |");
    let _ = writeln!(t, "| CPU | {} |", cpu_model());
    let _ = writeln!(t, "| cores | {cores} |");
    let _ = writeln!(t, "| memory | {} |", mem_total());
    let _ = writeln!(t, "| kernel | Linux {} |", kernel.trim());
    let _ = writeln!(
        t,
        "| load average (1, 5, 15 min) | {} at the start of the end-to-end runs, {} at the end |",
        env.load_before, env.load_after
    );
    let _ = writeln!(t, "| Terraform | {} |", env.terraform);
    let _ = writeln!(
        t,
        "| provider | terraform-provider-kubeadm {VERSION} (commit {commit}{}), release build, {rustc} |",
        if dirty { " with local changes" } else { "" }
    );
    let _ = writeln!(t, "| aws provider | {} |", env.aws.as_deref().unwrap_or("not available"));
    let _ = writeln!(t, "| S3 server | moto, on 127.0.0.1 |");
    if let Some(size) = env.object_size {
        let _ = writeln!(
            t,
            "| object size | {size} bytes (a rendered worker config; the `aws_s3_object` bodies match it) |"
        );
    }
    let _ = writeln!(t, "\n## Targets\n\n{}", targets_table(targets));
    let _ = writeln!(
        t,
        "## End to end\n\n\
         `terraform apply` from an empty state, then `terraform plan` with the state present\n\
         (with refresh, `-detailed-exitcode`), for N resources. kubeadm rows: N\n\
         `kubeadm_ignition_config` workers plus one `kubeadm_cluster_ca` (ECDSA-P256) and one\n\
         `kubeadm_bootstrap_token`; the local store has a `base_url` (as in examples/quickstart),\n\
         so `user_data` is the pointer config with either store; the provider started by\n\
         Terraform from a filesystem mirror (handshake, AutoMTLS). Floor: N `terraform_data` on the same Terraform binary.\n\
         `aws_s3_object`: the real provider writing objects of the same size to the same moto\n\
         server. CPU: seconds of CPU time of Terraform's own process and of all the provider\n\
         processes it started, during the command (on {cores} cores). State file: `terraform.tfstate`\n\
         after apply; Terraform rewrites it whole after every resource it creates. Node-sized: N\n\
         `terraform_data` whose state per instance weighs what a kubeadm node's does (the\n\
         kubeadm rows' state file divided by N), so the ratio in parentheses is the kubeadm time\n\
         over what Terraform alone spends on that much state. Provider peak RSS:\n\
         the largest `VmHWM` of any provider process Terraform started, sampled every 10 ms.\n\n{e2e}"
    );
    for (name, title) in OtherBenches::NAMES {
        if let Some(text) = other.text(name) {
            let _ = writeln!(t, "## {title}\n\n```text\n{}\n```\n", text.trim_end());
        }
    }
    let _ = writeln!(t, "{KEEP_MARKER}");
    match previous.split_once(KEEP_MARKER) {
        Some((_, kept)) => t.push_str(kept.trim_start_matches('\n')),
        None => t.push('\n'),
    }
    t
}
