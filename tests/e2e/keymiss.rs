//! The `m` class of keyspace notifications: which lookups of a missing key Redis 7.0.15
//! announces as `keymiss`, compared with redis-server command by command.

use crate::notifications::both_events;

/// `keymiss` comes from Redis's lookupKeyRead: reads, and the writes that look their
/// sources up that way; not from writes that create what they miss.
#[test]
fn misses_are_keymiss_events_where_redis_reads() {
    let writes: &[&[&str]] = &[
        &["GET", "m"],
        &["EXISTS", "m"],
        &["TYPE", "m"],
        &["TTL", "m"],
        &["PTTL", "m"],
        &["EXPIRETIME", "m"],
        &["STRLEN", "m"],
        &["HGET", "m", "f"],
        &["LLEN", "m"],
        &["LRANGE", "m", "0", "-1"],
        &["SMEMBERS", "m"],
        &["ZSCORE", "m", "a"],
        &["GETRANGE", "m", "0", "1"],
        &["MGET", "m", "n"],
        &["GETBIT", "m", "1"],
        &["BITCOUNT", "m"],
        &["PFCOUNT", "m"],
        &["SINTER", "m", "n"],
        &["ZUNION", "2", "m", "n"],
        &["SORT_RO", "m"],
        &["LCS", "m", "n"],
        &["INCR", "m1"],
        &["APPEND", "m2", "x"],
        &["SET", "m3", "v", "GET"],
        &["GETSET", "m4", "v"],
        &["GETDEL", "m5"],
        &["PFADD", "m6", "a"],
        &["SETRANGE", "m7", "0", "x"],
        &["SINTERSTORE", "d", "m", "n"],
        &["SUNIONSTORE", "d", "m", "n"],
        &["SDIFFSTORE", "d", "m", "n"],
        &["BITOP", "OR", "d", "m", "n"],
        &["PFMERGE", "d2", "m", "n"],
        &["ZUNIONSTORE", "d", "2", "m", "n"],
        &["ZINTERSTORE", "d", "2", "m", "n"],
        &["ZRANGESTORE", "d", "m", "0", "-1"],
        &["SORT", "m", "STORE", "d"],
        &["SORT", "m"],
        &["LPOP", "m"],
        &["RPOPLPUSH", "m", "n"],
        &["SMOVE", "m", "n", "a"],
        &["HINCRBY", "m8", "f", "1"],
        &["ZADD", "m9", "1", "a"],
        &["COPY", "m", "d"],
        &["TOUCH", "m"],
        &["HGETALL", "m"],
        &["HEXISTS", "m", "f"],
        &["SISMEMBER", "m", "a"],
        &["ZRANGE", "m", "0", "-1"],
        &["ZCARD", "m"],
        &["LINDEX", "m", "0"],
        &["SRANDMEMBER", "m"],
        &["HRANDFIELD", "m"],
        &["ZRANDMEMBER", "m"],
        &["GETEX", "m"],
        &["EXPIRE", "m", "10"],
        &["PERSIST", "m"],
        &["SINTERCARD", "2", "m", "n"],
        &["LMPOP", "2", "m", "n", "LEFT"],
        &["HMGET", "m", "a"],
        &["LPOS", "m", "a"],
        &["BITFIELD_RO", "m", "GET", "u8", "0"],
        &["BITFIELD", "m", "GET", "u8", "0"],
    ];
    let (expected, got) = both_events("Em", writes);
    assert_eq!(got, expected);
    assert!(expected.len() > 60, "{expected:?}");
}
