//! Unit tests of the health module.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::bootstrap::kube::{Access, Api, KubeError};

use super::*;
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

const HOST: &str = "https://fake:6443";

fn node(name: &str, labels: Json, ready: Option<(&str, &str, &str)>) -> Json {
    let mut n =
        json!({"metadata": {"name": name, "labels": labels}, "status": {"nodeInfo": {"kubeletVersion": "v1.34.4"}}});
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
        Scripted { script: RefCell::new(answers.into()), calls: RefCell::new(Vec::new()), started: Cell::new(false) }
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
    let unknown =
        node_of(&node("u", json!({}), Some(("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."))))
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
    assert!(
        text.ends_with(
            "Last API error: cannot connect to the API server at https://fake:6443: Connection refused (os error 111)"
        ),
        "{text}"
    );
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
