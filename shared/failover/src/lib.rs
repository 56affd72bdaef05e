//! What a sentinel decides, as pure functions of what it has seen and the time it is given:
//! no tokio, no NATS, no clock, so every rule is tested in virtual time.
//!
//! - [`health`]: one sentinel's own judgement of a node (subjectively down, SDOWN) from
//!   heartbeat freshness and active pings.
//! - [`quorum`]: the primary is objectively down (ODOWN) when `quorum` sentinels of the
//!   known set hold it SDOWN at the same time.
//! - [`election`]: one vote per sentinel per epoch; a candidate leads with a majority of the
//!   known sentinel set, never of "whoever answered".
//! - [`candidate`]: which replica to promote.
//!
//! Millisecond timestamps are plain `u64`s the driver reads from its clock.

pub mod candidate;
pub mod election;
pub mod health;
pub mod quorum;

/// Milliseconds, from whatever clock the driver uses.
pub type Millis = u64;
