//! MONITOR, and feeding every command run to the clients in that mode.

use bytes::Bytes;
use rg_commands::{CommandId, CommandSpec, Flags};

use super::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::monitor;
use crate::engine::reply::Reply;

pub fn monitor(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    if ctx.in_exec {
        return Err(CmdError::err(
            "MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    let tx = ctx.session.push.clone();
    ctx.engine.monitors.add(ctx.session.id, tx);
    Ok(Reply::Ok)
}

/// Whether MONITOR shows a command before it runs rather than after: scripts, so that
/// their line comes before those of the commands they call, as in Redis.
pub fn shown_first(spec: &CommandSpec) -> bool {
    spec.flags.contains(Flags::SKIP_MONITOR)
}

/// Shows a command to the monitors: not the admin commands (too dangerous to show), and
/// with passwords redacted.
pub fn feed(ctx: &mut Ctx, spec: &CommandSpec, args: &[Bytes]) {
    if spec.flags.contains(Flags::ADMIN) {
        return;
    }
    let source = if ctx.engine.scripts.running.is_running() {
        "lua".to_string()
    } else {
        match ctx.engine.clients.get(ctx.session.id) {
            Some(client) => client.addr.to_string(),
            None => return,
        }
    };
    let line = monitor::line(ctx.session.db, &source, &redacted(spec, args));
    for client in ctx.engine.monitors.feed(line) {
        tracing::warn!(client, "disconnecting a monitor that cannot keep up");
        ctx.engine.clients.kill(client);
    }
}

fn redacted(spec: &CommandSpec, args: &[Bytes]) -> Vec<Bytes> {
    const HIDDEN: Bytes = Bytes::from_static(b"(redacted)");
    let mut shown = args.to_vec();
    match spec.id {
        CommandId::Auth => shown[1..].fill(HIDDEN),
        CommandId::Hello => {
            if let Some(at) = shown.iter().position(|a| a.eq_ignore_ascii_case(b"AUTH")) {
                for arg in shown.iter_mut().skip(at + 1).take(2) {
                    *arg = HIDDEN;
                }
            }
        }
        _ => {}
    }
    shown
}
