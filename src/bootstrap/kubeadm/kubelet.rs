//! `kubelet.config.k8s.io/v1beta1` `KubeletConfiguration`: the cluster-wide
//! kubelet settings `kubeadm init` stores in the `kubelet-config` ConfigMap
//! and every joining node downloads.
//!
//! Only a subset of the upstream fields is modelled: the ones people set in
//! practice (resources, eviction, logging, TLS, cgroups, feature gates, ...).
//! All are optional. Unknown fields are refused, so a patch with a misspelt
//! or unsupported key fails with its path rather than being dropped.
//!
//! Plain domain code: nothing here may depend on tonic, prost, msgpack or the
//! Terraform plugin protocol.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::common::{IntOrString, Taint};

/// The `apiVersion` of [`KubeletConfiguration`].
pub const API_VERSION: &str = "kubelet.config.k8s.io/v1beta1";
/// The `kind` of [`KubeletConfiguration`].
pub const KIND: &str = "KubeletConfiguration";

/// Kubelet settings. Durations are Go duration strings (`2m0s`), resource
/// amounts are quantity strings (`100Mi`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeletConfiguration {
    /// Always [`API_VERSION`].
    pub api_version: String,
    /// Always [`KIND`].
    pub kind: String,
    /// Serve the kubelet API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_server: Option<bool>,
    /// Directory of static pod manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_pod_path: Option<String>,
    /// Root of pod log files, `/var/log/pods` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_logs_dir: Option<String>,
    /// Maximum period between syncs of running containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_frequency: Option<String>,
    /// How often static pod files are checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_check_frequency: Option<String>,
    /// How often the static pod URL is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_check_frequency: Option<String>,
    /// URL of static pods.
    #[serde(rename = "staticPodURL", default, skip_serializing_if = "Option::is_none")]
    pub static_pod_url: Option<String>,
    /// Serving address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Serving port, 10250 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Unauthenticated read-only port; 0 disables it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_port: Option<i32>,
    /// Serving certificate file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert_file: Option<String>,
    /// Serving key file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_private_key_file: Option<String>,
    /// Allowed TLS cipher suites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tls_cipher_suites: Vec<String>,
    /// Minimum TLS version, e.g. `VersionTLS12`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_min_version: Option<String>,
    /// Rotate the client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_certificates: Option<bool>,
    /// Request the serving certificate from the cluster.
    #[serde(rename = "serverTLSBootstrap", default, skip_serializing_if = "Option::is_none")]
    pub server_tls_bootstrap: Option<bool>,
    /// How requests to the kubelet are authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<KubeletAuthentication>,
    /// How requests to the kubelet are authorized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<KubeletAuthorization>,
    /// Registry pulls per second; 0 means unlimited.
    #[serde(rename = "registryPullQPS", default, skip_serializing_if = "Option::is_none")]
    pub registry_pull_qps: Option<i32>,
    /// Burst of registry pulls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_burst: Option<i32>,
    /// Events created per second; 0 means unlimited.
    #[serde(rename = "eventRecordQPS", default, skip_serializing_if = "Option::is_none")]
    pub event_record_qps: Option<i32>,
    /// Burst of event creations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_burst: Option<i32>,
    /// Serve exec, attach, logs and port-forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_debugging_handlers: Option<bool>,
    /// Block profiling (with the debugging handlers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_contention_profiling: Option<bool>,
    /// Local healthz port; 0 disables it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthz_port: Option<i32>,
    /// Local healthz address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthz_bind_address: Option<String>,
    /// oom_score_adj of the kubelet process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i32>,
    /// Cluster DNS domain added to pod search paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_domain: Option<String>,
    /// Cluster DNS server addresses.
    #[serde(rename = "clusterDNS", default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_dns: Vec<String>,
    /// Idle timeout of streaming connections (no longer effective upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming_connection_idle_timeout: Option<String>,
    /// How often node status is computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_status_update_frequency: Option<String>,
    /// How often unchanged node status is posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_status_report_frequency: Option<String>,
    /// Duration of the node lease.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_lease_duration_seconds: Option<i32>,
    /// Minimum age of an unused image before collection.
    #[serde(rename = "imageMinimumGCAge", default, skip_serializing_if = "Option::is_none")]
    pub image_minimum_gc_age: Option<String>,
    /// Maximum age of an unused image before collection; `0s` disables.
    #[serde(rename = "imageMaximumGCAge", default, skip_serializing_if = "Option::is_none")]
    pub image_maximum_gc_age: Option<String>,
    /// Disk usage percentage that always triggers image collection.
    #[serde(rename = "imageGCHighThresholdPercent", default, skip_serializing_if = "Option::is_none")]
    pub image_gc_high_threshold_percent: Option<i32>,
    /// Disk usage percentage image collection frees down to.
    #[serde(rename = "imageGCLowThresholdPercent", default, skip_serializing_if = "Option::is_none")]
    pub image_gc_low_threshold_percent: Option<i32>,
    /// How often volume disk usage is computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_stats_agg_period: Option<String>,
    /// cgroup to isolate the kubelet in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubelet_cgroups: Option<String>,
    /// cgroup for non-kernel processes outside containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_cgroups: Option<String>,
    /// Root cgroup of pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup_root: Option<String>,
    /// QoS cgroup hierarchy.
    #[serde(rename = "cgroupsPerQOS", default, skip_serializing_if = "Option::is_none")]
    pub cgroups_per_qos: Option<bool>,
    /// `systemd` or `cgroupfs`; must match the container runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup_driver: Option<String>,
    /// `none` or `static`.
    #[serde(rename = "cpuManagerPolicy", default, skip_serializing_if = "Option::is_none")]
    pub cpu_manager_policy: Option<String>,
    /// Kill container processes one by one on OOM (cgroup v1 behaviour).
    #[serde(rename = "singleProcessOOMKill", default, skip_serializing_if = "Option::is_none")]
    pub single_process_oom_kill: Option<bool>,
    /// Fine tuning of the CPU manager policy.
    #[serde(rename = "cpuManagerPolicyOptions", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cpu_manager_policy_options: BTreeMap<String, String>,
    /// CPU manager reconciliation period.
    #[serde(rename = "cpuManagerReconcilePeriod", default, skip_serializing_if = "Option::is_none")]
    pub cpu_manager_reconcile_period: Option<String>,
    /// `None` or `Static`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_manager_policy: Option<String>,
    /// `none`, `best-effort`, `restricted` or `single-numa-node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology_manager_policy: Option<String>,
    /// `container` or `pod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology_manager_scope: Option<String>,
    /// Fine tuning of the topology manager policy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub topology_manager_policy_options: BTreeMap<String, String>,
    /// Resource percentages reserved for guaranteed pods.
    #[serde(rename = "qosReserved", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub qos_reserved: BTreeMap<String, String>,
    /// Timeout of runtime requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_request_timeout: Option<String>,
    /// `promiscuous-bridge`, `hairpin-veth` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hairpin_mode: Option<String>,
    /// Maximum pods on the node, 110 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<i32>,
    /// Pod CIDR (standalone mode only).
    #[serde(rename = "podCIDR", default, skip_serializing_if = "Option::is_none")]
    pub pod_cidr: Option<String>,
    /// Maximum PIDs per pod; -1 means unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_pids_limit: Option<i64>,
    /// resolv.conf used for pod DNS.
    #[serde(rename = "resolvConf", default, skip_serializing_if = "Option::is_none")]
    pub resolv_conf: Option<String>,
    /// Run pods once and exit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_once: Option<bool>,
    /// Enforce CPU limits with CFS quota.
    #[serde(rename = "cpuCFSQuota", default, skip_serializing_if = "Option::is_none")]
    pub cpu_cfs_quota: Option<bool>,
    /// CFS quota period.
    #[serde(rename = "cpuCFSQuotaPeriod", default, skip_serializing_if = "Option::is_none")]
    pub cpu_cfs_quota_period: Option<String>,
    /// Cap of images reported in node status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_status_max_images: Option<i32>,
    /// Open file limit of the kubelet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open_files: Option<i64>,
    /// Content type of API requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// API requests per second.
    #[serde(rename = "kubeAPIQPS", default, skip_serializing_if = "Option::is_none")]
    pub kube_api_qps: Option<i32>,
    /// Burst of API requests.
    #[serde(rename = "kubeAPIBurst", default, skip_serializing_if = "Option::is_none")]
    pub kube_api_burst: Option<i32>,
    /// Pull one image at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialize_image_pulls: Option<bool>,
    /// Parallel image pulls (with `serializeImagePulls: false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_parallel_image_pulls: Option<i32>,
    /// Hard eviction thresholds, e.g. `memory.available: 100Mi`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub eviction_hard: BTreeMap<String, String>,
    /// Soft eviction thresholds.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub eviction_soft: BTreeMap<String, String>,
    /// Grace periods of the soft thresholds.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub eviction_soft_grace_period: BTreeMap<String, String>,
    /// Wait before leaving an eviction pressure condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_pressure_transition_period: Option<String>,
    /// Maximum pod grace period on soft eviction, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_max_pod_grace_period: Option<i32>,
    /// Minimum reclaim per signal.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub eviction_minimum_reclaim: BTreeMap<String, String>,
    /// Merge upstream eviction defaults into the thresholds given here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_default_eviction_settings: Option<bool>,
    /// Maximum pods per core; 0 means no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods_per_core: Option<i32>,
    /// Let the attach/detach controller manage volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_controller_attach_detach: Option<bool>,
    /// Fail instead of tuning kernel flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protect_kernel_defaults: Option<bool>,
    /// Create the KUBE-IPTABLES-HINT chain.
    #[serde(rename = "makeIPTablesUtilChains", default, skip_serializing_if = "Option::is_none")]
    pub make_iptables_util_chains: Option<bool>,
    /// Kubelet feature gates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
    /// Refuse to start with swap on (true by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_swap_on: Option<bool>,
    /// Swap available to workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_swap: Option<MemorySwapConfiguration>,
    /// Rotate container logs at this size, e.g. `10Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_max_size: Option<String>,
    /// Rotated log files kept per container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_max_files: Option<i32>,
    /// Concurrent log rotation workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_max_workers: Option<i32>,
    /// How often logs are checked for rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_monitor_interval: Option<String>,
    /// `Get`, `Cache` or `Watch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_and_secret_change_detection_strategy: Option<String>,
    /// Resources reserved for the OS, e.g. `cpu: 200m`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub system_reserved: BTreeMap<String, String>,
    /// Resources reserved for Kubernetes daemons.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kube_reserved: BTreeMap<String, String>,
    /// CPUs reserved for system and Kubernetes daemons, e.g. `0-1`.
    #[serde(rename = "reservedSystemCPUs", default, skip_serializing_if = "Option::is_none")]
    pub reserved_system_cpus: Option<String>,
    /// Show metrics hidden since this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_hidden_metrics_for_version: Option<String>,
    /// cgroup enforcing `systemReserved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_reserved_cgroup: Option<String>,
    /// cgroup enforcing `kubeReserved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_reserved_cgroup: Option<String>,
    /// `pods`, `system-reserved`, `kube-reserved`, ... or `none`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enforce_node_allocatable: Vec<String>,
    /// Unsafe sysctls pods may set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_unsafe_sysctls: Vec<String>,
    /// Flex volume plugin directory; must be writable on read-only `/usr`
    /// systems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_plugin_dir: Option<String>,
    /// Cloud provider ID of the node.
    #[serde(rename = "providerID", default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Use kernel memcg notifications for eviction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_memcg_notification: Option<bool>,
    /// Log format and verbosity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingConfiguration>,
    /// Serve `/logs/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_system_log_handler: Option<bool>,
    /// Node log queries on `/logs/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_system_log_query: Option<bool>,
    /// Total delay of a node shutdown for pod termination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_period: Option<String>,
    /// Part of the shutdown delay kept for critical pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_period_critical_pods: Option<String>,
    /// Shutdown grace periods by pod priority.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shutdown_grace_period_by_pod_priority: Vec<ShutdownGracePeriodByPodPriority>,
    /// Container restart back-off tuning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash_loop_back_off: Option<CrashLoopBackOffConfig>,
    /// Memory reserved per NUMA node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserved_memory: Vec<MemoryReservation>,
    /// Serve `/debug/pprof/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_profiling_handler: Option<bool>,
    /// Serve `/debug/flags/v`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_debug_flags_handler: Option<bool>,
    /// `RuntimeDefault` seccomp profile for all workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp_default: Option<bool>,
    /// Memory QoS throttling factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_throttling_factor: Option<f64>,
    /// Taints the kubelet registers the node with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub register_with_taints: Vec<Taint>,
    /// Register the node with the API server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_node: Option<bool>,
    /// OpenTelemetry tracing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing: Option<TracingConfiguration>,
    /// Local ephemeral storage isolation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_storage_capacity_isolation: Option<bool>,
    /// CRI endpoint; kubeadm fills it from `nodeRegistration.criSocket`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_runtime_endpoint: Option<String>,
    /// CRI image service endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_service_endpoint: Option<String>,
    /// Refuse to start on cgroup v1 hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_cgroup_v1: Option<bool>,
    /// User namespace settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_namespaces: Option<UserNamespaces>,
}

/// Authentication of kubelet API requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeletAuthentication {
    /// Client certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509: Option<KubeletX509Authentication>,
    /// Bearer tokens checked with TokenReview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<KubeletWebhookAuthentication>,
    /// Anonymous requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<KubeletAnonymousAuthentication>,
}

/// Client certificate authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeletX509Authentication {
    /// CA bundle for client certificates.
    #[serde(rename = "clientCAFile", default, skip_serializing_if = "Option::is_none")]
    pub client_ca_file: Option<String>,
}

/// Webhook token authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeletWebhookAuthentication {
    /// Enable it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Cache duration of results.
    #[serde(rename = "cacheTTL", default, skip_serializing_if = "Option::is_none")]
    pub cache_ttl: Option<String>,
}

/// Anonymous authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeletAnonymousAuthentication {
    /// Enable it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Authorization of kubelet API requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeletAuthorization {
    /// `AlwaysAllow` or `Webhook`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Webhook cache settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<KubeletWebhookAuthorization>,
}

/// SubjectAccessReview cache settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeletWebhookAuthorization {
    /// Cache duration of allowed responses.
    #[serde(rename = "cacheAuthorizedTTL", default, skip_serializing_if = "Option::is_none")]
    pub cache_authorized_ttl: Option<String>,
    /// Cache duration of denied responses.
    #[serde(rename = "cacheUnauthorizedTTL", default, skip_serializing_if = "Option::is_none")]
    pub cache_unauthorized_ttl: Option<String>,
}

/// Swap available to workloads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemorySwapConfiguration {
    /// `NoSwap` or `LimitedSwap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap_behavior: Option<String>,
}

/// Container restart back-off tuning.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CrashLoopBackOffConfig {
    /// Upper bound of the back-off delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_container_restart_period: Option<String>,
}

/// One shutdown grace period by priority.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ShutdownGracePeriodByPodPriority {
    /// Lowest priority the entry applies to.
    pub priority: i32,
    /// Grace period in seconds.
    pub shutdown_grace_period_seconds: i64,
}

/// Memory reserved on one NUMA node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemoryReservation {
    /// NUMA node id.
    pub numa_node: i32,
    /// Reserved amounts by resource.
    #[serde(default)]
    pub limits: BTreeMap<String, String>,
}

/// OpenTelemetry tracing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TracingConfiguration {
    /// Collector endpoint, `localhost:4317` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Spans sampled per million.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_rate_per_million: Option<i32>,
}

/// User namespace settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserNamespaces {
    /// UIDs and GIDs mapped per pod, a multiple of 65536.
    #[serde(rename = "idsPerPod", default, skip_serializing_if = "Option::is_none")]
    pub ids_per_pod: Option<i64>,
}

/// Logging of a Kubernetes component (component-base `LoggingConfiguration`),
/// shared by the kubelet and kube-proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoggingConfiguration {
    /// `text` or `json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// A duration string or nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flush_frequency: Option<IntOrString>,
    /// Log verbosity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<u32>,
    /// Per-file verbosity (text format).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vmodule: Vec<VModuleItem>,
    /// Format-specific options (alpha).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<FormatOptions>,
}

/// Verbosity for files matching a pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VModuleItem {
    /// File name or glob, without `.go`.
    pub file_pattern: String,
    /// Verbosity for those files.
    pub verbosity: u32,
}

/// Options of the log formats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FormatOptions {
    /// Options of the `text` format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<OutputRoutingOptions>,
    /// Options of the `json` format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<OutputRoutingOptions>,
}

/// Stream routing of a log format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OutputRoutingOptions {
    /// Errors to stderr, info to stdout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_stream: Option<bool>,
    /// Buffer of the info stream, a quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_buffer_size: Option<IntOrString>,
}
