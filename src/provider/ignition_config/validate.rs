//! The checks of a node's inputs that need no store.

use super::*;

/// kubeadm's default lifetime of the leaf certificates it signs on a control
/// plane (`certificateValidityPeriod`), a year.
pub(super) const DEFAULT_CERTIFICATE_VALIDITY: GoDuration = GoDuration::from_secs(8760 * 3600);

/// Warns when a control plane would keep its kubeadm certificates past
/// their expiry: `replace_after` at or above `cluster.certificate_validity`
/// (kubeadm's default, a year, when it is not set).
pub(super) fn check_certificate_expiry(config: &Value, spec: Option<&NodeSpec>, diags: &mut Diagnostics) {
    let Some(replace_after) = parse_duration(config.get("replace_after")) else { return };
    let control_plane = match config.get("role").as_str().and_then(Role::parse) {
        Some(role) => role.is_control_plane(),
        None => spec.is_some_and(|s| s.role.is_control_plane()),
    };
    // The cluster block is one object; a list of one is read the same way.
    let cluster = config.get("cluster");
    let cluster = cluster.as_elements().and_then(|e| e.first()).unwrap_or(cluster);
    let validity = cluster.get("certificate_validity");
    if !control_plane || validity.is_unknown() {
        return;
    }
    let (validity, source) = match parse_duration(validity) {
        Some(v) => (v, "cluster.certificate_validity"),
        None => (DEFAULT_CERTIFICATE_VALIDITY, "kubeadm's default certificate validity"),
    };
    if replace_after >= validity {
        diags.push(
            Diagnostic::warning(
                "Certificates expire before the machine is replaced",
                format!(
                    "kubeadm signs a control plane's leaf certificates (API server, etcd, the kubeconfigs in /etc/kubernetes) for {} ({source}) when the machine boots, and replace_after = {} replaces it only after that: the control plane stops working in between. Choose a replace_after below {}, leaving time to roll every control plane, e.g. 8000h for a year.",
                    validity.format(),
                    replace_after.format(),
                    validity.format()
                ),
            )
            .at(AttrPath::attr("replace_after")),
        );
    }
}

/// The checks of a node's inputs that need no store, for the resource and
/// the data source (whose configuration has no `replace_after`).
pub(super) fn validate_node(config: &Value, diags: &mut Diagnostics) {
    let spec = Reader { config, diags, fetch_manifest: false, prefetched: None }.read();
    check_certificate_expiry(config, spec.as_ref(), diags);
    if let Some(spec) = spec {
        if let Err(e) = kubeadm::validate_patches(&spec) {
            let summary =
                if e.patch_document().is_some() { "Invalid kubeadm_config_patches" } else { "Invalid node settings" };
            let d = Diagnostic::error(summary, format!("{e}."));
            diags.push(match (e.patch_document(), e.input()) {
                (Some(doc), _) => d.at(patch_path(doc)),
                (None, Some((block, attr))) => d.at(AttrPath::attr(block).then_attr(attr)),
                _ => d,
            });
        }
        if spec.role == Role::Init && spec.cluster.control_plane_endpoint.is_empty() {
            diags.push(
                Diagnostic::warning(
                    "No control_plane_endpoint",
                    "Without cluster.control_plane_endpoint, kubeadm refuses to add control-plane nodes to this cluster later. Set it to the API load balancer's address.",
                )
                .at(AttrPath::attr("cluster").then_attr("control_plane_endpoint")),
            );
        }
    }
}
