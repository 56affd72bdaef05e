//! The INFO sections about what the node observed of itself: `cpu` (getrusage),
//! `commandstats`, `errorstats` and `latencystats`, in Redis 7.0's field formats.

use crate::engine::observed::Observed;
use crate::engine::settings::percentile_text;
use crate::engine::Engine;

pub fn commandstats(observed: &Observed) -> Vec<(String, String)> {
    observed
        .commands()
        .into_iter()
        .filter(|(_, s)| s.calls + s.rejected + s.failed > 0)
        .map(|(name, s)| {
            let per_call = if s.calls > 0 {
                s.usec as f64 / s.calls as f64
            } else {
                0.0
            };
            let value = format!(
                "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                s.calls, s.usec, s.rejected, s.failed
            );
            (format!("cmdstat_{name}"), value)
        })
        .collect()
}

pub fn errorstats(observed: &Observed) -> Vec<(String, String)> {
    let errors = observed.errors.iter();
    errors
        .map(|(code, count)| (format!("errorstat_{code}"), format!("count={count}")))
        .collect()
}

pub fn latencystats(engine: &Engine) -> Vec<(String, String)> {
    let percentiles = &engine.settings.latency_tracking_info_percentiles;
    let commands = engine.observed.commands().into_iter();
    commands
        .filter(|(_, s)| s.latency.total() > 0)
        .map(|(name, s)| {
            let values: Vec<String> = percentiles
                .iter()
                .map(|p| {
                    let usec = s.latency.value_at_percentile(*p) as f64 / 1000.0;
                    format!("p{}={usec:.3}", percentile_text(*p))
                })
                .collect();
            (format!("latency_percentiles_usec_{name}"), values.join(","))
        })
        .collect()
}

/// CPU seconds of the process, its children and the calling thread (the one running the
/// engine's commands), as `%ld.%06ld`.
pub fn cpu() -> Vec<(&'static str, String)> {
    let (self_sys, self_user) = usage(libc::RUSAGE_SELF);
    let (child_sys, child_user) = usage(libc::RUSAGE_CHILDREN);
    let (thread_sys, thread_user) = usage(libc::RUSAGE_THREAD);
    vec![
        ("used_cpu_sys", self_sys),
        ("used_cpu_user", self_user),
        ("used_cpu_sys_children", child_sys),
        ("used_cpu_user_children", child_user),
        ("used_cpu_sys_main_thread", thread_sys),
        ("used_cpu_user_main_thread", thread_user),
    ]
}

fn usage(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage writes a whole `rusage` into the zeroed struct we own and reads
    // nothing else; std has no equivalent. A failure leaves zeros, reported as 0.000000.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let text = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (text(usage.ru_stime), text(usage.ru_utime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_read_as_seconds_and_microseconds() {
        for (name, value) in cpu() {
            let (secs, micros) = value.split_once('.').expect(name);
            assert!(
                secs.parse::<u64>().is_ok() && micros.len() == 6,
                "{name}:{value}"
            );
        }
    }
}
