//! `data "kubeadm_capi_manifests"` against a real kube-apiserver that serves
//! Cluster API's own CRDs, through real Terraform (every binary
//! `terraforms()` finds, OpenTofu included):
//!
//! - a cluster's Cluster, KubeadmControlPlane, Machines, MachineDeployment,
//!   KubeadmConfigs, KubeadmConfigTemplate and Secret, read with a client
//!   certificate and with a bearer token whose identities hold exactly the
//!   RBAC the data source documents, equal the objects the server holds
//!   (another cluster's objects in the namespace left out);
//! - an identity lacking one permission gets an error that names it (verb,
//!   resource, API group, namespace) with the server's own refusal; one that
//!   may not read secrets gets a warning naming the secret;
//! - every v1beta2 fixture under `tests/fixtures/capi/`, created on the
//!   server and read back, renders (`data "kubeadm_ignition_config"` in
//!   compat mode) exactly as the same objects given as a file;
//! - kubeconfig `exec` credential plugins (shell scripts here): a token and
//!   a client certificate from a plugin, the plugin's input
//!   (`KUBERNETES_EXEC_INFO`), the credential kept until it expires and
//!   fetched again when the server refuses it, a failing plugin's standard
//!   error in the error, `installHint` for a missing command, and the
//!   refusal without `allow_exec_plugins`.
//!
//! The server is started by `tests/support/apiserver.rs` (real etcd and
//! kube-apiserver, RBAC on, a static token file, client certificates of the
//! test CA), once for the tests of this file that run at the same time;
//! each test works in namespaces of its own. The CRDs are the files
//! `scripts/install-capi-crds.sh` copies from the sigs.k8s.io/cluster-api
//! module (`.tools/capi/versions.env`), applied with `kubectl apply
//! --server-side` and waited for until Established.
//!
//! Host adaptations (what differs from a management cluster):
//! - No Cluster API controllers or webhooks run. The CRDs' `bases` files
//!   carry no `spec.conversion` stanza (the release manifests add the
//!   conversion webhook with a kustomize patch), so they are applied as
//!   they are; without the webhook the server converts between v1beta1 and
//!   v1beta2 by rewriting apiVersion alone, and every object here is
//!   written and read as v1beta2, the storage version.
//! - Server-side apply, because the last-applied annotation of a
//!   client-side apply would exceed the annotation size limit for these
//!   CRDs.
//! - Statuses, which controllers would write, are set through the status
//!   subresource; owner references carry the owners' real UIDs.
//!
//! The fixtures go to the server as they are, `contentFormat: Template`
//! files included (the CRDs' enum is `Raw` and `Template`).

use crate::apiserver;
use crate::support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use apiserver::{b64, ApiServer, ClientCert, Setup};
use serde_json::{json, Value as Json};
use support::{config, repo_root, run_case, run_case_on, terraforms, State, Step, WorkDir};

/// A reader by client certificate and one by bearer token, both with the
/// permissions the data source documents.
const READER_CERT: &str = "capi-reader-cert";
const READER_TOKEN_USER: &str = "capi-reader-token";
const READER_TOKEN: &str = "reader-6e1f0c5a9d2b4e7f8a3c";
/// Identities each missing one permission.
const NO_CONFIG_GET_USER: &str = "capi-no-kubeadmconfig-get";
const NO_CONFIG_GET_TOKEN: &str = "noconfigget-1b7d3f9e2a6c";
const NO_MD_LIST_USER: &str = "capi-no-machinedeployment-list";
const NO_MD_LIST_TOKEN: &str = "nomdlist-5c2e8a1f7b3d";
const NO_SECRETS_USER: &str = "capi-no-secrets";
const NO_SECRETS_TOKEN: &str = "nosecrets-9f4a6d2c8e1b";
/// What exec plugins hand out: a token and a client certificate.
const PLUGIN_TOKEN_USER: &str = "capi-plugin-token";
const PLUGIN_TOKEN: &str = "plugin-3a8c5e7f1d9b2c4e";
const PLUGIN_CERT: &str = "capi-plugin-cert";

const ADDR: &str = "data.kubeadm_capi_manifests.demo";

/// Every identity of these tests (the audit log records theirs only).
const USERS: [&str; 7] = [
    READER_CERT,
    READER_TOKEN_USER,
    NO_CONFIG_GET_USER,
    NO_MD_LIST_USER,
    NO_SECRETS_USER,
    PLUGIN_TOKEN_USER,
    PLUGIN_CERT,
];

/// Cluster API's group names.
const CORE: &str = "cluster.x-k8s.io";
const BOOTSTRAP: &str = "bootstrap.cluster.x-k8s.io";
const CONTROLPLANE: &str = "controlplane.cluster.x-k8s.io";

// ---------------------------------------------------------------------------
// The server

/// The ClusterRoles bound in every namespace: the data source's documented
/// permissions, and three variants each lacking one of them.
fn cluster_roles() -> Json {
    let rules = |config_verbs: &[&str], md_verbs: &[&str], secrets: bool| {
        let mut rules = vec![
            json!({"apiGroups": [CORE], "resources": ["clusters", "machines"], "verbs": ["get", "list"]}),
            json!({"apiGroups": [CORE], "resources": ["machinedeployments"], "verbs": md_verbs}),
            json!({"apiGroups": [BOOTSTRAP], "resources": ["kubeadmconfigtemplates"], "verbs": ["get", "list"]}),
            json!({"apiGroups": [BOOTSTRAP], "resources": ["kubeadmconfigs"], "verbs": config_verbs}),
            json!({"apiGroups": [CONTROLPLANE], "resources": ["kubeadmcontrolplanes"], "verbs": ["get", "list"]}),
        ];
        if secrets {
            rules.push(json!({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}));
        }
        rules
    };
    let role = |name: &str, rules: Vec<Json>| json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules});
    json!({"apiVersion": "v1", "kind": "List", "items": [
        role("capi-reader", rules(&["get", "list"], &["get", "list"], true)),
        role("capi-reader-no-kubeadmconfig-get", rules(&["list"], &["get", "list"], true)),
        role("capi-reader-no-machinedeployment-list", rules(&["get", "list"], &["get"], true)),
        role("capi-reader-no-secrets", rules(&["get", "list"], &["get", "list"], false)),
    ]})
}

/// Which ClusterRole each identity has in every namespace.
const BINDINGS: [(&str, &str); 7] = [
    (READER_CERT, "capi-reader"),
    (READER_TOKEN_USER, "capi-reader"),
    (PLUGIN_TOKEN_USER, "capi-reader"),
    (PLUGIN_CERT, "capi-reader"),
    (NO_CONFIG_GET_USER, "capi-reader-no-kubeadmconfig-get"),
    (NO_MD_LIST_USER, "capi-reader-no-machinedeployment-list"),
    (NO_SECRETS_USER, "capi-reader-no-secrets"),
];

/// The API server with Cluster API's CRDs and the test identities.
struct Lab {
    server: ApiServer,
}

impl Lab {
    fn start() -> Lab {
        let mut audit = String::from(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [\"RequestReceived\"]\nrules:\n- level: Metadata\n  users:\n",
        );
        for u in USERS {
            audit.push_str(&format!("  - {u}\n"));
        }
        audit.push_str("- level: None\n");
        let server = ApiServer::start(&Setup {
            clients: vec![
                ClientCert::new(READER_CERT, "ca", &format!("/CN={READER_CERT}")),
                ClientCert::new(PLUGIN_CERT, "ca", &format!("/CN={PLUGIN_CERT}")),
            ],
            tokens: vec![
                (READER_TOKEN.into(), READER_TOKEN_USER.into()),
                (NO_CONFIG_GET_TOKEN.into(), NO_CONFIG_GET_USER.into()),
                (NO_MD_LIST_TOKEN.into(), NO_MD_LIST_USER.into()),
                (NO_SECRETS_TOKEN.into(), NO_SECRETS_USER.into()),
                (PLUGIN_TOKEN.into(), PLUGIN_TOKEN_USER.into()),
            ],
            audit_policy: audit,
        });
        let crds = crds_dir();
        let files: Vec<PathBuf> = std::fs::read_dir(&crds)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/install-capi-crds.sh", crds.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        assert_eq!(files.len(), 8, "the CRDs in {}: {files:?}", crds.display());
        server
            .kubectl(&["apply", "--server-side", "--field-manager=capi-crds", "-f", &crds.display().to_string()], None);
        let mut names = Vec::new();
        for f in &files {
            let doc: Json = serde_yaml_ng::from_str(&std::fs::read_to_string(f).expect("read a CRD")).expect("a CRD");
            let name = doc["metadata"]["name"].as_str().expect("the CRD's name").to_string();
            // Applied as they are: none of them names a conversion webhook.
            assert!(doc["spec"].get("conversion").is_none(), "{name} has a conversion stanza");
            names.push(format!("crd/{name}"));
        }
        let mut wait = vec!["wait", "--for=condition=Established", "--timeout=60s"];
        wait.extend(names.iter().map(String::as_str));
        server.kubectl(&wait, None);
        // Discovery offers v1beta2 first: the version the data source reads.
        for group in [CORE, BOOTSTRAP, CONTROLPLANE] {
            let g: Json = serde_json::from_str(&server.kubectl(&["get", "--raw", &format!("/apis/{group}")], None))
                .expect("APIGroup");
            assert_eq!(g["preferredVersion"]["version"], "v1beta2", "{g}");
        }
        server.kubectl(&["create", "-f", "-"], Some(&cluster_roles().to_string()));
        // The cluster health data source lists Nodes: the plugin's token user may.
        let nodes = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "node-lister"},
             "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}]},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "node-lister"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "node-lister"},
             "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": PLUGIN_TOKEN_USER}]}
        ]});
        server.kubectl(&["create", "-f", "-"], Some(&nodes.to_string()));
        Lab { server }
    }

    /// Creates a namespace with the test identities bound in it.
    fn namespace(&self, ns: &str) {
        let mut items = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})];
        for (user, role) in BINDINGS {
            items.push(json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": user, "namespace": ns},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]
            }));
        }
        self.server.kubectl(
            &["create", "-f", "-"],
            Some(&json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string()),
        );
    }

    /// Creates `objects` (statuses through the status subresource).
    fn create(&self, objects: &[Json]) {
        let items: Vec<Json> = objects
            .iter()
            .map(|o| {
                let mut o = o.clone();
                if let Some(m) = o.as_object_mut() {
                    m.remove("status");
                }
                o
            })
            .collect();
        self.server.kubectl(
            &["create", "-f", "-"],
            Some(&json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string()),
        );
        for o in objects.iter().filter(|o| o.get("status").is_some()) {
            let kind = format!("{}.{}", o["kind"].as_str().unwrap_or_default().to_lowercase(), group_of(o));
            let name = o["metadata"]["name"].as_str().expect("a name");
            let ns = o["metadata"]["namespace"].as_str().expect("a namespace");
            let patch = json!({"status": o["status"]}).to_string();
            self.server
                .kubectl(&["patch", &kind, name, "-n", ns, "--subresource=status", "--type=merge", "-p", &patch], None);
        }
    }

    /// An object as the server holds it, without managedFields (which the data source drops).
    fn get(&self, resource: &str, ns: &str, name: &str) -> Json {
        let mut o: Json =
            serde_json::from_str(&self.server.kubectl(&["get", resource, name, "-n", ns, "-o", "json"], None))
                .expect("an object");
        if let Some(m) = o["metadata"].as_object_mut() {
            m.remove("managedFields");
        }
        o
    }

    fn uid(&self, resource: &str, ns: &str, name: &str) -> String {
        self.get(resource, ns, name)["metadata"]["uid"].as_str().expect("a uid").to_string()
    }

    /// The provider's requests by `user` (its user agent in the audit log).
    fn provider_requests(&self, user: &str, ns: &str) -> Vec<Json> {
        self.server
            .audit_events()
            .into_iter()
            .filter(|e| {
                e["user"]["username"] == user
                    && e["objectRef"]["namespace"] == ns
                    && e["userAgent"].as_str().is_some_and(|a| a.starts_with("terraform-provider-kubeadm/"))
            })
            .collect()
    }
}

/// The one server the tests running at the same time share.
fn lab() -> Arc<Lab> {
    static SHARED: Mutex<Weak<Lab>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(lab) = shared.upgrade() {
        return lab;
    }
    let lab = Arc::new(Lab::start());
    *shared = Arc::downgrade(&lab);
    lab
}

/// Where `scripts/install-capi-crds.sh` put the CRDs.
fn crds_dir() -> PathBuf {
    let path = repo_root().join(".tools/capi/versions.env");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/install-capi-crds.sh", path.display()));
    let dir = text.lines().find_map(|l| l.strip_prefix("CAPI_CRDS_DIR=")).expect("CAPI_CRDS_DIR in versions.env");
    PathBuf::from(dir.trim())
}

fn group_of(o: &Json) -> String {
    o["apiVersion"].as_str().and_then(|v| v.split_once('/')).map(|(g, _)| g.to_string()).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Objects

/// The documents of a v1beta2 fixture, in namespace `ns`.
fn fixture(name: &str, ns: &str) -> Vec<Json> {
    let path = repo_root().join("tests/fixtures/capi/v1beta2").join(format!("{name}.yaml"));
    let text = std::fs::read_to_string(&path).expect("read a fixture");
    let mut docs = Vec::new();
    for d in serde_yaml_ng::Deserializer::from_str(&text) {
        let mut doc: Json = serde::Deserialize::deserialize(d).expect("a fixture document");
        if doc.is_null() {
            continue;
        }
        doc["metadata"]["namespace"] = json!(ns);
        docs.push(doc);
    }
    docs
}

fn find<'a>(docs: &'a [Json], kind: &str) -> &'a Json {
    docs.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in {docs:?}"))
}

/// One cluster, "demo", assembled from the fixtures: the Cluster (with a
/// controlPlaneRef, its control plane initialized), its
/// KubeadmControlPlane owning two control-plane Machines (the init and the
/// join fixture's, each with its KubeadmConfig), a worker Machine of the
/// MachineDeployment with its KubeadmConfigTemplate, and the Secret a file
/// reads. Another cluster, "other", has a Machine in the same namespace.
fn create_demo_cluster(lab: &Lab, ns: &str) {
    let kcp_docs = fixture("kubeadmcontrolplane", ns);
    let mut cluster = find(&kcp_docs, "Cluster").clone();
    cluster["status"] = find(&fixture("control-plane-join", ns), "Cluster")["status"].clone();
    let kcp = find(&kcp_docs, "KubeadmControlPlane").clone();
    lab.create(&[cluster.clone(), kcp]);
    let kcp_uid = lab.uid("kubeadmcontrolplanes.controlplane.cluster.x-k8s.io", ns, "demo-control-plane");

    let mut objects = Vec::new();
    for name in ["init", "control-plane-join"] {
        for mut doc in fixture(name, ns).into_iter().filter(|d| d["kind"] != "Cluster") {
            if doc["kind"] == "Machine" {
                doc["metadata"]["labels"]["cluster.x-k8s.io/control-plane-name"] = json!("demo-control-plane");
                doc["metadata"]["ownerReferences"] = json!([{
                    "apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KubeadmControlPlane",
                    "name": "demo-control-plane", "uid": kcp_uid, "controller": true, "blockOwnerDeletion": true
                }]);
            }
            objects.push(doc);
        }
    }
    for mut doc in fixture("worker", ns).into_iter().filter(|d| d["kind"] != "Cluster") {
        if doc["kind"] == "Machine" {
            doc["metadata"]["labels"]["cluster.x-k8s.io/deployment-name"] = json!("demo-md-0");
        }
        objects.push(doc);
    }
    objects.extend(fixture("machinedeployment", ns).into_iter().filter(|d| d["kind"] != "Cluster"));
    // The other cluster: its Machine and config must not show up.
    let mut other = cluster.clone();
    other["metadata"]["name"] = json!("other");
    other["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"] = json!("other");
    other["spec"].as_object_mut().expect("spec").remove("controlPlaneRef");
    objects.push(other);
    for mut doc in fixture("worker", ns).into_iter().filter(|d| d["kind"] != "Cluster") {
        doc["metadata"]["name"] = json!("other-worker-0");
        doc["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"] = json!("other");
        if doc["kind"] == "Machine" {
            doc["spec"]["clusterName"] = json!("other");
            doc["spec"]["bootstrap"]["configRef"]["name"] = json!("other-worker-0");
        }
        objects.push(doc);
    }
    lab.create(&objects);
}

/// What the data source must return for the demo cluster: the objects as
/// the server holds them.
#[derive(Clone)]
struct Expected {
    manifests: BTreeMap<String, Vec<Json>>,
    machine_deployments: BTreeMap<String, Vec<Json>>,
    control_plane: Vec<Json>,
    secrets: Json,
}

fn expected(lab: &Lab, ns: &str) -> Expected {
    let get = |kind: &str, name: &str| lab.get(kind, ns, name);
    let cluster = get("clusters.cluster.x-k8s.io", "demo");
    let kcp = get("kubeadmcontrolplanes.controlplane.cluster.x-k8s.io", "demo-control-plane");
    let md = get("machinedeployments.cluster.x-k8s.io", "demo-md-0");
    // Workers' entries carry the Cluster's control plane too.
    let machine = |name: &str, owner: &Json| {
        let mut docs = vec![cluster.clone()];
        if owner["kind"] != "KubeadmControlPlane" {
            docs.push(kcp.clone());
        }
        docs.push(owner.clone());
        docs.push(get("machines.cluster.x-k8s.io", name));
        docs.push(get("kubeadmconfigs.bootstrap.cluster.x-k8s.io", name));
        docs
    };
    Expected {
        manifests: BTreeMap::from([
            ("demo-control-plane-0".to_string(), machine("demo-control-plane-0", &kcp)),
            ("demo-control-plane-1".to_string(), machine("demo-control-plane-1", &kcp)),
            ("demo-worker-0".to_string(), machine("demo-worker-0", &md)),
        ]),
        machine_deployments: BTreeMap::from([(
            "demo-md-0".to_string(),
            vec![
                cluster.clone(),
                kcp.clone(),
                md.clone(),
                get("kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io", "demo-md-0"),
            ],
        )]),
        control_plane: vec![cluster.clone(), kcp.clone()],
        secrets: json!({"demo-cloud-config": {"cloud.conf": "[Global]\nZone = eu-west-1a\n"}}),
    }
}

/// The documents of a multi-document YAML string.
fn documents(yaml: &str) -> Result<Vec<Json>, String> {
    yaml.split("---\n")
        .map(|d| serde_yaml_ng::from_str::<Json>(d).map_err(|e| format!("not YAML: {e}\n{yaml}")))
        .collect()
}

/// The first place two JSON values differ, as a path, or None.
fn first_difference(path: &str, a: &Json, b: &Json) -> Option<String> {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                first_difference(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&Json::Null),
                    y.get(k).unwrap_or(&Json::Null),
                )
            })
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(&format!("{path}[{i}]"), p, q))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: {a} vs {b}")),
    }
}

fn same_documents(what: &str, got: &Json, want: &[Json]) -> Result<(), String> {
    let yaml = got.as_str().ok_or_else(|| format!("{what} is not a string: {got}"))?;
    let docs = documents(yaml)?;
    if docs.len() != want.len() {
        return Err(format!("{what} holds {} documents, want {}:\n{yaml}", docs.len(), want.len()));
    }
    for (i, (d, w)) in docs.iter().zip(want).enumerate() {
        if let Some(diff) = first_difference("", d, w) {
            return Err(format!(
                "{what}, document {} ({}): differs from the server's object at {diff}",
                i + 1,
                w["kind"]
            ));
        }
    }
    Ok(())
}

/// The data source's state equals what the server holds.
fn check_read(s: &State, ns: &str, want: &Expected) -> Result<(), String> {
    if s.attr(ADDR, "id") != json!(format!("{ns}/demo")) {
        return Err(format!("id is {}", s.attr(ADDR, "id")));
    }
    let manifests = s.attr(ADDR, "manifests");
    let keys: Vec<&String> = manifests.as_object().map(|m| m.keys().collect()).unwrap_or_default();
    if keys != want.manifests.keys().collect::<Vec<_>>() {
        return Err(format!("manifests keys are {keys:?}"));
    }
    for (machine, docs) in &want.manifests {
        same_documents(&format!("manifests[{machine}]"), &manifests[machine], docs)?;
    }
    let mds = s.attr(ADDR, "machine_deployments");
    let md_keys: Vec<&String> = mds.as_object().map(|m| m.keys().collect()).unwrap_or_default();
    if md_keys != want.machine_deployments.keys().collect::<Vec<_>>() {
        return Err(format!("machine_deployments keys are {md_keys:?}"));
    }
    for (md, docs) in &want.machine_deployments {
        same_documents(&format!("machine_deployments[{md}]"), &mds[md], docs)?;
    }
    same_documents("control_plane", &s.attr(ADDR, "control_plane"), &want.control_plane)?;
    if s.attr(ADDR, "secrets") != want.secrets {
        return Err(format!("secrets are {}, want {}", s.attr(ADDR, "secrets"), want.secrets));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Terraform

fn data_source(ns: &str, connection: &str) -> String {
    format!(
        r#"
data "kubeadm_capi_manifests" "demo" {{
{connection}
  namespace    = "{ns}"
  cluster_name = "demo"
}}

output "machines" {{
  value = keys(data.kubeadm_capi_manifests.demo.manifests)
}}
"#
    )
}

fn with_token(lab: &Lab, token: &str) -> String {
    format!(
        "  host                   = \"{}\"\n  token                  = \"{token}\"\n  cluster_ca_certificate = file(\"{}\")",
        lab.server.url(),
        lab.server.file("ca.crt").display()
    )
}

fn with_kubeconfig(path: &Path, allow_exec_plugins: bool) -> String {
    let allow = if allow_exec_plugins { "\n  allow_exec_plugins = true" } else { "" };
    format!("  kubeconfig_path = \"{}\"{allow}", path.display())
}

/// Runs `args` in a fresh directory with `cfg` on every Terraform found;
/// each run's output with line wrapping and box drawing removed, and
/// whether it succeeded.
fn run_everywhere(cfg: &str, args: &[&str], provider_env: &[(String, String)]) -> Vec<(bool, String)> {
    let mut outs = Vec::new();
    for tf in terraforms() {
        let mut wd = WorkDir::new(&tf);
        wd.provider_env = provider_env.to_vec();
        wd.write_config(cfg);
        wd.init();
        let r = wd.run(args);
        let text = r.combined();
        assert!(
            !text.contains("panic") && !text.contains("crashed"),
            "the provider crashed on {}:\n{text}",
            tf.label()
        );
        for secret in
            [READER_TOKEN, NO_CONFIG_GET_TOKEN, NO_MD_LIST_TOKEN, NO_SECRETS_TOKEN, PLUGIN_TOKEN, "PRIVATE KEY"]
        {
            assert!(!text.contains(secret), "{secret:?} leaked on {}:\n{text}", tf.label());
        }
        let flat = text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
        outs.push((r.code == 0, format!("{}: {flat}", tf.label())));
    }
    outs
}

/// `plan` must fail everywhere with all of `wanted` in the output.
fn assert_plan_fails(cfg: &str, wanted: &[&str], provider_env: &[(String, String)]) {
    assert_outputs(cfg, &["plan", "-input=false", "-no-color"], false, wanted, provider_env);
}

fn assert_outputs(cfg: &str, args: &[&str], success: bool, wanted: &[&str], provider_env: &[(String, String)]) {
    for (ok, out) in run_everywhere(cfg, args, provider_env) {
        assert_eq!(ok, success, "{} {}:\n{out}", args.join(" "), if success { "failed" } else { "succeeded" });
        for w in wanted {
            assert!(out.contains(w), "the output lacks {w:?}:\n{out}");
        }
    }
}

// ---------------------------------------------------------------------------
// Reading

#[test]
fn reads_a_cluster_with_a_client_certificate_and_with_a_bearer_token() {
    let lab = lab();
    let ns = "read";
    lab.namespace(ns);
    create_demo_cluster(&lab, ns);
    let want = expected(&lab, ns);
    let (w1, w2) = (want.clone(), want.clone());
    run_case(
        "reads the cluster",
        &[
            Step::config(config(&data_source(
                ns,
                &with_kubeconfig(&lab.server.file(&format!("{READER_CERT}.conf")), false),
            )))
            .check(move |s| check_read(s, "read", &w1)),
            Step::config(config(&data_source(ns, &with_token(&lab, READER_TOKEN)))).check(move |s| {
                check_read(s, "read", &w2)?;
                let machines = s.output("machines");
                if machines != json!(["demo-control-plane-0", "demo-control-plane-1", "demo-worker-0"]) {
                    return Err(format!("the machines output is {machines}"));
                }
                Ok(())
            }),
        ],
    );
    // Each identity read, with the documented permissions only, and was
    // refused nothing; the other cluster's objects were never fetched.
    for user in [READER_CERT, READER_TOKEN_USER] {
        let requests = lab.provider_requests(user, ns);
        assert!(requests.len() >= 8 * terraforms().len(), "{user} made {} requests", requests.len());
        for e in &requests {
            assert_eq!(e["responseStatus"]["code"], 200, "{user}: {e}");
            assert_ne!(e["objectRef"]["name"], "other-worker-0", "{user}: {e}");
        }
        let lists: Vec<&str> = requests
            .iter()
            .filter(|e| e["verb"] == "list")
            .filter_map(|e| e["objectRef"]["resource"].as_str())
            .collect();
        for resource in ["machines", "machinedeployments", "kubeadmcontrolplanes"] {
            assert!(lists.contains(&resource), "{user} never listed {resource}: {lists:?}");
        }
    }
}

#[test]
fn a_missing_permission_is_named() {
    let lab = lab();
    let ns = "rbac";
    lab.namespace(ns);
    create_demo_cluster(&lab, ns);
    let url = lab.server.url();

    assert_plan_fails(
        &config(&data_source(ns, &with_token(&lab, NO_CONFIG_GET_TOKEN))),
        &[
            "Error: Kubernetes API access forbidden",
            &format!("the API server at {url} does not allow get on kubeadmconfigs.bootstrap.cluster.x-k8s.io in namespace rbac:"),
            &format!("User \"{NO_CONFIG_GET_USER}\" cannot get resource \"kubeadmconfigs\" in API group \"bootstrap.cluster.x-k8s.io\" in the namespace \"rbac\""),
            "Grant the identity get on kubeadmconfigs (API group bootstrap.cluster.x-k8s.io) in namespace rbac: a Role bound to it with a RoleBinding, with the rule apiGroups: [\"bootstrap.cluster.x-k8s.io\"], resources: [\"kubeadmconfigs\"], verbs: [\"get\"].",
            "In all, the data source needs get and list on clusters, machines and machinedeployments (cluster.x-k8s.io)",
            "with data.kubeadm_capi_manifests.demo",
        ],
        &[],
    );
    assert_plan_fails(
        &config(&data_source(ns, &with_token(&lab, NO_MD_LIST_TOKEN))),
        &[
            "Error: Kubernetes API access forbidden",
            &format!("the API server at {url} does not allow list on machinedeployments.cluster.x-k8s.io in namespace rbac:"),
            &format!("User \"{NO_MD_LIST_USER}\" cannot list resource \"machinedeployments\" in API group \"cluster.x-k8s.io\" in the namespace \"rbac\""),
            "Grant the identity list on machinedeployments (API group cluster.x-k8s.io) in namespace rbac",
            "verbs: [\"list\"]",
        ],
        &[],
    );
    // Secrets are optional: a warning that names the secret and the permission.
    assert_outputs(
        &config(&data_source(ns, &with_token(&lab, NO_SECRETS_TOKEN))),
        &["plan", "-input=false", "-no-color"],
        true,
        &[
            "Warning: Cluster API objects",
            &format!("Secret rbac/demo-cloud-config, referenced by a bootstrap config, cannot be read: the API server at {url} does not allow get on secrets in namespace rbac:"),
            &format!("User \"{NO_SECRETS_USER}\" cannot get resource \"secrets\" in API group \"\" in the namespace \"rbac\""),
            "Grant the identity get on secrets (the core API group) in namespace rbac to have its values.",
        ],
        &[],
    );
    // The server refused exactly those requests, and nothing else.
    for (user, verb, resource) in [
        (NO_CONFIG_GET_USER, "get", "kubeadmconfigs"),
        (NO_MD_LIST_USER, "list", "machinedeployments"),
        (NO_SECRETS_USER, "get", "secrets"),
    ] {
        let refused: Vec<(String, String)> = lab
            .provider_requests(user, ns)
            .iter()
            .filter(|e| e["responseStatus"]["code"] == 403)
            .map(|e| {
                (
                    e["verb"].as_str().unwrap_or("").to_string(),
                    e["objectRef"]["resource"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert!(!refused.is_empty(), "{user}: no request was refused");
        assert!(refused.iter().all(|(v, r)| v == verb && r == resource), "{user}: {refused:?}");
    }
}

// ---------------------------------------------------------------------------
// Rendering live objects and files

#[test]
fn live_objects_render_like_the_same_objects_from_files() {
    let lab = lab();
    let dir = tempfile::tempdir().expect("temp dir");
    // The objects of each fixture, and one more: the KubeadmControlPlane
    // fixture with its Cluster initialized, where only the Cluster's status
    // tells a control-plane join from an init (its config has both).
    // (name, fixture, the data source attribute that holds the node, what
    // its kubeadm config must hold.)
    let cases = [
        ("init", "init", "manifests[\"demo-control-plane-0\"]", "kind: InitConfiguration"),
        ("control-plane-join", "control-plane-join", "manifests[\"demo-control-plane-1\"]", "controlPlane:"),
        ("worker", "worker", "manifests[\"demo-worker-0\"]", "kind: JoinConfiguration"),
        ("machinedeployment", "machinedeployment", "machine_deployments[\"demo-md-0\"]", "kind: JoinConfiguration"),
        ("kubeadmcontrolplane", "kubeadmcontrolplane", "control_plane", "kind: InitConfiguration"),
        ("kcp-initialized", "kubeadmcontrolplane", "control_plane", "controlPlane:"),
        // A worker whose file templates read the control plane's version:
        // the live entry must carry the KubeadmControlPlane as the file does.
        ("file-templates", "file-templates", "manifests[\"demo-worker-0\"]", "kind: JoinConfiguration"),
    ];
    let mut body = String::from(
        r#"
resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "demo"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "join" {}
"#,
    );
    for (name, source, attr, _) in cases {
        let ns = format!("fx-{name}");
        lab.namespace(&ns);
        let mut docs = fixture(source, &ns);
        if name == "kcp-initialized" {
            let initialized = find(&fixture("control-plane-join", &ns), "Cluster")["status"].clone();
            docs.iter_mut().filter(|d| d["kind"] == "Cluster").for_each(|d| d["status"] = initialized.clone());
        }
        lab.create(&docs);
        // The same objects, as a file.
        let yaml: Vec<String> = docs.iter().map(|d| serde_yaml_ng::to_string(d).expect("YAML")).collect();
        let file = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, yaml.join("---\n")).expect("write the objects");
        let id = name.replace('-', "_");
        body.push_str(&format!(
            r#"
data "kubeadm_capi_manifests" "{id}" {{
{connection}
  namespace    = "{ns}"
  cluster_name = "demo"
}}

data "kubeadm_ignition_config" "live_{id}" {{
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  capi_manifests  = data.kubeadm_capi_manifests.{id}.{attr}
  capi_secrets    = data.kubeadm_capi_manifests.{id}.secrets
}}

data "kubeadm_ignition_config" "file_{id}" {{
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  capi_manifests  = file("{file}")
}}
"#,
            connection = with_token(&lab, READER_TOKEN),
            file = file.display(),
        ));
    }
    let cases: Vec<(String, String)> = cases.iter().map(|(n, _, _, k)| (n.replace('-', "_"), k.to_string())).collect();
    run_case(
        "live objects render like files",
        &[Step::config(config(&body)).check(move |s| {
            for (id, marker) in &cases {
                let live = format!("data.kubeadm_ignition_config.live_{id}");
                let file = format!("data.kubeadm_ignition_config.file_{id}");
                // Every computed attribute, field by field.
                for attr in ["id", "rendered_sha512", "kubeadm_config", "rendered"] {
                    let (a, b) = (s.attr(&live, attr), s.attr(&file, attr));
                    let (Some(a), Some(b)) = (a.as_str(), b.as_str()) else {
                        return Err(format!("{id}: {attr} is not a string: {a} / {b}"));
                    };
                    if a.is_empty() {
                        return Err(format!("{id}: {attr} is empty"));
                    }
                    let diff = match attr {
                        "rendered" => {
                            let parse = |t: &str| {
                                serde_json::from_str::<Json>(t).map_err(|e| format!("{id}: rendered is not JSON: {e}"))
                            };
                            first_difference("", &parse(a)?, &parse(b)?)
                        }
                        "kubeadm_config" => {
                            let (x, y) = (documents(a)?, documents(b)?);
                            first_difference("", &Json::Array(x), &Json::Array(y))
                        }
                        _ => (a != b).then(|| format!("{a} vs {b}")),
                    };
                    if let Some(diff) = diff {
                        return Err(format!("{id}: {attr} of the live objects differs from the file's at {diff}"));
                    }
                }
                let kubeadm = s.str(&live, "kubeadm_config");
                if !kubeadm.contains(marker.as_str()) {
                    return Err(format!("{id}: the kubeadm config lacks {marker:?}:\n{kubeadm}"));
                }
            }
            // The live Clusters' status decided the role of the same
            // KubeadmControlPlane: init before, a control-plane join after.
            let before = s.str("data.kubeadm_ignition_config.live_kubeadmcontrolplane", "kubeadm_config");
            let after = s.str("data.kubeadm_ignition_config.live_kcp_initialized", "kubeadm_config");
            let first_kind =
                |yaml: &str| documents(yaml).map(|d| d[0]["kind"].as_str().unwrap_or_default().to_string());
            if first_kind(&before)? != "InitConfiguration"
                || first_kind(&after)? != "JoinConfiguration"
                || after.contains("kind: InitConfiguration")
            {
                return Err(format!("the roles do not follow the Clusters' status:\n{before}\n---\n{after}"));
            }
            // The Secret's value came through `secrets`.
            let rendered = s.str("data.kubeadm_ignition_config.live_init", "rendered");
            if !rendered.contains("/etc/kubernetes/cloud.conf") {
                return Err("the init node lacks the file from the Secret".to_string());
            }
            Ok(())
        })],
    );
}

/// `files[].contentFormat` as Cluster API's CRDs define it: the fixtures'
/// `Template` files are created as they are (above); a value outside the
/// enum, such as `go-template`, is refused by the server, and by compat
/// mode at the same YAML path.
#[test]
fn content_formats_outside_the_crd_enum_are_refused() {
    let lab = lab();
    let ns = "content-format";
    lab.namespace(ns);
    let docs = fixture("machinedeployment", ns);
    let mut template = find(&docs, "KubeadmConfigTemplate").clone();
    assert_eq!(template["spec"]["template"]["spec"]["files"][0]["contentFormat"], "Template");
    template["spec"]["template"]["spec"]["files"][0]["contentFormat"] = json!("go-template");
    let out = lab.server.kubectl_output(&["create", "-f", "-"], Some(&template.to_string()));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "the server took contentFormat: go-template:\n{text}");
    assert!(
        text.contains(r#"spec.template.spec.files[0].contentFormat: Unsupported value: "go-template": supported values: "Raw", "Template""#),
        "{text}"
    );
    let yaml: Vec<String> = docs
        .iter()
        .map(|d| if d["kind"] == "KubeadmConfigTemplate" { &template } else { d })
        .map(|d| serde_yaml_ng::to_string(d).expect("YAML"))
        .collect();
    let m = terraform_provider_kubeadm::bootstrap::capi::parse(&yaml.join("---\n"), &BTreeMap::new());
    let errors: Vec<String> = m.findings.iter().filter(|f| f.is_error()).map(ToString::to_string).collect();
    assert!(
        errors.len() == 1 && errors[0].contains("spec.template.spec.files[0].contentFormat: \"go-template\" is not a content format Cluster API knows (Raw or Template)"),
        "{errors:?}"
    );
}

// ---------------------------------------------------------------------------
// Exec credential plugins

/// A shell script, executable.
fn script(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
    std::fs::write(path, format!("#!/bin/sh\nset -e\n{body}\n")).expect("write a script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Plugins and kubeconfigs for them, in a directory of their own.
struct Plugins {
    dir: tempfile::TempDir,
    server_url: String,
    ca_b64: String,
}

impl Plugins {
    fn new(lab: &Lab) -> Plugins {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let read = |name: &str| std::fs::read_to_string(lab.server.file(name)).expect("read a lab file");
        std::fs::write(d.join("token"), PLUGIN_TOKEN).expect("write the token");
        // Prints the token in $TOKEN_FILE; records each run and its input.
        script(
            &d.join("bin/token-plugin"),
            &format!(
                "echo \"$*\" >> {runs}\nprintf '%s' \"$KUBERNETES_EXEC_INFO\" > {info}\nexpires=\"\"\n[ -z \"$EXPIRES_AT\" ] || expires=\",\\\"expirationTimestamp\\\":\\\"$EXPIRES_AT\\\"\"\nprintf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\"%s}}}}\\n' \"$(cat \"$TOKEN_FILE\")\" \"$expires\"",
                runs = d.join("runs.log").display(),
                info = d.join("exec-info.json").display()
            ),
        );
        // The first run hands out a token the server does not know, later runs the real one.
        script(
            &d.join("bin/rotating-plugin"),
            &format!(
                "echo run >> {runs}\nif [ -f {state} ]; then token=$(cat \"$TOKEN_FILE\"); else touch {state}; token=stale-0000; fi\nprintf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\"}}}}\\n' \"$token\"",
                runs = d.join("rotating.log").display(),
                state = d.join("rotated").display()
            ),
        );
        // A client certificate, v1beta1; found on PATH.
        script(
            &d.join("path/capi-cert-plugin"),
            &format!(
                "pem() {{ awk '{{printf \"%s\\\\n\", $0}}' \"$1\"; }}\nprintf '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{{\"clientCertificateData\":\"%s\",\"clientKeyData\":\"%s\"}}}}\\n' \"$(pem {crt})\" \"$(pem {key})\"",
                crt = lab.server.file(&format!("{PLUGIN_CERT}.crt")).display(),
                key = lab.server.file(&format!("{PLUGIN_CERT}.key")).display()
            ),
        );
        // Fails after printing a token.
        script(
            &d.join("bin/failing-plugin"),
            "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-printed-before-failing\"}}'\necho 'error: the SSO session has expired; run `aws sso login` to refresh it' >&2\nexit 1",
        );
        Plugins { dir, server_url: lab.server.url(), ca_b64: b64(&read("ca.crt")) }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A kubeconfig `<name>.conf` whose user runs `exec` (YAML lines of the exec block).
    fn kubeconfig(&self, name: &str, exec: &str) -> PathBuf {
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: plugin\nclusters:\n- name: lab\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n    extensions:\n    - name: client.authentication.k8s.io/exec\n      extension:\n        audience: capi-tests\ncontexts:\n- name: plugin\n  context:\n    cluster: lab\n    user: plugin\nusers:\n- name: plugin\n  user:\n    exec:\n{exec}\n",
            self.server_url, self.ca_b64
        );
        let path = self.path(&format!("{name}.conf"));
        std::fs::write(&path, text).expect("write a kubeconfig");
        path
    }

    /// The token plugin's kubeconfig; `expires_at` goes to its EXPIRES_AT.
    fn token_kubeconfig(&self, name: &str, expires_at: &str) -> PathBuf {
        self.kubeconfig(
            name,
            &format!(
                "      apiVersion: client.authentication.k8s.io/v1\n      command: bin/token-plugin\n      args: [--cluster, lab]\n      interactiveMode: Never\n      provideClusterInfo: true\n      env:\n      - name: TOKEN_FILE\n        value: {}\n      - name: EXPIRES_AT\n        value: \"{expires_at}\"",
                self.path("token").display()
            ),
        )
    }

    fn runs(&self, log: &str) -> usize {
        std::fs::read_to_string(self.path(log)).unwrap_or_default().lines().count()
    }

    /// PATH for the provider, with the plugin directory first.
    fn provider_env(&self) -> Vec<(String, String)> {
        let path = format!("{}:{}", self.path("path").display(), std::env::var("PATH").unwrap_or_default());
        vec![("PATH".to_string(), path)]
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).expect("format a time")
}

#[test]
fn exec_plugins_supply_tokens_and_client_certificates() {
    let lab = lab();
    let ns = "exec";
    lab.namespace(ns);
    create_demo_cluster(&lab, ns);
    let want = expected(&lab, ns);
    let plugins = Plugins::new(&lab);

    // A token from a v1 plugin named by a path relative to the kubeconfig.
    let kubeconfig = plugins.token_kubeconfig("token", "");
    let w = want.clone();
    run_case(
        "token from an exec plugin",
        &[Step::config(config(&data_source(ns, &with_kubeconfig(&kubeconfig, true))))
            .check(move |s| check_read(s, "exec", &w))],
    );
    assert!(plugins.runs("runs.log") >= terraforms().len(), "the plugin ran {} times", plugins.runs("runs.log"));
    assert_eq!(
        std::fs::read_to_string(plugins.path("runs.log")).unwrap_or_default().lines().next(),
        Some("--cluster lab")
    );
    let info: Json =
        serde_json::from_str(&std::fs::read_to_string(plugins.path("exec-info.json")).expect("the plugin's input"))
            .expect("KUBERNETES_EXEC_INFO is JSON");
    assert_eq!(
        info,
        json!({
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "spec": {
                "interactive": false,
                "cluster": {
                    "server": lab.server.url(),
                    "certificate-authority-data": plugins.ca_b64,
                    "config": {"audience": "capi-tests"}
                }
            }
        })
    );
    let requests = lab.provider_requests(PLUGIN_TOKEN_USER, ns);
    assert!(!requests.is_empty() && requests.iter().all(|e| e["responseStatus"]["code"] == 200), "{requests:?}");

    // A client certificate from a v1beta1 plugin found on PATH.
    let kubeconfig = plugins
        .kubeconfig("cert", "      apiVersion: client.authentication.k8s.io/v1beta1\n      command: capi-cert-plugin");
    for tf in terraforms() {
        let w = want.clone();
        run_case_on(
            "client certificate from an exec plugin",
            &tf,
            &[Step::config(config(&data_source(ns, &with_kubeconfig(&kubeconfig, true))))
                .check(move |s| check_read(s, "exec", &w))],
            &plugins.provider_env(),
        );
    }
    let requests = lab.provider_requests(PLUGIN_CERT, ns);
    assert!(!requests.is_empty() && requests.iter().all(|e| e["responseStatus"]["code"] == 200), "{requests:?}");
}

#[test]
fn exec_credentials_are_kept_until_they_expire_and_replaced_when_refused() {
    let lab = lab();
    let ns = "exec-cache";
    lab.namespace(ns);
    create_demo_cluster(&lab, ns);
    let plugins = Plugins::new(&lab);
    let tf = terraforms().pop().expect("a Terraform");
    // Both data sources in one configuration: one provider process reads both.
    let both = |kubeconfig: &Path| {
        config(&format!(
            "{}\ndata \"kubeadm_cluster_health\" \"lab\" {{\n{}\n  timeout = \"30s\"\n}}\n",
            data_source(ns, &with_kubeconfig(kubeconfig, true)),
            with_kubeconfig(kubeconfig, true)
        ))
    };
    let plan = |cfg: &str| {
        let wd = WorkDir::new(&tf);
        wd.write_config(cfg);
        wd.init();
        let r = wd.run(&["plan", "-input=false", "-no-color"]);
        assert_eq!(r.code, 0, "plan failed on {}:\n{}", tf.label(), r.combined());
        r
    };

    // Valid for an hour: one run serves every request of the command.
    let hour = rfc3339(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    plan(&both(&plugins.token_kubeconfig("for-an-hour", &hour)));
    assert_eq!(plugins.runs("runs.log"), 1, "the plugin ran more than once in one command");
    // Expired already: run again for each request.
    let before = plugins.runs("runs.log");
    plan(&both(&plugins.token_kubeconfig("expired", "2020-01-01T00:00:00Z")));
    // (The read makes more than ten requests, the health check three.)
    let runs = plugins.runs("runs.log") - before;
    assert!(runs >= 8, "an expired credential was reused: {runs} runs");

    // A token the server refuses (401) is replaced once and the request repeated.
    let kubeconfig = plugins.kubeconfig(
        "rotating",
        &format!(
            "      apiVersion: client.authentication.k8s.io/v1\n      command: bin/rotating-plugin\n      interactiveMode: IfAvailable\n      env:\n      - name: TOKEN_FILE\n        value: {}",
            plugins.path("token").display()
        ),
    );
    let r = plan(&config(&data_source(ns, &with_kubeconfig(&kubeconfig, true))));
    assert!(r.stdout.contains("demo-control-plane-0"), "{}", r.combined());
    assert_eq!(plugins.runs("rotating.log"), 2, "the refused token was not replaced exactly once");
}

#[test]
fn exec_plugin_failures_and_the_opt_in_are_explained() {
    let lab = lab();
    let ns = "exec-errors";
    lab.namespace(ns);
    create_demo_cluster(&lab, ns);
    let plugins = Plugins::new(&lab);
    let token_plugin = plugins.token_kubeconfig("token", "");

    // Without the opt-in both data sources refuse, at validation, naming it.
    let health = |kubeconfig: &Path, allow: bool| {
        config(&format!(
            "data \"kubeadm_cluster_health\" \"lab\" {{\n{}\n  timeout = \"30s\"\n}}\n",
            with_kubeconfig(kubeconfig, allow)
        ))
    };
    for cfg in [config(&data_source(ns, &with_kubeconfig(&token_plugin, false))), health(&token_plugin, false)] {
        assert_outputs(
            &cfg,
            &["validate", "-no-color"],
            false,
            &[
                "Error: Kubeconfig exec plugin not allowed",
                "user \"plugin\" of the kubeconfig gets its credentials from the exec plugin \"bin/token-plugin\", a program the kubeconfig names, which runs only when allowed: set allow_exec_plugins = true to run it as kubectl would",
                &format!("kubeconfig_path = \"{}\"", token_plugin.display()),
            ],
            &[],
        );
    }
    assert_eq!(plugins.runs("runs.log"), 0, "a plugin ran without the opt-in");
    // With it, the cluster health data source reads through the plugin too.
    assert_outputs(&health(&token_plugin, true), &["plan", "-input=false", "-no-color"], true, &[], &[]);
    assert!(plugins.runs("runs.log") >= terraforms().len());

    // A failing plugin: its standard error, never its standard output.
    let failing = plugins.kubeconfig(
        "failing",
        "      apiVersion: client.authentication.k8s.io/v1\n      command: bin/failing-plugin\n      interactiveMode: Never",
    );
    let outs = run_everywhere(
        &config(&data_source(ns, &with_kubeconfig(&failing, true))),
        &["plan", "-input=false", "-no-color"],
        &[],
    );
    for (ok, out) in &outs {
        assert!(!ok, "{out}");
        for w in [
            "Error: Kubeconfig exec plugin failed",
            "the exec plugin \"bin/failing-plugin\" of user \"plugin\" of the kubeconfig exited with status 1; it said: error: the SSO session has expired; run `aws sso login` to refresh it",
            "with data.kubeadm_capi_manifests.demo",
        ] {
            assert!(out.contains(w), "the output lacks {w:?}:\n{out}");
        }
        assert!(!out.contains("tok-printed-before-failing"), "the plugin's output leaked:\n{out}");
    }

    // A command that is not there: the kubeconfig's install hint follows.
    let missing = plugins.kubeconfig(
        "missing",
        "      apiVersion: client.authentication.k8s.io/v1\n      command: capi-token-helper-not-installed\n      interactiveMode: Never\n      installHint: |\n        capi-token-helper is missing: install it with `apt-get install capi-token-helper`.",
    );
    assert_plan_fails(
        &config(&data_source(ns, &with_kubeconfig(&missing, true))),
        &[
            "Error: Kubeconfig exec plugin failed",
            "cannot run: no executable \"capi-token-helper-not-installed\" is on PATH capi-token-helper is missing: install it with `apt-get install capi-token-helper`.",
        ],
        &[],
    );

    // A plugin that wants a terminal cannot run under Terraform.
    let always = plugins.kubeconfig(
        "always",
        "      apiVersion: client.authentication.k8s.io/v1\n      command: bin/token-plugin\n      interactiveMode: Always",
    );
    assert_outputs(
        &config(&data_source(ns, &with_kubeconfig(&always, true))),
        &["validate", "-no-color"],
        false,
        &["Error: Invalid kubeconfig exec plugin", "asks for interactiveMode Always, which needs a terminal"],
        &[],
    );
    assert!(lab.provider_requests(PLUGIN_TOKEN_USER, ns).iter().all(|e| e["responseStatus"]["code"] == 200));
}
