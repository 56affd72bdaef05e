//! The `cmsgpack` library as Redis bundles it (lua-cmsgpack): `pack(...)` writes each value
//! as MessagePack in the smallest encoding (tables keyed 1..n as arrays, others as maps,
//! numbers as integers when whole, as float32 when that loses nothing); `unpack(bytes)`
//! returns every value the bytes hold.

use mlua::{Lua, MultiValue, Table, Value};

const MAX_DEPTH: usize = 16;

pub fn install(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    let cmsgpack = lua.create_table()?;
    cmsgpack.raw_set(
        "pack",
        lua.create_function(|lua, values: MultiValue| {
            if values.is_empty() {
                return Err(mlua::Error::runtime("MessagePack pack needs input."));
            }
            let mut out = Vec::new();
            for value in values.iter() {
                pack(value, &mut out, 0)?;
            }
            lua.create_string(&out)
        })?,
    )?;
    cmsgpack.raw_set(
        "unpack",
        lua.create_function(|lua, bytes: mlua::String| {
            let bytes = bytes.as_bytes();
            let mut reader = Reader {
                bytes: &bytes,
                pos: 0,
            };
            let mut values = Vec::new();
            while reader.pos < bytes.len() {
                values.push(reader.value(lua, 0)?);
            }
            Ok(MultiValue::from_iter(values))
        })?,
    )?;
    globals.raw_set("cmsgpack", cmsgpack)
}

fn pack(value: &Value, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
    match value {
        Value::Nil => out.push(0xc0),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => integer(*n, out),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.2e18 => integer(*n as i64, out),
        Value::Number(n) => {
            if (*n as f32) as f64 == *n {
                out.push(0xca);
                out.extend_from_slice(&(*n as f32).to_be_bytes());
            } else {
                out.push(0xcb);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
        Value::String(text) => {
            let text = text.as_bytes();
            sized(out, text.len(), [0xa0, 0xd9, 0xda, 0xdb], 32);
            out.extend_from_slice(&text);
        }
        Value::Table(table) if depth < MAX_DEPTH => match array_length(table)? {
            Some(length) => {
                sized(out, length, [0x90, 0, 0xdc, 0xdd], 16);
                for index in 1..=length {
                    pack(&table.raw_get::<Value>(index)?, out, depth + 1)?;
                }
            }
            None => {
                let pairs: Vec<(Value, Value)> =
                    table.pairs::<Value, Value>().collect::<mlua::Result<_>>()?;
                sized(out, pairs.len(), [0x80, 0, 0xde, 0xdf], 16);
                for (key, item) in &pairs {
                    pack(key, out, depth + 1)?;
                    pack(item, out, depth + 1)?;
                }
            }
        },
        // Too deep, or a type MessagePack has no place for: nil, as lua-cmsgpack writes it.
        _ => out.push(0xc0),
    }
    Ok(())
}

/// A length header: the fix form below `fix_limit`, else the 8 (when it has one), 16 or
/// 32-bit form.
fn sized(out: &mut Vec<u8>, len: usize, [fix, one, two, four]: [u8; 4], fix_limit: usize) {
    if len < fix_limit {
        out.push(fix | len as u8);
    } else if one != 0 && len <= 0xff {
        out.extend_from_slice(&[one, len as u8]);
    } else if len <= 0xffff {
        out.push(two);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(four);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn integer(n: i64, out: &mut Vec<u8>) {
    match n {
        0..=127 => out.push(n as u8),
        128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        n if n > 0 => {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
        -32..=-1 => out.push(n as i8 as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, n as i8 as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn array_length(table: &Table) -> mlua::Result<Option<usize>> {
    let mut count = 0usize;
    let mut max = 0usize;
    for pair in table.pairs::<Value, Value>() {
        let (key, _) = pair?;
        match key {
            Value::Integer(n) if n >= 1 => max = max.max(n as usize),
            _ => return Ok(None),
        }
        count += 1;
    }
    Ok((count == max).then_some(count))
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> mlua::Result<&[u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            return Err(mlua::Error::runtime("Missing bytes in input."));
        };
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn number<const N: usize>(&mut self) -> mlua::Result<[u8; N]> {
        let mut word = [0u8; N];
        word.copy_from_slice(self.take(N)?);
        Ok(word)
    }

    fn value(&mut self, lua: &Lua, depth: usize) -> mlua::Result<Value> {
        if depth > 1000 {
            return Err(mlua::Error::runtime("Too deep MessagePack input."));
        }
        let [kind] = self.number::<1>()?;
        let int = |n: i64| Ok(Value::Integer(n as mlua::Integer));
        match kind {
            0x00..=0x7f => int(i64::from(kind)),
            0x80..=0x8f => self.map(lua, usize::from(kind & 0x0f), depth),
            0x90..=0x9f => self.array(lua, usize::from(kind & 0x0f), depth),
            0xa0..=0xbf => self.string(lua, usize::from(kind & 0x1f)),
            0xc0 => Ok(Value::Nil),
            0xc2 => Ok(Value::Boolean(false)),
            0xc3 => Ok(Value::Boolean(true)),
            0xc4 | 0xd9 => {
                let [len] = self.number::<1>()?;
                self.string(lua, usize::from(len))
            }
            0xc5 | 0xda => {
                let len = u16::from_be_bytes(self.number()?);
                self.string(lua, usize::from(len))
            }
            0xc6 | 0xdb => {
                let len = u32::from_be_bytes(self.number()?);
                self.string(lua, len as usize)
            }
            0xca => Ok(Value::Number(f64::from(f32::from_be_bytes(self.number()?)))),
            0xcb => Ok(Value::Number(f64::from_be_bytes(self.number()?))),
            0xcc => int(i64::from(u8::from_be_bytes(self.number()?))),
            0xcd => int(i64::from(u16::from_be_bytes(self.number()?))),
            0xce => int(i64::from(u32::from_be_bytes(self.number()?))),
            0xcf => Ok(Value::Number(u64::from_be_bytes(self.number()?) as f64)),
            0xd0 => int(i64::from(i8::from_be_bytes(self.number()?))),
            0xd1 => int(i64::from(i16::from_be_bytes(self.number()?))),
            0xd2 => int(i64::from(i32::from_be_bytes(self.number()?))),
            0xd3 => int(i64::from_be_bytes(self.number()?)),
            0xdc => {
                let len = u16::from_be_bytes(self.number()?);
                self.array(lua, usize::from(len), depth)
            }
            0xdd => {
                let len = u32::from_be_bytes(self.number()?);
                self.array(lua, len as usize, depth)
            }
            0xde => {
                let len = u16::from_be_bytes(self.number()?);
                self.map(lua, usize::from(len), depth)
            }
            0xdf => {
                let len = u32::from_be_bytes(self.number()?);
                self.map(lua, len as usize, depth)
            }
            0xe0..=0xff => int(i64::from(kind as i8)),
            _ => Err(mlua::Error::runtime("Bad data format in input.")),
        }
    }

    fn string(&mut self, lua: &Lua, len: usize) -> mlua::Result<Value> {
        let bytes = self.take(len)?;
        lua.create_string(bytes).map(Value::String)
    }

    fn array(&mut self, lua: &Lua, len: usize, depth: usize) -> mlua::Result<Value> {
        // Bounded by what the input can hold, not by what its header claims.
        let table = lua.create_table_with_capacity(len.min(self.bytes.len()), 0)?;
        for index in 1..=len {
            table.raw_set(index, self.value(lua, depth + 1)?)?;
        }
        Ok(Value::Table(table))
    }

    fn map(&mut self, lua: &Lua, len: usize, depth: usize) -> mlua::Result<Value> {
        let table = lua.create_table()?;
        for _ in 0..len {
            let key = self.value(lua, depth + 1)?;
            let item = self.value(lua, depth + 1)?;
            if key != Value::Nil {
                table.raw_set(key, item)?;
            }
        }
        Ok(Value::Table(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(code: &str) -> String {
        super::super::testing::eval(install, code)
    }

    #[test]
    fn packs_in_the_smallest_encoding() {
        assert_eq!(eval("return cmsgpack.pack('abc'):byte(1)"), "163");
        assert_eq!(eval("return #cmsgpack.pack(1, 300, -1, 1.5)"), "10");
    }

    #[test]
    fn round_trips() {
        assert_eq!(
            eval("return select('#', cmsgpack.unpack(cmsgpack.pack(1, 2, 3)))"),
            "3"
        );
        assert_eq!(
            eval("local t = cmsgpack.unpack(cmsgpack.pack({a = {1, 2}, b = 'x'})) return t.a[2] .. t.b"),
            "2x"
        );
        assert_eq!(
            eval("return cmsgpack.unpack(cmsgpack.pack(-70000))"),
            "-70000"
        );
        assert_eq!(eval("return cmsgpack.unpack(cmsgpack.pack(0.1))"), "0.1");
    }
}
