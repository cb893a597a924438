//! The wait: the clock, the poll loop and its deadline, and the blocking
//! whole that resolves the connection settings.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::bootstrap::kube::{self, Access, Api, Client, KubeError, Settings};

use super::*;

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
pub(super) struct Bounded {
    pub(super) inner: Arc<dyn Api + Send + Sync>,
    /// When requests must have answered; `None` when too far to represent.
    pub(super) deadline: Option<Instant>,
    pub(super) cancel: Arc<AtomicBool>,
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
