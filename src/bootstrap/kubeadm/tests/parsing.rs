//! The documentation examples as fixtures, and strict parsing.

use super::*;

#[test]
fn documentation_examples_parse() {
    let v4 = parse_documents(include_str!("../fixtures/v1beta4-init-docs-example.yaml")).unwrap();
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

    let join = parse_documents(include_str!("../fixtures/v1beta4-join-docs-example.yaml")).unwrap();
    let Documents::V1beta4 { join: Some(join), init: None, .. } = &join else { panic!("{join:?}") };
    let b = join.discovery.bootstrap_token.as_ref().unwrap();
    assert_eq!(b.api_server_endpoint.as_deref(), Some("some-address:6443"));
    assert_eq!(b.unsafe_skip_ca_verification, Some(true));
    assert!(join.discovery.tls_bootstrap_token.is_some());

    let v3 = parse_documents(include_str!("../fixtures/v1beta3-init-docs-example.yaml")).unwrap();
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
