//! OpenEphemeralResource: acquires an ephemeral value. Terraform checks the
//! result as it checks a plan against a null prior state: attributes the
//! configuration sets come back as set, computed ones may be filled. A
//! configuration that is not wholly known yet gets the configuration back
//! with its computed attributes unknown (and defaults applied), without
//! asking the resource, which only ever sees known values.

use super::{convert, Inner};
use crate::tfplugin::diag::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Private, Provider};
use crate::tfplugin::planning;
use crate::tfplugin::proto::tfplugin6 as pb;

/// A result, when to renew it, and the private bytes for renew and close.
type OpenResult = (pb::DynamicValue, Option<prost_types::Timestamp>, Private);

impl<P: Provider> Inner<P> {
    pub(super) async fn open_ephemeral_resource(
        &self,
        req: pb::open_ephemeral_resource::Request,
    ) -> pb::open_ephemeral_resource::Response {
        let mut diags = Diagnostics::new();
        match self.open(&req, &mut diags).await {
            Some((result, renew_at, private)) if !diags.has_errors() => pb::open_ephemeral_resource::Response {
                result: Some(result),
                renew_at,
                private: Some(private.to_bytes()).filter(|b| !b.is_empty()),
                diagnostics: convert::diags_to_pb(&diags),
                ..Default::default()
            },
            _ => pb::open_ephemeral_resource::Response {
                diagnostics: convert::diags_to_pb(&diags),
                ..Default::default()
            },
        }
    }

    async fn open(&self, req: &pb::open_ephemeral_resource::Request, diags: &mut Diagnostics) -> Option<OpenResult> {
        let entry = self.ephemeral_resource(&req.type_name).map_err(|d| diags.push(d)).ok()?;
        let what = "ephemeral resource configuration";
        let config = convert::decode_dv(req.config.as_ref(), &entry.ty, what).map_err(|d| diags.push(d)).ok()?;
        if config.is_null() {
            diags.push(Diagnostic::error(
                "No configuration received",
                format!("Terraform asked to open {} without a configuration. This is a bug in Terraform or in whatever sent the request.", req.type_name),
            ));
            return None;
        }
        if !config.is_wholly_known() {
            let mut result = config.clone();
            planning::apply_computed(&entry.schema.block, &mut result, &config, None);
            let dv = convert::encode_dv(&result, &entry.ty, "ephemeral result").map_err(|d| diags.push(d)).ok()?;
            return Some((dv, None, Private::default()));
        }
        let data = self.configured().map_err(|d| diags.push(d)).ok()?;
        let opened = entry.imp.open(&data, &config, diags).await?;
        if diags.has_errors() {
            return None;
        }
        if !opened.result.is_wholly_known() {
            diags.push(Diagnostic::error(
                "Provider left values unknown",
                format!(
                    "{} returned unknown values from a known configuration. This is a bug in the provider; please report it.",
                    req.type_name
                ),
            ));
            return None;
        }
        let dv = convert::encode_dv(&opened.result, &entry.ty, "ephemeral result").map_err(|d| diags.push(d)).ok()?;
        Some((dv, opened.renew_at.map(prost_types::Timestamp::from), opened.private))
    }
}
