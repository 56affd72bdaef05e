//! What a client sends wrong: malformed protocol, inline commands, oversized lengths,
//! garbage, too many connections. The node answers as Redis does and stays up for others.

use std::io::Write;
use std::net::TcpStream;

use rg_testkit::{assert_eventually, Node};

use crate::support::{connect, info_int, q, Raw};

const MB: u64 = 1024 * 1024;

/// Sends `request` on a fresh connection, expects exactly `reply`, then the close.
fn refused_and_closed(node: &Node, request: &[u8], reply: &[u8]) {
    let mut raw = Raw::connect(node);
    raw.roundtrip(request, reply);
    assert!(
        raw.is_closed_by_peer(),
        "the connection stayed open after {:?}",
        String::from_utf8_lossy(request)
    );
}

/// Random bytes from a xorshift generator: reproducible, no dependency.
fn garbage(seed: &mut u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn malformed_protocol_gets_a_protocol_error_and_a_close() {
    let node = Node::start(&[]);
    let mut bystander = connect(&node);
    let cases: [(&[u8], &[u8]); 6] = [
        (
            b"*1\r\n$x\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*x\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*3000000000\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\n+foo\r\n",
            b"-ERR Protocol error: expected '$', got '+'\r\n",
        ),
        (
            b"*1\r\n$-1\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"SET k \"a\r\n",
            b"-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    for (request, reply) in cases {
        refused_and_closed(&node, request, reply);
        assert_eq!(q::<String>(&mut bystander, &["PING"]), "PONG");
    }
    assert_eq!(q::<i64>(&mut bystander, &["EXISTS", "k"]), 0);
}

#[test]
fn replies_before_a_protocol_error_are_still_sent() {
    let node = Node::start(&[]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(
        b"PING\r\n*1\r\n$x\r\n",
        b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n",
    );
    assert!(raw.is_closed_by_peer());
}

#[test]
fn inline_commands_work_with_quotes() {
    let node = Node::start(&[]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(b"PING\r\n", b"+PONG\r\n");
    raw.roundtrip(b"\r\n\r\nPING\r\n", b"+PONG\r\n");
    raw.roundtrip(b"SET k \"a b\"\r\n", b"+OK\r\n");
    raw.roundtrip(b"GET k\r\n", b"$3\r\na b\r\n");
    raw.roundtrip(b"SET k 'c d'\r\nGET k\r\n", b"+OK\r\n$3\r\nc d\r\n");
    raw.roundtrip(b"SET k \"\\x41\\n\"\r\nGET k\r\n", b"+OK\r\n$2\r\nA\n\r\n");
    // A bare LF ends an inline command too, as in Redis.
    raw.roundtrip(b"PING\n", b"+PONG\r\n");
    let mut con = connect(&node);
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "A\n");
}

#[test]
fn a_bulk_length_over_the_limit_is_refused_without_growing_memory() {
    let node = Node::start(&[]);
    let before = node.rss();
    assert!(before > 0, "no RSS for the node");
    refused_and_closed(
        &node,
        b"*1\r\n$999999999999\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    let mut con = connect(&node);
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
    let after = node.rss();
    assert!(
        after < before + 100 * MB,
        "RSS grew from {before} to {after}"
    );
}

#[test]
fn a_large_announced_bulk_is_not_allocated_before_it_arrives() {
    let node = Node::start(&[]);
    let before = node.rss();
    // 500 MB announced (under the 512 MB limit), 5 bytes sent.
    let mut raw = Raw::connect(&node);
    raw.send(b"*2\r\n$3\r\nGET\r\n$500000000\r\nhello");
    let mut con = connect(&node);
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
    let after = node.rss();
    assert!(
        after < before + 100 * MB,
        "RSS grew from {before} to {after}"
    );
    drop(raw);
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
}

#[test]
fn fifty_megabytes_of_garbage_do_not_bring_the_node_down() {
    let mut node = Node::start(&[]);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let total = 50 * MB as usize;
    let mut sent = 0;
    // The node may close a connection at the first bad byte: reconnect and go on until all
    // 50 MB went somewhere.
    while sent < total {
        let mut stream = TcpStream::connect(("127.0.0.1", node.port)).expect("the node accepts");
        while sent < total {
            let chunk = garbage(&mut seed, 64 * 1024);
            if stream.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len();
        }
    }
    assert!(
        node.exit_status().is_none(),
        "rg-node died:\n{}",
        node.log()
    );
    let mut con = connect(&node);
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
}

#[test]
fn maxclients_refuses_the_connection_over_the_limit() {
    let node = Node::start(&["--maxclients", "5"]);
    let mut first = connect(&node);
    // The harness's readiness probe may still count for a moment.
    assert_eventually!(info_int(&mut first, "clients", "connected_clients") == 1);
    let mut others: Vec<Raw> = (0..4).map(|_| Raw::connect(&node)).collect();
    for raw in &mut others {
        raw.roundtrip(b"PING\r\n", b"+PONG\r\n");
    }
    // The refusal comes unasked: read it without writing, so no reset can race it.
    let mut sixth = Raw::connect(&node);
    let refusal = b"-ERR max number of clients reached\r\n";
    assert_eq!(
        sixth.read_exactly(refusal),
        String::from_utf8_lossy(refusal)
    );
    assert!(sixth.is_closed_by_peer());
    assert!(info_int(&mut first, "stats", "rejected_connections") >= 1);
    // A freed slot can be taken again.
    others.pop();
    assert_eventually!(info_int(&mut first, "clients", "connected_clients") == 4);
    let mut sixth = Raw::connect(&node);
    sixth.roundtrip(b"PING\r\n", b"+PONG\r\n");
}

#[test]
fn thousands_of_idle_connections_leave_other_clients_served() {
    let node = Node::start(&[]);
    let idle: Vec<TcpStream> = (0..2000)
        .map(|_| TcpStream::connect(("127.0.0.1", node.port)).expect("an idle connection opens"))
        .collect();
    let mut con = connect(&node);
    assert_eventually!(info_int(&mut con, "clients", "connected_clients") >= 2001);
    let _: () = q(&mut con, &["SET", "still", "served"]);
    let value: String = q(&mut con, &["GET", "still"]);
    assert_eq!(value, "served");
    drop(idle);
    assert_eventually!(info_int(&mut con, "clients", "connected_clients") == 1);
}
