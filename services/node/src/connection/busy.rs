//! What a client gets while a script holds the engine past busy-reply-threshold: BUSY,
//! except for SCRIPT KILL and FUNCTION KILL, which stop the script (Redis's replies).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rg_resp::RequestDecoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::server::{now_ms, Shared};

/// How long a connection waits for the engine before it looks whether a script made it
/// busy.
pub const CHECK: Duration = Duration::from_millis(20);

/// The reply to one command while busy, appended to `out`.
pub fn reply(shared: &Shared, args: &[Bytes], out: &mut BytesMut) {
    let word = |i: usize| args.get(i).map(|a| a.to_ascii_uppercase());
    let kill = matches!(word(0).as_deref(), Some(b"SCRIPT" | b"FUNCTION"))
        && word(1).as_deref() == Some(b"KILL")
        && args.len() == 2;
    if kill {
        out.extend_from_slice(shared.script.request_kill(now_ms()).reply_line().as_bytes());
    } else {
        out.extend_from_slice(b"-");
        out.extend_from_slice(shared.script.busy_line().as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// For a connection not yet registered (registering takes the engine): reads for a moment
/// and answers what came. Err when the client went away.
pub async fn answer_unregistered(
    shared: &Shared,
    socket: &mut TcpStream,
    input: &mut BytesMut,
    decoder: &mut RequestDecoder,
) -> std::io::Result<()> {
    match tokio::time::timeout(CHECK, socket.read_buf(input)).await {
        Err(_) => return Ok(()),
        Ok(Ok(0)) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
        Ok(Ok(_)) => {}
        Ok(Err(error)) => return Err(error),
    }
    let mut out = BytesMut::new();
    while let Ok(Some(args)) = decoder.decode(input) {
        reply(shared, &args, &mut out);
    }
    socket.write_all(&out).await
}
