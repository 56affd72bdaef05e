//! A replica's rules for what its primary sends, decided from the replication state alone:
//! whether a batch of the stream (or a page of a partial resync) is applied, skipped in
//! part, dropped, or means a resync; and when a quiet stream has lost its tail. The driver
//! (`crate::replication::replica`) asks under the engine lock and applies what is allowed
//! under the same lock, so no freeze can slip in between.

use rg_proto::{Epoch, Offset, ReplId};

use super::ReplState;
use crate::engine::keyspace::Millis;

/// Stream bytes offered to a replica: from a primary leading `epoch`, starting at
/// `offset` of history `repl_id`.
#[derive(Debug, Clone, Copy)]
pub struct Offered<'a> {
    pub epoch: Epoch,
    pub repl_id: &'a ReplId,
    pub offset: Offset,
    pub len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The primary leads an older epoch than this node knows or has promised a failover
    /// leader: replaced, whatever it still sends. Dropped, never taken for a gap.
    Stale,
    /// Another history, or bytes starting past what was received: resync.
    Gap,
    /// Apply from byte `skip` on (what was received already is skipped); `skip == len`
    /// when nothing is new.
    Apply { skip: usize },
}

impl ReplState {
    /// A batch of the followed primary's stream, `partial` bytes of an incomplete command
    /// being already received past `self.offset`.
    pub fn stream_batch(&self, batch: &Offered, partial: usize, now: Millis) -> Verdict {
        if !self.takes_stream_of(batch.epoch, now) {
            return Verdict::Stale;
        }
        let received = self.offset.advance(partial);
        if *batch.repl_id != self.repl_id || batch.offset > received {
            return Verdict::Gap;
        }
        Verdict::Apply {
            skip: skipped(received, batch),
        }
    }

    /// A page answering this node's own request to resume from where it stands: its
    /// history may be one that continues this node's (the primary checked), which this
    /// node then takes.
    pub fn resync_page(&self, page: &Offered, partial: usize, now: Millis) -> Verdict {
        if !self.takes_stream_of(page.epoch, now) {
            return Verdict::Stale;
        }
        Verdict::Apply {
            skip: skipped(self.offset.advance(partial), page),
        }
    }
}

fn skipped(received: Offset, offered: &Offered) -> usize {
    let already = received.0.saturating_sub(offered.offset.0);
    usize::try_from(already).map_or(offered.len, |n| n.min(offered.len))
}

/// Detects a lost tail of the stream: the primary's heartbeats say it is ahead, and this
/// replica's offset has not moved for several ticks, so no batch is on its way. Also a
/// primary whose heartbeats show another history (it restarted): no batch may ever come to
/// reveal that.
#[derive(Debug, Default)]
pub struct Stall {
    last_offset: Offset,
    ticks: u32,
}

impl Stall {
    const TICKS: u32 = 3;

    /// One tick of the replica's ack timer; true when a resync is due.
    pub fn behind_and_stuck(&mut self, repl: &ReplState) -> bool {
        let behind = matches!(&repl.primary_position,
            Some((id, offset)) if *id == repl.repl_id && *offset > repl.offset);
        let elsewhere = matches!(&repl.primary_position, Some((id, _)) if *id != repl.repl_id);
        if (behind && repl.offset == self.last_offset) || elsewhere {
            self.ticks += 1;
        } else {
            self.ticks = 0;
        }
        self.last_offset = repl.offset;
        self.ticks >= Self::TICKS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(n: u8) -> ReplId {
        ReplId::from_bytes([n; 20])
    }

    /// A replica of history 1 at offset 100, in epoch 2.
    fn replica() -> ReplState {
        let mut repl = ReplState::new(1024);
        repl.repl_id = history(1);
        repl.offset = Offset(100);
        repl.epoch = Epoch(2);
        repl
    }

    fn offered(epoch: u64, repl_id: &ReplId, offset: u64, len: usize) -> Offered<'_> {
        Offered {
            epoch: Epoch(epoch),
            repl_id,
            offset: Offset(offset),
            len,
        }
    }

    #[test]
    fn the_next_bytes_apply_and_what_was_received_is_skipped() {
        let repl = replica();
        let one = history(1);
        let next = offered(2, &one, 100, 10);
        assert_eq!(repl.stream_batch(&next, 0, 0), Verdict::Apply { skip: 0 });
        let overlapping = offered(2, &one, 95, 10);
        assert_eq!(
            repl.stream_batch(&overlapping, 0, 0),
            Verdict::Apply { skip: 5 }
        );
        // 4 bytes of an incomplete command were received past the offset.
        assert_eq!(
            repl.stream_batch(&overlapping, 4, 0),
            Verdict::Apply { skip: 9 }
        );
        let duplicate = offered(2, &one, 80, 10);
        assert_eq!(
            repl.stream_batch(&duplicate, 0, 0),
            Verdict::Apply { skip: 10 }
        );
    }

    #[test]
    fn a_batch_past_what_was_received_or_of_another_history_is_a_gap() {
        let repl = replica();
        let (one, two) = (history(1), history(2));
        assert_eq!(
            repl.stream_batch(&offered(2, &one, 101, 10), 0, 0),
            Verdict::Gap
        );
        assert_eq!(
            repl.stream_batch(&offered(2, &two, 100, 10), 0, 0),
            Verdict::Gap
        );
        assert_eq!(
            repl.stream_batch(&offered(2, &one, 101, 10), 1, 0),
            Verdict::Apply { skip: 0 },
            "the partial command's bytes count as received"
        );
    }

    #[test]
    fn an_older_epochs_primary_is_dropped_and_never_taken_for_a_gap() {
        let mut repl = replica();
        let (one, two) = (history(1), history(2));
        assert_eq!(
            repl.stream_batch(&offered(1, &two, 500, 10), 0, 0),
            Verdict::Stale
        );
        assert_eq!(
            repl.resync_page(&offered(1, &one, 100, 10), 0, 0),
            Verdict::Stale
        );
        // Frozen for a leader of epoch 3: epoch 2's primary is held back until it lapses.
        repl.freeze.promise(Epoch(3), 0);
        assert_eq!(
            repl.stream_batch(&offered(2, &one, 100, 10), 0, 1),
            Verdict::Stale
        );
        assert_eq!(
            repl.stream_batch(&offered(3, &one, 100, 10), 0, 1),
            Verdict::Apply { skip: 0 }
        );
    }

    #[test]
    fn a_resync_page_may_continue_this_node_under_a_newer_history() {
        let repl = replica();
        let two = history(2);
        let page = offered(2, &two, 90, 20);
        assert_eq!(repl.resync_page(&page, 0, 0), Verdict::Apply { skip: 10 });
    }

    #[test]
    fn a_quiet_stream_behind_its_primary_resyncs_after_three_ticks() {
        let mut repl = replica();
        let mut stall = Stall::default();
        assert!(!stall.behind_and_stuck(&repl), "no word of the primary");
        repl.primary_position = Some((history(1), Offset(150)));
        assert!(!stall.behind_and_stuck(&repl));
        assert!(!stall.behind_and_stuck(&repl));
        assert!(stall.behind_and_stuck(&repl));
        // Moving again resets the count.
        repl.offset = Offset(120);
        let mut stall = Stall::default();
        stall.behind_and_stuck(&repl);
        repl.offset = Offset(130);
        assert!(!stall.behind_and_stuck(&repl));
        // A primary in another history (it restarted) counts however the offsets stand.
        repl.primary_position = Some((history(9), Offset(0)));
        assert!(!stall.behind_and_stuck(&repl));
        assert!(!stall.behind_and_stuck(&repl));
        assert!(stall.behind_and_stuck(&repl));
    }
}
