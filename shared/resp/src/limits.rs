/// Bounds checked before any memory is taken for a frame.
///
/// Defaults follow Redis: `proto-max-bulk-len` 512 MB, a multibulk of at most `i32::MAX`
/// elements (of which at most [`Limits::PREALLOCATE_MAX`] are preallocated, so a huge header
/// alone costs nothing), and inline requests of at most 64 KB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bulk_len: usize,
    pub max_multibulk_len: usize,
    pub max_inline_len: usize,
}

impl Limits {
    /// Elements reserved up front for a multibulk; the rest grow as they actually arrive.
    pub const PREALLOCATE_MAX: usize = 1024;
    /// Bytes reserved up front for a bulk string whose data has not arrived yet.
    pub const PREALLOCATE_BULK_MAX: usize = 1024 * 1024;
    /// Frames nested deeper than this are refused, so a hostile reply cannot blow the stack.
    pub const MAX_DEPTH: usize = 64;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as usize,
            max_inline_len: 64 * 1024,
        }
    }
}
