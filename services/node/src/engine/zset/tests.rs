use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::{Score, ZSet};

/// The obvious model: an ordered set of (score, member) beside a member -> score map.
#[derive(Default)]
struct Model {
    scores: BTreeMap<Vec<u8>, f64>,
    order: BTreeSet<(Score, Vec<u8>)>,
}

impl Model {
    fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let old = self.scores.insert(member.to_vec(), score);
        if let Some(old) = old {
            self.order.remove(&(Score(old), member.to_vec()));
        }
        self.order.insert((Score(score), member.to_vec()));
        old
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let old = self.scores.remove(member)?;
        self.order.remove(&(Score(old), member.to_vec()));
        Some(old)
    }

    fn entries(&self) -> Vec<(Vec<u8>, f64)> {
        self.order.iter().map(|(s, m)| (m.clone(), s.0)).collect()
    }
}

fn entries(zset: &ZSet) -> Vec<(Vec<u8>, f64)> {
    zset.iter().map(|(m, s)| (m.to_vec(), s)).collect()
}

fn member(i: u32) -> Vec<u8> {
    // Some members are long enough to live on the heap.
    if i % 7 == 3 {
        format!("a-long-member-name-that-is-not-inline-{i}").into_bytes()
    } else {
        format!("m{i}").into_bytes()
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u32, i8),
    Remove(u32),
    Drain(u16, u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u32..2000, any::<i8>()).prop_map(|(m, s)| Op::Insert(m, s)),
        3 => (0u32..2000).prop_map(Op::Remove),
        1 => (any::<u16>(), 0u16..300).prop_map(|(a, n)| Op::Drain(a, n)),
    ]
}

fn apply(zset: &mut ZSet, model: &mut Model, op: &Op) {
    match *op {
        Op::Insert(m, s) => {
            let score = f64::from(s) / 4.0;
            assert_eq!(
                zset.insert(&member(m), score),
                model.insert(&member(m), score)
            );
        }
        Op::Remove(m) => assert_eq!(zset.remove(&member(m)), model.remove(&member(m))),
        Op::Drain(at, n) => {
            let len = model.order.len();
            let start = if len == 0 { 0 } else { usize::from(at) % len };
            let end = start + usize::from(n);
            let expected: Vec<_> = model
                .entries()
                .into_iter()
                .skip(start)
                .take(end - start)
                .collect();
            expected.iter().for_each(|(m, _)| {
                model.remove(m);
            });
            let drained: Vec<_> = zset
                .drain(start, end)
                .into_iter()
                .map(|(m, s)| (m.to_vec(), s))
                .collect();
            assert_eq!(drained, expected);
        }
    }
}

fn check(zset: &ZSet, model: &Model) {
    let expected = model.entries();
    assert_eq!(zset.len(), expected.len());
    assert_eq!(entries(zset), expected);
    for (rank, (m, s)) in expected.iter().enumerate() {
        assert_eq!(zset.rank(m), Some(rank));
        assert_eq!(zset.score(m), Some(*s));
    }
    let len = expected.len();
    for pos in [0, 1, len / 3, len / 2, len.saturating_sub(1), len, len + 5] {
        let from: Vec<_> = zset.iter_from(pos).map(|(m, s)| (m.to_vec(), s)).collect();
        assert_eq!(from, expected.get(pos..).unwrap_or_default());
        let down: Vec<_> = zset
            .iter_rev_from(pos)
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        let mut want = expected.get(..=pos).unwrap_or_default().to_vec();
        want.reverse();
        assert_eq!(down, want, "iter_rev_from({pos})");
    }
    let below = zset.count_below(|score, _| score < 0.0);
    assert_eq!(below, expected.iter().filter(|(_, s)| *s < 0.0).count());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn behaves_like_the_model(ops in prop::collection::vec(op(), 1..1500)) {
        let mut zset = ZSet::default();
        let mut model = Model::default();
        for op in &ops {
            apply(&mut zset, &mut model, op);
        }
        check(&zset, &model);
    }
}

#[test]
fn large_sets_rank_and_drain() {
    let mut zset = ZSet::default();
    let mut model = Model::default();
    for i in 0..20_000u32 {
        let score = f64::from((i * 7919) % 1000);
        zset.insert(&member(i), score);
        model.insert(&member(i), score);
    }
    check(&zset, &model);
    apply(&mut zset, &mut model, &Op::Drain(1000, 250));
    let drained = zset.drain(5000, 12_000);
    drained.iter().for_each(|(m, _)| {
        model.remove(m);
    });
    assert_eq!(drained.len(), 7000);
    for i in (0..20_000).step_by(3) {
        assert_eq!(zset.remove(&member(i)), model.remove(&member(i)));
    }
    check(&zset, &model);
    let all = zset.len();
    assert_eq!(zset.drain(0, all).len(), all);
    assert!(zset.is_empty());
    assert_eq!(zset.iter().count(), 0);
}

#[test]
fn negative_zero_is_stored_as_zero() {
    let mut zset = ZSet::default();
    zset.insert(b"b", -0.0);
    zset.insert(b"a", 0.0);
    let order: Vec<_> = zset
        .iter()
        .map(|(m, s)| (m.to_vec(), s.is_sign_negative()))
        .collect();
    assert_eq!(order, vec![(b"a".to_vec(), false), (b"b".to_vec(), false)]);
    assert_eq!(zset.rank(b"b"), Some(1));
}

#[test]
fn negative_zero_ties_with_zero() {
    assert_eq!(Score(-0.0), Score(0.0));
    assert!(Score(-0.0) < Score(f64::MIN_POSITIVE));
    assert!(Score(f64::NEG_INFINITY) < Score(-0.0));
}

#[test]
fn a_full_scan_returns_every_stable_member_once() {
    let mut zset = ZSet::default();
    for i in 0..1000u32 {
        zset.insert(&member(i), f64::from(i));
    }
    let mut seen = BTreeMap::new();
    let mut cursor = 0;
    let mut step = 0u32;
    loop {
        let (next, page) = zset.scan(cursor, 10);
        assert!(page.len() >= 10 || next == 0);
        for (m, _) in page {
            *seen.entry(m.to_vec()).or_insert(0) += 1;
        }
        // Churn: rescore, add and remove members the scan may or may not see.
        zset.insert(&member(step % 500), -f64::from(step));
        zset.insert(&member(5000 + step), 1.0);
        zset.remove(&member(5000 + step / 2));
        step += 1;
        if next == 0 {
            break;
        }
        cursor = next;
    }
    for i in 0..1000 {
        assert_eq!(seen.get(&member(i)), Some(&1), "member {i}");
    }
}

#[test]
fn pops_from_both_ends_keep_ranks_right() {
    let mut zset = ZSet::default();
    let mut model = Model::default();
    for i in 0..5000u32 {
        let score = f64::from(i % 97);
        zset.insert(&member(i), score);
        model.insert(&member(i), score);
    }
    for round in 0..1500 {
        let len = zset.len();
        let (start, end) = if round % 2 == 0 {
            (0, 1)
        } else {
            (len - 2, len)
        };
        let expected: Vec<_> = model.entries()[start..end].to_vec();
        expected.iter().for_each(|(m, _)| {
            model.remove(m);
        });
        let popped: Vec<_> = zset
            .drain(start, end)
            .into_iter()
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        assert_eq!(popped, expected);
        if round % 100 == 0 {
            check(&zset, &model);
        }
    }
    check(&zset, &model);
}
