//! ValidateResourceConfig: attribute validators plus the resource's own checks.
//! Runs in unconfigured processes; values may be unknown.

use super::{convert, Inner};
use crate::tfplugin::diag::{AttrPath, Diagnostics};
use crate::tfplugin::framework::Provider;
use crate::tfplugin::planning;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn validate_resource_config(
        &self,
        req: pb::validate_resource_config::Request,
    ) -> pb::validate_resource_config::Response {
        let mut diags = Diagnostics::new();
        match self.resource(&req.type_name) {
            Ok(entry) => match convert::decode_dv(req.config.as_ref(), &entry.ty, "resource configuration") {
                Ok(config) => {
                    planning::validate(&entry.schema.block, &config, &AttrPath::root(), &mut diags);
                    entry.imp.validate(&config, &mut diags);
                }
                Err(d) => diags.push(d),
            },
            Err(d) => diags.push(d),
        }
        pb::validate_resource_config::Response { diagnostics: convert::diags_to_pb(&diags) }
    }
}
