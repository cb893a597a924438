//! Reading Nodes: their roles, their Ready condition, and the paged list.

use serde_json::Value as Json;

use crate::bootstrap::kube::{Access, Api, KubeError};

use super::*;

/// Strips control characters and shortens text from the cluster.
pub(super) fn quote(text: &str) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.chars().count() > MAX_QUOTE {
        format!("{}…", clean.chars().take(MAX_QUOTE).collect::<String>())
    } else {
        clean
    }
}

/// A Node object as [`Node`]; `None` for an item without a name.
pub fn node_of(item: &Json) -> Option<Node> {
    let name = item.pointer("/metadata/name").and_then(Json::as_str).filter(|n| !n.is_empty())?.to_string();
    let labels = item.get("metadata").and_then(|m| m.get("labels")).and_then(Json::as_object);
    let mut roles: Vec<String> = Vec::new();
    let mut control_plane = false;
    for (key, value) in labels.into_iter().flatten() {
        if key == CONTROL_PLANE_LABEL {
            control_plane = true;
        }
        if let Some(role) = key.strip_prefix(ROLE_LABEL_PREFIX).filter(|r| !r.is_empty()) {
            roles.push(quote(role));
        } else if key == LEGACY_ROLE_LABEL {
            if let Some(role) = value.as_str().filter(|r| !r.is_empty()) {
                roles.push(quote(role));
            }
        }
    }
    roles.sort();
    roles.dedup();
    let ready_condition = item
        .get("status")
        .and_then(|s| s.get("conditions"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Json::as_str) == Some("Ready"))
        .map(|c| Condition {
            status: quote(c.get("status").and_then(Json::as_str).unwrap_or("")),
            reason: quote(c.get("reason").and_then(Json::as_str).unwrap_or("")),
            message: quote(c.get("message").and_then(Json::as_str).unwrap_or("")),
        });
    Some(Node {
        name: quote(&name),
        roles,
        control_plane,
        ready: ready_condition.as_ref().is_some_and(|c| c.status == "True"),
        kubelet_version: quote(item.pointer("/status/nodeInfo/kubeletVersion").and_then(Json::as_str).unwrap_or("")),
        ready_condition,
    })
}

/// Lists every Node (page by page), sorted by name.
pub fn list_nodes(api: &dyn Api) -> Result<Vec<Node>, KubeError> {
    let access = Access { verb: "list", resource: "nodes".to_string(), namespace: None };
    let mut nodes = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let path = match &next {
            None => format!("/api/v1/nodes?limit={PAGE_SIZE}"),
            Some(token) => format!("/api/v1/nodes?limit={PAGE_SIZE}&continue={token}"),
        };
        let doc = api.get(&path, &access)?.ok_or_else(|| KubeError::Invalid {
            host: api.host().to_string(),
            path: path.clone(),
            reason: "the Node list is not served (404): this is not a Kubernetes API server".to_string(),
        })?;
        nodes.extend(doc.get("items").and_then(Json::as_array).into_iter().flatten().filter_map(node_of));
        next = match doc.pointer("/metadata/continue").and_then(Json::as_str).filter(|t| !t.is_empty()) {
            None => break,
            // Continue tokens are URL-safe base64; anything else would need
            // escaping and does not come from a Kubernetes API server.
            Some(t) if t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_=.".contains(&b)) => Some(t.to_string()),
            Some(_) => {
                return Err(KubeError::Invalid {
                    host: api.host().to_string(),
                    path,
                    reason: "the Node list's continue token holds characters a Kubernetes API server does not use"
                        .to_string(),
                })
            }
        };
    }
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(nodes)
}
