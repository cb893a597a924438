//! Reading PEM text: the blocks it holds, their labels and decoded bytes.
//!
//! Lines tell where each block begins and ends, so that text outside
//! blocks is ignored and every problem names its block; the `pem` crate
//! decodes the block itself (RFC 1421 headers and the base64 body).

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
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = begin_label(line) else {
            continue;
        };
        let shown = shown_label(label);
        let mut inner = Vec::new();
        let mut closed = false;
        for line in lines.by_ref() {
            if let Some(end) = end_label(line) {
                if end != label {
                    return Err(malformed(format!(
                        "the {shown} block is closed by an END line for {}",
                        shown_label(end)
                    )));
                }
                closed = true;
                break;
            }
            if begin_label(line).is_some() {
                return Err(malformed(format!("the {shown} block has no END line before the next BEGIN line")));
            }
            if !line.is_empty() {
                inner.push(line);
            }
        }
        if !closed {
            return Err(malformed(format!("the {shown} block has no \"-----END {shown}-----\" line")));
        }
        let block =
            decode(&inner).ok_or_else(|| malformed(format!("the body of the {shown} block is not valid base64")))?;
        if block.contents().is_empty() {
            return Err(malformed(format!("the {shown} block is empty")));
        }
        let has_headers = block.headers().iter().next().is_some();
        blocks.push(PemBlock { label: label.to_owned(), der: block.into_contents(), has_headers });
    }
    if blocks.is_empty() {
        return Err(PkiError::NotPem { input });
    }
    Ok(blocks)
}

/// Has the `pem` crate decode the non-blank lines between a BEGIN and an
/// END line: the headers, and the body as base64 with the padding it
/// requires. The leading `Key: value` lines are the headers, as Go's
/// encoding/pem reads them. The crate gets a fixed label (it refuses some
/// that OpenSSL takes), and no dash run, which would end the block early.
fn decode(lines: &[&str]) -> Option<pem::Pem> {
    if lines.iter().any(|l| l.contains("-----")) {
        return None;
    }
    let (headers, body) = lines.split_at(lines.iter().position(|l| !l.contains(':')).unwrap_or(lines.len()));
    pem::parse(format!("-----BEGIN PEM-----\n{}\n\n{}\n-----END PEM-----\n", headers.join("\n"), body.join("\n"))).ok()
}

/// The label of a `-----BEGIN <label>-----` line.
fn begin_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")
}

/// The label of an `-----END <label>-----` line.
fn end_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----END ")?.strip_suffix("-----")
}
