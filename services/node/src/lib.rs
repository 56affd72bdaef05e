//! rg-node: rgroup's data node, an in-memory engine that speaks RESP2 and RESP3.
//!
//! - [`engine`]: the databases and server-wide state, with no networking.
//! - [`commands`]: the checks every command goes through and one module per command family.
//! - [`scripting`]: Lua scripts (EVAL and friends), run against the engine.
//! - [`config`]: settings from defaults, file, environment and flags.
//! - [`server`] and `connection`: the TCP side; [`run`] serves a bound listener until the
//!   shutdown future completes, so tests start a node on port 0 in a few lines.

pub mod commands;
pub mod config;
mod connection;
pub mod engine;
pub mod replication;
pub mod scripting;
pub mod server;

pub use server::run;
