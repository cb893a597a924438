//! The store plumbing: the store to use, its errors, and the attributes that
//! follow from where a config is stored (`id`, `object_url`, `user_data`,
//! presigned URLs).

use super::*;

pub(super) fn store_of<'a>(data: &'a ProviderData, diags: &mut Diagnostics) -> Option<&'a Arc<dyn ObjectStore>> {
    match &data.store {
        Ok(s) => Some(s),
        Err(msg) => {
            diags.push(Diagnostic::error("Store unavailable", msg.clone()));
            None
        }
    }
}

pub(super) fn store_error(e: StoreError, key: &str) -> Diagnostic {
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

/// The attributes that follow from where the config is stored and how
/// machines reach it: the key, the URL, `user_data` and the read policy.
pub(super) fn place(state: &mut Value, data: &ProviderData, store: &dyn ObjectStore, key: &str, user_data: String) {
    state.set("id", Value::from(key.to_string()));
    state.set("object_url", Value::from(store.object_url(key)));
    state.set("user_data_size", Value::int(user_data.len() as i64));
    state.set("user_data", Value::from(user_data));
    state.set("read_policy_json", Value::opt_string(data.s3.as_ref().map(|s3| s3.read_policy_json(key))));
}

/// The object key of a rendered node in `mode`.
pub(super) fn key_of(mode: UserDataMode, spec: &NodeSpec, name: Option<&str>, sha512: &str) -> String {
    match mode {
        UserDataMode::Pinned => object_key(spec, name, sha512),
        UserDataMode::Stable => stable_object_key(&spec.cluster.name, spec.role.as_str(), name),
    }
}

/// Fills the computed attributes of a rendered node.
pub(super) fn fill(
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
pub(super) fn plan_unrendered(
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
pub(super) fn unreachable(store: &dyn ObjectStore) -> Option<Diagnostic> {
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
pub(super) fn presign_ttl(data: &ProviderData) -> Option<std::time::Duration> {
    match &data.store_config {
        StoreConfig::S3 { presign_ttl: Some(ttl), .. } if data.s3.is_some() => {
            ttl.to_std().map(|d| d.min(std::time::Duration::from_secs(7 * 24 * 3600)))
        }
        _ => None,
    }
}

/// Sets `user_data_presigned` after the object is stored.
pub(super) async fn presign(
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
