//! `GET /metrics` in the Prometheus text format, over a minimal HTTP/1.1 responder: one
//! request per connection, nothing else served.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::Router;

pub(crate) async fn serve(router: Arc<Router>, listener: TcpListener) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(router.clone(), stream));
        }
    }
}

async fn answer(router: Arc<Router>, mut stream: TcpStream) {
    let mut request = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    // The request line and headers; a client that sends more than 8 KiB is not a scraper.
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    let (status, body) = if request.starts_with(b"GET /metrics ") {
        ("200 OK", render(&router))
    } else {
        ("404 Not Found", "not found: try /metrics\n".to_string())
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
}

fn render(router: &Router) -> String {
    let mut out = String::new();
    router.metrics.render_requests(&mut out);
    let metrics = &router.metrics;
    let gauges = [
        (
            "rgroup_router_clients",
            "Client connections open.",
            router.clients() as u64,
        ),
        (
            "rgroup_router_connections_total",
            "Client connections accepted.",
            metrics.connections.load(Ordering::Relaxed),
        ),
        (
            "rgroup_router_rejected_connections_total",
            "Connections refused at maxclients.",
            metrics.rejected_connections.load(Ordering::Relaxed),
        ),
        (
            "rgroup_router_held_commands_total",
            "Commands held while no primary was reachable.",
            metrics.held_writes.load(Ordering::Relaxed),
        ),
        (
            "rgroup_router_hold_timeouts_total",
            "Held commands answered with an error after failover-hold-ms.",
            metrics.hold_timeouts.load(Ordering::Relaxed),
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    }
    let routes = router.routes();
    out.push_str("# HELP rgroup_router_backend_up Whether the router is connected to the node.\n");
    out.push_str("# TYPE rgroup_router_backend_up gauge\n");
    let primary = routes.primary.iter().map(|b| (b, "primary"));
    let replicas = routes.replicas.iter().map(|r| (&r.backend, "replica"));
    for (backend, role) in primary.chain(replicas) {
        let _ = writeln!(
            out,
            "rgroup_router_backend_up{{node=\"{}\",role=\"{role}\"}} {}",
            backend.node,
            u8::from(backend.is_up())
        );
    }
    out.push_str(
        "# HELP rgroup_router_replica_lag_seconds How far behind the primary each replica is.\n",
    );
    out.push_str("# TYPE rgroup_router_replica_lag_seconds gauge\n");
    for replica in &routes.replicas {
        let lag = replica.lag_ms.load(Ordering::Relaxed);
        if lag != u64::MAX {
            let _ = writeln!(
                out,
                "rgroup_router_replica_lag_seconds{{node=\"{}\"}} {}",
                replica.node,
                lag as f64 / 1000.0
            );
        }
    }
    out
}
