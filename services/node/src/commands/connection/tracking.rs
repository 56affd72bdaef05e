//! CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO
//! (<https://redis.io/commands/client-tracking/>), with Redis 7.0's checks and texts
//! (networking.c, tracking.c). The table itself is `engine::tracking`.

use std::collections::BTreeSet;

use bytes::Bytes;
use rg_commands::{CommandId, CommandSpec, Flags};

use crate::commands::args::{self, is};
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::tracking::Mode;
use crate::engine::Engine;

/// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN] [OPTOUT] [NOLOOP]
pub fn tracking(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (mut mode, given) = parse(ctx, &args[3..])?;
    let id = ctx.session.id;
    let Engine {
        tracking, clients, ..
    } = &mut *ctx.engine;
    if is(&args[2], "OFF") {
        tracking.disable(clients, id);
        return Ok(Reply::Ok);
    }
    if !is(&args[2], "ON") {
        return Err(CmdError::Syntax);
    }
    if !mode.bcast && !given.is_empty() {
        return Err(CmdError::err(
            "PREFIX option requires BCAST mode to be enabled",
        ));
    }
    let current = clients.get(id).and_then(|c| c.tracking.as_ref());
    check_compatible(&mode, current)?;
    if mode.bcast {
        check_prefixes(&given, current.map(|m| &m.prefixes))?;
    }
    mode.prefixes = given.into_iter().collect();
    tracking.enable(clients, id, mode);
    Ok(Reply::Ok)
}

/// The options, and the prefixes in the order given.
fn parse(ctx: &Ctx, options: &[Bytes]) -> Result<(Mode, Vec<Bytes>), CmdError> {
    let mut mode = Mode::default();
    let mut given = Vec::new();
    let mut i = 0;
    while i < options.len() {
        let (option, next) = (&options[i], options.get(i + 1));
        match next {
            Some(id) if is(option, "REDIRECT") => {
                if mode.redirect != 0 {
                    return Err(CmdError::err(
                        "A client can only redirect to a single other client",
                    ));
                }
                let target = args::int(id)?;
                if ctx.engine.clients.get(target as u64).is_none() || target <= 0 {
                    return Err(CmdError::err(
                        "The client ID you want redirect to does not exist",
                    ));
                }
                mode.redirect = target as u64;
                i += 1;
            }
            Some(prefix) if is(option, "PREFIX") => {
                given.push(prefix.clone());
                i += 1;
            }
            _ if is(option, "BCAST") => mode.bcast = true,
            _ if is(option, "OPTIN") => mode.optin = true,
            _ if is(option, "OPTOUT") => mode.optout = true,
            _ if is(option, "NOLOOP") => mode.noloop = true,
            _ => return Err(CmdError::Syntax),
        }
        i += 1;
    }
    Ok((mode, given))
}

/// Redis checks these only for ON, after parsing, in this order.
fn check_compatible(mode: &Mode, current: Option<&Mode>) -> Result<(), CmdError> {
    if current.is_some_and(|c| c.bcast != mode.bcast) {
        return Err(CmdError::err(
            "You can't switch BCAST mode on/off before disabling tracking for this client, \
             and then re-enabling it with a different mode.",
        ));
    }
    if mode.bcast && (mode.optin || mode.optout) {
        return Err(CmdError::err(
            "OPTIN and OPTOUT are not compatible with BCAST",
        ));
    }
    if mode.optin && mode.optout {
        return Err(CmdError::err(
            "You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    let switched = current.is_some_and(|c| (mode.optin && c.optout) || (mode.optout && c.optin));
    if switched {
        return Err(CmdError::err(
            "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, \
             and then re-enabling it with a different mode.",
        ));
    }
    Ok(())
}

/// Two prefixes overlap when one starts the other: a key under both would be announced
/// twice (checkPrefixCollisionsOrReply).
fn check_prefixes(given: &[Bytes], existing: Option<&BTreeSet<Bytes>>) -> Result<(), CmdError> {
    let overlaps = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    for (i, prefix) in given.iter().enumerate() {
        if let Some(old) = existing.and_then(|e| e.iter().find(|old| overlaps(old, prefix))) {
            return Err(CmdError::err(format!(
                "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single \
                 client must not overlap.",
                text(prefix),
                text(old)
            )));
        }
        if let Some(other) = given[i + 1..].iter().find(|o| overlaps(o, prefix)) {
            return Err(CmdError::err(format!(
                "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a \
                 single client must not overlap.",
                text(prefix),
                text(other)
            )));
        }
    }
    Ok(())
}

/// CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT).
pub fn caching(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let client = ctx.engine.clients.get_mut(ctx.session.id);
    let Some(mode) = client.and_then(|c| c.tracking.as_mut()) else {
        return Err(CmdError::err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN \
             or OPTOUT mode enabled",
        ));
    };
    let choice = &args[2];
    if is(choice, "YES") {
        if !mode.optin {
            return Err(CmdError::err(
                "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if is(choice, "NO") {
        if !mode.optout {
            return Err(CmdError::err(
                "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    mode.caching = true;
    Ok(Reply::Ok)
}

/// CLIENT GETREDIR: the redirect id, 0 for none, -1 when tracking is off.
pub fn getredir(ctx: &mut Ctx) -> Result<Reply, CmdError> {
    let client = ctx.engine.clients.get(ctx.session.id);
    let mode = client.and_then(|c| c.tracking.as_ref());
    Ok(Reply::Int(mode.map_or(-1, |m| m.redirect as i64)))
}

/// CLIENT TRACKINGINFO: flags (a set), redirect, prefixes.
pub fn trackinginfo(ctx: &mut Ctx) -> Result<Reply, CmdError> {
    let client = ctx.engine.clients.get(ctx.session.id);
    let mode = client.and_then(|c| c.tracking.as_ref());
    let mut flags = vec![if mode.is_some() { "on" } else { "off" }];
    if let Some(m) = mode {
        let named = [
            (m.bcast, "bcast"),
            (m.optin, "optin"),
            (m.optin && m.caching, "caching-yes"),
            (m.optout, "optout"),
            (m.optout && m.caching, "caching-no"),
            (m.noloop, "noloop"),
            (m.broken_redirect.get(), "broken_redirect"),
        ];
        flags.extend(named.iter().filter(|(on, _)| *on).map(|(_, name)| *name));
    }
    let prefixes = mode.map_or(Vec::new(), |m| {
        m.prefixes.iter().cloned().map(Reply::Bulk).collect()
    });
    Ok(Reply::Map(vec![
        (
            Reply::bulk(b"flags"),
            Reply::Set(flags.iter().map(|f| Reply::bulk(f.as_bytes())).collect()),
        ),
        (
            Reply::bulk(b"redirect"),
            Reply::Int(mode.map_or(-1, |m| m.redirect as i64)),
        ),
        (Reply::bulk(b"prefixes"), Reply::Array(prefixes)),
    ]))
}

/// After a command: remembers the keys a tracking client read (trackingRememberKeys). A
/// script's own commands are not tracked by their keys: Redis 7.0 tracks the keys the
/// script declared, once it ran a read (`script_read`).
pub fn after_command(ctx: &mut Ctx, spec: &CommandSpec, args: &[Bytes], script_read: bool) {
    if let Some(read) = ctx.engine.current.script_read.as_mut() {
        *read |= spec.flags.contains(Flags::READONLY);
        return;
    }
    let id = ctx.session.id;
    let Some(mode) = ctx
        .engine
        .clients
        .get_mut(id)
        .and_then(|c| c.tracking.as_mut())
    else {
        return;
    };
    let read = script_read
        || (spec.flags.contains(Flags::READONLY)
            && !spec.flags.contains(Flags::PUBSUB)
            && !matches!(
                spec.id,
                CommandId::EvalRo | CommandId::EvalshaRo | CommandId::FcallRo
            ));
    let tracked =
        read && !mode.bcast && !((mode.optin && !mode.caching) || (mode.optout && mode.caching));
    if tracked {
        let keys = rg_commands::key_indexes(spec, args);
        ctx.engine
            .tracking
            .remember(id, keys.into_iter().map(|i| &args[i]));
        let max = ctx.engine.settings.tracking_table_max_keys;
        ctx.engine.tracking.limit(&ctx.engine.clients, max);
    }
}

/// EVAL, EVALSHA, FCALL and their read-only forms.
pub fn is_script(spec: &CommandSpec) -> bool {
    use CommandId::*;
    matches!(
        spec.id,
        Eval | Evalsha | EvalRo | EvalshaRo | Fcall | FcallRo
    )
}

/// After a top-level command: sends what BCAST clients are owed, and lets CLIENT CACHING
/// lapse unless the command was CLIENT or is queued in MULTI.
pub fn end_of_command(ctx: &mut Ctx, spec: &CommandSpec) {
    if !ctx.engine.tracking.is_idle() {
        let Engine {
            tracking, clients, ..
        } = &mut *ctx.engine;
        tracking.broadcast(clients);
    }
    let tracking = ctx.engine.tracking.client_count() > 0;
    if !tracking || spec.id == CommandId::Client || ctx.session.transaction.is_some() {
        return;
    }
    let client = ctx.engine.clients.get_mut(ctx.session.id);
    if let Some(mode) = client.and_then(|c| c.tracking.as_mut()) {
        mode.caching = false;
    }
}
