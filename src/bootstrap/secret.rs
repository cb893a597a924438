//! A wrapper that keeps secret values out of logs and error messages.
//!
//! [`Sensitive`] holds a value (a bootstrap token secret, a private key, a
//! rendered manifest carrying credentials) and prints `<sensitive>` whenever
//! it is formatted with `{:?}` or `{}`. Reading the value takes an explicit
//! call to [`Sensitive::expose`] or [`Sensitive::into_inner`], which makes
//! every place that handles the raw secret easy to find.
//!
//! This module is plain domain code: it must not depend on tonic, prost,
//! msgpack or any Terraform plugin protocol code.

use std::fmt;

/// Text printed in place of a hidden value by `Debug` and `Display`.
pub const REDACTED: &str = "<sensitive>";

/// A value that must never show up in logs, diagnostics or error messages.
///
/// `Debug` and `Display` both print [`REDACTED`]. Equality compares the
/// wrapped values; `Default` is available when the wrapped type has one.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps `value` so that formatting it no longer reveals it.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// Borrows the wrapped value. Callers take responsibility for not
    /// leaking what they read.
    pub const fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value, giving up the redaction.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Sensitive::new(String::from("hunter2"));
        assert_eq!(format!("{s:?}"), "<sensitive>");
        assert_eq!(format!("{s}"), "<sensitive>");
        assert_eq!(format!("{s:#?}"), "<sensitive>");
    }

    #[test]
    fn nested_in_a_derived_debug_stays_hidden() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            name: &'static str,
            secret: Sensitive<String>,
        }
        let h = Holder { name: "x", secret: Sensitive::new("topsecret".to_owned()) };
        let shown = format!("{h:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(shown.contains("<sensitive>"), "{shown}");
    }

    #[test]
    fn expose_and_into_inner_return_the_value() {
        let s = Sensitive::new(vec![1u8, 2, 3]);
        assert_eq!(s.expose(), &vec![1, 2, 3]);
        assert_eq!(s.into_inner(), vec![1, 2, 3]);
    }

    #[test]
    fn clone_eq_and_default() {
        let a = Sensitive::new(5u32);
        let b = a.clone();
        assert_eq!(a, b);
        assert_ne!(a, Sensitive::new(6));
        let d: Sensitive<String> = Sensitive::default();
        assert_eq!(d.expose(), "");
        let f: Sensitive<&str> = "abc".into();
        assert_eq!(*f.expose(), "abc");
    }
}
