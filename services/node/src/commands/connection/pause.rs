//! CLIENT PAUSE, UNPAUSE, REPLY, UNBLOCK and NO-EVICT, with Redis 7.0's texts.

use bytes::Bytes;
use rg_commands::{CommandId, CommandSpec, Flags};

use crate::commands::args::{self, is};
use crate::commands::ctx::{Ctx, ReplyMode, Response};
use crate::engine::error::CmdError;
use crate::engine::pause::PauseKind;
use crate::engine::reply::Reply;

/// CLIENT PAUSE timeout [WRITE | ALL]
pub fn pause(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let kind = match args.get(3) {
        None => PauseKind::All,
        Some(mode) if is(mode, "WRITE") => PauseKind::Write,
        Some(mode) if is(mode, "ALL") => PauseKind::All,
        Some(_) => return Err(CmdError::err("CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let timeout = args::parse_int(&args[2])
        .ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let until = ctx.now.saturating_add(timeout as u64);
    ctx.engine.pause.start(ctx.now, until, kind);
    Ok(Reply::Ok)
}

pub fn unpause(ctx: &mut Ctx) -> Result<Reply, CmdError> {
    ctx.engine.pause.end();
    Ok(Reply::Ok)
}

/// Whether this command must wait for a pause to end: every command under ALL, those
/// that may write or replicate under WRITE (EXEC by what it queued). Returns the wait.
pub fn postponed(ctx: &Ctx, spec: &CommandSpec) -> Option<Response> {
    let (kind, until) = ctx.engine.pause.active(ctx.now)?;
    if ctx.from_primary {
        return None;
    }
    let writes = |spec: &CommandSpec| {
        // Redis 7.0 marks these may_replicate although COMMAND INFO does not show it.
        let may_replicate = matches!(
            spec.id,
            CommandId::Publish
                | CommandId::Eval
                | CommandId::Evalsha
                | CommandId::Fcall
                | CommandId::Pfcount
        );
        may_replicate
            || spec.flags.contains(Flags::WRITE)
            || spec.flags.contains(Flags::MAY_REPLICATE)
    };
    let wait = match kind {
        PauseKind::All => true,
        PauseKind::Write if spec.id == CommandId::Exec => {
            let queued = ctx.session.transaction.iter().flat_map(|tx| &tx.queued);
            queued
                .filter_map(|args| rg_commands::lookup(&args[0]))
                .any(writes)
        }
        PauseKind::Write => writes(spec),
    };
    wait.then(|| Response::Paused {
        until,
        resumed: ctx.engine.pause.resumed(),
    })
}

/// CLIENT REPLY ON | OFF | SKIP. Only ON is answered; OFF and SKIP silence themselves.
pub fn reply(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let mode = &args[2];
    if is(mode, "ON") {
        ctx.session.reply = ReplyMode::On;
    } else if is(mode, "OFF") {
        ctx.session.reply = ReplyMode::Off;
    } else if is(mode, "SKIP") {
        if ctx.session.reply != ReplyMode::Off {
            ctx.session.reply = ReplyMode::SkipNext;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(Reply::Ok)
}

/// CLIENT UNBLOCK id [TIMEOUT | ERROR]: 1 if the client was blocked (BLPOP and friends,
/// WAIT) and now answers as on timeout or with an UNBLOCKED error, 0 otherwise.
pub fn unblock(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let error = match args.get(3) {
        None => false,
        Some(reason) if is(reason, "TIMEOUT") => false,
        Some(reason) if is(reason, "ERROR") => true,
        Some(_) => {
            return Err(CmdError::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let id = args::int(&args[2])? as u64;
    let blocking = &mut ctx.engine.blocking;
    let Some(waiter) = blocking.waiter_of(id).and_then(|w| blocking.unblock(w)) else {
        // WAIT answers what it has so far (TIMEOUT) or the error.
        let client = ctx.engine.clients.get_mut(id);
        let wait = client.and_then(|c| c.unblock_wait.take());
        let unblocked = wait.is_some_and(|w| w.send(error).is_ok());
        return Ok(Reply::Int(i64::from(unblocked)));
    };
    let answer = if error {
        Reply::Error(CmdError::Line(
            "UNBLOCKED client unblocked via CLIENT UNBLOCK".into(),
        ))
    } else {
        // What a timeout answers: a null array for every blocking pop and move in 7.0.
        Reply::NilArray
    };
    let _ = waiter.reply.send(answer);
    Ok(Reply::Int(1))
}

/// CLIENT NO-EVICT ON | OFF: accepted and shown in CLIENT LIST (no client is evicted).
pub fn no_evict(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let on = match args.get(2) {
        Some(v) if is(v, "ON") => true,
        Some(v) if is(v, "OFF") => false,
        _ => return Err(CmdError::Syntax),
    };
    if let Some(client) = ctx.engine.clients.get_mut(ctx.session.id) {
        client.no_evict = on;
    }
    Ok(Reply::Ok)
}
