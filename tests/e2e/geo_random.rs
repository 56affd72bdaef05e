//! Random geo commands against redis-server 7.0.15: points around a few centres (the poles
//! and the antimeridian among them), searches of every shape and size, their stores; every
//! reply byte-identical, in RESP2 and RESP3.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rg_testkit::Node;

use crate::geo::pair;
use crate::raw_diff::same_bytes;
use crate::reference::RedisServer;

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
