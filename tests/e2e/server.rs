//! Server commands and the process's life: CONFIG, INFO, COMMAND, DEBUG DIGEST, SHUTDOWN,
//! SIGTERM. https://redis.io/commands/?group=server

use std::collections::HashMap;

use redis::{Connection, Value};
use rg_testkit::{assert_eventually, Node};

use crate::support::{connect, err, info_field, info_int, q, Raw};

fn config_get(con: &mut Connection, name: &str) -> String {
    let pairs: HashMap<String, String> = q(con, &["CONFIG", "GET", name]);
    pairs
        .get(name)
        .cloned()
        .unwrap_or_else(|| panic!("CONFIG GET {name} gave {pairs:?}"))
}

fn digest(con: &mut Connection) -> String {
    q(con, &["DEBUG", "DIGEST"])
}

#[test]
fn config_get_and_set() {
    let node = Node::start(&["--maxmemory", "10mb"]);
    let mut con = connect(&node);
    assert_eq!(config_get(&mut con, "maxmemory"), "10485760");
    assert_eq!(config_get(&mut con, "maxmemory-policy"), "noeviction");
    let _: () = q(
        &mut con,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
    );
    assert_eq!(config_get(&mut con, "maxmemory-policy"), "allkeys-lru");
    assert_eq!(
        info_field(&mut con, "memory", "maxmemory_policy").as_deref(),
        Some("allkeys-lru")
    );
    let _: () = q(&mut con, &["CONFIG", "SET", "maxmemory", "1mb"]);
    assert_eq!(config_get(&mut con, "maxmemory"), "1048576");
    let matching: HashMap<String, String> = q(&mut con, &["CONFIG", "GET", "maxmemory*"]);
    assert!(
        matching.contains_key("maxmemory") && matching.contains_key("maxmemory-policy"),
        "{matching:?}"
    );
}

#[test]
fn config_set_refuses_bad_values() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let error = err(
        &mut con,
        &["CONFIG", "SET", "maxmemory-policy", "sometimes"],
    );
    assert!(
        error
            .starts_with("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')"),
        "{error}"
    );
    let error = err(&mut con, &["CONFIG", "SET", "maxmemory", "lots"]);
    assert!(
        error.starts_with("ERR CONFIG SET failed (possibly related to argument 'maxmemory')"),
        "{error}"
    );
    // Nothing changed.
    assert_eq!(config_get(&mut con, "maxmemory-policy"), "noeviction");
    assert_eq!(config_get(&mut con, "maxmemory"), "0");
}

#[test]
fn config_set_of_an_unknown_setting_errors_like_redis() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(
        err(&mut con, &["CONFIG", "SET", "nosuch", "1"]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
    );
}

#[test]
fn info_has_redis_sections_and_fields() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "k", "v"]);
    let info: String = q(&mut con, &["INFO"]);
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Stats",
        "# Replication",
        "# Keyspace",
    ] {
        assert!(
            info.lines().any(|l| l == section),
            "INFO has no {section}:\n{info}"
        );
    }
    assert!(info_field(&mut con, "server", "redis_version").is_some_and(|v| !v.is_empty()));
    assert!(info_int(&mut con, "clients", "connected_clients") >= 1);
    assert!(info_int(&mut con, "memory", "used_memory") > 0);
    let db0 = info_field(&mut con, "keyspace", "db0").expect("INFO keyspace lists db0");
    assert!(db0.starts_with("keys=1,expires=0"), "{db0}");
    // A section asked for by name comes alone.
    let memory: String = q(&mut con, &["INFO", "memory"]);
    assert!(
        memory.contains("# Memory") && !memory.contains("# Server"),
        "{memory}"
    );
}

#[test]
fn command_count_and_command_info() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let count: i64 = q(&mut con, &["COMMAND", "COUNT"]);
    assert!(count > 100, "COMMAND COUNT is {count}");
    let info: Vec<Value> = q(&mut con, &["COMMAND", "INFO", "get", "nosuchcommand"]);
    assert_eq!(info.len(), 2);
    let Value::Array(get) = &info[0] else {
        panic!("COMMAND INFO get gave {:?}", info[0]);
    };
    assert_eq!(get[0], Value::BulkString(b"get".to_vec()));
    assert_eq!(get[1], Value::Int(2));
    let Value::Array(flags) = &get[2] else {
        panic!("no flags in {get:?}");
    };
    assert!(
        flags.contains(&Value::SimpleString("readonly".into())),
        "{flags:?}"
    );
    assert_eq!(get[3..6], [Value::Int(1), Value::Int(1), Value::Int(1)]);
    assert_eq!(info[1], Value::Nil);
}

#[test]
fn an_unknown_command_names_itself_and_its_first_args() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(
        err(&mut con, &["xyz", "a", "b"]),
        "ERR unknown command 'xyz', with args beginning with: 'a' 'b' "
    );
    assert_eq!(
        err(&mut con, &["xyz"]),
        "ERR unknown command 'xyz', with args beginning with: "
    );
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
}

/// Loads the same data into a node, in one of two orders.
fn load(con: &mut Connection, reversed: bool) {
    let mut commands: Vec<&[&str]> = vec![
        &["SET", "a", "1"],
        &["RPUSH", "l", "x", "y"],
        &["HSET", "h", "f", "v"],
        &["HSET", "h", "g", "w"],
        &["SADD", "s", "m"],
        &["SADD", "s", "n"],
        &["ZADD", "z", "1", "a"],
        &["ZADD", "z", "2", "b"],
        &["SET", "b", "2"],
    ];
    if reversed {
        // Keys, hash fields, set members and zset members arrive in another order; the
        // list's elements are pushed by one command, so the list itself is the same.
        commands.reverse();
    }
    for c in commands {
        let _: Value = q(con, c);
    }
}

#[test]
fn debug_digest_depends_on_the_data_not_the_order() {
    let first = Node::start(&[]);
    let second = Node::start(&[]);
    let (mut a, mut b) = (connect(&first), connect(&second));
    assert_eq!(digest(&mut a), "0".repeat(40));
    load(&mut a, false);
    load(&mut b, true);
    let same = digest(&mut a);
    assert_eq!(same, digest(&mut b));
    assert_ne!(same, "0".repeat(40));
    let _: () = q(&mut b, &["SADD", "s", "o"]);
    assert_ne!(digest(&mut b), same);
    let _: () = q(&mut b, &["SREM", "s", "o"]);
    assert_eq!(digest(&mut b), same);
    let _: () = q(&mut b, &["SET", "a", "changed"]);
    assert_ne!(digest(&mut b), same);
}

#[test]
fn shutdown_makes_the_process_exit() {
    let mut node = Node::start(&[]);
    let mut raw = Raw::connect(&node);
    raw.send(b"SHUTDOWN\r\n");
    assert!(raw.is_closed_by_peer(), "SHUTDOWN left the connection open");
    assert_eventually!(node.exit_status().is_some());
    let status = node.exit_status().unwrap();
    assert!(
        status.success(),
        "rg-node exited with {status} after SHUTDOWN"
    );
}

#[test]
fn sigterm_makes_the_process_exit_cleanly() {
    let mut node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["SET", "k", "v"]);
    let status = node.terminate().expect("rg-node exits after SIGTERM");
    assert_eq!(status.code(), Some(0), "rg-node exited with {status}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", node.port)).is_err());
}
