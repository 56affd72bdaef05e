//! What `run` records about each command it ran, and `process` about each it refused:
//! per-command counts and latency (INFO commandstats / latencystats), error codes (INFO
//! errorstats), the slow log and latency events, as Redis's `call()` records them.

use bytes::Bytes;
use rg_commands::CommandId::{Eval, EvalRo, Evalsha, EvalshaRo, Fcall, FcallRo};
use rg_commands::{CommandSpec, Flags};

use super::ctx::{Ctx, Response};
use crate::engine::error::CmdError;
use crate::engine::observed::slowlog;
use crate::engine::reply::Reply;

/// Redis's full name of what ran: `get`, or `config|get` for a known subcommand (whose
/// statistics Redis keeps apart), from the command table.
pub fn full_name<'a>(spec: &'a CommandSpec, args: &[Bytes]) -> &'a str {
    let sub = args
        .get(1)
        .and_then(|name| rg_commands::lookup_subcommand(spec, name));
    sub.map_or(spec.name, |sub| sub.name)
}

/// A command refused before it ran (arity, authentication, memory, subscribe mode...).
pub fn rejected(ctx: &mut Ctx, args: &[Bytes], error: &CmdError) {
    let observed = &mut ctx.engine.observed;
    observed.error_reply(&error.line());
    if let Some(spec) = args.first().and_then(|name| rg_commands::lookup(name)) {
        observed.rejected(full_name(spec, args));
    }
}

/// A command ran for `usec` microseconds and answered `response`.
pub fn ran(ctx: &mut Ctx, spec: &CommandSpec, args: &[Bytes], response: &Response, usec: u64) {
    let error = match response {
        Response::Reply(Reply::Error(error)) => Some(error.line()),
        _ => None,
    };
    let tracking = ctx.engine.settings.latency_tracking;
    let observed = &mut ctx.engine.observed;
    let from_call = match spec.id {
        Eval | EvalRo | Evalsha | EvalshaRo | Fcall | FcallRo => observed.script_call_error.take(),
        _ => None,
    };
    if let Some(line) = &error {
        // A script failing with the error one of its commands got counts it once.
        let counted = from_call.is_some_and(|inner| line.starts_with(inner.as_str()));
        if !counted {
            observed.error_reply(line);
        }
    }
    // An unknown subcommand never found a command to count against, as in Redis.
    let unknown = error
        .as_ref()
        .is_some_and(|l| l.starts_with("ERR unknown subcommand"));
    if !unknown {
        observed.ran(full_name(spec, args), usec, error.is_some(), tracking);
    }
    slow_log(ctx, spec, args, usec);
    latency_event(ctx, spec, usec);
}

fn slow_log(ctx: &mut Ctx, spec: &CommandSpec, args: &[Bytes], usec: u64) {
    let threshold = ctx.engine.settings.slowlog_log_slower_than;
    if threshold < 0 || usec < threshold as u64 || spec.flags.contains(Flags::SKIP_SLOWLOG) {
        return;
    }
    let (client_addr, client_name) = match ctx.engine.clients.get(ctx.session.id) {
        Some(client) => (
            client.addr.to_string(),
            client.name.clone().unwrap_or_default(),
        ),
        None => (String::new(), Bytes::new()),
    };
    let entry = slowlog::Entry {
        id: 0,
        time: ctx.now / 1000,
        usec,
        args: args.to_vec(),
        client_addr,
        client_name,
    };
    let max_len = ctx.engine.settings.slowlog_max_len as usize;
    ctx.engine.observed.slowlog.push(entry, max_len);
}

fn latency_event(ctx: &mut Ctx, spec: &CommandSpec, usec: u64) {
    let threshold = ctx.engine.settings.latency_monitor_threshold;
    let ms = usec / 1000;
    if threshold == 0 || ms < threshold {
        return;
    }
    let event = if spec.flags.contains(Flags::FAST) {
        "fast-command"
    } else {
        "command"
    };
    ctx.engine.observed.latency.add(event, ctx.now / 1000, ms);
}
