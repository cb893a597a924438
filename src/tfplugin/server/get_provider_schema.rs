//! GetProviderSchema: every schema, built once per process and cached
//! (Terraform asks in every provider process, often several times).

use super::{convert, Inner};
use crate::tfplugin::framework::Provider;
use crate::tfplugin::proto::tfplugin6 as pb;

/// What this server can do beyond the base protocol.
pub(super) fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        // Terraform asks us to plan destroys (we return null), so resources
        // could veto or annotate them.
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

impl<P: Provider> Inner<P> {
    pub(super) fn get_provider_schema(&self) -> pb::get_provider_schema::Response {
        self.schema_response
            .get_or_init(|| pb::get_provider_schema::Response {
                provider: Some(convert::schema_to_pb(&self.provider_schema)),
                resource_schemas: self
                    .resources
                    .iter()
                    .map(|(k, e)| (k.to_string(), convert::schema_to_pb(&e.schema)))
                    .collect(),
                data_source_schemas: self
                    .data_sources
                    .iter()
                    .map(|(k, e)| (k.to_string(), convert::schema_to_pb(&e.schema)))
                    .collect(),
                ephemeral_resource_schemas: self
                    .ephemeral_resources
                    .iter()
                    .map(|(k, e)| (k.to_string(), convert::schema_to_pb(&e.schema)))
                    .collect(),
                server_capabilities: Some(capabilities()),
                ..Default::default()
            })
            .clone()
    }
}
