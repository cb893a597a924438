//! Starting the plugin: the go-plugin handshake and the gRPC transport.
//!
//! Started by Terraform, the process checks the magic cookie, picks protocol 6
//! from `PLUGIN_PROTOCOL_VERSIONS`, listens on a unix socket (no Nagle delays,
//! loopback only by construction), wraps it in AutoMTLS when Terraform sent
//! `PLUGIN_CLIENT_CERT`, prints the handshake line as the only output on
//! stdout, ignores SIGINT (Terraform sends StopProvider itself) and exits
//! promptly when `GRPCController.Shutdown` arrives.
//!
//! With `--debug` it serves plaintext and prints a `TF_REATTACH_PROVIDERS`
//! value instead, for test harnesses and for debugging by hand.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, Notify};
use tokio_stream::wrappers::ReceiverStream;

use super::framework::Provider;
use super::log;
use super::proto::plugin as gp;
use super::proto::tfplugin6 as pb;
use super::server::{BrokerService, ControllerService, ProviderService, StdioService};
use super::tls::{self, AutoMtls};

/// The cookie Terraform sets so a plugin knows it was started by Terraform.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The only protocol version served.
pub const PROTOCOL_VERSION: u32 = 6;

/// Largest gRPC message accepted or sent (schemas and states can be large).
const MAX_MESSAGE: usize = 256 << 20;

/// Why the plugin could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "this binary is a Terraform plugin: it is started by Terraform, not by hand. \
         Install it as a provider and run terraform (or run it with --debug to attach Terraform via TF_REATTACH_PROVIDERS)"
    )]
    NotStartedByTerraform,
    #[error("Terraform offered plugin protocol versions {offered:?}, but this provider speaks only version 6: use Terraform 1.0 or newer")]
    NoCommonProtocol { offered: String },
    #[error("AutoMTLS set-up failed: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen on {path}: {source}")]
    Listen { path: String, source: std::io::Error },
    #[error("cannot write the handshake line: {0}")]
    Stdout(std::io::Error),
}

/// What the caller passes in from the environment (read once, so tests can
/// construct it directly).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub cookie: Option<String>,
    pub protocol_versions: Option<String>,
    pub client_cert: Option<String>,
}

impl Environment {
    pub fn from_process() -> Environment {
        Environment {
            cookie: std::env::var(MAGIC_COOKIE_KEY).ok(),
            protocol_versions: std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok(),
            client_cert: std::env::var("PLUGIN_CLIENT_CERT").ok().filter(|s| !s.trim().is_empty()),
        }
    }

    /// Checks the cookie and the protocol version offer.
    pub fn check(&self) -> Result<(), StartError> {
        if self.cookie.as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(StartError::NotStartedByTerraform);
        }
        negotiate(self.protocol_versions.as_deref())?;
        Ok(())
    }
}

/// Picks protocol 6 from Terraform's offer (a comma-separated list, any
/// order). No offer at all means the client accepts the server's version.
pub fn negotiate(offer: Option<&str>) -> Result<u32, StartError> {
    let Some(offer) = offer.filter(|s| !s.trim().is_empty()) else {
        return Ok(PROTOCOL_VERSION);
    };
    if offer.split(',').any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION)) {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(StartError::NoCommonProtocol { offered: offer.to_string() })
    }
}

/// The handshake line (without newline): `CORE|APP|NET|ADDR|PROTO|CERT`, the
/// certificate as unpadded base64 DER, empty without TLS.
pub fn handshake_line(socket: &Path, cert_b64: Option<&str>) -> String {
    format!("1|{PROTOCOL_VERSION}|unix|{}|grpc|{}", socket.display(), cert_b64.unwrap_or(""))
}

/// The `TF_REATTACH_PROVIDERS` value for a debug server.
pub fn reattach_json(address: &str, socket: &Path, pid: u32) -> String {
    serde_json::json!({
        address: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": "unix", "String": socket.display().to_string() }
        }
    })
    .to_string()
}

/// A fresh socket path in the temporary directory.
fn socket_path(name: &str) -> PathBuf {
    let n: u64 = rand::random();
    std::env::temp_dir().join(format!("plugin-{name}-{}-{n:016x}.sock", std::process::id()))
}

/// A served connection: plain or TLS over a unix socket.
enum Conn {
    Plain(UnixStream),
    Tls(Box<tokio_rustls::server::TlsStream<UnixStream>>),
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Accepts connections, completing TLS handshakes in their own tasks so one
/// slow or hostile client cannot hold up the others.
fn accept_loop(
    listener: UnixListener,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> ReceiverStream<std::io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(16);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                Err(e) => {
                    log::warn("accept failed", &[("error", &e.to_string())]);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let tx = tx.clone();
            match &acceptor {
                None => {
                    if tx.send(Ok(Conn::Plain(stream))).await.is_err() {
                        return;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(Duration::from_secs(30), acceptor.accept(stream)).await {
                            Ok(Ok(s)) => {
                                let _ = tx.send(Ok(Conn::Tls(Box::new(s)))).await;
                            }
                            Ok(Err(e)) if tls::is_client_cert_mismatch(&e) => log::error(
                                "refused a TLS client: its certificate is not the one in PLUGIN_CLIENT_CERT",
                                &[("error", &e.to_string())],
                            ),
                            // Terraform 1.0 opens and drops one connection after
                            // Shutdown; a refused client without a certificate
                            // lands here too.
                            Ok(Err(e)) => log::debug("TLS handshake did not complete", &[("error", &e.to_string())]),
                            Err(_) => log::debug("TLS handshake timed out", &[]),
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

async fn run_server<P: Provider>(
    provider: P,
    listener: UnixListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: Arc<Notify>,
) -> Result<(), tonic::transport::Error> {
    let svc = ProviderService::new(provider);
    let incoming = accept_loop(listener, tls);
    tonic::transport::Server::builder()
        .add_service(
            pb::provider_server::ProviderServer::new(svc)
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
        )
        .add_service(gp::grpc_controller_server::GrpcControllerServer::new(ControllerService { shutdown }))
        .add_service(gp::grpc_stdio_server::GrpcStdioServer::new(StdioService))
        .add_service(gp::grpc_broker_server::GrpcBrokerServer::new(BrokerService))
        .serve_with_incoming(incoming)
        .await
}

fn ignore_sigint() {
    // Installing a handler replaces the default "terminate" disposition.
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
        Ok(mut sig) => {
            tokio::spawn(async move {
                while sig.recv().await.is_some() {
                    log::debug("ignoring SIGINT; Terraform sends StopProvider", &[]);
                }
            });
        }
        Err(e) => log::warn("cannot install the SIGINT handler", &[("error", &e.to_string())]),
    }
}

/// Resolves on SIGTERM, so a debug server stopped by a harness still removes its socket.
async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

fn bind(path: &Path) -> Result<UnixListener, StartError> {
    UnixListener::bind(path).map_err(|source| StartError::Listen { path: path.display().to_string(), source })
}

/// Serves as a plugin started by Terraform. Returns when Terraform asks for
/// shutdown (the socket file is removed).
pub async fn serve_plugin<P: Provider>(provider: P, env: Environment) -> Result<(), StartError> {
    env.check()?;
    let tls = env.client_cert.as_deref().map(AutoMtls::from_client_cert_pem).transpose()?;
    ignore_sigint();
    let path = socket_path(provider.type_name());
    let listener = bind(&path)?;
    let line = handshake_line(&path, tls.as_ref().map(AutoMtls::server_cert_base64).as_deref());
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").and_then(|_| out.flush()).map_err(StartError::Stdout)?;
    }
    log::debug(
        "serving",
        &[("socket", &path.display().to_string()), ("tls", if tls.is_some() { "true" } else { "false" })],
    );

    let shutdown = Arc::new(Notify::new());
    let server = run_server(provider, listener, tls.map(|t| t.server_config), shutdown.clone());
    tokio::select! {
        res = server => {
            if let Err(e) = res {
                log::error("server stopped", &[("error", &e.to_string())]);
            }
        }
        _ = async move {
            // Give the Shutdown reply a moment to reach Terraform, then go:
            // open streams (stdio, broker) would hold a graceful stop forever.
            shutdown.notified().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        } => {}
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// Serves in debug mode: plaintext, no cookie, prints `TF_REATTACH_PROVIDERS`
/// and serves until interrupted or `Shutdown` arrives.
pub async fn serve_debug<P: Provider>(provider: P, address: &str) -> Result<(), StartError> {
    let path = socket_path(provider.type_name());
    let listener = bind(&path)?;
    let reattach = reattach_json(address, &path, std::process::id());
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "Provider started in debug mode. To attach Terraform, set in its environment:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n"
        )
        .and_then(|_| out.flush())
        .map_err(StartError::Stdout)?;
    }
    let shutdown = Arc::new(Notify::new());
    let server = run_server(provider, listener, None, shutdown.clone());
    tokio::select! {
        res = server => {
            if let Err(e) = res {
                log::error("server stopped", &[("error", &e.to_string())]);
            }
        }
        _ = shutdown.notified() => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated() => {}
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_6() {
        assert_eq!(negotiate(Some("5,6")).unwrap(), 6);
        assert_eq!(negotiate(Some("6,5")).unwrap(), 6);
        assert_eq!(negotiate(None).unwrap(), 6);
        assert!(matches!(negotiate(Some("5")), Err(StartError::NoCommonProtocol { .. })));
        assert!(negotiate(Some("7,60")).is_err());
    }

    #[test]
    fn cookie_is_checked() {
        let mut env = Environment { cookie: None, protocol_versions: Some("5,6".into()), client_cert: None };
        assert!(matches!(env.check(), Err(StartError::NotStartedByTerraform)));
        env.cookie = Some("wrong".into());
        assert!(env.check().is_err());
        env.cookie = Some(MAGIC_COOKIE_VALUE.into());
        assert!(env.check().is_ok());
    }

    #[test]
    fn handshake_and_reattach_shapes() {
        let p = Path::new("/tmp/x.sock");
        assert_eq!(handshake_line(p, Some("QUJD")), "1|6|unix|/tmp/x.sock|grpc|QUJD");
        assert_eq!(handshake_line(p, None), "1|6|unix|/tmp/x.sock|grpc|");
        let j: serde_json::Value = serde_json::from_str(&reattach_json("registry.terraform.io/a/b", p, 42)).unwrap();
        let e = &j["registry.terraform.io/a/b"];
        assert_eq!(e["Test"], true);
        assert_eq!(e["ProtocolVersion"], 6);
        assert_eq!(e["Pid"], 42);
        assert_eq!(e["Addr"]["Network"], "unix");
    }
}
