//! MULTI / EXEC / DISCARD / WATCH / UNWATCH: https://redis.io/docs/interact/transactions/

use bytes::Bytes;

use super::ctx::{Ctx, Response, Session, Transaction};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::small_bytes::SmallBytes;
use crate::engine::Engine;

pub fn multi(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    if ctx.session.transaction.is_some() {
        return Err(CmdError::err("MULTI calls can not be nested"));
    }
    ctx.session.transaction = Some(Transaction::default());
    set_in_multi(ctx, true);
    Ok(Reply::Ok)
}

fn set_in_multi(ctx: &mut Ctx, in_multi: bool) {
    if let Some(client) = ctx.engine.clients.get_mut(ctx.session.id) {
        client.in_multi = in_multi;
    }
}

/// Runs the queued commands atomically, unless a watched key changed (null reply) or a
/// command failed to queue (EXECABORT).
pub fn exec(ctx: &mut Ctx, _args: &[Bytes]) -> Response {
    let Some(transaction) = ctx.session.transaction.take() else {
        return Reply::Error(CmdError::err("EXEC without MULTI")).into();
    };
    set_in_multi(ctx, false);
    let dirty = ctx.engine.dirty_watchers.contains(&ctx.session.id);
    unwatch_all(ctx.engine, ctx.session);
    if transaction.failed {
        return Reply::Error(CmdError::Line(
            "EXECABORT Transaction discarded because of previous errors.".into(),
        ))
        .into();
    }
    if dirty {
        return Reply::NilArray.into();
    }
    let records_before = ctx.engine.records.as_ref().map_or(0, Vec::len);
    ctx.in_exec = true;
    let replies = transaction
        .queued
        .iter()
        .map(|args| run_queued(ctx, args))
        .collect();
    ctx.in_exec = false;
    wrap_records(ctx, records_before);
    if ctx.engine.blocking.has_ready() {
        super::serve_blocked(ctx.engine, ctx.now);
    }
    Reply::Array(replies).into()
}

fn run_queued(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(spec) = rg_commands::lookup(&args[0]) else {
        return Reply::Error(crate::engine::error::unknown_command(&args[0], &args[1..]));
    };
    let spec = match super::subcommand(spec, args) {
        Ok(spec) => spec,
        Err(error) => return Reply::Error(error),
    };
    match super::run(ctx, spec, args) {
        Response::Reply(reply) | Response::Close(reply) => reply,
        // Blocking commands do not block inside EXEC, and SHUTDOWN cannot be queued.
        Response::Block { .. } | Response::Paused { .. } | Response::Shutdown => Reply::NilArray,
        // WAIT inside a transaction answers at once, as Redis does.
        Response::WaitAcks { target, .. } => {
            Reply::Int(ctx.engine.repl.replicas_at(&target) as i64)
        }
    }
}

/// Wraps the records of a transaction (or a script) in MULTI/EXEC so that replicas apply
/// them atomically.
pub fn wrap_records(ctx: &mut Ctx, before: usize) {
    let db = ctx.db();
    let Some(records) = ctx.engine.records.as_mut() else {
        return;
    };
    if records.len() - before < 2 {
        return;
    }
    let marker = |name: &'static [u8]| crate::engine::Record {
        db,
        args: vec![Bytes::from_static(name)],
    };
    records.insert(before, marker(b"MULTI"));
    records.push(marker(b"EXEC"));
}

pub fn discard(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    if ctx.session.transaction.take().is_none() {
        return Err(CmdError::err("DISCARD without MULTI"));
    }
    set_in_multi(ctx, false);
    unwatch_all(ctx.engine, ctx.session);
    Ok(Reply::Ok)
}

pub fn watch(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    if ctx.session.transaction.is_some() {
        return Err(CmdError::err("WATCH inside MULTI is not allowed"));
    }
    let (db, id) = (ctx.db(), ctx.session.id);
    for key in &args[1..] {
        let key = SmallBytes::new(key);
        if ctx
            .session
            .watching
            .iter()
            .any(|(d, k)| *d == db && *k == key)
        {
            continue;
        }
        let watchers = ctx.engine.dbs[db].watchers.entry(key.clone()).or_default();
        watchers.push(id);
        ctx.session.watching.push((db, key));
    }
    Ok(Reply::Ok)
}

pub fn unwatch(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    unwatch_all(ctx.engine, ctx.session);
    Ok(Reply::Ok)
}

/// Forgets every key the session watches (after EXEC, DISCARD, UNWATCH, RESET or a close).
pub fn unwatch_all(engine: &mut Engine, session: &mut Session) {
    for (db, key) in session.watching.drain(..) {
        let watchers = &mut engine.dbs[db].watchers;
        if let Some(clients) = watchers.get_mut(key.as_slice()) {
            clients.retain(|&c| c != session.id);
            if clients.is_empty() {
                watchers.remove(key.as_slice());
            }
        }
    }
    engine.dirty_watchers.remove(&session.id);
}
