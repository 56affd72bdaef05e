//! Geo commands (<https://redis.io/commands/?group=geo>): points stored in a sorted set whose
//! scores are Redis's 52-bit geohashes, so every sorted-set command works on them too.
//!
//! Layout: [`hash`] (the geohash arithmetic and the boxes a search scans), [`search`]
//! (GEORADIUS*, GEOSEARCH, GEOSEARCHSTORE); GEOADD, GEODIST, GEOHASH and GEOPOS are here.
//! GEOADD runs as the ZADD it stands for (as Redis rewrites it), so it propagates ZADD.

mod area;
mod hash;
mod search;

use bytes::Bytes;

use self::search::Form;
use super::args;
use super::ctx::Ctx;
use super::zsets;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::Value;

/// `GEOADD key [NX|XX] [CH] longitude latitude member [...]`
pub fn geoadd(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let mut first = 2;
    let (mut nx, mut xx) = (false, false);
    while let Some(arg) = args.get(first) {
        match arg.to_ascii_lowercase().as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"ch" => {}
            _ => break,
        }
        first += 1;
    }
    let rest = &args[first..];
    if !rest.len().is_multiple_of(3) || (nx && xx) {
        return Err(CmdError::Syntax);
    }
    let mut zadd = Vec::with_capacity(first + rest.len() / 3 * 2);
    zadd.push(Bytes::from_static(b"ZADD"));
    zadd.extend_from_slice(&args[1..first]);
    for point in rest.chunks_exact(3) {
        let (lon, lat) = long_lat(&point[0], &point[1])?;
        let score = hash::score_of(lon, lat).unwrap_or(0);
        zadd.push(args::int_bytes(score as i64));
        zadd.push(point[2].clone());
    }
    zsets::zadd(ctx, &zadd)
}

/// `GEODIST key member1 member2 [M|KM|FT|MI]`
pub fn geodist(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let to_meters = match args.len() {
        4 => 1.0,
        5 => unit(&args[4])?,
        _ => return Err(CmdError::Syntax),
    };
    let Some(zset) = ctx.read_as(&args[1], Value::as_zset)? else {
        return Ok(Reply::Nil);
    };
    let (Some(a), Some(b)) = (zset.score(&args[2]), zset.score(&args[3])) else {
        return Ok(Reply::Nil);
    };
    let ((lon1, lat1), (lon2, lat2)) = (hash::point_of(a), hash::point_of(b));
    Ok(distance_text(
        hash::distance(lon1, lat1, lon2, lat2) / to_meters,
    ))
}

/// `GEOHASH key member...`: the standard 11-character geohash of each member.
pub fn geohash(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let zset = ctx.read_as(&args[1], Value::as_zset)?;
    let items = args[2..]
        .iter()
        .map(|m| match zset.and_then(|z| z.score(m)) {
            Some(score) => Reply::bulk(&hash::geohash_text(score)),
            None => Reply::Nil,
        })
        .collect();
    Ok(Reply::Array(items))
}

/// `GEOPOS key member...`: `[longitude, latitude]` of each member.
pub fn geopos(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let zset = ctx.read_as(&args[1], Value::as_zset)?;
    let items = args[2..]
        .iter()
        .map(|m| match zset.and_then(|z| z.score(m)) {
            Some(score) => {
                let (lon, lat) = hash::point_of(score);
                Reply::Array(vec![Reply::HumanDouble(lon), Reply::HumanDouble(lat)])
            }
            None => Reply::NilArray,
        })
        .collect();
    Ok(Reply::Array(items))
}

pub fn georadius(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    search::run(ctx, args, Form::Radius { store: true })
}

pub fn georadius_ro(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    search::run(ctx, args, Form::Radius { store: false })
}

pub fn georadiusbymember(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    search::run(ctx, args, Form::ByMember { store: true })
}

pub fn georadiusbymember_ro(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    search::run(ctx, args, Form::ByMember { store: false })
}

pub fn geosearch(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    search::run(ctx, args, Form::Search)
}

pub fn geosearchstore(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    search::run(ctx, args, Form::SearchStore)
}

/// A longitude and latitude inside the indexable range.
fn long_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let (lon, lat) = (args::float(lon)?, args::float(lat)?);
    if !hash::in_range(lon, lat) {
        return Err(CmdError::err(format!(
            "invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// Meters per unit.
fn unit(arg: &[u8]) -> Result<f64, CmdError> {
    match arg.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(CmdError::err(
            "unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// A distance as Redis answers it: `%.4f` in a bulk string.
fn distance_text(d: f64) -> Reply {
    Reply::Bulk(Bytes::from(format!("{d:.4}")))
}
