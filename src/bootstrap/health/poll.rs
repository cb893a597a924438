//! One poll: the readiness endpoint, `/version` and the Nodes, and which
//! errors waiting cannot fix.

use serde_json::Value as Json;

use crate::bootstrap::kube::{Access, Api, KubeError};

use super::*;

/// How a health endpoint answered.
enum Probe {
    Ok,
    NotFound,
    NotOk(String),
    Failed(KubeError),
}

/// The failing checks of a `/readyz` or `/healthz` answer (`[-]etcd failed:
/// reason withheld`), or the answer itself when it lists none.
pub(super) fn failing_checks(status: u16, body: &str) -> String {
    let failing: Vec<String> = body
        .split("[-]")
        .skip(1)
        .map(|rest| {
            let check = rest.split("[+]").next().unwrap_or(rest).trim_end();
            let check = check
                .strip_suffix("readyz check failed")
                .or_else(|| check.strip_suffix("healthz check failed"))
                .unwrap_or(check);
            quote(check)
        })
        .filter(|c| !c.is_empty())
        .collect();
    if failing.is_empty() {
        format!("answered {status}: {}", quote(body))
    } else {
        format!("answered {status}, failing checks: {}", failing.join("; "))
    }
}

/// GETs a health endpoint. They answer plain text (`ok`), which the JSON
/// client reports as a body that is not JSON: on those paths that means a
/// 200 answer.
fn probe(api: &dyn Api, path: &str) -> Probe {
    let access = Access { verb: "get", resource: path.to_string(), namespace: None };
    match api.get(path, &access) {
        Ok(Some(_)) | Err(KubeError::Invalid { .. }) => Probe::Ok,
        Ok(None) => Probe::NotFound,
        Err(KubeError::Status { status, message, .. }) if status >= 500 || status == 429 => {
            Probe::NotOk(failing_checks(status, &message))
        }
        Err(e) => Probe::Failed(e),
    }
}

/// The server's `gitVersion` from `/version`.
fn version(api: &dyn Api) -> Result<String, KubeError> {
    let invalid = |reason: &str| KubeError::Invalid {
        host: api.host().to_string(),
        path: "/version".to_string(),
        reason: reason.to_string(),
    };
    let access = Access { verb: "get", resource: "/version".to_string(), namespace: None };
    let doc = api
        .get("/version", &access)?
        .ok_or_else(|| invalid("/version is not served (404): this is not a Kubernetes API server"))?;
    doc.get("gitVersion")
        .and_then(Json::as_str)
        .filter(|v| !v.is_empty())
        .map(quote)
        .ok_or_else(|| invalid("it has no gitVersion"))
}

/// One look at the cluster: readiness, then the version, then (once ready) the Nodes.
pub fn poll(api: &dyn Api) -> Seen {
    let mut seen = Seen::default();
    let mut path = "/readyz";
    let mut answer = probe(api, path);
    if matches!(answer, Probe::NotFound) {
        // Servers before Kubernetes 1.16 have no /readyz.
        path = "/healthz";
        answer = probe(api, path);
    }
    match answer {
        Probe::Ok => seen.readiness = Readiness::Ready,
        Probe::NotOk(detail) => seen.readiness = Readiness::NotReady { path: path.to_string(), detail },
        Probe::NotFound => {
            seen.error = Some(KubeError::Invalid {
                host: api.host().to_string(),
                path: path.to_string(),
                reason: "neither /readyz nor /healthz is served (404): this is not a Kubernetes API server".to_string(),
            });
            return seen;
        }
        Probe::Failed(e) => {
            seen.error = Some(e);
            return seen;
        }
    }
    match version(api) {
        Ok(v) => seen.version = Some(v),
        Err(e) => {
            seen.error = Some(e);
            return seen;
        }
    }
    // A server that is not ready may answer a partial list; wait for it first.
    if seen.readiness != Readiness::Ready {
        return seen;
    }
    match list_nodes(api) {
        Ok(nodes) => seen.nodes = Some(nodes),
        Err(e) => seen.error = Some(e),
    }
    seen
}

/// Whether waiting cannot fix `e`.
pub fn is_permanent(e: &KubeError) -> bool {
    match e {
        KubeError::Connect { .. } | KubeError::Timeout { .. } => false,
        // 410: a continue token expired between two pages.
        KubeError::Status { status, .. } => !(*status >= 500 || *status == 429 || *status == 410),
        KubeError::Setting { .. }
        | KubeError::Unauthorized { .. }
        | KubeError::Forbidden { .. }
        | KubeError::NotInstalled { .. }
        | KubeError::ClusterNotFound { .. }
        | KubeError::Tls { .. }
        | KubeError::Invalid { .. } => true,
    }
}
