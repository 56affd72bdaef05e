//! SORT against an engine with no network.
