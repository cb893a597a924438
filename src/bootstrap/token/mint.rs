//! The token itself: parsing and generation.

use std::str::FromStr;

use rand::{CryptoRng, RngCore};

use super::{TokenError, TokenFormatProblem, SECRET_NAME_PREFIX, TOKEN_ID_LEN, TOKEN_SECRET_LEN};
use crate::bootstrap::secret::Sensitive;

/// Characters tokens are made of, in the order kubeadm lists them.
pub(super) const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// Random bytes at or above this value are discarded so that `byte % 36`
/// is uniform (252 = 7 * 36).
pub(super) const ACCEPT_BELOW: u8 = 252;

/// A kubeadm bootstrap token: a public six-character id and a private
/// sixteen-character secret, both over `[a-z0-9]`.
///
/// `Debug` shows the id and hides the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapToken {
    pub(super) id: String,
    pub(super) secret: Sensitive<String>,
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
pub(super) fn is_token_char(b: u8) -> bool {
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
