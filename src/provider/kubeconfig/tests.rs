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
    let base = [("cluster_ca", ca_value(ca(), Some("prod"))), ("server", "https://api.prod.example.com:6443".into())];
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
        (config(&[("kubernetes_version", "v1.21.0".into())]), "kubernetes_version", "Unsupported Kubernetes version"),
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
    let mut plan = Plan { prior: Some(state.clone()), config: c2.clone(), planned: proposed, requires_replace: vec![] };
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
    assert!(first.result.get("kubeconfig").as_str().unwrap().contains("current-context: kubernetes-admin@kubernetes"));
    assert_ne!(first.result.get("client_key"), second.result.get("client_key"), "a fresh key per open");
    assert!(first.renew_at.is_none());
    // A bad CA is an error at cluster_ca.
    let other = pki::generate_ca(CaRole::Kubernetes, "x", KeyAlgorithm::EcdsaP256, 30, now()).unwrap();
    c.set("cluster_ca", ca_value(&CaPair { cert_pem: ca().cert_pem.clone(), key_pem: other.key_pem }, None));
    assert!(e.open(&data, &c, &mut d).await.is_none());
    assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "cluster_ca");
}
