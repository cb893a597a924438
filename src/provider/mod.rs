//! The glue between the protocol framework (`tfplugin`) and the domain
//! (`bootstrap`): the provider block, and one file per resource or data source.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{DataSource, EphemeralResource, Provider, Resource};
use crate::tfplugin::schema::{Block, Schema};
use crate::tfplugin::value::Value;

pub mod bootstrap_token;
pub mod capi_manifests;
pub mod cluster_ca;
pub mod cluster_health;
pub mod ignition_config;
pub mod kube_connection;
pub mod kubeconfig;
pub mod manifest_cache;
pub mod node_input;
pub mod store_config;

use crate::bootstrap::store::local::LocalStore;
use crate::bootstrap::store::s3::{S3Settings, S3Store, Sse};
use crate::bootstrap::store::ObjectStore;
use store_config::{Encryption, StoreConfig};

/// The provider's registry address.
pub const ADDRESS: &str = "registry.terraform.io/kubeadm-ignition/kubeadm";
/// The provider type name.
pub const TYPE_NAME: &str = "kubeadm";

/// Where "now" comes from (injected so tests are deterministic).
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// What ConfigureProvider builds once per process.
pub struct ProviderData {
    pub store_config: StoreConfig,
    /// The store, or why it cannot be used.
    pub store: Result<Arc<dyn ObjectStore>, String>,
    /// The same store when it is S3, for presigning and IAM policies.
    pub s3: Option<Arc<S3Store>>,
    /// Artifacts manifests read so far, shared by every node.
    pub manifests: manifest_cache::ManifestCache,
    /// Set when Terraform asks the provider to stop (Ctrl-C): long waits
    /// end early instead of running to their timeout.
    pub stopping: Arc<AtomicBool>,
}

impl ProviderData {
    /// A provider on the local store (S3 needs [`ProviderData::build`]).
    pub fn new(store_config: StoreConfig) -> ProviderData {
        let store: Result<Arc<dyn ObjectStore>, String> = match &store_config {
            StoreConfig::Local { path, base_url } => Ok(Arc::new(LocalStore::new(path, base_url.clone()))),
            StoreConfig::S3 { .. } => Err("the S3 store is built asynchronously".to_string()),
        };
        ProviderData { store_config, store, s3: None, manifests: Default::default(), stopping: Default::default() }
    }

    /// Builds the store a configuration names: one S3 client per process.
    pub async fn build(store_config: StoreConfig) -> ProviderData {
        let StoreConfig::S3 { bucket, prefix, region, endpoint, force_path_style, encryption, profile, .. } =
            &store_config
        else {
            return ProviderData::new(store_config);
        };
        let settings = S3Settings {
            bucket: bucket.clone(),
            prefix: prefix.clone(),
            region: region.clone(),
            endpoint: endpoint.clone(),
            force_path_style: *force_path_style,
            encryption: match encryption {
                Encryption::Aes256 => Sse::Aes256,
                Encryption::Kms { key_id } => Sse::Kms { key_id: key_id.clone() },
                Encryption::None => Sse::None,
            },
            profile: profile.clone(),
        };
        match S3Store::new(settings).await {
            Ok(s) => {
                let s = Arc::new(s);
                ProviderData {
                    store: Ok(s.clone() as Arc<dyn ObjectStore>),
                    s3: Some(s),
                    store_config,
                    manifests: Default::default(),
                    stopping: Default::default(),
                }
            }
            Err(e) => ProviderData {
                store: Err(e.to_string()),
                s3: None,
                store_config,
                manifests: Default::default(),
                stopping: Default::default(),
            },
        }
    }
}

/// The kubeadm provider.
pub struct KubeadmProvider {
    clock: Clock,
    /// Shared with the data `configure` builds (a reattached process may be
    /// configured more than once).
    stopping: Arc<AtomicBool>,
}

impl Default for KubeadmProvider {
    fn default() -> Self {
        KubeadmProvider { clock: Arc::new(OffsetDateTime::now_utc), stopping: Default::default() }
    }
}

impl KubeadmProvider {
    pub fn with_clock(clock: Clock) -> Self {
        KubeadmProvider { clock, stopping: Default::default() }
    }
}

pub fn provider_schema() -> Schema {
    Schema::new(
        0,
        Block::default().with_blocks(vec![store_config::block_type()]).describe(
            "Renders kubeadm nodes (init, control-plane join, worker) as Ignition configs for Flatcar and Fedora CoreOS, with the cluster PKI and bootstrap tokens, from plain Terraform.",
        ),
    )
}

#[async_trait]
impl Provider for KubeadmProvider {
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        provider_schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        store_config::validate(config, diags);
    }

    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<ProviderData> {
        if !config.is_wholly_known() {
            diags.push(Diagnostic::error(
                "Provider configuration not known yet",
                "The store settings depend on values Terraform will only know after apply (for example a bucket created in the same run). Create those first (terraform apply -target=...), or use values known at plan time.",
            ).at(AttrPath::attr("store")));
            return None;
        }
        store_config::validate(config, diags);
        if diags.has_errors() {
            return None;
        }
        let mut data = ProviderData::build(store_config::parse(config)).await;
        data.stopping = self.stopping.clone();
        Some(data)
    }

    fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<ProviderData>>> {
        vec![
            Arc::new(bootstrap_token::BootstrapTokenResource::new(self.clock.clone())),
            Arc::new(cluster_ca::ClusterCaResource::new(self.clock.clone())),
            Arc::new(ignition_config::IgnitionConfigResource::new(self.clock.clone())),
            Arc::new(kubeconfig::KubeconfigResource::new(self.clock.clone())),
        ]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<ProviderData>>> {
        vec![Arc::new(kubeconfig::KubeconfigEphemeral::new(self.clock.clone()))]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<ProviderData>>> {
        vec![
            Arc::new(ignition_config::IgnitionConfigDataSource),
            Arc::new(capi_manifests::CapiManifestsDataSource),
            Arc::new(cluster_health::ClusterHealthDataSource),
        ]
    }
}
