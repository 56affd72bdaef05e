//! Client-side caching's server half: https://redis.io/docs/manual/client-side-caching/
//!
//! As in Redis (tracking.c) the table is global, not per database: key -> the ids of the
//! clients that may hold it. A write to a tracked key sends an invalidation to each of
//! them (or to the client each redirects to) and forgets the key. Clients in BCAST mode
//! are not in the table: they subscribe to prefixes, and the keys written under a prefix
//! are collected and sent together once the command finishes ([`Tracking::broadcast`]).
//! Each client's mode lives in its [`ClientInfo`](super::clients::ClientInfo).

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use hashbrown::{HashMap, HashSet};

use super::clients::{ClientId, Clients};
use super::pubsub::PushMessage;

/// One client's tracking mode (CLIENT TRACKING ON ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mode {
    /// 0: invalidations go to the client itself.
    pub redirect: ClientId,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING YES (OPTIN) or NO (OPTOUT), for the next command only.
    pub caching: bool,
    /// The redirect target went away (noticed while sending, through a shared reference).
    pub broken_redirect: std::cell::Cell<bool>,
    /// BCAST prefixes, sorted as Redis's radix tree lists them.
    pub prefixes: BTreeSet<Bytes>,
}

/// A BCAST prefix: its clients and the keys written under it since the last broadcast,
/// each with the client that wrote it last (0: none), for NOLOOP.
#[derive(Debug, Default)]
struct Prefix {
    clients: BTreeSet<ClientId>,
    keys: BTreeMap<Bytes, ClientId>,
}

#[derive(Debug, Default)]
pub struct Tracking {
    table: HashMap<Bytes, HashSet<ClientId>>,
    /// Client ids across the whole table (INFO's tracking_total_items).
    items: u64,
    prefixes: BTreeMap<Bytes, Prefix>,
    /// Clients with tracking on (INFO's tracking_clients).
    clients: usize,
}

impl Tracking {
    /// Nothing to do on a write: no client tracks anything.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.clients == 0 && self.table.is_empty()
    }

    pub fn client_count(&self) -> usize {
        self.clients
    }

    pub fn key_count(&self) -> usize {
        self.table.len()
    }

    pub fn item_count(&self) -> u64 {
        self.items
    }

    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// Turns tracking on for `id` with `mode` (already validated), replacing its mode.
    pub fn enable(&mut self, clients: &mut Clients, id: ClientId, mut mode: Mode) {
        let Some(client) = clients.get_mut(id) else {
            return;
        };
        let previous = client.tracking.take();
        if previous.is_none() {
            self.clients += 1;
        }
        let mut prefixes = previous.map(|p| p.prefixes).unwrap_or_default();
        if mode.bcast {
            if mode.prefixes.is_empty() {
                mode.prefixes.insert(Bytes::new());
            }
            for prefix in &mode.prefixes {
                self.prefixes
                    .entry(prefix.clone())
                    .or_default()
                    .clients
                    .insert(id);
            }
            prefixes.extend(std::mem::take(&mut mode.prefixes));
        }
        mode.prefixes = prefixes;
        client.tracking = Some(mode);
    }

    /// CLIENT TRACKING OFF, RESET, or the client leaving. Its ids stay in the table and
    /// are dropped lazily, as in Redis.
    pub fn disable(&mut self, clients: &mut Clients, id: ClientId) {
        let Some(mode) = clients.get_mut(id).and_then(|c| c.tracking.take()) else {
            return;
        };
        self.clients -= 1;
        for prefix in &mode.prefixes {
            if let Some(state) = self.prefixes.get_mut(prefix) {
                state.clients.remove(&id);
                if state.clients.is_empty() {
                    self.prefixes.remove(prefix);
                }
            }
        }
    }

    /// Remembers that `id` read `keys`.
    pub fn remember<'k>(&mut self, id: ClientId, keys: impl Iterator<Item = &'k Bytes>) {
        for key in keys {
            if !self.table.contains_key(&key[..]) {
                self.table.insert(key.clone(), HashSet::new());
            }
            let Some(ids) = self.table.get_mut(&key[..]) else {
                continue;
            };
            if ids.insert(id) {
                self.items += 1;
            }
        }
    }

    /// A key changed (written, expired, evicted) while `current` ran a command (0: none).
    pub fn invalidate(&mut self, clients: &Clients, key: &[u8], current: ClientId) {
        if !self.prefixes.is_empty() {
            self.note_for_broadcast(key, current);
        }
        let Some(ids) = self.table.remove(key) else {
            return;
        };
        self.items -= ids.len() as u64;
        for id in ids {
            let Some(mode) = clients.get(id).and_then(|c| c.tracking.as_ref()) else {
                continue;
            };
            if mode.bcast || (mode.noloop && id == current) {
                continue;
            }
            let keys = Some(vec![Bytes::copy_from_slice(key)]);
            send(clients, id, mode, keys);
        }
    }

    fn note_for_broadcast(&mut self, key: &[u8], current: ClientId) {
        for (prefix, state) in self.prefixes.iter_mut() {
            if key.starts_with(prefix) {
                state.keys.insert(Bytes::copy_from_slice(key), current);
            }
        }
    }

    /// FLUSHDB / FLUSHALL: every tracking client is told that everything is invalid (a
    /// null), and the table is emptied.
    pub fn invalidate_all(&mut self, clients: &Clients) {
        if self.clients > 0 {
            for client in clients.iter() {
                if let Some(mode) = &client.tracking {
                    send(clients, client.id, mode, None);
                }
            }
        }
        self.table.clear();
        self.items = 0;
    }

    /// Sends the keys collected under each BCAST prefix to its clients.
    pub fn broadcast(&mut self, clients: &Clients) {
        for state in self.prefixes.values_mut() {
            if state.keys.is_empty() {
                continue;
            }
            let written = std::mem::take(&mut state.keys);
            for &id in &state.clients {
                let Some(mode) = clients.get(id).and_then(|c| c.tracking.as_ref()) else {
                    continue;
                };
                let keys: Vec<Bytes> = written
                    .iter()
                    .filter(|(_, &by)| !(mode.noloop && by == id))
                    .map(|(key, _)| key.clone())
                    .collect();
                if !keys.is_empty() {
                    send(clients, id, mode, Some(keys));
                }
            }
        }
    }

    /// Forgets keys past `max` (tracking-table-max-keys), invalidating them as if written.
    pub fn limit(&mut self, clients: &Clients, max: u64) {
        if max == 0 || self.table.len() as u64 <= max {
            return;
        }
        let excess = self.table.len() - max as usize;
        let victims: Vec<Bytes> = self.table.keys().take(excess).cloned().collect();
        for key in victims {
            // Not a write: BCAST clients, who track no keys, hear nothing.
            let prefixes = std::mem::take(&mut self.prefixes);
            self.invalidate(clients, &key, 0);
            self.prefixes = prefixes;
        }
    }
}

/// Delivers one invalidation (`keys` None: everything) for a client in `mode`: to the
/// client itself, or to its redirect target; a vanished target is reported to the client.
fn send(clients: &Clients, id: ClientId, mode: &Mode, keys: Option<Vec<Bytes>>) {
    if mode.redirect == 0 {
        clients.push(
            id,
            PushMessage::Invalidate {
                keys,
                redirected: false,
            },
        );
        return;
    }
    if clients.get(mode.redirect).is_some() {
        clients.push(
            mode.redirect,
            PushMessage::Invalidate {
                keys,
                redirected: true,
            },
        );
    } else {
        mode.broken_redirect.set(true);
        clients.push(id, PushMessage::RedirectBroken(mode.redirect));
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use tokio::sync::mpsc;

    use super::*;

    /// Two registered clients with push channels.
    fn two_clients() -> (Clients, Vec<mpsc::Receiver<PushMessage>>) {
        let mut clients = Clients::default();
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        let mut receivers = Vec::new();
        for _ in 0..2 {
            let id = clients.register(addr, addr, 0);
            let (tx, rx) = mpsc::channel(16);
            clients.get_mut(id).unwrap().push = Some(tx);
            receivers.push(rx);
        }
        (clients, receivers)
    }

    fn keys(rx: &mut mpsc::Receiver<PushMessage>) -> Option<Option<Vec<Bytes>>> {
        match rx.try_recv().ok()? {
            PushMessage::Invalidate { keys, .. } => Some(keys),
            other => panic!("not an invalidation: {other:?}"),
        }
    }

    #[test]
    fn a_write_invalidates_once_and_noloop_skips_the_writer() {
        let (mut clients, mut rx) = two_clients();
        let mut tracking = Tracking::default();
        tracking.enable(&mut clients, 1, Mode::default());
        let noloop = Mode {
            noloop: true,
            ..Mode::default()
        };
        tracking.enable(&mut clients, 2, noloop);
        let k = Bytes::from_static(b"k");
        tracking.remember(1, [&k].into_iter());
        tracking.remember(2, [&k].into_iter());
        assert_eq!((tracking.key_count(), tracking.item_count()), (1, 2));
        tracking.invalidate(&clients, b"k", 2);
        assert_eq!(keys(&mut rx[0]), Some(Some(vec![k.clone()])));
        assert_eq!(keys(&mut rx[1]), None, "NOLOOP: its own write");
        tracking.invalidate(&clients, b"k", 0);
        assert_eq!(keys(&mut rx[0]), None, "forgotten after the first write");
        assert_eq!(tracking.item_count(), 0);
    }

    #[test]
    fn bcast_collects_keys_per_prefix_until_broadcast() {
        let (mut clients, mut rx) = two_clients();
        let mut tracking = Tracking::default();
        let bcast = Mode {
            bcast: true,
            prefixes: [Bytes::from_static(b"u:")].into_iter().collect(),
            ..Mode::default()
        };
        tracking.enable(&mut clients, 1, bcast);
        tracking.invalidate(&clients, b"u:1", 2);
        tracking.invalidate(&clients, b"other", 2);
        tracking.invalidate(&clients, b"u:2", 2);
        assert_eq!(keys(&mut rx[0]), None, "sent after the command");
        tracking.broadcast(&clients);
        let expected = vec![Bytes::from_static(b"u:1"), Bytes::from_static(b"u:2")];
        assert_eq!(keys(&mut rx[0]), Some(Some(expected)));
        tracking.disable(&mut clients, 1);
        assert_eq!((tracking.client_count(), tracking.prefix_count()), (0, 0));
    }

    #[test]
    fn a_flush_sends_a_null_and_the_limit_trims_the_table() {
        let (mut clients, mut rx) = two_clients();
        let mut tracking = Tracking::default();
        tracking.enable(&mut clients, 1, Mode::default());
        let names: Vec<Bytes> = (0..5).map(|i| Bytes::from(format!("k{i}"))).collect();
        tracking.remember(1, names.iter());
        tracking.limit(&clients, 3);
        assert_eq!(tracking.key_count(), 3);
        assert!(keys(&mut rx[0]).is_some() && keys(&mut rx[0]).is_some());
        tracking.invalidate_all(&clients);
        assert_eq!(keys(&mut rx[0]), Some(None));
        assert_eq!(tracking.key_count(), 0);
    }
}
