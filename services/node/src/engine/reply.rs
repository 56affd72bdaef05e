//! What a command answers, before it is encoded for the connection's protocol.

use bytes::{Bytes, BytesMut};
use rg_resp::{encode, Protocol};

use super::error::CmdError;

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Ok,
    Simple(&'static str),
    Status(String),
    Int(i64),
    Bulk(Bytes),
    /// Null where a string was expected.
    Nil,
    /// Null where an array was expected.
    NilArray,
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Double(f64),
    /// A double as Redis's `addReplyHumanLongDouble` writes it (`%.17Lf` without trailing
    /// zeros: GEOPOS coordinates); a bulk string in RESP2.
    HumanDouble(f64),
    Bool(bool),
    /// Human-readable text (INFO, CLIENT LIST): verbatim in RESP3, bulk in RESP2.
    Text(String),
    Push(Vec<Reply>),
    /// RESP3's arbitrary-precision integer, as decimal digits (a bulk string in RESP2).
    BigNumber(String),
    /// Out-of-band pairs about the reply that follows them (RESP3 only: RESP2 drops them).
    Attributed(Vec<(Reply, Reply)>, Box<Reply>),
    Error(CmdError),
    /// Several replies to one command, sent one after the other (SUBSCRIBE a b c).
    Many(Vec<Reply>),
}

impl Reply {
    /// A HELP subcommand's answer: one status line each.
    pub fn help(lines: &[&str]) -> Reply {
        Reply::Array(lines.iter().map(|l| Reply::Status(l.to_string())).collect())
    }

    pub fn bulk(bytes: &[u8]) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(bytes))
    }

    pub fn bulks<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Reply {
        Reply::Array(items.into_iter().map(Reply::bulk).collect())
    }

    pub fn encode(&self, out: &mut BytesMut, protocol: Protocol) {
        match self {
            Reply::Ok => out.extend_from_slice(b"+OK\r\n"),
            Reply::Simple(text) => encode::simple(out, text.as_bytes()),
            Reply::Status(text) => encode::simple(out, text.as_bytes()),
            Reply::Int(value) => encode::integer(out, *value),
            Reply::Bulk(bytes) => encode::bulk(out, bytes),
            Reply::Nil => encode::null(out, protocol),
            Reply::NilArray => encode::null_array(out, protocol),
            Reply::Array(items) => {
                encode::array_len(out, items.len());
                items.iter().for_each(|item| item.encode(out, protocol));
            }
            Reply::Set(items) => {
                encode::set_len(out, items.len(), protocol);
                items.iter().for_each(|item| item.encode(out, protocol));
            }
            Reply::Push(items) => {
                encode::push_len(out, items.len(), protocol);
                items.iter().for_each(|item| item.encode(out, protocol));
            }
            Reply::Map(pairs) => {
                encode::map_len(out, pairs.len(), protocol);
                for (key, value) in pairs {
                    key.encode(out, protocol);
                    value.encode(out, protocol);
                }
            }
            Reply::Double(value) => encode::double(out, *value, protocol),
            Reply::HumanDouble(value) => {
                let text = human_double(*value);
                match protocol {
                    Protocol::Resp2 => encode::bulk(out, text.as_bytes()),
                    Protocol::Resp3 => {
                        out.extend_from_slice(b",");
                        out.extend_from_slice(text.as_bytes());
                        out.extend_from_slice(b"\r\n");
                    }
                }
            }
            Reply::Bool(value) => encode::boolean(out, *value, protocol),
            Reply::Text(text) => encode::verbatim(out, b"txt", text.as_bytes(), protocol),
            Reply::BigNumber(digits) => encode::big_number(out, digits.as_bytes(), protocol),
            Reply::Attributed(pairs, reply) => {
                if protocol == Protocol::Resp3 {
                    encode::attribute_len(out, pairs.len(), protocol);
                    for (key, value) in pairs {
                        key.encode(out, protocol);
                        value.encode(out, protocol);
                    }
                }
                reply.encode(out, protocol);
            }
            Reply::Error(error) => encode::error(out, error.line().as_bytes()),
            Reply::Many(replies) => replies.iter().for_each(|r| r.encode(out, protocol)),
        }
    }
}

/// `%.17Lf` of the value with trailing zeros (and a trailing dot) removed, as Redis's
/// `ld2string(..., LD_STR_HUMAN)` writes it; Rust's fixed-precision formatting of a double
/// is exact, as glibc's printf of the same value widened to long double is.
pub fn human_double(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.into();
    }
    let mut text = format!("{value:.17}");
    if text.contains('.') {
        let trimmed = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(trimmed);
    }
    if text == "-0" {
        text = "0".into();
    }
    text
}

impl From<CmdError> for Reply {
    fn from(error: CmdError) -> Self {
        Reply::Error(error)
    }
}

impl From<Result<Reply, CmdError>> for Reply {
    fn from(result: Result<Reply, CmdError>) -> Self {
        result.unwrap_or_else(Reply::Error)
    }
}
