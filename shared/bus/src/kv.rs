//! A JetStream key/value bucket with compare-and-set: the topology record, changed only by
//! the writer that read the current revision, so two leaders can never both install theirs.

use bytes::Bytes;
use futures::StreamExt;
use serde::{de::DeserializeOwned, Serialize};

use async_nats::jetstream::kv::{self, CreateErrorKind, UpdateErrorKind};

use crate::BusError;

/// A value's revision in its bucket; every change has a higher one.
pub type Revision = u64;

/// One bucket.
#[derive(Clone)]
pub struct Kv {
    pub(crate) store: kv::Store,
}

impl Kv {
    /// The current value and its revision; None if the key was never set or was deleted.
    pub async fn get<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<(T, Revision)>, BusError> {
        let entry = self
            .store
            .entry(key)
            .await
            .map_err(|e| kv_error("get", key, e))?;
        match entry {
            Some(entry) if entry.operation == kv::Operation::Put => {
                Ok(Some((rg_proto::decode(&entry.value)?, entry.revision)))
            }
            _ => Ok(None),
        }
    }

    /// Sets `key` only if it does not exist; [`BusError::Conflict`] if it does.
    pub async fn create<T: Serialize>(&self, key: &str, value: &T) -> Result<Revision, BusError> {
        let payload = Bytes::from(rg_proto::encode(value)?);
        self.store.create(key, payload).await.map_err(|e| {
            if e.kind() == CreateErrorKind::AlreadyExists {
                BusError::Conflict(key.to_string())
            } else {
                kv_error("create", key, e)
            }
        })
    }

    /// Sets `key` only if its revision is still `expected`; [`BusError::Conflict`] if another
    /// writer changed it first.
    pub async fn update<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        expected: Revision,
    ) -> Result<Revision, BusError> {
        let payload = Bytes::from(rg_proto::encode(value)?);
        self.store
            .update(key, payload, expected)
            .await
            .map_err(|e| {
                if e.kind() == UpdateErrorKind::WrongLastRevision {
                    BusError::Conflict(key.to_string())
                } else {
                    kv_error("update", key, e)
                }
            })
    }

    /// Removes `key` (its history stays until the bucket's limits drop it).
    pub async fn delete(&self, key: &str) -> Result<(), BusError> {
        self.store
            .delete(key)
            .await
            .map_err(|e| kv_error("delete", key, e))
    }

    /// Every key's current value, then every change to any key.
    pub async fn watch_every<T: DeserializeOwned>(&self) -> Result<KvWatch<T>, BusError> {
        let inner = self
            .store
            .watch_with_history(">")
            .await
            .map_err(|e| kv_error("watch", ">", e))?;
        Ok(KvWatch {
            inner,
            _value: std::marker::PhantomData,
        })
    }

    /// Every key that holds a value.
    pub async fn keys(&self) -> Result<Vec<String>, BusError> {
        let keys = self
            .store
            .keys()
            .await
            .map_err(|e| kv_error("keys", "*", e))?;
        let keys: Vec<Result<String, _>> = keys.collect().await;
        Ok(keys.into_iter().filter_map(Result::ok).collect())
    }

    /// The key's current value, then every change, as they happen.
    pub async fn watch<T: DeserializeOwned>(&self, key: &str) -> Result<KvWatch<T>, BusError> {
        let inner = self
            .store
            .watch_with_history(key)
            .await
            .map_err(|e| kv_error("watch", key, e))?;
        Ok(KvWatch {
            inner,
            _value: std::marker::PhantomData,
        })
    }
}

/// Changes of one key: `Some(value)` for a put, `None` for a delete.
pub struct KvWatch<T> {
    inner: kv::Watch,
    _value: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> KvWatch<T> {
    pub async fn next(&mut self) -> Option<(Option<T>, Revision)> {
        self.next_keyed()
            .await
            .map(|(_, value, revision)| (value, revision))
    }

    /// The next change with the key it is about.
    pub async fn next_keyed(&mut self) -> Option<(String, Option<T>, Revision)> {
        loop {
            let entry = match self.inner.next().await? {
                Ok(entry) => entry,
                Err(error) => {
                    tracing::warn!(%error, "key/value watch error");
                    continue;
                }
            };
            if entry.operation != kv::Operation::Put {
                return Some((entry.key, None, entry.revision));
            }
            match rg_proto::decode(&entry.value) {
                Ok(value) => return Some((entry.key, Some(value), entry.revision)),
                Err(error) => tracing::warn!(key = %entry.key, %error, "undecodable value dropped"),
            }
        }
    }
}

pub(crate) fn kv_error(
    operation: &'static str,
    key: &str,
    error: impl std::error::Error,
) -> BusError {
    BusError::Io {
        operation,
        subject: key.to_string(),
        reason: chain(&error),
    }
}

/// The error and its causes: async-nats's kinds alone print as "other error".
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        cause = inner.source();
    }
    text
}
