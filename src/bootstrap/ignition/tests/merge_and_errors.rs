//! Merging additional Ignition, input errors, pointer configs and hashes.

use super::*;

#[test]
fn additional_ignition_is_merged_with_warnings() {
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.additional_ignition = vec![
        json!({"ignition": {"version": "3.0.0"},
            "storage": {
                "files": [
                    {"path": "/etc/crictl.yaml", "contents": {"source": "data:,timeout%3A%2030%0A"}},
                    {"path": "/etc/extra.conf", "mode": 420, "contents": {"source": "data:,x"}}
                ],
                "links": [{"path": "/etc/flatcar/update.conf", "target": "/dev/null"}]
            },
            "systemd": {"units": [
                {"name": "kubelet.service", "dropins": [{"name": "10-kubeadm.conf", "contents": "[Service]\n"}, {"name": "20-x.conf", "contents": "[Service]\n"}]},
                {"name": "extra.service", "enabled": true, "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}
            ]},
            "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 BBBB other"]}]}
        })
        .to_string(),
        json!({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/etc/extra.conf", "mode": 384}]}}).to_string(),
    ];
    let r = render(&s, &yaml()).unwrap();
    let v: Value = serde_json::from_str(&r.json).unwrap();
    assert_eq!(v["ignition"]["version"], "3.3.0");
    let f = files(&v);
    assert_eq!(f["/etc/crictl.yaml"]["contents"]["source"], "data:,timeout%3A%2030%0A");
    assert_eq!(f["/etc/crictl.yaml"]["mode"], 420, "fields the child leaves out stay");
    assert_eq!(f["/etc/extra.conf"]["mode"], 384, "a later config changes an earlier one");
    assert!(!f.contains_key("/etc/flatcar/update.conf"), "the link replaced the file");
    assert_eq!(v["storage"]["links"], json!([{"path": "/etc/flatcar/update.conf", "target": "/dev/null"}]));
    let u = units(&v);
    let kubelet_dropins: Vec<_> =
        u["kubelet.service"]["dropins"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(kubelet_dropins, ["05-path.conf", "10-kubeadm.conf", "20-x.conf"]);
    assert_eq!(u["kubelet.service"]["dropins"][1]["contents"], "[Service]\n");
    assert_eq!(u["extra.service"]["enabled"], true);
    assert_eq!(
        v["passwd"]["users"][0]["sshAuthorizedKeys"],
        json!(["ssh-ed25519 AAAA core@example", "ssh-ed25519 BBBB other"])
    );
    assert_eq!(
        r.warnings,
        [
            "additional_ignition[0] changes the generated file /etc/crictl.yaml: the fields it sets replace the rendered ones",
            "additional_ignition[0] replaces the generated file /etc/flatcar/update.conf with a link",
            "additional_ignition[0] changes the generated drop-in 10-kubeadm.conf of kubelet.service",
            "additional_ignition[0] changes the account core from users: its fields are merged in",
        ]
    );
}

#[test]
fn additional_ignition_errors() {
    let err = |extra: Value| {
        let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
        s.additional_ignition = vec![json!({"ignition": {"version": "3.3.0"}}).to_string(), extra.to_string()];
        render(&s, &yaml()).unwrap_err()
    };
    assert!(matches!(err(json!([1])), IgnitionError::AdditionalNotJson { index: 1, .. }));
    assert!(matches!(err(json!({"storage": {}})), IgnitionError::AdditionalVersion { index: 1, .. }));
    let e = err(json!({"ignition": {"version": "3.4.0"}}));
    assert!(matches!(e, IgnitionError::AdditionalVersion { index: 1, max: "3.3.0", .. }), "{e}");
    for v in ["2.3.0", "3.4.0-experimental", "3.3", "3.03.0"] {
        assert!(matches!(err(json!({"ignition": {"version": v}})), IgnitionError::AdditionalVersion { .. }), "{v}");
    }
    let e = err(json!({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/x", "mode": true}]}}));
    assert_eq!(e.to_string(), "additional_ignition[1] at $.storage.files[0].mode: must be an integer");
    let e = err(json!({"ignition": {"version": "3.3.0", "config": {"replace": {"source": "https://x"}}}}));
    assert!(matches!(e, IgnitionError::AdditionalField { index: 1, .. }), "{e}");

    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.additional_ignition = vec!["{not json".into()];
    let e = render(&s, &yaml()).unwrap_err();
    assert!(matches!(e, IgnitionError::AdditionalNotJson { index: 0, .. }), "{e}");

    // A 3.4 render accepts 3.4 configs.
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.ignition_version = IgnitionVersion::V3_4;
    s.additional_ignition = vec![json!({"ignition": {"version": "3.4.0"}}).to_string()];
    assert!(render(&s, &yaml()).is_ok());
}

#[test]
fn merge_references_warn() {
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.additional_ignition =
        vec![json!({"ignition": {"version": "3.3.0", "config": {"merge": [{"source": "https://x/extra.ign"}]}}})
            .to_string()];
    let r = render(&s, &yaml()).unwrap();
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].contains("ignition.config.merge"));
    let v: Value = serde_json::from_str(&r.json).unwrap();
    assert_eq!(v["ignition"]["config"]["merge"][0]["source"], "https://x/extra.ign");
}

#[test]
fn input_errors() {
    let base = || spec(Role::Worker, OperatingSystem::Flatcar);
    let err = |s: NodeSpec| render(&s, &yaml()).unwrap_err();

    let mut s = base();
    s.files[0].path = "/etc/kubeadm/config.yaml".into();
    let e = err(s);
    assert!(
        matches!(&e, IgnitionError::DuplicatePath { path, second, .. } if path == "/etc/kubeadm/config.yaml" && second == "files[0]"),
        "{e}"
    );

    let mut s = base();
    s.files.push(s.files[0].clone());
    assert!(matches!(err(s), IgnitionError::DuplicatePath { .. }));

    for (path, problem) in [
        ("etc/x", "absolute"),
        ("/etc/x/", "trailing"),
        ("/etc//x", "components"),
        ("/etc/../x", "components"),
        ("/", "trailing"),
    ] {
        let mut s = base();
        s.files[0].path = path.into();
        let e = err(s);
        assert!(matches!(e, IgnitionError::BadPath { .. }) && e.to_string().contains(problem), "{path}: {e}");
    }

    let mut s = base();
    s.files[0].path = "/etc/crictl.yaml/x".into();
    let e = err(s);
    assert!(matches!(e, IgnitionError::PathUnderFile { .. }), "{e}");

    let mut s = base();
    s.files[0].path = "/usr/local/bin/tool".into();
    assert!(matches!(err(s), IgnitionError::ReadOnlyPath { os: "flatcar", .. }));
    let mut s = spec(Role::Worker, OperatingSystem::FedoraCoreos);
    s.files[0].path = "/usr/local/bin/tool".into();
    assert!(render(&s, &yaml()).is_ok());
    s.files[0].path = "/usr/bin/tool".into();
    assert!(matches!(err(s), IgnitionError::ReadOnlyPath { os: "fedora-coreos", .. }));

    let mut s = base();
    s.files[0].mode = 0o4755;
    assert!(matches!(err(s.clone()), IgnitionError::BadMode { max: 0o777, .. }));
    s.ignition_version = IgnitionVersion::V3_4;
    assert!(render(&s, &yaml()).is_ok(), "3.4 allows setuid");
    s.files[0].mode = 0o17777;
    assert!(matches!(err(s), IgnitionError::BadMode { max: 0o7777, .. }));

    for owner in ["", ":", "a:", "a b", "a:b:c"] {
        let mut s = base();
        s.files[0].owner = Some(owner.into());
        assert!(matches!(err(s), IgnitionError::BadOwner { index: 0, .. }), "{owner:?}");
    }

    let remote = |f: &dyn Fn(&mut RemoteFile)| {
        let mut s = base();
        if let Artifacts::Remote(files) = &mut s.artifacts {
            f(&mut files[0]);
        }
        s
    };
    assert!(matches!(err(remote(&|f| f.sha512 = "abc".into())), IgnitionError::BadArtifact { .. }));
    assert!(matches!(err(remote(&|f| f.url = "ftp://x/y".into())), IgnitionError::BadArtifact { .. }));
    let e = err(remote(&|f| f.url = "arn:aws:s3:::bucket/kubeadm".into()));
    assert!(e.to_string().contains("3.4.0"), "{e}");
    assert!(matches!(err(remote(&|f| f.path = "/usr/bin/kubeadm".into())), IgnitionError::ReadOnlyPath { .. }));
    let e = err(remote(&|f| f.extract_to = Some("/opt/cni/my bin".into())));
    assert!(matches!(e, IgnitionError::BadArtifact { .. }), "{e}");

    let mut s = base();
    s.role = Role::ControlPlane;
    s.pki = None;
    assert!(matches!(err(s), IgnitionError::MissingPki { role: "control-plane" }));

    let mut s = base();
    s.users.push(s.users[0].clone());
    assert!(matches!(err(s), IgnitionError::BadUser { index: 1, .. }));
    let mut s = base();
    s.users[0].ssh_authorized_keys = vec!["a\nb".into()];
    assert!(matches!(err(s), IgnitionError::BadUser { index: 0, .. }));

    let mut s = base();
    s.ntp_servers = vec!["a b".into()];
    assert!(matches!(err(s), IgnitionError::BadNtpServer { .. }));

    assert_eq!(render(&base(), " \n").unwrap_err(), IgnitionError::EmptyKubeadmConfig);
    let mut s = base();
    s.node.name_from = NameFrom::Hostname;
    assert!(matches!(render(&s, &yaml()).unwrap_err(), IgnitionError::UnfilledPlaceholder { .. }));
    let r = render(&base(), YAML).unwrap();
    assert!(r.warnings.iter().any(|w| w.contains(NODE_NAME_PLACEHOLDER)), "{:?}", r.warnings);
}

#[test]
fn errors_do_not_repeat_contents() {
    let mut s = spec(Role::Worker, OperatingSystem::Flatcar);
    s.files[0].content = Sensitive::new("TOPSECRET".into());
    s.files.push(s.files[0].clone());
    let e = render(&s, &yaml()).unwrap_err();
    assert!(!format!("{e} {e:?}").contains("TOPSECRET"));
}

#[test]
fn pointer_config_replaces_with_hash_and_time_limit() {
    let p = pointer_config(IgnitionVersion::V3_3, "s3://b/k", &sha512_hex(b"x"));
    let v: Value = serde_json::from_str(&p).unwrap();
    assert_eq!(v["ignition"]["version"], "3.3.0");
    assert_eq!(v["ignition"]["config"]["replace"]["source"], "s3://b/k");
    assert_eq!(v["ignition"]["config"]["replace"]["verification"]["hash"], format!("sha512-{}", sha512_hex(b"x")));
    assert_eq!(v["ignition"]["timeouts"]["httpTotal"], 600);
    assert_eq!(v.as_object().unwrap().len(), 1, "{p}");
    let p4 = pointer_config(IgnitionVersion::V3_4, "https://x/y?z=\"", "00");
    assert!(p4.contains("\"3.4.0\"") && p4.contains("z=\\\""), "{p4}");
}

#[test]
fn sha512_of_empty_input() {
    assert_eq!(
        sha512_hex(b""),
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
         47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
    );
}

#[test]
fn binary_dirs() {
    assert_eq!(binary_dir(OperatingSystem::Flatcar), "/opt/bin");
    assert_eq!(binary_dir(OperatingSystem::FedoraCoreos), "/usr/local/bin");
}
