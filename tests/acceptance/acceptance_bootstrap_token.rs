//! Acceptance tests of `kubeadm_bootstrap_token` against every Terraform found.

use crate::support;

use std::sync::{Arc, Mutex};

use support::{config, run_case, ImportId, State, Step};

const T: &str = "kubeadm_bootstrap_token.t";

fn is_token(s: &str) -> bool {
    let (id, secret) = s.split_once('.').unwrap_or_default();
    let ok = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    ok(id, 6) && ok(secret, 16)
}

fn parse_rfc3339(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).expect("RFC 3339")
}

#[test]
fn generated_token_with_defaults_imports_and_verifies() {
    run_case(
        "generated token",
        &[
            Step::config(config(r#"resource "kubeadm_bootstrap_token" "t" {}"#)).check(|s: &State| {
                let token = s.str(T, "token");
                if !is_token(&token) {
                    return Err(format!("token {token:?} has the wrong form"));
                }
                let (id, secret) = token.split_once('.').unwrap();
                if s.str(T, "token_id") != id || s.str(T, "id") != id || s.str(T, "token_secret") != secret {
                    return Err("token_id, id and token_secret do not match the token".into());
                }
                if s.str(T, "ttl") != "24h" {
                    return Err("ttl default is not 24h".into());
                }
                let exp = parse_rfc3339(&s.str(T, "expires_at"));
                let left = exp - time::OffsetDateTime::now_utc();
                if left > time::Duration::hours(24) || left < time::Duration::hours(23) {
                    return Err(format!("expires_at {exp} is not 24h ahead"));
                }
                let manifest = s.str(T, "secret_manifest");
                for needle in [
                    "kind: Secret",
                    &format!("name: bootstrap-token-{id}"),
                    "namespace: kube-system",
                    "type: bootstrap.kubernetes.io/token",
                ] {
                    if !manifest.contains(needle) {
                        return Err(format!("secret_manifest lacks {needle:?}:\n{manifest}"));
                    }
                }
                if s.attr(T, "usages") != serde_json::json!(["signing", "authentication"]) {
                    return Err("default usages wrong".into());
                }
                if s.attr(T, "groups") != serde_json::json!(["system:bootstrappers:kubeadm:default-node-token"]) {
                    return Err("default groups wrong".into());
                }
                Ok(())
            }),
            Step::import(
                T,
                ImportId::FromState(Box::new(|s: &State| format!("{},{}", s.str(T, "token"), s.str(T, "expires_at")))),
            ),
        ],
    );
}

#[test]
fn bring_your_own_token_that_never_expires() {
    run_case(
        "bring your own token",
        &[Step::config(config(
            r#"
resource "kubeadm_bootstrap_token" "t" {
  token       = "abcdef.0123456789abcdef"
  ttl         = "0"
  description = "joins workers"
  usages      = ["authentication", "signing"]
  groups      = ["system:bootstrappers:kubeadm:default-node-token", "system:bootstrappers:workers"]
}
output "manifest" {
  value     = kubeadm_bootstrap_token.t.secret_manifest
  sensitive = true
}
"#,
        ))
        .check(|s: &State| {
            if s.str(T, "token") != "abcdef.0123456789abcdef" || s.str(T, "token_id") != "abcdef" {
                return Err("supplied token not kept".into());
            }
            if !s.attr(T, "expires_at").is_null() {
                return Err("a ttl of 0 must leave expires_at null".into());
            }
            let m = s.str(T, "secret_manifest");
            if m.contains("expiration") {
                return Err("a token that never expires has no expiration key".into());
            }
            // "system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:workers" in base64
            if !m.contains("auth-extra-groups:") || !m.contains("description:") {
                return Err(format!("manifest lacks groups or description:\n{m}"));
            }
            Ok(())
        })],
    );
}

#[test]
fn settings_update_in_place_and_ttl_replaces() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    run_case(
        "updates",
        &[
            Step::config(config(
                r#"resource "kubeadm_bootstrap_token" "t" {
  description = "first"
  ttl         = "1h"
}"#,
            ))
            .check(move |s: &State| {
                let mut seen = s1.lock().unwrap();
                seen.clear();
                seen.push(s.str(T, "token"));
                Ok(())
            }),
            Step::config(config(
                r#"resource "kubeadm_bootstrap_token" "t" {
  description  = "second"
  ttl          = "1h"
  groups       = ["system:bootstrappers:pool-a"]
  renew_before = "10m"
}"#,
            ))
            .check(move |s: &State| {
                let seen = s2.lock().unwrap();
                if s.str(T, "token") != seen[0] {
                    return Err("changing description, groups or renew_before must keep the token".into());
                }
                let m = s.str(T, "secret_manifest");
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode("second");
                if !m.contains(&b64) {
                    return Err(format!("manifest not updated with the new description:\n{m}"));
                }
                Ok(())
            }),
            Step::config(config(
                r#"resource "kubeadm_bootstrap_token" "t" {
  description  = "second"
  ttl          = "2h"
  groups       = ["system:bootstrappers:pool-a"]
  renew_before = "10m"
}"#,
            ))
            .check(move |s: &State| {
                let seen = s3.lock().unwrap();
                if s.str(T, "token") == seen[0] {
                    return Err("changing ttl must mint a new token".into());
                }
                Ok(())
            }),
        ],
    );
}

#[test]
fn renew_before_drops_an_expiring_token_on_refresh() {
    run_case(
        "renewal",
        &[Step::config(config(
            r#"resource "kubeadm_bootstrap_token" "t" {
  ttl          = "1h"
  renew_before = "59m59s"
}"#,
        ))
        .check(|_s: &State| {
            // Renewal is due one second after creation.
            std::thread::sleep(std::time::Duration::from_millis(2100));
            Ok(())
        })
        // Without refresh nothing changes; the refresh drops the expiring
        // token, and the plan mints it again at the same address (the
        // token's replacement), nothing else.
        .expect_plan(&[(T, "recreate")])],
    );
}

#[test]
fn bad_inputs_fail_at_plan_time_with_the_attribute() {
    let good = config(r#"resource "kubeadm_bootstrap_token" "t" {}"#);
    let bad = |attr: &str| config(&format!("resource \"kubeadm_bootstrap_token\" \"t\" {{\n  {attr}\n}}"));
    run_case(
        "bad inputs",
        &[
            Step::config(good),
            Step::config(bad(r#"token = "ABCDEF.zyxwvutsrqponmlk""#))
                .expect_error("Invalid bootstrap token")
                .expect_error("token = "),
            Step::config(bad(r#"ttl = "3d""#)).expect_error("Invalid ttl").expect_error(r#"unknown unit "d""#),
            Step::config(bad(r#"ttl = "-5m""#)).expect_error("Invalid ttl"),
            Step::config(bad(r#"groups = ["system:bootstrappers:ok", "cluster-admins"]"#))
                .expect_error("Invalid token group")
                .expect_error("groups = "),
            Step::config(bad(r#"usages = ["signing", "root"]"#))
                .expect_error("Invalid token usage")
                .expect_error(r#"unknown usage "root""#),
            Step::config(bad("ttl = \"1h\"\n  renew_before = \"2h\""))
                .expect_error("renew_before must be shorter than ttl")
                .expect_error("renew_before = "),
        ],
    );
}

#[test]
fn secrets_are_hidden_in_plan_output() {
    // The token never appears in plan or apply output: its attributes are sensitive.
    for tf in support::terraforms() {
        let wd = support::WorkDir::new(&tf);
        wd.write_config(&config(r#"resource "kubeadm_bootstrap_token" "t" { token = "qwerty.zyxwvutsrqponmlk" }"#));
        wd.init();
        let plan = wd.ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
        let apply = wd.ok(&["apply", "-input=false", "-no-color", "tfplan"]);
        for out in [plan.combined(), apply.combined()] {
            assert!(!out.contains("zyxwvutsrqponmlk"), "secret leaked on {}:\n{out}", tf.version);
        }
        wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    }
}
