//! The inputs of `kubeadm_ignition_config` (resource and data source): their
//! schema, and their translation into the domain's `NodeSpec` with
//! plan-time diagnostics that point at the attribute at fault.
//!
//! One module per block of the schema: [`schema`] declares them all;
//! `cluster` (with its components and networks), `node`, `credentials`
//! (`cluster_ca` and `bootstrap_token`), `artifacts`, `files` (with `users`
//! and `ntp`) and `patches` read them; `compat` and `capi_location` handle
//! `capi_manifests`; `checks` runs the checks that need no rendering.

use std::collections::BTreeMap;

use crate::bootstrap::artifacts::Unread;
use crate::bootstrap::node::{IgnitionVersion, NodeSpec, OperatingSystem, Role};
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::value::Value;

mod artifacts;
mod capi_location;
mod checks;
mod cluster;
mod compat;
mod components;
mod credentials;
mod files;
mod networks;
mod node;
mod patches;
mod rerender;
mod schema;
#[cfg(test)]
mod tests;

use compat::Compat;

pub use rerender::init_rerender_warning;
pub use schema::input_block;

/// The attributes of `kubeadm_cluster_ca` a node needs; passing the whole
/// resource object works (extra attributes are dropped by Terraform).
pub const CA_FIELDS: [&str; 9] = [
    "ca_cert_pem",
    "ca_key_pem",
    "front_proxy_ca_cert_pem",
    "front_proxy_ca_key_pem",
    "etcd_ca_cert_pem",
    "etcd_ca_key_pem",
    "service_account_public_key_pem",
    "service_account_private_key_pem",
    "ca_cert_hash",
];

/// The attributes of `kubeadm_bootstrap_token` a node needs.
pub const TOKEN_FIELDS: [&str; 5] = ["token", "expires_at", "description", "usages", "groups"];

/// The result of reading the inputs: a NodeSpec, or `None` when something is
/// still unknown (the plan then leaves rendered values unknown) or wrong
/// (errors are in the diagnostics).
pub struct Reader<'a> {
    pub config: &'a Value,
    pub diags: &'a mut Diagnostics,
    /// Fetch the artifacts manifest (plan and apply); validation skips it.
    pub fetch_manifest: bool,
    /// Manifests already read by the caller (once per process, `s3://` ones
    /// through the store's client): URL → bytes, or why they could not be
    /// read. A URL missing here is read on the spot.
    pub prefetched: Option<&'a BTreeMap<String, Result<Vec<u8>, Unread>>>,
}

/// How many problems of one list (files, manifest findings) are reported
/// one by one before the rest are only counted.
const MAX_REPORTED: usize = 20;

fn err(diags: &mut Diagnostics, path: AttrPath, summary: &str, detail: String) {
    diags.push(Diagnostic::error(summary, detail).at(path));
}

/// Moves the problems collected in `found` into `diags`: at most
/// [`MAX_REPORTED`] of them, then one error at `at` counting the rest.
fn report_bounded(diags: &mut Diagnostics, found: Diagnostics, at: AttrPath, summary: &str) {
    let hidden = found.0.len().saturating_sub(MAX_REPORTED);
    diags.0.extend(found.0.into_iter().take(MAX_REPORTED));
    if hidden > 0 {
        err(diags, at, summary, format!("{hidden} more problems like the ones above are not shown; fix those first."));
    }
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_string_map().unwrap_or_default()
}

fn string_vec(v: &Value) -> Vec<String> {
    v.as_string_vec().unwrap_or_default()
}

fn hcl_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// `base` (what the manifests give) with the HCL map `over` on top.
fn merged(base: &BTreeMap<String, String>, over: &Value) -> BTreeMap<String, String> {
    let mut out = base.clone();
    out.extend(string_map(over));
    out
}

impl Reader<'_> {
    /// Checks what can be checked without rendering (used by validation too).
    pub fn read(&mut self) -> Option<NodeSpec> {
        let c = self.config;
        let compat = self.compat();
        let checked = self.check_known(&compat);
        if !c.is_wholly_known() {
            // Wait for the rest.
            self.check_partial(checked.version.as_ref());
            return None;
        }
        let capi = match compat {
            Compat::Off => None,
            Compat::On(m) => Some(*m),
            Compat::Unknown | Compat::Unusable => return None,
        };
        // check_known reported a role or version that is missing or wrong.
        let (role, version) = (checked.role?, checked.version?);
        let resolved = capi.as_ref().map(|m| m.resolve(role, version.uses_v1beta4()));
        if let Some(r) = &resolved {
            self.findings(&r.findings);
        }
        let cluster = self.read_cluster(capi.as_ref(), &version)?;
        let (pki, ca_cert_hashes) = self.read_cluster_ca(role, resolved.as_ref());
        let bootstrap_token = self.read_bootstrap_token();
        let node = self.read_node(capi.as_ref(), resolved.as_ref());
        let os = OperatingSystem::parse(c.get("operating_system").as_str().unwrap_or("flatcar"))?;
        let ignition_version = IgnitionVersion::parse(c.get("ignition_version").as_str().unwrap_or("3.3.0"))?;
        let artifacts = self.artifacts(os, &version)?;
        let spec_of = capi.as_ref().map(|m| m.spec.clone()).unwrap_or_default();
        let files = self.read_files(&spec_of);
        let users = self.read_users(&spec_of);
        let mut additional_ignition = spec_of.additional_ignition.clone();
        additional_ignition.extend(string_vec(c.get("additional_ignition")));
        let spec = NodeSpec {
            role,
            cluster,
            pki,
            ca_cert_hashes,
            bootstrap_token,
            node,
            os,
            ignition_version,
            artifacts,
            files,
            pre_kubeadm_commands: c
                .get("pre_kubeadm_commands")
                .as_string_vec()
                .unwrap_or(spec_of.pre_kubeadm_commands.clone()),
            post_kubeadm_commands: c
                .get("post_kubeadm_commands")
                .as_string_vec()
                .unwrap_or(spec_of.post_kubeadm_commands.clone()),
            users,
            ntp_servers: self.read_ntp(&spec_of),
            additional_ignition,
            patches: self.read_patches(resolved.as_ref()),
        };
        (!self.diags.has_errors()).then_some(spec)
    }
}

/// What [`Reader::check_known`] made of the inputs, for the full read.
#[derive(Debug, Default)]
struct Checked {
    role: Option<Role>,
    version: Option<crate::bootstrap::node::KubernetesVersion>,
}
