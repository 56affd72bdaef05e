//! A subscribed client's connection of its own to the primary. Replies and messages are
//! passed on as they arrive. The channels, patterns and shard channels are remembered, so that when the
//! primary changes (a failover) the subscriptions are made again on the new one, their
//! confirmations kept from the client, which sees no more than a gap in messages.
//!
//! A client with CLIENT TRACKING on is served the same way: its reads, writes and the
//! node's invalidation pushes share the connection in the node's order. After a failover
//! tracking is turned on again on the new primary, and the client is sent an invalidation
//! of everything (as after FLUSHALL), since what it cached may have changed meanwhile.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rg_commands::CommandId;
use rg_proto::NodeId;
use rg_resp::{encode, FrameScanner, Limits, Protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::classify::{Class, Pin};
use crate::metrics::class_index;
use crate::replies::Outgoing;
use crate::Router;

const RETRY: Duration = Duration::from_millis(100);
/// How often a live subscription connection checks that its node is still the primary.
const MOVED_CHECK: Duration = Duration::from_millis(50);

pub(crate) struct PubSub {
    commands: mpsc::UnboundedSender<Vec<Bytes>>,
}

impl PubSub {
    /// Starts the connection's task; it ends when the client's handle is dropped.
    /// `protocol` is the client's: messages come as pushes on RESP3, as arrays on RESP2.
    pub fn start(
        router: Arc<Router>,
        out: mpsc::UnboundedSender<Outgoing>,
        protocol: Protocol,
        database: Option<Bytes>,
    ) -> PubSub {
        let (commands, queue) = mpsc::unbounded_channel();
        let subscriptions = Subscriptions {
            protocol,
            database,
            ..Subscriptions::default()
        };
        tokio::spawn(subscriptions.run(router, out, queue));
        PubSub { commands }
    }

    pub fn send(&self, args: Vec<Bytes>) {
        let _ = self.commands.send(args);
    }
}

/// What the client is subscribed to.
#[derive(Default)]
struct Subscriptions {
    protocol: Protocol,
    /// The database to select on every connection, when not 0.
    database: Option<Bytes>,
    channels: BTreeSet<Bytes>,
    patterns: BTreeSet<Bytes>,
    shard_channels: BTreeSet<Bytes>,
    /// The last CLIENT TRACKING ON, while tracking is on.
    tracking: Option<Vec<Bytes>>,
}

enum End {
    ClientGone,
    ConnectionLost,
}

impl Subscriptions {
    async fn run(
        mut self,
        router: Arc<Router>,
        out: mpsc::UnboundedSender<Outgoing>,
        mut queue: mpsc::UnboundedReceiver<Vec<Bytes>>,
    ) {
        // Commands that came while no connection was up, sent once one is.
        let mut waiting: Vec<Vec<Bytes>> = Vec::new();
        loop {
            let connected = connect(&router, self.protocol, &mut queue, &mut waiting).await;
            let Some((stream, primary)) = connected else {
                return;
            };
            match self
                .serve(stream, &primary, &router, &out, &mut queue, &mut waiting)
                .await
            {
                End::ClientGone => return,
                End::ConnectionLost => tracing::info!(
                    channels = self.channels.len(),
                    patterns = self.patterns.len(),
                    shard_channels = self.shard_channels.len(),
                    "subscription connection lost; subscribing again on the primary"
                ),
            }
        }
    }

    async fn serve(
        &mut self,
        stream: TcpStream,
        primary: &NodeId,
        router: &Router,
        out: &mpsc::UnboundedSender<Outgoing>,
        queue: &mut mpsc::UnboundedReceiver<Vec<Bytes>>,
        waiting: &mut Vec<Vec<Bytes>>,
    ) -> End {
        let (mut read, mut write) = stream.into_split();
        // Subscribe again to what the client had, keeping the confirmations from it.
        let mut request = BytesMut::new();
        let mut swallow = 0;
        if let Some(database) = &self.database {
            encode_command(
                &mut request,
                &[Bytes::from_static(b"SELECT"), database.clone()],
            );
            swallow += 1;
        }
        for (command, names) in [
            ("SUBSCRIBE", &self.channels),
            ("PSUBSCRIBE", &self.patterns),
            ("SSUBSCRIBE", &self.shard_channels),
        ] {
            if !names.is_empty() {
                encode::array_len(&mut request, names.len() + 1);
                encode::bulk(&mut request, command.as_bytes());
                names
                    .iter()
                    .for_each(|name| encode::bulk(&mut request, name));
                swallow += names.len();
            }
        }
        if let Some(tracking) = &self.tracking {
            encode_command(&mut request, tracking);
            swallow += 1;
            if self.protocol == Protocol::Resp3 {
                let _ = out.send(Outgoing::Ready {
                    bytes: Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n_\r\n"),
                    class: class_index(Class::Pin(Pin::Tracking)),
                    errors: 0,
                    start: Instant::now(),
                });
            }
        }
        for args in waiting.drain(..) {
            self.track(&args);
            encode_command(&mut request, &args);
        }
        if write.write_all(&request).await.is_err() {
            return End::ConnectionLost;
        }
        let limits = Limits::default();
        let mut buf = BytesMut::with_capacity(16 * 1024);
        let mut scanner = FrameScanner::default();
        let class = class_index(Class::Pin(Pin::PubSub));
        let mut check = tokio::time::interval(MOVED_CHECK);
        loop {
            tokio::select! {
                // A new primary while this connection is still up (the old one demoted,
                // not dead): PUBLISH now goes there, so the subscriptions must too.
                _ = check.tick() => {
                    let moved = router
                        .routes()
                        .usable_primary()
                        .is_some_and(|p| p.node != *primary);
                    if moved {
                        return End::ConnectionLost;
                    }
                }
                command = queue.recv() => {
                    let Some(args) = command else { return End::ClientGone };
                    self.track(&args);
                    let mut bytes = BytesMut::new();
                    encode_command(&mut bytes, &args);
                    if write.write_all(&bytes).await.is_err() {
                        waiting.push(args);
                        return End::ConnectionLost;
                    }
                }
                read = read.read_buf(&mut buf) => {
                    if !matches!(read, Ok(n) if n > 0) {
                        return End::ConnectionLost;
                    }
                    loop {
                        match scanner.scan(&buf, &limits) {
                            Ok(Some(len)) => {
                                let frame = buf.split_to(len).freeze();
                                if swallow > 0 {
                                    swallow -= 1;
                                    continue;
                                }
                                let _ = out.send(Outgoing::Ready {
                                    bytes: frame,
                                    class,
                                    errors: 0,
                                    start: Instant::now(),
                                });
                            }
                            Ok(None) => break,
                            Err(_) => return End::ConnectionLost,
                        }
                    }
                }
            }
        }
    }

    /// Follows the client's (un)subscriptions, to make them again after a failover.
    fn track(&mut self, args: &[Bytes]) {
        let Some(spec) = args.first().and_then(|name| rg_commands::lookup(name)) else {
            return;
        };
        let names = args[1..].iter().cloned();
        match spec.id {
            CommandId::Select => {
                self.database = args.get(1).filter(|db| db.as_ref() != b"0").cloned()
            }
            CommandId::Subscribe => self.channels.extend(names),
            CommandId::Psubscribe => self.patterns.extend(names),
            CommandId::Unsubscribe if args.len() == 1 => self.channels.clear(),
            CommandId::Unsubscribe => names.for_each(|n| {
                self.channels.remove(&n);
            }),
            CommandId::Punsubscribe if args.len() == 1 => self.patterns.clear(),
            CommandId::Punsubscribe => names.for_each(|n| {
                self.patterns.remove(&n);
            }),
            CommandId::Ssubscribe => self.shard_channels.extend(names),
            CommandId::Sunsubscribe if args.len() == 1 => self.shard_channels.clear(),
            CommandId::Sunsubscribe => names.for_each(|n| {
                self.shard_channels.remove(&n);
            }),
            CommandId::Client if is(args, 1, b"tracking") && is(args, 2, b"on") => {
                self.tracking = Some(args.to_vec());
            }
            CommandId::Client if is(args, 1, b"tracking") && is(args, 2, b"off") => {
                self.tracking = None;
            }
            CommandId::Hello => {
                if let Some(version) = args.get(1) {
                    self.protocol = match version.as_ref() {
                        b"3" => Protocol::Resp3,
                        b"2" => Protocol::Resp2,
                        _ => self.protocol,
                    };
                }
            }
            _ => {}
        }
    }
}

fn is(args: &[Bytes], index: usize, word: &[u8]) -> bool {
    args.get(index)
        .is_some_and(|a| a.eq_ignore_ascii_case(word))
}

fn encode_command(out: &mut BytesMut, args: &[Bytes]) {
    encode::array_len(out, args.len());
    args.iter().for_each(|arg| encode::bulk(out, arg));
}

/// A connection to the current primary (and which node it is), waiting as long as it
/// takes (the client may stay subscribed for hours); None once the client is gone.
async fn connect(
    router: &Router,
    protocol: Protocol,
    queue: &mut mpsc::UnboundedReceiver<Vec<Bytes>>,
    waiting: &mut Vec<Vec<Bytes>>,
) -> Option<(TcpStream, NodeId)> {
    loop {
        let changed = router.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let primary = router.routes().usable_primary().cloned();
        if let Some(primary) = primary {
            let password = router.settings.node_password.as_deref();
            match crate::backend::connect(&primary.address, password, protocol).await {
                Ok(stream) => {
                    tracing::debug!(primary = %primary.node, "subscription connection made");
                    return Some((stream, primary.node.clone()));
                }
                Err(error) => tracing::debug!(%error, "subscription connection failed"),
            }
            tokio::time::sleep(RETRY).await;
            continue;
        }
        tokio::select! {
            _ = &mut changed => {}
            _ = tokio::time::sleep(RETRY) => {}
            command = queue.recv() => match command {
                Some(args) => waiting.push(args),
                None => return None,
            },
        }
    }
}
