//! A latency histogram with HdrHistogram's bucket arithmetic at Redis's settings (values 1
//! to 1e9 nanoseconds, 2 significant digits), so percentiles and LATENCY HISTOGRAM's
//! buckets come out as Redis reports them. Counts are kept sparse: most commands fill a
//! few dozen of the 3,000 slots.

use std::collections::BTreeMap;

const SUB_BUCKET_HALF_MAGNITUDE: u32 = 7;
const SUB_BUCKET_HALF: u64 = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = (2 * SUB_BUCKET_HALF) - 1;
pub const MIN_VALUE: u64 = 1;
pub const MAX_VALUE: u64 = 1_000_000_000;

#[derive(Debug, Default, Clone)]
pub struct Histogram {
    counts: BTreeMap<u32, u64>,
    total: u64,
}

fn bucket_index(v: u64) -> u32 {
    64 - (v | SUB_BUCKET_MASK).leading_zeros() - (SUB_BUCKET_HALF_MAGNITUDE + 1)
}

fn counts_index(v: u64) -> u32 {
    let bucket = bucket_index(v);
    let sub = (v >> bucket) as u32;
    ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + sub - SUB_BUCKET_HALF as u32
}

fn value_at_index(index: u32) -> u64 {
    let mut bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) as i64 - 1;
    let mut sub = u64::from(index & (SUB_BUCKET_HALF as u32 - 1)) + SUB_BUCKET_HALF;
    if bucket < 0 {
        sub -= SUB_BUCKET_HALF;
        bucket = 0;
    }
    sub << bucket
}

fn lowest_equivalent(v: u64) -> u64 {
    let bucket = bucket_index(v);
    (v >> bucket) << bucket
}

fn equivalent_range(v: u64) -> u64 {
    let bucket = bucket_index(v);
    let sub = v >> bucket;
    1 << (bucket + u32::from(sub >= 2 * SUB_BUCKET_HALF))
}

pub fn highest_equivalent(v: u64) -> u64 {
    lowest_equivalent(v) + equivalent_range(v) - 1
}

impl Histogram {
    pub fn record(&mut self, value: u64) {
        let value = value.clamp(MIN_VALUE, MAX_VALUE);
        *self.counts.entry(counts_index(value)).or_default() += 1;
        self.total += 1;
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// `hdr_value_at_percentile`: the highest value equivalent to the one at `percentile`.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let wanted = ((percentile.min(100.0) / 100.0) * self.total as f64 + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (&index, &count) in &self.counts {
            seen += count;
            if seen >= wanted {
                let value = value_at_index(index);
                return if percentile == 0.0 {
                    lowest_equivalent(value)
                } else {
                    highest_equivalent(value)
                };
            }
        }
        0
    }

    /// The cumulative counts at powers of two from 1024 ns on (HdrHistogram's logarithmic
    /// iteration as LATENCY HISTOGRAM walks it), keeping only steps where the count grew:
    /// `(microseconds, cumulative count)`.
    pub fn log_buckets(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut level: u64 = 1024;
        let (mut cumulative, mut previous) = (0u64, 0u64);
        let mut counts = self.counts.iter().peekable();
        while previous < self.total {
            let top = highest_equivalent(level);
            while let Some((&index, &count)) = counts.peek() {
                if value_at_index(index) > top {
                    break;
                }
                cumulative += count;
                counts.next();
            }
            if cumulative > previous {
                out.push((top / 1000, cumulative));
            }
            previous = cumulative;
            level = level.saturating_mul(2);
            if level > 2 * MAX_VALUE * 2 {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_microsecond_reports_as_redis_does() {
        // Redis shows a 1 µs command as p50=1.003: 1000 ns in a bucket 4 ns wide.
        let mut h = Histogram::default();
        h.record(1000);
        assert_eq!(h.value_at_percentile(50.0), 1003);
        assert_eq!(h.log_buckets(), [(1, 1)]);
    }

    #[test]
    fn indexes_round_trip() {
        for v in [1, 255, 256, 1000, 1023, 1024, 123_456, 999_999_999] {
            let back = value_at_index(counts_index(v));
            assert_eq!(back, lowest_equivalent(v), "{v}");
        }
    }

    #[test]
    fn percentiles_walk_the_counts() {
        let mut h = Histogram::default();
        for _ in 0..99 {
            h.record(2000);
        }
        h.record(50_000);
        assert_eq!(h.value_at_percentile(50.0), highest_equivalent(2000));
        assert_eq!(h.value_at_percentile(100.0), highest_equivalent(50_000));
        let buckets = h.log_buckets();
        assert_eq!(buckets.first(), Some(&(2, 99)));
        assert_eq!(buckets.last().map(|b| b.1), Some(100));
    }
}
