//! A real redis-server 7.0 to compare rg-node with, on a free port, killed on drop. The
//! differential tests send both the same commands and compare the replies (errors by their
//! full line) and the bytes of the values.

use std::process::{Child, Command, Stdio};

use redis::{Connection, Value};
use rg_testkit::{assert_eventually, free_port};

use crate::support::{command, error_line};

pub struct RedisServer {
    pub port: u16,
    child: Child,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// With more settings, as redis-server's command line takes them (`--name value`).
    pub fn start_with(settings: &[&str]) -> RedisServer {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(settings)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server 7.0 is installed");
        let server = RedisServer { port, child };
        assert_eventually!(server.try_connect().is_some());
        server
    }

    fn try_connect(&self) -> Option<Connection> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.port)).ok()?;
        let mut con = client.get_connection().ok()?;
        redis::cmd("PING").query::<()>(&mut con).ok()?;
        Some(con)
    }

    pub fn connect(&self) -> Connection {
        self.try_connect().expect("redis-server accepts")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A reply, or the error line, in a form two servers' answers can be compared in.
#[derive(Debug, PartialEq)]
pub enum Answer {
    Value(Value),
    Error(String),
}

pub fn answer(con: &mut Connection, args: &[&str]) -> Answer {
    match command(args).query::<Value>(con) {
        Ok(value) => Answer::Value(value),
        Err(error) => Answer::Error(error_line(&error)),
    }
}

/// Sends `args` to both and asserts the same answer; returns it.
pub fn same(reference: &mut Connection, node: &mut Connection, args: &[&str]) -> Answer {
    let expected = answer(reference, args);
    let got = answer(node, args);
    assert_eq!(
        got, expected,
        "{args:?}: rg-node answered differently from redis-server"
    );
    got
}

/// The raw bytes of a string key (None if missing).
pub fn raw(con: &mut Connection, key: &str) -> Option<Vec<u8>> {
    redis::cmd("GET")
        .arg(key)
        .query(con)
        .unwrap_or_else(|e| panic!("GET {key}: {e}"))
}
