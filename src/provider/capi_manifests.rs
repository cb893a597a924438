//! `data "kubeadm_capi_manifests"`: reads the Cluster API objects of one
//! cluster live from a management cluster and returns one multi-document YAML
//! manifests string per Machine (and per MachineDeployment), ready for
//! `kubeadm_ignition_config.capi_manifests`.
//!
//! The connection settings are checked at validation (plan) time, with the
//! attribute at fault; the read itself runs the domain's blocking client on a
//! blocking thread.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{kube_connection, ProviderData};
use crate::bootstrap::kube::{self, ClusterObjects};
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::DataSource;
use crate::tfplugin::schema::{Attribute, Block, Schema};
use crate::tfplugin::types::Type;
use crate::tfplugin::validators::checked;
use crate::tfplugin::value::Value;

pub const TYPE_NAME: &str = "kubeadm_capi_manifests";

/// The namespace read when none is set.
pub const DEFAULT_NAMESPACE: &str = "default";

pub fn schema() -> Schema {
    let mut attributes = kube_connection::attributes("the management cluster");
    attributes.extend([
        Attribute::string("namespace")
            .default(Value::from(DEFAULT_NAMESPACE))
            .describe("Namespace of the Cluster API objects.")
            .validate(checked("Invalid namespace", kube::check_namespace)),
        Attribute::string("cluster_name")
            .required()
            .describe("Name of the Cluster API `Cluster` whose objects are read (objects are selected by the `cluster.x-k8s.io/cluster-name` label).")
            .validate(checked("Invalid cluster_name", kube::check_cluster_name)),
        Attribute::string("id").computed().describe("`<namespace>/<cluster_name>`."),
        Attribute::string_map("manifests").computed().describe(
            "Machine name → multi-document YAML holding, in this order, the `Cluster`, its `KubeadmControlPlane` (for workers too: their file templates may read the control plane's version), the Machine's `MachineDeployment` (worker Machines), the `Machine` and its `KubeadmConfig`: the input of `kubeadm_ignition_config.capi_manifests`. `metadata.managedFields` and the bootstrap tokens Cluster API writes into bootstrap configs are dropped, `status` is kept (the Cluster's status tells whether the control plane is initialized).",
        ),
        Attribute::string_map("machine_deployments").computed().describe(
            "MachineDeployment name → multi-document YAML of the `Cluster`, its `KubeadmControlPlane` (when it has one), the `MachineDeployment` and the `KubeadmConfigTemplate` its bootstrap `configRef` names: the starting point for new workers of that pool.",
        ),
        Attribute::string("control_plane").computed().describe(
            "YAML of the `Cluster` and its `KubeadmControlPlane`, or null when the cluster has none.",
        ),
        Attribute::of_type("secrets", Type::map(Type::map(Type::String))).computed().sensitive().describe(
            "Secret name → key → decoded value, for every `files[].contentFrom.secret` and `users[].passwdFrom.secret` the returned KubeadmConfigs, KubeadmConfigTemplates and KubeadmControlPlane reference (only the referenced keys). Password hashes the configs hold inline (`users[].passwd`) are moved here too, under `kubeadm-capi-manifests.inline-passwords`, and the manifests refer to them with `passwdFrom`, so no hash shows in `manifests`. A secret that cannot be read is a warning, not an error.",
        ),
    ]);
    Schema::new(
        0,
        Block::new(attributes).describe(
            "Reads the Cluster API objects of one cluster live from a management cluster over the Kubernetes API (a kubeconfig, or a host with a token or client certificate) and returns one multi-document YAML manifests string per Machine, for `kubeadm_ignition_config.capi_manifests`. Needs get and list on clusters, machines and machinedeployments (`cluster.x-k8s.io`), kubeadmconfigs and kubeadmconfigtemplates (`bootstrap.cluster.x-k8s.io`) and kubeadmcontrolplanes (`controlplane.cluster.x-k8s.io`), and get on the referenced secrets, in the namespace.",
        ),
    )
}

fn string(config: &Value, name: &str) -> Option<String> {
    config.get(name).as_str().map(str::to_string)
}

fn string_map(m: BTreeMap<String, String>) -> Value {
    Value::Map(m.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
}

/// The state for `objects`.
fn state_of(config: &Value, namespace: &str, cluster_name: &str, objects: ClusterObjects) -> Value {
    let mut state = config.clone();
    state.set("namespace", Value::from(namespace));
    state.set("id", Value::from(format!("{namespace}/{cluster_name}")));
    state.set("manifests", string_map(objects.manifests));
    state.set("machine_deployments", string_map(objects.machine_deployments));
    state.set("control_plane", Value::opt_string(objects.control_plane));
    state.set(
        "secrets",
        Value::Map(
            objects
                .secrets
                .into_iter()
                .map(|(name, kv)| {
                    (name, Value::Map(kv.into_iter().map(|(k, v)| (k, Value::from(v.into_inner()))).collect()))
                })
                .collect(),
        ),
    );
    state
}

pub struct CapiManifestsDataSource;

#[async_trait]
impl DataSource<ProviderData> for CapiManifestsDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        kube_connection::validate(config, diags);
    }

    async fn read(&self, _data: &ProviderData, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let settings = kube_connection::settings(config);
        let namespace = string(config, "namespace").unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
        let Some(cluster_name) = string(config, "cluster_name") else {
            diags.push(
                Diagnostic::error("cluster_name is not set", "Set cluster_name to the name of a Cluster API Cluster.")
                    .at(AttrPath::attr("cluster_name")),
            );
            return None;
        };
        for (name, check) in [
            ("namespace", kube::check_namespace(&namespace)),
            ("cluster_name", kube::check_cluster_name(&cluster_name)),
        ] {
            if let Err(e) = check {
                diags.push(Diagnostic::error(format!("Invalid {name}"), format!("{e}.")).at(AttrPath::attr(name)));
                return None;
            }
        }
        let (ns, cn) = (namespace.clone(), cluster_name.clone());
        let result = tokio::task::spawn_blocking(move || kube::fetch(&settings, &ns, &cn)).await;
        let objects = match result {
            Ok(Ok(objects)) => objects,
            Ok(Err(e)) => {
                diags.push(kube_connection::diagnostic(&e));
                return None;
            }
            Err(_) => {
                diags.push(Diagnostic::error(
                    "Reading the cluster failed",
                    "The Kubernetes API read stopped unexpectedly. This is a bug in the provider; please report it.",
                ));
                return None;
            }
        };
        for w in &objects.warnings {
            diags.push(Diagnostic::warning("Cluster API objects", w.clone()));
        }
        Some(state_of(config, &namespace, &cluster_name, objects))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::secret::Sensitive;
    use crate::tfplugin::planning;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut c = Value::null_object(&schema().ty());
        c.set("cluster_name", Value::from("prod"));
        for (k, v) in pairs {
            c.set(k, v.clone());
        }
        c
    }

    fn validate(c: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        planning::validate(&schema().block, c, &AttrPath::root(), &mut d);
        CapiManifestsDataSource.validate(c, &mut d);
        d
    }

    #[test]
    fn schema_is_valid() {
        schema().block.check().unwrap();
    }

    #[test]
    fn bad_settings_point_at_attributes() {
        let cases: Vec<(Value, &str, &str)> = vec![
            (config(&[]), "kubeconfig_path", "No connection to a management cluster"),
            (config(&[("token", "secret-token".into())]), "host", "No API server address"),
            (config(&[("host", "10.0.0.1:6443".into())]), "host", "Invalid API server address"),
            (
                config(&[("host", "https://x".into()), ("cluster_ca_certificate", "nope".into())]),
                "cluster_ca_certificate",
                "Invalid cluster_ca_certificate",
            ),
            (
                config(&[("kubeconfig_path", "/nonexistent/config".into())]),
                "kubeconfig_path",
                "Cannot read the kubeconfig",
            ),
            (config(&[("host", "https://x".into()), ("namespace", "Bad_NS".into())]), "namespace", "Invalid namespace"),
            (
                config(&[("host", "https://x".into()), ("cluster_name", "a/b".into())]),
                "cluster_name",
                "Invalid cluster_name",
            ),
        ];
        for (c, path, summary) in cases {
            let d = validate(&c);
            assert!(d.has_errors(), "{path}: {d:?}");
            assert_eq!(d.0[0].path.as_ref().map(ToString::to_string).as_deref(), Some(path), "{d:?}");
            assert_eq!(d.0[0].summary, summary);
            assert!(!d.0[0].detail.contains("secret-token"));
        }
        assert!(validate(&config(&[("host", "https://x".into()), ("token", "t".into())])).is_empty());
        // Unknown connection values wait for the read.
        assert!(validate(&config(&[("host", Value::unknown())])).is_empty());
        assert!(validate(&config(&[("kubeconfig", "x".into()), ("allow_exec_plugins", Value::unknown())])).is_empty());
    }

    #[test]
    fn exec_plugins_need_allow_exec_plugins() {
        let kubeconfig = "current-context: c\nclusters:\n- name: k\n  cluster: {server: 'https://k:6443'}\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, interactiveMode: Never}\n";
        let d = validate(&config(&[("kubeconfig", kubeconfig.into())]));
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!(d.0[0].summary, "Kubeconfig exec plugin not allowed");
        assert_eq!(d.0[0].path.as_ref().map(ToString::to_string).as_deref(), Some("kubeconfig"));
        assert!(d.0[0].detail.contains("set allow_exec_plugins = true"), "{d:?}");
        // Allowed: validation checks the block and runs nothing.
        let allowed = config(&[("kubeconfig", kubeconfig.into()), ("allow_exec_plugins", Value::from(true))]);
        assert!(validate(&allowed).is_empty());
        assert!(kube_connection::settings(&allowed).allow_exec_plugins);
        let always = kubeconfig.replace("Never", "Always");
        let d = validate(&config(&[("kubeconfig", always.as_str().into()), ("allow_exec_plugins", Value::from(true))]));
        assert_eq!(d.0[0].summary, "Invalid kubeconfig exec plugin", "{d:?}");
        assert!(schema().block.attribute("allow_exec_plugins").is_some());
    }

    #[test]
    fn state_has_every_attribute() {
        let objects = ClusterObjects {
            manifests: BTreeMap::from([("m".to_string(), "kind: Machine\n".to_string())]),
            secrets: BTreeMap::from([(
                "s".to_string(),
                BTreeMap::from([("k".to_string(), Sensitive::new("v".to_string()))]),
            )]),
            ..Default::default()
        };
        let s = state_of(&config(&[]), "default", "prod", objects);
        assert_eq!(s.get("id").as_str(), Some("default/prod"));
        assert_eq!(s.get("namespace").as_str(), Some("default"));
        assert_eq!(s.get("manifests").get("m").as_str(), Some("kind: Machine\n"));
        assert_eq!(s.get("secrets").get("s").get("k").as_str(), Some("v"));
        assert!(s.get("control_plane").is_null());
        assert!(s.get("machine_deployments").as_entries().is_some_and(BTreeMap::is_empty));
        assert!(s.is_wholly_known());
    }
}
