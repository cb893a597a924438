//! Compat mode: what the manifests give is checked as HCL is, and reported
//! at the object and YAML path it came from.

use super::*;

#[test]
fn first_plan_refuses_what_the_manifests_give() {
    assert!(read(&capi_first_plan(WORKER_YAML)).1.iter().all(|d| !d.is_error()));
    let detail = one_error(
        &capi_first_plan(&WORKER_YAML.replace("version: v1.31.4", "version: v1.14.0")),
        "Unsupported Kubernetes version",
        "capi_manifests",
        &["Machine default/demo-worker-0 (document 2), spec.version", "v1.14.0", "1.22"],
    );
    assert!(detail.contains("cluster.kubernetes_version"), "{detail}");
    // The HCL version overrides the Machine's.
    let over = with(
        capi_first_plan(&WORKER_YAML.replace("version: v1.31.4", "version: v1.14.0")),
        "cluster.kubernetes_version",
        Value::from("v1.31.4"),
    );
    assert!(read(&over).1.iter().all(|d| !d.is_error()));
    one_error(
        &with(capi_first_plan(WORKER_YAML), "cluster.kubernetes_version", Value::from("v1.14.0")),
        "Unsupported Kubernetes version",
        "cluster.kubernetes_version",
        &["v1.14.0"],
    );
    one_error(
        &capi_first_plan(&WORKER_YAML.replace("- 192.168.0.0/16", "- 192.168.0.0/33")),
        "Invalid pod_subnet",
        "capi_manifests",
        &["Cluster default/demo (document 1), spec.clusterNetwork.pods.cidrBlocks", "192.168.0.0/33"],
    );
    one_error(
        &capi_first_plan(&WORKER_YAML.replace("- 192.168.0.0/16", "- 10.96.0.0/16")),
        "Overlapping subnets",
        "capi_manifests",
        &["spec.clusterNetwork.pods.cidrBlocks", "10.96.0.0/12"],
    );
    one_error(
        &capi_first_plan(&WORKER_YAML.replace("serviceDomain: cluster.local", "serviceDomain: Cluster_Local")),
        "Invalid dns_domain",
        "capi_manifests",
        &["spec.clusterNetwork.serviceDomain"],
    );
    // A MachineDeployment gives the version at its own path.
    let md = include_str!("../../../../tests/fixtures/capi/v1beta1/machinedeployment.yaml");
    assert!(md.contains("version: v1.30.8"));
    one_error(
        &capi_first_plan(&md.replace("version: v1.30.8", "version: v1.14.0")),
        "Unsupported Kubernetes version",
        "capi_manifests",
        &["spec.template.spec.version"],
    );
    // Unknown manifests: nothing to say yet.
    assert!(read(&with(capi_first_plan(""), "capi_manifests", Value::unknown())).1.is_empty());
}

#[test]
fn every_capi_fixture_passes_the_checks() {
    macro_rules! fixtures {
        ($($f:literal),*) => { [$(($f, include_str!(concat!("../../../../tests/fixtures/capi/", $f)))),*] };
    }
    for (name, yaml) in fixtures!(
        "v1beta1/init.yaml",
        "v1beta1/control-plane-join.yaml",
        "v1beta1/worker.yaml",
        "v1beta1/machinedeployment.yaml",
        "v1beta1/kubeadmcontrolplane.yaml",
        "v1beta2/init.yaml",
        "v1beta2/control-plane-join.yaml",
        "v1beta2/worker.yaml",
        "v1beta2/machinedeployment.yaml",
        "v1beta2/kubeadmcontrolplane.yaml"
    ) {
        let (_, diags) = read(&capi_first_plan(yaml));
        assert!(!diags.has_errors(), "{name}: {diags:?}");
    }
}
