use super::*;

// ---- bring your own --------------------------------------------------------

#[test]
fn openssl_cas_pass_in_every_key_encoding() {
    // openssl starts the validity at the moment it signs, after this
    // test's clock reading; check a little later.
    let now = now() + Duration::minutes(1);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for alg in KeyAlgorithm::ALL {
        let (cert, key) = openssl_ca(dir, "byo", &openssl_newkey(alg), "kubernetes", &CA_EXTS);
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{alg}");
        let traditional = openssl(dir, &["pkey", "-in", "byo.key", "-traditional"]);
        let label = if alg.is_rsa() { "RSA PRIVATE KEY" } else { "EC PRIVATE KEY" };
        assert!(traditional.starts_with(&format!("-----BEGIN {label}-----")), "{alg}: {traditional}");
        let mut forms = vec![key.clone(), traditional];
        if alg.is_rsa() {
            let pkcs1 = openssl(dir, &["rsa", "-in", "byo.key", "-traditional"]);
            assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
            forms.push(pkcs1);
        }
        let public = openssl(dir, &["pkey", "-in", "byo.key", "-pubout"]);
        for form in &forms {
            let info = validate_ca_pair(&cert, form, now).unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!(info.algorithm, Some(alg));
            assert_eq!((info.subject_cn.as_str(), info.subject_o.as_deref()), ("kubernetes", None));
            assert!(info.is_ca && info.can_sign_certs);
            assert_eq!(validity_days(&info), 30);
            assert_eq!(key_algorithm_of_private_key(form), Ok(alg));
            assert_eq!(validate_key_pair(&public, form), Ok(alg));
        }
        // CRLF line endings are fine too.
        let crlf = |s: &str| s.replace('\n', "\r\n");
        validate_ca_pair(&crlf(&cert), &crlf(&key), now).unwrap();
    }

    // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
    openssl(dir, &["ecparam", "-name", "prime256v1", "-genkey", "-out", "ecparam.key"]);
    let key = read(dir, "ecparam.key");
    assert!(key.starts_with("-----BEGIN EC PARAMETERS-----"), "{key}");
    let mut args = vec!["req", "-x509", "-key", "ecparam.key", "-subj", "/CN=etcd-ca", "-days", "5", "-out", "e.crt"];
    args.extend_from_slice(&CA_EXTS);
    openssl(dir, &args);
    let info = validate_ca_pair(&read(dir, "e.crt"), &key, now).unwrap();
    assert_eq!((info.subject_cn.as_str(), info.algorithm), ("etcd-ca", Some(KeyAlgorithm::EcdsaP256)));

    // `openssl x509 -text` output with the PEM after the dump still reads.
    let dumped = openssl(dir, &["x509", "-in", "e.crt", "-text"]);
    assert!(!dumped.starts_with("-----BEGIN"));
    assert_eq!(inspect_cert(&dumped).unwrap(), info);
}

#[test]
fn mismatched_key_is_reported() {
    let now = now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (cert, _) = openssl_ca(dir, "a", &openssl_newkey(KeyAlgorithm::EcdsaP256), "kubernetes", &CA_EXTS);
    let (_, other) = openssl_ca(dir, "b", &openssl_newkey(KeyAlgorithm::EcdsaP256), "kubernetes", &CA_EXTS);
    let err = validate_ca_pair(&cert, &other, now).unwrap_err();
    assert_eq!(err, PkiError::KeyMismatch { subject_cn: "kubernetes".into() });
    assert_eq!(
        err.to_string(),
        "the private key does not belong to the certificate with CN \"kubernetes\": their public keys differ; \
         supply the key the certificate was issued for"
    );
    assert_no_key_material(&err.to_string(), &other);
    // A key of another algorithm does not match either.
    let rsa = fixture().rsa.key_pem.expose();
    assert!(matches!(validate_ca_pair(&cert, rsa, now), Err(PkiError::KeyMismatch { .. })));
    // Generated material: a key from another generated CA.
    let f = fixture();
    let ec2 = generate_ca(CaRole::Kubernetes, "fixture", KeyAlgorithm::EcdsaP256, 365, now).unwrap();
    assert!(matches!(validate_ca_pair(&f.ec.cert_pem, ec2.key_pem.expose(), now), Err(PkiError::KeyMismatch { .. })));
}

#[test]
fn non_ca_certificates_are_reported() {
    let now = now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (ca_cert, ca_key) = openssl_ca(dir, "ca", &openssl_newkey(KeyAlgorithm::EcdsaP256), "kubernetes", &CA_EXTS);
    let _ = ca_cert;

    // A leaf issued by `x509 -req` without extensions: no basicConstraints.
    issue_leaf(dir, false);
    let (leaf, leaf_key) = (read(dir, "leaf.crt"), read(dir, "leaf.key"));
    let info = inspect_cert(&leaf).unwrap();
    assert!(!info.is_ca && !info.can_sign_certs);
    let err = validate_ca_pair(&leaf, &leaf_key, now).unwrap_err();
    assert_eq!(err, PkiError::NotCa { subject_cn: "leaf".into(), problem: "it has no basicConstraints extension" });
    assert_eq!(
        err.to_string(),
        "the certificate with CN \"leaf\" is not a CA: it has no basicConstraints extension; \
         expected a basicConstraints extension with CA:TRUE"
    );

    // A self-signed certificate that says CA:FALSE.
    let (cert, key) = openssl_ca(
        dir,
        "notca",
        &openssl_newkey(KeyAlgorithm::EcdsaP256),
        "kubernetes",
        &["-addext", "basicConstraints=critical,CA:FALSE"],
    );
    assert!(squash(&openssl(dir, &["x509", "-in", "notca.crt", "-noout", "-text"])).contains("CA:FALSE"));
    let err = validate_ca_pair(&cert, &key, now).unwrap_err();
    assert_eq!(err, PkiError::NotCa { subject_cn: "kubernetes".into(), problem: "its basicConstraints say CA:FALSE" });
    assert_no_key_material(&err.to_string(), &key);
    let _ = ca_key;
}

#[test]
fn ca_without_key_cert_sign_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (cert, key) = openssl_ca(
        dir,
        "nosign",
        &openssl_newkey(KeyAlgorithm::EcdsaP256),
        "front-proxy-ca",
        &["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,digitalSignature"],
    );
    let info = inspect_cert(&cert).unwrap();
    assert!(info.is_ca && !info.can_sign_certs);
    let err = validate_ca_pair(&cert, &key, now()).unwrap_err();
    assert_eq!(err, PkiError::CannotSignCerts { subject_cn: "front-proxy-ca".into() });
    assert!(err.to_string().contains("lacks keyCertSign"), "{err}");
}

#[test]
fn expired_and_not_yet_valid_certificates_are_reported() {
    let now = now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // openssl 3.0 has no -not_after, but `x509 -req -days -1` ends the
    // validity a day before it starts.
    write(dir, "ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,digitalSignature\n");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "old.key",
            "-subj",
            "/CN=kubernetes",
            "-out",
            "old.csr",
        ],
    );
    openssl(
        dir,
        &[
            "x509", "-req", "-in", "old.csr", "-signkey", "old.key", "-days", "-1", "-extfile", "ca.ext", "-out",
            "old.crt",
        ],
    );
    let (cert, key) = (read(dir, "old.crt"), read(dir, "old.key"));
    let info = inspect_cert(&cert).unwrap();
    assert!(info.is_ca && info.can_sign_certs && info.not_after < now);
    let err = validate_ca_pair(&cert, &key, now).unwrap_err();
    assert_eq!(err, PkiError::Expired { subject_cn: "kubernetes".into(), not_after: info.not_after, now });
    let msg = err.to_string();
    assert!(msg.contains(&format!("expired at {}", format_rfc3339(info.not_after))), "{msg}");
    assert!(msg.starts_with("the certificate with CN \"kubernetes\" expired at "), "{msg}");

    // With the clock injected, a good CA is expired later and not yet
    // valid earlier; the boundaries themselves are inside.
    let pair = &fixture().ec;
    let good = inspect_cert(&pair.cert_pem).unwrap();
    let key = pair.key_pem.expose();
    validate_ca_pair(&pair.cert_pem, key, good.not_before).unwrap();
    validate_ca_pair(&pair.cert_pem, key, good.not_after).unwrap();
    let later = good.not_after + Duration::seconds(1);
    assert_eq!(
        validate_ca_pair(&pair.cert_pem, key, later),
        Err(PkiError::Expired { subject_cn: "kubernetes".into(), not_after: good.not_after, now: later })
    );
    let earlier = good.not_before - Duration::seconds(1);
    let err = validate_ca_pair(&pair.cert_pem, key, earlier).unwrap_err();
    assert_eq!(
        err,
        PkiError::NotYetValid { subject_cn: "kubernetes".into(), not_before: good.not_before, now: earlier }
    );
    assert!(err.to_string().contains(&format!("not valid before {}", format_rfc3339(good.not_before))));

    // A CA generated with an old clock is expired today.
    let old = generate_ca(CaRole::Etcd, "c", KeyAlgorithm::EcdsaP256, 1, now - Duration::days(30)).unwrap();
    assert!(matches!(validate_ca_pair(&old.cert_pem, old.key_pem.expose(), now), Err(PkiError::Expired { .. })));
}

#[test]
fn garbage_and_wrong_blocks_in_a_certificate() {
    let f = fixture();
    let cert = &f.ec.cert_pem;
    assert_eq!(inspect_cert(""), Err(PkiError::NotPem { input: PemInput::Certificate }));
    assert_eq!(inspect_cert("hello world"), Err(PkiError::NotPem { input: PemInput::Certificate }));
    assert_eq!(
        inspect_cert("hello").unwrap_err().to_string(),
        "the certificate is not PEM: expected exactly one CERTIFICATE block, \
         starting with a \"-----BEGIN CERTIFICATE-----\" line"
    );
    let bad64 = "-----BEGIN CERTIFICATE-----\n!!!notbase64\n-----END CERTIFICATE-----\n";
    assert_eq!(
        inspect_cert(bad64),
        Err(PkiError::MalformedPem {
            input: PemInput::Certificate,
            problem: "the body of the CERTIFICATE block is not valid base64".into()
        })
    );
    let unterminated = cert.replace("-----END CERTIFICATE-----", "");
    assert!(matches!(inspect_cert(&unterminated), Err(PkiError::MalformedPem { .. })));
    let wrong_end = cert.replace("-----END CERTIFICATE-----", "-----END PRIVATE KEY-----");
    assert!(matches!(inspect_cert(&wrong_end), Err(PkiError::MalformedPem { .. })));
    let empty = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
    assert!(matches!(inspect_cert(empty), Err(PkiError::MalformedPem { .. })));

    // PEM, but no certificate in it.
    let err = inspect_cert(&f.sa.public_pem).unwrap_err();
    assert_eq!(err, PkiError::NoCertificate { found: vec!["PUBLIC KEY".into()] });
    assert!(err.to_string().contains("holds no CERTIFICATE block (found PUBLIC KEY)"), "{err}");
    let err = inspect_cert(f.ec.key_pem.expose()).unwrap_err();
    assert_eq!(err, PkiError::NoCertificate { found: vec!["PRIVATE KEY".into()] });
    assert_no_key_material(&err.to_string(), f.ec.key_pem.expose());

    // Two certificates.
    let two = format!("{cert}{}", f.rsa.cert_pem);
    assert_eq!(inspect_cert(&two), Err(PkiError::MultipleCertificates { count: 2 }));
    assert_eq!(ca_cert_hash(&two), Err(PkiError::MultipleCertificates { count: 2 }));

    // A certificate bundled with its key is refused rather than half-read.
    let bundled = format!("{cert}{}", f.ec.key_pem.expose());
    let err = inspect_cert(&bundled).unwrap_err();
    assert_eq!(err, PkiError::UnexpectedPemBlock { input: PemInput::Certificate, label: "PRIVATE KEY".into() });
    assert_no_key_material(&err.to_string(), f.ec.key_pem.expose());

    // Valid base64 that is not a certificate.
    let junk = armour("CERTIFICATE", b"definitely not DER");
    assert!(matches!(inspect_cert(&junk), Err(PkiError::InvalidCertificate { .. })));
    let mut der = single_der(cert);
    der.truncate(der.len() - 10);
    assert!(matches!(inspect_cert(&armour("CERTIFICATE", &der)), Err(PkiError::InvalidCertificate { .. })));
    let mut der = single_der(cert);
    der.extend_from_slice(&[0, 0]);
    assert!(matches!(inspect_cert(&armour("CERTIFICATE", &der)), Err(PkiError::InvalidCertificate { .. })));

    // Text around the block is ignored; the result is unchanged.
    let chatty = format!("subject=CN = kubernetes\n\n{cert}\ntrailing words\n");
    assert_eq!(inspect_cert(&chatty), inspect_cert(cert));
}

#[test]
fn bad_private_keys_are_reported_without_their_contents() {
    let now = now();
    let f = fixture();
    let cert = &f.ec.cert_pem;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    openssl(dir, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k.pem"]);
    let key = read(dir, "k.pem");

    let mut cases: Vec<(String, PkiError)> = vec![
        ("".into(), PkiError::NotPem { input: PemInput::PrivateKey }),
        ("not a key".into(), PkiError::NotPem { input: PemInput::PrivateKey }),
        (cert.clone(), PkiError::UnexpectedPemBlock { input: PemInput::PrivateKey, label: "CERTIFICATE".into() }),
        (format!("{key}{key}"), PkiError::MultiplePrivateKeys { count: 2 }),
        (
            armour("PRIVATE KEY", b"\x30\x03\x02\x01\x00"),
            PkiError::InvalidPrivateKey {
                label: "PRIVATE KEY".into(),
                problem: "the contents are not a PKCS#8 private key",
            },
        ),
        (
            key.replace("PRIVATE KEY", "RSA PRIVATE KEY"),
            PkiError::InvalidPrivateKey {
                label: "RSA PRIVATE KEY".into(),
                problem: "the contents are not a PKCS#1 RSA private key",
            },
        ),
        (
            key.replace("PRIVATE KEY", "EC PRIVATE KEY"),
            PkiError::InvalidPrivateKey {
                label: "EC PRIVATE KEY".into(),
                problem: "the contents are not a SEC1 EC private key that names its curve",
            },
        ),
        (
            key.replace("PRIVATE KEY", "OPENSSH PRIVATE KEY"),
            PkiError::UnsupportedKeyFormat { label: "OPENSSH PRIVATE KEY".into() },
        ),
        (
            key.replace("PRIVATE KEY", "DSA PRIVATE KEY"),
            PkiError::UnsupportedKey { input: PemInput::PrivateKey, key_type: "DSA".into() },
        ),
    ];

    // Garbage key bytes inside a structurally plausible PKCS#8 P-256
    // key: the outer layout parses, the key itself does not.
    let mut der = single_der(&key.replace("PRIVATE KEY", "CERTIFICATE"));
    let last = der.len() - 1;
    der[last] ^= 0xff;
    cases.push((
        armour("PRIVATE KEY", &der),
        PkiError::InvalidPrivateKey {
            label: "PRIVATE KEY".into(),
            problem: "the key data is malformed or its parts are inconsistent",
        },
    ));

    // Encrypted keys, in the PKCS#8 and the legacy form.
    openssl(dir, &["pkey", "-in", "k.pem", "-aes256", "-passout", "pass:hunter2", "-out", "enc8.pem"]);
    openssl(dir, &["pkey", "-in", "k.pem", "-traditional", "-aes256", "-passout", "pass:hunter2", "-out", "encl.pem"]);
    let legacy = read(dir, "encl.pem");
    assert!(legacy.contains("Proc-Type: 4,ENCRYPTED"), "{legacy}");
    cases.push((read(dir, "enc8.pem"), PkiError::EncryptedPrivateKey));
    cases.push((legacy, PkiError::EncryptedPrivateKey));

    for (input, expected) in cases {
        let got = key_algorithm_of_private_key(&input).unwrap_err();
        assert_eq!(got, expected, "input:\n{input}");
        // validate_ca_pair reports the same problem for the key.
        assert_eq!(validate_ca_pair(cert, &input, now).unwrap_err(), expected);
        let msg = got.to_string();
        assert_no_key_material(&msg, &input);
        assert!(!msg.contains("hunter2"));
        assert!(msg.starts_with("the private key"), "{msg}");
    }
}

#[test]
fn unsupported_key_types_are_named() {
    let now = now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cases: [(&[&str], &str); 4] = [
        (&["-newkey", "ed25519"], "Ed25519"),
        (&["-newkey", "rsa:1024"], "RSA-1024"),
        (&["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"], "ECDSA-P521"),
        (&["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"], "ECDSA-secp256k1"),
    ];
    for (key_args, name) in cases {
        let (cert, key) = openssl_ca(dir, "odd", key_args, "kubernetes", &CA_EXTS);
        let info = inspect_cert(&cert).unwrap();
        assert_eq!((info.algorithm, info.key_type()), (None, name.to_owned()));
        assert!(ca_cert_hash(&cert).unwrap().starts_with("sha256:"));
        let err = validate_ca_pair(&cert, &key, now).unwrap_err();
        assert_eq!(err, PkiError::UnsupportedKey { input: PemInput::Certificate, key_type: name.into() });
        assert!(err.to_string().starts_with(&format!("the certificate uses the unsupported key type {name}; ")));
        let err = key_algorithm_of_private_key(&key).unwrap_err();
        assert_eq!(err, PkiError::UnsupportedKey { input: PemInput::PrivateKey, key_type: name.into() });
        assert!(err.to_string().ends_with("supported: RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384"));
        // Ed25519 has no traditional encoding.
        if name != "Ed25519" {
            let traditional = openssl(dir, &["pkey", "-in", "odd.key", "-traditional"]);
            assert_eq!(key_algorithm_of_private_key(&traditional), Err(err));
        }
        let public = openssl(dir, &["pkey", "-in", "odd.key", "-pubout"]);
        assert_eq!(
            validate_key_pair(&public, &fixture().sa.private_pem.expose().clone()),
            Err(PkiError::UnsupportedKey { input: PemInput::PublicKey, key_type: name.into() })
        );
    }
}

#[test]
fn service_account_key_problems() {
    let f = fixture();
    let other = generate_service_account(KeyAlgorithm::EcdsaP256).unwrap();
    let err = validate_key_pair(&other.public_pem, f.sa.private_pem.expose()).unwrap_err();
    assert_eq!(err, PkiError::PublicKeyMismatch);
    assert!(err.to_string().starts_with("the public key does not match the private key"));
    // An RSA public key against an EC private key.
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "ca.crt", &f.rsa.cert_pem);
    let rsa_pub = openssl(tmp.path(), &["x509", "-pubkey", "-noout", "-in", "ca.crt"]);
    assert_eq!(validate_key_pair(&rsa_pub, f.sa.private_pem.expose()), Err(PkiError::PublicKeyMismatch));
    assert_eq!(validate_key_pair(&rsa_pub, f.rsa.key_pem.expose()), Ok(KeyAlgorithm::Rsa2048));

    assert_eq!(
        validate_key_pair("garbage", f.sa.private_pem.expose()),
        Err(PkiError::NotPem { input: PemInput::PublicKey })
    );
    assert_eq!(
        validate_key_pair(&f.ec.cert_pem, f.sa.private_pem.expose()),
        Err(PkiError::NoPublicKey { found: vec!["CERTIFICATE".into()] })
    );
    let two = format!("{}{}", f.sa.public_pem, other.public_pem);
    assert_eq!(validate_key_pair(&two, f.sa.private_pem.expose()), Err(PkiError::MultiplePublicKeys { count: 2 }));
    // A private key pasted where the public key belongs.
    let err =
        validate_key_pair(&format!("{}{}", f.sa.public_pem, f.sa.private_pem.expose()), f.sa.private_pem.expose())
            .unwrap_err();
    assert_eq!(err, PkiError::UnexpectedPemBlock { input: PemInput::PublicKey, label: "PRIVATE KEY".into() });
    assert_no_key_material(&err.to_string(), f.sa.private_pem.expose());
    assert!(matches!(
        validate_key_pair(&armour("PUBLIC KEY", b"\x30\x00"), f.sa.private_pem.expose()),
        Err(PkiError::InvalidPublicKey { .. })
    ));
    // The private key is checked first.
    assert_eq!(validate_key_pair(&f.sa.public_pem, "nope"), Err(PkiError::NotPem { input: PemInput::PrivateKey }));
}

#[test]
fn errors_say_which_input_they_are_about() {
    let f = fixture();
    let now = now();
    let key_errors = [
        validate_ca_pair(&f.ec.cert_pem, "x", now).unwrap_err(),
        validate_ca_pair(&f.ec.cert_pem, &f.ec.cert_pem, now).unwrap_err(),
        validate_ca_pair(&f.ec.cert_pem, f.rsa.key_pem.expose(), now).unwrap_err(),
        validate_key_pair(&f.sa.public_pem, "x").unwrap_err(),
    ];
    for e in key_errors {
        assert!(e.is_about_key(), "{e:?}");
        assert_eq!(e.input(), Some(PemInput::PrivateKey));
    }
    let cert_errors = [
        validate_ca_pair("x", f.ec.key_pem.expose(), now).unwrap_err(),
        validate_ca_pair(&f.ec.cert_pem, f.ec.key_pem.expose(), now + Duration::days(999)).unwrap_err(),
    ];
    for e in cert_errors {
        assert!(!e.is_about_key(), "{e:?}");
        assert_eq!(e.input(), Some(PemInput::Certificate));
    }
    let e = validate_key_pair(&f.ec.cert_pem, f.sa.private_pem.expose()).unwrap_err();
    assert_eq!(e.input(), Some(PemInput::PublicKey));
    assert_eq!(PkiError::PublicKeyMismatch.input(), Some(PemInput::PublicKey));
    assert_eq!(KeyAlgorithm::parse("x").unwrap_err().input(), None);
}

#[test]
fn debug_output_hides_private_keys() {
    let f = fixture();
    let shown = format!("{:?} {:?}", f.ec, f.sa);
    assert!(shown.contains("<sensitive>"));
    for line in body_lines(f.ec.key_pem.expose()).into_iter().chain(body_lines(f.sa.private_pem.expose())) {
        assert!(!shown.contains(&line), "{shown}");
    }
}

#[test]
fn labels_in_messages_are_sanitised() {
    let label = format!("EVIL\u{7}{}", "X".repeat(100));
    let text = format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n");
    let err = inspect_cert(&text).unwrap_err();
    let PkiError::NoCertificate { found } = &err else { panic!("{err:?}") };
    assert_eq!(found[0], format!("EVIL?{}...", "X".repeat(35)));
    assert!(!err.to_string().contains('\u{7}'));
}

#[test]
fn oid_and_integer_helpers() {
    assert_eq!(oid_text(OID_CURVE_P256), "1.2.840.10045.3.1.7");
    assert_eq!(oid_text(OID_ED25519), "1.3.101.112");
    assert_eq!(oid_text(&[0x88, 0x37]), "2.999");
    assert_eq!(oid_text(&[]), "an empty object identifier");
    assert_eq!(oid_text(&[0xff; 40]), "an oversized object identifier");
    assert_eq!(integer_bits(&[0x00, 0x80]), Some(8));
    assert_eq!(integer_bits(&[0x01, 0x00]), Some(9));
    assert_eq!(integer_bits(&[0x00, 0x00, 0x7f]), Some(7));
    assert_eq!(integer_bits(&[0x80]), None);
    assert_eq!(integer_bits(&[0x00]), None);
    assert_eq!(integer_bits(&[]), None);
    assert_eq!(der_take(&[0x04, 0x82, 0x00, 0x01, 0xaa, 0xbb], 0x04), Some((&[0xaa][..], &[0xbb][..])));
    assert_eq!(der_take(&[0x04, 0x85, 0, 0, 0, 0, 1], 0x04), None);
    assert_eq!(der_take(&[0x04, 0x80], 0x04), None);
    assert_eq!(der_take(&[0x04, 0x05, 0x00], 0x04), None);
    assert_eq!(der_take(&[0x02, 0x00], 0x04), None);
}
