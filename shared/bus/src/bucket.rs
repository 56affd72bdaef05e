//! Opening and creating buckets: three copies on a NATS cluster, one on a standalone server,
//! and a bucket handed out only once it has a leader that can take writes.

use std::time::Duration;

use async_nats::jetstream::context::{
    CreateKeyValueError, CreateStreamError, CreateStreamErrorKind,
};
use async_nats::jetstream::kv;
use async_nats::jetstream::{self, ErrorCode};

use crate::kv::{chain, kv_error, Kv};
use crate::{Bus, BusError};

/// How long a bucket may take to elect its leader: a replicated bucket created on a NATS
/// cluster that has just started needs a few seconds.
const LEADER_WAIT: Duration = Duration::from_secs(15);

impl Bus {
    /// Opens bucket `name`, creating it (with `replicas` copies, file storage, and the last
    /// `history` revisions kept) if it does not exist yet.
    pub async fn kv(&self, name: &str, replicas: usize, history: i64) -> Result<Kv, BusError> {
        let js = jetstream::new(self.client.clone());
        let store = match js.get_key_value(name).await {
            Ok(store) => store,
            Err(_) => create(&js, name, replicas, history)
                .await
                .map_err(|e| kv_error("create bucket", name, e))?,
        };
        wait_for_leader(&js, name).await?;
        Ok(Kv { store })
    }

    /// Opens bucket `name`, creating it if needed with three copies when the bus is a NATS
    /// cluster and one on a standalone server, keeping `history` revisions per key: how
    /// rgroup keeps its records. Only the server's own "not clustered" answer makes one
    /// copy: a cluster still forming fails the call instead, for the caller to retry.
    pub async fn replicated_kv(&self, name: &str, history: i64) -> Result<Kv, BusError> {
        let js = jetstream::new(self.client.clone());
        let store =
            match js.get_key_value(name).await {
                Ok(store) => store,
                Err(_) => match create(&js, name, 3, history).await {
                    Ok(store) => store,
                    Err(error) if on_standalone_server(&error) => create(&js, name, 1, history)
                        .await
                        .map_err(|e| kv_error("create bucket", name, e))?,
                    Err(error) => return Err(kv_error("create bucket", name, error)),
                },
            };
        wait_for_leader(&js, name).await?;
        Ok(Kv { store })
    }

    /// Opens bucket `name` if it exists (readers that must not decide how it is kept).
    pub async fn open_kv(&self, name: &str) -> Result<Kv, BusError> {
        let js = jetstream::new(self.client.clone());
        js.get_key_value(name)
            .await
            .map(|store| Kv { store })
            .map_err(|e| kv_error("open bucket", name, e))
    }
}

async fn create(
    js: &jetstream::Context,
    name: &str,
    replicas: usize,
    history: i64,
) -> Result<kv::Store, CreateKeyValueError> {
    js.create_key_value(kv::Config {
        bucket: name.to_string(),
        history,
        num_replicas: replicas,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
}

/// The server refused more than one copy because it is not part of a cluster.
fn on_standalone_server(error: &CreateKeyValueError) -> bool {
    let Some(stream_error) = std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<CreateStreamError>())
    else {
        return false;
    };
    matches!(
        stream_error.kind(),
        CreateStreamErrorKind::JetStream(error)
            if error.error_code() == ErrorCode::STREAM_REPLICAS_NOT_SUPPORTED
    )
}

/// Returns once the bucket's stream has a leader. Until then every write to a just-created
/// replicated bucket fails, and a caller that writes a record once (rgctl) would report
/// that passing failure as its result.
async fn wait_for_leader(js: &jetstream::Context, bucket: &str) -> Result<(), BusError> {
    let stream = format!("KV_{bucket}");
    let deadline = tokio::time::Instant::now() + LEADER_WAIT;
    loop {
        let not_yet = match js.get_stream(&stream).await {
            Ok(mut handle) => match handle.info().await {
                // A standalone server reports no cluster: the server itself leads.
                Ok(info) => match &info.cluster {
                    None => return Ok(()),
                    Some(cluster) if cluster.leader.is_some() => return Ok(()),
                    Some(_) => "the bucket has no leader yet".to_string(),
                },
                Err(error) => chain(&error),
            },
            Err(error) => chain(&error),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(BusError::Io {
                operation: "open bucket",
                subject: bucket.to_string(),
                reason: format!("not ready after {} s: {not_yet}", LEADER_WAIT.as_secs()),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
