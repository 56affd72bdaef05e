//! rg-router: one client endpoint for a replication group. Clients speak RESP to it as to
//! any Redis; it sends writes to the primary and spreads reads across replicas.
//!
//! - `config`: settings, checked.
//! - `topology`: learns the primary and replicas (the record, heartbeats, acks).
//! - `routes`: the current routes and the choice of a replica for a read (pure).
//! - `classify`: where a command goes, from the command table (pure).
//! - `backend`: one pipelined connection to a node, shared by clients.
//! - `client`: one client connection: decode, route, keep replies in order.
//! - `local`: what the router answers itself (PING, AUTH, HELLO, INFO...).
//! - `pubsub`: subscriptions on a connection of their own, re-made after a failover.
//! - `metrics` and `http`: Prometheus `/metrics`.

mod backend;
mod classify;
mod client;
pub mod config;
mod http;
mod local;
mod metrics;
mod pubsub;
mod replies;
mod routes;
mod topology;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use rg_bus::Bus;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use config::Settings;
use metrics::Metrics;
use routes::Routes;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The three client endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Writes to the primary, reads across replicas, read-your-writes per connection.
    Smart = 0,
    /// Everything to the primary.
    Primary = 1,
    /// Reads across replicas; writes refused.
    Reader = 2,
}

impl Endpoint {
    pub const ALL: [Endpoint; 3] = [Endpoint::Smart, Endpoint::Primary, Endpoint::Reader];

    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Smart => "smart",
            Endpoint::Primary => "primary",
            Endpoint::Reader => "reader",
        }
    }
}

/// What every connection shares.
pub struct Router {
    pub settings: Settings,
    routes: ArcSwap<Routes>,
    /// Routes changed, or a backend went up or down: held writes look again.
    pub changed: Arc<Notify>,
    /// A replica acknowledged a newer offset: WAIT looks again.
    pub acked: Notify,
    pub positions: parking_lot::Mutex<rg_proto::Positions>,
    pub metrics: Metrics,
    clients: AtomicUsize,
    next_client_id: AtomicU64,
    turn: AtomicUsize,
}

impl Router {
    pub fn routes(&self) -> arc_swap::Guard<Arc<Routes>> {
        self.routes.load()
    }

    fn set_routes(&self, routes: Routes) {
        self.routes.store(Arc::new(routes));
        self.changed.notify_waiters();
    }

    /// A counter for round-robin choices.
    pub fn next_turn(&self) -> usize {
        self.turn.fetch_add(1, Ordering::Relaxed)
    }

    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    pub fn port(&self, endpoint: Endpoint) -> u16 {
        match endpoint {
            Endpoint::Smart => self.settings.smart_port,
            Endpoint::Primary => self.settings.primary_port,
            Endpoint::Reader => self.settings.reader_port,
        }
    }
}

/// Serves the three endpoints (and `/metrics`) until the process ends.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let router = Arc::new(Router {
        settings,
        routes: ArcSwap::from_pointee(Routes::empty()),
        changed: Arc::new(Notify::new()),
        acked: Notify::new(),
        positions: Default::default(),
        metrics: Metrics::default(),
        clients: AtomicUsize::new(0),
        next_client_id: AtomicU64::new(1),
        turn: AtomicUsize::new(0),
    });
    let mut listeners = Vec::new();
    for endpoint in Endpoint::ALL {
        let address = format!("{}:{}", router.settings.bind, router.port(endpoint));
        let listener = TcpListener::bind(&address).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {address} ({} endpoint): {e}",
                endpoint.name()
            )
        })?;
        tracing::info!(%address, endpoint = endpoint.name(), "listening");
        listeners.push((endpoint, listener));
    }
    if router.settings.metrics_port != 0 {
        let address = format!("{}:{}", router.settings.bind, router.settings.metrics_port);
        let listener = TcpListener::bind(&address)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {address} (metrics): {e}"))?;
        tokio::spawn(http::serve(router.clone(), listener));
    }
    let bus_router = router.clone();
    tokio::spawn(async move {
        let name = format!("rg-router {}", bus_router.settings.group);
        match Bus::connect(&bus_router.settings.nats_url, &name).await {
            Ok(bus) => topology::run(bus_router, bus).await,
            Err(error) => tracing::error!(%error, "cannot join the bus: no routes"),
        }
    });
    let mut accepting = Vec::new();
    for (endpoint, listener) in listeners {
        accepting.push(tokio::spawn(accept(router.clone(), endpoint, listener)));
    }
    for task in accepting {
        task.await?;
    }
    Ok(())
}

async fn accept(router: Arc<Router>, endpoint: Endpoint, listener: TcpListener) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if router.clients.fetch_add(1, Ordering::Relaxed) >= router.settings.maxclients {
            router.clients.fetch_sub(1, Ordering::Relaxed);
            router
                .metrics
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            tokio::spawn(client::refuse(stream));
            continue;
        }
        router.metrics.connections.fetch_add(1, Ordering::Relaxed);
        let id = router.next_client_id.fetch_add(1, Ordering::Relaxed);
        let router = router.clone();
        tokio::spawn(async move {
            client::serve(router.clone(), endpoint, id, stream).await;
            router.clients.fetch_sub(1, Ordering::Relaxed);
        });
    }
}
