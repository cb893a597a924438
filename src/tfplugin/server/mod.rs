//! The gRPC side of the framework: one generic adapter (`ProviderService`)
//! serving any `framework::Provider` as `tfplugin6.Provider`, one file per RPC
//! (decode, handle, encode), plus go-plugin's controller, stdio and broker
//! services.
//!
//! A handler that panics answers with an error diagnostic instead of taking
//! the connection down.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock, RwLock};

use futures_util::FutureExt;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::framework::{DataSource, EphemeralResource, Provider, Resource};
use super::log;
use super::planning;
use super::proto::tfplugin6 as pb;
use super::schema::Schema;
use super::types::Type;
use super::value::Value;

mod apply_resource_change;
mod close_ephemeral_resource;
mod configure_provider;
pub mod convert;
mod get_metadata;
mod get_provider_schema;
mod get_resource_identity_schemas;
mod import_resource_state;
mod open_ephemeral_resource;
mod plan_resource_change;
mod plugin_services;
mod read_data_source;
mod read_resource;
mod renew_ephemeral_resource;
mod stop_provider;
mod unsupported;
mod upgrade_resource_state;
mod validate_data_resource_config;
mod validate_ephemeral_resource_config;
mod validate_provider_config;
mod validate_resource_config;

pub use plugin_services::{BrokerService, ControllerService, StdioService};

/// A resource type with its schema computed once.
pub(crate) struct ResourceEntry<D: Send + Sync + 'static> {
    pub imp: Arc<dyn Resource<D>>,
    pub schema: Schema,
    pub ty: Type,
}

/// A data source type with its schema computed once.
pub(crate) struct DataSourceEntry<D: Send + Sync + 'static> {
    pub imp: Arc<dyn DataSource<D>>,
    pub schema: Schema,
    pub ty: Type,
}

/// An ephemeral resource type with its schema computed once.
pub(crate) struct EphemeralEntry<D: Send + Sync + 'static> {
    pub imp: Arc<dyn EphemeralResource<D>>,
    pub schema: Schema,
    pub ty: Type,
}

/// Everything the RPC handlers share.
pub(crate) struct Inner<P: Provider> {
    pub provider: P,
    pub provider_schema: Schema,
    pub provider_ty: Type,
    pub resources: HashMap<&'static str, ResourceEntry<P::Data>>,
    pub data_sources: HashMap<&'static str, DataSourceEntry<P::Data>>,
    pub ephemeral_resources: HashMap<&'static str, EphemeralEntry<P::Data>>,
    /// Set by ConfigureProvider. A reattached process may be configured again.
    pub data: RwLock<Option<Arc<P::Data>>>,
    pub schema_response: OnceLock<pb::get_provider_schema::Response>,
    /// Whether the Terraform that configured this process knows write-only
    /// attributes (1.11 and later). UpgradeResourceState carries no client
    /// capabilities, and Terraform refuses an upgraded state that holds a
    /// write-only value, so the upgrade needs this.
    pub write_only_client: AtomicBool,
}

impl<P: Provider> Inner<P> {
    pub fn configured(&self) -> Result<Arc<P::Data>, Diagnostic> {
        let guard = self.data.read().unwrap_or_else(|e| e.into_inner());
        guard.clone().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "Terraform called the provider before configuring it. This is a bug in Terraform or the provider; please report it.",
            )
        })
    }

    pub fn resource(&self, type_name: &str) -> Result<&ResourceEntry<P::Data>, Diagnostic> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!(
                    "The {} provider has no resource type {type_name:?}. Check the resource type name and the provider version.",
                    self.provider.type_name()
                ),
            )
        })
    }

    pub fn ephemeral_resource(&self, type_name: &str) -> Result<&EphemeralEntry<P::Data>, Diagnostic> {
        self.ephemeral_resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown ephemeral resource type",
                format!(
                    "The {} provider has no ephemeral resource type {type_name:?}. Check the type name and the provider version.",
                    self.provider.type_name()
                ),
            )
        })
    }

    pub fn data_source(&self, type_name: &str) -> Result<&DataSourceEntry<P::Data>, Diagnostic> {
        self.data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source",
                format!(
                    "The {} provider has no data source {type_name:?}. Check the data source name and the provider version.",
                    self.provider.type_name()
                ),
            )
        })
    }
}

/// The body of every Validate*Config RPC: decodes the configuration, then
/// runs the schema's attribute validators and the type's own `check`.
/// Values may be unknown (validation runs before they are known).
fn validate_config(
    schema: &Schema,
    ty: &Type,
    config: Option<&pb::DynamicValue>,
    what: &str,
    check: impl FnOnce(&Value, &mut Diagnostics),
) -> Vec<pb::Diagnostic> {
    let mut diags = Diagnostics::new();
    match convert::decode_dv(config, ty, what) {
        Ok(config) => {
            planning::validate(&schema.block, &config, &AttrPath::root(), &mut diags);
            check(&config, &mut diags);
        }
        Err(d) => diags.push(d),
    }
    convert::diags_to_pb(&diags)
}

/// `tfplugin6.Provider` for any framework provider.
pub struct ProviderService<P: Provider> {
    inner: Arc<Inner<P>>,
    shutdown: Arc<Notify>,
}

impl<P: Provider> Clone for ProviderService<P> {
    fn clone(&self) -> Self {
        ProviderService { inner: self.inner.clone(), shutdown: self.shutdown.clone() }
    }
}

impl<P: Provider> ProviderService<P> {
    /// Builds the service; schemas are computed here, once per process.
    pub fn new(provider: P) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|imp| {
                let schema = imp.schema();
                let ty = schema.ty();
                (imp.type_name(), ResourceEntry { imp, schema, ty })
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|imp| {
                let schema = imp.schema();
                let ty = schema.ty();
                (imp.type_name(), DataSourceEntry { imp, schema, ty })
            })
            .collect();
        let ephemeral_resources = provider
            .ephemeral_resources()
            .into_iter()
            .map(|imp| {
                let schema = imp.schema();
                let ty = schema.ty();
                (imp.type_name(), EphemeralEntry { imp, schema, ty })
            })
            .collect();
        let provider_schema = provider.schema();
        let provider_ty = provider_schema.ty();
        ProviderService {
            inner: Arc::new(Inner {
                provider,
                provider_schema,
                provider_ty,
                resources,
                data_sources,
                ephemeral_resources,
                data: RwLock::new(None),
                schema_response: OnceLock::new(),
                write_only_client: AtomicBool::new(false),
            }),
            shutdown: Arc::new(Notify::new()),
        }
    }

    /// The `GetProviderSchema` answer (used by the docs generator too).
    pub fn schema_response(&self) -> pb::get_provider_schema::Response {
        self.inner.get_provider_schema()
    }
}

/// Runs a handler, turning a panic into an error diagnostic for `make_err`.
async fn guarded<T, F>(
    rpc: &'static str,
    fut: F,
    make_err: impl FnOnce(Vec<pb::Diagnostic>) -> T,
) -> Result<Response<T>, Status>
where
    F: std::future::Future<Output = T>,
{
    log::trace("rpc", &[("rpc", rpc)]);
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(resp) => Ok(Response::new(resp)),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            log::error("handler failed", &[("rpc", rpc), ("cause", &msg)]);
            let d = Diagnostic::error(
                "Internal provider error",
                format!(
                    "The provider failed while handling {rpc}: {msg}. Please report this; the state was not changed."
                ),
            );
            Ok(Response::new(make_err(convert::diags_to_pb(&Diagnostics::from(d)))))
        }
    }
}

type BoxStream<T> = Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        log::trace("rpc", &[("rpc", "GetMetadata")]);
        Ok(Response::new(self.inner.get_metadata()))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        log::trace("rpc", &[("rpc", "GetProviderSchema")]);
        Ok(Response::new(self.inner.get_provider_schema()))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        log::trace("rpc", &[("rpc", "GetResourceIdentitySchemas")]);
        Ok(Response::new(self.inner.get_resource_identity_schemas()))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let inner = self.inner.clone();
        guarded(
            "ValidateProviderConfig",
            async move { inner.validate_provider_config(request.into_inner()).await },
            |d| pb::validate_provider_config::Response { diagnostics: d },
        )
        .await
    }
    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        guarded(
            "ValidateResourceConfig",
            async move { inner.validate_resource_config(request.into_inner()).await },
            |d| pb::validate_resource_config::Response { diagnostics: d },
        )
        .await
    }
    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        guarded(
            "ValidateDataResourceConfig",
            async move { inner.validate_data_resource_config(request.into_inner()).await },
            |d| pb::validate_data_resource_config::Response { diagnostics: d },
        )
        .await
    }
    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let inner = self.inner.clone();
        guarded("UpgradeResourceState", async move { inner.upgrade_resource_state(request.into_inner()).await }, |d| {
            pb::upgrade_resource_state::Response { diagnostics: d, ..Default::default() }
        })
        .await
    }
    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let inner = self.inner.clone();
        guarded("ConfigureProvider", async move { inner.configure_provider(request.into_inner()).await }, |d| {
            pb::configure_provider::Response { diagnostics: d }
        })
        .await
    }
    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let inner = self.inner.clone();
        guarded("ReadResource", async move { inner.read_resource(request.into_inner()).await }, |d| {
            pb::read_resource::Response { diagnostics: d, ..Default::default() }
        })
        .await
    }
    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let inner = self.inner.clone();
        guarded("PlanResourceChange", async move { inner.plan_resource_change(request.into_inner()).await }, |d| {
            pb::plan_resource_change::Response { diagnostics: d, ..Default::default() }
        })
        .await
    }
    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let inner = self.inner.clone();
        guarded("ApplyResourceChange", async move { inner.apply_resource_change(request.into_inner()).await }, |d| {
            pb::apply_resource_change::Response { diagnostics: d, ..Default::default() }
        })
        .await
    }
    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let inner = self.inner.clone();
        guarded("ImportResourceState", async move { inner.import_resource_state(request.into_inner()).await }, |d| {
            pb::import_resource_state::Response { diagnostics: d, ..Default::default() }
        })
        .await
    }
    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let inner = self.inner.clone();
        guarded("ReadDataSource", async move { inner.read_data_source(request.into_inner()).await }, |d| {
            pb::read_data_source::Response { diagnostics: d, ..Default::default() }
        })
        .await
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        log::trace("rpc", &[("rpc", "StopProvider")]);
        Ok(Response::new(self.inner.stop_provider()))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        guarded(
            "ValidateEphemeralResourceConfig",
            async move { inner.validate_ephemeral_resource_config(request.into_inner()).await },
            |d| pb::validate_ephemeral_resource_config::Response { diagnostics: d },
        )
        .await
    }
    async fn open_ephemeral_resource(
        &self,
        request: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        let inner = self.inner.clone();
        guarded(
            "OpenEphemeralResource",
            async move { inner.open_ephemeral_resource(request.into_inner()).await },
            |d| pb::open_ephemeral_resource::Response { diagnostics: d, ..Default::default() },
        )
        .await
    }
    async fn renew_ephemeral_resource(
        &self,
        request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        let inner = self.inner.clone();
        guarded(
            "RenewEphemeralResource",
            async move { inner.renew_ephemeral_resource(request.into_inner()).await },
            |d| pb::renew_ephemeral_resource::Response { diagnostics: d, ..Default::default() },
        )
        .await
    }
    async fn close_ephemeral_resource(
        &self,
        request: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        let inner = self.inner.clone();
        guarded(
            "CloseEphemeralResource",
            async move { inner.close_ephemeral_resource(request.into_inner()).await },
            |d| pb::close_ephemeral_resource::Response { diagnostics: d },
        )
        .await
    }

    // Everything below is a feature this provider does not offer. Terraform
    // only calls these when a configuration uses the feature.
    async fn upgrade_resource_identity(
        &self,
        _r: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        Err(unsupported::status("UpgradeResourceIdentity", "resource identities"))
    }
    async fn move_resource_state(
        &self,
        _r: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        Err(unsupported::status("MoveResourceState", "moving state between resource types"))
    }
    async fn generate_resource_config(
        &self,
        _r: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        Err(unsupported::status("GenerateResourceConfig", "configuration generation"))
    }
    type ListResourceStream = BoxStream<pb::list_resource::Event>;
    async fn list_resource(
        &self,
        _r: Request<pb::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        Err(unsupported::status("ListResource", "list resources"))
    }
    async fn validate_list_resource_config(
        &self,
        _r: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        Err(unsupported::status("ValidateListResourceConfig", "list resources"))
    }
    async fn get_functions(
        &self,
        _r: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        // No functions: an empty answer is more useful than an error.
        Ok(Response::new(pb::get_functions::Response::default()))
    }
    async fn call_function(
        &self,
        _r: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        Err(unsupported::status("CallFunction", "provider functions"))
    }
    async fn validate_state_store_config(
        &self,
        _r: Request<pb::validate_state_store::Request>,
    ) -> Result<Response<pb::validate_state_store::Response>, Status> {
        Err(unsupported::status("ValidateStateStoreConfig", "state stores"))
    }
    async fn configure_state_store(
        &self,
        _r: Request<pb::configure_state_store::Request>,
    ) -> Result<Response<pb::configure_state_store::Response>, Status> {
        Err(unsupported::status("ConfigureStateStore", "state stores"))
    }
    type ReadStateBytesStream = BoxStream<pb::read_state_bytes::Response>;
    async fn read_state_bytes(
        &self,
        _r: Request<pb::read_state_bytes::Request>,
    ) -> Result<Response<Self::ReadStateBytesStream>, Status> {
        Err(unsupported::status("ReadStateBytes", "state stores"))
    }
    async fn write_state_bytes(
        &self,
        _r: Request<tonic::Streaming<pb::write_state_bytes::RequestChunk>>,
    ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
        Err(unsupported::status("WriteStateBytes", "state stores"))
    }
    async fn lock_state(
        &self,
        _r: Request<pb::lock_state::Request>,
    ) -> Result<Response<pb::lock_state::Response>, Status> {
        Err(unsupported::status("LockState", "state stores"))
    }
    async fn unlock_state(
        &self,
        _r: Request<pb::unlock_state::Request>,
    ) -> Result<Response<pb::unlock_state::Response>, Status> {
        Err(unsupported::status("UnlockState", "state stores"))
    }
    async fn get_states(
        &self,
        _r: Request<pb::get_states::Request>,
    ) -> Result<Response<pb::get_states::Response>, Status> {
        Err(unsupported::status("GetStates", "state stores"))
    }
    async fn delete_state(
        &self,
        _r: Request<pb::delete_state::Request>,
    ) -> Result<Response<pb::delete_state::Response>, Status> {
        Err(unsupported::status("DeleteState", "state stores"))
    }
    async fn plan_action(
        &self,
        _r: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        Err(unsupported::status("PlanAction", "actions"))
    }
    type InvokeActionStream = BoxStream<pb::invoke_action::Event>;
    async fn invoke_action(
        &self,
        _r: Request<pb::invoke_action::Request>,
    ) -> Result<Response<Self::InvokeActionStream>, Status> {
        Err(unsupported::status("InvokeAction", "actions"))
    }
    async fn validate_action_config(
        &self,
        _r: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        Err(unsupported::status("ValidateActionConfig", "actions"))
    }
}
