use super::*;

// ---- pki directory -------------------------------------------------------

fn write_pki(dir: &Path, pki: &PkiDir) {
    for (rel, text) in pki.files() {
        write(dir, rel, text);
    }
}

#[test]
fn a_generated_pki_dir_reads_back_byte_for_byte() {
    let now = now();
    let pki = generate_pki("kubernetes", KeyAlgorithm::Rsa2048, 3650, now).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    write_pki(tmp.path(), &pki);
    let back = read_pki_dir(tmp.path(), now).unwrap();
    assert_eq!(back, pki);
    for (rel, text) in back.files() {
        assert_eq!(fs::read(tmp.path().join(rel)).unwrap(), text.as_bytes(), "{rel}");
    }
    for role in CaRole::ALL {
        let info = inspect_cert(&back.ca_pair(role).cert_pem).unwrap();
        assert_eq!(info.subject_cn, role.common_name());
        assert_eq!(info.subject_o.as_deref(), Some("kubernetes"));
    }
    assert_eq!(validate_key_pair(&back.sa.public_pem, back.sa.private_pem.expose()), Ok(KeyAlgorithm::Rsa2048));
    // openssl agrees the directory is consistent.
    let dir = tmp.path();
    assert_eq!(openssl(dir, &["verify", "-CAfile", "etcd/ca.crt", "etcd/ca.crt"]).trim(), "etcd/ca.crt: OK");
    assert_eq!(openssl(dir, &["pkey", "-in", "sa.key", "-pubout"]), read(dir, "sa.pub"));
}

#[test]
fn a_broken_pki_dir_reports_every_problem() {
    let now = now();
    let pki = generate_pki("c", KeyAlgorithm::EcdsaP256, 365, now).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_pki(dir, &pki);
    fs::remove_file(dir.join("etcd/ca.key")).unwrap();
    write(dir, "sa.pub", "garbage\n");

    let err = read_pki_dir(dir, now).unwrap_err();
    assert_eq!(err.dir, dir);
    assert_eq!(err.paths(), ["etcd/ca.key", "sa.pub"]);
    assert_eq!(err.problems[0].problem, FileProblem::Missing);
    assert_eq!(err.problems[1].problem, FileProblem::Invalid(PkiError::NotPem { input: PemInput::PublicKey }));
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("the pki directory {} is not usable (2 problems):\n", dir.display())), "{msg}");
    assert!(msg.contains("\n- etcd/ca.key: the file is missing"), "{msg}");
    assert!(msg.contains("\n- sa.pub: the public key is not PEM: "), "{msg}");
}

#[test]
fn pair_problems_are_reported_on_the_right_file() {
    let now = now();
    let pki = generate_pki("c", KeyAlgorithm::EcdsaP256, 365, now).unwrap();
    let other_sa = generate_service_account(KeyAlgorithm::EcdsaP256).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_pki(dir, &pki);
    // Swapped CA keys, a foreign sa.pub.
    write(dir, "ca.key", pki.front_proxy_ca.key_pem.expose());
    write(dir, "front-proxy-ca.key", pki.ca.key_pem.expose());
    write(dir, "sa.pub", &other_sa.public_pem);
    let err = read_pki_dir(dir, now).unwrap_err();
    assert_eq!(err.paths(), ["ca.key", "front-proxy-ca.key", "sa.pub"]);
    assert_eq!(
        err.problems[0].problem,
        FileProblem::Invalid(PkiError::KeyMismatch { subject_cn: "kubernetes".into() })
    );
    assert_eq!(err.problems[2].problem, FileProblem::Invalid(PkiError::PublicKeyMismatch));
    let msg = err.to_string();
    for pem in [pki.ca.key_pem.expose(), pki.front_proxy_ca.key_pem.expose(), pki.sa.private_pem.expose()] {
        assert_no_key_material(&msg, pem);
    }

    // Read far in the future every certificate has expired.
    write_pki(dir, &pki);
    let err = read_pki_dir(dir, now + Duration::days(400)).unwrap_err();
    assert_eq!(err.paths(), ["ca.crt", "front-proxy-ca.crt", "etcd/ca.crt"]);
    assert!(err.problems.iter().all(|p| matches!(p.problem, FileProblem::Invalid(PkiError::Expired { .. }))));
}

#[test]
fn pki_dir_file_level_problems() {
    let now = now();
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let err = read_pki_dir(&missing, now).unwrap_err();
    assert_eq!(err.problems, [PkiFileProblem { path: String::new(), problem: FileProblem::DirectoryMissing }]);
    assert!(err.to_string().ends_with("(1 problem):\n- the directory does not exist"), "{err}");
    write(tmp.path(), "plain", "x");
    let err = read_pki_dir(&tmp.path().join("plain"), now).unwrap_err();
    assert_eq!(err.problems[0].problem, FileProblem::NotADirectory);

    // An empty directory: all eight files are missing.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let err = read_pki_dir(&empty, now).unwrap_err();
    assert_eq!(err.paths(), PKI_FILES);
    assert!(err.problems.iter().all(|p| p.problem == FileProblem::Missing));

    let pki = generate_pki("c", KeyAlgorithm::EcdsaP256, 365, now).unwrap();
    let dir = tmp.path().join("pki");
    write_pki(&dir, &pki);
    fs::write(dir.join("ca.crt"), [0xff, 0xfe, 0x00]).unwrap();
    fs::remove_file(dir.join("etcd/ca.key")).unwrap();
    fs::create_dir(dir.join("etcd/ca.key")).unwrap();
    fs::write(dir.join("sa.pub"), vec![b'a'; MAX_PKI_FILE_BYTES as usize + 1]).unwrap();
    let err = read_pki_dir(&dir, now).unwrap_err();
    assert_eq!(
        err.problems,
        [
            PkiFileProblem { path: "ca.crt".into(), problem: FileProblem::NotUtf8 },
            PkiFileProblem { path: "etcd/ca.key".into(), problem: FileProblem::NotAFile },
            PkiFileProblem { path: "sa.pub".into(), problem: FileProblem::TooLarge { limit: MAX_PKI_FILE_BYTES } },
        ]
    );
}
