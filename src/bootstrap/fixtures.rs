//! A complete [`NodeSpec`] for the provider's own unit tests, integration
//! tests and benchmarks, so the node model is spelled out in one place.
//! Callers change the fields their case is about after building it. Nothing
//! in the provider itself uses this module.

use std::collections::BTreeMap;

use crate::bootstrap::node::{
    ApiServerSpec, Artifacts, ClusterSpec, ComponentSpec, EtcdSpec, IgnitionVersion, KubeadmPatches, KubernetesVersion,
    NodeOptions, NodeSpec, OperatingSystem, Role, TokenSpec,
};
use crate::bootstrap::secret::Sensitive;

/// The bootstrap token of [`node_spec`].
pub const TOKEN: &str = "abcdef.0123456789abcdef";
/// When the bootstrap token of [`node_spec`] expires.
pub const EXPIRES: &str = "2030-01-02T03:04:05Z";

/// A node of cluster `prod` (control-plane endpoint `api.example.com`, pods
/// `192.168.0.0/16`, services `10.96.0.0/12`, DNS domain `cluster.local`)
/// running Kubernetes `version` (e.g. `v1.31.4`; panics when it does not
/// parse) on `os` with Ignition 3.3 and preinstalled binaries. Its bootstrap
/// token is [`TOKEN`], expiring at [`EXPIRES`], with kubeadm's default usages
/// and groups and no description. No PKI, no CA certificate hashes, default
/// control-plane components and node options, no patches, and no files,
/// commands, users, NTP servers or extra Ignition.
pub fn node_spec(role: Role, os: OperatingSystem, version: &str) -> NodeSpec {
    NodeSpec {
        role,
        cluster: ClusterSpec {
            name: "prod".to_string(),
            kubernetes_version: KubernetesVersion::parse(version).expect("a valid Kubernetes version"),
            control_plane_endpoint: "api.example.com".to_string(),
            pod_subnet: Some("192.168.0.0/16".to_string()),
            service_subnet: "10.96.0.0/12".to_string(),
            dns_domain: "cluster.local".to_string(),
            image_repository: None,
            feature_gates: BTreeMap::new(),
            api_server: ApiServerSpec::default(),
            controller_manager: ComponentSpec::default(),
            scheduler: ComponentSpec::default(),
            etcd: EtcdSpec::default(),
            certificate_validity: None,
        },
        pki: None,
        ca_cert_hashes: Vec::new(),
        bootstrap_token: TokenSpec {
            token: Sensitive::new(TOKEN.to_string()),
            description: None,
            expires: Some(EXPIRES.to_string()),
            usages: vec!["signing".to_string(), "authentication".to_string()],
            groups: vec!["system:bootstrappers:kubeadm:default-node-token".to_string()],
        },
        node: NodeOptions::default(),
        os,
        ignition_version: IgnitionVersion::V3_3,
        artifacts: Artifacts::Preinstalled,
        files: Vec::new(),
        pre_kubeadm_commands: Vec::new(),
        post_kubeadm_commands: Vec::new(),
        users: Vec::new(),
        ntp_servers: Vec::new(),
        additional_ignition: Vec::new(),
        patches: KubeadmPatches::default(),
    }
}
