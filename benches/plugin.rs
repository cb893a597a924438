//! The provider process as Terraform sees it, on the release binary: exec to
//! handshake line (with Terraform's real environment: magic cookie, protocol
//! offer, port range and an AutoMTLS client certificate shaped like
//! Terraform's), the first GetProviderSchema over mutual TLS on the announced
//! unix socket (connect, TLS handshake and call), warm GetProviderSchema
//! calls on the same connection, Shutdown to exit, and the process's peak
//! RSS.
//!
//! Run with `cargo bench --bench plugin`. `KUBEADM_BENCH_PLUGIN_RUNS` sets the
//! number of processes started (default 50).

#[path = "support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use prost::Message as _;
use rustls::pki_types::ServerName;
use support::{median, ms, percentile};
use terraform_provider_kubeadm::tfplugin::proto::{plugin, tfplugin6};
use terraform_provider_kubeadm::tfplugin::test_client::{
    terraform_like_client, terraform_like_identity as terraform_identity, ClientIdentity as Identity,
};
use tonic::transport::{Channel, Endpoint, Uri};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-kubeadm");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Warm GetProviderSchema calls per process.
const WARM_CALLS: usize = 20;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn client_tls(server_cert_der: &[u8], id: &Identity) -> Arc<rustls::ClientConfig> {
    terraform_like_client(server_cert_der, Some(id), None)
}

async fn connect(socket: PathBuf, tls: Arc<rustls::ClientConfig>) -> Result<Channel, BoxError> {
    let connector = tower::service_fn(move |_: Uri| {
        let (socket, tls) = (socket.clone(), tls.clone());
        async move {
            let stream = tokio::net::UnixStream::connect(&socket).await?;
            let name = ServerName::try_from("localhost").expect("server name");
            let tls = tokio_rustls::TlsConnector::from(tls).connect(name, stream).await?;
            Ok::<_, std::io::Error>(TokioIo::new(tls))
        }
    });
    Ok(Endpoint::try_from("http://localhost")?.connect_with_connector(connector).await?)
}

/// Peak resident set (VmHWM) of a process in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A command for the provider binary with a clean plugin environment.
fn provider_command(tmp: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k.starts_with("TF_") || k.starts_with("PLUGIN_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("TMPDIR", tmp).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    cmd
}

#[derive(Default)]
struct Samples {
    version_exit: Vec<f64>,
    handshake: Vec<f64>,
    first_schema: Vec<f64>,
    warm_schema: Vec<f64>,
    shutdown_exit: Vec<f64>,
    lifetime: Vec<f64>,
    hwm_kib: Vec<f64>,
}

fn main() {
    let runs: usize = std::env::var("KUBEADM_BENCH_PLUGIN_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let tmp = tempfile::tempdir().expect("temp dir");
    let identity = terraform_identity();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut s = Samples::default();
    let mut schema_bytes = 0;

    // The bare process: exec, runtime-free `--version`, exit.
    for _ in 0..runs {
        let t = Instant::now();
        let out = provider_command(tmp.path()).arg("--version").output().expect("run --version");
        s.version_exit.push(ms(t.elapsed()));
        assert!(out.status.success());
    }

    for i in 0..runs {
        let start = Instant::now();
        let mut child = provider_command(tmp.path())
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_CLIENT_CERT", &identity.pem)
            .spawn()
            .expect("start the provider");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the handshake line");
        let handshake = start.elapsed();
        let fields: Vec<&str> = line.trim_end().split('|').collect();
        assert_eq!(fields.len(), 6, "handshake line {line:?}");
        let socket = PathBuf::from(fields[3]);
        let cert = base64::engine::general_purpose::STANDARD_NO_PAD.decode(fields[5]).expect("certificate field");
        let pid = child.id();

        let (first, warm, hwm) = rt.block_on(async {
            let t = Instant::now();
            let channel = connect(socket, client_tls(&cert, &identity)).await.expect("connect over mTLS");
            let mut client =
                tfplugin6::provider_client::ProviderClient::new(channel.clone()).max_decoding_message_size(256 << 20);
            let resp = client
                .get_provider_schema(tfplugin6::get_provider_schema::Request {})
                .await
                .expect("GetProviderSchema")
                .into_inner();
            let first = t.elapsed();
            schema_bytes = resp.encoded_len();
            let mut warm = Vec::with_capacity(WARM_CALLS);
            for _ in 0..WARM_CALLS {
                let t = Instant::now();
                client
                    .get_provider_schema(tfplugin6::get_provider_schema::Request {})
                    .await
                    .expect("GetProviderSchema");
                warm.push(ms(t.elapsed()));
            }
            let hwm = vm_hwm_kib(pid);
            plugin::grpc_controller_client::GrpcControllerClient::new(channel)
                .shutdown(plugin::Empty {})
                .await
                .expect("Shutdown");
            (first, warm, hwm)
        });
        let t = Instant::now();
        let status = child.wait().expect("wait for the provider");
        assert!(status.success(), "run {i}: provider exited with {status}");
        s.shutdown_exit.push(ms(t.elapsed()));
        s.lifetime.push(ms(start.elapsed()));
        s.handshake.push(ms(handshake));
        s.first_schema.push(ms(first));
        s.warm_schema.extend(warm);
        if let Some(h) = hwm {
            s.hwm_kib.push(h as f64);
        }
    }

    println!("provider process (release binary), {runs} processes, AutoMTLS over a unix socket");
    println!("{:<40} {:>6} {:>10} {:>10} {:>10}", "measure", "runs", "median", "p90", "max");
    let row = |name: &str, v: &mut Vec<f64>, unit: &str| {
        let n = v.len();
        let (m, p, x) = (median(v), percentile(v, 90.0), percentile(v, 100.0));
        println!("{:<40} {n:>6} {:>10} {:>10} {:>10}", name, fmt(m, unit), fmt(p, unit), fmt(x, unit));
    };
    row("exec -> exit (--version)", &mut s.version_exit, "ms");
    row("exec -> handshake line", &mut s.handshake, "ms");
    row("first GetProviderSchema (connect+TLS)", &mut s.first_schema, "ms");
    row("warm GetProviderSchema", &mut s.warm_schema, "ms");
    row("Shutdown -> exit", &mut s.shutdown_exit, "ms");
    row("exec -> schema -> Shutdown -> exit", &mut s.lifetime, "ms");
    row("peak RSS (VmHWM) after schema", &mut s.hwm_kib, "MB");
    println!("GetProviderSchema response: {schema_bytes} bytes");
}

fn fmt(v: f64, unit: &str) -> String {
    match unit {
        "MB" => format!("{:.1} MB", v / 1024.0),
        _ => format!("{v:.2} ms"),
    }
}
