//! Expiry arithmetic.

use time::OffsetDateTime;

use super::{format_rfc3339, TokenError};
use crate::bootstrap::duration::GoDuration;

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
