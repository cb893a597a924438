//! Upgrade safety: state written by earlier versions of the provider loads
//! into the current one, on every Terraform found.
//!
//! Every resource is still at schema version 0; what changed is the set of
//! attributes. `kubeadm_ignition_config` (resource and data source) gained
//! `capi_manifests`, `capi_secrets`, `node.kubeadm_verbosity` and five
//! `users` fields (`primary_group`, `gecos`, `home_dir`, `shell`,
//! `password_hash`) in 0b77c58, where `role`, `cluster.name` and
//! `cluster.kubernetes_version` also became optional (10a06b6 and earlier
//! had the shape the fixtures hold). The resource alone later gained
//! `user_data_mode`, `replace_after`, `rendered_at` and `replace_at`: null
//! after the upgrade, except `rendered_at`, which the first refresh records.
//! `kubeadm_cluster_ca` and `kubeadm_bootstrap_token` have kept their
//! attributes since they were added; their fixtures pin that first shape.
//!
//! The fixtures in `tests/fixtures/state/` are real states of the earlier
//! schema: the configs below applied by Terraform 1.0.3 with a release build
//! of 10a06b6 (the commit before compat mode).
//! `tests/fixtures/state/regenerate.sh` builds that release and writes them
//! again.
//!
//! For each fixture and Terraform: the state and the matching config go into
//! a fresh directory (with the stored objects the state points at), then
//!
//! 1. `plan` must succeed and be empty; the only change tolerated is an
//!    in-place re-render of an ignition config whose rendered output differs
//!    from the fixture's (a later renderer change), touching rendered outputs
//!    only and replacing nothing;
//! 2. `apply -refresh-only` stores the upgraded state, and `show -json` must
//!    show every attribute added since as null, and every old attribute with
//!    its old value, except the write-only inputs of `kubeadm_ignition_config`
//!    (`cluster_ca`, `bootstrap_token`), which Terraform 1.11 and later drop;
//! 3. what still plans (nothing, or those re-renders only) is applied, and
//!    then the plan must be empty in every case; `destroy` works.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value as Json};
use support::{config, repo_root, terraforms, Terraform, WorkDir};

/// Inputs of `kubeadm_ignition_config` that became write-only.
const WRITE_ONLY_INPUTS: [&str; 2] = ["cluster_ca", "bootstrap_token"];

/// What each resource type gained since the fixtures' schema: top-level
/// attributes, and attributes inside nested blocks (`block.attr`; list
/// blocks apply to every element).
fn added(ty: &str) -> &'static [&'static str] {
    match ty {
        "kubeadm_ignition_config" => &[
            "capi_manifests",
            "capi_secrets",
            "node.kubeadm_verbosity",
            "users.primary_group",
            "users.gecos",
            "users.home_dir",
            "users.shell",
            "users.password_hash",
            "cluster.certificate_validity",
        ],
        _ => &[],
    }
}

/// The attributes an ignition config re-renders when the renderer changes.
const RENDERED: [&str; 7] =
    ["id", "rendered_sha512", "object_url", "user_data", "user_data_size", "kubeadm_config", "user_data_presigned"];

struct Fixture {
    name: &'static str,
    body: &'static str,
}

const TOKENS: &str = r#"
resource "kubeadm_bootstrap_token" "generated" {}

resource "kubeadm_bootstrap_token" "supplied" {
  token        = "abcdef.0123456789abcdef"
  ttl          = "0"
  description  = "fixed"
  usages       = ["authentication"]
  groups       = ["system:bootstrappers:kubeadm:default-node-token", "system:bootstrappers:pool-a"]
}

resource "kubeadm_bootstrap_token" "rotating" {
  ttl          = "87600h"
  renew_before = "1h"
}
"#;

const CAS: &str = r#"
resource "kubeadm_cluster_ca" "ecdsa" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_cluster_ca" "rsa" {
  cluster_name  = "staging"
  validity_days = 3000
}
"#;

const NODES: &str = r#"
resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "join" {
  ttl         = "0"
  description = "upgrade fixture"
}

resource "kubeadm_ignition_config" "cp0" {
  role            = "init"
  name            = "cp0"
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  cluster {
    name                   = "prod"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.prod.example.com:6443"
    pod_subnet             = "192.168.0.0/16"
    api_server {
      cert_sans = ["10.0.0.10"]
    }
  }
  node {
    labels = { tier = "control-plane" }
  }
}

resource "kubeadm_ignition_config" "w0" {
  role            = "worker"
  name            = "w0"
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  cluster {
    name                   = "prod"
    kubernetes_version     = "v1.30.2"
    control_plane_endpoint = "api.prod.example.com:6443"
    pod_subnet             = "192.168.0.0/16"
  }
  node {
    name_from          = "aws"
    labels             = { pool = "a" }
    taints             = [{ key = "dedicated", value = "infra", effect = "NoSchedule" }]
    kubelet_extra_args = { "max-pods" = "110" }
  }
  users {
    name                = "core"
    ssh_authorized_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7dSkdwVHXUxLJpjVaLDNdNBTA5fLj7EMUAVGf1AdRF upgrade@test"]
    groups              = ["wheel"]
  }
  files {
    path    = "/etc/motd"
    content = "managed by terraform\n"
  }
  ntp {
    servers = ["169.254.169.123"]
  }
  kubeadm_config_patches {
    join_configuration = yamlencode({ nodeRegistration = { imagePullPolicy = "IfNotPresent" } })
  }
}

data "kubeadm_ignition_config" "inline" {
  role            = "worker"
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  cluster {
    name                   = "prod"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "api.prod.example.com:6443"
  }
  users {
    name = "ops"
  }
}
"#;

fn fixtures() -> Vec<Fixture> {
    vec![
        Fixture { name: "bootstrap_token_v0", body: TOKENS },
        Fixture { name: "cluster_ca_v0", body: CAS },
        Fixture { name: "ignition_config_before_capi", body: NODES },
    ]
}

fn fixture_path(name: &str) -> std::path::PathBuf {
    repo_root().join("tests/fixtures/state").join(format!("{name}.tfstate"))
}

/// Removes `attr` (`a` or `block.a`) from an attribute object.
fn strip(attrs: &mut Json, attr: &str) {
    match attr.split_once('.') {
        None => {
            if let Some(m) = attrs.as_object_mut() {
                m.remove(attr);
            }
        }
        Some((block, inner)) => match &mut attrs[block] {
            Json::Array(items) => items.iter_mut().for_each(|i| strip(i, inner)),
            Json::Object(_) => strip(&mut attrs[block], inner),
            _ => {}
        },
    }
}

/// The value of `attr` (`a` or `block.a`): one per list element.
fn values_of(attrs: &Json, attr: &str) -> Vec<Json> {
    match attr.split_once('.') {
        None => vec![attrs.get(attr).cloned().unwrap_or(Json::Null)],
        Some((block, inner)) => match &attrs[block] {
            Json::Array(items) => items.iter().flat_map(|i| values_of(i, inner)).collect(),
            o @ Json::Object(_) => values_of(o, inner),
            _ => vec![],
        },
    }
}

/// The objects `attr` (`a` or `block.a`) belongs in, with its last name:
/// the attribute object itself, or each element of a set block.
fn holders<'a>(attrs: &'a Json, attr: &'a str) -> Vec<(&'a Json, &'a str)> {
    match attr.split_once('.') {
        None => vec![(attrs, attr)],
        Some((block, inner)) => match &attrs[block] {
            Json::Array(items) => items.iter().flat_map(|i| holders(i, inner)).collect(),
            o @ Json::Object(_) => holders(o, inner),
            _ => vec![],
        },
    }
}

/// Whether any object `attr` belongs in has it (possibly as null).
fn has_any(attrs: &Json, attr: &str) -> bool {
    holders(attrs, attr).iter().any(|(o, k)| o.as_object().is_some_and(|m| m.contains_key(*k)))
}

/// Whether every object `attr` belongs in has it (possibly as null).
fn has_all(attrs: &Json, attr: &str) -> bool {
    holders(attrs, attr).iter().all(|(o, k)| o.as_object().is_some_and(|m| m.contains_key(*k)))
}

/// Writes the fixtures: applies the configs with Terraform 1.0.3 (the oldest
/// supported, so every version reads its state format) and removes what the
/// earlier schema did not have.
/// Writes the fixtures again with the released provider of the earlier
/// schema (`KUBEADM_FIXTURE_PROVIDER`, a release build of 10a06b6, the commit
/// before compat mode; `tests/fixtures/state/regenerate.sh` makes it), so
/// they are what that release wrote, not a reconstruction by this one.
fn regenerate(tf: &Terraform) {
    let binary = support::switch("KUBEADM_FIXTURE_PROVIDER").unwrap_or_else(|| {
        panic!("UPDATE_STATE_FIXTURES needs KUBEADM_FIXTURE_PROVIDER: run tests/fixtures/state/regenerate.sh")
    });
    for f in fixtures() {
        let wd = WorkDir::new(tf);
        support::install_mirror_of(&wd, Path::new(&binary));
        wd.write_config(&config(f.body));
        wd.ok_direct(&["init", "-input=false", "-no-color"]);
        wd.ok_direct(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let state: Json =
            serde_json::from_slice(&std::fs::read(wd.path().join("terraform.tfstate")).expect("state")).expect("JSON");
        for r in state["resources"].as_array().expect("resources") {
            let ty = r["type"].as_str().unwrap_or_default().to_string();
            for inst in r["instances"].as_array().expect("instances") {
                assert_eq!(inst["schema_version"], 0, "{ty}: a schema version other than 0");
                for a in added(&ty) {
                    let mut probe = inst["attributes"].clone();
                    let before = probe.clone();
                    strip(&mut probe, a);
                    assert_eq!(probe, before, "{ty}: the provider at {binary} already has {a}: not the earlier schema");
                }
            }
        }
        let path = fixture_path(f.name);
        std::fs::create_dir_all(path.parent().expect("dir")).expect("fixture dir");
        std::fs::write(&path, serde_json::to_string_pretty(&state).expect("JSON") + "\n").expect("write fixture");
        wd.ok_direct(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        eprintln!("wrote {}", path.display());
    }
}

/// `address → attributes` of the managed and data resources in a state file.
fn attributes(state: &Json) -> BTreeMap<String, Json> {
    let mut out = BTreeMap::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        let prefix = if r["mode"] == "data" { "data." } else { "" };
        let addr =
            format!("{prefix}{}.{}", r["type"].as_str().unwrap_or_default(), r["name"].as_str().unwrap_or_default());
        for inst in r["instances"].as_array().into_iter().flatten() {
            out.insert(addr.clone(), inst["attributes"].clone());
        }
    }
    out
}

/// Writes the stored objects a state points at (with the local store and no
/// `base_url`, `user_data` is the whole stored config).
fn restore_objects(dir: &Path, state: &Json) {
    for (addr, attrs) in attributes(state) {
        if addr.starts_with("kubeadm_ignition_config.") {
            let url = attrs["object_url"].as_str().expect("object_url");
            let path = dir.join(url);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("store dir");
            std::fs::write(&path, attrs["user_data"].as_str().expect("user_data")).expect("stored object");
        }
    }
}

/// The planned changes, as `show -json <plan_file>` lists them.
fn planned_changes(wd: &WorkDir, plan_file: &str) -> Vec<Json> {
    let r = wd.ok(&["show", "-json", "-no-color", plan_file]);
    let plan: Json = serde_json::from_str(&r.stdout).expect("plan JSON");
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["change"]["actions"] != json!(["no-op"]) && c["change"]["actions"] != json!(["read"]))
        .cloned()
        .collect()
}

/// An in-place re-render of an ignition config that touches rendered outputs only.
fn is_rerender(change: &Json) -> Result<(), String> {
    let addr = change["address"].as_str().unwrap_or_default();
    if change["type"] != "kubeadm_ignition_config" || change["change"]["actions"] != json!(["update"]) {
        return Err(format!("{addr}: {}", change["change"]["actions"]));
    }
    let (before, after) = (&change["change"]["before"], &change["change"]["after"]);
    let unknown = &change["change"]["after_unknown"];
    for (k, b) in before.as_object().into_iter().flatten() {
        let changed = after.get(k) != Some(b) || unknown.get(k).is_some_and(|u| u != &json!(false));
        if changed && !RENDERED.contains(&k.as_str()) {
            return Err(format!("{addr}: input attribute {k} changes"));
        }
    }
    Ok(())
}

fn upgrade_on(tf: &Terraform, f: &Fixture) -> Vec<String> {
    let mut notes = Vec::new();
    let ctx = format!("{} on {}", f.name, tf.label());
    let text = std::fs::read_to_string(fixture_path(f.name))
        .unwrap_or_else(|e| panic!("{ctx}: no fixture ({e}); write it with UPDATE_STATE_FIXTURES=1"));
    let old: Json = serde_json::from_str(&text).expect("fixture JSON");
    assert_eq!(old["version"], 4, "{ctx}: not a version 4 state");
    let wd = WorkDir::new(tf);
    wd.write_config(&config(f.body));
    std::fs::write(wd.path().join("terraform.tfstate"), &text).expect("state");
    restore_objects(wd.path(), &old);
    wd.init();

    // 1. The old state plans cleanly.
    let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=tfplan"]);
    assert!(plan.code == 0 || plan.code == 2, "{ctx}: plan failed:\n{}", plan.combined());
    if plan.code == 2 {
        for change in planned_changes(&wd, "tfplan") {
            if let Err(e) = is_rerender(&change) {
                panic!("{ctx}: the upgraded state plans a change ({e}):\n{}", plan.combined());
            }
            notes.push(format!(
                "{ctx}: {} re-renders (the renderer's output changed since the fixture was written; UPDATE_STATE_FIXTURES=1 refreshes it)",
                change["address"].as_str().unwrap_or_default()
            ));
        }
    }

    // 2. The upgraded state, stored: old values kept, new attributes null.
    wd.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"]);
    let stored: Json =
        serde_json::from_slice(&std::fs::read(wd.path().join("terraform.tfstate")).expect("state")).expect("JSON");
    // The fixtures were written by Terraform, under the provider's
    // registry.terraform.io address. OpenTofu takes that address for its own
    // registry's (`kubeadm-ignition/kubeadm` means registry.opentofu.org
    // there) and writes the state back under it; Terraform keeps it.
    let provider = format!("provider[\"{}\"]", tf.provider_address());
    for r in stored["resources"].as_array().into_iter().flatten() {
        assert_eq!(r["provider"], provider.as_str(), "{ctx}: {} provider address in the stored state", r["type"]);
        for inst in r["instances"].as_array().into_iter().flatten() {
            assert_eq!(inst["schema_version"], 0, "{ctx}: {} schema version", r["type"]);
        }
    }
    let (before, after) = (attributes(&old), attributes(&stored));
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "{ctx}: resources differ");
    let show = State::of(&wd);
    for (addr, old_attrs) in &before {
        let new_attrs = &after[addr];
        let ty = addr.trim_start_matches("data.").split('.').next().unwrap_or_default();
        for a in added(ty) {
            assert!(!has_any(old_attrs, a), "{ctx}: the fixture already has {addr}.{a}");
            assert!(has_all(new_attrs, a), "{ctx}: the upgraded state lacks {addr}.{a}");
            for v in values_of(new_attrs, a).into_iter().chain(values_of(&show[addr], a)) {
                assert_eq!(v, Json::Null, "{ctx}: {addr}.{a} is {v} after the upgrade, not null");
            }
        }
        if addr.starts_with("data.") {
            continue;
        }
        for (k, v) in old_attrs.as_object().into_iter().flatten() {
            if plan.code == 2 && RENDERED.contains(&k.as_str()) {
                continue;
            }
            // Terraform 1.11 and OpenTofu 1.11 and later drop write-only inputs from the state
            // on the first refresh; older versions keep them.
            if ty == "kubeadm_ignition_config"
                && WRITE_ONLY_INPUTS.contains(&k.as_str())
                && tf.has_write_only_attributes()
            {
                assert_eq!(new_attrs[k], Json::Null, "{ctx}: {addr}.{k} is write-only but still stored");
                continue;
            }
            let mut now = new_attrs[k].clone();
            let mut was = v.clone();
            // Compare blocks without the attributes added since.
            for a in added(ty).iter().filter_map(|a| a.strip_prefix(&format!("{k}."))) {
                strip(&mut now, a);
                strip(&mut was, a);
            }
            if let (Json::Array(n), Json::Array(w)) = (&mut now, &mut was) {
                for (x, y) in n.iter_mut().zip(w.iter_mut()) {
                    for a in added(ty).iter().filter_map(|a| a.strip_prefix(&format!("{k}."))) {
                        strip(x, a);
                        strip(y, a);
                    }
                }
            }
            assert_eq!(now, was, "{ctx}: {addr}.{k} changed in the upgrade");
        }
    }

    // The resource-only attributes of kubeadm_ignition_config added since:
    // null, except rendered_at, which the refresh records (the replacement
    // clock of a config written before it starts then).
    for (addr, attrs) in after.iter().filter(|(a, _)| a.starts_with("kubeadm_ignition_config.")) {
        for a in ["user_data_mode", "replace_after", "replace_at"] {
            assert_eq!(attrs[a], Json::Null, "{ctx}: {addr}.{a} after the upgrade");
        }
        let at = attrs["rendered_at"].as_str().unwrap_or_default();
        assert!(
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
            "{ctx}: {addr}.rendered_at {} is not the time of the refresh",
            attrs["rendered_at"]
        );
    }

    // 3. Whatever the first plan held (nothing, or re-renders only) is
    // applied; after that the plan must be empty, in every case: a re-render
    // that plans again after its own apply would be an endless diff.
    let again = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=tfplan-upgrade"]);
    assert!(again.code == 0 || again.code == 2, "{ctx}: plan after the refresh failed:\n{}", again.combined());
    for change in planned_changes(&wd, "tfplan-upgrade") {
        if let Err(e) = is_rerender(&change) {
            panic!("{ctx}: after the refresh the upgraded state plans a change ({e}):\n{}", again.combined());
        }
    }
    wd.ok(&["apply", "-input=false", "-no-color", "tfplan-upgrade"]);
    let (empty, out) = wd.plan_is_empty(&[]);
    assert!(empty, "{ctx}: the plan after the upgrade and its apply is not empty:\n{out}");
    let (empty, out) = wd.plan_is_empty(&["-refresh=false"]);
    assert!(empty, "{ctx}: plan -refresh=false after the upgrade and its apply is not empty:\n{out}");
    wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    let left = attributes(
        &serde_json::from_slice(&std::fs::read(wd.path().join("terraform.tfstate")).expect("state")).expect("JSON"),
    );
    assert!(left.keys().all(|k| k.starts_with("data.")), "{ctx}: left after destroy: {:?}", left.keys());
    notes
}

/// `terraform show -json`, as address → values.
struct State;

impl State {
    fn of(wd: &WorkDir) -> BTreeMap<String, Json> {
        let s = wd.state();
        s.resources
    }
}

#[test]
fn state_from_earlier_schemas_upgrades_cleanly() {
    let tfs = terraforms();
    if support::switch("UPDATE_STATE_FIXTURES").is_some() {
        let oldest = tfs.iter().find(|t| t.version == "1.0.3").expect("Terraform 1.0.3");
        regenerate(oldest);
    }
    let mut notes = Vec::new();
    let mut runs = 0;
    for tf in &tfs {
        for f in fixtures() {
            notes.extend(upgrade_on(tf, &f));
            runs += 1;
        }
    }
    eprintln!("{runs} upgrades ({} fixtures x {} Terraform versions)", fixtures().len(), tfs.len());
    for n in notes {
        eprintln!("note: {n}");
    }
}
