//! LATENCY LATEST | HISTORY | RESET | DOCTOR | GRAPH | HISTOGRAM | HELP
//! (<https://redis.io/commands/latency-latest/>). Events are recorded by `observe` when a
//! command takes at least `latency-monitor-threshold` ms: `command`, or `fast-command` for
//! commands flagged fast, as Redis names them.

mod doctor;
mod sparkline;

use bytes::Bytes;

use self::sparkline::Sample;
use super::ctx::Ctx;
use crate::engine::error::{unknown_subcommand, CmdError};
use crate::engine::observed::latency::Series;
use crate::engine::observed::CommandStat;
use crate::engine::reply::Reply;

pub fn latency(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = args[1].to_ascii_lowercase();
    let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
    match (sub.as_slice(), args.len()) {
        (b"latest", 2) => Ok(latest(ctx)),
        (b"history", 3) => Ok(history(
            ctx.engine.observed.latency.series.get(&text(&args[2])),
        )),
        (b"reset", _) => {
            let names: Vec<String> = args[2..].iter().map(text).collect();
            Ok(Reply::Int(ctx.engine.observed.latency.reset(&names) as i64))
        }
        (b"doctor", 2) => Ok(Reply::Text(doctor::report(ctx.engine, ctx.now / 1000))),
        (b"graph", 3) => graph(ctx, &text(&args[2])),
        (b"histogram", _) => Ok(histogram(ctx, &args[2..])),
        (b"help", 2) => Ok(help()),
        (b"latest" | b"history" | b"doctor" | b"graph" | b"help", _) => Err(CmdError::WrongArity(
            format!("latency|{}", String::from_utf8_lossy(&sub)),
        )),
        _ => Err(unknown_subcommand(&args[1], "latency")),
    }
}

/// `[event, time of the latest sample, its latency, the all-time maximum]` per event.
fn latest(ctx: &Ctx) -> Reply {
    let events = ctx.engine.observed.latency.series.iter();
    let rows = events.filter_map(|(name, series)| {
        let last = series.samples.back()?;
        Some(Reply::Array(vec![
            Reply::bulk(name.as_bytes()),
            Reply::Int(last.time as i64),
            Reply::Int(last.ms as i64),
            Reply::Int(series.max as i64),
        ]))
    });
    Reply::Array(rows.collect())
}

fn history(series: Option<&Series>) -> Reply {
    let samples = series.into_iter().flat_map(|s| s.samples.iter());
    Reply::Array(
        samples
            .map(|s| Reply::Array(vec![Reply::Int(s.time as i64), Reply::Int(s.ms as i64)]))
            .collect(),
    )
}

/// The samples as Redis's sparkline, labelled by age.
fn graph(ctx: &Ctx, event: &str) -> Result<Reply, CmdError> {
    let Some(series) = ctx.engine.observed.latency.series.get(event) else {
        return Err(CmdError::err(format!(
            "No samples available for event '{event}'"
        )));
    };
    let now = ctx.now / 1000;
    let samples: Vec<Sample> = series
        .samples
        .iter()
        .map(|s| Sample {
            value: s.ms,
            label: sparkline::age_label(now.saturating_sub(s.time)),
        })
        .collect();
    let (high, low) = (
        series.samples.iter().map(|s| s.ms).max().unwrap_or(0),
        series.samples.iter().map(|s| s.ms).min().unwrap_or(0),
    );
    let mut out = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n",
        series.max
    );
    out.push_str(&"-".repeat(80));
    out.push('\n');
    out.push_str(&sparkline::render(&samples));
    Ok(Reply::Text(out))
}

/// `{command: {calls, histogram_usec: {bucket: cumulative count}}}` for the commands named
/// (with their subcommands) or every command that ran.
fn histogram(ctx: &Ctx, names: &[Bytes]) -> Reply {
    let stats = ctx.engine.observed.commands();
    let wanted = |full: &str| {
        names.is_empty()
            || names.iter().any(|n| {
                let n = String::from_utf8_lossy(n).to_ascii_lowercase();
                let base = full.split('|').next().unwrap_or(full);
                n == full || n == base
            })
    };
    let rows = stats
        .into_iter()
        .filter(|(name, stat)| stat.latency.total() > 0 && wanted(name))
        .map(|(name, stat)| (Reply::bulk(name.as_bytes()), command_cdf(stat)));
    Reply::Map(rows.collect())
}

fn command_cdf(stat: &CommandStat) -> Reply {
    let buckets = stat.latency.log_buckets().into_iter();
    let cdf = buckets.map(|(usec, count)| (Reply::Int(usec as i64), Reply::Int(count as i64)));
    Reply::Map(vec![
        (
            Reply::bulk(b"calls"),
            Reply::Int(stat.latency.total() as i64),
        ),
        (Reply::bulk(b"histogram_usec"), Reply::Map(cdf.collect())),
    ])
}

fn help() -> Reply {
    let lines = [
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Status(l.to_string())).collect())
}
