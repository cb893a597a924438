//! GetResourceIdentitySchemas: no resource here has an identity, so the
//! answer is an empty map (Terraform >= 1.12 asks in every process).

use super::Inner;
use crate::tfplugin::framework::Provider;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) fn get_resource_identity_schemas(&self) -> pb::get_resource_identity_schemas::Response {
        pb::get_resource_identity_schemas::Response::default()
    }
}
