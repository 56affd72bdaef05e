//! Tests of the lookup, the table's invariants and the spec methods, against facts of
//! Redis 7.0 (<https://redis.io/commands/>).

use std::collections::HashSet;

use crate::{lookup, CommandId, CommandSpec, Flags, COMMANDS};

fn spec(name: &str) -> &'static CommandSpec {
    lookup(name.as_bytes()).unwrap_or_else(|| panic!("{name} is in the table"))
}

fn keys(name: &str, argc: usize) -> Vec<usize> {
    spec(name).key_positions(argc).collect()
}

#[test]
fn lookup_ignores_case() {
    for name in ["GET", "get", "GeT"] {
        assert_eq!(lookup(name.as_bytes()).map(|c| c.id), Some(CommandId::Get));
    }
}

#[test]
fn lookup_of_an_unknown_name_is_none() {
    assert!(lookup(b"nosuchcommand").is_none());
    assert!(lookup(b"").is_none());
    assert!(lookup(b"get ").is_none());
}

#[test]
fn lookup_of_a_name_longer_than_32_bytes_is_none() {
    assert!(lookup(&[b'a'; 33]).is_none());
    let long = format!("get{}", " ".repeat(40));
    assert!(lookup(long.as_bytes()).is_none());
}

#[test]
fn table_names_are_lowercase_and_unique() {
    let mut seen = HashSet::new();
    for c in COMMANDS {
        assert_eq!(
            c.name,
            c.name.to_ascii_lowercase(),
            "{} is lowercase",
            c.name
        );
        assert!(seen.insert(c.name), "{} appears once", c.name);
    }
}

#[test]
fn table_ids_are_unique_and_match_names() {
    let ids: HashSet<CommandId> = COMMANDS.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), COMMANDS.len());
    for c in COMMANDS {
        assert!(
            format!("{:?}", c.id).eq_ignore_ascii_case(&c.name.replace('_', "")),
            "{}",
            c.name
        );
    }
}

#[test]
fn command_ids_of_a_few_entries() {
    let expected = [
        ("get", CommandId::Get),
        ("setnx", CommandId::Setnx),
        ("zrangebyscore", CommandId::Zrangebyscore),
        ("rpoplpush", CommandId::Rpoplpush),
        ("flushall", CommandId::Flushall),
        ("pubsub", CommandId::Pubsub),
    ];
    for (name, id) in expected {
        assert_eq!(spec(name).id, id);
    }
}

#[test]
fn arity_of_get_is_exactly_two() {
    let get = spec("get");
    assert!(!get.arity_ok(1));
    assert!(get.arity_ok(2));
    assert!(!get.arity_ok(3));
}

#[test]
fn arity_of_set_is_at_least_three() {
    let set = spec("set");
    assert!(!set.arity_ok(2));
    assert!(set.arity_ok(3));
    assert!(set.arity_ok(7));
}

#[test]
fn key_positions_of_fixed_and_stepped_commands() {
    assert_eq!(keys("get", 2), [1]);
    assert_eq!(keys("mset", 7), [1, 3, 5]);
    assert_eq!(keys("rename", 3), [1, 2]);
    assert_eq!(keys("ping", 2), Vec::<usize>::new());
}

#[test]
fn key_positions_of_blpop_leave_out_the_timeout() {
    assert_eq!(keys("blpop", 5), [1, 2, 3]);
    assert_eq!(keys("blpop", 3), [1]);
}

#[test]
fn key_positions_never_pass_the_end_of_argv() {
    assert_eq!(keys("get", 1), Vec::<usize>::new());
    assert_eq!(keys("rename", 2), [1]);
    assert_eq!(keys("blpop", 1), Vec::<usize>::new());
}

#[test]
fn key_positions_of_movable_key_commands_give_the_fixed_keys_only() {
    assert!(spec("zunionstore").flags.contains(Flags::MOVABLEKEYS));
    assert_eq!(keys("zunionstore", 5), [1]);
    assert!(spec("sintercard").flags.contains(Flags::MOVABLEKEYS));
    assert_eq!(keys("sintercard", 4), Vec::<usize>::new());
}

#[test]
fn flags_of_reads_writes_and_blocking_commands() {
    let set = spec("set");
    assert!(set.is_write() && set.flags.contains(Flags::WRITE | Flags::DENYOOM));
    let get = spec("get");
    assert!(get.is_readonly() && get.flags.contains(Flags::READONLY | Flags::FAST));
    assert!(!get.is_write());
    assert!(spec("blpop").is_blocking());
    assert!(spec("subscribe").is_pubsub());
    assert!(spec("shutdown").is_admin());
}

#[test]
fn rgroup_routing_flags() {
    assert!(spec("multi").flags.contains(Flags::TRANSACTION));
    assert!(spec("select").flags.contains(Flags::CONNECTION_STATE));
    assert!(!spec("get")
        .flags
        .contains(Flags::TRANSACTION | Flags::CONNECTION_STATE));
}

#[test]
fn flag_names_follow_redis_and_hide_rgroup_flags() {
    let names: Vec<_> = spec("multi").flags.names().collect();
    assert_eq!(
        names,
        ["noscript", "loading", "stale", "fast", "allow_busy"]
    );
    let names: Vec<_> = spec("set").flags.names().collect();
    assert_eq!(names, ["write", "denyoom"]);
}

#[test]
fn flags_debug_shows_every_flag() {
    let debug = format!("{:?}", Flags::WRITE | Flags::TRANSACTION);
    assert_eq!(debug, r#"{"write", "TRANSACTION"}"#);
}
