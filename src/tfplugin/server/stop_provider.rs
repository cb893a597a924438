//! StopProvider: Terraform's way of interrupting (Ctrl-C reaches Terraform,
//! which asks the provider to stop). Our operations are short and each one
//! leaves a consistent result, so we let in-flight calls finish; the
//! provider hears of the stop, so that calls which wait on something
//! outside end their wait early.

use super::Inner;
use crate::tfplugin::framework::Provider;
use crate::tfplugin::log;
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: Provider> Inner<P> {
    pub(super) fn stop_provider(&self) -> pb::stop_provider::Response {
        log::info("stop requested by Terraform; letting in-flight operations finish", &[]);
        self.provider.stop();
        pb::stop_provider::Response::default()
    }
}
