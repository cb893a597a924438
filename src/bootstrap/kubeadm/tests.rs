//! Tests of the kubeadm renderer: the role × API version matrix, the
//! OS- and version-dependent details, patches, the documentation examples as
//! fixtures, field names checked against the upstream JSON tags, and
//! property tests for panics and round trips.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde::de::DeserializeOwned;

use super::*;
use crate::bootstrap::node::{
    ApiServerSpec, Artifacts, ClusterSpec, ComponentSpec, EtcdSpec, IgnitionVersion, KubeadmPatches, KubernetesVersion,
    NameFrom, NodeOptions, NodeSpec, OperatingSystem, Role, Taint as SpecTaint, TokenSpec,
};
use crate::bootstrap::secret::Sensitive;

const TOKEN: &str = "abcdef.0123456789abcdef";
const TOKEN_SECRET: &str = "0123456789abcdef";
const EXPIRES: &str = "2030-01-02T03:04:05Z";
const HASH: &str = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn spec(role: Role, version: &str) -> NodeSpec {
    NodeSpec {
        role,
        cluster: ClusterSpec {
            name: "prod".to_string(),
            kubernetes_version: KubernetesVersion::parse(version).unwrap(),
            control_plane_endpoint: "api.example.com".to_string(),
            pod_subnet: Some("192.168.0.0/16".to_string()),
            service_subnet: "10.96.0.0/12".to_string(),
            dns_domain: "cluster.local".to_string(),
            image_repository: None,
            feature_gates: BTreeMap::new(),
            api_server: ApiServerSpec {
                extra_args: BTreeMap::from([("audit-log-maxage".to_string(), "30".to_string())]),
                cert_sans: vec!["10.0.0.10".to_string(), "api.internal".to_string()],
            },
            controller_manager: ComponentSpec::default(),
            scheduler: ComponentSpec::default(),
            etcd: EtcdSpec::default(),
            certificate_validity: None,
        },
        pki: None,
        ca_cert_hashes: vec![HASH.to_string()],
        bootstrap_token: TokenSpec {
            token: Sensitive::new(TOKEN.to_string()),
            description: Some("nodes".to_string()),
            expires: Some(EXPIRES.to_string()),
            usages: vec!["signing".to_string(), "authentication".to_string()],
            groups: vec!["system:bootstrappers:kubeadm:default-node-token".to_string()],
        },
        node: NodeOptions::default(),
        os: OperatingSystem::Flatcar,
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

fn render_parse(spec: &NodeSpec) -> (String, Documents) {
    let yaml = render(spec).unwrap();
    let docs = parse_documents(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    (yaml, docs)
}

/// The pieces of a rendered config the matrix test looks at, independent of
/// the API version.
#[derive(Debug, Default)]
struct Seen {
    api_version: &'static str,
    has_init: bool,
    has_cluster: bool,
    has_join: bool,
    has_kubelet: bool,
    kubernetes_version: Option<String>,
    endpoint: Option<String>,
    pod_subnet: Option<String>,
    service_subnet: Option<String>,
    dns_domain: Option<String>,
    cert_sans: Vec<String>,
    api_server_args: Vec<(String, String)>,
    controller_manager_args: Vec<(String, String)>,
    token: Option<String>,
    expires: Option<String>,
    ttl: Option<String>,
    discovery_token: Option<String>,
    discovery_endpoint: Option<String>,
    ca_cert_hashes: Vec<String>,
    control_plane: Option<bool>,
    node_name: Option<String>,
    cri_socket: Option<String>,
    kubelet_args: Vec<(String, String)>,
    ignore_preflight: Vec<String>,
    patches_dir: Option<String>,
    volume_plugin_dir: Option<String>,
    cgroup_driver: Option<String>,
}

fn pairs_map(m: &BTreeMap<String, String>) -> Vec<(String, String)> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn pairs_list(l: &[v1beta4::Arg]) -> Vec<(String, String)> {
    l.iter().map(|a| (a.name.clone(), a.value.clone())).collect()
}

fn seen(docs: &Documents) -> Seen {
    let mut s = Seen { api_version: docs.kubeadm_api_version(), ..Seen::default() };
    if let Some(k) = docs.kubelet() {
        s.has_kubelet = true;
        s.volume_plugin_dir = k.volume_plugin_dir.clone();
        s.cgroup_driver = k.cgroup_driver.clone();
    }
    match docs {
        Documents::V1beta3 { init, join, cluster, .. } => {
            if let Some(i) = init {
                s.has_init = true;
                let t = &i.bootstrap_tokens[0];
                s.token = t.token.as_ref().map(|t| t.expose().to_string());
                s.expires = t.expires.clone();
                s.ttl = t.ttl.clone();
                let r = i.node_registration.as_ref().unwrap();
                s.node_name = r.name.clone();
                s.cri_socket = r.cri_socket.clone();
                s.kubelet_args = pairs_map(&r.kubelet_extra_args);
                s.ignore_preflight = r.ignore_preflight_errors.clone();
                s.patches_dir = i.patches.as_ref().and_then(|p| p.directory.clone());
            }
            if let Some(c) = cluster {
                s.has_cluster = true;
                s.kubernetes_version = c.kubernetes_version.clone();
                s.endpoint = c.control_plane_endpoint.clone();
                let n = c.networking.as_ref().unwrap();
                (s.pod_subnet, s.service_subnet, s.dns_domain) =
                    (n.pod_subnet.clone(), n.service_subnet.clone(), n.dns_domain.clone());
                let a = c.api_server.as_ref().unwrap();
                s.cert_sans = a.cert_sans.clone();
                s.api_server_args = pairs_map(&a.extra_args);
                s.controller_manager_args =
                    c.controller_manager.as_ref().map(|m| pairs_map(&m.extra_args)).unwrap_or_default();
            }
            if let Some(j) = join {
                s.has_join = true;
                let b = j.discovery.bootstrap_token.as_ref().unwrap();
                s.discovery_token = Some(b.token.expose().to_string());
                s.discovery_endpoint = b.api_server_endpoint.clone();
                s.ca_cert_hashes = b.ca_cert_hashes.clone();
                s.control_plane = Some(j.control_plane.is_some());
                let r = j.node_registration.as_ref().unwrap();
                s.node_name = r.name.clone();
                s.cri_socket = r.cri_socket.clone();
                s.kubelet_args = pairs_map(&r.kubelet_extra_args);
                s.ignore_preflight = r.ignore_preflight_errors.clone();
                s.patches_dir = j.patches.as_ref().and_then(|p| p.directory.clone());
            }
        }
        Documents::V1beta4 { init, join, cluster, .. } => {
            if let Some(i) = init {
                s.has_init = true;
                let t = &i.bootstrap_tokens[0];
                s.token = t.token.as_ref().map(|t| t.expose().to_string());
                s.expires = t.expires.clone();
                s.ttl = t.ttl.clone();
                let r = i.node_registration.as_ref().unwrap();
                s.node_name = r.name.clone();
                s.cri_socket = r.cri_socket.clone();
                s.kubelet_args = pairs_list(&r.kubelet_extra_args);
                s.ignore_preflight = r.ignore_preflight_errors.clone();
                s.patches_dir = i.patches.as_ref().and_then(|p| p.directory.clone());
            }
            if let Some(c) = cluster {
                s.has_cluster = true;
                s.kubernetes_version = c.kubernetes_version.clone();
                s.endpoint = c.control_plane_endpoint.clone();
                let n = c.networking.as_ref().unwrap();
                (s.pod_subnet, s.service_subnet, s.dns_domain) =
                    (n.pod_subnet.clone(), n.service_subnet.clone(), n.dns_domain.clone());
                let a = c.api_server.as_ref().unwrap();
                s.cert_sans = a.cert_sans.clone();
                s.api_server_args = pairs_list(&a.extra_args);
                s.controller_manager_args =
                    c.controller_manager.as_ref().map(|m| pairs_list(&m.extra_args)).unwrap_or_default();
            }
            if let Some(j) = join {
                s.has_join = true;
                let b = j.discovery.bootstrap_token.as_ref().unwrap();
                s.discovery_token = Some(b.token.expose().to_string());
                s.discovery_endpoint = b.api_server_endpoint.clone();
                s.ca_cert_hashes = b.ca_cert_hashes.clone();
                s.control_plane = Some(j.control_plane.is_some());
                let r = j.node_registration.as_ref().unwrap();
                s.node_name = r.name.clone();
                s.cri_socket = r.cri_socket.clone();
                s.kubelet_args = pairs_list(&r.kubelet_extra_args);
                s.ignore_preflight = r.ignore_preflight_errors.clone();
                s.patches_dir = j.patches.as_ref().and_then(|p| p.directory.clone());
            }
        }
    }
    s
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn role_and_version_matrix() {
    for version in ["v1.30.7", "v1.31.4"] {
        for role in Role::ALL {
            let spec = spec(role, version);
            let (yaml, docs) = render_parse(&spec);
            let s = seen(&docs);
            let ctx = format!("{} {version}\n{yaml}", role.as_str());
            let v1beta4 = version == "v1.31.4";
            assert_eq!(s.api_version, if v1beta4 { v1beta4::API_VERSION } else { v1beta3::API_VERSION }, "{ctx}");
            assert!(matches!(docs, Documents::V1beta4 { .. }) == v1beta4, "{ctx}");
            // The list form is unmistakable in the text as well.
            assert_eq!(yaml.contains("- name: audit-log-maxage"), v1beta4 && role == Role::Init, "{ctx}");
            assert_eq!(yaml.contains("audit-log-maxage: \"30\""), !v1beta4 && role == Role::Init, "{ctx}");
            assert_eq!(s.cri_socket.as_deref(), Some(CRI_SOCKET), "{ctx}");
            assert_eq!(s.node_name, None, "hostname naming leaves the name to kubeadm: {ctx}");
            assert!(s.kubelet_args.is_empty(), "{ctx}");
            assert!(s.ignore_preflight.is_empty(), "{ctx}");
            assert_eq!(s.patches_dir, None, "Flatcar needs no SELinux patches: {ctx}");
            match role {
                Role::Init => {
                    assert!(s.has_init && s.has_cluster && s.has_kubelet && s.has_join, "{ctx}");
                    // The control-plane join it takes when its cluster already runs.
                    assert_eq!(s.discovery_token.as_deref(), Some(TOKEN), "{ctx}");
                    assert_eq!(s.discovery_endpoint.as_deref(), Some("api.example.com:6443"), "{ctx}");
                    assert_eq!(s.ca_cert_hashes, [HASH], "{ctx}");
                    assert_eq!(s.control_plane, Some(true), "{ctx}");
                    assert!(docs.proxy().is_none(), "kube-proxy document only when patched: {ctx}");
                    assert_eq!(s.kubernetes_version.as_deref(), Some(version), "{ctx}");
                    assert_eq!(s.endpoint.as_deref(), Some("api.example.com"), "endpoint kept as given: {ctx}");
                    assert_eq!(s.pod_subnet.as_deref(), Some("192.168.0.0/16"), "{ctx}");
                    assert_eq!(s.service_subnet.as_deref(), Some("10.96.0.0/12"), "{ctx}");
                    assert_eq!(s.dns_domain.as_deref(), Some("cluster.local"), "{ctx}");
                    assert_eq!(s.cert_sans, ["10.0.0.10", "api.internal"], "{ctx}");
                    assert_eq!(s.api_server_args, [pair("audit-log-maxage", "30")], "{ctx}");
                    assert_eq!(
                        s.controller_manager_args,
                        [pair("flex-volume-plugin-dir", FLATCAR_FLEX_VOLUME_DIR)],
                        "{ctx}"
                    );
                    assert_eq!(s.token.as_deref(), Some(TOKEN), "{ctx}");
                    assert_eq!(s.expires, None, "kubeadm refuses expires beside its defaulted ttl: {ctx}");
                    assert_eq!(
                        s.ttl.as_deref(),
                        Some(TOKEN_TTL_PLACEHOLDER),
                        "an expiring token's ttl is worked out at boot: {ctx}"
                    );
                    assert_eq!(s.cgroup_driver.as_deref(), Some("systemd"), "{ctx}");
                    assert_eq!(s.volume_plugin_dir.as_deref(), Some(FLATCAR_FLEX_VOLUME_DIR), "{ctx}");
                }
                Role::ControlPlane | Role::Worker => {
                    assert!(s.has_join && !s.has_init && !s.has_cluster && !s.has_kubelet, "{ctx}");
                    assert_eq!(s.discovery_token.as_deref(), Some(TOKEN), "{ctx}");
                    assert_eq!(s.discovery_endpoint.as_deref(), Some("api.example.com:6443"), "{ctx}");
                    assert_eq!(s.ca_cert_hashes, [HASH], "{ctx}");
                    assert_eq!(s.control_plane, Some(role == Role::ControlPlane), "{ctx}");
                    assert_eq!(yaml.contains("controlPlane: {}"), role == Role::ControlPlane, "{ctx}");
                    assert!(!yaml.contains("certificateKey"), "{ctx}");
                }
            }
        }
    }
}

#[test]
fn v1beta4_join_golden() {
    let mut s = spec(Role::Worker, "v1.33.1");
    s.node.name_from = NameFrom::Aws;
    s.node.labels = BTreeMap::from([("pool".to_string(), "a".to_string())]);
    let want = r#"apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
nodeRegistration:
  name: __KUBEADM_NODE_NAME__
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
  - name: node-labels
    value: pool=a
  - name: provider-id
    value: __KUBEADM_PROVIDER_ID__
discovery:
  bootstrapToken:
    token: abcdef.0123456789abcdef
    apiServerEndpoint: api.example.com:6443
    caCertHashes:
    - sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
"#;
    assert_eq!(render(&s).unwrap(), want);
}

#[test]
fn v1beta3_init_golden() {
    let s = spec(Role::Init, "v1.29.3");
    let want = r#"apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
bootstrapTokens:
- token: abcdef.0123456789abcdef
  description: nodes
  ttl: __KUBEADM_TOKEN_TTL__
  usages:
  - signing
  - authentication
  groups:
  - system:bootstrappers:kubeadm:default-node-token
nodeRegistration:
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
networking:
  serviceSubnet: 10.96.0.0/12
  podSubnet: 192.168.0.0/16
  dnsDomain: cluster.local
kubernetesVersion: v1.29.3
controlPlaneEndpoint: api.example.com
apiServer:
  extraArgs:
    audit-log-maxage: "30"
  certSANs:
  - 10.0.0.10
  - api.internal
controllerManager:
  extraArgs:
    flex-volume-plugin-dir: /opt/libexec/kubernetes/kubelet-plugins/volume/exec/
clusterName: prod
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
volumePluginDir: /opt/libexec/kubernetes/kubelet-plugins/volume/exec/
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
nodeRegistration:
  criSocket: unix:///run/containerd/containerd.sock
discovery:
  bootstrapToken:
    token: abcdef.0123456789abcdef
    apiServerEndpoint: api.example.com:6443
    caCertHashes:
    - sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
controlPlane: {}
"#;
    assert_eq!(render(&s).unwrap(), want);
}

#[test]
fn yaml_1_1_lookalikes_are_quoted() {
    let mut sp = spec(Role::Worker, "v1.31.0");
    sp.node.taints = Some(vec![SpecTaint {
        key: "gpu".to_string(),
        value: Some("yes".to_string()),
        effect: "NoSchedule".to_string(),
    }]);
    sp.node.kubelet_extra_args =
        BTreeMap::from([("v".to_string(), "on".to_string()), ("x".to_string(), "1_000".to_string())]);
    let yaml = render(&sp).unwrap();
    for line in ["value: \"yes\"", "value: \"on\"", "value: \"1_000\""] {
        assert!(yaml.contains(line), "{line}\n{yaml}");
    }
}

#[test]
fn aws_naming_uses_placeholders() {
    for version in ["v1.30.0", "v1.31.0"] {
        for role in Role::ALL {
            let mut sp = spec(role, version);
            sp.node.name_from = NameFrom::Aws;
            let (yaml, docs) = render_parse(&sp);
            let s = seen(&docs);
            assert_eq!(s.node_name.as_deref(), Some(NODE_NAME_PLACEHOLDER), "{yaml}");
            assert!(s.kubelet_args.contains(&pair("provider-id", PROVIDER_ID_PLACEHOLDER)), "{yaml}");
        }
    }
    // A provider ID the user chose wins over the placeholder.
    let mut sp = spec(Role::Worker, "v1.31.0");
    sp.node.name_from = NameFrom::Aws;
    sp.node.kubelet_extra_args.insert("provider-id".to_string(), "aws:///zone/i-1".to_string());
    let s = seen(&parse_documents(&render(&sp).unwrap()).unwrap());
    assert_eq!(s.kubelet_args, [pair("provider-id", "aws:///zone/i-1")]);
}

#[test]
fn fcos_ignores_conntrack_preflight_below_1_32() {
    let cases = [
        (OperatingSystem::FedoraCoreos, "v1.30.2", true),
        (OperatingSystem::FedoraCoreos, "v1.31.9", true),
        (OperatingSystem::FedoraCoreos, "v1.32.0", false),
        (OperatingSystem::Flatcar, "v1.31.9", false),
    ];
    for (os, version, want) in cases {
        for role in Role::ALL {
            let mut sp = spec(role, version);
            sp.os = os;
            sp.node.ignore_preflight_errors = vec!["NumCPU".to_string()];
            let s = seen(&render_parse(&sp).1);
            let mut expected = vec!["NumCPU".to_string()];
            if want {
                expected.push(CONNTRACK_PREFLIGHT.to_string());
            }
            assert_eq!(s.ignore_preflight, expected, "{os:?} {version} {role:?}");
        }
    }
    // Not repeated when the user already lists it.
    let mut sp = spec(Role::Worker, "v1.30.0");
    sp.os = OperatingSystem::FedoraCoreos;
    sp.node.ignore_preflight_errors = vec!["FileExisting-conntrack".to_string()];
    assert_eq!(seen(&render_parse(&sp).1).ignore_preflight, ["FileExisting-conntrack"]);
}

#[test]
fn flex_volume_dirs_below_1_36_only() {
    let cases = [
        (OperatingSystem::Flatcar, "v1.35.3", Some(FLATCAR_FLEX_VOLUME_DIR)),
        (OperatingSystem::FedoraCoreos, "v1.35.3", Some(FCOS_FLEX_VOLUME_DIR)),
        (OperatingSystem::FedoraCoreos, "v1.30.3", Some(FCOS_FLEX_VOLUME_DIR)),
        (OperatingSystem::Flatcar, "v1.36.0", None),
        (OperatingSystem::FedoraCoreos, "v1.36.1", None),
    ];
    for (os, version, dir) in cases {
        let mut sp = spec(Role::Init, version);
        sp.os = os;
        let (yaml, docs) = render_parse(&sp);
        let s = seen(&docs);
        assert_eq!(s.volume_plugin_dir.as_deref(), dir, "{yaml}");
        let flex: Vec<_> = s.controller_manager_args.iter().filter(|(k, _)| k == "flex-volume-plugin-dir").collect();
        match dir {
            Some(d) => assert_eq!(flex, [&pair("flex-volume-plugin-dir", d)], "{yaml}"),
            None => {
                assert!(flex.is_empty(), "{yaml}");
                assert!(!yaml.contains("flex-volume") && !yaml.contains("volumePluginDir"), "{yaml}");
            }
        }
    }
    // The user's own directory is kept.
    let mut sp = spec(Role::Init, "v1.31.0");
    sp.cluster.controller_manager.extra_args.insert("flex-volume-plugin-dir".to_string(), "/var/flex".to_string());
    let s = seen(&render_parse(&sp).1);
    assert_eq!(s.controller_manager_args, [pair("flex-volume-plugin-dir", "/var/flex")]);
}

#[test]
fn fcos_control_planes_reference_the_patches_directory() {
    for version in ["v1.30.0", "v1.31.0"] {
        for role in Role::ALL {
            let mut sp = spec(role, version);
            sp.os = OperatingSystem::FedoraCoreos;
            let s = seen(&render_parse(&sp).1);
            let want = role.is_control_plane().then_some(PATCHES_DIR);
            assert_eq!(s.patches_dir.as_deref(), want, "{role:?} {version}");
        }
    }
}

#[test]
fn taints_absent_empty_or_listed() {
    for version in ["v1.30.0", "v1.31.0"] {
        let mut sp = spec(Role::Init, version);
        assert!(!render(&sp).unwrap().contains("taints"));

        sp.node.taints = Some(Vec::new());
        let yaml = render(&sp).unwrap();
        assert!(yaml.contains("  taints: []\n"), "{yaml}");

        sp.node.taints = Some(vec![
            SpecTaint {
                key: "dedicated".to_string(),
                value: Some("infra".to_string()),
                effect: "NoSchedule".to_string(),
            },
            SpecTaint { key: "gpu".to_string(), value: None, effect: "NoExecute".to_string() },
        ]);
        let docs = parse_documents(&render(&sp).unwrap()).unwrap();
        let taints = match &docs {
            Documents::V1beta3 { init, .. } => {
                init.as_ref().unwrap().node_registration.as_ref().unwrap().taints.clone()
            }
            Documents::V1beta4 { init, .. } => {
                init.as_ref().unwrap().node_registration.as_ref().unwrap().taints.clone()
            }
        }
        .unwrap();
        assert_eq!(taints.len(), 2);
        assert_eq!((taints[0].key.as_str(), taints[0].value.as_deref()), ("dedicated", Some("infra")));
        assert_eq!((taints[1].effect.as_str(), taints[1].value.as_deref()), ("NoExecute", None));
    }
}

#[test]
fn node_labels_become_a_sorted_kubelet_flag() {
    for version in ["v1.30.0", "v1.31.0"] {
        let mut sp = spec(Role::Worker, version);
        sp.node.labels = BTreeMap::from([
            ("zone".to_string(), "b".to_string()),
            ("node.kubernetes.io/pool".to_string(), "infra".to_string()),
            ("example.com/empty".to_string(), String::new()),
        ]);
        sp.node.kubelet_extra_args.insert("max-pods".to_string(), "110".to_string());
        let s = seen(&render_parse(&sp).1);
        assert_eq!(
            s.kubelet_args,
            [pair("max-pods", "110"), pair("node-labels", "example.com/empty=,node.kubernetes.io/pool=infra,zone=b")]
        );
    }
}

#[test]
fn bad_node_labels_are_refused() {
    let label = |k: &str, v: &str| {
        let mut sp = spec(Role::Worker, "v1.31.0");
        sp.node.labels = BTreeMap::from([(k.to_string(), v.to_string())]);
        render(&sp)
    };
    for key in ["node-role.kubernetes.io/worker", "kubernetes.io/role", "foo.k8s.io/x"] {
        assert!(matches!(label(key, "x"), Err(KubeadmError::ForbiddenNodeLabel { .. })), "{key}");
    }
    for key in ["topology.kubernetes.io/zone", "kubelet.kubernetes.io/x", "a.node.kubernetes.io/y", "example.com/x"] {
        assert!(label(key, "x").is_ok(), "{key}");
    }
    for (key, value) in [("a,b", "x"), ("a=b", "x"), ("", "x"), ("Example.com/x", "y"), ("k", "a,b"), ("k", "-x")] {
        assert!(matches!(label(key, value), Err(KubeadmError::InvalidNodeLabel { .. })), "{key}={value}");
    }
    let mut sp = spec(Role::Worker, "v1.31.0");
    sp.node.labels = BTreeMap::from([("a".to_string(), "b".to_string())]);
    sp.node.kubelet_extra_args.insert("node-labels".to_string(), "c=d".to_string());
    assert_eq!(render(&sp), Err(KubeadmError::NodeLabelsTwice));
    // Without node.labels the raw flag is passed through untouched.
    sp.node.labels.clear();
    assert!(render(&sp).unwrap().contains("c=d"));
}

#[test]
fn a_token_without_expiry_gets_ttl_zero() {
    for version in ["v1.30.0", "v1.31.0"] {
        let mut sp = spec(Role::Init, version);
        sp.bootstrap_token.expires = None;
        let s = seen(&render_parse(&sp).1);
        assert_eq!((s.ttl.as_deref(), s.expires), (Some("0s"), None));
    }
}

#[test]
fn other_cluster_settings_are_carried() {
    for version in ["v1.30.0", "v1.31.0"] {
        let mut sp = spec(Role::Init, version);
        sp.cluster.image_repository = Some("registry.example.com/k8s".to_string());
        sp.cluster.feature_gates = BTreeMap::from([("EtcdLearnerMode".to_string(), true)]);
        sp.cluster.scheduler.extra_args.insert("bind-address".to_string(), "0.0.0.0".to_string());
        sp.cluster.etcd.extra_args.insert("quota-backend-bytes".to_string(), "8589934592".to_string());
        sp.node.skip_phases = vec!["addon/kube-proxy".to_string()];
        let yaml = render(&sp).unwrap();
        let docs = parse_documents(&yaml).unwrap();
        match docs {
            Documents::V1beta3 { init, cluster, .. } => {
                let c = cluster.unwrap();
                assert_eq!(c.image_repository.as_deref(), Some("registry.example.com/k8s"));
                assert_eq!(c.feature_gates.get("EtcdLearnerMode"), Some(&true));
                assert_eq!(c.scheduler.unwrap().extra_args.get("bind-address").map(String::as_str), Some("0.0.0.0"));
                let local = c.etcd.unwrap().local.unwrap();
                assert_eq!(local.data_dir.as_deref(), Some(DEFAULT_ETCD_DATA_DIR));
                assert_eq!(local.extra_args.get("quota-backend-bytes").map(String::as_str), Some("8589934592"));
                assert_eq!(init.unwrap().skip_phases, ["addon/kube-proxy"]);
            }
            Documents::V1beta4 { init, cluster, .. } => {
                let c = cluster.unwrap();
                assert_eq!(c.image_repository.as_deref(), Some("registry.example.com/k8s"));
                assert_eq!(c.cluster_name.as_deref(), Some("prod"));
                let local = c.etcd.unwrap().local.unwrap();
                assert_eq!(pairs_list(&local.extra_args), [pair("quota-backend-bytes", "8589934592")]);
                assert_eq!(init.unwrap().skip_phases, ["addon/kube-proxy"]);
            }
        }
    }
}

#[test]
fn control_plane_endpoint_ports() {
    let ok = [
        ("api.example.com", "api.example.com:6443"),
        ("api.example.com:443", "api.example.com:443"),
        ("10.0.0.1", "10.0.0.1:6443"),
        ("[fd00::1]", "[fd00::1]:6443"),
        ("[fd00::1]:8443", "[fd00::1]:8443"),
        ("fd00::1", "[fd00::1]:6443"),
    ];
    for (given, want) in ok {
        assert_eq!(endpoint_with_port(given).unwrap(), want);
    }
    for bad in
        ["", "https://api.example.com", "api.example.com/", "api:", "api:0", "api:70000", ":6443", "[fd00::1", "a b"]
    {
        assert!(matches!(endpoint_with_port(bad), Err(KubeadmError::InvalidControlPlaneEndpoint { .. })), "{bad:?}");
    }
    let mut sp = spec(Role::Worker, "v1.31.0");
    sp.cluster.control_plane_endpoint = "https://api.example.com:6443".to_string();
    let err = render(&sp).unwrap_err().to_string();
    assert!(err.contains("without a scheme"), "{err}");
}

#[test]
fn rendering_is_deterministic_and_round_trips() {
    for version in ["v1.30.0", "v1.31.0", "v1.36.0"] {
        for role in Role::ALL {
            let mut sp = spec(role, version);
            sp.os = OperatingSystem::FedoraCoreos;
            sp.node.name_from = NameFrom::Aws;
            sp.node.labels = BTreeMap::from([("b".to_string(), "2".to_string()), ("a".to_string(), "1".to_string())]);
            let first = render(&sp).unwrap();
            assert_eq!(first, render(&sp).unwrap());
            assert_eq!(parse_documents(&first).unwrap().to_yaml().unwrap(), first);
        }
    }
}

#[test]
fn debug_output_hides_the_token() {
    for role in Role::ALL {
        let docs = documents(&spec(role, "v1.31.0")).unwrap();
        let shown = format!("{docs:?}");
        assert!(!shown.contains(TOKEN_SECRET), "{shown}");
        assert!(shown.contains("<sensitive>"));
    }
}

// ---------------------------------------------------------------- patches

fn with_patch(role: Role, version: &str, set: impl FnOnce(&mut KubeadmPatches)) -> NodeSpec {
    let mut sp = spec(role, version);
    set(&mut sp.patches);
    sp
}

#[test]
fn patch_adds_and_deletes_v1beta3_args() {
    let sp = with_patch(Role::Init, "v1.30.1", |p| {
        p.cluster_configuration = Some(
            "apiServer:\n  extraArgs:\n    profiling: \"false\"\n    audit-log-maxage: null\n\
             controllerManager:\n  extraArgs:\n    flex-volume-plugin-dir: null\n"
                .to_string(),
        )
    });
    assert_eq!(validate_patches(&sp), Ok(()));
    let s = seen(&render_parse(&sp).1);
    assert_eq!(s.api_server_args, [pair("profiling", "false")]);
    assert!(s.controller_manager_args.is_empty());
    assert_eq!(s.cert_sans, ["10.0.0.10", "api.internal"], "untouched fields stay");
}

#[test]
fn patch_replaces_v1beta4_arg_lists_and_sorts_them() {
    let sp = with_patch(Role::Init, "v1.31.1", |p| {
        p.cluster_configuration = Some(
            r#"{"apiServer": {"extraArgs": [{"name": "profiling", "value": "false"},
                {"name": "audit-log-maxage", "value": "7"}, {"name": "admission-control-config-file", "value": "/a"},
                {"name": "admission-control-config-file", "value": "/b"}]}}"#
                .to_string(),
        )
    });
    let s = seen(&render_parse(&sp).1);
    assert_eq!(
        s.api_server_args,
        [
            pair("admission-control-config-file", "/a"),
            pair("admission-control-config-file", "/b"),
            pair("audit-log-maxage", "7"),
            pair("profiling", "false"),
        ]
    );
}

#[test]
fn patches_of_every_init_document() {
    for version in ["v1.30.1", "v1.31.1"] {
        let sp = with_patch(Role::Init, version, |p| {
            p.init_configuration = Some("localAPIEndpoint:\n  bindPort: 8443\n".to_string());
            p.kubelet_configuration = Some("maxPods: 250\nsystemReserved:\n  memory: 500Mi\n".to_string());
            p.kube_proxy_configuration = Some("mode: ipvs\nipvs:\n  strictARP: true\n".to_string());
        });
        let (yaml, docs) = render_parse(&sp);
        let k = docs.kubelet().unwrap();
        assert_eq!((k.max_pods, k.cgroup_driver.as_deref()), (Some(250), Some("systemd")), "{yaml}");
        assert_eq!(k.system_reserved.get("memory").map(String::as_str), Some("500Mi"));
        let p = docs.proxy().expect("patched kube-proxy document is emitted");
        assert_eq!(p.mode.as_deref(), Some("ipvs"));
        assert_eq!(p.ipvs.as_ref().unwrap().strict_arp, Some(true));
        assert!(yaml.contains("bindPort: 8443"), "{yaml}");
        assert!(yaml.find("kind: KubeletConfiguration").unwrap() < yaml.find("kind: KubeProxyConfiguration").unwrap());
    }
}

#[test]
fn join_patch() {
    for version in ["v1.30.1", "v1.31.1"] {
        let sp = with_patch(Role::ControlPlane, version, |p| {
            p.join_configuration =
                Some("controlPlane:\n  localAPIEndpoint:\n    advertiseAddress: 10.0.0.5\n".to_string())
        });
        let yaml = render(&sp).unwrap();
        assert!(yaml.contains("advertiseAddress: 10.0.0.5"), "{yaml}");
        parse_documents(&yaml).unwrap();
    }
}

#[test]
fn unknown_patch_field_is_reported_with_its_path() {
    for version in ["v1.30.1", "v1.31.1"] {
        let sp = with_patch(Role::Init, version, |p| {
            p.cluster_configuration = Some("apiServer:\n  extraArgz:\n    a: b\n".to_string())
        });
        let want = KubeadmError::PatchUnknownField {
            document: "cluster_configuration",
            path: "apiServer.extraArgz".to_string(),
        };
        assert_eq!(render(&sp), Err(want.clone()));
        assert_eq!(validate_patches(&sp), Err(want));
    }
    let sp = with_patch(Role::Worker, "v1.31.1", |p| {
        p.join_configuration = Some("discovery:\n  bootstrapToken:\n    caCertHash: [x]\n".to_string())
    });
    assert_eq!(
        validate_patches(&sp),
        Err(KubeadmError::PatchUnknownField {
            document: "join_configuration",
            path: "discovery.bootstrapToken.caCertHash".to_string()
        })
    );
    let sp = with_patch(Role::Init, "v1.31.1", |p| p.kubelet_configuration = Some("maxpods: 10\n".to_string()));
    let err = validate_patches(&sp).unwrap_err();
    assert_eq!(err, KubeadmError::PatchUnknownField { document: "kubelet_configuration", path: "maxpods".to_string() });
    assert!(err.to_string().contains("kubeadm_config_patches.kubelet_configuration"), "{err}");
}

#[test]
fn mistyped_patch_values_are_reported() {
    let sp = with_patch(Role::Init, "v1.31.1", |p| p.kubelet_configuration = Some("maxPods: lots\n".to_string()));
    match validate_patches(&sp) {
        Err(KubeadmError::PatchInvalidValue { document: "kubelet_configuration", path, message }) => {
            assert_eq!(path, "maxPods");
            assert!(message.contains("lots"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn patches_must_be_mappings() {
    for (text, found) in [("- a\n- b\n", "a list"), ("42", "a number"), ("true", "a boolean")] {
        let sp = with_patch(Role::Init, "v1.31.1", |p| p.cluster_configuration = Some(text.to_string()));
        assert_eq!(
            validate_patches(&sp),
            Err(KubeadmError::PatchNotMapping { document: "cluster_configuration", found })
        );
    }
    let sp = with_patch(Role::Init, "v1.31.1", |p| p.cluster_configuration = Some("a: [1\n".to_string()));
    assert!(matches!(validate_patches(&sp), Err(KubeadmError::PatchNotYaml { document: "cluster_configuration", .. })));
    // An empty patch changes nothing.
    let sp = with_patch(Role::Init, "v1.31.1", |p| p.cluster_configuration = Some(String::new()));
    assert_eq!(render(&sp).unwrap(), render(&spec(Role::Init, "v1.31.1")).unwrap());
}

#[test]
fn patches_may_not_change_api_version_or_kind() {
    let cases = [
        ("apiVersion: kubeadm.k8s.io/v1beta3\n", "apiVersion"),
        ("apiVersion: null\n", "apiVersion"),
        ("kind: InitConfiguration\n", "kind"),
    ];
    for (text, field) in cases {
        let sp = with_patch(Role::Init, "v1.31.1", |p| p.cluster_configuration = Some(text.to_string()));
        match validate_patches(&sp) {
            Err(KubeadmError::PatchChangesTypeMeta { document: "cluster_configuration", field: f, .. }) => {
                assert_eq!(f, field)
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    // Restating the same values is harmless.
    let sp = with_patch(Role::Init, "v1.31.1", |p| {
        p.kubelet_configuration =
            Some("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n".to_string())
    });
    assert_eq!(validate_patches(&sp), Ok(()));
}

#[test]
fn patches_for_documents_the_role_does_not_emit() {
    // An init node without an endpoint has no join to patch.
    let mut init = with_patch(Role::Init, "v1.31.1", |p| p.join_configuration = Some("{}".to_string()));
    init.cluster.control_plane_endpoint.clear();
    let err = validate_patches(&init).unwrap_err();
    assert_eq!(err, KubeadmError::PatchNotApplicable { document: "join_configuration", role: "init" });
    assert!(err.to_string().contains("join_configuration"), "{err}");
    assert!(err.to_string().contains("control_plane_endpoint"), "{err}");
    type Setter = fn(&mut KubeadmPatches);
    let joins: [(&str, Setter); 4] = [
        ("cluster_configuration", |p| p.cluster_configuration = Some("{}".to_string())),
        ("init_configuration", |p| p.init_configuration = Some("{}".to_string())),
        ("kubelet_configuration", |p| p.kubelet_configuration = Some("{}".to_string())),
        ("kube_proxy_configuration", |p| p.kube_proxy_configuration = Some("{}".to_string())),
    ];
    for role in [Role::ControlPlane, Role::Worker] {
        for (document, set) in joins {
            let sp = with_patch(role, "v1.30.1", set);
            assert_eq!(validate_patches(&sp), Err(KubeadmError::PatchNotApplicable { document, role: role.as_str() }));
        }
    }
}

#[test]
fn patch_errors_do_not_reveal_the_token() {
    let bad = [
        "discovery:\n  bootstrapToken:\n    token: 5\n",
        "discovery:\n  bootstrapToken: [1]\n",
        "discovery: {bootstrapToken: {tokn: x}}\n",
        "kind: Other\n",
    ];
    for text in bad {
        let sp = with_patch(Role::Worker, "v1.31.1", |p| p.join_configuration = Some(text.to_string()));
        let err = validate_patches(&sp).unwrap_err();
        assert!(!format!("{err} {err:?}").contains(TOKEN_SECRET), "{err}");
    }
}

// --------------------------------------------------------------- parsing

#[test]
fn documentation_examples_parse() {
    let v4 = parse_documents(include_str!("fixtures/v1beta4-init-docs-example.yaml")).unwrap();
    let Documents::V1beta4 { init: Some(init), cluster: Some(cluster), join: None, kubelet: Some(_), proxy: Some(_) } =
        &v4
    else {
        panic!("{v4:?}")
    };
    assert_eq!(init.bootstrap_tokens.len(), 2);
    assert_eq!(init.bootstrap_tokens[0].token.as_ref().unwrap().expose(), "9a08jv.c0izixklcxtmnze7");
    assert_eq!(init.bootstrap_tokens[1].usages, ["authentication", "signing"]);
    let reg = init.node_registration.as_ref().unwrap();
    assert_eq!(pairs_list(&reg.kubelet_extra_args), [pair("v", "5")]);
    assert_eq!(reg.image_pull_serial, Some(true));
    assert_eq!(init.timeouts.as_ref().unwrap().kubernetes_api_call.as_deref(), Some("40s"));
    assert_eq!(cluster.encryption_algorithm.as_deref(), Some("ECDSA-P256"));
    assert_eq!(cluster.proxy.as_ref().unwrap().disabled, Some(true));
    let local = cluster.etcd.as_ref().unwrap().local.as_ref().unwrap();
    assert_eq!(local.extra_envs[0].value.as_deref(), Some("SOME_VALUE"));
    assert_eq!(cluster.api_server.as_ref().unwrap().extra_volumes[0].path_type.as_deref(), Some("File"));

    let join = parse_documents(include_str!("fixtures/v1beta4-join-docs-example.yaml")).unwrap();
    let Documents::V1beta4 { join: Some(join), init: None, .. } = &join else { panic!("{join:?}") };
    let b = join.discovery.bootstrap_token.as_ref().unwrap();
    assert_eq!(b.api_server_endpoint.as_deref(), Some("some-address:6443"));
    assert_eq!(b.unsafe_skip_ca_verification, Some(true));
    assert!(join.discovery.tls_bootstrap_token.is_some());

    let v3 = parse_documents(include_str!("fixtures/v1beta3-init-docs-example.yaml")).unwrap();
    let Documents::V1beta3 { init: Some(init), cluster: Some(cluster), .. } = &v3 else { panic!("{v3:?}") };
    assert_eq!(init.skip_phases, ["addon/kube-proxy"]);
    assert_eq!(init.node_registration.as_ref().unwrap().kubelet_extra_args.get("v").map(String::as_str), Some("4"));
    let api = cluster.api_server.as_ref().unwrap();
    assert_eq!(api.extra_args.get("authorization-mode").map(String::as_str), Some("Node,RBAC"));
    assert_eq!(api.timeout_for_control_plane.as_deref(), Some("4m0s"));
    assert_eq!(
        cluster.controller_manager.as_ref().unwrap().extra_args.get("node-cidr-mask-size").map(String::as_str),
        Some("20")
    );

    // Each example survives a serialize/parse round trip unchanged.
    for docs in [v4, v3] {
        assert_eq!(parse_documents(&docs.to_yaml().unwrap()).unwrap(), docs);
    }
}

#[test]
fn parse_documents_is_strict() {
    let init3 = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n";
    let init4 = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";
    let kubelet = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n";
    assert!(matches!(parse_documents(&format!("{init3}---\n{init4}")), Err(KubeadmError::MixedKubeadmVersions { .. })));
    assert!(matches!(parse_documents(&format!("{init4}---\n{init4}")), Err(KubeadmError::DuplicateDocument { .. })));
    assert_eq!(parse_documents(kubelet), Err(KubeadmError::NoKubeadmDocument));
    assert_eq!(parse_documents(""), Err(KubeadmError::NoKubeadmDocument));
    assert!(matches!(
        parse_documents(&format!("{init4}---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\n")),
        Err(KubeadmError::UnknownDocument { index: 1, .. })
    ));
    assert!(matches!(parse_documents("kind: InitConfiguration\n"), Err(KubeadmError::MissingTypeMeta { index: 0 })));
    assert!(matches!(parse_documents("- a\n"), Err(KubeadmError::MissingTypeMeta { index: 0 })));
    match parse_documents(&format!("{init4}nodeRegistration:\n  nmae: x\n")) {
        Err(KubeadmError::InvalidDocument { index: 0, path, .. }) => assert_eq!(path, "nodeRegistration.nmae"),
        other => panic!("{other:?}"),
    }
    // A v1beta3 map where v1beta4 expects a list, and the other way round.
    let args4 = format!("{init4}nodeRegistration:\n  kubeletExtraArgs:\n    v: '4'\n");
    assert!(matches!(parse_documents(&args4), Err(KubeadmError::InvalidDocument { .. })));
    let args3 = format!("{init3}nodeRegistration:\n  kubeletExtraArgs:\n  - name: v\n    value: '4'\n");
    assert!(matches!(parse_documents(&args3), Err(KubeadmError::InvalidDocument { .. })));
    // Leading separators and empty documents are fine.
    assert!(parse_documents(&format!("---\n{init4}---\n---\n{kubelet}")).is_ok());
}

// ------------------------------------------------ field names vs upstream

/// The field names a struct accepts, read from serde's unknown-field error.
fn modeled_fields<T: DeserializeOwned>() -> BTreeSet<String> {
    let err = serde_json::from_value::<T>(serde_json::json!({"\u{1}probe": 0})).err().map(|e| e.to_string());
    let msg = err.unwrap_or_default();
    let expected = msg.split_once("expected").map(|(_, rest)| rest).unwrap_or_default();
    expected.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

fn assert_upstream<T: DeserializeOwned>(what: &str, upstream: &[&str]) {
    let modeled = modeled_fields::<T>();
    assert!(!modeled.is_empty(), "{what}: could not read the modelled fields");
    let upstream: BTreeSet<String> = upstream.iter().map(|s| s.to_string()).collect();
    let wrong: Vec<_> = modeled.difference(&upstream).collect();
    assert!(wrong.is_empty(), "{what}: fields not in the upstream API: {wrong:?}");
}

#[test]
fn modelled_field_names_exist_upstream() {
    // JSON tags of the upstream Go types (kubeadm v1beta3/v1beta4,
    // bootstraptoken/v1, core/v1, kubelet config v1beta1, kube-proxy config
    // v1alpha1, component-base logging).
    assert_upstream::<common::BootstrapToken>(
        "BootstrapToken",
        &["token", "description", "ttl", "expires", "usages", "groups"],
    );
    assert_upstream::<common::Taint>("Taint", &["key", "value", "effect", "timeAdded"]);
    assert_upstream::<common::ApiEndpoint>("APIEndpoint", &["advertiseAddress", "bindPort"]);
    assert_upstream::<common::Patches>("Patches", &["directory"]);
    assert_upstream::<common::Networking>("Networking", &["serviceSubnet", "podSubnet", "dnsDomain"]);
    assert_upstream::<common::HostPathMount>(
        "HostPathMount",
        &["name", "hostPath", "mountPath", "readOnly", "pathType"],
    );
    assert_upstream::<common::BootstrapTokenDiscovery>(
        "BootstrapTokenDiscovery",
        &["token", "apiServerEndpoint", "caCertHashes", "unsafeSkipCAVerification"],
    );
    assert_upstream::<common::FileDiscovery>("FileDiscovery", &["kubeConfigPath"]);
    assert_upstream::<common::JoinControlPlane>("JoinControlPlane", &["localAPIEndpoint", "certificateKey"]);

    assert_upstream::<v1beta3::InitConfiguration>(
        "v1beta3.InitConfiguration",
        &[
            "apiVersion",
            "kind",
            "bootstrapTokens",
            "nodeRegistration",
            "localAPIEndpoint",
            "certificateKey",
            "skipPhases",
            "patches",
        ],
    );
    assert_upstream::<v1beta3::ClusterConfiguration>(
        "v1beta3.ClusterConfiguration",
        &[
            "apiVersion",
            "kind",
            "etcd",
            "networking",
            "kubernetesVersion",
            "controlPlaneEndpoint",
            "apiServer",
            "controllerManager",
            "scheduler",
            "dns",
            "certificatesDir",
            "imageRepository",
            "featureGates",
            "clusterName",
        ],
    );
    assert_upstream::<v1beta3::ControlPlaneComponent>("v1beta3.ControlPlaneComponent", &["extraArgs", "extraVolumes"]);
    assert_upstream::<v1beta3::ApiServer>(
        "v1beta3.APIServer",
        &["extraArgs", "extraVolumes", "certSANs", "timeoutForControlPlane"],
    );
    assert_upstream::<v1beta3::Dns>("v1beta3.DNS", &["imageRepository", "imageTag"]);
    assert_upstream::<v1beta3::Etcd>("v1beta3.Etcd", &["local", "external"]);
    assert_upstream::<v1beta3::LocalEtcd>(
        "v1beta3.LocalEtcd",
        &["imageRepository", "imageTag", "dataDir", "extraArgs", "serverCertSANs", "peerCertSANs"],
    );
    assert_upstream::<v1beta3::ExternalEtcd>("v1beta3.ExternalEtcd", &["endpoints", "caFile", "certFile", "keyFile"]);
    assert_upstream::<v1beta3::NodeRegistrationOptions>(
        "v1beta3.NodeRegistrationOptions",
        &["name", "criSocket", "taints", "kubeletExtraArgs", "ignorePreflightErrors", "imagePullPolicy"],
    );
    assert_upstream::<v1beta3::JoinConfiguration>(
        "v1beta3.JoinConfiguration",
        &["apiVersion", "kind", "nodeRegistration", "caCertPath", "discovery", "controlPlane", "skipPhases", "patches"],
    );
    assert_upstream::<v1beta3::Discovery>(
        "v1beta3.Discovery",
        &["bootstrapToken", "file", "tlsBootstrapToken", "timeout"],
    );

    assert_upstream::<v1beta4::InitConfiguration>(
        "v1beta4.InitConfiguration",
        &[
            "apiVersion",
            "kind",
            "bootstrapTokens",
            "dryRun",
            "nodeRegistration",
            "localAPIEndpoint",
            "certificateKey",
            "skipPhases",
            "patches",
            "timeouts",
        ],
    );
    assert_upstream::<v1beta4::ClusterConfiguration>(
        "v1beta4.ClusterConfiguration",
        &[
            "apiVersion",
            "kind",
            "etcd",
            "networking",
            "kubernetesVersion",
            "controlPlaneEndpoint",
            "apiServer",
            "controllerManager",
            "scheduler",
            "dns",
            "proxy",
            "certificatesDir",
            "imageRepository",
            "featureGates",
            "clusterName",
            "encryptionAlgorithm",
            "certificateValidityPeriod",
            "caCertificateValidityPeriod",
        ],
    );
    assert_upstream::<v1beta4::ControlPlaneComponent>(
        "v1beta4.ControlPlaneComponent",
        &["extraArgs", "extraVolumes", "extraEnvs"],
    );
    assert_upstream::<v1beta4::ApiServer>("v1beta4.APIServer", &["extraArgs", "extraVolumes", "extraEnvs", "certSANs"]);
    assert_upstream::<v1beta4::Dns>("v1beta4.DNS", &["imageRepository", "imageTag", "disabled"]);
    assert_upstream::<v1beta4::Proxy>("v1beta4.Proxy", &["disabled"]);
    assert_upstream::<v1beta4::LocalEtcd>(
        "v1beta4.LocalEtcd",
        &["imageRepository", "imageTag", "dataDir", "extraArgs", "extraEnvs", "serverCertSANs", "peerCertSANs"],
    );
    assert_upstream::<v1beta4::ExternalEtcd>(
        "v1beta4.ExternalEtcd",
        &["endpoints", "httpEndpoints", "caFile", "certFile", "keyFile"],
    );
    assert_upstream::<v1beta4::NodeRegistrationOptions>(
        "v1beta4.NodeRegistrationOptions",
        &[
            "name",
            "criSocket",
            "taints",
            "kubeletExtraArgs",
            "ignorePreflightErrors",
            "imagePullPolicy",
            "imagePullSerial",
        ],
    );
    assert_upstream::<v1beta4::JoinConfiguration>(
        "v1beta4.JoinConfiguration",
        &[
            "apiVersion",
            "kind",
            "dryRun",
            "nodeRegistration",
            "caCertPath",
            "discovery",
            "controlPlane",
            "skipPhases",
            "patches",
            "timeouts",
        ],
    );
    assert_upstream::<v1beta4::Discovery>("v1beta4.Discovery", &["bootstrapToken", "file", "tlsBootstrapToken"]);
    assert_upstream::<v1beta4::Timeouts>(
        "v1beta4.Timeouts",
        &[
            "controlPlaneComponentHealthCheck",
            "kubeletHealthCheck",
            "kubernetesAPICall",
            "etcdAPICall",
            "tlsBootstrap",
            "discovery",
            "upgradeManifests",
        ],
    );
    assert_upstream::<v1beta4::Arg>("v1beta4.Arg", &["name", "value"]);
    assert_upstream::<v1beta4::EnvVar>("core.EnvVar", &["name", "value", "valueFrom"]);
    assert_upstream::<v1beta4::EnvVarSource>(
        "core.EnvVarSource",
        &["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"],
    );
    assert_upstream::<v1beta4::ObjectFieldSelector>("core.ObjectFieldSelector", &["apiVersion", "fieldPath"]);
    assert_upstream::<v1beta4::ResourceFieldSelector>(
        "core.ResourceFieldSelector",
        &["containerName", "resource", "divisor"],
    );
    assert_upstream::<v1beta4::KeySelector>("core.KeySelector", &["name", "key", "optional"]);

    assert_upstream::<KubeletConfiguration>("KubeletConfiguration", KUBELET_UPSTREAM);
    assert_upstream::<kubelet::KubeletAuthentication>("KubeletAuthentication", &["x509", "webhook", "anonymous"]);
    assert_upstream::<kubelet::KubeletX509Authentication>("KubeletX509Authentication", &["clientCAFile"]);
    assert_upstream::<kubelet::KubeletWebhookAuthentication>("KubeletWebhookAuthentication", &["enabled", "cacheTTL"]);
    assert_upstream::<kubelet::KubeletAnonymousAuthentication>("KubeletAnonymousAuthentication", &["enabled"]);
    assert_upstream::<kubelet::KubeletAuthorization>("KubeletAuthorization", &["mode", "webhook"]);
    assert_upstream::<kubelet::KubeletWebhookAuthorization>(
        "KubeletWebhookAuthorization",
        &["cacheAuthorizedTTL", "cacheUnauthorizedTTL"],
    );
    assert_upstream::<kubelet::MemorySwapConfiguration>("MemorySwapConfiguration", &["swapBehavior"]);
    assert_upstream::<kubelet::CrashLoopBackOffConfig>("CrashLoopBackOffConfig", &["maxContainerRestartPeriod"]);
    assert_upstream::<kubelet::ShutdownGracePeriodByPodPriority>(
        "ShutdownGracePeriodByPodPriority",
        &["priority", "shutdownGracePeriodSeconds"],
    );
    assert_upstream::<kubelet::MemoryReservation>("MemoryReservation", &["numaNode", "limits"]);
    assert_upstream::<kubelet::TracingConfiguration>("TracingConfiguration", &["endpoint", "samplingRatePerMillion"]);
    assert_upstream::<kubelet::UserNamespaces>("UserNamespaces", &["idsPerPod"]);
    assert_upstream::<kubelet::LoggingConfiguration>(
        "LoggingConfiguration",
        &["format", "flushFrequency", "verbosity", "vmodule", "options"],
    );
    assert_upstream::<kubelet::VModuleItem>("VModuleItem", &["filePattern", "verbosity"]);
    assert_upstream::<kubelet::FormatOptions>("FormatOptions", &["text", "json"]);
    assert_upstream::<kubelet::OutputRoutingOptions>("OutputRoutingOptions", &["splitStream", "infoBufferSize"]);

    assert_upstream::<KubeProxyConfiguration>(
        "KubeProxyConfiguration",
        &[
            "apiVersion",
            "kind",
            "featureGates",
            "clientConnection",
            "logging",
            "hostnameOverride",
            "bindAddress",
            "healthzBindAddress",
            "metricsBindAddress",
            "bindAddressHardFail",
            "enableProfiling",
            "showHiddenMetricsForVersion",
            "mode",
            "iptables",
            "ipvs",
            "nftables",
            "winkernel",
            "detectLocalMode",
            "detectLocal",
            "clusterCIDR",
            "nodePortAddresses",
            "oomScoreAdj",
            "conntrack",
            "configSyncPeriod",
            "portRange",
            "windowsRunAsService",
        ],
    );
    assert_upstream::<proxy::ClientConnectionConfiguration>(
        "ClientConnectionConfiguration",
        &["kubeconfig", "acceptContentTypes", "contentType", "qps", "burst"],
    );
    assert_upstream::<proxy::KubeProxyIpTablesConfiguration>(
        "KubeProxyIPTablesConfiguration",
        &["masqueradeBit", "masqueradeAll", "localhostNodePorts", "snatNodeInternalIP", "syncPeriod", "minSyncPeriod"],
    );
    assert_upstream::<proxy::KubeProxyIpvsConfiguration>(
        "KubeProxyIPVSConfiguration",
        &[
            "syncPeriod",
            "minSyncPeriod",
            "scheduler",
            "excludeCIDRs",
            "strictARP",
            "tcpTimeout",
            "tcpFinTimeout",
            "udpTimeout",
        ],
    );
    assert_upstream::<proxy::KubeProxyNfTablesConfiguration>(
        "KubeProxyNFTablesConfiguration",
        &["masqueradeBit", "masqueradeAll", "syncPeriod", "minSyncPeriod"],
    );
    assert_upstream::<proxy::KubeProxyWinkernelConfiguration>(
        "KubeProxyWinkernelConfiguration",
        &["networkName", "sourceVip", "enableDSR", "rootHnsEndpointName", "forwardHealthCheckVip"],
    );
    assert_upstream::<proxy::DetectLocalConfiguration>(
        "DetectLocalConfiguration",
        &["bridgeInterface", "interfaceNamePrefix"],
    );
    assert_upstream::<proxy::KubeProxyConntrackConfiguration>(
        "KubeProxyConntrackConfiguration",
        &[
            "maxPerCore",
            "min",
            "tcpEstablishedTimeout",
            "tcpCloseWaitTimeout",
            "tcpBeLiberal",
            "udpTimeout",
            "udpStreamTimeout",
        ],
    );
}

/// JSON tags of kubelet.config.k8s.io/v1beta1 `KubeletConfiguration`.
const KUBELET_UPSTREAM: &[&str] = &[
    "apiVersion",
    "kind",
    "enableServer",
    "staticPodPath",
    "podLogsDir",
    "syncFrequency",
    "fileCheckFrequency",
    "httpCheckFrequency",
    "staticPodURL",
    "staticPodURLHeader",
    "address",
    "port",
    "readOnlyPort",
    "tlsCertFile",
    "tlsPrivateKeyFile",
    "tlsCipherSuites",
    "tlsCurvePreferences",
    "tlsMinVersion",
    "rotateCertificates",
    "serverTLSBootstrap",
    "authentication",
    "authorization",
    "registryPullQPS",
    "registryBurst",
    "imagePullCredentialsVerificationPolicy",
    "preloadedImagesVerificationAllowlist",
    "eventRecordQPS",
    "eventBurst",
    "enableDebuggingHandlers",
    "enableContentionProfiling",
    "healthzPort",
    "healthzBindAddress",
    "oomScoreAdj",
    "clusterDomain",
    "clusterDNS",
    "streamingConnectionIdleTimeout",
    "nodeStatusUpdateFrequency",
    "nodeStatusReportFrequency",
    "nodeLeaseDurationSeconds",
    "imageMinimumGCAge",
    "imageMaximumGCAge",
    "imageGCHighThresholdPercent",
    "imageGCLowThresholdPercent",
    "volumeStatsAggPeriod",
    "kubeletCgroups",
    "systemCgroups",
    "cgroupRoot",
    "cgroupsPerQOS",
    "cgroupDriver",
    "cpuManagerPolicy",
    "singleProcessOOMKill",
    "cpuManagerPolicyOptions",
    "cpuManagerReconcilePeriod",
    "draManagerReconcilePeriod",
    "memoryManagerPolicy",
    "topologyManagerPolicy",
    "topologyManagerScope",
    "topologyManagerPolicyOptions",
    "qosReserved",
    "runtimeRequestTimeout",
    "hairpinMode",
    "maxPods",
    "podCIDR",
    "podPidsLimit",
    "resolvConf",
    "runOnce",
    "cpuCFSQuota",
    "cpuCFSQuotaPeriod",
    "nodeStatusMaxImages",
    "maxOpenFiles",
    "contentType",
    "kubeAPIQPS",
    "kubeAPIBurst",
    "serializeImagePulls",
    "maxParallelImagePulls",
    "evictionHard",
    "evictionSoft",
    "evictionSoftGracePeriod",
    "evictionPressureTransitionPeriod",
    "evictionMaxPodGracePeriod",
    "evictionMinimumReclaim",
    "mergeDefaultEvictionSettings",
    "podsPerCore",
    "enableControllerAttachDetach",
    "protectKernelDefaults",
    "makeIPTablesUtilChains",
    "iptablesMasqueradeBit",
    "iptablesDropBit",
    "featureGates",
    "failSwapOn",
    "memorySwap",
    "containerLogMaxSize",
    "containerLogMaxFiles",
    "containerLogMaxWorkers",
    "containerLogMonitorInterval",
    "configMapAndSecretChangeDetectionStrategy",
    "systemReserved",
    "kubeReserved",
    "reservedSystemCPUs",
    "showHiddenMetricsForVersion",
    "systemReservedCgroup",
    "kubeReservedCgroup",
    "enforceNodeAllocatable",
    "allowedUnsafeSysctls",
    "volumePluginDir",
    "providerID",
    "kernelMemcgNotification",
    "logging",
    "enableSystemLogHandler",
    "enableSystemLogQuery",
    "shutdownGracePeriod",
    "shutdownGracePeriodCriticalPods",
    "shutdownGracePeriodByPodPriority",
    "crashLoopBackOff",
    "reservedMemory",
    "enableProfilingHandler",
    "enableDebugFlagsHandler",
    "seccompDefault",
    "memoryThrottlingFactor",
    "memoryReservationPolicy",
    "registerWithTaints",
    "registerNode",
    "tracing",
    "localStorageCapacityIsolation",
    "containerRuntimeEndpoint",
    "imageServiceEndpoint",
    "failCgroupV1",
    "userNamespaces",
];

#[test]
fn the_field_reader_works() {
    let fields = modeled_fields::<common::Patches>();
    assert_eq!(fields.into_iter().collect::<Vec<_>>(), ["directory"]);
    assert_eq!(modeled_fields::<v1beta4::Arg>().len(), 2);
    assert!(modeled_fields::<KubeletConfiguration>().len() > 100);
}

// ------------------------------------------------------------ properties

fn small_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    let key = prop_oneof![any::<String>(), "[a-z][a-z0-9.-]{0,10}(/[a-z0-9]{1,6})?"];
    let value = prop_oneof![any::<String>(), "[A-Za-z0-9]{0,8}", Just(String::new())];
    proptest::collection::btree_map(key, value, 0..4)
}

/// Cases of [`render_never_panics_and_round_trips`], and how many of them
/// must render (the others fail on inputs kubeadm refuses, such as random
/// label keys): a run where (nearly) every case fails to render would check
/// the round trip of nothing.
const ROUND_TRIP_CASES: u32 = 256;
const ROUND_TRIP_MIN_RENDERED: usize = 32;

#[test]
fn render_never_panics_and_round_trips() {
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::Cell;
    let inputs = (
        small_map(),
        small_map(),
        small_map(),
        prop_oneof![Just(Role::Init), Just(Role::ControlPlane), Just(Role::Worker)],
        22u32..40,
        any::<bool>(),
        any::<bool>(),
    );
    let rendered = Cell::new(0usize);
    // As `proptest!` does: failures are kept in proptest-regressions/.
    let config = Config { cases: ROUND_TRIP_CASES, source_file: Some(file!()), ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&inputs, |(labels, kubelet_args, api_args, role, minor, fcos, aws)| {
        let mut sp = spec(role, &format!("v1.{minor}.0"));
        sp.node.labels = labels;
        sp.node.kubelet_extra_args = kubelet_args;
        sp.cluster.api_server.extra_args = api_args;
        if fcos {
            sp.os = OperatingSystem::FedoraCoreos;
        }
        if aws {
            sp.node.name_from = NameFrom::Aws;
        }
        if let Ok(yaml) = render(&sp) {
            let docs = parse_documents(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            prop_assert_eq!(docs.to_yaml().unwrap(), yaml);
            rendered.set(rendered.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let rendered = rendered.get();
    eprintln!("render round trip: {rendered} of {ROUND_TRIP_CASES} cases rendered");
    assert!(
        rendered >= ROUND_TRIP_MIN_RENDERED,
        "only {rendered} of {ROUND_TRIP_CASES} cases rendered: the round trip was hardly checked"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn parse_documents_never_panics(text in any::<String>()) {
        let _ = parse_documents(&text);
    }

    #[test]
    fn parse_documents_never_panics_on_yamlish_text(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("apiVersion: kubeadm.k8s.io/v1beta4\n".to_string()),
                Just("apiVersion: kubeadm.k8s.io/v1beta3\n".to_string()),
                Just("kind: InitConfiguration\n".to_string()),
                Just("kind: JoinConfiguration\n".to_string()),
                Just("kind: KubeletConfiguration\n".to_string()),
                Just("---\n".to_string()),
                Just("nodeRegistration:\n  taints: []\n".to_string()),
                Just("  - name: a\n".to_string()),
                Just("&a [*a]\n".to_string()),
                "[a-zA-Z: \\[\\]{}\\-\n\"']{0,20}",
            ],
            0..12,
        )
    ) {
        let _ = parse_documents(&parts.concat());
    }

    #[test]
    fn patches_never_panic(text in any::<String>(), yamlish in "[a-zA-Z: \\[\\]{}\\-\n\"'~]{0,40}") {
        for t in [&text, &yamlish] {
            let mut sp = spec(Role::Init, "v1.31.0");
            sp.patches.cluster_configuration = Some(t.clone());
            sp.patches.kubelet_configuration = Some(t.clone());
            let _ = render(&sp);
        }
    }
}

#[test]
fn joins_must_pin_the_ca() {
    for version in ["v1.30.0", "v1.31.0"] {
        let mut sp = spec(Role::Worker, version);
        sp.ca_cert_hashes.clear();
        assert_eq!(render(&sp), Err(KubeadmError::MissingCaCertHashes));
        sp.patches.join_configuration =
            Some("discovery:\n  bootstrapToken:\n    unsafeSkipCAVerification: true\n".to_string());
        assert!(render(&sp).unwrap().contains("unsafeSkipCAVerification: true"));

        let mut sp = spec(Role::ControlPlane, version);
        sp.ca_cert_hashes = vec!["sha256:abc".to_string()];
        assert_eq!(render(&sp), Err(KubeadmError::InvalidCaCertHash { hash: "sha256:abc".to_string() }));
        sp.ca_cert_hashes = vec![HASH.to_uppercase().replace("SHA256", "sha256")];
        assert!(render(&sp).is_ok());
    }
    // The init node's join pins the CA too; without an endpoint it has no
    // join, no discovery section and needs no hash.
    let mut sp = spec(Role::Init, "v1.31.0");
    sp.ca_cert_hashes.clear();
    assert_eq!(render(&sp), Err(KubeadmError::MissingCaCertHashes));
    sp.cluster.control_plane_endpoint.clear();
    assert!(render(&sp).is_ok());
}

/// The `JoinConfiguration` document of a rendered config, as YAML.
fn join_document(yaml: &str) -> Option<String> {
    let docs = parse_documents(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let value = match docs {
        Documents::V1beta3 { join, .. } => join.map(|j| patch::to_value(DOC_JOIN, &j)),
        Documents::V1beta4 { join, .. } => join.map(|j| patch::to_value(DOC_JOIN, &j)),
    };
    value.map(|v| emit::document(&v.unwrap()))
}

#[test]
fn init_carries_the_join_of_a_control_plane() {
    for version in ["v1.29.3", "v1.30.7", "v1.31.4", "v1.34.4"] {
        for os in [OperatingSystem::Flatcar, OperatingSystem::FedoraCoreos] {
            for name_from in [NameFrom::Aws, NameFrom::Hostname] {
                let mut init = spec(Role::Init, version);
                init.os = os;
                init.node.name_from = name_from;
                init.node.labels = BTreeMap::from([("pool".to_string(), "cp".to_string())]);
                init.node.taints = Some(vec![SpecTaint {
                    key: "example.com/cp".to_string(),
                    value: None,
                    effect: "NoSchedule".to_string(),
                }]);
                init.node.skip_phases = vec!["preflight".to_string()];
                let ctx = format!("{version} {} {name_from:?}", os.as_str());
                let yaml = render(&init).unwrap();
                let mut cp = init.clone();
                cp.role = Role::ControlPlane;
                let cp_yaml = render(&cp).unwrap();
                // Word for word the document of the control-plane role: same
                // token, CA pin, endpoint, registration and patches directory.
                let join = join_document(&yaml).unwrap_or_else(|| panic!("{ctx}: no join in\n{yaml}"));
                assert_eq!(join, cp_yaml, "{ctx}");
                assert!(join.contains("controlPlane: {}"), "{ctx}\n{join}");
                // Last in the file, after the documents kubeadm init reads.
                assert!(yaml.ends_with(&join), "{ctx}\n{yaml}");
                assert!(yaml.find("kind: InitConfiguration").unwrap() < yaml.find("kind: JoinConfiguration").unwrap());
            }
        }
    }
}

#[test]
fn init_without_an_endpoint_has_no_join() {
    for version in ["v1.30.7", "v1.31.4"] {
        let mut sp = spec(Role::Init, version);
        sp.cluster.control_plane_endpoint.clear();
        let yaml = render(&sp).unwrap();
        assert_eq!(join_document(&yaml), None, "{yaml}");
        assert!(!yaml.contains("discovery"), "{yaml}");
    }
}

#[test]
fn init_join_patches_reach_the_join_only() {
    for (version, timeout) in
        [("v1.30.1", "discovery:\n  timeout: 2m0s\n"), ("v1.31.1", "timeouts:\n  discovery: 2m0s\n")]
    {
        let patch = format!("{timeout}nodeRegistration:\n  imagePullPolicy: IfNotPresent\n");
        let sp = with_patch(Role::Init, version, |p| p.join_configuration = Some(patch.clone()));
        let yaml = render(&sp).unwrap();
        let join = join_document(&yaml).unwrap();
        assert!(join.contains("2m0s") && join.contains("imagePullPolicy: IfNotPresent"), "{join}");
        let rest = yaml.strip_suffix(&join).unwrap();
        assert!(!rest.contains("2m0s") && !rest.contains("imagePullPolicy"), "{rest}");
        // A mistake in it is reported against the join patch.
        let bad = with_patch(Role::Init, version, |p| p.join_configuration = Some("nodeRegistration: 5\n".into()));
        assert!(
            matches!(
                validate_patches(&bad),
                Err(KubeadmError::PatchInvalidValue { document: "join_configuration", .. })
            ),
            "{:?}",
            validate_patches(&bad)
        );
    }
}

#[test]
fn certificate_validity_on_v1beta4() {
    let days_90 = crate::bootstrap::duration::GoDuration::parse("2160h").unwrap();
    for version in ["v1.31.0", "v1.34.4"] {
        let mut sp = spec(Role::Init, version);
        sp.cluster.certificate_validity = Some(days_90);
        let (yaml, docs) = render_parse(&sp);
        assert!(yaml.contains("\ncertificateValidityPeriod: 2160h0m0s\n"), "{yaml}");
        let Documents::V1beta4 { cluster, .. } = docs else { panic!("{yaml}") };
        assert_eq!(cluster.unwrap().certificate_validity_period.as_deref(), Some("2160h0m0s"));
        // Unset: kubeadm's default, nothing written.
        assert!(!render(&spec(Role::Init, version)).unwrap().contains("certificateValidityPeriod"));
        // Joins carry no ClusterConfiguration; the cluster's setting applies.
        for role in [Role::ControlPlane, Role::Worker] {
            let mut sp = spec(role, version);
            sp.cluster.certificate_validity = Some(days_90);
            assert!(!render(&sp).unwrap().contains("certificateValidityPeriod"));
        }
    }
    // Odd spellings come out in Go's own form.
    let mut sp = spec(Role::Init, "v1.31.0");
    sp.cluster.certificate_validity = Some(crate::bootstrap::duration::GoDuration::parse("90m30s").unwrap());
    assert!(render(&sp).unwrap().contains("certificateValidityPeriod: 1h30m30s"));
}

#[test]
fn certificate_validity_is_refused_before_1_31_and_when_not_positive() {
    let d = |s: &str| Some(crate::bootstrap::duration::GoDuration::parse(s).unwrap());
    for role in Role::ALL {
        let mut sp = spec(role, "v1.30.7");
        sp.cluster.certificate_validity = d("720h");
        let err = render(&sp).unwrap_err();
        assert_eq!(err, KubeadmError::CertificateValidityNeedsV1beta4 { version: "v1.30.7".to_string() });
        assert_eq!(err.input(), Some(("cluster", "certificate_validity")));
        assert!(err.to_string().contains("1.31") && err.to_string().contains("v1beta4"), "{err}");
        for bad in ["0s", "-1h"] {
            let mut sp = spec(role, "v1.31.0");
            sp.cluster.certificate_validity = d(bad);
            let err = validate_patches(&sp).unwrap_err();
            assert!(matches!(err, KubeadmError::InvalidCertificateValidity { .. }), "{err}");
            assert_eq!(err.input(), Some(("cluster", "certificate_validity")));
        }
    }
}
