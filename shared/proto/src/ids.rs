//! Ids, epochs and offsets as types of their own, so one is never passed for another.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A replication group's id, as used in subjects (no dots, spaces or wildcards).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupId(String);

/// A node's id within its group, as used in subjects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(String);

/// Why a name cannot be used as a subject token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid id: use 1-64 characters from a-z, A-Z, 0-9, '-' and '_'")]
pub struct InvalidId(pub String);

fn check(name: &str) -> Result<(), InvalidId> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(InvalidId(name.to_string()))
    }
}

macro_rules! name_type {
    ($t:ident) => {
        impl $t {
            pub fn new(name: impl Into<String>) -> Result<Self, InvalidId> {
                let name = name.into();
                check(&name)?;
                Ok($t(name))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A comma-separated list (`s1,s2,s3`), spaces and empty items ignored.
            pub fn parse_list(text: &str) -> Result<Vec<Self>, InvalidId> {
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(Self::new)
                    .collect()
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(GroupId);
name_type!(NodeId);

/// The generation of a group's topology; every change carries a higher one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Epoch(pub u64);

/// A replication history's id: 40 hex characters, as Redis's `master_replid`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplId(pub String);

impl ReplId {
    /// A fresh id from 20 random bytes.
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        ReplId(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The id Redis shows when there is no second history.
    pub fn none() -> Self {
        ReplId("0".repeat(40))
    }
}

impl fmt::Display for ReplId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A position in a replication stream, in bytes of the stream, as Redis's repl offset.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Offset(pub u64);

impl Offset {
    pub fn advance(self, bytes: usize) -> Offset {
        Offset(self.0 + bytes as u64)
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_subject_syntax() {
        assert!(NodeId::new("node-1").is_ok());
        assert!(NodeId::new("a.b").is_err());
        assert!(GroupId::new("g*").is_err());
        assert!(GroupId::new("").is_err());
        assert!(GroupId::new("x".repeat(65)).is_err());
    }

    #[test]
    fn id_lists_parse_and_refuse_bad_items() {
        let ids = NodeId::parse_list(" s1, s2,,s3 ").unwrap();
        assert_eq!(
            ids.iter().map(NodeId::as_str).collect::<Vec<_>>(),
            ["s1", "s2", "s3"]
        );
        assert!(NodeId::parse_list("s1,s.2").is_err());
        assert!(NodeId::parse_list("").unwrap().is_empty());
    }

    #[test]
    fn repl_ids_are_forty_hex_characters() {
        let id = ReplId::from_bytes([0xab; 20]);
        assert_eq!(id.0.len(), 40);
        assert!(id.0.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
