//! `kubeproxy.config.k8s.io/v1alpha1` `KubeProxyConfiguration`: the settings
//! `kubeadm init` stores for the kube-proxy DaemonSet.
//!
//! A subset of the upstream fields (the commonly tuned ones) is modelled, all
//! optional. Unknown fields are refused so patches fail loudly.
//!
//! Plain domain code: nothing here may depend on tonic, prost, msgpack or the
//! Terraform plugin protocol.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::kubelet::LoggingConfiguration;

/// The `apiVersion` of [`KubeProxyConfiguration`].
pub const API_VERSION: &str = "kubeproxy.config.k8s.io/v1alpha1";
/// The `kind` of [`KubeProxyConfiguration`].
pub const KIND: &str = "KubeProxyConfiguration";

/// kube-proxy settings. Durations are Go duration strings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeProxyConfiguration {
    /// Always [`API_VERSION`].
    pub api_version: String,
    /// Always [`KIND`].
    pub kind: String,
    /// kube-proxy feature gates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
    /// API client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_connection: Option<ClientConnectionConfiguration>,
    /// Log format and verbosity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingConfiguration>,
    /// Node name to use instead of the hostname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname_override: Option<String>,
    /// The node's primary IP as kube-proxy sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_address: Option<String>,
    /// `ip:port` of the health server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthz_bind_address: Option<String>,
    /// `ip:port` of the metrics server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_bind_address: Option<String>,
    /// Exit when a port cannot be bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_address_hard_fail: Option<bool>,
    /// Serve `/debug/pprof` on the metrics server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_profiling: Option<bool>,
    /// Show metrics hidden since this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_hidden_metrics_for_version: Option<String>,
    /// `iptables`, `ipvs` or `nftables`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// iptables mode settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iptables: Option<KubeProxyIpTablesConfiguration>,
    /// IPVS mode settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipvs: Option<KubeProxyIpvsConfiguration>,
    /// nftables mode settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nftables: Option<KubeProxyNfTablesConfiguration>,
    /// Windows HNS settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub winkernel: Option<KubeProxyWinkernelConfiguration>,
    /// `ClusterCIDR`, `NodeCIDR`, `BridgeInterface` or `InterfaceNamePrefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detect_local_mode: Option<String>,
    /// Settings of the bridge and prefix detection modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detect_local: Option<DetectLocalConfiguration>,
    /// Pod CIDR(s); kubeadm fills it from `networking.podSubnet`.
    #[serde(rename = "clusterCIDR", default, skip_serializing_if = "Option::is_none")]
    pub cluster_cidr: Option<String>,
    /// CIDRs or `primary`/`localhost`/`all` that serve NodePorts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_port_addresses: Vec<String>,
    /// oom_score_adj of kube-proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i32>,
    /// conntrack tuning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conntrack: Option<KubeProxyConntrackConfiguration>,
    /// How often configuration is refreshed from the API server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_sync_period: Option<String>,
    /// Unused since the userspace proxy was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range: Option<String>,
    /// Windows service integration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_run_as_service: Option<bool>,
}

/// How kube-proxy talks to the API server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientConnectionConfiguration {
    /// kubeconfig path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// Accept header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_content_types: Option<String>,
    /// Content type of requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qps: Option<f64>,
    /// Burst of requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<i32>,
}

/// iptables mode settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeProxyIpTablesConfiguration {
    /// fwmark bit used for SNAT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masquerade_bit: Option<i32>,
    /// SNAT all traffic to service IPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masquerade_all: Option<bool>,
    /// Allow NodePorts on localhost (IPv4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localhost_node_ports: Option<bool>,
    /// Resync interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_period: Option<String>,
    /// Minimum interval between resyncs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_sync_period: Option<String>,
}

/// IPVS mode settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeProxyIpvsConfiguration {
    /// Resync interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_period: Option<String>,
    /// Minimum interval between resyncs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_sync_period: Option<String>,
    /// IPVS scheduler, e.g. `rr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<String>,
    /// CIDRs left alone when cleaning up.
    #[serde(rename = "excludeCIDRs", default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_cidrs: Vec<String>,
    /// Strict ARP on kube-ipvs0.
    #[serde(rename = "strictARP", default, skip_serializing_if = "Option::is_none")]
    pub strict_arp: Option<bool>,
    /// Idle TCP session timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_timeout: Option<String>,
    /// TCP timeout after FIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_fin_timeout: Option<String>,
    /// UDP timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp_timeout: Option<String>,
}

/// nftables mode settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeProxyNfTablesConfiguration {
    /// fwmark bit used for SNAT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masquerade_bit: Option<i32>,
    /// SNAT all traffic to service IPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masquerade_all: Option<bool>,
    /// Resync interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_period: Option<String>,
    /// Minimum interval between resyncs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_sync_period: Option<String>,
}

/// Windows HNS settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeProxyWinkernelConfiguration {
    /// HNS network name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
    /// Source VIP for NAT.
    #[serde(rename = "sourceVip", default, skip_serializing_if = "Option::is_none")]
    pub source_vip: Option<String>,
    /// Direct server return.
    #[serde(rename = "enableDSR", default, skip_serializing_if = "Option::is_none")]
    pub enable_dsr: Option<bool>,
    /// HNS endpoint of the root namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_hns_endpoint_name: Option<String>,
    /// Forward the service VIP for health checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_health_check_vip: Option<bool>,
}

/// Settings of the local traffic detection modes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DetectLocalConfiguration {
    /// Bridge for `BridgeInterface`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge_interface: Option<String>,
    /// Interface prefix for `InterfaceNamePrefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_name_prefix: Option<String>,
}

/// conntrack tuning.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeProxyConntrackConfiguration {
    /// Tracked connections per core; 0 leaves the limit alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_core: Option<i32>,
    /// Minimum tracked connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
    /// Idle timeout of established TCP entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_established_timeout: Option<String>,
    /// Timeout of CLOSE_WAIT entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_close_wait_timeout: Option<String>,
    /// Liberal TCP window tracking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_be_liberal: Option<bool>,
    /// Timeout of unreplied UDP entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp_timeout: Option<String>,
    /// Timeout of assured UDP entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp_stream_timeout: Option<String>,
}
