//! `kubeadm_ignition_config` (resource) and `data "kubeadm_ignition_config"`:
//! render a node's Ignition config from its inputs. The resource stores it in
//! the provider's store and returns a small pointer config for user data; the
//! data source only renders.
//!
//! Rendering is a pure function of the inputs, done at plan time, so every
//! output is known in the plan and an unchanged configuration plans no change.
//!
//! Two ways to point machines at the stored config (`user_data_mode`):
//! `pinned` stores it under a key holding its content hash and puts that hash
//! into the pointer, so `user_data` changes with every re-render; `stable`
//! keeps one key per node and a pointer without a hash, so `user_data` stays
//! byte-identical while the stored config changes (a rotated token, say).
//!
//! `replace_after` asks for a re-render some time after the config was
//! rendered (`rendered_at`), the way `renew_before` renews a token: the
//! refresh that finds `replace_at` passed marks it, the plan re-renders it in
//! place, and `replace_triggered_by` on the machine rolls the machine.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::node_input::{self, input_block, Reader};
use super::store_config::StoreConfig;
use super::{Clock, ProviderData};
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::node::{IgnitionVersion, NodeSpec, Role};
use crate::bootstrap::store::{ObjectStore, Probe, StoreError};
use crate::bootstrap::timestamp::{format_rfc3339, parse_rfc3339};
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

/// `<cluster>/<role>/<name>`, the part of a key that names the node.
fn key_stem(cluster: &str, role: &str, name: Option<&str>) -> String {
    format!("{}/{}/{}", key_part(cluster), role, key_part(name.unwrap_or(role)))
}

/// `<cluster>/<role>/<name>-<hash prefix>.ign`: the key changes with the content.
pub fn object_key(spec: &NodeSpec, name: Option<&str>, sha512: &str) -> String {
    format!("{}-{}.ign", key_stem(&spec.cluster.name, spec.role.as_str(), name), &sha512[..32.min(sha512.len())])
}

/// `<cluster>/<role>/<name>.ign`: one key per node config, whatever it holds
/// (`user_data_mode = "stable"`).
pub fn stable_object_key(cluster: &str, role: &str, name: Option<&str>) -> String {
    format!("{}.ign", key_stem(cluster, role, name))
}

/// How `user_data` points at the stored config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDataMode {
    /// A content-addressed key, and `verification.hash` in the pointer: the
    /// machine boots exactly what was rendered, and `user_data` changes with
    /// every re-render.
    Pinned,
    /// One key per node and a pointer without a hash: `user_data` stays the
    /// same while the stored config changes.
    Stable,
}

impl UserDataMode {
    /// The names `user_data_mode` accepts.
    pub const NAMES: [&'static str; 2] = ["pinned", "stable"];

    pub fn parse(s: &str) -> Option<UserDataMode> {
        match s {
            "pinned" => Some(UserDataMode::Pinned),
            "stable" => Some(UserDataMode::Stable),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserDataMode::Pinned => "pinned",
            UserDataMode::Stable => "stable",
        }
    }

    /// The mode a configuration or state asks for: null is `pinned`, the
    /// default (and what states written before the attribute existed hold).
    /// `None` while the value is unknown, or when it is invalid (its
    /// validator reports that).
    pub fn of(v: &Value) -> Option<UserDataMode> {
        let m = v.get("user_data_mode");
        if m.is_null() {
            return Some(UserDataMode::Pinned);
        }
        m.as_str().and_then(UserDataMode::parse)
    }

    /// The pointer config for `user_data` in this mode.
    fn pointer(self, version: IgnitionVersion, source_url: &str, sha512: &str) -> String {
        match self {
            UserDataMode::Pinned => ignition::pointer_config(version, source_url, sha512),
            UserDataMode::Stable => ignition::pointer_config_unverified(version, source_url),
        }
    }
}

/// The stable key as far as the configuration tells it without rendering
/// (the CA or the token may still be unknown): `None` while the role, the
/// cluster name or the node name is unknown, or given by `capi_manifests`.
fn stable_key_of_config(config: &Value) -> Option<String> {
    let role = config.get("role").as_str().and_then(Role::parse)?;
    let cluster = config.get("cluster").get("name").as_str()?;
    let name = config.get("name");
    if name.is_unknown() {
        return None;
    }
    Some(stable_object_key(cluster, role.as_str(), name.as_str()))
}

/// kubeadm's default lifetime of the leaf certificates it signs on a control
/// plane (`certificateValidityPeriod`), a year.
const DEFAULT_CERTIFICATE_VALIDITY: GoDuration = GoDuration::from_secs(8760 * 3600);

fn validate_mode(v: &Value) -> Vec<Diagnostic> {
    match v.as_str() {
        Some(s) if UserDataMode::parse(s).is_none() => vec![Diagnostic::error(
            "Invalid user_data_mode",
            format!(
                "{s:?} is not a mode; use \"pinned\" (the default: the pointer checks the config's SHA-512) or \"stable\" (user_data stays the same while the stored config changes)."
            ),
        )],
        _ => vec![],
    }
}

fn validate_replace_after(v: &Value) -> Vec<Diagnostic> {
    let Some(s) = v.as_str() else { return vec![] };
    let problem = match GoDuration::parse(s) {
        Err(e) => format!("{e}"),
        Ok(d) if d.is_negative() || d.is_zero() => {
            format!("{s:?} is not a positive duration: the config would be due as soon as it is rendered")
        }
        Ok(_) => return vec![],
    };
    vec![Diagnostic::error(
        "Invalid replace_after",
        format!("{problem}. Use a Go duration such as \"8000h\" (about 11 months) or \"720h\" (30 days)."),
    )]
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
        Attribute::string("user_data_mode").optional().validate(validate_mode).describe(
            "How `user_data` points at the stored config. `pinned` (the default): the object key holds the content hash and the pointer carries `verification.hash`, so the machine boots exactly what was rendered, and every re-render changes `user_data` (and each instance or launch template that uses it). `stable`: the object lives at `<cluster>/<role>/<name>.ign` and the pointer has no hash, so `user_data` stays byte-identical while the stored config changes (a rotated bootstrap token, say): machines that boot later get the latest config, machines that already booted are untouched. Integrity then rests on who may write the object. Needs a URL machines can fetch (the S3 store, or the local store with `base_url`). Give each node config of a cluster and role its own `name`; a config of another node already stored at the key is an error, never overwritten. Changing the mode moves the object.",
        ),
        Attribute::string("replace_after").optional().validate(validate_replace_after).describe(
            "A Go duration (`\"8000h\"`). Once `replace_at` (`rendered_at` plus this) has passed, the refresh of the next plan marks the config due and the plan re-renders it in place, with a warning; the apply stores it again and sets a new `rendered_at`. A machine with `lifecycle { replace_triggered_by = [...] }` on this config's `rendered_at` is replaced in that apply, so control planes can be rolled before kubeadm's leaf certificates expire (a year after boot by default; keep `replace_after` below `cluster.certificate_validity`). Like `renew_before`, only a refresh finds the config due: `-refresh=false` plans do not. Unset: the config is never due.",
        ),
        Attribute::string("rendered_at").computed().describe(
            "When the current config generation started (RFC 3339, UTC): set when the resource is created and when a due config is re-rendered (`replace_after`). Other re-renders (a rotated token, a new input) keep it, so `replace_triggered_by` on this attribute rolls machines only when they are due. For configs created by a provider version without this attribute, the first refresh records the time it ran.",
        ),
        Attribute::string("replace_at").computed().describe(
            "`rendered_at` plus `replace_after` (RFC 3339, UTC); null without `replace_after`. A refresh after this time sets it to null and the plan re-renders the config.",
        ),
        Attribute::string("id").computed().describe(
            "The object key in the store: `<cluster>/<role>/<name>-<content hash>.ign`, or `<cluster>/<role>/<name>.ign` with `user_data_mode = \"stable\"`.",
        ),
        Attribute::string("rendered_sha512").computed().describe("Hex SHA-512 of the rendered config."),
        Attribute::string("object_url").computed().describe("Where the config is stored: `s3://bucket/key` or a local path."),
        Attribute::string("user_data").computed().describe(
            "For `aws_instance.user_data`: an Ignition pointer config (`config.replace` with the object's URL and, in `pinned` mode, `verification.hash`). With the local store and no `base_url`, the whole config inline (`pinned` mode only).",
        ),
        Attribute::number("user_data_size").computed().describe("Size of `user_data` in bytes (EC2 allows 16384)."),
        Attribute::string("user_data_presigned").computed().sensitive().describe(
            "A pointer config with a presigned HTTPS URL (S3 store with `presign_ttl` only). It is signed again whenever the config's content changes and expires after `presign_ttl` (at most 7 days), so unlike `user_data` it changes with every re-render in both modes; in `stable` mode it has no `verification.hash` either. Prefer `user_data` and an instance profile; presigned URLs suit tests and short-lived machines.",
        ),
        Attribute::string("kubeadm_config").computed().sensitive().describe("The kubeadm configuration shipped to the node."),
        Attribute::string("read_policy_json").computed().describe(
            "An IAM policy granting read access to this object (S3 store only). In `stable` mode it names the one key the node config keeps, so it does not change when the config is re-rendered.",
        ),
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

/// The attributes that follow from where the config is stored and how
/// machines reach it: the key, the URL, `user_data` and the read policy.
fn place(state: &mut Value, data: &ProviderData, store: &dyn ObjectStore, key: &str, user_data: String) {
    state.set("id", Value::from(key.to_string()));
    state.set("object_url", Value::from(store.object_url(key)));
    state.set("user_data_size", Value::int(user_data.len() as i64));
    state.set("user_data", Value::from(user_data));
    state.set("read_policy_json", Value::opt_string(data.s3.as_ref().map(|s3| s3.read_policy_json(key))));
}

/// The object key of a rendered node in `mode`.
fn key_of(mode: UserDataMode, spec: &NodeSpec, name: Option<&str>, sha512: &str) -> String {
    match mode {
        UserDataMode::Pinned => object_key(spec, name, sha512),
        UserDataMode::Stable => stable_object_key(&spec.cluster.name, spec.role.as_str(), name),
    }
}

/// Fills the computed attributes of a rendered node.
fn fill(
    state: &mut Value,
    data: &ProviderData,
    store: &dyn ObjectStore,
    spec: &NodeSpec,
    r: &Rendered,
    mode: UserDataMode,
    diags: &mut Diagnostics,
) {
    let key = key_of(mode, spec, state.get("name").as_str(), &r.sha512);
    let user_data = match store.source_url(&key) {
        Some(url) => mode.pointer(spec.ignition_version, &url, &r.sha512),
        // Stable mode without a URL is refused before rendering (see `unreachable`).
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
    place(state, data, store, &key, user_data);
    state.set("rendered_sha512", Value::from(r.sha512.clone()));
    state.set("kubeadm_config", Value::from(r.kubeadm_yaml.clone()));
    // Presigned URLs depend on the time they are made: known after apply.
    state.set("user_data_presigned", if presign_ttl(data).is_some() { Value::unknown() } else { Value::Null });
}

/// What a plan says when the config cannot be rendered yet (the CA or the
/// token is still unknown, as when the token is being replaced): what is
/// rendered is unknown, so an existing node plans an update. In `stable`
/// mode the key and the pointer do not depend on the content, so they stay
/// known when the configuration names the node: a token rotation leaves
/// `user_data`, and the launch templates and instances using it, alone.
fn plan_unrendered(
    planned: &mut Value,
    config: &Value,
    data: &ProviderData,
    store: &dyn ObjectStore,
    mode: Option<UserDataMode>,
) {
    for a in
        ["id", "object_url", "user_data", "user_data_size", "read_policy_json", "rendered_sha512", "kubeadm_config"]
    {
        planned.set(a, Value::unknown());
    }
    planned.set("user_data_presigned", if presign_ttl(data).is_some() { Value::unknown() } else { Value::Null });
    if mode != Some(UserDataMode::Stable) {
        return;
    }
    let version = match config.get("ignition_version") {
        v if v.is_null() => Some(IgnitionVersion::V3_3),
        v => v.as_str().and_then(IgnitionVersion::parse),
    };
    if let (Some(key), Some(version)) = (stable_key_of_config(config), version) {
        if let Some(url) = store.source_url(&key) {
            place(planned, data, store, &key, ignition::pointer_config_unverified(version, &url));
        }
    }
}

/// `stable` mode needs a URL machines can fetch: the S3 store, or the local
/// store with `base_url`. Without one `user_data` would be the whole config,
/// which changes with it.
fn unreachable(store: &dyn ObjectStore) -> Option<Diagnostic> {
    // The local store has a URL for every key or for none.
    if store.source_url("probe.ign").is_some() {
        return None;
    }
    Some(
        Diagnostic::error(
            "user_data_mode \"stable\" needs a URL",
            "In stable mode user_data is a pointer to a URL that keeps its name while the config behind it changes, but the local store has no base_url, so machines could not fetch the config. Serve the store directory and set store.local.base_url, use the S3 store, or remove user_data_mode.",
        )
        .at(AttrPath::attr("user_data_mode")),
    )
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
async fn presign(
    state: &mut Value,
    data: &ProviderData,
    spec: &NodeSpec,
    sha512: &str,
    mode: UserDataMode,
    diags: &mut Diagnostics,
) {
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
            state.set("user_data_presigned", Value::from(mode.pointer(spec.ignition_version, &url, sha512)));
        }
        Err(e) => {
            diags.push(store_error(e, &key));
            state.set("user_data_presigned", Value::Null);
        }
    }
}

// ---- the replacement clock (`rendered_at`, `replace_at`) ----------------------

fn parse_duration(v: &Value) -> Option<GoDuration> {
    v.as_str().and_then(|s| GoDuration::parse(s).ok())
}

/// `rendered_at + replace_after`; `None` past the last representable time
/// (a hand-edited state), which is never reached.
fn due_at(rendered_at: OffsetDateTime, replace_after: GoDuration) -> Option<OffsetDateTime> {
    rendered_at.checked_add(replace_after.to_time_duration())
}

/// `rendered_at + replace_after`, or null when either is missing.
fn replace_at(rendered_at: Option<OffsetDateTime>, replace_after: Option<GoDuration>) -> Value {
    match rendered_at.zip(replace_after).and_then(|(t, d)| due_at(t, d)) {
        Some(at) => Value::from(format_rfc3339(at)),
        None => Value::Null,
    }
}

/// What a refresh makes of the clock. A state without `rendered_at` (written
/// by a provider version without it) starts its clock now, so upgrading
/// never makes every config due at once. A config whose `replace_at` has
/// passed is marked due by clearing `replace_at` while `replace_after` is
/// set; the plan then re-renders it.
fn refresh_clock(state: &mut Value, now: OffsetDateTime) {
    let replace_after = parse_duration(state.get("replace_after"));
    match state.get("rendered_at").as_str().and_then(parse_rfc3339) {
        None => {
            let now = now.replace_nanosecond(0).unwrap_or(now);
            state.set("rendered_at", Value::from(format_rfc3339(now)));
            state.set("replace_at", replace_at(Some(now), replace_after));
        }
        Some(t) => {
            if replace_after.and_then(|d| due_at(t, d)).is_some_and(|at| now >= at) {
                state.set("replace_at", Value::Null);
            }
        }
    }
}

/// The planned `rendered_at` and `replace_at`. A config the refresh marked
/// due (and still due under the configured `replace_after`) gets a new
/// `rendered_at` at apply, and a warning saying why; otherwise `rendered_at`
/// keeps its value whatever else is re-rendered.
fn plan_clock(plan: &mut Plan, now: OffsetDateTime, diags: &mut Diagnostics) {
    let configured = plan.config.get("replace_after").clone();
    let Some(prior) = &plan.prior else {
        plan.planned.set("rendered_at", Value::unknown());
        plan.planned.set("replace_at", if configured.is_null() { Value::Null } else { Value::unknown() });
        return;
    };
    let rendered_at = prior.get("rendered_at").as_str().and_then(parse_rfc3339);
    let marked = prior.get("replace_at").is_null() && !prior.get("replace_after").is_null();
    let due = rendered_at.zip(parse_duration(&configured)).and_then(|(t, d)| due_at(t, d));
    if let Some(due) = due.filter(|at| marked && now >= *at) {
        plan.planned.set("rendered_at", Value::unknown());
        plan.planned.set("replace_at", Value::unknown());
        diags.push(
            Diagnostic::warning(
                "Node config due for replacement",
                format!(
                    "replace_at ({}) has passed, so this apply renders the config again, stores it and sets a new rendered_at. Machines already booted from it keep running until they are replaced: one with lifecycle {{ replace_triggered_by = [kubeadm_ignition_config.<this config>.rendered_at] }} (or the whole kubeadm_ignition_config, which also rolls it on every other change) is replaced in this apply. Replace control planes one at a time.",
                    format_rfc3339(due)
                ),
            )
            .at(AttrPath::attr("replace_after")),
        );
        return;
    }
    plan.planned.set("rendered_at", prior.get("rendered_at").clone());
    plan.planned.set(
        "replace_at",
        if configured.is_unknown() { Value::unknown() } else { replace_at(rendered_at, parse_duration(&configured)) },
    );
}

/// The clock of a stored config: a new generation starts now when the plan
/// left `rendered_at` unknown, else it keeps the planned one.
fn apply_clock(state: &mut Value, planned: &Value, config: &Value, now: OffsetDateTime) {
    let rendered_at = match planned.get("rendered_at") {
        v if v.is_unknown() => Value::from(format_rfc3339(now)),
        v => v.clone(),
    };
    let at = replace_at(rendered_at.as_str().and_then(parse_rfc3339), parse_duration(config.get("replace_after")));
    state.set("rendered_at", rendered_at);
    state.set("replace_at", at);
}

/// Warns when a control plane would keep its kubeadm certificates past
/// their expiry: `replace_after` at or above `cluster.certificate_validity`
/// (kubeadm's default, a year, when it is not set).
fn check_certificate_expiry(config: &Value, spec: Option<&NodeSpec>, diags: &mut Diagnostics) {
    let Some(replace_after) = parse_duration(config.get("replace_after")) else { return };
    let control_plane = match config.get("role").as_str().and_then(Role::parse) {
        Some(role) => role.is_control_plane(),
        None => spec.is_some_and(|s| s.role.is_control_plane()),
    };
    // The cluster block is one object; a list of one is read the same way.
    let cluster = config.get("cluster");
    let cluster = cluster.as_elements().and_then(|e| e.first()).unwrap_or(cluster);
    let validity = cluster.get("certificate_validity");
    if !control_plane || validity.is_unknown() {
        return;
    }
    let (validity, source) = match parse_duration(validity) {
        Some(v) => (v, "cluster.certificate_validity"),
        None => (DEFAULT_CERTIFICATE_VALIDITY, "kubeadm's default certificate validity"),
    };
    if replace_after >= validity {
        diags.push(
            Diagnostic::warning(
                "Certificates expire before the machine is replaced",
                format!(
                    "kubeadm signs a control plane's leaf certificates (API server, etcd, the kubeconfigs in /etc/kubernetes) for {} ({source}) when the machine boots, and replace_after = {} replaces it only after that: the control plane stops working in between. Choose a replace_after below {}, leaving time to roll every control plane, e.g. 8000h for a year.",
                    validity.format(),
                    replace_after.format(),
                    validity.format()
                ),
            )
            .at(AttrPath::attr("replace_after")),
        );
    }
}

/// The checks of a node's inputs that need no store, for the resource and
/// the data source (whose configuration has no `replace_after`).
fn validate_node(config: &Value, diags: &mut Diagnostics) {
    let spec = Reader { config, diags, fetch_manifest: false, prefetched: None }.read();
    check_certificate_expiry(config, spec.as_ref(), diags);
    if let Some(spec) = spec {
        if let Err(e) = kubeadm::validate_patches(&spec) {
            let summary =
                if e.patch_document().is_some() { "Invalid kubeadm_config_patches" } else { "Invalid node settings" };
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

/// The private-state entry holding the stored object's ETag, so a refresh can
/// confirm it from a folder listing instead of a request per node.
const ETAG: &str = "etag";

pub struct IgnitionConfigResource {
    clock: Clock,
}

impl IgnitionConfigResource {
    pub fn new(clock: Clock) -> Self {
        IgnitionConfigResource { clock }
    }

    /// Renders the configuration and stores it; `prior_key` is the object
    /// the state held before (an update), whose key a `stable` config may
    /// keep and overwrite.
    async fn store(
        &self,
        data: &ProviderData,
        planned: &Value,
        config: &Value,
        prior_key: Option<&str>,
        private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let store = store_of(data, diags)?;
        // The plan already showed the warnings about the inputs; apply repeats only errors.
        let mut render_diags = Diagnostics::new();
        let rendered = spec_and_render(config, Some(data), &mut render_diags).await;
        diags.extend(render_diags.into_iter().filter(|d| d.is_error()).collect());
        let (Some((spec, r)), Some(mode)) = (rendered, UserDataMode::of(config)) else {
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
        fill(&mut state, data, store.as_ref(), &spec, &r, mode, &mut quiet);
        let key = state.get("id").as_str().unwrap_or_default().to_string();
        if mode == UserDataMode::Stable && prior_key != Some(key.as_str()) {
            // A key this resource did not hold: never overwrite another node's config.
            match store.head(&key).await {
                Ok(Some(found)) if found.sha512 != r.sha512 => {
                    diags.push(Diagnostic::error(
                        "Another config is stored at this key",
                        format!(
                            "With user_data_mode = \"stable\" this node is stored at {key}, and an object with other content is already there: the config of another kubeadm_ignition_config of the same cluster, role and name (give each its own name), or one left behind by a state that was lost (remove it from the store if so). Nothing was overwritten."
                        ),
                    ).at(AttrPath::attr("name")));
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    diags.push(store_error(e, &key));
                    return None;
                }
            }
        }
        match store.put(&key, r.json.as_bytes()).await {
            Ok(info) => private.set(ETAG, info.etag),
            Err(e) => {
                diags.push(store_error(e, &key));
                return None;
            }
        }
        // A URL the plan already knows (same object) is kept as planned.
        if planned.get("user_data_presigned").is_unknown() {
            presign(&mut state, data, &spec, &r.sha512, mode, diags).await;
        } else {
            state.set("user_data_presigned", planned.get("user_data_presigned").clone());
        }
        apply_clock(&mut state, planned, config, (self.clock)());
        Some(state)
    }
}

#[async_trait]
impl Resource<ProviderData> for IgnitionConfigResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate_node(config, diags);
    }

    async fn plan(&self, data: &ProviderData, plan: &mut Plan, diags: &mut Diagnostics) {
        let Some(store) = store_of(data, diags) else { return };
        let config = plan.config.clone();
        let mode = UserDataMode::of(&config);
        if mode == Some(UserDataMode::Stable) {
            if let Some(d) = unreachable(store.as_ref()) {
                diags.push(d);
                return;
            }
        }
        match (spec_and_render(&config, Some(data), diags).await, mode) {
            (Some((spec, r)), Some(mode)) => {
                fill(&mut plan.planned, data, store.as_ref(), &spec, &r, mode, diags);
                if let Some(prior) = &plan.prior {
                    if prior.get("rendered_sha512") != plan.planned.get("rendered_sha512") {
                        diags.extend(node_input::init_rerender_warning(&spec).into_iter().collect());
                    }
                }
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
            _ if diags.has_errors() => return,
            _ => plan_unrendered(&mut plan.planned, &config, data, store.as_ref(), mode),
        }
        plan_clock(plan, (self.clock)(), diags);
    }

    async fn create(
        &self,
        data: &ProviderData,
        planned: &Value,
        config: &Value,
        private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        self.store(data, planned, config, None, private, diags).await
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
        let mut fresh = state.clone();
        match store.probe(&key, last_etag.as_deref()).await {
            Ok(Probe::Gone) => return None,
            Ok(Probe::Unchanged) => {}
            Ok(Probe::Found(info)) => {
                // Only the tag of the bytes the state describes is worth keeping.
                let intact = state.get("rendered_sha512").as_str() == Some(info.sha512.as_str());
                private.set(ETAG, info.etag.filter(|_| intact));
                // A changed object shows as a different hash, so the plan restores it.
                fresh.set("rendered_sha512", Value::from(info.sha512));
            }
            Err(e) => {
                diags.push(store_error(e, &key));
                return Some(state.clone());
            }
        }
        refresh_clock(&mut fresh, (self.clock)());
        Some(fresh)
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
        let old = prior.get("id").as_str().unwrap_or_default();
        let state = self.store(data, planned, config, Some(old), private, diags).await?;
        let new = state.get("id").as_str().unwrap_or_default();
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
        validate_node(config, diags);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::pki::{self, KeyAlgorithm};
    use crate::provider::bootstrap_token::fixed_clock;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    fn at(s: &str) -> OffsetDateTime {
        parse_rfc3339(s).unwrap()
    }

    /// A worker (or `role`) of cluster `prod` with a real CA and `token`.
    fn node(role: &str, token: &str, extra: &[(&str, Value)]) -> Value {
        let p = pki::generate_pki("prod", KeyAlgorithm::EcdsaP256, 365, OffsetDateTime::now_utc()).unwrap();
        let ca = obj(&[
            ("ca_cert_pem", Value::from(p.ca.cert_pem.clone())),
            ("ca_key_pem", Value::from(p.ca.key_pem.expose().clone())),
            ("front_proxy_ca_cert_pem", Value::from(p.front_proxy_ca.cert_pem.clone())),
            ("front_proxy_ca_key_pem", Value::from(p.front_proxy_ca.key_pem.expose().clone())),
            ("etcd_ca_cert_pem", Value::from(p.etcd_ca.cert_pem.clone())),
            ("etcd_ca_key_pem", Value::from(p.etcd_ca.key_pem.expose().clone())),
            ("service_account_public_key_pem", Value::from(p.sa.public_pem.clone())),
            ("service_account_private_key_pem", Value::from(p.sa.private_pem.expose().clone())),
            ("ca_cert_hash", Value::from(pki::ca_cert_hash(&p.ca.cert_pem).unwrap())),
        ]);
        let tok = obj(&[
            ("token", Value::from(token)),
            ("expires_at", Value::Null),
            ("description", Value::Null),
            ("usages", Value::string_list(["signing", "authentication"])),
            ("groups", Value::string_list(["system:bootstrappers:kubeadm:default-node-token"])),
        ]);
        let mut v = obj(&[
            ("role", Value::from(role)),
            ("name", Value::from("w0")),
            ("cluster_ca", ca),
            ("bootstrap_token", tok),
            (
                "cluster",
                obj(&[
                    ("name", Value::from("prod")),
                    ("kubernetes_version", Value::from("v1.31.4")),
                    ("control_plane_endpoint", Value::from("api.prod.example.com:6443")),
                ]),
            ),
        ]);
        for (k, x) in extra {
            v.set(k, x.clone());
        }
        v
    }

    fn provider(dir: &std::path::Path, base_url: Option<&str>) -> ProviderData {
        ProviderData::new(StoreConfig::Local {
            path: dir.display().to_string(),
            base_url: base_url.map(str::to_string),
        })
    }

    const T0: &str = "2030-01-01T00:00:00Z";

    fn resource(now: &str) -> IgnitionConfigResource {
        IgnitionConfigResource::new(fixed_clock(at(now)))
    }

    async fn plan_of(
        r: &IgnitionConfigResource,
        data: &ProviderData,
        prior: Option<&Value>,
        config: &Value,
    ) -> (Value, Diagnostics) {
        let mut plan = Plan {
            prior: prior.cloned(),
            config: config.clone(),
            planned: prior.cloned().unwrap_or_else(|| config.clone()),
            requires_replace: Vec::new(),
        };
        // What the configuration sets, over the prior state (Terraform's proposal).
        for (k, v) in config.as_entries().into_iter().flatten() {
            plan.planned.set(k, v.clone());
        }
        let mut diags = Diagnostics::new();
        r.plan(data, &mut plan, &mut diags).await;
        (plan.planned, diags)
    }

    async fn apply(
        r: &IgnitionConfigResource,
        data: &ProviderData,
        prior: Option<&Value>,
        planned: &Value,
        config: &Value,
    ) -> Value {
        let (mut private, mut diags) = (Private::default(), Diagnostics::new());
        let state = match prior {
            None => r.create(data, planned, config, &mut private, &mut diags).await,
            Some(p) => r.update(data, p, planned, config, &mut private, &mut diags).await,
        };
        assert!(!diags.has_errors(), "{diags:?}");
        state.expect("a state")
    }

    fn pointer(user_data: &str) -> serde_json::Value {
        serde_json::from_str(user_data).unwrap()
    }

    #[test]
    fn keys_of_both_modes() {
        assert_eq!(stable_object_key("prod", "worker", Some("w0")), "prod/worker/w0.ign");
        assert_eq!(
            stable_object_key("My Cluster", "control-plane", None),
            "My-Cluster/control-plane/control-plane.ign"
        );
        assert_eq!(stable_object_key("prod", "init", Some("../x")), "prod/init/x.ign");
        // The key of a pinned config is unchanged: name, then the hash prefix.
        let sha = "ab".repeat(64);
        assert_eq!(
            format!("{}-{}.ign", key_stem("prod", "worker", Some("w0")), &sha[..32]),
            format!("prod/worker/w0-{}.ign", "ab".repeat(16))
        );
        let config = |name: Value| {
            obj(&[("role", Value::from("worker")), ("name", name), ("cluster", obj(&[("name", Value::from("prod"))]))])
        };
        assert_eq!(stable_key_of_config(&config(Value::from("w0"))).as_deref(), Some("prod/worker/w0.ign"));
        assert_eq!(stable_key_of_config(&config(Value::Null)).as_deref(), Some("prod/worker/worker.ign"));
        assert_eq!(stable_key_of_config(&config(Value::unknown())), None);
        assert_eq!(stable_key_of_config(&obj(&[("role", Value::from("worker"))])), None, "no cluster name");
    }

    #[test]
    fn modes_parse_and_null_is_pinned() {
        for m in UserDataMode::NAMES {
            assert_eq!(UserDataMode::parse(m).map(UserDataMode::as_str), Some(m));
        }
        assert_eq!(UserDataMode::of(&obj(&[])), Some(UserDataMode::Pinned));
        assert_eq!(UserDataMode::of(&obj(&[("user_data_mode", Value::from("stable"))])), Some(UserDataMode::Stable));
        assert_eq!(UserDataMode::of(&obj(&[("user_data_mode", Value::unknown())])), None);
        assert_eq!(UserDataMode::of(&obj(&[("user_data_mode", Value::from("sometimes"))])), None);
        assert!(!validate_mode(&Value::from("sometimes")).is_empty());
        assert!(validate_mode(&Value::from("stable")).is_empty());
    }

    #[test]
    fn the_stable_pointer_has_no_hash_and_the_pinned_one_is_unchanged() {
        let v = IgnitionVersion::V3_3;
        let pinned = UserDataMode::Pinned.pointer(v, "s3://b/k.ign", "00ff");
        assert_eq!(
            pinned,
            r#"{"ignition":{"version":"3.3.0","config":{"replace":{"source":"s3://b/k.ign","verification":{"hash":"sha512-00ff"}}},"timeouts":{"httpTotal":600}}}"#
        );
        let stable = UserDataMode::Stable.pointer(v, "s3://b/k.ign", "00ff");
        assert_eq!(
            stable,
            r#"{"ignition":{"version":"3.3.0","config":{"replace":{"source":"s3://b/k.ign"}},"timeouts":{"httpTotal":600}}}"#
        );
        assert_eq!(stable, UserDataMode::Stable.pointer(v, "s3://b/k.ign", "another hash"), "content never shows");
    }

    #[test]
    fn replace_after_must_be_a_positive_duration() {
        for bad in ["abc", "0s", "0", "-1h", "3d"] {
            let d = validate_replace_after(&Value::from(bad));
            assert_eq!(d.len(), 1, "{bad}");
            assert!(d[0].summary.contains("Invalid replace_after"), "{bad}: {d:?}");
        }
        for ok in ["1ns", "3s", "8000h", "1h30m"] {
            assert!(validate_replace_after(&Value::from(ok)).is_empty(), "{ok}");
        }
    }

    #[test]
    fn control_planes_are_warned_when_certificates_expire_first() {
        let warned = |role: &str, after: &str, validity: Option<&str>| {
            let mut cluster = obj(&[("name", Value::from("prod"))]);
            if let Some(v) = validity {
                cluster.set("certificate_validity", Value::from(v));
            }
            let config =
                obj(&[("role", Value::from(role)), ("replace_after", Value::from(after)), ("cluster", cluster)]);
            let mut d = Diagnostics::new();
            check_certificate_expiry(&config, None, &mut d);
            let found: Vec<_> = d.iter().filter(|d| d.summary.contains("Certificates expire")).collect();
            assert!(found.iter().all(|d| d.path == Some(AttrPath::attr("replace_after")) && !d.is_error()), "{d:?}");
            !found.is_empty()
        };
        assert!(warned("init", "8760h", None));
        assert!(warned("control-plane", "9000h", None));
        assert!(!warned("control-plane", "8000h", None));
        assert!(!warned("worker", "9000h", None), "workers renew their kubelet certificates themselves");
        assert!(warned("control-plane", "3000h", Some("2160h")));
        assert!(!warned("control-plane", "2000h", Some("2160h")));
        assert!(!warned("control-plane", "9000h", Some("17520h")));
    }

    #[test]
    fn refresh_starts_the_clock_of_old_states_and_marks_due_ones() {
        let now = at("2030-06-01T12:00:00.5Z");
        // Written by a provider version without the clock: it starts now.
        let mut old = obj(&[("id", Value::from("k"))]);
        refresh_clock(&mut old, now);
        assert_eq!(old.get("rendered_at"), &Value::from("2030-06-01T12:00:00Z"));
        assert_eq!(old.get("replace_at"), &Value::Null);
        // Not due yet: unchanged.
        let fresh = obj(&[
            ("rendered_at", Value::from(T0)),
            ("replace_after", Value::from("8000h")),
            ("replace_at", Value::from("2030-11-30T08:00:00Z")),
        ]);
        let mut s = fresh.clone();
        refresh_clock(&mut s, now);
        assert_eq!(s, fresh);
        // Due: replace_at cleared, rendered_at kept.
        refresh_clock(&mut s, at("2030-11-30T08:00:00Z"));
        assert_eq!(s.get("replace_at"), &Value::Null);
        assert_eq!(s.get("rendered_at"), &Value::from(T0));
        // Past the last representable time (a hand-edited state): never due, no panic.
        let far = obj(&[
            ("rendered_at", Value::from("9999-12-31T23:59:59Z")),
            ("replace_after", Value::from("2562047h")),
            ("replace_at", Value::Null),
        ]);
        let mut s = far.clone();
        refresh_clock(&mut s, now);
        assert_eq!(s, far);
        let mut p = plan_with(Some(far.clone()), obj(&[("replace_after", Value::from("2562047h"))]));
        plan_clock(&mut p, now, &mut Diagnostics::new());
        assert!(p.planned.get("replace_at").is_null() && p.planned.get("rendered_at").is_known());
        // Without replace_after never due.
        let mut never = obj(&[("rendered_at", Value::from(T0))]);
        refresh_clock(&mut never, at("2300-01-01T00:00:00Z"));
        assert_eq!(never, obj(&[("rendered_at", Value::from(T0))]));
    }

    fn plan_with(prior: Option<Value>, config: Value) -> Plan {
        let planned = prior.clone().unwrap_or_else(|| config.clone());
        Plan { prior, config, planned, requires_replace: Vec::new() }
    }

    #[test]
    fn plan_keeps_rendered_at_unless_due() {
        let now = at("2030-06-01T00:00:00Z");
        let cfg = |after: Option<&str>| obj(&[("replace_after", Value::opt_string(after))]);
        let state = |after: Option<&str>, replace_at: Option<&str>| {
            obj(&[
                ("rendered_at", Value::from(T0)),
                ("replace_after", Value::opt_string(after)),
                ("replace_at", Value::opt_string(replace_at)),
            ])
        };

        // Create: known after apply.
        let mut p = plan_with(None, cfg(Some("1h")));
        plan_clock(&mut p, now, &mut Diagnostics::new());
        assert!(p.planned.get("rendered_at").is_unknown() && p.planned.get("replace_at").is_unknown());
        let mut p = plan_with(None, cfg(None));
        plan_clock(&mut p, now, &mut Diagnostics::new());
        assert!(p.planned.get("rendered_at").is_unknown() && p.planned.get("replace_at").is_null());

        // Not marked: kept, and replace_at follows the configured replace_after.
        let mut p = plan_with(Some(state(Some("8000h"), Some("2030-11-30T08:00:00Z"))), cfg(Some("100h")));
        let mut d = Diagnostics::new();
        plan_clock(&mut p, now, &mut d);
        assert_eq!(p.planned.get("rendered_at"), &Value::from(T0));
        assert_eq!(p.planned.get("replace_at"), &Value::from("2030-01-05T04:00:00Z"));
        assert!(d.is_empty(), "only a refresh finds a config due: {d:?}");

        // Marked by the refresh and still due: re-rendered, with a warning.
        let mut p = plan_with(Some(state(Some("100h"), None)), cfg(Some("100h")));
        let mut d = Diagnostics::new();
        plan_clock(&mut p, now, &mut d);
        assert!(p.planned.get("rendered_at").is_unknown() && p.planned.get("replace_at").is_unknown());
        let w: Vec<_> = d.iter().collect();
        assert_eq!(w.len(), 1, "{d:?}");
        assert!(!w[0].is_error() && w[0].summary == "Node config due for replacement");
        assert_eq!(w[0].path, Some(AttrPath::attr("replace_after")));
        assert!(w[0].detail.contains("2030-01-05T04:00:00Z") && w[0].detail.contains("replace_triggered_by"));

        // Marked, but replace_after raised past now: not due any more.
        let mut p = plan_with(Some(state(Some("100h"), None)), cfg(Some("8000h")));
        let mut d = Diagnostics::new();
        plan_clock(&mut p, now, &mut d);
        assert_eq!(p.planned.get("rendered_at"), &Value::from(T0));
        assert_eq!(p.planned.get("replace_at"), &Value::from("2030-11-30T08:00:00Z"));
        assert!(d.is_empty());

        // Marked, and replace_after removed: never due.
        let mut p = plan_with(Some(state(Some("100h"), None)), cfg(None));
        plan_clock(&mut p, now, &mut Diagnostics::new());
        assert_eq!(p.planned.get("rendered_at"), &Value::from(T0));
        assert!(p.planned.get("replace_at").is_null());

        // An old state not refreshed yet plans exactly what it holds.
        let old = obj(&[("rendered_at", Value::Null), ("replace_at", Value::Null), ("replace_after", Value::Null)]);
        let mut p = plan_with(Some(old.clone()), cfg(None));
        p.planned.set("rendered_at", Value::unknown());
        plan_clock(&mut p, now, &mut Diagnostics::new());
        assert_eq!(p.planned, old);

        // replace_after from a value unknown at plan time.
        let mut p = plan_with(
            Some(state(Some("1h"), Some("2030-01-01T01:00:00Z"))),
            obj(&[("replace_after", Value::unknown())]),
        );
        plan_clock(&mut p, now, &mut Diagnostics::new());
        assert_eq!(p.planned.get("rendered_at"), &Value::from(T0));
        assert!(p.planned.get("replace_at").is_unknown());
    }

    #[test]
    fn apply_starts_a_generation_only_when_planned_unknown() {
        let now = at("2031-02-03T04:05:06Z");
        let config = obj(&[("replace_after", Value::from("24h"))]);
        let mut s = obj(&[]);
        apply_clock(&mut s, &obj(&[("rendered_at", Value::unknown())]), &config, now);
        assert_eq!(s.get("rendered_at"), &Value::from("2031-02-03T04:05:06Z"));
        assert_eq!(s.get("replace_at"), &Value::from("2031-02-04T04:05:06Z"));
        let mut s = obj(&[]);
        apply_clock(&mut s, &obj(&[("rendered_at", Value::from(T0))]), &obj(&[]), now);
        assert_eq!(s.get("rendered_at"), &Value::from(T0));
        assert!(s.get("replace_at").is_null());
    }

    #[tokio::test]
    async fn stable_mode_needs_a_url() {
        let dir = tempfile::tempdir().unwrap();
        let data = provider(dir.path(), None);
        let config = node("worker", "abcdef.0123456789abcdef", &[("user_data_mode", Value::from("stable"))]);
        let (_, d) = plan_of(&resource(T0), &data, None, &config).await;
        let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "{d:?}");
        assert_eq!(errors[0].path, Some(AttrPath::attr("user_data_mode")));
        // Even while the inputs are unknown (a first plan).
        let mut first = config.clone();
        first.set("bootstrap_token", Value::unknown());
        let (_, d) = plan_of(&resource(T0), &data, None, &first).await;
        assert!(d.has_errors(), "{d:?}");
    }

    #[tokio::test]
    async fn a_rotated_token_changes_the_stable_object_but_not_user_data() {
        let dir = tempfile::tempdir().unwrap();
        let data = provider(dir.path(), Some("https://ign.example.com/c"));
        let r = resource(T0);
        let stable = [("user_data_mode", Value::from("stable")), ("replace_after", Value::from("8000h"))];
        let config = node("worker", "abcdef.0123456789abcdef", &stable);
        let (planned, d) = plan_of(&r, &data, None, &config).await;
        assert!(!d.has_errors(), "{d:?}");
        assert_eq!(planned.get("id"), &Value::from("prod/worker/w0.ign"));
        let state = apply(&r, &data, None, &planned, &config).await;
        let ud = state.get("user_data").as_str().unwrap().to_string();
        let p = pointer(&ud);
        assert_eq!(p["ignition"]["config"]["replace"]["source"], "https://ign.example.com/c/prod/worker/w0.ign");
        assert!(p["ignition"]["config"]["replace"].get("verification").is_none(), "{ud}");
        assert_eq!(state.get("rendered_at"), &Value::from(T0));
        assert_eq!(state.get("replace_at"), &Value::from("2030-11-30T08:00:00Z"));
        let object = dir.path().join("prod/worker/w0.ign");
        let first = std::fs::read(&object).unwrap();

        // The token is being replaced: unknown at plan time. user_data and the
        // key stay known and equal; what is rendered is unknown.
        let mut rotating = config.clone();
        rotating.set("bootstrap_token", Value::unknown());
        let later = resource("2030-02-01T00:00:00Z");
        let (planned, d) = plan_of(&later, &data, Some(&state), &rotating).await;
        assert!(!d.has_errors(), "{d:?}");
        for a in ["id", "user_data", "user_data_size", "object_url", "rendered_at", "replace_at"] {
            assert_eq!(planned.get(a), state.get(a), "{a}");
        }
        for a in ["rendered_sha512", "kubeadm_config"] {
            assert!(planned.get(a).is_unknown(), "{a}");
        }

        // The apply with the new token: same key, same user_data, new bytes.
        let rotated = node("worker", "ghijkl.0123456789abcdef", &stable);
        let new_state = apply(&later, &data, Some(&state), &planned, &rotated).await;
        assert_eq!(new_state.get("user_data").as_str(), Some(ud.as_str()));
        assert_eq!(new_state.get("id"), state.get("id"));
        assert_eq!(new_state.get("rendered_at"), &Value::from(T0), "a rotation is not a new generation");
        let second = std::fs::read(&object).unwrap();
        assert_ne!(first, second);
        assert_eq!(ignition::sha512_hex(&second), new_state.get("rendered_sha512").as_str().unwrap());
        assert!(new_state.get("kubeadm_config").as_str().unwrap().contains("ghijkl.0123456789abcdef"));
        let objects: Vec<_> = std::fs::read_dir(dir.path().join("prod/worker")).unwrap().flatten().collect();
        assert_eq!(objects.len(), 1, "the stable key is overwritten in place");
    }

    /// An init config without an endpoint founds a new cluster wherever it
    /// boots: rendering it again (here for a new token) warns; with an
    /// endpoint, or with nothing re-rendered, the plan is quiet.
    #[tokio::test]
    async fn rendering_an_init_config_again_warns_without_an_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let data = provider(dir.path(), Some("https://ign.example.com/c"));
        let r = resource(T0);
        // One CA for every config (node() makes a new one each call).
        let with_endpoint = node("init", "abcdef.0123456789abcdef", &[]);
        let mut lone = with_endpoint.clone();
        let mut cluster = lone.get("cluster").clone();
        cluster.set("control_plane_endpoint", Value::Null);
        lone.set("cluster", cluster);
        let rotated = |c: &Value| {
            let mut c = c.clone();
            let mut token = c.get("bootstrap_token").clone();
            token.set("token", Value::from("ghijkl.0123456789abcdef"));
            c.set("bootstrap_token", token);
            c
        };
        let warned = |d: &Diagnostics| d.0.iter().any(|d| d.summary == "Init config rendered again");
        for (first, again, want) in [
            (lone.clone(), rotated(&lone), true),
            (lone.clone(), lone.clone(), false),
            (with_endpoint.clone(), rotated(&with_endpoint), false),
        ] {
            let (planned, d) = plan_of(&r, &data, None, &first).await;
            assert!(!warned(&d), "a first render founds the cluster: {d:?}");
            let state = apply(&r, &data, None, &planned, &first).await;
            let (_, d) = plan_of(&r, &data, Some(&state), &again).await;
            assert_eq!(warned(&d), want, "{d:?}");
            let mut gone = Diagnostics::new();
            r.delete(&data, &state, &mut gone).await;
        }
    }

    #[tokio::test]
    async fn switching_modes_moves_the_object() {
        let dir = tempfile::tempdir().unwrap();
        let data = provider(dir.path(), Some("https://ign.example.com/c"));
        let r = resource(T0);
        let pinned = node("worker", "abcdef.0123456789abcdef", &[]);
        let (planned, _) = plan_of(&r, &data, None, &pinned).await;
        let s1 = apply(&r, &data, None, &planned, &pinned).await;
        let pinned_key = s1.get("id").as_str().unwrap().to_string();
        assert!(pointer(s1.get("user_data").as_str().unwrap())["ignition"]["config"]["replace"]["verification"]
            ["hash"]
            .as_str()
            .is_some_and(|h| h.starts_with("sha512-")));

        let mut stable = pinned.clone();
        stable.set("user_data_mode", Value::from("stable"));
        let (planned, _) = plan_of(&r, &data, Some(&s1), &stable).await;
        assert_eq!(planned.get("rendered_sha512"), s1.get("rendered_sha512"), "the same config");
        let s2 = apply(&r, &data, Some(&s1), &planned, &stable).await;
        assert_eq!(s2.get("id"), &Value::from("prod/worker/w0.ign"));
        assert!(dir.path().join("prod/worker/w0.ign").is_file());
        assert!(!dir.path().join(&pinned_key).exists(), "the pinned object is removed after the move");
    }

    #[tokio::test]
    async fn another_nodes_object_at_the_stable_key_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let data = provider(dir.path(), Some("https://ign.example.com/c"));
        let r = resource(T0);
        std::fs::create_dir_all(dir.path().join("prod/worker")).unwrap();
        std::fs::write(dir.path().join("prod/worker/w0.ign"), b"{\"other\":1}").unwrap();
        let config = node("worker", "abcdef.0123456789abcdef", &[("user_data_mode", Value::from("stable"))]);
        let (planned, _) = plan_of(&r, &data, None, &config).await;
        let (mut private, mut d) = (Private::default(), Diagnostics::new());
        assert!(r.create(&data, &planned, &config, &mut private, &mut d).await.is_none());
        let e: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
        assert_eq!(e.len(), 1, "{d:?}");
        assert_eq!(e[0].path, Some(AttrPath::attr("name")));
        assert_eq!(std::fs::read(dir.path().join("prod/worker/w0.ign")).unwrap(), b"{\"other\":1}");
    }

    #[tokio::test]
    async fn a_due_config_is_rendered_again_with_a_new_generation() {
        let dir = tempfile::tempdir().unwrap();
        let data = provider(dir.path(), Some("https://ign.example.com/c"));
        let config = node("control-plane", "abcdef.0123456789abcdef", &[("replace_after", Value::from("1h"))]);
        let r = resource(T0);
        let (planned, _) = plan_of(&r, &data, None, &config).await;
        let state = apply(&r, &data, None, &planned, &config).await;

        // Before replace_at the refresh and the plan change nothing.
        let early = resource("2030-01-01T00:59:59Z");
        let mut private = Private::default();
        let refreshed = early.read(&data, &state, &mut private, &mut Diagnostics::new()).await.unwrap();
        assert_eq!(refreshed, state);
        let (planned, d) = plan_of(&early, &data, Some(&refreshed), &config).await;
        assert_eq!(planned, state);
        assert!(d.is_empty(), "{d:?}");

        // After it, the refresh marks it and the plan re-renders it.
        let late = resource("2030-01-01T01:00:00Z");
        let refreshed = late.read(&data, &state, &mut private, &mut Diagnostics::new()).await.unwrap();
        assert!(refreshed.get("replace_at").is_null());
        let (planned, d) = plan_of(&late, &data, Some(&refreshed), &config).await;
        assert!(planned.get("rendered_at").is_unknown());
        assert!(d.iter().any(|d| d.summary == "Node config due for replacement"), "{d:?}");
        for a in ["id", "user_data", "rendered_sha512"] {
            assert_eq!(planned.get(a), state.get(a), "{a}: the content did not change");
        }
        let renewed = apply(&late, &data, Some(&refreshed), &planned, &config).await;
        assert_eq!(renewed.get("rendered_at"), &Value::from("2030-01-01T01:00:00Z"));
        assert_eq!(renewed.get("replace_at"), &Value::from("2030-01-01T02:00:00Z"));
        assert!(dir.path().join(renewed.get("id").as_str().unwrap()).is_file());
    }
}
