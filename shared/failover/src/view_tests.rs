use super::*;
use rg_proto::{GroupId, Offset, Position, ReplId};

pub(crate) fn id(name: &str) -> NodeId {
    NodeId::new(name).unwrap()
}

pub(crate) fn settings() -> Rules {
    Rules {
        id: id("s1"),
        group: GroupId::new("g").unwrap(),
        sentinels: vec![id("s1"), id("s2"), id("s3")],
        quorum: 2,
        down_after_ms: 1000,
        failover_timeout_ms: 5000,
        heartbeat_ms: 100,
    }
}

pub(crate) fn beat(node: &str, role: Role, primary: Option<&str>, offset: u64) -> Heartbeat {
    Heartbeat {
        group: GroupId::new("g").unwrap(),
        node: id(node),
        role,
        epoch: Epoch(1),
        repl_id: ReplId::none(),
        offset: Offset(offset),
        az: "az-a".into(),
        address: format!("{node}:6379"),
        healthy: true,
        primary: primary.map(id),
        link_up: true,
        link_down_ms: 0,
        priority: DEFAULT_PRIORITY,
        continues: None,
        restarted: false,
    }
}

/// A heartbeat and a PING answered, both at `now`.
pub(crate) fn hear(state: &mut State, heartbeat: Heartbeat, now: Millis) {
    let node = heartbeat.node.clone();
    state.heartbeat(heartbeat, now);
    state.ping_ok(&node, now);
}

/// p primary, r1 and r2 its replicas, all heard at `now`, and the record written.
pub(crate) fn group(now: Millis) -> State {
    let mut state = State::new(None);
    state.store_ready = true;
    hear(&mut state, beat("p", Role::Primary, None, 100), now);
    hear(&mut state, beat("r1", Role::Replica, Some("p"), 90), now);
    hear(&mut state, beat("r2", Role::Replica, Some("p"), 100), now);
    let first = state.first_topology(&settings(), now).unwrap();
    state.topology_changed(first, 1, now);
    state
}

pub(crate) fn opinion(state: &mut State, sentinel: &str, down: bool, now: Millis) {
    state.opinion(
        SentinelOpinion {
            group: GroupId::new("g").unwrap(),
            sentinel: id(sentinel),
            node: id("p"),
            down,
        },
        now,
    );
}

#[test]
fn the_first_record_names_the_primary_and_its_replicas() {
    let state = group(0);
    let (topology, _) = state.topology.as_ref().unwrap();
    assert_eq!(topology.primary, id("p"));
    let replicas: Vec<&str> = topology.replicas.iter().map(|m| m.node.as_str()).collect();
    assert_eq!(replicas, ["r1", "r2"]);
    assert_eq!(topology.epoch, Epoch(1));
}

#[test]
fn a_primary_only_its_replicas_name_still_gets_a_record() {
    let mut state = State::new(None);
    hear(&mut state, beat("r1", Role::Replica, Some("gone"), 5), 0);
    let first = state.first_topology(&settings(), 0).unwrap();
    assert_eq!(first.primary, id("gone"));
    assert_eq!(first.replicas.len(), 1);
}

#[test]
fn a_failover_waits_for_quorum_a_majority_and_the_automatic_flag() {
    let settings = settings();
    let mut state = group(0);
    let why = state.failover_blocker(&settings, 500).unwrap();
    assert!(why.contains("is up"), "{why}");
    // p silent past down-after; only this sentinel says so.
    hear(&mut state, beat("r1", Role::Replica, Some("p"), 90), 1500);
    opinion(&mut state, "s1", true, 1500);
    let why = state.failover_blocker(&settings, 1500).unwrap();
    assert!(
        why.contains("down for 1 of 3 sentinels, quorum is 2"),
        "{why}"
    );
    assert!(why.contains("1 of 3 sentinels reachable"), "{why}");
    opinion(&mut state, "s2", true, 1500);
    assert_eq!(state.failover_blocker(&settings, 1500), None);
    assert_eq!(
        state.failover_due(&settings, 1500),
        Some((id("p"), Epoch(1)))
    );
    let why = state.failover_blocker(&settings, 1600).unwrap();
    assert!(why.contains("before the next attempt"), "{why}");

    let mut manual = group(0);
    if let Some((topology, _)) = manual.topology.as_mut() {
        topology.automatic_failover = false;
    }
    opinion(&mut manual, "s1", true, 1500);
    opinion(&mut manual, "s2", true, 1500);
    let why = manual.failover_blocker(&settings, 1500).unwrap();
    assert!(why.contains("disabled"), "{why}");
}

#[test]
fn the_replica_chosen_honours_priority_offset_and_an_explicit_target() {
    let settings = settings();
    let mut state = group(0);
    assert_eq!(
        state.choose_replica(&id("p"), None, None, &settings, 10),
        Ok(id("r2"))
    );
    let mut never = beat("r2", Role::Replica, Some("p"), 100);
    never.priority = 0;
    hear(&mut state, never, 10);
    assert_eq!(
        state.choose_replica(&id("p"), None, None, &settings, 10),
        Ok(id("r1"))
    );
    // An operator may name a replica the automatic rule would pass over.
    assert_eq!(
        state.choose_replica(&id("p"), Some(&id("r2")), None, &settings, 10),
        Ok(id("r2"))
    );
    let mut stale = beat("r1", Role::Replica, Some("p"), 90);
    stale.link_down_ms = 60_000;
    hear(&mut state, stale, 10);
    let error = state
        .choose_replica(&id("p"), None, None, &settings, 10)
        .unwrap_err();
    assert!(error.contains("no replica of p is fit"), "{error}");
}

#[test]
fn frozen_positions_outrank_heartbeats_and_priority() {
    let settings = settings();
    let mut state = group(0);
    let mut preferred = beat("r2", Role::Replica, Some("p"), 100);
    preferred.priority = 1;
    hear(&mut state, preferred, 10);
    let at = |offset| Position::new(ReplId::none(), Offset(offset));
    // r1's heartbeat said 90, but frozen it holds more than r2: a write only r1 had
    // acknowledged when the primary died survives.
    let frozen = BTreeMap::from([(id("r1"), at(130)), (id("r2"), at(120))]);
    assert_eq!(
        state.choose_replica(&id("p"), None, Some(&frozen), &settings, 10),
        Ok(id("r1"))
    );
    let level = BTreeMap::from([(id("r1"), at(130)), (id("r2"), at(130))]);
    assert_eq!(
        state.choose_replica(&id("p"), None, Some(&level), &settings, 10),
        Ok(id("r2")),
        "priority breaks the tie"
    );
    // A replica that did not answer the freeze is not promoted, whatever it said before.
    let only_r1 = BTreeMap::from([(id("r1"), at(50))]);
    assert_eq!(
        state.choose_replica(&id("p"), None, Some(&only_r1), &settings, 10),
        Ok(id("r1"))
    );
}

#[test]
fn a_named_target_is_promoted_over_frozen_replicas_only_holding_as_much() {
    // The simulated network's seed 5491: a planned failover to r2 while the primary was
    // down promoted r2, though frozen r1 held a write r2 lacked.
    let settings = settings();
    let state = group(0);
    let at = |offset| Position::new(ReplId::none(), Offset(offset));
    let r1_ahead = BTreeMap::from([(id("r1"), at(130)), (id("r2"), at(120))]);
    let error = state
        .choose_replica(&id("p"), Some(&id("r2")), Some(&r1_ahead), &settings, 10)
        .unwrap_err();
    assert!(error.contains("r2"), "{error}");
    let level = BTreeMap::from([(id("r1"), at(130)), (id("r2"), at(130))]);
    assert_eq!(
        state.choose_replica(&id("p"), Some(&id("r2")), Some(&level), &settings, 10),
        Ok(id("r2"))
    );
}

#[test]
fn nodes_that_disagree_with_the_record_are_corrected_after_a_grace_period() {
    let settings = settings();
    let mut state = group(0);
    let (topology, _) = state.topology.clone().unwrap();
    let after = topology.failed_over(&id("r2"), Epoch(2)).unwrap();
    state.topology_changed(after, 2, 1000);
    assert!(
        state.corrections(&settings, 1050).is_empty(),
        "grace period"
    );
    hear(&mut state, beat("p", Role::Primary, None, 100), 1400);
    hear(&mut state, beat("r1", Role::Replica, Some("r2"), 100), 1400);
    hear(&mut state, beat("r2", Role::Replica, Some("p"), 100), 1400);
    let corrections = state.corrections(&settings, 1400);
    assert_eq!(
        corrections,
        vec![
            Correction::Follow {
                node: id("p"),
                primary: id("r2")
            },
            Correction::Promote { node: id("r2") },
        ]
    );
    // The old primary reports as a replica: that is news, once.
    hear(&mut state, beat("p", Role::Replica, Some("r2"), 100), 1500);
    assert_eq!(state.take_rejoined(), vec![id("p")]);
    assert!(state.take_rejoined().is_empty());
}

#[test]
fn a_node_that_joins_is_added_to_the_record_as_a_replica() {
    let settings = settings();
    let mut state = group(0);
    assert_eq!(state.updated_topology(&settings, 10), None);
    hear(&mut state, beat("r3", Role::Primary, None, 0), 20);
    let updated = state.updated_topology(&settings, 20).unwrap();
    assert!(updated.replicas.iter().any(|m| m.node == id("r3")));
    assert_eq!(updated.primary, id("p"));
}

#[test]
fn a_primary_back_without_its_data_is_down_however_alive_it_is() {
    let settings = settings();
    let mut state = group(0);
    let mut back = beat("p", Role::Primary, None, 0);
    back.restarted = true;
    hear(&mut state, back, 100);
    assert_eq!(
        state.opinion_of_primary(&settings, 100),
        Some((id("p"), true))
    );
    assert_eq!(
        state.choose_replica(&id("p"), None, None, &settings, 100),
        Ok(id("r2")),
        "the replica with the most data"
    );
}

#[test]
fn a_primary_whose_history_starts_afresh_restarted_unnoticed() {
    let settings = settings();
    let mut state = group(0);
    let mut fresh = beat("p", Role::Primary, None, 3);
    fresh.repl_id = ReplId::from_bytes([7; 20]);
    hear(&mut state, fresh.clone(), 100);
    assert_eq!(
        state.opinion_of_primary(&settings, 100),
        Some((id("p"), true))
    );
    // A history that continues the old one is a promotion, not a restart.
    let mut state = group(0);
    fresh.continues = Some(Position::new(ReplId::none(), Offset(100)));
    hear(&mut state, fresh, 100);
    assert_eq!(
        state.opinion_of_primary(&settings, 100),
        Some((id("p"), false))
    );
}

#[test]
fn a_restarted_primary_with_no_fit_replica_leads_again() {
    let settings = settings();
    let mut state = State::new(None);
    state.store_ready = true;
    hear(&mut state, beat("p", Role::Primary, None, 100), 0);
    let first = state.first_topology(&settings, 0).unwrap();
    state.topology_changed(first, 1, 0);
    let mut back = beat("p", Role::Primary, None, 0);
    back.restarted = true;
    hear(&mut state, back, 100);
    assert_eq!(
        state.choose_replica(&id("p"), None, None, &settings, 100),
        Ok(id("p"))
    );
    let (record, _) = state.topology.as_ref().unwrap();
    let again = record.failed_over(&id("p"), Epoch(2)).unwrap();
    assert_eq!((again.primary, again.epoch), (id("p"), Epoch(2)));
    // Promoted again in epoch 2, it is up: no failover loop.
    let mut promoted = beat("p", Role::Primary, None, 0);
    promoted.epoch = Epoch(2);
    hear(&mut state, promoted, 200);
    assert_eq!(
        state.opinion_of_primary(&settings, 200),
        Some((id("p"), false))
    );
}

#[test]
fn replicas_cut_off_by_their_primarys_restart_stay_fit_to_promote() {
    let settings = settings();
    let mut state = group(0);
    let mut back = beat("p", Role::Primary, None, 0);
    back.restarted = true;
    hear(&mut state, back.clone(), 100);
    // Twenty seconds later (the elections kept failing), the replicas' links have been
    // down since the restart: longer than ten down-after periods, yet their data is the
    // freshest there is.
    hear(&mut state, back, 20_100);
    for name in ["r1", "r2"] {
        let mut replica = beat(name, Role::Replica, Some("p"), 100);
        replica.link_up = false;
        replica.link_down_ms = 20_000;
        hear(&mut state, replica, 20_100);
    }
    assert_eq!(
        state.choose_replica(&id("p"), None, None, &settings, 20_100),
        Ok(id("r1"))
    );
}

#[test]
fn after_a_split_vote_the_next_attempt_comes_soon() {
    let settings = settings();
    let mut state = group(0);
    hear(&mut state, beat("r1", Role::Replica, Some("p"), 90), 1500);
    opinion(&mut state, "s1", true, 1500);
    opinion(&mut state, "s2", true, 1500);
    assert!(state.failover_due(&settings, 1500).is_some());
    assert!(
        state.failover_due(&settings, 1700).is_none(),
        "one attempt at a time"
    );
    state.retry_soon(1700, 200);
    opinion(&mut state, "s1", true, 1900);
    opinion(&mut state, "s2", true, 1900);
    assert!(state.failover_due(&settings, 1900).is_some());
}

#[test]
fn a_restarted_old_primary_is_re_pointed_when_the_failovers_own_re_point_was_lost() {
    let settings = settings();
    let mut state = group(0);
    let (record, revision) = state.topology.clone().unwrap();
    let moved = record.failed_over(&id("r2"), Epoch(2)).unwrap();
    state.topology_changed(moved, revision + 1, 0);
    let mut back = beat("p", Role::Primary, None, 0);
    back.restarted = true;
    hear(&mut state, back, 1000);
    hear(&mut state, beat("r2", Role::Primary, None, 100), 1000);
    hear(&mut state, beat("r1", Role::Replica, Some("r2"), 100), 1000);
    assert_eq!(
        state.corrections(&settings, 1000),
        vec![Correction::Follow {
            node: id("p"),
            primary: id("r2")
        }]
    );
}
