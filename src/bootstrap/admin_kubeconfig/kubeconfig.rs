//! The kubeconfig text around a client certificate.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Serialize;

use super::{context_name, KubeconfigError, KubeconfigParts};
use crate::bootstrap::secret::Sensitive;

/// The kubeconfig document, with keys in the order kubectl writes them.
#[derive(Serialize)]
struct KubeconfigDoc<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    clusters: [NamedCluster<'a>; 1],
    contexts: [NamedContext<'a>; 1],
    #[serde(rename = "current-context")]
    current_context: String,
    kind: &'static str,
    preferences: BTreeMap<String, String>,
    users: [NamedUser<'a>; 1],
}

#[derive(Serialize)]
struct NamedCluster<'a> {
    cluster: ClusterEntry<'a>,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ClusterEntry<'a> {
    certificate_authority_data: String,
    server: &'a str,
}

#[derive(Serialize)]
struct NamedContext<'a> {
    context: ContextEntry<'a>,
    name: String,
}

#[derive(Serialize)]
struct ContextEntry<'a> {
    cluster: &'a str,
    user: &'a str,
}

/// Holds the key: no `Debug`.
#[derive(Serialize)]
struct NamedUser<'a> {
    name: &'a str,
    user: UserEntry,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct UserEntry {
    client_certificate_data: String,
    client_key_data: String,
}

/// The kubeconfig YAML for `parts`: one cluster, one user, one context,
/// selected; the PEM texts embedded as base64, as kubeadm does.
pub fn render(parts: &KubeconfigParts<'_>) -> Result<Sensitive<String>, KubeconfigError> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let context = context_name(parts.username, parts.cluster_name);
    let doc = KubeconfigDoc {
        api_version: "v1",
        clusters: [NamedCluster {
            cluster: ClusterEntry { certificate_authority_data: b64(parts.ca_cert_pem), server: parts.server },
            name: parts.cluster_name,
        }],
        contexts: [NamedContext {
            context: ContextEntry { cluster: parts.cluster_name, user: parts.username },
            name: context.clone(),
        }],
        current_context: context,
        kind: "Config",
        preferences: BTreeMap::new(),
        users: [NamedUser {
            name: parts.username,
            user: UserEntry {
                client_certificate_data: b64(parts.client_certificate_pem),
                client_key_data: b64(parts.client_key_pem.expose()),
            },
        }],
    };
    serde_yaml_ng::to_string(&doc)
        .map(Sensitive::new)
        .map_err(|_| KubeconfigError::Issue("the kubeconfig could not be written as YAML".into()))
}
