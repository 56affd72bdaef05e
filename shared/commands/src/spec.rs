//! What the table says about one command: [`CommandSpec`], its [`Flags`] and its [`CommandId`].
//!
//! The fields mirror the first seven fields of Redis's `COMMAND INFO` reply
//! (<https://redis.io/commands/command-info/>), with the same meanings.

use std::fmt;
use std::ops::BitOr;

/// A set of command flags: Redis 7.0's, plus two routing flags of rgroup's own.
///
/// A hand-written bitset, so the table can be a `static` built with [`Flags::union`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u32);

/// Redis's flags with the names `COMMAND INFO` prints, in the order it prints them.
const REDIS_NAMES: [(Flags, &str); 19] = [
    (Flags::WRITE, "write"),
    (Flags::READONLY, "readonly"),
    (Flags::DENYOOM, "denyoom"),
    (Flags::ADMIN, "admin"),
    (Flags::PUBSUB, "pubsub"),
    (Flags::NOSCRIPT, "noscript"),
    (Flags::BLOCKING, "blocking"),
    (Flags::LOADING, "loading"),
    (Flags::STALE, "stale"),
    (Flags::SKIP_MONITOR, "skip_monitor"),
    (Flags::SKIP_SLOWLOG, "skip_slowlog"),
    (Flags::FAST, "fast"),
    (Flags::NO_AUTH, "no_auth"),
    (Flags::MAY_REPLICATE, "may_replicate"),
    (Flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (Flags::NO_ASYNC_LOADING, "no_async_loading"),
    (Flags::NO_MULTI, "no_multi"),
    (Flags::MOVABLEKEYS, "movablekeys"),
    (Flags::ALLOW_BUSY, "allow_busy"),
];

/// rgroup's own flags, which `COMMAND INFO` never prints.
const RGROUP_NAMES: [(Flags, &str); 2] = [
    (Flags::TRANSACTION, "TRANSACTION"),
    (Flags::CONNECTION_STATE, "CONNECTION_STATE"),
];

impl Flags {
    pub const EMPTY: Flags = Flags(0);
    pub const WRITE: Flags = Flags(1 << 0);
    pub const READONLY: Flags = Flags(1 << 1);
    pub const DENYOOM: Flags = Flags(1 << 2);
    pub const ADMIN: Flags = Flags(1 << 3);
    pub const PUBSUB: Flags = Flags(1 << 4);
    pub const NOSCRIPT: Flags = Flags(1 << 5);
    pub const BLOCKING: Flags = Flags(1 << 6);
    pub const LOADING: Flags = Flags(1 << 7);
    pub const STALE: Flags = Flags(1 << 8);
    pub const SKIP_MONITOR: Flags = Flags(1 << 9);
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 10);
    pub const FAST: Flags = Flags(1 << 11);
    pub const NO_AUTH: Flags = Flags(1 << 12);
    pub const MAY_REPLICATE: Flags = Flags(1 << 13);
    pub const NO_MANDATORY_KEYS: Flags = Flags(1 << 14);
    /// Refused while a replica loads its dataset asynchronously (`save`, `bgsave`,
    /// `replicaof`...). Redis 7.0 prints it, so the table keeps it.
    pub const NO_ASYNC_LOADING: Flags = Flags(1 << 15);
    pub const NO_MULTI: Flags = Flags(1 << 16);
    /// The keys are not all given by first/last/step: see [`CommandSpec::key_positions`].
    pub const MOVABLEKEYS: Flags = Flags(1 << 17);
    pub const ALLOW_BUSY: Flags = Flags(1 << 18);
    /// rgroup only: opens, runs, aborts or guards a transaction
    /// (`multi`, `exec`, `discard`, `watch`, `unwatch`).
    pub const TRANSACTION: Flags = Flags(1 << 24);
    /// rgroup only: binds state to the connection (`select`, `hello`, `auth`, `reset`,
    /// `client`, the subscribe family, `multi`, `watch`, `readonly`, `readwrite`, `monitor`),
    /// so a router must keep the client on one backend connection.
    pub const CONNECTION_STATE: Flags = Flags(1 << 25);

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The flags in either set; `const`, unlike `|`.
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The Redis names of the set flags, lowercase and in the order `COMMAND INFO`
    /// prints them. rgroup's own flags are left out.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        REDIS_NAMES
            .into_iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| name)
    }
}

impl BitOr for Flags {
    type Output = Flags;

    fn bitor(self, rhs: Flags) -> Flags {
        self.union(rhs)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rgroup = RGROUP_NAMES
            .into_iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| name);
        f.debug_set().entries(self.names().chain(rgroup)).finish()
    }
}

/// One variant per command in the table, so callers match on an enum rather than on
/// names. The variant is the lowercase name with the first letter of each `_`-separated
/// word capitalised (`zrangebyscore` is `Zrangebyscore`, `bitfield_ro` is `BitfieldRo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[rustfmt::skip]
pub enum CommandId {
    // Strings
    Get, Set, Setnx, Setex, Psetex, Getset, Getdel, Getex, Mget, Mset, Msetnx, Incr, Decr,
    Incrby, Decrby, Incrbyfloat, Append, Strlen, Getrange, Setrange, Substr, Lcs,
    // Bitmaps
    Setbit, Getbit, Bitcount, Bitpos, Bitop, Bitfield, BitfieldRo,
    // Keys and the keyspace
    Del, Unlink, Exists, Type, Rename, Renamenx, Expire, Pexpire, Expireat, Pexpireat, Ttl,
    Pttl, Expiretime, Pexpiretime, Persist, Keys, Scan, Randomkey, Dbsize, Flushdb,
    Flushall, Copy, Touch, Select, Swapdb, Move, Sort, SortRo,
    // Hashes
    Hset, Hsetnx, Hget, Hmget, Hmset, Hdel, Hgetall, Hkeys, Hvals, Hlen, Hexists, Hincrby,
    Hincrbyfloat, Hstrlen, Hrandfield, Hscan,
    // Lists
    Lpush, Rpush, Lpushx, Rpushx, Lpop, Rpop, Lrange, Llen, Lindex, Lset, Lrem, Ltrim,
    Linsert, Lpos, Lmove, Rpoplpush, Blpop, Brpop, Blmove, Brpoplpush, Lmpop, Blmpop,
    // Sets
    Sadd, Srem, Smembers, Sismember, Smismember, Scard, Spop, Srandmember, Smove, Sinter,
    Sunion, Sdiff, Sinterstore, Sunionstore, Sdiffstore, Sintercard, Sscan,
    // Sorted sets
    Zadd, Zrem, Zscore, Zmscore, Zincrby, Zcard, Zcount, Zlexcount, Zrange, Zrangebyscore,
    Zrevrangebyscore, Zrangebylex, Zrevrangebylex, Zrevrange, Zrank, Zrevrank, Zpopmin,
    Zpopmax, Zrangestore, Zunionstore, Zinterstore, Zremrangebyscore, Zremrangebyrank,
    Zremrangebylex, Zscan, Bzpopmin, Bzpopmax, Zmpop, Bzmpop, Zunion, Zinter, Zdiff,
    Zdiffstore, Zintercard, Zrandmember,
    // HyperLogLog
    Pfadd, Pfcount, Pfmerge, Pfdebug, Pfselftest,
    // Transactions
    Multi, Exec, Discard, Watch, Unwatch,
    // Pub/sub
    Subscribe, Psubscribe, Unsubscribe, Punsubscribe, Publish, Pubsub,
    // Scripting
    Eval, Evalsha, EvalRo, EvalshaRo, Script, Fcall, FcallRo, Function,
    // Connection and server
    Ping, Echo, Quit, Reset, Hello, Auth, Client, Command, Config, Info, Time, Shutdown,
    Debug, Lastsave, Save, Bgsave, Replicaof, Slaveof, Role, Wait, Readonly, Readwrite,
    Monitor, Object, Memory, Module,
}

/// A command's entry in the table: Redis 7.0's `COMMAND INFO` facts plus rgroup's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// The name, lowercase.
    pub name: &'static str,
    pub id: CommandId,
    /// Redis's arity, counting the name: `n > 0` means exactly `n` arguments, `n < 0`
    /// at least `-n`.
    pub arity: i32,
    pub flags: Flags,
    /// The argv index of the first key; 0 when the command takes no key at fixed places.
    pub first_key: i32,
    /// The argv index of the last key; negative counts from the end (-1 is the last argument).
    pub last_key: i32,
    /// The distance between keys (2 for `mset key value key value`).
    pub key_step: i32,
    /// The ACL categories as `COMMAND INFO` prints them (`"@read"`, `"@string"`...).
    pub acl_categories: &'static [&'static str],
}

impl CommandSpec {
    pub const fn is_write(&self) -> bool {
        self.flags.contains(Flags::WRITE)
    }

    pub const fn is_readonly(&self) -> bool {
        self.flags.contains(Flags::READONLY)
    }

    pub const fn is_blocking(&self) -> bool {
        self.flags.contains(Flags::BLOCKING)
    }

    pub const fn is_pubsub(&self) -> bool {
        self.flags.contains(Flags::PUBSUB)
    }

    pub const fn is_admin(&self) -> bool {
        self.flags.contains(Flags::ADMIN)
    }

    /// Whether `argc` arguments, counting the command name, satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let need = self.arity.unsigned_abs() as usize;
        if self.arity >= 0 {
            argc == need
        } else {
            argc >= need
        }
    }

    /// The argv indexes of the keys in a call with `argc` arguments (counting the name),
    /// as Redis derives them from first key, last key and step. Indexes past the end of
    /// argv are never returned.
    ///
    /// Exact only for commands without [`Flags::MOVABLEKEYS`]. For those
    /// (`zunionstore`, `zinterstore`, `sintercard`) this gives only the keys at fixed
    /// places, possibly none; the command's own parsing (of `numkeys`) finds the rest.
    /// Container commands such as `object` have no keys here either: their keys belong
    /// to subcommands.
    pub fn key_positions(&self, argc: usize) -> impl Iterator<Item = usize> {
        let (first, last, step) = self.key_range(argc).unwrap_or((1, 0, 1));
        (first..=last).step_by(step)
    }

    /// First key, last key and step resolved against `argc`, or `None` for no keys.
    fn key_range(&self, argc: usize) -> Option<(usize, usize, usize)> {
        let first = usize::try_from(self.first_key).ok().filter(|&i| i > 0)?;
        let step = usize::try_from(self.key_step).ok().filter(|&s| s > 0)?;
        let last = match usize::try_from(self.last_key) {
            Ok(last) => last,
            Err(_) => argc.checked_sub(self.last_key.unsigned_abs() as usize)?,
        };
        let last = last.min(argc.checked_sub(1)?);
        (first <= last).then_some((first, last, step))
    }
}
