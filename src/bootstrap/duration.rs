//! Durations written the way Go's `time.ParseDuration` reads them.
//!
//! kubeadm configuration and its users express token lifetimes as Go
//! duration strings ("24h", "1h30m", "90s"). [`GoDuration`] parses those
//! strings with the same rules and the same limits as Go (a signed 64-bit
//! count of nanoseconds) and prints them back in the form of Go's
//! `Duration.String()`, so values survive a round trip through kubeadm
//! unchanged.
//!
//! This module is plain domain code: it must not depend on tonic, prost,
//! msgpack or any Terraform plugin protocol code.

use std::fmt;
use std::str::FromStr;

/// Units accepted after a number, as listed in error messages.
pub const VALID_UNITS: &str = "ns, us, ms, s, m, h";

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;
const NANOS_PER_MIN: u64 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MIN;

/// Magnitude of `i64::MIN`, the largest total a negative duration may reach.
const MAGNITUDE_LIMIT: u64 = 1 << 63;

/// Why a duration string was rejected. Every message names the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The input was empty, or held only a sign.
    #[error(
        "invalid duration {input:?}: expected a number followed by a unit, such as \"30s\", \"1.5h\" or \"2h45m\""
    )]
    Empty {
        /// The text that was parsed.
        input: String,
    },

    /// Something other than a number appeared where a number was expected.
    #[error(
        "invalid duration {input:?}: expected a sequence of decimal numbers each followed by a unit ({VALID_UNITS}), such as \"300ms\", \"1.5h\" or \"2h45m\""
    )]
    Syntax {
        /// The text that was parsed.
        input: String,
    },

    /// A number was not followed by a unit.
    #[error("invalid duration {input:?}: missing unit after a number (valid units: {VALID_UNITS})")]
    MissingUnit {
        /// The text that was parsed.
        input: String,
    },

    /// A number was followed by something that is not a known unit.
    #[error("invalid duration {input:?}: unknown unit {unit:?} (valid units: {VALID_UNITS})")]
    UnknownUnit {
        /// The text that was parsed.
        input: String,
        /// The unrecognised unit text.
        unit: String,
    },

    /// The value does not fit in a signed 64-bit count of nanoseconds.
    #[error(
        "invalid duration {input:?}: out of range (must lie between -2562047h47m16.854775808s and 2562047h47m16.854775807s)"
    )]
    Overflow {
        /// The text that was parsed.
        input: String,
    },
}

/// A signed span of time with nanosecond precision, stored like Go's
/// `time.Duration` (an `i64` count of nanoseconds, about ±292 years).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration {
    nanos: i64,
}

impl GoDuration {
    /// The zero duration, printed as `0s`.
    pub const ZERO: GoDuration = GoDuration { nanos: 0 };
    /// The longest positive duration, `2562047h47m16.854775807s`.
    pub const MAX: GoDuration = GoDuration { nanos: i64::MAX };
    /// The most negative duration, `-2562047h47m16.854775808s`.
    pub const MIN: GoDuration = GoDuration { nanos: i64::MIN };

    /// Builds a duration from a count of nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    /// Builds a duration from whole seconds. Any `u32` fits, so this
    /// cannot fail; use [`GoDuration::checked_from_secs`] for wider input.
    pub const fn from_secs(secs: u32) -> Self {
        Self { nanos: secs as i64 * NANOS_PER_SEC as i64 }
    }

    /// Builds a duration from whole (possibly negative) seconds, or `None`
    /// when the result would not fit in 64-bit nanoseconds.
    pub const fn checked_from_secs(secs: i64) -> Option<Self> {
        match secs.checked_mul(NANOS_PER_SEC as i64) {
            Some(nanos) => Some(Self { nanos }),
            None => None,
        }
    }

    /// The duration as a count of nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.nanos
    }

    /// The duration in seconds as a floating-point number.
    pub fn as_secs_f64(self) -> f64 {
        let whole = self.nanos / NANOS_PER_SEC as i64;
        let frac = self.nanos % NANOS_PER_SEC as i64;
        whole as f64 + frac as f64 / NANOS_PER_SEC as f64
    }

    /// True for the zero duration.
    pub const fn is_zero(self) -> bool {
        self.nanos == 0
    }

    /// True when the duration is below zero.
    pub const fn is_negative(self) -> bool {
        self.nanos < 0
    }

    /// Converts to a standard library duration, or `None` when negative.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.nanos).ok().map(std::time::Duration::from_nanos)
    }

    /// Converts to a `time` crate duration; every value fits.
    pub fn to_time_duration(self) -> time::Duration {
        time::Duration::nanoseconds(self.nanos)
    }

    /// Parses a Go duration string such as `"1h30m"`, `"-1.5s"` or `"300ms"`.
    ///
    /// The grammar is an optional sign followed by one or more
    /// `<decimal number><unit>` pairs, where the number may carry a
    /// fraction (`"1.5h"`, `".5s"`, `"1.s"`) and the unit is one of `ns`,
    /// `us`, `µs` (U+00B5), `μs` (U+03BC), `ms`, `s`, `m` or `h`. A bare
    /// `"0"` (optionally signed) is also accepted. Fractions are converted
    /// with the same floating-point step Go uses, so results agree with Go
    /// to the nanosecond. The one deliberate difference: Go lets a sum of
    /// components reaching exactly 2^64 nanoseconds wrap around to zero,
    /// while this reports it as out of range.
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let mut rest = input;
        let mut negative = false;
        if let Some(stripped) = rest.strip_prefix('-') {
            negative = true;
            rest = stripped;
        } else if let Some(stripped) = rest.strip_prefix('+') {
            rest = stripped;
        }

        if rest == "0" {
            return Ok(Self::ZERO);
        }
        if rest.is_empty() {
            return Err(DurationError::Empty { input: input.to_owned() });
        }

        // Sum of the magnitudes of all components; may reach 2^63 so that
        // i64::MIN can be written out.
        let mut total: u64 = 0;
        while let Some(&first) = rest.as_bytes().first() {
            if !(first == b'.' || first.is_ascii_digit()) {
                return Err(DurationError::Syntax { input: input.to_owned() });
            }

            let (whole, after_whole) =
                leading_int(rest).ok_or_else(|| DurationError::Overflow { input: input.to_owned() })?;
            let had_whole = after_whole.len() != rest.len();
            rest = after_whole;

            let mut frac: u64 = 0;
            let mut scale: f64 = 1.0;
            let mut had_frac = false;
            if let Some(after_dot) = rest.strip_prefix('.') {
                let (f, s, after_frac) = leading_fraction(after_dot);
                had_frac = after_frac.len() != after_dot.len();
                frac = f;
                scale = s;
                rest = after_frac;
            }
            if !had_whole && !had_frac {
                // A lone "." with no digits on either side.
                return Err(DurationError::Syntax { input: input.to_owned() });
            }

            // The unit runs up to the next digit or dot, as in Go.
            let unit_len = rest.bytes().position(|b| b == b'.' || b.is_ascii_digit()).unwrap_or(rest.len());
            if unit_len == 0 {
                return Err(DurationError::MissingUnit { input: input.to_owned() });
            }
            // The split point is an ASCII byte or the end, so it is a char
            // boundary; `split_at_checked` keeps this free of panics anyway.
            let (unit, after_unit) =
                rest.split_at_checked(unit_len).ok_or_else(|| DurationError::Syntax { input: input.to_owned() })?;
            rest = after_unit;
            let unit_nanos = unit_in_nanos(unit)
                .ok_or_else(|| DurationError::UnknownUnit { input: input.to_owned(), unit: unit.to_owned() })?;

            let overflow = || DurationError::Overflow { input: input.to_owned() };
            if whole > MAGNITUDE_LIMIT / unit_nanos {
                return Err(overflow());
            }
            let mut value = whole * unit_nanos;
            if frac > 0 {
                // Same float step as Go: exact enough for fractions of an
                // hour, and it keeps results identical to Go's.
                let extra = (frac as f64 * (unit_nanos as f64 / scale)) as u64;
                value = value.checked_add(extra).ok_or_else(overflow)?;
                if value > MAGNITUDE_LIMIT {
                    return Err(overflow());
                }
            }
            // Go adds with wrap-around here, which lets a sum of exactly
            // 2^64 slip through as zero; a checked add rejects it instead.
            total = total.checked_add(value).ok_or_else(overflow)?;
            if total > MAGNITUDE_LIMIT {
                return Err(overflow());
            }
        }

        if negative {
            // total <= 2^63; the cast maps 2^63 to i64::MIN, which negates
            // to itself, the intended value.
            return Ok(Self::from_nanos((total as i64).wrapping_neg()));
        }
        match i64::try_from(total) {
            Ok(nanos) => Ok(Self::from_nanos(nanos)),
            Err(_) => Err(DurationError::Overflow { input: input.to_owned() }),
        }
    }

    /// Formats the duration like Go's `Duration.String()`: `"0s"`,
    /// `"1.5s"`, `"300ms"`, `"1.1µs"`, `"1h30m0s"`, `"24h0m0s"`. Spans under
    /// a second use the largest fitting unit among ns, µs and ms; longer
    /// ones use hours, minutes and seconds with trailing zeros trimmed from
    /// the fraction.
    pub fn format(self) -> String {
        let mut out = String::new();
        if self.nanos < 0 {
            out.push('-');
        }
        let magnitude = self.nanos.unsigned_abs();

        if magnitude < NANOS_PER_SEC {
            let (digits, unit) = if magnitude == 0 {
                return "0s".to_owned();
            } else if magnitude < NANOS_PER_MICRO {
                (0, "ns")
            } else if magnitude < NANOS_PER_MILLI {
                (3, "µs")
            } else {
                (6, "ms")
            };
            push_with_fraction(&mut out, magnitude, digits);
            out.push_str(unit);
            return out;
        }

        let total_secs = magnitude / NANOS_PER_SEC;
        let total_mins = total_secs / 60;
        if total_mins > 0 {
            let hours = total_mins / 60;
            if hours > 0 {
                out.push_str(&hours.to_string());
                out.push('h');
            }
            out.push_str(&(total_mins % 60).to_string());
            out.push('m');
        }
        // Seconds with the nanosecond remainder as the fraction.
        let secs_part = (total_secs % 60) * NANOS_PER_SEC + magnitude % NANOS_PER_SEC;
        push_with_fraction(&mut out, secs_part, 9);
        out.push('s');
        out
    }
}

/// Appends `value / 10^digits` with its fractional part, trailing zeros
/// (and a bare decimal point) omitted.
fn push_with_fraction(out: &mut String, value: u64, digits: u32) {
    let divisor = 10u64.pow(digits);
    out.push_str(&(value / divisor).to_string());
    let frac = value % divisor;
    if frac != 0 {
        let padded = format!("{frac:0width$}", width = digits as usize);
        out.push('.');
        out.push_str(padded.trim_end_matches('0'));
    }
}

/// Reads leading ASCII digits as an integer. Returns `None` when the value
/// exceeds 2^63, mirroring Go's limit.
fn leading_int(s: &str) -> Option<(u64, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let mut value: u64 = 0;
    for b in s.bytes().take(digits) {
        if value > MAGNITUDE_LIMIT / 10 {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
        if value > MAGNITUDE_LIMIT {
            return None;
        }
    }
    Some((value, s.get(digits..).unwrap_or("")))
}

/// Reads leading ASCII digits after a decimal point. Returns the digits as
/// an integer, the power of ten they are scaled by, and the rest of the
/// input. Digits beyond 64-bit precision are consumed but ignored.
fn leading_fraction(s: &str) -> (u64, f64, &str) {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let mut value: u64 = 0;
    let mut scale: f64 = 1.0;
    let mut saturated = false;
    for b in s.bytes().take(digits) {
        if saturated {
            continue;
        }
        if value > (MAGNITUDE_LIMIT - 1) / 10 {
            saturated = true;
            continue;
        }
        let next = value * 10 + u64::from(b - b'0');
        if next > MAGNITUDE_LIMIT {
            saturated = true;
            continue;
        }
        value = next;
        scale *= 10.0;
    }
    (value, scale, s.get(digits..).unwrap_or(""))
}

/// Nanoseconds in one of the accepted units.
fn unit_in_nanos(unit: &str) -> Option<u64> {
    match unit {
        "ns" => Some(1),
        // "us", MICRO SIGN (U+00B5) and GREEK SMALL LETTER MU (U+03BC).
        "us" | "\u{00B5}s" | "\u{03BC}s" => Some(NANOS_PER_MICRO),
        "ms" => Some(NANOS_PER_MILLI),
        "s" => Some(NANOS_PER_SEC),
        "m" => Some(NANOS_PER_MIN),
        "h" => Some(NANOS_PER_HOUR),
        _ => None,
    }
}

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

impl FromStr for GoDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NS: i64 = 1;
    const US: i64 = 1_000;
    const MS: i64 = 1_000_000;
    const S: i64 = 1_000_000_000;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;

    fn nanos(s: &str) -> i64 {
        match GoDuration::parse(s) {
            Ok(d) => d.as_nanos(),
            Err(e) => panic!("parse({s:?}) failed: {e}"),
        }
    }

    // Accepted inputs and their values, taken from Go's own test table.
    #[test]
    fn parses_go_reference_cases() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600 * MS),
            ("5.s", 5 * S),
            (".5s", 500 * MS),
            ("1.0s", S),
            ("1.00s", S),
            ("1.004s", S + 4 * MS),
            ("1.0040s", S + 4 * MS),
            ("100.00100s", 100 * S + MS),
            ("10ns", 10 * NS),
            ("11us", 11 * US),
            ("12\u{00B5}s", 12 * US),
            ("12\u{03BC}s", 12 * US),
            ("13ms", 13 * MS),
            ("14s", 14 * S),
            ("15m", 15 * M),
            ("16h", 16 * H),
            ("3h30m", 3 * H + 30 * M),
            ("10.5s4m", 4 * M + 10 * S + 500 * MS),
            ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
            ("1h2m3s4ms5us6ns", H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS),
            ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * M),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("-9223372036s854ms775us808ns", i64::MIN),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.100000000000000000000h", 6 * M),
            ("0.830103483285477580700h", 49 * M + 48 * S + 372_539_827),
        ];
        for &(input, want) in cases {
            assert_eq!(nanos(input), want, "parse({input:?})");
        }
    }

    #[test]
    fn parses_the_forms_named_in_the_docs() {
        assert_eq!(nanos("1.5h"), H + 30 * M);
        assert_eq!(nanos("1.s"), S);
        assert_eq!(nanos("24h"), 24 * H);
        assert_eq!(nanos("0s"), 0);
        assert_eq!(nanos("-0s"), 0);
    }

    // Rejected inputs, also from Go's table, plus a few of our own.
    #[test]
    fn rejects_go_reference_error_cases() {
        let cases = [
            "",
            "3",
            "-",
            "+",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{85}\u{85}",
            "hello \u{FFFD} world",
            "\u{FFFD}",
            "9223372036854775810ns",
            "9223372036854775808ns",
            "-9223372036854775809ns",
            "9223372036854776us",
            "3000000h",
            "9223372036854775.808us",
            "9223372036854ms775us808ns",
            "1h x",
            " 1h",
            "1h ",
            "00",
            "1..5s",
            "1e3s",
        ];
        for input in cases {
            let err = match GoDuration::parse(input) {
                Ok(d) => panic!("parse({input:?}) = {d:?}, want an error"),
                Err(e) => e,
            };
            let quoted = format!("{input:?}");
            assert!(err.to_string().contains(&quoted), "error for {input:?} does not name the input: {err}");
        }
    }

    #[test]
    fn error_kinds_and_messages() {
        assert_eq!(
            GoDuration::parse("3d").unwrap_err().to_string(),
            "invalid duration \"3d\": unknown unit \"d\" (valid units: ns, us, ms, s, m, h)"
        );
        assert_eq!(GoDuration::parse("10").unwrap_err(), DurationError::MissingUnit { input: "10".into() });
        assert_eq!(
            GoDuration::parse("10").unwrap_err().to_string(),
            "invalid duration \"10\": missing unit after a number (valid units: ns, us, ms, s, m, h)"
        );
        assert_eq!(GoDuration::parse("").unwrap_err(), DurationError::Empty { input: "".into() });
        assert_eq!(GoDuration::parse("-").unwrap_err(), DurationError::Empty { input: "-".into() });
        assert_eq!(
            GoDuration::parse("1h x").unwrap_err(),
            DurationError::UnknownUnit { input: "1h x".into(), unit: "h x".into() }
        );
        assert_eq!(GoDuration::parse("x1h").unwrap_err(), DurationError::Syntax { input: "x1h".into() });
        assert_eq!(GoDuration::parse("3000000h").unwrap_err(), DurationError::Overflow { input: "3000000h".into() });
        let msg = GoDuration::parse("x").unwrap_err().to_string();
        assert!(msg.starts_with("invalid duration \"x\": expected"), "{msg}");
    }

    #[test]
    fn sum_of_two_halves_of_2_pow_64_is_rejected() {
        // Go wraps this sum to zero; we report it as out of range.
        let input = "-9223372036854775808ns9223372036854775808ns";
        assert!(matches!(GoDuration::parse(input), Err(DurationError::Overflow { .. })));
    }

    // Formatting cases from Go's table; positive ones are also checked
    // with a leading minus sign.
    #[test]
    fn formats_go_reference_cases() {
        let cases: &[(&str, i64)] = &[
            ("0s", 0),
            ("1ns", NS),
            ("1.1\u{00B5}s", 1100 * NS),
            ("2.2ms", 2200 * US),
            ("3.3s", 3300 * MS),
            ("4m5s", 4 * M + 5 * S),
            ("4m5.001s", 4 * M + 5001 * MS),
            ("5h6m7.001s", 5 * H + 6 * M + 7001 * MS),
            ("8m0.000000001s", 8 * M + NS),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
        ];
        for &(want, n) in cases {
            let d = GoDuration::from_nanos(n);
            assert_eq!(d.format(), want);
            assert_eq!(d.to_string(), want);
            if n > 0 {
                assert_eq!(GoDuration::from_nanos(-n).format(), format!("-{want}"));
            }
        }
    }

    #[test]
    fn formats_common_values() {
        assert_eq!(GoDuration::from_secs(86_400).format(), "24h0m0s");
        assert_eq!(nanos("1.5h"), GoDuration::from_secs(5400).as_nanos());
        assert_eq!(GoDuration::from_secs(5400).format(), "1h30m0s");
        assert_eq!(GoDuration::from_nanos(1500 * MS).format(), "1.5s");
        assert_eq!(GoDuration::from_nanos(300 * MS).format(), "300ms");
        assert_eq!(GoDuration::from_secs(60).format(), "1m0s");
        assert_eq!(GoDuration::ZERO.format(), "0s");
        assert_eq!(GoDuration::MAX.format(), "2562047h47m16.854775807s");
    }

    #[test]
    fn extreme_values_round_trip() {
        for d in [GoDuration::MAX, GoDuration::MIN, GoDuration::ZERO] {
            assert_eq!(GoDuration::parse(&d.format()), Ok(d));
        }
    }

    #[test]
    fn accessors() {
        let d = GoDuration::parse("1.5s").unwrap();
        assert_eq!(d.as_secs_f64(), 1.5);
        assert!(!d.is_zero());
        assert!(!d.is_negative());
        assert_eq!(d.to_std(), Some(std::time::Duration::from_millis(1500)));
        assert_eq!(d.to_time_duration(), time::Duration::milliseconds(1500));

        let neg = GoDuration::parse("-2m").unwrap();
        assert!(neg.is_negative());
        assert_eq!(neg.to_std(), None);
        assert_eq!(neg.as_secs_f64(), -120.0);
        assert_eq!(neg.to_time_duration(), time::Duration::minutes(-2));

        assert!(GoDuration::ZERO.is_zero());
        assert_eq!(GoDuration::ZERO.to_std(), Some(std::time::Duration::ZERO));
        assert_eq!(GoDuration::default(), GoDuration::ZERO);

        assert_eq!(GoDuration::from_secs(90).as_nanos(), 90 * S);
        assert_eq!(GoDuration::from_secs(u32::MAX).as_nanos(), u32::MAX as i64 * S);
        assert_eq!(GoDuration::checked_from_secs(-30), Some(GoDuration::from_nanos(-30 * S)));
        assert_eq!(GoDuration::checked_from_secs(i64::MAX), None);
        assert_eq!(GoDuration::MAX.to_std(), Some(std::time::Duration::from_nanos(i64::MAX as u64)));

        let parsed: GoDuration = "2h".parse().unwrap();
        assert_eq!(parsed, GoDuration::from_secs(7200));
        assert!(GoDuration::from_secs(1) < GoDuration::from_secs(2));
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(n in any::<i64>()) {
            let d = GoDuration::from_nanos(n);
            prop_assert_eq!(GoDuration::parse(&d.format()), Ok(d));
        }

        #[test]
        fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = GoDuration::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_duration_like_strings(
            s in "[-+]?[0-9.]{0,25}(ns|us|\u{00B5}s|\u{03BC}s|ms|s|m|h|d|x| |\u{00B5})?([0-9.]{0,25}[a-z\u{00B5}\u{03BC}]{0,3}){0,4}"
        ) {
            if let Ok(d) = GoDuration::parse(&s) {
                // Whatever parses must print in a form that parses back.
                prop_assert_eq!(GoDuration::parse(&d.format()), Ok(d));
            }
        }

        #[test]
        fn whole_seconds_match_integer_arithmetic(secs in 0u32..=u32::MAX) {
            let d = GoDuration::parse(&format!("{secs}s")).unwrap();
            prop_assert_eq!(d, GoDuration::from_secs(secs));
        }
    }
}
