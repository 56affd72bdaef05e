//! MONITOR and COMMAND's introspection, beside a real redis-server 7.0: the same commands
//! on both, the same answers (MONITOR's lines without their time and client port).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use rg_testkit::Node;

use crate::reference::{same, RedisServer};
use crate::support::{connect, q};

/// A MONITOR connection, reading its lines.
struct Monitor(BufReader<TcpStream>);

impl Monitor {
    fn start(port: u16) -> Monitor {
        let mut socket = TcpStream::connect(("127.0.0.1", port)).expect("connects");
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("a timeout");
        socket.write_all(b"MONITOR\r\n").expect("sends MONITOR");
        let mut monitor = Monitor(BufReader::new(socket));
        assert_eq!(monitor.line(), "+OK");
        monitor
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.0.read_line(&mut line).expect("a monitor line");
        line.trim_end().to_string()
    }

    /// The next line without its time and the client's port: `[0 127.0.0.1] "get" "k"`,
    /// or `[0 lua] ...` for a script's call.
    fn command(&mut self) -> String {
        let line = self.line();
        let (_, rest) = line.split_once(" [").expect("a monitor line has a source");
        let (source, args) = rest.split_once("] ").expect("a source ends with ]");
        let source = match source.rsplit_once(':') {
            Some((host, _port)) => host.to_string(),
            None => source.to_string(),
        };
        format!("[{source}] {args}")
    }
}

/// Commands run one after another on one connection; MONITOR shows each that it shows at
/// all (admin commands and passwords are hidden) in order, after the command ran.
const MONITORED: &[&[&str]] = &[
    &["SET", "foo\"bar", "a\\b\n\u{7}c"],
    &["GET", "foo\"bar"],
    &["SELECT", "3"],
    &["EVAL", "return redis.call('incr', KEYS[1])", "1", "counter"],
    &["CONFIG", "GET", "maxmemory"],
    &["AUTH", "secret"],
    &["CLIENT", "SETNAME", "watcher"],
    &["MULTI"],
    &["LPUSH", "list", "x"],
    &["EXEC"],
    &["SELECT", "0"],
    &["PING"],
];

fn monitored_lines(port: u16) -> Vec<String> {
    let mut monitor = Monitor::start(port);
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).expect("a url");
    let mut con = client.get_connection().expect("connects");
    for args in MONITORED {
        let _ = crate::support::command(args).query::<redis::Value>(&mut con);
    }
    // PING is last: read until it. The client library's CLIENT SETINFO at connection
    // (Redis 7.2's, which rg-node accepts and 7.0 refuses) is left out.
    let mut lines = Vec::new();
    loop {
        let line = monitor.command();
        if line.contains("\"SETINFO\"") {
            continue;
        }
        let done = line.ends_with("\"PING\"");
        lines.push(line);
        if done {
            return lines;
        }
    }
}

#[test]
fn monitor_shows_what_redis_shows_in_redis_order() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let expected = monitored_lines(reference.port);
    let got = monitored_lines(node.port);
    assert_eq!(got, expected);
    // The script's call is its own line, as Redis shows it.
    assert!(
        got.iter().any(|l| l == "[3 lua] \"incr\" \"counter\""),
        "{got:?}"
    );
}

#[test]
fn a_monitor_that_disconnects_or_resets_is_forgotten() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut monitor = Monitor::start(node.port);
    q::<()>(&mut con, &["SET", "k", "v"]);
    assert!(monitor.command().ends_with("\"SET\" \"k\" \"v\""));
    monitor
        .0
        .get_mut()
        .write_all(b"RESET\r\n")
        .expect("sends RESET");
    // RESET ends MONITOR mode before Redis would show it: the reply, then nothing more.
    assert_eq!(monitor.line(), "+RESET");
    q::<()>(&mut con, &["SET", "k", "w"]);
    monitor
        .0
        .get_mut()
        .write_all(b"PING\r\n")
        .expect("sends PING");
    assert_eq!(monitor.line(), "+PONG");
    drop(monitor);
    // The node goes on serving others once the monitor has gone.
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "w");
}

#[test]
fn monitor_inside_multi_is_refused_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut expected, mut got) = (reference.connect(), connect(&node));
    same(&mut expected, &mut got, &["MULTI"]);
    same(&mut expected, &mut got, &["MONITOR"]);
    same(&mut expected, &mut got, &["EXEC"]);
}

/// COMMAND GETKEYS, including the commands whose keys move with their arguments, and its
/// errors; subcommands' own arity and script permissions.
const INTROSPECTED: &[&[&str]] = &[
    &["COMMAND", "GETKEYS", "SET", "k", "v"],
    &["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"],
    &[
        "COMMAND",
        "GETKEYS",
        "ZUNIONSTORE",
        "dst",
        "2",
        "a",
        "b",
        "WEIGHTS",
        "1",
        "2",
    ],
    &["COMMAND", "GETKEYS", "ZINTER", "2", "a", "b"],
    &[
        "COMMAND", "GETKEYS", "EVAL", "return 1", "2", "k1", "k2", "arg",
    ],
    &["COMMAND", "GETKEYS", "EVAL", "return 1", "0"],
    &["COMMAND", "GETKEYS", "FCALL", "f", "1", "k"],
    &["COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"],
    &["COMMAND", "GETKEYS", "BZMPOP", "0", "1", "z", "MIN"],
    &[
        "COMMAND", "GETKEYS", "SORT", "k", "BY", "w", "GET", "store", "STORE", "dst",
    ],
    &["COMMAND", "GETKEYS", "SORT_RO", "k", "GET", "#"],
    &["COMMAND", "GETKEYS", "ZUNION", "3", "a"],
    &["COMMAND", "GETKEYS", "PING"],
    &["COMMAND", "GETKEYS", "GET"],
    &["COMMAND", "GETKEYS", "NOSUCH", "k"],
    &["CONFIG", "GET"],
    &["CONFIG", "SET", "maxmemory"],
    &["CLIENT", "SETNAME"],
    &["SCRIPT", "LOAD"],
    &[
        "EVAL",
        "return redis.call('config', 'get', 'maxmemory')",
        "0",
    ],
    &["MODULE", "LIST"],
];

#[test]
fn command_introspection_answers_as_redis_7_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut expected, mut got) = (reference.connect(), connect(&node));
    for args in INTROSPECTED {
        same(&mut expected, &mut got, args);
    }
}

#[test]
fn command_list_names_every_command_and_subcommand_the_node_knows() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let names: Vec<String> = q(&mut con, &["COMMAND", "LIST"]);
    let count: usize = q(&mut con, &["COMMAND", "COUNT"]);
    assert!(names.contains(&"config|get".to_string()) && names.contains(&"get".to_string()));
    assert_eq!(names.iter().filter(|n| !n.contains('|')).count(), count);
    let info: Vec<redis::Value> = q(&mut con, &["COMMAND", "INFO", "config"]);
    let redis::Value::Array(fields) = &info[0] else {
        panic!("COMMAND INFO config: {info:?}");
    };
    let redis::Value::Array(subcommands) = &fields[9] else {
        panic!("no subcommands: {fields:?}");
    };
    assert!(subcommands.len() >= 4, "{subcommands:?}");
}
