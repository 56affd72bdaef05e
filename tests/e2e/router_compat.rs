//! What any Redis client may send through the router (or to the sentinels) and expect to work
//! as on Redis itself:
//! values of any size, databases other than 0, RESP3.

use redis::Value;
use rg_testkit::assert_eventually;

use crate::group::{Group, RouterProcess};
use crate::router::{group_with_router, router_over};
use crate::support::{error_line, q, Raw};

/// A value bigger than anything the router reads or writes in one go, on a shared
/// connection (database 0) and on a client's own (database 9), in both directions. The
/// sentinels wait 5 s before calling a node down: debug builds on a loaded machine take a
/// while over 16 MB, and this test is about the router, not failover.
#[test]
fn a_16_mb_value_goes_through_every_path() {
    let (_group, router) = router_over(Group::with_down_after(5000), &[]);
    let value = "v".repeat(16 * 1024 * 1024);
    for (port, database) in [(router.smart, 0), (router.primary, 0), (router.smart, 9)] {
        let url = format!("{}/{database}", router.url(port));
        let client = redis::Client::open(url).expect("a valid url");
        let mut con = client.get_connection().expect("the router accepts");
        let what = format!("port {port} database {database}");
        // Not `q`: its failure message would hold the whole value.
        let set: redis::RedisResult<()> = redis::cmd("SET").arg("huge").arg(&value).query(&mut con);
        if let Err(error) = set {
            panic!("{what}: SET failed: {}", error_line(&error));
        }
        let back: String = q(&mut con, &["GET", "huge"]);
        assert!(back == value, "{what}: {} bytes back", back.len());
        assert_eq!(q::<i64>(&mut con, &["STRLEN", "huge"]), value.len() as i64);
    }
}

fn text(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

fn resp3(router: &RouterProcess, port: u16, database: u8) -> redis::Connection {
    let url = format!("{}/{database}?protocol=resp3", router.url(port));
    let client = redis::Client::open(url).expect("a valid url");
    client.get_connection().expect("the router accepts RESP3")
}

/// After HELLO 3 every reply comes in RESP3's types, whichever node answers: the primary,
/// a replica, or a connection of the client's own (database 9).
#[test]
fn resp3_clients_get_resp3_replies_from_every_endpoint() {
    let (_group, router) = group_with_router(&[]);
    let mut writer = router.connect(router.primary);
    let _: () = q(&mut writer, &["HSET", "h", "f", "v"]);
    let _: () = q(&mut writer, &["ZADD", "z", "1.5", "a"]);
    for (port, database) in [
        (router.smart, 0),
        (router.primary, 0),
        (router.reader, 0),
        (router.smart, 9),
    ] {
        let mut con = resp3(&router, port, database);
        let Value::Map(fields) = q::<Value>(&mut con, &["HELLO", "3"]) else {
            panic!("HELLO 3 on port {port} did not answer a map");
        };
        assert!(
            fields.contains(&(text("proto"), Value::Int(3))),
            "{fields:?}"
        );
        if database == 9 {
            let _: () = q(&mut con, &["HSET", "h", "f", "v"]);
            let _: () = q(&mut con, &["ZADD", "z", "1.5", "a"]);
        }
        // The reader endpoint reads from a replica, which may not have the write yet.
        assert_eventually!(
            q::<Value>(&mut con, &["HGETALL", "h"]) == Value::Map(vec![(text("f"), text("v"))])
        );
        assert_eq!(
            q::<Value>(&mut con, &["ZSCORE", "z", "a"]),
            Value::Double(1.5)
        );
        assert_eq!(q::<Value>(&mut con, &["GET", "missing"]), Value::Nil);
        assert_eq!(q::<Value>(&mut con, &["CLIENT", "GETNAME"]), Value::Nil);
        assert!(
            matches!(
                q::<Value>(&mut con, &["INFO", "server"]),
                Value::VerbatimString { .. }
            ),
            "INFO is verbatim text on RESP3"
        );
    }
}

/// The bytes on the wire, against the same commands straight to Redis's shapes: switching
/// protocol mid-connection, and on a connection pinned to a database, keeps the session.
#[test]
fn hello_switches_the_protocol_in_place_on_the_wire() {
    let (_group, router) = group_with_router(&[]);
    let mut raw = Raw::to_port(router.smart);
    raw.roundtrip(b"SELECT 9\r\n", b"+OK\r\n");
    raw.roundtrip(b"HSET h f v\r\n", b":1\r\n");
    raw.roundtrip(b"HGETALL h\r\n", b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    raw.send(b"HELLO 3 SETNAME app\r\n");
    let hello = raw.read_until_suffix(b"$7\r\nmodules\r\n*0\r\n");
    assert!(hello.starts_with("%7\r\n$6\r\nserver\r\n"), "{hello:?}");
    raw.roundtrip(b"HGETALL h\r\n", b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    raw.roundtrip(b"GET missing\r\n", b"_\r\n");
    raw.roundtrip(b"CLIENT GETNAME\r\n", b"$3\r\napp\r\n");
    raw.roundtrip(b"HELLO 4\r\n", b"-NOPROTO unsupported protocol version\r\n");
    raw.roundtrip(
        b"HELLO x\r\n",
        b"-ERR Protocol version is not an integer or out of range\r\n",
    );
    raw.send(b"HELLO 2\r\n");
    let hello = raw.read_until_suffix(b"$7\r\nmodules\r\n*0\r\n");
    assert!(hello.starts_with("*14\r\n"), "{hello:?}");
    raw.roundtrip(b"HGETALL h\r\n", b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    raw.roundtrip(b"GET missing\r\n", b"$-1\r\n");
    // Shared connections, too, once the database is 0 again.
    raw.roundtrip(b"SELECT 0\r\n", b"+OK\r\n");
    raw.send(b"HELLO 3\r\n");
    raw.read_until_suffix(b"$7\r\nmodules\r\n*0\r\n");
    raw.roundtrip(b"HGETALL h\r\n", b"%0\r\n");
}

/// Subscribed RESP3 clients get pushes; a subscriber in database 9 gets every channel.
#[test]
fn pub_sub_works_on_resp3_and_in_database_9() {
    let (_group, router) = group_with_router(&[]);
    let mut publisher = router.connect(router.smart);
    let mut raw = Raw::to_port(router.smart);
    raw.send(b"HELLO 3\r\n");
    raw.read_until_suffix(b"$7\r\nmodules\r\n*0\r\n");
    raw.roundtrip(
        b"SUBSCRIBE news\r\n",
        b">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n",
    );
    assert_eq!(q::<i64>(&mut publisher, &["PUBLISH", "news", "hi"]), 1);
    raw.read_exactly(b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
    // RESP3 allows any command while subscribed.
    raw.roundtrip(b"SET k v\r\n", b"+OK\r\n");

    let client = redis::Client::open(format!("{}/9", router.url(router.smart))).unwrap();
    let mut con = client.get_connection().unwrap();
    let mut subscriber = con.as_pubsub();
    subscriber
        .subscribe(&["a", "b", "c"])
        .expect("three channels subscribed");
    subscriber
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    for channel in ["a", "b", "c"] {
        assert_eq!(q::<i64>(&mut publisher, &["PUBLISH", channel, channel]), 1);
        let message = subscriber.get_message().expect("the message arrives");
        assert_eq!(message.get_channel_name(), channel);
    }
}

/// A password set through the router would lock the sentinels out of the node: refused, and
/// the node keeps answering the sentinels' PINGs.
#[test]
fn config_set_of_a_password_is_refused_with_a_reason() {
    let (group, router) = group_with_router(&[]);
    let mut con = router.connect(router.smart);
    let refused = redis::cmd("CONFIG")
        .arg(&["SET", "requirepass", "secret"])
        .query::<()>(&mut con)
        .unwrap_err();
    assert!(
        error_line(&refused).starts_with("ERR rgroup router: CONFIG SET of requirepass"),
        "{}",
        error_line(&refused)
    );
    assert_eq!(
        q::<Vec<String>>(&mut group.connect("n1"), &["CONFIG", "GET", "requirepass"]),
        ["requirepass", ""]
    );
    let _: () = q(
        &mut con,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
    );
}

/// redis-py, as an application uses it with redis-py's defaults: the router's endpoints,
/// and redis-py's own Sentinel class against rg-sentinel (tests/py/redis_py_defaults.py).
#[test]
fn redis_py_with_its_defaults_works_through_the_router_and_the_sentinels() {
    let python = crate::support::python_with("redis");
    let (group, router) = group_with_router(&[]);
    let script = format!("{}/py/redis_py_defaults.py", env!("CARGO_MANIFEST_DIR"));
    let mut args = vec![
        script,
        router.smart.to_string(),
        router.primary.to_string(),
        router.reader.to_string(),
        "ha".to_string(),
    ];
    args.extend(group.sentinel_ports.values().map(u16::to_string));
    let output = std::process::Command::new(python)
        .args(&args)
        .output()
        .expect("the redis-py script runs");
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).ends_with("ok\n"),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// rg-sentinel answers HELLO as Redis Sentinel 7 does (mode sentinel, no role), and in RESP3
/// its field lists are maps.
#[test]
fn sentinels_answer_hello_and_speak_resp3() {
    let (group, _router) = group_with_router(&[]);
    let mut raw = Raw::to_port(group.sentinel_ports["s1"]);
    raw.send(b"HELLO 3\r\n");
    let hello = raw.read_until_suffix(b"$7\r\nmodules\r\n*0\r\n");
    assert!(hello.starts_with("%6\r\n$6\r\nserver\r\n"), "{hello:?}");
    assert!(
        hello.contains("$4\r\nmode\r\n$8\r\nsentinel\r\n"),
        "{hello:?}"
    );
    assert!(!hello.contains("role"), "{hello:?}");
    raw.send(b"SENTINEL MASTER ha\r\n");
    let master = raw.read_until_suffix(b"no failover yet\r\n");
    assert!(
        master.starts_with("%11\r\n$4\r\nname\r\n$2\r\nha\r\n"),
        "{master:?}"
    );
    raw.roundtrip(b"HELLO 9\r\n", b"-NOPROTO unsupported protocol version\r\n");
}
