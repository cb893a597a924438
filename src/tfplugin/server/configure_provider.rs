//! ConfigureProvider: builds the provider's shared data once per process (a
//! reattached process may be configured again; the newest wins).

use std::sync::Arc;

use super::{convert, Inner};
use crate::tfplugin::diag::Diagnostics;
use crate::tfplugin::framework::Provider;
use crate::tfplugin::log;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn configure_provider(
        &self,
        req: pb::configure_provider::Request,
    ) -> pb::configure_provider::Response {
        let mut diags = Diagnostics::new();
        log::debug("configuring", &[("terraform_version", &req.terraform_version)]);
        match convert::decode_dv(req.config.as_ref(), &self.provider_ty, "provider configuration") {
            Ok(config) => {
                if let Some(data) = self.provider.configure(&config, &mut diags).await {
                    if !diags.has_errors() {
                        *self.data.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(data));
                    }
                }
            }
            Err(d) => diags.push(d),
        }
        pb::configure_provider::Response { diagnostics: convert::diags_to_pb(&diags) }
    }
}
