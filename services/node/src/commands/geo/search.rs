//! GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and GEOSEARCHSTORE: one
//! parser and one search, as Redis's `georadiusGeneric` shares them, with its checks in its
//! order (the source's type first, then the arguments, then the option conflicts).

use bytes::Bytes;

use super::area::{Search, Shape};
use super::hash;
use super::{distance_text, long_lat, unit};
use crate::commands::args;
use crate::commands::ctx::Ctx;
use crate::commands::zsets;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::Value;
use crate::engine::zset::ZSet;

/// Which command is parsing: what it takes before its options and which options it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Radius { store: bool },
    ByMember { store: bool },
    Search,
    SearchStore,
}

impl Form {
    fn takes_store_key(self) -> bool {
        matches!(
            self,
            Form::Radius { store: true } | Form::ByMember { store: true }
        )
    }

    fn is_search(self) -> bool {
        matches!(self, Form::Search | Form::SearchStore)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

#[derive(Debug)]
struct Options {
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    any: bool,
    sort: Sort,
    count: usize,
    store: Option<Bytes>,
    storedist: bool,
}

/// What the centre and shape parsing found: Redis skips decoding a member (and reading a
/// FROMMEMBER's position) when the source key is missing.
#[derive(Debug, Default)]
struct Where {
    centre: Option<(f64, f64)>,
    shape: Option<(Shape, f64)>,
    from_given: bool,
}

/// One found member, with its score and position.
struct Point {
    member: Bytes,
    score: f64,
    lon: f64,
    lat: f64,
    dist: f64,
}

pub fn run(ctx: &mut Ctx, args: &[Bytes], form: Form) -> Result<Reply, CmdError> {
    let src = if form == Form::SearchStore {
        &args[2]
    } else {
        &args[1]
    };
    let zset = ctx.read_as(src, Value::as_zset)?;
    let (options, points) = compute(zset, args, form)?;
    let store = match form {
        Form::SearchStore => Some(args[1].clone()),
        _ => options.store.clone(),
    };
    match store {
        Some(dst) => {
            let mut result = ZSet::default();
            for p in &points {
                result.insert(&p.member, if options.storedist { p.dist } else { p.score });
            }
            let event = if form == Form::SearchStore {
                "geosearchstore"
            } else {
                "georadiusstore"
            };
            Ok(zsets::store_zset(ctx, &dst, result, event))
        }
        None => Ok(Reply::Array(
            points.iter().map(|p| point_reply(p, &options)).collect(),
        )),
    }
}

/// Parses and searches; a missing source finds nothing (after the arguments are checked).
fn compute(
    zset: Option<&ZSet>,
    args: &[Bytes],
    form: Form,
) -> Result<(Options, Vec<Point>), CmdError> {
    let (mut place, base) = fixed_part(zset, args, form)?;
    let options = parse_options(zset, args, base, form, &mut place)?;
    check(&options, &place, args, form)?;
    let (Some(zset), Some((lon, lat)), Some((shape, conversion))) =
        (zset, place.centre, place.shape)
    else {
        return Ok((options, Vec::new()));
    };
    let search = Search {
        longitude: lon,
        latitude: lat,
        shape,
        conversion,
    };
    let limit = if options.any { options.count } else { 0 };
    let mut points = find(zset, &search, limit);
    order(&mut points, &options);
    if options.count > 0 {
        points.truncate(options.count);
    }
    for p in &mut points {
        p.dist /= conversion;
    }
    Ok((options, points))
}

/// The centre and shape given before the options (GEORADIUS, GEORADIUSBYMEMBER), and where
/// the options start.
fn fixed_part(zset: Option<&ZSet>, args: &[Bytes], form: Form) -> Result<(Where, usize), CmdError> {
    let mut place = Where::default();
    match form {
        Form::Radius { .. } => {
            place.centre = Some(long_lat(&args[2], &args[3])?);
            place.shape = Some(radius(&args[4], &args[5])?);
            Ok((place, 6))
        }
        Form::ByMember { .. } => {
            if let Some(zset) = zset {
                place.centre = Some(member_position(zset, &args[2])?);
                place.shape = Some(radius(&args[3], &args[4])?);
            }
            Ok((place, 5))
        }
        Form::Search => Ok((place, 2)),
        Form::SearchStore => Ok((place, 3)),
    }
}

fn member_position(zset: &ZSet, member: &[u8]) -> Result<(f64, f64), CmdError> {
    let score = zset
        .score(member)
        .ok_or_else(|| CmdError::err("could not decode requested zset member"))?;
    Ok(hash::point_of(score))
}

fn radius(value: &[u8], unit_arg: &[u8]) -> Result<(Shape, f64), CmdError> {
    let r = args::parse_float(value).ok_or_else(|| CmdError::err("need numeric radius"))?;
    if r < 0.0 {
        return Err(CmdError::err("radius cannot be negative"));
    }
    Ok((Shape::Radius(r), unit(unit_arg)?))
}

fn bybox(w: &[u8], h: &[u8], unit_arg: &[u8]) -> Result<(Shape, f64), CmdError> {
    let width = args::parse_float(w).ok_or_else(|| CmdError::err("need numeric width"))?;
    let height = args::parse_float(h).ok_or_else(|| CmdError::err("need numeric height"))?;
    if height < 0.0 || width < 0.0 {
        return Err(CmdError::err("height or width cannot be negative"));
    }
    Ok((Shape::Box { width, height }, unit(unit_arg)?))
}

fn parse_options(
    zset: Option<&ZSet>,
    args: &[Bytes],
    base: usize,
    form: Form,
    place: &mut Where,
) -> Result<Options, CmdError> {
    let mut o = Options {
        withdist: false,
        withhash: false,
        withcoord: false,
        any: false,
        sort: Sort::None,
        count: 0,
        store: None,
        storedist: false,
    };
    let (mut from_member, mut from_loc, mut by_radius, mut by_box) = (false, false, false, false);
    let rest = &args[base..];
    let mut i = 0;
    while i < rest.len() {
        let left = rest.len() - i - 1;
        let arg = rest[i].to_ascii_lowercase();
        match arg.as_slice() {
            b"withdist" => o.withdist = true,
            b"withhash" => o.withhash = true,
            b"withcoord" => o.withcoord = true,
            b"any" => o.any = true,
            b"asc" => o.sort = Sort::Asc,
            b"desc" => o.sort = Sort::Desc,
            b"count" if left >= 1 => {
                let count = args::int(&rest[i + 1])?;
                if count <= 0 {
                    return Err(CmdError::err("COUNT must be > 0"));
                }
                o.count = count as usize;
                i += 1;
            }
            b"store" | b"storedist" if left >= 1 && form.takes_store_key() => {
                o.store = Some(rest[i + 1].clone());
                o.storedist = arg == b"storedist";
                i += 1;
            }
            b"storedist" if form == Form::SearchStore => o.storedist = true,
            b"frommember" if left >= 1 && form.is_search() && !from_loc => {
                if let Some(zset) = zset {
                    place.centre = Some(member_position(zset, &rest[i + 1])?);
                }
                from_member = true;
                i += 1;
            }
            b"fromlonlat" if left >= 2 && form.is_search() && !from_member => {
                place.centre = Some(long_lat(&rest[i + 1], &rest[i + 2])?);
                from_loc = true;
                i += 2;
            }
            b"byradius" if left >= 2 && form.is_search() && !by_box => {
                place.shape = Some(radius(&rest[i + 1], &rest[i + 2])?);
                by_radius = true;
                i += 2;
            }
            b"bybox" if left >= 3 && form.is_search() && !by_radius => {
                place.shape = Some(bybox(&rest[i + 1], &rest[i + 2], &rest[i + 3])?);
                by_box = true;
                i += 3;
            }
            _ => return Err(CmdError::Syntax),
        }
        i += 1;
    }
    place.from_given = from_member || from_loc;
    Ok(o)
}

fn check(o: &Options, place: &Where, args: &[Bytes], form: Form) -> Result<(), CmdError> {
    let storing = o.store.is_some() || form == Form::SearchStore;
    if storing && (o.withdist || o.withhash || o.withcoord) {
        let what = if form == Form::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CmdError::err(format!(
            "{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(&args[0]);
    if form.is_search() && !place.from_given {
        return Err(CmdError::err(format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if form.is_search() && place.shape.is_none() {
        return Err(CmdError::err(format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if o.any && o.count == 0 {
        return Err(CmdError::err("the ANY argument requires COUNT argument"));
    }
    Ok(())
}

/// The members inside the search, box by box in Redis's order, stopping at `limit` (ANY).
fn find(zset: &ZSet, search: &Search, limit: usize) -> Vec<Point> {
    let mut points = Vec::new();
    for cell in search.boxes() {
        if limit > 0 && points.len() >= limit {
            break;
        }
        let (min, max) = cell.score_range();
        let start = zset.count_below(|score, _| score < min);
        for (member, score) in zset.iter_from(start) {
            if score >= max {
                break;
            }
            let (lon, lat) = hash::point_of(score);
            if let Some(dist) = search.distance_to(lon, lat) {
                points.push(Point {
                    member: Bytes::copy_from_slice(member),
                    score,
                    lon,
                    lat,
                    dist,
                });
            }
            if limit > 0 && points.len() >= limit {
                break;
            }
        }
    }
    points
}

/// COUNT without ANY sorts nearest first when no order was asked (Redis does the same).
fn order(points: &mut [Point], o: &Options) {
    let sort = match o.sort {
        Sort::None if o.count > 0 && !o.any => Sort::Asc,
        sort => sort,
    };
    let by_dist = |a: &Point, b: &Point| a.dist.total_cmp(&b.dist);
    match sort {
        Sort::None => {}
        Sort::Asc => points.sort_by(by_dist),
        Sort::Desc => points.sort_by(|a, b| by_dist(b, a)),
    }
}

fn point_reply(p: &Point, o: &Options) -> Reply {
    let member = Reply::Bulk(p.member.clone());
    if !(o.withdist || o.withhash || o.withcoord) {
        return member;
    }
    let mut parts = vec![member];
    if o.withdist {
        parts.push(distance_text(p.dist));
    }
    if o.withhash {
        parts.push(Reply::Int(p.score as i64));
    }
    if o.withcoord {
        parts.push(Reply::Array(vec![
            Reply::HumanDouble(p.lon),
            Reply::HumanDouble(p.lat),
        ]));
    }
    Reply::Array(parts)
}
