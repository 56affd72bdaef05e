//! A sentinel's own view of one node: SDOWN when either signal (heartbeats on the bus, PING on
//! the node's client address) has failed for `down_after`.

use crate::Millis;

#[derive(Debug, Clone, Default)]
pub struct Health {
    last_heartbeat: Option<Millis>,
    last_ping_ok: Option<Millis>,
    /// When this sentinel started watching, so a node never seen is judged from then.
    watching_since: Millis,
}

impl Health {
    pub fn new(now: Millis) -> Self {
        Health {
            watching_since: now,
            ..Health::default()
        }
    }

    pub fn heartbeat(&mut self, at: Millis) {
        self.last_heartbeat = Some(self.last_heartbeat.map_or(at, |t| t.max(at)));
    }

    pub fn ping_ok(&mut self, at: Millis) {
        self.last_ping_ok = Some(self.last_ping_ok.map_or(at, |t| t.max(at)));
    }

    /// Subjectively down: a signal silent for longer than `down_after`.
    pub fn sdown(&self, now: Millis, down_after: Millis) -> bool {
        self.down_reason(now, down_after).is_some()
    }

    /// Which signal failed, when the node is subjectively down.
    pub fn down_reason(&self, now: Millis, down_after: Millis) -> Option<&'static str> {
        let stale = |last: Option<Millis>| {
            let since = last.unwrap_or(self.watching_since);
            now.saturating_sub(since) > down_after
        };
        match (stale(self.last_heartbeat), stale(self.last_ping_ok)) {
            (true, true) => Some("no heartbeat on the bus and no reply to PING"),
            (true, false) => Some("no heartbeat on the bus"),
            (false, true) => Some("no reply to PING on its client address"),
            (false, false) => None,
        }
    }

    pub fn last_heartbeat(&self) -> Option<Millis> {
        self.last_heartbeat
    }

    /// Milliseconds since the last heartbeat (or since watching began).
    pub fn heartbeat_age(&self, now: Millis) -> Millis {
        now.saturating_sub(self.last_heartbeat.unwrap_or(self.watching_since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_signal_going_silent_is_enough() {
        let mut health = Health::new(0);
        health.heartbeat(900);
        health.ping_ok(900);
        assert!(!health.sdown(1500, 1000));
        health.heartbeat(1800);
        assert!(health.sdown(2000, 1000), "pings silent for 1100 ms");
        assert_eq!(
            health.down_reason(2000, 1000),
            Some("no reply to PING on its client address")
        );
        health.ping_ok(1900);
        assert!(!health.sdown(2000, 1000));
    }

    #[test]
    fn a_node_never_seen_goes_down_after_the_grace_period() {
        let health = Health::new(5_000);
        assert!(!health.sdown(5_900, 1000));
        assert!(health.sdown(6_100, 1000));
    }
}
