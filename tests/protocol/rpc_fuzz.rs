//! Robustness of the gRPC surface against malformed input.
//!
//! Each test starts the real binary with `--debug`, connects to the unix
//! socket it announces, configures the provider with a valid (empty) provider
//! block and then sends broken dynamic values, states, import IDs and type
//! names to every RPC that accepts them.
//!
//! The rules checked:
//!
//! - a request never fails at the transport level (no gRPC status, no broken
//!   connection) and never reaches the panic guard ("Internal provider error");
//! - input from the fixed corpus is always answered with at least one error
//!   diagnostic (severity 1) whose summary and detail are both non-empty;
//! - randomly generated input may be accepted (random bytes sometimes decode
//!   as null, as an unknown, or as a valid object), so any answer is fine as
//!   long as it is not a transport error; but when a reference decoder shows
//!   that the bytes cannot be a value of the expected object type, an error
//!   diagnostic is required there too;
//! - afterwards the process is still running and still answers
//!   `GetProviderSchema`, and it logged no internal error.

use std::io::{BufRead, BufReader, Read, Seek};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rmpv::Value as Mp;
use terraform_provider_kubeadm::tfplugin::proto::tfplugin6 as pb;
use tonic::transport::{Channel, Endpoint, Uri};

use pb::provider_client::ProviderClient;

/// The only resource type the provider serves.
const TOKEN: &str = "kubeadm_bootstrap_token";
/// Upper bound for one RPC (the slowest inputs are a few hundred kilobytes).
const RPC_TIMEOUT: Duration = Duration::from_secs(10);
/// Upper bound for the binary to print its reattach line.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// The summary the server's panic guard uses; seeing it means a handler panicked.
const PANIC_SUMMARY: &str = "Internal provider error";
/// Diagnostic severity ERROR in tfplugin6.
const ERROR: i32 = 1;

// ---------------------------------------------------------------------------
// The provider process

/// The running debug server; killed (and reaped) when dropped, so a failing
/// assertion never leaves a stray process behind.
struct Server {
    child: Child,
    socket: PathBuf,
    stderr: tempfile::NamedTempFile,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
    }
}

impl Server {
    fn start() -> Server {
        let stderr = tempfile::NamedTempFile::new().expect("temporary file for the provider's stderr");
        let err_handle = stderr.reopen().expect("reopen the stderr file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-kubeadm"))
            .arg("--debug")
            // Warnings and errors only: a caught panic is logged at error level.
            .env("TF_LOG_PROVIDER", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err_handle))
            .spawn()
            .expect("start terraform-provider-kubeadm --debug");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut server = Server { child, socket: PathBuf::new(), stderr };

        // Read stdout on a thread so the wait below can time out; the thread
        // keeps draining until the process exits.
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let reattach = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.split_once("TF_REATTACH_PROVIDERS='").map(|(_, r)| r) {
                        break rest.trim_end().trim_end_matches('\'').to_string();
                    }
                }
                Err(e) => panic!("no TF_REATTACH_PROVIDERS line from the provider ({e}); stderr:\n{}", server.log()),
            }
        };
        let doc: serde_json::Value = serde_json::from_str(&reattach).expect("reattach value is JSON");
        let entry = &doc["registry.terraform.io/kubeadm-ignition/kubeadm"];
        assert_eq!(entry["Protocol"], "grpc", "{reattach}");
        assert_eq!(entry["ProtocolVersion"], 6, "{reattach}");
        assert_eq!(entry["Test"], true, "{reattach}");
        assert_eq!(entry["Pid"], server.child.id(), "{reattach}");
        assert_eq!(entry["Addr"]["Network"], "unix", "{reattach}");
        let path = entry["Addr"]["String"].as_str().expect("socket path in the reattach value");
        server.socket = PathBuf::from(path);
        server
    }

    /// What the provider wrote to stderr so far.
    fn log(&self) -> String {
        let mut f = match self.stderr.reopen() {
            Ok(f) => f,
            Err(e) => return format!("<cannot read stderr: {e}>"),
        };
        let mut s = String::new();
        let _ = f.rewind();
        let _ = f.read_to_string(&mut s);
        s
    }

    /// The CPU time the provider process has used (user and system, from
    /// `/proc/<pid>/stat`, in ticks of 1/100 s, Linux's fixed USER_HZ).
    fn cpu_time(&self) -> Duration {
        let path = format!("/proc/{}/stat", self.child.id());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // After the command name in parentheses: state, then fields 4.. of proc(5).
        let rest = text.rsplit_once(") ").map(|(_, r)| r).unwrap_or_else(|| panic!("{path}: {text}"));
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks =
            |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or_else(|| panic!("{path}: {text}"));
        // utime and stime are fields 14 and 15, so 11 and 12 here.
        Duration::from_millis((ticks(11) + ticks(12)) * 10)
    }

    fn assert_running(&mut self) {
        match self.child.try_wait() {
            Ok(None) => {}
            Ok(Some(status)) => panic!("the provider exited ({status}); stderr:\n{}", self.log()),
            Err(e) => panic!("cannot check the provider process: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------
// msgpack helpers

fn mp(v: &Mp) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, v).expect("encoding into a Vec cannot fail");
    out
}

fn s(x: &str) -> Mp {
    Mp::from(x)
}

fn map(entries: Vec<(Mp, Mp)>) -> Mp {
    Mp::Map(entries)
}

/// A string whose bytes are not UTF-8 (msgpack fixstr `0xa2 0xff 0xfe`).
fn bad_utf8() -> Mp {
    // rmpv keeps undecodable string bytes as they are, so decoding is the way
    // to get such a value.
    rmpv::decode::read_value(&mut &[0xa2u8, 0xff, 0xfe][..]).expect("a fixstr of two bytes")
}

/// A plain unknown value, as go-cty writes it (fixext1 type 0).
fn unknown() -> Mp {
    Mp::Ext(0, vec![0])
}

fn dv_msgpack(bytes: Vec<u8>) -> pb::DynamicValue {
    pb::DynamicValue { msgpack: bytes, json: Vec::new() }
}

fn dv_json(bytes: impl Into<Vec<u8>>) -> pb::DynamicValue {
    pb::DynamicValue { msgpack: Vec::new(), json: bytes.into() }
}

/// An object with every attribute null.
fn null_object(attrs: &[String]) -> Mp {
    map(attrs.iter().map(|a| (s(a), Mp::Nil)).collect())
}

// ---------------------------------------------------------------------------
// The harness: one provider process, one client, valid fixtures

/// The configuration objects a request can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Provider,
    Resource,
}

/// Every request field that carries a `DynamicValue`, each in the context of
/// an otherwise valid request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    ValidateProviderConfig,
    ConfigureProvider,
    ValidateResourceConfig,
    PlanCreatePrior,
    PlanCreateProposed,
    PlanCreateConfig,
    PlanUpdatePrior,
    PlanUpdateProposed,
    PlanUpdateConfig,
    ApplyCreatePrior,
    ApplyCreatePlanned,
    ApplyCreateConfig,
    ApplyUpdatePrior,
    ApplyUpdatePlanned,
    ApplyUpdateConfig,
    ReadCurrentState,
}

const FIELDS: [Field; 16] = [
    Field::ValidateProviderConfig,
    Field::ConfigureProvider,
    Field::ValidateResourceConfig,
    Field::PlanCreatePrior,
    Field::PlanCreateProposed,
    Field::PlanCreateConfig,
    Field::PlanUpdatePrior,
    Field::PlanUpdateProposed,
    Field::PlanUpdateConfig,
    Field::ApplyCreatePrior,
    Field::ApplyCreatePlanned,
    Field::ApplyCreateConfig,
    Field::ApplyUpdatePrior,
    Field::ApplyUpdatePlanned,
    Field::ApplyUpdateConfig,
    Field::ReadCurrentState,
];

impl Field {
    fn kind(self) -> Kind {
        match self {
            Field::ValidateProviderConfig | Field::ConfigureProvider => Kind::Provider,
            _ => Kind::Resource,
        }
    }
}

/// Valid values, taken from the provider's own answers where possible.
#[derive(Default)]
struct Fixtures {
    provider_attrs: Vec<String>,
    resource_attrs: Vec<String>,
    /// `{"store": nil}`.
    provider_config: Vec<u8>,
    /// A resource object with every attribute null (a config using defaults).
    resource_null: Vec<u8>,
    /// The plan for creating that config (with unknowns).
    planned_create: pb::DynamicValue,
    /// The state the create produced (wholly known).
    state: pb::DynamicValue,
}

struct Harness {
    client: ProviderClient<Channel>,
    rt: tokio::runtime::Runtime,
    fx: Fixtures,
    server: Server,
}

/// A failure that is not a diagnostic: a gRPC status or a timeout.
fn transport_failure<T>(
    what: &str,
    r: Result<Result<tonic::Response<T>, tonic::Status>, tokio::time::error::Elapsed>,
) -> Result<T, String> {
    match r {
        Ok(Ok(resp)) => Ok(resp.into_inner()),
        Ok(Err(status)) => Err(format!("{what}: transport error {status:?}")),
        Err(_) => Err(format!("{what}: no answer within {RPC_TIMEOUT:?}")),
    }
}

impl Harness {
    fn start() -> Harness {
        let server = Server::start();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let socket = server.socket.clone();
        let channel = rt.block_on(async move {
            let endpoint = Endpoint::try_from("http://localhost")
                .expect("static URI")
                .connect_timeout(RPC_TIMEOUT)
                .timeout(RPC_TIMEOUT);
            let connect = endpoint.connect_with_connector(tower::service_fn(move |_: Uri| {
                let p = socket.clone();
                async move { Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(p).await?)) }
            }));
            tokio::time::timeout(RPC_TIMEOUT, connect).await
        });
        let channel = match channel {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => panic!("cannot connect to {}: {e:?}; stderr:\n{}", server.socket.display(), server.log()),
            Err(_) => panic!("connecting to {} timed out", server.socket.display()),
        };
        let client =
            ProviderClient::new(channel).max_decoding_message_size(64 << 20).max_encoding_message_size(64 << 20);
        let mut h = Harness { client, rt, fx: Fixtures::default(), server };
        h.fx = h.fixtures();
        h
    }

    /// Runs one RPC with a timeout; a transport failure fails the test.
    fn rpc<T, F>(&self, what: &str, call: impl FnOnce(ProviderClient<Channel>) -> F) -> T
    where
        F: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        self.try_rpc(what, call).unwrap_or_else(|e| panic!("{e}; provider stderr:\n{}", self.server.log()))
    }

    fn try_rpc<T, F>(&self, what: &str, call: impl FnOnce(ProviderClient<Channel>) -> F) -> Result<T, String>
    where
        F: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let fut = call(self.client.clone());
        transport_failure(what, self.rt.block_on(async move { tokio::time::timeout(RPC_TIMEOUT, fut).await }))
    }

    fn schema(&self) -> pb::get_provider_schema::Response {
        self.rpc("GetProviderSchema", |mut c| async move {
            c.get_provider_schema(pb::get_provider_schema::Request::default()).await
        })
    }

    /// Reads the schemas, configures the provider and creates one token
    /// through plan and apply, to have valid values for every field.
    fn fixtures(&self) -> Fixtures {
        let schema = self.schema();
        let provider = schema.provider.and_then(|p| p.block).expect("provider schema block");
        assert!(provider.attributes.is_empty(), "provider block attributes: {:?}", provider.attributes);
        assert_eq!(provider.block_types.len(), 1, "provider block types: {:?}", provider.block_types);
        assert_eq!(provider.block_types[0].type_name, "store");
        assert_eq!(provider.block_types[0].nesting, pb::schema::nested_block::NestingMode::Single as i32);
        let provider_attrs = vec!["store".to_string()];
        let provider_config = mp(&null_object(&provider_attrs));
        assert_eq!(provider_config, [0x81, 0xa5, b's', b't', b'o', b'r', b'e', 0xc0]);

        let res = schema.resource_schemas.get(TOKEN).and_then(|s| s.block.clone()).expect("token resource schema");
        assert!(res.block_types.is_empty(), "the token resource has no nested blocks");
        let resource_attrs: Vec<String> = res.attributes.iter().map(|a| a.name.clone()).collect();
        assert!(resource_attrs.iter().any(|a| a == "ttl") && resource_attrs.iter().any(|a| a == "usages"));
        let resource_null = mp(&null_object(&resource_attrs));

        let configured = self.rpc("ConfigureProvider", |mut c| {
            let config = provider_config.clone();
            async move {
                c.configure_provider(pb::configure_provider::Request {
                    terraform_version: "1.9.0".into(),
                    config: Some(dv_msgpack(config)),
                    client_capabilities: None,
                })
                .await
            }
        });
        assert_no_errors("ConfigureProvider with an empty provider block", &configured.diagnostics);

        let plan = self.rpc("PlanResourceChange", |mut c| {
            let null = resource_null.clone();
            async move {
                c.plan_resource_change(pb::plan_resource_change::Request {
                    type_name: TOKEN.into(),
                    prior_state: Some(dv_msgpack(vec![0xc0])),
                    proposed_new_state: Some(dv_msgpack(null.clone())),
                    config: Some(dv_msgpack(null)),
                    ..Default::default()
                })
                .await
            }
        });
        assert_no_errors("baseline create plan", &plan.diagnostics);
        let planned_create = plan.planned_state.expect("a create plan has a planned state");

        let apply = self.rpc("ApplyResourceChange", |mut c| {
            let (null, planned) = (resource_null.clone(), planned_create.clone());
            async move {
                c.apply_resource_change(pb::apply_resource_change::Request {
                    type_name: TOKEN.into(),
                    prior_state: Some(dv_msgpack(vec![0xc0])),
                    planned_state: Some(planned),
                    config: Some(dv_msgpack(null)),
                    ..Default::default()
                })
                .await
            }
        });
        assert_no_errors("baseline create apply", &apply.diagnostics);
        let state = apply.new_state.expect("a successful create has a new state");

        Fixtures { provider_attrs, resource_attrs, provider_config, resource_null, planned_create, state }
    }

    fn attrs(&self, kind: Kind) -> &[String] {
        match kind {
            Kind::Provider => &self.fx.provider_attrs,
            Kind::Resource => &self.fx.resource_attrs,
        }
    }

    fn valid_object(&self, kind: Kind) -> Vec<u8> {
        match kind {
            Kind::Provider => self.fx.provider_config.clone(),
            Kind::Resource => self.fx.resource_null.clone(),
        }
    }

    /// Sends the valid request for `field`, with `bad` (when given) in place
    /// of the field's value, and returns the diagnostics.
    fn send(&self, field: Field, bad: Option<pb::DynamicValue>) -> Result<Vec<pb::Diagnostic>, String> {
        let fx = &self.fx;
        let null_state = dv_msgpack(vec![0xc0]);
        let provider = dv_msgpack(fx.provider_config.clone());
        let resource = dv_msgpack(fx.resource_null.clone());
        let pick = |me: Field, valid: &pb::DynamicValue| {
            Some(if field == me { bad.clone() } else { None }.unwrap_or_else(|| valid.clone()))
        };
        let what = format!("{field:?}");
        match field {
            Field::ValidateProviderConfig => self
                .try_rpc(&what, |mut c| {
                    let config = pick(Field::ValidateProviderConfig, &provider);
                    async move { c.validate_provider_config(pb::validate_provider_config::Request { config }).await }
                })
                .map(|r| r.diagnostics),
            Field::ConfigureProvider => self
                .try_rpc(&what, |mut c| {
                    let config = pick(Field::ConfigureProvider, &provider);
                    async move {
                        c.configure_provider(pb::configure_provider::Request {
                            terraform_version: "1.9.0".into(),
                            config,
                            client_capabilities: None,
                        })
                        .await
                    }
                })
                .map(|r| r.diagnostics),
            Field::ValidateResourceConfig => self
                .try_rpc(&what, |mut c| {
                    let config = pick(Field::ValidateResourceConfig, &resource);
                    async move {
                        c.validate_resource_config(pb::validate_resource_config::Request {
                            type_name: TOKEN.into(),
                            config,
                            client_capabilities: None,
                        })
                        .await
                    }
                })
                .map(|r| r.diagnostics),
            Field::PlanCreatePrior
            | Field::PlanCreateProposed
            | Field::PlanCreateConfig
            | Field::PlanUpdatePrior
            | Field::PlanUpdateProposed
            | Field::PlanUpdateConfig => {
                let update =
                    matches!(field, Field::PlanUpdatePrior | Field::PlanUpdateProposed | Field::PlanUpdateConfig);
                let (prior, proposed) = if update { (&fx.state, &fx.state) } else { (&null_state, &resource) };
                let req = pb::plan_resource_change::Request {
                    type_name: TOKEN.into(),
                    prior_state: pick(if update { Field::PlanUpdatePrior } else { Field::PlanCreatePrior }, prior),
                    proposed_new_state: pick(
                        if update { Field::PlanUpdateProposed } else { Field::PlanCreateProposed },
                        proposed,
                    ),
                    config: pick(if update { Field::PlanUpdateConfig } else { Field::PlanCreateConfig }, &resource),
                    ..Default::default()
                };
                self.try_rpc(&what, |mut c| async move { c.plan_resource_change(req).await }).map(|r| r.diagnostics)
            }
            Field::ApplyCreatePrior
            | Field::ApplyCreatePlanned
            | Field::ApplyCreateConfig
            | Field::ApplyUpdatePrior
            | Field::ApplyUpdatePlanned
            | Field::ApplyUpdateConfig => {
                let update =
                    matches!(field, Field::ApplyUpdatePrior | Field::ApplyUpdatePlanned | Field::ApplyUpdateConfig);
                let (prior, planned) = if update { (&fx.state, &fx.state) } else { (&null_state, &fx.planned_create) };
                let req = pb::apply_resource_change::Request {
                    type_name: TOKEN.into(),
                    prior_state: pick(if update { Field::ApplyUpdatePrior } else { Field::ApplyCreatePrior }, prior),
                    planned_state: pick(
                        if update { Field::ApplyUpdatePlanned } else { Field::ApplyCreatePlanned },
                        planned,
                    ),
                    config: pick(if update { Field::ApplyUpdateConfig } else { Field::ApplyCreateConfig }, &resource),
                    ..Default::default()
                };
                self.try_rpc(&what, |mut c| async move { c.apply_resource_change(req).await }).map(|r| r.diagnostics)
            }
            Field::ReadCurrentState => {
                let req = pb::read_resource::Request {
                    type_name: TOKEN.into(),
                    current_state: pick(Field::ReadCurrentState, &fx.state),
                    ..Default::default()
                };
                self.try_rpc(&what, |mut c| async move { c.read_resource(req).await }).map(|r| r.diagnostics)
            }
        }
    }

    /// The final check every test makes: the process is up and answers.
    fn assert_alive(&mut self) {
        self.server.assert_running();
        let schema = self.schema();
        assert!(schema.resource_schemas.contains_key(TOKEN), "GetProviderSchema still lists {TOKEN}");
        assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
        self.server.assert_running();
        let log = self.server.log();
        assert!(
            !log.contains("internal error") && !log.contains("handler failed"),
            "the provider logged an internal error:\n{log}"
        );
    }
}

// ---------------------------------------------------------------------------
// Diagnostic checks

fn describe(diags: &[pb::Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            let detail: String = d.detail.chars().take(300).collect();
            format!("[severity {}] {:?}: {detail:?}", d.severity, d.summary)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Problems that are never acceptable in an answer: a caught panic, or an
/// error without a summary or detail.
fn well_formed(ctx: &str, diags: &[pb::Diagnostic]) -> Result<(), String> {
    if let Some(d) = diags.iter().find(|d| d.summary == PANIC_SUMMARY) {
        return Err(format!("{ctx}: a handler panicked: {}", d.detail));
    }
    if let Some(d) =
        diags.iter().find(|d| d.severity == ERROR && (d.summary.trim().is_empty() || d.detail.trim().is_empty()))
    {
        return Err(format!("{ctx}: error diagnostic without summary or detail: {d:?}"));
    }
    Ok(())
}

fn check_rejected(ctx: &str, diags: &[pb::Diagnostic]) -> Result<(), String> {
    well_formed(ctx, diags)?;
    if !diags.iter().any(|d| d.severity == ERROR) {
        return Err(format!("{ctx}: accepted without an error diagnostic; got:\n{}", describe(diags)));
    }
    Ok(())
}

fn assert_rejected(ctx: &str, diags: &[pb::Diagnostic]) {
    if let Err(e) = check_rejected(ctx, diags) {
        panic!("{e}");
    }
}

fn assert_no_errors(ctx: &str, diags: &[pb::Diagnostic]) {
    assert!(!diags.iter().any(|d| d.severity == ERROR), "{ctx}: unexpected errors:\n{}", describe(diags));
}

// ---------------------------------------------------------------------------
// The fixed corpus

/// A malformed value with a name for failure messages.
struct Bad {
    name: String,
    dv: pb::DynamicValue,
}

fn bad_mp(name: &str, bytes: Vec<u8>) -> Bad {
    Bad { name: name.to_string(), dv: dv_msgpack(bytes) }
}

fn bad_json(name: &str, bytes: impl Into<Vec<u8>>) -> Bad {
    Bad { name: format!("json: {name}"), dv: dv_json(bytes) }
}

/// Values that are not a valid object of the `kind` type, in msgpack and in
/// JSON. None of them can be read as null or as an unknown.
fn corpus(kind: Kind, valid: &[u8]) -> Vec<Bad> {
    let with_trailing = |extra: &[u8]| [valid, extra].concat();
    let mut out = vec![
        // Truncated input.
        bad_mp("fixmap of 5 with nothing after it", vec![0x85]),
        bad_mp("map with a key and no value", vec![0x81, 0xa3, b't', b't', b'l']),
        bad_mp("map16 header cut short", vec![0xde, 0x00]),
        bad_mp("string cut short", vec![0xa5, b's', b't']),
        bad_mp("valid object cut by one byte", valid[..valid.len() - 1].to_vec()),
        // The wrong kind of value at the top.
        bad_mp("string", mp(&s("x"))),
        bad_mp("empty string", mp(&s(""))),
        bad_mp("invalid UTF-8 string", vec![0xa2, 0xff, 0xfe]),
        bad_mp("positive fixint", vec![0x05]),
        bad_mp("negative fixint", vec![0xe0]),
        bad_mp("uint64 max", mp(&Mp::from(u64::MAX))),
        bad_mp("float NaN", mp(&Mp::F64(f64::NAN))),
        bad_mp("bool", vec![0xc3]),
        bad_mp("empty array", vec![0x90]),
        bad_mp("array holding the valid object", [&[0x91][..], valid].concat()),
        bad_mp("binary holding the valid object", mp(&Mp::Binary(valid.to_vec()))),
        // Keys the object type cannot have.
        bad_mp("unknown attribute", mp(&map(vec![(s("bogus"), Mp::Nil)]))),
        bad_mp("attribute with an empty name", mp(&map(vec![(s(""), Mp::Nil)]))),
        bad_mp("integer key", mp(&map(vec![(Mp::from(1), Mp::Nil)]))),
        bad_mp("nil key", mp(&map(vec![(Mp::Nil, Mp::Nil)]))),
        bad_mp("bool key", mp(&map(vec![(Mp::Boolean(true), Mp::Nil)]))),
        bad_mp("array key", mp(&map(vec![(Mp::Array(vec![]), Mp::Nil)]))),
        bad_mp("map key", mp(&map(vec![(map(vec![]), Mp::Nil)]))),
        bad_mp("binary key", mp(&map(vec![(Mp::Binary(b"store".to_vec()), Mp::Nil)]))),
        bad_mp("invalid UTF-8 key", mp(&map(vec![(bad_utf8(), Mp::Nil)]))),
        // Extension values where no unknown can be: as keys, truncated, and
        // followed by more data.
        bad_mp("extension as a key", mp(&map(vec![(unknown(), Mp::Nil)]))),
        bad_mp("refined unknown (ext 12) as a key", mp(&map(vec![(Mp::Ext(12, vec![0x80]), Mp::Nil)]))),
        bad_mp("ext8 payload cut short", vec![0xc7, 0x10, 0x00, 0x01]),
        bad_mp("fixext4 payload cut short", vec![0xd6, 0x00, 0x01]),
        bad_mp("unknown followed by nil", vec![0xd4, 0x00, 0x00, 0xc0]),
        bad_mp("valid object followed by an unknown", with_trailing(&[0xd4, 0x00, 0x00])),
        // Nesting far beyond any schema.
        bad_mp("100k nested arrays", [vec![0x91; 100_000], vec![0xc0]].concat()),
        bad_mp("50k nested maps", [[0x81, 0xa1, b'a'].repeat(50_000), vec![0xc0]].concat()),
        // Lengths that promise far more data than there is.
        bad_mp("array32 of 4G elements", vec![0xdd, 0xff, 0xff, 0xff, 0xff]),
        bad_mp("array32 of 4G nils, 64k given", [vec![0xdd, 0xff, 0xff, 0xff, 0xff], vec![0xc0; 65_536]].concat()),
        bad_mp("map32 of 4G entries", vec![0xdf, 0xff, 0xff, 0xff, 0xff]),
        bad_mp("str32 of 4 GB", vec![0xdb, 0xff, 0xff, 0xff, 0xff, b'a']),
        bad_mp("bin32 of 4 GB", vec![0xc6, 0xff, 0xff, 0xff, 0xff, 0x00]),
        bad_mp("ext32 of 4 GB", vec![0xc9, 0xff, 0xff, 0xff, 0xff, 0x00]),
        bad_mp("map32 of 4G entries inside an object", {
            let mut v = vec![0x81];
            v.extend(mp(&s(&kind_first_attr(kind))));
            v.extend([0xdf, 0xff, 0xff, 0xff, 0xff]);
            v
        }),
        // A valid value with more after it.
        bad_mp("two nils", vec![0xc0, 0xc0]),
        bad_mp("valid object followed by nil", with_trailing(&[0xc0])),
        bad_mp("valid object followed by garbage", with_trailing(&[0x00, 0x01, 0x02])),
        bad_mp("valid object twice", with_trailing(valid)),
        // The reserved byte 0xc1 is left out here on purpose: see
        // `reserved_byte_0xc1_is_rejected`.
        // msgpack takes precedence over JSON, so broken msgpack stays broken.
        Bad {
            name: "broken msgpack beside valid JSON".into(),
            dv: pb::DynamicValue { msgpack: vec![0x85], json: b"{}".to_vec() },
        },
        // JSON (used when msgpack is empty).
        bad_json("truncated object", "{"),
        bad_json("not JSON at all", "garbage"),
        bad_json("empty array", "[]"),
        bad_json("string", "\"x\""),
        bad_json("number", "5"),
        bad_json("bool", "true"),
        bad_json("unknown attribute", r#"{"bogus": 1}"#),
        bad_json("invalid UTF-8", b"{\"\xff\xfe\": 1}".to_vec()),
        bad_json("two objects", "{} {}"),
        bad_json("100k nested arrays", "[".repeat(100_000)),
        bad_json("lone surrogate escape", r#"{"\ud800": null}"#),
    ];
    out.extend(match kind {
        Kind::Provider => vec![
            bad_mp("store is a number", mp(&map(vec![(s("store"), Mp::from(5))]))),
            bad_mp("store is a string", mp(&map(vec![(s("store"), s("local"))]))),
            bad_mp(
                "store.s3 is an array",
                mp(&map(vec![(s("store"), map(vec![(s("s3"), Mp::Array(vec![])), (s("local"), Mp::Nil)]))])),
            ),
            bad_mp("unknown attribute inside store", mp(&map(vec![(s("store"), map(vec![(s("bogus"), Mp::Nil)]))]))),
            bad_mp(
                "invalid UTF-8 in store.local.path",
                mp(&map(vec![(
                    s("store"),
                    map(vec![(s("s3"), Mp::Nil), (s("local"), map(vec![(s("path"), bad_utf8())]))]),
                )])),
            ),
            bad_json("store is a string", r#"{"store": "x"}"#),
            bad_json("store.local is a list", r#"{"store": {"local": []}}"#),
        ],
        Kind::Resource => vec![
            bad_mp("ttl is an integer", mp(&map(vec![(s("ttl"), Mp::from(5))]))),
            bad_mp("ttl is a map", mp(&map(vec![(s("ttl"), map(vec![]))]))),
            bad_mp("usages is a string", mp(&map(vec![(s("usages"), s("signing"))]))),
            bad_mp("usages holds a number", mp(&map(vec![(s("usages"), Mp::Array(vec![Mp::from(1)]))]))),
            bad_mp("invalid UTF-8 in ttl", mp(&map(vec![(s("ttl"), bad_utf8())]))),
            bad_mp("invalid UTF-8 in a usage", mp(&map(vec![(s("usages"), Mp::Array(vec![bad_utf8()]))]))),
            bad_mp(
                "extension as a key inside an attribute",
                mp(&map(vec![(s("usages"), map(vec![(unknown(), Mp::Nil)]))])),
            ),
            bad_json("usages is a string", r#"{"usages": "signing"}"#),
            bad_json("ttl is a list", r#"{"ttl": ["24h"]}"#),
            bad_json("groups holds an object", r#"{"groups": [{}]}"#),
        ],
    });
    out
}

fn kind_first_attr(kind: Kind) -> String {
    match kind {
        Kind::Provider => "store".into(),
        Kind::Resource => "ttl".into(),
    }
}

// ---------------------------------------------------------------------------
// Tests

/// The valid requests used as the base of every attack succeed, so an error
/// seen later comes from the malformed field alone.
#[test]
fn baselines_are_accepted() {
    let mut h = Harness::start();
    for field in FIELDS {
        let diags = h.send(field, None).unwrap_or_else(|e| panic!("{e}"));
        assert_no_errors(&format!("baseline {field:?}"), &diags);
    }
    h.assert_alive();
}

#[test]
fn malformed_dynamic_values_get_error_diagnostics() {
    let mut h = Harness::start();
    let mut failures = Vec::new();
    let mut sent = 0;
    for field in FIELDS {
        let valid = h.valid_object(field.kind());
        for bad in corpus(field.kind(), &valid) {
            let ctx = format!("{field:?} <- {}", bad.name);
            sent += 1;
            match h.send(field, Some(bad.dv)) {
                Ok(diags) => {
                    if let Err(e) = check_rejected(&ctx, &diags) {
                        failures.push(e);
                    }
                }
                // A transport error may mean the process is gone: stop here.
                Err(e) => panic!("{ctx}: {e}; provider stderr:\n{}", h.server.log()),
            }
        }
    }
    assert!(sent > 500, "only {sent} requests sent");
    assert!(
        failures.is_empty(),
        "{} of {sent} malformed values were not rejected:\n{}",
        failures.len(),
        failures.join("\n")
    );
    h.assert_alive();
}

/// Every resource RPC with a type name the provider does not serve (empty,
/// near misses, non-ASCII, 1 MB long); the data source RPCs with any name at
/// all, since the provider has no data sources.
#[test]
fn unknown_type_names_get_error_diagnostics() {
    let mut h = Harness::start();
    let names = [
        String::new(),
        "kubeadm_nope".into(),
        format!("{TOKEN} "),
        TOKEN.to_uppercase(),
        "kubeadm_bootstrap_tökén".into(),
        "x".repeat(1 << 20),
    ];
    let resource = dv_msgpack(h.fx.resource_null.clone());
    let state = h.fx.state.clone();
    for name in &names {
        let short: String = name.chars().take(40).collect();
        let d = h.rpc("ValidateResourceConfig", |mut c| {
            let req = pb::validate_resource_config::Request {
                type_name: name.clone(),
                config: Some(resource.clone()),
                client_capabilities: None,
            };
            async move { c.validate_resource_config(req).await }
        });
        assert_rejected(&format!("ValidateResourceConfig type {short:?}"), &d.diagnostics);

        let d = h.rpc("PlanResourceChange", |mut c| {
            let req = pb::plan_resource_change::Request {
                type_name: name.clone(),
                prior_state: Some(dv_msgpack(vec![0xc0])),
                proposed_new_state: Some(resource.clone()),
                config: Some(resource.clone()),
                ..Default::default()
            };
            async move { c.plan_resource_change(req).await }
        });
        assert_rejected(&format!("PlanResourceChange type {short:?}"), &d.diagnostics);
        assert!(d.planned_state.is_none(), "no plan for an unknown type");

        let d = h.rpc("ApplyResourceChange", |mut c| {
            let req = pb::apply_resource_change::Request {
                type_name: name.clone(),
                prior_state: Some(dv_msgpack(vec![0xc0])),
                planned_state: Some(resource.clone()),
                config: Some(resource.clone()),
                ..Default::default()
            };
            async move { c.apply_resource_change(req).await }
        });
        assert_rejected(&format!("ApplyResourceChange type {short:?}"), &d.diagnostics);

        let d = h.rpc("ReadResource", |mut c| {
            let req = pb::read_resource::Request {
                type_name: name.clone(),
                current_state: Some(state.clone()),
                ..Default::default()
            };
            async move { c.read_resource(req).await }
        });
        assert_rejected(&format!("ReadResource type {short:?}"), &d.diagnostics);

        let d = h.rpc("UpgradeResourceState", |mut c| {
            let req = pb::upgrade_resource_state::Request {
                type_name: name.clone(),
                version: 0,
                raw_state: Some(pb::RawState { json: b"{}".to_vec(), flatmap: Default::default() }),
            };
            async move { c.upgrade_resource_state(req).await }
        });
        assert_rejected(&format!("UpgradeResourceState type {short:?}"), &d.diagnostics);

        let d = h.rpc("ImportResourceState", |mut c| {
            let req = pb::import_resource_state::Request {
                type_name: name.clone(),
                id: "abcdef.0123456789abcdef".into(),
                ..Default::default()
            };
            async move { c.import_resource_state(req).await }
        });
        assert_rejected(&format!("ImportResourceState type {short:?}"), &d.diagnostics);
        assert!(d.imported_resources.is_empty());
    }

    // There are no data sources: every name is unknown, including the
    // resource's own name, and the configuration is never looked at.
    let data_names: Vec<String> = names.iter().cloned().chain([TOKEN.to_string()]).collect();
    let configs = [None, Some(resource.clone()), Some(dv_msgpack(vec![0x85])), Some(dv_json("{"))];
    for name in &data_names {
        let short: String = name.chars().take(40).collect();
        for config in &configs {
            let d = h.rpc("ValidateDataResourceConfig", |mut c| {
                let req =
                    pb::validate_data_resource_config::Request { type_name: name.clone(), config: config.clone() };
                async move { c.validate_data_resource_config(req).await }
            });
            assert_rejected(&format!("ValidateDataResourceConfig type {short:?}"), &d.diagnostics);

            let d = h.rpc("ReadDataSource", |mut c| {
                let req = pb::read_data_source::Request {
                    type_name: name.clone(),
                    config: config.clone(),
                    ..Default::default()
                };
                async move { c.read_data_source(req).await }
            });
            assert_rejected(&format!("ReadDataSource type {short:?}"), &d.diagnostics);
            assert!(d.state.is_none(), "no state for an unknown data source");
        }
    }
    h.assert_alive();
}

fn upgrade(h: &Harness, version: i64, raw: Option<pb::RawState>) -> pb::upgrade_resource_state::Response {
    h.rpc("UpgradeResourceState", |mut c| async move {
        c.upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: TOKEN.into(),
            version,
            raw_state: raw,
        })
        .await
    })
}

fn raw_json(j: impl Into<Vec<u8>>) -> Option<pb::RawState> {
    Some(pb::RawState { json: j.into(), flatmap: Default::default() })
}

#[test]
fn upgrade_resource_state_rejects_bad_stored_state() {
    let mut h = Harness::start();

    // Baseline: the JSON of a real state upgrades cleanly.
    let state_json = {
        let v = rmpv::decode::read_value(&mut h.fx.state.msgpack.as_slice()).expect("state is msgpack");
        let Mp::Map(entries) = v else { panic!("state is an object") };
        let obj: serde_json::Map<String, serde_json::Value> = entries
            .into_iter()
            .map(|(k, v)| {
                let k = k.as_str().expect("string keys").to_string();
                let v = match v {
                    Mp::Nil => serde_json::Value::Null,
                    Mp::String(s) => serde_json::Value::from(s.into_str().expect("UTF-8")),
                    Mp::Array(items) => items.iter().map(|i| i.as_str().expect("string list")).collect(),
                    other => panic!("unexpected value {other:?} in the token state"),
                };
                (k, v)
            })
            .collect();
        serde_json::to_vec(&obj).expect("serialise")
    };
    let ok = upgrade(&h, 0, raw_json(state_json.clone()));
    assert_no_errors("upgrade of a real state", &ok.diagnostics);
    assert!(ok.upgraded_state.is_some());

    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("truncated object", b"{\"ttl\": \"24h\"".to_vec()),
        ("not JSON", b"garbage".to_vec()),
        ("wrong attribute types", br#"{"ttl": 5, "usages": "x"}"#.to_vec()),
        ("usages holds an object", br#"{"usages": [{"a": 1}]}"#.to_vec()),
        ("ttl is an object", br#"{"ttl": {"h": 24}}"#.to_vec()),
        ("empty array", b"[]".to_vec()),
        ("string", b"\"x\"".to_vec()),
        ("number", b"42".to_vec()),
        ("bool", b"false".to_vec()),
        ("invalid UTF-8", b"{\"ttl\": \"\xff\xfe\"}".to_vec()),
        ("two documents", b"{} {}".to_vec()),
        ("100k nested arrays", "[".repeat(100_000).into_bytes()),
        ("100k nested arrays, closed", ["[".repeat(100_000), "]".repeat(100_000)].concat().into_bytes()),
        ("deep objects under usages", {
            let mut v = b"{\"usages\": ".to_vec();
            v.extend("{\"a\":".repeat(10_000).bytes());
            v.extend(b"1");
            v.extend("}".repeat(10_000).bytes());
            v.extend(b"}");
            v
        }),
        ("msgpack bytes", h.fx.state.msgpack.clone()),
        ("NUL bytes", vec![0; 16]),
    ];
    for (name, json) in bad {
        let r = upgrade(&h, 0, raw_json(json));
        assert_rejected(&format!("UpgradeResourceState raw_state.json {name}"), &r.diagnostics);
        assert!(r.upgraded_state.is_none(), "{name}: no upgraded state on error");
    }

    // A state from a newer schema version, and a flatmap-only state.
    let r = upgrade(&h, 1, raw_json(state_json.clone()));
    assert_rejected("UpgradeResourceState from a newer version", &r.diagnostics);
    let r = upgrade(&h, i64::MAX, raw_json(b"garbage".to_vec()));
    assert_rejected("UpgradeResourceState version i64::MAX", &r.diagnostics);
    let flatmap = Some(pb::RawState {
        json: Vec::new(),
        flatmap: [("ttl".to_string(), "24h".to_string()), ("%".to_string(), "1".to_string())].into_iter().collect(),
    });
    let r = upgrade(&h, 0, flatmap);
    assert_rejected("UpgradeResourceState flatmap only", &r.diagnostics);

    // Accepted on purpose: unknown keys are dropped (older schema versions
    // may have had them), and no state at all means null. Only the transport
    // and the panic guard are checked here.
    for (version, raw) in [
        (0, raw_json(br#"{"removed_long_ago": 1}"#.to_vec())),
        (0, raw_json(b"null".to_vec())),
        (0, None),
        (-1, raw_json(b"{}".to_vec())),
        (i64::MIN, raw_json(state_json)),
    ] {
        let r = upgrade(&h, version, raw);
        if let Err(e) = well_formed(&format!("UpgradeResourceState version {version}"), &r.diagnostics) {
            panic!("{e}");
        }
    }
    h.assert_alive();
}

#[test]
fn import_rejects_garbage_ids() {
    let mut h = Harness::start();
    let import = |id: String| {
        h.rpc("ImportResourceState", |mut c| async move {
            c.import_resource_state(pb::import_resource_state::Request {
                type_name: TOKEN.into(),
                id,
                ..Default::default()
            })
            .await
        })
    };

    // Baseline: a well-formed ID imports.
    let ok = import("abcdef.0123456789abcdef,2030-01-02T15:04:05Z".into());
    assert_no_errors("import of a valid ID", &ok.diagnostics);
    assert_eq!(ok.imported_resources.len(), 1);

    // A secret of our own: the example token in the provider's help text
    // appears in its messages on purpose.
    let secret = "q1w2e3r4t5y6u7i8";
    let ids: Vec<(&str, String)> = vec![
        ("the documented bad expiry", "abcdef.0123456789abcdef,notatime".into()),
        ("empty", String::new()),
        ("blank", "   ".into()),
        ("just a dot", ".".into()),
        ("just a comma", ",".into()),
        ("1 MB of x", "x".repeat(1 << 20)),
        ("1 MB token secret", format!("k9m2x7.{}", "a".repeat(1 << 20))),
        ("valid token, 1 MB expiry", format!("k9m2x7.{secret},{}", "9".repeat(1 << 20))),
        ("valid token, bad expiry", format!("k9m2x7.{secret},notatime")),
        ("valid token, empty expiry", format!("k9m2x7.{secret},")),
        ("valid token, two expiries", format!("k9m2x7.{secret},2030-01-02T15:04:05Z,2030-01-02T15:04:05Z")),
        ("upper-case token", "ABCDEF.0123456789ABCDEF".into()),
        ("unicode token id", format!("ä9m2x7.{secret}")),
        ("unicode in the secret", "k9m2x7.q1w2e3r4t5y6u7ié".into()),
        ("emoji", "🔑🔑🔑🔑🔑🔑.🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑".into()),
        ("right length in bytes, not chars", format!("ééé.{secret}")),
        ("combining marks", format!("k9m2x\u{301}.{secret}")),
        ("NUL in the id", format!("k9m\0x7.{secret}")),
        ("tab inside the token id", format!("k9m\tx7.{secret}")),
        ("right-to-left override", format!("\u{202e}k9m2x7.{secret}")),
        ("token id too short", format!("k9m2x.{secret}")),
        ("secret too long", format!("k9m2x7.{secret}0")),
        ("no separator", format!("k9m2x7{secret}")),
        ("expiry out of range", format!("k9m2x7.{secret},99999-01-01T00:00:00Z")),
        ("expiry without a zone", format!("k9m2x7.{secret},2030-01-02T15:04:05")),
    ];
    for (name, id) in ids {
        let r = import(id);
        let ctx = format!("ImportResourceState id {name}");
        assert_rejected(&ctx, &r.diagnostics);
        assert!(r.imported_resources.is_empty(), "{ctx}: nothing is imported on error");
        for d in &r.diagnostics {
            assert!(
                !d.detail.contains(secret) && !d.summary.contains(secret),
                "{ctx}: the token secret leaks into {d:?}"
            );
        }
    }
    h.assert_alive();
}

/// Unknown values (msgpack extensions) in every field. They are legitimate in
/// configurations and plans, so only crashes and transport errors are checked
/// here; where Terraform never sends them the stricter expectation lives in
/// `unknowns_where_terraform_never_sends_them_are_rejected`.
#[test]
fn unknowns_in_stored_state_are_not_crashes() {
    let mut h = Harness::start();
    let attrs = h.fx.resource_attrs.clone();
    let with_unknown_token =
        map(attrs.iter().map(|a| (s(a), if a == "token" { unknown() } else { Mp::Nil })).collect());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("wholly unknown", vec![0xd4, 0x00, 0x00]),
        ("refined unknown", mp(&Mp::Ext(12, vec![0x81, 0x01, 0xc3]))),
        ("unknown token attribute", mp(&with_unknown_token)),
    ];
    for field in FIELDS {
        for (name, bytes) in &cases {
            let ctx = format!("{field:?} <- {name}");
            let d = h.send(field, Some(dv_msgpack(bytes.clone()))).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            if let Err(e) = well_formed(&ctx, &d) {
                panic!("{e}");
            }
        }
    }
    h.assert_alive();
}

/// `provider_meta` is only sent by Terraform when the provider declares a
/// schema for it, which this one does not; whatever arrives there must not
/// break anything. Any answer is fine apart from a transport error or a panic.
#[test]
fn malformed_provider_meta_is_harmless() {
    let mut h = Harness::start();
    let resource = dv_msgpack(h.fx.resource_null.clone());
    let state = h.fx.state.clone();
    for bad in corpus(Kind::Resource, &h.fx.resource_null) {
        let meta = Some(bad.dv);
        let d = h.rpc("PlanResourceChange", |mut c| {
            let req = pb::plan_resource_change::Request {
                type_name: TOKEN.into(),
                prior_state: Some(state.clone()),
                proposed_new_state: Some(state.clone()),
                config: Some(resource.clone()),
                provider_meta: meta.clone(),
                ..Default::default()
            };
            async move { c.plan_resource_change(req).await }
        });
        well_formed(&format!("PlanResourceChange provider_meta <- {}", bad.name), &d.diagnostics)
            .unwrap_or_else(|e| panic!("{e}"));
        let d = h.rpc("ApplyResourceChange", |mut c| {
            let req = pb::apply_resource_change::Request {
                type_name: TOKEN.into(),
                prior_state: Some(state.clone()),
                planned_state: Some(state.clone()),
                config: Some(resource.clone()),
                provider_meta: meta.clone(),
                ..Default::default()
            };
            async move { c.apply_resource_change(req).await }
        });
        well_formed(&format!("ApplyResourceChange provider_meta <- {}", bad.name), &d.diagnostics)
            .unwrap_or_else(|e| panic!("{e}"));
        let d = h.rpc("ReadResource", |mut c| {
            let req = pb::read_resource::Request {
                type_name: TOKEN.into(),
                current_state: Some(state.clone()),
                provider_meta: meta.clone(),
                ..Default::default()
            };
            async move { c.read_resource(req).await }
        });
        well_formed(&format!("ReadResource provider_meta <- {}", bad.name), &d.diagnostics)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    h.assert_alive();
}

/// The reserved marker 0xc1, which no encoder writes, must fail a request
/// rather than read as nil: read as null, `planned_state = [0xc1]` in an
/// update apply would delete the token, and `prior_state = [0xc1]` would plan
/// or apply a create (minting a new token) where an update was meant.
#[test]
fn reserved_byte_0xc1_is_rejected() {
    let mut h = Harness::start();
    let mut failures = Vec::new();
    for field in FIELDS {
        let mut inside = vec![0x81];
        inside.extend(mp(&s(&kind_first_attr(field.kind()))));
        inside.push(0xc1);
        for (name, bytes) in [("0xc1", vec![0xc1]), ("0xc1 as an attribute value", inside)] {
            let ctx = format!("{field:?} <- {name}");
            let d = h.send(field, Some(dv_msgpack(bytes))).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            if let Err(e) = check_rejected(&ctx, &d) {
                failures.push(e);
            }
        }
    }
    h.assert_alive();
    assert!(failures.is_empty(), "{} requests accepted 0xc1:\n{}", failures.len(), failures.join("\n"));
}

/// Terraform only ever sends wholly known prior and current states, and a
/// wholly known configuration at apply; unknowns there are refused (rather
/// than, say, echoed back by ReadResource as the refreshed state).
#[test]
fn unknowns_where_terraform_never_sends_them_are_rejected() {
    let mut h = Harness::start();
    let attrs = h.fx.resource_attrs.clone();
    let with_unknown_token =
        map(attrs.iter().map(|a| (s(a), if a == "token" { unknown() } else { Mp::Nil })).collect());
    let fields = [
        Field::PlanUpdatePrior,
        Field::ApplyUpdatePrior,
        Field::ReadCurrentState,
        Field::ApplyCreateConfig,
        Field::ApplyUpdateConfig,
    ];
    let mut failures = Vec::new();
    for field in fields {
        for (name, bytes) in [("wholly unknown", vec![0xd4, 0x00, 0x00]), ("unknown token", mp(&with_unknown_token))] {
            let ctx = format!("{field:?} <- {name}");
            let d = h.send(field, Some(dv_msgpack(bytes))).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            if let Err(e) = check_rejected(&ctx, &d) {
                failures.push(e);
            }
        }
    }
    h.assert_alive();
    assert!(failures.is_empty(), "{} requests accepted unknowns:\n{}", failures.len(), failures.join("\n"));
}

// ---------------------------------------------------------------------------
// Random input

/// Where a random input goes.
#[derive(Debug, Clone)]
enum Input {
    Msgpack(Vec<u8>),
    Json(Vec<u8>),
}

/// Whether a reference decoder shows that `bytes` cannot be an object with
/// (a subset of) the attributes `attrs`: not exactly one msgpack value, or a
/// value that is neither nil, an unknown, nor a map keyed by attribute names.
fn msgpack_must_be_rejected(bytes: &[u8], attrs: &[String]) -> bool {
    if bytes.is_empty() {
        return false; // empty means null
    }
    // rmpv reads the reserved byte 0xc1 as nil where the provider refuses it,
    // so this check is weaker than the provider; `reserved_byte_0xc1_is_rejected`
    // covers that byte.
    let mut rd = bytes;
    let Ok(v) = rmpv::decode::read_value(&mut rd) else { return true };
    if !rd.is_empty() {
        return true;
    }
    match v {
        Mp::Nil | Mp::Ext(..) => false,
        Mp::Map(entries) => entries.iter().any(|(k, _)| k.as_str().is_none_or(|k| !attrs.iter().any(|a| a == k))),
        _ => true,
    }
}

/// The same for JSON: not one JSON document, or neither null nor an object
/// keyed by attribute names.
fn json_must_be_rejected(bytes: &[u8], attrs: &[String]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Err(_) => true,
        Ok(serde_json::Value::Null) => false,
        Ok(serde_json::Value::Object(m)) => m.keys().any(|k| !attrs.iter().any(|a| a == k)),
        Ok(_) => true,
    }
}

/// Random inputs: raw bytes, a few byte edits to valid encodings (which get
/// deeper into the decoder than noise does), and bytes or printable text as
/// JSON.
fn inputs(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Input> {
    let edits = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..5);
    let mutate = (prop::sample::select(seeds), edits).prop_map(|(mut v, ops)| {
        for (at, byte, op) in ops {
            if v.is_empty() {
                v.push(byte);
                continue;
            }
            let i = at.index(v.len());
            match op {
                0 => v[i] = byte,
                1 => v.insert(i, byte),
                2 => v.truncate(i.max(1)),
                _ => {
                    v.remove(i);
                }
            }
        }
        Input::Msgpack(v)
    });
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 1..64).prop_map(Input::Msgpack),
        3 => mutate,
        1 => prop::collection::vec(any::<u8>(), 1..48).prop_map(Input::Json),
        1 => "[ -~]{1,40}".prop_map(|s| Input::Json(s.into_bytes())),
    ]
}

/// Random cases, each sent to every field.
const RANDOM_CASES: u32 = 200;
/// The provider's CPU time per random request may not exceed this: the
/// bound is on the work it does, not on wall-clock time (which tests running
/// beside stretch on a loaded machine). A request takes about 0.2 ms in a
/// debug build.
const CPU_PER_RPC: Duration = Duration::from_millis(10);

#[test]
fn random_values_never_break_the_server() {
    let mut h = Harness::start();
    let config = Config { cases: RANDOM_CASES, failure_persistence: None, max_shrink_iters: 200, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let started = Instant::now();
    let cpu_before = h.server.cpu_time();
    let answered = std::cell::Cell::new(0usize);
    let seeds = vec![h.fx.resource_null.clone(), h.fx.state.msgpack.clone(), h.fx.provider_config.clone()];
    let result = runner.run(&inputs(seeds), |input| {
        for field in FIELDS {
            let attrs = h.attrs(field.kind());
            let (dv, must_reject) = match &input {
                Input::Msgpack(b) => (dv_msgpack(b.clone()), msgpack_must_be_rejected(b, attrs)),
                Input::Json(b) => (dv_json(b.clone()), json_must_be_rejected(b, attrs)),
            };
            let ctx = format!("{field:?} <- {input:?}");
            let diags = h.send(field, Some(dv)).map_err(TestCaseError::fail)?;
            answered.set(answered.get() + 1);
            let verdict = if must_reject { check_rejected(&ctx, &diags) } else { well_formed(&ctx, &diags) };
            verdict.map_err(TestCaseError::fail)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}; provider stderr:\n{}", h.server.log());
    }
    // Bounds on the work: every case reached every field (each request within
    // RPC_TIMEOUT), and the provider's CPU time per request stayed small.
    let answered = answered.get();
    let want = RANDOM_CASES as usize * FIELDS.len();
    assert!(answered >= want, "{answered} requests answered, not {RANDOM_CASES} cases x {} fields", FIELDS.len());
    let cpu = h.server.cpu_time().saturating_sub(cpu_before);
    let per_rpc = cpu / answered as u32;
    eprintln!(
        "random phase: {answered} requests in {:.1?}, provider CPU time {cpu:.2?} ({per_rpc:.2?} per request)",
        started.elapsed()
    );
    assert!(per_rpc <= CPU_PER_RPC, "the provider used {per_rpc:?} of CPU time per request ({cpu:?} for {answered})");
    h.assert_alive();
}
