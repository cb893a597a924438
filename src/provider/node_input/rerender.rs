//! The plan warning for an init config rendered again.

use crate::bootstrap::node::{NodeSpec, Role};
use crate::tfplugin::diag::{AttrPath, Diagnostic};

/// The plan warning for an init node without `control_plane_endpoint`
/// whose config is rendered anew while an earlier one exists (a prior state,
/// and the plan changes the stored object). With an endpoint, a machine that
/// boots the init config joins the cluster when it answers there, as the
/// day-2 guide describes; without one, nothing can be joined and every
/// machine that boots it founds a new cluster. `None` for other nodes. The
/// resource's plan attaches it when `rendered_sha512` changes against the
/// prior state.
pub fn init_rerender_warning(spec: &NodeSpec) -> Option<Diagnostic> {
    if spec.role != Role::Init || !spec.cluster.control_plane_endpoint.is_empty() {
        return None;
    }
    Some(
        Diagnostic::warning(
            "Init config rendered again",
            "This init config has no control_plane_endpoint, so a machine that boots it always runs kubeadm init and founds a new, empty cluster: there is no address at which it could find the running one and join it. Set cluster.control_plane_endpoint (a load balancer or DNS name in front of the control planes) so that a replacement of the first control plane joins, or boot replacements from a role = \"control-plane\" config.",
        )
        .at(AttrPath::attr("cluster").then_attr("control_plane_endpoint")),
    )
}
