//! The last vote, kept on disk so that a restarted sentinel never votes twice in one epoch:
//! written to a temporary file, synced, renamed over the old one, and the directory synced
//! too (a rename lives in the directory: without that sync a power cut can undo it), all
//! before the vote is sent.

use std::io::Write;
use std::path::{Path, PathBuf};

use rg_proto::{Epoch, GroupId, NodeId};

pub struct VoteStore {
    path: PathBuf,
    /// The epoch of the last vote written. Votes given and this sentinel's own are saved
    /// from different tasks: one at a time, and an older one never over a newer (the newer
    /// already forbids voting again in the older epoch).
    last: parking_lot::Mutex<Option<Epoch>>,
}

impl VoteStore {
    /// One file per sentinel and group, so that sentinels sharing a directory never
    /// overwrite each other's votes.
    pub fn new(dir: &Path, sentinel: &NodeId, group: &GroupId) -> Self {
        VoteStore {
            path: dir.join(format!("rg-sentinel-{sentinel}-vote-{group}")),
            last: parking_lot::Mutex::new(None),
        }
    }

    /// The persisted vote; a missing or unreadable file means none.
    pub fn load(&self) -> Option<(Epoch, NodeId)> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let (epoch, candidate) = text.trim().split_once(' ')?;
        Some((Epoch(epoch.parse().ok()?), NodeId::new(candidate).ok()?))
    }

    pub fn save(&self, epoch: rg_proto::Epoch, candidate: &NodeId) -> std::io::Result<()> {
        let mut last = self.last.lock();
        if last.is_some_and(|newest| epoch < newest) {
            return Ok(());
        }
        self.write(epoch, candidate)?;
        *last = Some(epoch);
        Ok(())
    }

    fn write(&self, epoch: rg_proto::Epoch, candidate: &NodeId) -> std::io::Result<()> {
        let temporary = self.path.with_extension("tmp");
        let mut file = std::fs::File::create(&temporary)?;
        writeln!(file, "{} {candidate}", epoch.0)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &self.path)?;
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_vote_replaces_the_last_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let (sentinel, group) = (NodeId::new("s1").unwrap(), GroupId::new("g").unwrap());
        let store = VoteStore::new(dir.path(), &sentinel, &group);
        assert_eq!(store.load(), None);
        store.save(Epoch(3), &NodeId::new("s2").unwrap()).unwrap();
        store.save(Epoch(4), &NodeId::new("s3").unwrap()).unwrap();
        let restarted = VoteStore::new(dir.path(), &sentinel, &group);
        assert_eq!(
            restarted.load(),
            Some((Epoch(4), NodeId::new("s3").unwrap()))
        );
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 1, "no temporary file left behind");
    }

    #[test]
    fn a_vote_saved_late_never_replaces_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let (sentinel, group) = (NodeId::new("s1").unwrap(), GroupId::new("g").unwrap());
        let store = VoteStore::new(dir.path(), &sentinel, &group);
        store.save(Epoch(5), &sentinel).unwrap();
        store.save(Epoch(4), &NodeId::new("s2").unwrap()).unwrap();
        assert_eq!(store.load(), Some((Epoch(5), sentinel)));
    }
}
