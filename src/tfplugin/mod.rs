//! The Terraform plugin protocol (version 6), reusable on its own: handshake
//! and AutoMTLS, the gRPC server, dynamic values, schemas, diagnostics and a
//! small typed framework for resources and data sources.
//!
//! Nothing here knows about Kubernetes; `crate::provider` is the glue.

pub mod diag;
pub mod docs;
pub mod framework;
pub mod json;
pub mod log;
pub mod msgpack;
pub mod planning;
pub mod schema;
pub mod serve;
pub mod server;
#[doc(hidden)]
pub mod test_client;
pub mod tls;
pub mod types;
pub mod validators;
pub mod value;

/// Code generated from `proto/`.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
