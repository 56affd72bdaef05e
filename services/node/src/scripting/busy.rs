//! A script that runs long, as Redis handles it: past `busy-reply-threshold` other clients
//! get BUSY instead of waiting, and SCRIPT KILL (FUNCTION KILL) stops it, unless it has
//! written, in which case stopping it would leave half its work done (UNKILLABLE). Shared
//! between the run (under the engine's lock) and the connections (outside it), so atomics.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Running {
    /// When the run started (ms since the epoch), 0 when none runs.
    since: AtomicU64,
    /// `busy-reply-threshold` as of the run's start; 0: never busy.
    threshold_ms: AtomicU64,
    function: AtomicBool,
    wrote: AtomicBool,
    kill: AtomicBool,
    /// The node is stopping: a run still going ends the process.
    exit: AtomicBool,
}

/// What SCRIPT KILL gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    Killed,
    NotBusy,
    Unkillable,
}

impl Running {
    pub fn start(&self, now: u64, threshold_ms: u64, function: bool) {
        self.threshold_ms.store(threshold_ms, Ordering::Relaxed);
        self.function.store(function, Ordering::Relaxed);
        self.wrote.store(false, Ordering::Relaxed);
        self.kill.store(false, Ordering::Relaxed);
        self.since.store(now.max(1), Ordering::Release);
    }

    pub fn finish(&self) {
        self.kill.store(false, Ordering::Relaxed);
        self.since.store(0, Ordering::Release);
    }

    pub fn note_write(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    pub fn is_running(&self) -> bool {
        self.since.load(Ordering::Acquire) != 0
    }

    /// Whether a run has gone on past the threshold: others get BUSY.
    pub fn is_busy(&self, now: u64) -> bool {
        let since = self.since.load(Ordering::Acquire);
        let threshold = self.threshold_ms.load(Ordering::Relaxed);
        since != 0 && threshold != 0 && now.saturating_sub(since) >= threshold
    }

    /// SCRIPT KILL or FUNCTION KILL, from another connection.
    pub fn request_kill(&self, now: u64) -> Kill {
        if !self.is_busy(now) {
            return Kill::NotBusy;
        }
        if self.wrote.load(Ordering::Relaxed) {
            return Kill::Unkillable;
        }
        self.kill.store(true, Ordering::Relaxed);
        Kill::Killed
    }

    /// Checked by the Lua hook: stop the run now.
    pub fn must_stop(&self) -> bool {
        self.kill.load(Ordering::Relaxed)
    }

    /// The node is stopping (SIGTERM, SHUTDOWN): a run that goes on ends the process.
    pub fn exit_instead(&self) {
        self.exit.store(true, Ordering::Relaxed);
    }

    /// Checked by the Lua hook: the node is stopping while the run goes on.
    pub fn must_exit(&self) -> bool {
        self.exit.load(Ordering::Relaxed)
    }

    /// The BUSY error line for what runs.
    pub fn busy_line(&self) -> &'static str {
        if self.function.load(Ordering::Relaxed) {
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        } else {
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        }
    }
}

impl Kill {
    pub fn reply_line(self) -> &'static str {
        match self {
            Kill::Killed => "+OK",
            Kill::NotBusy => "-NOTBUSY No scripts in execution right now.",
            Kill::Unkillable => {
                "-UNKILLABLE Sorry the script already executed write commands against the \
                 dataset. You can either wait the script termination or kill the server in a \
                 hard way using the SHUTDOWN NOSAVE command."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_past_the_threshold_and_killable_until_it_writes() {
        let running = Running::default();
        assert!(!running.is_busy(1_000));
        assert_eq!(running.request_kill(1_000), Kill::NotBusy);
        running.start(1_000, 500, false);
        assert!(!running.is_busy(1_400), "not yet past the threshold");
        assert_eq!(running.request_kill(1_400), Kill::NotBusy);
        assert!(running.is_busy(1_500));
        running.note_write();
        assert_eq!(running.request_kill(1_600), Kill::Unkillable);
        assert!(!running.must_stop());
        running.start(2_000, 500, false);
        assert_eq!(running.request_kill(2_600), Kill::Killed);
        assert!(running.must_stop());
        running.finish();
        assert!(!running.is_busy(9_000));
        running.start(3_000, 0, true);
        assert!(
            !running.is_busy(1_000_000),
            "a threshold of 0 never makes it busy"
        );
    }
}
