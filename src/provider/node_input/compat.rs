//! Compat mode: `capi_manifests` (and `capi_secrets`) parsed once they are
//! known, and their findings reported.

use crate::bootstrap::capi;
use crate::tfplugin::diag::{AttrPath, Diagnostic};

use super::{string_map, Reader, MAX_REPORTED};

/// Compat mode as far as it is known.
pub(super) enum Compat {
    /// No `capi_manifests`.
    Off,
    /// `capi_manifests` or `capi_secrets` is still unknown.
    Unknown,
    /// The manifests have errors (already reported).
    Unusable,
    On(Box<capi::Manifests>),
}

impl Reader<'_> {
    /// Compat mode as far as it is known; parses the manifests once they
    /// and their secrets are known (reporting their findings).
    pub(super) fn compat(&mut self) -> Compat {
        let c = self.config;
        let m = c.get("capi_manifests");
        if m.is_null() {
            return Compat::Off;
        }
        if m.is_unknown() || !c.get("capi_secrets").is_wholly_known() {
            return Compat::Unknown;
        }
        match self.capi() {
            Some(Some(m)) => Compat::On(Box::new(m)),
            Some(None) => Compat::Off,
            None => Compat::Unusable,
        }
    }

    /// Parses `capi_manifests` when set. `Some(None)`: compat mode is off;
    /// `None`: the manifests are unusable (errors reported).
    pub(super) fn capi(&mut self) -> Option<Option<capi::Manifests>> {
        let Some(text) = self.config.get("capi_manifests").as_str() else { return Some(None) };
        let mut secrets = capi::Secrets::new();
        if let Some(m) = self.config.get("capi_secrets").as_entries() {
            for (name, keys) in m {
                secrets.insert(name.clone(), string_map(keys));
            }
        }
        let m = capi::parse(text, &secrets);
        self.findings(&m.findings);
        (!m.has_errors()).then_some(Some(m))
    }

    /// Reports manifest findings: errors always, warnings at plan time only
    /// (validation would show them twice).
    /// At most [`MAX_REPORTED`] of them, then one diagnostic counting the rest,
    /// so a huge input cannot flood the output.
    pub(super) fn findings(&mut self, findings: &[capi::Finding]) {
        let (mut shown, mut hidden, mut hidden_errors) = (0, 0, false);
        for f in findings {
            let d = if f.is_error() {
                Diagnostic::error("Unusable capi_manifests", format!("{f}."))
            } else if self.fetch_manifest {
                Diagnostic::warning("capi_manifests: not carried over as written", format!("{f}."))
            } else {
                continue;
            };
            if shown == MAX_REPORTED {
                hidden += 1;
                hidden_errors |= f.is_error();
                continue;
            }
            shown += 1;
            self.diags.push(d.at(AttrPath::attr("capi_manifests")));
        }
        if hidden > 0 {
            let (summary, detail) = (
                "More capi_manifests findings",
                format!("{hidden} more findings like the ones above are not shown; fix those first."),
            );
            let d =
                if hidden_errors { Diagnostic::error(summary, detail) } else { Diagnostic::warning(summary, detail) };
            self.diags.push(d.at(AttrPath::attr("capi_manifests")));
        }
    }
}
