//! ValidateDataResourceConfig: attribute validators plus the data source's own
//! checks. Runs in unconfigured processes; values may be unknown.

use super::{convert, Inner};
use crate::tfplugin::diag::{AttrPath, Diagnostics};
use crate::tfplugin::framework::Provider;
use crate::tfplugin::planning;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn validate_data_resource_config(
        &self,
        req: pb::validate_data_resource_config::Request,
    ) -> pb::validate_data_resource_config::Response {
        let mut diags = Diagnostics::new();
        match self.data_source(&req.type_name) {
            Ok(entry) => match convert::decode_dv(req.config.as_ref(), &entry.ty, "data source configuration") {
                Ok(config) => {
                    planning::validate(&entry.schema.block, &config, &AttrPath::root(), &mut diags);
                    entry.imp.validate(&config, &mut diags);
                }
                Err(d) => diags.push(d),
            },
            Err(d) => diags.push(d),
        }
        pb::validate_data_resource_config::Response { diagnostics: convert::diags_to_pb(&diags) }
    }
}
