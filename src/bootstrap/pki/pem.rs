//! Reading PEM text: the blocks it holds, their labels and decoded bytes.

use base64::Engine as _;

use super::{PemInput, PkiError};

pub(super) const LABEL_CERTIFICATE: &str = "CERTIFICATE";
pub(super) const LABEL_PRIVATE_KEY: &str = "PRIVATE KEY";
pub(super) const LABEL_RSA_PRIVATE_KEY: &str = "RSA PRIVATE KEY";
pub(super) const LABEL_EC_PRIVATE_KEY: &str = "EC PRIVATE KEY";
pub(super) const LABEL_ENCRYPTED_PRIVATE_KEY: &str = "ENCRYPTED PRIVATE KEY";
pub(super) const LABEL_EC_PARAMETERS: &str = "EC PARAMETERS";
pub(super) const LABEL_PUBLIC_KEY: &str = "PUBLIC KEY";

/// Longest PEM label repeated in an error message.
const MAX_SHOWN_LABEL: usize = 40;

/// A PEM label made safe to repeat: printable ASCII only, cut short.
pub(super) fn shown_label(label: &str) -> String {
    let mut out: String =
        label.chars().take(MAX_SHOWN_LABEL).map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
    if label.chars().count() > MAX_SHOWN_LABEL {
        out.push_str("...");
    }
    out
}

/// One decoded PEM block. The bytes may be a private key, so this type has
/// no `Debug`.
pub(super) struct PemBlock {
    pub(super) label: String,
    pub(super) der: Vec<u8>,
    /// True when RFC 1421 headers (such as `Proc-Type: 4,ENCRYPTED`) precede
    /// the body.
    pub(super) has_headers: bool,
}

/// The labels of `blocks`, made safe to show.
pub(super) fn labels(blocks: &[PemBlock]) -> Vec<String> {
    blocks.iter().map(|b| shown_label(&b.label)).collect()
}

/// Decodes every PEM block in `text`. Text outside blocks is ignored, as
/// OpenSSL does; at least one block must be present.
pub(super) fn parse_pem(input: PemInput, text: &str) -> Result<Vec<PemBlock>, PkiError> {
    let malformed = |problem: String| PkiError::MalformedPem { input, problem };
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = begin_label(line.trim()) else {
            continue;
        };
        let shown = shown_label(label);
        let mut body = String::new();
        let mut has_headers = false;
        let mut closed = false;
        for inner in lines.by_ref() {
            let inner = inner.trim();
            if let Some(end) = end_label(inner) {
                if end != label {
                    return Err(malformed(format!(
                        "the {shown} block is closed by an END line for {}",
                        shown_label(end)
                    )));
                }
                closed = true;
                break;
            }
            if begin_label(inner).is_some() {
                return Err(malformed(format!("the {shown} block has no END line before the next BEGIN line")));
            }
            if inner.contains(':') {
                has_headers = true;
            } else {
                body.push_str(inner);
            }
        }
        if !closed {
            return Err(malformed(format!("the {shown} block has no \"-----END {shown}-----\" line")));
        }
        let der = engine
            .decode(body.as_bytes())
            .map_err(|_| malformed(format!("the body of the {shown} block is not valid base64")))?;
        if der.is_empty() {
            return Err(malformed(format!("the {shown} block is empty")));
        }
        blocks.push(PemBlock { label: label.to_owned(), der, has_headers });
    }
    if blocks.is_empty() {
        return Err(PkiError::NotPem { input });
    }
    Ok(blocks)
}

/// The label of a `-----BEGIN <label>-----` line.
fn begin_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")
}

/// The label of an `-----END <label>-----` line.
fn end_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----END ")?.strip_suffix("-----")
}
