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
mod tests {
    use std::sync::OnceLock;

    use time::Duration;

    use super::*;
    use crate::bootstrap::pki::{CaPair, CaRole};
    use crate::provider::bootstrap_token::fixed_clock;
    use crate::provider::store_config::StoreConfig;
    use crate::tfplugin::diag::Severity;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-05-06 07:08:09 UTC)
    }

    fn ca() -> &'static CaPair {
        static CA: OnceLock<CaPair> = OnceLock::new();
        CA.get_or_init(|| pki::generate_ca(CaRole::Kubernetes, "prod", KeyAlgorithm::EcdsaP256, 3650, now()).unwrap())
    }

    fn ca_value(pair: &CaPair, cluster_name: Option<&str>) -> Value {
        Value::Object(
            [
                ("ca_cert_pem".to_string(), Value::from(pair.cert_pem.clone())),
                ("ca_key_pem".to_string(), Value::from(pair.key_pem.expose().clone())),
                ("cluster_name".to_string(), Value::opt_string(cluster_name)),
            ]
            .into_iter()
            .collect(),
        )
    }

    /// A valid configuration (the test CA, a server) with `pairs` set over it.
    fn config(pairs: &[(&str, Value)]) -> Value {
        let base =
            [("cluster_ca", ca_value(ca(), Some("prod"))), ("server", "https://api.prod.example.com:6443".into())];
        let mut c = Value::null_object(&resource_schema().ty());
        base.iter().chain(pairs).for_each(|(k, v)| c.set(k, v.clone()));
        c
    }

    /// What ValidateResourceConfig reports: attribute validators, then the resource's checks.
    fn validate(c: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        let r = KubeconfigResource::new(fixed_clock(now()));
        planning::validate(&r.schema().block, c, &AttrPath::root(), &mut d);
        r.validate(c, &mut d);
        d
    }

    #[test]
    fn schemas_are_valid_and_only_the_resource_stores_nothing_of_the_ca() {
        let r = resource_schema();
        let e = ephemeral_schema();
        r.block.check().unwrap();
        e.block.check().unwrap();
        let names = |s: &Schema| s.block.attributes.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&r), names(&e), "the same inputs and outputs");
        let wo: Vec<_> = r.block.attributes.iter().filter(|a| a.write_only).map(|a| a.name.as_str()).collect();
        assert_eq!(wo, ["cluster_ca"]);
        assert!(e.block.attributes.iter().all(|a| !a.write_only && !a.requires_replace && !a.keep_prior));
        for sensitive in ["cluster_ca", "kubeconfig", "client_key"] {
            assert!(r.block.attribute(sensitive).unwrap().sensitive && e.block.attribute(sensitive).unwrap().sensitive);
        }
    }

    #[test]
    fn bad_inputs_point_at_their_attribute() {
        let other = pki::generate_ca(CaRole::Kubernetes, "x", KeyAlgorithm::EcdsaP256, 30, now()).unwrap();
        let mixed = CaPair { cert_pem: ca().cert_pem.clone(), key_pem: other.key_pem.clone() };
        let cases: Vec<(Value, &str, &str)> = vec![
            (config(&[("server", "http://api:6443".into())]), "server", "Invalid server"),
            (config(&[("server", "api.example.com".into())]), "server", "Invalid server"),
            (config(&[("validity", "0s".into())]), "validity", "Invalid validity"),
            (config(&[("validity", "abc".into())]), "validity", "Invalid validity"),
            (config(&[("validity", "-1h".into())]), "validity", "Invalid validity"),
            (config(&[("renew_before", "1d".into())]), "renew_before", "Invalid renew_before"),
            (config(&[("key_algorithm", "ED25519".into())]), "key_algorithm", "Invalid key_algorithm"),
            (config(&[("username", "".into())]), "username", "Invalid username"),
            (config(&[("groups", Value::string_list(["a", ""]))]), "groups[1]", "Invalid groups"),
            (
                config(&[("kubernetes_version", "v1.21.0".into())]),
                "kubernetes_version",
                "Unsupported Kubernetes version",
            ),
            (config(&[("cluster_ca", ca_value(&mixed, Some("prod")))]), "cluster_ca", "Unusable cluster_ca"),
        ];
        for (c, path, summary) in cases {
            let d = validate(&c);
            let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
            assert_eq!(errors.len(), 1, "{path}: {d:?}");
            assert_eq!(errors[0].path.as_ref().unwrap().to_string(), path);
            assert_eq!(errors[0].summary, summary);
            assert!(!errors[0].detail.contains("PRIVATE KEY"), "{}", errors[0].detail);
        }
        assert!(validate(&config(&[])).is_empty());
        // Unknown values are left for later.
        let unknown =
            config(&[("cluster_ca", Value::unknown()), ("server", Value::unknown()), ("groups", Value::unknown())]);
        assert!(validate(&unknown).is_empty(), "{:?}", validate(&unknown));
    }

    #[test]
    fn renew_before_not_shorter_than_validity_is_a_warning() {
        let d = validate(&config(&[("validity", "1h".into()), ("renew_before", "2h".into())]));
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!(d.0[0].severity, Severity::Warning);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "renew_before");
        // Against the default validity of a year.
        assert_eq!(validate(&config(&[("renew_before", "8760h".into())])).0.len(), 1);
        assert!(validate(&config(&[("renew_before", "720h".into())])).is_empty());
        // The ephemeral resource ignores renew_before, so it does not warn.
        let mut d = Diagnostics::new();
        let c = config(&[("validity", "1h".into()), ("renew_before", "2h".into())]);
        KubeconfigEphemeral::new(fixed_clock(now())).validate(&c, &mut d);
        assert!(d.is_empty(), "{d:?}");
    }

    #[tokio::test]
    async fn read_drops_the_certificate_when_it_is_due() {
        let state = |expires: OffsetDateTime, renew: Option<&str>| {
            let mut s = config(&[("renew_before", Value::opt_string(renew))]);
            s.set("expires_at", Value::from(format_rfc3339(expires)));
            s
        };
        let data = ProviderData::new(StoreConfig::default());
        let at = |t: OffsetDateTime| KubeconfigResource::new(fixed_clock(t));
        let expires = now() + Duration::days(30);
        let mut p = Private::default();
        let mut d = Diagnostics::new();
        // renew_before 7 days: kept until 23 days from now, dropped from then.
        let s = state(expires, Some("168h"));
        assert!(at(now()).read(&data, &s, &mut p, &mut d).await.is_some());
        let due = expires - Duration::days(7);
        assert!(at(due - Duration::seconds(1)).read(&data, &s, &mut p, &mut d).await.is_some());
        assert!(at(due).read(&data, &s, &mut p, &mut d).await.is_none());
        // Without renew_before: dropped once expired.
        let s = state(expires, None);
        assert!(at(expires - Duration::seconds(1)).read(&data, &s, &mut p, &mut d).await.is_some());
        assert!(at(expires).read(&data, &s, &mut p, &mut d).await.is_none());
        assert!(d.is_empty());
    }

    fn planned_create(c: &Value) -> Value {
        let mut planned = c.clone();
        planning::apply_computed(&resource_schema().block, &mut planned, c, None);
        planned
    }

    #[tokio::test]
    async fn plan_create_and_in_place_update_keep_one_certificate() {
        let data = ProviderData::new(StoreConfig::default());
        let r = KubeconfigResource::new(fixed_clock(now()));
        let c = config(&[("kubernetes_version", "v1.28.15".into())]);
        let mut plan = Plan { prior: None, config: c.clone(), planned: planned_create(&c), requires_replace: vec![] };
        let mut d = Diagnostics::new();
        r.plan(&data, &mut plan, &mut d).await;
        assert_eq!(plan.planned.get("groups").as_string_vec().unwrap(), [admin::SUPER_ADMIN_GROUP]);
        assert_eq!(plan.planned.get("cluster_name").as_str(), Some("prod"));
        assert_eq!(plan.planned.get("host").as_str(), Some("https://api.prod.example.com:6443"));
        assert_eq!(plan.planned.get("cluster_ca_certificate").as_str(), Some(ca().cert_pem.as_str()));
        for out in ["kubeconfig", "client_certificate", "client_key", "expires_at", "id"] {
            assert!(plan.planned.get(out).is_unknown(), "{out}");
        }
        let state = r.create(&data, &plan.planned, &c, &mut Private::default(), &mut d).await.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert!(state.is_wholly_known());
        let expires = now() + Duration::hours(8760);
        assert_eq!(state.get("expires_at").as_str(), Some(format_rfc3339(expires).as_str()));

        // A new server: the same certificate, a rewritten kubeconfig.
        let c2 = config(&[("kubernetes_version", "v1.28.15".into()), ("server", "https://10.1.2.3:443".into())]);
        let mut proposed = state.clone();
        proposed.set("server", c2.get("server").clone());
        let mut plan =
            Plan { prior: Some(state.clone()), config: c2.clone(), planned: proposed, requires_replace: vec![] };
        planning::mark_changed_computed_unknown(&resource_schema().block, &mut plan.planned, &c2);
        r.plan(&data, &mut plan, &mut d).await;
        assert!(planning::replace_paths(&resource_schema().block, &plan.planned, &state).is_empty());
        assert_eq!(plan.planned.get("client_certificate"), state.get("client_certificate"));
        let kubeconfig = plan.planned.get("kubeconfig").as_str().unwrap().to_string();
        assert!(kubeconfig.contains("server: https://10.1.2.3:443"), "{kubeconfig}");
        let updated = r.update(&data, &state, &plan.planned, &c2, &mut Private::default(), &mut d).await.unwrap();
        assert_eq!(updated.get("kubeconfig").as_str(), Some(kubeconfig.as_str()));

        // A new release with other admin groups, or a new username: a new certificate.
        for change in [("kubernetes_version", "v1.29.0"), ("username", "ops")] {
            let c3 = config(&[("kubernetes_version", "v1.28.15".into()), change_pair(change)]);
            let mut proposed = state.clone();
            proposed.set(change.0, Value::from(change.1));
            let mut plan = Plan { prior: Some(state.clone()), config: c3, planned: proposed, requires_replace: vec![] };
            r.plan(&data, &mut plan, &mut d).await;
            let paths: Vec<String> = planning::replace_paths(&resource_schema().block, &plan.planned, &state)
                .iter()
                .map(ToString::to_string)
                .collect();
            let want = if change.0 == "username" { "username" } else { "groups" };
            assert_eq!(paths, [want]);
            assert!(plan.planned.get("client_certificate").is_unknown());
        }
    }

    fn change_pair(change: (&'static str, &'static str)) -> (&'static str, Value) {
        (change.0, Value::from(change.1))
    }

    #[tokio::test]
    async fn ephemeral_open_fills_every_value_and_issues_anew_each_time() {
        let data = ProviderData::new(StoreConfig::default());
        let e = KubeconfigEphemeral::new(fixed_clock(now()));
        let mut c = Value::null_object(&ephemeral_schema().ty());
        c.set("cluster_ca", ca_value(ca(), None));
        c.set("server", Value::from("https://api:6443"));
        c.set("validity", Value::from("1h"));
        let mut d = Diagnostics::new();
        let first = e.open(&data, &c, &mut d).await.unwrap();
        let second = e.open(&data, &c, &mut d).await.unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert!(first.result.is_wholly_known());
        assert_eq!(first.result.get("cluster_name").as_str(), Some(admin::DEFAULT_CLUSTER_NAME));
        assert_eq!(first.result.get("username").as_str(), Some(admin::DEFAULT_USERNAME));
        assert_eq!(first.result.get("groups").as_string_vec().unwrap(), [admin::CLUSTER_ADMINS_GROUP]);
        assert_eq!(first.result.get("validity").as_str(), Some("1h"));
        assert_eq!(first.result.get("cluster_ca"), c.get("cluster_ca"), "set inputs come back as set");
        assert!(first.result.get("kubernetes_version").is_null());
        assert!(first
            .result
            .get("kubeconfig")
            .as_str()
            .unwrap()
            .contains("current-context: kubernetes-admin@kubernetes"));
        assert_ne!(first.result.get("client_key"), second.result.get("client_key"), "a fresh key per open");
        assert!(first.renew_at.is_none());
        // A bad CA is an error at cluster_ca.
        let other = pki::generate_ca(CaRole::Kubernetes, "x", KeyAlgorithm::EcdsaP256, 30, now()).unwrap();
        c.set("cluster_ca", ca_value(&CaPair { cert_pem: ca().cert_pem.clone(), key_pem: other.key_pem }, None));
        assert!(e.open(&data, &c, &mut d).await.is_none());
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "cluster_ca");
    }
}
