//! ImportResourceState: builds a state from the import ID; Terraform then
//! calls ReadResource to fill it in.

use super::{convert, Inner};
use crate::tfplugin::diag::Diagnostics;
use crate::tfplugin::framework::Provider;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn import_resource_state(
        &self,
        req: pb::import_resource_state::Request,
    ) -> pb::import_resource_state::Response {
        let mut diags = Diagnostics::new();
        let state = self.import(&req, &mut diags).await;
        let imported_resources = match state {
            Some(state) if !diags.has_errors() => vec![pb::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(state),
                ..Default::default()
            }],
            _ => Vec::new(),
        };
        pb::import_resource_state::Response {
            imported_resources,
            diagnostics: convert::diags_to_pb(&diags),
            ..Default::default()
        }
    }

    async fn import(
        &self,
        req: &pb::import_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::DynamicValue> {
        let entry = self.resource(&req.type_name).map_err(|d| diags.push(d)).ok()?;
        let data = self.configured().map_err(|d| diags.push(d)).ok()?;
        let state = entry.imp.import(&data, &req.id, diags).await?;
        if diags.has_errors() {
            return None;
        }
        convert::encode_dv(&state, &entry.ty, "imported state").map_err(|d| diags.push(d)).ok()
    }
}
