//! YAML scalars shared by every YAML text the domain writes (the kubeadm
//! documents of [`crate::bootstrap::kubeadm::emit`] and the bootstrap token
//! Secret of [`crate::bootstrap::token`]).
//!
//! kubeadm reads its config with a YAML 1.1 parser, which turns plain
//! `yes`, `no`, `on`, `off`, `y`, `n`, `1_000` or `1:20` into booleans and
//! numbers; a general YAML 1.2 emitter leaves those unquoted. [`string`]
//! therefore writes a string plain only when it is unambiguous under both
//! YAML 1.1 and 1.2, and double-quotes it with [`quoted`] (escapes, ASCII
//! only) otherwise.
//!
//! Plain domain code: nothing here may depend on tonic, prost, msgpack or the
//! Terraform plugin protocol.

use std::fmt::Write as _;

/// A string as a plain scalar when that is safe, else double-quoted.
pub fn string(s: &str) -> String {
    if is_safe_plain(s) {
        return s.to_string();
    }
    quoted(s)
}

/// A string as a double-quoted scalar, whatever it holds: `"` and `\` are
/// escaped, newlines, tabs and carriage returns become `\n`, `\t` and `\r`,
/// and every other character outside printable ASCII becomes `\uXXXX` or
/// `\UXXXXXXXX`, so the text is plain ASCII.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Words YAML 1.1 or 1.2 read as booleans or null.
const RESERVED_WORDS: [&str; 10] = ["y", "yes", "n", "no", "true", "false", "on", "off", "null", "~"];

/// True when `s` reads back as the same string under YAML 1.1 and 1.2 as a
/// plain scalar: a conservative character set, no indicator at the start, no
/// trailing `:`, not a boolean/null word and nothing number- or date-like.
fn is_safe_plain(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if !(first.is_ascii_alphanumeric() || first == b'/' || first == b'_') || s.ends_with(':') {
        return false;
    }
    if !bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"-_./:=,+@".contains(b)) {
        return false;
    }
    if RESERVED_WORDS.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return false;
    }
    !looks_numeric(s)
}

/// Integers (any base, with `_`), floats, `inf`/`nan`, sexagesimal numbers
/// and dates: anything a YAML 1.1 or 1.2 resolver might not keep a string.
fn looks_numeric(s: &str) -> bool {
    let t: String = s.chars().filter(|c| *c != '_').collect();
    let lower = t.to_ascii_lowercase();
    if t.parse::<i128>().is_ok() || t.parse::<f64>().is_ok() {
        return true;
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            if !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) {
                return true;
            }
        }
    }
    let first_digit = t.as_bytes().first().is_some_and(u8::is_ascii_digit);
    // 1:20, 190:20:30.15 (YAML 1.1 base 60)
    if first_digit && t.contains(':') && t.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '.') {
        return true;
    }
    // 2001-12-14, 2001-12-14t21:59:43.10-05:00
    let b = t.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quoted_escapes_to_ascii() {
        assert_eq!(quoted(""), "\"\"");
        assert_eq!(quoted("abc"), "\"abc\"");
        assert_eq!(quoted("YWJjZGVm+/=="), "\"YWJjZGVm+/==\"");
        assert_eq!(quoted("x\"\\\n\t\r\u{7}\u{7F}"), "\"x\\\"\\\\\\n\\t\\r\\u0007\\u007F\"");
        assert_eq!(quoted("é\u{2028}\u{FEFF}\u{1F600}"), "\"\\u00E9\\u2028\\uFEFF\\U0001F600\"");
    }

    #[test]
    fn string_is_plain_only_when_safe() {
        assert_eq!(string("bootstrap-token-abcdef"), "bootstrap-token-abcdef");
        assert_eq!(string("yes"), "\"yes\"");
        assert_eq!(string("a b"), "\"a b\"");
    }

    proptest! {
        #[test]
        fn base64_text_is_only_wrapped_in_quotes(s in "[A-Za-z0-9+/=]{0,64}") {
            prop_assert_eq!(quoted(&s), format!("\"{s}\""));
        }
    }
}
