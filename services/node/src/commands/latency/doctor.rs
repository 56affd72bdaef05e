//! LATENCY DOCTOR: Redis's report in its shape (the events seen with their statistics, then
//! advice for the kinds of event rg-node records). Redis's texts for a disabled monitor and
//! for no events are kept word for word; the per-event lines follow Redis's format.

use crate::engine::observed::latency::Series;
use crate::engine::Engine;

const DISABLED: &str = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in \
this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in \
order to enable it. If we weren't in a deep space mission I'd suggest to take a look at \
https://redis.io/topics/latency-monitor.\n";

const NOTHING: &str = "Dave, no latency spike was observed during the lifetime of this Redis \
instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a \
stress pill, and think things over.\n";

const SLOWLOG_INSPECT: &str = "- Check your Slow Log to understand what are the commands you \
are running which are too slow to execute. Please check https://redis.io/commands/slowlog for \
more information.\n";

const LARGE_OBJECTS: &str = "- Deleting, expiring or evicting (because of maxmemory policy) \
large objects is a blocking operation. If you have very large objects that are often deleted, \
expired, or evicted, try to fragment those objects into multiple smaller objects.\n";

const SCHEDULER: &str = "- The system is slow to execute Redis code paths not containing \
system calls. This usually means the system does not provide Redis CPU time to run for long \
periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for \
Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy \
neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic \
latency in your system.\n";

pub fn report(engine: &Engine, now: u64) -> String {
    let series = &engine.observed.latency.series;
    let threshold = engine.settings.latency_monitor_threshold;
    if series.is_empty() {
        return if threshold == 0 { DISABLED } else { NOTHING }.into();
    }
    let mut out = String::from(
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking \
         about it, do you Dave?\n\n",
    );
    let mut advice = String::new();
    for (i, (event, s)) in series.iter().enumerate() {
        out.push_str(&event_line(i + 1, event, s, now));
        out.push('\n');
        match event.as_str() {
            "command" => {
                advice.push_str(&slowlog_advice(engine));
                advice.push_str(SLOWLOG_INSPECT);
                advice.push_str(LARGE_OBJECTS);
            }
            "fast-command" => advice.push_str(SCHEDULER),
            _ => {}
        }
    }
    out.push_str("\nI have a few advices for you:\n\n");
    out.push_str(&advice);
    out
}

/// `N. event: n latency spikes (average, mean deviation, period). Worst all time event.`
fn event_line(n: usize, event: &str, s: &Series, now: u64) -> String {
    let samples = s.samples.len().max(1) as u64;
    let avg = s.samples.iter().map(|x| x.ms).sum::<u64>() / samples;
    let mad = s.samples.iter().map(|x| x.ms.abs_diff(avg)).sum::<u64>() / samples;
    let first = s.samples.front().map_or(now, |x| x.time);
    let period = now.saturating_sub(first) as f64 / samples as f64;
    format!(
        "{n}. {event}: {} latency spikes (average {avg}ms, mean deviation {mad}ms, period \
         {period:.2} sec). Worst all time event {}ms.",
        s.samples.len(),
        s.max
    )
}

fn slowlog_advice(engine: &Engine) -> String {
    let settings = &engine.settings;
    let suggested = settings.latency_monitor_threshold * 1000;
    if settings.slowlog_log_slower_than < 0 || settings.slowlog_max_len == 0 {
        return format!(
            "- There are latency issues with potentially slow commands you are using. Try to \
             enable the Slow Log Redis feature using the command 'CONFIG SET \
             slowlog-log-slower-than {suggested}'. If the Slow log is disabled Redis is not \
             able to log slow commands execution for you.\n"
        );
    }
    if settings.slowlog_log_slower_than as u64 / 1000 > settings.latency_monitor_threshold {
        return format!(
            "- Your current Slow Log configuration only logs events that are slower than your \
             configured latency monitor threshold. Please use 'CONFIG SET \
             slowlog-log-slower-than {suggested}'.\n"
        );
    }
    String::new()
}
