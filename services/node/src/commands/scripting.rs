//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: the command side of Lua scripting (the
//! running is in crate::scripting).

use bytes::Bytes;

use super::args::{is, parse_int};
use super::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::scripting;

/// EVAL script numkeys [key ...] [arg ...] (and EVAL_RO).
pub fn eval(ctx: &mut Ctx, args: &[Bytes], read_only: bool) -> Result<Reply, CmdError> {
    let (keys, argv) = keys_and_args(args)?;
    let sha = cache(ctx, &args[1])?;
    scripting::run(ctx, &sha, keys, argv, read_only)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...] (and EVALSHA_RO).
pub fn evalsha(ctx: &mut Ctx, args: &[Bytes], read_only: bool) -> Result<Reply, CmdError> {
    let (keys, argv) = keys_and_args(args)?;
    let sha = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    scripting::run(ctx, &sha, keys, argv, read_only)
}

pub fn keys_and_args(args: &[Bytes]) -> Result<(&[Bytes], &[Bytes]), CmdError> {
    let count = parse_int(&args[2]).ok_or(CmdError::NotInteger)?;
    if count < 0 {
        return Err(CmdError::err("Number of keys can't be negative"));
    }
    let rest = &args[3..];
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > rest.len() {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    Ok(rest.split_at(count))
}

/// Caches a script's body; a new one goes to the replicas too, so that EVALSHA finds it
/// there (a replica answers EVALSHA_RO and EVAL_RO for the router's readers).
fn cache(ctx: &mut Ctx, body: &Bytes) -> Result<String, CmdError> {
    let (sha, new) = ctx.engine.scripts.load(body)?;
    if new && !ctx.from_primary {
        ctx.propagate(vec![
            Bytes::from_static(b"SCRIPT"),
            Bytes::from_static(b"LOAD"),
            body.clone(),
        ]);
    }
    Ok(sha)
}

/// SCRIPT LOAD | EXISTS | FLUSH | KILL | HELP.
pub fn script(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = &args[1];
    let rest = &args[2..];
    if is(sub, "LOAD") && rest.len() == 1 {
        let sha = cache(ctx, &rest[0])?;
        return Ok(Reply::Bulk(Bytes::from(sha)));
    }
    if is(sub, "EXISTS") && !rest.is_empty() {
        let known = rest
            .iter()
            .map(|sha| Reply::Int(i64::from(ctx.engine.scripts.contains(sha))))
            .collect();
        return Ok(Reply::Array(known));
    }
    if is(sub, "FLUSH") && rest.len() <= 1 {
        if let Some(mode) = rest.first() {
            if !is(mode, "ASYNC") && !is(mode, "SYNC") {
                return Err(CmdError::err("SCRIPT FLUSH only support SYNC|ASYNC option"));
            }
        }
        ctx.engine.scripts.flush();
        if !ctx.from_primary {
            ctx.propagate(vec![
                Bytes::from_static(b"SCRIPT"),
                Bytes::from_static(b"FLUSH"),
            ]);
        }
        return Ok(Reply::Ok);
    }
    if is(sub, "KILL") && rest.is_empty() {
        // A script runs under the engine's lock, so no other command sees one running.
        return Err(CmdError::Line(
            "NOTBUSY No scripts in execution right now.".into(),
        ));
    }
    if is(sub, "HELP") && rest.is_empty() {
        return Ok(Reply::Array(
            [
                "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "EXISTS <sha1> [<sha1> ...]",
                "    Return information about the existence of the scripts in the script cache.",
                "FLUSH [ASYNC|SYNC]",
                "    Flush the Lua scripts cache. Very dangerous on replicas.",
                "KILL",
                "    Kill the currently executing Lua script.",
                "LOAD <script>",
                "    Load a script into the scripts cache without executing it.",
                "HELP",
                "    Prints this help.",
            ]
            .into_iter()
            .map(|line| Reply::Status(line.into()))
            .collect(),
        ));
    }
    let known = ["load", "exists", "flush", "kill", "help"];
    let name = String::from_utf8_lossy(sub).to_ascii_lowercase();
    if known.contains(&name.as_str()) {
        return Err(CmdError::err(format!(
            "wrong number of arguments for 'script|{name}' command"
        )));
    }
    Err(CmdError::err(format!(
        "unknown subcommand '{}'. Try SCRIPT HELP.",
        String::from_utf8_lossy(sub)
    )))
}
