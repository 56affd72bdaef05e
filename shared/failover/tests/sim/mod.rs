//! The simulated network the sentinels' decisions are checked on.

pub mod msg;
pub mod net;
pub mod node;
pub mod router;
pub mod sentinel;
pub mod world;
