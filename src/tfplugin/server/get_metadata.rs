//! GetMetadata: the type names served, without schemas.

use super::Inner;
use crate::tfplugin::framework::Provider;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) fn get_metadata(&self) -> pb::get_metadata::Response {
        let mut resources: Vec<_> = self.resources.keys().collect();
        resources.sort();
        let mut data_sources: Vec<_> = self.data_sources.keys().collect();
        data_sources.sort();
        let mut ephemeral_resources: Vec<_> = self.ephemeral_resources.keys().collect();
        ephemeral_resources.sort();
        pb::get_metadata::Response {
            server_capabilities: Some(super::get_provider_schema::capabilities()),
            resources: resources
                .into_iter()
                .map(|t| pb::get_metadata::ResourceMetadata { type_name: t.to_string() })
                .collect(),
            data_sources: data_sources
                .into_iter()
                .map(|t| pb::get_metadata::DataSourceMetadata { type_name: t.to_string() })
                .collect(),
            ephemeral_resources: ephemeral_resources
                .into_iter()
                .map(|t| pb::get_metadata::EphemeralMetadata { type_name: t.to_string() })
                .collect(),
            ..Default::default()
        }
    }
}
