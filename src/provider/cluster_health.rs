//! `data "kubeadm_cluster_health"`: waits until a cluster's API server is
//! ready and enough Nodes are Ready, or fails after `timeout` with what it
//! saw last.
//!
//! Connection settings, durations and counts are checked at validation
//! (plan) time, with the attribute at fault, skipping values not known yet.
//! The read runs the domain's blocking wait on a blocking thread and logs
//! each poll that finds something missing (`TF_LOG=info` shows them). When
//! Terraform drops the read, the wait is told to stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{kube_connection, ProviderData};
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::health::{self, HealthError, Node, Progress, WaitFor, Want};
use crate::bootstrap::kube;
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::DataSource;
use crate::tfplugin::log;
use crate::tfplugin::schema::{Attribute, Block, BlockType, Nesting, Schema};
use crate::tfplugin::types::Type;
use crate::tfplugin::value::Value;

pub const TYPE_NAME: &str = "kubeadm_cluster_health";

/// How long to wait when `timeout` is not set.
pub const DEFAULT_TIMEOUT: &str = "10m";
/// The pause between polls when `poll_interval` is not set.
pub const DEFAULT_POLL_INTERVAL: &str = "5s";
/// The shortest pause between polls: faster only loads the API server.
const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The `nodes` element type.
fn node_type() -> Type {
    Type::object([
        ("name".to_string(), Type::String),
        ("roles".to_string(), Type::list(Type::String)),
        ("ready".to_string(), Type::Bool),
        ("kubelet_version".to_string(), Type::String),
    ])
}

/// A Go duration of at least `min` (`None`: above zero).
fn duration_validator(name: &'static str, min: Option<Duration>) -> impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync {
    move |v| match v.as_str().map(|s| parse_duration(name, s, min)) {
        Some(Err(d)) => vec![d],
        _ => vec![],
    }
}

fn parse_duration(name: &str, s: &str, min: Option<Duration>) -> Result<Duration, Diagnostic> {
    let invalid = |detail: String| Diagnostic::error(format!("Invalid {name}"), detail);
    let d = GoDuration::parse(s).map_err(|e| invalid(format!("{e}. Use a Go duration such as \"10m\" or \"30s\".")))?;
    let std = d.to_std().filter(|d| !d.is_zero()).ok_or_else(|| {
        invalid(format!("{s:?} is not above zero: {name} must be a positive Go duration such as \"10m\"."))
    })?;
    match min {
        Some(min) if std < min => Err(invalid(format!(
            "{s:?} is shorter than {}: polling faster only loads the API server.",
            GoDuration::from_nanos(i64::try_from(min.as_nanos()).unwrap_or(i64::MAX)).format()
        ))),
        _ => Ok(std),
    }
}

/// A count of Nodes: a whole number, zero or more.
fn count_validator(name: &'static str) -> impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync {
    move |v| match count(name, v) {
        Err(d) => vec![d],
        Ok(_) => vec![],
    }
}

fn count(name: &str, v: &Value) -> Result<u64, Diagnostic> {
    if v.is_null() {
        return Ok(0);
    }
    v.as_i64().and_then(|n| u64::try_from(n).ok()).ok_or_else(|| {
        Diagnostic::error(
            format!("Invalid {name}"),
            format!("{name} is a number of Nodes: a whole number, zero or more (0 waits for none)."),
        )
    })
}

pub fn schema() -> Schema {
    let mut attributes = kube_connection::attributes("the cluster");
    attributes.extend([
        Attribute::string("timeout")
            .default(Value::from(DEFAULT_TIMEOUT))
            .describe("How long to wait in all (Go duration). When it passes, the read fails with what is still missing and the last state seen.")
            .validate(duration_validator("timeout", None)),
        Attribute::string("poll_interval")
            .default(Value::from(DEFAULT_POLL_INTERVAL))
            .describe("The pause between two looks at the cluster (Go duration, at least `1s`).")
            .validate(duration_validator("poll_interval", Some(MIN_POLL_INTERVAL))),
        Attribute::string("id").computed().describe("The API server's URL."),
        Attribute::string("api_server_version")
            .computed()
            .describe("The API server's version (`gitVersion` of `/version`), e.g. `v1.34.4`."),
        Attribute::of_type("nodes", Type::list(node_type())).computed().describe(
            "Every Node, sorted by name: `name`, `roles` (from the `node-role.kubernetes.io/<role>` labels, as `kubectl get nodes` shows them), `ready` (the Ready condition is `True`) and `kubelet_version`.",
        ),
        Attribute::bool("healthy").computed().describe(
            "Always `true`: the read returns only when the cluster is as healthy as asked (it fails otherwise). For conditions and `depends_on`.",
        ),
    ]);
    let wait_for = Block::new(vec![
        Attribute::number("control_plane_nodes")
            .default(Value::int(0))
            .describe(&format!("Ready Nodes with the `{}` label to wait for.", health::CONTROL_PLANE_LABEL))
            .validate(count_validator("control_plane_nodes")),
        Attribute::number("worker_nodes")
            .default(Value::int(0))
            .describe(&format!("Ready Nodes without the `{}` label to wait for.", health::CONTROL_PLANE_LABEL))
            .validate(count_validator("worker_nodes")),
    ])
    .describe("How many Ready Nodes to wait for. Without it, the read waits for the API server only (and still lists the Nodes).");
    Schema::new(
        0,
        Block::new(attributes).with_blocks(vec![BlockType::new("wait_for", Nesting::Single, wait_for)]).describe(
            "Waits until a cluster answers and is as healthy as asked: the API server answers `/readyz` (`/healthz` on servers without it) and `/version`, and at least the asked number of control-plane and worker Nodes are Ready. Fails after `timeout` naming what is missing, with each Node's roles and Ready condition (reason and message) or the API error last seen. Refused credentials (401), a missing permission (403) and TLS verification failures fail at once; refused connections, timeouts and 5xx answers are retried. Depend on the instances (`depends_on`) so it is read at apply time, after they exist. Needs list on nodes at cluster scope.",
        ),
    )
}

/// The wait a wholly known configuration asks for.
fn wait_for(config: &Value) -> Result<WaitFor, Diagnostic> {
    let text = |name: &str, default: &str| config.get(name).as_str().unwrap_or(default).to_string();
    let timeout = parse_duration("timeout", &text("timeout", DEFAULT_TIMEOUT), None)
        .map_err(|d| d.at(AttrPath::attr("timeout")))?;
    let poll_interval =
        parse_duration("poll_interval", &text("poll_interval", DEFAULT_POLL_INTERVAL), Some(MIN_POLL_INTERVAL))
            .map_err(|d| d.at(AttrPath::attr("poll_interval")))?;
    let block = config.get("wait_for");
    let at = |name: &str| AttrPath::attr("wait_for").then_attr(name);
    let want = Want {
        control_plane_nodes: count("control_plane_nodes", block.get("control_plane_nodes"))
            .map_err(|d| d.at(at("control_plane_nodes")))?,
        worker_nodes: count("worker_nodes", block.get("worker_nodes")).map_err(|d| d.at(at("worker_nodes")))?,
    };
    Ok(WaitFor { want, timeout, poll_interval })
}

/// A failed wait as a diagnostic, at the connection attribute it is about.
fn diagnostic(e: &HealthError) -> Diagnostic {
    if let HealthError::Kube(k) = e {
        if k.setting_name().is_some() {
            return kube_connection::diagnostic(k);
        }
    }
    let hint = e.hint();
    // The message of a failed wait is several paragraphs: the hint goes last.
    let detail = match (e, hint.is_empty()) {
        (_, true) => format!("{e}."),
        (HealthError::Kube(_), false) => format!("{e}. {hint}"),
        (_, false) => format!("{e}\n\n{hint}"),
    };
    Diagnostic::error(e.summary(), detail)
}

fn node_value(n: Node) -> Value {
    Value::Object(
        [
            ("name".to_string(), Value::from(n.name)),
            ("roles".to_string(), Value::string_list(n.roles)),
            ("ready".to_string(), Value::Bool(n.ready)),
            ("kubelet_version".to_string(), Value::from(n.kubelet_version)),
        ]
        .into_iter()
        .collect(),
    )
}

/// The state for a healthy cluster.
fn state_of(config: &Value, wait: &WaitFor, health: health::Health) -> Value {
    let mut state = config.clone();
    for (name, default) in [("timeout", DEFAULT_TIMEOUT), ("poll_interval", DEFAULT_POLL_INTERVAL)] {
        if state.get(name).is_null() {
            state.set(name, Value::from(default));
        }
    }
    // A block left out stays null (blocks cannot be computed); one written
    // gets its defaults.
    if let Some(block) = state.get_mut("wait_for").filter(|b| !b.is_null()) {
        block.set("control_plane_nodes", Value::int(i64::try_from(wait.want.control_plane_nodes).unwrap_or(i64::MAX)));
        block.set("worker_nodes", Value::int(i64::try_from(wait.want.worker_nodes).unwrap_or(i64::MAX)));
    }
    state.set("id", Value::from(health.host));
    state.set("api_server_version", Value::from(health.api_server_version));
    state.set("nodes", Value::List(health.nodes.into_iter().map(node_value).collect()));
    state.set("healthy", Value::Bool(true));
    state
}

/// Logs one poll that found the cluster lacking (never a credential: the
/// missing items and errors name hosts, paths and Nodes only).
fn log_progress(p: &Progress<'_>) {
    let elapsed = format!("{}s", p.elapsed.as_secs());
    let attempt = p.attempt.to_string();
    let missing = p.missing.join("; ");
    let error = p.error.map(ToString::to_string).unwrap_or_default();
    log::info(
        &format!("waiting for the cluster at {}: still missing {missing}", p.host),
        &[
            ("data_source", TYPE_NAME),
            ("host", p.host),
            ("attempt", &attempt),
            ("elapsed", &elapsed),
            ("missing", &missing),
            ("last_error", &error),
        ],
    );
}

/// Sets the flag when dropped: Terraform dropping the read (a cancelled
/// call, a closed connection) stops the blocking wait too.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

pub struct ClusterHealthDataSource;

#[async_trait]
impl DataSource<ProviderData> for ClusterHealthDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        // Durations and counts have their own validators.
        if !kube_connection::is_known(config) {
            return;
        }
        if !kube::has_connection(&kube_connection::settings(config)) {
            diags.push(no_connection());
            return;
        }
        kube_connection::validate(config, diags);
    }

    async fn read(&self, data: &ProviderData, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let settings = kube_connection::settings(config);
        if !kube::has_connection(&settings) {
            diags.push(no_connection());
            return None;
        }
        let wait = match wait_for(config) {
            Ok(w) => w,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let _stop = StopOnDrop(Arc::clone(&cancel));
        // Terraform's stop (Ctrl-C) ends the wait too.
        let watcher = {
            let (stopping, cancel) = (Arc::clone(&data.stopping), Arc::clone(&cancel));
            tokio::spawn(async move {
                while !stopping.load(Ordering::Relaxed) {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                cancel.store(true, Ordering::Relaxed);
            })
        };
        let result = tokio::task::spawn_blocking(move || {
            health::check(&settings, &wait, cancel, &mut |p: &Progress<'_>| log_progress(p))
        })
        .await;
        watcher.abort();
        let checked = match result {
            Ok(Ok(checked)) => checked,
            Ok(Err(e)) => {
                log::warn(&format!("the cluster is not healthy: {}", e.summary()), &[("data_source", TYPE_NAME)]);
                diags.push(diagnostic(&e));
                return None;
            }
            Err(_) => {
                diags.push(Diagnostic::error(
                    "Waiting for the cluster failed",
                    "The wait stopped unexpectedly. This is a bug in the provider; please report it.",
                ));
                return None;
            }
        };
        for w in &checked.warnings {
            diags.push(Diagnostic::warning("Kubernetes API connection", w.clone()));
        }
        log::info(
            &format!("the cluster at {} is healthy after {} poll(s)", checked.health.host, checked.health.polls),
            &[("data_source", TYPE_NAME)],
        );
        Some(state_of(config, &wait, checked.health))
    }
}

/// The diagnostic for a configuration without any connection setting.
fn no_connection() -> Diagnostic {
    Diagnostic::error(
        "No connection to the cluster",
        "No connection settings are given: set kubeconfig (for example kubeadm_kubeconfig's kubeconfig) or kubeconfig_path to use a kubeconfig, or host with token, or host with client_certificate and client_key, to connect directly.",
    )
    .at(AttrPath::attr("kubeconfig_path"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::planning;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut c = Value::null_object(&schema().ty());
        for (k, v) in pairs {
            c.set(k, v.clone());
        }
        c
    }

    fn block(cp: Value, workers: Value) -> Value {
        let mut b = Value::null_object(&schema().block.blocks[0].block.ty());
        b.set("control_plane_nodes", cp);
        b.set("worker_nodes", workers);
        b
    }

    fn validate(c: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        planning::validate(&schema().block, c, &AttrPath::root(), &mut d);
        ClusterHealthDataSource.validate(c, &mut d);
        d
    }

    fn host() -> (&'static str, Value) {
        ("host", Value::from("https://10.0.0.1:6443"))
    }

    /// Terraform's stop (Ctrl-C) ends a wait that would otherwise run to its
    /// timeout: here a closed port, retried for ten minutes.
    #[tokio::test]
    async fn a_stop_ends_the_wait() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", closed.local_addr().unwrap());
        drop(closed);
        let data = ProviderData::new(crate::provider::store_config::StoreConfig::default());
        let c = config(&[("host", Value::from(url)), ("token", Value::from("t")), ("timeout", Value::from("10m"))]);
        let stopping = Arc::clone(&data.stopping);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            stopping.store(true, Ordering::Relaxed);
        });
        let started = std::time::Instant::now();
        let mut d = Diagnostics::new();
        let read = ClusterHealthDataSource.read(&data, &c, &mut d).await;
        assert!(read.is_none());
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
        assert_eq!(d.0[0].summary, "Waiting for the cluster stopped", "{d:?}");
    }

    #[test]
    fn schema_is_valid() {
        let schema = schema();
        schema.block.check().unwrap();
        let names: Vec<&str> = schema.block.attributes.iter().map(|a| a.name.as_str()).collect();
        for a in kube_connection::ATTRIBUTES {
            assert!(names.contains(&a), "{a} missing");
        }
    }

    #[test]
    fn bad_settings_point_at_attributes() {
        let cases: Vec<(Value, &str, &str, &str)> = vec![
            (config(&[]), "kubeconfig_path", "No connection to the cluster", "host with token"),
            (config(&[host(), ("timeout", "abc".into())]), "timeout", "Invalid timeout", "invalid duration \"abc\""),
            (config(&[host(), ("timeout", "-1m".into())]), "timeout", "Invalid timeout", "not above zero"),
            (
                config(&[host(), ("poll_interval", "0s".into())]),
                "poll_interval",
                "Invalid poll_interval",
                "not above zero",
            ),
            (
                config(&[host(), ("poll_interval", "100ms".into())]),
                "poll_interval",
                "Invalid poll_interval",
                "shorter than 1s",
            ),
            (
                config(&[host(), ("wait_for", block(Value::int(1), Value::int(-1)))]),
                "wait_for.worker_nodes",
                "Invalid worker_nodes",
                "zero or more",
            ),
            (
                config(&[
                    host(),
                    ("wait_for", block(Value::Number(crate::tfplugin::value::Number::Float(1.5)), Value::Null)),
                ]),
                "wait_for.control_plane_nodes",
                "Invalid control_plane_nodes",
                "whole number",
            ),
            (config(&[("host", "ftp://x".into())]), "host", "Invalid API server address", "https://"),
            (
                config(&[host(), ("cluster_ca_certificate", "nope".into())]),
                "cluster_ca_certificate",
                "Invalid cluster_ca_certificate",
                "PEM",
            ),
        ];
        for (c, path, summary, detail) in cases {
            let d = validate(&c);
            assert_eq!(d.0.len(), 1, "{path}: {d:?}");
            assert_eq!(d.0[0].path.as_ref().map(ToString::to_string).as_deref(), Some(path), "{d:?}");
            assert_eq!(d.0[0].summary, summary);
            assert!(d.0[0].detail.contains(detail), "{} lacks {detail:?}", d.0[0].detail);
        }
        assert!(validate(&config(&[host()])).is_empty());
        assert!(validate(&config(&[host(), ("wait_for", block(Value::int(3), Value::int(0)))])).is_empty());
        // Unknown values wait for the read.
        assert!(validate(&config(&[("host", Value::unknown())])).is_empty());
        assert!(validate(&config(&[("kubeconfig", Value::unknown()), ("timeout", Value::unknown())])).is_empty());
    }

    #[test]
    fn the_read_takes_defaults_and_counts() {
        let w = wait_for(&config(&[host()])).unwrap();
        assert_eq!(w.timeout, Duration::from_secs(600));
        assert_eq!(w.poll_interval, Duration::from_secs(5));
        assert_eq!(w.want, Want::default());
        let c = config(&[host(), ("timeout", "20m".into()), ("wait_for", block(Value::int(3), Value::Null))]);
        let w = wait_for(&c).unwrap();
        assert_eq!(w.want, Want { control_plane_nodes: 3, worker_nodes: 0 });
        assert_eq!(w.timeout, Duration::from_secs(1200));
        let e = wait_for(&config(&[host(), ("wait_for", block(Value::int(-2), Value::Null))])).unwrap_err();
        assert_eq!(e.path.unwrap().to_string(), "wait_for.control_plane_nodes");
    }

    #[test]
    fn state_has_every_attribute() {
        let nodes = vec![
            Node {
                name: "cp-1".into(),
                roles: vec!["control-plane".into()],
                control_plane: true,
                ready: true,
                kubelet_version: "v1.34.4".into(),
                ready_condition: None,
            },
            Node { name: "w-1".into(), ..Node::default() },
        ];
        let health = health::Health {
            host: "https://10.0.0.1:6443".into(),
            api_server_version: "v1.34.4".into(),
            nodes,
            polls: 2,
        };
        let c = config(&[host(), ("wait_for", block(Value::Null, Value::int(2)))]);
        let w = wait_for(&c).unwrap();
        let s = state_of(&c, &w, health.clone());
        assert!(s.is_wholly_known());
        assert_eq!(s.get("id").as_str(), Some("https://10.0.0.1:6443"));
        assert_eq!(s.get("api_server_version").as_str(), Some("v1.34.4"));
        assert_eq!(s.get("healthy").as_bool(), Some(true));
        assert_eq!(s.get("timeout").as_str(), Some("10m"));
        assert_eq!(s.get("poll_interval").as_str(), Some("5s"));
        assert_eq!(s.get("wait_for").get("control_plane_nodes").as_i64(), Some(0));
        assert_eq!(s.get("wait_for").get("worker_nodes").as_i64(), Some(2));
        let nodes = s.get("nodes").as_elements().unwrap();
        assert_eq!(nodes[0].get("roles").as_string_vec(), Some(vec!["control-plane".to_string()]));
        assert_eq!(nodes[1].get("ready").as_bool(), Some(false));
        assert_eq!(nodes[1].get("roles").as_string_vec(), Some(vec![]));
        // Without the block, it stays null.
        let c = config(&[host()]);
        assert!(state_of(&c, &wait_for(&c).unwrap(), health).get("wait_for").is_null());
    }

    #[test]
    fn failed_waits_read_well() {
        let forbidden = HealthError::Kube(kube::KubeError::Forbidden {
            host: "https://x".into(),
            verb: "list",
            resource: "nodes".into(),
            namespace: None,
            message: "nodes is forbidden".into(),
        });
        let d = diagnostic(&forbidden);
        assert_eq!(d.summary, "Kubernetes API access forbidden");
        assert!(d.detail.contains("list on nodes") && d.detail.contains("allowed to list nodes"), "{}", d.detail);
        assert!(!d.detail.contains("cluster.x-k8s.io"), "{}", d.detail);
        let setting = HealthError::Kube(kube::KubeError::Setting {
            setting: "host",
            summary: "Invalid API server address",
            reason: "bad".into(),
        });
        assert_eq!(diagnostic(&setting).path.unwrap().to_string(), "host");
    }
}
