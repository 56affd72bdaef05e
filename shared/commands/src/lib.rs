//! The command table: every command rgroup knows, with Redis 7's arity, flags and key
//! positions. The node parses and answers `COMMAND` from it; the router routes by it.
//!
//! - [`spec`]: the [`CommandSpec`] type and its [`Flags`].
//! - [`table`]: the data, one entry per command, taken from a real redis-server's
//!   `COMMAND INFO`.
//! - [`key_indexes`]: where one call's keys are, movable keys included.
//! - [`lookup`]: case-insensitive lookup by name, without allocating; [`lookup_subcommand`]
//!   for a container's subcommands (`config|get`), which carry their own arity and flags.

mod keys;
mod spec;
mod table;

pub use keys::key_indexes;
pub use spec::{CommandId, CommandSpec, Flags};
pub use table::{COMMANDS, SUBCOMMANDS};

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

/// Finds a subcommand of `container` (`get` of `config`) by name, whatever its case.
pub fn lookup_subcommand(container: &CommandSpec, name: &[u8]) -> Option<&'static CommandSpec> {
    let full_len = container.name.len() + 1 + name.len();
    if full_len > 2 * MAX_NAME_LEN {
        return None;
    }
    let mut full = [0u8; 2 * MAX_NAME_LEN];
    let full = &mut full[..full_len];
    full[..container.name.len()].copy_from_slice(container.name.as_bytes());
    full[container.name.len()] = b'|';
    full[container.name.len() + 1..].copy_from_slice(name);
    full.make_ascii_lowercase();
    subcommand_index().get(&*full).copied()
}

/// The subcommands of `container`, in name order; none for a plain command.
pub fn subcommands_of(container: &CommandSpec) -> impl Iterator<Item = &'static CommandSpec> + '_ {
    SUBCOMMANDS.iter().filter(move |sub| {
        sub.name
            .strip_prefix(container.name)
            .is_some_and(|rest| rest.starts_with('|'))
    })
}

/// hashbrown's default hasher (foldhash) rather than std's SipHash: the lookup runs for
/// every command a node or the router handles, and names are not attacker-chosen keys
/// that could flood one bucket (the table is fixed).
fn index() -> &'static hashbrown::HashMap<&'static [u8], &'static CommandSpec> {
    static INDEX: OnceLock<hashbrown::HashMap<&'static [u8], &'static CommandSpec>> =
        OnceLock::new();
    INDEX.get_or_init(|| COMMANDS.iter().map(|c| (c.name.as_bytes(), c)).collect())
}

fn subcommand_index() -> &'static hashbrown::HashMap<&'static [u8], &'static CommandSpec> {
    static INDEX: OnceLock<hashbrown::HashMap<&'static [u8], &'static CommandSpec>> =
        OnceLock::new();
    INDEX.get_or_init(|| SUBCOMMANDS.iter().map(|c| (c.name.as_bytes(), c)).collect())
}

#[cfg(test)]
mod tests;
