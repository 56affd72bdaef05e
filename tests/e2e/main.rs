//! End-to-end tests: each starts real `rg-node` processes on free ports and talks to them
//! with clients nobody here wrote (the `redis` crate, redis-cli).

mod support;

mod hashes;
mod keys;
mod lists;
mod node_smoke;
mod sets;
mod strings;
mod zsets;
