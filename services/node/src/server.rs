//! The TCP side: accepts clients, runs background work, stops on shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, MutexGuard};
use rg_resp::Limits;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::connection;
use crate::engine::keyspace::Millis;
use crate::engine::settings::Settings;
use crate::engine::{expire, replication, Engine};
use crate::replication::ReplicationConfig;

/// What every connection shares.
pub struct Shared {
    pub engine: Mutex<Engine>,
    /// Becomes true when the node is stopping; connections close.
    pub stopping: watch::Receiver<bool>,
    /// Lets a connection ask for a stop (SHUTDOWN).
    pub stop: watch::Sender<bool>,
    /// Woken when writes were captured into the replication stream.
    pub repl_notify: Notify,
    /// Woken when a replica acknowledges an offset (WAIT).
    pub ack_notify: Notify,
    /// The script run in progress, seen without the engine's lock (BUSY, SCRIPT KILL).
    pub script: Arc<crate::scripting::busy::Running>,
}

impl Shared {
    /// Moves the writes just executed into the replication stream and wakes the publisher;
    /// called by whoever executed them, before letting go of the lock.
    pub fn capture_writes(&self, engine: &mut Engine) {
        if engine.records.is_some() {
            replication::capture(engine);
        }
        if engine.repl.has_unpublished() {
            self.repl_notify.notify_one();
        }
    }
}

impl Shared {
    /// The engine, for background work: while a script runs, waited for without holding
    /// up the runtime's thread (a script past busy-reply-threshold leaves the node answering
    /// BUSY); otherwise taken at once, as the lock is held only briefly.
    pub async fn lock_engine(&self) -> MutexGuard<'_, Engine> {
        loop {
            if let Some(engine) = self.engine.try_lock() {
                return engine;
            }
            if !self.script.is_running() {
                return self.engine.lock();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Returns once no script holds the engine, for background work whose own code takes
    /// the lock: it waits without holding up the runtime's thread.
    pub async fn engine_free(&self) {
        while self.script.is_running() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn limits(&self) -> Limits {
        let max_bulk_len = self.engine.lock().settings.proto_max_bulk_len as usize;
        Limits {
            max_bulk_len,
            ..Limits::default()
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Serves clients on `listener` until `shutdown` completes or a client sends SHUTDOWN.
/// How long accepting clients waits for the node to learn its role from the bus.
const LEARN_ROLE: Duration = Duration::from_secs(3);

pub async fn run(
    settings: Settings,
    replication: Option<ReplicationConfig>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) {
    let (stop, stopping) = watch::channel(false);
    let engine = Engine::new(settings, now_ms());
    let script = engine.scripts.running.clone();
    let shared = Arc::new(Shared {
        engine: Mutex::new(engine),
        script,
        stopping,
        stop,
        repl_notify: Notify::new(),
        ack_notify: Notify::new(),
    });
    if let Some(config) = replication {
        // Clients wait (in the listen backlog) while the node learns its role, rather than
        // meet an old primary that takes writes for a moment; past the bound the fence
        // refuses writes until it knows.
        let role_known = crate::replication::spawn(shared.clone(), config);
        let _ = tokio::time::timeout(LEARN_ROLE, role_known).await;
    }
    let background = tokio::spawn(background_work(shared.clone()));
    let mut connections = JoinSet::new();
    let mut stopping = shared.stopping.clone();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = stopping.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => admit(&shared, socket, &mut connections).await,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    tracing::info!("shutting down");
    shared.script.exit_instead();
    let _ = shared.stop.send(true);
    background.abort();
    // Give connections a moment to finish what they are writing, then drop them.
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
}

/// Starts a connection, or refuses it when `maxclients` are already connected.
async fn admit(shared: &Arc<Shared>, mut socket: TcpStream, connections: &mut JoinSet<()>) {
    // A script that holds the engine past busy-reply-threshold does not stop the node
    // from accepting: the connection answers BUSY until the engine is free.
    let full = loop {
        if let Some(mut engine) = shared.engine.try_lock_for(Duration::from_millis(20)) {
            engine.stats.connections_received += 1;
            let full = engine.clients.len() >= engine.settings.maxclients;
            if full {
                engine.stats.rejected_connections += 1;
            }
            break full;
        }
        if shared.script.is_busy(now_ms()) {
            break false;
        }
    };
    if full {
        let _ = socket
            .write_all(b"-ERR max number of clients reached\r\n")
            .await;
        return;
    }
    let _ = socket.set_nodelay(true);
    connections.spawn(connection::serve(shared.clone(), socket));
}

/// Active expiry, `hz` times a second, with a quarter of each period as its budget (as
/// Redis's default effort).
async fn background_work(shared: Arc<Shared>) {
    loop {
        let hz = shared.lock_engine().await.settings.hz.max(1);
        let period = Duration::from_millis(1000 / u64::from(hz));
        tokio::time::sleep(period).await;
        let mut engine = shared.lock_engine().await;
        if engine.active_expire {
            expire::active_cycle(&mut engine, now_ms(), period / 4);
        }
        if !engine.tracking.is_idle() {
            let Engine {
                tracking, clients, ..
            } = &mut *engine;
            tracking.broadcast(clients);
        }
        if engine.blocking.has_ready() {
            crate::commands::serve_blocked(&mut engine, now_ms());
        }
        shared.capture_writes(&mut engine);
    }
}
