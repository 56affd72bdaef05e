//! End-to-end tests: each starts real `rg-node` processes on free ports and talks to them
//! with clients nobody here wrote (the `redis` crate, redis-cli).
//!
//! One module per area; `support` holds the helpers they share.

mod group;
mod raw_diff;
mod reference;
mod support;

mod auth;
mod bad_input;
mod bitmaps;
mod blocking;
mod chaos;
mod client_control;
mod clients;
mod config_compat;
mod eviction;
mod expiry;
mod failover;
mod failover_choice;
mod geo;
mod geo_random;
mod hashes;
mod hyperloglog;
mod introspection;
mod keymiss;
mod keys;
mod keys_sort;
mod lists;
mod lists_multi;
mod local_group;
mod node_smoke;
mod notifications;
mod observability;
mod pipelining;
mod pubsub;
mod redis_cli;
mod replication;
mod resp3;
mod rgctl;
mod router;
mod router_compat;
mod safety;
mod scripting;
mod server;
mod sets;
mod shard_pubsub;
mod startup;
mod streams;
mod streams_groups;
mod streams_live;
mod strings;
mod tracking;
mod tracking_router;
mod transactions;
mod zsets;
mod zsets_multi;
