//! Reading one stream for XREAD and XREADGROUP, now or when a blocked reader is served:
//! entries after an ID, a group's new entries (which become pending unless NOACK), and a
//! consumer's history.

use bytes::Bytes;

use super::super::{createconsumer_record, entry_reply, id_reply, setid_record, xclaim_record};
use super::From;
use crate::engine::keyspace::Millis;
use crate::engine::reply::Reply;
use crate::engine::stream::{Stream, StreamId};

/// XREAD of one stream: entries above `after`, or None when there are none.
pub(super) fn read_after(stream: &Stream, after: StreamId, count: usize) -> Option<Vec<Reply>> {
    if stream.last_valid_id() <= after {
        return None;
    }
    let start = after.next()?;
    let limit = if count == 0 { usize::MAX } else { count };
    Some(
        stream
            .range(start, StreamId::MAX)
            .take(limit)
            .map(|(id, f)| entry_reply(id, f))
            .collect(),
    )
}

pub(super) struct GroupRead<'a> {
    pub(super) key: &'a [u8],
    pub(super) group: &'a [u8],
    pub(super) consumer: &'a [u8],
    /// 0: no limit.
    pub(super) count: usize,
    pub(super) noack: bool,
    pub(super) now: Millis,
    pub(super) recording: bool,
}

/// XREADGROUP of one stream whose group exists: the consumer's history from an ID, or
/// (`>`) new entries, which become pending unless NOACK. None when `>` finds nothing.
pub(super) fn read_group(
    stream: &mut Stream,
    read: &GroupRead,
    start: From,
    records: &mut Vec<Vec<Bytes>>,
) -> Option<Vec<Reply>> {
    // The consumer is made (or seen) only when the read is served, as in Redis.
    let last = stream.groups.get(read.group)?.last_id;
    if start == From::New && stream.last_valid_id() <= last {
        return None;
    }
    let group = stream.groups.get_mut(read.group)?;
    if group.touch_consumer(read.consumer, read.now) && read.recording {
        records.push(createconsumer_record(read.key, read.group, read.consumer));
    }
    match start {
        From::After(after) => Some(read_history(stream, read, after, records)),
        From::New => Some(read_new(stream, read, records)),
    }
}

/// New entries after the group's last delivered ID, for `read.consumer`.
pub(super) fn read_new(
    stream: &mut Stream,
    read: &GroupRead,
    records: &mut Vec<Vec<Bytes>>,
) -> Vec<Reply> {
    let Some(last) = stream.groups.get(read.group).map(|g| g.last_id) else {
        return Vec::new();
    };
    let Some(start) = last.next() else {
        return Vec::new();
    };
    let limit = if read.count == 0 {
        usize::MAX
    } else {
        read.count
    };
    let entries: Vec<(StreamId, Reply)> = stream
        .range(start, StreamId::MAX)
        .take(limit)
        .map(|(id, f)| (id, entry_reply(id, f)))
        .collect();
    for (id, _) in &entries {
        stream.advance_group(read.group, *id);
        let Some(group) = stream.groups.get_mut(read.group) else {
            break;
        };
        if read.noack {
            continue;
        }
        group.deliver(*id, read.consumer, read.now);
        if read.recording {
            if let Some(pending) = group.pel.get(id) {
                records.push(xclaim_record(read.key, read.group, group, *id, pending));
            }
        }
    }
    if read.recording && !entries.is_empty() {
        if let Some(group) = stream.groups.get(read.group) {
            records.push(setid_record(read.key, read.group, group));
        }
    }
    entries.into_iter().map(|(_, r)| r).collect()
}

/// The consumer's pending entries from `after` on (inclusive, as Redis reads them): each
/// is delivered again; one whose entry was deleted answers `[id, nil]`.
fn read_history(
    stream: &mut Stream,
    read: &GroupRead,
    from: StreamId,
    records: &mut Vec<Vec<Bytes>>,
) -> Vec<Reply> {
    let limit = if read.count == 0 {
        usize::MAX
    } else {
        read.count
    };
    let ids: Vec<StreamId> = stream
        .groups
        .get(read.group)
        .and_then(|g| g.consumers.get(read.consumer))
        .map(|c| c.pel.range(from..).take(limit).copied().collect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(fields) = stream.get(id) else {
            out.push(Reply::Array(vec![id_reply(id), Reply::NilArray]));
            continue;
        };
        out.push(entry_reply(id, fields));
        let Some(group) = stream.groups.get_mut(read.group) else {
            continue;
        };
        let group_ref = &mut *group;
        if let Some(pending) = group_ref.pel.get_mut(&id) {
            pending.delivery_time = read.now;
            pending.delivery_count += 1;
        }
        if read.recording {
            if let Some(pending) = group.pel.get(&id) {
                records.push(xclaim_record(read.key, read.group, group, id, pending));
            }
        }
    }
    out
}
