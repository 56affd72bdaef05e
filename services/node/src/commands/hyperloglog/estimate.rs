//! The cardinality from the registers' histogram, with the estimator Redis 7 uses: Otmar
//! Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (arXiv:1702.01284).
//! The same floating-point steps as Redis, so the same registers give the same count.

use super::header::{Q, REGISTERS};

/// 1 / (2 ln 2), the bias correction for an unbounded number of registers.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// `counts[v]` is how many registers hold `v`.
pub fn cardinality(counts: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau((m - f64::from(counts[q + 1])) / m);
    for &count in counts[1..=q].iter().rev() {
        z += f64::from(count);
        z *= 0.5;
    }
    z += m * sigma(f64::from(counts[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_registers_count_zero_and_one_register_counts_one() {
        let mut counts = [0u32; 64];
        counts[0] = REGISTERS as u32;
        assert_eq!(cardinality(&counts), 0);
        counts[0] -= 1;
        counts[1] = 1;
        assert_eq!(cardinality(&counts), 1);
    }
}
