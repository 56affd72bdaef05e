//! SLOWLOG GET [count] | LEN | RESET | HELP (<https://redis.io/commands/slowlog-get/>).

use bytes::Bytes;

use super::args;
use super::ctx::Ctx;
use crate::engine::error::{unknown_subcommand, CmdError};
use crate::engine::reply::Reply;

pub fn slowlog(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = args[1].to_ascii_lowercase();
    let log = &mut ctx.engine.observed.slowlog;
    match (sub.as_slice(), args.len()) {
        (b"get", 2 | 3) => {
            let count = match args.get(2) {
                None => 10,
                Some(arg) => match args::parse_int(arg) {
                    Some(-1) => usize::MAX,
                    Some(n) if n >= 0 => n as usize,
                    _ => return Err(CmdError::err("count should be greater than or equal to -1")),
                },
            };
            Ok(Reply::Array(log.entries().take(count).map(entry).collect()))
        }
        (b"len", 2) => Ok(Reply::Int(log.len() as i64)),
        (b"reset", 2) => {
            log.reset();
            Ok(Reply::Ok)
        }
        (b"help", 2) => Ok(help()),
        (b"get" | b"len" | b"reset" | b"help", _) => Err(CmdError::WrongArity(format!(
            "slowlog|{}",
            String::from_utf8_lossy(&sub)
        ))),
        _ => Err(unknown_subcommand(&args[1], "slowlog")),
    }
}

fn entry(e: &crate::engine::observed::slowlog::Entry) -> Reply {
    Reply::Array(vec![
        Reply::Int(e.id as i64),
        Reply::Int(e.time as i64),
        Reply::Int(e.usec as i64),
        Reply::Array(e.args.iter().cloned().map(Reply::Bulk).collect()),
        Reply::bulk(e.client_addr.as_bytes()),
        Reply::Bulk(e.client_name.clone()),
    ])
}

fn help() -> Reply {
    let lines = [
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Status(l.to_string())).collect())
}
