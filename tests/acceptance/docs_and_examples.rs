//! The committed docs match the schema and examples (regenerate with
//! `UPDATE_DOCS=1 cargo test --test acceptance docs_and_examples::` or
//! `terraform-provider-kubeadm docs`), and every example applies for real.

use crate::support;

use std::process::Command;

use support::{provider_binary, repo_root, run_case, Step};

#[test]
fn docs_are_current() {
    let update = support::switch("UPDATE_DOCS").is_some_and(|v| v == "1");
    let mut cmd = Command::new(provider_binary());
    cmd.arg("docs").arg(repo_root());
    if !update {
        cmd.arg("--check");
    }
    let out = cmd.output().expect("run the docs generator");
    assert!(
        out.status.success(),
        "docs are stale; run `UPDATE_DOCS=1 cargo test --test acceptance docs_and_examples::`:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for page in [
        "docs/index.md",
        "docs/resources/bootstrap_token.md",
        "docs/resources/cluster_ca.md",
        "docs/resources/ignition_config.md",
        "docs/resources/kubeconfig.md",
        "docs/ephemeral-resources/kubeconfig.md",
        "docs/data-sources/ignition_config.md",
        "docs/data-sources/capi_manifests.md",
        "docs/data-sources/cluster_health.md",
        "docs/guides/migrating-from-cluster-api.md",
        "docs/guides/how-a-node-boots.md",
        "docs/guides/operating-systems.md",
        "docs/guides/kubernetes-artifacts.md",
        "docs/guides/s3-store.md",
        "docs/guides/rotating-bootstrap-tokens.md",
        "docs/guides/user-data-modes.md",
        "docs/guides/day-2.md",
        "docs/guides/bring-your-own-ca.md",
        "docs/guides/bootstrap-a-cluster-on-aws.md",
        "docs/guides/testing-modules.md",
        "CHANGELOG.md",
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
            // Both configs stored where the output says.
            for node in ["init", "worker"] {
                let at = s.output("stored_configs")[node].as_str().unwrap_or_default().to_string();
                if !s.dir.join(&at).is_file() {
                    return Err(format!("{node} config not stored at {at}"));
                }
            }
            // The worker's user data: a pointer to base_url with the config's sha512, no secret.
            let user_data = s.output("worker_user_data").as_str().unwrap_or_default().to_string();
            let pointer: serde_json::Value = serde_json::from_str(&user_data).map_err(|e| e.to_string())?;
            let replace = &pointer["ignition"]["config"]["replace"];
            let sha = s.output("worker_user_data_sha512").as_str().unwrap_or_default().to_string();
            if !replace["source"].as_str().is_some_and(|u| u.starts_with("http://127.0.0.1:8080/"))
                || replace["verification"]["hash"] != serde_json::json!(format!("sha512-{sha}"))
            {
                return Err(format!("worker_user_data is not a pointer config: {user_data}"));
            }
            let token = s.str("kubeadm_bootstrap_token.join", "token");
            if user_data.contains(&token) {
                return Err("the token is in user_data".into());
            }
            Ok(())
        })],
    );
}

/// Complete examples (a directory with its own configuration) in Terraform's format.
const COMPLETE_EXAMPLES: [&str; 2] = ["examples/quickstart", "examples/capi-migration"];

#[test]
fn examples_are_formatted_and_valid() {
    let tf = support::terraforms().pop().expect("a Terraform binary");
    let fmt = support::WorkDir::new(&tf)
        .command(&["fmt", "-check", "-recursive", "-diff", &repo_root().join("examples").display().to_string()])
        .output()
        .expect("terraform fmt");
    assert!(
        fmt.status.success(),
        "terraform fmt -check -recursive examples:\n{}{}",
        String::from_utf8_lossy(&fmt.stdout),
        String::from_utf8_lossy(&fmt.stderr)
    );
    for tf in support::terraforms() {
        for example in COMPLETE_EXAMPLES {
            let wd = support::WorkDir::new(&tf);
            let src = repo_root().join(example);
            copy_dir(&src, wd.path());
            wd.init();
            let r = wd.run(&["validate", "-no-color"]);
            assert_eq!(r.code, 0, "terraform validate of {example} on {}:\n{}", tf.version, r.combined());
        }
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.ends_with(".tfstate") || name.ends_with(".tfstate.backup") {
            continue;
        }
        let target = to.join(&*name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every code block of the module-testing guide that names its source
/// (`<!-- snippet: PATH -->` on the line before) still appears in that file,
/// line for line (leading whitespace aside), so the guide cannot drift from
/// the tests it was copied from.
#[test]
fn testing_guide_snippets_come_from_the_tests() {
    let guide = read("docs/guides/testing-modules.md");
    let normalize = |text: &str| text.lines().map(str::trim_start).collect::<Vec<_>>().join("\n");
    let mut checked = 0;
    let mut lines = guide.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(path) = line.trim().strip_prefix("<!-- snippet:").and_then(|r| r.strip_suffix("-->")) else {
            continue;
        };
        let path = path.trim();
        let fence = lines.next().unwrap_or_default();
        assert!(fence.starts_with("```"), "the snippet from {path} must follow its marker directly, found {fence:?}");
        let mut block = Vec::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            block.push(l);
        }
        let snippet = normalize(&block.join("\n"));
        assert!(!snippet.trim().is_empty(), "an empty snippet from {path}");
        let source = normalize(&read(path));
        assert!(
            source.contains(&snippet),
            "docs/guides/testing-modules.md quotes {path}, which no longer holds:\n{}",
            block.join("\n")
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} snippets found in the guide");
}
