//! The registry of connected clients, for CLIENT LIST/KILL/ID and INFO's client counts.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Notify;

use super::keyspace::Millis;

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
    /// One line of CLIENT LIST, with Redis 7.0's field names.
    pub fn list_line(&self, now: Millis) -> String {
        let text = |b: &Option<Bytes>| {
            b.as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        let flags = match (
            self.in_multi,
            self.blocked,
            self.subscriptions + self.pattern_subscriptions + self.shard_subscriptions,
        ) {
            (true, _, _) => "x",
            (_, true, _) => "b",
            (_, _, n) if n > 0 => "P",
            _ => "N",
        };
        format!(
            "id={} addr={} laddr={} fd=0 name={} age={} idle={} flags={flags} db={} sub={} \
             psub={} ssub={} multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 \
             obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={} \
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
