//! The committed docs match the schema and examples (regenerate with
//! `UPDATE_DOCS=1 cargo test --test docs_and_examples` or
//! `terraform-provider-kubeadm docs`), and every example applies for real.

mod support;

use std::process::Command;

use support::{provider_binary, repo_root, run_case, Step};

#[test]
fn docs_are_current() {
    let update = std::env::var("UPDATE_DOCS").is_ok_and(|v| v == "1");
    let mut cmd = Command::new(provider_binary());
    cmd.arg("docs").arg(repo_root());
    if !update {
        cmd.arg("--check");
    }
    let out = cmd.output().expect("run the docs generator");
    assert!(
        out.status.success(),
        "docs are stale; run `UPDATE_DOCS=1 cargo test --test docs_and_examples`:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for page in [
        "docs/index.md",
        "docs/resources/bootstrap_token.md",
        "docs/resources/cluster_ca.md",
        "docs/resources/ignition_config.md",
        "docs/data-sources/ignition_config.md",
        "docs/data-sources/capi_manifests.md",
        "docs/guides/migrating-from-cluster-api.md",
        "docs/guides/how-a-node-boots.md",
        "docs/guides/operating-systems.md",
        "docs/guides/kubernetes-artifacts.md",
        "docs/guides/s3-store.md",
    ] {
        assert!(repo_root().join(page).is_file(), "{page} is missing");
    }
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn provider_and_resource_examples_apply() {
    let config = format!(
        "{}\n{}\n{}\n{}\n{}",
        read("examples/provider/provider.tf"),
        read("examples/resources/kubeadm_bootstrap_token/resource.tf"),
        read("examples/resources/kubeadm_cluster_ca/resource.tf"),
        read("examples/resources/kubeadm_ignition_config/resource.tf"),
        read("examples/data-sources/kubeadm_ignition_config/data-source.tf")
    );
    run_case(
        "registry examples",
        &[Step::config(config).check(|s| {
            let id = s.str("kubeadm_bootstrap_token.workers", "token_id");
            if id.len() != 6 {
                return Err(format!("unexpected token id {id:?}"));
            }
            let rendered = s.output("worker_config_sha512");
            if rendered.as_str().map(str::len) != Some(128) {
                return Err(format!("worker_config_sha512 output is {rendered}"));
            }
            for node in ["init", "worker"] {
                let path = s.dir.join(s.str(&format!("kubeadm_ignition_config.{node}"), "object_url"));
                if !path.is_file() {
                    return Err(format!("{} was not stored", path.display()));
                }
            }
            let hash = s.output("discovery_hash");
            if !hash.as_str().is_some_and(|h| h.starts_with("sha256:") && h.len() == 71) {
                return Err(format!("discovery_hash output is {hash}"));
            }
            Ok(())
        })],
    );
}

#[test]
fn quickstart_applies() {
    run_case(
        "quickstart",
        &[Step::config(read("examples/quickstart/main.tf")).check(|s| {
            if !s.output("ca_cert_hash").as_str().is_some_and(|h| h.starts_with("sha256:")) {
                return Err("ca_cert_hash output missing".into());
            }
            let id = s.output("join_token_id");
            if id.as_str().map(str::len) != Some(6) {
                return Err(format!("join_token_id output is {id}"));
            }
            Ok(())
        })],
    );
}
