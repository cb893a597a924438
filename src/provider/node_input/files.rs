//! What Ignition writes besides kubeadm's own: the `files`, `users` and
//! `ntp` blocks, each over the manifests' entries (an HCL file or user
//! replaces the manifests' one with the same path or name).

use std::collections::BTreeSet;

use crate::bootstrap::artifacts::parse_mode;
use crate::bootstrap::capi;
use crate::bootstrap::node::{FileSpec, UserSpec};
use crate::bootstrap::secret::Sensitive;
use crate::tfplugin::diag::{AttrPath, Diagnostics};

use super::{err, hcl_str, report_bounded, string_vec, Reader};

impl Reader<'_> {
    /// The `files` blocks, checked (a bounded report); on partially known
    /// configurations only for their diagnostics.
    pub(super) fn hcl_files(&mut self) -> Vec<FileSpec> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut repeated = BTreeSet::new();
        // Collected apart, so thousands of broken entries give a bounded report.
        let mut found = Diagnostics::new();
        for (i, f) in self.config.get("files").as_elements().unwrap_or_default().iter().enumerate() {
            let at = AttrPath::attr("files").then_index(i);
            let Some(path) = f.get("path").as_str() else { continue };
            if !path.starts_with('/') || path.split('/').any(|s| s == "..") || path.ends_with('/') {
                err(
                    &mut found,
                    at.clone().then_attr("path"),
                    "Invalid file path",
                    format!("{path:?} must be an absolute file path without '..', e.g. \"/etc/foo.conf\"."),
                );
            } else if !seen.insert(path.to_string()) && repeated.insert(path.to_string()) {
                err(
                    &mut found,
                    at.clone().then_attr("path"),
                    "Duplicate file path",
                    format!("{path:?} is listed more than once in files."),
                );
            }
            let mode = f.get("mode").as_str().and_then(parse_mode).unwrap_or(0o644);
            if let Some(owner) = f.get("owner").as_str() {
                if owner.split(':').count() > 2 || owner.is_empty() {
                    err(
                        &mut found,
                        at.clone().then_attr("owner"),
                        "Invalid owner",
                        format!("{owner:?} is not user or user:group."),
                    );
                }
            }
            out.push(FileSpec {
                path: path.to_string(),
                content: Sensitive::new(f.get("content").as_str().unwrap_or_default().to_string()),
                mode,
                owner: f.get("owner").as_str().map(str::to_string),
                replace_generated: false,
            });
        }
        report_bounded(self.diags, found, AttrPath::attr("files"), "More problems in files");
        out
    }

    /// The manifests' files with the HCL ones on top.
    pub(super) fn read_files(&mut self, spec_of: &capi::ConfigSpec) -> Vec<FileSpec> {
        let mut files = spec_of.files.clone();
        for f in self.hcl_files() {
            files.retain(|x| x.path != f.path);
            files.push(f);
        }
        files
    }

    /// The manifests' users with the HCL ones on top.
    pub(super) fn read_users(&self, spec_of: &capi::ConfigSpec) -> Vec<UserSpec> {
        let mut users = spec_of.users.clone();
        for u in self.config.get("users").as_elements().unwrap_or_default() {
            let user = UserSpec {
                name: u.get("name").as_str().unwrap_or_default().to_string(),
                ssh_authorized_keys: string_vec(u.get("ssh_authorized_keys")),
                groups: string_vec(u.get("groups")),
                gecos: hcl_str(u.get("gecos")),
                home_dir: hcl_str(u.get("home_dir")),
                shell: hcl_str(u.get("shell")),
                primary_group: hcl_str(u.get("primary_group")),
                password_hash: hcl_str(u.get("password_hash")).map(Sensitive::new),
            };
            users.retain(|x| x.name != user.name);
            users.push(user);
        }
        users
    }

    /// The `ntp` block's servers, else the manifests'.
    pub(super) fn read_ntp(&self, spec_of: &capi::ConfigSpec) -> Vec<String> {
        let ntp = self.config.get("ntp");
        if ntp.is_null() {
            spec_of.ntp_servers.clone()
        } else {
            string_vec(ntp.get("servers"))
        }
    }
}
