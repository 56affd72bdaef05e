//! `rgctl probe`: the containers' health check, with nothing but this binary in the image.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cli::Probe;
use crate::failure::Failure;

const TIMEOUT: Duration = Duration::from_secs(2);

pub async fn run(args: &Probe) -> Result<(), Failure> {
    let outcome = match (&args.resp, &args.http) {
        (Some(address), _) => tokio::time::timeout(TIMEOUT, ping(address)).await,
        (None, Some(url)) => tokio::time::timeout(TIMEOUT, get(url)).await,
        (None, None) => return Err(Failure::usage("probe: give --resp HOST:PORT or --http URL")),
    };
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(Failure::unavailable(why)),
        Err(_) => Err(Failure::unavailable("no answer within 2 s".to_string())),
    }
}

/// PING; PONG, or LOADING (a replica syncing is alive), is healthy.
async fn ping(address: &str) -> Result<(), String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("{address}: {e}"))?;
    stream
        .write_all(b"*1\r\n$4\r\nPING\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut reply = [0u8; 64];
    let read = stream.read(&mut reply).await.map_err(|e| e.to_string())?;
    let reply = &reply[..read];
    if reply.starts_with(b"+PONG")
        || reply.starts_with(b"-LOADING")
        || reply.starts_with(b"-NOAUTH")
    {
        Ok(())
    } else {
        Err(format!(
            "{address} answered {}",
            String::from_utf8_lossy(reply).trim_end()
        ))
    }
}

/// GET over HTTP/1.0: a 2xx status line is healthy.
async fn get(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host)
        .await
        .map_err(|e| format!("{host}: {e}"))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 32];
    let read = stream.read(&mut head).await.map_err(|e| e.to_string())?;
    let status = String::from_utf8_lossy(&head[..read]);
    if status.starts_with("HTTP/1.1 2") || status.starts_with("HTTP/1.0 2") {
        Ok(())
    } else {
        Err(format!(
            "{url}: {}",
            status.lines().next().unwrap_or("no status")
        ))
    }
}
