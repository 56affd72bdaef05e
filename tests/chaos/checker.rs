//! After a round has converged and the writers are paused: every write the group promised
//! to keep must be on every node, with its value, read straight from each node. A write
//! found missing is counted once, in the round that found it (a wipe loses writes of
//! earlier rounds too).

use std::collections::HashSet;

use super::observe::{connect, READ_TIMEOUT};
use super::options::Mode;
use super::writers::Write;

/// Keys per MGET.
const CHUNK: usize = 256;

/// One write that did not survive.
#[derive(Clone, Debug)]
pub struct Lost {
    pub key: String,
    /// The round whose writer wrote it.
    pub round: u32,
    /// The nodes that do not hold it with its value.
    pub missing_on: Vec<&'static str>,
}

#[derive(Clone, Debug, Default)]
pub struct Losses {
    /// Writes the mode promised to keep (WAIT answered >= 1; in sync mode, every OK).
    pub acked: Vec<Lost>,
    /// Writes answered OK but not acknowledged by WAIT, gone: allowed, told for information.
    pub unacked: u64,
}

/// Checks `writes` not already found lost on `nodes` (id, real port); what it finds lost
/// now is added to `already`.
pub fn check(
    nodes: &[(&'static str, u16)],
    writes: &[Write],
    mode: Mode,
    already: &mut HashSet<String>,
) -> Result<Losses, String> {
    let pending: Vec<&Write> = writes
        .iter()
        .filter(|w| !already.contains(&w.key))
        .collect();
    let mut missing: Vec<Vec<&'static str>> = vec![Vec::new(); pending.len()];
    for &(id, port) in nodes {
        let held = read_all(port, &pending).map_err(|e| format!("{id}: {e}"))?;
        for (index, value) in held.into_iter().enumerate() {
            if value.as_deref() != Some(pending[index].value.as_str()) {
                missing[index].push(id);
            }
        }
    }
    let mut losses = Losses::default();
    for (write, missing_on) in pending.into_iter().zip(missing) {
        if missing_on.is_empty() {
            continue;
        }
        already.insert(write.key.clone());
        if write.acknowledged(mode) {
            let (key, round) = (write.key.clone(), write.round);
            losses.acked.push(Lost {
                key,
                round,
                missing_on,
            });
        } else {
            losses.unacked += 1;
        }
    }
    Ok(losses)
}

/// The value of each write's key on the node on `port`, in order.
fn read_all(port: u16, writes: &[&Write]) -> Result<Vec<Option<String>>, String> {
    let mut con = connect(port, READ_TIMEOUT * 10)?;
    let mut values = Vec::with_capacity(writes.len());
    for chunk in writes.chunks(CHUNK) {
        let mut mget = redis::cmd("MGET");
        for write in chunk {
            mget.arg(&write.key);
        }
        let got: Vec<Option<String>> = mget.query(&mut con).map_err(|e| format!("MGET: {e}"))?;
        if got.len() != chunk.len() {
            return Err(format!(
                "MGET of {} keys answered {}",
                chunk.len(),
                got.len()
            ));
        }
        values.extend(got);
    }
    Ok(values)
}
