//! End-to-end tests of rgroup live in `e2e/`, compiled into one test binary. The library
//! holds what more than one target runs: the chaos harness (`bin/rg-chaos.rs` runs it at
//! length, `e2e/chaos.rs` a short seeded version).

pub mod chaos;
