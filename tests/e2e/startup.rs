//! Starting rg-node: a bad setting exits 64 naming it; a config file, `RG_` environment
//! variables and flags are layered, later ones winning (file < env < flags).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rg_testkit::{binary, free_port, Node};

use crate::support::{connect, q};

/// Runs rg-node with `args` and `env` until it exits (a bad configuration exits before
/// serving); a node that keeps running is killed and fails the test.
fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> (ExitStatus, String) {
    let mut child = Command::new(binary("rg-node"))
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rg-node runs");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("rg-node can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rg-node {args:?} with {env:?} kept running instead of refusing its config");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    (status, stderr)
}

fn assert_exits_64_naming(args: &[&str], env: &[(&str, &str)], setting: &str) {
    let (status, stderr) = run_to_exit(args, env);
    assert_eq!(
        status.code(),
        Some(64),
        "{args:?} {env:?} exited with {status}: {stderr}"
    );
    assert!(
        stderr.contains(setting),
        "{args:?} {env:?}: the error does not name {setting}: {stderr}"
    );
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn config_get(node: &Node, name: &str) -> String {
    let mut con = connect(node);
    let pairs: HashMap<String, String> = q(&mut con, &["CONFIG", "GET", name]);
    pairs
        .get(name)
        .cloned()
        .unwrap_or_else(|| panic!("CONFIG GET {name} gave {pairs:?}"))
}

#[test]
fn a_bad_maxmemory_policy_exits_64_naming_the_setting() {
    let port = free_port().to_string();
    assert_exits_64_naming(
        &["--port", &port, "--maxmemory-policy", "sometimes"],
        &[],
        "maxmemory-policy",
    );
}

#[test]
fn a_bad_maxmemory_exits_64_naming_the_setting() {
    let port = free_port().to_string();
    assert_exits_64_naming(&["--port", &port, "--maxmemory", "lots"], &[], "maxmemory");
}

#[test]
fn a_port_that_is_not_a_number_exits_64_naming_the_setting() {
    assert_exits_64_naming(&["--port", "notaport"], &[], "port");
}

#[test]
fn a_bad_value_in_the_environment_exits_64_naming_the_setting() {
    let port = free_port().to_string();
    assert_exits_64_naming(&["--port", &port], &[("RG_MAXMEMORY", "lots")], "maxmemory");
}

#[test]
fn an_unknown_setting_in_the_config_file_exits_64_naming_it() {
    let file = config_file("maxmemory = \"10mb\"\nmax-memory-typo = 1\n");
    let path = file.path().to_str().unwrap();
    let port = free_port().to_string();
    assert_exits_64_naming(&["--port", &port, "--config", path], &[], "max-memory-typo");
}

#[test]
fn a_config_file_sets_port_and_maxmemory() {
    let port = free_port();
    let file = config_file(&format!("port = {port}\nmaxmemory = \"10mb\"\n"));
    let node = Node::start_exact(port, &["--config", file.path().to_str().unwrap()], &[]);
    assert_eq!(config_get(&node, "maxmemory"), "10485760");
    assert_eq!(config_get(&node, "port"), port.to_string());
}

#[test]
fn an_environment_variable_sets_maxmemory() {
    let port = free_port();
    let flag = port.to_string();
    let node = Node::start_exact(port, &["--port", &flag], &[("RG_MAXMEMORY", "1mb")]);
    assert_eq!(config_get(&node, "maxmemory"), "1048576");
}

#[test]
fn an_environment_variable_sets_a_dashed_setting() {
    let port = free_port();
    let flag = port.to_string();
    let env = [("RG_MAXMEMORY_POLICY", "allkeys-lru")];
    let node = Node::start_exact(port, &["--port", &flag], &env);
    assert_eq!(config_get(&node, "maxmemory-policy"), "allkeys-lru");
}

#[test]
fn the_environment_beats_the_file_and_flags_beat_the_environment() {
    let port = free_port();
    let file = config_file(&format!("port = {port}\nmaxmemory = \"10mb\"\nhz = 20\n"));
    let path = file.path().to_str().unwrap();
    let env = [("RG_MAXMEMORY", "1mb"), ("RG_HZ", "30")];
    let node = Node::start_exact(port, &["--config", path], &env);
    assert_eq!(config_get(&node, "maxmemory"), "1048576");
    assert_eq!(config_get(&node, "hz"), "30");
    drop(node);
    let port = free_port();
    let file = config_file(&format!("port = {port}\nmaxmemory = \"10mb\"\n"));
    let path = file.path().to_str().unwrap();
    let node = Node::start_exact(port, &["--config", path, "--maxmemory", "2mb"], &env);
    assert_eq!(config_get(&node, "maxmemory"), "2097152");
    // What the flags leave alone still comes from the environment.
    assert_eq!(config_get(&node, "hz"), "30");
}
