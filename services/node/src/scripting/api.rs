//! The `redis` table's functions that need no command runner: replies made by hand,
//! sha1hex, log, setresp and the replication switches of Redis 7 (where scripts always
//! replicate their effects, so the switches change nothing).

use mlua::{Lua, MultiValue, Table, Value};
use sha1::{Digest, Sha1};

use crate::commands::REDIS_VERSION;

pub fn redis_table(lua: &Lua, rg: &Table) -> mlua::Result<Table> {
    let redis = lua.create_table()?;
    redis.raw_set(
        "error_reply",
        lua.create_function(|lua, text: mlua::String| {
            let reply = lua.create_table()?;
            reply.raw_set("err", error_reply_text(&text.as_bytes()))?;
            Ok(reply)
        })?,
    )?;
    redis.raw_set(
        "status_reply",
        lua.create_function(|lua, text: mlua::String| {
            let reply = lua.create_table()?;
            reply.raw_set("ok", text)?;
            Ok(reply)
        })?,
    )?;
    redis.raw_set(
        "sha1hex",
        lua.create_function(|_, args: MultiValue| match args.len() {
            1 => match args.into_iter().next() {
                Some(Value::String(text)) => Ok(sha1_hex(&text.as_bytes())),
                Some(Value::Integer(n)) => Ok(sha1_hex(n.to_string().as_bytes())),
                Some(Value::Number(n)) => Ok(sha1_hex(n.to_string().as_bytes())),
                _ => Ok(sha1_hex(b"")),
            },
            _ => Err(mlua::Error::runtime("wrong number of arguments")),
        })?,
    )?;
    redis.raw_set(
        "log",
        lua.create_function(|_, args: MultiValue| {
            let mut args = args.into_iter();
            let Some(Value::Integer(level)) = args.next() else {
                return Err(mlua::Error::runtime(
                    "First argument must be a number (log level).",
                ));
            };
            let text: Vec<String> = args.map(|v| v.to_string().unwrap_or_default()).collect();
            let text = text.join(" ");
            match level {
                3 => tracing::warn!(script = %text),
                2 => tracing::info!(script = %text),
                _ => tracing::debug!(script = %text),
            }
            Ok(())
        })?,
    )?;
    let private = rg.clone();
    redis.raw_set(
        "setresp",
        lua.create_function(move |_, version: i64| match version {
            2 | 3 => private.raw_set("resp", version),
            _ => Err(mlua::Error::runtime("RESP version must be 2 or 3.")),
        })?,
    )?;
    redis.raw_set("set_repl", lua.create_function(|_, _: Value| Ok(()))?)?;
    redis.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.raw_set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    redis.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    for (name, value) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        redis.raw_set(name, value)?;
    }
    redis.raw_set("REDIS_VERSION", REDIS_VERSION)?;
    redis.raw_set("REDIS_VERSION_NUM", version_number(REDIS_VERSION))?;
    Ok(redis)
}

pub fn sha1_hex(data: &[u8]) -> String {
    crate::engine::digest::hex(&Sha1::digest(data))
}

/// What `redis.error_reply(text)` makes of its text, as Redis: a leading '-' is dropped, and
/// a text that is a single word gets the generic `ERR` code in front.
pub fn error_reply_text(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let body = text.strip_prefix('-').unwrap_or(&text);
    let body = body.trim_end_matches(['\r', '\n']);
    if body.contains(' ') {
        body.to_string()
    } else {
        format!("ERR {body}")
    }
}

/// `7.0.15` as Redis's REDIS_VERSION_NUM: 0x07000f.
fn version_number(version: &str) -> i64 {
    version.split('.').take(3).fold(0, |number, part| {
        (number << 8) | part.parse::<i64>().unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_reply_texts_get_a_code_as_in_redis() {
        assert_eq!(error_reply_text(b"x"), "ERR x");
        assert_eq!(error_reply_text(b"-x"), "ERR x");
        assert_eq!(error_reply_text(b"My Error"), "My Error");
        assert_eq!(error_reply_text(b"-FOO bar\r\n"), "FOO bar");
    }

    #[test]
    fn the_version_number_is_redis_s() {
        assert_eq!(version_number("7.0.15"), 458767);
    }
}
