//! The connection attributes shared by the data sources that talk to a
//! Kubernetes API server (`kubeadm_capi_manifests`, `kubeadm_cluster_health`):
//! their schema, their mapping to the domain's [`Settings`], the plan-time
//! check of a wholly known connection, and domain errors as diagnostics at
//! the attribute they are about.
//!
//! One definition keeps both data sources' attributes, documentation and
//! error paths the same.

use std::path::PathBuf;

use crate::bootstrap::kube::{self, KubeError, Settings};
use crate::bootstrap::secret::Sensitive;
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::schema::Attribute;
use crate::tfplugin::value::Value;

/// The connection attributes (all optional).
pub const ATTRIBUTES: [&str; 9] = [
    "kubeconfig_path",
    "kubeconfig",
    "context",
    "host",
    "token",
    "client_certificate",
    "client_key",
    "cluster_ca_certificate",
    "allow_exec_plugins",
];

/// The connection attributes' schema. `cluster` names the cluster the
/// kubeconfig is for in the documentation (e.g. "the management cluster").
pub fn attributes(cluster: &str) -> Vec<Attribute> {
    vec![
        Attribute::string("kubeconfig_path").optional().describe(&format!(
            "Path of a kubeconfig file for {cluster} (`~` is expanded; relative paths inside it resolve from its directory). Supported: `server`, `certificate-authority(-data)`, `insecure-skip-tls-verify` (with a warning), `token`, `tokenFile`, `client-certificate(-data)`, `client-key(-data)`, `username`/`password`, and `exec` credential plugins when `allow_exec_plugins` is true. Auth-provider plugins are not supported: use an exec plugin, `token` or a client certificate instead. Conflicts with `kubeconfig`."
        )),
        Attribute::string("kubeconfig")
            .optional()
            .sensitive()
            .describe("The kubeconfig's YAML content, instead of `kubeconfig_path`."),
        Attribute::string("context")
            .optional()
            .describe("The kubeconfig context to use. Default: the kubeconfig's `current-context`."),
        Attribute::string("host").optional().describe(
            "URL of the Kubernetes API server, e.g. `https://10.0.0.10:6443`. Overrides the kubeconfig's server; with no kubeconfig it is required. `http://` (for example a local `kubectl proxy`) works, with a warning.",
        ),
        Attribute::string("token")
            .optional()
            .sensitive()
            .describe("Bearer token (for example a ServiceAccount token from `kubectl create token`). Overrides the kubeconfig's credentials."),
        Attribute::string("client_certificate")
            .optional()
            .describe("PEM client certificate, with `client_key`. Overrides the kubeconfig's."),
        Attribute::string("client_key")
            .optional()
            .sensitive()
            .describe("PEM private key of `client_certificate` (PKCS#1, PKCS#8 or SEC1)."),
        Attribute::string("cluster_ca_certificate").optional().describe(
            "PEM CA certificate(s) the API server's certificate must chain to. Overrides the kubeconfig's; with neither, the public web roots are used.",
        ),
        Attribute::bool("allow_exec_plugins").optional().describe(&format!(
            "Run the kubeconfig user's `exec` credential plugin (for example `aws eks get-token` or `gke-gcloud-auth-plugin`) as kubectl does, when neither the kubeconfig's user nor `token` or `client_certificate` gives a credential. Default: `false`, and a kubeconfig that needs a plugin is refused, since the plugin is a program the kubeconfig names and it runs with the provider's environment. The plugin speaks `client.authentication.k8s.io/v1` or `v1beta1`: a `command` with a slash is a path (relative to the kubeconfig file's directory, or to Terraform's working directory for an inline `kubeconfig`), a bare name is looked up on `PATH`; `args` and `env` are passed; `KUBERNETES_EXEC_INFO` holds its input (with the cluster's server and CA when `provideClusterInfo` is true). It runs without a terminal (`interactiveMode: Always` is refused) and must finish within {}s; it must print a `token`, or `clientCertificateData` and `clientKeyData`. The credential is reused within one Terraform command until its `expirationTimestamp`, and fetched again once if the API server refuses it.",
            kube::EXEC_PLUGIN_TIMEOUT.as_secs()
        )),
    ]
}

fn string(config: &Value, name: &str) -> Option<String> {
    config.get(name).as_str().map(str::to_string)
}

/// The connection settings of a wholly known configuration.
pub fn settings(config: &Value) -> Settings {
    Settings {
        kubeconfig_path: string(config, "kubeconfig_path"),
        kubeconfig: string(config, "kubeconfig").map(Sensitive::new),
        context: string(config, "context"),
        host: string(config, "host"),
        token: string(config, "token").map(Sensitive::new),
        client_certificate: string(config, "client_certificate"),
        client_key: string(config, "client_key").map(Sensitive::new),
        cluster_ca_certificate: string(config, "cluster_ca_certificate"),
        allow_exec_plugins: config.get("allow_exec_plugins").as_bool().unwrap_or(false),
    }
}

/// Whether every connection attribute is known (values known only after
/// apply are checked when the data source is read).
pub fn is_known(config: &Value) -> bool {
    ATTRIBUTES.iter().all(|a| config.get(a).is_wholly_known())
}

/// Checks a known connection without touching the network: the kubeconfig
/// (and the files it names), certificates and keys.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if !is_known(config) {
        return;
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Err(e) = kube::resolve(&settings(config), home.as_deref()) {
        diags.push(diagnostic(&e));
    }
}

/// A domain error as a diagnostic at the attribute it is about.
pub fn diagnostic(e: &KubeError) -> Diagnostic {
    let hint = e.hint();
    let detail = if hint.is_empty() { format!("{e}.") } else { format!("{e}. {hint}") };
    let d = Diagnostic::error(e.summary(), detail);
    match e.setting_name() {
        Some(name) => d.at(AttrPath::attr(name)),
        None => d,
    }
}
