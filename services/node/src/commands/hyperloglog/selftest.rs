//! PFSELFTEST: the dense registers keep what is stored in them, and the sparse and dense
//! encodings count the same elements alike, within the error HyperLogLog promises.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::header::{self, Encoding, DENSE_LEN, HEADER_LEN, REGISTERS};
use super::{dense, sketch};

pub fn run() -> Result<(), String> {
    registers_round_trip()?;
    counts_agree()
}

fn registers_round_trip() -> Result<(), String> {
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let mut registers = vec![0u8; DENSE_LEN - HEADER_LEN];
    for _ in 0..20 {
        let values: Vec<u8> = (0..REGISTERS).map(|_| rng.gen_range(0..64)).collect();
        for (index, &value) in values.iter().enumerate() {
            dense::set(&mut registers, index, value);
        }
        if let Some(index) = (0..REGISTERS).find(|&i| dense::get(&registers, i) != values[i]) {
            return Err(format!("Register error at {index}"));
        }
    }
    Ok(())
}

fn counts_agree() -> Result<(), String> {
    let mut sparse = sketch::empty();
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HEADER_LEN].copy_from_slice(&header::header(Encoding::Dense));
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint = 1u64;
    for n in 1..=100_000u64 {
        let element = n.to_le_bytes();
        for bytes in [&mut sparse, &mut dense] {
            sketch::add(bytes, &element).map_err(|e| e.to_string())?;
        }
        if n != checkpoint {
            continue;
        }
        checkpoint *= 10;
        let sparse_count = sketch::count(&sparse).map_err(|e| e.to_string())?;
        let dense_count = sketch::count(&dense).map_err(|e| e.to_string())?;
        if sparse_count != dense_count {
            return Err(format!(
                "Sparse and dense counts differ at {n}: {sparse_count} != {dense_count}"
            ));
        }
        let allowed = (n as f64 * relative_error * 5.0).max(1.0);
        if (dense_count as f64 - n as f64).abs() > allowed {
            return Err(format!("Approximation error at {n}: counted {dense_count}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_self_test_passes() {
        assert_eq!(super::run(), Ok(()));
    }
}
