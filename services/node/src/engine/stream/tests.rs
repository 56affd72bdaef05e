use super::*;

fn fields(items: &[&'static str]) -> Vec<&'static [u8]> {
    items.iter().map(|f| f.as_bytes()).collect()
}

fn filled(n: u64) -> Stream {
    let mut stream = Stream::default();
    for i in 1..=n {
        stream.append(StreamId::new(i, 0), &fields(&["f", "v"]));
    }
    stream
}

#[test]
fn ids_parse_as_redis_reads_them() {
    let parse = |s: &str| StreamId::parse(s.as_bytes(), 0);
    assert_eq!(parse("1-2"), Some(StreamId::new(1, 2)));
    assert_eq!(parse("5"), Some(StreamId::new(5, 0)));
    assert_eq!(
        StreamId::parse(b"5", u64::MAX),
        Some(StreamId::new(5, u64::MAX))
    );
    assert_eq!(parse("-"), Some(StreamId::ZERO));
    assert_eq!(parse("+"), Some(StreamId::MAX));
    assert_eq!(StreamId::parse_strict(b"-", 0), None);
    assert_eq!(
        parse("18446744073709551615-18446744073709551615"),
        Some(StreamId::MAX)
    );
    for bad in [
        "18446744073709551616",
        "1-x",
        "",
        "1-",
        "-1",
        "a",
        "1-2-3",
        "1-*",
    ] {
        assert_eq!(parse(bad), None, "{bad}");
    }
    assert_eq!(
        StreamId::parse_full(b"7-*", 0, true, true),
        Some(id::Parsed::AutoSeq(7))
    );
    assert_eq!(StreamId::MAX.next(), None);
    assert_eq!(StreamId::ZERO.prev(), None);
    assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
    assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
}

#[test]
fn auto_ids_follow_the_clock_and_never_go_back() {
    let mut stream = Stream::default();
    assert_eq!(stream.next_auto_id(100), Some(StreamId::new(100, 0)));
    stream.append(StreamId::new(200, 5), &fields(&["f", "v"]));
    assert_eq!(stream.next_auto_id(100), Some(StreamId::new(200, 6)));
    assert_eq!(stream.next_auto_id(300), Some(StreamId::new(300, 0)));
}

#[test]
fn nodes_hold_a_hundred_entries_and_approximate_trims_remove_whole_nodes() {
    let mut stream = filled(250);
    assert_eq!(stream.node_count(), 3);
    assert_eq!(
        stream.trim(Trim::MaxLen(180), true, 0),
        0,
        "a node must go whole"
    );
    assert_eq!(stream.trim(Trim::MaxLen(150), true, 0), 100);
    assert_eq!(stream.len(), 150);
    assert_eq!(stream.first_id, StreamId::new(101, 0));
    assert_eq!(stream.trim(Trim::MaxLen(120), false, 0), 30);
    assert_eq!(stream.len(), 120);
    assert_eq!(stream.trim(Trim::MinId(StreamId::new(200, 0)), true, 0), 0);
    assert_eq!(
        stream.trim(Trim::MinId(StreamId::new(240, 0)), false, 0),
        109
    );
    assert_eq!(stream.first_id, StreamId::new(240, 0));
}

#[test]
fn a_limit_stops_an_approximate_trim_before_a_node_that_would_pass_it() {
    let mut stream = filled(300);
    assert_eq!(stream.trim(Trim::MaxLen(0), true, 150), 100);
    assert_eq!(stream.trim(Trim::MaxLen(0), true, 99), 0);
}

#[test]
fn deletions_move_the_first_id_and_the_max_deleted_id() {
    let mut stream = filled(3);
    assert!(stream.delete(StreamId::new(1, 0)));
    assert!(!stream.delete(StreamId::new(1, 0)));
    assert_eq!(stream.first_id, StreamId::new(2, 0));
    assert_eq!(stream.max_deleted_id, StreamId::new(1, 0));
    assert!(stream.delete(StreamId::new(3, 0)));
    assert!(stream.delete(StreamId::new(2, 0)));
    assert_eq!(stream.first_id, StreamId::ZERO);
    assert_eq!(stream.node_count(), 0);
    assert_eq!(stream.entries_added, 3);
    assert_eq!(stream.last_id, StreamId::new(3, 0));
}

#[test]
fn lag_is_known_without_tombstones_after_the_group() {
    let mut stream = filled(5);
    stream
        .groups
        .insert(SmallBytes::new(b"g"), Group::new(StreamId::ZERO, None));
    let lag = |s: &Stream| s.lag(&s.groups[b"g".as_slice()]);
    assert_eq!(lag(&stream), Some(5), "the group is before the first entry");
    stream.advance_group(b"g", StreamId::new(1, 0));
    assert_eq!(
        stream.groups[b"g".as_slice()].entries_read,
        Some(1),
        "reading the first entry makes the unknown count exact"
    );
    stream.advance_group(b"g", StreamId::new(2, 0));
    assert_eq!(stream.groups[b"g".as_slice()].entries_read, Some(2));
    assert_eq!(lag(&stream), Some(3));
    stream.delete(StreamId::new(4, 0));
    assert_eq!(lag(&stream), None, "a tombstone lies ahead of the group");
    stream.advance_group(b"g", StreamId::new(3, 0));
    assert_eq!(stream.groups[b"g".as_slice()].entries_read, None);
    stream.advance_group(b"g", StreamId::new(5, 0));
    assert_eq!(
        lag(&stream),
        Some(0),
        "at the last ID the count is exact again"
    );
}

#[test]
fn groups_move_pending_entries_between_consumers() {
    let mut group = Group::new(StreamId::ZERO, Some(0));
    let id = StreamId::new(1, 0);
    assert!(group.touch_consumer(b"a", 10));
    assert!(!group.touch_consumer(b"a", 20));
    group.touch_consumer(b"b", 20);
    group.deliver(id, b"a", 10);
    assert!(group.consumers[b"a".as_slice()].pel.contains(&id));
    group.assign(id, b"b", 30, 4);
    assert!(!group.consumers[b"a".as_slice()].pel.contains(&id));
    assert_eq!(group.pel[&id].delivery_count, 4);
    assert_eq!(group.delete_consumer(b"b"), Some(1));
    assert!(group.pel.is_empty());
    assert!(!group.remove_pending(id));
}

#[test]
fn packed_entries_read_back_whatever_their_fields() {
    let mut stream = Stream::default();
    let big = "x".repeat(70_000);
    let shapes: Vec<Vec<&str>> = vec![
        vec!["f", "v"],
        vec!["f", ""],
        vec!["g", "1", "h", "2"],
        vec!["f", big.as_str()],
        vec!["", "12345678901234567890123"],
        vec!["f", "v"],
    ];
    let mut expected = Vec::new();
    for (i, shape) in shapes.iter().cycle().take(500).enumerate() {
        let id = StreamId::new(1 + (i as u64) * 300_007, u64::MAX - i as u64);
        let fields: Vec<&[u8]> = shape.iter().map(|s| s.as_bytes()).collect();
        stream.append(id, &fields);
        expected.push((id, shape.clone()));
    }
    let read: Vec<(StreamId, Vec<Vec<u8>>)> = stream
        .iter()
        .map(|(id, f)| (id, f.iter().map(<[u8]>::to_vec).collect()))
        .collect();
    assert_eq!(read.len(), expected.len());
    for ((id, got), (want_id, want)) in read.iter().zip(&expected) {
        assert_eq!(id, want_id);
        let want: Vec<Vec<u8>> = want.iter().map(|s| s.as_bytes().to_vec()).collect();
        assert_eq!(got, &want);
    }
    let (id, _) = expected[3];
    assert_eq!(stream.get(id).map(|f| f.len()), Some(2));
    assert!(stream.delete(id));
    assert!(stream.get(id).is_none());
    assert_eq!(stream.len(), 499);
}

#[test]
fn ranges_cross_nodes_both_ways_and_skip_deleted_entries() {
    let mut stream = filled(350);
    for i in (1..=350).step_by(2) {
        stream.delete(StreamId::new(i, 0));
    }
    let ids = |it: &mut dyn Iterator<Item = (StreamId, Fields<'_>)>| {
        it.map(|(id, _)| id.ms).collect::<Vec<_>>()
    };
    let forward = ids(&mut stream.range(StreamId::new(95, 0), StreamId::new(105, 0)));
    assert_eq!(forward, [96, 98, 100, 102, 104]);
    let back = ids(&mut stream.range_rev(StreamId::new(95, 0), StreamId::new(105, 0)));
    assert_eq!(back, [104, 102, 100, 98, 96]);
    assert!(ids(&mut stream.range(StreamId::new(9, 0), StreamId::new(3, 0))).is_empty());
    assert_eq!(stream.range(StreamId::ZERO, StreamId::MAX).count(), 175);
    assert_eq!(stream.range_rev(StreamId::ZERO, StreamId::MAX).count(), 175);
    assert_eq!(stream.last_valid_id(), StreamId::new(350, 0));
    assert_eq!(stream.first().map(|(id, _)| id), Some(StreamId::new(2, 0)));
}
