//! Rendering a node: reading its inputs (the artifacts manifest first) and
//! rendering its Ignition config.

use super::*;
use crate::bootstrap::artifacts::Unread;

/// A rendered node.
pub struct Rendered {
    pub json: String,
    pub sha512: String,
    pub kubeadm_yaml: String,
    pub warnings: Vec<String>,
}

pub(super) fn patch_path(document: &str) -> AttrPath {
    AttrPath::attr("kubeadm_config_patches").then_attr(document)
}

/// Renders a node, turning domain errors into diagnostics at the right attribute.
pub fn render(spec: &NodeSpec, diags: &mut Diagnostics) -> Option<Rendered> {
    let kubeadm_yaml = match kubeadm::render(spec) {
        Ok(y) => y,
        Err(e) => {
            let d = Diagnostic::error("Cannot build the kubeadm configuration", format!("{e}."));
            diags.push(match (e.patch_document(), e.input()) {
                (Some(doc), _) => d.at(patch_path(doc)),
                (None, Some((block, attr))) => d.at(AttrPath::attr(block).then_attr(attr)),
                _ => d,
            });
            return None;
        }
    };
    match ignition::render(spec, &kubeadm_yaml) {
        Ok(r) => {
            let sha512 = ignition::sha512_hex(r.json.as_bytes());
            Some(Rendered { json: r.json, sha512, kubeadm_yaml, warnings: r.warnings })
        }
        Err(e) => {
            let d = Diagnostic::error("Cannot render the Ignition config", format!("{e}."));
            diags.push(match (e.additional_index(), e.input().and_then(input_path)) {
                (Some(i), _) => d.at(AttrPath::attr("additional_ignition").then_index(i)),
                (None, Some(p)) => d.at(p),
                _ => d,
            });
            None
        }
    }
}

/// The attribute path of a renderer input name such as `files[2]`.
pub(super) fn input_path(what: &str) -> Option<AttrPath> {
    if what == "kubernetes_artifacts" {
        return Some(AttrPath::attr(what));
    }
    let (name, rest) = what.split_once('[')?;
    let index: usize = rest.strip_suffix(']')?.parse().ok()?;
    matches!(name, "files" | "users").then(|| AttrPath::attr(name).then_index(index))
}

/// Reads the artifacts manifest a node names before the inputs are read, so
/// reading them never blocks: once per provider process for all the nodes
/// that share it (see `manifest_cache`), `s3://` through the provider's S3
/// client, anything else on a blocking-I/O thread.
pub(super) async fn prefetch(config: &Value, data: Option<&ProviderData>) -> BTreeMap<String, Result<Vec<u8>, Unread>> {
    let mut out = BTreeMap::new();
    let a = config.get("kubernetes_artifacts");
    let Some(url) = a.get("manifest_url").as_str() else { return out };
    if a.get("source").as_str() != Some("manifest") {
        return out;
    }
    let got = match data {
        Some(d) => d.manifests.get(url, || read_manifest(url, Some(d))).await,
        None => read_manifest(url, None).await,
    };
    out.insert(url.to_string(), got);
    out
}

pub(super) async fn read_manifest(url: &str, data: Option<&ProviderData>) -> Result<Vec<u8>, Unread> {
    if url.starts_with("s3://") {
        return match data.and_then(|d| d.s3.as_ref()) {
            None => Err(Unread::Unreadable(
                "s3:// manifests are read with the provider's S3 store; configure store { s3 { ... } }".to_string(),
            )),
            Some(s3) => match s3.get_url(url, artifacts::MANIFEST_LIMIT).await {
                Ok(Some(bytes)) => Ok(bytes),
                Ok(None) => Err(Unread::Missing("NotFound".to_string())),
                Err(e) => Err(Unread::Unreadable(e.to_string())),
            },
        };
    }
    let owned = url.to_string();
    tokio::task::spawn_blocking(move || artifacts::fetch(&owned))
        .await
        .unwrap_or_else(|e| Err(Unread::Unreadable(format!("the read did not finish: {e}"))))
}

/// Reads and renders; `None` when inputs are unknown or wrong.
pub(super) async fn spec_and_render(
    config: &Value,
    data: Option<&ProviderData>,
    diags: &mut Diagnostics,
) -> Option<(NodeSpec, Rendered)> {
    let prefetched = prefetch(config, data).await;
    let spec = Reader { config, diags, fetch_manifest: true, prefetched: Some(&prefetched) }.read()?;
    let r = render(&spec, diags)?;
    Some((spec, r))
}
