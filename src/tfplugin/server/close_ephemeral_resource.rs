//! CloseEphemeralResource: Terraform is done with an open value (at the
//! latest when the run ends).

use super::{convert, Inner};
use crate::tfplugin::diag::Diagnostics;
use crate::tfplugin::framework::{Private, Provider};
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn close_ephemeral_resource(
        &self,
        req: pb::close_ephemeral_resource::Request,
    ) -> pb::close_ephemeral_resource::Response {
        let mut diags = Diagnostics::new();
        let private = Private::from_bytes(req.private.as_deref().unwrap_or_default());
        match (self.ephemeral_resource(&req.type_name), self.configured()) {
            (Ok(entry), Ok(data)) => entry.imp.close(&data, &private, &mut diags).await,
            (Err(d), _) | (_, Err(d)) => diags.push(d),
        }
        pb::close_ephemeral_resource::Response { diagnostics: convert::diags_to_pb(&diags) }
    }
}
