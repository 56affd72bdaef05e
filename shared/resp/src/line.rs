//! Small helpers shared by the request decoder and the frame parser.

/// Position of the first `\r\n` in `buf`, if any.
pub(crate) fn find_crlf(buf: &[u8]) -> Option<usize> {
    // Lines here are short (a length header, a command name), where a plain memchr for CR
    // beats building a substring searcher on every call.
    let mut from = 0;
    while let Some(offset) = memchr::memchr(b'\r', &buf[from..]) {
        let at = from + offset;
        if buf.get(at + 1) == Some(&b'\n') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Parses a signed decimal integer the strict way Redis does (no spaces, no `+`, no leading
/// zeros beyond a lone `0`).
pub(crate) fn parse_i64(digits: &[u8]) -> Option<i64> {
    let (negative, body) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    if body.is_empty() || body.len() > 19 || (body.len() > 1 && body[0] == b'0') {
        return None;
    }
    let mut value: i64 = 0;
    for &d in body {
        if !d.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(d - b'0');
        value = if negative {
            value.checked_mul(10)?.checked_sub(digit)?
        } else {
            value.checked_mul(10)?.checked_add(digit)?
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_is_found_past_a_lone_cr() {
        assert_eq!(find_crlf(b"a\rb\r\n"), Some(3));
        assert_eq!(find_crlf(b"abc\r"), None);
    }

    #[test]
    fn integers_parse_strictly() {
        assert_eq!(parse_i64(b"-42"), Some(-42));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"-"), None);
    }
}
