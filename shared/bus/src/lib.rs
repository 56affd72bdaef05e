//! The bus: rgroup's services talk over NATS through this crate, and only this crate names
//! async-nats. Messages are the `rg-proto` types; a message that does not decode is counted,
//! logged and dropped, never a panic.

mod bucket;
mod kv;
mod stream;

pub use kv::{Kv, KvWatch, Revision};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use serde::{de::DeserializeOwned, Serialize};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BusError {
    #[error("cannot connect to NATS at {urls}: {reason}")]
    Connect { urls: String, reason: String },
    #[error("NATS {operation} on '{subject}' failed: {reason}")]
    Io {
        operation: &'static str,
        subject: String,
        reason: String,
    },
    #[error("no answer on '{0}' in time")]
    Timeout(String),
    /// A compare-and-set lost: the key exists, or changed since the revision read.
    #[error("'{0}' was changed by another writer")]
    Conflict(String),
    #[error(transparent)]
    Proto(#[from] rg_proto::ProtoError),
}

/// What callers branch on, without matching message strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusErrorKind {
    Connect,
    Io,
    Timeout,
    Conflict,
    Decode,
}

impl BusError {
    pub fn kind(&self) -> BusErrorKind {
        match self {
            BusError::Connect { .. } => BusErrorKind::Connect,
            BusError::Io { .. } => BusErrorKind::Io,
            BusError::Timeout(_) => BusErrorKind::Timeout,
            BusError::Conflict(_) => BusErrorKind::Conflict,
            BusError::Proto(_) => BusErrorKind::Decode,
        }
    }
}

/// How often the client pings the server; async-nats's default is a minute.
const PING_INTERVAL: Duration = Duration::from_secs(1);

/// A connection to the bus, cheap to clone.
#[derive(Clone)]
pub struct Bus {
    client: async_nats::Client,
    undecodable: Arc<AtomicU64>,
}

impl Bus {
    /// Connects to `urls` (comma-separated for a cluster), retrying until the bus answers, so
    /// services may start before NATS.
    pub async fn connect(urls: &str, name: &str) -> Result<Bus, BusError> {
        // async-nats takes a list of addresses, not a comma-separated string.
        let addresses = urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(|u| u.parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BusError::Connect {
                urls: redact(urls),
                reason: e.to_string(),
            })?;
        // Credentials in a URL (nats://user:password@host) are the bus's: async-nats does
        // not take them from the address by itself.
        let credentials = addresses
            .iter()
            .find_map(|a| Some((a.username()?.to_string(), a.password()?.to_string())));
        let options = match credentials {
            Some((user, password)) => {
                async_nats::ConnectOptions::with_user_and_password(user, password)
            }
            None => async_nats::ConnectOptions::new(),
        };
        let client = options
            .name(name)
            // A partition drops packets without closing the connection: ping often, so a
            // dead connection is noticed (and re-made) within seconds, not minutes.
            .ping_interval(PING_INTERVAL)
            .retry_on_initial_connect()
            .connect(addresses)
            .await
            .map_err(|e| BusError::Connect {
                urls: redact(urls),
                reason: e.to_string(),
            })?;
        Ok(Bus {
            client,
            undecodable: Arc::default(),
        })
    }

    /// Messages received that did not decode, since the connection was made.
    pub fn undecodable_count(&self) -> u64 {
        self.undecodable.load(Ordering::Relaxed)
    }

    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    pub async fn publish<T: Serialize>(
        &self,
        subject: String,
        message: &T,
    ) -> Result<(), BusError> {
        let payload = Bytes::from(rg_proto::encode(message)?);
        self.client
            .publish(subject.clone(), payload)
            .await
            .map_err(|e| io_error("publish", &subject, e))
    }

    /// Publishes bytes as they are: the public event stream is JSON, not MessagePack.
    pub async fn publish_raw(&self, subject: String, payload: Vec<u8>) -> Result<(), BusError> {
        self.client
            .publish(subject.clone(), Bytes::from(payload))
            .await
            .map_err(|e| io_error("publish", &subject, e))
    }

    /// Sends everything published so far to the server.
    pub async fn flush(&self) -> Result<(), BusError> {
        self.client
            .flush()
            .await
            .map_err(|e| io_error("flush", "", e))
    }

    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        subject: String,
    ) -> Result<Subscription<T>, BusError> {
        let inner = self
            .client
            .subscribe(subject.clone())
            .await
            .map_err(|e| io_error("subscribe", &subject, e))?;
        Ok(self.wrap(inner, subject))
    }

    /// Like [`Bus::subscribe`], but each message goes to one member of `queue` only.
    pub async fn queue_subscribe<T: DeserializeOwned>(
        &self,
        subject: String,
        queue: &str,
    ) -> Result<Subscription<T>, BusError> {
        let inner = self
            .client
            .queue_subscribe(subject.clone(), queue.to_string())
            .await
            .map_err(|e| io_error("subscribe", &subject, e))?;
        Ok(self.wrap(inner, subject))
    }

    /// Messages as bytes, with their subjects: for payloads that are not rgroup's
    /// MessagePack (the JSON event stream).
    pub async fn subscribe_raw(&self, subject: String) -> Result<RawSubscription, BusError> {
        let inner = self
            .client
            .subscribe(subject.clone())
            .await
            .map_err(|e| io_error("subscribe", &subject, e))?;
        Ok(RawSubscription { inner })
    }

    fn wrap<T>(&self, inner: async_nats::Subscriber, subject: String) -> Subscription<T> {
        Subscription {
            inner,
            subject,
            undecodable: self.undecodable.clone(),
            _message: std::marker::PhantomData,
        }
    }

    /// Sends a request and waits up to `timeout` for its reply.
    pub async fn request<T: Serialize, R: DeserializeOwned>(
        &self,
        subject: String,
        message: &T,
        timeout: Duration,
    ) -> Result<R, BusError> {
        let payload = Bytes::from(rg_proto::encode(message)?);
        let request = self.client.request(subject.clone(), payload);
        let reply = tokio::time::timeout(timeout, request)
            .await
            .map_err(|_| BusError::Timeout(subject.clone()))?
            .map_err(|e| io_error("request", &subject, e))?;
        Ok(rg_proto::decode(&reply.payload)?)
    }

    /// Answers a request received through a [`Subscription`].
    pub async fn reply<T: Serialize>(&self, to: &ReplyTo, message: &T) -> Result<(), BusError> {
        self.publish(to.0.clone(), message).await
    }
}

/// The URLs without their passwords, for messages and logs.
pub fn redact(urls: &str) -> String {
    urls.split(',')
        .map(|url| match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://***@{}", &url[..scheme], &url[at + 1..])
            }
            _ => url.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn io_error(operation: &'static str, subject: &str, error: impl std::fmt::Display) -> BusError {
    BusError::Io {
        operation,
        subject: subject.to_string(),
        reason: error.to_string(),
    }
}

/// Where to send the answer to a request.
#[derive(Debug, Clone)]
pub struct ReplyTo(String);

/// Decoded messages from one subject.
pub struct Subscription<T> {
    inner: async_nats::Subscriber,
    subject: String,
    undecodable: Arc<AtomicU64>,
    _message: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Subscription<T> {
    /// The next message that decodes, with where to reply if it was a request; None when the
    /// subscription has ended.
    pub async fn next(&mut self) -> Option<(T, Option<ReplyTo>)> {
        loop {
            let message = self.inner.next().await?;
            match rg_proto::decode::<T>(&message.payload) {
                Ok(decoded) => {
                    let reply = message.reply.map(|s| ReplyTo(s.to_string()));
                    return Some((decoded, reply));
                }
                Err(error) => {
                    self.undecodable.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(subject = %self.subject, %error, "dropped a message that does not decode");
                }
            }
        }
    }
}

/// Undecoded messages: (subject, payload).
pub struct RawSubscription {
    inner: async_nats::Subscriber,
}

impl RawSubscription {
    pub async fn next(&mut self) -> Option<(String, Bytes)> {
        let message = self.inner.next().await?;
        Some((message.subject.to_string(), message.payload))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            super::redact("nats://u:secret@a:4222, nats://b:4222"),
            "nats://***@a:4222, nats://b:4222"
        );
    }
}
