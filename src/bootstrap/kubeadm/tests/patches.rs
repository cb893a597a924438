//! `kubeadm_config_patches`: applied per document, and refused with a path.

use super::*;

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
