//! XGROUP and XACK (<https://redis.io/commands/xgroup/>, <https://redis.io/commands/xack/>).

use bytes::Bytes;

use super::{id_arg, strict_id};
use crate::commands::args::{self, is};
use crate::commands::ctx::Ctx;
use crate::commands::write_refusal;
use crate::engine::error::{unknown_subcommand, CmdError};
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::stream::{Group, Stream, StreamId};
use crate::engine::value::Value;

const HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
];

/// What each subcommand's arity is (Redis checks these before running them).
fn arity_ok(sub: &str, len: usize) -> Option<bool> {
    let ok = match sub {
        "create" => len >= 5,
        "setid" => len >= 5,
        "destroy" => len == 4,
        "createconsumer" | "delconsumer" => len == 5,
        "help" => len == 2,
        _ => return None,
    };
    Some(ok)
}

fn syntax(sub: &[u8]) -> CmdError {
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
        String::from_utf8_lossy(sub)
    ))
}

/// `XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP ...`
pub fn xgroup(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub_arg = &args[1];
    let sub = String::from_utf8_lossy(sub_arg).to_ascii_lowercase();
    match arity_ok(&sub, args.len()) {
        None => return Err(unknown_subcommand(sub_arg, "xgroup")),
        Some(false) => {
            return Err(CmdError::WrongArity(format!("xgroup|{sub}")));
        }
        Some(true) => {}
    }
    if sub == "help" {
        return Ok(Reply::Array(
            HELP.iter().map(|l| Reply::Status((*l).into())).collect(),
        ));
    }
    if let Some(refusal) = write_refusal(ctx) {
        return Err(refusal);
    }
    let mut mkstream = false;
    let mut entries_read = None;
    let mut j = 5;
    while j < args.len() {
        if is(&args[j], "MKSTREAM") && sub == "create" {
            mkstream = true;
        } else if is(&args[j], "ENTRIESREAD") && j + 1 < args.len() {
            let read = args::int(&args[j + 1])?;
            if read < 0 && read != -1 {
                return Err(CmdError::err(
                    "value for ENTRIESREAD must be positive or -1",
                ));
            }
            entries_read = u64::try_from(read).ok();
            j += 1;
        } else {
            return Err(syntax(sub_arg));
        }
        j += 1;
    }
    let key = &args[2];
    let name = &args[3];
    let exists = ctx.write_as(key, Value::as_stream_mut)?.is_some();
    if !exists && !mkstream {
        return Err(CmdError::err(
            "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want \
             to use the MKSTREAM option to create an empty stream automatically.",
        ));
    }
    let has_group = exists
        && ctx
            .write_as(key, Value::as_stream_mut)?
            .is_some_and(|s| s.groups.contains_key(name.as_ref()));
    if exists && !has_group && matches!(sub.as_str(), "setid" | "createconsumer" | "delconsumer") {
        return Err(CmdError::Line(
            format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                String::from_utf8_lossy(name),
                String::from_utf8_lossy(key)
            )
            .into(),
        ));
    }
    let now = ctx.now;
    let reply = match sub.as_str() {
        "create" if args.len() <= 8 => {
            let id_text = &args[4];
            let id = if id_text.as_ref() == b"$" {
                None
            } else {
                Some(strict_id(id_text)?)
            };
            let stream = ctx.write_or_create(key, Value::new_stream, Value::as_stream_mut)?;
            let id = id.unwrap_or(stream.last_id);
            if stream.groups.contains_key(name.as_ref()) {
                return Err(CmdError::Line(
                    "BUSYGROUP Consumer Group name already exists".into(),
                ));
            }
            stream
                .groups
                .insert(SmallBytes::new(name), Group::new(id, entries_read));
            Reply::Ok
        }
        "setid" if args.len() == 5 || args.len() == 7 => {
            let stream = stream_mut(ctx, key)?;
            let id = if args[4].as_ref() == b"$" {
                stream.last_id
            } else {
                id_arg(&args[4], 0)?
            };
            if let Some(group) = stream.groups.get_mut(name.as_ref()) {
                group.last_id = id;
                group.entries_read = entries_read;
            }
            Reply::Ok
        }
        "destroy" => {
            let stream = stream_mut(ctx, key)?;
            if stream.groups.remove(name.as_ref()).is_none() {
                return Ok(Reply::Int(0));
            }
            Reply::Int(1)
        }
        "createconsumer" => {
            let stream = stream_mut(ctx, key)?;
            let created = stream
                .groups
                .get_mut(name.as_ref())
                .is_some_and(|g| g.create_consumer(&args[4], now));
            if !created {
                return Ok(Reply::Int(0));
            }
            Reply::Int(1)
        }
        "delconsumer" => {
            let stream = stream_mut(ctx, key)?;
            let pending = stream
                .groups
                .get_mut(name.as_ref())
                .and_then(|g| g.delete_consumer(&args[4]));
            let Some(pending) = pending else {
                return Ok(Reply::Int(0));
            };
            Reply::Int(pending as i64)
        }
        _ => return Err(syntax(sub_arg)),
    };
    ctx.changed(key);
    ctx.propagate_verbatim(args);
    Ok(reply)
}

fn stream_mut<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<&'a mut Stream, CmdError> {
    ctx.write_as(key, Value::as_stream_mut)?
        .ok_or(CmdError::NoSuchKey)
}

/// `XACK key group id...`
pub fn xack(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let key = &args[1];
    let has_group = ctx
        .write_as(key, Value::as_stream_mut)?
        .is_some_and(|s| s.groups.contains_key(args[2].as_ref()));
    if !has_group {
        return Ok(Reply::Int(0));
    }
    let ids = args[3..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<StreamId>, _>>()?;
    let group = ctx
        .write_as(key, Value::as_stream_mut)?
        .and_then(|s| s.groups.get_mut(args[2].as_ref()));
    let Some(group) = group else {
        return Ok(Reply::Int(0));
    };
    let acked = ids
        .into_iter()
        .filter(|&id| group.remove_pending(id))
        .count();
    if acked > 0 {
        ctx.changed(key);
        ctx.propagate_verbatim(args);
    }
    Ok(Reply::Int(acked as i64))
}
