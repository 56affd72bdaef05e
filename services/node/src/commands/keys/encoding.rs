//! OBJECT ENCODING: the encoding Redis 7.0 would use for a value of this size under the
//! current `*-max-*` settings (<https://redis.io/commands/object-encoding/>).
//!
//! rg-node has one representation per type, so the answer is computed from the value's
//! content. Redis never converts a value back to its compact encoding once it outgrew it;
//! here a value that shrinks again reports the compact one (and a changed threshold
//! re-labels existing values at once), which costs a flag per value to match.

use crate::commands::args;
use crate::engine::settings::Settings;
use crate::engine::value::Value;

pub fn encoding(value: &Value, settings: &Settings) -> &'static str {
    let limit = |name: &str| usize::try_from(settings.extra.int(name)).unwrap_or(0);
    match value {
        // Redis's `tryObjectEncoding`: an integer in at most 20 bytes is shared or held
        // as a number; up to 44 bytes fit one allocation with the object header.
        Value::Str(s) if s.len() <= 20 && args::parse_int(s).is_some() => "int",
        Value::Str(s) if s.len() <= 44 => "embstr",
        Value::Str(_) => "raw",
        // Redis 7.0 keeps every list as a quicklist (listpack lists came with 7.2).
        Value::List(_) => "quicklist",
        Value::Hash(h) => {
            let max_value = limit("hash-max-listpack-value");
            let small = h.len() <= limit("hash-max-listpack-entries")
                && h.iter()
                    .all(|(f, v)| f.len() <= max_value && v.len() <= max_value);
            if small {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Value::Set(s) => {
            let ints = s.len() <= limit("set-max-intset-entries")
                && s.iter().all(|m| args::parse_int(m).is_some());
            if ints {
                "intset"
            } else {
                "hashtable"
            }
        }
        Value::ZSet(z) => {
            let max_value = limit("zset-max-listpack-value");
            let small = z.len() <= limit("zset-max-listpack-entries")
                && z.iter().all(|(m, _)| m.len() <= max_value);
            if small {
                "listpack"
            } else {
                "skiplist"
            }
        }
    }
}
