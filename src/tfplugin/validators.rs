//! Reusable attribute validators, in the manner of named validator values:
//! each maker returns the `Fn(&Value) -> Vec<Diagnostic>` that
//! [`Attribute::validate`](super::schema::Attribute::validate) takes. Null
//! and unknown values (and values of another type) pass: requiredness and
//! types are checked elsewhere, and an unknown value is checked once known.

use std::fmt::Display;

use super::diag::Diagnostic;
use super::value::Value;

/// A string that must be one of `allowed`: `Invalid <name>`, listing them.
pub fn one_of(
    name: &'static str,
    allowed: &'static [&'static str],
) -> impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync {
    move |v| match v.as_str() {
        Some(s) if !allowed.contains(&s) => vec![Diagnostic::error(
            format!("Invalid {name}"),
            format!(
                "{s:?} is not supported; use one of: {}.",
                allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
            ),
        )],
        _ => vec![],
    }
}

/// A string that `check` must accept: its error, followed by a period, is
/// the detail of an error `summary`.
pub fn checked<T, E: Display>(
    summary: &'static str,
    check: impl Fn(&str) -> Result<T, E> + Send + Sync,
) -> impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync {
    move |v| match v.as_str().map(&check) {
        Some(Err(e)) => vec![Diagnostic::error(summary, format!("{e}."))],
        _ => vec![],
    }
}

/// A string that `accept` must accept; `detail` words the error `summary`
/// about a string it refuses.
pub fn string_where(
    summary: &'static str,
    accept: impl Fn(&str) -> bool + Send + Sync,
    detail: impl Fn(&str) -> String + Send + Sync,
) -> impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync {
    move |v| match v.as_str() {
        Some(s) if !accept(s) => vec![Diagnostic::error(summary, detail(s))],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_of_lists_the_choices() {
        let v = one_of("color", &["red", "blue"]);
        assert!(v(&Value::from("red")).is_empty());
        assert!(v(&Value::Null).is_empty());
        assert!(v(&Value::unknown()).is_empty());
        let d = v(&Value::from("green"));
        assert_eq!(d.len(), 1);
        assert!(d[0].is_error());
        assert_eq!(d[0].summary, "Invalid color");
        assert_eq!(d[0].detail, "\"green\" is not supported; use one of: \"red\", \"blue\".");
    }

    #[test]
    fn checked_reports_the_check_error() {
        let v = checked("Invalid name", |s: &str| if s.is_empty() { Err("the name is empty") } else { Ok(s.len()) });
        assert!(v(&Value::from("x")).is_empty());
        assert!(v(&Value::Null).is_empty());
        let d = v(&Value::from(""));
        assert_eq!((d[0].summary.as_str(), d[0].detail.as_str()), ("Invalid name", "the name is empty."));
    }

    #[test]
    fn string_where_words_its_own_detail() {
        let v =
            string_where("Invalid word", |s| s.chars().all(char::is_alphabetic), |s| format!("{s:?} has no letters."));
        assert!(v(&Value::from("abc")).is_empty());
        assert!(v(&Value::unknown()).is_empty());
        let d = v(&Value::from("42"));
        assert_eq!((d[0].summary.as_str(), d[0].detail.as_str()), ("Invalid word", "\"42\" has no letters."));
    }
}
