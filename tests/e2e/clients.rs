//! Connection commands: https://redis.io/commands/?group=connection

use rg_testkit::{assert_eventually, Node};

use crate::support::{connect, err, q, Raw};

fn client_list(con: &mut redis::Connection) -> String {
    q(con, &["CLIENT", "LIST"])
}

/// The `id=` fields of CLIENT LIST.
fn listed_ids(con: &mut redis::Connection) -> Vec<i64> {
    client_list(con)
        .lines()
        .filter_map(|line| line.split(' ').find_map(|f| f.strip_prefix("id=")))
        .filter_map(|id| id.parse().ok())
        .collect()
}

#[test]
fn ping_and_echo() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
    assert_eq!(
        q::<String>(&mut con, &["PING", "hello there"]),
        "hello there"
    );
    assert_eq!(q::<String>(&mut con, &["ECHO", "a b\r\nc"]), "a b\r\nc");
    assert_eq!(
        err(&mut con, &["ECHO"]),
        "ERR wrong number of arguments for 'echo' command"
    );
    assert_eq!(
        err(&mut con, &["PING", "a", "b"]),
        "ERR wrong number of arguments for 'ping' command"
    );
}

#[test]
fn client_setname_getname_id_and_list() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut other = connect(&node);
    assert_eq!(q::<Option<String>>(&mut con, &["CLIENT", "GETNAME"]), None);
    let _: () = q(&mut con, &["CLIENT", "SETNAME", "worker-1"]);
    assert_eq!(q::<String>(&mut con, &["CLIENT", "GETNAME"]), "worker-1");
    let id: i64 = q(&mut con, &["CLIENT", "ID"]);
    let other_id: i64 = q(&mut other, &["CLIENT", "ID"]);
    assert_ne!(id, other_id);
    let list = client_list(&mut con);
    let mine = list
        .lines()
        .find(|line| line.split(' ').any(|f| f == format!("id={id}")))
        .unwrap_or_else(|| panic!("CLIENT LIST has no id={id}:\n{list}"));
    assert!(mine.split(' ').any(|f| f == "name=worker-1"), "{mine}");
    assert!(
        mine.split(' ').any(|f| f.starts_with("addr=127.0.0.1:")),
        "{mine}"
    );
    assert!(listed_ids(&mut con).contains(&other_id));
    assert_eq!(
        err(&mut con, &["CLIENT", "SETNAME", "has space"]),
        "ERR Client names cannot contain spaces, newlines or special characters."
    );
}

#[test]
fn client_kill_id_closes_that_connection() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let mut victim = Raw::connect(&node);
    victim.send(b"CLIENT ID\r\n");
    let line = victim.read_line();
    let victim_id: i64 = line
        .trim_start_matches(':')
        .parse()
        .expect("CLIENT ID is an integer");
    assert_eq!(
        q::<i64>(&mut con, &["CLIENT", "KILL", "ID", &victim_id.to_string()]),
        1
    );
    assert!(
        victim.is_closed_by_peer(),
        "the killed client's connection stays open"
    );
    assert_eventually!(!listed_ids(&mut con).contains(&victim_id));
    assert_eq!(q::<i64>(&mut con, &["CLIENT", "KILL", "ID", "999999"]), 0);
    assert_eq!(
        err(&mut con, &["CLIENT", "KILL", "1.2.3.4:5"]),
        "ERR No such client"
    );
    // The killer is unharmed.
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
}

#[test]
fn quit_closes_the_connection_after_ok() {
    let node = Node::start(&[]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(b"QUIT\r\n", b"+OK\r\n");
    assert!(raw.is_closed_by_peer());
}
