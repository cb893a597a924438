//! Certificate lifetimes, the init re-render warning, and errors reported
//! once when everything is known.

use super::*;
use crate::bootstrap::duration::GoDuration;

#[test]
fn certificate_validity_is_checked_where_it_is_given() {
    let c = |v: &str| with(first_plan(), "cluster.certificate_validity", Value::from(v));
    for bad in ["abc", "90d", "1y"] {
        one_error(&c(bad), "Invalid certificate_validity", "cluster.certificate_validity", &[bad, "8760h"]);
    }
    for zero in ["0s", "0", "-720h"] {
        one_error(&c(zero), "Invalid certificate_validity", "cluster.certificate_validity", &[zero, "positive"]);
    }
    let old = with(c("2160h"), "cluster.kubernetes_version", Value::from("v1.30.8"));
    one_error(
        &old,
        "certificate_validity needs Kubernetes 1.31+",
        "cluster.certificate_validity",
        &["v1.30.8", "v1beta4", "certificateValidityPeriod"],
    );
    // Unknown while the first plan runs: nothing to say yet.
    assert!(read(&with(first_plan(), "cluster.certificate_validity", Value::unknown())).1.is_empty());
    // Known and good: into the node model, in Go's own spelling.
    let good = with(with(all_known(), "role", Value::from("init")), "cluster.certificate_validity", Value::from("90m"));
    let (spec, diags) = read(&good);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(spec.unwrap().cluster.certificate_validity.map(GoDuration::format).as_deref(), Some("1h30m0s"));
    // Longer than kubeadm's year: kubeadm's own warning, at plan time only.
    let long = with(good.clone(), "cluster.certificate_validity", Value::from("17520h"));
    assert!(read(&long).1.is_empty());
    let (spec, diags) = read_at_plan(&long);
    assert!(spec.is_some());
    let warnings: Vec<&Diagnostic> = diags.iter().collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(!warnings[0].is_error() && warnings[0].summary == "Long certificate_validity", "{warnings:?}");
    assert_eq!(warnings[0].path, Some(path("cluster.certificate_validity")));
}

#[test]
fn certificate_validity_from_the_manifests_yields_to_hcl() {
    let manifests = "apiVersion: bootstrap.cluster.x-k8s.io/v1beta2\nkind: KubeadmConfig\nmetadata: {name: cp-0}\nspec:\n  clusterConfiguration:\n    certificateValidityPeriodDays: 90\n";
    let compat = with(with(all_known(), "role", Value::from("init")), "capi_manifests", Value::from(manifests));
    let validity = |config: &Value| {
        let (spec, diags) = read_at_plan(config);
        (spec.and_then(|s| s.cluster.certificate_validity).map(GoDuration::format), diags)
    };
    let (v, diags) = validity(&compat);
    assert_eq!(v.as_deref(), Some("2160h0m0s"), "{diags:?}");
    assert!(diags.is_empty(), "{diags:?}");
    let (v, _) = validity(&with(compat.clone(), "cluster.certificate_validity", Value::from("720h")));
    assert_eq!(v.as_deref(), Some("720h0m0s"));
    // On kubeadm v1beta3 Cluster API drops it, with a warning at the field; no error.
    let (v, diags) = validity(&with(compat, "cluster.kubernetes_version", Value::from("v1.30.8")));
    assert_eq!(v, None);
    assert!(!diags.has_errors(), "{diags:?}");
    assert!(diags.iter().any(|d| d.detail.contains("certificateValidityPeriodDays")), "{diags:?}");
}

#[test]
fn a_rerendered_init_config_warns_what_its_machines_do() {
    let init = with(all_known(), "role", Value::from("init"));
    let spec = read(&init).0.unwrap();
    // With an endpoint the machine decides at boot: no warning.
    assert!(init_rerender_warning(&spec).is_none());
    let mut lone = spec.clone();
    lone.cluster.control_plane_endpoint.clear();
    let w = init_rerender_warning(&lone).unwrap();
    assert!(!w.is_error());
    assert_eq!(w.path, Some(path("cluster.control_plane_endpoint")));
    assert!(w.detail.contains("always runs kubeadm init"), "{}", w.detail);
    let worker = read(&all_known()).0.unwrap();
    assert!(init_rerender_warning(&worker).is_none());
}

#[test]
fn known_inputs_report_once() {
    // Everything known: the same checks, each error once.
    let bad = with(all_known(), "cluster.pod_subnet", Value::from("10.0.0.0/33"));
    one_error(&bad, "Invalid pod_subnet", "cluster.pod_subnet", &["10.0.0.0/33"]);
    let bad = with(all_known(), "cluster.kubernetes_version", Value::from("v1.14.0"));
    one_error(&bad, "Unsupported Kubernetes version", "cluster.kubernetes_version", &["v1.14.0"]);
    let bad = with(all_known(), "node.labels", obj(&[("kubernetes.io/role", Value::from("x"))]));
    one_error(&bad, "Invalid node label", "node.labels", &["kubernetes.io/role"]);
    let ca = with(all_known(), "cluster_ca.ca_cert_hash", Value::from(""));
    one_error(&ca, "Incomplete cluster_ca", "cluster_ca", &["ca_cert_hash"]);
    let token = with(all_known(), "bootstrap_token.token", Value::from("nope"));
    one_error(&token, "Invalid bootstrap_token", "bootstrap_token", &["not a kubeadm token"]);
    // The schema no longer reports versions itself, so validation shows one error.
    let mut diags = Diagnostics::new();
    let bad = with(all_known(), "cluster.kubernetes_version", Value::from("v1.14.0"));
    crate::tfplugin::planning::validate(&input_block(), &bad, &AttrPath::root(), &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
}
