//! Pub/sub: https://redis.io/docs/interact/pubsub/

use bytes::Bytes;

use super::args::is;
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
    let (channels, patterns) = (ctx.session.channels.len(), ctx.session.patterns.len());
    if let Some(client) = ctx.engine.clients.get_mut(ctx.session.id) {
        client.subscriptions = channels;
        client.pattern_subscriptions = patterns;
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
}

/// (P)UNSUBSCRIBE: the names given, or every one the session holds, with one confirmation
/// each (or a single one with a nil name when there was nothing to leave).
fn leave(ctx: &mut Ctx, names: &[Bytes], kind: Kind) -> Reply {
    let (word, held) = match kind {
        Kind::Channel => ("unsubscribe", &ctx.session.channels),
        Kind::Pattern => ("punsubscribe", &ctx.session.patterns),
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
        }
        replies.push(confirmation(
            word,
            Some(name),
            ctx.session.subscription_count(),
        ));
    }
    if replies.is_empty() {
        replies.push(confirmation(word, None, ctx.session.subscription_count()));
    }
    update_counts(ctx);
    Reply::Many(replies)
}

/// Drops every subscription of the session (RESET, or the connection closing).
pub fn unsubscribe_all(ctx: &mut Ctx) {
    for channel in ctx.session.channels.drain() {
        ctx.engine.pubsub.unsubscribe(&channel, ctx.session.id);
    }
    for pattern in ctx.session.patterns.drain() {
        ctx.engine.pubsub.punsubscribe(&pattern, ctx.session.id);
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

/// PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | HELP
pub fn pubsub(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = &args[1];
    let pubsub = &ctx.engine.pubsub;
    if is(sub, "CHANNELS") && args.len() <= 3 {
        let channels = pubsub.channels(args.get(2).map(|p| &p[..]));
        return Ok(Reply::Array(
            channels.into_iter().map(Reply::Bulk).collect(),
        ));
    }
    if is(sub, "NUMSUB") {
        let counts = args[2..]
            .iter()
            .flat_map(|c| {
                [
                    Reply::Bulk(c.clone()),
                    Reply::Int(pubsub.subscriber_count(c) as i64),
                ]
            })
            .collect();
        return Ok(Reply::Array(counts));
    }
    if is(sub, "NUMPAT") && args.len() == 2 {
        return Ok(Reply::Int(pubsub.pattern_count() as i64));
    }
    if is(sub, "HELP") {
        let lines = [
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "NUMPAT",
            "NUMSUB [<channel> ...]",
        ];
        return Ok(Reply::help(&lines));
    }
    Err(unknown_subcommand(sub, "pubsub"))
}
