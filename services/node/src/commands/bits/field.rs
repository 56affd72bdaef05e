//! BITFIELD's integers: fields of 1 to 64 bits (signed) or 1 to 63 bits (unsigned) at any
//! bit offset, most significant bit first, and what SET and INCRBY do when a value does not
//! fit (<https://redis.io/commands/bitfield/>). Pure functions, no engine.

/// A field's type: `i8`, `u16`...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldType {
    pub signed: bool,
    pub bits: u32,
}

impl FieldType {
    /// `i1`..`i64` or `u1`..`u63` (lowercase, as Redis reads them).
    pub fn parse(arg: &[u8]) -> Option<FieldType> {
        let (&sign, width) = arg.split_first()?;
        let signed = match sign {
            b'i' => true,
            b'u' => false,
            _ => return None,
        };
        let bits = crate::commands::args::parse_int(width)?;
        let max = if signed { 64 } else { 63 };
        (1..=max).contains(&bits).then_some(FieldType {
            signed,
            bits: bits as u32,
        })
    }

    fn max(self) -> i64 {
        let magnitude = if self.signed {
            self.bits - 1
        } else {
            self.bits
        };
        ((1u64 << magnitude) - 1) as i64
    }

    fn min(self) -> i64 {
        if self.signed {
            -self.max() - 1
        } else {
            0
        }
    }

    /// The low `bits` of `raw` as this type's value (sign-extended when signed).
    fn value_of(self, raw: u64) -> i64 {
        let unused = 64 - self.bits;
        if self.signed {
            ((raw << unused) as i64) >> unused
        } else {
            ((raw << unused) >> unused) as i64
        }
    }
}

/// What happens to a value that does not fit: the `OVERFLOW` subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    #[default]
    Wrap,
    Sat,
    Fail,
}

impl Overflow {
    pub fn parse(arg: &[u8]) -> Option<Overflow> {
        use crate::commands::args::is;
        [
            ("WRAP", Overflow::Wrap),
            ("SAT", Overflow::Sat),
            ("FAIL", Overflow::Fail),
        ]
        .into_iter()
        .find(|(name, _)| is(arg, name))
        .map(|(_, overflow)| overflow)
    }
}

/// The field of `ty` at bit `offset`; bits past the end of `bytes` read as 0.
pub fn get(bytes: &[u8], offset: u64, ty: FieldType) -> i64 {
    let raw = (offset..offset + u64::from(ty.bits)).fold(0u64, |acc, o| {
        (acc << 1) | u64::from(super::ops::get_bit(bytes, o))
    });
    ty.value_of(raw)
}

/// Writes the low `ty.bits` bits of `value` at bit `offset`, which must be inside `bytes`.
pub fn put(bytes: &mut [u8], offset: u64, ty: FieldType, value: i64) {
    for i in 0..u64::from(ty.bits) {
        let bit = (value as u64 >> (u64::from(ty.bits) - 1 - i)) & 1 == 1;
        super::ops::set_bit(bytes, offset + i, bit);
    }
}

/// `old + by` as a value of `ty` under `overflow`; None when FAIL refuses it.
pub fn increment(old: i64, by: i64, ty: FieldType, overflow: Overflow) -> Option<i64> {
    fit(old, by, ty, overflow)
}

/// `value` stored into a field of `ty` under `overflow`; None when FAIL refuses it. An
/// unsigned field reads a negative SET value as its 64-bit two's complement, as Redis does.
pub fn assign(value: i64, ty: FieldType, overflow: Overflow) -> Option<i64> {
    fit(value, 0, ty, overflow)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    Above,
    Below,
}

/// Redis's overflow test, with its arithmetic: `value - max` is computed in 64 bits, so a
/// signed SET of a value far below the type's range counts as above it (SAT then gives
/// the maximum, as redis-server does).
fn out_of_range(value: i64, incr: i64, ty: FieldType) -> Option<Out> {
    let (min, max) = (ty.min(), ty.max());
    if !ty.signed {
        let value = value as u64;
        let above_by = (max as u64).wrapping_sub(value) as i64;
        let below_by = value.wrapping_neg() as i64;
        if value > max as u64 || (incr > 0 && incr > above_by) {
            return Some(Out::Above);
        }
        return (incr < 0 && incr < below_by).then_some(Out::Below);
    }
    let narrow = ty.bits != 64;
    let above_by = (max as u64).wrapping_sub(value as u64) as i64;
    let below_by = min.wrapping_sub(value);
    if value > max || (narrow && incr > above_by) || (value >= 0 && incr > 0 && incr > above_by) {
        return Some(Out::Above);
    }
    let below = value < min || (narrow && incr < below_by) || (value < 0 && incr < below_by);
    below.then_some(Out::Below)
}

fn fit(value: i64, incr: i64, ty: FieldType, overflow: Overflow) -> Option<i64> {
    let Some(out) = out_of_range(value, incr, ty) else {
        return Some(value.wrapping_add(incr));
    };
    match overflow {
        Overflow::Wrap => Some(ty.value_of((value as u64).wrapping_add(incr as u64))),
        Overflow::Sat if out == Out::Above => Some(ty.max()),
        Overflow::Sat => Some(ty.min()),
        Overflow::Fail => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> FieldType {
        FieldType::parse(text.as_bytes()).unwrap_or_else(|| panic!("{text} is a type"))
    }

    #[test]
    fn types_go_up_to_i64_and_u63() {
        assert_eq!(ty("i64").max(), i64::MAX);
        assert_eq!(ty("i64").min(), i64::MIN);
        assert_eq!(ty("u63").max(), i64::MAX);
        assert_eq!(ty("u1").max(), 1);
        assert_eq!(ty("i1").min(), -1);
        assert_eq!(ty("i1").max(), 0);
        for bad in ["u64", "i65", "i0", "u", "I8", "x8", "u+8", "u08", ""] {
            assert_eq!(FieldType::parse(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn fields_read_back_at_unaligned_offsets() {
        let mut bytes = vec![0u8; 10];
        put(&mut bytes, 3, ty("i8"), -2);
        assert_eq!(get(&bytes, 3, ty("i8")), -2);
        assert_eq!(get(&bytes, 3, ty("u8")), 254);
        assert_eq!(bytes[..2], [0b0001_1111, 0b1100_0000]);
        put(&mut bytes, 7, ty("i64"), i64::MIN + 5);
        assert_eq!(get(&bytes, 7, ty("i64")), i64::MIN + 5);
        assert_eq!(get(&bytes, 75, ty("u8")), 0, "past the end reads zeros");
    }

    #[test]
    fn overflow_wraps_saturates_or_fails() {
        let u8t = ty("u8");
        assert_eq!(increment(250, 10, u8t, Overflow::Wrap), Some(4));
        assert_eq!(increment(250, 10, u8t, Overflow::Sat), Some(255));
        assert_eq!(increment(250, 10, u8t, Overflow::Fail), None);
        assert_eq!(increment(5, -10, u8t, Overflow::Wrap), Some(251));
        assert_eq!(increment(5, -10, u8t, Overflow::Sat), Some(0));
        let i8t = ty("i8");
        assert_eq!(increment(120, 10, i8t, Overflow::Wrap), Some(-126));
        assert_eq!(increment(-120, -10, i8t, Overflow::Sat), Some(-128));
        assert_eq!(assign(-1, u8t, Overflow::Wrap), Some(255));
        assert_eq!(assign(-1, u8t, Overflow::Sat), Some(255), "read as 2^64-1");
        assert_eq!(assign(300, i8t, Overflow::Sat), Some(127));
        let i64t = ty("i64");
        assert_eq!(increment(i64::MAX, 1, i64t, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(increment(i64::MAX, 1, i64t, Overflow::Fail), None);
        assert_eq!(
            increment(i64::MIN, -1, ty("i64"), Overflow::Sat),
            Some(i64::MIN)
        );
        let u63 = ty("u63");
        assert_eq!(increment(i64::MAX, 1, u63, Overflow::Wrap), Some(0));
        // Redis's 64-bit arithmetic: far below i32's range reads as above it.
        assert_eq!(
            assign(i64::MIN, ty("i32"), Overflow::Sat),
            Some(i32::MAX as i64)
        );
        assert_eq!(
            assign(-3_000_000_000, ty("i32"), Overflow::Sat),
            Some(i32::MIN as i64)
        );
    }
}
