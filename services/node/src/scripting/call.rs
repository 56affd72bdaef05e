//! What `redis.call` and `redis.pcall` run: a command from a script, with the checks Redis makes
//! there and its error texts, run like a command of a transaction (nothing blocks, blocked
//! clients are served after the script).

use bytes::Bytes;
use mlua::{Lua, MultiValue, Value};
use rg_commands::Flags;
use rg_resp::encode::format_double;

use super::convert;
use crate::commands::{self, Ctx, Response};
use crate::engine::error::CmdError;
use crate::engine::evict;
use crate::engine::reply::Reply;

/// What a run allows its commands.
#[derive(Debug, Clone, Copy)]
pub struct Permissions {
    /// EVAL_RO, FCALL_RO, or a script flagged `no-writes`.
    pub read_only: bool,
}

/// Runs one command for a script: its reply as a Lua value, and whether it is an error
/// (which redis.call raises and redis.pcall returns).
pub fn command(
    lua: &Lua,
    ctx: &mut Ctx,
    permissions: Permissions,
    resp3: bool,
    args: MultiValue,
) -> mlua::Result<(Value, bool)> {
    let reply = match arguments(lua, args).and_then(|args| run(ctx, permissions, &args)) {
        Ok(reply) => reply,
        Err(error) => Reply::Error(error),
    };
    let failed = matches!(reply, Reply::Error(_));
    Ok((convert::to_lua(lua, &reply, resp3)?, failed))
}

/// The command's words: strings as they are, numbers as `%.17g` writes them (as Redis does:
/// Lua's own `%.14g` would lose digits of large integers).
fn arguments(lua: &Lua, args: MultiValue) -> Result<Vec<Bytes>, CmdError> {
    if args.is_empty() {
        return Err(CmdError::err(
            "Please specify at least one argument for this redis lib call",
        ));
    }
    args.into_iter()
        .map(|arg| match arg {
            Value::Integer(n) => Some(Bytes::from(format_double(n as f64))),
            Value::Number(n) => Some(Bytes::from(format_double(n))),
            Value::String(_) => lua
                .coerce_string(arg)
                .ok()
                .flatten()
                .map(|text| Bytes::copy_from_slice(&text.as_bytes())),
            _ => None,
        })
        .collect::<Option<Vec<Bytes>>>()
        .ok_or_else(|| CmdError::err("Lua redis lib command arguments must be strings or integers"))
}

fn run(ctx: &mut Ctx, permissions: Permissions, args: &[Bytes]) -> Result<Reply, CmdError> {
    let spec = rg_commands::lookup(&args[0])
        .ok_or_else(|| CmdError::err("Unknown Redis command called from script"))?;
    let arity_error = || CmdError::err("Wrong number of args calling Redis command from script");
    if !spec.arity_ok(args.len()) {
        return Err(arity_error());
    }
    let spec = commands::subcommand(spec, args).map_err(|_| arity_error())?;
    if spec.flags.contains(Flags::NOSCRIPT) {
        return Err(CmdError::err(
            "This Redis command is not allowed from script",
        ));
    }
    if spec.is_write() {
        if permissions.read_only {
            return Err(CmdError::err(
                "Write commands are not allowed from read-only scripts.",
            ));
        }
        if let Some(refusal) = commands::write_refusal(ctx) {
            return Err(refusal);
        }
    }
    if spec.flags.contains(Flags::DENYOOM)
        && ctx.engine.settings.maxmemory > 0
        && !ctx.engine.repl.is_replica()
    {
        evict::make_room(ctx.engine, ctx.now)?;
    }
    let reply = match commands::run(ctx, spec, args) {
        Response::Reply(reply) | Response::Close(reply) => reply,
        // As inside EXEC: nothing blocks, and WAIT answers at once.
        Response::Block { .. } | Response::Paused { .. } | Response::Shutdown => Reply::NilArray,
        Response::WaitAcks { target, .. } => {
            Reply::Int(ctx.engine.repl.replicas_at(&target) as i64)
        }
    };
    if let Reply::Error(error) = &reply {
        ctx.engine.observed.script_call_error = Some(error.line().into_owned());
    } else if spec.is_write() {
        ctx.engine.scripts.running.note_write();
    }
    Ok(reply)
}
