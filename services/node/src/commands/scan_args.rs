//! What SCAN, HSCAN, SSCAN and ZSCAN share: the cursor and `MATCH` / `COUNT` / `TYPE`
//! options with Redis's errors, and paging over a container that has no cursor of its own.
//!
//! Redis parses in this order, and callers should too: the cursor first (`ERR invalid
//! cursor`), then the key (a missing key answers an empty page without looking at the
//! options; another type answers WRONGTYPE), then the options.
//!
//! ## The paging guarantee
//!
//! Containers are hash maps whose iteration order changes as they grow, so [`page`] walks
//! items in the order of a fixed hash of each item's name (its *position*) and the cursor is
//! the position to resume from. Like Redis's SCAN, a full iteration (cursor 0 to cursor 0)
//! returns every item present during the whole iteration at least once; items added or
//! removed meanwhile may or may not be returned; an item is returned twice only if it was
//! removed and re-added. Containers of up to [`SMALL`] items answer in one page, as Redis's
//! listpack encodings do; larger ones answer pages of at least `COUNT` items (COUNT is a
//! hint in Redis too) and at least 1/[`MIN_PAGES_FRACTION`] of the container, so that a
//! full iteration, which costs a pass over the container per page, stays O(n log n).

use std::collections::hash_map::DefaultHasher;
use std::collections::BinaryHeap;
use std::hash::Hasher;

use bytes::Bytes;

use super::args;
use crate::engine::error::CmdError;
use crate::engine::glob;
use crate::engine::reply::Reply;

/// Containers this small answer in a single page (Redis's listpack threshold for hashes).
pub(crate) const SMALL: usize = 128;

/// A page holds at least `len / MIN_PAGES_FRACTION` items.
pub(crate) const MIN_PAGES_FRACTION: usize = 32;

/// COUNT when the client gives none.
const DEFAULT_COUNT: usize = 10;

/// Parses a cursor the way Redis's `strtoul` call does: an optional sign, decimal digits,
/// nothing else; `-n` wraps around as in C. An empty argument reads as 0, as in Redis.
pub(crate) fn cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::err("invalid cursor");
    let (negative, digits) = match arg {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, arg),
    };
    if digits.is_empty() && !arg.is_empty() {
        return Err(invalid());
    }
    let mut value: u64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return Err(invalid());
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(byte - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// The options after the cursor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScanOptions<'a> {
    /// None when absent or `*`: everything matches.
    pub pattern: Option<&'a [u8]>,
    pub count: usize,
    /// SCAN's TYPE filter, as given.
    pub type_name: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    /// Parses `[MATCH pattern] [COUNT count] [TYPE type]` (TYPE only when `accept_type`, for
    /// SCAN); a repeated option keeps its last value, as in Redis.
    pub(crate) fn parse(options: &'a [Bytes], accept_type: bool) -> Result<Self, CmdError> {
        let mut parsed = ScanOptions {
            pattern: None,
            count: DEFAULT_COUNT,
            type_name: None,
        };
        let mut rest = options;
        while let [name, value, tail @ ..] = rest {
            if args::is(name, "COUNT") {
                parsed.count = count(value)?;
            } else if args::is(name, "MATCH") {
                parsed.pattern = (&value[..] != b"*").then_some(&value[..]);
            } else if args::is(name, "TYPE") && accept_type {
                parsed.type_name = Some(&value[..]);
            } else {
                return Err(CmdError::Syntax);
            }
            rest = tail;
        }
        if rest.is_empty() {
            Ok(parsed)
        } else {
            Err(CmdError::Syntax)
        }
    }

    /// Whether `item` passes the MATCH filter.
    pub(crate) fn matches(&self, item: &[u8]) -> bool {
        self.pattern
            .is_none_or(|pattern| glob::matches(pattern, item))
    }
}

fn count(arg: &[u8]) -> Result<usize, CmdError> {
    let count = args::int(arg)?;
    if count < 1 {
        return Err(CmdError::Syntax);
    }
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// The `[cursor, [items...]]` reply every SCAN variant answers with.
pub(crate) fn reply(cursor: u64, items: Vec<Reply>) -> Reply {
    let cursor = itoa::Buffer::new().format(cursor).as_bytes().to_vec();
    Reply::Array(vec![Reply::Bulk(Bytes::from(cursor)), Reply::Array(items)])
}

/// Where an item sits in scan order: a hash that depends on its name only, so positions
/// survive the container's rehashing.
pub(crate) fn position(name: &[u8]) -> u64 {
    // SipHash with fixed keys: stable for the life of the process, which is all a cursor needs.
    let mut hasher = DefaultHasher::new();
    hasher.write(name);
    hasher.finish()
}

/// One page of a scan over `len` items named by `items`' first element, from `cursor` on,
/// in position order; returns the cursor to continue from (0 when done) and the page.
/// See the module documentation for the guarantee.
pub(crate) fn page<'a, T, I>(items: I, len: usize, cursor: u64, count: usize) -> (u64, Vec<T>)
where
    I: Iterator<Item = (&'a [u8], T)> + Clone,
{
    let limit = if len <= SMALL {
        usize::MAX
    } else {
        count.max(len / MIN_PAGES_FRACTION)
    };
    let last = last_position(items.clone(), cursor, limit);
    let mut found: Vec<(u64, T)> = items
        .filter_map(|(name, item)| {
            let at = position(name);
            (at >= cursor && last.is_none_or(|last| at <= last)).then_some((at, item))
        })
        .collect();
    found.sort_unstable_by_key(|&(at, _)| at);
    let next = last.and_then(|last| last.checked_add(1)).unwrap_or(0);
    (next, found.into_iter().map(|(_, item)| item).collect())
}

/// The position of the `limit`-th item at or after `cursor`, or None when no more than
/// `limit` items remain (the page takes them all and ends the scan).
fn last_position<'a, T>(
    items: impl Iterator<Item = (&'a [u8], T)>,
    cursor: u64,
    limit: usize,
) -> Option<u64> {
    // A max-heap of the `limit` smallest positions seen so far.
    let mut smallest = BinaryHeap::new();
    let mut remaining = 0usize;
    for (name, _) in items {
        let at = position(name);
        if at < cursor {
            continue;
        }
        remaining += 1;
        if smallest.len() < limit {
            smallest.push(at);
        } else if smallest.peek().is_some_and(|&top| at < top) {
            smallest.pop();
            smallest.push(at);
        }
    }
    (remaining > limit)
        .then(|| smallest.peek().copied())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(parts: &[&str], accept_type: bool) -> Result<ScanOptions<'static>, CmdError> {
        let owned: Vec<Bytes> = parts.iter().map(|p| Bytes::from(p.to_string())).collect();
        let leaked: &'static [Bytes] = Box::leak(owned.into_boxed_slice());
        ScanOptions::parse(leaked, accept_type)
    }

    #[test]
    fn cursors_read_like_strtoul() {
        assert_eq!(cursor(b"0"), Ok(0));
        assert_eq!(cursor(b"00"), Ok(0));
        assert_eq!(cursor(b"+7"), Ok(7));
        assert_eq!(cursor(b""), Ok(0));
        assert_eq!(cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in ["abc", " 0", "0 ", "-", "+", "1.5", "18446744073709551616"] {
            assert_eq!(
                cursor(bad.as_bytes()).map_err(|e| e.line()),
                Err("ERR invalid cursor".into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn options_parse_with_redis_errors() {
        let parsed = options(&["match", "a*", "COUNT", "5"], false).unwrap();
        assert_eq!(parsed.pattern, Some(&b"a*"[..]));
        assert_eq!(parsed.count, 5);
        assert_eq!(options(&["MATCH", "*"], false).unwrap().pattern, None);
        assert_eq!(options(&[], false).unwrap().count, DEFAULT_COUNT);
        assert_eq!(
            options(&["COUNT", "1", "COUNT", "3"], false).unwrap().count,
            3
        );
        assert_eq!(options(&["COUNT", "0"], false), Err(CmdError::Syntax));
        assert_eq!(options(&["COUNT", "-1"], false), Err(CmdError::Syntax));
        assert_eq!(options(&["COUNT", "x"], false), Err(CmdError::NotInteger));
        assert_eq!(options(&["COUNT"], false), Err(CmdError::Syntax));
        assert_eq!(options(&["MATCH"], false), Err(CmdError::Syntax));
        assert_eq!(options(&["TYPE", "set"], false), Err(CmdError::Syntax));
        let typed = options(&["TYPE", "set"], true).unwrap();
        assert_eq!(typed.type_name, Some(&b"set"[..]));
        assert!(options(&["MATCH", "k?"], false).unwrap().matches(b"k1"));
        assert!(!options(&["MATCH", "k?"], false).unwrap().matches(b"x1"));
    }

    fn names(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("item:{i}").into_bytes()).collect()
    }

    fn scan_all(items: &[Vec<u8>], count: usize) -> (usize, Vec<Vec<u8>>) {
        let (mut cursor, mut calls, mut seen) = (0, 0, Vec::new());
        loop {
            let iter = items.iter().map(|n| (&n[..], n.clone()));
            let (next, found) = page(iter, items.len(), cursor, count);
            seen.extend(found);
            calls += 1;
            if next == 0 {
                return (calls, seen);
            }
            cursor = next;
        }
    }

    #[test]
    fn small_containers_answer_in_one_page() {
        let items = names(SMALL);
        let (calls, seen) = scan_all(&items, 1);
        assert_eq!(calls, 1);
        assert_eq!(seen.len(), SMALL);
    }

    #[test]
    fn large_containers_are_paged_without_duplicates() {
        let items = names(1000);
        let (calls, mut seen) = scan_all(&items, 10);
        assert!(calls > 1, "one page for 1000 items");
        assert!(calls <= MIN_PAGES_FRACTION + 2, "{calls} pages");
        seen.sort();
        let mut expected = items.clone();
        expected.sort();
        assert_eq!(seen, expected);
    }

    #[test]
    fn items_present_throughout_are_returned_despite_changes() {
        let mut items = names(600);
        let (mut cursor, mut seen) = (0, Vec::new());
        loop {
            let iter = items.iter().map(|n| (&n[..], n.clone()));
            let (next, found) = page(iter, items.len(), cursor, 50);
            seen.extend(found);
            // Churn between pages: drop an item, add two.
            items.retain(|n| n != b"item:7");
            items.push(format!("new:{}", items.len()).into_bytes());
            items.push(format!("new:{}", items.len()).into_bytes());
            if next == 0 {
                break;
            }
            cursor = next;
        }
        for i in (0..600).filter(|&i| i != 7) {
            assert!(
                seen.contains(&format!("item:{i}").into_bytes()),
                "item:{i} missed"
            );
        }
    }
}
