//! End-to-end tests of rgroup live in `e2e/`, compiled into one test binary.
