//! Acceptance tests of `kubeadm_ignition_config` (resource and data source)
//! with the local store, against every Terraform found.

use crate::support;

use std::sync::{Arc, Mutex};

use support::hcl::{Node, CA_AND_TOKEN};
use support::{config, run_case, terraforms, State, Step, WorkDir};

fn node(name: &str, role: &str, extra: &str) -> String {
    Node::resource(name, role)
        .attr("name", format!("{name:?}"))
        .cluster("pod_subnet", "\"192.168.0.0/16\"")
        .block(extra)
        .to_string()
}

fn sha512_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha512::digest(bytes))
}

/// The stored object matches the state, and the role's PKI rules hold.
fn check_stored(s: &State, addr: &str, control_plane: bool) -> Result<(), String> {
    let path = s.dir.join(s.str(addr, "object_url"));
    let bytes = std::fs::read(&path).map_err(|e| format!("{addr}: cannot read {}: {e}", path.display()))?;
    if sha512_hex(&bytes) != s.str(addr, "rendered_sha512") {
        return Err(format!("{addr}: stored bytes do not match rendered_sha512"));
    }
    let text = String::from_utf8_lossy(&bytes);
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("{addr}: not JSON: {e}"))?;
    if json["ignition"]["version"] != "3.3.0" {
        return Err(format!("{addr}: ignition version {}", json["ignition"]["version"]));
    }
    let files: Vec<&str> =
        json["storage"]["files"].as_array().into_iter().flatten().filter_map(|f| f["path"].as_str()).collect();
    let has_key = files.iter().any(|p| p.ends_with(".key"));
    if control_plane != has_key {
        return Err(format!("{addr}: PKI keys present = {has_key}, want {control_plane}: {files:?}"));
    }
    if !control_plane && text.contains("PRIVATE KEY") {
        return Err(format!("{addr}: a worker config holds a private key"));
    }
    if !s.str(addr, "id").contains(&s.str(addr, "rendered_sha512")[..32]) {
        return Err(format!("{addr}: the key does not contain the content hash"));
    }
    let kubeadm = s.str(addr, "kubeadm_config");
    if !kubeadm.contains("kubeadm.k8s.io/v1beta4") {
        return Err(format!("{addr}: kubeadm_config is not v1beta4:\n{kubeadm}"));
    }
    Ok(())
}

#[test]
fn three_roles_render_store_and_plan_empty() {
    let body = format!(
        "{CA_AND_TOKEN}\n{}\n{}\n{}",
        node("cp0", "init", ""),
        node("cp1", "control-plane", ""),
        node("w0", "worker", "node {\n    name_from = \"aws\"\n    labels = { pool = \"a\" }\n  }")
    );
    run_case(
        "three roles",
        &[Step::config(config(&body)).check(|s: &State| {
            check_stored(s, "kubeadm_ignition_config.cp0", true)?;
            check_stored(s, "kubeadm_ignition_config.cp1", true)?;
            check_stored(s, "kubeadm_ignition_config.w0", false)?;
            // Without base_url the user data is the config itself.
            let ud = s.str("kubeadm_ignition_config.w0", "user_data");
            if sha512_hex(ud.as_bytes()) != s.str("kubeadm_ignition_config.w0", "rendered_sha512") {
                return Err("inline user_data differs from the stored config".into());
            }
            let init = s.str("kubeadm_ignition_config.cp0", "kubeadm_config");
            if !init.contains("InitConfiguration") || !init.contains(&s.str("kubeadm_bootstrap_token.join", "token")) {
                return Err("the init config does not seed the bootstrap token".into());
            }
            let join = s.str("kubeadm_ignition_config.w0", "kubeadm_config");
            if !join.contains(&s.str("kubeadm_cluster_ca.ca", "ca_cert_hash"))
                || !join.contains("api.prod.example.com:6443")
            {
                return Err("the worker join config lacks the CA hash or endpoint".into());
            }
            Ok(())
        })],
    );
}

#[test]
fn base_url_gives_a_pointer_config_and_changes_rerender() {
    let keys: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let (k1, k2) = (keys.clone(), keys.clone());
    let provider = "provider \"kubeadm\" {\n  store {\n    local {\n      path     = \"./configs\"\n      base_url = \"https://ign.example.com/configs\"\n    }\n  }\n}\n";
    let step = |labels: &str| {
        config(&format!(
            "{provider}{CA_AND_TOKEN}{}",
            node("w0", "worker", &format!("node {{\n    labels = {{ pool = \"{labels}\" }}\n  }}"))
        ))
    };
    run_case(
        "pointer",
        &[
            Step::config(step("a")).check(move |s: &State| {
                let a = "kubeadm_ignition_config.w0";
                let ud: serde_json::Value = serde_json::from_str(&s.str(a, "user_data")).map_err(|e| e.to_string())?;
                let source = ud["ignition"]["config"]["replace"]["source"].as_str().unwrap_or_default().to_string();
                let want = format!("https://ign.example.com/configs/{}", s.str(a, "id"));
                if source != want {
                    return Err(format!("pointer source {source} != {want}"));
                }
                let hash = ud["ignition"]["config"]["replace"]["verification"]["hash"].as_str().unwrap_or_default();
                if hash != format!("sha512-{}", s.str(a, "rendered_sha512")) {
                    return Err("pointer hash mismatch".into());
                }
                if s.attr(a, "user_data_size").as_i64().unwrap_or(0) > 1024 {
                    return Err("the pointer config is not small".into());
                }
                if s.str(a, "user_data").contains("PRIVATE")
                    || s.str(a, "user_data").contains(&s.str("kubeadm_bootstrap_token.join", "token_secret"))
                {
                    return Err("the pointer config carries a secret".into());
                }
                k1.lock().unwrap().push((s.str(a, "id"), s.dir.join(s.str(a, "object_url")).display().to_string()));
                Ok(())
            }),
            Step::config(step("b")).check(move |s: &State| {
                let a = "kubeadm_ignition_config.w0";
                let before = k2.lock().unwrap()[0].clone();
                if s.str(a, "id") == before.0 {
                    return Err("changing a label did not re-render".into());
                }
                if std::path::Path::new(&before.1).exists() {
                    return Err("the old object was not removed after the update".into());
                }
                Ok(())
            }),
        ],
    );
}

#[test]
fn deleted_or_changed_objects_are_restored() {
    for tf in terraforms() {
        let wd = WorkDir::new(&tf);
        wd.write_config(&config(&format!("{CA_AND_TOKEN}{}", node("w0", "worker", ""))));
        wd.init();
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let s = wd.state();
        let path = s.str("kubeadm_ignition_config.w0", "object_url");
        let path = wd.path().join(path);
        let original = std::fs::read(&path).unwrap();

        std::fs::remove_file(&path).unwrap();
        let (empty, out) = wd.plan_is_empty(&[]);
        assert!(!empty, "a deleted object must show in the plan on {}:\n{out}", tf.version);
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        assert_eq!(std::fs::read(&path).unwrap(), original, "apply did not restore the object on {}", tf.version);

        std::fs::write(&path, b"{\"ignition\":{\"version\":\"3.3.0\"}}").unwrap();
        let (empty, out) = wd.plan_is_empty(&[]);
        assert!(!empty, "a changed object must show in the plan on {}:\n{out}", tf.version);
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        assert_eq!(std::fs::read(&path).unwrap(), original, "apply did not repair the object on {}", tf.version);
        let (empty, out) = wd.plan_is_empty(&[]);
        assert!(empty, "plan not empty after repair on {}:\n{out}", tf.version);

        wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        assert!(!path.exists(), "destroy left the object behind on {}", tf.version);
    }
}

/// A fixed CA and token, so two working directories have the same inputs.
fn fixed_inputs() -> String {
    let pki = terraform_provider_kubeadm::bootstrap::pki::generate_pki(
        "prod",
        terraform_provider_kubeadm::bootstrap::pki::KeyAlgorithm::EcdsaP256,
        3650,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
    let heredoc = |s: &str| format!("<<-EOT\n{}EOT", s.lines().map(|l| format!("    {l}\n")).collect::<String>());
    format!(
        r#"
resource "kubeadm_cluster_ca" "ca" {{
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
  ca_cert_pem = {}
  ca_key_pem = {}
  front_proxy_ca_cert_pem = {}
  front_proxy_ca_key_pem = {}
  etcd_ca_cert_pem = {}
  etcd_ca_key_pem = {}
  service_account_public_key_pem = {}
  service_account_private_key_pem = {}
}}

resource "kubeadm_bootstrap_token" "join" {{
  token = "abcdef.0123456789abcdef"
  ttl   = "0"
}}
"#,
        heredoc(&pki.ca.cert_pem),
        heredoc(pki.ca.key_pem.expose()),
        heredoc(&pki.front_proxy_ca.cert_pem),
        heredoc(pki.front_proxy_ca.key_pem.expose()),
        heredoc(&pki.etcd_ca.cert_pem),
        heredoc(pki.etcd_ca.key_pem.expose()),
        heredoc(&pki.sa.public_pem),
        heredoc(pki.sa.private_pem.expose()),
    )
}

#[test]
fn same_inputs_give_identical_bytes_in_two_working_dirs() {
    let inputs = fixed_inputs();
    let body = config(&format!(
        "{inputs}{}\n{}\ndata \"kubeadm_ignition_config\" \"w\" {{\n  role = \"worker\"\n  cluster_ca = kubeadm_cluster_ca.ca\n  bootstrap_token = kubeadm_bootstrap_token.join\n  cluster {{\n    name = \"prod\"\n    kubernetes_version = \"v1.30.6\"\n    control_plane_endpoint = \"api.prod.example.com\"\n  }}\n}}\noutput \"ds_sha\" {{ value = data.kubeadm_ignition_config.w.rendered_sha512 }}\n",
        node("cp0", "init", ""),
        node("w0", "worker", "")
    ));
    let tf = terraforms().into_iter().last().unwrap();
    let mut seen: Vec<(String, String, String)> = Vec::new();
    for _ in 0..2 {
        let wd = WorkDir::new(&tf);
        wd.write_config(&body);
        wd.init();
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let s = wd.state();
        seen.push((
            s.str("kubeadm_ignition_config.cp0", "rendered_sha512"),
            s.str("kubeadm_ignition_config.w0", "rendered_sha512"),
            s.output("ds_sha").as_str().unwrap_or_default().to_string(),
        ));
        assert!(s.str("data.kubeadm_ignition_config.w", "kubeadm_config").contains("v1beta3"), "1.30 renders v1beta3");
        wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    }
    assert_eq!(seen[0], seen[1], "the same inputs rendered different bytes");
}

#[test]
fn bad_inputs_fail_at_plan_time_with_the_attribute() {
    let good = config(&format!("{CA_AND_TOKEN}{}", node("n", "worker", "")));
    let with = |role: &str, cluster: &str, extra: &str, ca: bool| {
        let ca_line = if ca { "cluster_ca      = kubeadm_cluster_ca.ca" } else { "" };
        config(&format!(
            "{CA_AND_TOKEN}\nresource \"kubeadm_ignition_config\" \"n\" {{\n  role = \"{role}\"\n  {ca_line}\n  bootstrap_token = kubeadm_bootstrap_token.join\n  cluster {{\n    name = \"prod\"\n    {cluster}\n  }}\n  {extra}\n}}\n"
        ))
    };
    let ok_cluster = "kubernetes_version = \"v1.31.4\"\n    control_plane_endpoint = \"api.example.com:6443\"";
    run_case(
        "bad inputs",
        &[
            Step::config(good),
            Step::config(with("worker", "kubernetes_version = \"v1.21.3\"\n    control_plane_endpoint = \"a:6443\"", "", true))
                .expect_error("Unsupported Kubernetes version")
                .expect_error("1.22"),
            Step::config(with("worker", "kubernetes_version = \"1.31\"\n    control_plane_endpoint = \"a:6443\"", "", true))
                .expect_error("Unsupported Kubernetes version")
                .expect_error("kubernetes_version"),
            Step::config(with("worker", "kubernetes_version = \"v1.31.4\"", "", true))
                .expect_error("Missing control_plane_endpoint"),
            Step::config(with("control-plane", ok_cluster, "", false)).expect_error("Missing cluster_ca"),
            Step::config(with("worker", &format!("{ok_cluster}\n    pod_subnet = \"10.96.0.0/16\""), "", true))
                .expect_error("Overlapping subnets")
                .expect_error("pod_subnet"),
            Step::config(with("worker", &format!("{ok_cluster}\n    pod_subnet = \"10.500.0.0/16\""), "", true))
                .expect_error("Invalid pod_subnet"),
            Step::config(with("worker", ok_cluster, "files {\n    path = \"etc/foo\"\n    content = \"x\"\n  }", true))
                .expect_error("Invalid file path")
                .expect_error("path = "),
            Step::config(with(
                "worker",
                ok_cluster,
                "files {\n    path = \"/etc/foo\"\n    content = \"x\"\n  }\n  files {\n    path = \"/etc/foo\"\n    content = \"y\"\n  }",
                true,
            ))
            .expect_error("Duplicate file path"),
            Step::config(with("worker", ok_cluster, "files {\n    path = \"/etc/foo\"\n    content = \"x\"\n    mode = \"0999\"\n  }", true))
                .expect_error("Invalid file mode"),
            Step::config(with(
                "worker",
                ok_cluster,
                "kubeadm_config_patches {\n    join_configuration = \"nodeRegistration:\\n  kubeletExtraArgz: {}\\n\"\n  }",
                true,
            ))
            .expect_error("kubeletExtraArgz")
            .expect_error("join_configuration"),
            Step::config(with("worker", ok_cluster, "ignition_version = \"3.5.0\"", true))
                .expect_error("Invalid ignition_version")
                .expect_error("3.5.0"),
            Step::config(with(
                "worker",
                ok_cluster,
                "kubernetes_artifacts {\n    source = \"manifest\"\n    manifest_url = \"/nonexistent/v1.31.4/manifest.json\"\n  }",
                true,
            ))
            .expect_error("Kubernetes v1.31.4 is not supported")
            .expect_error("manifest_url"),
        ],
    );
}

/// `cluster_ca` and `bootstrap_token` are write-only: Terraform 1.11 and
/// later keep them out of the node's plan and state (so the CA keys live only
/// in the one `kubeadm_cluster_ca`), older versions store them as before.
/// Either way the plans stay empty and a new CA re-renders the node.
#[test]
fn ca_and_token_inputs_are_write_only() {
    let body = |algorithm: &str| {
        config(&format!(
            "resource \"kubeadm_cluster_ca\" \"ca\" {{\n  cluster_name  = \"prod\"\n  key_algorithm = \"{algorithm}\"\n}}\n\nresource \"kubeadm_bootstrap_token\" \"join\" {{}}\n{}",
            node("w0", "worker", "")
        ))
    };
    let w0 = "kubeadm_ignition_config.w0";
    for tf in terraforms() {
        let ctx = format!("Terraform {}", tf.version);
        let wd = WorkDir::new(&tf);
        wd.write_config(&body("ECDSA-P256"));
        wd.init();
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);

        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(wd.path().join("terraform.tfstate")).unwrap()).unwrap();
        let node = raw["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["type"] == "kubeadm_ignition_config")
            .map(|r| r["instances"][0]["attributes"].clone())
            .expect("the node in the state file");
        let stored = !tf.has_write_only_attributes();
        for a in ["cluster_ca", "bootstrap_token"] {
            assert_eq!(!node[a].is_null(), stored, "{ctx}: {a} stored = {}, want {stored}", !node[a].is_null());
        }
        let s = wd.state();
        if !stored {
            // Only the shipped kubeadm YAML (sensitive) carries the token.
            let mut rest = node.clone();
            rest.as_object_mut().unwrap().remove("kubeadm_config");
            let text = rest.to_string();
            assert!(!text.contains("PRIVATE KEY"), "{ctx}: key material in the node's state");
            assert!(
                !text.contains(&s.str("kubeadm_bootstrap_token.join", "token_secret")),
                "{ctx}: token in the node's state"
            );
        }
        for extra in [&[][..], &["-refresh=false"][..]] {
            let (empty, out) = wd.plan_is_empty(extra);
            assert!(empty, "{ctx}: plan {extra:?} not empty:\n{out}");
        }

        // A new CA (another algorithm replaces it) re-renders the node.
        let before = s.str(w0, "id");
        wd.write_config(&body("ECDSA-P384"));
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let s = wd.state();
        assert_ne!(s.str(w0, "id"), before, "{ctx}: a new CA did not re-render the node");
        assert!(
            s.str(w0, "kubeadm_config").contains(&s.str("kubeadm_cluster_ca.ca", "ca_cert_hash")),
            "{ctx}: the node does not carry the new CA hash"
        );
        let (empty, out) = wd.plan_is_empty(&[]);
        assert!(empty, "{ctx}: plan after the CA change not empty:\n{out}");
        wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        eprintln!("[write-only] {ctx}: inputs stored = {stored}");
    }
}

/// A provider block for the local store served at a base URL.
const SERVED_STORE: &str = "provider \"kubeadm\" {\n  store {\n    local {\n      path     = \"./configs\"\n      base_url = \"https://ign.example.com/configs\"\n    }\n  }\n}\n";

/// The planned change of `address` in a saved plan (`show -json` of it).
fn planned_change(wd: &WorkDir, plan_file: &str, address: &str) -> serde_json::Value {
    let show = wd.ok(&["show", "-json", "-no-color", plan_file]);
    let plan: serde_json::Value = serde_json::from_str(&show.stdout).expect("plan JSON");
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["address"] == address)
        .map(|c| c["change"].clone())
        .unwrap_or_else(|| panic!("{address} is not in the plan: {}", plan["resource_changes"]))
}

/// `user_data_mode = "stable"`: a token replacement re-renders the stored
/// config at the same key, and `user_data` stays byte-identical, already in
/// the plan; the pinned node beside it gets new `user_data`, as before.
#[test]
fn stable_mode_keeps_user_data_while_a_rotated_token_changes_the_object() {
    let body = config(&format!(
        "{SERVED_STORE}{CA_AND_TOKEN}{}{}",
        node("w0", "worker", "user_data_mode = \"stable\""),
        node("w1", "worker", "")
    ));
    let (stable, pinned) = ("kubeadm_ignition_config.w0", "kubeadm_ignition_config.w1");
    for tf in terraforms() {
        let ctx = format!("Terraform {}", tf.version);
        let wd = WorkDir::new(&tf);
        wd.write_config(&body);
        wd.init();
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let before = wd.state();
        assert_eq!(before.str(stable, "id"), "prod/worker/w0.ign", "{ctx}: the stable key");
        let user_data = before.str(stable, "user_data");
        let pointer: serde_json::Value = serde_json::from_str(&user_data).unwrap();
        let replace = &pointer["ignition"]["config"]["replace"];
        assert_eq!(replace["source"], "https://ign.example.com/configs/prod/worker/w0.ign", "{ctx}");
        assert!(replace.get("verification").is_none(), "{ctx}: a stable pointer carries no hash: {user_data}");
        let object = wd.path().join(before.str(stable, "object_url"));
        let old_bytes = std::fs::read(&object).unwrap();
        assert_eq!(sha512_hex(&old_bytes), before.str(stable, "rendered_sha512"), "{ctx}");
        let old_token = before.str("kubeadm_bootstrap_token.join", "token");

        // The plan of a rotation: the stable node updates with known, equal user_data.
        let rotate = "-replace=kubeadm_bootstrap_token.join";
        let (changes, out) = wd.planned_changes(&[rotate]);
        let want: Vec<(String, String)> = [
            ("kubeadm_bootstrap_token.join", "replace"),
            ("kubeadm_ignition_config.w0", "update"),
            ("kubeadm_ignition_config.w1", "update"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .to_vec();
        assert_eq!(changes, want, "{ctx}:\n{out}");
        let change = planned_change(&wd, "tfplan-check", stable);
        assert_eq!(change["after"]["user_data"], user_data.as_str(), "{ctx}: user_data must be known and unchanged");
        assert_eq!(change["after"]["id"], "prod/worker/w0.ign", "{ctx}");
        assert_ne!(change["after_unknown"]["user_data"], true, "{ctx}");
        assert_eq!(change["after_unknown"]["rendered_sha512"], true, "{ctx}: the content is re-rendered");
        let control = planned_change(&wd, "tfplan-check", pinned);
        assert_eq!(control["after_unknown"]["user_data"], true, "{ctx}: a pinned node's user_data changes");

        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color", rotate]);
        let after = wd.state();
        let new_token = after.str("kubeadm_bootstrap_token.join", "token");
        assert_ne!(new_token, old_token, "{ctx}: the token was not replaced");
        assert_eq!(after.str(stable, "user_data"), user_data, "{ctx}: user_data changed");
        assert_eq!(after.str(stable, "id"), before.str(stable, "id"), "{ctx}");
        assert_eq!(after.str(stable, "rendered_at"), before.str(stable, "rendered_at"), "{ctx}: not a new generation");
        let new_bytes = std::fs::read(&object).unwrap();
        assert_ne!(new_bytes, old_bytes, "{ctx}: the stored config did not change");
        assert_eq!(sha512_hex(&new_bytes), after.str(stable, "rendered_sha512"), "{ctx}");
        assert!(after.str(stable, "kubeadm_config").contains(&new_token), "{ctx}: the new token is not in the config");
        // The stored config ships the kubeadm YAML with the new token.
        let json: serde_json::Value = serde_json::from_slice(&new_bytes).unwrap();
        let shipped = json["storage"]["files"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["path"] == "/etc/kubeadm/config.yaml")
            .and_then(|f| f["contents"]["source"].as_str())
            .and_then(|s| s.strip_prefix("data:;base64,"))
            .map(|b| String::from_utf8(base64_decode(b)).unwrap())
            .expect("the kubeadm config in the stored object");
        assert!(shipped.contains(&new_token) && !shipped.contains(&old_token), "{ctx}: {shipped}");
        assert_ne!(after.str(pinned, "user_data"), before.str(pinned, "user_data"), "{ctx}: the pinned control");
        let (empty, out) = wd.plan_is_empty(&[]);
        assert!(empty, "{ctx}: plan after the rotation not empty:\n{out}");
        wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        assert!(!object.exists(), "{ctx}: destroy left the stable object behind");
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).expect("base64")
}

/// How long `replace_after` is in [`replace_after_rerenders_a_due_config`]:
/// long enough that the two plans following an apply finish before the
/// config is due again, on a busy machine.
const REPLACE_AFTER_SECS: u64 = 10;

/// `replace_after`: once `replace_at` has passed, the refresh marks the
/// config due and the plan updates it in place; the apply starts a new
/// `rendered_at`, and the plans right after are empty. A config without
/// `replace_after` stays put through the same wait.
#[test]
fn replace_after_rerenders_a_due_config() {
    let body = config(&format!(
        "{CA_AND_TOKEN}{}{}",
        node("cp1", "control-plane", &format!("replace_after = \"{REPLACE_AFTER_SECS}s\"")),
        node("w0", "worker", "")
    ));
    let cp = "kubeadm_ignition_config.cp1";
    let seen: Arc<Mutex<Option<(String, String)>>> = Arc::default();
    let (first, second) = (seen.clone(), seen.clone());
    let time = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
    };
    run_case(
        "replace_after",
        &[
            Step::config(body.clone())
                .check(move |s: &State| {
                    let (rendered, replace) = (s.str(cp, "rendered_at"), s.str(cp, "replace_at"));
                    if time(&replace) - time(&rendered) != time::Duration::seconds(REPLACE_AFTER_SECS as i64) {
                        return Err(format!("replace_at {replace} is not rendered_at {rendered} + replace_after"));
                    }
                    if !s.attr("kubeadm_ignition_config.w0", "replace_at").is_null() {
                        return Err("replace_at without replace_after".into());
                    }
                    *first.lock().unwrap() = Some((rendered, s.str(cp, "id")));
                    // The wait: the config is due when the plans below run.
                    std::thread::sleep(std::time::Duration::from_secs(REPLACE_AFTER_SECS + 1));
                    Ok(())
                })
                // Without refresh nothing is due; the refresh finds cp1 due
                // and nothing else (w0 has no replace_after).
                .expect_plan(&[(cp, "update")]),
            Step::config(body).check(move |s: &State| {
                let (rendered, id) = second.lock().unwrap().clone().expect("the first step's values");
                let now = s.str(cp, "rendered_at");
                if time(&now) <= time(&rendered) {
                    return Err(format!("rendered_at did not move: {rendered} -> {now}"));
                }
                if s.str(cp, "id") != id {
                    return Err("the same inputs must keep the same object".into());
                }
                Ok(())
            }),
        ],
    );
}
