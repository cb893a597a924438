//! A small provider framework: typed traits for the provider, its resources
//! and data sources. The generic adapter in `server` bridges them to the wire,
//! so code implementing these traits never touches msgpack or protobuf.
//!
//! Errors and warnings are collected in a `Diagnostics` passed to each call,
//! so warnings ride along with success. This module knows nothing of Kubernetes.

use std::sync::Arc;

use async_trait::async_trait;

use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::schema::Schema;
use super::value::Value;

/// The plan of one resource instance, as the resource's `plan` hook sees it.
#[derive(Debug)]
pub struct Plan {
    /// The prior state; `None` on create.
    pub prior: Option<Value>,
    /// The configuration (may contain unknowns).
    pub config: Value,
    /// The planned new state, after defaults and unknown marking. The hook may
    /// change it; values it makes known must hold at apply.
    pub planned: Value,
    /// Extra attributes whose change forces replacement.
    pub requires_replace: Vec<AttrPath>,
}

impl Plan {
    pub fn is_create(&self) -> bool {
        self.prior.is_none()
    }
    /// The prior value of an attribute (null on create).
    pub fn prior_attr(&self, name: &str) -> &Value {
        match &self.prior {
            Some(p) => p.get(name),
            None => p_null(),
        }
    }
}

fn p_null() -> &'static Value {
    static NULL: Value = Value::Null;
    &NULL
}

/// A managed resource type.
#[async_trait]
pub trait Resource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `kubeadm_bootstrap_token`.
    fn type_name(&self) -> &'static str;

    /// The schema. Called once per process and cached.
    fn schema(&self) -> Schema;

    /// Checks the configuration beyond per-attribute validators. Runs in
    /// unconfigured provider processes; values may be unknown.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts the plan after the framework applied defaults, unknowns and
    /// prior values.
    async fn plan(&self, _data: &D, _plan: &mut Plan, _diags: &mut Diagnostics) {}

    /// Creates the object; returns the new state, wholly known.
    async fn create(&self, data: &D, planned: &Value, config: &Value, diags: &mut Diagnostics) -> Option<Value>;

    /// Refreshes the state; `None` means the object is gone.
    async fn read(&self, data: &D, state: &Value, diags: &mut Diagnostics) -> Option<Value>;

    /// Updates in place. The default accepts the plan as the new state, which
    /// suits resources whose updatable attributes live only in Terraform.
    async fn update(
        &self,
        _data: &D,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        if planned.is_wholly_known() {
            Some(planned.clone())
        } else {
            diags.push(Diagnostic::error(
                "Provider planned values it cannot compute",
                format!("{} has no update logic for unknown values; please report this.", self.type_name()),
            ));
            None
        }
    }

    /// Deletes the object. Already gone is not an error.
    async fn delete(&self, data: &D, prior: &Value, diags: &mut Diagnostics);

    /// Builds a state from an import ID. The framework then calls `read`.
    async fn import(&self, _data: &D, _id: &str, diags: &mut Diagnostics) -> Option<Value> {
        diags.push(Diagnostic::error(
            "Import not supported",
            format!("{} cannot be imported; remove the import and let Terraform create it.", self.type_name()),
        ));
        None
    }

    /// Rewrites a stored state of an older schema version (as JSON) into the
    /// current shape. The framework then fills missing attributes with null.
    fn upgrade(
        &self,
        _from_version: i64,
        raw: serde_json::Value,
        _diags: &mut Diagnostics,
    ) -> Option<serde_json::Value> {
        Some(raw)
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource<D: Send + Sync + 'static>: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Reads: returns the state, wholly known.
    async fn read(&self, data: &D, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

/// A provider: its own configuration and the types it serves.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds once per process and every call then shares.
    type Data: Send + Sync + 'static;

    /// The provider type name, e.g. `kubeadm`.
    fn type_name(&self) -> &'static str;

    /// The schema of the `provider` block.
    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the shared data from the provider configuration.
    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Self::Data>;

    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>>;
}
