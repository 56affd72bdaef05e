//! A fault-injection test of the real processes, seeded and replayable: it tries to break
//! the group's promises (a write acknowledged by `WAIT 1` survives the loss of any one node;
//! with `sync-replicas 1` every acknowledged write survives; never two nodes accepting
//! writes at once) and reports what it found, round by round and per fault kind.
//!
//! - `options`: what a run is asked to do (seed, rounds, mode).
//! - `plan`: each round's fault, target and timings, from the seed alone.
//! - `cluster`: the group as processes, with a bus proxy and a data proxy per node.
//! - `faults`: doing and undoing a planned fault.
//! - `writers`: client threads through the router, recording what each write got.
//! - `sampler`: the split-brain watch (roles every ~50 ms, probe writes).
//! - `observe` and `converge`: direct reads of nodes and sentinels, and when the group has
//!   settled.
//! - `checker`: every promised write on every node, after each round.
//! - `report`: a line per round and the table per fault kind.
//! - `logs`: every process's log, across restarts, in one directory.
//! - `run`: the round loop.

mod checker;
mod cluster;
mod converge;
mod faults;
mod logs;
mod observe;
mod options;
mod plan;
mod report;
mod run;
mod sampler;
mod writers;

pub use options::{Mode, Options};
pub use plan::{plan, Fault, FaultKind, Target};
pub use report::{Report, RoundResult};
pub use run::run;
