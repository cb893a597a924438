//! `kubeadm_ignition_config` (resource) and `data "kubeadm_ignition_config"`:
//! render a node's Ignition config from its inputs. The resource stores it in
//! the provider's store and returns a small pointer config for user data; the
//! data source only renders.
//!
//! Rendering is a pure function of the inputs, done at plan time, so every
//! output is known in the plan and an unchanged configuration plans no change.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::node_input::{input_block, Reader};
use super::store_config::StoreConfig;
use super::ProviderData;
use crate::bootstrap::node::{NodeSpec, Role};
use crate::bootstrap::store::{ObjectStore, Probe, StoreError};
use crate::bootstrap::{artifacts, ignition, kubeadm};
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{DataSource, Plan, Private, Resource};
use crate::tfplugin::schema::{Attribute, Schema};
use crate::tfplugin::value::Value;

pub const TYPE_NAME: &str = "kubeadm_ignition_config";

/// EC2 refuses user data above 16 KiB.
pub const USER_DATA_LIMIT: usize = 16 * 1024;

/// A rendered node.
pub struct Rendered {
    pub json: String,
    pub sha512: String,
    pub kubeadm_yaml: String,
    pub warnings: Vec<String>,
}

fn patch_path(document: &str) -> AttrPath {
    AttrPath::attr("kubeadm_config_patches").then_attr(document)
}

/// Renders a node, turning domain errors into diagnostics at the right attribute.
pub fn render(spec: &NodeSpec, diags: &mut Diagnostics) -> Option<Rendered> {
    let kubeadm_yaml = match kubeadm::render(spec) {
        Ok(y) => y,
        Err(e) => {
            let d = Diagnostic::error("Cannot build the kubeadm configuration", format!("{e}."));
            diags.push(match (e.patch_document(), e.input()) {
                (Some(doc), _) => d.at(patch_path(doc)),
                (None, Some((block, attr))) => d.at(AttrPath::attr(block).then_attr(attr)),
                _ => d,
            });
            return None;
        }
    };
    match ignition::render(spec, &kubeadm_yaml) {
        Ok(r) => {
            let sha512 = ignition::sha512_hex(r.json.as_bytes());
            Some(Rendered { json: r.json, sha512, kubeadm_yaml, warnings: r.warnings })
        }
        Err(e) => {
            let d = Diagnostic::error("Cannot render the Ignition config", format!("{e}."));
            diags.push(match (e.additional_index(), e.input().and_then(input_path)) {
                (Some(i), _) => d.at(AttrPath::attr("additional_ignition").then_index(i)),
                (None, Some(p)) => d.at(p),
                _ => d,
            });
            None
        }
    }
}

/// The attribute path of a renderer input name such as `files[2]`.
fn input_path(what: &str) -> Option<AttrPath> {
    if what == "kubernetes_artifacts" {
        return Some(AttrPath::attr(what));
    }
    let (name, rest) = what.split_once('[')?;
    let index: usize = rest.strip_suffix(']')?.parse().ok()?;
    matches!(name, "files" | "users").then(|| AttrPath::attr(name).then_index(index))
}

/// A key-safe form of a name.
fn key_part(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_matches(|c| c == '.' || c == '-');
    if trimmed.is_empty() {
        "node".to_string()
    } else {
        trimmed.chars().take(63).collect()
    }
}

/// `<cluster>/<role>/<name>-<hash prefix>.ign`: the key changes with the content.
pub fn object_key(spec: &NodeSpec, name: Option<&str>, sha512: &str) -> String {
    format!(
        "{}/{}/{}-{}.ign",
        key_part(&spec.cluster.name),
        spec.role.as_str(),
        key_part(name.unwrap_or(spec.role.as_str())),
        &sha512[..32.min(sha512.len())]
    )
}

/// Inputs the resource does not store: the rendered object already carries
/// what they contribute, and the key material in `cluster_ca` stays in the
/// one `kubeadm_cluster_ca` state instead of being copied into every node's.
pub const WRITE_ONLY_INPUTS: [&str; 2] = ["cluster_ca", "bootstrap_token"];

pub fn resource_schema() -> Schema {
    let mut block = input_block();
    for a in block.attributes.iter_mut().filter(|a| WRITE_ONLY_INPUTS.contains(&a.name.as_str())) {
        a.write_only = true;
        a.description.push_str(
            " Write-only on Terraform 1.11 and later: used at plan and apply, never stored in this resource's plan or state (its changes show as changes of `id` and `rendered_sha512`).",
        );
    }
    block.attributes.extend([
        Attribute::string("id").computed().describe("The object key in the store (contains the content hash)."),
        Attribute::string("rendered_sha512").computed().describe("Hex SHA-512 of the rendered config."),
        Attribute::string("object_url").computed().describe("Where the config is stored: `s3://bucket/key` or a local path."),
        Attribute::string("user_data").computed().describe(
            "For `aws_instance.user_data`: an Ignition pointer config (`config.replace` with the object's URL and `verification.hash`). With the local store and no `base_url`, the whole config inline.",
        ),
        Attribute::number("user_data_size").computed().describe("Size of `user_data` in bytes (EC2 allows 16384)."),
        Attribute::string("user_data_presigned")
            .computed()
            .sensitive()
            .describe("A pointer config with a presigned HTTPS URL (S3 store with `presign_ttl` only)."),
        Attribute::string("kubeadm_config").computed().sensitive().describe("The kubeadm configuration shipped to the node."),
        Attribute::string("read_policy_json")
            .computed()
            .describe("An IAM policy granting read access to this object (S3 store only)."),
    ]);
    Schema::new(
        0,
        block.describe(
            "Renders the Ignition config that turns a fresh Flatcar or Fedora CoreOS machine into a kubeadm node (`init`, `control-plane` or `worker`), stores it, and returns a small pointer config for user data.",
        ),
    )
}

pub fn data_source_schema() -> Schema {
    let mut block = input_block();
    block.attributes.extend([
        Attribute::string("id").computed().describe("Hex SHA-512 of the rendered config."),
        Attribute::string("rendered").computed().sensitive().describe("The rendered Ignition config (JSON)."),
        Attribute::string("rendered_sha512").computed().describe("Hex SHA-512 of `rendered`."),
        Attribute::string("kubeadm_config")
            .computed()
            .sensitive()
            .describe("The kubeadm configuration shipped to the node."),
    ]);
    Schema::new(
        0,
        block.describe(
            "Renders a node's Ignition config without storing it, for inline user data where the secrets policy allows it, bare metal and other clouds.",
        ),
    )
}

fn store_of<'a>(data: &'a ProviderData, diags: &mut Diagnostics) -> Option<&'a Arc<dyn ObjectStore>> {
    match &data.store {
        Ok(s) => Some(s),
        Err(msg) => {
            diags.push(Diagnostic::error("Store unavailable", msg.clone()));
            None
        }
    }
}

fn store_error(e: StoreError, key: &str) -> Diagnostic {
    match e {
        // S3 errors already name the bucket, the full key, the code and what to do.
        StoreError::S3(_) => Diagnostic::error("S3 store operation failed", format!("{e}")),
        other => Diagnostic::error(
            "Store operation failed",
            format!(
                "{other} (object {key}). Check the store directory's permissions and free space, then apply again."
            ),
        ),
    }
}

/// Reads the artifacts manifest a node names before the inputs are read, so
/// reading them never blocks: once per provider process for all the nodes
/// that share it (see `manifest_cache`), `s3://` through the provider's S3
/// client, anything else on a blocking-I/O thread.
async fn prefetch(config: &Value, data: Option<&ProviderData>) -> BTreeMap<String, Result<Vec<u8>, String>> {
    let mut out = BTreeMap::new();
    let a = config.get("kubernetes_artifacts");
    let Some(url) = a.get("manifest_url").as_str() else { return out };
    if a.get("source").as_str() != Some("manifest") {
        return out;
    }
    let got = match data {
        Some(d) => d.manifests.get(url, || read_manifest(url, Some(d))).await,
        None => read_manifest(url, None).await,
    };
    out.insert(url.to_string(), got);
    out
}

async fn read_manifest(url: &str, data: Option<&ProviderData>) -> Result<Vec<u8>, String> {
    if url.starts_with("s3://") {
        return match data.and_then(|d| d.s3.as_ref()) {
            None => {
                Err("s3:// manifests are read with the provider's S3 store; configure store { s3 { ... } }".to_string())
            }
            Some(s3) => match s3.get_url(url, artifacts::MANIFEST_LIMIT).await {
                Ok(Some(bytes)) => Ok(bytes),
                Ok(None) => Err("NotFound".to_string()),
                Err(e) => Err(e.to_string()),
            },
        };
    }
    let owned = url.to_string();
    tokio::task::spawn_blocking(move || artifacts::fetch(&owned))
        .await
        .unwrap_or_else(|e| Err(format!("the read did not finish: {e}")))
}

/// Reads and renders; `None` when inputs are unknown or wrong.
async fn spec_and_render(
    config: &Value,
    data: Option<&ProviderData>,
    diags: &mut Diagnostics,
) -> Option<(NodeSpec, Rendered)> {
    let prefetched = prefetch(config, data).await;
    let spec = Reader { config, diags, fetch_manifest: true, prefetched: Some(&prefetched) }.read()?;
    let r = render(&spec, diags)?;
    Some((spec, r))
}

/// Fills the computed attributes of a rendered node.
fn fill(
    state: &mut Value,
    data: &ProviderData,
    store: &dyn ObjectStore,
    spec: &NodeSpec,
    r: &Rendered,
    diags: &mut Diagnostics,
) {
    let key = object_key(spec, state.get("name").as_str(), &r.sha512);
    let user_data = match store.source_url(&key) {
        Some(url) => ignition::pointer_config(spec.ignition_version, &url, &r.sha512),
        None => {
            diags.push(
                Diagnostic::warning(
                    "user_data holds the whole config",
                    "The local store has no base_url, so user_data is the full Ignition config, keys and tokens included, and Terraform shows it in plans. Serve the store directory and set store.local.base_url, or use the S3 store.",
                )
                .at(AttrPath::attr("user_data")),
            );
            r.json.clone()
        }
    };
    if user_data.len() > USER_DATA_LIMIT {
        diags.push(
            Diagnostic::warning(
                "user_data exceeds 16 KiB",
                format!("user_data is {} bytes; EC2 accepts at most 16384. Serve the store (base_url) or use the S3 store so user_data is a small pointer.", user_data.len()),
            )
            .at(AttrPath::attr("user_data")),
        );
    }
    for w in &r.warnings {
        diags.push(Diagnostic::warning("Rendering note", w.clone()));
    }
    state.set("id", Value::from(key.clone()));
    state.set("rendered_sha512", Value::from(r.sha512.clone()));
    state.set("object_url", Value::from(store.object_url(&key)));
    state.set("user_data_size", Value::int(user_data.len() as i64));
    state.set("user_data", Value::from(user_data));
    state.set("kubeadm_config", Value::from(r.kubeadm_yaml.clone()));
    state.set("read_policy_json", Value::opt_string(data.s3.as_ref().map(|s3| s3.read_policy_json(&key))));
    // Presigned URLs depend on the time they are made: known after apply.
    state.set("user_data_presigned", if presign_ttl(data).is_some() { Value::unknown() } else { Value::Null });
}

/// The presigned-URL lifetime, capped at what SigV4 allows (7 days).
fn presign_ttl(data: &ProviderData) -> Option<std::time::Duration> {
    match &data.store_config {
        StoreConfig::S3 { presign_ttl: Some(ttl), .. } if data.s3.is_some() => {
            ttl.to_std().map(|d| d.min(std::time::Duration::from_secs(7 * 24 * 3600)))
        }
        _ => None,
    }
}

/// Sets `user_data_presigned` after the object is stored.
async fn presign(state: &mut Value, data: &ProviderData, spec: &NodeSpec, sha512: &str, diags: &mut Diagnostics) {
    let (Some(s3), Some(ttl)) = (data.s3.as_ref(), presign_ttl(data)) else {
        state.set("user_data_presigned", Value::Null);
        return;
    };
    let key = state.get("id").as_str().unwrap_or_default().to_string();
    match s3.presign_get(&key, ttl).await {
        Ok(url) => {
            if s3.credentials_are_temporary().await {
                diags.push(Diagnostic::warning(
                    "Presigned URL tied to temporary credentials",
                    "The provider signs with temporary credentials (a session token), so the presigned URL stops working when that session ends, possibly before presign_ttl. Sign with long-lived credentials, or let instances read the object with their instance profile (user_data).",
                ).at(AttrPath::attr("user_data_presigned")));
            }
            state
                .set("user_data_presigned", Value::from(ignition::pointer_config(spec.ignition_version, &url, sha512)));
        }
        Err(e) => {
            diags.push(store_error(e, &key));
            state.set("user_data_presigned", Value::Null);
        }
    }
}

/// The private-state entry holding the stored object's ETag, so a refresh can
/// confirm it from a folder listing instead of a request per node.
const ETAG: &str = "etag";

pub struct IgnitionConfigResource;

#[async_trait]
impl Resource<ProviderData> for IgnitionConfigResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let spec = Reader { config, diags, fetch_manifest: false, prefetched: None }.read();
        if let Some(spec) = spec {
            if let Err(e) = kubeadm::validate_patches(&spec) {
                let summary = if e.patch_document().is_some() {
                    "Invalid kubeadm_config_patches"
                } else {
                    "Invalid node settings"
                };
                let d = Diagnostic::error(summary, format!("{e}."));
                diags.push(match (e.patch_document(), e.input()) {
                    (Some(doc), _) => d.at(patch_path(doc)),
                    (None, Some((block, attr))) => d.at(AttrPath::attr(block).then_attr(attr)),
                    _ => d,
                });
            }
            if spec.role == Role::Init && spec.cluster.control_plane_endpoint.is_empty() {
                diags.push(
                    Diagnostic::warning(
                        "No control_plane_endpoint",
                        "Without cluster.control_plane_endpoint, kubeadm refuses to add control-plane nodes to this cluster later. Set it to the API load balancer's address.",
                    )
                    .at(AttrPath::attr("cluster").then_attr("control_plane_endpoint")),
                );
            }
        }
    }

    async fn plan(&self, data: &ProviderData, plan: &mut Plan, diags: &mut Diagnostics) {
        let Some(store) = store_of(data, diags) else { return };
        let config = plan.config.clone();
        if let Some((spec, r)) = spec_and_render(&config, Some(data), diags).await {
            fill(&mut plan.planned, data, store.as_ref(), &spec, &r, diags);
            // An unchanged object keeps its presigned URL.
            if let Some(prior) = &plan.prior {
                if prior.get("id") == plan.planned.get("id")
                    && prior.get("rendered_sha512") == plan.planned.get("rendered_sha512")
                    && presign_ttl(data).is_some()
                {
                    plan.planned.set("user_data_presigned", prior.get("user_data_presigned").clone());
                }
            }
        }
    }

    async fn create(
        &self,
        data: &ProviderData,
        planned: &Value,
        config: &Value,
        private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let store = store_of(data, diags)?;
        // The plan already showed the warnings about the inputs; apply repeats only errors.
        let mut render_diags = Diagnostics::new();
        let rendered = spec_and_render(config, Some(data), &mut render_diags).await;
        diags.extend(render_diags.into_iter().filter(|d| d.is_error()).collect());
        let Some((spec, r)) = rendered else {
            if !diags.has_errors() {
                diags.push(Diagnostic::error(
                    "Inputs unknown at apply",
                    "The node's inputs were still unknown when it was created. This is a bug in the provider; please report it.",
                ));
            }
            return None;
        };
        let mut state = planned.clone();
        let mut quiet = Diagnostics::new();
        fill(&mut state, data, store.as_ref(), &spec, &r, &mut quiet);
        let key = state.get("id").as_str().unwrap_or_default().to_string();
        match store.put(&key, r.json.as_bytes()).await {
            Ok(info) => private.set(ETAG, info.etag),
            Err(e) => {
                diags.push(store_error(e, &key));
                return None;
            }
        }
        // A URL the plan already knows (same object) is kept as planned.
        if planned.get("user_data_presigned").is_unknown() {
            presign(&mut state, data, &spec, &r.sha512, diags).await;
        } else {
            state.set("user_data_presigned", planned.get("user_data_presigned").clone());
        }
        Some(state)
    }

    async fn read(
        &self,
        data: &ProviderData,
        state: &Value,
        private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let store = store_of(data, diags)?;
        let key = state.get("id").as_str().unwrap_or_default().to_string();
        let last_etag = private.get(ETAG).map(str::to_string);
        match store.probe(&key, last_etag.as_deref()).await {
            Ok(Probe::Gone) => None,
            Ok(Probe::Unchanged) => Some(state.clone()),
            Ok(Probe::Found(info)) => {
                // Only the tag of the bytes the state describes is worth keeping.
                let intact = state.get("rendered_sha512").as_str() == Some(info.sha512.as_str());
                private.set(ETAG, info.etag.filter(|_| intact));
                let mut fresh = state.clone();
                // A changed object shows as a different hash, so the plan restores it.
                fresh.set("rendered_sha512", Value::from(info.sha512));
                Some(fresh)
            }
            Err(e) => {
                diags.push(store_error(e, &key));
                Some(state.clone())
            }
        }
    }

    async fn update(
        &self,
        data: &ProviderData,
        prior: &Value,
        planned: &Value,
        config: &Value,
        private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let state = self.create(data, planned, config, private, diags).await?;
        let (old, new) = (prior.get("id").as_str().unwrap_or_default(), state.get("id").as_str().unwrap_or_default());
        if !old.is_empty() && old != new {
            // Only after the new object is in place.
            if let Some(store) = store_of(data, diags) {
                if let Err(e) = store.delete(old).await {
                    diags.push(Diagnostic::warning(
                        "Old config not removed",
                        format!("The new config is stored, but removing the previous object failed: {e} Remove {old} from the store by hand."),
                    ));
                }
            }
        }
        Some(state)
    }

    async fn delete(&self, data: &ProviderData, prior: &Value, diags: &mut Diagnostics) {
        let Some(store) = store_of(data, diags) else { return };
        let key = prior.get("id").as_str().unwrap_or_default();
        if key.is_empty() {
            return;
        }
        if let Err(e) = store.delete(key).await {
            diags.push(store_error(e, key));
        }
    }
}

pub struct IgnitionConfigDataSource;

#[async_trait]
impl DataSource<ProviderData> for IgnitionConfigDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        data_source_schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        IgnitionConfigResource.validate(config, diags);
    }

    async fn read(&self, data: &ProviderData, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let (_spec, r) = spec_and_render(config, Some(data), diags).await?;
        for w in &r.warnings {
            diags.push(Diagnostic::warning("Rendering note", w.clone()));
        }
        let mut state = config.clone();
        state.set("id", Value::from(r.sha512.clone()));
        state.set("rendered_sha512", Value::from(r.sha512));
        state.set("rendered", Value::from(r.json));
        state.set("kubeadm_config", Value::from(r.kubeadm_yaml));
        Some(state)
    }
}
