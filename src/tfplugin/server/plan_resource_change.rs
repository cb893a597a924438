//! PlanResourceChange: Terraform's planning rules applied from the schema
//! (see `planning`), then the resource's own hook, then requires-replace.
//! Destroy plans (null proposed state) answer null. Private data is echoed.

use super::{convert, Inner};
use crate::tfplugin::diag::Diagnostics;
use crate::tfplugin::framework::{Plan, Provider};
use crate::tfplugin::planning;
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::value::Value;

impl<P: Provider> Inner<P> {
    pub(super) async fn plan_resource_change(
        &self,
        req: pb::plan_resource_change::Request,
    ) -> pb::plan_resource_change::Response {
        let mut diags = Diagnostics::new();
        let planned = self.plan(&req, &mut diags).await;
        let (planned_state, requires_replace) = match planned {
            Some((v, rr)) if !diags.has_errors() => (Some(v), rr),
            _ => (None, Vec::new()),
        };
        pb::plan_resource_change::Response {
            planned_state,
            requires_replace: requires_replace.iter().map(convert::path_to_pb).collect(),
            planned_private: req.prior_private,
            diagnostics: convert::diags_to_pb(&diags),
            ..Default::default()
        }
    }

    async fn plan(
        &self,
        req: &pb::plan_resource_change::Request,
        diags: &mut Diagnostics,
    ) -> Option<(pb::DynamicValue, Vec<crate::tfplugin::diag::AttrPath>)> {
        let entry = self.resource(&req.type_name).map_err(|d| diags.push(d)).ok()?;
        let decode = |dv: &Option<pb::DynamicValue>, what: &str, diags: &mut Diagnostics| {
            convert::decode_dv(dv.as_ref(), &entry.ty, what).map_err(|d| diags.push(d)).ok()
        };
        let prior = convert::decode_known(req.prior_state.as_ref(), &entry.ty, "prior state")
            .map_err(|d| diags.push(d))
            .ok()?;
        let proposed = decode(&req.proposed_new_state, "proposed new state", diags)?;
        let config = decode(&req.config, "configuration", diags)?;

        if proposed.is_null() {
            // Destroy: the plan must be null.
            let null = convert::encode_dv(&Value::Null, &entry.ty, "planned state").map_err(|d| diags.push(d)).ok()?;
            return Some((null, Vec::new()));
        }
        let block = &entry.schema.block;
        // Terraform 1.11 and later keep write-only values out of plans (its
        // proposed state already has them null); older versions do not know
        // them and expect the configured value planned.
        let write_only = convert::allows_write_only(req.client_capabilities.as_ref());
        let mut proposed = proposed;
        if write_only {
            planning::clear_write_only(block, &mut proposed);
        }
        let prior_opt = (!prior.is_null()).then_some(&prior);
        let mut planned = proposed;
        planning::apply_computed(block, &mut planned, &config, prior_opt);
        if let Some(p) = prior_opt {
            if planned != *p {
                planning::mark_changed_computed_unknown(block, &mut planned, &config);
            }
        }

        let data = self.configured().map_err(|d| diags.push(d)).ok()?;
        let mut plan = Plan { prior: prior_opt.cloned(), config, planned, requires_replace: Vec::new() };
        entry.imp.plan(&data, &mut plan, diags).await;
        let mut requires_replace = plan.requires_replace;
        let mut planned = plan.planned;
        if write_only {
            planning::clear_write_only(block, &mut planned);
        }
        if let Some(p) = prior_opt {
            requires_replace.extend(planning::replace_paths(block, &planned, p));
            // An unchanged resource plans exactly its prior state (NoOp).
            if planned == *p {
                planned = p.clone();
            }
        } else {
            // Replacement paths mean nothing on create.
            requires_replace.clear();
        }
        let dv = convert::encode_dv(&planned, &entry.ty, "planned state").map_err(|d| diags.push(d)).ok()?;
        Some((dv, requires_replace))
    }
}
