//! The RESP2/RESP3 codec: no I/O, only bytes in and bytes out.
//!
//! - [`RequestDecoder`] is the server side: it turns a client's byte stream (multibulk or
//!   inline commands) into argument vectors, incrementally, keeping its place between reads.
//! - [`Frame`] is any RESP2/RESP3 value, with [`Frame::parse`] for the client side (replies)
//!   and [`Frame::encode`].
//! - [`encode`] writes single reply elements straight into an output buffer, in the shape the
//!   connection's protocol version asks for.
//! - [`frame_len`] finds where a frame ends without building it (a proxy forwards bytes).
//! - [`Limits`] bound every length before memory is taken for it.
//!
//! "Need more bytes" is a normal state (`Ok(None)`), never an error.

pub mod encode;
mod error;
mod frame;
mod limits;
mod line;
mod request;
mod skip;

pub use encode::Protocol;
pub use error::ProtocolError;
pub use frame::Frame;
pub use limits::Limits;
pub use request::RequestDecoder;
pub use skip::{frame_len, FrameScanner};
