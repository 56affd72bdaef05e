//! Latency spikes by event (<https://redis.io/docs/management/optimization/latency-monitor/>):
//! each event keeps its last 160 samples, at most one per second (the highest), with the
//! all-time maximum.

use std::collections::{BTreeMap, VecDeque};

const SAMPLES: usize = 160;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Unix seconds.
    pub time: u64,
    pub ms: u64,
}

#[derive(Debug, Default, Clone)]
pub struct Series {
    pub samples: VecDeque<Sample>,
    pub max: u64,
}

#[derive(Debug, Default)]
pub struct Events {
    pub series: BTreeMap<String, Series>,
}

impl Events {
    pub fn add(&mut self, event: &str, time: u64, ms: u64) {
        if !self.series.contains_key(event) {
            self.series.insert(event.to_string(), Series::default());
        }
        let Some(series) = self.series.get_mut(event) else {
            return;
        };
        series.max = series.max.max(ms);
        match series.samples.back_mut() {
            Some(last) if last.time == time => last.ms = last.ms.max(ms),
            _ => {
                series.samples.push_back(Sample { time, ms });
                if series.samples.len() > SAMPLES {
                    series.samples.pop_front();
                }
            }
        }
    }

    /// Drops the named events (all when none are named); returns how many existed.
    pub fn reset(&mut self, names: &[String]) -> usize {
        if names.is_empty() {
            let count = self.series.len();
            self.series.clear();
            return count;
        }
        names
            .iter()
            .filter(|n| self.series.remove(n.as_str()).is_some())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_the_highest() {
        let mut events = Events::default();
        events.add("command", 10, 5);
        events.add("command", 10, 7);
        events.add("command", 10, 3);
        events.add("command", 11, 2);
        let series = &events.series["command"];
        let samples: Vec<(u64, u64)> = series.samples.iter().map(|s| (s.time, s.ms)).collect();
        assert_eq!(samples, [(10, 7), (11, 2)]);
        assert_eq!(series.max, 7);
        assert_eq!(events.reset(&[]), 1);
    }
}
