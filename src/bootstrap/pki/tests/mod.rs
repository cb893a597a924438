mod dir;
mod generation;
mod own_material;
mod robustness;

use super::*;
use proptest::prelude::*;
use std::process::Command;
use std::sync::OnceLock;
use time::macros::datetime;

use std::fs;
use std::path::Path;

use base64::Engine as _;
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer as _;

use super::der::{der_take, integer_bits, oid_text, OID_CURVE_P256, OID_ED25519};
use super::pem::parse_pem;
use crate::bootstrap::token::format_rfc3339;

// ---- helpers -----------------------------------------------------------

/// The current time in whole seconds, so generated dates compare exactly.
fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

/// Runs a program in `dir`, insisting that it succeeds; returns stdout.
fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Has openssl make a P-256 leaf key and sign `leaf.crt` with `ca.crt`/`ca.key`
/// (valid one day when `one_day`, else openssl's default).
fn issue_leaf(dir: &Path, one_day: bool) {
    openssl(
        dir,
        &["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key"]
            .into_iter()
            .chain(["-subj", "/CN=leaf", "-out", "leaf.csr"])
            .collect::<Vec<_>>(),
    );
    let mut args = vec!["x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"];
    if one_day {
        args.extend(["-days", "1"]);
    }
    args.extend(["-out", "leaf.crt"]);
    openssl(dir, &args);
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    run(dir, "openssl", args)
}

fn sh(dir: &Path, script: &str) -> String {
    run(dir, "sh", &["-c", script])
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

fn read(dir: &Path, rel: &str) -> String {
    fs::read_to_string(dir.join(rel)).unwrap()
}

/// Whitespace runs collapsed to single spaces, for matching
/// `openssl x509 -text` output across line breaks.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses `notBefore=Nov 22 01:24:29 2026 GMT` style lines.
fn openssl_date(line: &str) -> OffsetDateTime {
    let value = line.split_once('=').unwrap().1.trim();
    let format =
        time::macros::format_description!("[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT");
    time::PrimitiveDateTime::parse(value, &format).unwrap_or_else(|e| panic!("{value:?}: {e}")).assume_utc()
}

/// The base64 body lines of a PEM text, to search error messages for.
fn body_lines(pem: &str) -> Vec<String> {
    pem.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("-----")).map(str::to_owned).collect()
}

fn assert_no_key_material(message: &str, key_pem: &str) {
    for line in body_lines(key_pem) {
        let probe = &line[..line.len().min(24)];
        assert!(!message.contains(probe), "message leaks key material: {message}");
    }
}

fn armour(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn single_der(pem: &str) -> Vec<u8> {
    let mut blocks = parse_pem(PemInput::Certificate, pem).unwrap();
    assert_eq!(blocks.len(), 1);
    blocks.remove(0).der
}

fn rsa_bits(alg: KeyAlgorithm) -> Option<u32> {
    match alg {
        KeyAlgorithm::Rsa2048 => Some(2048),
        KeyAlgorithm::Rsa3072 => Some(3072),
        KeyAlgorithm::Rsa4096 => Some(4096),
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => None,
    }
}

/// `openssl req -newkey` arguments for a fresh key of `alg`.
fn openssl_newkey(alg: KeyAlgorithm) -> Vec<&'static str> {
    match alg {
        KeyAlgorithm::Rsa2048 => vec!["-newkey", "rsa:2048"],
        KeyAlgorithm::Rsa3072 => vec!["-newkey", "rsa:3072"],
        KeyAlgorithm::Rsa4096 => vec!["-newkey", "rsa:4096"],
        KeyAlgorithm::EcdsaP256 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        KeyAlgorithm::EcdsaP384 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    }
}

const CA_EXTS: [&str; 4] =
    ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,digitalSignature"];

/// Makes a self-signed CA with openssl into `<name>.crt` / `<name>.key`.
fn openssl_ca(dir: &Path, name: &str, key_args: &[&str], cn: &str, extra: &[&str]) -> (String, String) {
    let (crt, key) = (format!("{name}.crt"), format!("{name}.key"));
    let subj = format!("/CN={cn}");
    let mut args = vec!["req", "-x509", "-nodes", "-days", "30", "-subj", &subj, "-keyout", &key, "-out", &crt];
    args.extend_from_slice(key_args);
    args.extend_from_slice(extra);
    openssl(dir, &args);
    (read(dir, &crt), read(dir, &key))
}

struct Fixture {
    ec: CaPair,
    rsa: CaPair,
    sa: KeyPairPem,
}

/// Material shared by tests that only read it.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        ec: generate_ca(CaRole::Kubernetes, "fixture", KeyAlgorithm::EcdsaP256, 365, now()).unwrap(),
        rsa: generate_ca(CaRole::Etcd, "fixture", KeyAlgorithm::Rsa2048, 365, now()).unwrap(),
        sa: generate_service_account(KeyAlgorithm::EcdsaP256).unwrap(),
    })
}

// ---- names -------------------------------------------------------------

#[test]
fn algorithm_names_round_trip() {
    let names = ["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"];
    for (alg, name) in KeyAlgorithm::ALL.into_iter().zip(names) {
        assert_eq!(alg.as_str(), name);
        assert_eq!(alg.to_string(), name);
        assert_eq!(KeyAlgorithm::parse(name), Ok(alg));
        assert_eq!(name.parse::<KeyAlgorithm>(), Ok(alg));
    }
    assert_eq!(KeyAlgorithm::default(), KeyAlgorithm::Rsa2048);
    assert_eq!(KeyAlgorithm::EcdsaP384.signature_algorithm(), "ecdsa-with-SHA384");
    assert!(KeyAlgorithm::Rsa4096.is_rsa() && !KeyAlgorithm::EcdsaP256.is_rsa());
}

#[test]
fn unknown_algorithms_are_rejected_with_the_valid_names() {
    for bad in ["", "rsa-2048", "RSA2048", "RSA-1024", "ECDSA-P521", "Ed25519", " RSA-2048"] {
        let err = KeyAlgorithm::parse(bad).unwrap_err();
        assert_eq!(err, PkiError::UnknownAlgorithm { value: bad.to_owned() });
    }
    assert_eq!(
        KeyAlgorithm::parse("rsa").unwrap_err().to_string(),
        "unknown key algorithm \"rsa\"; expected one of RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384"
    );
}

#[test]
fn role_names_and_paths() {
    let expect = [
        (CaRole::Kubernetes, "kubernetes", "ca", "ca.crt", "ca.key"),
        (CaRole::FrontProxy, "front-proxy-ca", "front-proxy-ca", "front-proxy-ca.crt", "front-proxy-ca.key"),
        (CaRole::Etcd, "etcd-ca", "etcd/ca", "etcd/ca.crt", "etcd/ca.key"),
    ];
    for (role, cn, stem, crt, key) in expect {
        assert_eq!((role.common_name(), role.stem(), role.cert_path(), role.key_path()), (cn, stem, crt, key));
        assert_eq!(format!("{}.crt", role.stem()), crt);
        assert!(PKI_FILES.contains(&crt) && PKI_FILES.contains(&key));
    }
    assert_eq!(CaRole::ALL.map(CaRole::cert_path), ["ca.crt", "front-proxy-ca.crt", "etcd/ca.crt"]);
}
