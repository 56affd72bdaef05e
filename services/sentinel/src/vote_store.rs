//! The last vote, kept on disk so that a restarted sentinel never votes twice in one epoch:
//! written and synced before the vote is sent.

use std::io::Write;
use std::path::{Path, PathBuf};

use rg_proto::{Epoch, GroupId, NodeId};

pub struct VoteStore {
    path: PathBuf,
}

impl VoteStore {
    /// One file per sentinel and group, so that sentinels sharing a directory never
    /// overwrite each other's votes.
    pub fn new(dir: &Path, sentinel: &NodeId, group: &GroupId) -> Self {
        VoteStore {
            path: dir.join(format!("rg-sentinel-{sentinel}-vote-{group}")),
        }
    }

    /// The persisted vote; a missing or unreadable file means none.
    pub fn load(&self) -> Option<(Epoch, NodeId)> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let (epoch, candidate) = text.trim().split_once(' ')?;
        Some((Epoch(epoch.parse().ok()?), NodeId::new(candidate).ok()?))
    }

    pub fn save(&self, epoch: rg_proto::Epoch, candidate: &NodeId) -> std::io::Result<()> {
        let temporary = self.path.with_extension("tmp");
        let mut file = std::fs::File::create(&temporary)?;
        writeln!(file, "{} {candidate}", epoch.0)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &self.path)
    }
}
