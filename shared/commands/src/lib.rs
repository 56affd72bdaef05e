//! The command table: every command rgroup knows, with Redis 7's arity, flags and key
//! positions. The node parses and answers `COMMAND` from it; the router routes by it.
//!
//! - [`spec`]: the [`CommandSpec`] type and its [`Flags`].
//! - [`table`]: the data, one entry per command, taken from a real redis-server's
//!   `COMMAND INFO`.
//! - [`lookup`]: case-insensitive lookup by name, without allocating.

mod spec;
mod table;

pub use spec::{CommandId, CommandSpec, Flags};
pub use table::COMMANDS;

use std::sync::OnceLock;

/// The longest command name in the table, so lookups can lowercase into a stack buffer.
const MAX_NAME_LEN: usize = 32;

/// Finds a command by name, whatever its case.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    if name.len() > MAX_NAME_LEN {
        return None;
    }
    let mut lower = [0u8; MAX_NAME_LEN];
    let lower = &mut lower[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    index().get(&*lower).copied()
}

/// hashbrown's default hasher (foldhash) rather than std's SipHash: the lookup runs for
/// every command a node or the router handles, and names are not attacker-chosen keys
/// that could flood one bucket (the table is fixed).
fn index() -> &'static hashbrown::HashMap<&'static [u8], &'static CommandSpec> {
    static INDEX: OnceLock<hashbrown::HashMap<&'static [u8], &'static CommandSpec>> =
        OnceLock::new();
    INDEX.get_or_init(|| COMMANDS.iter().map(|c| (c.name.as_bytes(), c)).collect())
}

#[cfg(test)]
mod tests;
