//! Pub/sub: https://redis.io/docs/interact/pubsub/

use bytes::Bytes;

use super::ctx::Ctx;
use crate::engine::error::{unknown_subcommand, CmdError};
use crate::engine::reply::Reply;

/// The confirmation Redis sends for each (un)subscription: [kind, name, count].
fn confirmation(kind: &'static str, name: Option<&Bytes>, count: usize) -> Reply {
    let name = name.map_or(Reply::Nil, |n| Reply::Bulk(n.clone()));
    Reply::Push(vec![
        Reply::bulk(kind.as_bytes()),
        name,
        Reply::Int(count as i64),
    ])
}

fn update_counts(ctx: &mut Ctx) {
    let session = &ctx.session;
    let counts = (
        session.channels.len(),
        session.patterns.len(),
        session.shard_channels.len(),
    );
    if let Some(client) = ctx.engine.clients.get_mut(session.id) {
        client.subscriptions = counts.0;
        client.pattern_subscriptions = counts.1;
        client.shard_subscriptions = counts.2;
    }
}

pub fn subscribe(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    refuse_in_multi(ctx, "subscribe")?;
    let mut replies = Vec::with_capacity(args.len() - 1);
    for channel in &args[1..] {
        let tx = ctx.session.push.clone();
        ctx.engine
            .pubsub
            .subscribe(channel.clone(), ctx.session.id, tx);
        ctx.session.channels.insert(channel.clone());
        replies.push(confirmation(
            "subscribe",
            Some(channel),
            ctx.session.subscription_count(),
        ));
    }
    update_counts(ctx);
    Ok(Reply::Many(replies))
}

pub fn psubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    refuse_in_multi(ctx, "psubscribe")?;
    let mut replies = Vec::with_capacity(args.len() - 1);
    for pattern in &args[1..] {
        let tx = ctx.session.push.clone();
        ctx.engine
            .pubsub
            .psubscribe(pattern.clone(), ctx.session.id, tx);
        ctx.session.patterns.insert(pattern.clone());
        replies.push(confirmation(
            "psubscribe",
            Some(pattern),
            ctx.session.subscription_count(),
        ));
    }
    update_counts(ctx);
    Ok(Reply::Many(replies))
}

/// `SSUBSCRIBE shardchannel...`: the count in each confirmation is of shard channels only.
pub fn ssubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    if ctx.in_exec {
        // Redis's wording: a transaction's client may not block.
        return Err(CmdError::err(
            "SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    let mut replies = Vec::with_capacity(args.len() - 1);
    for channel in &args[1..] {
        let tx = ctx.session.push.clone();
        ctx.engine
            .pubsub
            .ssubscribe(channel.clone(), ctx.session.id, tx);
        ctx.session.shard_channels.insert(channel.clone());
        replies.push(confirmation(
            "ssubscribe",
            Some(channel),
            ctx.session.shard_channels.len(),
        ));
    }
    update_counts(ctx);
    Ok(Reply::Many(replies))
}

pub fn sunsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(leave(ctx, &args[1..], Kind::Shard))
}

/// `SPUBLISH shardchannel message`. Like PUBLISH here, it is not propagated: rg-node's
/// replicas carry data, not messages (Redis 7.0 propagates both to its replicas).
pub fn spublish(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let delivery = ctx.engine.pubsub.spublish(&args[1], &args[2]);
    ctx.engine.stats.pubsub_messages += 1;
    for client in delivery.too_slow {
        tracing::warn!(
            client,
            "disconnecting a shard subscriber that cannot keep up"
        );
        ctx.engine.clients.kill(client);
    }
    Ok(Reply::Int(delivery.receivers as i64))
}

fn refuse_in_multi(ctx: &Ctx, name: &str) -> Result<(), CmdError> {
    if ctx.in_exec {
        return Err(CmdError::err(format!(
            "Command not allowed inside a transaction: {name}"
        )));
    }
    Ok(())
}

pub fn unsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(leave(ctx, &args[1..], Kind::Channel))
}

pub fn punsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    Ok(leave(ctx, &args[1..], Kind::Pattern))
}

#[derive(Clone, Copy)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

/// (P)UNSUBSCRIBE: the names given, or every one the session holds, with one confirmation
/// each (or a single one with a nil name when there was nothing to leave).
fn leave(ctx: &mut Ctx, names: &[Bytes], kind: Kind) -> Reply {
    let (word, held) = match kind {
        Kind::Channel => ("unsubscribe", &ctx.session.channels),
        Kind::Pattern => ("punsubscribe", &ctx.session.patterns),
        Kind::Shard => ("sunsubscribe", &ctx.session.shard_channels),
    };
    let names: Vec<Bytes> = match names {
        [] => held.iter().cloned().collect(),
        names => names.to_vec(),
    };
    let mut replies = Vec::new();
    for name in &names {
        match kind {
            Kind::Channel => {
                ctx.engine.pubsub.unsubscribe(name, ctx.session.id);
                ctx.session.channels.remove(name);
            }
            Kind::Pattern => {
                ctx.engine.pubsub.punsubscribe(name, ctx.session.id);
                ctx.session.patterns.remove(name);
            }
            Kind::Shard => {
                ctx.engine.pubsub.sunsubscribe(name, ctx.session.id);
                ctx.session.shard_channels.remove(name);
            }
        }
        replies.push(confirmation(word, Some(name), count(ctx.session, kind)));
    }
    if replies.is_empty() {
        replies.push(confirmation(word, None, count(ctx.session, kind)));
    }
    update_counts(ctx);
    Reply::Many(replies)
}

/// The count an unsubscription confirms: shard channels are counted apart.
fn count(session: &super::ctx::Session, kind: Kind) -> usize {
    match kind {
        Kind::Shard => session.shard_channels.len(),
        _ => session.subscription_count(),
    }
}

/// Drops every subscription of the session (RESET, or the connection closing).
pub fn unsubscribe_all(ctx: &mut Ctx) {
    for channel in ctx.session.channels.drain() {
        ctx.engine.pubsub.unsubscribe(&channel, ctx.session.id);
    }
    for pattern in ctx.session.patterns.drain() {
        ctx.engine.pubsub.punsubscribe(&pattern, ctx.session.id);
    }
    for channel in ctx.session.shard_channels.drain() {
        ctx.engine.pubsub.sunsubscribe(&channel, ctx.session.id);
    }
    update_counts(ctx);
}

pub fn publish(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let delivery = ctx.engine.pubsub.publish(&args[1], &args[2]);
    ctx.engine.stats.pubsub_messages += 1;
    for client in delivery.too_slow {
        tracing::warn!(client, "disconnecting a subscriber that cannot keep up");
        ctx.engine.clients.kill(client);
    }
    Ok(Reply::Int(delivery.receivers as i64))
}

/// PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | SHARDCHANNELS [pattern] |
/// SHARDNUMSUB [channel ...] | HELP
pub fn pubsub(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = &args[1];
    let pubsub = &ctx.engine.pubsub;
    let names =
        |channels: Vec<Bytes>| Reply::Array(channels.into_iter().map(Reply::Bulk).collect());
    let counts = |count: &dyn Fn(&[u8]) -> usize| {
        let pairs = args[2..]
            .iter()
            .flat_map(|c| [Reply::Bulk(c.clone()), Reply::Int(count(c) as i64)]);
        Reply::Array(pairs.collect())
    };
    let lower = sub.to_ascii_lowercase();
    match (lower.as_slice(), args.len()) {
        (b"channels", 2 | 3) => Ok(names(pubsub.channels(args.get(2).map(|p| &p[..])))),
        (b"shardchannels", 2 | 3) => Ok(names(pubsub.shard_channels(args.get(2).map(|p| &p[..])))),
        (b"channels" | b"shardchannels", _) => Err(CmdError::Line(
            format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
                String::from_utf8_lossy(sub)
            )
            .into(),
        )),
        (b"numsub", _) => Ok(counts(&|c| pubsub.subscriber_count(c))),
        (b"shardnumsub", _) => Ok(counts(&|c| pubsub.shard_subscriber_count(c))),
        (b"numpat", 2) => Ok(Reply::Int(pubsub.pattern_count() as i64)),
        (b"help", 2) => Ok(help()),
        (b"numpat" | b"help", _) => Err(CmdError::WrongArity(format!(
            "pubsub|{}",
            String::from_utf8_lossy(&lower)
        ))),
        _ => Err(unknown_subcommand(sub, "pubsub")),
    }
}

fn help() -> Reply {
    let lines = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Status(l.to_string())).collect())
}
