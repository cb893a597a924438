//! RFC 3339 timestamps, as the provider writes them into state, Secrets,
//! Ignition files and messages, and reads them back.
//!
//! [`format_rfc3339`] writes the form kubeadm writes (UTC, a `Z` suffix,
//! whole seconds); [`format_rfc3339_exact`] keeps a moment's offset and
//! fractional seconds; [`parse_rfc3339`] reads either. All three are built on
//! the `time` crate's well-known [`Rfc3339`] format.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Seconds in 400 Gregorian years, after which the calendar repeats itself
/// (146 097 days, a whole number of weeks).
const ERA_SECONDS: i64 = 146_097 * 86_400;
/// `0000-01-01T00:00:00Z`, the first moment RFC 3339 can write.
const FIRST_WRITABLE: i64 = -62_167_219_200;
/// `9999-12-31T23:59:59Z`, the last whole second RFC 3339 can write.
const LAST_WRITABLE: i64 = 253_402_300_799;

/// Formats a moment as RFC 3339 in UTC with a `Z` suffix and no fractional
/// seconds, e.g. `2026-01-02T15:04:05Z` (the form kubeadm writes).
/// Sub-second parts are dropped.
///
/// Moments whose UTC year lies outside 0000–9999 (which RFC 3339 cannot
/// write) keep the same layout with a longer or negative year, e.g.
/// `10000-01-01T01:00:00Z`, so this never fails.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    let ts = at.unix_timestamp();
    // Move the moment by whole 400-year eras into the writable range; the
    // month, day and time of day stay the same, only the year changes.
    let eras = if ts < FIRST_WRITABLE {
        (FIRST_WRITABLE - ts + ERA_SECONDS - 1) / ERA_SECONDS
    } else if ts > LAST_WRITABLE {
        -((ts - LAST_WRITABLE + ERA_SECONDS - 1) / ERA_SECONDS)
    } else {
        0
    };
    let text = OffsetDateTime::from_unix_timestamp(ts + eras * ERA_SECONDS)
        .ok()
        .and_then(|utc| utc.format(&Rfc3339).ok())
        .expect("a whole-second UTC moment in years 0000-9999 is writable as RFC 3339");
    if eras == 0 {
        return text;
    }
    let (year, rest) = text.split_at(4);
    let year = year.parse::<i64>().expect("RFC 3339 starts with a four-digit year") - eras * 400;
    let sign = if year < 0 { "-" } else { "" };
    format!("{sign}{:04}{rest}", year.unsigned_abs())
}

/// Formats a moment as RFC 3339 exactly as it is: its own offset (`Z` for
/// UTC) and its fractional seconds, if any, e.g. `2026-01-02T15:04:05.25+01:00`.
/// Empty when RFC 3339 cannot write the moment (a year outside 0000–9999).
pub fn format_rfc3339_exact(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// Reads an RFC 3339 timestamp (any offset, optional fractional seconds);
/// `None` when `text` is not one.
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn whole_seconds_in_utc() {
        assert_eq!(format_rfc3339(datetime!(2026-01-02 15:04:05.999 UTC)), "2026-01-02T15:04:05Z");
        assert_eq!(format_rfc3339(datetime!(2026-01-03 01:04:05 +10:00)), "2026-01-02T15:04:05Z");
        assert_eq!(format_rfc3339(datetime!(1969-12-31 23:59:59.5 UTC)), "1969-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(datetime!(0000-01-01 00:00:00 UTC)), "0000-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(datetime!(9999-12-31 23:59:59.9 UTC)), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn years_rfc3339_cannot_write() {
        assert_eq!(format_rfc3339(datetime!(9999-12-31 23:00:00 -02:00)), "10000-01-01T01:00:00Z");
        assert_eq!(format_rfc3339(datetime!(0000-01-01 00:30:00 +01:00)), "-0001-12-31T23:30:00Z");
        assert_eq!(format_rfc3339(datetime!(-0001-03-01 00:00:00 UTC)), "-0001-03-01T00:00:00Z");
        assert_eq!(format_rfc3339(datetime!(-0400-02-29 12:00:00 UTC)), "-0400-02-29T12:00:00Z");
        assert_eq!(format_rfc3339(datetime!(-9999-01-01 00:00:00 UTC)), "-9999-01-01T00:00:00Z");
    }

    #[test]
    fn exact_keeps_offset_and_fraction() {
        assert_eq!(format_rfc3339_exact(datetime!(2026-01-02 15:04:05 UTC)), "2026-01-02T15:04:05Z");
        assert_eq!(format_rfc3339_exact(datetime!(2026-01-02 15:04:05.25 +01:00)), "2026-01-02T15:04:05.25+01:00");
        assert_eq!(format_rfc3339_exact(datetime!(-0001-01-01 00:00:00 UTC)), "");
    }

    #[test]
    fn parsing() {
        assert_eq!(parse_rfc3339("2026-01-02T15:04:05Z"), Some(datetime!(2026-01-02 15:04:05 UTC)));
        assert_eq!(parse_rfc3339("2026-01-02T16:04:05.5+01:00"), Some(datetime!(2026-01-02 16:04:05.5 +01:00)));
        assert_eq!(parse_rfc3339("2026-01-02"), None);
        assert_eq!(parse_rfc3339("2026-01-02T15:04:05"), None);
        assert_eq!(parse_rfc3339(""), None);
    }

    /// The calendar arithmetic [`format_rfc3339`] used before it was built on
    /// the `time` crate, kept as the reference for every representable year.
    fn reference(at: OffsetDateTime) -> String {
        let ts = at.unix_timestamp();
        let z = ts.div_euclid(86_400) + 719_468;
        let secs_of_day = ts.rem_euclid(86_400);
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let (h, m, s) = (secs_of_day / 3600, (secs_of_day % 3600) / 60, secs_of_day % 60);
        let sign = if year < 0 { "-" } else { "" };
        format!("{sign}{:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z", year.unsigned_abs())
    }

    proptest! {
        #[test]
        fn same_text_for_every_moment(
            ts in -377_705_116_800i64..253_402_300_800i64,
            nanos in 0u32..1_000_000_000,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59),
        ) {
            let at = OffsetDateTime::from_unix_timestamp(ts).unwrap().replace_nanosecond(nanos).unwrap();
            let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
            let local = at.checked_to_offset(offset);
            prop_assert_eq!(format_rfc3339(at), reference(at));
            if let Some(local) = local {
                prop_assert_eq!(format_rfc3339(local), reference(local));
            }
        }

        #[test]
        fn parses_what_it_writes(ts in FIRST_WRITABLE..=LAST_WRITABLE) {
            let at = OffsetDateTime::from_unix_timestamp(ts).unwrap();
            prop_assert_eq!(parse_rfc3339(&format_rfc3339(at)), Some(at));
        }
    }
}
