//! The `cjson` library as Redis bundles it (lua-cjson 2.1): `encode` writes JSON the way
//! lua-cjson does (arrays for tables keyed 1..n, `{}` for an empty table, `\/` escaped,
//! numbers as `%.14g`); `decode` reads any JSON, with `cjson.null` for null.

use mlua::{LightUserData, Lua, Table, Value};

/// How deep a value may nest, as lua-cjson's default.
const MAX_DEPTH: usize = 1000;

pub fn install(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    let cjson = lua.create_table()?;
    cjson.raw_set(
        "encode",
        lua.create_function(|lua, value: Value| {
            let mut out = Vec::new();
            encode(&value, &mut out, 1).map_err(mlua::Error::runtime)?;
            lua.create_string(&out)
        })?,
    )?;
    cjson.raw_set(
        "decode",
        lua.create_function(|lua, text: mlua::String| {
            let json: serde_json::Value =
                serde_json::from_slice(&text.as_bytes()).map_err(|e| {
                    mlua::Error::runtime(format!("Expected value but found invalid token: {e}"))
                })?;
            decode(lua, &json)
        })?,
    )?;
    // lua-cjson's settings, accepted as lua-cjson accepts them; rgroup's encoder keeps no
    // buffer and has one fixed behaviour, so each reports the value it was given.
    for setting in [
        "encode_keep_buffer",
        "encode_max_depth",
        "decode_max_depth",
        "encode_number_precision",
        "encode_invalid_numbers",
        "decode_invalid_numbers",
        "encode_sparse_array",
    ] {
        cjson.raw_set(
            setting,
            lua.create_function(|_, args: mlua::MultiValue| Ok(args))?,
        )?;
    }
    cjson.raw_set("null", null())?;
    globals.raw_set("cjson", cjson)
}

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn encode(value: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("Cannot serialise, excessive nesting ({depth})"));
    }
    match value {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(pointer) if pointer.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::Number(n) => {
            if !n.is_finite() {
                return Err("Cannot serialise number: must not be NaN or Inf".into());
            }
            out.extend_from_slice(format_g14(*n).as_bytes());
        }
        Value::String(text) => string(&text.as_bytes(), out),
        Value::Table(table) => match array_length(table)? {
            Some(length) => {
                out.push(b'[');
                for index in 1..=length {
                    if index > 1 {
                        out.push(b',');
                    }
                    let item: Value = table.raw_get(index).map_err(|e| e.to_string())?;
                    encode(&item, out, depth + 1)?;
                }
                out.push(b']');
            }
            None => {
                out.push(b'{');
                for (count, pair) in table.pairs::<Value, Value>().enumerate() {
                    let (key, item) = pair.map_err(|e| e.to_string())?;
                    if count > 0 {
                        out.push(b',');
                    }
                    match &key {
                        Value::String(text) => string(&text.as_bytes(), out),
                        Value::Integer(_) | Value::Number(_) => {
                            let mut number = Vec::new();
                            encode(&key, &mut number, depth + 1)?;
                            string(&number, out);
                        }
                        _ => {
                            return Err(
                                "Cannot serialise table: table key must be a number or string"
                                    .into(),
                            )
                        }
                    }
                    out.push(b':');
                    encode(&item, out, depth + 1)?;
                }
                out.push(b'}');
            }
        },
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                other.type_name()
            ))
        }
    }
    Ok(())
}

/// Some(n) for a table lua-cjson writes as an array: every key a positive integer, and not
/// excessively sparse (lua-cjson's default: more than twice as many slots as items, past 10).
fn array_length(table: &Table) -> Result<Option<usize>, String> {
    let mut count = 0usize;
    let mut max = 0usize;
    for pair in table.pairs::<Value, Value>() {
        let (key, _) = pair.map_err(|e| e.to_string())?;
        let index = match key {
            Value::Integer(n) if n >= 1 => n as usize,
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => n as usize,
            _ => return Ok(None),
        };
        max = max.max(index);
        count += 1;
    }
    if count == 0 {
        return Ok(None);
    }
    if max > 10 && max > count * 2 {
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok(Some(max))
}

fn string(text: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &byte in text {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{byte:04x}").as_bytes()),
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

/// C's `%.14g`.
pub fn format_g14(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    let exponent = n.abs().log10().floor() as i32;
    if !(-5..14).contains(&exponent) {
        let text = format!("{:.13e}", n);
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = trim_fraction(mantissa);
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let decimals = (13 - exponent).max(0) as usize;
    trim_fraction(&format!("{n:.decimals$}")).to_string()
}

fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

fn decode(lua: &Lua, json: &serde_json::Value) -> mlua::Result<Value> {
    Ok(match json {
        serde_json::Value::Null => null(),
        serde_json::Value::Bool(b) => Value::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) if i.unsigned_abs() < (1 << 53) => Value::Integer(i as mlua::Integer),
            _ => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(text) => Value::String(lua.create_string(text)?),
        serde_json::Value::Array(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for item in items {
                table.raw_push(decode(lua, item)?)?;
            }
            Value::Table(table)
        }
        serde_json::Value::Object(fields) => {
            let table = lua.create_table_with_capacity(0, fields.len())?;
            for (key, item) in fields {
                table.raw_set(key.as_str(), decode(lua, item)?)?;
            }
            Value::Table(table)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(code: &str) -> String {
        super::super::testing::eval(install, code)
    }

    #[test]
    fn encodes_as_lua_cjson() {
        assert_eq!(
            eval("return cjson.encode({1, 2, {a = 3}})"),
            r#"[1,2,{"a":3}]"#
        );
        assert_eq!(eval("return cjson.encode({})"), "{}");
        assert_eq!(eval("return cjson.encode('a/b\"')"), r#""a\/b\"""#);
        assert_eq!(eval("return cjson.encode(1.5)"), "1.5");
        assert_eq!(eval("return cjson.encode(0.1)"), "0.1");
        assert_eq!(eval("return cjson.encode(1e20)"), "1e+20");
        assert_eq!(eval("return cjson.encode(cjson.null)"), "null");
    }

    #[test]
    fn decodes_any_json() {
        assert_eq!(eval(r#"return cjson.decode('[1,2,{"a":3}]')[3].a"#), "3");
        assert_eq!(
            eval(r#"return cjson.encode(cjson.decode('{"a":null}'))"#),
            r#"{"a":null}"#
        );
    }

    #[test]
    fn g14_is_c_s() {
        assert_eq!(format_g14(1.234567890123456), "1.2345678901235");
        assert_eq!(format_g14(100.0), "100");
        assert_eq!(format_g14(1e-7), "1e-07");
        assert_eq!(format_g14(-2.5), "-2.5");
    }
}
