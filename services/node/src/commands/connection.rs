//! Connection commands: https://redis.io/commands/?group=connection

mod pause;
mod tracking;

use bytes::Bytes;
use rg_resp::Protocol;

use super::args::{self, is};
use super::ctx::Ctx;
use super::pubsub::unsubscribe_all;
use super::transaction::unwatch_all;
use crate::engine::clients::ClientId;
use crate::engine::error::{unknown_subcommand, CmdError};
use crate::engine::reply::Reply;
use crate::engine::Engine;

pub(super) use self::pause::postponed;
pub(super) use self::tracking::{after_command as remember_read_keys, end_of_command, is_script};

/// The version rg-node reports to clients: the Redis release whose behaviour it follows.
pub const REDIS_VERSION: &str = "7.0.15";

pub fn ping(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    if args.len() > 2 {
        return Err(CmdError::WrongArity("ping".into()));
    }
    let message = args.get(1);
    if ctx.session.in_subscribe_mode() {
        let payload = message.map_or(Reply::bulk(b""), |m| Reply::Bulk(m.clone()));
        return Ok(Reply::Array(vec![Reply::bulk(b"pong"), payload]));
    }
    Ok(message.map_or(Reply::Simple("PONG"), |m| Reply::Bulk(m.clone())))
}

pub fn echo(_ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(Reply::Bulk(args[1].clone()))
}

/// Puts the connection back as it was when it connected.
pub fn reset(ctx: &mut Ctx, _args: &[Bytes]) -> Result<Reply, CmdError> {
    ctx.session.transaction = None;
    unwatch_all(ctx.engine, ctx.session);
    unsubscribe_all(ctx);
    ctx.engine.monitors.remove(ctx.session.id);
    ctx.session.db = 0;
    ctx.session.protocol = Protocol::Resp2;
    ctx.session.authenticated = ctx.engine.settings.requirepass.is_none();
    ctx.session.reply = super::ctx::ReplyMode::On;
    let id = ctx.session.id;
    let Engine {
        tracking, clients, ..
    } = &mut *ctx.engine;
    tracking.disable(clients, id);
    if let Some(client) = clients.get_mut(id) {
        client.db = 0;
        client.name = None;
        client.protocol = 2;
        client.in_multi = false;
        client.no_evict = false;
    }
    Ok(Reply::Simple("RESET"))
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub fn hello(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let mut protocol = ctx.session.protocol;
    if let Some(version) = args.get(1) {
        protocol = match args::parse_int(version) {
            Some(2) => Protocol::Resp2,
            Some(3) => Protocol::Resp3,
            Some(_) => {
                return Err(CmdError::Line(
                    "NOPROTO unsupported protocol version".into(),
                ))
            }
            None => {
                return Err(CmdError::err(
                    "Protocol version is not an integer or out of range",
                ))
            }
        };
    }
    let mut name = None;
    let mut i = 2;
    while i < args.len() {
        let remaining = args.len() - i - 1;
        if is(&args[i], "AUTH") && remaining >= 2 {
            check_password(ctx, Some(&args[i + 1]), &args[i + 2])?;
            i += 3;
        } else if is(&args[i], "SETNAME") && remaining >= 1 {
            name = Some(valid_name(&args[i + 1])?);
            i += 2;
        } else {
            return Err(CmdError::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&args[i])
            )));
        }
    }
    if ctx.engine.settings.requirepass.is_some() && !ctx.session.authenticated {
        return Err(CmdError::Line(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time"
                .into(),
        ));
    }
    ctx.session.protocol = protocol;
    let id = ctx.session.id;
    if let Some(client) = ctx.engine.clients.get_mut(id) {
        client.protocol = if protocol == Protocol::Resp3 { 3 } else { 2 };
        if name.is_some() {
            client.name = name;
        }
    }
    Ok(hello_reply(id, protocol))
}

fn hello_reply(id: ClientId, protocol: Protocol) -> Reply {
    let text = |s: &str| Reply::bulk(s.as_bytes());
    Reply::Map(vec![
        (text("server"), text("redis")),
        (text("version"), text(REDIS_VERSION)),
        (
            text("proto"),
            Reply::Int(if protocol == Protocol::Resp3 { 3 } else { 2 }),
        ),
        (text("id"), Reply::Int(id as i64)),
        (text("mode"), text("standalone")),
        (text("role"), text("master")),
        (text("modules"), Reply::Array(Vec::new())),
    ])
}

/// AUTH [username] password
pub fn auth(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let (user, password) = match &args[1..] {
        [password] => (None, password),
        [user, password] => (Some(user), password),
        _ => return Err(CmdError::Syntax),
    };
    if ctx.engine.settings.requirepass.is_none() && user.is_none() {
        return Err(CmdError::err(
            "AUTH <password> called without any password configured for the default user. Are \
             you sure your configuration is correct?",
        ));
    }
    check_password(ctx, user, password)?;
    Ok(Reply::Ok)
}

/// The only user is `default`, whose password is `requirepass` (anything goes when unset).
fn check_password(ctx: &mut Ctx, user: Option<&Bytes>, password: &[u8]) -> Result<(), CmdError> {
    let user_ok = user.is_none_or(|u| u.as_ref() == b"default");
    let expected = ctx.engine.settings.requirepass.as_deref();
    let password_ok = expected.is_none_or(|p| constant_time_eq(p.as_bytes(), password));
    if !(user_ok && password_ok) {
        return Err(CmdError::WrongPass);
    }
    ctx.session.authenticated = true;
    Ok(())
}

/// Compares secrets without revealing, through timing, how long a matching prefix is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn valid_name(name: &Bytes) -> Result<Bytes, CmdError> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(name.clone())
}

/// CLIENT ID | GETNAME | SETNAME | LIST | INFO | SETINFO | KILL | NO-EVICT | HELP
pub fn client(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = &args[1];
    let id = ctx.session.id;
    let now = ctx.now;
    match () {
        _ if is(sub, "ID") && args.len() == 2 => Ok(Reply::Int(id as i64)),
        _ if is(sub, "GETNAME") && args.len() == 2 => {
            let name = ctx.engine.clients.get(id).and_then(|c| c.name.clone());
            Ok(name.map_or(Reply::Nil, Reply::Bulk))
        }
        _ if is(sub, "SETNAME") && args.len() == 3 => {
            let name = valid_name(&args[2])?;
            if let Some(client) = ctx.engine.clients.get_mut(id) {
                client.name = (!name.is_empty()).then_some(name);
            }
            Ok(Reply::Ok)
        }
        _ if is(sub, "SETINFO") && args.len() == 4 => set_info(ctx, &args[2], &args[3]),
        _ if is(sub, "LIST") => {
            let lines: Vec<String> = ctx
                .engine
                .clients
                .iter()
                .map(|c| c.list_line(now))
                .collect();
            Ok(Reply::Text(
                lines.iter().map(|l| format!("{l}\n")).collect(),
            ))
        }
        _ if is(sub, "INFO") && args.len() == 2 => {
            let line = ctx
                .engine
                .clients
                .get(id)
                .map(|c| c.list_line(now))
                .unwrap_or_default();
            Ok(Reply::Text(format!("{line}\n")))
        }
        _ if is(sub, "KILL") => kill(ctx, &args[2..]),
        _ if is(sub, "NO-EVICT") && args.len() == 3 => pause::no_evict(ctx, args),
        _ if is(sub, "NO-TOUCH") => Ok(Reply::Ok),
        _ if is(sub, "TRACKING") && args.len() >= 3 => tracking::tracking(ctx, args),
        _ if is(sub, "CACHING") && args.len() == 3 => tracking::caching(ctx, args),
        _ if is(sub, "GETREDIR") && args.len() == 2 => tracking::getredir(ctx),
        _ if is(sub, "TRACKINGINFO") && args.len() == 2 => tracking::trackinginfo(ctx),
        _ if is(sub, "PAUSE") && (args.len() == 3 || args.len() == 4) => pause::pause(ctx, args),
        _ if is(sub, "UNPAUSE") && args.len() == 2 => pause::unpause(ctx),
        _ if is(sub, "REPLY") && args.len() == 3 => pause::reply(ctx, args),
        _ if is(sub, "UNBLOCK") && (args.len() == 3 || args.len() == 4) => {
            pause::unblock(ctx, args)
        }
        _ if is(sub, "HELP") => Ok(Reply::Array(
            [
                "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "ID",
                "GETNAME",
                "SETNAME <name>",
                "SETINFO <LIB-NAME|LIB-VER> <value>",
                "LIST",
                "INFO",
                "KILL <ip:port> | ID <id> | ADDR <ip:port> | LADDR <ip:port> | SKIPME <yes|no>",
                "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] \
                 [OPTOUT] [NOLOOP]",
                "CACHING (YES|NO)",
                "GETREDIR",
                "TRACKINGINFO",
                "PAUSE <timeout> [WRITE|ALL]",
                "UNPAUSE",
                "REPLY (ON|OFF|SKIP)",
                "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                "NO-EVICT (ON|OFF)",
            ]
            .iter()
            .map(|l| Reply::Status(l.to_string()))
            .collect(),
        )),
        _ => Err(wrong_subcommand_arity(sub, args.len())),
    }
}

/// The subcommands rg-node added with their Redis 7.0 arities: the arity is checked as
/// the command table does in Redis (`client|name`), more arguments than a subcommand
/// takes by the subcommand itself.
const ARITIES: &[(&str, i32)] = &[
    ("tracking", -3),
    ("caching", 3),
    ("getredir", 2),
    ("trackinginfo", 2),
    ("pause", -3),
    ("unpause", 2),
    ("reply", 3),
    ("unblock", -3),
    ("no-evict", 3),
];

fn wrong_subcommand_arity(sub: &[u8], argc: usize) -> CmdError {
    let name = String::from_utf8_lossy(sub).to_ascii_lowercase();
    let argc = argc as i32;
    match ARITIES.iter().find(|(n, _)| *n == name) {
        Some((_, arity)) if (*arity > 0 && argc != *arity) || argc < -arity => {
            CmdError::WrongArity(format!("client|{name}"))
        }
        Some(_) => CmdError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(sub)
        )),
        None => unknown_subcommand(sub, "client"),
    }
}

fn set_info(ctx: &mut Ctx, attribute: &[u8], value: &Bytes) -> Result<Reply, CmdError> {
    let value = valid_name(value)?;
    let Some(client) = ctx.engine.clients.get_mut(ctx.session.id) else {
        return Ok(Reply::Ok);
    };
    if is(attribute, "LIB-NAME") {
        client.lib_name = Some(value);
    } else if is(attribute, "LIB-VER") {
        client.lib_version = Some(value);
    } else {
        return Err(CmdError::err(format!(
            "Unrecognized option '{}'",
            String::from_utf8_lossy(attribute)
        )));
    }
    Ok(Reply::Ok)
}

/// CLIENT KILL ip:port (old form, replies OK) or filters ID / ADDR / LADDR / SKIPME (count).
fn kill(ctx: &mut Ctx, filters: &[Bytes]) -> Result<Reply, CmdError> {
    if let [addr] = filters {
        let found = matching(ctx, |c| c.addr.to_string().as_bytes() == &addr[..]);
        return match found.first() {
            Some(&id) => {
                ctx.engine.clients.kill(id);
                Ok(Reply::Ok)
            }
            None => Err(CmdError::err("No such client")),
        };
    }
    if filters.is_empty() || !filters.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut skip_me = true;
    let mut candidates: Vec<ClientId> = ctx.engine.clients.iter().map(|c| c.id).collect();
    for pair in filters.chunks_exact(2) {
        let (name, value) = (&pair[0], &pair[1]);
        let keep: Vec<ClientId> = if is(name, "ID") {
            let id = args::parse_int(value)
                .ok_or(CmdError::err("client-id should be greater than 0"))?;
            matching(ctx, |c| c.id as i64 == id)
        } else if is(name, "ADDR") {
            matching(ctx, |c| c.addr.to_string().as_bytes() == &value[..])
        } else if is(name, "LADDR") {
            matching(ctx, |c| c.local_addr.to_string().as_bytes() == &value[..])
        } else if is(name, "SKIPME") {
            skip_me = is(value, "YES");
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        candidates.retain(|id| keep.contains(id));
    }
    if skip_me {
        candidates.retain(|&id| id != ctx.session.id);
    }
    candidates.iter().for_each(|&id| {
        ctx.engine.clients.kill(id);
    });
    Ok(Reply::Int(candidates.len() as i64))
}

fn matching(
    ctx: &Ctx,
    keep: impl Fn(&crate::engine::clients::ClientInfo) -> bool,
) -> Vec<ClientId> {
    ctx.engine
        .clients
        .iter()
        .filter(|c| keep(c))
        .map(|c| c.id)
        .collect()
}
