//! The `kubeadm_config_patches` block: YAML merge patches onto the
//! generated kubeadm documents, composed onto the manifests' own.

use crate::bootstrap::capi;
use crate::bootstrap::node::KubeadmPatches;

use super::Reader;

impl Reader<'_> {
    /// Each document's patch: the manifests' with the HCL one on top.
    pub(super) fn read_patches(&self, resolved: Option<&capi::Resolved>) -> KubeadmPatches {
        let p = self.config.get("kubeadm_config_patches");
        let capi_patches = resolved.map(|r| r.patches.clone()).unwrap_or_default();
        let patch = |k: &str, from_capi: &Option<String>| {
            let hcl = p.get(k).as_str().map(str::to_string);
            match (from_capi, hcl) {
                (Some(a), Some(b)) => capi::compose_patches(a, &b).or(Some(b)),
                (a, b) => b.or(a.clone()),
            }
        };
        KubeadmPatches {
            cluster_configuration: patch("cluster_configuration", &capi_patches.cluster_configuration),
            init_configuration: patch("init_configuration", &capi_patches.init_configuration),
            join_configuration: patch("join_configuration", &capi_patches.join_configuration),
            kubelet_configuration: patch("kubelet_configuration", &None),
            kube_proxy_configuration: patch("kube_proxy_configuration", &None),
        }
    }
}
