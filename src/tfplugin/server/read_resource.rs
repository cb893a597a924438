//! ReadResource: refreshes one instance. Null means the object is gone. On
//! error the current state is returned untouched; private data is echoed.

use super::{convert, Inner};
use crate::tfplugin::diag::Diagnostics;
use crate::tfplugin::framework::Provider;
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::value::Value;

impl<P: Provider> Inner<P> {
    pub(super) async fn read_resource(&self, req: pb::read_resource::Request) -> pb::read_resource::Response {
        let mut diags = Diagnostics::new();
        let new_state = self.read(&req, &mut diags).await;
        pb::read_resource::Response {
            new_state: new_state.or(req.current_state),
            diagnostics: convert::diags_to_pb(&diags),
            private: req.private,
            ..Default::default()
        }
    }

    async fn read(&self, req: &pb::read_resource::Request, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
        let entry = self.resource(&req.type_name).map_err(|d| diags.push(d)).ok()?;
        let state = convert::decode_known(req.current_state.as_ref(), &entry.ty, "current state")
            .map_err(|d| diags.push(d))
            .ok()?;
        if state.is_null() {
            return None;
        }
        let data = self.configured().map_err(|d| diags.push(d)).ok()?;
        let fresh = entry.imp.read(&data, &state, diags).await;
        if diags.has_errors() {
            return None;
        }
        // Identical data comes back as the prior value so plans stay empty.
        let fresh = match fresh {
            Some(v) if v == state => state,
            Some(v) => v,
            None => Value::Null,
        };
        convert::encode_dv(&fresh, &entry.ty, "refreshed state").map_err(|d| diags.push(d)).ok()
    }
}
