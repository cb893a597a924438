use super::*;

// ---- robustness ----------------------------------------------------------

/// Calls every parser on the inputs; none may panic.
fn poke(text: &str) {
    let now = datetime!(2026-01-01 00:00:00 UTC);
    let f = fixture();
    let _ = inspect_cert(text);
    let _ = ca_cert_hash(text);
    let _ = validate_ca_pair(text, text, now);
    let _ = validate_ca_pair(&f.ec.cert_pem, text, now);
    let _ = validate_ca_pair(text, f.ec.key_pem.expose(), now);
    let _ = validate_key_pair(text, text);
    let _ = validate_key_pair(text, f.sa.private_pem.expose());
    let _ = key_algorithm_of_private_key(text);
}

const LABELS: [&str; 8] = [
    "CERTIFICATE",
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "PUBLIC KEY",
    "ENCRYPTED PRIVATE KEY",
    "EC PARAMETERS",
    "X",
];

proptest! {
    #[test]
    fn parsers_never_panic_on_arbitrary_text(s in any::<String>()) {
        poke(&s);
    }

    #[test]
    fn parsers_never_panic_on_armoured_bytes(
        label in proptest::sample::select(LABELS.to_vec()),
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        poke(&armour(label, &bytes));
    }

    #[test]
    fn parsers_never_panic_on_damaged_material(
        which in 0usize..5,
        at in any::<proptest::sample::Index>(),
        xor in 1u8..=255,
        cut in any::<proptest::sample::Index>(),
    ) {
        let f = fixture();
        let (label, pem) = match which {
            0 => ("CERTIFICATE", f.ec.cert_pem.as_str()),
            1 => ("CERTIFICATE", f.rsa.cert_pem.as_str()),
            2 => ("PRIVATE KEY", f.ec.key_pem.expose().as_str()),
            3 => ("PRIVATE KEY", f.rsa.key_pem.expose().as_str()),
            _ => ("PUBLIC KEY", f.sa.public_pem.as_str()),
        };
        let mut der = parse_pem(PemInput::Certificate, pem).unwrap().remove(0).der;
        let i = at.index(der.len());
        der[i] ^= xor;
        poke(&armour(label, &der));
        der.truncate(cut.index(der.len()));
        poke(&armour(label, &der));
        poke(&armour("RSA PRIVATE KEY", &der));
        poke(&armour("EC PRIVATE KEY", &der));
    }

    #[test]
    fn read_pki_dir_never_panics(contents in proptest::collection::vec(any::<String>(), 8)) {
        let tmp = tempfile::tempdir().unwrap();
        for (rel, text) in PKI_FILES.iter().zip(&contents) {
            write(tmp.path(), rel, text);
        }
        let err = read_pki_dir(tmp.path(), datetime!(2026-01-01 00:00:00 UTC)).unwrap_err();
        prop_assert_eq!(err.paths(), PKI_FILES.to_vec());
    }
}
