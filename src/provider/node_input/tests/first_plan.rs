//! The reader on a first plan: the CA and the token still unknown, and
//! what kubeadm would refuse already an error.

use super::*;

#[test]
fn first_plan_good_inputs_pass() {
    let (spec, diags) = read(&first_plan());
    assert!(spec.is_none(), "the CA and token are unknown");
    assert!(diags.is_empty(), "{diags:?}");
    let (spec, diags) = read(&all_known());
    assert!(diags.is_empty(), "{diags:?}");
    assert!(spec.is_some());
}

#[test]
fn first_plan_refuses_bad_subnets() {
    let c = |k: &str, v: &str| with(first_plan(), &format!("cluster.{k}"), Value::from(v));
    one_error(&c("pod_subnet", "10.0.0.0/33"), "Invalid pod_subnet", "cluster.pod_subnet", &["\"10.0.0.0/33\""]);
    one_error(&c("pod_subnet", "192.168.0.0/16,nope"), "Invalid pod_subnet", "cluster.pod_subnet", &["nope"]);
    one_error(&c("pod_subnet", "10.0.0.0/8,10.1.0.0/16"), "Invalid pod_subnet", "cluster.pod_subnet", &["dual stack"]);
    // kubeadm's node-mask rule: a /25 cannot hold a node's /24.
    one_error(
        &c("pod_subnet", "10.0.0.0/25"),
        "Invalid pod_subnet",
        "cluster.pod_subnet",
        &["node-cidr-mask-size-ipv4"],
    );
    // ... unless the controller manager does not allocate node ranges.
    let no_alloc = with(
        c("pod_subnet", "10.0.0.0/25"),
        "cluster.controller_manager.extra_args",
        obj(&[("allocate-node-cidrs", Value::from("false"))]),
    );
    assert!(read(&no_alloc).1.is_empty());
    one_error(
        &c("service_subnet", "10.0.0.0/33"),
        "Invalid service_subnet",
        "cluster.service_subnet",
        &["10.0.0.0/33"],
    );
    one_error(&c("service_subnet", "10.0.0.0/8"), "Invalid service_subnet", "cluster.service_subnet", &["/12"]);
    one_error(&c("service_subnet", "banana"), "Invalid service_subnet", "cluster.service_subnet", &["banana"]);
}

#[test]
fn first_plan_refuses_overlapping_subnets() {
    let both = |pod: &str, svc: &str| {
        with(with(first_plan(), "cluster.pod_subnet", Value::from(pod)), "cluster.service_subnet", Value::from(svc))
    };
    one_error(
        &both("10.96.0.0/16", "10.96.0.0/12"),
        "Overlapping subnets",
        "cluster.pod_subnet",
        &["10.96.0.0/16", "10.96.0.0/12"],
    );
    // Against the default service subnet (10.96.0.0/12).
    one_error(
        &with(first_plan(), "cluster.pod_subnet", Value::from("10.100.0.0/16")),
        "Overlapping subnets",
        "cluster.pod_subnet",
        &["10.96.0.0/12"],
    );
    // Any pod CIDR against any service CIDR: the IPv6 halves clash here.
    one_error(
        &both("10.244.0.0/16,fd00:1::/56", "fd00:1::/112,10.96.0.0/12"),
        "Overlapping subnets",
        "cluster.pod_subnet",
        &["fd00:1::/56 and fd00:1::/112"],
    );
    assert!(read(&both("10.244.0.0/16,fd00:1::/56", "10.96.0.0/12,fd00:2::/112")).1.is_empty());
}

#[test]
fn first_plan_refuses_bad_cluster_settings() {
    let c = |k: &str, v: &str| with(first_plan(), &format!("cluster.{k}"), Value::from(v));
    one_error(
        &c("kubernetes_version", "v1.14.0"),
        "Unsupported Kubernetes version",
        "cluster.kubernetes_version",
        &["v1.14.0", "1.22"],
    );
    one_error(
        &c("kubernetes_version", "latest"),
        "Unsupported Kubernetes version",
        "cluster.kubernetes_version",
        &["latest"],
    );
    one_error(&c("dns_domain", "Cluster.Local"), "Invalid dns_domain", "cluster.dns_domain", &["Cluster.Local"]);
    for e in ["https://api:6443", "api:99999", "api example", "API.example.com", "[fd00::1]"] {
        one_error(
            &c("control_plane_endpoint", e),
            "Invalid control_plane_endpoint",
            "cluster.control_plane_endpoint",
            &[e],
        );
    }
    one_error(&c("etcd.data_dir", "var/lib/etcd"), "Invalid etcd data_dir", "cluster.etcd.data_dir", &["absolute"]);
    one_error(
        &with(first_plan(), "cluster.api_server.cert_sans", Value::string_list(["api.example.com", "not a name"])),
        "Invalid cert_sans",
        "cluster.api_server.cert_sans[1]",
        &["not a name"],
    );
    // A join without an endpoint, and no CA at all.
    one_error(
        &with(first_plan(), "cluster.control_plane_endpoint", Value::Null),
        "Missing control_plane_endpoint",
        "cluster.control_plane_endpoint",
        &["worker"],
    );
    one_error(&with(first_plan(), "cluster_ca", Value::Null), "Missing cluster_ca", "cluster_ca", &["worker"]);
}

#[test]
fn first_plan_refuses_bad_labels_and_taints() {
    one_error(
        &with(first_plan(), "node.labels", obj(&[("node-role.kubernetes.io/worker", Value::from(""))])),
        "Invalid node label",
        "node.labels",
        &["kubelet"],
    );
    one_error(
        &with(first_plan(), "node.labels", obj(&[("pool", Value::from("a b"))])),
        "Invalid node label",
        "node.labels",
        &["a b"],
    );
    let taint = |k: &str, v: &str| {
        Value::List(vec![obj(&[
            ("key", Value::from(k)),
            ("value", Value::from(v)),
            ("effect", Value::from("NoSchedule")),
        ])])
    };
    one_error(
        &with(first_plan(), "node.taints", taint("bad key", "x")),
        "Invalid taint",
        "node.taints[0].key",
        &["bad key"],
    );
    one_error(
        &with(first_plan(), "node.taints", taint("ok", "x y")),
        "Invalid taint",
        "node.taints[0].value",
        &["x y"],
    );
}
