//! The checks that run before anything is rendered, on partially known
//! configurations too: the role here, the rest in the module of its block.

use crate::bootstrap::node::{KubernetesVersion, OperatingSystem, Role};
use crate::tfplugin::diag::AttrPath;

use super::compat::Compat;
use super::{err, Checked, Reader};

impl Reader<'_> {
    /// Checks every input that is known on its own, whatever else is still
    /// unknown: on the first plan of a new cluster the CA and the token are
    /// unknown, and what kubeadm would refuse must still fail there. The one
    /// place these checks run, for partial and fully known configurations
    /// alike (validation, plan, apply).
    pub(super) fn check_known(&mut self, compat: &Compat) -> Checked {
        let role = self.check_role(compat);
        let version = self.check_cluster(compat, role);
        self.check_node_registration();
        // The CA and the token, when they are known.
        self.check_cluster_ca(role);
        self.check_bootstrap_token();
        Checked { role, version }
    }

    /// The role: HCL (its validator reports bad names), or inferred.
    fn check_role(&mut self, compat: &Compat) -> Option<Role> {
        let role = self.config.get("role");
        if !role.is_null() {
            return role.as_str().and_then(Role::parse);
        }
        match compat {
            Compat::On(m) => match m.inferred_role() {
                Ok(r) => return Some(r),
                Err(why) => err(
                    self.diags,
                    AttrPath::attr("role"),
                    "Cannot infer the node's role",
                    format!("{why}. Set role = \"init\", \"control-plane\" or \"worker\"."),
                ),
            },
            Compat::Off => err(
                self.diags,
                AttrPath::attr("role"),
                "Missing role",
                "Set role = \"init\", \"control-plane\" or \"worker\" (or give capi_manifests to infer it).".into(),
            ),
            Compat::Unknown | Compat::Unusable => {}
        }
        None
    }

    /// What else can be checked on partially known configurations: files,
    /// and the artifacts (a missing manifest is a plan error even while the
    /// CA and the token are still unknown).
    pub(super) fn check_partial(&mut self, version: Option<&KubernetesVersion>) {
        let c = self.config;
        self.hcl_files();
        let os =
            c.get("operating_system").as_str().and_then(OperatingSystem::parse).unwrap_or(OperatingSystem::Flatcar);
        if let Some(version) = version {
            if c.get("kubernetes_artifacts").is_wholly_known() {
                self.artifacts(os, version);
            }
        }
    }
}
