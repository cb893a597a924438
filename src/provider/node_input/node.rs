//! The `node` block: labels and taints checked as the API server and the
//! kubelet check them, and the node's registration options, HCL over what
//! the manifests give.

use crate::bootstrap::capi;
use crate::bootstrap::node::{check_node_label, check_taint, NameFrom, NodeOptions, Taint};
use crate::tfplugin::diag::{AttrPath, Diagnostics};

use super::{err, merged, report_bounded, string_map, Reader};

impl Reader<'_> {
    /// Node labels and taints, as the API server and the kubelet check them.
    pub(super) fn check_node_registration(&mut self) {
        let n = self.config.get("node");
        if n.is_unknown() {
            return;
        }
        let at = AttrPath::attr("node");
        let labels = n.get("labels");
        let mut found = Diagnostics::new();
        for (k, v) in labels.as_entries().into_iter().flatten() {
            let Some(v) = v.as_str() else { continue };
            if let Err(why) = check_node_label(k, v) {
                err(&mut found, at.clone().then_attr("labels"), "Invalid node label", format!("{k:?} = {v:?}: {why}."));
            }
        }
        for (i, t) in n.get("taints").as_elements().unwrap_or_default().iter().enumerate() {
            let Some(key) = t.get("key").as_str() else { continue };
            let value = t.get("value");
            if value.is_unknown() {
                continue;
            }
            let path = at.clone().then_attr("taints").then_index(i);
            if let Err(why) = check_taint(key, None) {
                err(&mut found, path.then_attr("key"), "Invalid taint", format!("Taint key {key:?}: {why}."));
            } else if let Err(why) = check_taint(key, value.as_str()) {
                err(&mut found, path.then_attr("value"), "Invalid taint", format!("Taint {key:?}: {why}."));
            }
        }
        report_bounded(self.diags, found, at, "More problems in node");
    }

    /// The node's registration options: HCL over the manifests' node part.
    pub(super) fn read_node(&self, capi: Option<&capi::Manifests>, resolved: Option<&capi::Resolved>) -> NodeOptions {
        let n = self.config.get("node");
        let part = resolved.map(|r| r.node.clone()).unwrap_or_default();
        let name_from = match n.get("name_from").as_str() {
            Some("aws") => NameFrom::Aws,
            Some(_) => NameFrom::Hostname,
            None => part.name.name_from().unwrap_or(NameFrom::Hostname),
        };
        let hcl_taints = n.get("taints").as_elements().map(|ts| {
            ts.iter()
                .map(|t| Taint {
                    key: t.get("key").as_str().unwrap_or_default().to_string(),
                    value: t.get("value").as_str().map(str::to_string),
                    effect: t.get("effect").as_str().unwrap_or_default().to_string(),
                })
                .collect()
        });
        NodeOptions {
            name_from,
            labels: string_map(n.get("labels")),
            taints: hcl_taints.or(part.taints.clone()),
            kubelet_extra_args: merged(&part.kubelet_extra_args, n.get("kubelet_extra_args")),
            skip_phases: n.get("skip_phases").as_string_vec().unwrap_or(part.skip_phases.clone()),
            ignore_preflight_errors: n
                .get("ignore_preflight_errors")
                .as_string_vec()
                .unwrap_or(part.ignore_preflight_errors.clone()),
            kubeadm_verbosity: n
                .get("kubeadm_verbosity")
                .as_i64()
                .and_then(|v| u8::try_from(v).ok())
                .or(capi.and_then(|m| m.spec.verbosity)),
        }
    }
}
