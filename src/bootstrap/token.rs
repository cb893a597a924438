//! kubeadm bootstrap tokens: parsing, generation, validation of their
//! settings, expiry arithmetic and the Secret manifest kubeadm creates.
//!
//! A bootstrap token has the form `[a-z0-9]{6}.[a-z0-9]{16}`: a public id
//! and a private secret. The cluster stores it as a Secret named
//! `bootstrap-token-<id>` in `kube-system`, of type
//! `bootstrap.kubernetes.io/token`, whose data keys follow
//! `k8s.io/cluster-bootstrap` (`token-id`, `token-secret`, `description`,
//! `expiration`, `usage-bootstrap-<usage>`, `auth-extra-groups`).
//!
//! Errors never repeat the secret half of a token. Everything here is
//! deterministic given its inputs (the clock and random source are passed
//! in).
//!
//! This module is plain domain code: it must not depend on tonic, prost,
//! msgpack or any Terraform plugin protocol code.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use rand::{CryptoRng, RngCore};
use time::OffsetDateTime;

use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::secret::Sensitive;
pub use crate::bootstrap::timestamp::format_rfc3339;
use crate::bootstrap::yaml;

/// Length of the public token id.
pub const TOKEN_ID_LEN: usize = 6;
/// Length of the private token secret.
pub const TOKEN_SECRET_LEN: usize = 16;
/// The token format, as shown in error messages.
pub const TOKEN_PATTERN: &str = "[a-z0-9]{6}.[a-z0-9]{16}";
/// A well-formed example token, as shown in error messages.
pub const TOKEN_EXAMPLE: &str = "abcdef.0123456789abcdef";

/// Usages kubeadm knows for bootstrap tokens.
pub const KNOWN_USAGES: [&str; 2] = ["signing", "authentication"];
/// Prefix every extra group must start with.
pub const GROUP_PREFIX: &str = "system:bootstrappers:";
/// The full rule extra groups must satisfy, as shown in error messages.
pub const GROUP_PATTERN: &str = "^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$";

/// Namespace that holds bootstrap token Secrets.
pub const SECRET_NAMESPACE: &str = "kube-system";
/// Prefix of a bootstrap token Secret's name; the token id follows it.
pub const SECRET_NAME_PREFIX: &str = "bootstrap-token-";
/// Secret type of bootstrap token Secrets.
pub const SECRET_TYPE: &str = "bootstrap.kubernetes.io/token";

/// Secret data key holding the token id.
pub const KEY_TOKEN_ID: &str = "token-id";
/// Secret data key holding the token secret.
pub const KEY_TOKEN_SECRET: &str = "token-secret";
/// Secret data key holding the optional description.
pub const KEY_DESCRIPTION: &str = "description";
/// Secret data key holding the optional RFC 3339 expiry time.
pub const KEY_EXPIRATION: &str = "expiration";
/// Prefix of the per-usage Secret data keys.
pub const KEY_USAGE_PREFIX: &str = "usage-bootstrap-";
/// Secret data key holding the comma-separated extra groups.
pub const KEY_EXTRA_GROUPS: &str = "auth-extra-groups";

/// Characters tokens are made of, in the order kubeadm lists them.
const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// Random bytes at or above this value are discarded so that `byte % 36`
/// is uniform (252 = 7 * 36).
const ACCEPT_BELOW: u8 = 252;
/// Longest allowed part after [`GROUP_PREFIX`] (255 + 1 characters).
const GROUP_SUFFIX_MAX: usize = 256;

/// What is wrong with a token string. None of these carry any part of the
/// secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFormatProblem {
    /// The value is empty.
    Empty,
    /// There is no `.` between the id and the secret.
    MissingSeparator,
    /// The id is not exactly six characters long.
    IdLength,
    /// The id contains characters outside `[a-z0-9]`.
    IdCharacters,
    /// The secret is not exactly sixteen characters long.
    SecretLength,
    /// The secret contains characters outside `[a-z0-9]`.
    SecretCharacters,
}

impl fmt::Display for TokenFormatProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "the value is empty",
            Self::MissingSeparator => "missing the \".\" between token id and token secret",
            Self::IdLength => "the token id must be exactly 6 characters",
            Self::IdCharacters => "the token id may only contain a-z and 0-9",
            Self::SecretLength => "the token secret must be exactly 16 characters",
            Self::SecretCharacters => "the token secret may only contain a-z and 0-9",
        })
    }
}

/// Errors from bootstrap token handling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// A token string is malformed. `id` is the token id when that part was
    /// well formed, so the message can point at the token; the secret part
    /// is never included.
    #[error(
        "invalid bootstrap token{}: {problem}; expected the form {TOKEN_PATTERN}, e.g. {TOKEN_EXAMPLE:?}",
        id_suffix(.id)
    )]
    InvalidToken {
        /// The token id, only when it was well formed.
        id: Option<String>,
        /// What is wrong.
        problem: TokenFormatProblem,
    },

    /// A usage entry is the empty string.
    #[error("usages[{index}]: usage must not be empty (allowed: {})", allowed_usages())]
    EmptyUsage {
        /// Position in the usage list.
        index: usize,
    },

    /// A usage entry is not one kubeadm knows.
    #[error("usages[{index}]: unknown usage {value:?} (allowed: {})", allowed_usages())]
    UnknownUsage {
        /// Position in the usage list.
        index: usize,
        /// The offending entry.
        value: String,
    },

    /// A usage appears more than once.
    #[error(
        "usages[{index}]: duplicate usage {value:?}, already given at usages[{first}] (allowed: {})",
        allowed_usages()
    )]
    DuplicateUsage {
        /// Position of the repeat.
        index: usize,
        /// Position of the first occurrence.
        first: usize,
        /// The repeated entry.
        value: String,
    },

    /// An extra group does not match [`GROUP_PATTERN`].
    #[error("{}invalid group {value:?}: groups must match {GROUP_PATTERN}", index_prefix(.index))]
    InvalidGroup {
        /// Position in the group list, when validating a list.
        index: Option<usize>,
        /// The offending entry.
        value: String,
    },

    /// An extra group appears more than once.
    #[error("groups[{index}]: duplicate group {value:?}, already given at groups[{first}]")]
    DuplicateGroup {
        /// Position of the repeat.
        index: usize,
        /// Position of the first occurrence.
        first: usize,
        /// The repeated entry.
        value: String,
    },

    /// A negative time-to-live was given.
    #[error("invalid token ttl {ttl}: must not be negative (use 0s for a token that never expires)")]
    NegativeTtl {
        /// The rejected ttl.
        ttl: GoDuration,
    },

    /// Adding the time-to-live to the current time leaves the range of
    /// representable dates.
    #[error("invalid token ttl {ttl}: the expiry time {now} plus {ttl} is beyond the supported date range")]
    ExpiryOutOfRange {
        /// The current time, formatted as RFC 3339.
        now: String,
        /// The ttl that was added.
        ttl: GoDuration,
    },
}

/// " with id \"abcdef\"" when the id is known, otherwise nothing.
fn id_suffix(id: &Option<String>) -> String {
    match id {
        Some(id) => format!(" with id {id:?}"),
        None => String::new(),
    }
}

/// "groups[N]: " when a list position is known, otherwise nothing.
fn index_prefix(index: &Option<usize>) -> String {
    match index {
        Some(i) => format!("groups[{i}]: "),
        None => String::new(),
    }
}

/// The known usages, quoted and comma-separated, for error messages.
fn allowed_usages() -> String {
    KNOWN_USAGES.iter().map(|u| format!("{u:?}")).collect::<Vec<_>>().join(", ")
}

/// A kubeadm bootstrap token: a public six-character id and a private
/// sixteen-character secret, both over `[a-z0-9]`.
///
/// `Debug` shows the id and hides the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapToken {
    id: String,
    secret: Sensitive<String>,
}

impl BootstrapToken {
    /// Parses `id.secret`, checking it against `[a-z0-9]{6}.[a-z0-9]{16}`.
    /// The error names the id when it is well formed and never includes
    /// the secret.
    pub fn parse(input: &str) -> Result<Self, TokenError> {
        let fail = |id: Option<&str>, problem| TokenError::InvalidToken { id: id.map(str::to_owned), problem };
        if input.is_empty() {
            return Err(fail(None, TokenFormatProblem::Empty));
        }
        let Some((id, secret)) = input.split_once('.') else {
            return Err(fail(None, TokenFormatProblem::MissingSeparator));
        };
        if !id.bytes().all(is_token_char) {
            return Err(fail(None, TokenFormatProblem::IdCharacters));
        }
        if id.len() != TOKEN_ID_LEN {
            return Err(fail(None, TokenFormatProblem::IdLength));
        }
        // From here on the id is well formed and safe to show.
        if !secret.bytes().all(is_token_char) {
            return Err(fail(Some(id), TokenFormatProblem::SecretCharacters));
        }
        if secret.len() != TOKEN_SECRET_LEN {
            return Err(fail(Some(id), TokenFormatProblem::SecretLength));
        }
        Ok(Self { id: id.to_owned(), secret: Sensitive::new(secret.to_owned()) })
    }

    /// Generates a fresh token, drawing each character uniformly from
    /// `[a-z0-9]` by rejection sampling over random bytes (no modulo bias).
    /// The output depends only on the bytes `rng` yields.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let id = random_token_chars(rng, TOKEN_ID_LEN);
        let secret = random_token_chars(rng, TOKEN_SECRET_LEN);
        Self { id, secret: Sensitive::new(secret) }
    }

    /// The public token id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The private token secret.
    pub fn secret(&self) -> &Sensitive<String> {
        &self.secret
    }

    /// The full token, `id.secret`, as used by `kubeadm join --token`.
    pub fn to_token_string(&self) -> Sensitive<String> {
        Sensitive::new(format!("{}.{}", self.id, self.secret.expose()))
    }

    /// Name of the Secret that stores this token: `bootstrap-token-<id>`.
    pub fn secret_name(&self) -> String {
        format!("{SECRET_NAME_PREFIX}{}", self.id)
    }
}

impl FromStr for BootstrapToken {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// True for the characters tokens are made of, `[a-z0-9]`.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Draws `len` characters from [`ALPHABET`], asking `rng` only for as many
/// bytes as are still missing each round.
fn random_token_chars<R: RngCore + ?Sized>(rng: &mut R, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; TOKEN_SECRET_LEN];
    while out.len() < len {
        let want = (len - out.len()).min(buf.len());
        let chunk = &mut buf[..want];
        rng.fill_bytes(chunk);
        for &b in chunk.iter() {
            if b < ACCEPT_BELOW {
                out.push(char::from(ALPHABET[usize::from(b % 36)]));
            }
        }
    }
    out
}

/// Checks a list of token usages: each must be one of [`KNOWN_USAGES`],
/// none may be empty and none may repeat. An empty list is accepted.
pub fn validate_usages(usages: &[String]) -> Result<(), TokenError> {
    for (index, value) in usages.iter().enumerate() {
        if value.is_empty() {
            return Err(TokenError::EmptyUsage { index });
        }
        if !KNOWN_USAGES.contains(&value.as_str()) {
            return Err(TokenError::UnknownUsage { index, value: value.clone() });
        }
        if let Some(first) = usages[..index].iter().position(|u| u == value) {
            return Err(TokenError::DuplicateUsage { index, first, value: value.clone() });
        }
    }
    Ok(())
}

/// Checks one extra group against
/// `^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$`.
pub fn validate_group(group: &str) -> Result<(), TokenError> {
    if is_valid_group(group) {
        Ok(())
    } else {
        Err(TokenError::InvalidGroup { index: None, value: group.to_owned() })
    }
}

/// Checks a list of extra groups: each must pass [`validate_group`] and
/// none may repeat. Errors name the position of the bad entry.
pub fn validate_groups(groups: &[String]) -> Result<(), TokenError> {
    for (index, value) in groups.iter().enumerate() {
        if !is_valid_group(value) {
            return Err(TokenError::InvalidGroup { index: Some(index), value: value.clone() });
        }
        if let Some(first) = groups[..index].iter().position(|g| g == value) {
            return Err(TokenError::DuplicateGroup { index, first, value: value.clone() });
        }
    }
    Ok(())
}

/// Hand-written check of [`GROUP_PATTERN`].
fn is_valid_group(group: &str) -> bool {
    let Some(rest) = group.strip_prefix(GROUP_PREFIX) else {
        return false;
    };
    let bytes = rest.as_bytes();
    let Some((&last, body)) = bytes.split_last() else {
        return false;
    };
    bytes.len() <= GROUP_SUFFIX_MAX
        && is_token_char(last)
        && body.iter().all(|&b| is_token_char(b) || b == b':' || b == b'-')
}

/// The moment a token created at `now` with lifetime `ttl` expires, in UTC
/// and truncated to whole seconds, or `None` when `ttl` is zero (the token
/// never expires). A negative `ttl` is an error.
pub fn expires_at(now: OffsetDateTime, ttl: GoDuration) -> Result<Option<OffsetDateTime>, TokenError> {
    if ttl.is_negative() {
        return Err(TokenError::NegativeTtl { ttl });
    }
    if ttl.is_zero() {
        return Ok(None);
    }
    let out_of_range = || TokenError::ExpiryOutOfRange { now: format_rfc3339(now), ttl };
    let at = now
        .checked_add(ttl.to_time_duration())
        .and_then(|t| t.checked_to_offset(time::UtcOffset::UTC))
        .ok_or_else(out_of_range)?;
    let truncated = at.replace_nanosecond(0).map_err(|_| out_of_range())?;
    Ok(Some(truncated))
}

/// True when a token should be replaced: it has an expiry and `now` is at
/// or past `expires_at - renew_before`. Tokens without an expiry never need
/// renewal.
pub fn needs_renewal(now: OffsetDateTime, expires_at: Option<OffsetDateTime>, renew_before: GoDuration) -> bool {
    let Some(expiry) = expires_at else {
        return false;
    };
    match expiry.checked_sub(renew_before.to_time_duration()) {
        Some(threshold) => now >= threshold,
        // The threshold lies before the earliest representable date when
        // renew_before is positive (always due) and after the latest one
        // when it is negative (never due).
        None => !renew_before.is_negative(),
    }
}

/// Renders the Secret kubeadm creates for `token`, as block-style YAML.
///
/// The `data` entries follow kubeadm's `encodeTokenSecretData`:
/// `token-id`, `token-secret`, `description` (only when non-empty),
/// `expiration` (only when `expires_at` is set, formatted with
/// [`format_rfc3339`]), `usage-bootstrap-<usage>: true` for each usage and
/// `auth-extra-groups` (the groups joined with `,`, only when there are
/// any). Values are base64-encoded and double-quoted so that no YAML reader
/// can take one for a number. All mapping keys are emitted in sorted order,
/// so the output is byte-for-byte stable for the same inputs.
///
/// Usages and groups are written as given; check them first with
/// [`validate_usages`] and [`validate_groups`]. The returned text contains
/// the token secret.
pub fn secret_manifest(
    token: &BootstrapToken,
    description: Option<&str>,
    expires_at: Option<OffsetDateTime>,
    usages: &[String],
    groups: &[String],
) -> String {
    let mut data: BTreeMap<String, String> = BTreeMap::new();
    data.insert(KEY_TOKEN_ID.to_owned(), token.id.clone());
    data.insert(KEY_TOKEN_SECRET.to_owned(), token.secret.expose().clone());
    if let Some(text) = description.filter(|d| !d.is_empty()) {
        data.insert(KEY_DESCRIPTION.to_owned(), text.to_owned());
    }
    if let Some(at) = expires_at {
        data.insert(KEY_EXPIRATION.to_owned(), format_rfc3339(at));
    }
    for usage in usages {
        data.insert(format!("{KEY_USAGE_PREFIX}{usage}"), "true".to_owned());
    }
    if !groups.is_empty() {
        data.insert(KEY_EXTRA_GROUPS.to_owned(), groups.join(","));
    }

    let engine = base64::engine::general_purpose::STANDARD;
    let mut out = String::new();
    out.push_str("apiVersion: v1\n");
    out.push_str("data:\n");
    for (key, value) in &data {
        out.push_str("  ");
        out.push_str(&yaml_key(key));
        out.push_str(": ");
        out.push_str(&yaml::quoted(&engine.encode(value.as_bytes())));
        out.push('\n');
    }
    out.push_str("kind: Secret\n");
    out.push_str("metadata:\n");
    out.push_str("  name: ");
    out.push_str(&yaml_key(&token.secret_name()));
    out.push('\n');
    out.push_str("  namespace: ");
    out.push_str(SECRET_NAMESPACE);
    out.push('\n');
    out.push_str("type: ");
    out.push_str(SECRET_TYPE);
    out.push('\n');
    out
}

/// Writes a mapping key or simple value as a plain YAML scalar when it is
/// a letter followed by letters, digits, `.`, `_` or `-` (such text cannot
/// be read as anything but a string), and as a double-quoted scalar
/// ([`yaml::quoted`]) otherwise.
fn yaml_key(text: &str) -> String {
    let mut bytes = text.bytes();
    let plain = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        text.to_owned()
    } else {
        yaml::quoted(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{CryptoRng, RngCore, SeedableRng};
    use time::macros::datetime;

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
        assert_eq!(
            err.to_string(),
            "groups[2]: duplicate group \"system:bootstrappers:a\", already given at groups[0]"
        );
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
}
