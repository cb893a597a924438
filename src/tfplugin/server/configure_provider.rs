//! ConfigureProvider: builds the provider's shared data once per process (a
//! reattached process may be configured again; the newest wins).

use std::sync::atomic::Ordering;
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
        let write_only =
            convert::allows_write_only(req.client_capabilities.as_ref()) || knows_write_only(&req.terraform_version);
        self.write_only_client.store(write_only, Ordering::Relaxed);
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

/// Terraform 1.11 introduced write-only attributes.
fn knows_write_only(terraform_version: &str) -> bool {
    let mut parts = terraform_version.trim_start_matches('v').split(['.', '-']).map(|p| p.parse::<u64>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (1, 11),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_only_arrived_in_1_11() {
        for (v, want) in [
            ("1.0.3", false),
            ("1.10.5", false),
            ("1.11.0", true),
            ("1.15.5", true),
            ("2.0.0-alpha1", true),
            ("", false),
            ("x", false),
        ] {
            assert_eq!(super::knows_write_only(v), want, "{v}");
        }
    }
}
