//! HyperLogLog commands through the engine, and the parser fuzzed with arbitrary strings:
//! whatever bytes a key holds, the commands answer (a count or an error), never panic.

use proptest::prelude::*;

use super::header::{self, Encoding, HEADER_LEN, SPARSE_MAX_BYTES};
use super::{sketch, sparse};
use crate::commands::testing::TestNode;
use crate::engine::reply::Reply;

fn int(n: i64) -> Reply {
    Reply::Int(n)
}

fn error_line(reply: Reply) -> String {
    match reply {
        Reply::Error(e) => e.line().into_owned(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn pfadd_counts_and_caches() {
    let mut node = TestNode::new();
    assert_eq!(node.run(&["PFADD", "h", "a", "b", "c"]), int(1));
    assert_eq!(node.run(&["PFADD", "h", "a"]), int(0));
    assert_eq!(node.run(&["PFCOUNT", "h"]), int(3));
    assert_eq!(node.run(&["PFCOUNT", "h", "nokey"]), int(3));
    assert_eq!(node.run(&["PFCOUNT", "nokey"]), int(0));
    let records = node.records();
    assert_eq!(
        records.len(),
        2,
        "PFADD that changed and PFCOUNT that cached: {records:?}"
    );
    assert_eq!(records[1], ["PFCOUNT", "h"]);
    assert_eq!(node.run(&["PFCOUNT", "h"]), int(3));
    assert!(node.records().is_empty(), "a cached count writes nothing");
}

#[test]
fn many_elements_turn_the_string_dense() {
    let mut node = TestNode::new();
    let elements: Vec<String> = (0..3000).map(|i| format!("e{i}")).collect();
    let mut args = vec!["PFADD", "h"];
    args.extend(elements.iter().map(String::as_str));
    assert_eq!(node.run(&args), int(1));
    assert_eq!(
        node.run(&["PFDEBUG", "ENCODING", "h"]),
        Reply::Status("dense".into())
    );
    let Reply::Int(count) = node.run(&["PFCOUNT", "h"]) else {
        panic!("PFCOUNT answers an integer");
    };
    assert!((2900..=3100).contains(&count), "counted {count} of 3000");
}

#[test]
fn pfmerge_and_pfdebug() {
    let mut node = TestNode::new();
    node.run(&["PFADD", "a", "1", "2", "3"]);
    node.run(&["PFADD", "b", "3", "4"]);
    assert_eq!(node.run(&["PFMERGE", "dest", "a", "b"]), Reply::Ok);
    assert_eq!(node.run(&["PFCOUNT", "dest"]), int(4));
    assert_eq!(node.run(&["PFDEBUG", "TODENSE", "a"]), int(1));
    assert_eq!(node.run(&["PFDEBUG", "TODENSE", "a"]), int(0));
    assert_eq!(node.run(&["PFMERGE", "b", "a"]), Reply::Ok);
    assert_eq!(
        node.run(&["PFDEBUG", "ENCODING", "b"]),
        Reply::Status("dense".into())
    );
    assert_eq!(node.run(&["PFCOUNT", "b"]), int(4));
    assert_eq!(
        error_line(node.run(&["PFDEBUG", "GETREG", "nokey"])),
        "ERR The specified key does not exist"
    );
    assert_eq!(
        error_line(node.run(&["PFDEBUG", "DECODE", "a"])),
        "ERR HLL encoding is not sparse"
    );
    assert_eq!(
        error_line(node.run(&["PFDEBUG", "nope", "a"])),
        "ERR Unknown PFDEBUG subcommand 'nope'"
    );
    assert_eq!(node.run(&["PFSELFTEST"]), Reply::Ok);
}

#[test]
fn strings_that_are_not_hyperloglogs_are_refused() {
    let mut node = TestNode::new();
    node.run(&["SET", "s", "not a hyperloglog"]);
    let not_hll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
    assert_eq!(error_line(node.run(&["PFADD", "s", "a"])), not_hll);
    assert_eq!(error_line(node.run(&["PFCOUNT", "s"])), not_hll);
    assert_eq!(error_line(node.run(&["PFMERGE", "d", "s"])), not_hll);
    assert_eq!(node.run(&["EXISTS", "d"]), int(0), "nothing is created");
    node.run(&["LPUSH", "l", "x"]);
    assert!(error_line(node.run(&["PFADD", "l", "a"])).starts_with("WRONGTYPE Operation"));
}

#[test]
fn a_corrupted_sparse_string_is_invalidobj_and_left_as_it_was() {
    let mut node = TestNode::new();
    // A sparse header with a stale count, then one XZERO of 8064 registers instead of 16384.
    let corrupt = "HYLL\u{1}\0\0\0\0\0\0\0\0\0\0\0\u{5f}\u{7f}";
    node.run(&["SET", "h", corrupt]);
    node.run(&["SETBIT", "h", "120", "1"]);
    let invalid = "INVALIDOBJ Corrupted HLL object detected";
    assert_eq!(error_line(node.run(&["PFCOUNT", "h"])), invalid);
    assert_eq!(error_line(node.run(&["PFCOUNT", "h", "h"])), invalid);
    assert_eq!(error_line(node.run(&["PFDEBUG", "TODENSE", "h"])), invalid);
    let before = node.run(&["GET", "h"]);
    node.records();
    // "a" lands past the registers there are, after others that a half-done PFADD changed.
    let elements = ["b", "c", "d", "e", "f", "g", "a"];
    let landing: Vec<usize> = elements
        .iter()
        .map(|e| header::register_for(e.as_bytes()).0)
        .collect();
    assert!(
        landing[..6].iter().any(|&i| i < 8064) && landing[6] >= 8064,
        "{landing:?}"
    );
    let mut args = vec!["PFADD", "h"];
    args.extend(elements);
    assert_eq!(error_line(node.run(&args)), invalid);
    assert!(node.records().is_empty());
    assert_eq!(node.run(&["GET", "h"]), before);
}

#[test]
fn sparse_updates_stay_canonical() {
    let mut bytes = sketch::empty();
    for index in [5, 6, 7, 4, 100, 16383, 0] {
        assert!(
            sketch::raise(&mut bytes, index, 3).unwrap_or(false),
            "{index}"
        );
    }
    assert_eq!(
        sparse::describe(&bytes[HEADER_LEN..]),
        "v:3,1 z:3 v:3,4 Z:92 v:3,1 Z:16282 v:3,1",
        "neighbouring runs of one value are joined"
    );
    assert_eq!(sketch::count(&bytes), Ok(7));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any bytes after a sparse header: counted, merged, converted or added to, never a panic;
    /// and when valid, the sparse and dense forms count the same.
    #[test]
    fn arbitrary_sparse_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..64),
                                           element in any::<Vec<u8>>()) {
        let mut bytes = header::header(Encoding::Sparse).to_vec();
        bytes.extend(&body);
        let counted = sketch::count(&bytes);
        let mut max = Box::new([0u8; super::REGISTERS]);
        let merged = sketch::merge_into(&bytes, &mut max);
        let mut dense = bytes.clone();
        let converted = sketch::to_dense(&mut dense);
        prop_assert_eq!(merged.is_ok(), converted.is_ok());
        if let (Ok(count), Ok(_)) = (counted, converted) {
            prop_assert_eq!(sketch::count(&dense), Ok(count));
        }
        let mut added = bytes.clone();
        let _ = sketch::add(&mut added, &element);
        prop_assert!(added.len() <= SPARSE_MAX_BYTES.max(super::header::DENSE_LEN));
    }

    /// Any string at all, through the commands: an answer, never a panic.
    #[test]
    fn arbitrary_values_through_the_commands(value in proptest::collection::vec(any::<u8>(), 0..40),
                                             sparse_header in any::<bool>()) {
        let mut node = TestNode::new();
        let mut bytes = if sparse_header { header::header(Encoding::Sparse).to_vec() } else { Vec::new() };
        bytes.extend(value);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        node.run(&["SET", "h", &text]);
        for command in [
            &["PFCOUNT", "h"][..],
            &["PFCOUNT", "h", "h"],
            &["PFADD", "h", "x", "y"],
            &["PFMERGE", "d", "h"],
            &["PFDEBUG", "DECODE", "h"],
            &["PFDEBUG", "GETREG", "h"],
        ] {
            let _ = node.run(command);
        }
    }

    /// Random additions in sparse form match the same additions in dense form, register
    /// for register.
    #[test]
    fn sparse_and_dense_hold_the_same_registers(elements in proptest::collection::vec(any::<u32>(), 0..300)) {
        let mut sparse_form = sketch::empty();
        let mut dense_form = sketch::empty();
        prop_assert_eq!(sketch::to_dense(&mut dense_form), Ok(true));
        for element in &elements {
            let a = sketch::add(&mut sparse_form, &element.to_le_bytes());
            let b = sketch::add(&mut dense_form, &element.to_le_bytes());
            prop_assert_eq!(a, b);
        }
        prop_assert_eq!(sketch::registers(&sparse_form), sketch::registers(&dense_form));
        prop_assert_eq!(sketch::count(&sparse_form), sketch::count(&dense_form));
    }
}
