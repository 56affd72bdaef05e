//! Tests of the lookup, the table's invariants and the spec methods, against facts of
//! Redis 7.0 (<https://redis.io/commands/>).

use std::collections::HashSet;

use crate::{
    lookup, lookup_subcommand, subcommands_of, CommandId, CommandSpec, Flags, COMMANDS, SUBCOMMANDS,
};

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
        ("bitfield_ro", CommandId::BitfieldRo),
        ("pfcount", CommandId::Pfcount),
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

#[test]
fn bitmap_and_hyperloglog_commands_read_or_write_as_in_redis() {
    assert!(spec("bitfield").is_write());
    assert!(spec("bitfield_ro").is_readonly() && !spec("bitfield_ro").is_write());
    // PFCOUNT may refresh the cached cardinality, yet Redis flags it read-only.
    assert!(spec("pfcount").is_readonly() && !spec("pfcount").is_write());
    assert!(spec("pfdebug").is_write() && spec("pfdebug").is_admin());
    assert_eq!(keys("bitop", 6), [2, 3, 4, 5]);
    assert_eq!(keys("pfcount", 4), [1, 2, 3]);
    assert_eq!(keys("pfdebug", 3), [2]);
}

#[test]
fn subcommands_carry_their_own_arity_and_flags_and_the_container_id() {
    let get = lookup_subcommand(spec("config"), b"GeT").expect("config|get");
    assert_eq!(get.name, "config|get");
    assert_eq!(get.id, CommandId::Config);
    assert_eq!(get.arity, -3);
    assert!(get.is_admin());
    let load = lookup_subcommand(spec("function"), b"load").expect("function|load");
    assert!(load.is_write());
    assert!(lookup_subcommand(spec("config"), b"nope").is_none());
    assert!(lookup_subcommand(spec("get"), b"x").is_none());
}

#[test]
fn subcommands_of_a_container_are_its_own_only() {
    let names: Vec<_> = subcommands_of(spec("script")).map(|s| s.name).collect();
    assert!(names.contains(&"script|load") && names.contains(&"script|kill"));
    assert!(names.iter().all(|n| n.starts_with("script|")));
    assert_eq!(subcommands_of(spec("get")).count(), 0);
    // No subcommand's container is missing from the table.
    for sub in SUBCOMMANDS {
        let container = sub.name.split('|').next().unwrap_or_default();
        assert_eq!(lookup(container.as_bytes()).map(|c| c.id), Some(sub.id));
    }
}

fn call_keys(line: &str) -> Vec<usize> {
    let args: Vec<&str> = line.split(' ').collect();
    crate::key_indexes(spec(args[0]), &args)
}

#[test]
fn key_indexes_follow_numkeys_and_store_like_redis() {
    assert_eq!(
        call_keys("zunionstore dst 2 a b WEIGHTS 1 2"),
        vec![1, 3, 4]
    );
    assert_eq!(call_keys("zinter 2 a b"), vec![2, 3]);
    assert_eq!(call_keys("lmpop 1 l LEFT"), vec![2]);
    assert_eq!(call_keys("bzmpop 0 2 a b MIN"), vec![3, 4]);
    assert_eq!(call_keys("eval body 2 k1 k2 arg"), vec![3, 4]);
    assert_eq!(call_keys("fcall f 0 arg"), Vec::<usize>::new());
    assert_eq!(call_keys("sort k BY w GET store STORE dst"), vec![1, 7]);
    assert_eq!(call_keys("sort_ro k GET #"), vec![1]);
    assert_eq!(call_keys("get k"), vec![1]);
}

#[test]
fn key_indexes_of_a_bad_numkeys_are_none() {
    assert!(call_keys("zunion 3 a b").is_empty());
    assert!(call_keys("zunion x a").is_empty());
    assert!(call_keys("eval body -1").is_empty());
}
