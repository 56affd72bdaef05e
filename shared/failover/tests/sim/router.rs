//! A model rg-router's WAIT: the position of the node that took the client's write (the
//! router's probe), then the acks and heartbeats it hears on the bus, counted by the same
//! `rg_proto::Positions` the real router uses.

use rg_failover::Millis;
use rg_proto::messages::Heartbeat;
use rg_proto::{Epoch, NodeId, Position, Positions};

/// One client's WAIT 1 in progress.
struct Wait {
    write: u64,
    target: Position,
    /// The epoch the writing node led in when it took the write.
    epoch: Epoch,
    until: Millis,
}

#[derive(Default)]
pub struct Router {
    positions: Positions,
    waiting: Vec<Wait>,
}

impl Router {
    pub fn heard(&mut self, heartbeat: &Heartbeat) {
        self.positions.heard(heartbeat);
    }

    pub fn acked(&mut self, node: &NodeId, position: Position) {
        self.positions.acked(node, position);
    }

    /// A client's WAIT 1 for `write`, which a primary of `epoch` took at `target`.
    pub fn wait(&mut self, write: u64, target: Position, epoch: Epoch, until: Millis) {
        self.waiting.push(Wait {
            write,
            target,
            epoch,
            until,
        });
    }

    /// The WAITs that return 1 now, as (write, epoch); those past their timeout return 0.
    pub fn answered<'a>(
        &mut self,
        members: impl Iterator<Item = &'a NodeId> + Clone,
        now: Millis,
    ) -> Vec<(u64, Epoch)> {
        let mut answered = Vec::new();
        let positions = &self.positions;
        self.waiting.retain(|wait| {
            if now > wait.until {
                return false;
            }
            let held = positions.count(members.clone(), &wait.target) >= 1;
            if held {
                answered.push((wait.write, wait.epoch));
            }
            !held
        });
        answered
    }
}
