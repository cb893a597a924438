//! Acceptance harness in the style of terraform-plugin-testing: each test is
//! a list of steps run in a fresh working directory against every Terraform
//! binary found, with the freshly built provider attached through
//! `TF_REATTACH_PROVIDERS` (a new debug server around every CLI command).
//!
//! A config step runs `plan -out`, `apply`, the checks on `show -json`, then
//! requires `plan -refresh=false` and `plan` to be empty. An import step runs
//! `terraform import` in a new directory and compares the imported attributes
//! with the created ones. At the end the harness destroys everything and
//! checks nothing is left.
#![allow(dead_code)]

pub mod hcl;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/kubeadm-ignition/kubeadm";

/// The provider binary under test.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-kubeadm"))
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The OpenTofu release `scripts/install-opentofu.sh` builds into
/// `.tools/opentofu/<version>/tofu` (the script holds the pin; keep the two
/// in step).
pub const OPENTOFU_PINNED: &str = "1.12.6";

/// Which implementation of the Terraform CLI a binary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// HashiCorp Terraform.
    #[default]
    Terraform,
    /// OpenTofu, the fork of Terraform 1.6. Its version numbers restarted
    /// from the fork, so a minor version says nothing about which Terraform
    /// features it has: use the feature methods of [`Terraform`] to gate.
    OpenTofu,
}

/// One Terraform binary to test against (HashiCorp Terraform or OpenTofu;
/// see [`Terraform::kind`]).
#[derive(Debug, Clone, Default)]
pub struct Terraform {
    pub path: PathBuf,
    pub version: String,
    pub kind: Kind,
}

impl Terraform {
    /// Major and minor version, e.g. (1, 15). Only meaningful against the
    /// same kind: OpenTofu 1.12 is not Terraform 1.12.
    pub fn minor(&self) -> (u32, u32) {
        let mut parts = self.version.split('.').map(|p| p.parse().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    /// Whether this is OpenTofu.
    pub fn is_opentofu(&self) -> bool {
        self.kind == Kind::OpenTofu
    }

    /// The name and version for messages, e.g. `Terraform 1.15.5` or
    /// `OpenTofu 1.12.6`.
    pub fn label(&self) -> String {
        match self.kind {
            Kind::Terraform => format!("Terraform {}", self.version),
            Kind::OpenTofu => format!("OpenTofu {}", self.version),
        }
    }

    /// The registry host a `kubeadm-ignition/kubeadm` source without a host
    /// means: OpenTofu resolves short sources against its own registry.
    pub fn registry_host(&self) -> &'static str {
        match self.kind {
            Kind::Terraform => "registry.terraform.io",
            Kind::OpenTofu => "registry.opentofu.org",
        }
    }

    /// The full address `source = "kubeadm-ignition/kubeadm"` resolves to:
    /// the key of `TF_REATTACH_PROVIDERS`, the provider name in the state and
    /// in diagnostics, and the filesystem mirror's directory.
    pub fn provider_address(&self) -> String {
        format!("{}/kubeadm-ignition/kubeadm", self.registry_host())
    }

    /// Whether this binary is at least `terraform` (when it is Terraform) or
    /// `opentofu` (when it is OpenTofu), for features that arrived in each at
    /// a different release; `None` means "not in any release of that kind".
    pub fn since(&self, terraform: Option<(u32, u32)>, opentofu: Option<(u32, u32)>) -> bool {
        let first = match self.kind {
            Kind::Terraform => terraform,
            Kind::OpenTofu => opentofu,
        };
        first.is_some_and(|v| self.minor() >= v)
    }

    /// Whether `ephemeral` blocks work: Terraform 1.10, OpenTofu 1.11.
    pub fn has_ephemeral_resources(&self) -> bool {
        self.since(Some((1, 10)), Some((1, 11)))
    }

    /// Whether a diagnostic about a value inside a nested attribute quotes
    /// that value's own source line: Terraform 1.15 does; older Terraform
    /// and OpenTofu (1.12 checked) quote the enclosing block's first line.
    pub fn points_into_nested_values(&self) -> bool {
        self.since(Some((1, 15)), None)
    }

    /// Whether `terraform test` / `tofu test` has `mock_provider` blocks:
    /// Terraform 1.7, OpenTofu 1.8.
    pub fn has_mock_providers(&self) -> bool {
        self.since(Some((1, 7)), Some((1, 8)))
    }

    /// Whether write-only attributes are honoured (left out of plans and
    /// state): Terraform 1.11, OpenTofu 1.11.
    pub fn has_write_only_attributes(&self) -> bool {
        self.since(Some((1, 11)), Some((1, 11)))
    }
}

/// Version and kind of a Terraform or OpenTofu binary. Both answer
/// `version -json` with a `terraform_version` key; only the plain `version`
/// output names the implementation (`OpenTofu v1.12.6`).
fn version_of(path: &Path) -> Option<(String, Kind)> {
    let dir = tempfile::tempdir().ok()?;
    let cli = dir.path().join("cli.tfrc");
    std::fs::write(&cli, "").ok()?;
    let run = |args: &[&str]| {
        Command::new(path)
            .args(args)
            .current_dir(dir.path())
            .env("TF_CLI_CONFIG_FILE", &cli)
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .ok()
    };
    let j: Json = serde_json::from_slice(&run(&["version", "-json"])?.stdout).ok()?;
    let version = j["terraform_version"].as_str()?.to_string();
    let plain = run(&["version"])?;
    let kind =
        if String::from_utf8_lossy(&plain.stdout).starts_with("OpenTofu ") { Kind::OpenTofu } else { Kind::Terraform };
    Some((version, kind))
}

/// Whether the tests run under CI (`CI` set, as CI services do, and not
/// `false` or `0`).
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A developer's switch that turns a check into a rewrite (`UPDATE_GOLDEN`,
/// `UPDATE_DOCS`, `UPDATE_STATE_FIXTURES`, `UPDATE_CAPI_FIELDS`) or a narrower
/// run (`TF_ACC_TERRAFORM_PATH`, `BAD_INPUT_FILTER`): its value when set (an
/// empty value counts as unset). Under CI a set switch fails the test, so CI
/// can never pass by rewriting what it should compare or by testing less
/// (`scripts/test.sh` refuses them too). `tests/support/ignition.rs` keeps a
/// copy of this rule for the files that include it alone.
pub fn switch(name: &str) -> Option<String> {
    let value = std::env::var(name).ok().filter(|v| !v.is_empty())?;
    if under_ci() {
        panic!(
            "{name}={value} is set under CI: it turns a check into a rewrite or a narrower run, which CI must never do. Unset {name}."
        );
    }
    Some(value)
}

/// Every distinct Terraform to test against: `TF_ACC_TERRAFORM_PATH` alone
/// when set (refused under CI, see [`switch`]); otherwise the one on PATH plus
/// those installed in `.tools/` by `scripts/install-terraform.sh` and
/// `scripts/install-opentofu.sh` (OpenTofu is listed first). Fails loudly
/// when the pinned versions are missing, so a machine without them cannot
/// pass by testing less.
pub fn terraforms() -> Vec<Terraform> {
    static FOUND: std::sync::OnceLock<Vec<Terraform>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            if let Some(p) = switch("TF_ACC_TERRAFORM_PATH") {
                let path = PathBuf::from(p);
                let (version, kind) =
                    version_of(&path).expect("TF_ACC_TERRAFORM_PATH is not a working terraform or tofu");
                return vec![Terraform { path, version, kind }];
            }
            let tools = std::env::var("KUBEADM_TOOLS_DIR").map(PathBuf::from).unwrap_or_else(|_| repo_root().join(".tools"));
            let mut candidates: Vec<PathBuf> = Vec::new();
            if let Ok(path) = std::env::var("PATH") {
                if let Some(p) = std::env::split_paths(&path).map(|d| d.join("terraform")).find(|p| p.is_file()) {
                    candidates.push(p);
                }
            }
            let pinned = ["1.0.3", "1.15.5"];
            for v in pinned {
                candidates.push(tools.join(format!("terraform-{v}")).join("terraform"));
            }
            candidates.push(tools.join("opentofu").join(OPENTOFU_PINNED).join("tofu"));
            let mut found: Vec<Terraform> = Vec::new();
            for path in candidates {
                if let Some((version, kind)) = version_of(&path) {
                    if !found.iter().any(|t| t.version == version && t.kind == kind) {
                        found.push(Terraform { path, version, kind });
                    }
                }
            }
            for v in pinned {
                assert!(
                    found.iter().any(|t| t.version == v && t.kind == Kind::Terraform),
                    "Terraform {v} is missing: run scripts/install-terraform.sh (or set TF_ACC_TERRAFORM_PATH to test one binary)"
                );
            }
            assert!(
                found.iter().any(|t| t.version == OPENTOFU_PINNED && t.is_opentofu()),
                "OpenTofu {OPENTOFU_PINNED} is missing: run scripts/install-opentofu.sh (or set TF_ACC_TERRAFORM_PATH to test one binary)"
            );
            // OpenTofu first, then Terraform oldest to newest: the tests
            // that pick `last()` as "the newest Terraform" keep HashiCorp's.
            found.sort_by_key(|t| (!t.is_opentofu(), t.minor()));
            found
        })
        .clone()
}

/// Appends the wall time of one CLI command to `cli-times.tsv` in cargo's
/// temporary directory for integration tests (`target/tmp/`): test file (the
/// first segment of the test's path, `acceptance_cluster_ca` for
/// `acceptance_cluster_ca::generated_ca`, or the test binary's name), test,
/// CLI, subcommand and seconds, one line each, so that the time every test
/// spends on each Terraform and OpenTofu can be summed after a run
/// (`scripts/cli-times.sh`).
pub fn record_cli_time(tf: &Terraform, args: &[&str], elapsed: Duration) {
    let Some(dir) = option_env!("CARGO_TARGET_TMPDIR") else { return };
    let test = std::thread::current().name().unwrap_or("main").to_string();
    let file = match test.split_once("::") {
        Some((module, _)) => module.to_string(),
        None => std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .map(|s| s.rsplit_once('-').map_or(s.clone(), |(name, _hash)| name.to_string()))
            .unwrap_or_default(),
    };
    let line = format!(
        "{file}\t{test}\t{}\t{}\t{:.3}\n",
        tf.label(),
        args.first().copied().unwrap_or(""),
        elapsed.as_secs_f64()
    );
    let _ = std::fs::create_dir_all(dir);
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(Path::new(dir).join("cli-times.tsv"))
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// A provider process in debug mode; killed on drop.
pub struct DebugServer {
    child: Child,
    pub reattach: String,
}

impl DebugServer {
    /// Starts a server whose working directory is `cwd` (Terraform's own, as
    /// when Terraform starts the provider).
    pub fn start(extra_env: &[(String, String)], cwd: &Path) -> DebugServer {
        let mut cmd = Command::new(provider_binary());
        cmd.current_dir(cwd).arg("--debug").stdout(Stdio::piped()).stderr(Stdio::inherit()).stdin(Stdio::null());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start the provider in debug mode");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                    let _ = tx.send(rest.trim_end_matches('\'').to_string());
                }
            }
        });
        let reattach = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(r) => r,
            Err(_) => {
                let _ = child.kill();
                panic!("the provider did not print TF_REATTACH_PROVIDERS within 20 s");
            }
        };
        DebugServer { child, reattach }
    }
}

/// The provider prints its reattach line keyed by its Terraform registry
/// address. OpenTofu matches the key against the address the configuration's
/// source resolves to, which for `kubeadm-ignition/kubeadm` is on
/// `registry.opentofu.org`: under the Terraform key it would ignore the
/// server and try to install the provider. Re-keys the line for `tf`.
pub fn reattach_for(tf: &Terraform, reattach: &str) -> String {
    let Ok(Json::Object(entries)) = serde_json::from_str::<Json>(reattach) else {
        panic!("the provider printed a reattach line that is not a JSON object: {reattach}");
    };
    let rekeyed: serde_json::Map<String, Json> = entries
        .into_iter()
        .map(|(k, v)| if k == PROVIDER_ADDRESS { (tf.provider_address(), v) } else { (k, v) })
        .collect();
    Json::Object(rekeyed).to_string()
}

impl Drop for DebugServer {
    fn drop(&mut self) {
        // SIGTERM lets the server remove its socket; SIGKILL if it lingers.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-s", "TERM", "--", &pid]).status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Terraform state as `terraform show -json` prints it, flattened per resource.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// address → attribute values
    pub resources: BTreeMap<String, Json>,
    pub raw: Json,
    /// The working directory the state belongs to.
    pub dir: PathBuf,
}

impl State {
    /// Parses what `terraform show -json` printed. Anything else (no JSON,
    /// or JSON without `format_version`) fails the test: read as an empty
    /// state, it would make "nothing left after destroy" or "the failed step
    /// changed nothing" true by default.
    pub fn parse(show_json: &[u8]) -> State {
        let raw: Json = serde_json::from_slice(show_json).unwrap_or_else(|e| {
            panic!("`terraform show -json` did not print JSON ({e}):\n{}", String::from_utf8_lossy(show_json))
        });
        assert!(
            raw["format_version"].is_string(),
            "`terraform show -json` printed JSON without format_version, not a state:\n{raw}"
        );
        let mut resources = BTreeMap::new();
        fn walk(module: &Json, out: &mut BTreeMap<String, Json>) {
            for r in module["resources"].as_array().into_iter().flatten() {
                if let Some(addr) = r["address"].as_str() {
                    out.insert(addr.to_string(), r["values"].clone());
                }
            }
            for m in module["child_modules"].as_array().into_iter().flatten() {
                walk(m, out);
            }
        }
        walk(&raw["values"]["root_module"], &mut resources);
        State { resources, raw, dir: PathBuf::new() }
    }

    /// An attribute of a resource (Json::Null when absent).
    pub fn attr(&self, address: &str, name: &str) -> Json {
        self.resources.get(address).map(|v| v[name].clone()).unwrap_or(Json::Null)
    }

    pub fn str(&self, address: &str, name: &str) -> String {
        match self.attr(address, name) {
            Json::String(s) => s,
            other => panic!("{address}.{name} is not a string: {other}"),
        }
    }

    /// Output values.
    pub fn output(&self, name: &str) -> Json {
        self.raw["values"]["outputs"][name]["value"].clone()
    }
}

pub type Check = Box<dyn Fn(&State) -> Result<(), String> + Send + Sync>;

/// How an import step finds its ID.
pub enum ImportId {
    Fixed(String),
    FromState(Box<dyn Fn(&State) -> String + Send + Sync>),
    /// The `id` attribute of the resource.
    FromId,
}

/// One test step.
pub enum Step {
    Config {
        config: String,
        checks: Vec<Check>,
        /// When set, plan or apply must fail with output matching all of these.
        expect_error: Vec<String>,
        /// The changes the plan after apply (with refresh) must make, as
        /// (address, action); empty: no change. See [`Step::expect_plan`].
        expect_plan: Vec<(String, String)>,
    },
    Import {
        resource: String,
        id: ImportId,
        /// Compare the imported attributes with the state of the previous step.
        verify: bool,
        ignore: Vec<String>,
    },
}

impl Step {
    pub fn config(config: impl Into<String>) -> Step {
        Step::Config { config: config.into(), checks: Vec::new(), expect_error: Vec::new(), expect_plan: Vec::new() }
    }
    pub fn check(mut self, f: impl Fn(&State) -> Result<(), String> + Send + Sync + 'static) -> Step {
        if let Step::Config { checks, .. } = &mut self {
            checks.push(Box::new(f));
        }
        self
    }
    pub fn expect_error(mut self, pattern: &str) -> Step {
        if let Step::Config { expect_error, .. } = &mut self {
            expect_error.push(pattern.to_string());
        }
        self
    }
    /// After apply, `plan -refresh=false` must still be empty, and the plan
    /// with refresh must make exactly `changes`: (resource address, action),
    /// the action one of those [`WorkDir::planned_changes`] names (e.g.
    /// `("kubeadm_bootstrap_token.t", "recreate")` for a token a refresh
    /// dropped).
    pub fn expect_plan(mut self, changes: &[(&str, &str)]) -> Step {
        if let Step::Config { expect_plan, .. } = &mut self {
            expect_plan.extend(changes.iter().map(|(a, c)| (a.to_string(), c.to_string())));
        }
        self
    }
    pub fn import(resource: &str, id: ImportId) -> Step {
        Step::Import { resource: resource.to_string(), id, verify: true, ignore: Vec::new() }
    }
    pub fn ignore(mut self, attrs: &[&str]) -> Step {
        if let Step::Import { ignore, .. } = &mut self {
            ignore.extend(attrs.iter().map(|s| s.to_string()));
        }
        self
    }
}

/// A working directory bound to one Terraform binary.
pub struct WorkDir {
    pub tf: Terraform,
    pub dir: tempfile::TempDir,
    cli_config: PathBuf,
    pub env: Vec<(String, String)>,
    /// Provider environment (passed to the debug server).
    pub provider_env: Vec<(String, String)>,
}

/// The outcome of one CLI command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl WorkDir {
    pub fn new(tf: &Terraform) -> WorkDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let cli_config = dir.path().join(".terraformrc");
        std::fs::write(&cli_config, "").expect("cli config");
        WorkDir { tf: tf.clone(), dir, cli_config, env: Vec::new(), provider_env: Vec::new() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write_config(&self, config: &str) {
        std::fs::write(self.path().join("main.tf"), config).expect("write main.tf");
    }

    /// The base command: a clean environment apart from PATH and HOME.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.tf.path);
        cmd.args(args).current_dir(self.path()).env_clear().stdin(Stdio::null());
        for k in ["PATH", "HOME", "TMPDIR", "LANG"] {
            if let Ok(v) = std::env::var(k) {
                cmd.env(k, v);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a terraform command with a fresh debug server attached.
    pub fn run(&self, args: &[&str]) -> Run {
        let server = DebugServer::start(&self.provider_env, self.path());
        let mut cmd = self.command(args);
        cmd.env("TF_REATTACH_PROVIDERS", reattach_for(&self.tf, &server.reattach));
        let started = Instant::now();
        let out = cmd.output().expect("run terraform");
        record_cli_time(&self.tf, args, started.elapsed());
        drop(server);
        Run::from(out)
    }

    /// Runs and requires success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "terraform {} failed on {}:\n{}", args.join(" "), self.tf.label(), r.combined());
        r
    }

    pub fn init(&self) {
        self.ok(&["init", "-input=false", "-no-color"]);
    }

    pub fn state(&self) -> State {
        let r = self.ok(&["show", "-json", "-no-color"]);
        let mut s = State::parse(r.stdout.as_bytes());
        s.dir = self.path().to_path_buf();
        s
    }

    /// `plan -detailed-exitcode`: true when the plan is empty.
    pub fn plan_is_empty(&self, extra: &[&str]) -> (bool, String) {
        let mut args = vec!["plan", "-input=false", "-no-color", "-detailed-exitcode"];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        match r.code {
            0 => (true, r.combined()),
            2 => (false, r.combined()),
            _ => panic!("terraform plan failed on {}:\n{}", self.tf.label(), r.combined()),
        }
    }

    /// `plan -out` (with `extra`), then `show -json` of the saved plan: every
    /// change it makes as (address, action), sorted, and the plan's output.
    /// No-ops and data source reads are left out. The action is `create`,
    /// `update`, `delete`, `replace` (delete and create, in either order), or
    /// `recreate`: a create of a resource the refresh found gone (listed as
    /// deleted in `resource_drift`).
    pub fn planned_changes(&self, extra: &[&str]) -> (Vec<(String, String)>, String) {
        let mut args = vec!["plan", "-input=false", "-no-color", "-out=tfplan-check"];
        args.extend_from_slice(extra);
        let plan = self.ok(&args);
        let show = self.ok(&["show", "-json", "-no-color", "tfplan-check"]);
        let json: Json = serde_json::from_str(&show.stdout).unwrap_or_else(|e| {
            panic!("show -json of the plan on {} is not JSON ({e}):\n{}", self.tf.label(), show.stdout)
        });
        assert!(json["format_version"].is_string(), "show -json of the plan on {}: no format_version", self.tf.label());
        let actions = |c: &Json| -> Vec<String> {
            c["change"]["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str())
                .map(str::to_string)
                .collect()
        };
        let dropped: Vec<String> = json["resource_drift"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| actions(c) == ["delete"])
            .filter_map(|c| c["address"].as_str().map(str::to_string))
            .collect();
        let mut out = Vec::new();
        for c in json["resource_changes"].as_array().into_iter().flatten() {
            let address = c["address"].as_str().unwrap_or_default().to_string();
            let acts = actions(c);
            let action = match acts.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["no-op"] | ["read"] => continue,
                ["create"] if dropped.contains(&address) => "recreate".to_string(),
                ["delete", "create"] | ["create", "delete"] => "replace".to_string(),
                [one] => one.to_string(),
                other => other.join("+"),
            };
            out.push((address, action));
        }
        out.sort();
        (out, plan.combined())
    }
}

/// Runs `steps` against every Terraform found, then destroys and checks that
/// nothing is left. `config_for` may adapt configs per version.
pub fn run_case(name: &str, steps: &[Step]) {
    for tf in terraforms() {
        run_case_on(name, &tf, steps, &[]);
    }
}

pub fn run_case_on(name: &str, tf: &Terraform, steps: &[Step], provider_env: &[(String, String)]) {
    let mut wd = WorkDir::new(tf);
    wd.provider_env = provider_env.to_vec();
    let mut last_config: Option<String> = None;
    let mut last_good: Option<String> = None;
    let mut initialised = false;
    let mut last_state = State::default();
    let ctx = |i: usize| format!("{name}, step {}, {}", i + 1, tf.label());
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Config { config, checks, expect_error, expect_plan } => {
                wd.write_config(config);
                if !initialised {
                    wd.init();
                    initialised = true;
                }
                last_config = Some(config.clone());
                let plan = wd.run(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
                let outcome =
                    if plan.code != 0 { plan } else { wd.run(&["apply", "-input=false", "-no-color", "tfplan"]) };
                if !expect_error.is_empty() {
                    assert_ne!(outcome.code, 0, "{}: expected an error, got success:\n{}", ctx(i), outcome.combined());
                    let text = outcome.combined();
                    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    for pat in expect_error {
                        assert!(flat.contains(pat.as_str()), "{}: error output lacks {pat:?}:\n{text}", ctx(i));
                    }
                    assert!(
                        !text.contains("panic") && !text.contains("crashed"),
                        "{}: the provider crashed:\n{text}",
                        ctx(i)
                    );
                    // A failed step changes nothing that was already applied.
                    let now = wd.state();
                    assert_eq!(now.resources, last_state.resources, "{}: the failed step changed the state", ctx(i));
                    // Later steps and the final destroy run on the last good config.
                    last_config = last_good.clone();
                    if let Some(good) = &last_good {
                        wd.write_config(good);
                    }
                    continue;
                }
                assert_eq!(outcome.code, 0, "{}: plan/apply failed:\n{}", ctx(i), outcome.combined());
                last_good = Some(config.clone());
                let state = wd.state();
                for c in checks {
                    if let Err(e) = c(&state) {
                        panic!("{}: check failed: {e}\nstate: {:#}", ctx(i), state.raw["values"]);
                    }
                }
                let (empty_no_refresh, out1) = wd.plan_is_empty(&["-refresh=false"]);
                assert!(empty_no_refresh, "{}: plan -refresh=false not empty:\n{out1}", ctx(i));
                if expect_plan.is_empty() {
                    let (empty_refresh, out2) = wd.plan_is_empty(&[]);
                    assert!(empty_refresh, "{}: plan not empty:\n{out2}", ctx(i));
                } else {
                    let mut want = expect_plan.clone();
                    want.sort();
                    let (got, out) = wd.planned_changes(&[]);
                    assert_eq!(
                        got,
                        want,
                        "{}: the plan after refresh makes other changes than expected:\n{out}",
                        ctx(i)
                    );
                }
                last_state = state;
            }
            Step::Import { resource, id, verify, ignore } => {
                let id = match id {
                    ImportId::Fixed(s) => s.clone(),
                    ImportId::FromState(f) => f(&last_state),
                    ImportId::FromId => last_state.str(resource, "id"),
                };
                let mut iwd = WorkDir::new(tf);
                iwd.provider_env = provider_env.to_vec();
                iwd.write_config(last_config.as_deref().expect("an import step needs a config step before it"));
                iwd.init();
                let r = iwd.run(&["import", "-input=false", "-no-color", resource, &id]);
                assert_eq!(r.code, 0, "{}: import failed:\n{}", ctx(i), r.combined());
                let imported = iwd.state();
                if *verify {
                    let want = last_state.resources.get(resource).cloned().unwrap_or(Json::Null);
                    let got = imported.resources.get(resource).cloned().unwrap_or(Json::Null);
                    let (Json::Object(want), Json::Object(got)) = (want, got) else {
                        panic!("{}: {resource} missing from the created or imported state", ctx(i));
                    };
                    let mut diffs = Vec::new();
                    for (k, w) in &want {
                        if ignore.iter().any(|p| k == p || k.starts_with(&format!("{p}."))) {
                            continue;
                        }
                        let g = got.get(k).cloned().unwrap_or(Json::Null);
                        if &g != w {
                            diffs.push(format!("  {k}: created {w}, imported {g}"));
                        }
                    }
                    assert!(
                        diffs.is_empty(),
                        "{}: import verification found differences:\n{}",
                        ctx(i),
                        diffs.join("\n")
                    );
                }
                // Destroying the imported copy must work too (it shares no objects).
                iwd.ok(&["state", "rm", "-no-color", resource]);
            }
        }
    }
    if initialised {
        let pre = wd.state();
        if !pre.resources.is_empty() {
            wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false"]);
        }
        let post = wd.state();
        assert!(
            post.resources.is_empty(),
            "{name} on {}: resources left after destroy: {:?}",
            tf.label(),
            post.resources.keys()
        );
    }
}

/// The `terraform { required_providers }` header every test config starts with.
pub const HEADER: &str = r#"terraform {
  required_providers {
    kubeadm = { source = "kubeadm-ignition/kubeadm" }
  }
}
"#;

pub fn config(body: &str) -> String {
    format!("{HEADER}\n{body}\n")
}

/// Installs the provider binary into a filesystem mirror and points a CLI
/// config at it, so Terraform starts the provider itself (real handshake,
/// AutoMTLS) after an ordinary `terraform init`.
pub fn install_mirror(wd: &WorkDir) {
    install_mirror_of(wd, &provider_binary());
}

/// `install_mirror` with another build of the provider (an earlier release).
pub fn install_mirror_of(wd: &WorkDir, binary: &Path) {
    let version = env!("CARGO_PKG_VERSION");
    let mirror = wd.path().join(".mirror");
    // The directory is the address the short source resolves to, which
    // differs between Terraform and OpenTofu (see `Terraform::provider_address`).
    let address = wd.tf.provider_address();
    let host = wd.tf.registry_host();
    let dir = mirror.join(format!("{address}/{version}/linux_amd64"));
    std::fs::create_dir_all(&dir).expect("mirror dir");
    let bin = dir.join(format!("terraform-provider-kubeadm_v{version}"));
    std::fs::copy(binary, &bin).expect("copy provider into the mirror");
    std::fs::write(
        &wd.cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{host}/kubeadm-ignition/*\"]\n  }}\n  direct {{\n    exclude = [\"{host}/kubeadm-ignition/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("cli config");
}

impl WorkDir {
    /// Runs a terraform command that starts the provider itself (see `install_mirror`).
    pub fn run_direct(&self, args: &[&str]) -> Run {
        let started = Instant::now();
        let out = self.command(args).output().expect("run terraform");
        record_cli_time(&self.tf, args, started.elapsed());
        Run::from(out)
    }

    pub fn ok_direct(&self, args: &[&str]) -> Run {
        let r = self.run_direct(args);
        assert_eq!(r.code, 0, "terraform {} failed on {}:\n{}", args.join(" "), self.tf.label(), r.combined());
        r
    }
}

/// A moto S3 server on a free loopback port, stopped on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
    /// Where moto's request recorder writes (see [`Moto::record`]).
    recording: tempfile::NamedTempFile,
}

/// One request moto recorded.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, e.g. `/bucket/key` or `/bucket?list-type=2&prefix=...`.
    pub target: String,
}

impl Moto {
    pub fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let recording = tempfile::NamedTempFile::new().expect("recording file");
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_RECORDER_FILEPATH", recording.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server is missing: pip install 'moto[server]' (scripts/test.sh does)");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "moto_server did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto { child, port, recording }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs `f` with moto's request recorder on and returns what it
    /// returned and the S3 requests the server received meanwhile.
    pub fn record<T>(&self, f: impl FnOnce() -> T) -> (T, Vec<Recorded>) {
        self.recorder("reset-recording");
        self.recorder("start-recording");
        let out = f();
        self.recorder("stop-recording");
        let text = std::fs::read_to_string(self.recording.path()).expect("read moto's recording");
        let requests = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let entry: serde_json::Value = serde_json::from_str(l).expect("a recorded request");
                let url = entry["url"].as_str().unwrap_or_default();
                let target = url.splitn(4, '/').nth(3).map(|t| format!("/{t}")).unwrap_or_default();
                Recorded { method: entry["method"].as_str().unwrap_or_default().to_string(), target }
            })
            .collect();
        (out, requests)
    }

    /// One call of moto's recorder API.
    fn recorder(&self, action: &str) {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect to moto");
        write!(
            conn,
            "POST /moto-api/recorder/{action} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .expect("send to moto");
        let mut answer = String::new();
        let _ = conn.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.") && answer[8..].starts_with(" 200"), "moto recorder {action}: {answer}");
    }

    /// The environment a provider process needs to reach this server.
    pub fn provider_env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ]
    }

    /// Runs a boto3 snippet against this server; `s3` is a ready client.
    pub fn boto3(&self, code: &str) -> String {
        let script = format!(
            "import boto3, json\ns3 = boto3.client('s3', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n{code}\n",
            self.endpoint()
        );
        // The venv scripts/install-moto.sh made has boto3; else the machine's python.
        let venv = repo_root().join(".tools/venv-moto/bin/python");
        let python = if venv.is_file() { venv } else { PathBuf::from("python3") };
        let out = Command::new(python).arg("-c").arg(&script).output().expect("python3");
        assert!(out.status.success(), "boto3 failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl WorkDir {
    /// Like [`WorkDir::run`], but gives up (and fails the test) when the
    /// command has not finished within `limit`.
    pub fn run_within(&self, args: &[&str], limit: Duration) -> Run {
        use std::io::Read;
        let server = DebugServer::start(&self.provider_env, self.path());
        let mut cmd = self.command(args);
        cmd.env("TF_REATTACH_PROVIDERS", reattach_for(&self.tf, &server.reattach))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run terraform");
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                String::from_utf8_lossy(&bytes).into_owned()
            })
        };
        let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let deadline = std::time::Instant::now() + limit;
        let status = loop {
            match child.try_wait().expect("wait for terraform") {
                Some(status) => break Some(status),
                None if std::time::Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        drop(server);
        let run = Run {
            code: status.and_then(|s| s.code()).unwrap_or(-1),
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        };
        assert!(
            status.is_some(),
            "terraform {} did not finish within {limit:?} on {}:\n{}",
            args.join(" "),
            self.tf.label(),
            run.combined()
        );
        run
    }
}

/// The access key every [`S3sFs`] accepts.
pub const S3S_ACCESS_KEY: &str = "AKIAS3SFSTESTKEY0001";
/// The secret key that goes with [`S3S_ACCESS_KEY`].
pub const S3S_SECRET_KEY: &str = "s3s-fs-secret-for-tests-only";

/// s3s-fs on PATH, else the copy `scripts/install-s3s.sh` builds under the
/// tools directory (`KUBEADM_TOOLS_DIR`, default `<repo>/.tools`).
pub fn s3s_fs_binary() -> PathBuf {
    if let Some(path) =
        std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("s3s-fs")).find(|p| p.is_file()))
    {
        return path;
    }
    let tools = std::env::var("KUBEADM_TOOLS_DIR").map(PathBuf::from).unwrap_or_else(|_| repo_root().join(".tools"));
    let built = tools.join("s3s/bin/s3s-fs");
    assert!(built.is_file(), "s3s-fs is neither on PATH nor at {}: run scripts/install-s3s.sh", built.display());
    built
}

/// An s3s-fs server (an S3 server that keeps buckets as subdirectories of a
/// directory and checks SigV4 signatures) on a free loopback port, with its
/// own temporary directory. It can be stopped and started again on the same
/// port and directory; the data stays on disk. Killed on drop.
pub struct S3sFs {
    child: Option<Child>,
    pub port: u16,
    home: tempfile::TempDir,
}

impl S3sFs {
    const READY_LINE: &'static str = "server is running at";

    pub fn start() -> S3sFs {
        let home = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(home.path().join("data")).expect("data dir");
        let mut last = String::new();
        // A port found free can be taken before the server binds it: try a few.
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("free loopback port");
            match S3sFs::spawn(home.path(), port, Duration::from_secs(20)) {
                Ok(child) => return S3sFs { child: Some(child), port, home },
                Err(e) => last = e,
            }
        }
        panic!("s3s-fs did not start:\n{last}");
    }

    /// Starts the server and waits until it says it listens on `port`.
    fn spawn(home: &Path, port: u16, limit: Duration) -> Result<Child, String> {
        let log_path = home.join("s3s-fs.log");
        let ready_before = std::fs::read_to_string(&log_path).unwrap_or_default().matches(S3sFs::READY_LINE).count();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path).map_err(|e| e.to_string())?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let mut child = Command::new(s3s_fs_binary())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", S3S_ACCESS_KEY, "--secret-key", S3S_SECRET_KEY])
            .arg(home.join("data"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| format!("cannot run s3s-fs: {e}"))?;
        let deadline = std::time::Instant::now() + limit;
        loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("s3s-fs exited ({status}) before listening on port {port}:\n{text}"));
            }
            if text.matches(S3sFs::READY_LINE).count() > ready_before
                && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                return Ok(child);
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("s3s-fs did not listen on port {port} within {limit:?}:\n{text}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The directory holding the buckets.
    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    pub fn create_bucket(&self, bucket: &str) {
        std::fs::create_dir_all(self.data_dir().join(bucket)).expect("create the bucket directory");
    }

    /// The keys of the objects in `bucket`, sorted, read from disk (works
    /// while the server is stopped).
    pub fn objects(&self, bucket: &str) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else if let Ok(rel) = path.strip_prefix(root) {
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
        }
        let root = self.data_dir().join(bucket);
        let mut out = Vec::new();
        walk(&root, &root, &mut out);
        out.sort();
        out
    }

    /// The stored bytes of an object, read from disk.
    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.data_dir().join(bucket).join(key)).ok()
    }

    /// What the server logged, across restarts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("s3s-fs.log")).unwrap_or_default()
    }

    /// The environment a provider process needs to reach this server.
    pub fn provider_env(&self) -> Vec<(String, String)> {
        self.provider_env_with(S3S_ACCESS_KEY, S3S_SECRET_KEY)
    }

    /// The same with other credentials.
    pub fn provider_env_with(&self, access_key: &str, secret_key: &str) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), access_key.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), secret_key.into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ]
    }

    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Kills the server (as a crash would); the port then refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(std::time::Instant::now() < deadline, "port {} still answers after stopping s3s-fs", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same port and directory.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match S3sFs::spawn(self.home.path(), self.port, left) {
                Ok(child) => {
                    self.child = Some(child);
                    return;
                }
                // The port may linger for a moment after the kill.
                Err(e) if std::time::Instant::now() >= deadline => panic!("s3s-fs did not restart:\n{e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The diagnostics Terraform prints: each from its `Error: ` or `Warning: `
/// line to the next one (boxed with `╷ │ ╵` on a terminal, plain here; both
/// are read, without the margin).
pub fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('╷') || t.starts_with('╵') {
            continue;
        }
        let t = t.strip_prefix('│').map(|r| r.strip_prefix(' ').unwrap_or(r)).unwrap_or(line);
        if t.starts_with("Error: ") || t.starts_with("Warning: ") {
            if let Some(b) = cur.take() {
                out.push(b);
            }
            cur = Some(String::new());
        }
        if let Some(b) = &mut cur {
            b.push_str(t);
            b.push('\n');
        }
    }
    out.extend(cur);
    out
}
