//! Waiting until a Kubernetes cluster is as healthy as asked: the API server
//! answers its readiness endpoint (`/readyz`, or `/healthz` on servers without
//! it) and `/version`, and enough Nodes are Ready, counted apart for the
//! control plane (Nodes labelled `node-role.kubernetes.io/control-plane`) and
//! the workers (the others).
//!
//! The wait polls until that holds or its timeout passes, then fails with
//! what is still missing and the last state seen: each Node with its roles
//! and its Ready condition, or the API error last seen. Errors that waiting
//! cannot fix (credentials refused, a TLS verification failure, a missing
//! permission, a server that is not a Kubernetes API server) end it at once;
//! refused connections, timeouts and 5xx answers are retried.
//!
//! The evaluation works on the [`Api`] trait and a [`Clock`], so it is tested
//! without a network or real time. [`check`] is the blocking whole: it
//! resolves the connection settings, bounds each request by the wait's
//! deadline and stops when its cancel flag is set.
//!
//! Text that comes from the cluster (condition messages, error bodies) is
//! stripped of control characters and shortened before it is shown.
//!
//! This module is plain domain code: it must not depend on the Terraform
//! plugin protocol, its RPC and wire-format crates, or the provider glue.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::kube::{self, Access, Api, Client, KubeError, Settings};

/// The label that makes a Node a control-plane Node.
pub const CONTROL_PLANE_LABEL: &str = "node-role.kubernetes.io/control-plane";
/// Labels `node-role.kubernetes.io/<role>` give a Node its roles (as `kubectl get nodes` shows them).
const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";
/// The older label holding a role as its value.
const LEGACY_ROLE_LABEL: &str = "kubernetes.io/role";

/// The permission the node list needs, for error hints.
pub const NODES_RBAC_HINT: &str = "list on nodes at cluster scope (a ClusterRole with verb `list` on resource `nodes`, bound with a ClusterRoleBinding), for example `kubectl create clusterrole node-reader --verb=list --resource=nodes` and `kubectl create clusterrolebinding node-reader --clusterrole=node-reader --user=NAME`";

/// How long after the API server first answered ready a 403 on the node
/// list is still retried, when this wait saw the server come up: kubeadm
/// binds its admin group (`kubeadm:cluster-admins`) to cluster-admin only
/// after the API server is up, so an admin kubeconfig is refused for a
/// moment on a brand-new cluster.
pub const FORBIDDEN_GRACE: Duration = Duration::from_secs(60);
/// The longest one request may take (a hung connection must not eat the wait).
const REQUEST_LIMIT: Duration = Duration::from_secs(30);
/// How long the last poll, started at the deadline, may run past it.
const DEADLINE_GRACE: Duration = Duration::from_secs(5);
/// How often a blocked request or a sleep looks at the cancel flag.
const CANCEL_CHECK: Duration = Duration::from_millis(100);
/// Nodes per page of the node list.
const PAGE_SIZE: u32 = 500;
/// Most pages read in one poll (500 000 Nodes, far beyond any cluster).
const MAX_PAGES: usize = 1000;
/// Longest text quoted from the cluster, in characters.
const MAX_QUOTE: usize = 300;
/// Most Nodes listed in an error message.
const MAX_NODES_SHOWN: usize = 50;

// ---------------------------------------------------------------------------
// What is asked and what is seen

/// How many Ready Nodes of each kind to wait for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Want {
    /// Ready Nodes with the control-plane label.
    pub control_plane_nodes: u64,
    /// Ready Nodes without it.
    pub worker_nodes: u64,
}

/// The wait's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitFor {
    pub want: Want,
    /// How long to wait in all.
    pub timeout: Duration,
    /// The pause between two polls.
    pub poll_interval: Duration,
}

/// A Node's Ready condition as the kubelet last reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    /// `True`, `False` or `Unknown`.
    pub status: String,
    pub reason: String,
    pub message: String,
}

/// One Node, as far as health goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    /// From the `node-role.kubernetes.io/<role>` labels (and the older
    /// `kubernetes.io/role`), sorted.
    pub roles: Vec<String>,
    /// Whether the Node has the control-plane label.
    pub control_plane: bool,
    /// Whether its Ready condition is `True`.
    pub ready: bool,
    /// `status.nodeInfo.kubeletVersion`, empty when not reported yet.
    pub kubelet_version: String,
    /// The Ready condition, `None` before the kubelet reported one.
    pub ready_condition: Option<Condition>,
}

/// How the API server answered its readiness endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Readiness {
    /// No answer (the error is in [`Seen::error`]).
    #[default]
    NoAnswer,
    /// It answered, not ready: the endpoint and what it said.
    NotReady {
        path: String,
        detail: String,
    },
    Ready,
}

/// What one poll saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub readiness: Readiness,
    /// `gitVersion` from `/version`.
    pub version: Option<String>,
    /// The Nodes, sorted by name; `None` when they were not listed.
    pub nodes: Option<Vec<Node>>,
    /// The API error that cut the poll short.
    pub error: Option<KubeError>,
}

/// A healthy cluster, as the last poll saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The server that was asked.
    pub host: String,
    /// `gitVersion` from `/version`.
    pub api_server_version: String,
    /// Every Node, sorted by name.
    pub nodes: Vec<Node>,
    /// How many polls it took.
    pub polls: u32,
}

/// The state a failed wait ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub host: String,
    pub timeout: Duration,
    /// How long the wait ran.
    pub waited: Duration,
    pub polls: u32,
    /// What the last poll found missing.
    pub missing: Vec<String>,
    /// The API server version last seen.
    pub api_server_version: Option<String>,
    /// The Nodes last listed.
    pub nodes: Option<Vec<Node>>,
    /// The API error of the last poll, if it had one.
    pub last_error: Option<KubeError>,
}

/// Why a wait failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthError {
    /// An error waiting cannot fix, or a bad connection setting.
    #[error(transparent)]
    Kube(#[from] KubeError),
    /// The timeout passed first.
    #[error("{}", .0.render("was not as healthy as asked within", .0.timeout))]
    TimedOut(Box<Report>),
    /// The wait was stopped from outside before the cluster was healthy.
    #[error("{}", .0.render("was not healthy yet when the wait was stopped, after", .0.waited))]
    Cancelled(Box<Report>),
}

impl HealthError {
    /// A short title for the problem.
    pub fn summary(&self) -> &'static str {
        match self {
            HealthError::Kube(e) => e.summary(),
            HealthError::TimedOut(_) => "Cluster not healthy in time",
            HealthError::Cancelled(_) => "Waiting for the cluster stopped",
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            HealthError::Kube(KubeError::Forbidden { resource, .. }) if resource == "nodes" => {
                format!("The identity must be allowed to list nodes: grant it {NODES_RBAC_HINT}.")
            }
            HealthError::Kube(KubeError::Forbidden { resource, .. }) => format!(
                "The identity must be allowed to get the non-resource URL {resource} (Kubernetes grants it to everyone through the system:public-info-viewer ClusterRole unless that binding was changed)."
            ),
            HealthError::Kube(e) => e.hint(),
            HealthError::TimedOut(r) => match (&r.nodes, &r.last_error) {
                (Some(nodes), _) if !nodes.is_empty() => "Look at the Nodes above (`kubectl describe node NAME` tells more), then raise timeout or lower the counts in wait_for if the cluster needs longer or has fewer Nodes.".to_string(),
                (_, Some(e)) => format!("{} Raise timeout if the cluster needs longer to come up.", e.hint()),
                _ => "Raise timeout if the cluster needs longer to come up, or lower the counts in wait_for.".to_string(),
            },
            HealthError::Cancelled(_) => String::new(),
        }
    }

    /// The connection setting the problem is about, when there is one.
    pub fn setting_name(&self) -> Option<&'static str> {
        match self {
            HealthError::Kube(e) => e.setting_name(),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Reading Nodes

/// Strips control characters and shortens text from the cluster.
fn quote(text: &str) -> String {
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

// ---------------------------------------------------------------------------
// One poll

/// How a health endpoint answered.
enum Probe {
    Ok,
    NotFound,
    NotOk(String),
    Failed(KubeError),
}

/// The failing checks of a `/readyz` or `/healthz` answer (`[-]etcd failed:
/// reason withheld`), or the answer itself when it lists none.
fn failing_checks(status: u16, body: &str) -> String {
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

/// `<line>` for one Node in messages.
fn describe_node(n: &Node) -> String {
    let roles = if n.roles.is_empty() { "none".to_string() } else { n.roles.join(", ") };
    let ready = match &n.ready_condition {
        None => "no Ready condition reported yet".to_string(),
        Some(c) => {
            let mut s = format!("Ready={}", if c.status.is_empty() { "?" } else { &c.status });
            match (c.reason.is_empty(), c.message.is_empty()) {
                (false, false) => s.push_str(&format!(" ({}: {})", c.reason, c.message)),
                (false, true) => s.push_str(&format!(" ({})", c.reason)),
                (true, false) => s.push_str(&format!(" ({})", c.message)),
                (true, true) => {}
            }
            s
        }
    };
    let kubelet = if n.kubelet_version.is_empty() { String::new() } else { format!(", kubelet {}", n.kubelet_version) };
    format!("{} [roles: {roles}] {ready}{kubelet}", n.name)
}

/// One kind's count, with the Nodes of that kind that are not Ready.
fn count_missing(kind: &str, want: u64, nodes: &[&Node]) -> Option<String> {
    let ready = nodes.iter().filter(|n| n.ready).count() as u64;
    if ready >= want {
        return None;
    }
    let not_ready: Vec<String> = nodes
        .iter()
        .filter(|n| !n.ready)
        .take(MAX_NODES_SHOWN)
        .map(|n| match n.ready_condition.as_ref().filter(|c| !c.reason.is_empty()) {
            Some(c) => format!("{} ({})", n.name, c.reason),
            None => n.name.clone(),
        })
        .collect();
    let others = if not_ready.is_empty() {
        format!("no other {kind} Node is registered")
    } else {
        format!("not Ready: {}", not_ready.join(", "))
    };
    Some(format!("Ready {kind} Nodes: {ready} of {want} ({others})"))
}

/// What `seen` lacks for `want`; empty when the cluster is as healthy as asked.
pub fn missing(seen: &Seen, want: &Want) -> Vec<String> {
    match &seen.readiness {
        Readiness::NoAnswer => return vec!["an answer from the API server".to_string()],
        Readiness::NotReady { path, detail } => {
            return vec![format!("a ready API server ({path} {detail})")];
        }
        Readiness::Ready => {}
    }
    let mut out = Vec::new();
    if seen.version.is_none() {
        out.push("the API server's version (/version)".to_string());
    }
    match &seen.nodes {
        None => out.push("the Node list".to_string()),
        Some(nodes) => {
            let (cp, workers): (Vec<&Node>, Vec<&Node>) = nodes.iter().partition(|n| n.control_plane);
            out.extend(count_missing("control-plane", want.control_plane_nodes, &cp));
            out.extend(count_missing("worker", want.worker_nodes, &workers));
        }
    }
    out
}

impl Report {
    /// The message of a failed wait: `<host> <what> <time>` (whole
    /// seconds), what is missing and what was seen last.
    fn render(&self, what: &str, time: Duration) -> String {
        let secs = GoDuration::checked_from_secs(i64::try_from(time.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(GoDuration::from_nanos(i64::MAX));
        let mut s = format!(
            "the cluster at {} {what} {} ({} poll{})",
            self.host,
            secs.format(),
            self.polls,
            if self.polls == 1 { "" } else { "s" }
        );
        s.push_str("\n\nStill missing:");
        for m in &self.missing {
            s.push_str(&format!("\n  - {m}"));
        }
        if let Some(v) = &self.api_server_version {
            s.push_str(&format!("\n\nAPI server version: {v}"));
        }
        match &self.nodes {
            Some(nodes) if nodes.is_empty() => s.push_str("\n\nNodes last seen: none registered"),
            Some(nodes) => {
                s.push_str("\n\nNodes last seen:");
                for n in nodes.iter().take(MAX_NODES_SHOWN) {
                    s.push_str(&format!("\n  - {}", describe_node(n)));
                }
                if nodes.len() > MAX_NODES_SHOWN {
                    s.push_str(&format!("\n  - … and {} more", nodes.len() - MAX_NODES_SHOWN));
                }
            }
            None => s.push_str("\n\nNodes last seen: not listed yet"),
        }
        if let Some(e) = &self.last_error {
            s.push_str(&format!("\n\nLast API error: {e}"));
        }
        s
    }
}

// ---------------------------------------------------------------------------
// The wait

/// Time as the wait sees it, injected so tests run without sleeping.
pub trait Clock {
    /// Time since the wait started.
    fn elapsed(&self) -> Duration;
    /// Pauses for `d`, or less when the wait is cancelled.
    fn sleep(&self, d: Duration);
    /// Whether the wait should stop.
    fn cancelled(&self) -> bool;
}

/// Real time, with a cancel flag another thread may set.
pub struct RealClock {
    start: Instant,
    cancel: Arc<AtomicBool>,
}

impl RealClock {
    pub fn new(cancel: Arc<AtomicBool>) -> RealClock {
        RealClock { start: Instant::now(), cancel }
    }
}

impl Clock for RealClock {
    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.cancelled() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(CANCEL_CHECK));
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// What each poll that found the cluster lacking reports.
#[derive(Debug)]
pub struct Progress<'a> {
    pub host: &'a str,
    /// 1 for the first poll.
    pub attempt: u32,
    pub elapsed: Duration,
    pub missing: &'a [String],
    /// The API error of this poll, if it had one (retried).
    pub error: Option<&'a KubeError>,
}

/// Polls `api` until the cluster is as healthy as `wait` asks, the timeout
/// passes, an error waiting cannot fix comes up, or `clock` is cancelled.
/// `progress` hears about every poll that found something missing.
pub fn wait(
    api: &dyn Api,
    wait: &WaitFor,
    clock: &dyn Clock,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Health, HealthError> {
    let host = api.host().to_string();
    let mut polls = 0u32;
    // Whether this wait saw the API server come up (see FORBIDDEN_GRACE).
    let mut saw_it_come_up = false;
    let mut ready_since: Option<Duration> = None;
    let mut last_version: Option<String> = None;
    let mut last_nodes: Option<Vec<Node>> = None;
    loop {
        polls = polls.saturating_add(1);
        let seen = poll(api);
        let now = clock.elapsed();
        if seen.readiness == Readiness::Ready {
            ready_since.get_or_insert(now);
        } else if polls == 1 {
            saw_it_come_up = true;
        }
        if let Some(e) = &seen.error {
            let in_grace = saw_it_come_up
                && matches!(e, KubeError::Forbidden { .. })
                && ready_since.is_some_and(|t| now.saturating_sub(t) < FORBIDDEN_GRACE);
            if is_permanent(e) && !in_grace {
                return Err(HealthError::Kube(e.clone()));
            }
        }
        if seen.version.is_some() {
            last_version.clone_from(&seen.version);
        }
        if seen.nodes.is_some() {
            last_nodes.clone_from(&seen.nodes);
        }
        let lacking = missing(&seen, &wait.want);
        if lacking.is_empty() {
            return Ok(Health {
                host,
                api_server_version: seen.version.unwrap_or_default(),
                nodes: seen.nodes.unwrap_or_default(),
                polls,
            });
        }
        progress(&Progress {
            host: &host,
            attempt: polls,
            elapsed: now,
            missing: &lacking,
            error: seen.error.as_ref(),
        });
        let report = |seen: Seen, lacking: Vec<String>, waited: Duration| {
            Box::new(Report {
                host: host.clone(),
                timeout: wait.timeout,
                waited,
                polls,
                missing: lacking,
                api_server_version: last_version.clone(),
                nodes: last_nodes.clone(),
                last_error: seen.error,
            })
        };
        if now >= wait.timeout {
            return Err(HealthError::TimedOut(report(seen, lacking, now)));
        }
        if clock.cancelled() {
            return Err(HealthError::Cancelled(report(seen, lacking, now)));
        }
        // The last poll runs at the deadline itself.
        clock.sleep(wait.poll_interval.min(wait.timeout - now));
        if clock.cancelled() {
            return Err(HealthError::Cancelled(report(seen, lacking, clock.elapsed())));
        }
    }
}

/// Runs each request of a shared client on a thread of its own, so the wait
/// can give up on it at the deadline or when cancelled instead of blocking
/// for the client's own (longer) request timeout. A request given up on
/// ends by itself within that timeout.
struct Bounded {
    inner: Arc<dyn Api + Send + Sync>,
    /// When requests must have answered; `None` when too far to represent.
    deadline: Option<Instant>,
    cancel: Arc<AtomicBool>,
}

impl Api for Bounded {
    fn host(&self) -> &str {
        self.inner.host()
    }

    fn get(&self, path: &str, access: &Access) -> Result<Option<Json>, KubeError> {
        let host = self.inner.host().to_string();
        let limit = Instant::now().checked_add(REQUEST_LIMIT);
        let until = match (limit, self.deadline) {
            (Some(l), Some(d)) => l.min(d),
            (l, d) => l.or(d).unwrap_or_else(Instant::now),
        };
        let (tx, rx) = mpsc::channel();
        let inner = Arc::clone(&self.inner);
        let (p, a) = (path.to_string(), access.clone());
        std::thread::Builder::new()
            .name("cluster-health-request".to_string())
            .spawn(move || {
                // The receiver may have given up; nothing to do then.
                let _ = tx.send(inner.get(&p, &a));
            })
            .map_err(|e| KubeError::Connect { host: host.clone(), reason: format!("cannot start a request: {e}") })?;
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(KubeError::Timeout { host, reason: format!("GET {path} abandoned: the wait was stopped") });
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(KubeError::Timeout { host, reason: format!("no answer to GET {path} in time") });
            }
            match rx.recv_timeout(left.min(CANCEL_CHECK)) {
                Ok(answer) => return answer,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(KubeError::Connect { host, reason: format!("GET {path} stopped without an answer") })
                }
            }
        }
    }
}

/// A successful check and the warnings found on the way.
#[derive(Debug)]
pub struct Checked {
    pub health: Health,
    pub warnings: Vec<String>,
}

/// Resolves the settings, connects and waits, blocking; stops soon after
/// `cancel` is set. Warnings come from resolving the connection.
pub fn check(
    settings: &Settings,
    wait_for: &WaitFor,
    cancel: Arc<AtomicBool>,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Checked, HealthError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let resolved = kube::resolve(settings, home.as_deref())?;
    let client = Client::new(&resolved.connection)?;
    let clock = RealClock::new(Arc::clone(&cancel));
    let deadline = clock.start.checked_add(wait_for.timeout).and_then(|d| d.checked_add(DEADLINE_GRACE));
    let api = Bounded { inner: Arc::new(client), deadline, cancel };
    let health = wait(&api, wait_for, &clock, progress)?;
    Ok(Checked { health, warnings: resolved.warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;

    const HOST: &str = "https://fake:6443";

    fn node(name: &str, labels: Json, ready: Option<(&str, &str, &str)>) -> Json {
        let mut n = json!({"metadata": {"name": name, "labels": labels}, "status": {"nodeInfo": {"kubeletVersion": "v1.34.4"}}});
        if let Some((status, reason, message)) = ready {
            n["status"]["conditions"] = json!([
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
                {"type": "Ready", "status": status, "reason": reason, "message": message}
            ]);
        }
        n
    }

    fn cp(name: &str) -> Json {
        node(name, json!({CONTROL_PLANE_LABEL: ""}), Some(("True", "KubeletReady", "kubelet is posting ready status")))
    }

    fn worker(name: &str, ready: bool) -> Json {
        if ready {
            node(name, json!({}), Some(("True", "KubeletReady", "kubelet is posting ready status")))
        } else {
            node(
                name,
                json!({}),
                Some(("False", "KubeletNotReady", "container runtime network not ready: NetworkReady=false")),
            )
        }
    }

    /// One scripted poll: what /readyz, /version and /api/v1/nodes answer.
    #[derive(Clone)]
    struct Answer {
        readyz: Result<Option<Json>, KubeError>,
        healthz: Result<Option<Json>, KubeError>,
        version: Result<Option<Json>, KubeError>,
        nodes: Result<Option<Json>, KubeError>,
    }

    fn not_json() -> KubeError {
        KubeError::Invalid { host: HOST.into(), path: "/readyz".into(), reason: "the body is not JSON".into() }
    }

    fn healthy(nodes: Vec<Json>) -> Answer {
        Answer {
            readyz: Err(not_json()),
            healthz: Err(not_json()),
            version: Ok(Some(json!({"gitVersion": "v1.34.4", "major": "1", "minor": "34"}))),
            nodes: Ok(Some(json!({"kind": "NodeList", "metadata": {}, "items": nodes}))),
        }
    }

    fn refused() -> Answer {
        let e = KubeError::Connect { host: HOST.into(), reason: "Connection refused (os error 111)".into() };
        Answer { readyz: Err(e.clone()), healthz: Err(e.clone()), version: Err(e.clone()), nodes: Err(e) }
    }

    fn forbidden_nodes(a: Answer) -> Answer {
        Answer {
            nodes: Err(KubeError::Forbidden {
                host: HOST.into(),
                verb: "list",
                resource: "nodes".into(),
                namespace: None,
                message: "nodes is forbidden: User \"nobody\" cannot list resource \"nodes\" in API group \"\" at the cluster scope".into(),
            }),
            ..a
        }
    }

    /// Answers each poll (which starts at /readyz) from a script; the last answer repeats.
    struct Scripted {
        script: RefCell<VecDeque<Answer>>,
        calls: RefCell<Vec<String>>,
        started: Cell<bool>,
    }

    impl Scripted {
        fn new(answers: Vec<Answer>) -> Scripted {
            Scripted {
                script: RefCell::new(answers.into()),
                calls: RefCell::new(Vec::new()),
                started: Cell::new(false),
            }
        }
        fn current(&self) -> Answer {
            self.script.borrow().front().cloned().expect("a scripted answer")
        }
    }

    impl Api for Scripted {
        fn host(&self) -> &str {
            HOST
        }
        fn get(&self, path: &str, access: &Access) -> Result<Option<Json>, KubeError> {
            self.calls.borrow_mut().push(path.to_string());
            if path == "/readyz" {
                let mut s = self.script.borrow_mut();
                if self.started.replace(true) && s.len() > 1 {
                    s.pop_front();
                }
            }
            let a = self.current();
            let answer = match path {
                "/readyz" => a.readyz,
                "/healthz" => a.healthz,
                "/version" => a.version,
                p if p.starts_with("/api/v1/nodes") => {
                    assert_eq!(access.verb, "list");
                    assert_eq!(access.resource, "nodes");
                    a.nodes
                }
                other => panic!("unexpected GET {other}"),
            };
            answer
        }
    }

    /// A clock that moves only when slept on.
    #[derive(Default)]
    struct FakeClock {
        now: Cell<Duration>,
        cancel_after: Option<Duration>,
    }

    impl Clock for FakeClock {
        fn elapsed(&self) -> Duration {
            self.now.get()
        }
        fn sleep(&self, d: Duration) {
            self.now.set(self.now.get() + d);
        }
        fn cancelled(&self) -> bool {
            self.cancel_after.is_some_and(|t| self.now.get() >= t)
        }
    }

    fn wait_for(cp: u64, workers: u64, timeout_s: u64) -> WaitFor {
        WaitFor {
            want: Want { control_plane_nodes: cp, worker_nodes: workers },
            timeout: Duration::from_secs(timeout_s),
            poll_interval: Duration::from_secs(5),
        }
    }

    fn run(api: &Scripted, w: &WaitFor, clock: &FakeClock) -> (Result<Health, HealthError>, Vec<String>) {
        let mut log = Vec::new();
        let r = wait(api, w, clock, &mut |p| {
            log.push(format!("#{} at {:?}: {}", p.attempt, p.elapsed, p.missing.join(" | ")));
        });
        (r, log)
    }

    #[test]
    fn nodes_are_read_from_labels_and_conditions() {
        let n = node_of(&node(
            "cp-1",
            json!({CONTROL_PLANE_LABEL: "", "node-role.kubernetes.io/etcd": "true", "kubernetes.io/role": "master", "kubernetes.io/hostname": "cp-1", "node-role.kubernetes.io/": "x"}),
            Some(("True", "KubeletReady", "kubelet is posting ready status")),
        ))
        .unwrap();
        assert_eq!(n.roles, ["control-plane", "etcd", "master"]);
        assert!(n.control_plane && n.ready);
        assert_eq!(n.kubelet_version, "v1.34.4");
        let w = node_of(&node("w", json!({"node-role.kubernetes.io/worker": ""}), None)).unwrap();
        assert_eq!(w.roles, ["worker"]);
        assert!(!w.control_plane && !w.ready && w.ready_condition.is_none());
        // Ready is the Ready condition's status only.
        let unknown = node_of(&node(
            "u",
            json!({}),
            Some(("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")),
        ))
        .unwrap();
        assert!(!unknown.ready);
        assert_eq!(unknown.ready_condition.unwrap().reason, "NodeStatusUnknown");
        assert!(node_of(&json!({"metadata": {}})).is_none());
        // Text from the cluster is cleaned and shortened.
        let noisy = node_of(&node("n", json!({}), Some(("False", "Bad\u{1b}[31m", &"x\ny".repeat(400))))).unwrap();
        let c = noisy.ready_condition.unwrap();
        assert!(!c.reason.contains('\u{1b}'), "{:?}", c.reason);
        assert!(c.message.starts_with("x y") && c.message.chars().count() == MAX_QUOTE + 1, "{}", c.message.len());
    }

    #[test]
    fn node_list_is_sorted_and_paged() {
        struct Paged(RefCell<Vec<String>>);
        impl Api for Paged {
            fn host(&self) -> &str {
                HOST
            }
            fn get(&self, path: &str, _: &Access) -> Result<Option<Json>, KubeError> {
                self.0.borrow_mut().push(path.to_string());
                Ok(Some(if path.contains("continue=") {
                    json!({"metadata": {}, "items": [worker("b", true), worker("a", false)]})
                } else {
                    json!({"metadata": {"continue": "eyJ2IjoibWV0YS5rOHMuaW8vdjEi_-"}, "items": [cp("z"), worker("c", true)]})
                }))
            }
        }
        let api = Paged(RefCell::new(Vec::new()));
        let names: Vec<String> = list_nodes(&api).unwrap().into_iter().map(|n| n.name).collect();
        assert_eq!(names, ["a", "b", "c", "z"]);
        assert_eq!(
            *api.0.borrow(),
            ["/api/v1/nodes?limit=500", "/api/v1/nodes?limit=500&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEi_-"]
        );
    }

    #[test]
    fn missing_counts_each_kind_and_names_not_ready_nodes() {
        let seen = Seen {
            readiness: Readiness::Ready,
            version: Some("v1.34.4".into()),
            nodes: Some([cp("cp-1"), worker("w-1", false), worker("w-2", true)].iter().filter_map(node_of).collect()),
            error: None,
        };
        assert!(missing(&seen, &Want { control_plane_nodes: 1, worker_nodes: 1 }).is_empty());
        assert!(missing(&seen, &Want::default()).is_empty());
        assert_eq!(
            missing(&seen, &Want { control_plane_nodes: 3, worker_nodes: 2 }),
            [
                "Ready control-plane Nodes: 1 of 3 (no other control-plane Node is registered)",
                "Ready worker Nodes: 1 of 2 (not Ready: w-1 (KubeletNotReady))",
            ]
        );
        let not_ready = Seen {
            readiness: Readiness::NotReady { path: "/readyz".into(), detail: "answered 500".into() },
            ..Seen::default()
        };
        assert_eq!(missing(&not_ready, &Want::default()), ["a ready API server (/readyz answered 500)"]);
        assert_eq!(missing(&Seen::default(), &Want::default()), ["an answer from the API server"]);
        let unlisted = Seen { readiness: Readiness::Ready, version: Some("v1".into()), ..Seen::default() };
        assert_eq!(missing(&unlisted, &Want::default()), ["the Node list"]);
    }

    #[test]
    fn readiness_failures_name_the_failing_checks() {
        let body = "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]informer-sync ok\n[-]poststarthook/rbac/bootstrap-roles failed: reason withheld\nreadyz check failed\n";
        // The client strips control characters from error bodies, as here.
        let flat: String = body.chars().filter(|c| !c.is_control()).collect();
        assert_eq!(
            failing_checks(500, &flat),
            "answered 500, failing checks: etcd failed: reason withheld; poststarthook/rbac/bootstrap-roles failed: reason withheld"
        );
        assert_eq!(failing_checks(503, "upstream connect error"), "answered 503: upstream connect error");
    }

    #[test]
    fn waits_until_enough_nodes_are_ready() {
        let not_ready = Answer {
            readyz: Err(KubeError::Status {
                host: HOST.into(),
                path: "/readyz".into(),
                status: 500,
                message: "[+]ping ok[-]etcd failed: reason withheld".into(),
            }),
            ..healthy(vec![])
        };
        let api = Scripted::new(vec![
            refused(),
            not_ready,
            healthy(vec![cp("cp-1")]),
            healthy(vec![cp("cp-1"), worker("w-1", false)]),
            healthy(vec![worker("w-1", true), cp("cp-1")]),
        ]);
        let clock = FakeClock::default();
        let (r, log) = run(&api, &wait_for(1, 1, 600), &clock);
        let h = r.unwrap();
        assert_eq!(h.polls, 5);
        assert_eq!(h.api_server_version, "v1.34.4");
        assert_eq!(h.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["cp-1", "w-1"]);
        assert_eq!(clock.now.get(), Duration::from_secs(20));
        assert_eq!(
            log,
            [
                "#1 at 0ns: an answer from the API server",
                "#2 at 5s: a ready API server (/readyz answered 500, failing checks: etcd failed: reason withheld)",
                "#3 at 10s: Ready worker Nodes: 0 of 1 (no other worker Node is registered)",
                "#4 at 15s: Ready worker Nodes: 0 of 1 (not Ready: w-1 (KubeletNotReady))",
            ]
        );
        // Nodes are listed only once the server is ready.
        let calls = api.calls.borrow();
        assert_eq!(calls.iter().filter(|c| c.starts_with("/api/v1/nodes")).count(), 3, "{calls:?}");
    }

    #[test]
    fn healthz_stands_in_for_a_missing_readyz() {
        let api = Scripted::new(vec![Answer { readyz: Ok(None), ..healthy(vec![cp("cp-1")]) }]);
        let (r, _) = run(&api, &wait_for(1, 0, 60), &FakeClock::default());
        assert_eq!(r.unwrap().polls, 1);
        assert_eq!(api.calls.borrow()[..2], ["/readyz", "/healthz"]);
        let api = Scripted::new(vec![Answer { readyz: Ok(None), healthz: Ok(None), ..healthy(vec![]) }]);
        let e = run(&api, &wait_for(0, 0, 60), &FakeClock::default()).0.unwrap_err();
        assert!(e.to_string().contains("neither /readyz nor /healthz is served"), "{e}");
    }

    #[test]
    fn times_out_with_what_is_missing_and_the_nodes_last_seen() {
        let api = Scripted::new(vec![healthy(vec![cp("cp-1"), worker("w-1", false)])]);
        let clock = FakeClock::default();
        let (r, log) = run(&api, &wait_for(1, 2, 12), &clock);
        let e = r.unwrap_err();
        assert!(matches!(e, HealthError::TimedOut(_)));
        // Polls at 0, 5, 10 and at the deadline itself.
        assert_eq!(log.len(), 4, "{log:?}");
        assert_eq!(clock.now.get(), Duration::from_secs(12));
        assert_eq!(
            e.to_string(),
            "the cluster at https://fake:6443 was not as healthy as asked within 12s (4 polls)\n\n\
             Still missing:\n  - Ready worker Nodes: 0 of 2 (not Ready: w-1 (KubeletNotReady))\n\n\
             API server version: v1.34.4\n\n\
             Nodes last seen:\n  \
             - cp-1 [roles: control-plane] Ready=True (KubeletReady: kubelet is posting ready status), kubelet v1.34.4\n  \
             - w-1 [roles: none] Ready=False (KubeletNotReady: container runtime network not ready: NetworkReady=false), kubelet v1.34.4"
        );
        assert_eq!(e.summary(), "Cluster not healthy in time");
        assert!(e.hint().contains("raise timeout"));
    }

    #[test]
    fn a_timeout_keeps_the_nodes_seen_before_the_server_went_away() {
        let api = Scripted::new(vec![healthy(vec![worker("w-1", false)]), refused()]);
        let e = run(&api, &wait_for(0, 1, 7), &FakeClock::default()).0.unwrap_err();
        let text = e.to_string();
        assert!(text.contains("Still missing:\n  - an answer from the API server"), "{text}");
        assert!(text.contains("- w-1 [roles: none] Ready=False (KubeletNotReady"), "{text}");
        assert!(text.ends_with("Last API error: cannot connect to the API server at https://fake:6443: Connection refused (os error 111)"), "{text}");
        assert!(e.hint().starts_with("Look at the Nodes above"), "{}", e.hint());
        let api = Scripted::new(vec![refused()]);
        let e = run(&api, &wait_for(0, 1, 7), &FakeClock::default()).0.unwrap_err();
        assert!(
            e.hint().starts_with("Check the server address")
                && e.hint().ends_with("Raise timeout if the cluster needs longer to come up."),
            "{}",
            e.hint()
        );
    }

    #[test]
    fn refused_credentials_and_tls_fail_at_once() {
        let tls = KubeError::Tls { host: HOST.into(), reason: "invalid peer certificate: UnknownIssuer".into() };
        let unauthorized = KubeError::Unauthorized { host: HOST.into() };
        for e in [tls, unauthorized] {
            let api = Scripted::new(vec![Answer { readyz: Err(e.clone()), ..healthy(vec![]) }]);
            let clock = FakeClock::default();
            let (r, log) = run(&api, &wait_for(0, 0, 600), &clock);
            assert_eq!(r.unwrap_err(), HealthError::Kube(e));
            assert!(log.is_empty());
            assert_eq!(clock.now.get(), Duration::ZERO);
        }
    }

    #[test]
    fn forbidden_fails_at_once_on_a_running_server() {
        let api = Scripted::new(vec![forbidden_nodes(healthy(vec![]))]);
        let clock = FakeClock::default();
        let e = run(&api, &wait_for(0, 0, 600), &clock).0.unwrap_err();
        assert_eq!(clock.now.get(), Duration::ZERO);
        assert_eq!(e.summary(), "Kubernetes API access forbidden");
        assert!(e.to_string().contains("does not allow list on nodes"), "{e}");
        assert!(e.hint().contains("allowed to list nodes") && e.hint().contains("cluster scope"), "{}", e.hint());
    }

    #[test]
    fn forbidden_is_retried_for_a_while_on_a_server_that_just_came_up() {
        // kubeadm binds the admin group only after the API server is up.
        let api = Scripted::new(vec![
            refused(),
            forbidden_nodes(healthy(vec![])),
            forbidden_nodes(healthy(vec![])),
            healthy(vec![cp("cp-1")]),
        ]);
        let clock = FakeClock::default();
        let (r, log) = run(&api, &wait_for(1, 0, 600), &clock);
        assert_eq!(r.unwrap().polls, 4, "{log:?}");
        assert!(log[1].ends_with("the Node list"), "{log:?}");
        // ... but not for ever.
        let api = Scripted::new(vec![refused(), forbidden_nodes(healthy(vec![]))]);
        let clock = FakeClock::default();
        let e = run(&api, &wait_for(1, 0, 600), &clock).0.unwrap_err();
        assert!(matches!(e, HealthError::Kube(KubeError::Forbidden { .. })), "{e}");
        assert_eq!(clock.now.get(), Duration::from_secs(5) + FORBIDDEN_GRACE);
    }

    #[test]
    fn server_errors_are_retried_and_client_errors_are_not() {
        let status =
            |s: u16| KubeError::Status { host: HOST.into(), path: "/version".into(), status: s, message: "x".into() };
        assert!(!is_permanent(&status(500)) && !is_permanent(&status(503)) && !is_permanent(&status(429)));
        assert!(is_permanent(&status(400)));
        assert!(!is_permanent(&KubeError::Timeout { host: HOST.into(), reason: "global timeout".into() }));
        let api = Scripted::new(vec![Answer { version: Err(status(503)), ..healthy(vec![]) }, healthy(vec![])]);
        assert_eq!(run(&api, &wait_for(0, 0, 60), &FakeClock::default()).0.unwrap().polls, 2);
        let api = Scripted::new(vec![Answer { version: Ok(Some(json!({}))), ..healthy(vec![]) }]);
        let e = run(&api, &wait_for(0, 0, 60), &FakeClock::default()).0.unwrap_err();
        assert!(e.to_string().contains("no gitVersion"), "{e}");
    }

    #[test]
    fn a_cancelled_wait_stops_with_what_it_saw() {
        let api = Scripted::new(vec![healthy(vec![worker("w-1", false)])]);
        let clock = FakeClock { cancel_after: Some(Duration::from_secs(10)), ..FakeClock::default() };
        let e = run(&api, &wait_for(0, 1, 600), &clock).0.unwrap_err();
        assert!(matches!(e, HealthError::Cancelled(_)), "{e}");
        assert!(
            e.to_string().starts_with(
                "the cluster at https://fake:6443 was not healthy yet when the wait was stopped, after 10s (2 polls)"
            ),
            "{e}"
        );
    }

    #[test]
    fn requests_are_bounded_by_the_deadline_and_the_cancel_flag() {
        /// Answers after a long pause, as a hung connection would.
        struct Slow;
        impl Api for Slow {
            fn host(&self) -> &str {
                HOST
            }
            fn get(&self, _: &str, _: &Access) -> Result<Option<Json>, KubeError> {
                std::thread::sleep(Duration::from_secs(3));
                Ok(None)
            }
        }
        let access = Access { verb: "get", resource: "/readyz".into(), namespace: None };
        let cancel = Arc::new(AtomicBool::new(false));
        let api = Bounded {
            inner: Arc::new(Slow),
            deadline: Instant::now().checked_add(Duration::from_millis(200)),
            cancel: cancel.clone(),
        };
        let started = Instant::now();
        let e = api.get("/readyz", &access).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(matches!(e, KubeError::Timeout { .. }) && !is_permanent(&e), "{e}");
        let api = Bounded { inner: Arc::new(Slow), deadline: None, cancel: cancel.clone() };
        cancel.store(true, Ordering::Relaxed);
        let started = Instant::now();
        assert!(api.get("/readyz", &access).unwrap_err().to_string().contains("the wait was stopped"));
        assert!(started.elapsed() < Duration::from_secs(1));
        // A real clock's sleep ends early too.
        let clock = RealClock::new(cancel);
        let started = Instant::now();
        clock.sleep(Duration::from_secs(30));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn long_node_lists_are_cut_in_messages() {
        let nodes: Vec<Node> = (0..60).map(|i| node_of(&worker(&format!("w-{i:02}"), false)).unwrap()).collect();
        let report = Report {
            host: HOST.into(),
            timeout: Duration::from_secs(60),
            waited: Duration::from_secs(60),
            polls: 1,
            missing: vec!["x".into()],
            api_server_version: None,
            nodes: Some(nodes),
            last_error: None,
        };
        let text = HealthError::TimedOut(Box::new(report)).to_string();
        assert!(text.contains("w-49") && !text.contains("w-50"), "{text}");
        assert!(text.contains("… and 10 more"), "{text}");
        assert!(text.contains("within 1m0s (1 poll)"), "{text}");
    }
}
