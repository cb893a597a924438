//! ReadDataSource: reads a data source from its configuration.

use super::{convert, Inner};
use crate::tfplugin::diag::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::Provider;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn read_data_source(&self, req: pb::read_data_source::Request) -> pb::read_data_source::Response {
        let mut diags = Diagnostics::new();
        let state = self.read_data(&req, &mut diags).await;
        pb::read_data_source::Response {
            state: state.filter(|_| !diags.has_errors()),
            diagnostics: convert::diags_to_pb(&diags),
            ..Default::default()
        }
    }

    async fn read_data(
        &self,
        req: &pb::read_data_source::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::DynamicValue> {
        let entry = self.data_source(&req.type_name).map_err(|d| diags.push(d)).ok()?;
        let config = convert::decode_dv(req.config.as_ref(), &entry.ty, "data source configuration")
            .map_err(|d| diags.push(d))
            .ok()?;
        let data = self.configured().map_err(|d| diags.push(d)).ok()?;
        let state = entry.imp.read(&data, &config, diags).await?;
        if !state.is_wholly_known() {
            diags.push(Diagnostic::error(
                "Provider left values unknown",
                format!("{} returned unknown values. This is a bug in the provider; please report it.", req.type_name),
            ));
            return None;
        }
        convert::encode_dv(&state, &entry.ty, "data source state").map_err(|d| diags.push(d)).ok()
    }
}
