//! Server commands: https://redis.io/commands/?group=server

use bytes::Bytes;
use rg_commands::{CommandSpec, Flags, COMMANDS, SUBCOMMANDS};

use super::args::{self, is};
use super::ctx::{Ctx, Response};
use super::info;
use crate::engine::error::{unknown_subcommand, CmdError};
use crate::engine::replication::Role;
use crate::engine::reply::Reply;
use crate::engine::settings::NAMES;
use crate::engine::{digest, expire, glob, memory};

/// COMMAND [COUNT | INFO name... | DOCS name... | LIST | GETKEYS cmd args...]
pub fn command(_ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let Some(sub) = args.get(1) else {
        return Ok(Reply::Array(COMMANDS.iter().map(command_info).collect()));
    };
    let selected = |names: &[Bytes]| -> Vec<Option<&'static CommandSpec>> {
        match names {
            [] => COMMANDS.iter().map(Some).collect(),
            names => names.iter().map(|n| lookup_any(n)).collect(),
        }
    };
    if is(sub, "COUNT") {
        return Ok(Reply::Int(COMMANDS.len() as i64));
    }
    if is(sub, "INFO") {
        let specs = selected(&args[2..]);
        return Ok(Reply::Array(
            specs
                .into_iter()
                .map(|s| s.map_or(Reply::NilArray, command_info))
                .collect(),
        ));
    }
    if is(sub, "DOCS") {
        let specs = selected(&args[2..]).into_iter().flatten();
        return Ok(Reply::Map(
            specs
                .map(|s| (Reply::bulk(s.name.as_bytes()), command_docs(s)))
                .collect(),
        ));
    }
    if is(sub, "LIST") {
        let names = COMMANDS
            .iter()
            .chain(SUBCOMMANDS)
            .map(|c| c.name.as_bytes());
        return Ok(Reply::bulks(names));
    }
    if is(sub, "GETKEYS") && args.len() > 2 {
        return getkeys(&args[2..]);
    }
    Err(unknown_subcommand(sub, "command"))
}

/// A command by name, or a subcommand by its full name (`config|get`).
fn lookup_any(name: &[u8]) -> Option<&'static CommandSpec> {
    match name.iter().position(|&b| b == b'|') {
        Some(bar) => {
            rg_commands::lookup_subcommand(rg_commands::lookup(&name[..bar])?, &name[bar + 1..])
        }
        None => rg_commands::lookup(name),
    }
}

/// One entry of COMMAND INFO, in Redis 7's ten-field shape (the last: the subcommands').
fn command_info(spec: &CommandSpec) -> Reply {
    let flags = spec.flags.names().map(Reply::Simple).collect();
    let categories = spec
        .acl_categories
        .iter()
        .map(|c| Reply::Status(c.to_string()))
        .collect();
    Reply::Array(vec![
        Reply::bulk(spec.name.as_bytes()),
        Reply::Int(i64::from(spec.arity)),
        Reply::Set(flags),
        Reply::Int(i64::from(spec.first_key)),
        Reply::Int(i64::from(spec.last_key)),
        Reply::Int(i64::from(spec.key_step)),
        Reply::Set(categories),
        Reply::Array(Vec::new()),
        Reply::Array(Vec::new()),
        Reply::Array(
            rg_commands::subcommands_of(spec)
                .map(command_info)
                .collect(),
        ),
    ])
}

fn command_docs(spec: &CommandSpec) -> Reply {
    let group = spec
        .acl_categories
        .iter()
        .find(|c| {
            !matches!(
                **c,
                "@read" | "@write" | "@fast" | "@slow" | "@admin" | "@dangerous"
            )
        })
        .map_or("generic", |c| c.trim_start_matches('@'));
    let text = |s: &str| Reply::bulk(s.as_bytes());
    Reply::Map(vec![
        (
            text("summary"),
            text(&format!("the {} command", spec.name.to_ascii_uppercase())),
        ),
        (text("since"), text("1.0.0")),
        (text("group"), text(group)),
    ])
}

/// COMMAND GETKEYS, with Redis's checks in Redis's order.
fn getkeys(command: &[Bytes]) -> Result<Reply, CmdError> {
    let spec = rg_commands::lookup(&command[0])
        .ok_or_else(|| CmdError::err("Invalid command specified"))?;
    let spec = super::subcommand(spec, command).unwrap_or(spec);
    let movable = spec.flags.contains(Flags::MOVABLEKEYS);
    if spec.first_key == 0 && !movable {
        return Err(CmdError::err("The command has no key arguments"));
    }
    if !spec.arity_ok(command.len()) {
        return Err(CmdError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let keys: Vec<Reply> = rg_commands::key_indexes(spec, command)
        .into_iter()
        .map(|i| Reply::Bulk(command[i].clone()))
        .collect();
    if keys.is_empty() && !spec.flags.contains(Flags::NO_MANDATORY_KEYS) {
        return Err(CmdError::err("Invalid arguments specified for command"));
    }
    Ok(Reply::Array(keys))
}

/// CONFIG GET pattern... | SET name value... | RESETSTAT | REWRITE | HELP
pub fn config(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = &args[1];
    if is(sub, "GET") && args.len() >= 3 {
        let settings = &ctx.engine.settings;
        let pairs = NAMES
            .iter()
            .filter(|name| {
                args[2..]
                    .iter()
                    .any(|p| glob::matches(&p.to_ascii_lowercase(), name.as_bytes()))
            })
            .filter_map(|name| {
                settings
                    .get(name)
                    .map(|v| (Reply::bulk(name.as_bytes()), Reply::bulk(v.as_bytes())))
            })
            .collect();
        return Ok(Reply::Map(pairs));
    }
    if is(sub, "SET") && args.len() >= 4 && args.len().is_multiple_of(2) {
        return config_set(ctx, &args[2..]);
    }
    if is(sub, "RESETSTAT") && args.len() == 2 {
        ctx.engine.stats = Default::default();
        return Ok(Reply::Ok);
    }
    if is(sub, "REWRITE") {
        return Err(CmdError::err("rg-node takes its configuration from file, environment and flags; CONFIG REWRITE is not supported"));
    }
    if is(sub, "HELP") {
        let lines = [
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "SET <directive> <value>",
            "RESETSTAT",
        ];
        return Ok(Reply::help(&lines));
    }
    Err(unknown_subcommand(sub, "config"))
}

/// Applies every pair or none, as Redis 7 does.
fn config_set(ctx: &mut Ctx, pairs: &[Bytes]) -> Result<Reply, CmdError> {
    let mut updated = ctx.engine.settings.clone();
    for pair in pairs.chunks_exact(2) {
        let name = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
        let value = String::from_utf8_lossy(&pair[1]);
        if !NAMES.contains(&name.as_str()) {
            return Err(CmdError::err(format!(
                "Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        }
        updated.set(&name, &value).map_err(|reason| {
            CmdError::err(format!(
                "CONFIG SET failed (possibly related to argument '{name}') - {reason}"
            ))
        })?;
    }
    ctx.engine.settings = updated;
    if ctx.engine.settings.requirepass.is_none() {
        ctx.session.authenticated = true;
    }
    Ok(Reply::Ok)
}

pub fn info(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    // As ROLE: a router asks `INFO replication` right after a client's writes, and the
    // position it reads must cover them. (Inside EXEC the transaction's records are
    // still being wrapped; they enter the stream at its end.)
    if !ctx.in_exec {
        crate::engine::replication::capture(ctx.engine);
    }
    Ok(Reply::Text(info::render(ctx.engine, &args[1..], ctx.now)))
}

pub fn time(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let _ = ctx;
    Ok(Reply::Array(vec![
        Reply::Bulk(Bytes::from(now.as_secs().to_string())),
        Reply::Bulk(Bytes::from(now.subsec_micros().to_string())),
    ]))
}

/// DEBUG DIGEST | DIGEST-VALUE key... | SET-ACTIVE-EXPIRE 0|1 | SLEEP seconds | HELP
pub fn debug(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = &args[1];
    if is(sub, "DIGEST") && args.len() == 2 {
        return Ok(Reply::Status(digest::dataset(ctx.engine)));
    }
    if is(sub, "DIGEST-VALUE") {
        let digests = args[2..]
            .iter()
            .map(|key| {
                let entry = ctx.find(key).map(|slot| ctx.keys().entry(slot));
                Reply::Status(digest::value(entry))
            })
            .collect();
        return Ok(Reply::Array(digests));
    }
    if is(sub, "ACTIVE-EXPIRE-CYCLE") {
        let deleted =
            expire::active_cycle(ctx.engine, ctx.now, std::time::Duration::from_millis(25));
        return Ok(Reply::Int(deleted as i64));
    }
    if is(sub, "HELP") {
        let lines = [
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DIGEST",
            "DIGEST-VALUE <key> [<key> ...]",
            "ACTIVE-EXPIRE-CYCLE",
        ];
        return Ok(Reply::help(&lines));
    }
    Err(unknown_subcommand(sub, "debug"))
}

/// MEMORY USAGE key | STATS | HELP
pub fn memory(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = &args[1];
    if is(sub, "USAGE") && args.len() >= 3 {
        let Some(slot) = ctx.find(&args[2]) else {
            return Ok(Reply::Nil);
        };
        let entry = ctx.keys().entry(slot);
        return Ok(Reply::Int(info::entry_size(entry) as i64));
    }
    if is(sub, "STATS") {
        let text = |s: &str| Reply::bulk(s.as_bytes());
        return Ok(Reply::Map(vec![
            (text("total.allocated"), Reply::Int(memory::used() as i64)),
            (
                text("keys.count"),
                Reply::Int(ctx.engine.key_count() as i64),
            ),
        ]));
    }
    if is(sub, "MALLOC-STATS") {
        // Redis's answer for an allocator other than jemalloc (rg-node uses mimalloc).
        return Ok(Reply::Text(
            "Stats not supported for the current allocator".into(),
        ));
    }
    if is(sub, "PURGE") {
        return Ok(Reply::Ok);
    }
    if is(sub, "HELP") {
        let lines = [
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "MALLOC-STATS",
            "PURGE",
            "STATS",
            "USAGE <key>",
        ];
        return Ok(Reply::help(&lines));
    }
    Err(unknown_subcommand(sub, "memory"))
}

/// MODULE LIST | HELP answer as a server with no modules loaded; LOAD and friends refuse:
/// rg-node runs no native extensions.
pub fn module(_ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = &args[1];
    if is(sub, "LIST") && args.len() == 2 {
        return Ok(Reply::Array(Vec::new()));
    }
    if is(sub, "LOAD") || is(sub, "LOADEX") {
        return Err(CmdError::err(
            "Error loading the extension: rg-node does not load modules",
        ));
    }
    if is(sub, "UNLOAD") && args.len() == 3 {
        return Err(CmdError::err(
            "Error unloading module: no such module with that name",
        ));
    }
    if is(sub, "HELP") {
        let lines = [
            "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LIST",
            "    Return a list of loaded modules (rg-node loads none).",
        ];
        return Ok(Reply::help(&lines));
    }
    Err(unknown_subcommand(sub, "module"))
}

pub fn lastsave(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(Reply::Int((ctx.engine.started_at / 1000) as i64))
}

/// ROLE, as Redis answers it: `master offset [[ip port offset]...]` or
/// `slave host port state offset`.
pub fn role(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    // Writes earlier in this batch count: a router reads this offset right after a
    // client's writes, to know when a replica has them (read-your-writes).
    if !ctx.in_exec {
        crate::engine::replication::capture(ctx.engine);
    }
    let repl = &ctx.engine.repl;
    let offset = Reply::Int(repl.offset().0 as i64);
    match repl.role() {
        Role::Primary => {
            let replicas = repl
                .replicas()
                .map(|r| {
                    let (host, port) = split_address(r.address());
                    Reply::Array(vec![
                        Reply::bulk(host.as_bytes()),
                        Reply::bulk(port.as_bytes()),
                        Reply::bulk(r.offset().0.to_string().as_bytes()),
                    ])
                })
                .collect();
            Ok(Reply::Array(vec![
                Reply::bulk(b"master"),
                offset,
                Reply::Array(replicas),
            ]))
        }
        Role::Replica { primary, link_up } => {
            let address = repl.peers().get(primary).map_or("", String::as_str);
            let (host, port) = split_address(address);
            let state = if *link_up { "connected" } else { "connect" };
            Ok(Reply::Array(vec![
                Reply::bulk(b"slave"),
                Reply::bulk(host.as_bytes()),
                Reply::Int(port.parse().unwrap_or(0)),
                Reply::bulk(state.as_bytes()),
                offset,
            ]))
        }
    }
}

pub fn split_address(address: &str) -> (&str, &str) {
    address.rsplit_once(':').unwrap_or((address, "0"))
}

/// REPLICAOF NO ONE | REPLICAOF host port, where host:port is the announced address of
/// another node of this group.
pub fn replicaof(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let now = ctx.now;
    let repl = &mut ctx.engine.repl;
    if !repl.is_enabled() {
        return Err(CmdError::err(
            "replication needs the bus: start rg-node with --nats-url",
        ));
    }
    if is(&args[1], "NO") && is(&args[2], "ONE") {
        repl.promote();
        return Ok(Reply::Ok);
    }
    let port = args::int(&args[2]).map_err(|_| CmdError::err("Invalid master port"))?;
    let address = format!("{}:{port}", String::from_utf8_lossy(&args[1]));
    if address == repl.address() {
        return Err(CmdError::err("can't replicate myself"));
    }
    let Some(node) = repl
        .peers()
        .iter()
        .find(|(_, a)| **a == address)
        .map(|(n, _)| n.clone())
    else {
        let known: Vec<String> = repl.peers().values().cloned().collect();
        return Err(CmdError::err(format!(
            "{address} is not the address of a node of this group (known: {})",
            known.join(", ")
        )));
    };
    if repl.follows(&node) {
        return Ok(Reply::Status(
            "OK Already connected to specified master".into(),
        ));
    }
    repl.follow(node, now);
    Ok(Reply::Ok)
}

/// WAIT numreplicas timeout: a standalone node has no replica to wait for.
/// WAIT numreplicas timeout: https://redis.io/commands/wait/
pub fn wait(ctx: &mut Ctx, args: &[Bytes]) -> Result<Response, CmdError> {
    let needed = args::int(&args[1])?;
    let timeout = args::non_negative(&args[2], "timeout is negative")?;
    if ctx.engine.repl.is_replica() {
        return Err(CmdError::err(
            "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 \
             if a replica is configured to be writable (which is not the default) writes to \
             replicas are just local and are not propagated.",
        ));
    }
    // Writes earlier in this batch are not in the stream yet: put them there first, so
    // the target covers them. As in Redis, the target is this connection's last write,
    // not every write so far (the router answers WAIT itself, from the replicas' acks).
    if crate::engine::replication::capture(ctx.engine) {
        ctx.session.write_position = Some(ctx.engine.repl.position());
    }
    // No write yet: every replica of the current history counts, as offset 0 in Redis.
    let target = ctx.session.write_position.clone().unwrap_or_else(|| {
        rg_proto::Position::new(ctx.engine.repl.repl_id().clone(), rg_proto::Offset(0))
    });
    let acked = ctx.engine.repl.replicas_at(&target);
    let needed = usize::try_from(needed).unwrap_or(0);
    if acked >= needed || ctx.in_exec {
        return Ok(Reply::Int(acked as i64).into());
    }
    let deadline = (timeout > 0).then(|| ctx.now + timeout);
    Ok(Response::WaitAcks {
        target,
        needed,
        deadline,
    })
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
pub fn shutdown(_ctx: &mut Ctx, args: &[Bytes]) -> Response {
    let known = ["NOSAVE", "SAVE", "NOW", "FORCE"];
    if args[1..].iter().any(|a| is(a, "ABORT")) {
        return Reply::Error(CmdError::err("No shutdown in progress.")).into();
    }
    if args[1..].iter().any(|a| !known.iter().any(|k| is(a, k))) {
        return Reply::Error(CmdError::Syntax).into();
    }
    Response::Shutdown
}
