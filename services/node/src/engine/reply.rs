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
    Bool(bool),
    /// Human-readable text (INFO, CLIENT LIST): verbatim in RESP3, bulk in RESP2.
    Text(String),
    Push(Vec<Reply>),
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
            Reply::Bool(value) => encode::boolean(out, *value, protocol),
            Reply::Text(text) => encode::verbatim(out, b"txt", text.as_bytes(), protocol),
            Reply::Error(error) => encode::error(out, error.line().as_bytes()),
            Reply::Many(replies) => replies.iter().for_each(|r| r.encode(out, protocol)),
        }
    }
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
