//! Client-side caching (https://redis.io/docs/manual/client-side-caching/) on the wire:
//! the same conversation with rg-node and with redis-server 7.0.15, byte for byte,
//! invalidation pushes included; then CLIENT PAUSE, REPLY and UNBLOCK.

use std::io::Read;

use rg_testkit::Node;

use crate::reference::{same, RedisServer};
use crate::support::{connect, q, Raw};

/// A raw connection that sends commands and reads whole RESP frames back.
pub(crate) struct Wire {
    raw: Raw,
}

impl Wire {
    pub(crate) fn open(port: u16, resp3: bool) -> Wire {
        let mut wire = Wire {
            raw: Raw::to_port(port),
        };
        if resp3 {
            wire.call(&["HELLO", "3"]);
        }
        wire
    }

    fn send(&mut self, args: &[&str]) {
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.raw.send(request.as_bytes());
    }

    /// Sends a command and returns its reply as it was written.
    pub(crate) fn call(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.frame()
    }

    /// One whole frame: its header line and everything it contains.
    pub(crate) fn frame(&mut self) -> String {
        let line = self.raw.read_line();
        let mut text = format!("{line}\r\n");
        let (kind, rest) = line.split_at(1.min(line.len()));
        let n: i64 = rest.parse().unwrap_or(-1);
        match kind {
            "$" | "=" | "!" if n >= 0 => {
                let mut body = vec![0; n as usize + 2];
                self.raw
                    .stream
                    .read_exact(&mut body)
                    .expect("the rest of a bulk string");
                text.push_str(&String::from_utf8_lossy(&body));
            }
            "*" | "~" | ">" => (0..n.max(0)).for_each(|_| text.push_str(&self.frame())),
            "%" | "|" => (0..2 * n.max(0)).for_each(|_| text.push_str(&self.frame())),
            _ => {}
        }
        text
    }
}

/// Logs one command and its reply.
fn step(log: &mut Vec<String>, who: &str, wire: &mut Wire, args: &[&str]) {
    log.push(format!("{who}> {} = {:?}", args.join(" "), wire.call(args)));
}

/// The conversation, as `who> command` lines followed by what each connection received.
fn conversation(port: u16) -> Vec<String> {
    let mut log = Vec::new();
    let (mut a, mut b) = (Wire::open(port, true), Wire::open(port, false));
    // Default mode: keys read are tracked; a write by anyone invalidates them once.
    step(&mut log, "a", &mut a, &["CLIENT", "TRACKING", "ON"]);
    step(&mut log, "a", &mut a, &["GET", "k"]);
    step(&mut log, "a", &mut a, &["MGET", "x", "y"]);
    step(&mut log, "b", &mut b, &["SET", "k", "1"]);
    log.push(format!("a< {:?}", a.frame()));
    step(&mut log, "b", &mut b, &["MSET", "x", "1", "y", "2"]);
    log.push(format!("a< {:?}", a.frame()));
    log.push(format!("a< {:?}", a.frame()));
    step(&mut log, "b", &mut b, &["SET", "k", "2"]);
    step(&mut log, "a", &mut a, &["PING"]);
    // Its own writes too, after the reply; NOLOOP leaves them out.
    step(&mut log, "a", &mut a, &["GET", "own"]);
    step(&mut log, "a", &mut a, &["SET", "own", "v"]);
    log.push(format!("a< {:?}", a.frame()));
    step(
        &mut log,
        "a",
        &mut a,
        &["CLIENT", "TRACKING", "ON", "NOLOOP"],
    );
    step(&mut log, "a", &mut a, &["GET", "own"]);
    step(&mut log, "a", &mut a, &["SET", "own", "w"]);
    step(&mut log, "a", &mut a, &["PING"]);
    // Containers, expiry commands and deletes invalidate as writes.
    step(&mut log, "a", &mut a, &["HGET", "h", "f"]);
    step(&mut log, "a", &mut a, &["LRANGE", "l", "0", "-1"]);
    step(&mut log, "a", &mut a, &["ZUNION", "2", "z1", "z2"]);
    step(&mut log, "b", &mut b, &["HSET", "h", "f", "v"]);
    log.push(format!("a< {:?}", a.frame()));
    step(&mut log, "b", &mut b, &["RPUSH", "l", "v"]);
    log.push(format!("a< {:?}", a.frame()));
    step(&mut log, "b", &mut b, &["ZADD", "z2", "1", "m"]);
    log.push(format!("a< {:?}", a.frame()));
    step(&mut log, "a", &mut a, &["TTL", "h"]);
    step(&mut log, "b", &mut b, &["EXPIRE", "h", "100"]);
    log.push(format!("a< {:?}", a.frame()));
    // Reads inside MULTI are tracked; a script's reads track the keys it declared.
    step(&mut log, "a", &mut a, &["MULTI"]);
    step(&mut log, "a", &mut a, &["GET", "t1"]);
    step(&mut log, "a", &mut a, &["EXEC"]);
    step(&mut log, "b", &mut b, &["SET", "t1", "x"]);
    log.push(format!("a< {:?}", a.frame()));
    let script = "redis.call('GET', KEYS[1]) redis.call('GET', 'undeclared') return 1";
    step(&mut log, "a", &mut a, &["EVAL", script, "1", "t2"]);
    step(
        &mut log,
        "b",
        &mut b,
        &["MSET", "undeclared", "x", "t2", "x"],
    );
    log.push(format!("a< {:?}", a.frame()));
    step(&mut log, "a", &mut a, &["PING"]);
    // A flush invalidates everything with a null.
    step(&mut log, "a", &mut a, &["GET", "k"]);
    step(&mut log, "b", &mut b, &["FLUSHALL"]);
    log.push(format!("a< {:?}", a.frame()));
    step(&mut log, "a", &mut a, &["CLIENT", "TRACKINGINFO"]);
    step(&mut log, "a", &mut a, &["CLIENT", "GETREDIR"]);
    step(&mut log, "a", &mut a, &["CLIENT", "TRACKING", "OFF"]);
    step(&mut log, "a", &mut a, &["CLIENT", "TRACKINGINFO"]);
    log
}

#[test]
fn default_tracking_invalidates_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let expected = conversation(reference.port);
    let got = conversation(node.port);
    for (e, g) in expected.iter().zip(&got) {
        assert_eq!(g, e, "redis: {expected:#?}\nrg-node: {got:#?}");
    }
    assert_eq!(got.len(), expected.len());
}

fn optin_bcast_conversation(port: u16) -> Vec<String> {
    let mut log = Vec::new();
    let (mut a, mut b) = (Wire::open(port, true), Wire::open(port, false));
    let mut c = Wire::open(port, true);
    // OPTIN: only the command after CLIENT CACHING YES is tracked.
    step(
        &mut log,
        "a",
        &mut a,
        &["CLIENT", "TRACKING", "ON", "OPTIN"],
    );
    step(&mut log, "a", &mut a, &["GET", "k1"]);
    step(&mut log, "a", &mut a, &["CLIENT", "CACHING", "YES"]);
    step(&mut log, "a", &mut a, &["CLIENT", "TRACKINGINFO"]);
    step(&mut log, "a", &mut a, &["GET", "k2"]);
    step(&mut log, "a", &mut a, &["GET", "k3"]);
    step(
        &mut log,
        "b",
        &mut b,
        &["MSET", "k1", "1", "k2", "2", "k3", "3"],
    );
    log.push(format!("a< {:?}", a.frame()));
    step(&mut log, "a", &mut a, &["PING"]);
    step(&mut log, "a", &mut a, &["CLIENT", "CACHING", "NO"]);
    step(
        &mut log,
        "a",
        &mut a,
        &["CLIENT", "TRACKING", "ON", "OPTOUT"],
    );
    step(&mut log, "a", &mut a, &["CLIENT", "TRACKING", "OFF"]);
    step(
        &mut log,
        "a",
        &mut a,
        &["CLIENT", "TRACKING", "ON", "OPTOUT"],
    );
    step(&mut log, "a", &mut a, &["CLIENT", "CACHING", "NO"]);
    step(&mut log, "a", &mut a, &["GET", "k4"]);
    step(&mut log, "a", &mut a, &["GET", "k5"]);
    step(&mut log, "b", &mut b, &["MSET", "k4", "1", "k5", "2"]);
    log.push(format!("a< {:?}", a.frame()));
    step(&mut log, "a", &mut a, &["PING"]);
    // BCAST: every key under a prefix, whoever read it, one message per command.
    step(
        &mut log,
        "c",
        &mut c,
        &[
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "job",
        ],
    );
    step(&mut log, "b", &mut b, &["SET", "user:1", "a"]);
    log.push(format!("c< {:?}", c.frame()));
    step(&mut log, "b", &mut b, &["SET", "other", "a"]);
    // One message per prefix, in the prefixes' order.
    step(
        &mut log,
        "b",
        &mut b,
        &["MSET", "user:2", "a", "jobs", "b", "user:3", "c"],
    );
    log.push(format!("c< {:?}", c.frame()));
    log.push(format!("c< {:?}", c.frame()));
    step(
        &mut log,
        "c",
        &mut c,
        &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "use"],
    );
    step(
        &mut log,
        "c",
        &mut c,
        &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "new"],
    );
    step(
        &mut log,
        "c",
        &mut c,
        &[
            "CLIENT", "TRACKING", "ON", "NOLOOP", "BCAST", "PREFIX", "zz",
        ],
    );
    step(&mut log, "c", &mut c, &["SET", "new1", "x"]);
    step(&mut log, "c", &mut c, &["PING"]);
    step(&mut log, "c", &mut c, &["CLIENT", "TRACKINGINFO"]);
    step(&mut log, "c", &mut c, &["CLIENT", "TRACKING", "ON"]);
    step(&mut log, "b", &mut b, &["FLUSHDB"]);
    log.push(format!("a< {:?}", a.frame()));
    log.push(format!("c< {:?}", c.frame()));
    log
}

#[test]
fn optin_optout_and_bcast_track_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let expected = optin_bcast_conversation(reference.port);
    let got = optin_bcast_conversation(node.port);
    for (e, g) in expected.iter().zip(&got) {
        assert_eq!(g, e, "redis: {expected:#?}\nrg-node: {got:#?}");
    }
    assert_eq!(got.len(), expected.len());
}

#[test]
fn tracking_options_are_checked_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (reference.connect(), connect(&node));
    let cases: &[&[&str]] = &[
        &["CLIENT", "CACHING", "YES"],
        &["CLIENT", "TRACKING", "ON", "PREFIX", "a"],
        &["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"],
        &["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"],
        &["CLIENT", "TRACKING", "ON", "REDIRECT", "9999"],
        &["CLIENT", "TRACKING", "ON", "REDIRECT", "abc"],
        &["CLIENT", "TRACKING", "ON", "REDIRECT", "-1"],
        &["CLIENT", "TRACKING", "MAYBE"],
        &["CLIENT", "TRACKING", "ON", "FOO"],
        &["CLIENT", "TRACKING", "ON", "PREFIX"],
        &["CLIENT", "TRACKING", "OFF", "PREFIX", "a"],
        &[
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab",
        ],
        &[
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a",
        ],
        &[
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "b",
        ],
        &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "bc"],
        &["CLIENT", "TRACKING", "ON"],
        &["CLIENT", "TRACKING", "OFF"],
        &["CLIENT", "TRACKING", "ON", "BCAST"],
        &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x"],
        &["CLIENT", "TRACKING", "OFF"],
        &["CLIENT", "TRACKING", "ON", "OPTIN"],
        &["CLIENT", "CACHING", "NO"],
        &["CLIENT", "CACHING", "MAYBE"],
        &["CLIENT", "TRACKING", "ON", "OPTOUT"],
        &["CLIENT", "GETREDIR"],
        &["CLIENT", "TRACKINGINFO"],
        &["CLIENT", "TRACKING", "OFF"],
        &["CLIENT", "GETREDIR"],
    ];
    for args in cases {
        same(&mut redis, &mut rg, args);
    }
}

#[test]
fn info_counts_tracking_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let mut answers = Vec::new();
    for port in [reference.port, node.port] {
        let (mut a, mut c) = (Wire::open(port, true), Wire::open(port, true));
        a.call(&["CLIENT", "TRACKING", "ON"]);
        a.call(&["MGET", "a", "b", "c"]);
        c.call(&[
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p", "PREFIX", "q",
        ]);
        let info = a.call(&["INFO"]);
        let fields: Vec<String> = info
            .lines()
            .filter(|l| l.starts_with("tracking_"))
            .map(str::to_string)
            .collect();
        let list = a.call(&["CLIENT", "LIST"]);
        let flags: Vec<String> = list
            .split_whitespace()
            .filter(|w| w.starts_with("flags="))
            .map(str::to_string)
            .collect();
        answers.push((fields, flags));
    }
    assert_eq!(answers[1], answers[0]);
    assert_eq!(answers[0].0.len(), 4, "{:?}", answers[0]);
}

/// A RESP2 client gets invalidations only through a redirect to a subscriber of
/// `__redis__:invalidate`; a RESP3 one whose target left is told so.
#[test]
fn redirected_invalidations_reach_a_resp2_subscriber() {
    let node = Node::start(&[]);
    let (mut sink, mut reader, mut writer) = (
        Wire::open(node.port, false),
        Wire::open(node.port, true),
        Wire::open(node.port, false),
    );
    let id = sink.call(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end().to_string();
    sink.call(&["SUBSCRIBE", "__redis__:invalidate"]);
    assert_eq!(
        reader.call(&["CLIENT", "TRACKING", "ON", "REDIRECT", &id]),
        "+OK\r\n"
    );
    assert_eq!(reader.call(&["CLIENT", "GETREDIR"]), format!(":{id}\r\n"));
    reader.call(&["GET", "r"]);
    writer.call(&["SET", "r", "1"]);
    assert_eq!(
        sink.frame(),
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nr\r\n"
    );
    drop(sink);
    reader.call(&["GET", "r"]);
    rg_testkit::assert_eventually!({
        let list = writer.call(&["CLIENT", "LIST"]);
        !list.contains(&format!("id={id} "))
    });
    writer.call(&["SET", "r", "2"]);
    assert_eq!(
        reader.frame(),
        format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{id}\r\n")
    );
    let info = reader.call(&["CLIENT", "TRACKINGINFO"]);
    assert!(info.contains("broken_redirect"), "{info}");
}

#[test]
fn the_table_forgets_keys_past_tracking_table_max_keys() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    q::<()>(&mut con, &["CONFIG", "SET", "tracking-table-max-keys", "2"]);
    let mut a = Wire::open(node.port, true);
    a.call(&["CLIENT", "TRACKING", "ON"]);
    a.call(&["MGET", "k1", "k2", "k3"]);
    // The table is trimmed at once: one key is invalidated as if written.
    let push = a.frame();
    assert!(
        push.starts_with(">2\r\n$10\r\ninvalidate\r\n*1\r\n"),
        "{push}"
    );
    let keys: String = q(&mut con, &["INFO", "stats"]);
    assert!(keys.contains("tracking_total_keys:2"), "{keys}");
}

#[test]
fn expiry_invalidates_a_tracked_key() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut a = Wire::open(node.port, true);
    q::<()>(&mut con, &["SET", "soon", "v", "PX", "50"]);
    a.call(&["CLIENT", "TRACKING", "ON"]);
    assert_eq!(a.call(&["GET", "soon"]), "$1\r\nv\r\n");
    // Nobody touches the key: the active expiry cycle deletes it and tells the client.
    assert_eq!(a.frame(), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nsoon\r\n");
}
