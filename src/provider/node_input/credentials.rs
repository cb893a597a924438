//! `cluster_ca` and `bootstrap_token`: the resources a node takes whole,
//! checked once known and read into the node's PKI, CA hashes and token.

use crate::bootstrap::capi;
use crate::bootstrap::node::{CaMaterial, ControlPlanePki, Role, TokenSpec};
use crate::bootstrap::secret::Sensitive;
use crate::bootstrap::token::BootstrapToken;
use crate::tfplugin::diag::AttrPath;

use super::{err, string_vec, Reader, CA_FIELDS};

impl Reader<'_> {
    /// `cluster_ca`: set, and once known complete for the role.
    pub(super) fn check_cluster_ca(&mut self, role: Option<Role>) {
        let ca = self.config.get("cluster_ca");
        if ca.is_null() {
            let detail = match role {
                Some(r) => format!(
                    "A {} node needs the cluster CA ({}); set cluster_ca = kubeadm_cluster_ca.<name>.",
                    r.as_str(),
                    if r.is_control_plane() { "its keys go to /etc/kubernetes/pki" } else { "joins pin its hash" }
                ),
                None => "Set cluster_ca = kubeadm_cluster_ca.<name>.".into(),
            };
            err(self.diags, AttrPath::attr("cluster_ca"), "Missing cluster_ca", detail);
        } else if ca.is_wholly_known() {
            let empty = |f: &&str| ca.get(f).as_str().is_none_or(str::is_empty);
            if role.is_some_and(Role::is_control_plane) {
                let missing: Vec<&str> = CA_FIELDS[..8].iter().copied().filter(empty).collect();
                if !missing.is_empty() {
                    err(
                        self.diags,
                        AttrPath::attr("cluster_ca"),
                        "Incomplete cluster_ca",
                        format!("A control-plane node needs every CA pair; missing: {}.", missing.join(", ")),
                    );
                }
            }
            if empty(&"ca_cert_hash") {
                err(
                    self.diags,
                    AttrPath::attr("cluster_ca"),
                    "Incomplete cluster_ca",
                    "cluster_ca has no ca_cert_hash; pass the whole kubeadm_cluster_ca resource.".into(),
                );
            }
        }
    }

    /// `bootstrap_token`, once known: a kubeadm token.
    pub(super) fn check_bootstrap_token(&mut self) {
        let tok = self.config.get("bootstrap_token");
        if !tok.is_null() && tok.is_wholly_known() {
            let token = tok.get("token").as_str().unwrap_or_default();
            if BootstrapToken::parse(token).is_err() {
                err(
                    self.diags,
                    AttrPath::attr("bootstrap_token"),
                    "Invalid bootstrap_token",
                    "bootstrap_token.token is not a kubeadm token; pass the whole kubeadm_bootstrap_token resource."
                        .into(),
                );
            }
        }
    }

    /// The control-plane PKI (control planes only) and the CA hashes joins
    /// pin: the CA's, then any other the manifests name.
    pub(super) fn read_cluster_ca(
        &self,
        role: Role,
        resolved: Option<&capi::Resolved>,
    ) -> (Option<ControlPlanePki>, Vec<String>) {
        // check_known reported a missing or incomplete CA.
        let ca = self.config.get("cluster_ca");
        let (pki, mut hashes) = if ca.is_null() {
            (None, Vec::new())
        } else {
            let s = |k: &str| ca.get(k).as_str().unwrap_or_default().to_string();
            let pki = role.is_control_plane().then(|| ControlPlanePki {
                ca: CaMaterial { cert_pem: s("ca_cert_pem"), key_pem: Sensitive::new(s("ca_key_pem")) },
                front_proxy_ca: CaMaterial {
                    cert_pem: s("front_proxy_ca_cert_pem"),
                    key_pem: Sensitive::new(s("front_proxy_ca_key_pem")),
                },
                etcd_ca: CaMaterial { cert_pem: s("etcd_ca_cert_pem"), key_pem: Sensitive::new(s("etcd_ca_key_pem")) },
                sa_public_pem: s("service_account_public_key_pem"),
                sa_private_pem: Sensitive::new(s("service_account_private_key_pem")),
            });
            (pki, vec![s("ca_cert_hash")])
        };
        if let Some(r) = resolved {
            for h in &r.node.ca_cert_hashes {
                if !hashes.contains(h) {
                    hashes.push(h.clone());
                }
            }
        }
        (pki, hashes)
    }

    /// The bootstrap token the node joins or founds the cluster with.
    pub(super) fn read_bootstrap_token(&self) -> TokenSpec {
        let tok = self.config.get("bootstrap_token");
        TokenSpec {
            token: Sensitive::new(tok.get("token").as_str().unwrap_or_default().to_string()),
            description: tok.get("description").as_str().map(str::to_string),
            expires: tok.get("expires_at").as_str().map(str::to_string),
            usages: string_vec(tok.get("usages")),
            groups: string_vec(tok.get("groups")),
        }
    }
}
