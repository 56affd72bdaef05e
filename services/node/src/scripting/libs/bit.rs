//! The `bit` library (LuaBitOp, as Redis bundles it): operations on numbers taken as 32-bit
//! integers, answering signed 32-bit numbers.

use mlua::{Lua, MultiValue, Table, Value};

pub fn install(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    let bit = lua.create_table()?;
    let fold =
        |name: &'static str, op: fn(i32, i32) -> i32| -> mlua::Result<(&str, mlua::Function)> {
            let function = lua.create_function(move |_, args: MultiValue| {
                let mut words = args.iter().map(to_bit);
                let first = words.next().ok_or_else(|| bad_argument(name))??;
                words.try_fold(first, |acc, word| Ok(op(acc, word?)))
            })?;
            Ok((name, function))
        };
    for (name, function) in [
        fold("band", |a, b| a & b)?,
        fold("bor", |a, b| a | b)?,
        fold("bxor", |a, b| a ^ b)?,
    ] {
        bit.raw_set(name, function)?;
    }
    let shift = |op: fn(i32, u32) -> i32| {
        lua.create_function(move |_, (x, n): (Value, Value)| {
            Ok(op(to_bit(&x)?, to_bit(&n)? as u32 & 31))
        })
    };
    bit.raw_set("lshift", shift(|x, n| ((x as u32) << n) as i32)?)?;
    bit.raw_set("rshift", shift(|x, n| ((x as u32) >> n) as i32)?)?;
    bit.raw_set("arshift", shift(|x, n| x >> n)?)?;
    bit.raw_set("rol", shift(|x, n| (x as u32).rotate_left(n) as i32)?)?;
    bit.raw_set("ror", shift(|x, n| (x as u32).rotate_right(n) as i32)?)?;
    bit.raw_set("tobit", lua.create_function(|_, x: Value| to_bit(&x))?)?;
    bit.raw_set("bnot", lua.create_function(|_, x: Value| Ok(!to_bit(&x)?))?)?;
    bit.raw_set(
        "bswap",
        lua.create_function(|_, x: Value| Ok(to_bit(&x)?.swap_bytes()))?,
    )?;
    bit.raw_set(
        "tohex",
        lua.create_function(|_, (x, n): (Value, Option<Value>)| {
            let x = to_bit(&x)? as u32;
            let n = match &n {
                Some(n) => to_bit(n)?,
                None => 8,
            };
            let digits = n.unsigned_abs().min(8) as usize;
            let text = if n < 0 {
                format!("{x:08X}")
            } else {
                format!("{x:08x}")
            };
            Ok(text[8 - digits..].to_string())
        })?,
    )?;
    globals.raw_set("bit", bit)
}

/// A number as LuaBitOp normalises it: taken modulo 2^32, as a signed 32-bit integer.
fn to_bit(value: &Value) -> mlua::Result<i32> {
    let number = match value {
        Value::Integer(n) => *n as f64,
        Value::Number(n) => *n,
        Value::String(text) => text
            .to_str()
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .ok_or_else(|| bad_argument("bit"))?,
        _ => return Err(bad_argument("bit")),
    };
    Ok((number.trunc() as i64).rem_euclid(1 << 32) as u32 as i32)
}

fn bad_argument(name: &str) -> mlua::Error {
    mlua::Error::runtime(format!("bad argument #1 to '{name}' (number expected)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(code: &str) -> String {
        super::super::testing::eval(install, code)
    }

    #[test]
    fn answers_as_luabitop() {
        assert_eq!(eval("return bit.band(7, 3)"), "3");
        assert_eq!(eval("return bit.bor(1, 2, 4)"), "7");
        assert_eq!(eval("return bit.tohex(255)"), "000000ff");
        assert_eq!(eval("return bit.tohex(255, -2)"), "FF");
        assert_eq!(eval("return bit.bnot(0)"), "-1");
        assert_eq!(eval("return bit.tobit(2^32 + 5)"), "5");
        assert_eq!(eval("return bit.lshift(1, 31)"), "-2147483648");
        assert_eq!(eval("return bit.rshift(-1, 28)"), "15");
        assert_eq!(eval("return bit.arshift(-16, 2)"), "-4");
    }
}
