//! The `JoinConfiguration` of joins and of control-plane inits.

use super::*;

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
