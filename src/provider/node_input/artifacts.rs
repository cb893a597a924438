//! The `kubernetes_artifacts` block: preinstalled binaries, a version
//! manifest, or files listed one by one.

use crate::bootstrap::artifacts::{self, parse_mode};
use crate::bootstrap::node::{Artifacts, KubernetesVersion, OperatingSystem, RemoteFile};
use crate::tfplugin::diag::AttrPath;

use super::{err, Reader};

impl Reader<'_> {
    pub(super) fn artifacts(&mut self, os: OperatingSystem, version: &KubernetesVersion) -> Option<Artifacts> {
        let a = self.config.get("kubernetes_artifacts");
        let at = AttrPath::attr("kubernetes_artifacts");
        match a.get("source").as_str().unwrap_or("preinstalled") {
            "manifest" => {
                let Some(url) = a.get("manifest_url").as_str() else {
                    err(
                        self.diags,
                        at.then_attr("manifest_url"),
                        "Missing manifest_url",
                        "source = \"manifest\" needs manifest_url.".into(),
                    );
                    return Some(Artifacts::Preinstalled);
                };
                if !self.fetch_manifest {
                    return Some(Artifacts::Remote(Vec::new()));
                }
                let prefetched = self.prefetched.and_then(|m| m.get(url)).cloned();
                let loaded = match prefetched {
                    Some(bytes) => artifacts::load_with(url, version, |_| bytes),
                    None => artifacts::load(url, version),
                };
                match loaded {
                    Ok(m) => Some(Artifacts::Remote(m.remote_files(url, os))),
                    Err(e) => {
                        err(self.diags, at.then_attr("manifest_url"), "Artifacts manifest unusable", format!("{e}. Publish a manifest for this version (see the provider docs for its format) or fix manifest_url."));
                        None
                    }
                }
            }
            "urls" => {
                let files = a.get("files").as_elements().unwrap_or_default();
                if files.is_empty() {
                    err(
                        self.diags,
                        at.clone().then_attr("files"),
                        "No artifact files",
                        "source = \"urls\" needs at least one files block.".into(),
                    );
                }
                let mut out = Vec::new();
                for (i, f) in files.iter().enumerate() {
                    let fpath = at.clone().then_attr("files").then_index(i);
                    let path = f.get("path").as_str().unwrap_or_default();
                    if !path.starts_with('/') {
                        err(
                            self.diags,
                            fpath.clone().then_attr("path"),
                            "Invalid artifact path",
                            format!("{path:?} must be absolute."),
                        );
                    }
                    let extract_to = f.get("extract_to").as_str().map(str::to_string);
                    out.push(RemoteFile {
                        path: path.to_string(),
                        url: f.get("url").as_str().unwrap_or_default().to_string(),
                        sha512: f.get("sha512").as_str().unwrap_or_default().to_ascii_lowercase(),
                        mode: f.get("mode").as_str().and_then(parse_mode).unwrap_or(if extract_to.is_some() {
                            0o644
                        } else {
                            0o755
                        }),
                        extract_to,
                    });
                }
                Some(Artifacts::Remote(out))
            }
            _ => Some(Artifacts::Preinstalled),
        }
    }
}
