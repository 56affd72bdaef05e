//! Parsing command arguments the way Redis does, with its error replies.

use bytes::Bytes;

use crate::engine::error::CmdError;

/// A strict signed 64-bit integer (`ERR value is not an integer or out of range`).
pub fn int(arg: &[u8]) -> Result<i64, CmdError> {
    parse_int(arg).ok_or(CmdError::NotInteger)
}

pub fn parse_int(arg: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(arg).ok()?;
    if text.is_empty() || text.starts_with('+') || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if text.starts_with("-0") {
        return None;
    }
    text.parse().ok()
}

/// A non-negative integer, refused with `message` when negative.
pub fn non_negative(arg: &[u8], message: &'static str) -> Result<u64, CmdError> {
    let value = int(arg)?;
    u64::try_from(value).map_err(|_| CmdError::err(message))
}

/// A finite-or-infinite float, never NaN (`ERR value is not a valid float`).
pub fn float(arg: &[u8]) -> Result<f64, CmdError> {
    parse_float(arg).ok_or(CmdError::NotFloat)
}

pub fn parse_float(arg: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(arg).ok()?;
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let value: f64 = match text.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        lower if lower.contains("inf") || lower.contains("nan") => return None,
        _ => text.parse().ok()?,
    };
    (!value.is_nan()).then_some(value)
}

/// Case-insensitive comparison with an option name.
pub fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// A blocking command's timeout in seconds, as milliseconds (0: forever).
pub fn timeout_ms(arg: &[u8]) -> Result<u64, CmdError> {
    let seconds =
        parse_float(arg).ok_or_else(|| CmdError::err("timeout is not a float or out of range"))?;
    if seconds < 0.0 {
        return Err(CmdError::err("timeout is negative"));
    }
    if !seconds.is_finite() || seconds > (i64::MAX / 1000) as f64 {
        return Err(CmdError::err("timeout is out of range"));
    }
    // Rounded up: a tiny timeout must still time out rather than become 0, "forever".
    Ok((seconds * 1000.0).ceil() as u64)
}

/// Formats an integer reply value as bytes (INCR's stored value).
pub fn int_bytes(value: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(value).as_bytes())
}

/// The text INCRBYFLOAT and HINCRBYFLOAT store: no exponent, no trailing zeros. Redis
/// computes in 80-bit long double and prints 17 digits of it, which hides the last-bit noise
/// of binary fractions (0.1 + 0.2 is "0.3"); rounding the f64 result to 16 significant
/// digits before printing its shortest form gives the same text in those cases.
pub fn float_text(value: f64) -> String {
    if value == value.trunc() && value.abs() < 1e17 {
        return format!("{}", value as i64);
    }
    let rounded: f64 = format!("{value:.15e}").parse().unwrap_or(value);
    format!("{rounded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_int(b"42"), Some(42));
        assert_eq!(parse_int(b"-7"), Some(-7));
        assert_eq!(parse_int(b"0"), Some(0));
        for bad in [
            &b"+1"[..],
            b"01",
            b" 1",
            b"1 ",
            b"",
            b"1.0",
            b"-0",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_int(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn floats_refuse_nan_and_spaces() {
        assert_eq!(parse_float(b"1.5"), Some(1.5));
        assert_eq!(parse_float(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float(b"1e3"), Some(1000.0));
        assert_eq!(parse_float(b"nan"), None);
        assert_eq!(parse_float(b" 1"), None);
        assert_eq!(parse_float(b"abc"), None);
    }

    #[test]
    fn float_text_reads_like_redis() {
        assert_eq!(float_text(10.6), "10.6");
        assert_eq!(float_text(3.0), "3");
        assert_eq!(float_text(-0.5), "-0.5");
        assert_eq!(float_text(5.0e3), "5000");
        assert_eq!(float_text(0.1 + 0.2), "0.3");
    }
}
