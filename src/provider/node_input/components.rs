//! The control-plane components of the `cluster` block (`api_server`,
//! `controller_manager`, `scheduler`, `etcd`): HCL over what the manifests
//! give, extra flags merged key by key.

use crate::bootstrap::node::{ApiServerSpec, ComponentSpec, EtcdSpec};
use crate::tfplugin::value::Value;

use super::{hcl_str, merged};

/// `cluster.api_server` over `base`.
pub(super) fn api_server(api: &Value, base: &ApiServerSpec) -> ApiServerSpec {
    ApiServerSpec {
        extra_args: merged(&base.extra_args, api.get("extra_args")),
        cert_sans: api.get("cert_sans").as_string_vec().unwrap_or(base.cert_sans.clone()),
    }
}

/// `cluster.controller_manager` or `cluster.scheduler` over `base`.
pub(super) fn component(block: &Value, base: &ComponentSpec) -> ComponentSpec {
    ComponentSpec { extra_args: merged(&base.extra_args, block.get("extra_args")) }
}

/// `cluster.etcd` over `base`.
pub(super) fn etcd(block: &Value, base: &EtcdSpec) -> EtcdSpec {
    EtcdSpec {
        extra_args: merged(&base.extra_args, block.get("extra_args")),
        data_dir: hcl_str(block.get("data_dir")).or(base.data_dir.clone()),
    }
}
