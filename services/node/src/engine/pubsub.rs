//! Channels and patterns, and who listens to them.

use bytes::Bytes;
use hashbrown::HashMap;
use tokio::sync::mpsc::{error::TrySendError, Sender};

use super::clients::ClientId;
use super::glob;

/// A message delivered to a subscriber outside the request/reply flow.
#[derive(Debug, Clone)]
pub enum PushMessage {
    Message {
        channel: Bytes,
        payload: Bytes,
    },
    PatternMessage {
        pattern: Bytes,
        channel: Bytes,
        payload: Bytes,
    },
    /// SPUBLISH to a shard channel (`smessage`).
    ShardMessage {
        channel: Bytes,
        payload: Bytes,
    },
    /// Client-side caching: these keys (None: all keys) may have changed. `redirected`
    /// when sent on behalf of another client, which a RESP2 subscriber then gets as a
    /// message on `__redis__:invalidate`.
    Invalidate {
        keys: Option<Vec<Bytes>>,
        redirected: bool,
    },
    /// The client that invalidations were redirected to is gone (RESP3 only).
    RedirectBroken(u64),
    /// A command another client ran, for a client in MONITOR mode.
    Monitor(String),
}

type Listeners = Vec<(ClientId, Sender<PushMessage>)>;

#[derive(Debug, Default)]
pub struct PubSub {
    channels: HashMap<Bytes, Listeners>,
    patterns: HashMap<Bytes, Listeners>,
    /// Shard channels (SSUBSCRIBE): a namespace of their own, even without a cluster.
    shard_channels: HashMap<Bytes, Listeners>,
}

/// What a PUBLISH did: how many received it, and which subscribers were too slow to keep.
#[derive(Debug, Default)]
pub struct Delivery {
    pub receivers: usize,
    pub too_slow: Vec<ClientId>,
}

impl PubSub {
    /// Returns false when the client was already subscribed.
    pub fn subscribe(&mut self, channel: Bytes, client: ClientId, tx: Sender<PushMessage>) -> bool {
        add(self.channels.entry(channel).or_default(), client, tx)
    }

    pub fn psubscribe(
        &mut self,
        pattern: Bytes,
        client: ClientId,
        tx: Sender<PushMessage>,
    ) -> bool {
        add(self.patterns.entry(pattern).or_default(), client, tx)
    }

    pub fn unsubscribe(&mut self, channel: &[u8], client: ClientId) -> bool {
        remove(&mut self.channels, channel, client)
    }

    pub fn punsubscribe(&mut self, pattern: &[u8], client: ClientId) -> bool {
        remove(&mut self.patterns, pattern, client)
    }

    pub fn publish(&self, channel: &Bytes, payload: &Bytes) -> Delivery {
        let mut delivery = Delivery::default();
        if let Some(listeners) = self.channels.get(channel) {
            for (client, tx) in listeners {
                let message = PushMessage::Message {
                    channel: channel.clone(),
                    payload: payload.clone(),
                };
                deliver(&mut delivery, *client, tx, message);
            }
        }
        for (pattern, listeners) in &self.patterns {
            if !glob::matches(pattern, channel) {
                continue;
            }
            for (client, tx) in listeners {
                let message = PushMessage::PatternMessage {
                    pattern: pattern.clone(),
                    channel: channel.clone(),
                    payload: payload.clone(),
                };
                deliver(&mut delivery, *client, tx, message);
            }
        }
        delivery
    }

    pub fn ssubscribe(
        &mut self,
        channel: Bytes,
        client: ClientId,
        tx: Sender<PushMessage>,
    ) -> bool {
        add(self.shard_channels.entry(channel).or_default(), client, tx)
    }

    pub fn sunsubscribe(&mut self, channel: &[u8], client: ClientId) -> bool {
        remove(&mut self.shard_channels, channel, client)
    }

    /// SPUBLISH: shard subscribers only (patterns never match shard channels).
    pub fn spublish(&self, channel: &Bytes, payload: &Bytes) -> Delivery {
        let mut delivery = Delivery::default();
        for (client, tx) in self.shard_channels.get(channel).into_iter().flatten() {
            let message = PushMessage::ShardMessage {
                channel: channel.clone(),
                payload: payload.clone(),
            };
            deliver(&mut delivery, *client, tx, message);
        }
        delivery
    }

    /// Active shard channels, optionally only those matching `pattern`.
    pub fn shard_channels(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        matching(&self.shard_channels, pattern)
    }

    pub fn shard_subscriber_count(&self, channel: &[u8]) -> usize {
        self.shard_channels.get(channel).map_or(0, Vec::len)
    }

    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }

    /// Active channels, optionally only those matching `pattern` (PUBSUB CHANNELS).
    pub fn channels(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        matching(&self.channels, pattern)
    }

    pub fn subscriber_count(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, Vec::len)
    }

    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }
}

fn matching(map: &HashMap<Bytes, Listeners>, pattern: Option<&[u8]>) -> Vec<Bytes> {
    map.keys()
        .filter(|c| pattern.is_none_or(|p| glob::matches(p, c)))
        .cloned()
        .collect()
}

fn add(listeners: &mut Listeners, client: ClientId, tx: Sender<PushMessage>) -> bool {
    if listeners.iter().any(|(id, _)| *id == client) {
        return false;
    }
    listeners.push((client, tx));
    true
}

fn remove(map: &mut HashMap<Bytes, Listeners>, name: &[u8], client: ClientId) -> bool {
    let Some(listeners) = map.get_mut(name) else {
        return false;
    };
    let before = listeners.len();
    listeners.retain(|(id, _)| *id != client);
    let removed = listeners.len() < before;
    if listeners.is_empty() {
        map.remove(name);
    }
    removed
}

fn deliver(
    delivery: &mut Delivery,
    client: ClientId,
    tx: &Sender<PushMessage>,
    message: PushMessage,
) {
    match tx.try_send(message) {
        Ok(()) => delivery.receivers += 1,
        // Like Redis's pubsub output buffer limit: a subscriber that cannot keep up is
        // disconnected rather than letting its backlog grow without bound.
        Err(TrySendError::Full(_)) => delivery.too_slow.push(client),
        Err(TrySendError::Closed(_)) => {}
    }
}
