//! Checks of the token settings: usages and extra groups.

use super::mint::is_token_char;
use super::{TokenError, GROUP_PREFIX, KNOWN_USAGES};

/// Longest allowed part after [`GROUP_PREFIX`] (255 + 1 characters).
const GROUP_SUFFIX_MAX: usize = 256;

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
