//! The small part of DER this module needs to look inside private keys,
//! which x509-parser does not read: single elements, INTEGER sizes and
//! object identifiers.

// DER tags used when looking inside private keys.
pub(super) const TAG_INTEGER: u8 = 0x02;
pub(super) const TAG_OCTET_STRING: u8 = 0x04;
pub(super) const TAG_OID: u8 = 0x06;
pub(super) const TAG_SEQUENCE: u8 = 0x30;
pub(super) const TAG_EC_PARAMETERS: u8 = 0xA0;

// Object identifiers (DER contents) of the key algorithms and curves this
// module recognises, in private keys and SubjectPublicKeyInfos alike.
pub(super) const OID_RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
pub(super) const OID_RSASSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
pub(super) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
pub(super) const OID_DSA: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x01];
pub(super) const OID_X25519: &[u8] = &[0x2B, 0x65, 0x6E];
pub(super) const OID_X448: &[u8] = &[0x2B, 0x65, 0x6F];
pub(super) const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];
pub(super) const OID_ED448: &[u8] = &[0x2B, 0x65, 0x71];
pub(super) const OID_CURVE_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
pub(super) const OID_CURVE_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
pub(super) const OID_CURVE_P521: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x23];
pub(super) const OID_CURVE_SECP256K1: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x0A];

/// Bit length of a non-negative DER INTEGER, `None` for negative or zero.
pub(super) fn integer_bits(content: &[u8]) -> Option<usize> {
    if content.first()? & 0x80 != 0 {
        return None;
    }
    let start = content.iter().position(|&b| b != 0)?;
    let significant = &content[start..];
    let top = significant.first()?;
    Some((significant.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// Dotted-decimal form of an OID's DER contents, for messages.
pub(super) fn oid_text(oid: &[u8]) -> String {
    let mut arcs: Vec<u128> = Vec::new();
    let mut value: u128 = 0;
    for &b in oid {
        if value > (u128::MAX >> 7) {
            return "an oversized object identifier".to_owned();
        }
        value = (value << 7) | u128::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        }
    }
    let Some((&first, rest)) = arcs.split_first() else {
        return "an empty object identifier".to_owned();
    };
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut out = format!("{a}.{b}");
    for arc in rest {
        out.push('.');
        out.push_str(&arc.to_string());
    }
    out
}

/// Splits one DER element with tag `tag` off the front of `input`,
/// returning its contents and what follows. Only single-byte tags and
/// definite lengths up to four bytes are accepted.
pub(super) fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let len_bytes = rest.get(..count)?;
        let len = len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest.get(count..)?)
    };
    Some((rest.get(..len)?, rest.get(len..)?))
}
