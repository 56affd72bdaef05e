//! The `struct` library as Redis bundles it (Roberto Ierusalimschy's lstruct): binary
//! packing with a format string. `>`/`<`/`=`/`!` set byte order (and alignment, which this
//! version does not pad for); `b B h H l L T i[n] I[n]` integers, `f d` floats, `s` a
//! zero-terminated string, `c[n]` a fixed-size one (`c0` in unpack: the size is the
//! previous number), `x` a zero byte.

use mlua::{Lua, MultiValue, Table, Value};

pub fn install(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    let structs = lua.create_table()?;
    structs.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            let mut args = args.into_iter();
            let format = format_arg(args.next())?;
            let mut out = Vec::new();
            let mut little = cfg!(target_endian = "little");
            for item in items(&format)? {
                match item {
                    Item::Order(is_little) => little = is_little,
                    Item::Pad => out.push(0),
                    Item::Int { size, .. } => {
                        let n = number(args.next())? as i64;
                        let bytes = n.to_le_bytes();
                        let mut field = bytes[..size.min(8)].to_vec();
                        field.resize(size, if n < 0 { 0xff } else { 0 });
                        if !little {
                            field.reverse();
                        }
                        out.extend_from_slice(&field);
                    }
                    Item::Float => {
                        let n = number(args.next())? as f32;
                        out.extend_from_slice(&if little {
                            n.to_le_bytes()
                        } else {
                            n.to_be_bytes()
                        });
                    }
                    Item::Double => {
                        let n = number(args.next())?;
                        out.extend_from_slice(&if little {
                            n.to_le_bytes()
                        } else {
                            n.to_be_bytes()
                        });
                    }
                    Item::Zstring => {
                        out.extend_from_slice(&text(args.next())?);
                        out.push(0);
                    }
                    Item::Chars(size) => {
                        let text = text(args.next())?;
                        let size = size.unwrap_or(text.len());
                        let mut field = text[..size.min(text.len())].to_vec();
                        field.resize(size, 0);
                        out.extend_from_slice(&field);
                    }
                }
            }
            lua.create_string(&out)
        })?,
    )?;
    structs.raw_set(
        "unpack",
        lua.create_function(
            |lua, (format, data, start): (mlua::String, mlua::String, Option<i64>)| {
                let data = data.as_bytes();
                let mut pos = start.unwrap_or(1).max(1) as usize - 1;
                let mut little = cfg!(target_endian = "little");
                let mut values = Vec::new();
                let mut last_number: Option<usize> = None;
                let take = |pos: &mut usize, n: usize| -> mlua::Result<Vec<u8>> {
                    let end = pos.checked_add(n).filter(|&end| end <= data.len());
                    let end = end.ok_or_else(|| {
                        mlua::Error::runtime("bad argument #2 to 'unpack' (data string too short)")
                    })?;
                    let field = data[*pos..end].to_vec();
                    *pos = end;
                    Ok(field)
                };
                for item in items(&format.to_str()?)? {
                    match item {
                        Item::Order(is_little) => little = is_little,
                        Item::Pad => pos += 1,
                        Item::Int { size, signed } => {
                            let mut field = take(&mut pos, size)?;
                            if !little {
                                field.reverse();
                            }
                            let negative = signed && field.last().is_some_and(|b| b & 0x80 != 0);
                            let mut bytes = [if negative { 0xff } else { 0 }; 8];
                            let used = size.min(8);
                            bytes[..used].copy_from_slice(&field[..used]);
                            let n = i64::from_le_bytes(bytes);
                            let value = if signed { n as f64 } else { n as u64 as f64 };
                            last_number = Some(value as usize);
                            values.push(Value::Number(value));
                        }
                        Item::Float => {
                            let field: [u8; 4] = take(&mut pos, 4)?.try_into().unwrap_or_default();
                            let n = if little {
                                f32::from_le_bytes(field)
                            } else {
                                f32::from_be_bytes(field)
                            };
                            values.push(Value::Number(f64::from(n)));
                        }
                        Item::Double => {
                            let field: [u8; 8] = take(&mut pos, 8)?.try_into().unwrap_or_default();
                            let n = if little {
                                f64::from_le_bytes(field)
                            } else {
                                f64::from_be_bytes(field)
                            };
                            values.push(Value::Number(n));
                        }
                        Item::Zstring => {
                            let end = data[pos.min(data.len())..].iter().position(|&b| b == 0);
                            let end = end
                                .ok_or_else(|| mlua::Error::runtime("unfinished string in data"))?;
                            let field = take(&mut pos, end)?;
                            pos += 1;
                            values.push(Value::String(lua.create_string(&field)?));
                        }
                        Item::Chars(size) => {
                            let size = size.or(last_number.take()).unwrap_or(0);
                            let field = take(&mut pos, size)?;
                            values.push(Value::String(lua.create_string(&field)?));
                        }
                    }
                }
                values.push(Value::Integer(pos as mlua::Integer + 1));
                Ok(MultiValue::from_iter(values))
            },
        )?,
    )?;
    structs.raw_set(
        "size",
        lua.create_function(|_, format: mlua::String| {
            let mut size = 0;
            for item in items(&format.to_str()?)? {
                size += match item {
                    Item::Order(_) => 0,
                    Item::Pad => 1,
                    Item::Int { size, .. } => size,
                    Item::Float => 4,
                    Item::Double => 8,
                    Item::Chars(Some(n)) => n,
                    Item::Zstring | Item::Chars(None) => {
                        return Err(mlua::Error::runtime(
                            "options 'c0' - 's' have undefined sizes",
                        ))
                    }
                };
            }
            Ok(size)
        })?,
    )?;
    globals.raw_set("struct", structs)
}

#[derive(Debug, PartialEq)]
enum Item {
    Order(bool),
    Pad,
    Int { size: usize, signed: bool },
    Float,
    Double,
    Zstring,
    Chars(Option<usize>),
}

fn items(format: &str) -> mlua::Result<Vec<Item>> {
    let bytes = format.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let code = bytes[i];
        i += 1;
        let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let count: Option<usize> = std::str::from_utf8(&bytes[i..i + digits])
            .ok()
            .and_then(|d| d.parse().ok());
        i += digits;
        items.push(match code {
            b'>' => Item::Order(false),
            b'<' => Item::Order(true),
            b'=' | b'!' => Item::Order(cfg!(target_endian = "little")),
            b' ' => continue,
            b'x' => Item::Pad,
            b'b' => Item::Int {
                size: 1,
                signed: true,
            },
            b'B' => Item::Int {
                size: 1,
                signed: false,
            },
            b'h' => Item::Int {
                size: 2,
                signed: true,
            },
            b'H' => Item::Int {
                size: 2,
                signed: false,
            },
            b'l' => Item::Int {
                size: 8,
                signed: true,
            },
            b'L' | b'T' => Item::Int {
                size: 8,
                signed: false,
            },
            b'i' | b'I' => {
                let size = count.unwrap_or(4);
                if !(1..=8).contains(&size) {
                    return Err(mlua::Error::runtime(format!(
                        "integral size {size} is larger than limit of 8"
                    )));
                }
                Item::Int {
                    size,
                    signed: code == b'i',
                }
            }
            b'f' => Item::Float,
            b'd' => Item::Double,
            b's' => Item::Zstring,
            b'c' => Item::Chars(count.filter(|&n| n > 0)),
            other => {
                return Err(mlua::Error::runtime(format!(
                    "invalid format option '{}'",
                    other as char
                )))
            }
        });
    }
    Ok(items)
}

fn format_arg(value: Option<Value>) -> mlua::Result<String> {
    match value {
        Some(Value::String(text)) => Ok(text.to_str()?.to_string()),
        _ => Err(mlua::Error::runtime(
            "bad argument #1 to 'pack' (string expected)",
        )),
    }
}

fn number(value: Option<Value>) -> mlua::Result<f64> {
    match value {
        Some(Value::Integer(n)) => Ok(n as f64),
        Some(Value::Number(n)) => Ok(n),
        _ => Err(mlua::Error::runtime(
            "bad argument to 'pack' (number expected)",
        )),
    }
}

fn text(value: Option<Value>) -> mlua::Result<Vec<u8>> {
    match value {
        Some(Value::String(text)) => Ok(text.as_bytes().to_vec()),
        _ => Err(mlua::Error::runtime(
            "bad argument to 'pack' (string expected)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(code: &str) -> String {
        super::super::testing::eval(install, code)
    }

    #[test]
    fn packs_and_unpacks() {
        assert_eq!(
            eval("local s = struct.pack('>I2', 258) return s:byte(1) .. ',' .. s:byte(2)"),
            "1,2"
        );
        assert_eq!(
            eval("return (struct.unpack('<i4', struct.pack('<i4', -5)))"),
            "-5"
        );
        assert_eq!(
            eval("return (struct.unpack('>d', struct.pack('>d', 1.25)))"),
            "1.25"
        );
        assert_eq!(
            eval("local a, b = struct.unpack('s', 'hi\\0') return a .. b"),
            "hi4"
        );
        assert_eq!(eval("return struct.size('>iHb')"), "7");
    }
}
