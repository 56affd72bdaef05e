//! XINFO STREAM [FULL [COUNT count]], XINFO GROUPS, XINFO CONSUMERS and XINFO HELP
//! (<https://redis.io/commands/xinfo-stream/>).

use bytes::Bytes;

use super::{entry_reply, id_reply};
use crate::commands::args::{self, is};
use crate::commands::ctx::Ctx;
use crate::engine::error::{unknown_subcommand, CmdError};
use crate::engine::reply::Reply;
use crate::engine::stream::{Group, Stream};
use crate::engine::value::Value;

const HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
];

fn field(name: &'static str, value: Reply) -> (Reply, Reply) {
    (Reply::Simple(name), value)
}

/// Map keys are bulk strings in Redis's XINFO replies.
fn map(pairs: Vec<(Reply, Reply)>) -> Reply {
    Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| match k {
                Reply::Simple(name) => (Reply::bulk(name.as_bytes()), v),
                other => (other, v),
            })
            .collect(),
    )
}

fn opt_int(value: Option<u64>) -> Reply {
    value.map_or(Reply::Nil, |v| Reply::Int(v as i64))
}

pub fn xinfo(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub_arg = &args[1];
    let sub = String::from_utf8_lossy(sub_arg).to_ascii_lowercase();
    let arity_ok = match sub.as_str() {
        "help" => args.len() == 2,
        "groups" => args.len() == 3,
        "consumers" => args.len() == 4,
        "stream" => args.len() >= 3,
        _ => return Err(unknown_subcommand(sub_arg, "xinfo")),
    };
    if !arity_ok {
        return Err(CmdError::WrongArity(format!("xinfo|{sub}")));
    }
    if sub == "help" {
        return Ok(Reply::Array(
            HELP.iter().map(|l| Reply::Status((*l).into())).collect(),
        ));
    }
    let key = &args[2];
    let now = ctx.now;
    let stream = ctx
        .read_as(key, Value::as_stream)?
        .ok_or(CmdError::NoSuchKey)?;
    match sub.as_str() {
        "consumers" => {
            let group = stream.groups.get(args[3].as_ref()).ok_or_else(|| {
                CmdError::Line(
                    format!(
                        "NOGROUP No such consumer group '{}' for key name '{}'",
                        String::from_utf8_lossy(&args[3]),
                        String::from_utf8_lossy(key)
                    )
                    .into(),
                )
            })?;
            let consumers = group
                .consumers
                .iter()
                .map(|(name, c)| {
                    map(vec![
                        field("name", Reply::bulk(name)),
                        field("pending", Reply::Int(c.pel.len() as i64)),
                        field(
                            "idle",
                            Reply::Int(super::claim::idle_since(now, c.seen_time).max(0)),
                        ),
                    ])
                })
                .collect();
            Ok(Reply::Array(consumers))
        }
        "groups" => {
            let groups = stream
                .groups
                .iter()
                .map(|(name, g)| {
                    map(vec![
                        field("name", Reply::bulk(name)),
                        field("consumers", Reply::Int(g.consumers.len() as i64)),
                        field("pending", Reply::Int(g.pel.len() as i64)),
                        field("last-delivered-id", id_reply(g.last_id)),
                        field("entries-read", opt_int(g.entries_read)),
                        field("lag", stream.lag(g).map_or(Reply::Nil, Reply::Int)),
                    ])
                })
                .collect();
            Ok(Reply::Array(groups))
        }
        _ => stream_info(stream, &args[3..]).map_err(|e| match e {
            CmdError::Syntax => CmdError::err(format!(
                "unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
                String::from_utf8_lossy(sub_arg)
            )),
            other => other,
        }),
    }
}

/// Mapped to Redis's subcommand syntax error by the caller, which knows the spelling.
fn syntax() -> CmdError {
    CmdError::Syntax
}

fn stream_info(stream: &Stream, opts: &[Bytes]) -> Result<Reply, CmdError> {
    let full = !opts.is_empty();
    let mut count = 10usize;
    match opts.len() {
        0 => {}
        1 | 3 => {
            if !is(&opts[0], "FULL") {
                return Err(syntax());
            }
            if opts.len() == 3 {
                if !is(&opts[1], "COUNT") {
                    return Err(syntax());
                }
                let n = args::int(&opts[2])?;
                count = if n < 0 { 10 } else { n as usize };
            }
        }
        _ => return Err(syntax()),
    }
    let limit = if count == 0 { usize::MAX } else { count };
    let mut pairs = vec![
        field("length", Reply::Int(stream.len() as i64)),
        field("radix-tree-keys", Reply::Int(stream.node_count() as i64)),
        field(
            "radix-tree-nodes",
            Reply::Int(radix_nodes(stream.node_count()) as i64),
        ),
        field("last-generated-id", id_reply(stream.last_id)),
        field("max-deleted-entry-id", id_reply(stream.max_deleted_id)),
        field("entries-added", Reply::Int(stream.entries_added as i64)),
        field("recorded-first-entry-id", id_reply(stream.first_id)),
    ];
    if !full {
        pairs.push(field("groups", Reply::Int(stream.groups.len() as i64)));
        let first = stream
            .first()
            .map_or(Reply::Nil, |(id, f)| entry_reply(id, f));
        let last = stream
            .last()
            .map_or(Reply::Nil, |(id, f)| entry_reply(id, f));
        pairs.push(field("first-entry", first));
        pairs.push(field("last-entry", last));
        return Ok(map(pairs));
    }
    let entries = stream
        .iter()
        .take(limit)
        .map(|(id, f)| entry_reply(id, f))
        .collect();
    pairs.push(field("entries", Reply::Array(entries)));
    let groups = stream
        .groups
        .iter()
        .map(|(name, g)| full_group(stream, name, g, limit))
        .collect();
    pairs.push(field("groups", Reply::Array(groups)));
    Ok(map(pairs))
}

fn full_group(stream: &Stream, name: &[u8], group: &Group, limit: usize) -> Reply {
    let pending = group
        .pel
        .iter()
        .take(limit)
        .map(|(id, p)| {
            Reply::Array(vec![
                id_reply(*id),
                Reply::bulk(&p.consumer),
                Reply::Int(p.delivery_time as i64),
                Reply::Int(p.delivery_count as i64),
            ])
        })
        .collect();
    let consumers = group
        .consumers
        .iter()
        .map(|(cname, c)| {
            let pending = c
                .pel
                .iter()
                .take(limit)
                .filter_map(|id| {
                    let p = group.pel.get(id)?;
                    Some(Reply::Array(vec![
                        id_reply(*id),
                        Reply::Int(p.delivery_time as i64),
                        Reply::Int(p.delivery_count as i64),
                    ]))
                })
                .collect();
            map(vec![
                field("name", Reply::bulk(cname)),
                field("seen-time", Reply::Int(c.seen_time as i64)),
                field("pel-count", Reply::Int(c.pel.len() as i64)),
                field("pending", Reply::Array(pending)),
            ])
        })
        .collect();
    map(vec![
        field("name", Reply::bulk(name)),
        field("last-delivered-id", id_reply(group.last_id)),
        field("entries-read", opt_int(group.entries_read)),
        field("lag", stream.lag(group).map_or(Reply::Nil, Reply::Int)),
        field("pel-count", Reply::Int(group.pel.len() as i64)),
        field("pending", Reply::Array(pending)),
        field("consumers", Reply::Array(consumers)),
    ])
}

/// A guess at Redis's radix-tree node count for `keys` listpack nodes: the tree of 16-byte
/// big-endian IDs has a root and about one node per key beyond a shared prefix.
fn radix_nodes(keys: usize) -> usize {
    match keys {
        0 => 1,
        n => n + 1,
    }
}
