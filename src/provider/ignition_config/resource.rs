//! The `kubeadm_ignition_config` resource: its CRUD.

use super::*;

/// The private-state entry holding the stored object's ETag, so a refresh can
/// confirm it from a folder listing instead of a request per node.
pub(super) const ETAG: &str = "etag";

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
