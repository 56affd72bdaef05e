//! Member to score, in the order of a fixed hash of the member: what ZSCORE looks up and
//! what ZSCAN's cursor walks.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::ops::Bound;
use std::sync::OnceLock;

use hashbrown::DefaultHashBuilder;

use crate::engine::small_bytes::SmallBytes;

#[derive(Debug, Clone, Default)]
pub struct Members {
    map: BTreeMap<MemberKey, f64>,
}

impl Members {
    pub fn get(&self, member: &[u8]) -> Option<f64> {
        self.map.get(Probe::of(member).as_view()).copied()
    }

    /// Sets the score; returns the previous one.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let probe = Probe::of(member);
        if let Some(slot) = self.map.get_mut(probe.as_view()) {
            return Some(std::mem::replace(slot, score));
        }
        let key = MemberKey {
            hash: probe.hash,
            member: SmallBytes::new(member),
        };
        self.map.insert(key, score);
        None
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        self.map.remove(Probe::of(member).as_view())
    }

    /// See [`super::ZSet::scan`]. Members whose hashes tie are never split across pages, so
    /// the next page can start at the next hash.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<(&SmallBytes, f64)>) {
        let count = count.max(1);
        let start = Probe {
            hash: cursor,
            member: &[],
        };
        let range = (Bound::Included(start.as_view()), Bound::Unbounded);
        let mut page = Vec::new();
        let mut last = None;
        for (key, score) in self.map.range::<dyn KeyView, _>(range) {
            if page.len() >= count && last != Some(key.hash) {
                return (key.hash, page);
            }
            last = Some(key.hash);
            page.push((&key.member, *score));
        }
        (0, page)
    }
}

/// Where a member sits in scan order. Never 0, which is the cursor of a finished scan.
fn hash(member: &[u8]) -> u64 {
    // One seed for the process: a cursor needs positions that stay put for the life of
    // the process, and nothing more. Collisions only cost a comparison of the members.
    static SEED: OnceLock<DefaultHashBuilder> = OnceLock::new();
    SEED.get_or_init(DefaultHashBuilder::default)
        .hash_one(member)
        .max(1)
}

#[derive(Debug, Clone)]
struct MemberKey {
    hash: u64,
    member: SmallBytes,
}

/// A borrowed key, for lookups without copying the member.
struct Probe<'a> {
    hash: u64,
    member: &'a [u8],
}

impl<'a> Probe<'a> {
    fn of(member: &'a [u8]) -> Self {
        Probe {
            hash: hash(member),
            member,
        }
    }

    fn as_view(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

/// What owned and borrowed keys compare by, so the map can be searched with either.
trait KeyView {
    fn view(&self) -> (u64, &[u8]);
}

impl KeyView for MemberKey {
    fn view(&self) -> (u64, &[u8]) {
        (self.hash, &self.member)
    }
}

impl KeyView for Probe<'_> {
    fn view(&self) -> (u64, &[u8]) {
        (self.hash, self.member)
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for MemberKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}

impl Eq for dyn KeyView + '_ {}

impl PartialOrd for dyn KeyView + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for dyn KeyView + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        self.view().cmp(&other.view())
    }
}

impl PartialEq for MemberKey {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}

impl Eq for MemberKey {}

impl PartialOrd for MemberKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MemberKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.view().cmp(&other.view())
    }
}
