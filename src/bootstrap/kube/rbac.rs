//! What to grant after a 403 Forbidden: the missing RBAC rule, then all the
//! data source needs.

/// The RBAC a reader needs, for error hints.
pub const RBAC_HINT: &str = "get and list on clusters, machines and machinedeployments (cluster.x-k8s.io), kubeadmconfigs and kubeadmconfigtemplates (bootstrap.cluster.x-k8s.io) and kubeadmcontrolplanes (controlplane.cluster.x-k8s.io), and get on the secrets the configs reference";

/// What to grant after a 403: the one permission that was missing, as an
/// RBAC rule, then everything the data source needs.
pub(super) fn forbidden_hint(verb: &str, resource: &str, namespace: Option<&str>) -> String {
    if resource.starts_with('/') {
        return format!(
            "Grant the identity get on the non-resource URL {resource} (Kubernetes grants API discovery to every authenticated user through the system:discovery ClusterRole, unless that binding was changed)."
        );
    }
    let (plural, group) = resource.split_once('.').unwrap_or((resource, ""));
    let group_name = if group.is_empty() { "the core API group".to_string() } else { format!("API group {group}") };
    let scope = namespace.map(|n| format!(" in namespace {n}")).unwrap_or_default();
    let binding = if namespace.is_some() {
        "a Role bound to it with a RoleBinding"
    } else {
        "a ClusterRole bound to it with a ClusterRoleBinding"
    };
    format!(
        "Grant the identity {verb} on {plural} ({group_name}){scope}: {binding}, with the rule apiGroups: [\"{group}\"], resources: [\"{plural}\"], verbs: [\"{verb}\"]. In all, the data source needs {RBAC_HINT}, in the cluster's namespace."
    )
}
