//! ValidateProviderConfig: attribute validators plus the provider's own checks.
//! Runs in unconfigured processes; values may be unknown.

use super::{convert, Inner};
use crate::tfplugin::diag::{AttrPath, Diagnostics};
use crate::tfplugin::framework::Provider;
use crate::tfplugin::planning;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) async fn validate_provider_config(
        &self,
        req: pb::validate_provider_config::Request,
    ) -> pb::validate_provider_config::Response {
        let mut diags = Diagnostics::new();
        match convert::decode_dv(req.config.as_ref(), &self.provider_ty, "provider configuration") {
            Ok(config) => {
                planning::validate(&self.provider_schema.block, &config, &AttrPath::root(), &mut diags);
                self.provider.validate(&config, &mut diags);
            }
            Err(d) => diags.push(d),
        }
        pb::validate_provider_config::Response { diagnostics: convert::diags_to_pb(&diags) }
    }
}
