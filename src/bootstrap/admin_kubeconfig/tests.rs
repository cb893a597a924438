use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer as _;

use super::*;
use crate::bootstrap::kube;
use crate::bootstrap::pki::{self, CaPair, CaRole};

fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-03-04 05:06:07.891 UTC)
}

/// CAs shared by the tests that only read them.
fn ca(alg: KeyAlgorithm) -> &'static CaPair {
    static CAS: OnceLock<Vec<(KeyAlgorithm, CaPair)>> = OnceLock::new();
    let cas = CAS.get_or_init(|| {
        [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384]
            .into_iter()
            .map(|a| (a, pki::generate_ca(CaRole::Kubernetes, "prod", a, 3650, now()).unwrap()))
            .collect()
    });
    &cas.iter().find(|(a, _)| *a == alg).expect("a CA of that algorithm").1
}

fn groups(g: &[&str]) -> Vec<String> {
    g.iter().map(|s| s.to_string()).collect()
}

fn issue_with(
    ca: &CaPair,
    groups: &[String],
    validity: &str,
    alg: KeyAlgorithm,
) -> Result<AdminKubeconfig, KubeconfigError> {
    issue(&AdminRequest {
        ca_cert_pem: &ca.cert_pem,
        ca_key_pem: &ca.key_pem,
        server: "https://api.prod.example.com:6443",
        cluster_name: "prod",
        username: "kubernetes-admin",
        groups,
        validity: GoDuration::parse(validity).unwrap(),
        key_algorithm: alg,
        now: now(),
    })
}

fn der_of(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes()).unwrap().as_ref().to_vec()
}

/// Whether openssl succeeded, and what it printed (stdout, then stderr).
fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// What openssl printed, insisting that it succeeded.
fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = openssl(dir, args);
    assert!(ok, "openssl {args:?}: {text}");
    text
}

/// openssl checks the chain for a TLS client at a time inside the
/// validity, and that the key is the certificate's.
fn openssl_accepts(ca_cert_pem: &str, issued: &AdminKubeconfig) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ca.crt"), ca_cert_pem).unwrap();
    std::fs::write(d.join("client.crt"), &issued.client_certificate_pem).unwrap();
    std::fs::write(d.join("client.key"), issued.client_key_pem.expose()).unwrap();
    let at = (now() + Duration::hours(1)).unix_timestamp().to_string();
    let verdict = openssl_ok(
        d,
        &["verify", "-x509_strict", "-purpose", "sslclient", "-attime", &at, "-CAfile", "ca.crt", "client.crt"],
    );
    assert_eq!(verdict.trim(), "client.crt: OK");
    // Before NotBefore and after NotAfter, openssl refuses it.
    for outside in [issued.not_before - Duration::seconds(1), issued.expires_at + Duration::seconds(1)] {
        let t = outside.unix_timestamp().to_string();
        let (ok, _) = openssl(d, &["verify", "-attime", &t, "-CAfile", "ca.crt", "client.crt"]);
        assert!(!ok, "openssl accepted the certificate at {outside}");
    }
    let from_cert = openssl_ok(d, &["x509", "-noout", "-pubkey", "-in", "client.crt"]);
    let from_key = openssl_ok(d, &["pkey", "-pubout", "-in", "client.key"]);
    assert_eq!(from_cert, from_key, "the key is not the certificate's");
}

#[test]
fn client_certificate_is_kubeadms_admin_and_chains_to_the_ca() {
    for (ca_alg, client_alg) in [
        (KeyAlgorithm::Rsa2048, KeyAlgorithm::Rsa2048),
        (KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256),
        (KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384),
        (KeyAlgorithm::EcdsaP384, KeyAlgorithm::Rsa2048),
    ] {
        let ca = ca(ca_alg);
        let issued = issue_with(ca, &groups(&["kubeadm:cluster-admins", "ops team"]), "8760h", client_alg).unwrap();
        let der = der_of(&issued.client_certificate_pem);
        let (rest, cert) = X509Certificate::from_der(&der).unwrap();
        assert!(rest.is_empty());
        let ca_der = der_of(&ca.cert_pem);
        let (_, ca_cert) = X509Certificate::from_der(&ca_der).unwrap();

        // Subject: O per group in order, then CN; issuer: the CA's subject, byte for byte.
        let subject = cert.subject();
        let cn: Vec<_> = subject.iter_common_name().map(|a| a.as_str().unwrap()).collect();
        let orgs: Vec<_> = subject.iter_organization().map(|a| a.as_str().unwrap()).collect();
        assert_eq!(cn, ["kubernetes-admin"]);
        assert_eq!(orgs, ["kubeadm:cluster-admins", "ops team"]);
        assert_eq!(subject.to_string(), "O=kubeadm:cluster-admins, O=ops team, CN=kubernetes-admin");
        assert_eq!(cert.issuer().as_raw(), ca_cert.subject().as_raw());
        assert_eq!(cert.version(), x509_parser::x509::X509Version::V3);

        // Extensions as kubeadm's client certificates have them.
        let ku = cert.key_usage().unwrap().expect("key usage");
        assert!(ku.critical);
        assert!(ku.value.digital_signature() && !ku.value.key_cert_sign());
        assert_eq!(ku.value.key_encipherment(), client_alg.is_rsa(), "{client_alg}");
        let eku = cert.extended_key_usage().unwrap().expect("extended key usage").value;
        assert!(eku.client_auth && !eku.server_auth && eku.other.is_empty());
        let bc = cert.basic_constraints().unwrap().expect("basic constraints");
        assert!(bc.critical && !bc.value.ca);
        let aki = cert.extensions().iter().find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0.to_vec()),
            _ => None,
        });
        let ski = ca_cert.extensions().iter().find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        });
        assert!(ski.is_some(), "the generated CA has a subject key identifier");
        assert_eq!(aki, ski, "the authority key identifier is the CA's");
        assert!(
            !cert.extensions().iter().any(|e| matches!(
                e.parsed_extension(),
                ParsedExtension::SubjectAlternativeName(n) if n.general_names.iter().any(|g| matches!(g, GeneralName::DNSName(_)))
            )),
            "a client certificate names no hosts"
        );

        // Validity: backdated five minutes, a year from now, whole seconds.
        let start = now().replace_nanosecond(0).unwrap();
        assert_eq!(cert.validity().not_before.to_datetime(), start - Duration::minutes(5));
        assert_eq!(cert.validity().not_after.to_datetime(), start + Duration::hours(8760));
        assert_eq!(issued.not_before, start - Duration::minutes(5));
        assert_eq!(issued.expires_at, start + Duration::hours(8760));
        assert_eq!(issued.serial_hex, hex::encode(cert.raw_serial()));
        assert!(cert.tbs_certificate.serial.bits() > 64, "a random serial of 127 bits");

        // The key is a fresh one of the asked algorithm.
        assert_eq!(pki::key_algorithm_of_private_key(issued.client_key_pem.expose()).unwrap(), client_alg);
        assert_eq!(cert.signature_algorithm.algorithm.to_id_string(), sig_oid(ca_alg));
        openssl_accepts(&ca.cert_pem, &issued);
    }
}

fn sig_oid(ca_alg: KeyAlgorithm) -> &'static str {
    match ca_alg {
        KeyAlgorithm::EcdsaP256 => "1.2.840.10045.4.3.2",
        KeyAlgorithm::EcdsaP384 => "1.2.840.10045.4.3.3",
        _ => "1.2.840.113549.1.1.11",
    }
}

#[test]
fn a_ca_made_by_openssl_with_a_pkcs1_key_signs_too() {
    // openssl encodes names its own way and writes a PKCS#1 key with
    // -traditional; the issuer must still be the CA's subject exactly.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl_ok(
        d,
        &[
            "req",
            "-x509",
            "-nodes",
            "-days",
            "3650",
            "-newkey",
            "rsa:2048",
            "-subj",
            "/CN=kubernetes",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,digitalSignature",
            "-keyout",
            "ca8.key",
            "-out",
            "ca.crt",
        ],
    );
    openssl_ok(d, &["rsa", "-traditional", "-in", "ca8.key", "-out", "ca.key"]);
    let cert_pem = std::fs::read_to_string(d.join("ca.crt")).unwrap();
    let key_pem = std::fs::read_to_string(d.join("ca.key")).unwrap();
    assert!(key_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let ca = CaPair { cert_pem, key_pem: Sensitive::new(key_pem) };
    // openssl's CA starts now; issue within its validity.
    let now = OffsetDateTime::now_utc();
    let issued = issue(&AdminRequest {
        ca_cert_pem: &ca.cert_pem,
        ca_key_pem: &ca.key_pem,
        server: "https://10.0.0.1:6443",
        cluster_name: "kubernetes",
        username: "kubernetes-admin",
        groups: &groups(&[SUPER_ADMIN_GROUP]),
        validity: GoDuration::parse("1h").unwrap(),
        key_algorithm: KeyAlgorithm::EcdsaP256,
        now,
    })
    .unwrap();
    let client_der = der_of(&issued.client_certificate_pem);
    let (_, cert) = X509Certificate::from_der(&client_der).unwrap();
    let ca_der = der_of(&ca.cert_pem);
    let (_, ca_cert) = X509Certificate::from_der(&ca_der).unwrap();
    assert_eq!(cert.issuer().as_raw(), ca_cert.subject().as_raw());
    std::fs::write(d.join("client.crt"), &issued.client_certificate_pem).unwrap();
    let verdict = openssl_ok(d, &["verify", "-purpose", "sslclient", "-CAfile", "ca.crt", "client.crt"]);
    assert_eq!(verdict.trim(), "client.crt: OK");
}

#[test]
fn groups_default_to_kubeadms_admin_conf_for_the_release() {
    let v = |s: &str| KubernetesVersion::parse(s).unwrap();
    assert_eq!(default_groups(Some(&v("v1.28.15"))), [SUPER_ADMIN_GROUP]);
    assert_eq!(default_groups(Some(&v("v1.22.0"))), [SUPER_ADMIN_GROUP]);
    for newer in ["v1.29.0", "v1.31.4", "v1.34.4"] {
        assert_eq!(default_groups(Some(&v(newer))), [CLUSTER_ADMINS_GROUP], "{newer}");
    }
    assert_eq!(default_groups(None), [CLUSTER_ADMINS_GROUP]);
}

#[test]
fn kubeconfig_names_things_as_kubeadm_does_and_a_client_can_use_it() {
    let ca = ca(KeyAlgorithm::EcdsaP256);
    let issued = issue_with(ca, &groups(&[CLUSTER_ADMINS_GROUP]), "1h", KeyAlgorithm::EcdsaP256).unwrap();
    let text = issued.kubeconfig.expose();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).unwrap();
    let s = |v: &serde_yaml_ng::Value| v.as_str().unwrap().to_string();
    let b64 = |v: &serde_yaml_ng::Value| {
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s(v)).unwrap()).unwrap()
    };
    assert_eq!(s(&doc["apiVersion"]), "v1");
    assert_eq!(s(&doc["kind"]), "Config");
    assert_eq!(s(&doc["current-context"]), "kubernetes-admin@prod");
    assert_eq!(s(&doc["clusters"][0]["name"]), "prod");
    assert_eq!(s(&doc["clusters"][0]["cluster"]["server"]), "https://api.prod.example.com:6443");
    assert_eq!(b64(&doc["clusters"][0]["cluster"]["certificate-authority-data"]), ca.cert_pem);
    assert_eq!(s(&doc["contexts"][0]["name"]), "kubernetes-admin@prod");
    assert_eq!(s(&doc["contexts"][0]["context"]["cluster"]), "prod");
    assert_eq!(s(&doc["contexts"][0]["context"]["user"]), "kubernetes-admin");
    assert_eq!(s(&doc["users"][0]["name"]), "kubernetes-admin");
    assert_eq!(b64(&doc["users"][0]["user"]["client-certificate-data"]), issued.client_certificate_pem);
    assert_eq!(b64(&doc["users"][0]["user"]["client-key-data"]), *issued.client_key_pem.expose());
    for list in ["clusters", "contexts", "users"] {
        assert_eq!(doc[list].as_sequence().unwrap().len(), 1, "{list}");
    }
    // The same layout as admin.conf: top-level keys in kubectl's order.
    let keys: Vec<&str> =
        text.lines().filter(|l| !l.starts_with([' ', '-'])).map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(keys, ["apiVersion", "clusters", "contexts", "current-context", "kind", "preferences", "users"]);

    // The provider's own Kubernetes client takes it as it is: the
    // current context, the server, the CA and a matching key pair.
    let settings = kube::Settings { kubeconfig: Some(Sensitive::new(text.clone())), ..Default::default() };
    let resolved = kube::resolve(&settings, None).unwrap();
    assert_eq!(resolved.connection.server, "https://api.prod.example.com:6443");
    assert!(resolved.connection.has_credentials());
    assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
}

#[test]
fn names_that_need_quoting_stay_intact() {
    let key = Sensitive::new("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_string());
    let text = render(&KubeconfigParts {
        server: "https://[fd00::1]:6443/k8s",
        cluster_name: "prod: eu #1",
        username: "@admin",
        ca_cert_pem: "ca",
        client_certificate_pem: "cert",
        client_key_pem: &key,
    })
    .unwrap();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text.expose()).unwrap();
    assert_eq!(doc["current-context"].as_str(), Some("@admin@prod: eu #1"));
    assert_eq!(doc["clusters"][0]["name"].as_str(), Some("prod: eu #1"));
    assert_eq!(doc["clusters"][0]["cluster"]["server"].as_str(), Some("https://[fd00::1]:6443/k8s"));
    assert_eq!(
        render(&KubeconfigParts { cluster_name: "prod: eu #1", ..parts(&key) }).unwrap(),
        render(&KubeconfigParts { cluster_name: "prod: eu #1", ..parts(&key) }).unwrap(),
        "deterministic"
    );
}

fn parts(key: &Sensitive<String>) -> KubeconfigParts<'_> {
    KubeconfigParts {
        server: "https://api:6443",
        cluster_name: "c",
        username: "u",
        ca_cert_pem: "ca",
        client_certificate_pem: "cert",
        client_key_pem: key,
    }
}

#[test]
fn a_wrong_ca_key_is_an_error_about_the_ca_that_shows_no_key() {
    let good = ca(KeyAlgorithm::EcdsaP256);
    let other = ca(KeyAlgorithm::EcdsaP384);
    let mixed = CaPair { cert_pem: good.cert_pem.clone(), key_pem: other.key_pem.clone() };
    let e = issue_with(&mixed, &groups(&[CLUSTER_ADMINS_GROUP]), "1h", KeyAlgorithm::EcdsaP256).unwrap_err();
    assert!(matches!(e, KubeconfigError::Ca(PkiError::KeyMismatch { .. })), "{e:?}");
    assert_eq!(e.input(), Input::ClusterCa);
    let message = e.to_string();
    for line in other.key_pem.expose().lines().filter(|l| !l.starts_with("-----")) {
        assert!(!message.contains(&line[..line.len().min(20)]), "{message}");
    }
    // Not a CA at all: a client certificate offered as the CA.
    let leaf = issue_with(good, &[], "1h", KeyAlgorithm::EcdsaP256).unwrap();
    let not_ca = CaPair { cert_pem: leaf.client_certificate_pem.clone(), key_pem: leaf.client_key_pem.clone() };
    let e = issue_with(&not_ca, &[], "1h", KeyAlgorithm::EcdsaP256).unwrap_err();
    assert!(matches!(e, KubeconfigError::Ca(PkiError::NotCa { .. })), "{e:?}");
    // An expired CA cannot sign.
    let old =
        pki::generate_ca(CaRole::Kubernetes, "old", KeyAlgorithm::EcdsaP256, 1, now() - Duration::days(3)).unwrap();
    let e = issue_with(&old, &[], "1h", KeyAlgorithm::EcdsaP256).unwrap_err();
    assert!(matches!(e, KubeconfigError::Ca(PkiError::Expired { .. })), "{e:?}");
}

#[test]
fn bad_inputs_name_their_input() {
    let ca = ca(KeyAlgorithm::EcdsaP256);
    let base = AdminRequest {
        ca_cert_pem: &ca.cert_pem,
        ca_key_pem: &ca.key_pem,
        server: "https://api:6443",
        cluster_name: "prod",
        username: "kubernetes-admin",
        groups: &[],
        validity: GoDuration::parse("1h").unwrap(),
        key_algorithm: KeyAlgorithm::EcdsaP256,
        now: now(),
    };
    let dup = groups(&["a", "b", "a"]);
    let blank = groups(&["a", " "]);
    let cases: Vec<(AdminRequest<'_>, Input)> = vec![
        (AdminRequest { server: "http://api:6443", ..base.clone() }, Input::Server),
        (AdminRequest { username: "", ..base.clone() }, Input::Username),
        (AdminRequest { username: "admin\n", ..base.clone() }, Input::Username),
        (AdminRequest { cluster_name: " ", ..base.clone() }, Input::ClusterName),
        (AdminRequest { groups: &dup, ..base.clone() }, Input::Groups(Some(2))),
        (AdminRequest { groups: &blank, ..base.clone() }, Input::Groups(Some(1))),
        (AdminRequest { validity: GoDuration::ZERO, ..base.clone() }, Input::Validity),
        (AdminRequest { validity: GoDuration::parse("999ms").unwrap(), ..base.clone() }, Input::Validity),
        (
            AdminRequest {
                validity: GoDuration::MAX,
                now: time::macros::datetime!(9800-01-01 00:00 UTC),
                ..base.clone()
            },
            Input::Validity,
        ),
    ];
    for (req, want) in cases {
        let e = issue(&req).unwrap_err();
        assert_eq!(e.input(), want, "{e}");
    }
    let ok = issue(&AdminRequest { validity: GoDuration::parse("1m").unwrap(), ..base.clone() }).unwrap();
    assert_eq!(ok.expires_at - ok.not_before, Duration::minutes(6));
}

#[test]
fn servers_must_be_https_urls() {
    for good in [
        "https://api.example.com:6443",
        "https://api.example.com",
        "https://10.0.0.1:6443",
        "https://[fd00::1]:6443",
        "https://[::1]",
        "https://lb.example.com:443/k8s/clusters/c-1",
        "https://api.example.com.:6443",
    ] {
        assert!(check_server(good).is_ok(), "{good}: {:?}", check_server(good));
    }
    for bad in [
        "http://api:6443",
        "api.example.com:6443",
        "https://",
        "https://:6443",
        "https://api:99999",
        "https://api:0",
        "https://api:",
        "https://api:https",
        "https://user:pw@api:6443",
        "https://api:6443?x=1",
        "https://api:6443#top",
        "https://api example:6443",
        "https://fd00::1:6443",
        "https://[fd00::1:6443",
        "https://[not-v6]:6443",
        "https://api_1.example.com",
        "https://-api.example.com",
        "HTTPS://api:6443",
    ] {
        let e = check_server(bad).unwrap_err();
        assert_eq!(e.input(), Input::Server);
        assert!(e.to_string().contains(bad), "{e}");
    }
}

#[test]
fn renewal_is_due_from_expiry_minus_renew_before() {
    let expires = now() + Duration::hours(10);
    let rb = |s: &str| Some(GoDuration::parse(s).unwrap());
    assert!(!needs_renewal(now(), expires, rb("1h")));
    assert!(!needs_renewal(expires - Duration::hours(1) - Duration::seconds(1), expires, rb("1h")));
    assert!(needs_renewal(expires - Duration::hours(1), expires, rb("1h")));
    assert!(needs_renewal(now(), expires, rb("10h")));
    assert!(needs_renewal(now(), expires, rb("8760h")));
    // Without renew_before: once expired.
    assert!(!needs_renewal(expires - Duration::seconds(1), expires, None));
    assert!(needs_renewal(expires, expires, None));
}

#[test]
fn debug_output_hides_the_key_and_the_kubeconfig() {
    let issued = issue_with(ca(KeyAlgorithm::EcdsaP256), &[], "1h", KeyAlgorithm::EcdsaP256).unwrap();
    let shown = format!("{issued:?}");
    assert!(shown.contains("<sensitive>"));
    assert!(!shown.contains("PRIVATE KEY") && !shown.contains("client-key-data"), "{shown}");
    let req = AdminRequest {
        ca_cert_pem: "",
        ca_key_pem: &ca(KeyAlgorithm::EcdsaP256).key_pem,
        server: "",
        cluster_name: "",
        username: "",
        groups: &[],
        validity: GoDuration::ZERO,
        key_algorithm: KeyAlgorithm::EcdsaP256,
        now: now(),
    };
    assert!(!format!("{req:?}").contains("PRIVATE KEY"));
}

#[test]
fn times_switch_to_generalized_time_from_2050() {
    let t = |y: i32| {
        let at =
            time::Date::from_calendar_date(y, time::Month::July, 9).unwrap().with_hms(1, 2, 3).unwrap().assume_utc();
        der::time(at)
    };
    assert_eq!(t(2049), [&[0x17, 13][..], b"490709010203Z"].concat());
    assert_eq!(t(2050), [&[0x18, 15][..], b"20500709010203Z"].concat());
    assert_eq!(t(1950), [&[0x17, 13][..], b"500709010203Z"].concat());
    assert_eq!(der::tlv(0x04, &[0u8; 200])[..3], [0x04, 0x81, 200]);
    assert_eq!(der::tlv(0x04, &[0u8; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    assert_eq!(der::directory_string("kubeadm:cluster-admins")[0], 0x13);
    assert_eq!(der::directory_string("ops*")[0], 0x0c);
    assert_eq!(der::directory_string("équipe")[0], 0x0c);
}
