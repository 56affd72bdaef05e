//! Keyspace notifications: https://redis.io/docs/manual/keyspace-notifications/
//!
//! A write names its event with `Engine::notify(class, event, db, key)` (commands call
//! `ctx.notify`); when the `notify-keyspace-events` setting leaves the class out (the
//! default leaves everything out) that is one bit test and nothing else.
//!
//! New value types (streams: class `t`, events "xadd", "xtrim", "xdel", "xgroup-create"...,
//! as t_stream.c names them) follow the same pattern: call `ctx.notify(Class::STREAM, ...)`
//! right after the write, before any "del" of an emptied key.

use bytes::{BufMut, Bytes, BytesMut};
use rg_commands::{CommandId, CommandSpec, Flags};

/// The classes of `notify-keyspace-events`, with Redis's bit values (notify.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Class(u32);

impl Class {
    pub const KEYSPACE: Class = Class(1 << 0);
    pub const KEYEVENT: Class = Class(1 << 1);
    pub const GENERIC: Class = Class(1 << 2);
    pub const STRING: Class = Class(1 << 3);
    pub const LIST: Class = Class(1 << 4);
    pub const SET: Class = Class(1 << 5);
    pub const HASH: Class = Class(1 << 6);
    pub const ZSET: Class = Class(1 << 7);
    pub const EXPIRED: Class = Class(1 << 8);
    pub const EVICTED: Class = Class(1 << 9);
    pub const STREAM: Class = Class(1 << 10);
    /// Not part of `A`, as in Redis.
    pub const KEY_MISS: Class = Class(1 << 11);
    pub const MODULE: Class = Class(1 << 13);
    pub const NEW: Class = Class(1 << 14);
    const ALL: Class = Class(
        Self::GENERIC.0
            | Self::STRING.0
            | Self::LIST.0
            | Self::SET.0
            | Self::HASH.0
            | Self::ZSET.0
            | Self::EXPIRED.0
            | Self::EVICTED.0
            | Self::STREAM.0
            | Self::MODULE.0,
    );

    pub fn contains(self, other: Class) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The letters in the order Redis checks them when it writes the setting back.
const LETTERS: [(char, Class); 10] = [
    ('g', Class::GENERIC),
    ('$', Class::STRING),
    ('l', Class::LIST),
    ('s', Class::SET),
    ('h', Class::HASH),
    ('z', Class::ZSET),
    ('x', Class::EXPIRED),
    ('e', Class::EVICTED),
    ('t', Class::STREAM),
    ('d', Class::MODULE),
];

/// Parses the setting's letters (keyspaceEventsStringToFlags).
pub fn parse(text: &str) -> Result<Class, String> {
    let mut flags = 0;
    for c in text.chars() {
        flags |= match c {
            'A' => Class::ALL.0,
            'K' => Class::KEYSPACE.0,
            'E' => Class::KEYEVENT.0,
            'm' => Class::KEY_MISS.0,
            'n' => Class::NEW.0,
            _ => match LETTERS.iter().find(|(l, _)| *l == c) {
                Some((_, class)) => class.0,
                None => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
            },
        };
    }
    Ok(Class(flags))
}

/// The setting as CONFIG GET shows it (keyspaceEventsFlagsToString): `A` replaces the
/// classes it covers, and then also hides `n`, exactly as Redis 7.0 does.
pub fn format(flags: Class) -> String {
    let mut text = String::new();
    if flags.0 & Class::ALL.0 == Class::ALL.0 {
        text.push('A');
    } else {
        for (letter, class) in LETTERS {
            if flags.contains(class) {
                text.push(letter);
            }
        }
        if flags.contains(Class::NEW) {
            text.push('n');
        }
    }
    for (letter, class) in [
        ('K', Class::KEYSPACE),
        ('E', Class::KEYEVENT),
        ('m', Class::KEY_MISS),
    ] {
        if flags.contains(class) {
            text.push(letter);
        }
    }
    text
}

/// Read commands, and the writes that look their sources up as reads in Redis (so that a
/// missing one is a `keymiss`): SET GET, GETSET, the STORE forms, BITOP, PFMERGE, COPY...
pub fn misses_are_events(spec: &CommandSpec) -> bool {
    use CommandId::*;
    spec.flags.contains(Flags::READONLY)
        || matches!(
            spec.id,
            Set | Getset
                | Getdel
                | Getex
                | Sinterstore
                | Sunionstore
                | Sdiffstore
                | Bitop
                | Pfmerge
                | Zunionstore
                | Zinterstore
                | Zdiffstore
                | Zrangestore
                | Sort
                | Copy
                | Bitfield
        )
}

/// `__keyspace@<db>__:<key>` or `__keyevent@<db>__:<event>`.
pub fn channel(kind: &str, db: usize, name: &[u8]) -> Bytes {
    let mut channel = BytesMut::with_capacity(16 + name.len());
    channel.put_slice(b"__");
    channel.put_slice(kind.as_bytes());
    channel.put_u8(b'@');
    channel.put_slice(itoa::Buffer::new().format(db).as_bytes());
    channel.put_slice(b"__:");
    channel.put_slice(name);
    channel.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_echoes_as_redis_writes_it() {
        for (given, shown) in [
            ("KEA", "AKE"),
            ("Ex", "xE"),
            ("gA", "A"),
            ("Kn", "nK"),
            ("m", "m"),
            ("AmKEn", "AKEm"),
            ("", ""),
            ("$lshzxetd", "$lshzxetd"),
        ] {
            assert_eq!(format(parse(given).unwrap()), shown, "{given}");
        }
        assert!(parse("q").is_err());
    }

    #[test]
    fn channels_name_the_database() {
        assert_eq!(&channel("keyspace", 3, b"k")[..], b"__keyspace@3__:k");
        assert_eq!(&channel("keyevent", 0, b"del")[..], b"__keyevent@0__:del");
    }
}
