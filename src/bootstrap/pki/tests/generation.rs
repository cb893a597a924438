use super::*;

// ---- generation, checked by openssl --------------------------------------

#[test]
fn generated_cas_pass_openssl_for_every_algorithm() {
    let now = now();
    for (i, alg) in KeyAlgorithm::ALL.into_iter().enumerate() {
        let role = CaRole::ALL[i % 3];
        let cn = role.common_name();
        let days = 3650 + i as u32;
        let pair = generate_ca(role, "my-cluster", alg, days, now).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write(dir, "ca.crt", &pair.cert_pem);
        write(dir, "ca.key", pair.key_pem.expose());
        assert!(pair.cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{alg}");
        assert!(pair.key_pem.expose().starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}");

        let text = squash(&openssl(dir, &["x509", "-noout", "-text", "-in", "ca.crt"]));
        for needle in [
            "Version: 3 (0x2)".to_owned(),
            format!("Signature Algorithm: {}", alg.signature_algorithm()),
            format!("Issuer: O = my-cluster, CN = {cn}"),
            format!("Subject: O = my-cluster, CN = {cn}"),
            "X509v3 Basic Constraints: critical CA:TRUE".to_owned(),
            "X509v3 Key Usage: critical Digital Signature, Key Encipherment, Certificate Sign".to_owned(),
            format!("X509v3 Subject Alternative Name: DNS:{cn}"),
        ] {
            assert!(text.contains(&needle), "{alg}: {needle:?} not in\n{text}");
        }
        match (alg, rsa_bits(alg)) {
            (_, Some(bits)) => {
                assert!(text.contains("Public Key Algorithm: rsaEncryption"), "{alg}");
                assert!(text.contains(&format!("Public-Key: ({bits} bit)")), "{alg}");
            }
            (KeyAlgorithm::EcdsaP256, None) => {
                assert!(text.contains("Public-Key: (256 bit)") && text.contains("NIST CURVE: P-256"), "{text}");
            }
            (_, None) => {
                assert!(text.contains("Public-Key: (384 bit)") && text.contains("NIST CURVE: P-384"), "{text}");
            }
        }

        let dates = openssl(dir, &["x509", "-noout", "-startdate", "-enddate", "-in", "ca.crt"]);
        let mut lines = dates.lines();
        assert_eq!(openssl_date(lines.next().unwrap()), now - Duration::minutes(5), "{alg}");
        assert_eq!(openssl_date(lines.next().unwrap()), now + Duration::days(i64::from(days)), "{alg}");

        let serial = openssl(dir, &["x509", "-noout", "-serial", "-in", "ca.crt"]);
        let serial = serial.trim().strip_prefix("serial=").unwrap();
        assert!(serial.len() == 32 && serial.chars().any(|c| c != '0'), "{serial}");

        // Self-signed and verifiable on its own.
        assert_eq!(openssl(dir, &["verify", "-CAfile", "ca.crt", "ca.crt"]).trim(), "ca.crt: OK");

        // The key is the certificate's.
        let key_pub = openssl(dir, &["pkey", "-in", "ca.key", "-pubout"]);
        let cert_pub = openssl(dir, &["x509", "-pubkey", "-noout", "-in", "ca.crt"]);
        assert_eq!(key_pub, cert_pub, "{alg}");

        // The discovery hash matches the usual openssl pipeline.
        let piped = sh(dir, "openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | sha256sum");
        let expected = format!("sha256:{}", piped.split_whitespace().next().unwrap());
        assert_eq!(ca_cert_hash(&pair.cert_pem).unwrap(), expected, "{alg}");

        // openssl can issue a leaf with the CA key, and it verifies.
        issue_leaf(dir, true);
        assert_eq!(openssl(dir, &["verify", "-CAfile", "ca.crt", "leaf.crt"]).trim(), "leaf.crt: OK");

        // Our own reading agrees.
        let info = validate_ca_pair(&pair.cert_pem, pair.key_pem.expose(), now).unwrap();
        assert_eq!(info.subject_cn, cn);
        assert_eq!(info.subject_o.as_deref(), Some("my-cluster"));
        assert_eq!((info.is_ca, info.can_sign_certs), (true, true));
        assert_eq!(info.algorithm, Some(alg));
        assert_eq!(info.key_type(), alg.as_str());
        assert_eq!(info.not_before, now - Duration::minutes(5));
        assert_eq!(validity_days(&info), days);
        assert_eq!(inspect_cert(&pair.cert_pem).unwrap(), info);
        assert_eq!(key_algorithm_of_private_key(pair.key_pem.expose()), Ok(alg));
        let der_spki = openssl(dir, &["x509", "-pubkey", "-noout", "-in", "ca.crt"]);
        assert_eq!(info.spki_der, single_der(&der_spki.replace("PUBLIC KEY", "CERTIFICATE")));
    }
}

#[test]
fn every_role_gets_its_kubeadm_subject() {
    for role in CaRole::ALL {
        let pair = generate_ca(role, "prod", KeyAlgorithm::EcdsaP256, 10, now()).unwrap();
        let info = inspect_cert(&pair.cert_pem).unwrap();
        assert_eq!(info.subject_cn, role.common_name());
        assert_eq!(info.subject_o.as_deref(), Some("prod"));
    }
    // Without a cluster name the subject has no organisation.
    let pair = generate_ca(CaRole::Etcd, "", KeyAlgorithm::EcdsaP256, 10, now()).unwrap();
    let info = inspect_cert(&pair.cert_pem).unwrap();
    assert_eq!((info.subject_cn.as_str(), info.subject_o), ("etcd-ca", None));
}

#[test]
fn serials_and_keys_differ_between_runs() {
    let a = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 10, now()).unwrap();
    let b = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 10, now()).unwrap();
    assert_ne!(a.cert_pem, b.cert_pem);
    assert_ne!(a.key_pem, b.key_pem);
    assert_ne!(ca_cert_hash(&a.cert_pem).unwrap(), ca_cert_hash(&b.cert_pem).unwrap());
    let serial = |pem: &str| {
        let der = single_der(pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        cert.raw_serial().to_vec()
    };
    let (sa, sb) = (serial(&a.cert_pem), serial(&b.cert_pem));
    assert_ne!(sa, sb);
    for s in [sa, sb] {
        assert_eq!(s.len(), 16);
        assert_eq!(s[0] & 0xc0, 0x40, "positive and full length");
    }
}

#[test]
fn service_account_keys_pass_openssl_for_every_algorithm() {
    for alg in KeyAlgorithm::ALL {
        let sa = generate_service_account(alg).unwrap();
        assert!(sa.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{alg}");
        assert!(sa.private_pem.expose().starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}");
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write(dir, "sa.key", sa.private_pem.expose());
        write(dir, "sa.pub", &sa.public_pem);
        assert_eq!(openssl(dir, &["pkey", "-in", "sa.key", "-pubout"]), sa.public_pem, "{alg}");
        let text = squash(&openssl(dir, &["pkey", "-pubin", "-in", "sa.pub", "-noout", "-text"]));
        let size = rsa_bits(alg).unwrap_or(if alg == KeyAlgorithm::EcdsaP256 { 256 } else { 384 });
        assert!(text.contains(&format!("Public-Key: ({size} bit)")), "{alg}: {text}");
        assert_eq!(validate_key_pair(&sa.public_pem, sa.private_pem.expose()), Ok(alg));
        assert_eq!(key_algorithm_of_private_key(sa.private_pem.expose()), Ok(alg));
    }
}

#[test]
fn validity_window_edges() {
    // Sub-second parts and offsets are normalised to whole UTC seconds.
    let odd_now = datetime!(2026-03-01 01:30:15.75 +02:00);
    let pair = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 1, odd_now).unwrap();
    let info = inspect_cert(&pair.cert_pem).unwrap();
    assert_eq!(info.not_before, datetime!(2026-02-28 23:25:15 UTC));
    assert_eq!(info.not_after, datetime!(2026-03-01 23:30:15 UTC));
    assert_eq!(validity_days(&info), 1);

    // Expiry after 2049 is written as GeneralizedTime and reads back.
    let pair = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 36500, odd_now).unwrap();
    assert_eq!(validity_days(&inspect_cert(&pair.cert_pem).unwrap()), 36500);

    let err = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 0, odd_now).unwrap_err();
    assert_eq!(err, PkiError::InvalidValidity { days: 0, problem: "it must be at least 1 day" });
    assert_eq!(err.to_string(), "invalid certificate validity of 0 days: it must be at least 1 day");

    let late = datetime!(9999-06-01 00:00:00 UTC);
    let err = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 365, late).unwrap_err();
    assert!(err.to_string().contains("after the year 9999"), "{err}");
    let err = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, u32::MAX, odd_now).unwrap_err();
    assert!(matches!(err, PkiError::InvalidValidity { .. }), "{err}");
    let early = datetime!(0001-01-01 00:01:00 UTC);
    let err = generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 1, early).unwrap_err();
    assert!(err.to_string().contains("outside the years 1 to 9999"), "{err}");
    // The earliest workable moment still works.
    generate_ca(CaRole::Kubernetes, "c", KeyAlgorithm::EcdsaP256, 1, datetime!(0001-01-01 00:05:00 UTC)).unwrap();
}

#[test]
fn validity_days_rounds_down_and_never_goes_negative() {
    let mut info = inspect_cert(&fixture().ec.cert_pem).unwrap();
    info.not_before = datetime!(2026-01-01 00:00:00 UTC);
    info.not_after = datetime!(2026-01-03 23:59:59 UTC);
    assert_eq!(validity_days(&info), 2);
    info.not_after = datetime!(2025-01-01 00:00:00 UTC);
    assert_eq!(validity_days(&info), 0);
}
