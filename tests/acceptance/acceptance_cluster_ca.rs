//! Acceptance tests of `kubeadm_cluster_ca` against every Terraform found,
//! with openssl as the independent judge of what was generated.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use support::{config, run_case, terraforms, ImportId, State, Step, WorkDir};

const ALGORITHMS: [(&str, &str); 5] = [
    ("rsa2048", "RSA-2048"),
    ("rsa3072", "RSA-3072"),
    ("rsa4096", "RSA-4096"),
    ("p256", "ECDSA-P256"),
    ("p384", "ECDSA-P384"),
];

fn openssl(args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("openssl: {e}"))?;
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input).map_err(|e| e.to_string())?;
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("openssl {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(out.stdout)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[allow(clippy::too_many_arguments)]
/// What openssl says about one CA pair, checked against the requested algorithm.
fn check_pair(
    dir: &Path,
    stem: &str,
    cert: &str,
    key: &str,
    alg: &str,
    days: i64,
    cn: &str,
    cluster: &str,
) -> Result<(), String> {
    let crt = write(dir, &format!("{stem}.crt"), cert);
    let k = write(dir, &format!("{stem}.key"), key);
    let text = String::from_utf8_lossy(&openssl(&["x509", "-in", &crt, "-noout", "-text"], None)?).into_owned();
    let want_key = match alg {
        "RSA-2048" => "Public-Key: (2048 bit)",
        "RSA-3072" => "Public-Key: (3072 bit)",
        "RSA-4096" => "Public-Key: (4096 bit)",
        "ECDSA-P256" => "NIST CURVE: P-256",
        _ => "NIST CURVE: P-384",
    };
    for needle in ["CA:TRUE", "Certificate Sign", want_key] {
        if !text.contains(needle) {
            return Err(format!("{stem}: openssl -text lacks {needle:?}:\n{text}"));
        }
    }
    let subject =
        String::from_utf8_lossy(&openssl(&["x509", "-in", &crt, "-noout", "-subject", "-nameopt", "RFC2253"], None)?)
            .into_owned();
    if !subject.contains(&format!("CN={cn}")) || !subject.contains(&format!("O={cluster}")) {
        return Err(format!("{stem}: unexpected subject {subject}"));
    }
    // Self-signed CA.
    openssl(&["verify", "-CAfile", &crt, &crt], None)?;
    // Validity: about `days` from now.
    let end = openssl(&["x509", "-in", &crt, "-noout", "-checkend", &((days - 1) * 86400).to_string()], None);
    if end.is_err() {
        return Err(format!("{stem}: expires earlier than {days} days"));
    }
    if openssl(&["x509", "-in", &crt, "-noout", "-checkend", &((days + 1) * 86400).to_string()], None).is_ok() {
        return Err(format!("{stem}: lives longer than {days} days"));
    }
    // The key belongs to the certificate.
    let from_key = openssl(&["pkey", "-in", &k, "-pubout"], None)?;
    let from_cert = openssl(&["x509", "-in", &crt, "-noout", "-pubkey"], None)?;
    if from_key != from_cert {
        return Err(format!("{stem}: key does not match the certificate"));
    }
    // A leaf made and signed by openssl with the CA key verifies against the CA.
    let leaf_key = dir.join(format!("{stem}-leaf.key")).display().to_string();
    let csr = dir.join(format!("{stem}-leaf.csr")).display().to_string();
    let leaf = dir.join(format!("{stem}-leaf.crt")).display().to_string();
    openssl(
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &leaf_key,
            "-subj",
            "/CN=leaf",
            "-out",
            &csr,
        ],
        None,
    )?;
    openssl(
        &["x509", "-req", "-in", &csr, "-CA", &crt, "-CAkey", &k, "-CAcreateserial", "-days", "1", "-out", &leaf],
        None,
    )?;
    openssl(&["verify", "-CAfile", &crt, &leaf], None)?;
    Ok(())
}

fn check_all(s: &State, addr: &str, alg: &str, days: i64, cluster: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    for (stem, cert, key, cn) in [
        ("ca", "ca_cert_pem", "ca_key_pem", "kubernetes"),
        ("front-proxy-ca", "front_proxy_ca_cert_pem", "front_proxy_ca_key_pem", "front-proxy-ca"),
        ("etcd-ca", "etcd_ca_cert_pem", "etcd_ca_key_pem", "etcd-ca"),
    ] {
        check_pair(dir.path(), stem, &s.str(addr, cert), &s.str(addr, key), alg, days, cn, cluster)
            .map_err(|e| format!("{addr} ({alg}): {e}"))?;
    }
    // Service-account keys match.
    let sa_key = write(dir.path(), "sa.key", &s.str(addr, "service_account_private_key_pem"));
    let derived = openssl(&["pkey", "-in", &sa_key, "-pubout"], None)?;
    if String::from_utf8_lossy(&derived).trim() != s.str(addr, "service_account_public_key_pem").trim() {
        return Err(format!("{addr}: sa.pub does not match sa.key"));
    }
    // The discovery hash, computed the way the kubeadm docs do it.
    let ca = write(dir.path(), "hash-ca.crt", &s.str(addr, "ca_cert_pem"));
    let pubkey = openssl(&["x509", "-pubkey", "-noout", "-in", &ca], None)?;
    let der = openssl(&["pkey", "-pubin", "-outform", "der"], Some(&pubkey))?;
    let want = format!("sha256:{}", sha256_hex(&der));
    if s.str(addr, "ca_cert_hash") != want {
        return Err(format!("{addr}: ca_cert_hash {} != openssl's {want}", s.str(addr, "ca_cert_hash")));
    }
    if s.str(addr, "id") != want.trim_start_matches("sha256:") {
        return Err(format!("{addr}: id is not the hex of the hash"));
    }
    Ok(())
}

#[test]
fn every_algorithm_is_confirmed_by_openssl() {
    let body: String = ALGORITHMS
        .iter()
        .map(|(name, alg)| {
            format!("resource \"kubeadm_cluster_ca\" \"{name}\" {{\n  cluster_name  = \"prod-{name}\"\n  key_algorithm = \"{alg}\"\n  validity_days = 400\n}}\n")
        })
        .collect();
    run_case(
        "algorithms",
        &[Step::config(config(&body)).check(|s: &State| {
            for (name, alg) in ALGORITHMS {
                check_all(s, &format!("kubeadm_cluster_ca.{name}"), alg, 400, &format!("prod-{name}"))?;
            }
            Ok(())
        })],
    );
}

#[test]
fn import_from_a_pki_directory_verifies() {
    const A: &str = "kubeadm_cluster_ca.c";
    let pki: Arc<Mutex<Option<tempfile::TempDir>>> = Arc::default();
    let (p1, p2) = (pki.clone(), pki.clone());
    run_case(
        "import",
        &[
            Step::config(config(
                r#"resource "kubeadm_cluster_ca" "c" {
  cluster_name  = "prod"
  key_algorithm = "ECDSA-P256"
}"#,
            ))
            .check(move |s: &State| {
                // Lay the created PKI out as kubeadm would.
                let dir = tempfile::tempdir().unwrap();
                for (file, attr) in [
                    ("ca.crt", "ca_cert_pem"),
                    ("ca.key", "ca_key_pem"),
                    ("front-proxy-ca.crt", "front_proxy_ca_cert_pem"),
                    ("front-proxy-ca.key", "front_proxy_ca_key_pem"),
                    ("etcd/ca.crt", "etcd_ca_cert_pem"),
                    ("etcd/ca.key", "etcd_ca_key_pem"),
                    ("sa.pub", "service_account_public_key_pem"),
                    ("sa.key", "service_account_private_key_pem"),
                ] {
                    write(dir.path(), file, &s.str(A, attr));
                }
                *p1.lock().unwrap() = Some(dir);
                Ok(())
            }),
            Step::import(
                A,
                ImportId::FromState(Box::new(move |_s: &State| {
                    p2.lock().unwrap().as_ref().unwrap().path().display().to_string()
                })),
            ),
        ],
    );
}

#[test]
fn changing_algorithm_or_validity_replaces_generated_cas() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (a, b, c) = (seen.clone(), seen.clone(), seen.clone());
    let cfg = |alg: &str, days: u32, desc: &str| {
        config(&format!(
            "resource \"kubeadm_cluster_ca\" \"c\" {{\n  cluster_name  = \"{desc}\"\n  key_algorithm = \"{alg}\"\n  validity_days = {days}\n}}"
        ))
    };
    run_case(
        "replacement",
        &[
            Step::config(cfg("ECDSA-P256", 3650, "prod")).check(move |s: &State| {
                let mut v = a.lock().unwrap();
                v.clear();
                v.push(s.str("kubeadm_cluster_ca.c", "ca_cert_hash"));
                Ok(())
            }),
            Step::config(cfg("ECDSA-P384", 3650, "prod")).check(move |s: &State| {
                let mut v = b.lock().unwrap();
                let h = s.str("kubeadm_cluster_ca.c", "ca_cert_hash");
                if v.contains(&h) {
                    return Err("changing key_algorithm kept the old CA".into());
                }
                check_all(s, "kubeadm_cluster_ca.c", "ECDSA-P384", 3650, "prod")?;
                v.push(h);
                Ok(())
            }),
            Step::config(cfg("ECDSA-P384", 365, "prod")).check(move |s: &State| {
                let v = c.lock().unwrap();
                if v.contains(&s.str("kubeadm_cluster_ca.c", "ca_cert_hash")) {
                    return Err("changing validity_days kept the old CA".into());
                }
                Ok(())
            }),
        ],
    );
}

/// A CA made by openssl, for bring-your-own tests.
struct OpensslCa {
    dir: tempfile::TempDir,
}

impl OpensslCa {
    fn new(extra: &[&str]) -> OpensslCa {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("ca.key").display().to_string();
        let crt = dir.path().join("ca.crt").display().to_string();
        let mut args = vec![
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &crt,
            "-days",
            "30",
            "-subj",
            "/CN=kubernetes",
        ];
        args.extend_from_slice(extra);
        openssl(&args, None).expect("openssl CA");
        OpensslCa { dir }
    }
    fn ca() -> OpensslCa {
        OpensslCa::new(&[
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,digitalSignature",
        ])
    }
    fn cert(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ca.crt")).unwrap()
    }
    fn key(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ca.key")).unwrap()
    }
}

fn hcl_heredoc(s: &str) -> String {
    format!("<<-EOT\n{}EOT", s.lines().map(|l| format!("    {l}\n")).collect::<String>())
}

#[test]
fn bring_your_own_ca_is_kept_exactly_and_bad_material_fails_at_plan() {
    let byo = OpensslCa::ca();
    let other = OpensslCa::ca();
    let not_ca = OpensslCa::new(&["-addext", "basicConstraints=critical,CA:FALSE"]);
    let (cert, key) = (byo.cert(), byo.key());
    let with = |c: &str, k: &str| {
        config(&format!(
            "resource \"kubeadm_cluster_ca\" \"c\" {{\n  cluster_name = \"prod\"\n  ca_cert_pem  = {}\n  ca_key_pem   = {}\n}}",
            hcl_heredoc(c),
            hcl_heredoc(k)
        ))
    };
    let (want_cert, want_key) = (cert.clone(), key.clone());
    run_case(
        "bring your own",
        &[
            Step::config(with(&cert, &key)).check(move |s: &State| {
                if s.str("kubeadm_cluster_ca.c", "ca_cert_pem") != want_cert
                    || s.str("kubeadm_cluster_ca.c", "ca_key_pem") != want_key
                {
                    return Err("the supplied CA was not kept byte for byte".into());
                }
                // The other pairs were generated.
                if !s.str("kubeadm_cluster_ca.c", "etcd_ca_cert_pem").contains("BEGIN CERTIFICATE") {
                    return Err("etcd CA not generated".into());
                }
                Ok(())
            }),
            Step::config(with(&cert, &other.key())).expect_error("Invalid Kubernetes CA").expect_error("ca_key_pem"),
            Step::config(with(&not_ca.cert(), &not_ca.key()))
                .expect_error("Invalid Kubernetes CA")
                .expect_error("not a CA"),
            Step::config(with("garbage", &key)).expect_error("Invalid Kubernetes CA").expect_error("ca_cert_pem"),
            Step::config(with(&cert, "")).expect_error("Invalid Kubernetes CA"),
        ],
    );
}

#[test]
fn expired_ca_fails_at_plan_time() {
    // `openssl ca -selfsign` takes explicit start and end dates, so openssl
    // itself makes a CA that expired in 2021.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    std::fs::create_dir_all(dir.path().join("newcerts")).unwrap();
    write(dir.path(), "index.txt", "");
    write(dir.path(), "serial", "01\n");
    let cnf = write(
        dir.path(),
        "ca.cnf",
        &format!(
            "[ ca ]\ndefault_ca = old\n[ old ]\ndatabase = {d}/index.txt\nnew_certs_dir = {d}/newcerts\nserial = {d}/serial\ndefault_md = sha256\npolicy = any\nx509_extensions = v3_ca\n[ any ]\ncommonName = supplied\n[ v3_ca ]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign\n"
        ),
    );
    let key = format!("{d}/ca.key");
    let csr = format!("{d}/ca.csr");
    let crt = format!("{d}/ca.crt");
    openssl(
        &["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-subj", "/CN=kubernetes", "-out", &csr],
        None,
    )
    .unwrap();
    openssl(
        &[
            "ca",
            "-batch",
            "-config",
            &cnf,
            "-selfsign",
            "-keyfile",
            &key,
            "-in",
            &csr,
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
            "-notext",
            "-out",
            &crt,
        ],
        None,
    )
    .unwrap();
    let text =
        String::from_utf8_lossy(&openssl(&["x509", "-in", &crt, "-noout", "-enddate"], None).unwrap()).into_owned();
    assert!(text.contains("2021"), "openssl did not backdate: {text}");
    let cert = std::fs::read_to_string(&crt).unwrap();
    let key = std::fs::read_to_string(&key).unwrap();
    run_case(
        "expired",
        &[Step::config(config(&format!(
            "resource \"kubeadm_cluster_ca\" \"c\" {{\n  cluster_name = \"prod\"\n  ca_cert_pem  = {}\n  ca_key_pem   = {}\n}}",
            hcl_heredoc(&cert),
            hcl_heredoc(&key)
        )))
        .expect_error("Invalid Kubernetes CA")
        .expect_error("expired")
        .expect_error("ca_cert_pem")],
    );
}

#[test]
fn read_warns_when_the_ca_expires_within_180_days() {
    for tf in terraforms() {
        let wd = WorkDir::new(&tf);
        wd.write_config(&config(
            r#"resource "kubeadm_cluster_ca" "c" {
  cluster_name  = "short"
  key_algorithm = "ECDSA-P256"
  validity_days = 90
}"#,
        ));
        wd.init();
        wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let plan = wd.ok(&["plan", "-input=false", "-no-color"]);
        let out = plan.combined();
        assert!(out.contains("Kubernetes CA expires soon"), "no expiry warning on {}:\n{out}", tf.version);
        assert!(out.contains("No changes"), "a warning must not change the plan on {}:\n{out}", tf.version);
        wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    }
}
