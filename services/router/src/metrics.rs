//! Counters and latency histograms per endpoint and command class, rendered in the
//! Prometheus text format, plus the backends' health.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::classify::Class;
use crate::Endpoint;

pub const CLASSES: [&str; 6] = ["read", "write", "other", "local", "session", "refused"];
/// Upper bounds of the latency buckets, in seconds (the last bucket is +Inf).
const BUCKETS: [f64; 12] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
];

pub fn class_index(class: Class) -> usize {
    CLASSES
        .iter()
        .position(|c| *c == class.label())
        .unwrap_or(2)
}

#[derive(Default)]
struct Cell {
    requests: AtomicU64,
    errors: AtomicU64,
    /// Cumulative counts are computed at render time; each bucket counts its own range.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

#[derive(Default)]
pub struct Metrics {
    cells: [[Cell; CLASSES.len()]; 3],
    pub connections: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub held_writes: AtomicU64,
    pub hold_timeouts: AtomicU64,
}

impl Metrics {
    /// `count` commands of one class answered together after `latency`, `errors` of them
    /// with an error the router produced.
    pub fn observe(
        &self,
        endpoint: Endpoint,
        class: usize,
        count: u64,
        errors: u64,
        latency: Duration,
    ) {
        let cell = &self.cells[endpoint as usize][class.min(CLASSES.len() - 1)];
        cell.requests.fetch_add(count, Ordering::Relaxed);
        if errors > 0 {
            cell.errors.fetch_add(errors, Ordering::Relaxed);
        }
        let seconds = latency.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        cell.buckets[bucket].fetch_add(count, Ordering::Relaxed);
        cell.sum_micros
            .fetch_add(latency.as_micros() as u64 * count, Ordering::Relaxed);
    }

    pub fn requests(&self, endpoint: Endpoint) -> u64 {
        self.cells[endpoint as usize]
            .iter()
            .map(|c| c.requests.load(Ordering::Relaxed))
            .sum()
    }

    pub fn errors(&self, endpoint: Endpoint) -> u64 {
        self.cells[endpoint as usize]
            .iter()
            .map(|c| c.errors.load(Ordering::Relaxed))
            .sum()
    }

    /// The Prometheus text exposition of the request metrics.
    pub fn render_requests(&self, out: &mut String) {
        out.push_str(
            "# HELP rgroup_router_requests_total Commands answered, by endpoint and class.\n",
        );
        out.push_str("# TYPE rgroup_router_requests_total counter\n");
        self.each(|endpoint, class, cell| {
            let _ = writeln!(
                out,
                "rgroup_router_requests_total{{endpoint=\"{endpoint}\",class=\"{class}\"}} {}",
                cell.requests.load(Ordering::Relaxed)
            );
        });
        out.push_str("# HELP rgroup_router_errors_total Commands the router answered with an error of its own.\n");
        out.push_str("# TYPE rgroup_router_errors_total counter\n");
        self.each(|endpoint, class, cell| {
            let _ = writeln!(
                out,
                "rgroup_router_errors_total{{endpoint=\"{endpoint}\",class=\"{class}\"}} {}",
                cell.errors.load(Ordering::Relaxed)
            );
        });
        out.push_str(
            "# HELP rgroup_router_latency_seconds Time from a command's arrival to its reply.\n",
        );
        out.push_str("# TYPE rgroup_router_latency_seconds histogram\n");
        self.each(|endpoint, class, cell| {
            let labels = format!("endpoint=\"{endpoint}\",class=\"{class}\"");
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += cell.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "rgroup_router_latency_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            cumulative += cell.buckets[BUCKETS.len()].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "rgroup_router_latency_seconds_bucket{{{labels},le=\"+Inf\"}} {cumulative}"
            );
            let sum = cell.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "rgroup_router_latency_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(
                out,
                "rgroup_router_latency_seconds_count{{{labels}}} {cumulative}"
            );
        });
    }

    fn each(&self, mut visit: impl FnMut(&str, &str, &Cell)) {
        for endpoint in Endpoint::ALL {
            for (c, class) in CLASSES.iter().enumerate() {
                visit(endpoint.name(), class, &self.cells[endpoint as usize][c]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_counted() {
        let metrics = Metrics::default();
        metrics.observe(Endpoint::Smart, 0, 3, 1, Duration::from_micros(80));
        metrics.observe(Endpoint::Smart, 0, 1, 0, Duration::from_secs(1));
        let mut text = String::new();
        metrics.render_requests(&mut text);
        assert!(text.contains("rgroup_router_requests_total{endpoint=\"smart\",class=\"read\"} 4"));
        assert!(text.contains("rgroup_router_errors_total{endpoint=\"smart\",class=\"read\"} 1"));
        assert!(text.contains(
            "rgroup_router_latency_seconds_bucket{endpoint=\"smart\",class=\"read\",le=\"0.0001\"} 3"
        ));
        assert!(text.contains(
            "rgroup_router_latency_seconds_bucket{endpoint=\"smart\",class=\"read\",le=\"+Inf\"} 4"
        ));
        assert_eq!(metrics.requests(Endpoint::Smart), 4);
    }
}
