//! Small helpers the scenarios share: a `redis` connection per node, commands written as
//! string slices, the full text of an error reply, INFO fields, and a raw TCP client for
//! cases where the exact bytes on the wire matter.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use redis::{Connection, FromRedisValue, RedisError};
use rg_testkit::Node;

/// How long a raw read waits before the test gives up on a reply.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A new `redis` crate connection to `node`.
pub fn connect(node: &Node) -> Connection {
    let client = redis::Client::open(node.url()).expect("a valid url");
    client
        .get_connection()
        .expect("the node accepts a connection")
}

/// A `redis::Cmd` from its words.
pub fn command(args: &[&str]) -> redis::Cmd {
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd
}

/// Runs a command that must succeed and converts its reply.
pub fn q<T: FromRedisValue>(con: &mut Connection, args: &[&str]) -> T {
    command(args)
        .query(con)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

/// Runs a command that must fail and returns the error line as Redis wrote it,
/// e.g. `"ERR syntax error"`.
pub fn err(con: &mut Connection, args: &[&str]) -> String {
    match command(args).query::<redis::Value>(con) {
        Ok(value) => panic!("{args:?} should have failed, got {value:?}"),
        Err(error) => error_line(&error),
    }
}

/// The error line of a server error: its code and its detail.
pub fn error_line(error: &RedisError) -> String {
    match (error.code(), error.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => format!("not a server error: {error}"),
    }
}

/// One `field:value` line of INFO.
pub fn info_field(con: &mut Connection, section: &str, field: &str) -> Option<String> {
    let info: String = q(con, &["INFO", section]);
    info.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| *name == field)
        .map(|(_, value)| value.trim().to_string())
}

/// An INFO field that holds an integer.
pub fn info_int(con: &mut Connection, section: &str, field: &str) -> i64 {
    let value = info_field(con, section, field).unwrap_or_else(|| panic!("INFO has no {field}"));
    value
        .parse()
        .unwrap_or_else(|_| panic!("{field}:{value} is not an integer"))
}

pub fn dbsize(con: &mut Connection) -> i64 {
    q(con, &["DBSIZE"])
}

/// Waits until `n` clients are blocked on the node, so a push that follows serves them.
pub fn wait_for_blocked_clients(con: &mut Connection, n: i64) {
    rg_testkit::assert_eventually!(info_int(con, "clients", "blocked_clients") == n);
}

/// A plain TCP connection for writing bytes by hand and reading replies byte for byte.
pub struct Raw {
    pub stream: TcpStream,
}

impl Raw {
    pub fn connect(node: &Node) -> Raw {
        Raw::to_port(node.port)
    }

    pub fn to_port(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("a read timeout");
        Raw { stream }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .expect("the node reads what we send");
    }

    /// Reads until `expected.len()` bytes arrived (or the connection closed or timed out)
    /// and returns them as text, to compare with `expected`.
    pub fn read_exactly(&mut self, expected: &[u8]) -> String {
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        while received.len() < expected.len() {
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
        String::from_utf8_lossy(&received).into_owned()
    }

    /// Sends `request` and asserts the reply is exactly `expected`.
    pub fn roundtrip(&mut self, request: &[u8], expected: &[u8]) {
        self.send(request);
        let got = self.read_exactly(expected);
        assert_eq!(
            got,
            String::from_utf8_lossy(expected),
            "reply to {:?}",
            String::from_utf8_lossy(request)
        );
    }

    /// Reads until what arrived ends with `suffix` (or the connection closed or timed out).
    pub fn read_until_suffix(&mut self, suffix: &[u8]) -> String {
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        while !received.ends_with(suffix) {
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
        String::from_utf8_lossy(&received).into_owned()
    }

    /// Reads one line ending in CRLF, without the CRLF.
    pub fn read_line(&mut self) -> String {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            match self.stream.read(&mut byte) {
                Ok(1) => line.push(byte[0]),
                _ => break,
            }
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        text.trim_end_matches("\r\n").to_string()
    }

    /// True when the node closed the connection: a read returns end of file (or a reset)
    /// before the timeout. Bytes still in flight are skipped.
    pub fn is_closed_by_peer(&mut self) -> bool {
        let deadline = Instant::now() + READ_TIMEOUT;
        let mut chunk = [0u8; 4096];
        while Instant::now() < deadline {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
                Err(_) => return true,
            }
        }
        false
    }
}

/// The Python that scripts/test.sh prepares, with clients written by others (nats-py,
/// redis-py); `module` is the one the test needs.
pub fn python_with(module: &str) -> String {
    let python = std::env::var("RGROUP_TEST_PYTHON")
        .unwrap_or_else(|_| format!("{}/../target/py/bin/python", env!("CARGO_MANIFEST_DIR")));
    let ready = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .status();
    assert!(
        ready.is_ok_and(|s| s.success()),
        "{python} cannot import {module}: run scripts/test.sh, which installs it"
    );
    python
}
