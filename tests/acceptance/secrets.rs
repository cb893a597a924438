//! Secrets stay secret: with the S3 store, the bootstrap token's secret, the
//! CA private keys and the admin kubeconfig's client key appear in none of `user_data`, the plan and apply
//! output, the provider's log at TF_LOG=trace, or any state attribute that is
//! not marked sensitive. Terraform starts the provider itself here (a
//! filesystem mirror), so its log is the real one.

use crate::support;

use base64::Engine as _;
use support::hcl::{s3_provider, Node, CA_AND_TOKEN};
use support::{config, install_mirror, terraforms, Moto, WorkDir};

fn body(moto: &Moto) -> String {
    let store = s3_provider("boot", &moto.endpoint(), &[]);
    let (cp, w) = (Node::resource("cp", "init"), Node::resource("w", "worker"));
    format!(
        r#"{store}{CA_AND_TOKEN}{cp}{w}
resource "kubeadm_kubeconfig" "admin" {{
  cluster_ca = kubeadm_cluster_ca.ca
  server     = "https://api.prod.example.com:6443"
}}

output "cp_user_data" {{ value = kubeadm_ignition_config.cp.user_data }}
output "w_user_data" {{ value = kubeadm_ignition_config.w.user_data }}
"#
    )
}

/// Distinctive pieces of every secret: the token secret and a line from the
/// middle of each private key.
fn secrets(state: &support::State) -> Vec<String> {
    let mut out = vec![state.str("kubeadm_bootstrap_token.join", "token_secret")];
    for key in ["ca_key_pem", "front_proxy_ca_key_pem", "etcd_ca_key_pem", "service_account_private_key_pem"] {
        let pem = state.str("kubeadm_cluster_ca.ca", key);
        let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        out.push(body[body.len() / 2].to_string());
    }
    // The admin kubeconfig's client key, as a PEM line and as the kubeconfig
    // carries it (base64 of the whole PEM).
    let key = state.str("kubeadm_kubeconfig.admin", "client_key");
    let body: Vec<&str> = key.lines().filter(|l| !l.starts_with("-----")).collect();
    out.push(body[body.len() / 2].to_string());
    let b64 = base64::engine::general_purpose::STANDARD.encode(&key);
    out.push(b64[b64.len() / 2..b64.len() / 2 + 32].to_string());
    assert!(
        state.str("kubeadm_kubeconfig.admin", "kubeconfig").contains(&b64),
        "the kubeconfig carries the key this audit looks for"
    );
    assert!(out.iter().all(|s| s.len() >= 16), "secret fragments too short to be meaningful: {out:?}");
    out
}

/// Every attribute value the provider's schema does not mark sensitive, as
/// text (from `terraform providers schema -json`, which every version prints
/// the same way).
fn non_sensitive_values(show: &serde_json::Value, schema: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let provider = schema["provider_schemas"]
        .as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.ends_with("kubeadm-ignition/kubeadm")).map(|(_, v)| v.clone()))
        .expect("the provider's schema");
    for r in show["values"]["root_module"]["resources"].as_array().into_iter().flatten() {
        let addr = r["address"].as_str().unwrap_or_default();
        let kind = if r["mode"] == "data" { "data_source_schemas" } else { "resource_schemas" };
        let attrs = &provider[kind][r["type"].as_str().unwrap_or_default()]["block"]["attributes"];
        for (k, v) in r["values"].as_object().into_iter().flatten() {
            if attrs[k]["sensitive"] == serde_json::Value::Bool(true) {
                continue;
            }
            out.push((format!("{addr}.{k}"), v.to_string()));
        }
    }
    assert!(!out.is_empty(), "no non-sensitive attributes found");
    out
}

#[test]
fn secrets_appear_only_in_sensitive_places() {
    for tf in terraforms() {
        let moto = Moto::start();
        moto.boto3("s3.create_bucket(Bucket='boot')");
        let mut wd = WorkDir::new(&tf);
        install_mirror(&wd);
        let log = wd.path().join("terraform.log");
        wd.env = moto.provider_env();
        wd.env.push(("TF_LOG".into(), "trace".into()));
        wd.env.push(("TF_LOG_PATH".into(), log.display().to_string()));
        wd.write_config(&config(&body(&moto)));
        wd.ok_direct(&["init", "-input=false", "-no-color"]);
        let plan = wd.ok_direct(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
        let apply = wd.ok_direct(&["apply", "-input=false", "-no-color", "tfplan"]);
        let replan = wd.ok_direct(&["plan", "-input=false", "-no-color"]);
        let show = wd.ok_direct(&["show", "-json", "-no-color"]);
        let state = support::State::parse(show.stdout.as_bytes());
        let show_json: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(log_text.contains("provider.kubeadm"), "no provider log lines at TF_LOG=trace on {}", tf.version);

        let secrets = secrets(&state);
        let places = [
            ("cp user_data", state.str("kubeadm_ignition_config.cp", "user_data")),
            ("worker user_data", state.str("kubeadm_ignition_config.w", "user_data")),
            ("plan output", plan.combined()),
            ("apply output", apply.combined()),
            ("second plan output", replan.combined()),
            ("TF_LOG=trace log", log_text),
        ];
        for (where_, text) in &places {
            for s in &secrets {
                assert!(!text.contains(s.as_str()), "a secret leaked into the {where_} on {}", tf.version);
            }
        }
        let schema: serde_json::Value =
            serde_json::from_str(&wd.ok_direct(&["providers", "schema", "-json"]).stdout).expect("schema JSON");
        for (attr, text) in non_sensitive_values(&show_json, &schema) {
            for s in &secrets {
                assert!(!text.contains(s.as_str()), "a secret sits in non-sensitive {attr} on {}", tf.version);
            }
        }
        // The stored object is private and does hold the material (control plane).
        let acl = moto.boto3(&format!(
            "print(json.dumps(s3.get_object_acl(Bucket='boot', Key='{}')['Grants']))",
            state.str("kubeadm_ignition_config.cp", "id")
        ));
        assert!(!acl.contains("AllUsers") && !acl.contains("AuthenticatedUsers"), "object is public: {acl}");
        wd.ok_direct(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    }
}
