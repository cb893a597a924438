//! Malformed configurations, table-driven, against every Terraform found.
//!
//! One working directory per Terraform version holds a good cluster CA and
//! bootstrap token (applied first); every case then adds one broken resource,
//! data source or provider block to that configuration and runs `plan` (and
//! `apply` when the plan passes). Each bad case must:
//!
//! - fail, with an error whose summary says what is wrong;
//! - point at the attribute: the error block names the resource (`with
//!   <address>,`) and shows the attribute's source line (`NN: <attr> = ...`),
//!   or, for an attribute the configuration leaves out, names it in the text;
//! - not crash the provider, print a bounded amount of text, and leave the
//!   state exactly as it was.
//!
//! Unknown values are exercised too: attributes fed by `-var`, by variables
//! without a value (`terraform validate`) and by resources created in the
//! same run. Those controls, and a few large inputs that are valid, must
//! succeed. A summary table is printed at the end.
//!
//! `BAD_INPUT_FILTER=<text>` runs only the cases whose name contains it and
//! `BAD_INPUT_VERBOSE=1` prints every output (both for working on the cases).

use crate::support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use support::{blocks, config as with_header, terraforms, Terraform, WorkDir};
use terraform_provider_kubeadm::bootstrap::pki::{self, CaRole, KeyAlgorithm};
use time::OffsetDateTime;

const PROVIDER: &str = r#"provider["registry.terraform.io/kubeadm-ignition/kubeadm"]"#;
const TOKEN: &str = "kubeadm_bootstrap_token.bad";
const CA: &str = "kubeadm_cluster_ca.bad";
const IGN: &str = "kubeadm_ignition_config.bad";
const IGN_DATA: &str = "data.kubeadm_ignition_config.bad";
const CAPI_DATA: &str = "data.kubeadm_capi_manifests.bad";
const HEALTH_DATA: &str = "data.kubeadm_cluster_health.bad";

/// Most a failing case may print (the large inputs must not be echoed back).
const OUTPUT_LIMIT: usize = 64 * 1024;
/// Most one plan or apply of a case may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// The good resources every case runs next to.
const BASE: &str = r#"
resource "kubeadm_cluster_ca" "ca" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "join" {}
"#;

#[derive(Clone)]
enum Want {
    /// An error with this summary, in the block of `addr`, about `attr`.
    Error {
        summary: String,
        addr: String,
        attr: String,
        /// The attribute is in the configuration, so its source line must show.
        in_source: bool,
        /// Terraform's own diagnostic (type checks, block structure): it
        /// names the block but has no `with <address>` line.
        core: bool,
        /// Terraform before 1.15 (and OpenTofu, up to 1.12 at least) cannot
        /// point inside a nested attribute's value and shows this enclosing
        /// block's line instead.
        old_tf_shows: Option<String>,
    },
    /// plan and apply succeed (a control).
    Success,
}

#[derive(Clone)]
struct Case {
    group: &'static str,
    name: String,
    body: String,
    vars: Vec<(String, String)>,
    files: Vec<(String, Vec<u8>)>,
    want: Want,
}

impl Case {
    fn var(mut self, k: &str, v: &str) -> Case {
        self.vars.push((k.to_string(), v.to_string()));
        self
    }
    fn file(mut self, name: &str, bytes: impl Into<Vec<u8>>) -> Case {
        self.files.push((name.to_string(), bytes.into()));
        self
    }
    /// The attribute is not written in the configuration: only require its name in the text.
    fn absent(mut self) -> Case {
        if let Want::Error { in_source, .. } = &mut self.want {
            *in_source = false;
        }
        self
    }
    /// See [`Want::Error::old_tf_shows`].
    fn old_tf_shows(mut self, block: &str) -> Case {
        if let Want::Error { old_tf_shows, .. } = &mut self.want {
            *old_tf_shows = Some(block.to_string());
        }
        self
    }
    /// Terraform itself reports this one (before the provider sees it).
    fn core(mut self) -> Case {
        if let Want::Error { core, .. } = &mut self.want {
            *core = true;
        }
        self
    }
}

/// A case that must fail with `summary` at `addr`.`attr`.
fn bad(group: &'static str, name: &str, addr: &str, attr: &str, summary: &str, body: impl Into<String>) -> Case {
    Case {
        group,
        name: name.to_string(),
        body: body.into(),
        vars: Vec::new(),
        files: Vec::new(),
        want: Want::Error {
            summary: summary.to_string(),
            addr: addr.to_string(),
            attr: attr.to_string(),
            in_source: true,
            core: false,
            old_tf_shows: None,
        },
    }
}

/// A control that must succeed.
fn good(group: &'static str, name: &str, body: impl Into<String>) -> Case {
    Case { group, name: name.to_string(), body: body.into(), vars: Vec::new(), files: Vec::new(), want: Want::Success }
}

/// An HCL quoted string holding `s` verbatim.
fn hcl(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------
// Configuration builders

fn provider(store: &str) -> String {
    format!("provider \"kubeadm\" {{\n  store {{\n{store}\n  }}\n}}\n")
}

fn s3(lines: &str) -> String {
    provider(&format!("    s3 {{\n      bucket = \"b\"\n{lines}\n    }}"))
}

fn token(lines: &str) -> String {
    format!("resource \"kubeadm_bootstrap_token\" \"bad\" {{\n{lines}\n}}\n")
}

fn ca(lines: &str) -> String {
    format!("resource \"kubeadm_cluster_ca\" \"bad\" {{\n  cluster_name = \"prod\"\n{lines}\n}}\n")
}

fn ca_named(lines: &str) -> String {
    format!("resource \"kubeadm_cluster_ca\" \"bad\" {{\n{lines}\n}}\n")
}

/// A `kubeadm_ignition_config` named `bad` (resource or data source): a
/// valid worker unless `set` changes it. Keys are top-level attributes or
/// `cluster.<attr>`; the value is raw HCL, or `-` to leave the attribute out.
fn node_of(data: bool, set: &[(&str, &str)], extra: &str) -> String {
    let mut top: Vec<(String, String)> = [
        ("role", "\"worker\""),
        ("cluster_ca", "kubeadm_cluster_ca.ca"),
        ("bootstrap_token", "kubeadm_bootstrap_token.join"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut cluster: Vec<(String, String)> = [
        ("name", "\"prod\""),
        ("kubernetes_version", "\"v1.31.4\""),
        ("control_plane_endpoint", "\"api.prod.example.com:6443\""),
        ("pod_subnet", "\"192.168.0.0/16\""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in set {
        let (list, key) = match k.strip_prefix("cluster.") {
            Some(c) => (&mut cluster, c),
            None => (&mut top, *k),
        };
        list.retain(|(x, _)| x != key);
        if *v != "-" {
            list.push((key.to_string(), v.to_string()));
        }
    }
    let mut out = String::new();
    let kind = if data { "data" } else { "resource" };
    let _ = writeln!(out, "{kind} \"kubeadm_ignition_config\" \"bad\" {{");
    for (k, v) in &top {
        let _ = writeln!(out, "  {k} = {v}");
    }
    if !cluster.is_empty() {
        out.push_str("  cluster {\n");
        for (k, v) in &cluster {
            let _ = writeln!(out, "    {k} = {v}");
        }
        out.push_str("  }\n");
    }
    out.push_str(extra);
    out.push_str("\n}\n");
    out
}

fn node(set: &[(&str, &str)], extra: &str) -> String {
    node_of(false, set, extra)
}

fn node_data(set: &[(&str, &str)], extra: &str) -> String {
    node_of(true, set, extra)
}

fn capi(lines: &str) -> String {
    format!("data \"kubeadm_capi_manifests\" \"bad\" {{\n  cluster_name = \"demo\"\n{lines}\n}}\n")
}

// ---------------------------------------------------------------------------
// PEM material

struct Pems {
    ca: pki::CaPair,
    other: pki::CaPair,
    rsa: pki::CaPair,
    expired: pki::CaPair,
    leaf_cert: String,
    leaf_key: String,
    sa_pub: String,
    sa_key: String,
    other_sa_pub: String,
}

fn pems() -> Pems {
    let now = OffsetDateTime::now_utc();
    let gen = |role, alg, days, at| pki::generate_ca(role, "prod", alg, days, at).expect("generate a CA");
    let ca = gen(CaRole::Kubernetes, KeyAlgorithm::EcdsaP256, 365, now);
    let other = gen(CaRole::Kubernetes, KeyAlgorithm::EcdsaP256, 365, now);
    let rsa = gen(CaRole::Kubernetes, KeyAlgorithm::Rsa2048, 365, now);
    let expired = gen(CaRole::Kubernetes, KeyAlgorithm::EcdsaP256, 1, now - time::Duration::days(30));
    // A leaf certificate (CA:FALSE) with its own key.
    let key = rcgen::KeyPair::generate().expect("leaf key");
    let mut params = rcgen::CertificateParams::new(vec!["leaf.example.com".to_string()]).expect("leaf params");
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    let leaf = params.self_signed(&key).expect("leaf cert");
    let sa = pki::generate_service_account(KeyAlgorithm::EcdsaP256).expect("sa keys");
    let other_sa = pki::generate_service_account(KeyAlgorithm::EcdsaP256).expect("sa keys");
    Pems {
        ca,
        other,
        rsa,
        expired,
        leaf_cert: leaf.pem(),
        leaf_key: key.serialize_pem(),
        sa_pub: sa.public_pem,
        sa_key: sa.private_pem.into_inner(),
        other_sa_pub: other_sa.public_pem,
    }
}

fn key(p: &pki::CaPair) -> String {
    p.key_pem.expose().clone()
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(support::repo_root().join("tests/fixtures/capi").join(path)).expect("capi fixture")
}

// ---------------------------------------------------------------------------
// The cases

fn provider_cases() -> Vec<Case> {
    let p = "provider";
    vec![
        bad(
            p,
            "store with s3 and local",
            PROVIDER,
            "local",
            "Conflicting store blocks",
            provider("    s3 {\n      bucket = \"b\"\n    }\n    local {\n      path = \"./x\"\n    }"),
        ),
        bad(p, "empty store", PROVIDER, "store", "Empty store block", provider("")),
        bad(
            p,
            "unknown encryption",
            PROVIDER,
            "server_side_encryption",
            "Invalid server-side encryption",
            s3("      server_side_encryption = \"aes\""),
        ),
        bad(
            p,
            "kms key without aws:kms",
            PROVIDER,
            "kms_key_id",
            "kms_key_id needs aws:kms",
            s3("      server_side_encryption = \"AES256\"\n      kms_key_id = \"k\""),
        ),
        bad(p, "presign_ttl in days", PROVIDER, "presign_ttl", "Invalid presign_ttl", s3("      presign_ttl = \"7d\"")),
        bad(
            p,
            "negative presign_ttl",
            PROVIDER,
            "presign_ttl",
            "Invalid presign_ttl",
            s3("      presign_ttl = \"-1h\""),
        ),
        bad(p, "zero presign_ttl", PROVIDER, "presign_ttl", "Invalid presign_ttl", s3("      presign_ttl = \"0s\"")),
        bad(
            p,
            "presign_ttl from -var",
            PROVIDER,
            "presign_ttl",
            "Invalid presign_ttl",
            format!("variable \"presign\" {{\n  type = string\n}}\n{}", s3("      presign_ttl = var.presign")),
        )
        .var("presign", "forever"),
        bad(
            p,
            "endpoint not http",
            PROVIDER,
            "endpoint",
            "Invalid S3 endpoint",
            s3("      endpoint = \"ftp://10.0.0.1:21\""),
        ),
        bad(
            p,
            "endpoint without scheme",
            PROVIDER,
            "endpoint",
            "Invalid S3 endpoint",
            s3("      endpoint = \"127.0.0.1:9000\""),
        ),
        bad(
            p,
            "s3 without bucket",
            PROVIDER,
            "bucket",
            "Missing required argument",
            provider("    s3 {\n      prefix = \"x\"\n    }"),
        )
        .absent()
        .core(),
        bad(
            p,
            "force_path_style not a bool",
            PROVIDER,
            "force_path_style",
            "Incorrect attribute value type",
            s3("      force_path_style = \"maybe\""),
        )
        .core(),
        bad(p, "unknown store kind", PROVIDER, "gcs", "Unsupported block type", provider("    gcs {\n    }")).core(),
        bad(
            p,
            "two local blocks",
            PROVIDER,
            "local",
            "Duplicate local block",
            provider("    local {\n      path = \"./a\"\n    }\n    local {\n      path = \"./b\"\n    }"),
        )
        .core(),
    ]
}

fn cluster_ca_cases(p: &Pems) -> Vec<Case> {
    let g = "kubeadm_cluster_ca";
    let pair = |cert: &str, key: &str| {
        format!("  key_algorithm = \"ECDSA-P256\"\n  ca_cert_pem = {}\n  ca_key_pem = {}", hcl(cert), hcl(key))
    };
    let truncated = p.ca.cert_pem[..p.ca.cert_pem.len() / 2].to_string();
    let garbage_body = "MIIB".repeat(40);
    let fake_pem = format!("-----BEGIN CERTIFICATE-----\n{garbage_body}\n-----END CERTIFICATE-----\n");
    let huge_pem = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", "QUFB".repeat(512 * 1024));
    vec![
        bad(g, "empty cluster_name", CA, "cluster_name", "Invalid cluster_name", ca_named("  cluster_name = \"  \"")),
        bad(g, "cluster_name too long", CA, "cluster_name", "Invalid cluster_name", ca_named(&format!("  cluster_name = \"{}\"", "c".repeat(65)))),
        bad(g, "cluster_name missing", CA, "cluster_name", "Missing required argument", ca_named("  validity_days = 30")).absent().core(),
        bad(g, "cluster_name from -var", CA, "cluster_name", "Invalid cluster_name",
            format!("variable \"cn\" {{\n  type = string\n}}\n{}", ca_named("  cluster_name = var.cn"))).var("cn", " "),
        bad(g, "RSA-1024", CA, "key_algorithm", "Invalid key_algorithm", ca("  key_algorithm = \"RSA-1024\"")),
        bad(g, "ed25519", CA, "key_algorithm", "Invalid key_algorithm", ca("  key_algorithm = \"ed25519\"")),
        bad(g, "validity_days 0", CA, "validity_days", "Invalid validity_days", ca("  validity_days = 0")),
        bad(g, "validity_days too large", CA, "validity_days", "Invalid validity_days", ca("  validity_days = 36501")),
        bad(g, "validity_days negative", CA, "validity_days", "Invalid validity_days", ca("  validity_days = -5")),
        bad(g, "validity_days fractional", CA, "validity_days", "Invalid validity_days", ca("  validity_days = 1.5")),
        bad(g, "validity_days huge number", CA, "validity_days", "Invalid validity_days", ca("  validity_days = 1e300")),
        bad(g, "validity_days not a number", CA, "validity_days", "Incorrect attribute value type", ca("  validity_days = \"ten\"")).core(),
        bad(g, "garbage PEM", CA, "ca_cert_pem", "Invalid Kubernetes CA", ca(&pair("not a certificate", "not a key"))),
        bad(g, "PEM of random bytes", CA, "ca_cert_pem", "Invalid Kubernetes CA", ca(&pair(&fake_pem, &key(&p.ca)))),
        bad(g, "truncated certificate", CA, "ca_cert_pem", "Invalid Kubernetes CA", ca(&pair(&truncated, &key(&p.ca)))),
        bad(g, "key in the certificate field", CA, "ca_cert_pem", "Invalid Kubernetes CA", ca(&pair(&key(&p.ca), &key(&p.ca)))),
        bad(g, "certificate in the key field", CA, "ca_key_pem", "Invalid Kubernetes CA", ca(&pair(&p.ca.cert_pem, &p.ca.cert_pem))),
        bad(g, "mismatched key", CA, "ca_key_pem", "Invalid Kubernetes CA", ca(&pair(&p.ca.cert_pem, &key(&p.other)))),
        bad(g, "leaf certificate", CA, "ca_cert_pem", "Invalid Kubernetes CA", ca(&pair(&p.leaf_cert, &p.leaf_key))),
        bad(g, "expired CA", CA, "ca_cert_pem", "Invalid Kubernetes CA", ca(&pair(&p.expired.cert_pem, &key(&p.expired)))),
        bad(g, "two certificates", CA, "ca_cert_pem", "Invalid Kubernetes CA",
            ca(&pair(&format!("{}{}", p.ca.cert_pem, p.other.cert_pem), &key(&p.ca)))),
        bad(g, "2 MB certificate", CA, "ca_cert_pem", "Invalid Kubernetes CA", ca(&pair(&huge_pem, &key(&p.ca)))),
        bad(g, "certificate without key", CA, "ca_key_pem", "Incomplete Kubernetes CA",
            ca(&format!("  ca_cert_pem = {}", hcl(&p.ca.cert_pem)))).absent(),
        bad(g, "key without certificate", CA, "ca_cert_pem", "Incomplete Kubernetes CA",
            ca(&format!("  ca_key_pem = {}", hcl(&key(&p.ca))))).absent(),
        bad(g, "front-proxy mismatched key", CA, "front_proxy_ca_key_pem", "Invalid front-proxy CA",
            ca(&format!("  key_algorithm = \"ECDSA-P256\"\n  front_proxy_ca_cert_pem = {}\n  front_proxy_ca_key_pem = {}", hcl(&p.ca.cert_pem), hcl(&key(&p.other))))),
        bad(g, "etcd leaf certificate", CA, "etcd_ca_cert_pem", "Invalid etcd CA",
            ca(&format!("  etcd_ca_cert_pem = {}\n  etcd_ca_key_pem = {}", hcl(&p.leaf_cert), hcl(&p.leaf_key)))),
        bad(g, "service-account keys that differ", CA, "service_account_public_key_pem", "Invalid service-account key pair",
            ca(&format!("  key_algorithm = \"ECDSA-P256\"\n  service_account_public_key_pem = {}\n  service_account_private_key_pem = {}", hcl(&p.other_sa_pub), hcl(&p.sa_key)))),
        bad(g, "service-account public key garbage", CA, "service_account_public_key_pem", "Invalid service-account key pair",
            ca(&format!("  service_account_public_key_pem = \"ssh-rsa AAAA\"\n  service_account_private_key_pem = {}", hcl(&p.sa_key)))),
        bad(g, "service-account certificate as public key", CA, "service_account_public_key_pem", "Invalid service-account key pair",
            ca(&format!("  service_account_public_key_pem = {}\n  service_account_private_key_pem = {}", hcl(&p.ca.cert_pem), hcl(&p.sa_key)))),
        bad(g, "service-account public key only", CA, "service_account_private_key_pem", "Incomplete service-account key pair",
            ca(&format!("  service_account_public_key_pem = {}", hcl(&p.sa_pub)))).absent(),
        bad(g, "key_algorithm differs from the supplied CA", CA, "key_algorithm", "key_algorithm does not match the supplied CA",
            ca(&format!("  key_algorithm = \"ECDSA-P384\"\n  ca_cert_pem = {}\n  ca_key_pem = {}", hcl(&p.rsa.cert_pem), hcl(&key(&p.rsa))))),
    ]
}

fn token_cases() -> Vec<Case> {
    let g = "kubeadm_bootstrap_token";
    let var = |name: &str, line: &str| format!("variable \"{name}\" {{\n  type = string\n}}\n{}", token(line));
    vec![
        bad(g, "ttl in days", TOKEN, "ttl", "Invalid ttl", token("  ttl = \"1d\"")),
        bad(g, "negative ttl", TOKEN, "ttl", "Invalid ttl", token("  ttl = \"-1h\"")),
        bad(g, "ttl words", TOKEN, "ttl", "Invalid ttl", token("  ttl = \"one day\"")),
        bad(g, "ttl overflow", TOKEN, "ttl", "Invalid ttl", token("  ttl = \"9999999999999h\"")),
        bad(g, "ttl empty", TOKEN, "ttl", "Invalid ttl", token("  ttl = \"\"")),
        bad(g, "ttl number without unit", TOKEN, "ttl", "Invalid ttl", token("  ttl = 5")),
        bad(g, "ttl list", TOKEN, "ttl", "Incorrect attribute value type", token("  ttl = [\"1h\"]")).core(),
        bad(g, "ttl from -var", TOKEN, "ttl", "Invalid ttl", var("ttl", "  ttl = var.ttl")).var("ttl", "banana"),
        bad(
            g,
            "renew_before not shorter",
            TOKEN,
            "renew_before",
            "renew_before must be shorter than ttl",
            token("  ttl = \"1h\"\n  renew_before = \"2h\""),
        ),
        bad(
            g,
            "renew_before garbage",
            TOKEN,
            "renew_before",
            "Invalid renew_before",
            token("  renew_before = \"soon\""),
        ),
        bad(
            g,
            "renew_before negative",
            TOKEN,
            "renew_before",
            "Invalid renew_before",
            token("  renew_before = \"-5m\""),
        ),
        bad(
            g,
            "token upper case",
            TOKEN,
            "token",
            "Invalid bootstrap token",
            token("  token = \"ABCDEF.0123456789abcdef\""),
        ),
        bad(
            g,
            "token without dot",
            TOKEN,
            "token",
            "Invalid bootstrap token",
            token("  token = \"abcdef0123456789abcdef\""),
        ),
        bad(
            g,
            "token id short",
            TOKEN,
            "token",
            "Invalid bootstrap token",
            token("  token = \"abcde.0123456789abcdef\""),
        ),
        bad(
            g,
            "token trailing newline",
            TOKEN,
            "token",
            "Invalid bootstrap token",
            token("  token = \"abcdef.0123456789abcdef\\n\""),
        ),
        bad(
            g,
            "token unicode",
            TOKEN,
            "token",
            "Invalid bootstrap token",
            token("  token = \"abcdéf.0123456789abcdef\""),
        ),
        bad(
            g,
            "token 1 MB",
            TOKEN,
            "token",
            "Invalid bootstrap token",
            token(&format!("  token = \"{}\"", "a".repeat(1 << 20))),
        ),
        bad(
            g,
            "group outside bootstrappers",
            TOKEN,
            "groups",
            "Invalid token group",
            token("  groups = [\"system:masters\"]"),
        ),
        bad(
            g,
            "group upper case",
            TOKEN,
            "groups",
            "Invalid token group",
            token("  groups = [\"system:bootstrappers:Workers\"]"),
        ),
        bad(
            g,
            "group ends with colon",
            TOKEN,
            "groups",
            "Invalid token group",
            token("  groups = [\"system:bootstrappers:\"]"),
        ),
        bad(
            g,
            "group too long",
            TOKEN,
            "groups",
            "Invalid token group",
            token(&format!("  groups = [\"system:bootstrappers:{}\"]", "a".repeat(300))),
        ),
        bad(
            g,
            "duplicate groups",
            TOKEN,
            "groups",
            "Invalid token group",
            token("  groups = [\"system:bootstrappers:a\", \"system:bootstrappers:a\"]"),
        ),
        bad(g, "group from -var", TOKEN, "groups", "Invalid token group", var("g", "  groups = [var.g]"))
            .var("g", "system:nodes"),
        bad(g, "unknown usage", TOKEN, "usages", "Invalid token usage", token("  usages = [\"signing\", \"fly\"]")),
        bad(g, "empty usage", TOKEN, "usages", "Invalid token usage", token("  usages = [\"\"]")),
        bad(
            g,
            "duplicate usage",
            TOKEN,
            "usages",
            "Invalid token usage",
            token("  usages = [\"signing\", \"signing\"]"),
        ),
        bad(g, "usages as a string", TOKEN, "usages", "Incorrect attribute value type", token("  usages = { a = 1 }"))
            .core(),
    ]
}

fn ignition_cases(p: &Pems) -> Vec<Case> {
    let g = "kubeadm_ignition_config";
    let patch = |doc: &str, yaml: &str| format!("  kubeadm_config_patches {{\n    {doc} = {}\n  }}", hcl(yaml));
    let five_mb_patch =
        format!("apiServer:\n  extraArgs:\n    audit-policy: \"{}\"\n  bogusField: 1\n", "x".repeat(5 << 20));
    let big_manifests: String =
        std::iter::repeat_n("---\n# filler\nkind: ConfigMap\napiVersion: v1\nmetadata:\n  name: x\n", 60_000).collect();
    vec![
        bad(g, "role master", IGN, "role", "Invalid role", node(&[("role", "\"master\"")], "")),
        bad(g, "role missing", IGN, "role", "Missing role", node(&[("role", "-")], "")).absent(),
        bad(g, "role from -var", IGN, "role", "Invalid role",
            format!("variable \"role\" {{\n  type = string\n}}\n{}", node(&[("role", "var.role")], ""))).var("role", "boss"),
        bad(g, "version below 1.22", IGN, "kubernetes_version", "Unsupported Kubernetes version", node(&[("cluster.kubernetes_version", "\"v1.21.14\"")], "")),
        bad(g, "version without patch", IGN, "kubernetes_version", "Unsupported Kubernetes version", node(&[("cluster.kubernetes_version", "\"v1.31\"")], "")),
        bad(g, "version latest", IGN, "kubernetes_version", "Unsupported Kubernetes version", node(&[("cluster.kubernetes_version", "\"latest\"")], "")),
        bad(g, "version 2.x", IGN, "kubernetes_version", "Unsupported Kubernetes version", node(&[("cluster.kubernetes_version", "\"v2.0.0\"")], "")),
        bad(g, "version huge minor", IGN, "kubernetes_version", "Unsupported Kubernetes version", node(&[("cluster.kubernetes_version", "\"v1.99999999999999999999.0\"")], "")),
        bad(g, "version missing", IGN, "kubernetes_version", "Missing kubernetes_version", node(&[("cluster.kubernetes_version", "-")], "")).absent(),
        bad(g, "cluster name missing", IGN, "name", "Missing cluster name", node(&[("cluster.name", "-")], "")).absent(),
        bad(g, "endpoint with scheme", IGN, "control_plane_endpoint", "Invalid control_plane_endpoint", node(&[("cluster.control_plane_endpoint", "\"https://api:6443\"")], "")),
        bad(g, "endpoint port out of range", IGN, "control_plane_endpoint", "Invalid control_plane_endpoint", node(&[("cluster.control_plane_endpoint", "\"api:99999\"")], "")),
        bad(g, "endpoint with space", IGN, "control_plane_endpoint", "Invalid control_plane_endpoint", node(&[("cluster.control_plane_endpoint", "\"api example\"")], "")),
        bad(g, "worker without endpoint", IGN, "control_plane_endpoint", "Missing control_plane_endpoint", node(&[("cluster.control_plane_endpoint", "-")], "")).absent(),
        bad(g, "pod_subnet /33", IGN, "pod_subnet", "Invalid pod_subnet", node(&[("cluster.pod_subnet", "\"10.0.0.0/33\"")], "")),
        bad(g, "pod_subnet dual stack typo", IGN, "pod_subnet", "Invalid pod_subnet", node(&[("cluster.pod_subnet", "\"192.168.0.0/16,nope\"")], "")),
        bad(g, "pod_subnet overlaps services", IGN, "pod_subnet", "Overlapping subnets", node(&[("cluster.pod_subnet", "\"10.100.0.0/16\"")], "")),
        bad(g, "service_subnet garbage", IGN, "service_subnet", "Invalid service_subnet", node(&[("cluster.service_subnet", "\"banana\"")], "")),
        bad(g, "operating system ubuntu", IGN, "operating_system", "Invalid operating_system", node(&[("operating_system", "\"ubuntu\"")], "")),
        bad(g, "ignition 3.5.0", IGN, "ignition_version", "Invalid ignition_version", node(&[("ignition_version", "\"3.5.0\"")], "")),
        bad(g, "name_from gcp", IGN, "name_from", "Invalid name_from", node(&[], "  node {\n    name_from = \"gcp\"\n  }")),
        bad(g, "verbosity 11", IGN, "kubeadm_verbosity", "Invalid kubeadm_verbosity", node(&[], "  node {\n    kubeadm_verbosity = 11\n  }")),
        bad(g, "verbosity negative", IGN, "kubeadm_verbosity", "Invalid kubeadm_verbosity", node(&[], "  node {\n    kubeadm_verbosity = -1\n  }")),
        bad(g, "verbosity fractional", IGN, "kubeadm_verbosity", "Invalid kubeadm_verbosity", node(&[], "  node {\n    kubeadm_verbosity = 2.5\n  }")),
        bad(g, "taint effect", IGN, "taints", "Invalid taint effect",
            node(&[], "  node {\n    taints = [{ key = \"a\", value = \"b\", effect = \"Sometimes\" }]\n  }")).old_tf_shows("node"),
        bad(g, "relative file path", IGN, "path", "Invalid file path", node(&[], "  files {\n    path = \"etc/foo\"\n    content = \"x\"\n  }")),
        bad(g, "file path with ..", IGN, "path", "Invalid file path", node(&[], "  files {\n    path = \"/etc/../root/x\"\n    content = \"x\"\n  }")),
        bad(g, "duplicate file path", IGN, "path", "Duplicate file path",
            node(&[], "  files {\n    path = \"/etc/a\"\n    content = \"x\"\n  }\n  files {\n    path = \"/etc/a\"\n    content = \"y\"\n  }")),
        bad(g, "file mode 0999", IGN, "mode", "Invalid file mode", node(&[], "  files {\n    path = \"/etc/a\"\n    content = \"x\"\n    mode = \"0999\"\n  }")),
        bad(g, "file owner a:b:c", IGN, "owner", "Invalid owner", node(&[], "  files {\n    path = \"/etc/a\"\n    content = \"x\"\n    owner = \"a:b:c\"\n  }")),
        bad(g, "artifact source docker", IGN, "source", "Invalid artifact source", node(&[], "  kubernetes_artifacts {\n    source = \"docker\"\n  }")),
        bad(g, "manifest without url", IGN, "manifest_url", "Missing manifest_url", node(&[], "  kubernetes_artifacts {\n    source = \"manifest\"\n  }")).absent(),
        bad(g, "manifest missing", IGN, "manifest_url", "Artifacts manifest unusable",
            node(&[], "  kubernetes_artifacts {\n    source = \"manifest\"\n    manifest_url = \"./no-such-manifest.json\"\n  }")),
        bad(g, "manifest not JSON", IGN, "manifest_url", "Artifacts manifest unusable",
            node(&[], "  kubernetes_artifacts {\n    source = \"manifest\"\n    manifest_url = \"./manifest.json\"\n  }")).file("manifest.json", "{ not json"),
        bad(g, "urls without files", IGN, "files", "No artifact files", node(&[], "  kubernetes_artifacts {\n    source = \"urls\"\n  }")).absent(),
        bad(g, "artifact sha512 short", IGN, "sha512", "Invalid sha512",
            node(&[], "  kubernetes_artifacts {\n    source = \"urls\"\n    files {\n      path = \"/opt/bin/kubeadm\"\n      url = \"https://x/kubeadm\"\n      sha512 = \"abc\"\n    }\n  }")),
        bad(g, "artifact path relative", IGN, "path", "Invalid artifact path",
            node(&[], &format!("  kubernetes_artifacts {{\n    source = \"urls\"\n    files {{\n      path = \"opt/kubeadm\"\n      url = \"https://x/kubeadm\"\n      sha512 = \"{}\"\n    }}\n  }}", "a".repeat(128)))),
        bad(g, "patch not YAML", IGN, "cluster_configuration", "Invalid kubeadm_config_patches", node(&[], &patch("cluster_configuration", "apiServer: [unclosed"))),
        bad(g, "patch unknown field", IGN, "cluster_configuration", "Invalid kubeadm_config_patches", node(&[], &patch("cluster_configuration", "apiServerr:\n  certSANs: [a]\n"))),
        bad(g, "patch wrong type", IGN, "join_configuration", "Invalid kubeadm_config_patches", node(&[], &patch("join_configuration", "nodeRegistration: 5\n"))),
        bad(g, "patch is a list", IGN, "kubelet_configuration", "Invalid kubeadm_config_patches", node(&[], &patch("kubelet_configuration", "- a\n- b\n"))),
        bad(g, "kube-proxy patch unknown field", IGN, "kube_proxy_configuration", "Invalid kubeadm_config_patches", node(&[], &patch("kube_proxy_configuration", "moed: ipvs\n"))),
        bad(g, "5 MB patch", IGN, "cluster_configuration", "Invalid kubeadm_config_patches",
            node(&[], "  kubeadm_config_patches {\n    cluster_configuration = file(\"big-patch.yaml\")\n  }")).file("big-patch.yaml", five_mb_patch),
        bad(g, "capi_manifests not YAML", IGN, "capi_manifests", "Unusable capi_manifests", node(&[], "  capi_manifests = \"a: [b\"")),
        bad(g, "capi_manifests without a KubeadmConfig", IGN, "capi_manifests", "Unusable capi_manifests",
            node(&[], "  capi_manifests = \"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: x\\n\"")),
        bad(g, "capi_manifests unknown version", IGN, "capi_manifests", "Unusable capi_manifests",
            node(&[], "  capi_manifests = \"apiVersion: bootstrap.cluster.x-k8s.io/v9\\nkind: KubeadmConfig\\nmetadata:\\n  name: x\\nspec: {}\\n\"")),
        bad(g, "capi_manifests scalar", IGN, "capi_manifests", "Unusable capi_manifests", node(&[], "  capi_manifests = \"42\"")),
        bad(g, "capi_manifests 5 MB", IGN, "capi_manifests", "Unusable capi_manifests",
            node(&[], "  capi_manifests = file(\"big.yaml\")")).file("big.yaml", big_manifests),
        bad(g, "capi_manifests version from the Machine too old", IGN, "capi_manifests", "Unsupported Kubernetes version",
            node(&[("cluster.kubernetes_version", "-")], "  capi_manifests = file(\"old.yaml\")"))
            .file("old.yaml", fixture("v1beta1/worker.yaml").replace("version: v1.31.4", "version: v1.19.0")),
        bad(g, "additional_ignition not JSON", IGN, "additional_ignition", "Cannot render the Ignition config", node(&[], "  additional_ignition = [\"{ nope\"]")),
        bad(g, "cluster_ca missing", IGN, "cluster_ca", "Missing cluster_ca", node(&[("cluster_ca", "-")], "")).absent(),
        bad(g, "cluster_ca without keys on a control plane", IGN, "cluster_ca", "Incomplete cluster_ca",
            node(&[("role", "\"control-plane\""), ("cluster_ca", &format!("{{\n    ca_cert_pem = {}\n    ca_key_pem = null\n    front_proxy_ca_cert_pem = null\n    front_proxy_ca_key_pem = null\n    etcd_ca_cert_pem = null\n    etcd_ca_key_pem = null\n    service_account_public_key_pem = null\n    service_account_private_key_pem = null\n    ca_cert_hash = kubeadm_cluster_ca.ca.ca_cert_hash\n  }}", hcl(&p.ca.cert_pem)))], "")),
        bad(g, "bootstrap_token not a token", IGN, "bootstrap_token", "Invalid bootstrap_token",
            node(&[("bootstrap_token", "{\n    token = \"not-a-token\"\n    expires_at = null\n    description = null\n    usages = []\n    groups = []\n  }")], "")),
        bad(g, "bootstrap_token wrong type", IGN, "bootstrap_token", "Incorrect attribute value type", node(&[("bootstrap_token", "\"abcdef.0123456789abcdef\"")], "")).core(),
        // Dynamic blocks have no source line per element: Terraform shows the resource.
        bad(g, "10000 files with one path", IGN, "files", "Duplicate file path",
            node(&[], "  dynamic \"files\" {\n    for_each = flatten([for a in range(100) : [for b in range(100) : \"${a}-${b}\"]])\n    content {\n      path = \"/etc/same\"\n      content = \"x\"\n    }\n  }")).absent(),
        // user_data_mode and replace_after (the default store is local, without base_url).
        bad(g, "user_data_mode sometimes", IGN, "user_data_mode", "Invalid user_data_mode", node(&[("user_data_mode", "\"sometimes\"")], "")),
        bad(g, "stable without a URL", IGN, "user_data_mode", "needs a URL", node(&[("user_data_mode", "\"stable\"")], "")),
        bad(g, "replace_after abc", IGN, "replace_after", "Invalid replace_after", node(&[("replace_after", "\"abc\"")], "")),
        bad(g, "replace_after negative", IGN, "replace_after", "Invalid replace_after", node(&[("replace_after", "\"-1h\"")], "")),
        bad(g, "replace_after zero", IGN, "replace_after", "Invalid replace_after", node(&[("replace_after", "\"0s\"")], "")),
        // cluster.certificate_validity: a positive Go duration, on Kubernetes 1.31+ (kubeadm v1beta4).
        bad(g, "certificate_validity abc", IGN, "certificate_validity", "Invalid certificate_validity", node(&[("cluster.certificate_validity", "\"abc\"")], "")),
        bad(g, "certificate_validity zero", IGN, "certificate_validity", "Invalid certificate_validity", node(&[("cluster.certificate_validity", "\"0s\"")], "")),
        bad(g, "certificate_validity on 1.30", IGN, "certificate_validity", "certificate_validity needs Kubernetes 1.31+",
            node(&[("cluster.kubernetes_version", "\"v1.30.8\""), ("cluster.certificate_validity", "\"2160h\"")], "")),
    ]
}

fn ignition_data_cases() -> Vec<Case> {
    let g = "data kubeadm_ignition_config";
    vec![
        bad(g, "data role", IGN_DATA, "role", "Invalid role", node_data(&[("role", "\"boss\"")], "")),
        bad(
            g,
            "data version",
            IGN_DATA,
            "kubernetes_version",
            "Unsupported Kubernetes version",
            node_data(&[("cluster.kubernetes_version", "\"one\"")], ""),
        ),
        bad(
            g,
            "data endpoint",
            IGN_DATA,
            "control_plane_endpoint",
            "Invalid control_plane_endpoint",
            node_data(&[("cluster.control_plane_endpoint", "\"a b:1\"")], ""),
        ),
        bad(
            g,
            "data pod_subnet",
            IGN_DATA,
            "pod_subnet",
            "Invalid pod_subnet",
            node_data(&[("cluster.pod_subnet", "\"::/200\"")], ""),
        ),
        bad(
            g,
            "data patch",
            IGN_DATA,
            "init_configuration",
            "Invalid kubeadm_config_patches",
            node_data(
                &[("role", "\"init\"")],
                "  kubeadm_config_patches {\n    init_configuration = \"bootstrapTokens: nope\"\n  }",
            ),
        ),
        bad(
            g,
            "data capi_manifests",
            IGN_DATA,
            "capi_manifests",
            "Unusable capi_manifests",
            node_data(&[], "  capi_manifests = \"--- [\""),
        ),
        bad(
            g,
            "data ignition version",
            IGN_DATA,
            "ignition_version",
            "Invalid ignition_version",
            node_data(&[("ignition_version", "\"2.2.0\"")], ""),
        ),
    ]
}

fn capi_data_cases() -> Vec<Case> {
    let g = "data kubeadm_capi_manifests";
    vec![
        bad(g, "namespace upper case", CAPI_DATA, "namespace", "Invalid namespace", capi("  host = \"https://10.0.0.1:6443\"\n  token = \"t\"\n  namespace = \"Bad_NS\"")),
        bad(g, "cluster_name upper case", CAPI_DATA, "cluster_name", "Invalid cluster_name",
            "data \"kubeadm_capi_manifests\" \"bad\" {\n  cluster_name = \"Demo!\"\n  host = \"https://10.0.0.1:6443\"\n  token = \"t\"\n}\n"),
        bad(g, "no connection", CAPI_DATA, "kubeconfig_path", "No connection to a management cluster", capi("")).absent(),
        bad(g, "kubeconfig path missing", CAPI_DATA, "kubeconfig_path", "Cannot read the kubeconfig", capi("  kubeconfig_path = \"/no/such/kubeconfig\"")),
        bad(g, "kubeconfig and path", CAPI_DATA, "kubeconfig", "Conflicting kubeconfig settings",
            capi("  kubeconfig_path = \"/no/such/kubeconfig\"\n  kubeconfig = \"apiVersion: v1\"")),
        bad(g, "kubeconfig garbage", CAPI_DATA, "kubeconfig", "kubeconfig", capi("  kubeconfig = \": : :\"")),
        bad(g, "context without kubeconfig", CAPI_DATA, "context", "context without a kubeconfig",
            capi("  context = \"prod\"\n  host = \"https://10.0.0.1:6443\"\n  token = \"t\"")),
        bad(g, "host not a URL", CAPI_DATA, "host", "host", capi("  host = \"ftp://10.0.0.1\"\n  token = \"t\"")),
        bad(g, "client certificate without key", CAPI_DATA, "client_key", "client", capi("  host = \"https://10.0.0.1:6443\"\n  client_certificate = \"x\"")).absent(),
        bad(g, "cluster CA garbage", CAPI_DATA, "cluster_ca_certificate", "cluster_ca_certificate",
            capi("  host = \"https://10.0.0.1:6443\"\n  token = \"t\"\n  cluster_ca_certificate = \"not pem\"")),
        bad(g, "allow_exec_plugins not a bool", CAPI_DATA, "allow_exec_plugins", "Incorrect attribute value type",
            capi("  host = \"https://10.0.0.1:6443\"\n  token = \"t\"\n  allow_exec_plugins = [true]")).core(),
        bad(g, "exec plugin without allow_exec_plugins", CAPI_DATA, "kubeconfig", "Kubeconfig exec plugin not allowed",
            capi(&format!("  kubeconfig = {}", hcl(&exec_kubeconfig("Never"))))),
        bad(g, "exec plugin that needs a terminal", CAPI_DATA, "kubeconfig", "Invalid kubeconfig exec plugin",
            capi(&format!("  kubeconfig = {}\n  allow_exec_plugins = true", hcl(&exec_kubeconfig("Always"))))),
    ]
}

/// A kubeconfig whose user gets its credentials from an exec plugin.
fn exec_kubeconfig(interactive_mode: &str) -> String {
    format!("apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://10.0.0.1:6443\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws\n      args: [eks, get-token, --cluster-name, prod]\n      interactiveMode: {interactive_mode}\n")
}

fn health(lines: &str) -> String {
    format!("data \"kubeadm_cluster_health\" \"bad\" {{\n{lines}\n}}\n")
}

fn cluster_health_cases() -> Vec<Case> {
    let g = "data kubeadm_cluster_health";
    let direct = "  host = \"https://10.0.0.1:6443\"\n  token = \"t\"";
    vec![
        bad(
            g,
            "timeout not a duration",
            HEALTH_DATA,
            "timeout",
            "Invalid timeout",
            health(&format!("{direct}\n  timeout = \"abc\"")),
        ),
        bad(
            g,
            "poll_interval zero",
            HEALTH_DATA,
            "poll_interval",
            "Invalid poll_interval",
            health(&format!("{direct}\n  poll_interval = \"0s\"")),
        ),
        bad(
            g,
            "worker_nodes negative",
            HEALTH_DATA,
            "worker_nodes",
            "Invalid worker_nodes",
            health(&format!("{direct}\n  wait_for {{\n    worker_nodes = -1\n  }}")),
        ),
        bad(
            g,
            "no connection",
            HEALTH_DATA,
            "kubeconfig_path",
            "No connection to the cluster",
            health("  timeout = \"1m\""),
        )
        .absent(),
        bad(
            g,
            "exec plugin without allow_exec_plugins",
            HEALTH_DATA,
            "kubeconfig",
            "Kubeconfig exec plugin not allowed",
            health(&format!("  kubeconfig = {}", hcl(&exec_kubeconfig("Never")))),
        ),
    ]
}

/// `kubeadm_kubeconfig` (the resource; the ephemeral variant shares its
/// schema and checks, and Terraform before 1.10 cannot parse it).
fn kubeconfig_cases(p: &Pems) -> Vec<Case> {
    const KC: &str = "kubeadm_kubeconfig.bad";
    let g = "kubeadm_kubeconfig";
    let kc = |lines: &str| {
        format!("resource \"kubeadm_kubeconfig\" \"bad\" {{\n  cluster_ca = kubeadm_cluster_ca.ca\n{lines}\n}}\n")
    };
    let with = |lines: &str| kc(&format!("  server = \"https://api.prod.example.com:6443\"\n{lines}"));
    let foreign_key = format!(
        "resource \"kubeadm_kubeconfig\" \"bad\" {{\n  server = \"https://api:6443\"\n  cluster_ca = {{\n    ca_cert_pem = {}\n    ca_key_pem = {}\n    cluster_name = \"prod\"\n  }}\n}}\n",
        hcl(&p.ca.cert_pem),
        hcl(&key(&p.other))
    );
    let unknown = "variable \"kc_server\" {\n  type = string\n}\nresource \"kubeadm_cluster_ca\" \"kc\" {\n  cluster_name  = \"kc\"\n  key_algorithm = \"ECDSA-P256\"\n}\nresource \"kubeadm_kubeconfig\" \"ok\" {\n  cluster_ca         = kubeadm_cluster_ca.kc\n  server             = var.kc_server\n  kubernetes_version = \"v1.${length(kubeadm_cluster_ca.kc.id) > 0 ? 28 : 29}.3\"\n}\n";
    vec![
        bad(g, "server not https", KC, "server", "Invalid server", kc("  server = \"http://api.example.com:6443\"")),
        bad(g, "server without scheme", KC, "server", "Invalid server", kc("  server = \"api.example.com:6443\"")),
        bad(g, "server port out of range", KC, "server", "Invalid server", kc("  server = \"https://api:99999\"")),
        bad(
            g,
            "server with credentials",
            KC,
            "server",
            "Invalid server",
            kc("  server = \"https://admin:pw@api:6443\""),
        ),
        bad(g, "validity 0s", KC, "validity", "Invalid validity", with("  validity = \"0s\"")),
        bad(g, "validity abc", KC, "validity", "Invalid validity", with("  validity = \"abc\"")),
        bad(g, "renew_before negative", KC, "renew_before", "Invalid renew_before", with("  renew_before = \"-1h\"")),
        bad(
            g,
            "key_algorithm unknown",
            KC,
            "key_algorithm",
            "Invalid key_algorithm",
            with("  key_algorithm = \"ED25519\""),
        ),
        bad(g, "username empty", KC, "username", "Invalid username", with("  username = \"\"")),
        bad(g, "group empty", KC, "groups", "Invalid groups", with("  groups = [\"kubeadm:cluster-admins\", \"\"]")),
        bad(g, "group twice", KC, "groups", "Invalid groups", with("  groups = [\"ops\", \"ops\"]")),
        bad(
            g,
            "kubernetes_version below 1.22",
            KC,
            "kubernetes_version",
            "Unsupported Kubernetes version",
            with("  kubernetes_version = \"v1.21.0\""),
        ),
        bad(g, "cluster_ca with another CA's key", KC, "cluster_ca", "Unusable cluster_ca", foreign_key),
        // A warning, documented: every apply then issues a new certificate.
        good(g, "renew_before longer than validity", with("  validity     = \"1h\"\n  renew_before = \"2h\"")),
        good(g, "kubeconfig inputs known only at apply", unknown).var("kc_server", "https://api.kc.example.com:6443"),
    ]
}

/// Controls: values unknown at validation, or large but valid, must pass.
fn controls() -> Vec<Case> {
    let g = "controls";
    let unknown_node = r#"
variable "k8s_version" {
  type = string
}

resource "kubeadm_cluster_ca" "fresh" {
  cluster_name  = "fresh"
  key_algorithm = "ECDSA-P256"
}

resource "kubeadm_bootstrap_token" "fresh" {
  ttl          = "${kubeadm_bootstrap_token.join.expires_at == "" ? 2 : 3}h"
  description  = kubeadm_cluster_ca.fresh.id
}

resource "kubeadm_ignition_config" "ok" {
  role            = "worker"
  name            = kubeadm_bootstrap_token.fresh.token_id
  cluster_ca      = kubeadm_cluster_ca.fresh
  bootstrap_token = kubeadm_bootstrap_token.fresh
  cluster {
    name                   = kubeadm_cluster_ca.fresh.cluster_name
    kubernetes_version     = var.k8s_version
    control_plane_endpoint = "api.${kubeadm_cluster_ca.fresh.id}.example.com:6443"
    pod_subnet             = "192.168.0.0/16"
  }
  files {
    path    = "/etc/id"
    content = kubeadm_cluster_ca.fresh.ca_cert_hash
  }
}
"#;
    vec![
        good(g, "values from -var and from new resources", unknown_node).var("k8s_version", "v1.30.2"),
        good(g, "capi_manifests from a file, version from the Machine", node(&[("cluster.kubernetes_version", "-"), ("role", "-")], "  capi_manifests = file(\"worker.yaml\")"))
            .file("worker.yaml", fixture("v1beta1/worker.yaml")),
        // Terraform's own cost grows with the square of the number of blocks
        // holding sensitive attributes (500: 2 s, 1000: 8 s on 1.11), so the
        // control stays at 500; tests/render/fuzz_inputs.rs renders 10000 directly.
        good(g, "500 distinct files rendered by the data source",
            node_data(&[], "  dynamic \"files\" {\n    for_each = range(500)\n    content {\n      path = \"/etc/many/${files.value}\"\n      content = \"x\"\n    }\n  }")),
        good(g, "token ttl and groups from -var",
            "variable \"ttl\" {\n  type = string\n}\nvariable \"group\" {\n  type = string\n}\nresource \"kubeadm_bootstrap_token\" \"ok\" {\n  ttl    = var.ttl\n  groups = [var.group]\n}\n")
            .var("ttl", "2h30m").var("group", "system:bootstrappers:pool-a"),
    ]
}

/// A configuration where every input hangs on variables without a value:
/// `terraform validate` sees them all unknown and must not complain.
const VALIDATE_UNKNOWNS: &str = r#"
variable "s" {
  type = string
}
variable "n" {
  type = number
}
variable "l" {
  type = list(string)
}

provider "kubeadm" {
  store {
    s3 {
      bucket                 = var.s
      endpoint               = var.s
      presign_ttl            = var.s
      server_side_encryption = var.s
      kms_key_id             = var.s
    }
  }
}

resource "kubeadm_cluster_ca" "u" {
  cluster_name    = var.s
  key_algorithm   = var.s
  validity_days   = var.n
  ca_cert_pem     = var.s
  ca_key_pem      = var.s
}

resource "kubeadm_bootstrap_token" "u" {
  ttl          = var.s
  renew_before = var.s
  token        = var.s
  usages       = var.l
  groups       = var.l
}

resource "kubeadm_ignition_config" "u" {
  role             = var.s
  cluster_ca       = kubeadm_cluster_ca.u
  bootstrap_token  = kubeadm_bootstrap_token.u
  operating_system = var.s
  ignition_version = var.s
  capi_manifests   = var.s
  cluster {
    name                   = var.s
    kubernetes_version     = var.s
    control_plane_endpoint = var.s
    pod_subnet             = var.s
    service_subnet         = var.s
  }
  node {
    name_from         = var.s
    kubeadm_verbosity = var.n
  }
  files {
    path    = var.s
    content = var.s
    mode    = var.s
  }
  kubernetes_artifacts {
    source       = var.s
    manifest_url = var.s
  }
  kubeadm_config_patches {
    cluster_configuration = var.s
  }
}

data "kubeadm_ignition_config" "u" {
  role            = var.s
  cluster_ca      = kubeadm_cluster_ca.u
  bootstrap_token = kubeadm_bootstrap_token.u
  cluster {
    name               = var.s
    kubernetes_version = var.s
  }
}

data "kubeadm_capi_manifests" "u" {
  cluster_name    = var.s
  namespace       = var.s
  kubeconfig_path = var.s
  host            = var.s
}

data "kubeadm_cluster_health" "u" {
  kubeconfig    = var.s
  timeout       = var.s
  poll_interval = var.s
  wait_for {
    control_plane_nodes = var.n
    worker_nodes        = var.n
  }
}
"#;

// ---------------------------------------------------------------------------
// Running

struct Outcome {
    text: String,
    code: i32,
    /// The step (plan or apply) that ended the case.
    stage: &'static str,
    took: Duration,
}

/// The `resources` of the state file, as Terraform last wrote it.
fn state_resources(wd: &WorkDir) -> Json {
    std::fs::read(wd.path().join("terraform.tfstate"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Json>(&b).ok())
        .map(|j| j["resources"].clone())
        .unwrap_or(Json::Null)
}

fn run_case(wd: &WorkDir, case: &Case) -> Outcome {
    let start = Instant::now();
    for (name, bytes) in &case.files {
        std::fs::write(wd.path().join(name), bytes).expect("write a case file");
    }
    wd.write_config(&with_header(&format!("{BASE}\n{}", case.body)));
    let mut args: Vec<String> =
        ["plan", "-input=false", "-no-color", "-out=tfplan"].iter().map(|s| s.to_string()).collect();
    for (k, v) in &case.vars {
        args.push(format!("-var={k}={v}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let plan = wd.run_within(&args, COMMAND_LIMIT);
    if plan.code != 0 {
        return Outcome { text: plan.combined(), code: plan.code, stage: "plan", took: start.elapsed() };
    }
    let apply = wd.run_within(&["apply", "-input=false", "-no-color", "tfplan"], COMMAND_LIMIT);
    let text = format!("{}\n{}", plan.combined(), apply.combined());
    Outcome { text, code: apply.code, stage: "apply", took: start.elapsed() }
}

/// `in resource "type" "name"` (or data, or provider) for an address.
fn block_header(addr: &str) -> String {
    if addr.starts_with("provider[") {
        return "in provider \"kubeadm\"".to_string();
    }
    let (kind, rest) = match addr.strip_prefix("data.") {
        Some(r) => ("data", r),
        None => ("resource", addr),
    };
    let (ty, name) = rest.split_once('.').unwrap_or((rest, ""));
    format!("in {kind} \"{ty}\" \"{name}\"")
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A source line Terraform quotes: `NN: text`.
fn is_source_line(line: &str) -> bool {
    line.trim_start().split_once(':').is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `block` shows a source line `NN: <attr> ...`.
fn shows_source_line(block: &str, attr: &str) -> bool {
    block.lines().any(|l| {
        let l = l.trim();
        let Some((num, rest)) = l.split_once(':') else { return false };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let rest = rest.trim_start();
        rest.strip_prefix(attr).is_some_and(|after| {
            after.is_empty() || after.starts_with(' ') || after.starts_with('=') || after.starts_with('{')
        })
    })
}

/// Checks one bad case's output; `Err` says what is missing.
fn check_error(tf: &Terraform, out: &Outcome, want: &Want) -> Result<(), String> {
    let Want::Error { summary, addr, attr, in_source, core, old_tf_shows } = want else { return Ok(()) };
    if out.code == 0 {
        return Err("expected an error, got success".into());
    }
    let errors: Vec<String> = blocks(&out.text).into_iter().filter(|b| b.trim_start().starts_with("Error: ")).collect();
    if errors.is_empty() {
        return Err("no error diagnostic in the output".into());
    }
    let Some(block) = errors.iter().find(|b| flat(b).contains(summary.as_str())) else {
        return Err(format!("no error block mentions {summary:?}"));
    };
    let first = block.lines().next().unwrap_or_default();
    if first.trim_start_matches("Error: ").trim().is_empty() {
        return Err("the error has an empty summary".into());
    }
    // The provider's own address follows the registry the short source
    // resolves to: `registry.opentofu.org` on OpenTofu.
    let provider_addr = format!("provider[\"{}\"]", tf.provider_address());
    let addr = if addr == PROVIDER { &provider_addr } else { addr };
    if !*core && !block.contains(&format!("with {addr},")) {
        return Err(format!("the error block does not say `with {addr},`"));
    }
    let header = block_header(addr);
    if !block.contains(&header) {
        return Err(format!("the error block does not point into the configuration ({header})"));
    }
    if *in_source {
        let shown = match old_tf_shows {
            Some(enclosing) if !tf.points_into_nested_values() => shows_source_line(block, enclosing),
            _ => shows_source_line(block, attr),
        };
        if !shown {
            return Err(format!("the error block does not show the source line of {attr}"));
        }
    } else if !block.contains(attr) {
        return Err(format!("the error block does not name {attr}"));
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    bad: usize,
    good: usize,
    failed: usize,
}

/// One version's tallies per group, its failures, and how long it took.
type VersionRun = (BTreeMap<&'static str, Tally>, Vec<String>, Duration);

fn run_all(tf: &Terraform, cases: &[Case]) -> VersionRun {
    let verbose = std::env::var_os("BAD_INPUT_VERBOSE").is_some();
    let start = Instant::now();
    let wd = WorkDir::new(tf);
    let base = with_header(BASE);
    wd.write_config(&base);
    wd.init();
    wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let mut before = state_resources(&wd);
    assert!(before.as_array().is_some_and(|a| a.len() == 2), "the base resources are not in the state: {before}");

    let mut tally: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut failures = Vec::new();

    // Variables without a value: validation sees unknowns everywhere.
    wd.write_config(&with_header(VALIDATE_UNKNOWNS));
    let v = wd.run_within(&["validate", "-no-color"], COMMAND_LIMIT);
    let t = tally.entry("controls").or_default();
    t.good += 1;
    if v.code != 0 {
        t.failed += 1;
        failures.push(format!("[{}] validate with unknown variables failed:\n{}", tf.label(), v.combined()));
    }

    for case in cases {
        let out = run_case(&wd, case);
        if verbose {
            eprintln!("==== {} [{}] {} in {:?}\n{}", case.name, tf.label(), out.stage, out.took, out.text);
        }
        let t = tally.entry(case.group).or_default();
        let mut problems: Vec<String> = Vec::new();
        for bad in ["panic", "crashed", "Internal provider error", "Plugin did not respond"] {
            if out.text.contains(bad) {
                problems.push(format!("the output says {bad:?}"));
            }
        }
        match &case.want {
            Want::Error { .. } => {
                t.bad += 1;
                if let Err(e) = check_error(tf, &out, &case.want) {
                    problems.push(e);
                }
                // Terraform echoes the source lines; the rest is the provider's.
                let said: usize = out.text.lines().filter(|l| !is_source_line(l)).map(|l| l.len() + 1).sum();
                if said > OUTPUT_LIMIT {
                    problems.push(format!("the output is {said} bytes without the source lines"));
                }
                let now = state_resources(&wd);
                if now != before {
                    problems.push("the failed case changed the state".into());
                }
            }
            Want::Success => {
                t.good += 1;
                if out.code != 0 {
                    problems.push(format!("expected success, {} failed", out.stage));
                }
            }
        }
        if matches!(case.want, Want::Success) || state_resources(&wd) != before {
            // Back to the base resources for the next case.
            wd.write_config(&base);
            let r = wd.run_within(&["apply", "-auto-approve", "-input=false", "-no-color"], COMMAND_LIMIT);
            if r.code != 0 {
                problems.push(format!("restoring the base configuration failed:\n{}", r.combined()));
            }
            before = state_resources(&wd);
        }
        for (name, _) in &case.files {
            let _ = std::fs::remove_file(wd.path().join(name));
        }
        if !problems.is_empty() {
            t.failed += 1;
            let excerpt: String = out.text.chars().take(6000).collect();
            failures.push(format!(
                "[{}] {} / {} ({}): {}\n--- output ---\n{excerpt}\n",
                tf.label(),
                case.group,
                case.name,
                out.stage,
                problems.join("; ")
            ));
        }
    }
    wd.write_config(&base);
    wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    (tally, failures, start.elapsed())
}

#[test]
fn malformed_configurations_fail_cleanly_at_their_attribute() {
    let p = pems();
    let mut cases = Vec::new();
    cases.extend(provider_cases());
    cases.extend(cluster_ca_cases(&p));
    cases.extend(token_cases());
    cases.extend(ignition_cases(&p));
    cases.extend(ignition_data_cases());
    cases.extend(capi_data_cases());
    cases.extend(cluster_health_cases());
    cases.extend(kubeconfig_cases(&p));
    cases.extend(controls());
    // A developer's filter (refused under CI): no floor then, but never zero cases.
    let filter = support::switch("BAD_INPUT_FILTER");
    if let Some(f) = &filter {
        cases.retain(|c| c.name.contains(f.as_str()) || c.group.contains(f.as_str()));
        assert!(!cases.is_empty(), "BAD_INPUT_FILTER={f} matches no case");
    }
    let bad_count = cases.iter().filter(|c| matches!(c.want, Want::Error { .. })).count();
    if filter.is_none() {
        assert!(bad_count >= 60, "only {bad_count} bad inputs");
    }

    let tfs = terraforms();
    // Two versions at a time: Terraform is mostly waiting on the provider.
    let results: Vec<(String, VersionRun)> = std::thread::scope(|s| {
        let mut out = Vec::new();
        for chunk in tfs.chunks(2) {
            let handles: Vec<_> = chunk.iter().map(|tf| (tf.label(), s.spawn(|| run_all(tf, &cases)))).collect();
            for (v, h) in handles {
                out.push((v, h.join().expect("a version's run panicked")));
            }
        }
        out
    });

    let mut report = String::from("\nbad inputs by resource (cases x Terraform versions):\n");
    let mut failures = Vec::new();
    let mut total: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for (version, (tally, fails, took)) in results {
        let _ = writeln!(report, "  {version}: {:.1?}", took);
        for (g, t) in tally {
            let e = total.entry(g).or_default();
            e.bad = e.bad.max(t.bad);
            e.good = e.good.max(t.good);
            e.failed += t.failed;
        }
        failures.extend(fails);
    }
    let _ = writeln!(report, "  {:<32} {:>5} {:>9} {:>7}", "group", "bad", "controls", "failed");
    for (g, t) in &total {
        let _ = writeln!(report, "  {g:<32} {:>5} {:>9} {:>7}", t.bad, t.good, t.failed);
    }
    let _ = writeln!(
        report,
        "  {} bad inputs, {} controls, {} Terraform versions",
        bad_count,
        cases.len() - bad_count + 1,
        tfs.len()
    );
    eprintln!("{report}");
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}
