//! CLIENT PAUSE (<https://redis.io/commands/client-pause/>): until a deadline, clients'
//! commands wait (all of them, or those that may write); expiry and eviction wait too, so
//! the dataset holds still, which is what a failover wants from a paused primary.

use std::sync::Arc;

use tokio::sync::Notify;

use super::keyspace::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseKind {
    /// Commands that may write or replicate (writes, EVAL, PUBLISH...).
    Write,
    All,
}

#[derive(Debug, Default)]
pub struct Pause {
    until: Millis,
    kind: Option<PauseKind>,
    /// Woken on CLIENT UNPAUSE so waiting clients retry before the deadline.
    resumed: Arc<Notify>,
}

impl Pause {
    /// A new pause extends one still in force: the later deadline, the stricter kind.
    pub fn start(&mut self, now: Millis, until: Millis, kind: PauseKind) {
        if self.active(now).is_none() {
            self.kind = None;
        }
        self.until = self.until.max(until);
        self.kind = self.kind.max(Some(kind));
    }

    pub fn end(&mut self) {
        self.kind = None;
        self.until = 0;
        self.resumed.notify_waiters();
    }

    /// The pause in force at `now`, if any, with its deadline.
    #[inline]
    pub fn active(&self, now: Millis) -> Option<(PauseKind, Millis)> {
        let kind = self.kind?;
        (self.until > now).then_some((kind, self.until))
    }

    /// Whether keys may not be expired or evicted now.
    #[inline]
    pub fn holds_writes(&self, now: Millis) -> bool {
        self.active(now).is_some()
    }

    pub fn resumed(&self) -> Arc<Notify> {
        self.resumed.clone()
    }
}
