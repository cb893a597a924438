//! ReadResource: refreshes one instance. Null means the object is gone. On
//! error the current state and private data are returned untouched.

use super::{convert, Inner};
use crate::tfplugin::diag::Diagnostics;
use crate::tfplugin::framework::{Private, Provider};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::value::Value;

impl<P: Provider> Inner<P> {
    pub(super) async fn read_resource(&self, req: pb::read_resource::Request) -> pb::read_resource::Response {
        let mut diags = Diagnostics::new();
        let mut private = Private::from_bytes(&req.private);
        let new_state = self.read(&req, &mut private, &mut diags).await;
        let private = match &new_state {
            // Bytes the resource left alone go back as they came.
            Some(_) if !diags.has_errors() && private != Private::from_bytes(&req.private) => private.to_bytes(),
            _ => req.private,
        };
        pb::read_resource::Response {
            new_state: new_state.or(req.current_state),
            diagnostics: convert::diags_to_pb(&diags),
            private,
            ..Default::default()
        }
    }

    async fn read(
        &self,
        req: &pb::read_resource::Request,
        private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<pb::DynamicValue> {
        let entry = self.resource(&req.type_name).map_err(|d| diags.push(d)).ok()?;
        let state = convert::decode_known(req.current_state.as_ref(), &entry.ty, "current state")
            .map_err(|d| diags.push(d))
            .ok()?;
        if state.is_null() {
            return None;
        }
        let data = self.configured().map_err(|d| diags.push(d)).ok()?;
        let fresh = entry.imp.read(&data, &state, private, diags).await;
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
