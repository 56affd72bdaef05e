//! What the stream commands record for replicas, and that replaying it rebuilds the same
//! dataset (with the stream families' own mix of commands; `replay_tests` covers the rest).

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::commands::testing::{bulk, TestNode};
use crate::engine::reply::Reply;

fn words(record: &[String]) -> String {
    record.join(" ")
}

#[test]
fn xadd_records_its_concrete_id_and_an_exact_trim() {
    let mut node = TestNode::new();
    let now = node.now;
    assert_eq!(
        node.run(&["XADD", "s", "*", "f", "v"]),
        bulk(&format!("{now}-0"))
    );
    node.run(&["XADD", "s", "5-*", "f", "v"]);
    for i in 0..150 {
        node.run(&["XADD", "s", "*", "f", &i.to_string()]);
    }
    node.records();
    node.run(&[
        "XADD", "s", "MAXLEN", "~", "10", "LIMIT", "500", "*", "g", "w",
    ]);
    let records: Vec<String> = node.records().iter().map(|r| words(r)).collect();
    assert_eq!(
        records,
        [format!("XADD s MAXLEN = 52 {now}-151 g w")],
        "LIMIT dropped, ~ made exact with what was left"
    );
    node.run(&["XTRIM", "s", "MINID", "~", "0"]);
    assert!(
        node.records().is_empty(),
        "nothing trimmed, nothing recorded"
    );
    node.run(&["XTRIM", "s", "MAXLEN", "~", "0"]);
    assert_eq!(
        node.records().iter().map(|r| words(r)).collect::<Vec<_>>(),
        ["XTRIM s MAXLEN = 0"]
    );
}

#[test]
fn xreadgroup_records_xclaims_and_the_group_position() {
    let mut node = TestNode::new();
    node.run(&["XADD", "s", "1-1", "a", "1"]);
    node.run(&["XADD", "s", "2-1", "b", "2"]);
    node.run(&["XGROUP", "CREATE", "s", "g", "0"]);
    node.records();
    node.run(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    let t = node.now;
    let records: Vec<String> = node.records().iter().map(|r| words(r)).collect();
    assert_eq!(
        records,
        [
            "XGROUP CREATECONSUMER s g c".to_string(),
            format!("XCLAIM s g c 0 1-1 TIME {t} RETRYCOUNT 1 FORCE JUSTID LASTID 1-1"),
            format!("XCLAIM s g c 0 2-1 TIME {t} RETRYCOUNT 1 FORCE JUSTID LASTID 2-1"),
            "XGROUP SETID s g 2-1 ENTRIESREAD 2".to_string(),
        ]
    );
    node.run(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    assert!(node.records().is_empty(), "nothing new, nothing recorded");
    node.run(&["XDEL", "s", "1-1"]);
    node.records();
    node.run(&["XAUTOCLAIM", "s", "g", "d", "0", "0"]);
    let records: Vec<String> = node.records().iter().map(|r| words(r)).collect();
    assert_eq!(
        records,
        [
            format!("XCLAIM s g c 0 1-1 TIME {t} RETRYCOUNT 1 FORCE JUSTID LASTID 2-1"),
            format!("XCLAIM s g d 0 2-1 TIME {t} RETRYCOUNT 2 FORCE JUSTID LASTID 2-1"),
        ],
        "the deleted entry's pending entry is dropped (the replica's XCLAIM drops it too)"
    );
}

#[test]
fn xread_blocks_outside_transactions_only() {
    let mut node = TestNode::new();
    node.run(&["MULTI"]);
    node.run(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    let Reply::Array(replies) = node.run(&["EXEC"]) else {
        panic!("EXEC answers an array");
    };
    assert_eq!(replies, [Reply::NilArray]);
    assert!(matches!(
        node.response(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]),
        crate::commands::Response::Block { .. }
    ));
}

/// Command shapes; `K` is a random stream key, `I` a small ID, `N` a small number, `G` a
/// group, `C` a consumer.
const TEMPLATES: &[&str] = &[
    "XADD K * f N",
    "XADD K * f N g N",
    "XADD K I f N",
    "XADD K N-* f N",
    "XADD K MAXLEN ~ N * f N",
    "XADD K MAXLEN N * f N",
    "XADD K MINID ~ I * f N",
    "XADD K NOMKSTREAM MAXLEN ~ 2 LIMIT N * f N",
    "XDEL K I I",
    "XTRIM K MAXLEN ~ N",
    "XTRIM K MAXLEN N",
    "XTRIM K MINID I",
    "XSETID K 999999999999999-0",
    "XGROUP CREATE K G $ MKSTREAM",
    "XGROUP CREATE K G 0",
    "XGROUP CREATE K G I ENTRIESREAD N",
    "XGROUP SETID K G I",
    "XGROUP SETID K G $ ENTRIESREAD N",
    "XGROUP DESTROY K G",
    "XGROUP CREATECONSUMER K G C",
    "XGROUP DELCONSUMER K G C",
    "XREADGROUP GROUP G C COUNT N STREAMS K >",
    "XREADGROUP GROUP G C STREAMS K >",
    "XREADGROUP GROUP G C NOACK COUNT N STREAMS K >",
    "XREADGROUP GROUP G C STREAMS K 0",
    "XREADGROUP GROUP G C BLOCK 10 STREAMS K K > >",
    "XREAD BLOCK 10 STREAMS K $",
    "XACK K G I I",
    "XCLAIM K G C 0 I I",
    "XCLAIM K G C N I JUSTID",
    "XCLAIM K G C 0 I FORCE RETRYCOUNT N",
    "XCLAIM K G C 0 I IDLE N LASTID I",
    "XCLAIM K G C 0 I TIME N",
    "XAUTOCLAIM K G C 0 0 COUNT N",
    "XAUTOCLAIM K G C N 0 JUSTID",
    "DEL K",
    "RENAME K K",
    "COPY K K",
    "EXPIRE K N",
    "MULTI",
    "EXEC",
];

fn random_command(rng: &mut SmallRng) -> Vec<String> {
    let template = TEMPLATES[rng.gen_range(0..TEMPLATES.len())];
    template
        .split(' ')
        .map(|word| match word {
            "K" => format!("s{}", rng.gen_range(0..3)),
            "I" => format!("{}-{}", rng.gen_range(0..4), rng.gen_range(0..3)),
            "N" => rng.gen_range(1..8).to_string(),
            "G" => format!("g{}", rng.gen_range(0..2)),
            "C" => format!("c{}", rng.gen_range(0..3)),
            other => other.to_string(),
        })
        .collect()
}

/// Blocked readers are served by later XADDs; what they took is in the records too.
#[test]
fn replaying_stream_records_rebuilds_the_same_dataset() {
    let mut replayed = 0;
    for seed in 0..30 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut primary = TestNode::new();
        let mut replica = TestNode::new();
        for step in 0..300 {
            primary.now += rng.gen_range(0..3);
            replica.now = primary.now;
            let command = random_command(&mut rng);
            let args: Vec<&str> = command.iter().map(String::as_str).collect();
            let _ = primary.response(&args);
            match replica.replay_from(&mut primary) {
                Ok(count) => replayed += count,
                Err(refused) => panic!("seed {seed} step {step}: {refused}"),
            }
            if primary.session.transaction.is_none() {
                assert_eq!(
                    primary.run(&["DEBUG", "DIGEST"]),
                    replica.run(&["DEBUG", "DIGEST"]),
                    "seed {seed} step {step}: datasets diverged after {command:?}"
                );
            }
        }
    }
    assert!(replayed > 3000, "only {replayed} records were replayed");
}

fn entries(key: &str, items: &[(&str, &[&str])]) -> Reply {
    let items = items
        .iter()
        .map(|(id, fields)| Reply::Array(vec![bulk(id), crate::commands::testing::bulks(fields)]))
        .collect();
    Reply::Array(vec![Reply::Array(vec![bulk(key), Reply::Array(items)])])
}

/// Every blocked XREAD on a key gets the new entry; of two XREADGROUP clients of one
/// group, the first gets it (pending, recorded) and the second waits for the next.
#[test]
fn blocked_readers_are_served_by_xadd_in_the_order_they_blocked() {
    use crate::commands::testing::{setup, Client};
    let (mut node, mut writer, mut first) = setup();
    let mut second = Client::connect(&mut node);
    let mut grouped = Client::connect(&mut node);
    let mut grouped_too = Client::connect(&mut node);
    writer.run(&mut node, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    let mut a = first.block(
        &mut node,
        &["XREAD", "BLOCK", "0", "STREAMS", "other", "s", "$", "$"],
    );
    let mut b = second.block(&mut node, &["XREAD", "BLOCK", "0", "STREAMS", "s", "0"]);
    let group_read = [
        "XREADGROUP",
        "GROUP",
        "g",
        "c1",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ];
    let mut c = grouped.block(&mut node, &group_read);
    let mut group_read_too = group_read;
    group_read_too[3] = "c2";
    let mut d = grouped_too.block(&mut node, &group_read_too);
    node.records();
    writer.run(&mut node, &["XADD", "s", "1-1", "f", "v"]);
    let expected = entries("s", &[("1-1", &["f", "v"])]);
    assert_eq!(a.served(), Some(expected.clone()));
    assert_eq!(b.served(), Some(expected.clone()));
    assert_eq!(c.served(), Some(expected));
    assert_eq!(d.served(), None, "the group's entry went to c1");
    assert!(grouped_too.is_blocked(&node));
    let records: Vec<String> = node.records().iter().map(|r| words(r)).collect();
    let t = node.now;
    assert_eq!(
        records,
        [
            "XADD s 1-1 f v".to_string(),
            "XGROUP CREATECONSUMER s g c1".to_string(),
            format!("XCLAIM s g c1 0 1-1 TIME {t} RETRYCOUNT 1 FORCE JUSTID LASTID 1-1"),
            "XGROUP SETID s g 1-1 ENTRIESREAD 1".to_string(),
        ]
    );
    writer.run(&mut node, &["XADD", "s", "2-1", "f", "w"]);
    assert_eq!(d.served(), Some(entries("s", &[("2-1", &["f", "w"])])));
    let pending = writer.run(&mut node, &["XPENDING", "s", "g"]);
    let Reply::Array(summary) = pending else {
        panic!("XPENDING answers an array");
    };
    assert_eq!(summary[0], Reply::Int(2));
}

/// A blocked group reader fails with Redis's errors when its group or its key goes; a
/// plain XREAD on a deleted key keeps waiting.
#[test]
fn blocked_group_readers_fail_when_the_group_or_key_goes() {
    use crate::commands::testing::setup;
    use crate::engine::error::CmdError;
    let (mut node, mut writer, mut reader) = setup();
    writer.run(&mut node, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    let args = [
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ];
    let mut blocked = reader.block(&mut node, &args);
    writer.run(&mut node, &["XGROUP", "DESTROY", "s", "g"]);
    let nogroup = "NOGROUP the consumer group this client was blocked on no longer exists";
    assert_eq!(
        blocked.served(),
        Some(Reply::Error(CmdError::Line(nogroup.into())))
    );
    writer.run(&mut node, &["XGROUP", "CREATE", "s", "g", "$"]);
    let mut blocked = reader.block(&mut node, &args);
    writer.run(&mut node, &["SET", "s", "x"]);
    let gone = "UNBLOCKED the stream key no longer exists";
    assert_eq!(
        blocked.served(),
        Some(Reply::Error(CmdError::Line(gone.into())))
    );
    writer.run(&mut node, &["DEL", "s"]);
    writer.run(&mut node, &["XADD", "s", "1-1", "f", "v"]);
    let mut plain = reader.block(&mut node, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    writer.run(&mut node, &["DEL", "s"]);
    assert_eq!(plain.served(), None);
    writer.run(&mut node, &["XADD", "s", "3-3", "f", "v"]);
    assert_eq!(plain.served(), Some(entries("s", &[("3-3", &["f", "v"])])));
}
