//! AUTH and HELLO ... AUTH with `--requirepass`: https://redis.io/commands/auth/

use redis::Value;
use rg_testkit::Node;

use crate::support::{q, Raw};

const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";

#[test]
fn commands_need_auth_until_the_right_password() {
    let node = Node::start(&["--requirepass", "secret"]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(b"GET k\r\n", b"-NOAUTH Authentication required.\r\n");
    raw.roundtrip(b"SET k v\r\n", b"-NOAUTH Authentication required.\r\n");
    raw.roundtrip(b"AUTH wrong\r\n", WRONGPASS);
    raw.roundtrip(b"AUTH default wrong\r\n", WRONGPASS);
    raw.roundtrip(b"AUTH nobody secret\r\n", WRONGPASS);
    raw.roundtrip(b"GET k\r\n", b"-NOAUTH Authentication required.\r\n");
    raw.roundtrip(b"AUTH secret\r\n", b"+OK\r\n");
    raw.roundtrip(b"SET k v\r\n", b"+OK\r\n");
    raw.roundtrip(b"GET k\r\n", b"$1\r\nv\r\n");
    // Authentication belongs to the connection, not to the node.
    let mut other = Raw::connect(&node);
    other.roundtrip(b"GET k\r\n", b"-NOAUTH Authentication required.\r\n");
    other.roundtrip(b"AUTH default secret\r\n", b"+OK\r\n");
    other.roundtrip(b"GET k\r\n", b"$1\r\nv\r\n");
}

#[test]
fn hello_3_with_auth_authenticates_and_switches_protocol() {
    let node = Node::start(&["--requirepass", "secret"]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(b"HELLO 3 AUTH default wrong\r\n", WRONGPASS);
    raw.send(b"HELLO 3 AUTH default secret\r\n");
    let hello = raw.read_until_suffix(b"$7\r\nmodules\r\n*0\r\n");
    assert!(hello.starts_with("%7\r\n"), "{hello:?}");
    assert!(hello.contains("$5\r\nproto\r\n:3\r\n"), "{hello:?}");
    raw.roundtrip(b"GET missing\r\n", b"_\r\n");
}

#[test]
fn hello_without_auth_is_refused_like_redis_7_0() {
    let node = Node::start(&["--requirepass", "secret"]);
    let mut raw = Raw::connect(&node);
    raw.roundtrip(
        b"HELLO 3\r\n",
        b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the \
          HELLO AUTH <user> <pass> option can be used to authenticate the client and select the \
          RESP protocol version at the same time\r\n",
    );
}

#[test]
fn a_client_with_the_password_in_its_url_works() {
    let node = Node::start(&["--requirepass", "secret"]);
    let url = format!("redis://:secret@127.0.0.1:{}/", node.port);
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    let _: () = q(&mut con, &["SET", "k", "v"]);
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "v");
    let wrong = format!("redis://:nope@127.0.0.1:{}/", node.port);
    let refused = redis::Client::open(wrong).unwrap().get_connection();
    assert!(refused.is_err(), "a wrong password in the url was accepted");
    let resp3 = format!("redis://:secret@127.0.0.1:{}/?protocol=resp3", node.port);
    let mut con3 = redis::Client::open(resp3)
        .unwrap()
        .get_connection()
        .unwrap();
    assert_eq!(q::<Value>(&mut con3, &["GET", "missing"]), Value::Nil);
}
