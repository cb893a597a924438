//! `kubeadm_kubeconfig`, as a managed resource and as an ephemeral resource:
//! an admin kubeconfig whose client certificate the cluster's Kubernetes CA
//! signs, as kubeadm writes `admin.conf` (see `bootstrap::admin_kubeconfig`).
//!
//! Both share one schema function and one issuing function. The resource
//! keeps the certificate in state: every input that shapes the certificate
//! replaces it (the tls provider's habit), while `server`, `cluster_name`,
//! `kubernetes_version` (when the groups stay the same) and `renew_before`
//! only rewrite the kubeconfig text in place. Its `cluster_ca` input is
//! write-only where Terraform knows write-only attributes (1.11 and later),
//! so the CA key is not copied into this resource's state; the CA
//! certificate it computes (`cluster_ca_certificate`) is what shows a new CA
//! in plans. Read drops a certificate that is due (`renew_before`) or
//! expired, so the next apply issues a new one.
//!
//! The ephemeral resource issues a fresh certificate on every open and
//! returns it without Terraform ever writing it to a plan or a state.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Clock, ProviderData};
use crate::bootstrap::admin_kubeconfig::{
    self as admin, AdminKubeconfig, AdminRequest, Input, KubeconfigError, KubeconfigParts,
};
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::node::KubernetesVersion;
use crate::bootstrap::pki::{self, KeyAlgorithm};
use crate::bootstrap::secret::Sensitive;
use crate::bootstrap::timestamp::{format_rfc3339, parse_rfc3339};
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{EphemeralResource, Opened, Plan, Private, Resource};
use crate::tfplugin::planning;
use crate::tfplugin::schema::{Attribute, Block, Schema};
use crate::tfplugin::types::Type;
use crate::tfplugin::validators::checked;
use crate::tfplugin::value::Value;

pub const TYPE_NAME: &str = "kubeadm_kubeconfig";
pub const DEFAULT_KEY_ALGORITHM: &str = "RSA-2048";

/// The attributes of `kubeadm_cluster_ca` this needs; passing the whole
/// resource object works (Terraform drops the other attributes).
pub const CA_FIELDS: [&str; 3] = ["ca_cert_pem", "ca_key_pem", "cluster_name"];

/// Inputs (and the CA certificate derived from `cluster_ca`) that shape the
/// certificate: a change replaces the resource.
pub const CERTIFICATE_INPUTS: [&str; 5] = ["cluster_ca_certificate", "username", "groups", "validity", "key_algorithm"];

/// Computed values that belong to one certificate.
const CERTIFICATE_OUTPUTS: [&str; 4] = ["client_certificate", "client_key", "expires_at", "id"];

fn duration_check(name: &'static str, v: &Value) -> Vec<Diagnostic> {
    let Some(s) = v.as_str() else { return vec![] };
    let invalid = |detail: String| vec![Diagnostic::error(format!("Invalid {name}"), detail)];
    match GoDuration::parse(s) {
        Err(e) => invalid(format!("{e}. Use a Go duration such as \"8760h\", \"720h\" or \"1h30m\".")),
        Ok(d) if d.is_negative() => invalid(format!("{s:?} is negative; use a duration of zero or more.")),
        Ok(d) if name == "validity" => match admin::check_validity(d) {
            Err(e) => invalid(format!("{e}. Use a Go duration such as \"8760h\" (a year, kubeadm's default).")),
            Ok(()) => vec![],
        },
        Ok(_) => vec![],
    }
}

/// The inputs and outputs both variants share.
fn block() -> Block {
    let algs: Vec<String> = KeyAlgorithm::ALL.iter().map(|a| format!("`{}`", a.as_str())).collect();
    let ca_type = Type::object(CA_FIELDS.iter().map(|f| (f.to_string(), Type::String)));
    Block::new(vec![
        Attribute::of_type("cluster_ca", ca_type)
            .required()
            .sensitive()
            .describe("The `kubeadm_cluster_ca` resource (the whole object), or an object with the Kubernetes CA's `ca_cert_pem` and `ca_key_pem` and a `cluster_name` (may be null). The CA signs the client certificate."),
        Attribute::string("server")
            .required()
            .describe("The API server URL written into the kubeconfig, `https://host:port`, e.g. the control-plane endpoint `https://api.example.com:6443`.")
            .validate(checked("Invalid server", admin::check_server)),
        Attribute::string("cluster_name")
            .optional_computed()
            .describe("The cluster's name in the kubeconfig. Defaults to the CA's `cluster_name`, else `kubernetes` (kubeadm's default).")
            .validate(checked("Invalid cluster_name", admin::check_cluster_name)),
        Attribute::string("kubernetes_version")
            .optional()
            .describe("The cluster's Kubernetes release (`v1.31.4`): picks the groups kubeadm's `admin.conf` has in that release when `groups` is not set.")
            .validate(|v| match v.as_str().map(KubernetesVersion::parse) {
                Some(Err(e)) => vec![Diagnostic::error(
                    "Unsupported Kubernetes version",
                    format!("{e}. Set kubernetes_version to the cluster's release, e.g. \"v1.31.4\", or leave it out."),
                )],
                _ => vec![],
            }),
        Attribute::string("username")
            .default(Value::from(admin::DEFAULT_USERNAME))
            .describe("The client certificate's common name: the Kubernetes user.")
            .validate(checked("Invalid username", admin::check_username)),
        Attribute::string_list("groups")
            .optional_computed()
            .describe(&format!(
                "The client certificate's organizations: the Kubernetes groups. Defaults to what kubeadm's `admin.conf` carries for `kubernetes_version`: `[\"{}\"]` from 1.29 on and without a version (bound to `cluster-admin` by kubeadm's RBAC), `[\"{}\"]` before 1.29. `{}` is kubeadm's super-admin: no RBAC rule can take its rights away.",
                admin::CLUSTER_ADMINS_GROUP,
                admin::SUPER_ADMIN_GROUP,
                admin::SUPER_ADMIN_GROUP
            ))
            .validate(|v| match v.as_string_vec().map(|g| admin::check_groups(&g)) {
                Some(Err(e)) => {
                    let path = match e.input() {
                        Input::Groups(Some(i)) => AttrPath::root().then_index(i),
                        _ => AttrPath::root(),
                    };
                    vec![Diagnostic::error("Invalid groups", format!("{e}.")).at(path)]
                }
                _ => vec![],
            }),
        Attribute::string("validity")
            .default(Value::from(admin::DEFAULT_VALIDITY))
            .describe("How long the client certificate is valid, as a Go duration (kubeadm's default: a year). It starts a few minutes before it is issued, as kubeadm's do, so clocks that lag slightly accept it.")
            .validate(|v| duration_check("validity", v)),
        Attribute::string("renew_before")
            .optional()
            .describe("When set, once `expires_at - renew_before` has passed, refresh drops the certificate from state so the next apply issues a new one (an expired certificate is re-issued that way without it). A value not shorter than `validity` re-issues on every apply, with a warning. The ephemeral resource issues a new certificate on every run and ignores it.")
            .validate(|v| duration_check("renew_before", v)),
        Attribute::string("key_algorithm")
            .default(Value::from(DEFAULT_KEY_ALGORITHM))
            .describe(&format!("The client key's algorithm, by kubeadm's `encryptionAlgorithm` names: {}.", algs.join(", ")))
            .validate(checked("Invalid key_algorithm", KeyAlgorithm::parse)),
        Attribute::string("kubeconfig")
            .computed()
            .sensitive()
            .describe("The kubeconfig YAML, usable as it is by kubectl: cluster `<cluster_name>`, user `<username>`, context `<username>@<cluster_name>` (current), with the CA certificate, client certificate and key embedded."),
        Attribute::string("host").computed().describe("The API server URL (`server`), for provider blocks."),
        Attribute::string("cluster_ca_certificate").computed().describe("The Kubernetes CA certificate (PEM) that signed the client certificate and that the API server's certificate chains to."),
        Attribute::string("client_certificate").computed().describe("The client certificate (PEM)."),
        Attribute::string("client_key").computed().sensitive().describe("The client certificate's private key (PKCS#8 PEM)."),
        Attribute::string("expires_at").computed().describe("RFC 3339 time (UTC) when the client certificate expires."),
        Attribute::string("id").computed().describe("The client certificate's serial number (hex)."),
    ])
}

pub fn resource_schema() -> Schema {
    let mut block = block();
    for a in &mut block.attributes {
        let name = a.name.as_str();
        if name == "cluster_ca" {
            a.write_only = true;
            a.description.push_str(" Write-only on Terraform 1.11 and later: used at plan and apply, never stored in this resource's plan or state (a new CA shows as a change of `cluster_ca_certificate`).");
        }
        if CERTIFICATE_INPUTS.contains(&name) {
            a.requires_replace = true;
        }
        if CERTIFICATE_OUTPUTS.contains(&name) {
            a.keep_prior = true;
        }
    }
    Schema::new(
        0,
        block.describe(
            "An admin kubeconfig: a client certificate signed by the cluster's Kubernetes CA, as kubeadm writes `/etc/kubernetes/admin.conf`, kept in state. Changes to the certificate's inputs issue a new one; `renew_before` re-issues it ahead of expiry. For provider blocks, prefer the ephemeral `kubeadm_kubeconfig`, which is never stored.",
        ),
    )
}

pub fn ephemeral_schema() -> Schema {
    Schema::new(
        0,
        block().describe(
            "An admin kubeconfig issued afresh on every Terraform run (1.10 and later): a client certificate signed by the cluster's Kubernetes CA, as kubeadm writes `/etc/kubernetes/admin.conf`, never written to a plan or a state. For `provider \"kubernetes\"` and `provider \"helm\"` blocks and provisioners.",
        ),
    )
}

/// The path of an input a domain error is about.
fn input_path(input: Input) -> AttrPath {
    match input {
        Input::ClusterCa => AttrPath::attr("cluster_ca"),
        Input::Server => AttrPath::attr("server"),
        Input::ClusterName => AttrPath::attr("cluster_name"),
        Input::Username => AttrPath::attr("username"),
        Input::Groups(Some(i)) => AttrPath::attr("groups").then_index(i),
        Input::Groups(None) => AttrPath::attr("groups"),
        Input::Validity => AttrPath::attr("validity"),
    }
}

fn error_diagnostic(e: &KubeconfigError) -> Diagnostic {
    let (summary, todo) = match e.input() {
        Input::ClusterCa => (
            "Unusable cluster_ca",
            " Pass the whole kubeadm_cluster_ca resource, or a CA certificate with its own private key.",
        ),
        Input::Server => ("Invalid server", ""),
        Input::ClusterName => ("Invalid cluster_name", ""),
        Input::Username => ("Invalid username", ""),
        Input::Groups(_) => ("Invalid groups", ""),
        Input::Validity => ("Invalid validity", ""),
    };
    Diagnostic::error(summary, format!("{e}.{todo}")).at(input_path(e.input()))
}

/// The CA certificate in `cluster_ca`: unknown while the CA is.
fn ca_certificate(config: &Value) -> Value {
    config.get("cluster_ca").get("ca_cert_pem").clone()
}

/// The cluster name: as configured, else the CA's, else kubeadm's default.
fn cluster_name(config: &Value) -> Value {
    let set = config.get("cluster_name");
    if !set.is_null() {
        return set.clone();
    }
    match config.get("cluster_ca").get("cluster_name") {
        v if v.is_unknown() || config.get("cluster_ca").is_unknown() => Value::unknown(),
        v if v.as_str().is_some_and(|s| !s.trim().is_empty()) => v.clone(),
        _ => Value::from(admin::DEFAULT_CLUSTER_NAME),
    }
}

/// The groups: as configured, else kubeadm's for the version.
fn groups(config: &Value) -> Value {
    let set = config.get("groups");
    if !set.is_null() {
        return set.clone();
    }
    match config.get("kubernetes_version") {
        v if v.is_unknown() => Value::unknown(),
        v => {
            let version = v.as_str().and_then(|s| KubernetesVersion::parse(s).ok());
            Value::string_list(admin::default_groups(version.as_ref()))
        }
    }
}

/// A string input, or its default when the configuration leaves it null.
fn text_or(config: &Value, name: &str, default: &str) -> Option<String> {
    match config.get(name) {
        v if v.is_null() => Some(default.to_string()),
        v => v.as_str().map(str::to_string),
    }
}

/// Everything needed to issue, read from a wholly known configuration.
/// Invalid inputs are reported (validation normally caught them already).
fn request_inputs(config: &Value, diags: &mut Diagnostics) -> Option<Inputs> {
    let ca = config.get("cluster_ca");
    let (Some(ca_cert_pem), Some(ca_key_pem)) = (ca.get("ca_cert_pem").as_str(), ca.get("ca_key_pem").as_str()) else {
        diags.push(
            Diagnostic::error(
                "Incomplete cluster_ca",
                "cluster_ca needs ca_cert_pem and ca_key_pem; pass the whole kubeadm_cluster_ca resource.",
            )
            .at(AttrPath::attr("cluster_ca")),
        );
        return None;
    };
    let mut check = |name: &'static str| {
        let mut d = duration_check(name, config.get(name));
        let bad = !d.is_empty();
        for x in d.drain(..) {
            diags.push(x.at(AttrPath::attr(name)));
        }
        bad
    };
    if check("validity") | check("renew_before") {
        return None;
    }
    let validity = GoDuration::parse(&text_or(config, "validity", admin::DEFAULT_VALIDITY)?).ok()?;
    let key_algorithm = match KeyAlgorithm::parse(&text_or(config, "key_algorithm", DEFAULT_KEY_ALGORITHM)?) {
        Ok(a) => a,
        Err(e) => {
            diags.push(Diagnostic::error("Invalid key_algorithm", format!("{e}.")).at(AttrPath::attr("key_algorithm")));
            return None;
        }
    };
    Some(Inputs {
        ca_cert_pem: ca_cert_pem.to_string(),
        ca_key_pem: Sensitive::new(ca_key_pem.to_string()),
        server: config.get("server").as_str()?.to_string(),
        cluster_name: cluster_name(config).as_str()?.to_string(),
        username: text_or(config, "username", admin::DEFAULT_USERNAME)?,
        groups: groups(config).as_string_vec()?,
        validity,
        key_algorithm,
    })
}

/// The inputs of one certificate. `Debug` hides the CA key.
#[derive(Debug)]
struct Inputs {
    ca_cert_pem: String,
    ca_key_pem: Sensitive<String>,
    server: String,
    cluster_name: String,
    username: String,
    groups: Vec<String>,
    validity: GoDuration,
    key_algorithm: KeyAlgorithm,
}

/// Issues a certificate for a wholly known configuration and writes every
/// value it determines into `target` (a planned state or an ephemeral
/// result). The one issuing path of both variants.
fn issue_into(config: &Value, now: OffsetDateTime, target: &mut Value, diags: &mut Diagnostics) -> Option<()> {
    let inputs = request_inputs(config, diags)?;
    let issued = admin::issue(&AdminRequest {
        ca_cert_pem: &inputs.ca_cert_pem,
        ca_key_pem: &inputs.ca_key_pem,
        server: &inputs.server,
        cluster_name: &inputs.cluster_name,
        username: &inputs.username,
        groups: &inputs.groups,
        validity: inputs.validity,
        key_algorithm: inputs.key_algorithm,
        now,
    })
    .map_err(|e| diags.push(error_diagnostic(&e)))
    .ok()?;
    fill(target, &inputs, &issued);
    Some(())
}

fn fill(target: &mut Value, inputs: &Inputs, issued: &AdminKubeconfig) {
    target.set("cluster_name", Value::from(inputs.cluster_name.clone()));
    target.set("groups", Value::string_list(inputs.groups.clone()));
    target.set("username", Value::from(inputs.username.clone()));
    target.set("host", Value::from(inputs.server.clone()));
    target.set("cluster_ca_certificate", Value::from(inputs.ca_cert_pem.clone()));
    target.set("kubeconfig", Value::from(issued.kubeconfig.expose().clone()));
    target.set("client_certificate", Value::from(issued.client_certificate_pem.clone()));
    target.set("client_key", Value::from(issued.client_key_pem.expose().clone()));
    target.set("expires_at", Value::from(format_rfc3339(issued.expires_at)));
    target.set("id", Value::from(issued.serial_hex.clone()));
}

/// The kubeconfig text for a state's certificate under its (possibly new)
/// server, cluster name and username; unknown while any of them is.
fn rewritten_kubeconfig(state: &Value) -> Value {
    let text = |n: &str| state.get(n).as_str();
    let (Some(server), Some(cluster_name), Some(username), Some(ca), Some(cert), Some(key)) = (
        text("host"),
        text("cluster_name"),
        text("username"),
        text("cluster_ca_certificate"),
        text("client_certificate"),
        text("client_key"),
    ) else {
        return Value::unknown();
    };
    let key = Sensitive::new(key.to_string());
    let parts = KubeconfigParts {
        server,
        cluster_name,
        username,
        ca_cert_pem: ca,
        client_certificate_pem: cert,
        client_key_pem: &key,
    };
    admin::render(&parts).map(|k| Value::from(k.into_inner())).unwrap_or_else(|_| Value::unknown())
}

/// Checks what can be checked before anything is issued, for both variants
/// (`renew_before` only matters to the resource).
fn validate_config(config: &Value, now: OffsetDateTime, resource: bool, diags: &mut Diagnostics) {
    let ca = config.get("cluster_ca");
    if ca.is_wholly_known() && !ca.is_null() {
        match (ca.get("ca_cert_pem").as_str(), ca.get("ca_key_pem").as_str()) {
            (Some(cert), Some(key)) => {
                if let Err(e) = pki::validate_ca_pair(cert, key, now) {
                    diags.push(error_diagnostic(&KubeconfigError::Ca(e)));
                }
            }
            _ => diags.push(
                Diagnostic::error(
                    "Incomplete cluster_ca",
                    "cluster_ca has no ca_cert_pem or no ca_key_pem; pass the whole kubeadm_cluster_ca resource, whose CA key is known.",
                )
                .at(AttrPath::attr("cluster_ca")),
            ),
        }
    }
    // A cluster name taken from the CA is the CA's problem.
    if config.get("cluster_name").is_null() {
        if let Some(Err(e)) = cluster_name(config).as_str().map(admin::check_cluster_name) {
            diags.push(error_diagnostic(&e).at(AttrPath::attr("cluster_ca")));
        }
    }
    if !resource {
        return;
    }
    let durations = (config.get("validity").as_str(), config.get("renew_before").as_str());
    let validity = GoDuration::parse(durations.0.unwrap_or(admin::DEFAULT_VALIDITY));
    if let (Ok(validity), Some(Ok(renew))) = (validity, durations.1.map(GoDuration::parse)) {
        if renew >= validity && !validity.is_negative() {
            diags.push(
                Diagnostic::warning(
                    "renew_before is not shorter than validity",
                    format!("With validity = {} and renew_before = {}, every refresh finds the certificate due, so every apply issues a new one. Choose a renew_before below the validity, e.g. a tenth of it.", validity.format(), renew.format()),
                )
                .at(AttrPath::attr("renew_before")),
            );
        }
    }
}

/// `resource "kubeadm_kubeconfig"`.
pub struct KubeconfigResource {
    clock: Clock,
}

impl KubeconfigResource {
    pub fn new(clock: Clock) -> Self {
        KubeconfigResource { clock }
    }
}

#[async_trait]
impl Resource<ProviderData> for KubeconfigResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        resource_schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate_config(config, (self.clock)(), true, diags);
    }

    async fn plan(&self, _data: &ProviderData, plan: &mut Plan, _diags: &mut Diagnostics) {
        let config = &plan.config;
        let planned = &mut plan.planned;
        planned.set("cluster_name", cluster_name(config));
        planned.set("groups", groups(config));
        planned.set("host", config.get("server").clone());
        planned.set("cluster_ca_certificate", ca_certificate(config));
        let Some(prior) = &plan.prior else { return };
        if CERTIFICATE_INPUTS.iter().any(|a| planned.get(a) != prior.get(a)) {
            // A new certificate (Terraform plans a replacement from the
            // requires-replace paths and plans again as a create).
            for a in CERTIFICATE_OUTPUTS.iter().chain(&["kubeconfig"]) {
                planned.set(a, Value::unknown());
            }
            return;
        }
        // Same certificate: only the kubeconfig text may change.
        for a in CERTIFICATE_OUTPUTS {
            planned.set(a, prior.get(a).clone());
        }
        let kubeconfig = rewritten_kubeconfig(planned);
        planned.set("kubeconfig", kubeconfig);
    }

    async fn create(
        &self,
        _data: &ProviderData,
        planned: &Value,
        config: &Value,
        _private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let mut state = planned.clone();
        issue_into(config, (self.clock)(), &mut state, diags)?;
        // The write-only input stays as planned (null where Terraform keeps it out).
        state.set("cluster_ca", planned.get("cluster_ca").clone());
        Some(state)
    }

    async fn read(
        &self,
        _data: &ProviderData,
        state: &Value,
        _private: &mut Private,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        let text = |name: &str| state.get(name).as_str();
        let renew_before = text("renew_before").and_then(|s| GoDuration::parse(s).ok());
        let due = text("expires_at")
            .and_then(parse_rfc3339)
            .is_some_and(|at| admin::needs_renewal((self.clock)(), at, renew_before));
        // Like time_rotating: gone, so the next apply issues a new one.
        (!due).then(|| state.clone())
    }

    async fn update(
        &self,
        _data: &ProviderData,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        _private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let mut state = planned.clone();
        for a in CERTIFICATE_OUTPUTS {
            state.set(a, prior.get(a).clone());
        }
        if !state.get("kubeconfig").is_known() {
            let kubeconfig = rewritten_kubeconfig(&state);
            state.set("kubeconfig", kubeconfig);
        }
        if !state.is_wholly_known() {
            diags.push(Diagnostic::error(
                "Provider planned values it cannot compute",
                "kubeadm_kubeconfig could not rewrite the kubeconfig for its new settings; please report this.",
            ));
            return None;
        }
        Some(state)
    }

    async fn delete(&self, _data: &ProviderData, _prior: &Value, _diags: &mut Diagnostics) {
        // Nothing exists outside the state. Kubernetes has no revocation of
        // client certificates: a copy stays valid until it expires.
    }
}

/// `ephemeral "kubeadm_kubeconfig"`.
pub struct KubeconfigEphemeral {
    clock: Clock,
}

impl KubeconfigEphemeral {
    pub fn new(clock: Clock) -> Self {
        KubeconfigEphemeral { clock }
    }
}

#[async_trait]
impl EphemeralResource<ProviderData> for KubeconfigEphemeral {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        ephemeral_schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate_config(config, (self.clock)(), false, diags);
    }

    async fn open(&self, _data: &ProviderData, config: &Value, diags: &mut Diagnostics) -> Option<Opened> {
        let mut result = config.clone();
        planning::apply_computed(&ephemeral_schema().block, &mut result, config, None);
        issue_into(config, (self.clock)(), &mut result, diags)?;
        Some(Opened { result, ..Default::default() })
    }
}

#[cfg(test)]
mod tests;
