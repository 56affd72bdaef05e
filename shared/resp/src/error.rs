use thiserror::Error;

/// A violation of the protocol. The text is what Redis answers after `-ERR Protocol error: `,
/// so a server can send `ERR Protocol error: {err}` and close the connection, as Redis does.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    #[error("too big inline request")]
    InlineTooBig,
    #[error("unbalanced quotes in request")]
    UnbalancedQuotes,
    #[error("too big mbulk count string")]
    MultibulkHeaderTooBig,
    #[error("too big bulk count string")]
    BulkHeaderTooBig,
    #[error("invalid multibulk length")]
    InvalidMultibulkLength,
    #[error("invalid bulk length")]
    InvalidBulkLength,
    #[error("expected '$', got '{}'", char::from(*.0))]
    ExpectedBulk(u8),
    #[error("invalid frame type byte '{}'", char::from(*.0))]
    InvalidFrameType(u8),
    #[error("invalid integer")]
    InvalidInteger,
    #[error("invalid double")]
    InvalidDouble,
    #[error("invalid boolean")]
    InvalidBoolean,
    #[error("missing CRLF after bulk data")]
    MissingCrlf,
    #[error("frames nested too deeply")]
    TooDeep,
}
