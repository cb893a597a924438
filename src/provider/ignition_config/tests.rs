use super::schema::{validate_mode, validate_replace_after};
use super::*;
use crate::bootstrap::pki::{self, KeyAlgorithm};
use crate::provider::bootstrap_token::fixed_clock;

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

fn at(s: &str) -> OffsetDateTime {
    parse_rfc3339(s).unwrap()
}

/// A worker (or `role`) of cluster `prod` with a real CA and `token`.
fn node(role: &str, token: &str, extra: &[(&str, Value)]) -> Value {
    let p = pki::generate_pki("prod", KeyAlgorithm::EcdsaP256, 365, OffsetDateTime::now_utc()).unwrap();
    let ca = obj(&[
        ("ca_cert_pem", Value::from(p.ca.cert_pem.clone())),
        ("ca_key_pem", Value::from(p.ca.key_pem.expose().clone())),
        ("front_proxy_ca_cert_pem", Value::from(p.front_proxy_ca.cert_pem.clone())),
        ("front_proxy_ca_key_pem", Value::from(p.front_proxy_ca.key_pem.expose().clone())),
        ("etcd_ca_cert_pem", Value::from(p.etcd_ca.cert_pem.clone())),
        ("etcd_ca_key_pem", Value::from(p.etcd_ca.key_pem.expose().clone())),
        ("service_account_public_key_pem", Value::from(p.sa.public_pem.clone())),
        ("service_account_private_key_pem", Value::from(p.sa.private_pem.expose().clone())),
        ("ca_cert_hash", Value::from(pki::ca_cert_hash(&p.ca.cert_pem).unwrap())),
    ]);
    let tok = obj(&[
        ("token", Value::from(token)),
        ("expires_at", Value::Null),
        ("description", Value::Null),
        ("usages", Value::string_list(["signing", "authentication"])),
        ("groups", Value::string_list(["system:bootstrappers:kubeadm:default-node-token"])),
    ]);
    let mut v = obj(&[
        ("role", Value::from(role)),
        ("name", Value::from("w0")),
        ("cluster_ca", ca),
        ("bootstrap_token", tok),
        (
            "cluster",
            obj(&[
                ("name", Value::from("prod")),
                ("kubernetes_version", Value::from("v1.31.4")),
                ("control_plane_endpoint", Value::from("api.prod.example.com:6443")),
            ]),
        ),
    ]);
    for (k, x) in extra {
        v.set(k, x.clone());
    }
    v
}

fn provider(dir: &std::path::Path, base_url: Option<&str>) -> ProviderData {
    ProviderData::new(StoreConfig::Local { path: dir.display().to_string(), base_url: base_url.map(str::to_string) })
}

const T0: &str = "2030-01-01T00:00:00Z";

fn resource(now: &str) -> IgnitionConfigResource {
    IgnitionConfigResource::new(fixed_clock(at(now)))
}

async fn plan_of(
    r: &IgnitionConfigResource,
    data: &ProviderData,
    prior: Option<&Value>,
    config: &Value,
) -> (Value, Diagnostics) {
    let mut plan = Plan {
        prior: prior.cloned(),
        config: config.clone(),
        planned: prior.cloned().unwrap_or_else(|| config.clone()),
        requires_replace: Vec::new(),
    };
    // What the configuration sets, over the prior state (Terraform's proposal).
    for (k, v) in config.as_entries().into_iter().flatten() {
        plan.planned.set(k, v.clone());
    }
    let mut diags = Diagnostics::new();
    r.plan(data, &mut plan, &mut diags).await;
    (plan.planned, diags)
}

async fn apply(
    r: &IgnitionConfigResource,
    data: &ProviderData,
    prior: Option<&Value>,
    planned: &Value,
    config: &Value,
) -> Value {
    let (mut private, mut diags) = (Private::default(), Diagnostics::new());
    let state = match prior {
        None => r.create(data, planned, config, &mut private, &mut diags).await,
        Some(p) => r.update(data, p, planned, config, &mut private, &mut diags).await,
    };
    assert!(!diags.has_errors(), "{diags:?}");
    state.expect("a state")
}

fn pointer(user_data: &str) -> serde_json::Value {
    serde_json::from_str(user_data).unwrap()
}

#[test]
fn keys_of_both_modes() {
    assert_eq!(stable_object_key("prod", "worker", Some("w0")), "prod/worker/w0.ign");
    assert_eq!(stable_object_key("My Cluster", "control-plane", None), "My-Cluster/control-plane/control-plane.ign");
    assert_eq!(stable_object_key("prod", "init", Some("../x")), "prod/init/x.ign");
    // The key of a pinned config is unchanged: name, then the hash prefix.
    let sha = "ab".repeat(64);
    assert_eq!(
        format!("{}-{}.ign", key_stem("prod", "worker", Some("w0")), &sha[..32]),
        format!("prod/worker/w0-{}.ign", "ab".repeat(16))
    );
    let config = |name: Value| {
        obj(&[("role", Value::from("worker")), ("name", name), ("cluster", obj(&[("name", Value::from("prod"))]))])
    };
    assert_eq!(stable_key_of_config(&config(Value::from("w0"))).as_deref(), Some("prod/worker/w0.ign"));
    assert_eq!(stable_key_of_config(&config(Value::Null)).as_deref(), Some("prod/worker/worker.ign"));
    assert_eq!(stable_key_of_config(&config(Value::unknown())), None);
    assert_eq!(stable_key_of_config(&obj(&[("role", Value::from("worker"))])), None, "no cluster name");
}

#[test]
fn modes_parse_and_null_is_pinned() {
    for m in UserDataMode::NAMES {
        assert_eq!(UserDataMode::parse(m).map(UserDataMode::as_str), Some(m));
    }
    assert_eq!(UserDataMode::of(&obj(&[])), Some(UserDataMode::Pinned));
    assert_eq!(UserDataMode::of(&obj(&[("user_data_mode", Value::from("stable"))])), Some(UserDataMode::Stable));
    assert_eq!(UserDataMode::of(&obj(&[("user_data_mode", Value::unknown())])), None);
    assert_eq!(UserDataMode::of(&obj(&[("user_data_mode", Value::from("sometimes"))])), None);
    assert!(!validate_mode(&Value::from("sometimes")).is_empty());
    assert!(validate_mode(&Value::from("stable")).is_empty());
}

#[test]
fn the_stable_pointer_has_no_hash_and_the_pinned_one_is_unchanged() {
    let v = IgnitionVersion::V3_3;
    let pinned = UserDataMode::Pinned.pointer(v, "s3://b/k.ign", "00ff");
    assert_eq!(
        pinned,
        r#"{"ignition":{"version":"3.3.0","config":{"replace":{"source":"s3://b/k.ign","verification":{"hash":"sha512-00ff"}}},"timeouts":{"httpTotal":600}}}"#
    );
    let stable = UserDataMode::Stable.pointer(v, "s3://b/k.ign", "00ff");
    assert_eq!(
        stable,
        r#"{"ignition":{"version":"3.3.0","config":{"replace":{"source":"s3://b/k.ign"}},"timeouts":{"httpTotal":600}}}"#
    );
    assert_eq!(stable, UserDataMode::Stable.pointer(v, "s3://b/k.ign", "another hash"), "content never shows");
}

#[test]
fn replace_after_must_be_a_positive_duration() {
    for bad in ["abc", "0s", "0", "-1h", "3d"] {
        let d = validate_replace_after(&Value::from(bad));
        assert_eq!(d.len(), 1, "{bad}");
        assert!(d[0].summary.contains("Invalid replace_after"), "{bad}: {d:?}");
    }
    for ok in ["1ns", "3s", "8000h", "1h30m"] {
        assert!(validate_replace_after(&Value::from(ok)).is_empty(), "{ok}");
    }
}

#[test]
fn control_planes_are_warned_when_certificates_expire_first() {
    let warned = |role: &str, after: &str, validity: Option<&str>| {
        let mut cluster = obj(&[("name", Value::from("prod"))]);
        if let Some(v) = validity {
            cluster.set("certificate_validity", Value::from(v));
        }
        let config = obj(&[("role", Value::from(role)), ("replace_after", Value::from(after)), ("cluster", cluster)]);
        let mut d = Diagnostics::new();
        check_certificate_expiry(&config, None, &mut d);
        let found: Vec<_> = d.iter().filter(|d| d.summary.contains("Certificates expire")).collect();
        assert!(found.iter().all(|d| d.path == Some(AttrPath::attr("replace_after")) && !d.is_error()), "{d:?}");
        !found.is_empty()
    };
    assert!(warned("init", "8760h", None));
    assert!(warned("control-plane", "9000h", None));
    assert!(!warned("control-plane", "8000h", None));
    assert!(!warned("worker", "9000h", None), "workers renew their kubelet certificates themselves");
    assert!(warned("control-plane", "3000h", Some("2160h")));
    assert!(!warned("control-plane", "2000h", Some("2160h")));
    assert!(!warned("control-plane", "9000h", Some("17520h")));
}

#[test]
fn refresh_starts_the_clock_of_old_states_and_marks_due_ones() {
    let now = at("2030-06-01T12:00:00.5Z");
    // Written by a provider version without the clock: it starts now.
    let mut old = obj(&[("id", Value::from("k"))]);
    refresh_clock(&mut old, now);
    assert_eq!(old.get("rendered_at"), &Value::from("2030-06-01T12:00:00Z"));
    assert_eq!(old.get("replace_at"), &Value::Null);
    // Not due yet: unchanged.
    let fresh = obj(&[
        ("rendered_at", Value::from(T0)),
        ("replace_after", Value::from("8000h")),
        ("replace_at", Value::from("2030-11-30T08:00:00Z")),
    ]);
    let mut s = fresh.clone();
    refresh_clock(&mut s, now);
    assert_eq!(s, fresh);
    // Due: replace_at cleared, rendered_at kept.
    refresh_clock(&mut s, at("2030-11-30T08:00:00Z"));
    assert_eq!(s.get("replace_at"), &Value::Null);
    assert_eq!(s.get("rendered_at"), &Value::from(T0));
    // Past the last representable time (a hand-edited state): never due, no panic.
    let far = obj(&[
        ("rendered_at", Value::from("9999-12-31T23:59:59Z")),
        ("replace_after", Value::from("2562047h")),
        ("replace_at", Value::Null),
    ]);
    let mut s = far.clone();
    refresh_clock(&mut s, now);
    assert_eq!(s, far);
    let mut p = plan_with(Some(far.clone()), obj(&[("replace_after", Value::from("2562047h"))]));
    plan_clock(&mut p, now, &mut Diagnostics::new());
    assert!(p.planned.get("replace_at").is_null() && p.planned.get("rendered_at").is_known());
    // Without replace_after never due.
    let mut never = obj(&[("rendered_at", Value::from(T0))]);
    refresh_clock(&mut never, at("2300-01-01T00:00:00Z"));
    assert_eq!(never, obj(&[("rendered_at", Value::from(T0))]));
}

fn plan_with(prior: Option<Value>, config: Value) -> Plan {
    let planned = prior.clone().unwrap_or_else(|| config.clone());
    Plan { prior, config, planned, requires_replace: Vec::new() }
}

#[test]
fn plan_keeps_rendered_at_unless_due() {
    let now = at("2030-06-01T00:00:00Z");
    let cfg = |after: Option<&str>| obj(&[("replace_after", Value::opt_string(after))]);
    let state = |after: Option<&str>, replace_at: Option<&str>| {
        obj(&[
            ("rendered_at", Value::from(T0)),
            ("replace_after", Value::opt_string(after)),
            ("replace_at", Value::opt_string(replace_at)),
        ])
    };

    // Create: known after apply.
    let mut p = plan_with(None, cfg(Some("1h")));
    plan_clock(&mut p, now, &mut Diagnostics::new());
    assert!(p.planned.get("rendered_at").is_unknown() && p.planned.get("replace_at").is_unknown());
    let mut p = plan_with(None, cfg(None));
    plan_clock(&mut p, now, &mut Diagnostics::new());
    assert!(p.planned.get("rendered_at").is_unknown() && p.planned.get("replace_at").is_null());

    // Not marked: kept, and replace_at follows the configured replace_after.
    let mut p = plan_with(Some(state(Some("8000h"), Some("2030-11-30T08:00:00Z"))), cfg(Some("100h")));
    let mut d = Diagnostics::new();
    plan_clock(&mut p, now, &mut d);
    assert_eq!(p.planned.get("rendered_at"), &Value::from(T0));
    assert_eq!(p.planned.get("replace_at"), &Value::from("2030-01-05T04:00:00Z"));
    assert!(d.is_empty(), "only a refresh finds a config due: {d:?}");

    // Marked by the refresh and still due: re-rendered, with a warning.
    let mut p = plan_with(Some(state(Some("100h"), None)), cfg(Some("100h")));
    let mut d = Diagnostics::new();
    plan_clock(&mut p, now, &mut d);
    assert!(p.planned.get("rendered_at").is_unknown() && p.planned.get("replace_at").is_unknown());
    let w: Vec<_> = d.iter().collect();
    assert_eq!(w.len(), 1, "{d:?}");
    assert!(!w[0].is_error() && w[0].summary == "Node config due for replacement");
    assert_eq!(w[0].path, Some(AttrPath::attr("replace_after")));
    assert!(w[0].detail.contains("2030-01-05T04:00:00Z") && w[0].detail.contains("replace_triggered_by"));

    // Marked, but replace_after raised past now: not due any more.
    let mut p = plan_with(Some(state(Some("100h"), None)), cfg(Some("8000h")));
    let mut d = Diagnostics::new();
    plan_clock(&mut p, now, &mut d);
    assert_eq!(p.planned.get("rendered_at"), &Value::from(T0));
    assert_eq!(p.planned.get("replace_at"), &Value::from("2030-11-30T08:00:00Z"));
    assert!(d.is_empty());

    // Marked, and replace_after removed: never due.
    let mut p = plan_with(Some(state(Some("100h"), None)), cfg(None));
    plan_clock(&mut p, now, &mut Diagnostics::new());
    assert_eq!(p.planned.get("rendered_at"), &Value::from(T0));
    assert!(p.planned.get("replace_at").is_null());

    // An old state not refreshed yet plans exactly what it holds.
    let old = obj(&[("rendered_at", Value::Null), ("replace_at", Value::Null), ("replace_after", Value::Null)]);
    let mut p = plan_with(Some(old.clone()), cfg(None));
    p.planned.set("rendered_at", Value::unknown());
    plan_clock(&mut p, now, &mut Diagnostics::new());
    assert_eq!(p.planned, old);

    // replace_after from a value unknown at plan time.
    let mut p =
        plan_with(Some(state(Some("1h"), Some("2030-01-01T01:00:00Z"))), obj(&[("replace_after", Value::unknown())]));
    plan_clock(&mut p, now, &mut Diagnostics::new());
    assert_eq!(p.planned.get("rendered_at"), &Value::from(T0));
    assert!(p.planned.get("replace_at").is_unknown());
}

#[test]
fn apply_starts_a_generation_only_when_planned_unknown() {
    let now = at("2031-02-03T04:05:06Z");
    let config = obj(&[("replace_after", Value::from("24h"))]);
    let mut s = obj(&[]);
    apply_clock(&mut s, &obj(&[("rendered_at", Value::unknown())]), &config, now);
    assert_eq!(s.get("rendered_at"), &Value::from("2031-02-03T04:05:06Z"));
    assert_eq!(s.get("replace_at"), &Value::from("2031-02-04T04:05:06Z"));
    let mut s = obj(&[]);
    apply_clock(&mut s, &obj(&[("rendered_at", Value::from(T0))]), &obj(&[]), now);
    assert_eq!(s.get("rendered_at"), &Value::from(T0));
    assert!(s.get("replace_at").is_null());
}

#[tokio::test]
async fn stable_mode_needs_a_url() {
    let dir = tempfile::tempdir().unwrap();
    let data = provider(dir.path(), None);
    let config = node("worker", "abcdef.0123456789abcdef", &[("user_data_mode", Value::from("stable"))]);
    let (_, d) = plan_of(&resource(T0), &data, None, &config).await;
    let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{d:?}");
    assert_eq!(errors[0].path, Some(AttrPath::attr("user_data_mode")));
    // Even while the inputs are unknown (a first plan).
    let mut first = config.clone();
    first.set("bootstrap_token", Value::unknown());
    let (_, d) = plan_of(&resource(T0), &data, None, &first).await;
    assert!(d.has_errors(), "{d:?}");
}

#[tokio::test]
async fn a_rotated_token_changes_the_stable_object_but_not_user_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = provider(dir.path(), Some("https://ign.example.com/c"));
    let r = resource(T0);
    let stable = [("user_data_mode", Value::from("stable")), ("replace_after", Value::from("8000h"))];
    let config = node("worker", "abcdef.0123456789abcdef", &stable);
    let (planned, d) = plan_of(&r, &data, None, &config).await;
    assert!(!d.has_errors(), "{d:?}");
    assert_eq!(planned.get("id"), &Value::from("prod/worker/w0.ign"));
    let state = apply(&r, &data, None, &planned, &config).await;
    let ud = state.get("user_data").as_str().unwrap().to_string();
    let p = pointer(&ud);
    assert_eq!(p["ignition"]["config"]["replace"]["source"], "https://ign.example.com/c/prod/worker/w0.ign");
    assert!(p["ignition"]["config"]["replace"].get("verification").is_none(), "{ud}");
    assert_eq!(state.get("rendered_at"), &Value::from(T0));
    assert_eq!(state.get("replace_at"), &Value::from("2030-11-30T08:00:00Z"));
    let object = dir.path().join("prod/worker/w0.ign");
    let first = std::fs::read(&object).unwrap();

    // The token is being replaced: unknown at plan time. user_data and the
    // key stay known and equal; what is rendered is unknown.
    let mut rotating = config.clone();
    rotating.set("bootstrap_token", Value::unknown());
    let later = resource("2030-02-01T00:00:00Z");
    let (planned, d) = plan_of(&later, &data, Some(&state), &rotating).await;
    assert!(!d.has_errors(), "{d:?}");
    for a in ["id", "user_data", "user_data_size", "object_url", "rendered_at", "replace_at"] {
        assert_eq!(planned.get(a), state.get(a), "{a}");
    }
    for a in ["rendered_sha512", "kubeadm_config"] {
        assert!(planned.get(a).is_unknown(), "{a}");
    }

    // The apply with the new token: same key, same user_data, new bytes.
    let rotated = node("worker", "ghijkl.0123456789abcdef", &stable);
    let new_state = apply(&later, &data, Some(&state), &planned, &rotated).await;
    assert_eq!(new_state.get("user_data").as_str(), Some(ud.as_str()));
    assert_eq!(new_state.get("id"), state.get("id"));
    assert_eq!(new_state.get("rendered_at"), &Value::from(T0), "a rotation is not a new generation");
    let second = std::fs::read(&object).unwrap();
    assert_ne!(first, second);
    assert_eq!(ignition::sha512_hex(&second), new_state.get("rendered_sha512").as_str().unwrap());
    assert!(new_state.get("kubeadm_config").as_str().unwrap().contains("ghijkl.0123456789abcdef"));
    let objects: Vec<_> = std::fs::read_dir(dir.path().join("prod/worker")).unwrap().flatten().collect();
    assert_eq!(objects.len(), 1, "the stable key is overwritten in place");
}

/// An init config without an endpoint founds a new cluster wherever it
/// boots: rendering it again (here for a new token) warns; with an
/// endpoint, or with nothing re-rendered, the plan is quiet.
#[tokio::test]
async fn rendering_an_init_config_again_warns_without_an_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = provider(dir.path(), Some("https://ign.example.com/c"));
    let r = resource(T0);
    // One CA for every config (node() makes a new one each call).
    let with_endpoint = node("init", "abcdef.0123456789abcdef", &[]);
    let mut lone = with_endpoint.clone();
    let mut cluster = lone.get("cluster").clone();
    cluster.set("control_plane_endpoint", Value::Null);
    lone.set("cluster", cluster);
    let rotated = |c: &Value| {
        let mut c = c.clone();
        let mut token = c.get("bootstrap_token").clone();
        token.set("token", Value::from("ghijkl.0123456789abcdef"));
        c.set("bootstrap_token", token);
        c
    };
    let warned = |d: &Diagnostics| d.0.iter().any(|d| d.summary == "Init config rendered again");
    for (first, again, want) in [
        (lone.clone(), rotated(&lone), true),
        (lone.clone(), lone.clone(), false),
        (with_endpoint.clone(), rotated(&with_endpoint), false),
    ] {
        let (planned, d) = plan_of(&r, &data, None, &first).await;
        assert!(!warned(&d), "a first render founds the cluster: {d:?}");
        let state = apply(&r, &data, None, &planned, &first).await;
        let (_, d) = plan_of(&r, &data, Some(&state), &again).await;
        assert_eq!(warned(&d), want, "{d:?}");
        let mut gone = Diagnostics::new();
        r.delete(&data, &state, &mut gone).await;
    }
}

#[tokio::test]
async fn switching_modes_moves_the_object() {
    let dir = tempfile::tempdir().unwrap();
    let data = provider(dir.path(), Some("https://ign.example.com/c"));
    let r = resource(T0);
    let pinned = node("worker", "abcdef.0123456789abcdef", &[]);
    let (planned, _) = plan_of(&r, &data, None, &pinned).await;
    let s1 = apply(&r, &data, None, &planned, &pinned).await;
    let pinned_key = s1.get("id").as_str().unwrap().to_string();
    assert!(pointer(s1.get("user_data").as_str().unwrap())["ignition"]["config"]["replace"]["verification"]["hash"]
        .as_str()
        .is_some_and(|h| h.starts_with("sha512-")));

    let mut stable = pinned.clone();
    stable.set("user_data_mode", Value::from("stable"));
    let (planned, _) = plan_of(&r, &data, Some(&s1), &stable).await;
    assert_eq!(planned.get("rendered_sha512"), s1.get("rendered_sha512"), "the same config");
    let s2 = apply(&r, &data, Some(&s1), &planned, &stable).await;
    assert_eq!(s2.get("id"), &Value::from("prod/worker/w0.ign"));
    assert!(dir.path().join("prod/worker/w0.ign").is_file());
    assert!(!dir.path().join(&pinned_key).exists(), "the pinned object is removed after the move");
}

#[tokio::test]
async fn another_nodes_object_at_the_stable_key_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let data = provider(dir.path(), Some("https://ign.example.com/c"));
    let r = resource(T0);
    std::fs::create_dir_all(dir.path().join("prod/worker")).unwrap();
    std::fs::write(dir.path().join("prod/worker/w0.ign"), b"{\"other\":1}").unwrap();
    let config = node("worker", "abcdef.0123456789abcdef", &[("user_data_mode", Value::from("stable"))]);
    let (planned, _) = plan_of(&r, &data, None, &config).await;
    let (mut private, mut d) = (Private::default(), Diagnostics::new());
    assert!(r.create(&data, &planned, &config, &mut private, &mut d).await.is_none());
    let e: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
    assert_eq!(e.len(), 1, "{d:?}");
    assert_eq!(e[0].path, Some(AttrPath::attr("name")));
    assert_eq!(std::fs::read(dir.path().join("prod/worker/w0.ign")).unwrap(), b"{\"other\":1}");
}

#[tokio::test]
async fn a_due_config_is_rendered_again_with_a_new_generation() {
    let dir = tempfile::tempdir().unwrap();
    let data = provider(dir.path(), Some("https://ign.example.com/c"));
    let config = node("control-plane", "abcdef.0123456789abcdef", &[("replace_after", Value::from("1h"))]);
    let r = resource(T0);
    let (planned, _) = plan_of(&r, &data, None, &config).await;
    let state = apply(&r, &data, None, &planned, &config).await;

    // Before replace_at the refresh and the plan change nothing.
    let early = resource("2030-01-01T00:59:59Z");
    let mut private = Private::default();
    let refreshed = early.read(&data, &state, &mut private, &mut Diagnostics::new()).await.unwrap();
    assert_eq!(refreshed, state);
    let (planned, d) = plan_of(&early, &data, Some(&refreshed), &config).await;
    assert_eq!(planned, state);
    assert!(d.is_empty(), "{d:?}");

    // After it, the refresh marks it and the plan re-renders it.
    let late = resource("2030-01-01T01:00:00Z");
    let refreshed = late.read(&data, &state, &mut private, &mut Diagnostics::new()).await.unwrap();
    assert!(refreshed.get("replace_at").is_null());
    let (planned, d) = plan_of(&late, &data, Some(&refreshed), &config).await;
    assert!(planned.get("rendered_at").is_unknown());
    assert!(d.iter().any(|d| d.summary == "Node config due for replacement"), "{d:?}");
    for a in ["id", "user_data", "rendered_sha512"] {
        assert_eq!(planned.get(a), state.get(a), "{a}: the content did not change");
    }
    let renewed = apply(&late, &data, Some(&refreshed), &planned, &config).await;
    assert_eq!(renewed.get("rendered_at"), &Value::from("2030-01-01T01:00:00Z"));
    assert_eq!(renewed.get("replace_at"), &Value::from("2030-01-01T02:00:00Z"));
    assert!(dir.path().join(renewed.get("id").as_str().unwrap()).is_file());
}
