//! A TCP proxy the tests own, put between a service and nats-server so that a test can cut
//! one service off the bus (and heal it) while everything else stays connected.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct TcpProxy {
    pub port: u16,
    open: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    connections: Arc<Connections>,
}

/// The connections going through a proxy, for `cut`; each pair leaves the table when its
/// pipes end, so a long run (the chaos harness: thousands of reconnections) holds only the
/// live ones (it once held 16,000 file descriptors after 38 rounds).
#[derive(Default)]
struct Connections {
    next: std::sync::atomic::AtomicU64,
    live: Mutex<std::collections::HashMap<u64, Vec<TcpStream>>>,
}

impl Connections {
    fn add(&self, streams: Vec<TcpStream>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, streams);
        id
    }

    fn remove(&self, id: u64) {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    fn shut_all(&self) {
        let live = std::mem::take(&mut *self.live.lock().unwrap_or_else(|e| e.into_inner()));
        for stream in live.values().flatten() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl TcpProxy {
    /// Forwards a free loopback port to `127.0.0.1:target`.
    pub fn start(target: u16) -> TcpProxy {
        let port = crate::free_port();
        let proxy = TcpProxy {
            port,
            open: Arc::new(AtomicBool::new(true)),
            stop: Arc::new(AtomicBool::new(false)),
            connections: Arc::default(),
        };
        let (open, stop, connections) = (
            proxy.open.clone(),
            proxy.stop.clone(),
            proxy.connections.clone(),
        );
        std::thread::spawn(move || accept_loop(port, target, &open, &stop, &connections));
        proxy
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Closes every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.connections.shut_all();
    }

    /// Accepts connections again.
    pub fn heal(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
    }
}

fn accept_loop(
    port: u16,
    target: u16,
    open: &AtomicBool,
    stop: &AtomicBool,
    connections: &Arc<Connections>,
) {
    let mut listener: Option<TcpListener> = None;
    while !stop.load(Ordering::SeqCst) {
        if !open.load(Ordering::SeqCst) {
            // Closed, so that connecting is refused rather than queued.
            listener = None;
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        if listener.is_none() {
            listener = TcpListener::bind(("127.0.0.1", port)).ok();
            if let Some(l) = &listener {
                let _ = l.set_nonblocking(true);
            }
        }
        let Some(accepted) = listener.as_ref().map(TcpListener::accept) else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        match accepted {
            Ok((client, _)) => {
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let clones = [&client, &server]
                    .iter()
                    .filter_map(|s| s.try_clone().ok())
                    .collect();
                let id = connections.add(clones);
                pipe(&client, &server, None);
                pipe(&server, &client, Some((connections.clone(), id)));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Copies `from` to `to` on a thread of its own until either side closes; `done` is the
/// pair's entry to drop from the table then (given to one of the pair's two pipes).
fn pipe(from: &TcpStream, to: &TcpStream, done: Option<(Arc<Connections>, u64)>) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
        if let Some((connections, id)) = done {
            connections.remove(id);
        }
    });
}
