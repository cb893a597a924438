//! ApplyResourceChange: create, update or delete. The new state must be wholly
//! known; on failure the prior state is kept (null for a failed create, so
//! nothing is recorded that does not exist). Private data starts from the
//! planned private data (the prior instance's) and is stored as the resource
//! leaves it; a failed apply keeps the planned private data.

use super::{convert, Inner};
use crate::tfplugin::diag::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Private, Provider};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::value::Value;

impl<P: Provider> Inner<P> {
    pub(super) async fn apply_resource_change(
        &self,
        req: pb::apply_resource_change::Request,
    ) -> pb::apply_resource_change::Response {
        let mut diags = Diagnostics::new();
        let mut private = Private::from_bytes(&req.planned_private);
        let new_state = self.apply(&req, &mut private, &mut diags).await;
        let private = match &new_state {
            // Bytes the resource left alone go back as they came.
            Some(_) if !diags.has_errors() && private != Private::from_bytes(&req.planned_private) => {
                private.to_bytes()
            }
            _ => req.planned_private,
        };
        pb::apply_resource_change::Response {
            new_state: new_state.or_else(|| req.prior_state.clone()),
            private,
            diagnostics: convert::diags_to_pb(&diags),
            ..Default::default()
        }
    }

    async fn apply(
        &self,
        req: &pb::apply_resource_change::Request,
        private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<pb::DynamicValue> {
        let entry = self.resource(&req.type_name).map_err(|d| diags.push(d)).ok()?;
        let decode = |dv: &Option<pb::DynamicValue>, what: &str, diags: &mut Diagnostics| {
            convert::decode_dv(dv.as_ref(), &entry.ty, what).map_err(|d| diags.push(d)).ok()
        };
        let known = |dv: &Option<pb::DynamicValue>, what: &str, diags: &mut Diagnostics| {
            convert::decode_known(dv.as_ref(), &entry.ty, what).map_err(|d| diags.push(d)).ok()
        };
        let prior = known(&req.prior_state, "prior state", diags)?;
        let planned = decode(&req.planned_state, "planned state", diags)?;
        let config = known(&req.config, "configuration", diags)?;
        let data = self.configured().map_err(|d| diags.push(d)).ok()?;

        let new_state = if planned.is_null() {
            entry.imp.delete(&data, &prior, diags).await;
            if diags.has_errors() {
                return None;
            }
            Value::Null
        } else if prior.is_null() {
            let v = entry.imp.create(&data, &planned, &config, private, diags).await;
            if diags.has_errors() {
                return None;
            }
            v?
        } else {
            let v = entry.imp.update(&data, &prior, &planned, &config, private, diags).await;
            if diags.has_errors() {
                return None;
            }
            v?
        };
        if !new_state.is_wholly_known() {
            diags.push(Diagnostic::error(
                "Provider left values unknown after apply",
                format!(
                    "{} returned a state with unknown values. This is a bug in the provider; please report it.",
                    req.type_name
                ),
            ));
            return None;
        }
        convert::encode_dv(&new_state, &entry.ty, "new state").map_err(|d| diags.push(d)).ok()
    }
}
