//! The registry of connected clients, for CLIENT LIST/KILL/ID and INFO's client counts.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc::{error::TrySendError, Sender};
use tokio::sync::Notify;

use super::keyspace::Millis;
use super::pubsub::PushMessage;
use super::tracking;

pub type ClientId = u64;

#[derive(Debug)]
pub struct ClientInfo {
    pub id: ClientId,
    pub addr: SocketAddr,
    pub local_addr: SocketAddr,
    pub name: Option<Bytes>,
    pub lib_name: Option<Bytes>,
    pub lib_version: Option<Bytes>,
    pub created_at: Millis,
    pub last_active: Millis,
    pub db: usize,
    pub protocol: u8,
    pub subscriptions: usize,
    pub pattern_subscriptions: usize,
    pub shard_subscriptions: usize,
    pub in_multi: bool,
    pub blocked: bool,
    pub last_command: &'static str,
    /// Notified to make the connection close itself (CLIENT KILL, slow subscriber).
    pub kill: Arc<Notify>,
    /// Where messages outside the request/reply flow reach the connection (invalidations).
    pub push: Option<Sender<PushMessage>>,
    /// Client-side caching, when CLIENT TRACKING is on.
    pub tracking: Option<tracking::Mode>,
    /// A WAIT in progress, for CLIENT UNBLOCK (true: answer with the UNBLOCKED error).
    pub unblock_wait: Option<tokio::sync::oneshot::Sender<bool>>,
    /// CLIENT NO-EVICT ON (shown as the `e` flag; rg-node evicts no clients anyway).
    pub no_evict: bool,
}

#[derive(Debug, Default)]
pub struct Clients {
    last_id: ClientId,
    by_id: BTreeMap<ClientId, ClientInfo>,
}

impl Clients {
    pub fn register(&mut self, addr: SocketAddr, local_addr: SocketAddr, now: Millis) -> ClientId {
        self.last_id += 1;
        let id = self.last_id;
        self.by_id.insert(
            id,
            ClientInfo {
                id,
                addr,
                local_addr,
                name: None,
                lib_name: None,
                lib_version: None,
                created_at: now,
                last_active: now,
                db: 0,
                protocol: 2,
                subscriptions: 0,
                pattern_subscriptions: 0,
                shard_subscriptions: 0,
                in_multi: false,
                blocked: false,
                last_command: "NULL",
                kill: Arc::new(Notify::new()),
                push: None,
                tracking: None,
                unblock_wait: None,
                no_evict: false,
            },
        );
        id
    }

    pub fn unregister(&mut self, id: ClientId) {
        self.by_id.remove(&id);
    }

    pub fn get(&self, id: ClientId) -> Option<&ClientInfo> {
        self.by_id.get(&id)
    }

    pub fn get_mut(&mut self, id: ClientId) -> Option<&mut ClientInfo> {
        self.by_id.get_mut(&id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn blocked_count(&self) -> usize {
        self.by_id.values().filter(|c| c.blocked).count()
    }

    pub fn pubsub_count(&self) -> usize {
        let subscribed =
            |c: &&ClientInfo| c.subscriptions + c.pattern_subscriptions + c.shard_subscriptions > 0;
        self.by_id.values().filter(subscribed).count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &ClientInfo> {
        self.by_id.values()
    }

    /// Sends a push message to a client's connection; one that cannot keep up is closed,
    /// as Redis's output buffer limits would.
    pub fn push(&self, id: ClientId, message: PushMessage) {
        let Some(client) = self.by_id.get(&id) else {
            return;
        };
        let Some(tx) = &client.push else {
            return;
        };
        if let Err(TrySendError::Full(_)) = tx.try_send(message) {
            tracing::warn!(client = id, "disconnecting a client that cannot keep up");
            client.kill.notify_one();
        }
    }

    /// Asks a client's connection to close; false if there is no such client.
    pub fn kill(&self, id: ClientId) -> bool {
        match self.by_id.get(&id) {
            Some(client) => {
                client.kill.notify_one();
                true
            }
            None => false,
        }
    }
}

impl ClientInfo {
    /// CLIENT LIST's flags, in Redis's order (getClientInfoString), `N` for none.
    fn flags(&self) -> String {
        let tracking = self.tracking.as_ref();
        let flags = [
            (
                self.subscriptions + self.pattern_subscriptions + self.shard_subscriptions > 0,
                'P',
            ),
            (self.in_multi, 'x'),
            (self.blocked, 'b'),
            (tracking.is_some(), 't'),
            (tracking.is_some_and(|m| m.broken_redirect.get()), 'R'),
            (tracking.is_some_and(|m| m.bcast), 'B'),
            (self.no_evict, 'e'),
        ];
        let text: String = flags.iter().filter(|(on, _)| *on).map(|(_, c)| c).collect();
        if text.is_empty() {
            "N".into()
        } else {
            text
        }
    }

    /// One line of CLIENT LIST, with Redis 7.0's field names.
    pub fn list_line(&self, now: Millis) -> String {
        let text = |b: &Option<Bytes>| {
            b.as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        let flags = self.flags();
        let redirect = match &self.tracking {
            Some(mode) => mode.redirect as i64,
            None => -1,
        };
        format!(
            "id={} addr={} laddr={} fd=0 name={} age={} idle={} flags={flags} db={} sub={} \
             psub={} ssub={} multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 \
             obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir={redirect} resp={} \
             lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.local_addr,
            text(&self.name),
            now.saturating_sub(self.created_at) / 1000,
            now.saturating_sub(self.last_active) / 1000,
            self.db,
            self.subscriptions,
            self.pattern_subscriptions,
            self.shard_subscriptions,
            if self.in_multi { 0 } else { -1 },
            self.last_command,
            self.protocol,
            text(&self.lib_name),
            text(&self.lib_version),
        )
    }
}
