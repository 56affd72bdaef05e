//! Geo commands (https://redis.io/commands/?group=geo) against redis-server 7.0.15: the same
//! commands to both, the reply bytes compared whole, in RESP2 and RESP3; then replication
//! and the router's handling of GEORADIUS ... STORE.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rg_testkit::{assert_eventually, Node};

use crate::raw_diff::{exchange, same_bytes};
use crate::reference::RedisServer;
use crate::replication::Group;
use crate::support::{connect, err, q, Raw};

fn pair(reference: &RedisServer, node: &Node, resp3: bool) -> (Raw, Raw) {
    let (mut redis, mut rg) = (Raw::to_port(reference.port), Raw::connect(node));
    if resp3 {
        // HELLO's own reply names each server; only the protocol switch matters.
        exchange(&mut redis, &["HELLO", "3"]);
        exchange(&mut rg, &["HELLO", "3"]);
    }
    (redis, rg)
}

const FIXED: &[&[&str]] = &[
    &[
        "GEOADD",
        "Sicily",
        "13.361389",
        "38.115556",
        "Palermo",
        "15.087269",
        "37.502669",
        "Catania",
    ],
    &["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
    &["GEODIST", "Sicily", "Palermo", "Catania"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "km"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "MI"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "ft", "x"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "yd"],
    &["GEODIST", "Sicily", "Palermo", "nope"],
    &["GEODIST", "missing", "a", "b"],
    &["GEOHASH", "Sicily", "Palermo", "Catania", "nope"],
    &["GEOHASH", "missing", "a"],
    &["GEOPOS", "Sicily", "Palermo", "nope", "Catania"],
    &["GEOPOS", "missing", "a"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "WITHDIST",
        "WITHCOORD",
        "WITHHASH",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "WITHDIST",
        "ASC",
        "COUNT",
        "1",
    ],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "COUNT",
        "1",
        "ANY",
    ],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "x"],
    &["GEORADIUS", "Sicily", "15", "37", "-1", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "abc", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "yd"],
    &["GEORADIUS", "Sicily", "200", "37", "200", "km"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "dst",
        "WITHDIST",
    ],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "dst",
    ],
    &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    &[
        "GEORADIUS",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "STOREDIST",
        "dst",
    ],
    &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    &["GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst"],
    &["EXISTS", "dst"],
    &[
        "GEORADIUS_RO",
        "Sicily",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "dst",
    ],
    &[
        "GEORADIUSBYMEMBER",
        "Sicily",
        "Palermo",
        "200",
        "km",
        "WITHDIST",
    ],
    &["GEORADIUSBYMEMBER", "Sicily", "nope", "200", "km"],
    &[
        "GEORADIUSBYMEMBER",
        "missing",
        "nope",
        "200",
        "km",
        "STORE",
        "dst",
    ],
    &[
        "GEORADIUSBYMEMBER_RO",
        "Sicily",
        "Catania",
        "100",
        "mi",
        "WITHCOORD",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYBOX",
        "400",
        "400",
        "km",
        "ASC",
        "WITHCOORD",
        "WITHDIST",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "10",
        "km",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMMEMBER",
        "nope",
        "BYRADIUS",
        "10",
        "km",
    ],
    &["GEOSEARCH", "Sicily", "BYRADIUS", "10", "km", "ASC"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "ASC"],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "1",
        "2",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "1",
        "m",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "1",
        "2",
        "BYRADIUS",
        "1",
        "m",
        "BYBOX",
        "1",
        "1",
        "m",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "1",
        "2",
        "BYBOX",
        "-1",
        "1",
        "m",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "1",
        "2",
        "BYBOX",
        "x",
        "1",
        "m",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "1",
        "2",
        "BYBOX",
        "1",
        "x",
        "m",
    ],
    &[
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "300",
        "km",
        "STORE",
        "x",
    ],
    &[
        "GEOSEARCH",
        "missing",
        "FROMMEMBER",
        "a",
        "BYRADIUS",
        "300",
        "km",
    ],
    &[
        "GEOSEARCHSTORE",
        "dst",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "300",
        "km",
        "STOREDIST",
    ],
    &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    &[
        "GEOSEARCHSTORE",
        "dst",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "300",
        "km",
        "WITHDIST",
    ],
    &[
        "GEOSEARCHSTORE",
        "dst",
        "missing",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "300",
        "km",
    ],
    &["EXISTS", "dst"],
    &["GEOADD", "Sicily", "NX", "XX", "1", "2", "a"],
    &["GEOADD", "Sicily", "1", "2"],
    &["GEOADD", "Sicily", "1", "2", "a", "3"],
    &["GEOADD", "Sicily", "1", "86", "a"],
    &["GEOADD", "Sicily", "nan", "1", "a"],
    &[
        "GEOADD",
        "Sicily",
        "CH",
        "13.361389",
        "38.115556",
        "Palermo",
        "1",
        "1",
        "new",
    ],
    &[
        "GEOADD", "Sicily", "XX", "CH", "2", "2", "Palermo", "1", "1", "other",
    ],
    &[
        "GEOADD", "Sicily", "NX", "3", "3", "Palermo", "4", "4", "other",
    ],
    &["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
    &["SET", "str", "x"],
    &["GEOADD", "str", "1", "1", "a"],
    &["GEOPOS", "str", "a"],
    &[
        "GEOSEARCH",
        "str",
        "FROMLONLAT",
        "1",
        "2",
        "BYBOX",
        "x",
        "1",
        "m",
    ],
    &["GEORADIUS", "str", "1", "2", "1", "m"],
    &[
        "GEOADD",
        "poles",
        "180",
        "85.05112878",
        "n",
        "-180",
        "-85.05112878",
        "s",
        "0",
        "0",
        "z",
    ],
    &["GEOPOS", "poles", "n", "s", "z"],
    &["GEOHASH", "poles", "n", "s", "z"],
    &[
        "GEOSEARCH",
        "poles",
        "FROMLONLAT",
        "0",
        "0",
        "BYRADIUS",
        "30000",
        "km",
        "WITHDIST",
        "WITHHASH",
    ],
    &["GEORADIUS", "poles", "179", "84", "500", "km", "WITHDIST"],
    &["GEORADIUS", "poles", "0", "0", "0", "m", "WITHDIST"],
];

#[test]
fn fixed_geo_commands_answer_the_bytes_redis_does() {
    for resp3 in [false, true] {
        let reference = RedisServer::start();
        let node = Node::start(&[]);
        let (mut redis, mut rg) = pair(&reference, &node, resp3);
        for args in FIXED {
            same_bytes(&mut redis, &mut rg, args);
        }
    }
}

/// Random points and searches around them: every reply byte-identical.
#[test]
fn random_geo_searches_answer_the_bytes_redis_does() {
    for (resp3, seed) in [(false, 11), (true, 12)] {
        let reference = RedisServer::start();
        let node = Node::start(&[]);
        let (mut redis, mut rg) = pair(&reference, &node, resp3);
        let mut rng = SmallRng::seed_from_u64(seed);
        let centres = [
            (2.35, 48.85),
            (-73.98, 40.75),
            (139.69, 35.68),
            (179.9, -0.1),
            (0.0, 84.0),
            (-179.99, 85.0),
            (90.0, -85.0),
        ];
        let mut found = 0;
        for _ in 0..1500 {
            let (clon, clat) = centres[rng.gen_range(0..centres.len())];
            let command = random_command(&mut rng, clon, clat);
            let args: Vec<&str> = command.iter().map(String::as_str).collect();
            let reply = same_bytes(&mut redis, &mut rg, &args);
            if args.contains(&"dst") {
                same_bytes(
                    &mut redis,
                    &mut rg,
                    &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
                );
            }
            if args[0].starts_with("GEOR") || args[0] == "GEOSEARCH" {
                found += usize::from(!reply.starts_with("*0\r\n") && !reply.starts_with('-'));
            }
        }
        assert!(found > 200, "only {found} searches found something");
    }
}

/// A coordinate near `centre`, inside `limit`. Points past the limit are drawn again near
/// it rather than clamped: identical points tie in distance, and Redis's partial sort (COUNT)
/// orders ties in its own way.
fn coord(rng: &mut SmallRng, centre: f64, spread: f64, limit: f64) -> String {
    let mut v: f64 = centre + rng.gen_range(-spread..spread);
    if v.abs() > limit {
        v = v.signum() * (limit - rng.gen_range(0.0..1.0));
    }
    format!("{v:.6}")
}

fn random_command(rng: &mut SmallRng, clon: f64, clat: f64) -> Vec<String> {
    let key = ["g1", "g2"][rng.gen_range(0..2)].to_string();
    let spread = [0.01, 0.5, 5.0, 40.0][rng.gen_range(0..4)];
    let lon = |rng: &mut SmallRng| coord(rng, clon, spread, 180.0);
    let lat = |rng: &mut SmallRng| coord(rng, clat, spread, 85.05);
    let unit = ["m", "km", "mi", "ft"][rng.gen_range(0..4)].to_string();
    let size = |rng: &mut SmallRng, unit: &str| {
        let meters = [
            100.0,
            5_000.0,
            100_000.0,
            2_000_000.0,
            9_000_000.0,
            30_000_000.0,
        ][rng.gen_range(0..6)]
            * rng.gen_range(0.5..2.0);
        let per = match unit {
            "km" => 1000.0,
            "mi" => 1609.34,
            "ft" => 0.3048,
            _ => 1.0,
        };
        format!("{:.3}", meters / per)
    };
    let member = |rng: &mut SmallRng| format!("m{}", rng.gen_range(0..60));
    let mut words: Vec<String> = match rng.gen_range(0..10) {
        0..=2 => {
            let mut w = vec!["GEOADD".into(), key];
            for _ in 0..rng.gen_range(1..6) {
                w.extend([lon(rng), lat(rng), member(rng)]);
            }
            w
        }
        3 => vec!["GEODIST".into(), key, member(rng), member(rng), unit],
        4 => vec!["GEOPOS".into(), key, member(rng), member(rng)],
        5 => vec!["GEOHASH".into(), key, member(rng), member(rng)],
        6 => vec![
            "GEORADIUS_RO".into(),
            key,
            lon(rng),
            lat(rng),
            size(rng, &unit),
            unit,
        ],
        7 => vec![
            "GEORADIUSBYMEMBER_RO".into(),
            key,
            member(rng),
            size(rng, &unit),
            unit,
        ],
        _ => {
            let mut w = vec!["GEOSEARCH".into(), key];
            if rng.gen_bool(0.3) {
                w.extend(["FROMMEMBER".into(), member(rng)]);
            } else {
                w.extend(["FROMLONLAT".into(), lon(rng), lat(rng)]);
            }
            if rng.gen_bool(0.5) {
                w.extend(["BYRADIUS".into(), size(rng, &unit), unit]);
            } else {
                w.extend(["BYBOX".into(), size(rng, &unit), size(rng, &unit), unit]);
            }
            w
        }
    };
    if words[0].starts_with("GEOR") || words[0] == "GEOSEARCH" {
        for option in ["WITHDIST", "WITHCOORD", "WITHHASH", "ASC", "DESC"] {
            if rng.gen_bool(0.3) {
                words.push(option.into());
            }
        }
        if rng.gen_bool(0.3) {
            words.extend(["COUNT".into(), rng.gen_range(1..5).to_string()]);
            if rng.gen_bool(0.3) {
                words.push("ANY".into());
            }
        }
    }
    // Some searches store instead, where Redis allows it (WITH* options make it an error).
    if words[0] == "GEOSEARCH" && rng.gen_bool(0.2) {
        words[0] = "GEOSEARCHSTORE".into();
        words.insert(1, "dst".into());
        if rng.gen_bool(0.5) {
            words.push("STOREDIST".into());
        }
    } else if words[0] == "GEORADIUS_RO" && rng.gen_bool(0.2) {
        words[0] = "GEORADIUS".into();
        let store = if rng.gen_bool(0.5) {
            "STORE"
        } else {
            "STOREDIST"
        };
        words.extend([store.into(), "dst".into()]);
    }
    words
}

/// GEOADD and the STORE forms replicate; a replica answers the read-only searches and
/// refuses GEORADIUS (a write command in Redis's table, STORE or not) as Redis's does.
#[test]
fn geo_writes_replicate_and_replicas_answer_the_read_only_forms() {
    let group = Group::new("geo");
    let primary = group.node("p", None, &[]);
    let replica = group.node("r", Some("p"), &[]);
    let (mut con, mut reader) = (connect(&primary), connect(&replica));
    let _: i64 = q(
        &mut con,
        &[
            "GEOADD",
            "g",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
        ],
    );
    let stored: i64 = q(
        &mut con,
        &[
            "GEORADIUS",
            "g",
            "15",
            "37",
            "200",
            "km",
            "STOREDIST",
            "near",
        ],
    );
    assert_eq!(stored, 2);
    let _: i64 = q(
        &mut con,
        &[
            "GEOSEARCHSTORE",
            "box",
            "g",
            "FROMMEMBER",
            "Palermo",
            "BYBOX",
            "10",
            "10",
            "km",
        ],
    );
    assert_eventually!(q::<i64>(&mut reader, &["EXISTS", "box"]) == 1);
    for key in ["g", "near", "box"] {
        let range = ["ZRANGE", key, "0", "-1", "WITHSCORES"];
        assert_eq!(
            q::<Vec<String>>(&mut reader, &range),
            q::<Vec<String>>(&mut con, &range)
        );
    }
    let search = [
        "GEOSEARCH",
        "g",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "200",
        "km",
        "ASC",
    ];
    assert_eq!(
        q::<Vec<String>>(&mut reader, &search),
        ["Catania", "Palermo"]
    );
    assert_eq!(
        err(&mut reader, &["GEORADIUS", "g", "15", "37", "200", "km"]),
        "READONLY You can't write against a read only replica."
    );
}
