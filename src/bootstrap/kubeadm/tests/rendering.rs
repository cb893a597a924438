//! The role × API version matrix, golden files, and the OS- and
//! version-dependent details of a rendered config.

use super::*;

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
