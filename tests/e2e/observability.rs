//! SLOWLOG, LATENCY and the INFO sections about a node's own commands (commandstats,
//! errorstats, latencystats, cpu, cluster), compared with redis-server 7.0.15 where the
//! answer does not depend on timing.

use redis::Value;
use rg_testkit::Node;

use crate::raw_diff::same_bytes;
use crate::reference::RedisServer;
use crate::support::{connect, err, info_field, q, Raw};

/// A script that keeps the server busy for some milliseconds, the same way on both.
const BUSY: &str = "local i = 0 while i < 3000000 do i = i + 1 end return i";

const FIXED: &[&[&str]] = &[
    &["SLOWLOG", "HELP"],
    &["SLOWLOG", "GET", "-2"],
    &["SLOWLOG", "GET", "x"],
    &["SLOWLOG", "LEN", "x"],
    &["SLOWLOG", "RESET", "x"],
    &["SLOWLOG", "NOPE"],
    &["LATENCY", "HELP"],
    &["LATENCY", "LATEST", "x"],
    &["LATENCY", "HISTORY"],
    &["LATENCY", "HISTORY", "command"],
    &["LATENCY", "DOCTOR"],
    &["LATENCY", "GRAPH", "command"],
    &["LATENCY", "RESET"],
    &["LATENCY", "HISTOGRAM", "nosuch"],
    &["LATENCY", "NOPE"],
    &["CONFIG", "GET", "slowlog-max-len"],
    &["CONFIG", "GET", "slowlog-log-slower-than"],
    &["CONFIG", "GET", "latency-tracking"],
    &["CONFIG", "GET", "latency-tracking-info-percentiles"],
    &["CONFIG", "GET", "latency-monitor-threshold"],
    &["CONFIG", "SET", "slowlog-log-slower-than", "-2"],
    &["CONFIG", "SET", "slowlog-log-slower-than", "x"],
    &["CONFIG", "SET", "latency-tracking", "maybe"],
    &[
        "CONFIG",
        "SET",
        "latency-tracking-info-percentiles",
        "50 101",
    ],
    &["CONFIG", "SET", "latency-tracking-info-percentiles", "50 x"],
    &["CONFIG", "SET", "latency-monitor-threshold", "-1"],
    &["CONFIG", "SET", "latency-monitor-threshold", "1"],
    &["LATENCY", "DOCTOR"],
    &["INFO", "cluster"],
    &["INFO", "nosuch"],
];

#[test]
fn slowlog_and_latency_answer_the_bytes_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (Raw::to_port(reference.port), Raw::connect(&node));
    for args in FIXED {
        same_bytes(&mut redis, &mut rg, args);
    }
}

/// Which sections each form of INFO shows, in order.
#[test]
fn info_sections_are_those_redis_shows() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let (mut redis, mut rg) = (reference.connect(), connect(&node));
    let headers = |con: &mut redis::Connection, args: &[&str]| -> Vec<String> {
        let text: String = q(con, args);
        text.lines()
            .filter(|l| l.starts_with('#'))
            .map(String::from)
            .collect()
    };
    for args in [
        &["INFO"][..],
        &["INFO", "default"],
        &["INFO", "all"],
        &["INFO", "everything"],
        &["INFO", "server", "commandstats"],
        &["INFO", "CPU", "latencystats", "errorstats"],
        &["INFO", "default", "commandstats"],
        &["INFO", "nosuch"],
    ] {
        assert_eq!(
            headers(&mut rg, args),
            headers(&mut redis, args),
            "{args:?}"
        );
    }
    let cpu: String = q(&mut rg, &["INFO", "cpu"]);
    for field in [
        "used_cpu_sys:",
        "used_cpu_user_children:",
        "used_cpu_user_main_thread:",
    ] {
        assert!(cpu.contains(field), "{cpu}");
    }
}

#[test]
fn commandstats_errorstats_and_latencystats_count_as_redis_does() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    for con in [&mut reference.connect(), &mut connect(&node)] {
        let _: () = q(con, &["CONFIG", "RESETSTAT"]);
        let _: () = q(con, &["SET", "s", "v"]);
        let _: Option<String> = q(con, &["GET", "s"]);
        let _: Option<String> = q(con, &["GET", "s"]);
        err(con, &["LPUSH", "s", "x"]);
        err(con, &["GET"]);
        err(con, &["NOSUCHCOMMAND"]);
        let _: Value = q(con, &["CONFIG", "GET", "maxmemory"]);
        let field = |con: &mut redis::Connection, section: &str, name: &str| {
            info_field(con, section, name).unwrap_or_default()
        };
        let get = field(con, "commandstats", "cmdstat_get");
        assert!(get.starts_with("calls=2,usec="), "{get}");
        assert!(get.ends_with(",rejected_calls=1,failed_calls=0"), "{get}");
        let lpush = field(con, "commandstats", "cmdstat_lpush");
        assert!(
            lpush.ends_with(",rejected_calls=0,failed_calls=1"),
            "{lpush}"
        );
        let config = field(con, "commandstats", "cmdstat_config|get");
        assert!(config.starts_with("calls=1,"), "{config}");
        assert_eq!(field(con, "errorstats", "errorstat_ERR"), "count=2");
        assert_eq!(field(con, "errorstats", "errorstat_WRONGTYPE"), "count=1");
        assert_eq!(field(con, "stats", "total_error_replies"), "3");
        let p = field(con, "latencystats", "latency_percentiles_usec_get");
        let keys: Vec<&str> = p
            .split(',')
            .map(|kv| kv.split('=').next().unwrap_or(""))
            .collect();
        assert_eq!(keys, ["p50", "p99", "p99.9"], "{p}");
        assert!(p
            .split(',')
            .all(|kv| kv.split_once('=').is_some_and(|(_, v)| v.contains('.'))));
        let _: () = q(
            con,
            &[
                "CONFIG",
                "SET",
                "latency-tracking-info-percentiles",
                "50 99.99",
            ],
        );
        let p = field(con, "latencystats", "latency_percentiles_usec_get");
        assert!(p.starts_with("p50=") && p.contains(",p99.99="), "{p}");
        let _: () = q(con, &["CONFIG", "RESETSTAT"]);
        assert_eq!(field(con, "commandstats", "cmdstat_get"), "");
        assert_eq!(field(con, "errorstats", "errorstat_ERR"), "");
    }
}

#[test]
fn the_slow_log_keeps_what_redis_keeps() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(&mut con, &["CLIENT", "SETNAME", "logger"]);
    let _: () = q(&mut con, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    let _: () = q(&mut con, &["SLOWLOG", "RESET"]);
    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let mut mset = vec!["MSET"];
    mset.extend(many.iter().map(String::as_str));
    let _: () = q(&mut con, &mset);
    let long = "x".repeat(200);
    let _: () = q(&mut con, &["SET", "k", &long]);
    let entries: Vec<Value> = q(&mut con, &["SLOWLOG", "GET", "2"]);
    assert_eq!(entries.len(), 2);
    let fields = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        other => panic!("an entry is an array: {other:?}"),
    };
    let newest = fields(&entries[0]);
    assert_eq!(newest.len(), 6);
    let args: Vec<String> = redis::from_redis_value(&newest[3]).unwrap();
    assert_eq!(args[0], "SET");
    assert_eq!(args[2], format!("{}... (72 more bytes)", "x".repeat(128)));
    let name: String = redis::from_redis_value(&newest[5]).unwrap();
    assert_eq!(name, "logger");
    let addr: String = redis::from_redis_value(&newest[4]).unwrap();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let older: Vec<String> = redis::from_redis_value(&fields(&entries[1])[3]).unwrap();
    assert_eq!(older.len(), 32);
    assert_eq!(older[31], "... (10 more arguments)");
    let ids: Vec<i64> = entries
        .iter()
        .map(|e| redis::from_redis_value(&fields(e)[0]).unwrap())
        .collect();
    assert_eq!(ids[0], ids[1] + 1);
    assert!(q::<i64>(&mut con, &["SLOWLOG", "LEN"]) >= 3);
    let _: () = q(
        &mut con,
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
    );
    let _: () = q(&mut con, &["SLOWLOG", "RESET"]);
    let _: () = q(&mut con, &["SET", "k", "v"]);
    assert_eq!(q::<i64>(&mut con, &["SLOWLOG", "LEN"]), 0);
    assert_eq!(
        q::<Vec<Value>>(&mut con, &["SLOWLOG", "GET", "-1"]).len(),
        0
    );
}

#[test]
fn slow_commands_are_latency_events_and_histograms() {
    let node = Node::start(&[]);
    let mut con = connect(&node);
    let _: () = q(
        &mut con,
        &["CONFIG", "SET", "latency-monitor-threshold", "1"],
    );
    let _: i64 = q(&mut con, &["EVAL", BUSY, "0"]);
    let latest: Vec<(String, i64, i64, i64)> = q(&mut con, &["LATENCY", "LATEST"]);
    assert_eq!(latest.len(), 1, "{latest:?}");
    let (event, _, last, max) = &latest[0];
    assert_eq!(event, "command");
    assert!(*last >= 1 && max >= last);
    let history: Vec<(i64, i64)> = q(&mut con, &["LATENCY", "HISTORY", "command"]);
    assert_eq!(history.len(), 1);
    let doctor: String = q(&mut con, &["LATENCY", "DOCTOR"]);
    assert!(doctor.contains("command"), "{doctor}");
    let graph: String = q(&mut con, &["LATENCY", "GRAPH", "command"]);
    assert!(graph.starts_with("command - high"), "{graph}");
    let histogram: Value = q(&mut con, &["LATENCY", "HISTOGRAM", "eval", "set"]);
    let Value::Array(items) = histogram else {
        panic!("a map")
    };
    assert_eq!(items.len(), 2, "only eval ran: {items:?}");
    assert_eq!(
        redis::from_redis_value::<String>(&items[0]).unwrap(),
        "eval"
    );
    assert_eq!(
        q::<i64>(&mut con, &["LATENCY", "RESET", "command", "nope"]),
        1
    );
    assert_eq!(q::<Vec<Value>>(&mut con, &["LATENCY", "LATEST"]).len(), 0);
}

/// An error a script's command got counts once, whether the script raises it (redis.call)
/// or returns it (redis.pcall); an error the script makes counts too.
#[test]
fn script_errors_count_once_as_in_redis() {
    let reference = RedisServer::start();
    let node = Node::start(&[]);
    let mut answers = Vec::new();
    for con in [&mut reference.connect(), &mut connect(&node)] {
        let _: () = q(con, &["CONFIG", "RESETSTAT"]);
        let _: () = q(con, &["SET", "s", "x"]);
        err(con, &["EVAL", "return redis.call('lpush','s','x')", "0"]);
        err(con, &["EVAL", "return redis.pcall('lpush','s','x')", "0"]);
        err(con, &["EVAL", "return redis.error_reply('MY err')", "0"]);
        err(con, &["EVAL", "return redis.call('nosuch')", "0"]);
        let fields = ["errorstat_WRONGTYPE", "errorstat_MY", "errorstat_ERR"];
        let mut seen: Vec<String> = fields
            .iter()
            .map(|f| info_field(con, "errorstats", f).unwrap_or_default())
            .collect();
        seen.push(info_field(con, "stats", "total_error_replies").unwrap_or_default());
        let eval = info_field(con, "commandstats", "cmdstat_eval").unwrap_or_default();
        seen.push(
            eval.split(",rejected")
                .nth(1)
                .unwrap_or_default()
                .to_string(),
        );
        answers.push(seen);
    }
    assert_eq!(answers[1], answers[0]);
}
