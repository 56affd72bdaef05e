//! The dense encoding: 16384 registers of 6 bits, packed from the least significant bit of
//! each byte upwards, as Redis packs them.

use super::header::REGISTERS;

/// Register `index` of `registers` (the bytes after the header).
pub fn get(registers: &[u8], index: usize) -> u8 {
    let (byte, shift) = (index * 6 / 8, index * 6 % 8);
    let low = u16::from(registers[byte]);
    let high = u16::from(registers.get(byte + 1).copied().unwrap_or(0));
    (((low | (high << 8)) >> shift) & 63) as u8
}

pub fn set(registers: &mut [u8], index: usize, value: u8) {
    let (byte, shift) = (index * 6 / 8, index * 6 % 8);
    let (mask, value) = (63u16 << shift, u16::from(value & 63) << shift);
    registers[byte] = (registers[byte] & !(mask as u8)) | value as u8;
    // The last register ends inside its byte: nothing spills past the end.
    if let Some(next) = registers.get_mut(byte + 1) {
        *next = (*next & !((mask >> 8) as u8)) | (value >> 8) as u8;
    }
}

/// Raises register `index` to `value`; whether it changed.
pub fn raise(registers: &mut [u8], index: usize, value: u8) -> bool {
    let raised = value > get(registers, index);
    if raised {
        set(registers, index, value);
    }
    raised
}

/// How many registers hold each value.
pub fn histogram(registers: &[u8]) -> [u32; 64] {
    let mut counts = [0u32; 64];
    for index in 0..REGISTERS {
        counts[usize::from(get(registers, index))] += 1;
    }
    counts
}

/// Raises `max[i]` to register i's value, for every register.
pub fn merge_into(registers: &[u8], max: &mut [u8]) {
    for (index, slot) in max.iter_mut().enumerate() {
        *slot = (*slot).max(get(registers, index));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::hyperloglog::header::{DENSE_LEN, HEADER_LEN};

    #[test]
    fn every_register_keeps_its_own_bits() {
        let mut registers = vec![0u8; DENSE_LEN - HEADER_LEN];
        for index in 0..REGISTERS {
            set(&mut registers, index, (index % 64) as u8);
        }
        for index in 0..REGISTERS {
            assert_eq!(
                get(&registers, index),
                (index % 64) as u8,
                "register {index}"
            );
        }
        set(&mut registers, 1, 0);
        assert_eq!(
            (get(&registers, 0), get(&registers, 1), get(&registers, 2)),
            (0, 0, 2)
        );
        assert!(raise(&mut registers, 1, 5));
        assert!(!raise(&mut registers, 1, 4));
        assert_eq!(histogram(&registers).iter().sum::<u32>(), REGISTERS as u32);
    }

    #[test]
    fn the_layout_is_redis_s() {
        let mut registers = vec![0u8; 4];
        set(&mut registers, 0, 0b11_0001);
        set(&mut registers, 1, 0b10_1010);
        // Register 0 in bits 0-5 of byte 0; register 1 in bits 6-7 of byte 0 and 0-3 of byte 1.
        assert_eq!(registers[..2], [0b1011_0001, 0b0000_1010]);
    }
}
