//! OBJECT ENCODING: the encoding Redis 7.0 would use for a value of this size under the
//! current `*-max-*` settings (<https://redis.io/commands/object-encoding/>).
//!
//! rg-node has one representation per type, so the answer is computed from the value's
//! content, and from whether it ever held more entries than the compact encoding allows
//! (`Entry::grown`, set by every write): Redis never converts a value back. A value that
//! outgrew it only by a long element (or, for a set, a non-integer member) that is gone
//! again reports the compact encoding, where Redis keeps the other; so does a value written
//! before a threshold was lowered, until its next write.

use crate::commands::args;
use crate::engine::keyspace::Entry;
use crate::engine::settings::Settings;
use crate::engine::value::Value;

pub fn encoding(entry: &Entry, settings: &Settings) -> &'static str {
    let limit = |name: &str| usize::try_from(settings.extra.int(name)).unwrap_or(0);
    let grown = entry.grown();
    match &entry.value {
        // Redis's `tryObjectEncoding`: an integer in at most 20 bytes is shared or held
        // as a number; up to 44 bytes fit one allocation with the object header.
        Value::Str(s) if s.len() <= 20 && args::parse_int(s).is_some() => "int",
        Value::Str(s) if s.len() <= 44 => "embstr",
        Value::Str(_) => "raw",
        // Redis 7.0 keeps every list as a quicklist (listpack lists came with 7.2).
        Value::List(_) => "quicklist",
        Value::Hash(h) => {
            let max_value = limit("hash-max-listpack-value");
            let small = !grown
                && h.len() <= limit("hash-max-listpack-entries")
                && h.iter()
                    .all(|(f, v)| f.len() <= max_value && v.len() <= max_value);
            if small {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Value::Set(s) => {
            let ints = !grown
                && s.len() <= limit("set-max-intset-entries")
                && s.iter().all(|m| args::parse_int(m).is_some());
            if ints {
                "intset"
            } else {
                "hashtable"
            }
        }
        Value::ZSet(z) => {
            let max_value = limit("zset-max-listpack-value");
            let small = !grown
                && z.len() <= limit("zset-max-listpack-entries")
                && z.iter().all(|(m, _)| m.len() <= max_value);
            if small {
                "listpack"
            } else {
                "skiplist"
            }
        }
        Value::Stream(_) => "stream",
    }
}
