//! Byte strings that keep short values inline: most keys and many values of a cache are a
//! few bytes long, and storing them without a heap allocation is what lets a million keys
//! fit in less memory than Redis needs.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

const INLINE_CAPACITY: usize = 22;

/// An immutable byte string of 24 bytes: up to 22 bytes inline, longer ones boxed.
#[derive(Clone)]
pub enum SmallBytes {
    Inline {
        len: u8,
        data: [u8; INLINE_CAPACITY],
    },
    Heap(Box<[u8]>),
}

impl SmallBytes {
    pub fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAPACITY {
            let mut data = [0u8; INLINE_CAPACITY];
            data[..bytes.len()].copy_from_slice(bytes);
            SmallBytes::Inline {
                len: bytes.len() as u8,
                data,
            }
        } else {
            SmallBytes::Heap(bytes.into())
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, data } => &data[..usize::from(*len)],
            SmallBytes::Heap(bytes) => bytes,
        }
    }

    /// The bytes as a vector; a boxed value gives up its allocation without a copy.
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            SmallBytes::Inline { len, data } => data[..usize::from(len)].to_vec(),
            SmallBytes::Heap(bytes) => bytes.into_vec(),
        }
    }

    /// Heap bytes owned beyond the 24 bytes of the value itself.
    pub fn heap_size(&self) -> usize {
        match self {
            SmallBytes::Inline { .. } => 0,
            SmallBytes::Heap(bytes) => bytes.len(),
        }
    }
}

impl From<Vec<u8>> for SmallBytes {
    fn from(bytes: Vec<u8>) -> Self {
        if bytes.len() <= INLINE_CAPACITY {
            SmallBytes::new(&bytes)
        } else {
            SmallBytes::Heap(bytes.into_boxed_slice())
        }
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(bytes: &[u8]) -> Self {
        SmallBytes::new(bytes)
    }
}

impl Deref for SmallBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SmallBytes {}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for SmallBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_24_bytes() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
    }

    #[test]
    fn short_and_long_values_read_back() {
        let short = SmallBytes::new(b"key:0000001");
        let long = SmallBytes::new(&[7u8; 100]);
        assert!(matches!(short, SmallBytes::Inline { .. }));
        assert_eq!(&*short, b"key:0000001");
        assert_eq!(&*long, &[7u8; 100][..]);
        assert_eq!(SmallBytes::from(vec![1, 2, 3]), SmallBytes::new(&[1, 2, 3]));
        assert_eq!(short.into_vec(), b"key:0000001");
        assert_eq!(long.into_vec(), vec![7u8; 100]);
    }
}
