use super::*;
use crate::bootstrap::node::NameFrom;

fn parse_ok(text: &str) -> Manifests {
    let m = parse(text, &Secrets::new());
    assert!(!m.has_errors(), "{:#?}", m.findings);
    m
}

fn errors(text: &str, secrets: &Secrets) -> Vec<String> {
    parse(text, secrets).findings.iter().filter(|f| f.is_error()).map(|f| f.to_string()).collect()
}

const CLUSTER: &str = r#"
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: demo
  namespace: default
spec:
  clusterNetwork:
    pods:
      cidrBlocks: ["192.168.0.0/16"]
    services:
      cidrBlocks: ["10.128.0.0/12"]
    serviceDomain: demo.local
  controlPlaneEndpoint:
    host: api.demo.example.com
    port: 443
status:
  controlPlaneReady: true
  conditions:
    - type: ControlPlaneInitialized
      status: "True"
"#;

const WORKER: &str = r#"
apiVersion: cluster.x-k8s.io/v1beta1
kind: Machine
metadata:
  name: worker-0
  labels:
    cluster.x-k8s.io/cluster-name: demo
spec:
  clusterName: demo
  version: v1.30.8
  bootstrap:
    configRef:
      apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
      kind: KubeadmConfig
      name: worker-0
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KubeadmConfig
metadata:
  name: worker-0
spec:
  format: ignition
  joinConfiguration:
    nodeRegistration:
      name: '{{ ds.meta_data.local_hostname }}'
      kubeletExtraArgs:
        provider-id: 'aws:///{{ ds.meta_data.placement.availability_zone }}/{{ ds.meta_data.instance_id }}'
        node-labels: pool=a
      taints:
        - key: node.cluster.x-k8s.io/uninitialized
          effect: NoSchedule
        - key: dedicated
          value: infra
          effect: NoSchedule
  preKubeadmCommands:
    - envsubst < /etc/kubeadm.yml > /etc/kubeadm.yml.tmp
    - mv /etc/kubeadm.yml.tmp /etc/kubeadm.yml
    - echo hello
  files:
    - path: /etc/motd
      content: aGVsbG8K
      encoding: base64
      permissions: "0600"
  users:
    - name: ops
      groups: wheel, docker
      sudo: ALL=(ALL) NOPASSWD:ALL
      sshAuthorizedKeys: ["ssh-ed25519 AAAA ops"]
"#;

#[test]
fn worker_with_its_cluster() {
    let m = parse_ok(&format!("{CLUSTER}---{WORKER}"));
    assert_eq!(m.inferred_role(), Ok(Role::Worker));
    assert_eq!(m.kubernetes_version.as_deref(), Some("v1.30.8"));
    assert_eq!(m.cluster_name.as_deref(), Some("demo"));
    assert_eq!(m.control_plane_endpoint.as_deref(), Some("api.demo.example.com:443"));
    assert_eq!(m.pod_subnet.as_deref(), Some("192.168.0.0/16"));
    assert_eq!(m.service_subnet.as_deref(), Some("10.128.0.0/12"));
    assert_eq!(m.dns_domain.as_deref(), Some("demo.local"));
    let r = m.resolve(Role::Worker, false);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.node.name.name_from(), Some(NameFrom::Aws));
    assert!(!r.node.kubelet_extra_args.contains_key("provider-id"));
    assert_eq!(r.node.kubelet_extra_args["node-labels"], "pool=a");
    let taints = r.node.taints.unwrap();
    assert_eq!(taints.len(), 1, "the Cluster API taint is dropped");
    assert_eq!(taints[0].key, "dedicated");
    assert_eq!(m.spec.pre_kubeadm_commands, ["echo hello"]);
    assert_eq!(m.spec.files.len(), 2, "motd and the sudoers rule");
    assert_eq!(m.spec.files[0].content.expose(), "hello\n");
    assert_eq!(m.spec.files[0].mode, 0o600);
    assert_eq!(m.spec.files[1].path, "/etc/sudoers.d/ops");
    assert_eq!(m.spec.users[0].groups, ["wheel", "docker"]);
    let warned: Vec<&str> = m.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(warned, ["spec.preKubeadmCommands[0]", "spec.preKubeadmCommands[1]"]);
}

#[test]
fn roles_follow_cluster_status() {
    let cp = r#"
apiVersion: cluster.x-k8s.io/v1beta1
kind: Machine
metadata:
  name: cp-0
  labels: {cluster.x-k8s.io/control-plane: ""}
spec: {clusterName: demo, version: v1.31.4, bootstrap: {configRef: {name: cp-0}}}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KubeadmConfig
metadata: {name: cp-0}
spec:
  initConfiguration: {}
  clusterConfiguration: {}
  joinConfiguration: {controlPlane: {}}
"#;
    assert_eq!(parse_ok(&format!("{CLUSTER}---{cp}")).inferred_role(), Ok(Role::ControlPlane));
    let fresh = CLUSTER.replace("status: \"True\"", "status: \"False\"");
    assert_eq!(parse_ok(&format!("{fresh}---{cp}")).inferred_role(), Ok(Role::Init));
    // Without a Cluster status both kubeadm init and join are described.
    assert!(parse_ok(cp).inferred_role().is_err());
    let v1beta2 = "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata: {name: demo}\nstatus:\n  initialization:\n    controlPlaneInitialized: false\n";
    assert_eq!(parse_ok(&format!("{v1beta2}---{cp}")).inferred_role(), Ok(Role::Init));
}

#[test]
fn v1beta2_shapes_and_versioned_patches() {
    let text = r#"
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfig
metadata: {name: cp-0, labels: {cluster.x-k8s.io/control-plane: ""}}
spec:
  clusterConfiguration:
    apiServer:
      extraArgs:
        - {name: audit-log-maxage, value: "30"}
      extraVolumes:
        - {name: audit, hostPath: /var/log/audit, mountPath: /var/log/audit, pathType: DirectoryOrCreate}
    certificateValidityPeriodDays: 90
  initConfiguration:
    timeouts:
      controlPlaneComponentHealthCheckSeconds: 300
      kubeletHealthCheckSeconds: 120
    nodeRegistration:
      kubeletExtraArgs:
        - {name: max-pods, value: "110"}
"#;
    let m = parse_ok(text);
    assert_eq!(m.inferred_role(), Ok(Role::Init));
    let cc = m.spec.cluster.as_ref().unwrap();
    assert_eq!(cc.api_server.extra_args["audit-log-maxage"], "30");
    let r4 = m.resolve(Role::Init, true);
    assert!(r4.findings.is_empty(), "{:?}", r4.findings);
    let cluster: Json = serde_json::from_str(r4.patches.cluster_configuration.as_deref().unwrap()).unwrap();
    // The validity reaches the node model (cluster.certificate_validity), not a patch, so HCL can override it.
    assert_eq!(cluster.get("certificateValidityPeriod"), None, "{cluster}");
    let (validity, source) = cc.certificate_validity.clone().unwrap();
    assert_eq!(validity.format(), "2160h0m0s");
    assert_eq!(source, "spec.clusterConfiguration.certificateValidityPeriodDays");
    assert_eq!(cluster["apiServer"]["extraVolumes"][0]["name"], "audit");
    let init: Json = serde_json::from_str(r4.patches.init_configuration.as_deref().unwrap()).unwrap();
    assert_eq!(init["timeouts"]["controlPlaneComponentHealthCheck"], "5m0s");
    assert_eq!(init["timeouts"]["kubeletHealthCheck"], "2m0s");
    // On kubeadm v1beta3 (Kubernetes 1.30) what has no place is an error with its path.
    let r3 = m.resolve(Role::Init, false);
    let paths: Vec<&str> = r3.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.initConfiguration.timeouts.kubeletHealthCheckSeconds",
            "spec.clusterConfiguration.certificateValidityPeriodDays"
        ]
    );
    let cluster3: Json = serde_json::from_str(r3.patches.cluster_configuration.as_deref().unwrap()).unwrap();
    assert_eq!(cluster3["apiServer"]["timeoutForControlPlane"], "5m0s");
}

#[test]
fn shape_mismatches_are_reported() {
    let text = "apiVersion: bootstrap.cluster.x-k8s.io/v1beta2\nkind: KubeadmConfig\nmetadata: {name: x}\nspec:\n  useExperimentalRetryJoin: true\n  clusterConfiguration:\n    kubernetesVersion: v1.31.0\n    apiServer:\n      extraArgs: {a: b}\n";
    let e = errors(text, &Secrets::new());
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].contains("spec.useExperimentalRetryJoin"), "{e:?}");
    assert!(e.iter().any(|x| x.contains("spec.clusterConfiguration.kubernetesVersion")), "{e:?}");
    assert!(e.iter().any(|x| x.contains("spec.clusterConfiguration.apiServer.extraArgs") && x.contains("list of {name, value}")), "{e:?}");
}

#[test]
fn bad_input_names_the_place() {
    let none = Secrets::new();
    let e = errors("a: [\n", &none);
    assert!(e[0].starts_with("document 1: is not valid YAML at line"), "{e:?}");
    let e = errors("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n", &none);
    assert!(e[0].contains("apiVersion") && e[0].contains("not a Cluster API group"), "{e:?}");
    let e =
        errors("apiVersion: bootstrap.cluster.x-k8s.io/v1alpha2\nkind: KubeadmConfig\nmetadata: {name: x}\n", &none);
    assert!(e[0].contains("not a supported version"), "{e:?}");
    let e =
        errors("apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfigz\nmetadata: {name: x}\n", &none);
    assert!(e[0].contains("kind: \"KubeadmConfigz\" is not a kind"), "{e:?}");
    let two = "apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfig\nmetadata: {name: a}\n---\napiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfig\nmetadata: {name: b}\n";
    let e = errors(two, &none);
    assert!(
        e[0].starts_with("KubeadmConfig default/b (document 2)") && e[0].contains("2 KubeadmConfig objects (a, b)"),
        "{e:?}"
    );
    let secret = "apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfig\nmetadata: {name: a}\nspec:\n  files:\n    - path: /etc/x\n      contentFrom:\n        secret: {name: creds, key: token}\n";
    let e = errors(secret, &none);
    assert!(e[0].contains("spec.files[0].contentFrom") && e[0].contains("capi_secrets"), "{e:?}");
    let mut given = Secrets::new();
    given.entry("creds".into()).or_default().insert("token".into(), "s3cret".into());
    let m = parse(secret, &given);
    assert!(!m.has_errors());
    assert_eq!(m.spec.files[0].content.expose(), "s3cret");
    // A Secret in the manifests works too.
    let with_secret =
        format!("{secret}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: creds}}\ndata:\n  token: czNjcmV0\n");
    assert_eq!(parse_ok(&with_secret).spec.files[0].content.expose(), "s3cret");
    let e = errors("apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfig\nmetadata: {name: a}\nspec:\n  diskSetup:\n    partitions:\n      - device: /dev/xvdb\n  bootCommands: [\"echo\"]\n  joinConfiguration:\n    nodeRegistration:\n      taintz: []\n", &none);
    let paths: Vec<String> = e.iter().map(|s| s.split(": ").next().unwrap_or_default().to_string()).collect();
    assert_eq!(
        paths,
        [
            "KubeadmConfig default/a (document 1), spec.diskSetup",
            "KubeadmConfig default/a (document 1), spec.bootCommands",
            "KubeadmConfig default/a (document 1), spec.joinConfiguration.nodeRegistration.taintz"
        ]
    );
}

#[test]
fn mounts_become_mount_units() {
    let text = "apiVersion: bootstrap.cluster.x-k8s.io/v1beta1\nkind: KubeadmConfig\nmetadata: {name: a}\nspec:\n  mounts:\n    - [/dev/xvdb, /var/lib/etcd, ext4, noatime]\n";
    let m = parse_ok(text);
    let v: Json = serde_json::from_str(&m.spec.additional_ignition[0]).unwrap();
    assert_eq!(v["systemd"]["units"][0]["name"], "var-lib-etcd.mount");
    let contents = v["systemd"]["units"][0]["contents"].as_str().unwrap();
    assert!(contents.contains("What=/dev/xvdb\nWhere=/var/lib/etcd\nType=ext4\nOptions=noatime\n"), "{contents}");
}

#[test]
fn composed_patches_equal_applying_both() {
    let composed = compose_patches(r#"{"a": {"b": 1, "c": 2}, "d": 1}"#, "a:\n  c: null\n  e: 3\n").unwrap();
    let v: Json = serde_json::from_str(&composed).unwrap();
    assert_eq!(v, serde_json::json!({"a": {"b": 1, "c": null, "e": 3}, "d": 1}));
}

#[test]
fn certificate_validity_days_become_a_duration() {
    let with_days = |days: &str| {
        format!(
            "apiVersion: bootstrap.cluster.x-k8s.io/v1beta2\nkind: KubeadmConfig\nmetadata: {{name: cp-0, labels: {{cluster.x-k8s.io/control-plane: \"\"}}}}\nspec:\n  clusterConfiguration:\n    certificateValidityPeriodDays: {days}\n"
        )
    };
    let m = parse_ok(&with_days("30"));
    let (d, source) = m.spec.cluster.as_ref().unwrap().certificate_validity.clone().unwrap();
    assert_eq!(
        (d.format().as_str(), source.as_str()),
        ("720h0m0s", "spec.clusterConfiguration.certificateValidityPeriodDays")
    );
    // Carried on v1beta4 without a finding, warned about on v1beta3 (init only:
    // joins carry no ClusterConfiguration).
    assert!(m.resolve(Role::Init, true).findings.is_empty());
    let f = m.resolve(Role::Init, false).findings;
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(!f[0].is_error() && f[0].path.ends_with("certificateValidityPeriodDays"), "{f:?}");
    assert!(f[0].message.contains("1.31"), "{f:?}");
    assert!(m.resolve(Role::ControlPlane, false).findings.is_empty());
    // Not a positive number of days, or more than a duration holds: an error at the field.
    for bad in ["0", "-3", "200000000000", "ten"] {
        let e = errors(&with_days(bad), &Secrets::new());
        assert_eq!(e.len(), 1, "{bad}: {e:?}");
        assert!(e[0].contains("spec.clusterConfiguration.certificateValidityPeriodDays"), "{e:?}");
    }
    // The CAs' lifetime is a kubeadm_cluster_ca matter: a warning.
    let ca = with_days("30").replace("certificateValidityPeriodDays: 30", "caCertificateValidityPeriodDays: 3650");
    let m = parse_ok(&ca);
    assert!(
        m.findings
            .iter()
            .any(|f| f.path.ends_with("caCertificateValidityPeriodDays") && f.message.contains("validity_days")),
        "{:?}",
        m.findings
    );
}

fn kcp(version: &str, cluster_configuration: &str) -> String {
    format!(
        r#"
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata:
  name: cp
spec:
  version: {version}
  kubeadmConfigSpec:
    clusterConfiguration: {cluster_configuration}
    initConfiguration:
      nodeRegistration:
        kubeletExtraArgs:
        - name: cloud-provider
          value: external
"#
    )
}

#[test]
fn kubeadm_control_plane_turns_on_kubelet_local_mode_from_1_31_to_1_35() {
    let gates = |text: &str| parse_ok(text).spec.cluster.map(|c| c.feature_gates).unwrap_or_default();
    let on = BTreeMap::from([(KCP_KUBELET_LOCAL_MODE_GATE.to_string(), true)]);
    for version in ["v1.31.4", "1.33.0", "v1.35.2"] {
        assert_eq!(gates(&kcp(version, "{}")), on, "{version}");
    }
    for version in ["v1.30.8", "v1.36.0"] {
        assert_eq!(gates(&kcp(version, "{}")), BTreeMap::new(), "{version}");
    }
    // The spec's own value stays, as KCP leaves it.
    let off = gates(&kcp("v1.31.4", "{featureGates: {ControlPlaneKubeletLocalMode: false, EtcdLearnerMode: true}}"));
    assert_eq!(off.get(KCP_KUBELET_LOCAL_MODE_GATE), Some(&false));
    assert_eq!(off.get("EtcdLearnerMode"), Some(&true));
    // It reaches the init node's cluster configuration only.
    let m = parse_ok(&kcp("v1.31.4", "{}"));
    assert_eq!(m.inferred_role(), Ok(Role::Init));
    // A KubeadmConfig is CABPK's alone: nothing is added.
    let config = "apiVersion: bootstrap.cluster.x-k8s.io/v1beta2\nkind: KubeadmConfig\nmetadata: {name: n}\nspec:\n  clusterConfiguration: {}\n  initConfiguration: {}\n";
    assert_eq!(gates(config), BTreeMap::new());
}

#[test]
fn v1beta1_control_plane_timeout_reaches_joins_too() {
    let text = r#"
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KubeadmConfig
metadata: {name: cp-1}
spec:
  clusterConfiguration:
    apiServer:
      timeoutForControlPlane: 4m0s
  joinConfiguration:
    controlPlane: {}
"#;
    let m = parse_ok(text);
    let patch = |p: &Option<String>| p.as_deref().map(|t| serde_json::from_str::<Json>(t).unwrap());
    // kubeadm v1beta4: the join waits as long as init does, as Cluster API's conversion has it.
    let r4 = m.resolve(Role::ControlPlane, true);
    assert!(r4.findings.is_empty(), "{:?}", r4.findings);
    assert_eq!(patch(&r4.patches.join_configuration).unwrap()["timeouts"]["controlPlaneComponentHealthCheck"], "4m0s");
    assert_eq!(r4.patches.cluster_configuration, None);
    let init = m.resolve(Role::Init, true);
    assert_eq!(
        patch(&init.patches.init_configuration).unwrap()["timeouts"]["controlPlaneComponentHealthCheck"],
        "4m0s"
    );
    assert_eq!(init.patches.join_configuration, None);
    // kubeadm v1beta3: a join has no such field and reads the cluster's; nothing to warn about.
    let r3 = m.resolve(Role::ControlPlane, false);
    assert!(r3.findings.is_empty(), "{:?}", r3.findings);
    assert_eq!(r3.patches.join_configuration, None);
    assert_eq!(r3.patches.cluster_configuration, None);
}

/// A Cluster (`cluster_spec` under `spec`), a KubeadmControlPlane of
/// `kcp_version` unless it is empty, and a KubeadmConfig of `config_version`
/// with the file `file` (YAML flow mapping fields).
fn with_file(cluster_spec: Option<&str>, kcp_version: &str, config_version: &str, file: &str) -> String {
    let mut docs = Vec::new();
    if let Some(spec) = cluster_spec {
        docs.push(format!(
            "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {{name: demo}}\nspec: {spec}\n"
        ));
    }
    if !kcp_version.is_empty() {
        docs.push(format!(
            "apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\nmetadata: {{name: cp}}\nspec: {{version: {kcp_version}}}\n"
        ));
    }
    docs.push(format!(
        "apiVersion: bootstrap.cluster.x-k8s.io/{config_version}\nkind: KubeadmConfig\nmetadata: {{name: w}}\nspec:\n  joinConfiguration: {{}}\n  files:\n    - {{path: /etc/f, {file}}}\n"
    ));
    docs.join("---\n")
}

const CP_REF: &str =
    "{controlPlaneRef: {apiVersion: controlplane.cluster.x-k8s.io/v1beta2, kind: KubeadmControlPlane, name: cp}}";

fn content(m: &Manifests) -> &str {
    m.spec.files[0].content.expose()
}

#[test]
fn file_templates_render_with_the_control_plane_version() {
    let version = "contentFormat: Template, content: 'cp={{ .controlPlane.version }}'";
    for config in ["v1beta1", "v1beta2"] {
        // The Cluster names the KubeadmControlPlane; its version gets a "v" and a patch number.
        let m = parse_ok(&with_file(Some(CP_REF), "'1.32'", config, version));
        assert_eq!(content(&m), "cp=v1.32.0", "{config}");
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        assert!(m.spec.templates.is_empty());
        // Raw, or no contentFormat: the content as it is.
        for raw in ["contentFormat: Raw, content: '{{ .x }}'", "content: '{{ .x }}'"] {
            assert_eq!(content(&parse_ok(&with_file(Some(CP_REF), "v1.32.2", config, raw))), "{{ .x }}");
        }
    }
    // Without a Cluster, the KubeadmControlPlane of the manifests is taken.
    assert_eq!(content(&parse_ok(&with_file(None, "v1.33.1", "v1beta2", version))), "cp=v1.33.1");
    // A Secret's value is rendered too.
    let from = "contentFormat: Template, contentFrom: {secret: {name: s, key: k}}";
    let mut secrets = Secrets::new();
    secrets
        .entry("s".into())
        .or_default()
        .insert("k".into(), "{{- /* c */ -}}\n{{ with .controlPlane }}{{ .version }}{{ end }}\n".into());
    let m = parse(&with_file(Some(CP_REF), "v1.32.2", "v1beta2", from), &secrets);
    assert!(!m.has_errors(), "{:?}", m.findings);
    assert_eq!(content(&m), "v1.32.2\n");
}

#[test]
fn without_a_control_plane_reference_the_template_data_is_empty() {
    let text =
        |c: &str| with_file(Some("{}"), "v1.32.2", "v1beta2", &format!("contentFormat: Template, content: '{c}'"));
    let m = parse_ok(&text("{{ if .controlPlane }}{{ .controlPlane.version }}{{ else }}none{{ end }}"));
    assert_eq!(content(&m), "none");
    assert!(m.findings.is_empty(), "{:?}", m.findings);
    // Go prints "<no value>", and so does compat mode, with a warning saying why.
    let m = parse_ok(&text("cp={{ .controlPlane.version }}"));
    assert_eq!(content(&m), "cp=<no value>");
    assert_eq!(m.findings.len(), 1, "{:?}", m.findings);
    let f = &m.findings[0];
    assert!(!f.is_error() && f.path == "spec.files[0].content", "{f}");
    assert!(
        f.message.contains("\"<no value>\"")
            && f.message.contains("controlPlaneRef")
            && f.message.contains("{{ if .controlPlane }}"),
        "{f}"
    );
}

#[test]
fn an_unknown_control_plane_version_is_an_error_where_a_template_needs_it() {
    let file = "contentFormat: Template, content: '{{ .controlPlane.version }}'";
    let other = "{controlPlaneRef: {apiVersion: controlplane.cluster.x-k8s.io/v1beta2, kind: KubeadmControlPlane, name: other}}";
    for (text, why) in [
        (
            with_file(Some(other), "v1.32.2", "v1beta2", file),
            "names KubeadmControlPlane \"other\", which the manifests do not hold",
        ),
        (
            with_file(Some(CP_REF), "", "v1beta2", file),
            "names KubeadmControlPlane \"cp\", which the manifests do not hold",
        ),
        (with_file(None, "", "v1beta2", file), "the manifests hold no Cluster"),
    ] {
        let e = errors(&text, &Secrets::new());
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("KubeadmConfig default/w (document "), "{e:?}");
        assert!(e[0].contains(", spec.files[0].content: the Go template") && e[0].contains(why), "{e:?}");
        assert!(e[0].contains("{{ .controlPlane.version }} needs the control plane's version"), "{e:?}");
    }
    // A template that does not read it renders.
    let comment = "contentFormat: Template, content: 'a{{/* c */}}b'";
    assert_eq!(content(&parse_ok(&with_file(None, "", "v1beta2", comment))), "ab");
    // A control plane version Cluster API cannot read fails the files of every node.
    let e = errors(&with_file(Some(CP_REF), "latest", "v1beta2", "content: x"), &Secrets::new());
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("KubeadmControlPlane default/cp (document 2), spec.version: \"latest\" is not a version"),
        "{e:?}"
    );
}

#[test]
fn content_formats_are_cluster_apis() {
    let fmt = |f: &str, version: &str| {
        errors(
            &with_file(Some(CP_REF), "v1.32.2", version, &format!("contentFormat: {f}, content: x")),
            &Secrets::new(),
        )
    };
    let e = fmt("go-template", "v1beta2");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains(
            "spec.files[0].contentFormat: \"go-template\" is not a content format Cluster API knows (Raw or Template)"
        ) && e[0].contains("{{ .controlPlane.version }}"),
        "{e:?}"
    );
    for bad in ["raw", "''", "Go"] {
        let e = fmt(bad, "v1beta1");
        assert_eq!(e.len(), 1, "{bad}: {e:?}");
        assert!(
            e[0].contains("spec.files[0].contentFormat")
                && e[0].contains("use Raw (the default")
                && e[0].contains("Template"),
            "{e:?}"
        );
    }
    for old in ["v1alpha3", "v1alpha4"] {
        let e = fmt("Template", old);
        assert_eq!(e.len(), 1, "{old}: {e:?}");
        assert!(
            e[0].contains(&format!("spec.files[0].contentFormat: this field does not exist in Cluster API {old}")),
            "{e:?}"
        );
    }
    // Unsupported template constructs are named, at the content's path.
    let e = errors(
        &with_file(
            Some(CP_REF),
            "v1.32.2",
            "v1beta2",
            "contentFormat: Template, content: '{{ .controlPlane.version | printf \"%q\" }}'",
        ),
        &Secrets::new(),
    );
    assert!(
        e.len() == 1
            && e[0].contains("spec.files[0].content: ")
            && e[0].contains("a pipeline (|)")
            && e[0].contains("templatefile"),
        "{e:?}"
    );
    // Base64 content is rendered before it is decoded: the braces stay, with a warning.
    let m = parse_ok(&with_file(
        Some(CP_REF),
        "v1.32.2",
        "v1beta2",
        "contentFormat: Template, encoding: base64, content: e3sgLmNvbnRyb2xQbGFuZS52ZXJzaW9uIH19Cg==",
    ));
    assert_eq!(content(&m), "{{ .controlPlane.version }}\n");
    assert!(
        m.findings
            .iter()
            .any(|f| !f.is_error() && f.path == "spec.files[0].contentFormat" && f.message.contains("base64")),
        "{:?}",
        m.findings
    );
}
