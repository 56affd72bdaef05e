use super::*;
use crate::procedure::{Failover, Input};
use crate::view::tests::{beat, group, hear, id, opinion, settings};
use rg_proto::messages::Role;

fn names(chores: &[Chore]) -> Vec<String> {
    chores
        .iter()
        .map(|chore| match chore {
            Chore::Publish(event) => format!("publish {:?}", event.name),
            Chore::Write { expected, .. } => format!("write over {expected:?}"),
            Chore::MarkAvailable { .. } => "mark available".into(),
            Chore::Control { node, command, .. } => format!("{command:?} to {node}"),
        })
        .collect()
}

#[test]
fn the_first_primary_heard_gets_a_record_and_the_event_once_written() {
    let rules = settings();
    let mut view = State::new(None);
    view.store_ready = true;
    hear(&mut view, beat("p", Role::Primary, None, 100), 0);
    hear(&mut view, beat("r1", Role::Replica, Some("p"), 90), 0);
    let chores = round(&mut view, &rules, 0);
    let [Chore::Write {
        record,
        expected: None,
        then: Some(created),
    }] = &chores[..]
    else {
        panic!("{chores:?}");
    };
    assert_eq!(record.primary, id("p"));
    assert_eq!(created.name, EventName::TopologyCreated);
    assert_eq!(created.node, Some(id("p")));
}

#[test]
fn nothing_is_done_before_the_store_opens_or_by_a_sentinel_that_is_not_the_reconciler() {
    let mut view = State::new(None);
    hear(&mut view, beat("p", Role::Primary, None, 100), 0);
    assert!(round(&mut view, &settings(), 0).is_empty(), "store closed");
    view.store_ready = true;
    let mut rules = settings();
    rules.id = id("s2");
    view.sentinel_seen(&id("s1"), 0);
    assert!(round(&mut view, &rules, 0).is_empty(), "s1 reconciles");
}

#[test]
fn strays_are_re_pointed_in_the_records_epoch_and_joiners_added() {
    let rules = settings();
    let mut view = group(0);
    let (record, _) = view.topology.clone().unwrap();
    let after = record.failed_over(&id("r2"), rg_proto::Epoch(2)).unwrap();
    view.topology_changed(after, 2, 1000);
    hear(&mut view, beat("p", Role::Primary, None, 100), 1400);
    hear(&mut view, beat("r1", Role::Replica, Some("r2"), 100), 1400);
    hear(&mut view, beat("r2", Role::Primary, None, 100), 1400);
    hear(&mut view, beat("r3", Role::Primary, None, 0), 1400);
    let chores = round(&mut view, &rules, 1400);
    assert_eq!(
        names(&chores),
        [
            "write over Some(2)",
            "ReplicateOf { primary: NodeId(\"r2\") } to p",
            "ReplicateOf { primary: NodeId(\"r2\") } to r3",
        ]
    );
    assert!(chores.iter().all(|chore| match chore {
        Chore::Control { epoch, .. } => *epoch == rg_proto::Epoch(2),
        _ => true,
    }));
}

#[test]
fn a_running_failover_keeps_the_reconciler_off_the_record_and_the_nodes() {
    let rules = settings();
    let mut view = group(0);
    // p silent past down-after, and two sentinels hold it down: a failover starts.
    hear(&mut view, beat("r1", Role::Replica, Some("p"), 90), 1500);
    hear(&mut view, beat("r2", Role::Replica, Some("p"), 100), 1500);
    hear(&mut view, beat("r3", Role::Primary, None, 0), 1500);
    opinion(&mut view, "s1", true, 1500);
    opinion(&mut view, "s2", true, 1500);
    view.sentinel_seen(&id("s2"), 1500);
    let mut failover = Failover::automatic(&mut view, &rules, 1500, 7).expect("due");
    assert!(Failover::automatic(&mut view, &rules, 1500, 7).is_none());
    let refused = Failover::planned(&mut view, &rules, None, 1500, 7);
    assert!(refused.is_err_and(|(why, _)| why.contains("already in progress")));
    assert!(round(&mut view, &rules, 1500).is_empty(), "r3 not added");
    // Its vote cannot be persisted: the failover ends, and the reconciler takes over.
    let wake = failover.next_wake().unwrap();
    failover.step(&mut view, &rules, wake, Input::Wake);
    failover.step(
        &mut view,
        &rules,
        wake,
        Input::Persisted(Err("disk".into())),
    );
    assert!(failover.outcome().is_some());
    assert!(!view.failing_over());
    assert_eq!(
        names(&round(&mut view, &rules, wake)),
        [
            "write over Some(1)",
            "ReplicateOf { primary: NodeId(\"p\") } to r3"
        ]
    );
}

#[test]
fn an_abandoned_failover_frees_the_group() {
    let rules = settings();
    let mut view = group(0);
    let mut failover = Failover::planned(&mut view, &rules, None, 0, 7).unwrap();
    assert!(view.failing_over());
    failover.abandon(&mut view, "stalled");
    assert!(!view.failing_over());
    assert!(view.last_outcome.contains("abandoned: stalled"));
}
