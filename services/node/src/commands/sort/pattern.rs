//! SORT's BY and GET patterns, and how it reads a number (<https://redis.io/commands/sort/>).

use bytes::Bytes;

use crate::commands::ctx::Ctx;
use crate::engine::value::Value;

/// What `pattern` names for `element`, as Redis's `lookupKeyByPattern`: `#` is the element
/// itself; otherwise the first `*` is replaced by the element to make a key, whose string
/// value is the answer, or, when the rest of the pattern holds `->field` (a non-empty
/// field), that field of the hash at the key. None when the pattern has no `*` or the key
/// is missing or of another type.
pub(super) fn lookup(ctx: &mut Ctx, pattern: &[u8], element: &[u8]) -> Option<Bytes> {
    if pattern == b"#" {
        return Some(Bytes::copy_from_slice(element));
    }
    let star = pattern.iter().position(|&c| c == b'*')?;
    let rest = &pattern[star + 1..];
    let (postfix, field) = match rest.windows(2).position(|w| w == b"->") {
        Some(arrow) if arrow + 2 < rest.len() => (&rest[..arrow], Some(&rest[arrow + 2..])),
        _ => (rest, None),
    };
    let key = [&pattern[..star], element, postfix].concat();
    let value = match (ctx.read(&key)?, field) {
        (Value::Hash(hash), Some(field)) => hash.get(field)?,
        (Value::Str(text), None) => text,
        _ => return None,
    };
    Some(Bytes::copy_from_slice(value))
}

/// Whether a BY pattern names keys at all: one without `*` leaves the elements unsorted.
pub(super) fn sorts(pattern: &[u8]) -> bool {
    pattern.contains(&b'*')
}

/// A sort weight read the way Redis reads it with `strtod`: leading white space allowed,
/// nothing after the number, no NaN, nothing that overflows or underflows; the empty
/// string reads as 0. Decimal and hexadecimal integers, decimals with exponents, `inf`
/// and `infinity` are read; hexadecimal fractions are not.
pub(super) fn weight(text: &[u8]) -> Option<f64> {
    if text.is_empty() {
        return Some(0.0);
    }
    let start = text.iter().position(|c| !is_c_space(*c))?;
    let number = std::str::from_utf8(&text[start..]).ok()?;
    let value = hex(number).or_else(|| number.parse::<f64>().ok())?;
    let spelled_infinite = number.to_ascii_lowercase().contains("inf");
    let overflowed = value.is_infinite() && !spelled_infinite;
    let mantissa = number.split(['e', 'E']).next().unwrap_or_default();
    let nonzero = mantissa.bytes().any(|c| (b'1'..=b'9').contains(&c));
    let underflowed = nonzero && (value == 0.0 || value.is_subnormal()) && hex(number).is_none();
    (!value.is_nan() && !overflowed && !underflowed).then_some(value)
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `[+-]0x<hex digits>`.
fn hex(number: &str) -> Option<f64> {
    let (negative, unsigned) = match number.as_bytes().first() {
        Some(b'-') => (true, &number[1..]),
        Some(b'+') => (false, &number[1..]),
        _ => (false, number),
    };
    let digits = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))?;
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let value = digits.bytes().fold(0.0f64, |acc, c| {
        acc * 16.0 + f64::from((c as char).to_digit(16).unwrap_or(0))
    });
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::weight;

    #[test]
    fn weights_read_like_strtod() {
        assert_eq!(weight(b"10"), Some(10.0));
        assert_eq!(weight(b" 1.5"), Some(1.5));
        assert_eq!(weight(b"-2e3"), Some(-2000.0));
        assert_eq!(weight(b""), Some(0.0));
        assert_eq!(weight(b"0x1A"), Some(26.0));
        assert_eq!(weight(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(weight(b"0.0"), Some(0.0));
        for bad in [&b"x1"[..], b"1 ", b"1x", b"  ", b"nan", b"1e400", b"1e-400"] {
            assert_eq!(weight(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
