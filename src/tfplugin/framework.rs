//! A small provider framework: typed traits for the provider, its resources,
//! data sources and ephemeral resources. The generic adapter in `server` bridges them to the wire,
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

/// What a resource keeps beside an instance's state, out of the user's
/// sight: string entries that Terraform stores opaquely with the instance and
/// hands back on the next read, plan and apply. Good for facts about the
/// remote object that are not part of the schema (an ETag, say). Stored as a
/// JSON object; bytes that are not one read as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Private {
    entries: std::collections::BTreeMap<String, String>,
}

impl Private {
    pub fn from_bytes(bytes: &[u8]) -> Private {
        if bytes.is_empty() {
            return Private::default();
        }
        Private { entries: serde_json::from_slice(bytes).unwrap_or_default() }
    }

    /// Empty when there are no entries, which Terraform stores as nothing.
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        serde_json::to_vec(&self.entries).unwrap_or_default()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Sets an entry, or removes it with `None`.
    pub fn set(&mut self, key: &str, value: Option<String>) {
        match value {
            Some(v) => self.entries.insert(key.to_string(), v),
            None => self.entries.remove(key),
        };
    }
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

    /// Creates the object; returns the new state, wholly known. `private`
    /// starts empty; what it holds afterwards is stored with the state.
    async fn create(
        &self,
        data: &D,
        planned: &Value,
        config: &Value,
        private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value>;

    /// Refreshes the state; `None` means the object is gone. `private` holds
    /// what the last apply or read left; changes to it are kept unless the
    /// read fails.
    async fn read(&self, data: &D, state: &Value, private: &mut Private, diags: &mut Diagnostics) -> Option<Value>;

    /// Updates in place. The default accepts the plan as the new state, which
    /// suits resources whose updatable attributes live only in Terraform.
    /// `private` holds the prior instance's entries.
    async fn update(
        &self,
        _data: &D,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
        _private: &mut Private,
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

/// What an ephemeral resource's `open` hands back.
#[derive(Debug, Default)]
pub struct Opened {
    /// The result: the configuration with every computed attribute filled,
    /// wholly known. Terraform keeps it in memory only, never in a plan or
    /// a state.
    pub result: Value,
    /// When set, Terraform calls `renew` around this time if it still
    /// needs the value.
    pub renew_at: Option<std::time::SystemTime>,
    /// Handed back to `renew` and `close`.
    pub private: Private,
}

/// An ephemeral resource type (Terraform 1.10 and later): a value acquired
/// for the length of one Terraform run, for provider blocks, provisioners
/// and write-only attributes, and never stored.
///
/// The framework answers `open` itself while the configuration still holds
/// unknown values (Terraform does not open it then, but older releases
/// might): it returns the configuration with the computed attributes
/// unknown, so `open` always sees a wholly known configuration.
#[async_trait]
pub trait EphemeralResource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `kubeadm_kubeconfig`.
    fn type_name(&self) -> &'static str;

    /// The schema (no write-only attributes: nothing is stored anyway).
    fn schema(&self) -> Schema;

    /// Checks the configuration beyond per-attribute validators. Runs in
    /// unconfigured provider processes; values may be unknown.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Acquires the value from a wholly known configuration.
    async fn open(&self, data: &D, config: &Value, diags: &mut Diagnostics) -> Option<Opened>;

    /// Extends the value's life; returns the next renewal time, if any. The
    /// default does nothing and asks for no further renewal.
    async fn renew(
        &self,
        _data: &D,
        _private: &mut Private,
        _diags: &mut Diagnostics,
    ) -> Option<std::time::SystemTime> {
        None
    }

    /// Releases the value. The default does nothing.
    async fn close(&self, _data: &D, _private: &Private, _diags: &mut Diagnostics) {}
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

    /// Terraform asks the provider to stop (the user pressed Ctrl-C). Calls
    /// in flight still get to answer; ones that wait on something outside
    /// (a cluster to turn healthy, say) should give up soon after this.
    fn stop(&self) {}

    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>>;

    /// The ephemeral resource types; none unless a provider offers some.
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<Self::Data>>> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Private;

    #[test]
    fn private_entries_round_trip_and_empty_is_nothing() {
        let mut p = Private::default();
        assert!(p.to_bytes().is_empty(), "no entries is stored as nothing");
        p.set("etag", Some("abc".into()));
        let again = Private::from_bytes(&p.to_bytes());
        assert_eq!(again.get("etag"), Some("abc"));
        assert_eq!(again, p);
        p.set("etag", None);
        assert_eq!(p.get("etag"), None);
        assert!(p.to_bytes().is_empty());
    }

    #[test]
    fn foreign_private_bytes_read_as_empty() {
        for bytes in [&b"opaque"[..], b"[1,2]", b"{\"etag\":1}", b"\xff\xfe"] {
            assert_eq!(Private::from_bytes(bytes), Private::default(), "{bytes:?}");
        }
    }
}
