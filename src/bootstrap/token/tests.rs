use base64::Engine as _;
use proptest::prelude::*;
use rand::{CryptoRng, RngCore, SeedableRng};
use time::macros::datetime;
use time::OffsetDateTime;

use super::mint::{is_token_char, ACCEPT_BELOW, ALPHABET};
use super::secret::yaml_key;
use super::*;
use crate::bootstrap::duration::GoDuration;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A random source that replays a fixed byte sequence, cycling.
struct ReplayRng {
    bytes: Vec<u8>,
    pos: usize,
}

impl RngCore for ReplayRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for d in dst {
            *d = self.bytes[self.pos % self.bytes.len()];
            self.pos += 1;
        }
    }
}

impl CryptoRng for ReplayRng {}

// ---- parsing ---------------------------------------------------------

#[test]
fn parses_a_valid_token() {
    let t = BootstrapToken::parse("abcdef.0123456789abcdef").unwrap();
    assert_eq!(t.id(), "abcdef");
    assert_eq!(t.secret().expose(), "0123456789abcdef");
    assert_eq!(t.to_token_string().expose(), "abcdef.0123456789abcdef");
    assert_eq!(t.secret_name(), "bootstrap-token-abcdef");
    let via_from_str: BootstrapToken = "abcdef.0123456789abcdef".parse().unwrap();
    assert_eq!(via_from_str, t);
}

#[test]
fn debug_hides_the_secret() {
    let t = BootstrapToken::parse("abcdef.0123456789abcdef").unwrap();
    let shown = format!("{t:?} {:?} {}", t.to_token_string(), t.secret());
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
    assert!(shown.contains("abcdef"), "{shown}");
}

#[test]
fn rejects_malformed_tokens_with_the_right_problem() {
    use TokenFormatProblem::*;
    let cases: &[(&str, Option<&str>, TokenFormatProblem)] = &[
        ("", None, Empty),
        ("abcdef0123456789abcdef", None, MissingSeparator),
        ("abcde.0123456789abcdef", None, IdLength),
        ("abcdefg.0123456789abcdef", None, IdLength),
        ("ABCDEF.0123456789abcdef", None, IdCharacters),
        (".0123456789abcdef", None, IdLength),
        ("abcdef.", Some("abcdef"), SecretLength),
        ("abcdef.0123456789abcde", Some("abcdef"), SecretLength),
        ("abcdef.0123456789abcdef0", Some("abcdef"), SecretLength),
        ("abcdef.0123456789ABCDEF", Some("abcdef"), SecretCharacters),
        ("abcdef.0123456789abcde.", Some("abcdef"), SecretCharacters),
        ("abcdef.0123456789abcdef\n", Some("abcdef"), SecretCharacters),
        (" abcdef.0123456789abcdef", None, IdCharacters),
        ("0123456789abcdef.abcdef", None, IdLength),
        ("abcdef:0123456789abcdef", None, MissingSeparator),
    ];
    for &(input, id, problem) in cases {
        assert_eq!(
            BootstrapToken::parse(input),
            Err(TokenError::InvalidToken { id: id.map(str::to_owned), problem }),
            "input {input:?}"
        );
    }
}

#[test]
fn error_messages_show_the_form_but_not_the_secret() {
    let err = BootstrapToken::parse("abcdef.0123456789ABCDEF").unwrap_err();
    let msg = err.to_string();
    assert_eq!(
        msg,
        "invalid bootstrap token with id \"abcdef\": the token secret may only contain a-z and 0-9; \
             expected the form [a-z0-9]{6}.[a-z0-9]{16}, e.g. \"abcdef.0123456789abcdef\""
    );
    // A token written the wrong way round must not leak its secret.
    let msg = BootstrapToken::parse("0123456789abcdef.abcdef").unwrap_err().to_string();
    assert!(!msg.contains("0123456789abcdef."), "{msg}");
    assert!(msg.starts_with("invalid bootstrap token: "), "{msg}");
    let msg = BootstrapToken::parse("zzzzzz.secretsecretsecre").unwrap_err().to_string();
    assert!(!msg.contains("secretsecret"), "{msg}");
}

// ---- generation ------------------------------------------------------

#[test]
fn generate_maps_bytes_and_skips_biased_ones() {
    // 252..=255 are rejected; 0 -> '0', 35 -> 'z', 36 -> '0', 251 -> 'z'.
    let mut rng = ReplayRng { bytes: vec![252, 0, 255, 35, 36, 251, 10, 253, 254, 71], pos: 0 };
    let t = BootstrapToken::generate(&mut rng);
    // Accepted sequence: 0 35 36 251 10 71 0 35 36 251 10 71 ...
    // -> "0z0zaz" repeating.
    assert_eq!(t.id(), "0z0zaz");
    assert_eq!(t.secret().expose(), "0z0zaz0z0zaz0z0z");
}

#[test]
fn generate_is_deterministic_for_a_seed() {
    let a = BootstrapToken::generate(&mut rand::rngs::StdRng::seed_from_u64(7));
    let b = BootstrapToken::generate(&mut rand::rngs::StdRng::seed_from_u64(7));
    let c = BootstrapToken::generate(&mut rand::rngs::StdRng::seed_from_u64(8));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn generate_works_with_the_thread_rng() {
    let t = BootstrapToken::generate(&mut rand::rng());
    assert_eq!(BootstrapToken::parse(t.to_token_string().expose()), Ok(t));
}

#[test]
fn generated_characters_are_roughly_uniform() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut counts = [0u32; 36];
    let tokens = 3000;
    for _ in 0..tokens {
        let t = BootstrapToken::generate(&mut rng);
        for b in t.to_token_string().expose().bytes().filter(|&b| b != b'.') {
            let i = ALPHABET.iter().position(|&a| a == b).unwrap();
            counts[i] += 1;
        }
    }
    let expected = f64::from(tokens * 22) / 36.0;
    let chi2: f64 = counts.iter().map(|&c| (f64::from(c) - expected).powi(2) / expected).sum();
    // 35 degrees of freedom; 66.6 is the 0.1% critical value.
    assert!(chi2 < 66.6, "chi-square {chi2}, counts {counts:?}");
}

// ---- usages ----------------------------------------------------------

#[test]
fn accepts_known_usages() {
    validate_usages(&[]).unwrap();
    validate_usages(&strings(&["signing"])).unwrap();
    validate_usages(&strings(&["authentication", "signing"])).unwrap();
}

#[test]
fn rejects_bad_usages() {
    assert_eq!(
        validate_usages(&strings(&["signing", "bogus"])),
        Err(TokenError::UnknownUsage { index: 1, value: "bogus".into() })
    );
    assert_eq!(validate_usages(&strings(&[""])), Err(TokenError::EmptyUsage { index: 0 }));
    assert_eq!(
        validate_usages(&strings(&["signing", "authentication", "signing"])),
        Err(TokenError::DuplicateUsage { index: 2, first: 0, value: "signing".into() })
    );
    // Matching is exact: no case folding or trimming.
    assert!(validate_usages(&strings(&["Signing"])).is_err());
    assert!(validate_usages(&strings(&["signing "])).is_err());
}

#[test]
fn usage_messages_name_the_index_and_the_allowed_values() {
    let msg = validate_usages(&strings(&["signing", "bogus"])).unwrap_err().to_string();
    assert_eq!(msg, "usages[1]: unknown usage \"bogus\" (allowed: \"signing\", \"authentication\")");
    let msg = validate_usages(&strings(&[""])).unwrap_err().to_string();
    assert_eq!(msg, "usages[0]: usage must not be empty (allowed: \"signing\", \"authentication\")");
    let msg = validate_usages(&strings(&["signing", "signing"])).unwrap_err().to_string();
    assert!(msg.starts_with("usages[1]: duplicate usage \"signing\""), "{msg}");
    assert!(msg.contains("usages[0]"), "{msg}");
}

// ---- groups ----------------------------------------------------------

#[test]
fn accepts_valid_groups() {
    for g in [
        "system:bootstrappers:kubeadm:default-node-token",
        "system:bootstrappers:a",
        "system:bootstrappers:0",
        "system:bootstrappers:worker-pool:1",
        "system:bootstrappers:--::x",
    ] {
        validate_group(g).unwrap_or_else(|e| panic!("{g}: {e}"));
    }
    let longest = format!("{GROUP_PREFIX}{}", "a".repeat(256));
    validate_group(&longest).unwrap();
    validate_groups(&[]).unwrap();
    validate_groups(&strings(&["system:bootstrappers:a", "system:bootstrappers:b"])).unwrap();
}

#[test]
fn rejects_invalid_groups() {
    let too_long = format!("{GROUP_PREFIX}{}", "a".repeat(257));
    for g in [
        "",
        "system:bootstrappers:",
        "system:bootstrappers",
        "system:bootstrappers:a-",
        "system:bootstrappers:a:",
        "system:bootstrappers:Workers",
        "system:bootstrappers:a b",
        "system:bootstrappers:a_b",
        "system:bootstrappers:é",
        "system:nodes",
        " system:bootstrappers:a",
        "system:bootstrappers:a\n",
        "System:bootstrappers:a",
        too_long.as_str(),
    ] {
        assert_eq!(validate_group(g), Err(TokenError::InvalidGroup { index: None, value: g.to_owned() }), "{g:?}");
    }
}

#[test]
fn group_messages_show_value_and_pattern() {
    let msg = validate_group("system:nodes").unwrap_err().to_string();
    assert_eq!(
        msg,
        "invalid group \"system:nodes\": groups must match \
             ^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$"
    );
    let list = strings(&["system:bootstrappers:a", "nope"]);
    let msg = validate_groups(&list).unwrap_err().to_string();
    assert!(msg.starts_with("groups[1]: invalid group \"nope\""), "{msg}");
}

#[test]
fn rejects_duplicate_groups() {
    let list = strings(&["system:bootstrappers:a", "system:bootstrappers:b", "system:bootstrappers:a"]);
    let err = validate_groups(&list).unwrap_err();
    assert_eq!(err, TokenError::DuplicateGroup { index: 2, first: 0, value: "system:bootstrappers:a".into() });
    assert_eq!(err.to_string(), "groups[2]: duplicate group \"system:bootstrappers:a\", already given at groups[0]");
}

// ---- expiry ----------------------------------------------------------

#[test]
fn expiry_adds_ttl_truncates_and_converts_to_utc() {
    let now = datetime!(2026-01-01 15:04:05.987654321 UTC);
    let ttl = GoDuration::parse("24h").unwrap();
    assert_eq!(expires_at(now, ttl), Ok(Some(datetime!(2026-01-02 15:04:05 UTC))));

    let now_offset = datetime!(2026-01-01 23:30:00.5 +02:00);
    let got = expires_at(now_offset, GoDuration::parse("1h").unwrap()).unwrap().unwrap();
    assert_eq!(got, datetime!(2026-01-01 22:30:00 UTC));
    assert_eq!(got.offset(), time::UtcOffset::UTC);

    // A sub-second ttl that crosses a second boundary.
    let got = expires_at(datetime!(2026-01-01 00:00:00.9 UTC), GoDuration::parse("200ms").unwrap()).unwrap();
    assert_eq!(got, Some(datetime!(2026-01-01 00:00:01 UTC)));
}

#[test]
fn zero_ttl_never_expires_and_negative_ttl_is_rejected() {
    let now = datetime!(2026-01-01 00:00:00 UTC);
    assert_eq!(expires_at(now, GoDuration::ZERO), Ok(None));
    let neg = GoDuration::parse("-1h").unwrap();
    let err = expires_at(now, neg).unwrap_err();
    assert_eq!(err, TokenError::NegativeTtl { ttl: neg });
    assert_eq!(
        err.to_string(),
        "invalid token ttl -1h0m0s: must not be negative (use 0s for a token that never expires)"
    );
}

#[test]
fn expiry_beyond_the_calendar_is_an_error() {
    let now = datetime!(9999-12-31 00:00:00 UTC);
    let err = expires_at(now, GoDuration::parse("48h").unwrap()).unwrap_err();
    assert!(matches!(err, TokenError::ExpiryOutOfRange { .. }));
    assert!(err.to_string().contains("9999-12-31T00:00:00Z"), "{err}");
    // Still within range in local time but not once moved to UTC.
    let now = datetime!(9999-12-31 23:00:00 -02:00);
    assert!(expires_at(now, GoDuration::parse("30m").unwrap()).is_err());
}

#[test]
fn rfc3339_formatting() {
    assert_eq!(format_rfc3339(datetime!(2026-01-02 15:04:05 UTC)), "2026-01-02T15:04:05Z");
    assert_eq!(format_rfc3339(datetime!(2026-01-02 15:04:05.999 UTC)), "2026-01-02T15:04:05Z");
    assert_eq!(format_rfc3339(datetime!(2026-01-03 01:04:05 +10:00)), "2026-01-02T15:04:05Z");
    assert_eq!(format_rfc3339(datetime!(1970-01-01 00:00:00 UTC)), "1970-01-01T00:00:00Z");
    assert_eq!(format_rfc3339(datetime!(1969-12-31 23:59:59.5 UTC)), "1969-12-31T23:59:59Z");
    assert_eq!(format_rfc3339(datetime!(2024-02-29 12:00:00 UTC)), "2024-02-29T12:00:00Z");
    assert_eq!(format_rfc3339(datetime!(0001-01-01 00:00:00 UTC)), "0001-01-01T00:00:00Z");
    // Past the year 9999 once converted to UTC; must not panic.
    assert_eq!(format_rfc3339(datetime!(9999-12-31 23:00:00 -02:00)), "10000-01-01T01:00:00Z");
}

#[test]
fn renewal() {
    let exp = datetime!(2026-01-02 00:00:00 UTC);
    let before = GoDuration::parse("1h").unwrap();
    assert!(!needs_renewal(datetime!(2026-01-01 22:59:59 UTC), Some(exp), before));
    assert!(needs_renewal(datetime!(2026-01-01 23:00:00 UTC), Some(exp), before));
    assert!(needs_renewal(datetime!(2026-01-03 00:00:00 UTC), Some(exp), before));
    assert!(!needs_renewal(datetime!(2026-01-01 23:59:59 UTC), Some(exp), GoDuration::ZERO));
    assert!(needs_renewal(exp, Some(exp), GoDuration::ZERO));
    // Same instant written in another offset.
    assert!(needs_renewal(datetime!(2026-01-02 00:00:00 +01:00), Some(exp), before));
    assert!(!needs_renewal(datetime!(2100-01-01 00:00:00 UTC), None, before));
    // Extreme renew_before values saturate instead of panicking.
    assert!(needs_renewal(datetime!(2026-01-01 00:00:00 UTC), Some(exp), GoDuration::MAX));
    let early = datetime!(-9999-01-01 00:00:00 UTC);
    assert!(needs_renewal(early, Some(early), GoDuration::MAX));
    let late = datetime!(9999-12-31 23:59:59 UTC);
    assert!(!needs_renewal(late, Some(late), GoDuration::MIN));
}

// ---- manifest --------------------------------------------------------

fn decode(value: &str) -> String {
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or_else(|| panic!("value not quoted: {value}"));
    let bytes = base64::engine::general_purpose::STANDARD.decode(inner).unwrap();
    String::from_utf8(bytes).unwrap()
}

/// Reads the `data:` block back as (key, decoded value) pairs.
fn data_entries(manifest: &str) -> Vec<(String, String)> {
    manifest
        .lines()
        .skip_while(|l| *l != "data:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let (k, v) = l.trim_start().split_once(": ").unwrap();
            (k.to_owned(), decode(v))
        })
        .collect()
}

#[test]
fn full_manifest_is_byte_for_byte_stable() {
    let token = BootstrapToken::parse("abcdef.0123456789abcdef").unwrap();
    let manifest = secret_manifest(
        &token,
        Some("kubeadm join token"),
        Some(datetime!(2026-01-02 15:04:05 UTC)),
        &strings(&["signing", "authentication"]),
        &strings(&["system:bootstrappers:kubeadm:default-node-token", "system:bootstrappers:workers"]),
    );
    let expected = "\
apiVersion: v1
data:
  auth-extra-groups: \"c3lzdGVtOmJvb3RzdHJhcHBlcnM6a3ViZWFkbTpkZWZhdWx0LW5vZGUtdG9rZW4sc3lzdGVtOmJvb3RzdHJhcHBlcnM6d29ya2Vycw==\"
  description: \"a3ViZWFkbSBqb2luIHRva2Vu\"
  expiration: \"MjAyNi0wMS0wMlQxNTowNDowNVo=\"
  token-id: \"YWJjZGVm\"
  token-secret: \"MDEyMzQ1Njc4OWFiY2RlZg==\"
  usage-bootstrap-authentication: \"dHJ1ZQ==\"
  usage-bootstrap-signing: \"dHJ1ZQ==\"
kind: Secret
metadata:
  name: bootstrap-token-abcdef
  namespace: kube-system
type: bootstrap.kubernetes.io/token
";
    assert_eq!(manifest, expected);

    assert_eq!(
        data_entries(&manifest),
        vec![
            (
                "auth-extra-groups".to_owned(),
                "system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:workers".to_owned()
            ),
            ("description".to_owned(), "kubeadm join token".to_owned()),
            ("expiration".to_owned(), "2026-01-02T15:04:05Z".to_owned()),
            ("token-id".to_owned(), "abcdef".to_owned()),
            ("token-secret".to_owned(), "0123456789abcdef".to_owned()),
            ("usage-bootstrap-authentication".to_owned(), "true".to_owned()),
            ("usage-bootstrap-signing".to_owned(), "true".to_owned()),
        ]
    );

    // Same inputs, same bytes; usage order does not matter.
    let again = secret_manifest(
        &token,
        Some("kubeadm join token"),
        Some(datetime!(2026-01-02 15:04:05 UTC)),
        &strings(&["authentication", "signing"]),
        &strings(&["system:bootstrappers:kubeadm:default-node-token", "system:bootstrappers:workers"]),
    );
    assert_eq!(again, manifest);
}

#[test]
fn minimal_manifest_omits_optional_keys() {
    let token = BootstrapToken::parse("abcdef.0123456789abcdef").unwrap();
    let manifest = secret_manifest(&token, Some(""), None, &[], &[]);
    let expected = "\
apiVersion: v1
data:
  token-id: \"YWJjZGVm\"
  token-secret: \"MDEyMzQ1Njc4OWFiY2RlZg==\"
kind: Secret
metadata:
  name: bootstrap-token-abcdef
  namespace: kube-system
type: bootstrap.kubernetes.io/token
";
    assert_eq!(manifest, expected);
    assert_eq!(secret_manifest(&token, None, None, &[], &[]), expected);
}

#[test]
fn manifest_expiration_is_utc_without_fraction() {
    let token = BootstrapToken::parse("abcdef.0123456789abcdef").unwrap();
    let exp = expires_at(datetime!(2026-01-01 17:04:05.75 +02:00), GoDuration::parse("24h").unwrap()).unwrap();
    let manifest = secret_manifest(&token, None, exp, &strings(&["signing"]), &[]);
    let entries = data_entries(&manifest);
    assert!(entries.contains(&("expiration".to_owned(), "2026-01-02T15:04:05Z".to_owned())));
    assert!(entries.contains(&("usage-bootstrap-signing".to_owned(), "true".to_owned())));
    assert!(!manifest.contains("auth-extra-groups"));
    assert!(!manifest.contains("description"));
}

#[test]
fn manifest_handles_awkward_descriptions() {
    let token = BootstrapToken::parse("abcdef.0123456789abcdef").unwrap();
    // "\u{4CD}4" encodes to "0400", which a YAML reader would take for a
    // number if it were not quoted.
    for text in ["\u{4CD}4", "line one\nline two: \"quoted\" #x", "ünïcødé ✓"] {
        let manifest = secret_manifest(&token, Some(text), None, &[], &[]);
        let entries = data_entries(&manifest);
        assert!(entries.contains(&("description".to_owned(), text.to_owned())), "{manifest}");
    }
    let manifest = secret_manifest(&token, Some("\u{4CD}4"), None, &[], &[]);
    assert!(manifest.contains("  description: \"0400\"\n"), "{manifest}");
}

#[test]
fn yaml_keys_quote_anything_unusual() {
    assert_eq!(yaml_key("token-id"), "token-id");
    assert_eq!(yaml_key("usage-bootstrap-signing"), "usage-bootstrap-signing");
    assert_eq!(yaml_key("true"), "\"true\"");
    assert_eq!(yaml_key("a: b"), "\"a: b\"");
    assert_eq!(yaml_key("1abc"), "\"1abc\"");
    assert_eq!(yaml_key(""), "\"\"");
    assert_eq!(yaml_key("x\"\\\n\u{7}"), "\"x\\\"\\\\\\n\\u0007\"");
}

proptest! {
    #[test]
    fn generated_tokens_parse_back(seed in any::<u64>()) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let t = BootstrapToken::generate(&mut rng);
        prop_assert_eq!(t.id().len(), TOKEN_ID_LEN);
        prop_assert_eq!(t.secret().expose().len(), TOKEN_SECRET_LEN);
        prop_assert_eq!(BootstrapToken::parse(t.to_token_string().expose()), Ok(t));
    }

    #[test]
    fn generation_from_any_bytes_is_well_formed(
        bytes in proptest::collection::vec(any::<u8>(), 1..64)
            .prop_filter("needs an accepted byte", |b| b.iter().any(|&x| x < ACCEPT_BELOW))
    ) {
        let t = BootstrapToken::generate(&mut ReplayRng { bytes, pos: 0 });
        prop_assert!(BootstrapToken::parse(t.to_token_string().expose()).is_ok());
    }

    #[test]
    fn parse_never_panics(s in any::<String>()) {
        let _ = BootstrapToken::parse(&s);
    }

    #[test]
    fn parse_errors_never_contain_the_secret_part(
        id in "[a-z0-9]{6}",
        secret in "[a-zA-Z0-9.]{1,30}"
    ) {
        let input = format!("{id}.{secret}");
        if let Err(e) = BootstrapToken::parse(&input) {
            let msg = e.to_string();
            let whole = format!("{}.{}", id, secret);
            prop_assert!(!msg.contains(&whole));
            // Long random text cannot turn up in the fixed wording by
            // chance, so its absence shows the secret was not echoed.
            if secret.len() >= 8 {
                prop_assert!(!msg.contains(secret.as_str()), "{}", msg);
            }
        }
    }

    #[test]
    fn parse_accepts_exactly_the_pattern(s in "[a-z0-9A-Z.:]{0,25}") {
        let matches = s.len() == 23
            && s.as_bytes()[6] == b'.'
            && s.bytes().enumerate().all(|(i, b)| i == 6 || is_token_char(b));
        prop_assert_eq!(BootstrapToken::parse(&s).is_ok(), matches);
    }

    #[test]
    fn group_check_matches_a_reference(suffix in "[a-z0-9:_A-]{0,260}") {
        let group = format!("{GROUP_PREFIX}{suffix}");
        let reference = !suffix.is_empty()
            && suffix.len() <= 256
            && suffix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b':' || b == b'-')
            && suffix.bytes().last().is_some_and(is_token_char);
        prop_assert_eq!(validate_group(&group).is_ok(), reference);
    }

    #[test]
    fn rfc3339_agrees_with_the_time_crate(ts in -62_135_596_800i64..253_402_300_799i64) {
        let at = OffsetDateTime::from_unix_timestamp(ts).unwrap();
        let fmt = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        );
        prop_assert_eq!(format_rfc3339(at), at.format(&fmt).unwrap());
    }
}
