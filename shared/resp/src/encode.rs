//! Writers for single reply elements, in the shape of the connection's protocol.
//!
//! RESP3 types that RESP2 lacks are downgraded the way Redis does: a map becomes a flat array
//! of twice the length, a set an array, a double a bulk string, a boolean an integer, and the
//! RESP3 null a null bulk string (or a null array where Redis sends one).

use bytes::{BufMut, BytesMut};

/// The protocol a connection speaks, chosen with `HELLO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

impl Protocol {
    /// HELLO's protocol version argument, with Redis's error text for anything else.
    pub fn from_version(version: &[u8]) -> Result<Protocol, &'static str> {
        let number = std::str::from_utf8(version)
            .ok()
            .and_then(|v| v.parse::<i64>().ok());
        match number {
            Some(2) => Ok(Protocol::Resp2),
            Some(3) => Ok(Protocol::Resp3),
            Some(_) => Err("NOPROTO unsupported protocol version"),
            None => Err("ERR Protocol version is not an integer or out of range"),
        }
    }

    /// The number HELLO's reply gives as `proto`.
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// A status line (line breaks become spaces, as in [`error`]).
pub fn simple(out: &mut BytesMut, text: &[u8]) {
    out.put_u8(b'+');
    line_safe(out, text);
    out.put_slice(b"\r\n");
}

/// An error line; `text` starts with its code (`ERR ...`, `WRONGTYPE ...`). A line break inside the text (a Lua traceback, a client's argument
/// echoed back) would end the reply early and desynchronise the client: it becomes a space,
/// as Redis makes it.
pub fn error(out: &mut BytesMut, text: &[u8]) {
    out.put_u8(b'-');
    line_safe(out, text);
    out.put_slice(b"\r\n");
}

fn line_safe(out: &mut BytesMut, text: &[u8]) {
    if !text.iter().any(|&b| b == b'\r' || b == b'\n') {
        out.put_slice(text);
        return;
    }
    out.extend(
        text.iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
}

pub fn integer(out: &mut BytesMut, value: i64) {
    header(out, b':', value);
}

pub fn bulk(out: &mut BytesMut, data: &[u8]) {
    out.reserve(data.len() + 16);
    header(out, b'$', data.len() as i64);
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

/// A null where a bulk string was expected.
pub fn null(out: &mut BytesMut, protocol: Protocol) {
    match protocol {
        Protocol::Resp2 => out.put_slice(b"$-1\r\n"),
        Protocol::Resp3 => out.put_slice(b"_\r\n"),
    }
}

/// A null where an array was expected (BLPOP timing out, EXEC aborted by WATCH).
pub fn null_array(out: &mut BytesMut, protocol: Protocol) {
    match protocol {
        Protocol::Resp2 => out.put_slice(b"*-1\r\n"),
        Protocol::Resp3 => out.put_slice(b"_\r\n"),
    }
}

pub fn array_len(out: &mut BytesMut, len: usize) {
    header(out, b'*', len as i64);
}

/// A map of `len` pairs; the caller then writes `2 * len` elements.
pub fn map_len(out: &mut BytesMut, len: usize, protocol: Protocol) {
    match protocol {
        Protocol::Resp2 => header(out, b'*', 2 * len as i64),
        Protocol::Resp3 => header(out, b'%', len as i64),
    }
}

pub fn set_len(out: &mut BytesMut, len: usize, protocol: Protocol) {
    match protocol {
        Protocol::Resp2 => header(out, b'*', len as i64),
        Protocol::Resp3 => header(out, b'~', len as i64),
    }
}

/// An out-of-band message (pub/sub); RESP2 has no push type and uses an array.
pub fn push_len(out: &mut BytesMut, len: usize, protocol: Protocol) {
    match protocol {
        Protocol::Resp2 => header(out, b'*', len as i64),
        Protocol::Resp3 => header(out, b'>', len as i64),
    }
}

/// A double as Redis 7.0 replies it: `%.17g` text, as a bulk string in RESP2.
pub fn double(out: &mut BytesMut, value: f64, protocol: Protocol) {
    let text = format_double(value);
    match protocol {
        Protocol::Resp2 => bulk(out, text.as_bytes()),
        Protocol::Resp3 => {
            out.put_u8(b',');
            out.put_slice(text.as_bytes());
            out.put_slice(b"\r\n");
        }
    }
}

pub fn boolean(out: &mut BytesMut, value: bool, protocol: Protocol) {
    match protocol {
        Protocol::Resp2 => integer(out, i64::from(value)),
        Protocol::Resp3 => out.put_slice(if value { b"#t\r\n" } else { b"#f\r\n" }),
    }
}

/// Verbatim text (INFO, CLIENT LIST in RESP3); a bulk string in RESP2.
pub fn verbatim(out: &mut BytesMut, format: &[u8; 3], text: &[u8], protocol: Protocol) {
    match protocol {
        Protocol::Resp2 => bulk(out, text),
        Protocol::Resp3 => {
            header(out, b'=', text.len() as i64 + 4);
            out.put_slice(format);
            out.put_u8(b':');
            out.put_slice(text);
            out.put_slice(b"\r\n");
        }
    }
}

fn header(out: &mut BytesMut, kind: u8, value: i64) {
    let mut digits = itoa::Buffer::new();
    out.put_u8(kind);
    out.put_slice(digits.format(value).as_bytes());
    out.put_slice(b"\r\n");
}

/// Formats like C's `printf("%.17g")`, which Redis 7.0 uses for scores and doubles, with
/// `inf`, `-inf` and `nan` spelled as Redis spells them.
pub fn format_double(value: f64) -> String {
    if value.is_nan() {
        return "nan".into();
    }
    if value.is_infinite() {
        return if value > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    const PRECISION: i32 = 17;
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, value);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..PRECISION).contains(&exponent) {
        let mantissa = trim_fraction(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let decimals = (PRECISION - 1 - exponent) as usize;
    trim_fraction(&format!("{value:.decimals$}")).to_string()
}

fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_format_like_printf_17g() {
        assert_eq!(format_double(0.1), "0.10000000000000001");
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(-2.5), "-2.5");
        assert_eq!(format_double(1e20), "1e+20");
        assert_eq!(format_double(1.5e-7), "1.4999999999999999e-07");
        assert_eq!(
            format_double(123456789012345678.0),
            "1.2345678901234568e+17"
        );
        assert_eq!(format_double(f64::INFINITY), "inf");
    }

    #[test]
    fn a_line_break_in_an_error_or_status_becomes_a_space() {
        let mut out = BytesMut::new();
        error(&mut out, b"ERR one\ntwo\r\nthree");
        simple(&mut out, b"ok\nthen");
        assert_eq!(&out[..], b"-ERR one two  three\r\n+ok then\r\n");
    }

    #[test]
    fn resp2_downgrades_resp3_types() {
        let mut out = BytesMut::new();
        map_len(&mut out, 2, Protocol::Resp2);
        boolean(&mut out, true, Protocol::Resp2);
        null(&mut out, Protocol::Resp2);
        assert_eq!(&out[..], b"*4\r\n:1\r\n$-1\r\n");
    }
}
