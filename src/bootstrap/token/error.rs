//! What can be wrong with a token or its settings.

use std::fmt;

use super::{GROUP_PATTERN, KNOWN_USAGES, TOKEN_EXAMPLE, TOKEN_PATTERN};
use crate::bootstrap::duration::GoDuration;

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
