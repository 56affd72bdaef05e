//! Command execution: the checks every command goes through (arity, auth, MULTI queueing,
//! subscribe mode, memory), then dispatch by the command table's id to one family's module.
//!
//! A handler takes `(ctx, args)` where `args[0]` is the command name, returns a [`Reply`] or
//! a [`CmdError`], and records its deterministic effect with `ctx.propagate*`.

pub mod args;
pub mod ctx;

mod bits;
mod blocked;
#[cfg(test)]
mod blocked_tests;
mod connection;
mod expiry;
mod functions;
mod geo;
mod hashes;
mod hyperloglog;
mod info;
mod info_observed;
mod keys;
mod latency;
mod lists;
mod monitor;
mod mpop_args;
mod observe;
mod pubsub;
#[cfg(test)]
mod replay_tests;
mod scan_args;
mod scripting;
mod server;
mod sets;
mod slowlog;
mod sort;
mod streams;
mod string_bytes;
mod strings;
mod transaction;
mod zsets;

use bytes::Bytes;
use rg_commands::{CommandId, CommandSpec, Flags};

pub use self::blocked::serve_blocked;
pub use self::connection::REDIS_VERSION;
pub use self::ctx::{Ctx, Response, Session};
pub use self::pubsub::unsubscribe_all;
pub use self::transaction::{unwatch_all, wrap_records};
use crate::engine::error::{unknown_command, CmdError};
use crate::engine::evict;
use crate::engine::notify;
use crate::engine::reply::Reply;

/// Runs one client command with all of Redis's checks around it.
pub fn process(ctx: &mut Ctx, args: &[Bytes]) -> Response {
    let spec = match check(ctx, args) {
        Ok(spec) => spec,
        Err(error) => {
            if let Some(tx) = ctx.session.transaction.as_mut() {
                tx.failed = true;
            }
            observe::rejected(ctx, args, &error);
            return Response::Reply(Reply::Error(error));
        }
    };
    if let Some(wait) = connection::postponed(ctx, spec) {
        return wait;
    }
    if let Some(tx) = ctx.session.transaction.as_mut() {
        use CommandId::*;
        if !matches!(spec.id, Exec | Discard | Multi | Watch | Quit | Reset) {
            tx.queued.push(args.to_vec());
            return Response::Reply(Reply::Simple("QUEUED"));
        }
    }
    if let Some(error) = refuse_in_subscribe_mode(ctx, spec) {
        observe::rejected(ctx, args, &error);
        return Reply::Error(error).into();
    }
    // Replicas leave eviction to the primary, whose DELs they apply (replica-ignore-maxmemory).
    if ctx.engine.settings.maxmemory > 0 && !ctx.engine.repl.is_replica() {
        if let Err(error) = evict::make_room(ctx.engine, ctx.now) {
            if spec.flags.contains(Flags::DENYOOM) {
                observe::rejected(ctx, args, &error);
                return Reply::Error(error).into();
            }
        }
    }
    let response = run(ctx, spec, args);
    connection::end_of_command(ctx, spec);
    ctx.engine.current.client = 0;
    response
}

/// Runs a command that passed its checks (directly, or from EXEC's queue).
pub fn run(ctx: &mut Ctx, spec: &'static CommandSpec, args: &[Bytes]) -> Response {
    ctx.engine.stats.commands_processed += 1;
    if let Some(client) = ctx.engine.clients.get_mut(ctx.session.id) {
        client.last_command = spec.name;
        client.last_active = ctx.now;
    }
    ctx.engine.current.client = ctx.session.id;
    ctx.engine.current.notify_misses = notify::misses_are_events(spec);
    let script = connection::is_script(spec);
    if script {
        ctx.engine.current.script_read = Some(false);
    }
    let first = monitor::shown_first(spec);
    if first && !ctx.engine.monitors.is_empty() {
        monitor::feed(ctx, spec, args);
    }
    let started = std::time::Instant::now();
    let response = dispatch(ctx, spec, args);
    let usec = started.elapsed().as_micros() as u64;
    let script_read = script && ctx.engine.current.script_read.take() == Some(true);
    if !first && !ctx.engine.monitors.is_empty() {
        monitor::feed(ctx, spec, args);
    }
    observe::ran(ctx, spec, args, &response, usec);
    if !ctx.engine.tracking.is_idle() {
        connection::remember_read_keys(ctx, spec, args, script_read);
    }
    // Inside EXEC, blocked clients are served once the whole transaction has run.
    if !ctx.in_exec && ctx.engine.blocking.has_ready() {
        serve_blocked(ctx.engine, ctx.now);
    }
    response
}

/// The subcommand's entry (`config|get`), with its own arity and flags, for a container
/// command; the container's own entry for a plain command or an unknown subcommand (which
/// the container's handler answers).
pub fn subcommand(
    spec: &'static CommandSpec,
    args: &[Bytes],
) -> Result<&'static CommandSpec, CmdError> {
    let Some(sub) = args
        .get(1)
        .and_then(|name| rg_commands::lookup_subcommand(spec, name))
    else {
        return Ok(spec);
    };
    if !sub.arity_ok(args.len()) {
        return Err(CmdError::WrongArity(sub.name.to_string()));
    }
    Ok(sub)
}

fn check(ctx: &mut Ctx, args: &[Bytes]) -> Result<&'static CommandSpec, CmdError> {
    let name = &args[0];
    let spec = rg_commands::lookup(name).ok_or_else(|| unknown_command(name, &args[1..]))?;
    if !spec.arity_ok(args.len()) {
        return Err(CmdError::WrongArity(spec.name.to_string()));
    }
    let spec = subcommand(spec, args)?;
    let needs_auth = ctx.engine.settings.requirepass.is_some() && !ctx.session.authenticated;
    if needs_auth && !spec.flags.contains(Flags::NO_AUTH) {
        return Err(CmdError::NoAuth);
    }
    // A replica in a full sync holds a partial dataset: like Redis while loading, it
    // answers only the commands that make sense then.
    // Commands with subcommands (CONFIG, CLIENT...) carry their flags on the subcommands,
    // most of which Redis allows while loading; they are let through.
    let allowed_while_loading = spec.flags.contains(Flags::LOADING) || spec.flags.is_empty();
    if ctx.engine.repl.is_syncing() && !ctx.from_primary && !allowed_while_loading {
        return Err(CmdError::Line(
            "LOADING Redis is loading the dataset in memory".into(),
        ));
    }
    if spec.is_write() {
        if let Some(refusal) = write_refusal(ctx) {
            return Err(refusal);
        }
    }
    Ok(spec)
}

/// Why a write may not run here now (a replica, a fenced primary, too few good replicas),
/// or None; the primary's own stream is always applied.
pub fn write_refusal(ctx: &Ctx) -> Option<CmdError> {
    if ctx.from_primary {
        return None;
    }
    if ctx.engine.repl.is_replica() {
        return Some(CmdError::ReadOnly);
    }
    if let Some(refusal) = ctx.engine.repl.write_refusal(ctx.now) {
        return Some(CmdError::Line(refusal.into()));
    }
    if !enough_good_replicas(ctx) {
        return Some(CmdError::Line(
            "NOREPLICAS Not enough good replicas to write.".into(),
        ));
    }
    None
}

/// `min-replicas-to-write` replicas acknowledged within `min-replicas-max-lag` seconds (or
/// `min-replicas-max-lag-ms` milliseconds, when set).
fn enough_good_replicas(ctx: &Ctx) -> bool {
    let settings = &ctx.engine.settings;
    if settings.min_replicas_to_write == 0 {
        return true;
    }
    let max_lag = match settings.min_replicas_max_lag_ms {
        0 => u64::from(settings.min_replicas_max_lag) * 1000,
        ms => ms,
    };
    let good = ctx
        .engine
        .repl
        .replicas()
        .filter(|r| ctx.now.saturating_sub(r.last_ack()) <= max_lag)
        .count();
    good >= settings.min_replicas_to_write as usize
}

fn refuse_in_subscribe_mode(ctx: &Ctx, spec: &CommandSpec) -> Option<CmdError> {
    use CommandId::*;
    if !ctx.session.in_subscribe_mode() {
        return None;
    }
    if matches!(
        spec.id,
        Subscribe
            | Psubscribe
            | Ssubscribe
            | Unsubscribe
            | Punsubscribe
            | Sunsubscribe
            | Ping
            | Quit
            | Reset
    ) {
        return None;
    }
    Some(CmdError::err(format!(
        "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are \
         allowed in this context",
        spec.name
    )))
}

fn dispatch(ctx: &mut Ctx, spec: &'static CommandSpec, args: &[Bytes]) -> Response {
    use CommandId::*;
    let result = match spec.id {
        // strings
        Get => strings::get(ctx, args),
        Set => strings::set(ctx, args),
        Setnx => strings::setnx(ctx, args),
        Setex => strings::setex(ctx, args),
        Psetex => strings::psetex(ctx, args),
        Getset => strings::getset(ctx, args),
        Getdel => strings::getdel(ctx, args),
        Getex => strings::getex(ctx, args),
        Mget => strings::mget(ctx, args),
        Mset => strings::mset(ctx, args),
        Msetnx => strings::msetnx(ctx, args),
        Incr => strings::incr(ctx, args),
        Decr => strings::decr(ctx, args),
        Incrby => strings::incrby(ctx, args),
        Decrby => strings::decrby(ctx, args),
        Incrbyfloat => strings::incrbyfloat(ctx, args),
        Append => strings::append(ctx, args),
        Strlen => strings::strlen(ctx, args),
        Getrange => strings::getrange(ctx, args),
        Setrange => strings::setrange(ctx, args),
        // bitmaps
        Setbit => bits::setbit(ctx, args),
        Getbit => bits::getbit(ctx, args),
        Bitcount => bits::bitcount(ctx, args),
        Bitpos => bits::bitpos(ctx, args),
        Bitop => bits::bitop(ctx, args),
        Bitfield => bits::bitfield(ctx, args),
        BitfieldRo => bits::bitfield_ro(ctx, args),
        // SUBSTR is GETRANGE's old name; Redis runs the same code for both.
        Substr => strings::getrange(ctx, args),
        Lcs => strings::lcs(ctx, args),
        // keys
        Del | Unlink => keys::del(ctx, args),
        Exists => keys::exists(ctx, args),
        Type => keys::type_(ctx, args),
        Rename => keys::rename(ctx, args),
        Renamenx => keys::renamenx(ctx, args),
        Expire => expiry::expire(ctx, args),
        Pexpire => expiry::pexpire(ctx, args),
        Expireat => expiry::expireat(ctx, args),
        Pexpireat => expiry::pexpireat(ctx, args),
        Ttl => expiry::ttl(ctx, args),
        Pttl => expiry::pttl(ctx, args),
        Expiretime => expiry::expiretime(ctx, args),
        Pexpiretime => expiry::pexpiretime(ctx, args),
        Persist => expiry::persist(ctx, args),
        Keys => keys::keys(ctx, args),
        Scan => keys::scan(ctx, args),
        Randomkey => keys::randomkey(ctx, args),
        Dbsize => keys::dbsize(ctx, args),
        Flushdb => keys::flushdb(ctx, args),
        Flushall => keys::flushall(ctx, args),
        Copy => keys::copy(ctx, args),
        Touch => keys::touch(ctx, args),
        Select => keys::select(ctx, args),
        Swapdb => keys::swapdb(ctx, args),
        Object => keys::object(ctx, args),
        Move => keys::move_(ctx, args),
        Sort => sort::sort(ctx, args),
        SortRo => sort::sort_ro(ctx, args),
        // hashes
        Hset | Hmset => hashes::hset(ctx, args),
        Hsetnx => hashes::hsetnx(ctx, args),
        Hget => hashes::hget(ctx, args),
        Hmget => hashes::hmget(ctx, args),
        Hdel => hashes::hdel(ctx, args),
        Hgetall => hashes::hgetall(ctx, args),
        Hkeys => hashes::hkeys(ctx, args),
        Hvals => hashes::hvals(ctx, args),
        Hlen => hashes::hlen(ctx, args),
        Hexists => hashes::hexists(ctx, args),
        Hincrby => hashes::hincrby(ctx, args),
        Hincrbyfloat => hashes::hincrbyfloat(ctx, args),
        Hstrlen => hashes::hstrlen(ctx, args),
        Hrandfield => hashes::hrandfield(ctx, args),
        Hscan => hashes::hscan(ctx, args),
        // lists
        Lpush => lists::lpush(ctx, args),
        Rpush => lists::rpush(ctx, args),
        Lpushx => lists::lpushx(ctx, args),
        Rpushx => lists::rpushx(ctx, args),
        Lpop => lists::lpop(ctx, args),
        Rpop => lists::rpop(ctx, args),
        Lrange => lists::lrange(ctx, args),
        Llen => lists::llen(ctx, args),
        Lindex => lists::lindex(ctx, args),
        Lset => lists::lset(ctx, args),
        Lrem => lists::lrem(ctx, args),
        Ltrim => lists::ltrim(ctx, args),
        Linsert => lists::linsert(ctx, args),
        Lpos => lists::lpos(ctx, args),
        Lmove => lists::lmove(ctx, args),
        Rpoplpush => lists::rpoplpush(ctx, args),
        Blpop => return into_response(lists::blpop(ctx, args)),
        Brpop => return into_response(lists::brpop(ctx, args)),
        Blmove => return into_response(lists::blmove(ctx, args)),
        Brpoplpush => return into_response(lists::brpoplpush(ctx, args)),
        Lmpop => lists::lmpop(ctx, args),
        Blmpop => return into_response(lists::blmpop(ctx, args)),
        // sets
        Sadd => sets::sadd(ctx, args),
        Srem => sets::srem(ctx, args),
        Smembers => sets::smembers(ctx, args),
        Sismember => sets::sismember(ctx, args),
        Smismember => sets::smismember(ctx, args),
        Scard => sets::scard(ctx, args),
        Spop => sets::spop(ctx, args),
        Srandmember => sets::srandmember(ctx, args),
        Smove => sets::smove(ctx, args),
        Sinter => sets::sinter(ctx, args),
        Sunion => sets::sunion(ctx, args),
        Sdiff => sets::sdiff(ctx, args),
        Sinterstore => sets::sinterstore(ctx, args),
        Sunionstore => sets::sunionstore(ctx, args),
        Sdiffstore => sets::sdiffstore(ctx, args),
        Sintercard => sets::sintercard(ctx, args),
        Sscan => sets::sscan(ctx, args),
        // sorted sets
        Zadd => zsets::zadd(ctx, args),
        Zrem => zsets::zrem(ctx, args),
        Zscore => zsets::zscore(ctx, args),
        Zmscore => zsets::zmscore(ctx, args),
        Zincrby => zsets::zincrby(ctx, args),
        Zcard => zsets::zcard(ctx, args),
        Zcount => zsets::zcount(ctx, args),
        Zlexcount => zsets::zlexcount(ctx, args),
        Zrange => zsets::zrange(ctx, args),
        Zrangebyscore => zsets::zrangebyscore(ctx, args),
        Zrevrangebyscore => zsets::zrevrangebyscore(ctx, args),
        Zrangebylex => zsets::zrangebylex(ctx, args),
        Zrevrangebylex => zsets::zrevrangebylex(ctx, args),
        Zrevrange => zsets::zrevrange(ctx, args),
        Zrank => zsets::zrank(ctx, args),
        Zrevrank => zsets::zrevrank(ctx, args),
        Zpopmin => zsets::zpopmin(ctx, args),
        Zpopmax => zsets::zpopmax(ctx, args),
        Zrangestore => zsets::zrangestore(ctx, args),
        Zunionstore => zsets::zunionstore(ctx, args),
        Zinterstore => zsets::zinterstore(ctx, args),
        Zremrangebyscore => zsets::zremrangebyscore(ctx, args),
        Zremrangebyrank => zsets::zremrangebyrank(ctx, args),
        Zremrangebylex => zsets::zremrangebylex(ctx, args),
        Zscan => zsets::zscan(ctx, args),
        // HyperLogLog
        Pfadd => hyperloglog::pfadd(ctx, args),
        Pfcount => hyperloglog::pfcount(ctx, args),
        Pfmerge => hyperloglog::pfmerge(ctx, args),
        Pfdebug => hyperloglog::pfdebug(ctx, args),
        Pfselftest => hyperloglog::pfselftest(ctx, args),
        Bzpopmin => return into_response(zsets::bzpopmin(ctx, args)),
        Bzpopmax => return into_response(zsets::bzpopmax(ctx, args)),
        Zmpop => zsets::zmpop(ctx, args),
        Bzmpop => return into_response(zsets::bzmpop(ctx, args)),
        Zunion => zsets::zunion(ctx, args),
        Zinter => zsets::zinter(ctx, args),
        Zdiff => zsets::zdiff(ctx, args),
        Zdiffstore => zsets::zdiffstore(ctx, args),
        Zintercard => zsets::zintercard(ctx, args),
        Zrandmember => zsets::zrandmember(ctx, args),
        // streams
        Xadd => streams::xadd(ctx, args),
        Xrange => streams::xrange(ctx, args),
        Xrevrange => streams::xrevrange(ctx, args),
        Xlen => streams::xlen(ctx, args),
        Xdel => streams::xdel(ctx, args),
        Xtrim => streams::xtrim(ctx, args),
        Xread => return into_response(streams::xread(ctx, args)),
        Xreadgroup => return into_response(streams::xreadgroup(ctx, args)),
        Xgroup => streams::xgroup(ctx, args),
        Xack => streams::xack(ctx, args),
        Xpending => streams::xpending(ctx, args),
        Xclaim => streams::xclaim(ctx, args),
        Xautoclaim => streams::xautoclaim(ctx, args),
        Xinfo => streams::xinfo(ctx, args),
        Xsetid => streams::xsetid(ctx, args),
        // geo
        Geoadd => geo::geoadd(ctx, args),
        Geodist => geo::geodist(ctx, args),
        Geohash => geo::geohash(ctx, args),
        Geopos => geo::geopos(ctx, args),
        Georadius => geo::georadius(ctx, args),
        GeoradiusRo => geo::georadius_ro(ctx, args),
        Georadiusbymember => geo::georadiusbymember(ctx, args),
        GeoradiusbymemberRo => geo::georadiusbymember_ro(ctx, args),
        Geosearch => geo::geosearch(ctx, args),
        Geosearchstore => geo::geosearchstore(ctx, args),
        // transactions
        Multi => transaction::multi(ctx, args),
        Exec => return transaction::exec(ctx, args),
        Discard => transaction::discard(ctx, args),
        Watch => transaction::watch(ctx, args),
        Unwatch => transaction::unwatch(ctx, args),
        // pub/sub
        Subscribe => pubsub::subscribe(ctx, args),
        Psubscribe => pubsub::psubscribe(ctx, args),
        Unsubscribe => pubsub::unsubscribe(ctx, args),
        Punsubscribe => pubsub::punsubscribe(ctx, args),
        Publish => pubsub::publish(ctx, args),
        Pubsub => pubsub::pubsub(ctx, args),
        Ssubscribe => pubsub::ssubscribe(ctx, args),
        Sunsubscribe => pubsub::sunsubscribe(ctx, args),
        Spublish => pubsub::spublish(ctx, args),
        // scripting
        Eval => scripting::eval(ctx, args, false),
        EvalRo => scripting::eval(ctx, args, true),
        Evalsha => scripting::evalsha(ctx, args, false),
        EvalshaRo => scripting::evalsha(ctx, args, true),
        Script => scripting::script(ctx, args),
        Fcall => functions::fcall(ctx, args, false),
        FcallRo => functions::fcall(ctx, args, true),
        Function => functions::function(ctx, args),
        // connection
        Ping => connection::ping(ctx, args),
        Echo => connection::echo(ctx, args),
        Quit => return Response::Close(Reply::Ok),
        Reset => connection::reset(ctx, args),
        Hello => connection::hello(ctx, args),
        Auth => connection::auth(ctx, args),
        Client => connection::client(ctx, args),
        Readonly | Readwrite => Err(CmdError::err("This instance has cluster support disabled")),
        // server
        Command => server::command(ctx, args),
        Config => server::config(ctx, args),
        Info => server::info(ctx, args),
        Time => server::time(ctx, args),
        Debug => server::debug(ctx, args),
        Memory => server::memory(ctx, args),
        Module => server::module(ctx, args),
        Lastsave => server::lastsave(ctx, args),
        Save | Bgsave => Err(CmdError::err(
            "rgroup keeps no snapshots on disk: durability comes from replication",
        )),
        Role => server::role(ctx, args),
        Wait => return into_response(server::wait(ctx, args)),
        Replicaof | Slaveof => server::replicaof(ctx, args),
        Monitor => monitor::monitor(ctx, args),
        Shutdown => return server::shutdown(ctx, args),
        Slowlog => slowlog::slowlog(ctx, args),
        Latency => latency::latency(ctx, args),
    };
    Response::Reply(result.into())
}

fn into_response(result: Result<Response, CmdError>) -> Response {
    result.unwrap_or_else(|error| Response::Reply(Reply::Error(error)))
}

/// Runs commands against an engine with no network, for the command families' unit tests.
#[cfg(test)]
pub(crate) mod testing;
