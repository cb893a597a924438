//! What is still missing, and the report text.

use std::time::Duration;

use crate::bootstrap::duration::GoDuration;

use super::*;

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
    pub(super) fn render(&self, what: &str, time: Duration) -> String {
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
