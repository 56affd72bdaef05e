//! The active health signal: a RESP PING to a node's client address, as clients reach it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_millis(250);

/// True when the node at `address` answers PING (LOADING counts as alive: it is syncing).
pub async fn ping(address: &str) -> bool {
    if address.is_empty() {
        return false;
    }
    let attempt = async {
        let mut stream = TcpStream::connect(address).await.ok()?;
        stream.write_all(b"PING\r\n").await.ok()?;
        let mut reply = [0u8; 64];
        let read = stream.read(&mut reply).await.ok()?;
        let reply = &reply[..read];
        Some(reply.starts_with(b"+PONG") || reply.starts_with(b"-LOADING"))
    };
    matches!(tokio::time::timeout(TIMEOUT, attempt).await, Ok(Some(true)))
}
