//! Geo commands (https://redis.io/commands/?group=geo) against redis-server 7.0.15: the same
//! commands to both, the reply bytes compared whole, in RESP2 and RESP3; then replication
//! and the router's handling of GEORADIUS ... STORE.

use rg_testkit::{assert_eventually, Node};

use crate::raw_diff::{exchange, same_bytes};
use crate::reference::RedisServer;
use crate::replication::Group;
use crate::support::{connect, err, q, Raw};

pub(crate) fn pair(reference: &RedisServer, node: &Node, resp3: bool) -> (Raw, Raw) {
    let (mut redis, mut rg) = (Raw::to_port(reference.port), Raw::connect(node));
    if resp3 {
        // HELLO's own reply names each server; only the protocol switch matters.
        exchange(&mut redis, &["HELLO", "3"]);
        exchange(&mut rg, &["HELLO", "3"]);
    }
    (redis, rg)
}

#[rustfmt::skip]
const FIXED: &[&[&str]] = &[
    &["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
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
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC", "COUNT", "1"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "x"],
    &["GEORADIUS", "Sicily", "15", "37", "-1", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "abc", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "yd"],
    &["GEORADIUS", "Sicily", "200", "37", "200", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst", "WITHDIST"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"],
    &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst"],
    &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    &["GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst"],
    &["EXISTS", "dst"],
    &["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "dst"],
    &["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST"],
    &["GEORADIUSBYMEMBER", "Sicily", "nope", "200", "km"],
    &["GEORADIUSBYMEMBER", "missing", "nope", "200", "km", "STORE", "dst"],
    &["GEORADIUSBYMEMBER_RO", "Sicily", "Catania", "100", "mi", "WITHCOORD"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST"],
    &["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "10", "km"],
    &["GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "10", "km"],
    &["GEOSEARCH", "Sicily", "BYRADIUS", "10", "km", "ASC"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "ASC"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "BYBOX", "1", "1", "m"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "-1", "1", "m"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "x", "1", "m"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYBOX", "1", "x", "m"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "300", "km", "STORE", "x"],
    &["GEOSEARCH", "missing", "FROMMEMBER", "a", "BYRADIUS", "300", "km"],
    &["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "300", "km", "STOREDIST"],
    &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    &["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "300", "km", "WITHDIST"],
    &["GEOSEARCHSTORE", "dst", "missing", "FROMLONLAT", "15", "37", "BYRADIUS", "300", "km"],
    &["EXISTS", "dst"],
    &["GEOADD", "Sicily", "NX", "XX", "1", "2", "a"],
    &["GEOADD", "Sicily", "1", "2"],
    &["GEOADD", "Sicily", "1", "2", "a", "3"],
    &["GEOADD", "Sicily", "1", "86", "a"],
    &["GEOADD", "Sicily", "nan", "1", "a"],
    &["GEOADD", "Sicily", "CH", "13.361389", "38.115556", "Palermo", "1", "1", "new"],
    &["GEOADD", "Sicily", "XX", "CH", "2", "2", "Palermo", "1", "1", "other"],
    &["GEOADD", "Sicily", "NX", "3", "3", "Palermo", "4", "4", "other"],
    &["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
    &["SET", "str", "x"],
    &["GEOADD", "str", "1", "1", "a"],
    &["GEOPOS", "str", "a"],
    &["GEOSEARCH", "str", "FROMLONLAT", "1", "2", "BYBOX", "x", "1", "m"],
    &["GEORADIUS", "str", "1", "2", "1", "m"],
    &["GEOADD", "poles", "180", "85.05112878", "n", "-180", "-85.05112878", "s", "0", "0", "z"],
    &["GEOPOS", "poles", "n", "s", "z"],
    &["GEOHASH", "poles", "n", "s", "z"],
    &["GEOSEARCH", "poles", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km", "WITHDIST", "WITHHASH"],
    &["GEORADIUS", "poles", "179", "84", "500", "km", "WITHDIST"],
    &["GEORADIUS", "poles", "0", "0", "0", "m", "WITHDIST"],
    &["GEOADD", "odd", "GT", "1", "2", "a"],
    &["GEOADD", "odd", "ch", "nx", "1", "2", "a", "3", "4", "b"],
    &["GEORADIUS", "odd", "1", "2", "300", "km", "COUNT"],
    &["GEORADIUS", "odd", "1", "2", "300", "km", "STORE"],
    &["GEORADIUS_RO", "odd", "1", "2", "300", "km", "STORE", "x"],
    &["GEORADIUSBYMEMBER_RO", "odd", "a", "300", "km", "STOREDIST", "x"],
    &["GEOSEARCH", "odd", "FROMLONLAT", "1"],
    &["GEOSEARCH", "odd", "FROMMEMBER", "a", "FROMMEMBER", "b", "BYRADIUS", "1", "km"],
    &["GEOSEARCH", "odd", "FROMMEMBER", "a", "BYRADIUS", "1", "km", "BYRADIUS", "2", "km"],
    &["GEOSEARCH", "odd", "FROMMEMBER", "a", "BYBOX", "1", "km"],
    &["GEOSEARCHSTORE", "dst", "odd", "FROMMEMBER", "a", "BYRADIUS", "900", "km", "STORE", "x"],
    &["GEOSEARCHSTORE", "dst", "odd", "FROMMEMBER", "a", "BYRADIUS", "900", "km", "COUNT", "1", "ANY"],
    &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    &["SET", "dstr", "x"],
    &["GEOSEARCHSTORE", "dstr", "odd", "FROMMEMBER", "a", "BYRADIUS", "900", "km"],
    &["TYPE", "dstr"],
    &["GEOSEARCHSTORE", "odd", "odd", "FROMMEMBER", "a", "BYRADIUS", "10", "km", "STOREDIST"],
    &["ZRANGE", "odd", "0", "-1", "WITHSCORES"],
    &["GEORADIUSBYMEMBER", "missing", "a", "1", "km", "NOPE"],
    &["GEORADIUSBYMEMBER", "missing", "a", "x", "km"],
    &["GEORADIUS", "missing", "1", "2", "x", "km"],
    &["GEOSEARCH", "missing", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "COUNT", "0"],
    &["GEOSEARCH", "missing", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "ANY"],
    &["GEOSEARCH", "missing", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHDIST", "COUNT", "2", "DESC"],
    &["GEOPOS", "odd"],
    &["GEOHASH", "odd"],
    &["GEODIST", "odd", "a", "a"],
    &["GEOADD", "inf", "inf", "1", "a"],
    &["GEOADD", "big", "180", "85.05112878", "corner", "-180", "0", "w", "180", "0", "e"],
    &["GEORADIUS", "big", "180", "0", "10", "km", "WITHCOORD", "WITHDIST"],
    &["GEORADIUS", "big", "-180", "0", "10", "km", "WITHCOORD"],
    &["GEORADIUS", "big", "0", "0", "inf", "km", "WITHDIST"],
    &["GEOSEARCH", "big", "FROMLONLAT", "0", "0", "BYBOX", "inf", "1", "km"],
    &["GEOSEARCH", "big", "FROMLONLAT", "0", "0", "BYBOX", "50000", "50000", "km", "ASC"],
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
