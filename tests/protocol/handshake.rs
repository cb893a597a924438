//! End-to-end checks of the plugin start-up, run against the real binary the
//! way Terraform starts it: go-plugin's magic cookie and protocol offer in the
//! environment, Terraform's AutoMTLS client certificate in
//! `PLUGIN_CLIENT_CERT`, the handshake line read from stdout, then gRPC over
//! TLS on the announced unix socket.
//!
//! Every child is spawned with `kill_on_drop`, and every wait on it is
//! bounded, so a misbehaving binary fails a test instead of hanging it.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use terraform_provider_kubeadm::tfplugin::proto::{plugin, tfplugin6};
use terraform_provider_kubeadm::tfplugin::test_client::{
    terraform_like_client, terraform_like_identity as terraform_identity, ClientIdentity as Identity,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint, Uri};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-kubeadm");
const COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const REGISTRY_ADDRESS: &str = "registry.terraform.io/kubeadm-ignition/kubeadm";

/// Upper bound for anything that should be quick (start-up, a call, an exit
/// after an error).
const STEP: Duration = Duration::from_secs(10);
/// go-plugin kills a plugin that has not exited this long after Shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// ---------------------------------------------------------------------------
// Certificates

/// A TLS client set up like Terraform's, optionally with a client
/// certificate.
fn client_tls(server_cert_der: &[u8], identity: Option<&Identity>) -> Arc<rustls::ClientConfig> {
    terraform_like_client(server_cert_der, identity, None)
}

// ---------------------------------------------------------------------------
// Processes

/// How a child is started.
struct Launch<'a> {
    args: &'a [&'a str],
    /// Variables set on top of the inherited environment (minus every `TF_*`
    /// and `PLUGIN_*` variable of the shell running the tests).
    env: Vec<(&'a str, String)>,
    /// Where the child puts its socket (`TMPDIR`), so nothing leaks into the
    /// shared temporary directory when a test kills the child.
    tmp: &'a Path,
}

fn spawn(launch: &Launch<'_>) -> Child {
    let mut cmd = Command::new(BIN);
    cmd.args(launch.args);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k.starts_with("TF_") || k.starts_with("PLUGIN_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("TMPDIR", launch.tmp);
    for (k, v) in &launch.env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    cmd.spawn().expect("cannot start the provider binary")
}

/// The environment go-plugin's client gives a plugin for Terraform 1.x:
/// cookie, port range (unused with unix sockets), protocol offer and the
/// AutoMTLS client certificate.
fn terraform_env(client_pem: &str) -> Vec<(&'static str, String)> {
    vec![
        (COOKIE_KEY, COOKIE.to_string()),
        ("PLUGIN_MIN_PORT", "10000".to_string()),
        ("PLUGIN_MAX_PORT", "25000".to_string()),
        ("PLUGIN_PROTOCOL_VERSIONS", "5,6".to_string()),
        ("PLUGIN_CLIENT_CERT", client_pem.to_string()),
    ]
}

/// Collects a child's stream in the background, so a full pipe never blocks
/// the child.
fn drain<R: AsyncRead + Unpin + Send + 'static>(mut r: R) -> JoinHandle<String> {
    tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf).await;
        String::from_utf8_lossy(&buf).into_owned()
    })
}

async fn wait_exit(child: &mut Child, within: Duration) -> ExitStatus {
    match tokio::time::timeout(within, child.wait()).await {
        Ok(status) => status.unwrap(),
        Err(_) => panic!("the provider did not exit within {within:?}"),
    }
}

fn is_running(child: &mut Child) -> bool {
    child.try_wait().unwrap().is_none()
}

/// The six fields of go-plugin's handshake line.
#[derive(Debug)]
struct Handshake {
    core: String,
    app: String,
    network: String,
    address: PathBuf,
    protocol: String,
    cert: String,
}

fn parse_handshake(line: &str) -> Handshake {
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?} does not have six fields");
    Handshake {
        core: fields[0].to_string(),
        app: fields[1].to_string(),
        network: fields[2].to_string(),
        address: PathBuf::from(fields[3]),
        protocol: fields[4].to_string(),
        cert: fields[5].to_string(),
    }
}

/// A plugin started with Terraform's environment and past its handshake.
struct Plugin {
    child: Child,
    /// The rest of stdout after the handshake line.
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<String>>,
    raw_line: String,
    handshake: Handshake,
    /// DER of the server certificate announced on the handshake line.
    server_cert: Vec<u8>,
    _tmp: tempfile::TempDir,
}

impl Plugin {
    async fn start(client_pem: &str) -> Plugin {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = spawn(&Launch { args: &[], env: terraform_env(client_pem), tmp: tmp.path() });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        let mut raw_line = String::new();
        let n = tokio::time::timeout(STEP, stdout.read_line(&mut raw_line))
            .await
            .expect("no handshake line within the time limit")
            .unwrap();
        if n == 0 {
            let status = wait_exit(&mut child, STEP).await;
            panic!("stdout closed before the handshake ({status}); stderr:\n{}", stderr.await.unwrap());
        }
        assert!(raw_line.ends_with('\n'), "handshake line not terminated: {raw_line:?}");
        let handshake = parse_handshake(raw_line.trim_end_matches('\n'));
        assert!(!handshake.cert.contains('='), "certificate field is padded: {:?}", handshake.cert);
        let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&handshake.cert)
            .expect("certificate field is not unpadded standard base64");
        Plugin { child, stdout, stderr: Some(stderr), raw_line, handshake, server_cert, _tmp: tmp }
    }

    fn socket(&self) -> PathBuf {
        self.handshake.address.clone()
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("the provider already exited")
    }

    async fn channel(&self, identity: Option<&Identity>) -> Result<Channel, BoxError> {
        connect(self.socket(), Some(client_tls(&self.server_cert, identity))).await
    }

    /// Asks for the provider schema with the given client certificate.
    async fn schema(&self, identity: Option<&Identity>) -> Result<tfplugin6::get_provider_schema::Response, BoxError> {
        let fut = async {
            let mut client = tfplugin6::provider_client::ProviderClient::new(self.channel(identity).await?)
                .max_decoding_message_size(256 << 20);
            let resp = client.get_provider_schema(tfplugin6::get_provider_schema::Request {}).await?;
            Ok::<_, BoxError>(resp.into_inner())
        };
        tokio::time::timeout(STEP, fut).await.map_err(|_| "the call timed out")?
    }

    /// What the child wrote on stderr; only once it has exited.
    async fn stderr_text(&mut self) -> String {
        match self.stderr.take() {
            Some(handle) => tokio::time::timeout(STEP, handle).await.unwrap().unwrap(),
            None => String::new(),
        }
    }

    /// Sends GRPCController.Shutdown and checks the process exits with status
    /// 0 in time and removes its socket. Returns the child's stderr.
    ///
    /// Like go-plugin's client, it first opens the stdio and broker streams,
    /// which stay open until the process is gone: they must not hold up the
    /// exit.
    async fn shutdown(&mut self, identity: &Identity) -> String {
        let channel = tokio::time::timeout(STEP, self.channel(Some(identity))).await.unwrap().unwrap();
        let streams = tokio::time::timeout(STEP, async {
            let stdio =
                plugin::grpc_stdio_client::GrpcStdioClient::new(channel.clone()).stream_stdio(()).await?.into_inner();
            let broker = plugin::grpc_broker_client::GrpcBrokerClient::new(channel.clone())
                .start_stream(tokio_stream::pending::<plugin::ConnInfo>())
                .await?
                .into_inner();
            Ok::<_, tonic::Status>((stdio, broker))
        })
        .await
        .expect("stdio and broker streams not opened in time")
        .expect("stdio or broker stream refused");
        let mut controller = plugin::grpc_controller_client::GrpcControllerClient::new(channel);
        let started = tokio::time::Instant::now();
        tokio::time::timeout(SHUTDOWN_GRACE, controller.shutdown(plugin::Empty {}))
            .await
            .expect("Shutdown got no reply")
            .expect("Shutdown failed");
        let left = SHUTDOWN_GRACE.saturating_sub(started.elapsed());
        let status = match tokio::time::timeout(left, self.child.wait()).await {
            Ok(status) => status.unwrap(),
            Err(_) => {
                let _ = self.child.kill().await;
                panic!("no exit within {SHUTDOWN_GRACE:?} of Shutdown; stderr:\n{}", self.stderr_text().await);
            }
        };
        drop(streams);
        let stderr = self.stderr_text().await;
        assert_eq!(status.code(), Some(0), "exit status after Shutdown: {status}; stderr:\n{stderr}");
        assert!(!self.socket().exists(), "socket {} left behind", self.socket().display());
        stderr
    }
}

// ---------------------------------------------------------------------------
// gRPC over the unix socket

/// Opens a tonic channel to the unix socket, over TLS when a client
/// configuration is given and as plaintext HTTP/2 otherwise.
async fn connect(socket: PathBuf, tls: Option<Arc<rustls::ClientConfig>>) -> Result<Channel, BoxError> {
    let connector = tower::service_fn(move |_: Uri| {
        let socket = socket.clone();
        let tls = tls.clone();
        async move {
            let stream = tokio::net::UnixStream::connect(&socket).await?;
            let io: Box<dyn IoStream> = match tls {
                None => Box::new(stream),
                Some(cfg) => {
                    let name = ServerName::try_from("localhost").unwrap();
                    Box::new(tokio_rustls::TlsConnector::from(cfg).connect(name, stream).await?)
                }
            };
            Ok::<_, std::io::Error>(TokioIo::new(io))
        }
    });
    Ok(Endpoint::try_from("http://localhost")?.connect_with_connector(connector).await?)
}

trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> IoStream for T {}

fn assert_kubeadm_schema(schema: &tfplugin6::get_provider_schema::Response) {
    assert!(
        schema.resource_schemas.contains_key("kubeadm_bootstrap_token"),
        "resources in the schema: {:?}",
        schema.resource_schemas.keys().collect::<Vec<_>>()
    );
    assert!(schema.diagnostics.is_empty(), "schema diagnostics: {:?}", schema.diagnostics);
}

// ---------------------------------------------------------------------------
// Tests

/// The full happy path: handshake line, schema over mutual TLS, identity
/// schemas, Shutdown.
#[tokio::test]
async fn terraform_handshake_serves_over_mtls_and_shuts_down() {
    let terraform = terraform_identity();
    let mut p = Plugin::start(&terraform.pem).await;

    let h = &p.handshake;
    assert_eq!(h.core, "1", "core protocol version");
    assert_eq!(h.app, "6", "application protocol version");
    assert_eq!(h.network, "unix");
    assert_eq!(h.protocol, "grpc");
    assert!(h.address.is_absolute(), "socket path {:?} is not absolute", h.address);
    assert!(p.socket().exists(), "socket {} does not exist", p.socket().display());

    let (rest, cert) = x509_parser::parse_x509_certificate(&p.server_cert).expect("server certificate is not X.509");
    assert!(rest.is_empty(), "trailing bytes after the server certificate");
    let san = cert.subject_alternative_name().unwrap().expect("server certificate has no SAN");
    assert!(
        san.value.general_names.contains(&x509_parser::extensions::GeneralName::DNSName("localhost")),
        "SAN: {:?}",
        san.value.general_names
    );

    let channel = p.channel(Some(&terraform)).await.expect("TLS connection refused");
    let mut client = tfplugin6::provider_client::ProviderClient::new(channel).max_decoding_message_size(256 << 20);
    let schema = tokio::time::timeout(STEP, client.get_provider_schema(tfplugin6::get_provider_schema::Request {}))
        .await
        .unwrap()
        .expect("GetProviderSchema failed")
        .into_inner();
    assert_kubeadm_schema(&schema);
    let identities = tokio::time::timeout(
        STEP,
        client.get_resource_identity_schemas(tfplugin6::get_resource_identity_schemas::Request {}),
    )
    .await
    .unwrap()
    .expect("GetResourceIdentitySchemas failed")
    .into_inner();
    assert!(identities.diagnostics.is_empty(), "identity schema diagnostics: {:?}", identities.diagnostics);

    p.shutdown(&terraform).await;
}

/// A certificate with the same subject but another key is not Terraform's:
/// the call must fail, and the plugin must go on serving Terraform.
#[tokio::test]
async fn other_client_certificate_is_refused() {
    let terraform = terraform_identity();
    let impostor = terraform_identity();
    assert_ne!(terraform.cert, impostor.cert);
    let mut p = Plugin::start(&terraform.pem).await;

    let refused = p.schema(Some(&impostor)).await;
    assert!(refused.is_err(), "a client with another certificate got the schema");
    assert!(is_running(&mut p.child), "the provider exited after refusing a client");

    assert_kubeadm_schema(&p.schema(Some(&terraform)).await.expect("Terraform's certificate refused"));
    p.shutdown(&terraform).await;
}

/// A client without any certificate is refused the same way.
#[tokio::test]
async fn client_without_certificate_is_refused() {
    let terraform = terraform_identity();
    let mut p = Plugin::start(&terraform.pem).await;

    let refused = p.schema(None).await;
    assert!(refused.is_err(), "a client without certificate got the schema");
    assert!(is_running(&mut p.child), "the provider exited after refusing a client");

    assert_kubeadm_schema(&p.schema(Some(&terraform)).await.expect("Terraform's certificate refused"));
    p.shutdown(&terraform).await;
}

/// Terraform reads stdout only up to the handshake; anything after it would
/// be lost or, worse, mistaken for protocol. After calls, a refused client
/// and Shutdown, stdout must hold the handshake line and nothing else.
#[tokio::test]
async fn stdout_carries_only_the_handshake_line() {
    let terraform = terraform_identity();
    let mut p = Plugin::start(&terraform.pem).await;
    assert_kubeadm_schema(&p.schema(Some(&terraform)).await.unwrap());
    assert!(p.schema(None).await.is_err());
    p.shutdown(&terraform).await;

    let mut rest = String::new();
    tokio::time::timeout(STEP, p.stdout.read_to_string(&mut rest)).await.expect("stdout not closed").unwrap();
    let whole = format!("{}{rest}", p.raw_line);
    assert_eq!(whole.lines().count(), 1, "stdout:\n{whole}");
    assert_eq!(rest, "", "output after the handshake line");
}

/// Ctrl-C in Terraform's terminal reaches the whole process group; the plugin
/// must survive it and leave stopping to Terraform.
#[tokio::test]
async fn sigint_is_ignored() {
    let terraform = terraform_identity();
    let mut p = Plugin::start(&terraform.pem).await;

    let status = std::process::Command::new("kill").args(["-INT", &p.pid().to_string()]).status().unwrap();
    assert!(status.success(), "kill -INT failed: {status}");
    // Give a default signal disposition time to take effect.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(is_running(&mut p.child), "the provider died of SIGINT");

    assert_kubeadm_schema(&p.schema(Some(&terraform)).await.expect("no service after SIGINT"));
    p.shutdown(&terraform).await;
}

/// Runs the binary with a bad environment and returns (status, stdout, stderr).
async fn run_to_exit(env: Vec<(&str, String)>) -> (ExitStatus, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = spawn(&Launch { args: &[], env, tmp: tmp.path() });
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let status = wait_exit(&mut child, STEP).await;
    let stdout = tokio::time::timeout(STEP, stdout).await.unwrap().unwrap();
    let stderr = tokio::time::timeout(STEP, stderr).await.unwrap().unwrap();
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "a socket was created although the start-up failed"
    );
    (status, stdout, stderr)
}

#[tokio::test]
async fn refuses_to_start_without_terraform() {
    let pem = terraform_identity().pem;

    let without_cookie: Vec<_> = terraform_env(&pem).into_iter().filter(|(k, _)| *k != COOKIE_KEY).collect();
    let wrong_cookie: Vec<_> = terraform_env(&pem)
        .into_iter()
        .map(|(k, v)| if k == COOKIE_KEY { (k, COOKIE.replace('d', "e")) } else { (k, v) })
        .collect();
    for (what, env) in [("no cookie", without_cookie), ("wrong cookie", wrong_cookie)] {
        let (status, stdout, stderr) = run_to_exit(env).await;
        assert_eq!(status.code(), Some(1), "{what}: {status}; stderr:\n{stderr}");
        assert_eq!(stdout, "", "{what}: stdout");
        assert!(stderr.contains("Terraform plugin"), "{what}: stderr:\n{stderr}");
        assert!(stderr.contains("started by Terraform"), "{what}: stderr:\n{stderr}");
    }

    let only_5: Vec<_> = terraform_env(&pem)
        .into_iter()
        .map(|(k, v)| if k == "PLUGIN_PROTOCOL_VERSIONS" { (k, "5".to_string()) } else { (k, v) })
        .collect();
    let (status, stdout, stderr) = run_to_exit(only_5).await;
    assert_eq!(status.code(), Some(1), "protocol 5 only: {status}; stderr:\n{stderr}");
    assert_eq!(stdout, "", "protocol 5 only: stdout");
    assert!(stderr.contains("protocol") && stderr.contains('6'), "protocol 5 only: stderr:\n{stderr}");

    let (status, stdout, stderr) = run_to_exit(terraform_env("garbage")).await;
    assert_eq!(status.code(), Some(1), "garbage certificate: {status}; stderr:\n{stderr}");
    assert_eq!(stdout, "", "garbage certificate: stdout");
    assert!(stderr.contains("PLUGIN_CLIENT_CERT"), "garbage certificate: stderr:\n{stderr}");
}

/// `--debug` serves plaintext and prints a `TF_REATTACH_PROVIDERS` value
/// Terraform can attach with.
#[tokio::test]
async fn debug_mode_prints_reattach_config_and_serves_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = spawn(&Launch { args: &["--debug"], env: Vec::new(), tmp: tmp.path() });
    let pid = child.id().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let _stderr = drain(child.stderr.take().unwrap());

    const MARK: &str = "TF_REATTACH_PROVIDERS='";
    let json = tokio::time::timeout(STEP, async {
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).await.unwrap() == 0 {
                panic!("stdout ended without {MARK}...'; it said:\n{seen}");
            }
            if let Some(start) = line.find(MARK) {
                let value = &line[start + MARK.len()..];
                let end = value.rfind('\'').expect("unterminated TF_REATTACH_PROVIDERS value");
                return value[..end].to_string();
            }
            seen.push_str(&line);
        }
    })
    .await
    .expect("no TF_REATTACH_PROVIDERS line within the time limit");

    let value: serde_json::Value = serde_json::from_str(&json).expect("TF_REATTACH_PROVIDERS is not JSON");
    let entry = &value[REGISTRY_ADDRESS];
    assert!(entry.is_object(), "no {REGISTRY_ADDRESS} entry in {value}");
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Pid"], pid);
    assert_eq!(entry["Addr"]["Network"], "unix");
    let socket = PathBuf::from(entry["Addr"]["String"].as_str().expect("Addr.String is not a string"));
    assert!(socket.exists(), "socket {} does not exist", socket.display());

    let schema = tokio::time::timeout(STEP, async {
        let channel = connect(socket, None).await?;
        let mut client = tfplugin6::provider_client::ProviderClient::new(channel).max_decoding_message_size(256 << 20);
        let resp = client.get_provider_schema(tfplugin6::get_provider_schema::Request {}).await?;
        Ok::<_, BoxError>(resp.into_inner())
    })
    .await
    .expect("the call timed out")
    .expect("plaintext GetProviderSchema failed");
    assert_kubeadm_schema(&schema);

    child.kill().await.unwrap();
}
