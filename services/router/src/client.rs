//! One client connection. The reader side decodes commands, routes each, and groups
//! consecutive commands for the same backend into one job; the writer side (`replies`)
//! writes every reply in the order the commands came, whichever backend answered.

use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rg_commands::CommandId;
use rg_resp::{encode, Limits, Protocol, RequestDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::backend::{Backend, Job};
use crate::classify::{classify, Class, Local, Pin};
use crate::metrics::class_index;
use crate::pubsub::PubSub;
use crate::replies::{self, Outgoing};
use crate::routes::{Candidate, ReadChoice};
use crate::{local, Endpoint, Router};
use rg_proto::Position;

/// Answers a connection beyond `maxclients`, as Redis does, and closes it.
pub async fn refuse(mut stream: TcpStream) {
    let _ = stream
        .write_all(b"-ERR max number of clients reached\r\n")
        .await;
}

pub async fn serve(router: Arc<Router>, endpoint: Endpoint, id: u64, stream: TcpStream) {
    let (read, write) = stream.into_split();
    let (out, queue) = mpsc::unbounded_channel();
    let writer = tokio::spawn(replies::write(write, queue, router.clone(), endpoint));
    let mut client = Client::new(router, endpoint, id, out);
    client.run(read).await;
    drop(client);
    let _ = writer.await;
}

pub(crate) enum Flow {
    Continue,
    Close,
}

/// Commands gathered for one backend, sent as one job.
struct Run {
    backend: Arc<Backend>,
    bytes: BytesMut,
    count: usize,
    class: usize,
    start: Instant,
    /// Ask the backend for its offset after these commands (read-your-writes), covering
    /// writes up to this count.
    probe: Option<u64>,
    /// A replica chosen for reads, holding `read_after` (the client's writes), if set.
    read_from_replica: bool,
    read_after: Option<Position>,
}

/// A connection of the client's own to the primary, and why it is needed.
struct Pinned {
    backend: Arc<Backend>,
    /// The shared connection to the same node, for what follows the session (WAIT).
    shared: Arc<Backend>,
    multi: bool,
    watch: bool,
    /// The database SELECT chose, when not 0.
    database: Option<Bytes>,
    /// Once a client blocks, it keeps its connection: its later commands must not overtake
    /// a blocked one.
    blocking: bool,
}

impl Pinned {
    fn needed(&self) -> bool {
        self.multi || self.watch || self.database.is_some() || self.blocking
    }
}

pub(crate) struct Client {
    pub router: Arc<Router>,
    pub endpoint: Endpoint,
    pub id: u64,
    out: mpsc::UnboundedSender<Outgoing>,
    pub authed: bool,
    pub name: Option<Bytes>,
    /// What HELLO chose: the shape of every reply, the router's own and the nodes'.
    pub protocol: Protocol,
    run: Option<Run>,
    pinned: Option<Pinned>,
    pubsub: Option<PubSub>,
    /// Commands that may have written, sent so far.
    writes: u64,
    /// The shared connection the last write went on, so WAIT asks the node that took it.
    write_backend: Option<Arc<Backend>>,
    /// The primary's position after the first `.0` writes, from the last probe.
    fresh: Option<(u64, Position)>,
    probe: Option<(u64, oneshot::Receiver<Bytes>)>,
    /// The read-your-writes position of the last replica choice, for the run it starts.
    read_after: Option<Position>,
}

impl Client {
    fn new(
        router: Arc<Router>,
        endpoint: Endpoint,
        id: u64,
        out: mpsc::UnboundedSender<Outgoing>,
    ) -> Client {
        let authed = router.settings.requirepass.is_none();
        Client {
            router,
            endpoint,
            id,
            out,
            authed,
            name: None,
            protocol: Protocol::Resp2,
            run: None,
            pinned: None,
            pubsub: None,
            writes: 0,
            write_backend: None,
            fresh: None,
            probe: None,
            read_after: None,
        }
    }

    async fn run(&mut self, mut read: OwnedReadHalf) {
        let limits = Limits {
            max_bulk_len: self.router.settings.proto_max_bulk_len,
            ..Limits::default()
        };
        let mut decoder = RequestDecoder::new(limits);
        let mut input = BytesMut::with_capacity(16 * 1024);
        loop {
            match read.read_buf(&mut input).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            loop {
                match decoder.decode(&mut input) {
                    Ok(Some(args)) => {
                        if let Flow::Close = self.handle(args).await {
                            self.flush();
                            let _ = self.out.send(Outgoing::Close);
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(error) => {
                        self.flush();
                        let text = format!("ERR Protocol error: {error}");
                        self.reply_error(Class::Refused(""), &text);
                        let _ = self.out.send(Outgoing::Close);
                        return;
                    }
                }
            }
            self.flush();
        }
        self.flush();
    }

    async fn handle(&mut self, args: Vec<Bytes>) -> Flow {
        let class = classify(&args);
        if !self.authed
            && !matches!(
                class,
                Class::Local(Local::Auth | Local::Hello | Local::Quit)
            )
        {
            self.reply_error(class, "NOAUTH Authentication required.");
            return Flow::Continue;
        }
        if let Some(pubsub) = &self.pubsub {
            // Everything else goes to the node: in subscribed mode it answers as Redis does
            // (RESP2 allows only a few commands there, RESP3 all).
            if !matches!(class, Class::Local(Local::Quit | Local::Reset)) {
                pubsub.send(args);
                return Flow::Continue;
            }
        }
        let in_transaction = self.pinned.as_ref().is_some_and(|p| p.multi);
        let streams = matches!(class, Class::Pin(Pin::PubSub | Pin::Tracking));
        if streams && !in_transaction {
            self.subscribe(args).await;
            return Flow::Continue;
        }
        if self.pinned.is_some() && !matches!(class, Class::Local(l) if l.stays_local_when_pinned())
        {
            return self.send_pinned(args, class).await;
        }
        match class {
            Class::Local(command) => return local::answer(self, command, &args).await,
            Class::Refused(why) => {
                self.reply_error(class, &format!("ERR rgroup router: {why}"));
            }
            Class::Pin(_) => return self.send_pinned(args, class).await,
            Class::Read => match self.read_backend() {
                Some(backend) => {
                    self.send(&backend, &args, class);
                    if let Some(run) = self.run.as_mut() {
                        if run.count == 1 {
                            run.read_from_replica = true;
                            run.read_after = self.read_after.clone();
                        }
                    }
                }
                None => self.send_to_primary(args, class, false).await,
            },
            Class::Write if self.endpoint == Endpoint::Reader => self.reply_error(
                class,
                "READONLY You can't write against a reader endpoint: use the primary or smart endpoint.",
            ),
            Class::Write | Class::Primary => self.send_to_primary(args, class, true).await,
        }
        Flow::Continue
    }

    /// Sends to the primary, holding the command while no primary is reachable.
    async fn send_to_primary(&mut self, args: Vec<Bytes>, class: Class, writes: bool) {
        let Some(primary) = self.primary().await else {
            self.reply_hold_timeout(class);
            return;
        };
        if writes {
            self.writes += 1;
            self.write_backend = Some(primary.clone());
        }
        self.send(&primary, &args, class);
        // A read sent here because no replica is known to hold this client's writes: learn
        // the primary's offset once, so that later reads can go to replicas again.
        if !writes && self.endpoint == Endpoint::Smart && self.writes > 0 && self.probe.is_none() {
            if let Some(run) = self.run.as_mut() {
                run.probe = Some(self.writes);
            }
        }
    }

    /// The usable primary, waiting up to `failover-hold-ms` for one.
    pub async fn primary(&mut self) -> Option<Arc<Backend>> {
        if let Some(primary) = self.router.routes().usable_primary() {
            return Some(primary.clone());
        }
        // What is gathered goes on meanwhile; only this command and those after it wait.
        self.flush();
        let metrics = &self.router.metrics;
        metrics
            .held_writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let hold = std::time::Duration::from_millis(self.router.settings.failover_hold_ms);
        let deadline = tokio::time::Instant::now() + hold;
        loop {
            let changed = self.router.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(primary) = self.router.routes().usable_primary() {
                return Some(primary.clone());
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                metrics
                    .hold_timeouts
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return None;
            }
        }
    }

    fn reply_hold_timeout(&mut self, class: Class) {
        let text = format!(
            "NOPRIMARY rgroup router: no primary reachable within failover-hold-ms ({} ms); \
             the command was not sent",
            self.router.settings.failover_hold_ms
        );
        self.reply_error(class, &text);
    }

    /// A replica for a read, or None to read from the primary.
    fn read_backend(&mut self) -> Option<Arc<Backend>> {
        if self.endpoint == Endpoint::Primary {
            return None;
        }
        let after = if self.endpoint == Endpoint::Smart && self.writes > 0 {
            self.take_probe();
            match &self.fresh {
                Some((covered, position)) if *covered == self.writes => Some(position.clone()),
                _ => return None,
            }
        } else {
            None
        };
        // Reads that follow one another in a pipeline stay with the replica chosen for the
        // first: one choice per run, not per command.
        if let Some(run) = &self.run {
            if run.read_from_replica && (after.is_none() || run.read_after == after) {
                return Some(run.backend.clone());
            }
        }
        let routes = self.router.routes();
        let settings = &self.router.settings;
        let choice = ReadChoice {
            policy: settings.read_policy,
            local_az: (settings.az_local && !settings.az.is_empty())
                .then_some(settings.az.as_str()),
            turn: self.router.next_turn(),
        };
        let positions = after.as_ref().map(|_| self.router.positions.lock());
        let index = choice.pick(routes.replicas.len(), |i| {
            let replica = &routes.replicas[i];
            let holds_writes = match (&positions, &after) {
                (Some(positions), Some(target)) => positions.holds(&replica.node, target),
                _ => true,
            };
            Candidate {
                az: &replica.az,
                fit: replica.fit(settings.max_replica_lag_ms),
                holds_writes,
                outstanding: replica.backend.outstanding(),
            }
        });
        drop(positions);
        let index = index?;
        self.read_after = after;
        Some(routes.replicas[index].backend.clone())
    }

    /// The position after every write so far, when a probe already asked for it (the end
    /// of a pinned session, a read after writes).
    async fn position_after_writes(&mut self) -> Option<Position> {
        if let Some((covered, receiver)) = self.probe.take() {
            if let Some(position) = receiver.await.ok().and_then(|r| local::probe_position(&r)) {
                self.fresh = Some((covered, position));
            }
        }
        match &self.fresh {
            Some((covered, position)) if *covered == self.writes => Some(position.clone()),
            _ => None,
        }
    }

    /// Takes the answer of an offset probe, if it has come.
    fn take_probe(&mut self) {
        let Some((covered, receiver)) = self.probe.as_mut() else {
            return;
        };
        match receiver.try_recv() {
            Ok(reply) => {
                if let Some(position) = local::probe_position(&reply) {
                    self.fresh = Some((*covered, position));
                }
                self.probe = None;
            }
            Err(oneshot::error::TryRecvError::Empty) => {}
            Err(oneshot::error::TryRecvError::Closed) => self.probe = None,
        }
    }

    async fn send_pinned(&mut self, args: Vec<Bytes>, class: Class) -> Flow {
        let stale = self
            .pinned
            .as_ref()
            .is_some_and(|p| !p.backend.is_up() && p.backend.failures() > 0);
        if stale {
            // Its node went away (a failover): the session's state went with it.
            self.flush();
            self.pinned = None;
        }
        if self.pinned.is_none() {
            let Some(primary) = self.primary().await else {
                self.reply_hold_timeout(class);
                return Flow::Continue;
            };
            self.flush();
            let backend = Backend::own(
                primary.node.clone(),
                primary.address.clone(),
                self.router.settings.node_password.clone(),
                self.router.changed.clone(),
                self.protocol,
            );
            self.pinned = Some(Pinned {
                backend,
                shared: primary,
                multi: false,
                watch: false,
                database: None,
                blocking: false,
            });
        }
        let Some(pinned) = self.pinned.as_mut() else {
            return Flow::Continue;
        };
        let id = rg_commands::lookup(&args[0]).map(|spec| spec.id);
        match id {
            Some(CommandId::Multi) => pinned.multi = true,
            Some(CommandId::Watch) => pinned.watch = true,
            Some(CommandId::Exec | CommandId::Discard) => {
                pinned.multi = false;
                pinned.watch = false;
            }
            Some(CommandId::Unwatch) => pinned.watch = false,
            Some(CommandId::Select) => {
                pinned.database = args.get(1).filter(|db| db.as_ref() != b"0").cloned()
            }
            _ if class == Class::Pin(Pin::Blocking) => pinned.blocking = true,
            _ => {}
        }
        let backend = pinned.backend.clone();
        let still_needed = pinned.needed();
        if class != Class::Read {
            self.writes += 1;
            self.write_backend = Some(pinned.shared.clone());
        }
        self.send(&backend, &args, class);
        if !still_needed {
            // Done with it: its last job learns the offset its writes reached.
            if self.endpoint == Endpoint::Smart && self.probe.is_none() {
                if let Some(run) = self.run.as_mut() {
                    run.probe = Some(self.writes);
                }
            }
            self.flush();
            self.pinned = None;
        }
        Flow::Continue
    }

    /// Moves the client to a subscription connection of its own, in the database it chose
    /// (channels know no databases, but the commands it sends after unsubscribing do).
    async fn subscribe(&mut self, args: Vec<Bytes>) {
        self.flush();
        let database = self.pinned.take().and_then(|pinned| pinned.database);
        let pubsub = PubSub::start(
            self.router.clone(),
            self.out.clone(),
            self.protocol,
            database,
        );
        pubsub.send(args);
        self.pubsub = Some(pubsub);
    }

    /// Adds a command to the run for `backend`, sending the run gathered for another one.
    fn send(&mut self, backend: &Arc<Backend>, args: &[Bytes], class: Class) {
        if self
            .run
            .as_ref()
            .is_some_and(|run| !Arc::ptr_eq(&run.backend, backend))
        {
            self.flush();
        }
        let class = class_index(class);
        let run = self.run.get_or_insert_with(|| Run {
            backend: backend.clone(),
            bytes: BytesMut::with_capacity(256),
            count: 0,
            class,
            start: Instant::now(),
            probe: None,
            read_from_replica: false,
            read_after: None,
        });
        encode::array_len(&mut run.bytes, args.len());
        for arg in args {
            encode::bulk(&mut run.bytes, arg);
        }
        run.count += 1;
        if run.class != class {
            run.class = class_index(Class::Primary);
        }
    }

    /// Sends the gathered run as one job; its reply takes its place in the reply order.
    pub fn flush(&mut self) {
        let Some(mut run) = self.run.take() else {
            return;
        };
        let probe = run.probe.map(|covered| {
            run.bytes.extend_from_slice(local::PROBE);
            let (sender, receiver) = oneshot::channel();
            self.probe = Some((covered, receiver));
            sender
        });
        let (done, reply) = oneshot::channel();
        run.backend.submit(Job {
            protocol: self.protocol,
            bytes: run.bytes.freeze(),
            replies: run.count,
            done,
            probe,
        });
        let _ = self.out.send(Outgoing::Pending {
            reply,
            count: run.count,
            class: run.class,
            start: run.start,
        });
    }

    /// A reply the router makes, in its place in the order.
    pub fn reply(&mut self, class: Class, bytes: Bytes) {
        self.flush();
        let _ = self.out.send(Outgoing::Ready {
            bytes,
            class: class_index(class),
            errors: 0,
            start: Instant::now(),
        });
    }

    pub fn reply_error(&mut self, class: Class, text: &str) {
        self.flush();
        let mut bytes = BytesMut::new();
        encode::error(&mut bytes, text.as_bytes());
        let _ = self.out.send(Outgoing::Ready {
            bytes: bytes.freeze(),
            class: class_index(class),
            errors: 1,
            start: Instant::now(),
        });
    }

    /// Drops the pinned connection and subscriptions (RESET).
    pub fn reset(&mut self) {
        self.flush();
        self.pinned = None;
        self.pubsub = None;
        self.name = None;
        self.protocol = Protocol::Resp2;
        self.authed = self.router.settings.requirepass.is_none();
    }

    /// Switches to `protocol` (HELLO). A connection of the client's own is switched in place,
    /// keeping its session (database, transaction); the node's HELLO reply is dropped, since
    /// the router answers HELLO itself.
    pub fn switch_protocol(&mut self, protocol: Protocol) {
        if protocol == self.protocol {
            return;
        }
        self.flush();
        self.protocol = protocol;
        if let Some(pinned) = &self.pinned {
            let version: &[u8] = match protocol {
                Protocol::Resp2 => b"2",
                Protocol::Resp3 => b"3",
            };
            let mut bytes = BytesMut::new();
            encode::array_len(&mut bytes, 2);
            encode::bulk(&mut bytes, b"HELLO");
            encode::bulk(&mut bytes, version);
            let (done, _reply) = oneshot::channel();
            let (probe, _answer) = oneshot::channel();
            pinned.backend.submit(Job {
                protocol,
                bytes: bytes.freeze(),
                replies: 0,
                done,
                probe: Some(probe),
            });
        }
    }

    /// Asks the node that took this client's last write (WAIT) for its position after it,
    /// on the connection the write went on, so the answer covers the write. Without writes,
    /// the current primary's. Err when there is no node to ask; Ok(None) when the node that
    /// took the writes cannot say (gone, or no longer a primary).
    pub async fn probe_position(&mut self) -> Result<Option<Position>, ()> {
        if self.pinned.is_none() {
            if let Some(known) = self.position_after_writes().await {
                return Ok(Some(known));
            }
        }
        let backend = match (&self.pinned, &self.write_backend) {
            (Some(pinned), _) => pinned.backend.clone(),
            (None, Some(written)) => written.clone(),
            (None, None) => self.primary().await.ok_or(())?,
        };
        self.flush();
        let (done, _reply) = oneshot::channel();
        let (probe, answer) = oneshot::channel();
        backend.submit(Job {
            protocol: self.protocol,
            bytes: Bytes::from_static(local::PROBE),
            replies: 0,
            done,
            probe: Some(probe),
        });
        Ok(answer
            .await
            .ok()
            .and_then(|reply| local::probe_position(&reply)))
    }
}
