//! The first `terraform plan` of a new cluster: `kubeadm_cluster_ca` and
//! `kubeadm_bootstrap_token` are created in the same apply, so the whole
//! objects handed to `kubeadm_ignition_config` are still unknown. Whatever
//! kubeadm would refuse must fail right there, with the attribute at fault,
//! not at apply after the CA and the token were created.
//!
//! Each case writes one configuration into a fresh working directory and runs
//! only `terraform plan`, against every Terraform found.

use crate::support;

use support::hcl::{Node, CA_AND_TOKEN};
use support::{blocks, config, repo_root, terraforms, Terraform, WorkDir};

/// A worker whose CA and token are created in the same apply; `cluster`
/// attributes (HCL expressions) replace or extend the good defaults.
fn worker(cluster: &[(&str, &str)]) -> String {
    let node = cluster.iter().fold(Node::resource("n", "worker"), |n, (k, v)| n.cluster(k, *v));
    format!("{CA_AND_TOKEN}{node}")
}

/// A compat-mode node: everything but the CA and the token comes from
/// `capi.yaml`.
fn compat() -> String {
    format!(
        r#"{CA_AND_TOKEN}
resource "kubeadm_ignition_config" "n" {{
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  capi_manifests  = file("capi.yaml")
}}
"#
    )
}

/// The Cluster API worker fixture (Cluster, Machine, KubeadmConfig).
fn capi_worker() -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures/capi/v1beta1/worker.yaml")).expect("read the fixture")
}

/// Runs `terraform plan` on `body` (plus `files`) in a fresh directory.
fn plan(tf: &Terraform, body: &str, files: &[(&str, &str)]) -> support::Run {
    let wd = WorkDir::new(tf);
    for (name, text) in files {
        std::fs::write(wd.path().join(name), text).expect("write a case file");
    }
    wd.write_config(&config(body));
    wd.init();
    let r = wd.run(&["plan", "-input=false", "-no-color"]);
    // A plan creates nothing, whatever its outcome.
    assert!(!wd.path().join("terraform.tfstate").exists(), "plan wrote a state on {}", tf.version);
    r
}

/// Whether `block` quotes a source line `NN: <attr> ...`: Terraform maps
/// the diagnostic's attribute path back to the configuration.
fn shows_source_line(block: &str, attr: &str) -> bool {
    block.lines().any(|l| {
        let Some((num, rest)) = l.trim().split_once(':') else { return false };
        !num.is_empty()
            && num.bytes().all(|b| b.is_ascii_digit())
            && rest
                .trim_start()
                .strip_prefix(attr)
                .is_some_and(|after| after.is_empty() || after.starts_with(' ') || after.starts_with('='))
    })
}

/// `terraform plan` fails on every Terraform with exactly one error:
/// `summary`, in `kubeadm_ignition_config.n`, pointing at `attr`'s source
/// line, its text containing each of `detail`.
#[track_caller]
fn plan_fails(body: &str, files: &[(&str, &str)], summary: &str, attr: &str, detail: &[&str]) {
    for tf in terraforms() {
        let r = plan(&tf, body, files);
        let text = r.combined();
        assert_ne!(r.code, 0, "plan succeeded on {} but must fail with {summary:?}:\n{text}", tf.version);
        assert!(!text.contains("panic") && !text.contains("crashed"), "the provider crashed:\n{text}");
        let errors: Vec<String> = blocks(&text).into_iter().filter(|b| b.starts_with("Error: ")).collect();
        assert_eq!(errors.len(), 1, "want one error {summary:?} on {}, got:\n{text}", tf.version);
        let e = &errors[0];
        assert!(e.starts_with(&format!("Error: {summary}\n")), "want {summary:?} on {}:\n{e}", tf.version);
        assert!(e.contains("with kubeadm_ignition_config.n"), "the error names no resource on {}:\n{e}", tf.version);
        assert!(shows_source_line(e, attr), "the error does not point at {attr} on {}:\n{e}", tf.version);
        let flat = e.split_whitespace().collect::<Vec<_>>().join(" ");
        for d in detail {
            assert!(flat.contains(d), "the error lacks {d:?} on {}:\n{e}", tf.version);
        }
    }
}

/// `terraform plan` succeeds on every Terraform.
fn plan_succeeds(body: &str, files: &[(&str, &str)]) {
    for tf in terraforms() {
        let r = plan(&tf, body, files);
        let text = r.combined();
        assert_eq!(r.code, 0, "plan failed on {}:\n{text}", tf.version);
        assert!(text.contains("kubeadm_ignition_config.n will be created"), "no node in the plan:\n{text}");
        assert!(!text.contains("Error: "), "{text}");
    }
}

#[test]
fn good_inputs_plan() {
    plan_succeeds(
        &worker(&[
            ("pod_subnet", "\"10.244.0.0/16,fd00:10:244::/56\""),
            ("service_subnet", "\"10.96.0.0/12,fd00:10:96::/112\""),
        ]),
        &[],
    );
}

#[test]
fn good_manifests_plan() {
    plan_succeeds(&compat(), &[("capi.yaml", &capi_worker())]);
}

#[test]
fn pod_subnet_33_fails_at_first_plan() {
    plan_fails(
        &worker(&[("pod_subnet", "\"10.0.0.0/33\"")]),
        &[],
        "Invalid pod_subnet",
        "pod_subnet",
        &["\"10.0.0.0/33\" is not a CIDR"],
    );
}

#[test]
fn service_subnet_33_fails_at_first_plan() {
    plan_fails(
        &worker(&[("service_subnet", "\"10.96.0.0/33\"")]),
        &[],
        "Invalid service_subnet",
        "service_subnet",
        &["\"10.96.0.0/33\" is not a CIDR"],
    );
}

#[test]
fn overlapping_subnets_fail_at_first_plan() {
    plan_fails(
        &worker(&[("pod_subnet", "\"10.96.0.0/16\""), ("service_subnet", "\"10.96.0.0/12\"")]),
        &[],
        "Overlapping subnets",
        "pod_subnet",
        &["10.96.0.0/16", "10.96.0.0/12"],
    );
}

#[test]
fn unsupported_hcl_version_fails_at_first_plan() {
    plan_fails(
        &worker(&[("kubernetes_version", "\"v1.14.0\"")]),
        &[],
        "Unsupported Kubernetes version",
        "kubernetes_version",
        &["v1.14.0", "1.22"],
    );
}

#[test]
fn machine_version_1_14_fails_at_first_plan() {
    let yaml = capi_worker();
    assert!(yaml.contains("version: v1.31.4"), "the fixture changed");
    plan_fails(
        &compat(),
        &[("capi.yaml", &yaml.replace("version: v1.31.4", "version: v1.14.0"))],
        "Unsupported Kubernetes version",
        "capi_manifests",
        &["Machine default/demo-worker-0 (document 2), spec.version", "v1.14.0", "1.22"],
    );
}

#[test]
fn data_source_pod_subnet_fails_at_first_plan() {
    let body = format!(
        r#"{CA_AND_TOKEN}
data "kubeadm_ignition_config" "n" {{
  role            = "worker"
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  cluster {{
    name                   = "prod"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.prod.example.com:6443"
    pod_subnet             = "10.0.0.0/33"
  }}
}}
"#
    );
    for tf in terraforms() {
        let r = plan(&tf, &body, &[]);
        let text = r.combined();
        assert_ne!(r.code, 0, "plan succeeded on {}:\n{text}", tf.version);
        let errors: Vec<String> = blocks(&text).into_iter().filter(|b| b.starts_with("Error: ")).collect();
        assert_eq!(errors.len(), 1, "{text}");
        assert!(errors[0].starts_with("Error: Invalid pod_subnet\n"), "{text}");
        assert!(errors[0].contains("with data.kubeadm_ignition_config.n"), "{text}");
        assert!(shows_source_line(&errors[0], "pod_subnet"), "{text}");
    }
}
