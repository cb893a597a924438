//! Logging as Terraform expects from a plugin: one JSON object per line on
//! stderr, in hclog's shape (`@level`, `@message`, `@timestamp`, `@module`),
//! which Terraform files into its provider log at the right level.
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG` (Terraform passes its
//! environment to the plugin). Nothing is ever written to stdout: after the
//! handshake line Terraform discards it. Callers must never log secrets.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// Log levels, least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Trace = 1,
    Debug = 2,
    Info = 3,
    Warn = 4,
    Error = 5,
    Off = 6,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Off => "off",
        }
    }

    /// Parses a `TF_LOG`-style level name; `JSON` means trace, as in Terraform.
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trace" | "json" => Some(Level::Trace),
            "debug" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "warn" => Some(Level::Warn),
            "error" => Some(Level::Error),
            "off" | "" => Some(Level::Off),
            _ => None,
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);
static MODULE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the `@module` of every line (e.g. `provider.NAME`); first call wins.
pub fn set_module(name: &str) {
    let _ = MODULE.set(name.to_string());
}

/// Sets the level from the environment. Unset means warnings and errors only.
pub fn init_from_env() {
    let from = |k: &str| std::env::var(k).ok().and_then(|v| Level::parse(&v));
    let level = from("TF_LOG_PROVIDER").or_else(|| from("TF_LOG")).unwrap_or(Level::Warn);
    set_level(level);
}

pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    level != Level::Off && level as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// Writes one log line with extra key/value fields.
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    if !enabled(level) {
        return;
    }
    let mut obj = serde_json::Map::new();
    obj.insert("@level".into(), level.name().into());
    obj.insert("@message".into(), message.into());
    obj.insert("@module".into(), MODULE.get().map_or("provider", String::as_str).into());
    obj.insert("@timestamp".into(), now_rfc3339().into());
    for (k, v) in fields {
        obj.insert((*k).to_string(), (*v).into());
    }
    let mut line = serde_json::Value::Object(obj).to_string();
    line.push('\n');
    // A failed write to stderr has nowhere better to go.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    now.format(&fmt).unwrap_or_default()
}

pub fn trace(message: &str, fields: &[(&str, &str)]) {
    log(Level::Trace, message, fields)
}
pub fn debug(message: &str, fields: &[(&str, &str)]) {
    log(Level::Debug, message, fields)
}
pub fn info(message: &str, fields: &[(&str, &str)]) {
    log(Level::Info, message, fields)
}
pub fn warn(message: &str, fields: &[(&str, &str)]) {
    log(Level::Warn, message, fields)
}
pub fn error(message: &str, fields: &[(&str, &str)]) {
    log(Level::Error, message, fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(Level::parse("TRACE"), Some(Level::Trace));
        assert_eq!(Level::parse("json"), Some(Level::Trace));
        assert_eq!(Level::parse("bogus"), None);
        assert!(Level::Error > Level::Warn);
    }
}
