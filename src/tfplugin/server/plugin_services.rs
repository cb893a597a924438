//! go-plugin's side services: the controller (Shutdown), stdio forwarding and
//! the broker. Terraform opens stdio and broker streams on every connection
//! and tolerates them staying silent; Shutdown must make the process exit
//! promptly, or Terraform kills it after two seconds.

use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::Notify;
use tonic::{Request, Response, Status, Streaming};

use crate::tfplugin::log;
use crate::tfplugin::proto::plugin as gp;

type Silent<T> = Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

/// `plugin.GRPCController`: Shutdown wakes whoever waits on the notifier.
pub struct ControllerService {
    pub shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl gp::grpc_controller_server::GrpcController for ControllerService {
    async fn shutdown(&self, _r: Request<gp::Empty>) -> Result<Response<gp::Empty>, Status> {
        log::debug("shutdown requested", &[]);
        self.shutdown.notify_one();
        Ok(Response::new(gp::Empty {}))
    }
}

/// `plugin.GRPCStdio`: we never write to stdout or stderr through it (logs go
/// to stderr directly), so the stream stays open and silent.
pub struct StdioService;

#[tonic::async_trait]
impl gp::grpc_stdio_server::GrpcStdio for StdioService {
    type StreamStdioStream = Silent<gp::StdioData>;
    async fn stream_stdio(&self, _r: Request<()>) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}

/// `plugin.GRPCBroker`: providers never broker extra connections; incoming
/// messages are read and ignored so the client never blocks.
pub struct BrokerService;

#[tonic::async_trait]
impl gp::grpc_broker_server::GrpcBroker for BrokerService {
    type StartStreamStream = Silent<gp::ConnInfo>;
    async fn start_stream(
        &self,
        r: Request<Streaming<gp::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut incoming = r.into_inner();
        tokio::spawn(async move { while let Ok(Some(_)) = incoming.message().await {} });
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}
