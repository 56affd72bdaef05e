//! The stock `redis-cli` against rg-node.

use std::process::Command;

use rg_testkit::Node;

fn redis_cli(node: &Node, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .args(["-p", &node.port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs");
    assert!(
        output.status.success(),
        "redis-cli {args:?} failed: {output:?}"
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn redis_cli_sets_and_gets() {
    let node = Node::start(&[]);
    assert_eq!(redis_cli(&node, &["set", "a", "b"]), "OK\n");
    assert_eq!(redis_cli(&node, &["get", "a"]), "b\n");
    assert_eq!(redis_cli(&node, &["rpush", "l", "x", "y"]), "2\n");
    assert_eq!(redis_cli(&node, &["lrange", "l", "0", "-1"]), "x\ny\n");
    assert_eq!(redis_cli(&node, &["ping"]), "PONG\n");
}
