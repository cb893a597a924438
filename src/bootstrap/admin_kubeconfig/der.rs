//! Just enough DER to write a certificate body.

use time::OffsetDateTime;

pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
const UTF8_STRING: u8 = 0x0c;
const PRINTABLE_STRING: u8 = 0x13;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Tag, definite length, content.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already encoded elements.
pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

/// A SEQUENCE of encoded elements held in a list.
pub fn seq_of(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

/// PrintableString when every character allows it, else UTF8String:
/// Go's choice for the names it writes.
pub fn directory_string(s: &str) -> Vec<u8> {
    let printable = s.bytes().all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
    tlv(if printable { PRINTABLE_STRING } else { UTF8_STRING }, s.as_bytes())
}

/// UTCTime for 1950 to 2049, GeneralizedTime otherwise (RFC 5280
/// 4.1.2.5); `at` is in UTC and whole seconds.
pub fn time(at: OffsetDateTime) -> Vec<u8> {
    let (y, m, d) = (at.year(), u8::from(at.month()), at.day());
    let (hh, mm, ss) = (at.hour(), at.minute(), at.second());
    if (1950..2050).contains(&y) {
        let text = format!("{:02}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z", y % 100);
        tlv(UTC_TIME, text.as_bytes())
    } else {
        let text = format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z");
        tlv(GENERALIZED_TIME, text.as_bytes())
    }
}
