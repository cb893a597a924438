//! `kubeadm_kubeconfig`, the managed resource and the ephemeral resource.
//!
//! - Against every Terraform found: the resource's certificate chains to the
//!   CA (openssl), its groups follow the Kubernetes release, plans are empty
//!   after apply, a new server rewrites the kubeconfig around the same
//!   certificate, a new username issues a new one, and a `renew_before` past
//!   the validity makes the next plan re-issue it. On Terraform 1.11 and
//!   later the CA key is not in this resource's state (`cluster_ca` is
//!   write-only); on 1.0.3, which does not know write-only attributes, it is.
//! - The ephemeral resource on Terraform 1.10 and later: a `local-exec`
//!   provisioner receives the kubeconfig (a usable one), and neither the
//!   state nor a saved plan (its JSON and every file in the zip, raw bytes)
//!   holds any of it. On 1.0.3 the block is Terraform's own parse error.
//! - Through the protocol service: the schema lists the ephemeral resource,
//!   Open returns a kubeconfig, and Open with unknown inputs returns unknown
//!   values without issuing anything.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::Value as Json;
use support::{config, run_case_on, terraforms, State, Step, Terraform, WorkDir};
use terraform_provider_kubeadm::bootstrap::duration::GoDuration;

const ADMIN: &str = "kubeadm_kubeconfig.admin";
const DEFAULTS: &str = "kubeadm_kubeconfig.defaults";
const CA: &str = "kubeadm_cluster_ca.ca";

// ---------------------------------------------------------------------------
// Helpers

/// A kubeconfig's parts, decoded.
struct Kubeconfig {
    server: String,
    cluster: String,
    user: String,
    context: String,
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
    cert_b64: String,
    key_b64: String,
}

fn parse_kubeconfig(text: &str) -> Result<Kubeconfig, String> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let s = |v: &serde_yaml_ng::Value, what: &str| v.as_str().map(str::to_string).ok_or(format!("no {what}"));
    let decode = |b64: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or("data is not base64 of text".to_string())
    };
    let context = s(&doc["current-context"], "current-context")?;
    let ctx = &doc["contexts"][0];
    if s(&ctx["name"], "context name")? != context {
        return Err("the current context is not the listed one".into());
    }
    let (cluster, user) =
        (s(&ctx["context"]["cluster"], "context cluster")?, s(&ctx["context"]["user"], "context user")?);
    if s(&doc["clusters"][0]["name"], "cluster name")? != cluster || s(&doc["users"][0]["name"], "user name")? != user {
        return Err("the context names another cluster or user".into());
    }
    let cert_b64 = s(&doc["users"][0]["user"]["client-certificate-data"], "client-certificate-data")?;
    let key_b64 = s(&doc["users"][0]["user"]["client-key-data"], "client-key-data")?;
    Ok(Kubeconfig {
        server: s(&doc["clusters"][0]["cluster"]["server"], "server")?,
        ca_pem: decode(&s(&doc["clusters"][0]["cluster"]["certificate-authority-data"], "CA data")?)?,
        cert_pem: decode(&cert_b64)?,
        key_pem: decode(&key_b64)?,
        cluster,
        user,
        context,
        cert_b64,
        key_b64,
    })
}

fn openssl(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("openssl").args(args).current_dir(dir).output().map_err(|e| format!("openssl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// openssl accepts the certificate as a TLS client of the CA, the key is
/// its key; returns the subject as openssl prints it (RFC 2253).
fn check_chain(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let d = dir.path();
    for (name, text) in [("ca.crt", ca_pem), ("client.crt", cert_pem), ("client.key", key_pem)] {
        std::fs::write(d.join(name), text).map_err(|e| e.to_string())?;
    }
    let verdict = openssl(d, &["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca.crt", "client.crt"])?;
    if verdict.trim() != "client.crt: OK" {
        return Err(format!("openssl verify: {verdict}"));
    }
    if openssl(d, &["x509", "-noout", "-pubkey", "-in", "client.crt"])?
        != openssl(d, &["pkey", "-pubout", "-in", "client.key"])?
    {
        return Err("the client key is not the certificate's".into());
    }
    let subject = openssl(d, &["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", "client.crt"])?;
    Ok(subject.trim().trim_start_matches("subject=").to_string())
}

/// The base64 lines of a PEM text (what a leak of it would show, in a JSON
/// string or in raw bytes).
fn body_lines(pem: &str) -> Vec<String> {
    pem.lines().map(str::trim).filter(|l| l.len() >= 32 && !l.starts_with("-----")).map(str::to_string).collect()
}

/// What would betray an ephemeral kubeconfig: its base64 data and the lines
/// of its client certificate and key.
fn probes(kc: &Kubeconfig) -> Vec<String> {
    let mut out = vec![kc.cert_b64[..64].to_string(), kc.key_b64[..64].to_string()];
    out.extend(body_lines(&kc.cert_pem));
    out.extend(body_lines(&kc.key_pem));
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Runs of 60 or more base64 characters that are not a lowercase hex digest:
/// the shape of key and certificate material.
fn base64_runs(bytes: &[u8]) -> Vec<String> {
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    bytes
        .split(|b| !is_b64(*b))
        .filter(|run| run.len() >= 60)
        .map(|run| String::from_utf8_lossy(run).into_owned())
        .filter(|run| !run.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .collect()
}

/// Every file of a saved plan (a zip), extracted, as (name, bytes), plus the
/// zip itself.
fn plan_files(wd: &WorkDir, plan: &str) -> Vec<(String, Vec<u8>)> {
    let out = wd.path().join(format!("{plan}.unzipped"));
    let status = Command::new("unzip").args(["-o", "-q", plan, "-d"]).arg(&out).current_dir(wd.path()).status();
    assert!(status.is_ok_and(|s| s.success()), "unzip {plan}");
    let mut files = vec![(plan.to_string(), std::fs::read(wd.path().join(plan)).unwrap())];
    let mut stack = vec![out];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    assert!(
        files.len() >= 3,
        "the plan zip has too few files: {files:?}",
        files = files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    files
}

/// The attributes of the first instance of `type_name` in the raw state file.
fn raw_state_attributes(dir: &Path, type_name: &str, name: &str) -> Json {
    let raw: Json = serde_json::from_slice(&std::fs::read(dir.join("terraform.tfstate")).unwrap()).unwrap();
    raw["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["type"] == type_name && r["name"] == name)
        .map(|r| r["instances"][0]["attributes"].clone())
        .unwrap_or(Json::Null)
}

// ---------------------------------------------------------------------------
// The managed resource

fn managed_config(ca_algorithm: &str, server: &str, admin_extra: &str) -> String {
    config(&format!(
        r#"
resource "kubeadm_cluster_ca" "ca" {{
  cluster_name  = "prod"
  key_algorithm = "{ca_algorithm}"
}}

resource "kubeadm_kubeconfig" "admin" {{
  cluster_ca         = kubeadm_cluster_ca.ca
  server             = "{server}"
  kubernetes_version = "v1.28.15"
  key_algorithm      = "ECDSA-P256"
{admin_extra}
}}

resource "kubeadm_kubeconfig" "defaults" {{
  cluster_ca = kubeadm_cluster_ca.ca
  server     = "https://10.0.0.1:6443"
}}
"#
    ))
}

fn check_issued(s: &State, addr: &str, subject: &str, server: &str) -> Result<(), String> {
    let kc = parse_kubeconfig(&s.str(addr, "kubeconfig"))?;
    let ca_pem = s.str(CA, "ca_cert_pem");
    let user = s.str(addr, "username");
    let cluster = s.str(addr, "cluster_name");
    if kc.server != server || s.str(addr, "host") != server {
        return Err(format!("{addr}: server {} / host {}, want {server}", kc.server, s.str(addr, "host")));
    }
    if (kc.cluster.as_str(), kc.user.as_str()) != (cluster.as_str(), user.as_str())
        || kc.context != format!("{user}@{cluster}")
    {
        return Err(format!("{addr}: kubeconfig names {}/{}/{}", kc.cluster, kc.user, kc.context));
    }
    if kc.ca_pem != ca_pem || s.str(addr, "cluster_ca_certificate") != ca_pem {
        return Err(format!("{addr}: not the cluster's CA"));
    }
    if kc.cert_pem != s.str(addr, "client_certificate") || kc.key_pem != s.str(addr, "client_key") {
        return Err(format!("{addr}: the kubeconfig holds another certificate than client_certificate"));
    }
    let got = check_chain(&ca_pem, &kc.cert_pem, &kc.key_pem)?;
    if got != subject {
        return Err(format!("{addr}: subject {got:?}, want {subject:?}"));
    }
    let expires =
        time::OffsetDateTime::parse(&s.str(addr, "expires_at"), &time::format_description::well_known::Rfc3339)
            .map_err(|e| e.to_string())?;
    let left = expires - time::OffsetDateTime::now_utc();
    let want = GoDuration::parse(&s.str(addr, "validity")).map_err(|e| e.to_string())?.to_time_duration();
    if left > want || want - left > time::Duration::minutes(10) {
        return Err(format!("{addr}: expires_at {expires} is not a validity away"));
    }
    Ok(())
}

/// On Terraform 1.11 and later the CA key is not in the kubeconfig's state;
/// before, Terraform stores the write-only input like any other.
fn check_ca_key_placement(tf: &Terraform, s: &State) -> Result<(), String> {
    let ca_key = s.str(CA, "ca_key_pem");
    for name in ["admin", "defaults"] {
        let attrs = raw_state_attributes(&s.dir, "kubeadm_kubeconfig", name);
        if attrs.is_null() {
            return Err(format!("kubeadm_kubeconfig.{name} is not in the state file"));
        }
        let text = attrs.to_string();
        let leaked = body_lines(&ca_key).iter().any(|l| text.contains(l.as_str()));
        if tf.has_write_only_attributes() {
            if !attrs["cluster_ca"].is_null() || leaked || text.contains("ca_key_pem") {
                return Err(format!("kubeadm_kubeconfig.{name} holds the CA key in state on {}", tf.version));
            }
        } else if attrs["cluster_ca"]["ca_key_pem"].as_str() != Some(ca_key.as_str()) {
            return Err(format!("Terraform {} stores cluster_ca as it is (no write-only)", tf.version));
        }
    }
    // The positive control: the same search finds the key where it belongs.
    let ca_attrs = raw_state_attributes(&s.dir, "kubeadm_cluster_ca", "ca").to_string();
    if !body_lines(&ca_key).iter().all(|l| ca_attrs.contains(l.as_str())) {
        return Err("the CA key is not found in the CA's own state: the search is broken".into());
    }
    Ok(())
}

fn managed_steps(tf: &Terraform) -> Vec<Step> {
    let ids: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let (first, second, third, fourth) = (ids.clone(), ids.clone(), ids.clone(), ids.clone());
    let tf1 = tf.clone();
    vec![
        Step::config(managed_config("ECDSA-P256", "https://api.prod.example.com:6443", "")).check(move |s: &State| {
            // 1.28: kubeadm's admin.conf is in system:masters; without a version, kubeadm:cluster-admins.
            check_issued(s, ADMIN, "CN=kubernetes-admin,O=system:masters", "https://api.prod.example.com:6443")?;
            check_issued(s, DEFAULTS, "CN=kubernetes-admin,O=kubeadm:cluster-admins", "https://10.0.0.1:6443")?;
            if s.attr(ADMIN, "groups") != serde_json::json!(["system:masters"])
                || s.attr(DEFAULTS, "groups") != serde_json::json!(["kubeadm:cluster-admins"])
            {
                return Err("groups do not follow kubernetes_version".into());
            }
            for (attr, want) in [("cluster_name", "prod"), ("key_algorithm", "RSA-2048"), ("validity", "8760h")] {
                if s.str(DEFAULTS, attr) != want {
                    return Err(format!("default {attr} is {}, want {want}", s.attr(DEFAULTS, attr)));
                }
            }
            check_ca_key_placement(&tf1, s)?;
            let mut ids = first.lock().unwrap();
            ids.clear();
            ids.push((s.str(ADMIN, "id"), s.str(DEFAULTS, "id")));
            Ok(())
        }),
        // Another server: the same certificate in a rewritten kubeconfig.
        Step::config(managed_config("ECDSA-P256", "https://[fd00::10]:443", "")).check(move |s: &State| {
            check_issued(s, ADMIN, "CN=kubernetes-admin,O=system:masters", "https://[fd00::10]:443")?;
            let ids = second.lock().unwrap();
            if (s.str(ADMIN, "id"), s.str(DEFAULTS, "id")) != ids[0] {
                return Err("a new server must not issue a new certificate".into());
            }
            Ok(())
        }),
        // Another user: a new certificate.
        Step::config(managed_config(
            "ECDSA-P256",
            "https://[fd00::10]:443",
            "  username = \"ops\"\n  groups   = [\"ops\", \"viewers\"]",
        ))
        .check(move |s: &State| {
            check_issued(s, ADMIN, "CN=ops,O=viewers,O=ops", "https://[fd00::10]:443")?;
            let ids = third.lock().unwrap();
            if s.str(ADMIN, "id") == ids[0].0 || s.str(DEFAULTS, "id") != ids[0].1 {
                return Err("a new username must issue a new certificate, and only for that resource".into());
            }
            Ok(())
        }),
        // A new CA (its inputs are write-only from 1.11 on): new certificates
        // from the new CA, for both.
        Step::config(managed_config("ECDSA-P384", "https://[fd00::10]:443", "  username = \"ops\"")).check(
            move |s: &State| {
                // check_issued verifies the chain against the CA now in state.
                check_issued(s, ADMIN, "CN=ops,O=system:masters", "https://[fd00::10]:443")?;
                check_issued(s, DEFAULTS, "CN=kubernetes-admin,O=kubeadm:cluster-admins", "https://10.0.0.1:6443")?;
                let ids = fourth.lock().unwrap();
                if s.str(DEFAULTS, "id") == ids[0].1 {
                    return Err("a new CA must issue a new certificate".into());
                }
                Ok(())
            },
        ),
        // A renew_before past the validity: every refresh finds it due, so
        // the next plan issues it again.
        Step::config(managed_config(
            "ECDSA-P256",
            "https://[fd00::10]:443",
            "  validity     = \"1h\"\n  renew_before = \"2h\"",
        ))
        .check(|s: &State| check_issued(s, ADMIN, "CN=kubernetes-admin,O=system:masters", "https://[fd00::10]:443"))
        .expect_plan(&[(ADMIN, "recreate")]),
    ]
}

#[test]
fn managed_kubeconfig_chains_to_the_ca_updates_in_place_and_renews() {
    for tf in terraforms() {
        run_case_on("managed kubeconfig", &tf, &managed_steps(&tf), &[]);
    }
}

#[test]
fn registry_example_applies() {
    let read = |rel: &str| std::fs::read_to_string(support::repo_root().join(rel)).unwrap();
    let body = format!(
        "{}\n{}",
        read("examples/resources/kubeadm_cluster_ca/resource.tf"),
        read("examples/resources/kubeadm_kubeconfig/resource.tf")
    );
    for tf in terraforms() {
        run_case_on(
            "kubeconfig example",
            &tf,
            &[Step::config(config(&body)).check(|s: &State| {
                let kc = parse_kubeconfig(s.output("admin_kubeconfig").as_str().unwrap_or_default())?;
                check_chain(&s.str("kubeadm_cluster_ca.prod", "ca_cert_pem"), &kc.cert_pem, &kc.key_pem)?;
                if kc.context != "kubernetes-admin@prod" || kc.server != "https://api.prod.example.com:6443" {
                    return Err(format!("context {} server {}", kc.context, kc.server));
                }
                Ok(())
            })],
            &[],
        );
    }
}

// ---------------------------------------------------------------------------
// The ephemeral resource

const EPHEMERAL: &str = r#"
variable "round" {
  type    = number
  default = 1
}

resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}

ephemeral "kubeadm_kubeconfig" "admin" {
  cluster_ca = kubeadm_cluster_ca.ca
  server     = "https://api.prod.example.com:6443"
  validity   = "1h"
}

# A provisioner is one of the places an ephemeral value may go; the test
# reads what it wrote, to know what must not be anywhere else.
resource "terraform_data" "use" {
  triggers_replace = var.round
  provisioner "local-exec" {
    command     = "umask 077 && printf '%s' \"$KUBECONFIG_DATA\" > ephemeral-${var.round}.kubeconfig"
    environment = { KUBECONFIG_DATA = ephemeral.kubeadm_kubeconfig.admin.kubeconfig }
  }
}
"#;

/// What in `files` looks like kubeconfig material: kubeconfig keys, a base64
/// run that is not the CA's own material (`allowed`), or any of the lines
/// of `seen` (what the provisioner received). Also whether any base64 run
/// was found at all.
fn ephemeral_material(files: &[(String, Vec<u8>)], allowed: &[String], seen: &[String]) -> (Vec<String>, bool) {
    let mut found = Vec::new();
    let mut scanned_material = false;
    for (name, bytes) in files {
        for marker in ["client-key-data", "client-certificate-data", "certificate-authority-data", "current-context"] {
            if contains(bytes, marker) {
                found.push(format!("{name} holds a kubeconfig ({marker})"));
            }
        }
        // A line the client certificate shares with the CA's (the issuer
        // name sits where the CA's subject does) proves nothing.
        if seen.iter().filter(|p| !allowed.contains(p)).any(|probe| contains(bytes, probe)) {
            found.push(format!("{name} holds the ephemeral certificate or key"));
        }
        for run in base64_runs(bytes) {
            scanned_material = true;
            // Padding is not part of a run.
            let known = |a: &String| {
                let a = a.trim_end_matches('=');
                a.contains(run.as_str()) || run.contains(a)
            };
            if !allowed.iter().any(known) {
                found.push(format!("{name} holds material that is not the CA's: {}...", &run[..24]));
            }
        }
    }
    (found, scanned_material)
}

fn check_no_ephemeral_material(what: &str, files: &[(String, Vec<u8>)], allowed: &[String], seen: &[String]) {
    let (found, scanned) = ephemeral_material(files, allowed, seen);
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
    // The CA's own material is in there: the scan saw PEM lines at all.
    assert!(scanned, "{what}: no PEM material found at all; the scan is broken");
}

/// The PEM lines of every attribute of the CA resource: the only key and
/// certificate material the state and plans may hold.
fn ca_material(s: &State) -> Vec<String> {
    let attrs = s.resources.get(CA).cloned().unwrap_or(Json::Null);
    attrs.as_object().into_iter().flatten().filter_map(|(_, v)| v.as_str()).flat_map(body_lines).collect()
}

fn read_ephemeral_file(wd: &WorkDir, round: u32) -> Kubeconfig {
    let path = wd.path().join(format!("ephemeral-{round}.kubeconfig"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("the provisioner wrote no {}: {e}", path.display()));
    parse_kubeconfig(&text).unwrap_or_else(|e| panic!("round {round}: {e}:\n{text}"))
}

fn ephemeral_round_trip(tf: &Terraform) {
    let wd = WorkDir::new(tf);
    wd.write_config(&config(EPHEMERAL));
    wd.init();
    // Round 1: the CA is created in this run, so the ephemeral resource is
    // only opened at apply (Terraform skips it while its inputs are unknown).
    wd.ok(&["plan", "-input=false", "-no-color", "-out=tfplan1"]);
    wd.ok(&["apply", "-input=false", "-no-color", "tfplan1"]);
    let state = wd.state();
    let allowed = ca_material(&state);
    let first = read_ephemeral_file(&wd, 1);
    let ca_pem = state.str(CA, "ca_cert_pem");
    assert_eq!(first.ca_pem, ca_pem);
    assert_eq!(
        (first.context.as_str(), first.server.as_str()),
        ("kubernetes-admin@prod", "https://api.prod.example.com:6443")
    );
    let subject = check_chain(&ca_pem, &first.cert_pem, &first.key_pem).unwrap();
    assert_eq!(subject, "CN=kubernetes-admin,O=kubeadm:cluster-admins");

    // Round 2: the CA exists, so Terraform opens the ephemeral resource
    // while planning too; the saved plan must not hold it.
    wd.ok(&["plan", "-input=false", "-no-color", "-var=round=2", "-out=tfplan2"]);
    let mut plan = plan_files(&wd, "tfplan2");
    plan.push(("show -json tfplan2".into(), wd.ok(&["show", "-json", "-no-color", "tfplan2"]).stdout.into_bytes()));
    check_no_ephemeral_material("the saved plan", &plan, &allowed, &probes(&first));
    wd.ok(&["apply", "-input=false", "-no-color", "tfplan2"]);
    let second = read_ephemeral_file(&wd, 2);
    assert_ne!(second.key_pem, first.key_pem, "every open issues a new key");
    check_chain(&ca_pem, &second.cert_pem, &second.key_pem).unwrap();

    let mut seen = probes(&first);
    seen.extend(probes(&second));
    // The positive control: the same search flags what the provisioner wrote.
    let written =
        vec![("ephemeral-2.kubeconfig".to_string(), std::fs::read(wd.path().join("ephemeral-2.kubeconfig")).unwrap())];
    let (flagged, _) = ephemeral_material(&written, &allowed, &seen);
    assert!(flagged.len() >= 3, "the search misses a kubeconfig: {flagged:?}");
    let mut stored = vec![("show -json".to_string(), wd.ok(&["show", "-json", "-no-color"]).stdout.into_bytes())];
    for f in ["terraform.tfstate", "terraform.tfstate.backup"] {
        if let Ok(bytes) = std::fs::read(wd.path().join(f)) {
            stored.push((f.to_string(), bytes));
        }
    }
    assert!(stored.len() >= 2, "no state file");
    check_no_ephemeral_material("the state", &stored, &allowed, &seen);
    let (empty, out) = wd.plan_is_empty(&["-var=round=2"]);
    assert!(empty, "Terraform {}: the plan after apply is not empty:\n{out}", tf.version);
    wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color", "-var=round=2"]);
}

#[test]
fn ephemeral_kubeconfig_reaches_a_provisioner_and_never_a_plan_or_state() {
    let mut ran = 0;
    for tf in terraforms() {
        if tf.has_ephemeral_resources() {
            ephemeral_round_trip(&tf);
            ran += 1;
        } else {
            // Terraform before 1.10 (OpenTofu before 1.11) stops at the
            // block with its own error.
            let wd = WorkDir::new(&tf);
            wd.write_config(&config(EPHEMERAL));
            let r = wd.run(&["init", "-input=false", "-no-color"]);
            let text = r.combined();
            assert_ne!(r.code, 0, "Terraform {} accepted an ephemeral block:\n{text}", tf.version);
            assert!(text.contains("Unsupported block type"), "{}: {text}", tf.version);
            assert!(text.contains("Blocks of type \"ephemeral\" are not expected here."), "{}: {text}", tf.version);
            assert!(text.contains("ephemeral \"kubeadm_kubeconfig\" \"admin\" {"), "{}: {text}", tf.version);
        }
    }
    assert!(
        ran >= 3,
        "the ephemeral resource ran on {ran} Terraform versions; Terraform 1.11.4 and 1.15.5 and OpenTofu are expected"
    );
}

// ---------------------------------------------------------------------------
// The protocol

/// Through the generated tonic service trait (the code path a gRPC request
/// takes once decoded), with a fixed clock.
mod protocol {
    use terraform_provider_kubeadm::bootstrap::pki::{generate_ca, CaRole, KeyAlgorithm};
    use terraform_provider_kubeadm::provider::{kubeconfig, provider_schema, KubeadmProvider};
    use terraform_provider_kubeadm::tfplugin::msgpack;
    use terraform_provider_kubeadm::tfplugin::proto::tfplugin6 as pb;
    use terraform_provider_kubeadm::tfplugin::proto::tfplugin6::provider_server::Provider as _;
    use terraform_provider_kubeadm::tfplugin::server::ProviderService;
    use terraform_provider_kubeadm::tfplugin::value::Value;
    use time::macros::datetime;
    use tonic::Request;

    const TYPE: &str = "kubeadm_kubeconfig";
    const ERROR: i32 = 1;

    fn now() -> time::OffsetDateTime {
        datetime!(2026-02-03 04:05:06 UTC)
    }

    fn dv(v: &Value) -> Option<pb::DynamicValue> {
        let ty = kubeconfig::ephemeral_schema().ty();
        Some(pb::DynamicValue { msgpack: msgpack::encode(v, &ty).unwrap(), json: vec![] })
    }

    fn ca_object(name: &str) -> Value {
        let ca = generate_ca(CaRole::Kubernetes, name, KeyAlgorithm::EcdsaP256, 30, now()).unwrap();
        let fields =
            [("ca_cert_pem", ca.cert_pem), ("ca_key_pem", ca.key_pem.into_inner()), ("cluster_name", name.into())];
        Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), Value::from(v))).collect())
    }

    async fn open(
        svc: &ProviderService<KubeadmProvider>,
        type_name: &str,
        config: &Value,
    ) -> (Value, pb::open_ephemeral_resource::Response) {
        let r = svc
            .open_ephemeral_resource(Request::new(pb::open_ephemeral_resource::Request {
                type_name: type_name.into(),
                config: dv(config),
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        let ty = kubeconfig::ephemeral_schema().ty();
        let result = r.result.as_ref().map(|d| msgpack::decode(&d.msgpack, &ty).unwrap()).unwrap_or_default();
        (result, r)
    }

    async fn validate(svc: &ProviderService<KubeadmProvider>, config: &Value) -> Vec<pb::Diagnostic> {
        let r = svc.validate_ephemeral_resource_config(Request::new(pb::validate_ephemeral_resource_config::Request {
            type_name: TYPE.into(),
            config: dv(config),
        }));
        r.await.unwrap().into_inner().diagnostics
    }

    #[tokio::test]
    async fn schema_lists_the_ephemeral_resource_and_open_returns_a_kubeconfig() {
        let svc = ProviderService::new(KubeadmProvider::with_clock(std::sync::Arc::new(now)));
        let ty = kubeconfig::ephemeral_schema().ty();

        let s = svc.get_provider_schema(Request::new(pb::get_provider_schema::Request {})).await.unwrap().into_inner();
        let eph = s.ephemeral_resource_schemas.get(TYPE).expect("the ephemeral schema");
        let block = eph.block.as_ref().unwrap();
        let attr = |n: &str| block.attributes.iter().find(|a| a.name == n).unwrap_or_else(|| panic!("{n}"));
        assert!(attr("cluster_ca").required && attr("cluster_ca").sensitive && !attr("cluster_ca").write_only);
        assert!(attr("kubeconfig").computed && attr("kubeconfig").sensitive && attr("client_key").sensitive);
        let managed = s.resource_schemas.get(TYPE).expect("the resource schema").block.clone().unwrap();
        assert!(managed.attributes.iter().any(|a| a.name == "cluster_ca" && a.write_only));
        let md = svc.get_metadata(Request::new(pb::get_metadata::Request {})).await.unwrap().into_inner();
        assert_eq!(md.ephemeral_resources.iter().map(|e| e.type_name.as_str()).collect::<Vec<_>>(), [TYPE]);

        let provider_ty = provider_schema().ty();
        let cfg = msgpack::encode(&Value::null_object(&provider_ty), &provider_ty).unwrap();
        let r = svc
            .configure_provider(Request::new(pb::configure_provider::Request {
                terraform_version: "1.10.0".into(),
                config: Some(pb::DynamicValue { msgpack: cfg, json: vec![] }),
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);

        // Validation with unknowns passes; with a bad server it points at it.
        let mut unknown = Value::null_object(&ty);
        for a in ["cluster_ca", "server", "username"] {
            unknown.set(a, Value::unknown());
        }
        assert!(validate(&svc, &unknown).await.is_empty());
        let mut bad = unknown.clone();
        bad.set("server", Value::from("http://api:6443"));
        let d = validate(&svc, &bad).await;
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].summary, "Invalid server");

        // Open with known inputs: a kubeconfig valid from the clock on, nothing to renew.
        let mut known = Value::null_object(&ty);
        known.set("cluster_ca", ca_object("proto"));
        known.set("server", Value::from("https://api.proto.example.com:6443"));
        known.set("kubernetes_version", Value::from("v1.31.4"));
        known.set("validity", Value::from("2h"));
        let (result, r) = open(&svc, TYPE, &known).await;
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        assert!(r.renew_at.is_none() && r.deferred.is_none() && r.private.is_none());
        assert!(result.is_wholly_known());
        assert_eq!(result.get("expires_at").as_str(), Some("2026-02-03T06:05:06Z"));
        assert_eq!(result.get("groups").as_string_vec().unwrap(), ["kubeadm:cluster-admins"]);
        assert_eq!(result.get("host").as_str(), Some("https://api.proto.example.com:6443"));
        let kc = super::parse_kubeconfig(result.get("kubeconfig").as_str().unwrap()).unwrap();
        assert_eq!(
            (kc.context.as_str(), kc.server.as_str()),
            ("kubernetes-admin@proto", "https://api.proto.example.com:6443")
        );
        assert_eq!(kc.cert_pem, result.get("client_certificate").as_str().unwrap());

        // Open with the CA still unknown: unknown values, defaults applied, nothing issued.
        let mut pending = known.clone();
        pending.set("cluster_ca", Value::unknown());
        let (result, r) = open(&svc, TYPE, &pending).await;
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        for computed in ["kubeconfig", "client_certificate", "client_key", "expires_at", "id", "groups", "cluster_name"]
        {
            assert!(result.get(computed).is_unknown(), "{computed} should be unknown");
        }
        assert_eq!(result.get("username").as_str(), Some("kubernetes-admin"));
        assert_eq!(result.get("server"), known.get("server"));

        // Another CA's key: an error at cluster_ca, no result, no key in the text.
        let mut wrong = known.clone();
        let mut other = ca_object("other");
        other.set("ca_cert_pem", known.get("cluster_ca").get("ca_cert_pem").clone());
        wrong.set("cluster_ca", other);
        let (_, r) = open(&svc, TYPE, &wrong).await;
        assert!(r.result.is_none());
        assert_eq!((r.diagnostics[0].severity, r.diagnostics[0].summary.as_str()), (ERROR, "Unusable cluster_ca"));
        assert_eq!(r.diagnostics[0].attribute.as_ref().unwrap().steps.len(), 1);
        assert!(!r.diagnostics[0].detail.contains("PRIVATE KEY"));

        // Renew and close are accepted; an unknown type is a diagnostic, not a transport error.
        let renew = pb::renew_ephemeral_resource::Request { type_name: TYPE.into(), private: None };
        let r = svc.renew_ephemeral_resource(Request::new(renew)).await.unwrap().into_inner();
        assert!(r.diagnostics.is_empty() && r.renew_at.is_none());
        let close = pb::close_ephemeral_resource::Request { type_name: TYPE.into(), private: None };
        assert!(svc.close_ephemeral_resource(Request::new(close)).await.unwrap().into_inner().diagnostics.is_empty());
        let (_, r) = open(&svc, "kubeadm_nothing", &known).await;
        assert_eq!(r.diagnostics[0].summary, "Unknown ephemeral resource type");
    }
}
