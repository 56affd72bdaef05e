//! The values a key can hold.

use std::collections::VecDeque;

use hashbrown::{HashMap, HashSet};

use super::small_bytes::SmallBytes;
use super::stream::Stream;
use super::zset::ZSet;

pub type List = VecDeque<SmallBytes>;
pub type Hash = HashMap<SmallBytes, SmallBytes>;
pub type Set = HashSet<SmallBytes>;

/// A key's value. Containers are boxed so that every entry of the keyspace stays small.
#[derive(Debug, Clone)]
pub enum Value {
    Str(SmallBytes),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
    Stream(Box<Stream>),
}

impl Value {
    /// The name `TYPE` answers with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    pub fn as_str(&self) -> Option<&SmallBytes> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_list_mut(&mut self) -> Option<&mut List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_hash(&self) -> Option<&Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    pub fn as_hash_mut(&mut self) -> Option<&mut Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    pub fn as_set(&self) -> Option<&Set> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_set_mut(&mut self) -> Option<&mut Set> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_zset(&self) -> Option<&ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    pub fn as_zset_mut(&mut self) -> Option<&mut ZSet> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    pub fn as_stream(&self) -> Option<&Stream> {
        match self {
            Value::Stream(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_stream_mut(&mut self) -> Option<&mut Stream> {
        match self {
            Value::Stream(s) => Some(s),
            _ => None,
        }
    }

    pub fn new_stream() -> Value {
        Value::Stream(Box::default())
    }

    pub fn new_list() -> Value {
        Value::List(Box::default())
    }

    pub fn new_hash() -> Value {
        Value::Hash(Box::default())
    }

    pub fn new_set() -> Value {
        Value::Set(Box::default())
    }

    pub fn new_zset() -> Value {
        Value::ZSet(Box::default())
    }

    /// A container left empty by a command is deleted, as in Redis. An empty stream stays:
    /// it keeps its last ID and its groups.
    pub fn is_empty_container(&self) -> bool {
        match self {
            Value::Str(_) | Value::Stream(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_as_small_as_its_inline_string() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }
}
