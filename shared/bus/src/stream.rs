//! A JetStream stream as a log: the public events, kept for `describe-events`.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;

use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::stream;

use crate::{Bus, BusError};

/// How long a read waits for the next message before taking the log as read.
const READ_IDLE: Duration = Duration::from_millis(500);

impl Bus {
    /// Makes sure stream `name` keeps what is published on `subjects` for `max_age`, with
    /// `replicas` copies (one if the server is not a cluster). Changes the age of an
    /// existing stream.
    pub async fn keep_stream(
        &self,
        name: &str,
        subjects: Vec<String>,
        max_age: Duration,
        replicas: usize,
    ) -> Result<(), BusError> {
        let js = async_nats::jetstream::new(self.client.clone());
        let config = |replicas| stream::Config {
            name: name.to_string(),
            subjects: subjects.clone(),
            max_age,
            num_replicas: replicas,
            storage: stream::StorageType::File,
            ..Default::default()
        };
        if js.get_stream(name).await.is_ok() {
            return js
                .update_stream(config(replicas))
                .await
                .map(|_| ())
                .or(Ok(()));
        }
        let created = match js.create_stream(config(replicas)).await {
            Ok(_) => return Ok(()),
            Err(_) if replicas > 1 => js.create_stream(config(1)).await.map(|_| ()),
            Err(error) => Err(error),
        };
        // Another service may have created it meanwhile, with its own settings.
        match created {
            Ok(()) => Ok(()),
            Err(_) if js.get_stream(name).await.is_ok() => Ok(()),
            Err(error) => Err(stream_error("create stream", name, error)),
        }
    }

    /// What stream `name` holds on subjects matching `filter` since `since_ms` (Unix ms),
    /// oldest first, as (subject, payload).
    pub async fn read_stream(
        &self,
        name: &str,
        filter: &str,
        since_ms: u64,
    ) -> Result<Vec<(String, Bytes)>, BusError> {
        let js = async_nats::jetstream::new(self.client.clone());
        let mut stream = js
            .get_stream(name)
            .await
            .map_err(|e| stream_error("open stream", name, e))?;
        let info = stream
            .info()
            .await
            .map_err(|e| stream_error("stream info", name, e))?;
        if info.state.messages == 0 {
            return Ok(Vec::new());
        }
        let start_time =
            time::OffsetDateTime::from_unix_timestamp_nanos(since_ms as i128 * 1_000_000)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: filter.to_string(),
                deliver_policy: DeliverPolicy::ByStartTime { start_time },
                ..Default::default()
            })
            .await
            .map_err(|e| stream_error("read stream", name, e))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| stream_error("read stream", name, e))?;
        let mut read = Vec::new();
        while let Ok(Some(Ok(message))) = tokio::time::timeout(READ_IDLE, messages.next()).await {
            let pending = message.info().map(|i| i.pending).unwrap_or(0);
            read.push((message.subject.to_string(), message.payload.clone()));
            if pending == 0 {
                break;
            }
        }
        Ok(read)
    }
}

fn stream_error(operation: &'static str, name: &str, error: impl std::fmt::Display) -> BusError {
    BusError::Io {
        operation,
        subject: name.to_string(),
        reason: error.to_string(),
    }
}
