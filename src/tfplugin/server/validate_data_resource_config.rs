//! ValidateDataResourceConfig: attribute validators plus the data source's own
//! checks. Runs in unconfigured processes; values may be unknown.

use super::{convert, validate_config, Inner};
use crate::tfplugin::diag::Diagnostics;
use crate::tfplugin::framework::Provider;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn validate_data_resource_config(
        &self,
        req: pb::validate_data_resource_config::Request,
    ) -> pb::validate_data_resource_config::Response {
        let diagnostics = match self.data_source(&req.type_name) {
            Ok(e) => validate_config(&e.schema, &e.ty, req.config.as_ref(), "data source configuration", |c, d| {
                e.imp.validate(c, d)
            }),
            Err(d) => convert::diags_to_pb(&Diagnostics::from(d)),
        };
        pb::validate_data_resource_config::Response { diagnostics }
    }
}
