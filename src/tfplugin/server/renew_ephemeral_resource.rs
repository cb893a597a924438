//! RenewEphemeralResource: Terraform asks for more time on an open value at
//! the `renew_at` the last open or renew gave.

use super::{convert, Inner};
use crate::tfplugin::diag::Diagnostics;
use crate::tfplugin::framework::{Private, Provider};
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn renew_ephemeral_resource(
        &self,
        req: pb::renew_ephemeral_resource::Request,
    ) -> pb::renew_ephemeral_resource::Response {
        let mut diags = Diagnostics::new();
        let mut private = Private::from_bytes(req.private.as_deref().unwrap_or_default());
        let mut renew_at = None;
        match (self.ephemeral_resource(&req.type_name), self.configured()) {
            (Ok(entry), Ok(data)) => {
                renew_at = entry.imp.renew(&data, &mut private, &mut diags).await;
            }
            (Err(d), _) | (_, Err(d)) => diags.push(d),
        }
        // A failed renewal keeps the bytes Terraform holds.
        let private = if diags.has_errors() { req.private } else { Some(private.to_bytes()) };
        pb::renew_ephemeral_resource::Response {
            renew_at: renew_at.filter(|_| !diags.has_errors()).map(prost_types::Timestamp::from),
            private: private.filter(|b| !b.is_empty()),
            diagnostics: convert::diags_to_pb(&diags),
        }
    }
}
