//! CLIENT PAUSE / UNPAUSE, CLIENT REPLY, CLIENT UNBLOCK and CLIENT NO-EVICT, against
//! redis-server 7.0.15 where the bytes can be compared.

use std::io::Read;
use std::time::{Duration, Instant};

use rg_testkit::{assert_eventually, Node};

use crate::reference::{same, RedisServer};
use crate::support::{connect, q, wait_for_blocked_clients, Raw};

fn request(args: &[&str]) -> Vec<u8> {
    let mut text = format!("*{}\r\n", args.len());
    for arg in args {
        text.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    text.into_bytes()
}

/// Sends `commands` in one write and returns everything answered before `PING`'s PONG.
fn pipelined(port: u16, commands: &[&[&str]]) -> String {
    let mut raw = Raw::to_port(port);
    let mut bytes = Vec::new();
    commands.iter().for_each(|c| bytes.extend(request(c)));
    bytes.extend(request(&["PING"]));
    raw.send(&bytes);
    raw.read_until_suffix(b"+PONG\r\n")
}

#[test]
fn client_reply_off_and_skip_silence_replies_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let script: &[&[&str]] = &[
        &["CLIENT", "REPLY", "SKIP"],
        &["SET", "a", "1"],
        &["GET", "a"],
        &["CLIENT", "REPLY", "OFF"],
        &["SET", "a", "2"],
        &["NOSUCHCOMMAND"],
        &["CLIENT", "REPLY", "SKIP"],
        &["CLIENT", "REPLY", "ON"],
        &["GET", "a"],
        &["CLIENT", "REPLY", "MAYBE"],
        &["CLIENT", "REPLY", "SKIP"],
        &["CLIENT", "REPLY", "SKIP"],
        &["GET", "a"],
        &["RPUSH", "l", "x"],
        &["CLIENT", "REPLY", "SKIP"],
        &["BLPOP", "l", "1"],
        &["CLIENT", "REPLY", "OFF"],
        &["BLPOP", "l", "0.05"],
        &["CLIENT", "REPLY", "ON"],
    ];
    assert_eq!(
        pipelined(node.port, script),
        pipelined(reference.port, script)
    );
}

#[test]
fn client_subcommand_errors_read_as_redis_writes_them() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (reference.connect(), connect(&node));
    let cases: &[&[&str]] = &[
        &["CLIENT", "PAUSE", "-1"],
        &["CLIENT", "PAUSE", "abc"],
        &["CLIENT", "PAUSE", "10", "FOO"],
        &["CLIENT", "PAUSE", "10", "WRITE", "X"],
        &["CLIENT", "UNBLOCK", "abc"],
        &["CLIENT", "UNBLOCK", "1", "FOO"],
        &["CLIENT", "UNBLOCK", "99"],
        &["CLIENT", "REPLY", "FOO"],
        &["CLIENT", "UNPAUSE", "X"],
        &["CLIENT", "NO-EVICT", "MAYBE"],
        &["CLIENT", "NO-EVICT", "ON"],
        &["CLIENT", "NO-EVICT", "OFF"],
        &["CLIENT", "UNPAUSE"],
        &["CLIENT", "PAUSE"],
        &["CLIENT", "UNBLOCK"],
        &["CLIENT", "UNBLOCK", "1", "ERROR", "X"],
        &["CLIENT", "REPLY"],
        &["CLIENT", "TRACKING"],
        &["CLIENT", "CACHING"],
        &["CLIENT", "CACHING", "YES", "NO"],
        &["CLIENT", "GETREDIR", "X"],
        &["CLIENT", "TRACKINGINFO", "X"],
        &["CLIENT", "NO-EVICT"],
    ];
    for args in cases {
        same(&mut redis, &mut rg, args);
    }
}

/// A client blocked on `command`, released by CLIENT UNBLOCK (as on timeout, or with the
/// UNBLOCKED error): what it answered.
fn unblocked(port: u16, command: &[&str], reason: &str) -> String {
    let mut blocked = Raw::to_port(port);
    let id = client_id(&mut blocked);
    blocked.send(&request(command));
    let mut admin = Raw::to_port(port);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        admin.send(&request(&["CLIENT", "UNBLOCK", &id, reason]));
        if admin.read_line() == ":1" || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut reply = [0u8; 64];
    let n = blocked.stream.read(&mut reply).unwrap_or(0);
    String::from_utf8_lossy(&reply[..n]).into_owned()
}

fn client_id(raw: &mut Raw) -> String {
    raw.send(&request(&["CLIENT", "ID"]));
    raw.read_line().trim_start_matches(':').to_string()
}

#[test]
fn client_unblock_releases_blocked_pops_and_waits_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    // WAIT with no replica to count blocks until its timeout, in both.
    for command in [&["BLPOP", "nothing", "0"][..], &["WAIT", "1", "0"]] {
        for reason in ["TIMEOUT", "ERROR"] {
            assert_eq!(
                unblocked(node.port, command, reason),
                unblocked(reference.port, command, reason),
                "{command:?} {reason}"
            );
        }
    }
    let mut con = connect(&node);
    wait_for_blocked_clients(&mut con, 0);
}

#[test]
fn a_write_pause_holds_writes_and_scripts_but_not_reads() {
    let node = Node::start(&[]);
    let (mut admin, mut client) = (connect(&node), connect(&node));
    q::<()>(&mut admin, &["SET", "k", "v"]);
    q::<()>(&mut admin, &["CLIENT", "PAUSE", "300", "WRITE"]);
    let started = Instant::now();
    assert_eq!(q::<String>(&mut client, &["GET", "k"]), "v");
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "reads are not held"
    );
    for held in [
        &["SET", "k", "w"][..],
        &["PUBLISH", "c", "m"],
        &["EVAL", "return 1", "0"],
    ] {
        q::<()>(&mut admin, &["CLIENT", "PAUSE", "300", "WRITE"]);
        let started = Instant::now();
        let _: redis::Value = q(&mut client, held);
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "{held:?} answered after {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn an_all_pause_holds_reads_and_unpause_releases_writes_early() {
    let node = Node::start(&[]);
    let (mut admin, mut client) = (connect(&node), connect(&node));
    // ALL holds every command, CLIENT UNPAUSE from another client included, as in Redis.
    q::<()>(&mut admin, &["CLIENT", "PAUSE", "400", "ALL"]);
    let started = Instant::now();
    assert_eq!(q::<Option<String>>(&mut client, &["GET", "k"]), None);
    assert!(started.elapsed() >= Duration::from_millis(350));
    // WRITE lets UNPAUSE through: a held SET answers as soon as it comes.
    q::<()>(&mut admin, &["CLIENT", "PAUSE", "10000", "WRITE"]);
    let port = node.port;
    let writer = std::thread::spawn(move || {
        let started = Instant::now();
        let mut raw = Raw::to_port(port);
        raw.send(&request(&["SET", "k", "v"]));
        (raw.read_line(), started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    q::<()>(&mut admin, &["CLIENT", "UNPAUSE"]);
    let (line, waited) = writer.join().unwrap();
    assert_eq!(line, "+OK");
    assert!(
        waited >= Duration::from_millis(250),
        "SET waited {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "SET waited {waited:?}");
}

#[test]
fn a_pause_holds_expiry_until_it_ends() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    q::<()>(&mut con, &["SET", "soon", "v", "PX", "50"]);
    q::<()>(&mut con, &["CLIENT", "PAUSE", "400", "WRITE"]);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "soon"]), None);
    assert_eq!(
        q::<i64>(&mut con, &["DBSIZE"]),
        1,
        "not deleted while paused"
    );
    q::<()>(&mut con, &["CLIENT", "UNPAUSE"]);
    assert_eventually!(q::<i64>(&mut con, &["DBSIZE"]) == 0);
}

/// What a client sends while its command waits (blocked, WAIT, paused) is read meanwhile
/// and answered, in order, once the wait ends, without the client sending anything more.
#[test]
fn commands_sent_during_a_wait_run_after_it() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut blocked = Raw::to_port(node.port);
    blocked.send(&request(&["BLPOP", "l", "0"]));
    wait_for_blocked_clients(&mut con, 1);
    blocked.send(&request(&["PING"]));
    std::thread::sleep(Duration::from_millis(100));
    q::<i64>(&mut con, &["RPUSH", "l", "x"]);
    assert_eq!(
        blocked.read_until_suffix(b"+PONG\r\n"),
        "*2\r\n$1\r\nl\r\n$1\r\nx\r\n+PONG\r\n"
    );
    blocked.send(&request(&["WAIT", "1", "200"]));
    blocked.send(&request(&["PING"]));
    assert_eq!(blocked.read_until_suffix(b"+PONG\r\n"), ":0\r\n+PONG\r\n");
    q::<()>(&mut con, &["CLIENT", "PAUSE", "200", "WRITE"]);
    blocked.send(&request(&["SET", "k", "v"]));
    std::thread::sleep(Duration::from_millis(50));
    blocked.send(&request(&["PING"]));
    assert_eq!(blocked.read_until_suffix(b"+PONG\r\n"), "+OK\r\n+PONG\r\n");
}
