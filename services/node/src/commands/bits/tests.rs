//! The bitmap commands through the engine: replies, errors and replication records.

use crate::commands::testing::{bulk, TestNode};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

fn int(n: i64) -> Reply {
    Reply::Int(n)
}

fn error(line: &str) -> Reply {
    Reply::Error(CmdError::Line(line.to_string().into()))
}

#[test]
fn setbit_grows_the_string_and_records_only_changes() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["SETBIT", "k", "9", "1"]), int(0));
    assert_eq!(node.run(&["GET", "k"]), bulk("\0@"));
    assert_eq!(node.run(&["SETBIT", "k", "9", "1"]), int(1));
    assert_eq!(node.run(&["GETBIT", "k", "9"]), int(1));
    assert_eq!(node.run(&["GETBIT", "k", "100"]), int(0));
    assert_eq!(
        node.records(),
        [["SETBIT", "k", "9", "1"]],
        "the no-op is not recorded"
    );
}

#[test]
fn bit_arguments_are_checked_like_redis() {
    let mut node = TestNode::new();
    let offset = error("ERR bit offset is not an integer or out of range");
    assert_eq!(node.run(&["SETBIT", "k", "-1", "1"]), offset);
    assert_eq!(node.run(&["SETBIT", "k", "4294967296", "1"]), offset);
    assert_eq!(node.run(&["GETBIT", "k", "x"]), offset);
    let bit = error("ERR bit is not an integer or out of range");
    assert_eq!(node.run(&["SETBIT", "k", "1", "2"]), bit);
    node.run(&["LPUSH", "l", "a"]);
    assert_eq!(
        node.run(&["SETBIT", "l", "1", "1"]),
        Reply::Error(CmdError::WrongType)
    );
    assert_eq!(
        node.run(&["GETBIT", "l", "1"]),
        Reply::Error(CmdError::WrongType)
    );
}

#[test]
fn bitcount_and_bitpos_take_byte_and_bit_ranges() {
    let mut node = TestNode::new();
    // The bytes 00 ff f0.
    node.run(&["BITFIELD", "k", "SET", "u24", "0", "65520"]);
    assert_eq!(node.run(&["BITCOUNT", "k"]), int(12));
    assert_eq!(node.run(&["BITCOUNT", "k", "1", "1"]), int(8));
    assert_eq!(node.run(&["BITCOUNT", "k", "8", "9", "BIT"]), int(2));
    assert_eq!(node.run(&["BITCOUNT", "k", "-1", "-3"]), int(0));
    assert_eq!(
        node.run(&["BITCOUNT", "k", "1"]),
        Reply::Error(CmdError::Syntax)
    );
    assert_eq!(
        node.run(&["BITCOUNT", "nokey", "1"]),
        int(0),
        "the key is read first"
    );
    assert_eq!(node.run(&["BITPOS", "k", "1"]), int(8));
    assert_eq!(node.run(&["BITPOS", "k", "0", "1"]), int(20));
    assert_eq!(node.run(&["BITPOS", "k", "1", "9", "-1", "BIT"]), int(9));
    assert_eq!(node.run(&["BITPOS", "nokey", "0"]), int(0));
    assert_eq!(node.run(&["BITPOS", "nokey", "1"]), int(-1));
    node.run(&["SET", "ones", "\u{7f}"]);
    assert_eq!(node.run(&["STRLEN", "ones"]), int(1));
    assert_eq!(node.run(&["BITPOS", "ones", "0", "0"]), int(0));
    node.run(&["SETBIT", "ones", "0", "1"]);
    assert_eq!(
        node.run(&["BITPOS", "ones", "0"]),
        int(8),
        "zeros follow the string"
    );
    assert_eq!(
        node.run(&["BITPOS", "ones", "0", "0", "-1"]),
        int(-1),
        "unless an end is given"
    );
    assert_eq!(
        node.run(&["BITPOS", "ones", "2"]),
        error("ERR The bit argument must be 1 or 0.")
    );
}

#[test]
fn bitop_stores_or_deletes_the_destination() {
    let mut node = TestNode::new();
    node.run(&["SET", "a", "ab"]);
    node.run(&["SET", "b", "c"]);
    node.run(&["SET", "dest", "x", "EX", "100"]);
    assert_eq!(node.run(&["BITOP", "OR", "dest", "a", "b"]), int(2));
    assert_eq!(node.run(&["GET", "dest"]), bulk("cb"));
    assert_eq!(node.run(&["TTL", "dest"]), int(-1));
    assert_eq!(node.run(&["BITOP", "AND", "dest", "none", "none2"]), int(0));
    assert_eq!(node.run(&["EXISTS", "dest"]), int(0));
    assert_eq!(
        node.run(&["BITOP", "NOT", "dest", "a", "b"]),
        error("ERR BITOP NOT must be called with a single source key.")
    );
    assert_eq!(
        node.run(&["BITOP", "NAND", "dest", "a"]),
        Reply::Error(CmdError::Syntax)
    );
}

#[test]
fn bitfield_runs_its_operations_in_order() {
    let mut node = TestNode::new();
    let reply = node.run(&[
        "BITFIELD", "k", "SET", "u8", "#1", "255", "GET", "u8", "8", "OVERFLOW", "FAIL", "INCRBY",
        "u8", "#1", "1", "OVERFLOW", "SAT", "INCRBY", "i8", "8", "-300",
    ]);
    assert_eq!(
        reply,
        Reply::Array(vec![int(0), int(255), Reply::Nil, int(-128)])
    );
    assert_eq!(node.run(&["GET", "k"]), Reply::bulk(b"\0\x80"));
    assert_eq!(node.records().len(), 1);
    let reads = node.run(&["BITFIELD", "k", "GET", "i8", "8", "GET", "u4", "100"]);
    assert_eq!(reads, Reply::Array(vec![int(-128), int(0)]));
    assert!(node.records().is_empty(), "GETs alone are not recorded");
    assert_eq!(
        node.run(&["BITFIELD_RO", "k", "SET", "u8", "0", "1"]),
        error("ERR BITFIELD_RO only supports the GET subcommand")
    );
    assert_eq!(
        node.run(&["BITFIELD", "k", "GET", "u64", "0"]),
        error(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not \
             supported but i64 is."
        )
    );
    assert_eq!(
        node.run(&["BITFIELD", "k", "OVERFLOW", "BAD"]),
        error("ERR Invalid OVERFLOW type specified")
    );
    assert_eq!(
        node.run(&["BITFIELD", "k", "GET", "u8"]),
        Reply::Error(CmdError::Syntax)
    );
}
