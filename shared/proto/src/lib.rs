//! The bus contract, the only place it is written down: the subjects rgroup's services use
//! on NATS, the ids, epochs and offsets they carry, and the messages, encoded with
//! MessagePack (`rmp_serde::to_vec_named`, so fields can be added with `#[serde(default)]`).
//!
//! - [`ids`]: newtypes for groups, nodes, epochs, replication ids and offsets.
//! - [`subjects`]: every subject, built from a prefix and a group.
//! - [`messages`]: heartbeats, the replication stream, resync and acks, sentinels' votes.
//! - [`position`]: a history id with an offset, and PSYNC2's rule for comparing them.
//! - [`positions`]: what each node acknowledged, in which history, as the bus tells it.
//! - [`topology`]: the record of each group's primary and members, kept in a key/value bucket.
//! - [`events`]: the public JSON event stream.
//! - [`registry`]: what operators declared for each group (rgctl).
//! - [`encode`] / [`decode`]: the one codec; a message that fails to decode is an error the
//!   receiver counts and logs, never a panic.

pub mod events;
pub mod ids;
pub mod messages;
pub mod position;
pub mod positions;
pub mod registry;
pub mod subjects;
pub mod topology;

use serde::{de::DeserializeOwned, Serialize};
use thiserror::Error;

pub use ids::{Epoch, GroupId, NodeId, Offset, ReplId};
pub use position::{Lineage, Position};
pub use positions::Positions;
pub use subjects::Subjects;

#[derive(Debug, Error)]
pub enum ProtoError {
    #[error("cannot encode message: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    #[error("cannot decode message: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
}

pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, ProtoError> {
    Ok(rmp_serde::to_vec_named(message)?)
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ProtoError> {
    Ok(rmp_serde::from_slice(bytes)?)
}
