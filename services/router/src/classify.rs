//! Where a command goes, from the command table's flags and a few commands the router
//! answers or refuses itself. Pure: no I/O, unit-tested.

use bytes::Bytes;
use rg_commands::{CommandId, Flags};

/// Why a client needs a connection of its own to the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// MULTI or WATCH: until EXEC, DISCARD (or UNWATCH for a WATCH alone).
    Transaction,
    /// A blocking command (BLPOP...): it would stall a shared connection.
    Blocking,
    /// SELECT of a database other than 0.
    Database,
    /// SUBSCRIBE and friends: replies and messages stream on that connection.
    PubSub,
    /// CLIENT TRACKING ON: the node tracks keys per connection and pushes invalidations
    /// on it, so the client keeps one connection, relayed like a subscriber's.
    Tracking,
}

/// Commands the router answers itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    Ping,
    Echo,
    Auth,
    Hello,
    Quit,
    Reset,
    Info,
    SelectZero,
    ClientSetName,
    ClientGetName,
    ClientId,
    Wait,
}

impl Local {
    /// Answered here even on a client's own connection to the primary; the others (PING,
    /// ECHO, SELECT 0) go there, where a transaction queues them.
    pub fn stays_local_when_pinned(self) -> bool {
        !matches!(self, Local::Ping | Local::Echo | Local::SelectZero)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Read-only: a replica may answer.
    Read,
    /// Changes data: the primary.
    Write,
    /// Neither (PUBLISH, CONFIG, COMMAND, TIME, commands the table does not know): the
    /// primary, on a shared connection.
    Primary,
    Local(Local),
    Pin(Pin),
    /// Not allowed through the router, with why.
    Refused(&'static str),
}

impl Class {
    /// The label metrics use.
    pub fn label(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Write => "write",
            Class::Primary => "other",
            Class::Local(_) => "local",
            Class::Pin(_) => "session",
            Class::Refused(_) => "refused",
        }
    }
}

pub fn classify(args: &[Bytes]) -> Class {
    let Some(name) = args.first() else {
        return Class::Primary;
    };
    let Some(spec) = rg_commands::lookup(name) else {
        return Class::Primary;
    };
    let arg = |i: usize| args.get(i).map(|a| a.as_ref()).unwrap_or_default();
    match spec.id {
        CommandId::Ping => return Class::Local(Local::Ping),
        CommandId::Echo => return Class::Local(Local::Echo),
        CommandId::Auth => return Class::Local(Local::Auth),
        CommandId::Hello => return Class::Local(Local::Hello),
        CommandId::Quit => return Class::Local(Local::Quit),
        CommandId::Reset => return Class::Local(Local::Reset),
        CommandId::Info => return Class::Local(Local::Info),
        CommandId::Wait => return Class::Local(Local::Wait),
        CommandId::Select if arg(1) == b"0" => return Class::Local(Local::SelectZero),
        CommandId::Select => return Class::Pin(Pin::Database),
        CommandId::Multi | CommandId::Watch => return Class::Pin(Pin::Transaction),
        CommandId::Subscribe | CommandId::Psubscribe | CommandId::Ssubscribe => {
            return Class::Pin(Pin::PubSub)
        }
        CommandId::Client => return client(arg(1), &args[2.min(args.len())..]),
        CommandId::Config if arg(1).eq_ignore_ascii_case(b"set") && sets_access(&args[2..]) => {
            return Class::Refused(
                "CONFIG SET of requirepass, masterauth, masteruser, port or bind would lock out \
                 the router and the sentinels or move the node: set it in the node's and the \
                 router's own settings",
            )
        }
        CommandId::Monitor => return Class::Refused("MONITOR is not supported through the router"),
        // The table flags them blocking; they block only with BLOCK.
        CommandId::Xread if !stream_read_blocks(args) => return Class::Read,
        CommandId::Xreadgroup if !stream_read_blocks(args) => return Class::Write,
        CommandId::Shutdown | CommandId::Replicaof | CommandId::Slaveof => {
            return Class::Refused(
                "this command changes a node's role or life: send it to the node itself",
            )
        }
        _ => {}
    }
    if spec.flags.contains(Flags::BLOCKING) {
        Class::Pin(Pin::Blocking)
    } else if spec.flags.contains(Flags::WRITE) {
        Class::Write
    } else if spec.flags.contains(Flags::READONLY) {
        Class::Read
    } else {
        Class::Primary
    }
}

/// Whether XREAD or XREADGROUP has a BLOCK option (before STREAMS, where the options end;
/// a group or consumer named BLOCK is not one).
fn stream_read_blocks(args: &[Bytes]) -> bool {
    let mut i = 1;
    while let Some(arg) = args.get(i) {
        if arg.eq_ignore_ascii_case(b"STREAMS") {
            return false;
        }
        if arg.eq_ignore_ascii_case(b"BLOCK") {
            return true;
        }
        i += if arg.eq_ignore_ascii_case(b"GROUP") {
            3
        } else if arg.eq_ignore_ascii_case(b"COUNT") {
            2
        } else {
            1
        };
    }
    false
}

/// Settings of a node that the router and the sentinels depend on to reach it.
const ACCESS_SETTINGS: [&[u8]; 5] = [
    b"requirepass",
    b"masterauth",
    b"masteruser",
    b"port",
    b"bind",
];

/// Whether CONFIG SET's `name value` pairs touch one of them.
fn sets_access(pairs: &[Bytes]) -> bool {
    pairs.iter().step_by(2).any(|name| {
        ACCESS_SETTINGS
            .iter()
            .any(|setting| name.eq_ignore_ascii_case(setting))
    })
}

fn client(sub: &[u8], rest: &[Bytes]) -> Class {
    let sub = sub.to_ascii_lowercase();
    let on = rest.first().is_some_and(|a| a.eq_ignore_ascii_case(b"on"));
    let redirect = rest.iter().any(|a| a.eq_ignore_ascii_case(b"redirect"));
    match sub.as_slice() {
        b"setname" => Class::Local(Local::ClientSetName),
        b"getname" => Class::Local(Local::ClientGetName),
        b"id" => Class::Local(Local::ClientId),
        b"list" | b"info" | b"help" => Class::Primary,
        b"tracking" if redirect => Class::Refused(
            "CLIENT TRACKING REDIRECT names a node's connection id, which a router client \
             cannot know: use RESP3 (HELLO 3), where invalidations arrive on the tracking \
             connection itself",
        ),
        b"tracking" if on => Class::Pin(Pin::Tracking),
        // Off, or asked about, on a connection that is not tracking: any node connection
        // answers the same (OK, -1, "off", or CACHING's error).
        b"tracking" | b"caching" | b"getredir" | b"trackinginfo" => Class::Primary,
        b"pause" | b"unpause" => Class::Refused(
            "CLIENT PAUSE would pause the shared node for every client and for the sentinels: \
             send it to the node itself",
        ),
        b"reply" => Class::Refused(
            "CLIENT REPLY would desynchronise the router's replies from its requests",
        ),
        b"unblock" | b"no-evict" => Class::Refused(
            "this CLIENT subcommand names or flags node connections: send it to the node itself",
        ),
        _ => Class::Refused(
            "this CLIENT subcommand binds or changes node connections and is not supported \
             through the router",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(words: &str) -> Class {
        let args: Vec<Bytes> = words
            .split(' ')
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        classify(&args)
    }

    #[test]
    fn reads_writes_and_the_rest() {
        assert_eq!(class("GET k"), Class::Read);
        assert_eq!(class("mget a b"), Class::Read);
        assert_eq!(class("SCAN 0"), Class::Read);
        assert_eq!(class("SET k v"), Class::Write);
        assert_eq!(class("INCR k"), Class::Write);
        assert_eq!(class("SETBIT k 7 1"), Class::Write);
        assert_eq!(
            class("BITFIELD k GET u8 0"),
            Class::Write,
            "BITFIELD is a write"
        );
        assert_eq!(class("BITFIELD_RO k GET u8 0"), Class::Read);
        assert_eq!(class("BITCOUNT k"), Class::Read);
        assert_eq!(class("PFADD h a"), Class::Write);
        assert_eq!(
            class("PFCOUNT h"),
            Class::Read,
            "a replica answers from its copy"
        );
        assert_eq!(class("PFCOUNT h g"), Class::Read);
        assert_eq!(class("PFMERGE h g"), Class::Write);
        assert_eq!(class("LMPOP 1 l LEFT"), Class::Write);
        assert_eq!(class("ZMPOP 1 z MIN"), Class::Write);
        assert_eq!(class("SORT l STORE d"), Class::Write);
        assert_eq!(class("MOVE k 1"), Class::Write);
        assert_eq!(class("SORT_RO l"), Class::Read);
        assert_eq!(class("ZUNION 2 a b"), Class::Read);
        assert_eq!(class("ZRANDMEMBER z"), Class::Read);
        assert_eq!(class("LCS a b"), Class::Read);
        assert_eq!(class("GEOADD g 1 2 m"), Class::Write);
        // GEORADIUS may STORE: the table marks it a write, so the primary answers it
        // with or without STORE; the _RO forms and GEOSEARCH go to replicas.
        assert_eq!(class("GEORADIUS g 1 2 3 km STORE d"), Class::Write);
        assert_eq!(class("GEORADIUS g 1 2 3 km"), Class::Write);
        assert_eq!(class("GEORADIUSBYMEMBER g m 3 km"), Class::Write);
        assert_eq!(class("GEORADIUS_RO g 1 2 3 km"), Class::Read);
        assert_eq!(class("GEOSEARCH g FROMMEMBER m BYRADIUS 1 km"), Class::Read);
        assert_eq!(
            class("GEOSEARCHSTORE d g FROMMEMBER m BYRADIUS 1 km"),
            Class::Write
        );
        assert_eq!(class("GEODIST g a b"), Class::Read);
        assert_eq!(class("SLOWLOG GET"), Class::Primary);
        assert_eq!(class("LATENCY LATEST"), Class::Primary);
        assert_eq!(class("PUBLISH c m"), Class::Primary);
        assert_eq!(class("CONFIG GET maxmemory"), Class::Primary);
        assert_eq!(class("XADD s * f v"), Class::Write);
        assert_eq!(class("XRANGE s - +"), Class::Read);
        assert_eq!(class("XLEN s"), Class::Read);
        assert_eq!(class("XPENDING s g"), Class::Read);
        assert_eq!(class("XACK s g 1-1"), Class::Write);
        assert_eq!(class("XCLAIM s g c 0 1-1"), Class::Write);
        assert_eq!(class("XAUTOCLAIM s g c 0 0"), Class::Write);
        assert_eq!(class("XSETID s 5-0"), Class::Write);
        assert_eq!(class("XGROUP CREATE s g $"), Class::Primary);
        assert_eq!(class("XREAD COUNT 2 STREAMS s 0"), Class::Read);
        assert_eq!(
            class("XREADGROUP GROUP g c STREAMS s >"),
            Class::Write,
            "XREADGROUP changes the group: the primary"
        );
        assert_eq!(
            class("XREADGROUP GROUP BLOCK STREAMS COUNT 1 STREAMS s >"),
            Class::Write,
            "a group named BLOCK and a consumer named STREAMS are not options"
        );
        assert_eq!(
            class("NOSUCHCOMMAND x"),
            Class::Primary,
            "unknown: the primary"
        );
    }

    #[test]
    fn stateful_commands_pin_and_some_are_answered_here() {
        assert_eq!(class("MULTI"), Class::Pin(Pin::Transaction));
        assert_eq!(class("WATCH k"), Class::Pin(Pin::Transaction));
        assert_eq!(class("BLPOP l 0"), Class::Pin(Pin::Blocking));
        for blocking in [
            "BZPOPMIN z 0",
            "BZPOPMAX z 0",
            "BRPOPLPUSH a b 0",
            "BLMPOP 0 1 l LEFT",
            "BZMPOP 0 1 z MIN",
            "XREAD BLOCK 0 STREAMS s $",
            "xread count 1 block 100 streams s 0",
            "XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
        ] {
            assert_eq!(class(blocking), Class::Pin(Pin::Blocking), "{blocking}");
        }
        assert_eq!(class("SUBSCRIBE c"), Class::Pin(Pin::PubSub));
        assert_eq!(class("SSUBSCRIBE c"), Class::Pin(Pin::PubSub));
        assert_eq!(class("SPUBLISH c m"), Class::Primary, "like PUBLISH");
        assert_eq!(class("PUBSUB SHARDCHANNELS"), Class::Primary);
        assert_eq!(class("SELECT 2"), Class::Pin(Pin::Database));
        assert_eq!(class("SELECT 0"), Class::Local(Local::SelectZero));
        assert_eq!(class("PING"), Class::Local(Local::Ping));
        assert_eq!(class("WAIT 1 0"), Class::Local(Local::Wait));
        assert_eq!(
            class("client setname x"),
            Class::Local(Local::ClientSetName)
        );
        assert!(matches!(class("CLIENT KILL ID 3"), Class::Refused(_)));
        assert_eq!(class("CLIENT TRACKING ON"), Class::Pin(Pin::Tracking));
        assert_eq!(
            class("client tracking on BCAST PREFIX a"),
            Class::Pin(Pin::Tracking)
        );
        assert!(matches!(
            class("CLIENT TRACKING ON REDIRECT 5"),
            Class::Refused(_)
        ));
        assert_eq!(class("CLIENT TRACKING OFF"), Class::Primary);
        assert_eq!(class("CLIENT CACHING YES"), Class::Primary);
        assert_eq!(class("CLIENT TRACKINGINFO"), Class::Primary);
        assert_eq!(class("CLIENT GETREDIR"), Class::Primary);
        for refused in [
            "CLIENT PAUSE 100",
            "CLIENT UNPAUSE",
            "CLIENT REPLY OFF",
            "CLIENT UNBLOCK 3",
            "CLIENT NO-EVICT ON",
        ] {
            assert!(matches!(class(refused), Class::Refused(_)), "{refused}");
        }
        assert!(matches!(class("SHUTDOWN"), Class::Refused(_)));
        assert!(matches!(class("REPLICAOF NO ONE"), Class::Refused(_)));
        assert!(matches!(
            class("CONFIG SET maxmemory 1mb requirepass secret"),
            Class::Refused(_)
        ));
        assert!(matches!(
            class("config set REQUIREPASS x"),
            Class::Refused(_)
        ));
        assert_eq!(class("CONFIG SET maxmemory 1mb"), Class::Primary);
        assert_eq!(
            class("CONFIG SET maxmemory requirepass"),
            Class::Primary,
            "a value, not a name"
        );
    }
}
