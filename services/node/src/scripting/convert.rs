//! Replies into Lua values and back, by Redis's conversion rules: RESP2's (a status is
//! `{ok=...}`, an error `{err=...}`, a null `false`) unless the script chose RESP3 with
//! `redis.setresp(3)` (maps, sets, doubles, booleans and nulls of their own); and a
//! script's result into a reply for the caller's protocol.

use bytes::Bytes;
use mlua::{Lua, Table, Value};

use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

/// Nesting deeper than this is cut, as Redis cuts it, rather than overflow the stack.
const MAX_DEPTH: usize = 1000;

/// A command's reply as a script sees it.
pub fn to_lua(lua: &Lua, reply: &Reply, resp3: bool) -> mlua::Result<Value> {
    let table = |pairs: &[(&str, Value)]| -> mlua::Result<Value> {
        let table = lua.create_table()?;
        for (key, value) in pairs {
            table.raw_set(*key, value.clone())?;
        }
        Ok(Value::Table(table))
    };
    let string = |bytes: &[u8]| lua.create_string(bytes).map(Value::String);
    Ok(match reply {
        Reply::Ok => table(&[("ok", string(b"OK")?)])?,
        Reply::Simple(text) => table(&[("ok", string(text.as_bytes())?)])?,
        Reply::Status(text) => table(&[("ok", string(text.as_bytes())?)])?,
        Reply::Int(value) => Value::Integer(*value as mlua::Integer),
        Reply::Bulk(bytes) => string(bytes)?,
        Reply::Text(text) if resp3 => {
            let verbatim = lua.create_table()?;
            verbatim.raw_set("format", "txt")?;
            verbatim.raw_set("string", lua.create_string(text)?)?;
            table(&[("verbatim_string", Value::Table(verbatim))])?
        }
        Reply::Text(text) => string(text.as_bytes())?,
        Reply::Nil | Reply::NilArray if resp3 => Value::Nil,
        Reply::Nil | Reply::NilArray => Value::Boolean(false),
        Reply::Array(items) | Reply::Push(items) | Reply::Many(items) => array(lua, items, resp3)?,
        Reply::Set(items) if resp3 => {
            let members = lua.create_table()?;
            for item in items {
                members.raw_set(to_lua(lua, item, resp3)?, true)?;
            }
            table(&[("set", Value::Table(members))])?
        }
        Reply::Set(items) => array(lua, items, resp3)?,
        Reply::Map(pairs) if resp3 => {
            let map = lua.create_table()?;
            for (key, value) in pairs {
                map.raw_set(to_lua(lua, key, resp3)?, to_lua(lua, value, resp3)?)?;
            }
            table(&[("map", Value::Table(map))])?
        }
        Reply::Map(pairs) => {
            let flat = lua.create_table()?;
            for (key, value) in pairs {
                flat.raw_push(to_lua(lua, key, resp3)?)?;
                flat.raw_push(to_lua(lua, value, resp3)?)?;
            }
            Value::Table(flat)
        }
        Reply::Double(value) if resp3 => table(&[("double", Value::Number(*value))])?,
        Reply::Double(value) => string(rg_resp::encode::format_double(*value).as_bytes())?,
        Reply::Bool(value) if resp3 => Value::Boolean(*value),
        Reply::Bool(value) => Value::Integer(mlua::Integer::from(*value)),
        Reply::Error(error) => table(&[("err", string(error.line().as_bytes())?)])?,
    })
}

fn array(lua: &Lua, items: &[Reply], resp3: bool) -> mlua::Result<Value> {
    let table = lua.create_table_with_capacity(items.len(), 0)?;
    for item in items {
        table.raw_push(to_lua(lua, item, resp3)?)?;
    }
    Ok(Value::Table(table))
}

/// A script's result as the reply its caller gets. As in Redis, the protocol the script
/// chose with `redis.setresp` decides what a boolean means: under RESP2 (the default) false
/// is a null and true is 1, whatever protocol the caller speaks.
pub fn to_reply(value: &Value, script_resp3: bool) -> Reply {
    to_reply_at(value, script_resp3, 0)
}

fn to_reply_at(value: &Value, resp3: bool, depth: usize) -> Reply {
    match value {
        Value::Nil => Reply::Nil,
        Value::Boolean(true) if resp3 => Reply::Bool(true),
        Value::Boolean(false) if resp3 => Reply::Bool(false),
        Value::Boolean(true) => Reply::Int(1),
        Value::Boolean(false) => Reply::Nil,
        Value::Integer(n) => Reply::Int(*n),
        Value::Number(n) => Reply::Int(lua_number_to_integer(*n)),
        Value::String(text) => Reply::Bulk(Bytes::copy_from_slice(&text.as_bytes())),
        Value::Table(table) if depth < MAX_DEPTH => table_to_reply(table, resp3, depth),
        Value::Table(_) => Reply::Error(CmdError::err("reached lua stack limit")),
        _ => Reply::Nil,
    }
}

/// A table: an error, a status, one of RESP3's types, or an array up to its first nil.
fn table_to_reply(table: &Table, resp3: bool, depth: usize) -> Reply {
    let field = |name: &str| table.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Value::String(text) = field("err") {
        let text = String::from_utf8_lossy(&text.as_bytes()).into_owned();
        return Reply::Error(CmdError::Line(text.into()));
    }
    if let Value::String(text) = field("ok") {
        return Reply::Status(String::from_utf8_lossy(&text.as_bytes()).into_owned());
    }
    match field("double") {
        Value::Number(n) => return Reply::Double(n),
        Value::Integer(n) => return Reply::Double(n as f64),
        _ => {}
    }
    if let Value::Table(map) = field("map") {
        let pairs = map
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, v)| {
                (
                    to_reply_at(&k, resp3, depth + 1),
                    to_reply_at(&v, resp3, depth + 1),
                )
            })
            .collect();
        return Reply::Map(pairs);
    }
    if let Value::Table(set) = field("set") {
        let members = set
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| to_reply_at(&k, resp3, depth + 1))
            .collect();
        return Reply::Set(members);
    }
    let mut items = Vec::new();
    for index in 1.. {
        match table.raw_get::<Value>(index) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(item) => items.push(to_reply_at(&item, resp3, depth + 1)),
        }
    }
    Reply::Array(items)
}

/// A Lua number as Redis returns it: truncated toward zero, and what a C cast leaves of a
/// number out of range (the smallest integer) for infinities, NaN and the rest.
fn lua_number_to_integer(n: f64) -> i64 {
    if n.is_finite() && n >= i64::MIN as f64 && n < i64::MAX as f64 {
        n as i64
    } else {
        i64::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_truncate_and_overflow_as_in_redis() {
        assert_eq!(lua_number_to_integer(3.99), 3);
        assert_eq!(lua_number_to_integer(-3.99), -3);
        assert_eq!(lua_number_to_integer(f64::INFINITY), i64::MIN);
        assert_eq!(lua_number_to_integer(2f64.powi(70)), i64::MIN);
        assert_eq!(lua_number_to_integer(-(2f64.powi(63))), i64::MIN);
    }

    #[test]
    fn replies_go_into_lua_and_back() {
        let lua = Lua::new();
        let reply = Reply::Array(vec![
            Reply::Int(1),
            Reply::bulk(b"two"),
            Reply::Array(vec![Reply::Ok]),
        ]);
        let value = to_lua(&lua, &reply, false).unwrap();
        assert_eq!(
            to_reply(&value, false),
            Reply::Array(vec![
                Reply::Int(1),
                Reply::bulk(b"two"),
                Reply::Array(vec![Reply::Status("OK".into())]),
            ])
        );
        // A RESP2 null is false in Lua, and false is a null again.
        let null = to_lua(&lua, &Reply::Nil, false).unwrap();
        assert_eq!(null, Value::Boolean(false));
        assert_eq!(to_reply(&null, false), Reply::Nil);
        // RESP3: a map stays a map, a double a double.
        let map = Reply::Map(vec![(Reply::bulk(b"k"), Reply::Double(1.5))]);
        let value = to_lua(&lua, &map, true).unwrap();
        assert_eq!(to_reply(&value, true), map);
    }
}
