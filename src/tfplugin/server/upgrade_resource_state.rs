//! UpgradeResourceState: called for every stored instance on every load, even
//! at the same version. Older versions go through the resource's `upgrade`;
//! then attributes the schema no longer has are dropped and missing ones are
//! filled with null, so the result always conforms.

use std::sync::atomic::Ordering;

use super::{convert, Inner};
use crate::tfplugin::diag::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::Provider;
use crate::tfplugin::json::{self, UnknownKeys};
use crate::tfplugin::planning;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn upgrade_resource_state(
        &self,
        req: pb::upgrade_resource_state::Request,
    ) -> pb::upgrade_resource_state::Response {
        let mut diags = Diagnostics::new();
        let upgraded = self.upgrade(&req, &mut diags);
        pb::upgrade_resource_state::Response { upgraded_state: upgraded, diagnostics: convert::diags_to_pb(&diags) }
    }

    fn upgrade(&self, req: &pb::upgrade_resource_state::Request, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
        let entry = self.resource(&req.type_name).map_err(|d| diags.push(d)).ok()?;
        let raw = req.raw_state.as_ref();
        let json_bytes = raw.map(|r| r.json.as_slice()).unwrap_or_default();
        if json_bytes.is_empty() {
            if raw.is_some_and(|r| !r.flatmap.is_empty()) {
                diags.push(Diagnostic::error(
                    "State too old to upgrade",
                    "This state was written in the flatmap format of Terraform 0.11, which this provider cannot read. Remove the resource from state and import it again.",
                ));
                return None;
            }
            return convert::encode_dv(&crate::tfplugin::value::Value::Null, &entry.ty, "upgraded state")
                .map_err(|d| diags.push(d))
                .ok();
        }
        if req.version > entry.schema.version {
            diags.push(Diagnostic::error(
                "State written by a newer provider",
                format!(
                    "The stored {} state has schema version {}, but this provider only knows up to {}. Use the provider version that wrote the state, or a newer one.",
                    req.type_name, req.version, entry.schema.version
                ),
            ));
            return None;
        }
        let mut doc: serde_json::Value = match serde_json::from_slice(json_bytes) {
            Ok(d) => d,
            Err(e) => {
                diags.push(Diagnostic::error(
                    "Unreadable state",
                    format!(
                        "The stored {} state is not valid JSON ({e}). Restore the state from a backup.",
                        req.type_name
                    ),
                ));
                return None;
            }
        };
        if req.version < entry.schema.version {
            doc = entry.imp.upgrade(req.version, doc, diags)?;
        }
        let mut value = json::from_json(&doc, &entry.ty, UnknownKeys::Drop, &mut Vec::new())
            .map_err(|e| {
                diags.push(Diagnostic::error(
                    "Unreadable state",
                    format!("The stored {} state does not fit the schema: {e}. Restore the state from a backup, or remove and re-import the resource.", req.type_name),
                ))
            })
            .ok()?;
        // A state written through an older Terraform may hold values of
        // attributes that are write-only now; newer Terraform refuses them.
        // Terraform upgrades every state it loads, so refreshes and plans
        // never see the stored values either.
        if self.write_only_client.load(Ordering::Relaxed) {
            planning::clear_write_only(&entry.schema.block, &mut value);
        }
        convert::encode_dv(&value, &entry.ty, "upgraded state").map_err(|d| diags.push(d)).ok()
    }
}
