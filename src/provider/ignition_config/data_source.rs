//! The `kubeadm_ignition_config` data source: renders only.

use super::*;

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
