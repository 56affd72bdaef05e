//! The replication state's own rules: link-down time, WAIT's count across histories,
//! fencing on word of a newer primary, freezes.

use super::*;

#[test]
fn a_replica_counts_how_long_its_link_has_been_down() {
    let mut repl = ReplState::new(1024 * 1024);
    assert_eq!(repl.link_down_for(1000), 0, "a primary has no link");
    repl.follow(NodeId::new("p").unwrap(), 1000);
    assert_eq!(repl.link_down_for(1500), 500);
    repl.set_link(true, 1600);
    assert_eq!(repl.link_down_for(5000), 0);
    repl.set_link(false, 6000);
    assert_eq!(repl.link_down_for(6250), 250);
    // Re-pointed while down: the older start stands.
    repl.follow(NodeId::new("q").unwrap(), 7000);
    assert_eq!(repl.link_down_for(7000), 1000);
}

fn acked(repl: &mut ReplState, node: &str, offset: u64) {
    let state = ReplicaState {
        offset: Offset(offset),
        last_ack: 0,
        address: String::new(),
    };
    repl.replicas.insert(NodeId::new(node).unwrap(), state);
}

#[test]
fn wait_counts_acks_only_in_the_targets_history() {
    let mut repl = ReplState::new(1024 * 1024);
    repl.offset = Offset(100);
    let before = repl.position();
    acked(&mut repl, "r1", 100);
    assert_eq!(repl.replicas_at(&before), 1);
    // Demoted, then promoted again: the new history continues the old one up to 100.
    repl.follow(NodeId::new("p").unwrap(), 0);
    repl.offset = Offset(150);
    repl.promote();
    acked(&mut repl, "r1", 400);
    assert_eq!(repl.replicas_at(&before), 1);
    let lost = Position::new(before.repl_id.clone(), Offset(160));
    assert_eq!(
        repl.replicas_at(&lost),
        0,
        "bytes past the switch are not ours"
    );
    // A full resync started a history of its own: nothing from before counts.
    repl.reset_history(ReplId::from_bytes([9; 20]), Offset(5000));
    assert_eq!(repl.replicas_at(&before), 0);
}

#[test]
fn a_primary_told_of_a_newer_primary_refuses_writes_at_once() {
    let (me, other) = (NodeId::new("n1").unwrap(), NodeId::new("n2").unwrap());
    let mut repl = ReplState::new(1024 * 1024);
    repl.epoch = Epoch(2);
    repl.promote();
    repl.heard_of_primary(Epoch(2), &other, &me);
    assert!(repl.write_refusal(0).is_none(), "same epoch: nothing new");
    repl.heard_of_primary(Epoch(3), &me, &me);
    assert_eq!(repl.epoch, Epoch(3), "named again in a newer epoch");
    // A planned failover's pause raised the epoch to 4 here; the record of epoch 4
    // names n2: still news.
    repl.epoch = Epoch(4);
    repl.heard_of_primary(Epoch(4), &other, &me);
    assert!(repl.write_refusal(0).unwrap().contains("newer epoch"));
    repl.epoch = Epoch(5);
    repl.promote();
    assert!(repl.write_refusal(0).is_none(), "promoted in epoch 5");
}

#[test]
fn a_frozen_replica_takes_no_older_stream_until_a_role_change_or_the_lapse() {
    let mut repl = ReplState::new(1024);
    repl.epoch = Epoch(3);
    repl.follow(NodeId::new("n1").unwrap(), 0);
    assert!(repl.takes_stream_of(Epoch(3), 0));
    assert!(
        !repl.takes_stream_of(Epoch(2), 0),
        "older than a control request"
    );
    repl.freeze.promise(Epoch(4), 100);
    assert!(!repl.takes_stream_of(Epoch(3), 100));
    assert_eq!(repl.newest_epoch(100), Epoch(4));
    assert!(repl.takes_stream_of(Epoch(3), 100 + freeze::LAPSE));
    assert_eq!(repl.newest_epoch(100 + freeze::LAPSE), Epoch(3));
    repl.freeze.promise(Epoch(4), 200);
    repl.follow(NodeId::new("n2").unwrap(), 300);
    assert!(
        repl.takes_stream_of(Epoch(3), 300),
        "re-pointed: the promise is kept"
    );
}

#[test]
fn a_primary_keeps_acks_and_serves_resyncs_only_in_histories_it_holds() {
    let mut repl = ReplState::new(1024);
    repl.append(b"0123456789");
    let old = repl.repl_id().clone();
    repl.follow(NodeId::new("p").unwrap(), 0);
    repl.promote();
    let new = repl.repl_id().clone();
    let r1 = NodeId::new("r1").unwrap();
    assert!(
        !repl.replica_acked(r1.clone(), &old, Offset(10), 0),
        "an old history's ack"
    );
    assert!(repl.replica_acked(r1, &new, Offset(10), 0));
    assert_eq!(repl.replicas().len(), 1);
    repl.append(b"abc");
    assert_eq!(
        repl.backlog_since(&old, Offset(4)).unwrap(),
        &b"456789abc"[..]
    );
    assert!(
        repl.backlog_since(&old, Offset(11)).is_none(),
        "past the switch"
    );
    assert_eq!(repl.backlog_since(&new, Offset(11)).unwrap(), &b"bc"[..]);
    repl.forget_silent_replicas(5_000);
    assert_eq!(repl.replicas().len(), 0, "silent for the timeout");
}

/// The router counts WAIT with `rg_proto::Lineage`; the primary counts with the same rule.
#[test]
fn a_promoted_node_counts_an_old_history_target_only_up_to_the_switch() {
    let mut repl = ReplState::new(1024 * 1024);
    repl.follow(NodeId::new("p").unwrap(), 0);
    repl.append(&[b'x'; 900]);
    let old = repl.repl_id().clone();
    repl.promote();
    repl.append(&[b'y'; 4100]);
    let new = repl.repl_id().clone();
    for (node, offset) in [("r1", 5000), ("r2", 850)] {
        repl.replica_acked(NodeId::new(node).unwrap(), &new, Offset(offset), 0);
    }
    let at = |offset| Position::new(old.clone(), Offset(offset));
    assert_eq!(repl.replicas_at(&at(800)), 2);
    assert_eq!(repl.replicas_at(&at(880)), 1, "r2 has not reached it yet");
    assert_eq!(repl.replicas_at(&at(900)), 1);
    assert_eq!(
        repl.replicas_at(&at(901)),
        0,
        "the old primary's bytes past the switch are in no replica of this history"
    );
}
