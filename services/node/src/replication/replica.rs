//! The replica's side: follow the primary's stream, apply it in order, resync on any gap.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rg_proto::messages::{Ack, ReplBatch, SyncReply, SyncRequest, MAX_PAYLOAD};
use rg_proto::{Epoch, NodeId, Offset, Position, ReplId};

use super::applier::Applier;
use super::Link;
use crate::engine::replication::stream::{Offered, Stall, Verdict};
use crate::engine::replication::Role;
use crate::server::now_ms;

const SYNC_TIMEOUT: Duration = Duration::from_secs(10);
const RETRY: Duration = Duration::from_millis(200);
const ACK_EVERY: Duration = Duration::from_millis(100);

/// Why following stopped.
enum Stop {
    /// The role changed (promotion, another primary).
    RoleChanged,
    /// A gap, another history or a decode failure: resync from the current offset.
    Resync,
}

pub(super) async fn follow(link: Arc<Link>) {
    // One applier for the whole life of the follower: the stream's SELECTs carry over
    // resyncs, and only a full sync starts it afresh.
    let mut applier = Applier::new();
    loop {
        let Some((primary, generation)) = followed(&link) else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        // Subscribed only while following: a primary must not buffer its own stream in a
        // subscription nobody reads (measured: 1.6 GB held after loading 1 GB).
        let subject = link.subjects.repl_stream();
        let mut stream = match link.bus.subscribe::<ReplBatch>(subject).await {
            Ok(subscription) => subscription,
            Err(error) => {
                tracing::warn!(%error, "cannot follow the replication stream; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        follow_primary(&link, &primary, generation, &mut stream, &mut applier).await;
        set_link(&link, false);
    }
}

/// Resyncs and applies the stream until the role changes.
async fn follow_primary(
    link: &Link,
    primary: &NodeId,
    generation: u64,
    stream: &mut rg_bus::Subscription<ReplBatch>,
    applier: &mut Applier,
) {
    let mut refused = false;
    // A snapshot this node was serving as a primary is void now that it follows another.
    {
        let mut engine = link.shared.lock_engine().await;
        if crate::engine::replication::snapshot::active(&engine) {
            crate::engine::replication::snapshot::abort(&mut engine);
        }
    }
    loop {
        if followed(link).map(|(_, g)| g) != Some(generation) {
            return;
        }
        match resync(link, primary, applier).await {
            Ok(()) => refused = false,
            Err(ResyncError::Failed(error)) => {
                tracing::warn!(%primary, %error, "resync failed; retrying");
                set_link(link, false);
                tokio::time::sleep(RETRY).await;
                continue;
            }
            Err(ResyncError::WouldLoseData { offered, held }) => {
                // Said once per primary: the sentinels are expected to hand over.
                if !refused {
                    refused = true;
                    report_refusal(link, primary, &offered, &held).await;
                }
                set_link(link, false);
                tokio::time::sleep(RETRY).await;
                continue;
            }
        }
        set_link(link, true);
        match stream_from(link, primary, generation, stream, applier).await {
            Stop::RoleChanged => return,
            Stop::Resync => tracing::info!(%primary, "gap in the stream; resyncing"),
        }
    }
}

/// The primary this node follows and the role generation, or None when it is a primary.
fn followed(link: &Link) -> Option<(NodeId, u64)> {
    let engine = link.shared.engine.lock();
    match engine.repl.role() {
        Role::Replica { primary, .. } => Some((primary.clone(), engine.repl.generation())),
        Role::Primary => None,
    }
}

fn set_link(link: &Link, up: bool) {
    link.shared.engine.lock().repl.set_link(up, now_ms());
}

/// Why a resync did not happen.
enum ResyncError {
    Failed(String),
    /// The full sync offered would replace this replica's data with less (see
    /// [`unsafe_full_sync`]).
    WouldLoseData {
        offered: Position,
        held: Position,
    },
}

impl From<String> for ResyncError {
    fn from(reason: String) -> Self {
        ResyncError::Failed(reason)
    }
}

async fn report_refusal(link: &Link, primary: &NodeId, offered: &Position, held: &Position) {
    tracing::error!(
        %primary,
        offered = %format_args!("{} at {}", offered.repl_id, offered.offset),
        held = %format_args!("{} at {}", held.repl_id, held.offset),
        "refusing a full sync that would throw data away: the primary's history is new and \
         behind this replica's; keeping the data until the sentinels hand over"
    );
    let mut details = serde_json::Map::new();
    details.insert("primary".into(), primary.to_string().into());
    let describe =
        |p: &Position| serde_json::json!({ "repl_id": p.repl_id.0, "offset": p.offset.0 });
    details.insert("offered".into(), describe(offered));
    details.insert("held".into(), describe(held));
    super::events::publish(link, rg_proto::events::EventName::FullSyncRefused, details).await;
}

/// Asks the primary to continue from this node's offset, then applies what it sends: the
/// missing stream (partial) or a snapshot (full).
async fn resync(link: &Link, primary: &NodeId, applier: &mut Applier) -> Result<(), ResyncError> {
    // Resumed from the last complete command: a partial one comes again whole. Between
    // pages, from what was received: a command longer than a page completes over several.
    applier.drop_partial();
    loop {
        let (repl_id, offset) = received_end(link, applier);
        let request = SyncRequest::Resume {
            group: link.config.group.clone(),
            replica: link.config.node.clone(),
            repl_id,
            offset,
        };
        match sync_request(link, primary, &request).await? {
            SyncReply::Partial {
                repl_id,
                offset,
                payload,
                epoch,
            } => {
                let full_page = payload.len() == MAX_PAYLOAD;
                let page = Offered {
                    epoch,
                    repl_id: &repl_id,
                    offset,
                    len: payload.len(),
                };
                match apply_at(link, applier, Source::Resync(page), &payload) {
                    Applied::Done => {}
                    Applied::Stale | Applied::Gap => return Err(stale_primary(epoch)),
                    Applied::Undecodable => {
                        return Err(ResyncError::Failed("the resync does not decode".into()))
                    }
                }
                if !full_page {
                    return Ok(());
                }
            }
            SyncReply::Full {
                repl_id,
                offset,
                transfer,
                chunks,
                continues,
                epoch,
            } => {
                if !link
                    .shared
                    .engine
                    .lock()
                    .repl
                    .takes_stream_of(epoch, now_ms())
                {
                    return Err(stale_primary(epoch));
                }
                let offered = Position::new(repl_id, offset);
                if let Some(held) = unsafe_full_sync(link, &offered, continues.as_ref()) {
                    return Err(ResyncError::WouldLoseData { offered, held });
                }
                let Position { repl_id, offset } = offered;
                return Ok(
                    full_sync(link, primary, applier, repl_id, offset, transfer, chunks).await?,
                );
            }
            SyncReply::Refused { reason } => return Err(reason.into()),
            SyncReply::Chunk { .. } => return Err(ResyncError::Failed("unexpected chunk".into())),
        }
    }
}

fn stale_primary(epoch: Epoch) -> ResyncError {
    ResyncError::Failed(format!(
        "the primary leads epoch {}, older than this node knows or has promised a failover \
         leader",
        epoch.0
    ))
}

/// This replica's position, when it must not replace its data with the full sync offered:
/// the offered history neither is nor continues this replica's own and is behind it, as a
/// primary that restarted empty would offer. The sentinels then promote a replica that has
/// the data; until then this one keeps what it holds.
fn unsafe_full_sync(
    link: &Link,
    offered: &Position,
    continues: Option<&Position>,
) -> Option<Position> {
    let engine = link.shared.engine.lock();
    let mine = engine.repl.position();
    let related = offered.repl_id == mine.repl_id
        || continues.is_some_and(|previous| previous.repl_id == mine.repl_id);
    (!related && offered.offset < mine.offset).then_some(mine)
}

fn position(link: &Link) -> (ReplId, Offset) {
    let engine = link.shared.engine.lock();
    (engine.repl.repl_id().clone(), engine.repl.offset())
}

async fn sync_request(
    link: &Link,
    primary: &NodeId,
    request: &SyncRequest,
) -> Result<SyncReply, String> {
    link.bus
        .request(link.subjects.repl_sync(primary), request, SYNC_TIMEOUT)
        .await
        .map_err(|e| e.to_string())
}

#[allow(clippy::too_many_arguments)]
async fn full_sync(
    link: &Link,
    primary: &NodeId,
    applier: &mut Applier,
    repl_id: ReplId,
    offset: Offset,
    transfer: u64,
    chunks: u32,
) -> Result<(), String> {
    link.shared.lock_engine().await.repl.full_sync_started();
    *applier = Applier::new();
    let mut index = 0;
    loop {
        let request = SyncRequest::Chunk {
            group: link.config.group.clone(),
            replica: link.config.node.clone(),
            transfer,
            index,
        };
        let (data, last) = match sync_request(link, primary, &request).await? {
            SyncReply::Chunk { data, last, .. } => (data, last),
            SyncReply::Refused { reason } => return Err(reason),
            _ => return Err("unexpected reply to a chunk request".into()),
        };
        let mut engine = link.shared.lock_engine().await;
        let undecodable = applier.apply(&mut engine, &data).undecodable;
        drop(engine);
        if undecodable {
            return Err("the snapshot does not decode".into());
        }
        index += 1;
        if last || (chunks > 0 && index >= chunks) {
            break;
        }
    }
    let mut engine = link.shared.lock_engine().await;
    *applier = Applier::new();
    engine.repl.full_sync_ended(repl_id, offset, now_ms());
    tracing::info!(%offset, chunks = index, "full sync done");
    Ok(())
}

/// Where offered bytes come from: the stream, or a page answering this node's resync.
enum Source<'a> {
    Stream(Offered<'a>),
    Resync(Offered<'a>),
}

/// Applies the bytes offered as `engine::replication::stream` allows, under one lock; the
/// offset and backlog advance by complete commands only.
fn apply_at(link: &Link, applier: &mut Applier, source: Source, bytes: &Bytes) -> Applied {
    let mut engine = link.shared.engine.lock();
    let now = now_ms();
    let partial = applier.partial_len();
    let (offered, verdict) = match source {
        Source::Stream(batch) => (batch, engine.repl.stream_batch(&batch, partial, now)),
        Source::Resync(page) => (page, engine.repl.resync_page(&page, partial, now)),
    };
    let skip = match verdict {
        Verdict::Stale => return Applied::Stale,
        Verdict::Gap => return Applied::Gap,
        Verdict::Apply { skip } => skip,
    };
    engine.repl.took_history(offered.repl_id, now);
    if skip >= bytes.len() {
        return Applied::Done;
    }
    let applied = applier.apply(&mut engine, &bytes[skip..]);
    engine.repl.append(&applied.bytes);
    if applied.undecodable {
        Applied::Undecodable
    } else {
        Applied::Done
    }
}

/// What became of stream bytes offered to [`apply_at`].
#[derive(Debug, PartialEq, Eq)]
enum Applied {
    Done,
    /// They stopped decoding: a resync from the new offset is due.
    Undecodable,
    /// Their primary leads an older epoch than this node has promised or been told of.
    Stale,
    /// Another history, or past what was received: a resync is due.
    Gap,
}

/// The history and the end of what was received (complete commands and a partial one).
fn received_end(link: &Link, applier: &Applier) -> (ReplId, Offset) {
    let (repl_id, offset) = position(link);
    (repl_id, offset.advance(applier.partial_len()))
}

async fn stream_from(
    link: &Link,
    primary: &NodeId,
    generation: u64,
    stream: &mut rg_bus::Subscription<ReplBatch>,
    applier: &mut Applier,
) -> Stop {
    let mut acks = tokio::time::interval(ACK_EVERY);
    let mut stall = Stall::default();
    loop {
        tokio::select! {
            received = stream.next() => {
                let Some((batch, _)) = received else {
                    return Stop::Resync;
                };
                if batch.group != link.config.group || batch.primary != *primary {
                    continue;
                }
                let offered = Offered {
                    epoch: batch.epoch,
                    repl_id: &batch.repl_id,
                    offset: batch.offset,
                    len: batch.payload.len(),
                };
                match apply_at(link, applier, Source::Stream(offered), &batch.payload) {
                    Applied::Done => {}
                    Applied::Stale => continue,
                    Applied::Gap | Applied::Undecodable => return Stop::Resync,
                }
                // Acked at once, so that WAIT and sync-replicas answer within a round trip.
                send_ack(link).await;
            }
            _ = acks.tick() => {
                if followed(link).map(|(_, g)| g) != Some(generation) {
                    return Stop::RoleChanged;
                }
                if stall.behind_and_stuck(&link.shared.lock_engine().await.repl) {
                    return Stop::Resync;
                }
                send_ack(link).await;
            }
        }
    }
}

async fn send_ack(link: &Link) {
    let (repl_id, offset) = position(link);
    let ack = Ack {
        group: link.config.group.clone(),
        replica: link.config.node.clone(),
        repl_id,
        offset,
    };
    if let Err(error) = link.bus.publish(link.subjects.repl_ack(), &ack).await {
        tracing::debug!(%error, "ack not sent");
    }
}
