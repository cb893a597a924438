use super::*;
use std::cell::RefCell;

/// An in-memory API: path → body; paths absent answer 404.
struct Fake {
    objects: BTreeMap<String, Json>,
    calls: RefCell<Vec<String>>,
}

impl Api for Fake {
    fn host(&self) -> &str {
        "https://fake"
    }
    fn get(&self, path: &str, access: &Access) -> Result<Option<Json>, KubeError> {
        self.calls.borrow_mut().push(path.to_string());
        if path.contains("forbidden") {
            return Err(KubeError::Forbidden {
                host: "https://fake".into(),
                verb: access.verb,
                resource: access.resource.clone(),
                namespace: access.namespace.clone(),
                message: "no".into(),
            });
        }
        Ok(self.objects.get(path).cloned())
    }
}

fn fake() -> Fake {
    let sel = "?labelSelector=cluster.x-k8s.io%2Fcluster-name%3Dprod";
    let label = serde_json::json!({ CLUSTER_NAME_LABEL: "prod" });
    let mut o = BTreeMap::new();
    let group = |g: &str, v: &str| serde_json::json!({"kind": "APIGroup", "preferredVersion": {"groupVersion": format!("{g}/{v}")}});
    o.insert("/apis/cluster.x-k8s.io".to_string(), group(CLUSTER_GROUP, "v1beta2"));
    o.insert("/apis/bootstrap.cluster.x-k8s.io".to_string(), group(BOOTSTRAP_GROUP, "v1beta2"));
    o.insert(
            "/apis/cluster.x-k8s.io/v1beta2/namespaces/ns/clusters/prod".to_string(),
            serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
                "metadata": {"name": "prod", "managedFields": [{"manager": "x"}]}, "status": {"initialization": {"controlPlaneInitialized": true}}}),
        );
    o.insert(
            format!("/apis/cluster.x-k8s.io/v1beta2/namespaces/ns/machines{sel}"),
            serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineList", "items": [
                {"metadata": {"name": "w-1", "labels": {CLUSTER_NAME_LABEL: "prod", DEPLOYMENT_NAME_LABEL: "md"}},
                 "spec": {"bootstrap": {"configRef": {"apiGroup": BOOTSTRAP_GROUP, "kind": "KubeadmConfig", "name": "w-1"}}}},
                {"metadata": {"name": "other", "labels": {CLUSTER_NAME_LABEL: "staging"}}},
                {"metadata": {"name": "w-2", "labels": label}, "spec": {"bootstrap": {"dataSecretName": "x"}}}
            ]}),
        );
    o.insert(
            format!("/apis/cluster.x-k8s.io/v1beta2/namespaces/ns/machinedeployments{sel}"),
            serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeploymentList", "items": [
                {"metadata": {"name": "md", "labels": label},
                 "spec": {"template": {"spec": {"bootstrap": {"configRef": {"apiGroup": BOOTSTRAP_GROUP, "kind": "KubeadmConfigTemplate", "name": "md-t"}}}}}}
            ]}),
        );
    o.insert(
        "/apis/bootstrap.cluster.x-k8s.io/v1beta2/namespaces/ns/kubeadmconfigs/w-1".to_string(),
        serde_json::json!({"metadata": {"name": "w-1"}, "spec": {"files": [
            {"path": "/a", "contentFrom": {"secret": {"name": "s", "key": "k"}}},
            {"path": "/b", "contentFrom": {"secret": {"name": "s", "key": "missing"}}},
            {"path": "/c", "contentFrom": {"secret": {"name": "forbidden", "key": "k"}}}
        ]}}),
    );
    o.insert(
        "/apis/bootstrap.cluster.x-k8s.io/v1beta2/namespaces/ns/kubeadmconfigtemplates/md-t".to_string(),
        serde_json::json!({"metadata": {"name": "md-t"}, "spec": {"template": {"spec": {"users": [
                {"name": "core", "passwdFrom": {"secret": {"name": "s", "key": "pw"}}}]}}}}),
    );
    o.insert(
            "/api/v1/namespaces/ns/secrets/s".to_string(),
            serde_json::json!({"data": {"k": B64.encode("value k"), "pw": B64.encode("hash"), "other": B64.encode("not read")}}),
        );
    Fake { objects: o, calls: RefCell::new(Vec::new()) }
}

#[test]
fn collects_and_assembles() {
    let f = fake();
    let out = read_cluster(&f, "ns", "prod").unwrap();
    assert_eq!(out.manifests.keys().collect::<Vec<_>>(), ["w-1", "w-2"]);
    let docs: Vec<Json> = out.manifests["w-1"].split("---\n").map(|d| serde_yaml_ng::from_str(d).unwrap()).collect();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Cluster", "MachineDeployment", "Machine", "KubeadmConfig"]);
    assert_eq!(docs[2]["apiVersion"], "cluster.x-k8s.io/v1beta2");
    assert_eq!(docs[3]["apiVersion"], "bootstrap.cluster.x-k8s.io/v1beta2");
    assert!(docs[0]["metadata"].get("managedFields").is_none());
    let mut config = serde_json::json!({"spec": {"joinConfiguration": {"discovery": {
            "bootstrapToken": {"token": "abcdef.0123456789abcdef", "apiServerEndpoint": "api:6443"},
            "tlsBootstrapToken": "abcdef.0123456789abcdef"}},
            "initConfiguration": {"bootstrapTokens": [{"token": "abcdef.0123456789abcdef", "ttl": "1h"}]}}});
    drop_tokens(&mut config);
    let inline = Inline::default();
    let mut with_user =
        serde_json::json!({"metadata": {"name": "cfg"}, "spec": {"users": [{"name": "ops", "passwd": "$6$hash"}]}});
    with_user = clean(with_user, &inline);
    assert_eq!(with_user["spec"]["users"][0]["passwdFrom"]["secret"]["name"], INLINE_PASSWORDS);
    assert_eq!(with_user["spec"]["users"][0]["passwdFrom"]["secret"]["key"], "cfg.ops");
    assert!(!with_user.to_string().contains("$6$hash"));
    assert_eq!(inline.borrow()["cfg.ops"].expose(), "$6$hash");
    assert!(!config.to_string().contains("0123456789abcdef"), "{config}");
    assert_eq!(config["spec"]["joinConfiguration"]["discovery"]["bootstrapToken"]["apiServerEndpoint"], "api:6443");
    assert_eq!(docs[0]["status"]["initialization"]["controlPlaneInitialized"], true);
    assert!(out.manifests["w-1"].starts_with("apiVersion:"), "keys sorted");
    let w2: Vec<&str> = out.manifests["w-2"].split("---\n").collect();
    assert_eq!(w2.len(), 2);
    assert!(out.control_plane.is_none());
    let md: Vec<Json> =
        out.machine_deployments["md"].split("---\n").map(|d| serde_yaml_ng::from_str(d).unwrap()).collect();
    assert_eq!(md[2]["kind"], "KubeadmConfigTemplate");
    let secrets: BTreeMap<&str, BTreeMap<&str, &str>> = out
        .secrets
        .iter()
        .map(|(n, kv)| (n.as_str(), kv.iter().map(|(k, v)| (k.as_str(), v.expose().as_str())).collect()))
        .collect();
    assert_eq!(secrets, BTreeMap::from([("s", BTreeMap::from([("k", "value k"), ("pw", "hash")]))]));
    let w = out.warnings.join("\n");
    assert!(w.contains("Machine ns/w-2 has no bootstrap.configRef"), "{w}");
    assert!(w.contains("has no key \"missing\""), "{w}");
    assert!(w.contains("Secret ns/forbidden") && w.contains("cannot be read"), "{w}");
    assert!(!w.contains("value k"));
    // The same objects give the same bytes.
    let again = read_cluster(&fake(), "ns", "prod").unwrap();
    assert_eq!(again.manifests, out.manifests);
    assert!(f.calls.borrow().iter().any(|c| c == "/apis/controlplane.cluster.x-k8s.io"));
}

#[test]
fn missing_groups_and_clusters() {
    let mut f = fake();
    assert_eq!(
        read_cluster(&f, "ns", "nope").unwrap_err().to_string(),
        "cluster ns/nope not found on the API server at https://fake"
    );
    f.objects.remove("/apis/bootstrap.cluster.x-k8s.io");
    let e = read_cluster(&f, "ns", "prod").unwrap_err();
    assert!(matches!(e, KubeError::NotInstalled { ref group, .. } if group == BOOTSTRAP_GROUP), "{e}");
    f.objects.insert("/apis/bootstrap.cluster.x-k8s.io".into(), serde_json::json!({"kind": "Status"}));
    assert!(matches!(read_cluster(&f, "ns", "prod").unwrap_err(), KubeError::Invalid { .. }));
}
