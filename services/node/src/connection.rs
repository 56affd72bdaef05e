//! One client connection: read requests, execute them in batches under the engine lock,
//! write the replies, and deliver pub/sub messages and blocked-command results.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rg_resp::{Limits, ProtocolError, RequestDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};

use crate::commands::{self, Ctx, Response, Session};
use crate::engine::blocking::WaiterId;
use crate::engine::keyspace::Millis;
use crate::engine::pubsub::PushMessage;
use crate::engine::reply::Reply;
use crate::engine::Engine;
use crate::server::{now_ms, Shared};

mod busy;
mod push;
mod waiting;

/// Messages a subscriber may have waiting before it counts as too slow and is disconnected.
const PUSH_BACKLOG: usize = 64 * 1024;
const READ_CHUNK: usize = 16 * 1024;

/// A command that waits for a list element (BLPOP and friends).
struct Blocked {
    waiter: WaiterId,
    rx: oneshot::Receiver<Reply>,
    deadline: Option<Millis>,
}

/// Where executing the pending requests left the connection.
enum Step {
    /// Every pending request was answered.
    Answered,
    Blocked(Blocked),
    /// WAIT: replicas' acks of an offset.
    WaitAcks(rg_proto::Position, usize, Option<Millis>),
    /// CLIENT PAUSE holds the next pending command until this deadline or an UNPAUSE.
    Paused(Millis, Arc<Notify>),
    Close(Close),
}

/// Why a connection stops.
enum Close {
    /// The client went away, QUIT, or was killed.
    Done,
    /// SHUTDOWN: stop the whole node.
    Shutdown,
}

struct Connection {
    shared: Arc<Shared>,
    socket: TcpStream,
    input: BytesMut,
    output: BytesMut,
    decoder: RequestDecoder,
    session: Session,
    push: mpsc::Receiver<PushMessage>,
    kill: Arc<Notify>,
    /// Requests read but not yet executed (behind a blocked command).
    pending: VecDeque<Vec<Bytes>>,
    /// A protocol error met after the pending requests; sent once they are answered.
    protocol_error: Option<ProtocolError>,
    /// Traffic not yet added to the engine's statistics: it is added the next time the
    /// connection holds the lock anyway, rather than taking the lock once more per read.
    unreported_input: u64,
    unreported_output: u64,
    /// The `timeout` setting as of the last batch, in seconds.
    idle_timeout: u64,
    /// With `sync-replicas`: the replies to writes not yet acknowledged by enough replicas
    /// (their byte ranges in `output`; the session's write position must be acknowledged),
    /// and the setting's values as of the batch.
    unacked: Vec<std::ops::Range<usize>>,
    sync_replicas: usize,
    sync_timeout: Duration,
    /// CLIENT REPLY OFF or SKIP silenced the command now waiting (a blocked pop, WAIT).
    silent_wait: bool,
}

pub async fn serve(shared: Arc<Shared>, mut socket: TcpStream) {
    let peer = socket
        .peer_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let local = socket
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let (tx, push) = mpsc::channel(PUSH_BACKLOG);
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut decoder = None;
    let (session, kill) = loop {
        if let Some(mut engine) = shared.engine.try_lock_for(busy::CHECK) {
            let id = engine.clients.register(peer, local, now_ms());
            if let Some(client) = engine.clients.get_mut(id) {
                client.push = Some(tx.clone());
            }
            let kill = engine
                .clients
                .get(id)
                .map(|c| c.kill.clone())
                .unwrap_or_default();
            let authenticated = engine.settings.requirepass.is_none();
            let limits = Limits {
                max_bulk_len: engine.settings.proto_max_bulk_len as usize,
                ..Limits::default()
            };
            decoder.get_or_insert_with(|| RequestDecoder::new(limits));
            break (Session::new(id, authenticated, tx), kill);
        }
        if shared.script.is_busy(now_ms()) {
            let waiting = decoder.get_or_insert_with(|| RequestDecoder::new(Limits::default()));
            if busy::answer_unregistered(&shared, &mut socket, &mut input, waiting)
                .await
                .is_err()
            {
                return;
            }
        }
    };
    let mut connection = Connection {
        shared,
        socket,
        input,
        output: BytesMut::with_capacity(READ_CHUNK),
        decoder: decoder.unwrap_or_default(),
        session,
        push,
        kill,
        pending: VecDeque::new(),
        protocol_error: None,
        unreported_input: 0,
        unreported_output: 0,
        idle_timeout: 0,
        unacked: Vec::new(),
        sync_replicas: 0,
        sync_timeout: Duration::ZERO,
        silent_wait: false,
    };
    let close = connection.run().await;
    connection.cleanup();
    if let Close::Shutdown = close {
        let _ = connection.shared.stop.send(true);
    }
}

impl Connection {
    async fn run(&mut self) -> Close {
        let mut stopping = self.shared.stopping.clone();
        loop {
            let idle_limit = self.idle_limit();
            tokio::select! {
                biased;
                _ = self.kill.notified() => return Close::Done,
                _ = stopping.changed() => return Close::Done,
                _ = tokio::time::sleep(idle_limit.unwrap_or(Duration::MAX)), if idle_limit.is_some() => {
                    tracing::debug!(client = self.session.id, "closing an idle client");
                    return Close::Done;
                }
                Some(message) = self.push.recv() => {
                    if self.deliver(message).await.is_err() {
                        return Close::Done;
                    }
                }
                read = self.socket.read_buf(&mut self.input) => {
                    match read {
                        Ok(0) | Err(_) => return Close::Done,
                        Ok(n) => self.note_input(n),
                    }
                    if let Some(close) = self.handle_input().await {
                        return close;
                    }
                }
            }
        }
    }

    /// The `timeout` setting, for clients it applies to (not subscribers, as in Redis).
    fn idle_limit(&self) -> Option<Duration> {
        let seconds = self.idle_timeout;
        (seconds > 0 && self.session.total_subscriptions() == 0)
            .then(|| Duration::from_secs(seconds))
    }

    fn note_input(&mut self, bytes: usize) {
        self.unreported_input += bytes as u64;
        if self.input.capacity() - self.input.len() < READ_CHUNK / 4 {
            self.input.reserve(READ_CHUNK);
        }
    }

    /// Decodes what has arrived and executes it; Some when the connection must close.
    async fn handle_input(&mut self) -> Option<Close> {
        self.decode_input();
        while !self.pending.is_empty() {
            match self.execute_pending() {
                Step::Answered => {}
                Step::Close(close) => {
                    let _ = self.flush().await;
                    return Some(close);
                }
                Step::WaitAcks(target, needed, deadline) => {
                    if self.flush().await.is_err() {
                        return Some(Close::Done);
                    }
                    if let Some(close) = self.wait_acks(target, needed, deadline).await {
                        return Some(close);
                    }
                    self.decode_input();
                }
                Step::Blocked(blocked) => {
                    if self.flush().await.is_err() {
                        return Some(Close::Done);
                    }
                    if let Some(close) = self.wait_blocked(blocked).await {
                        return Some(close);
                    }
                    // Commands sent while it waited were read, not run: they run now.
                    self.decode_input();
                }
                Step::Paused(until, resumed) => {
                    if self.flush().await.is_err() {
                        return Some(Close::Done);
                    }
                    if let Some(close) = self.wait_paused(until, resumed).await {
                        return Some(close);
                    }
                    // What arrived meanwhile runs after the held command.
                    self.decode_input();
                }
            }
        }
        if let Some(error) = self.protocol_error.take() {
            let line = format!("-ERR Protocol error: {error}\r\n");
            self.output.extend_from_slice(line.as_bytes());
            let _ = self.flush().await;
            return Some(Close::Done);
        }
        self.flush().await.err().map(|_| Close::Done)
    }

    fn decode_input(&mut self) {
        while self.protocol_error.is_none() {
            match self.decoder.decode(&mut self.input) {
                Ok(Some(args)) => self.pending.push_back(args),
                Ok(None) => break,
                Err(error) => self.protocol_error = Some(error),
            }
        }
    }

    /// Executes pending requests under one lock until they run out or one blocks.
    fn execute_pending(&mut self) -> Step {
        let shared = self.shared.clone();
        // Held by a script past busy-reply-threshold: answered without the lock.
        let mut engine = loop {
            if let Some(engine) = shared.engine.try_lock_for(busy::CHECK) {
                break engine;
            }
            if shared.script.is_busy(now_ms()) {
                self.answer_busy();
                return Step::Answered;
            }
        };
        let before = engine.repl.offset();
        let step = self.execute_locked(&mut engine);
        // The batch's writes enter the stream together: one capture per batch, not per
        // command (WAIT, ROLE and INFO capture what precedes them themselves, so what they
        // report covers it; the publisher is woken for those bytes too).
        if pending_records(&engine) > 0 || engine.repl.has_unpublished() {
            shared.capture_writes(&mut engine);
        }
        if engine.repl.offset() != before && !engine.repl.is_replica() {
            self.session.write_position = Some(engine.repl.position());
        }
        step
    }

    /// Every pending command answered while a script is busy.
    fn answer_busy(&mut self) {
        while let Some(args) = self.pending.pop_front() {
            busy::reply(&self.shared, &args, &mut self.output);
        }
    }

    fn execute_locked(&mut self, engine: &mut crate::engine::Engine) -> Step {
        engine.stats.net_input_bytes += std::mem::take(&mut self.unreported_input);
        engine.stats.net_output_bytes += std::mem::take(&mut self.unreported_output);
        self.idle_timeout = engine.settings.timeout;
        let synchronous = engine.repl.is_enabled() && !engine.repl.is_replica();
        self.sync_replicas = if synchronous {
            engine.settings.sync_replicas as usize
        } else {
            0
        };
        self.sync_timeout = Duration::from_millis(engine.settings.sync_timeout_ms);
        let mut ctx = Ctx {
            engine,
            session: &mut self.session,
            now: now_ms(),
            in_exec: false,
            from_primary: false,
        };
        while let Some(args) = self.pending.pop_front() {
            let records_before = pending_records(ctx.engine);
            let response = commands::process(&mut ctx, &args);
            let wrote = pending_records(ctx.engine) > records_before;
            if let Response::Paused { until, resumed } = response {
                self.pending.push_front(args);
                return Step::Paused(until, resumed);
            }
            let (answer, next) = ctx.session.reply.after_command();
            ctx.session.reply = next;
            self.silent_wait = !answer;
            match response {
                Response::Reply(_) if !answer => {}
                Response::Reply(reply) => {
                    let start = self.output.len();
                    reply.encode(&mut self.output, ctx.session.protocol);
                    if wrote && self.sync_replicas > 0 {
                        self.unacked.push(start..self.output.len());
                    }
                }
                Response::Close(reply) => {
                    reply.encode(&mut self.output, ctx.session.protocol);
                    return Step::Close(Close::Done);
                }
                Response::Shutdown => return Step::Close(Close::Shutdown),
                Response::Paused { .. } => {}
                Response::WaitAcks {
                    target,
                    needed,
                    deadline,
                } => return Step::WaitAcks(target, needed, deadline),
                Response::Block {
                    waiter,
                    rx,
                    deadline,
                } => {
                    return Step::Blocked(Blocked {
                        waiter,
                        rx,
                        deadline,
                    })
                }
            }
        }
        Step::Answered
    }

    async fn deliver(&mut self, first: PushMessage) -> std::io::Result<()> {
        let protocol = self.session.protocol;
        let subscribed = self.session.subscription_count() > 0;
        if let Some(reply) = push::reply(first, protocol, subscribed) {
            reply.encode(&mut self.output, protocol);
        }
        // Drain what else is queued so one write carries many messages.
        while let Ok(message) = self.push.try_recv() {
            if let Some(reply) = push::reply(message, protocol, subscribed) {
                reply.encode(&mut self.output, protocol);
            }
            if self.output.len() > 64 * 1024 {
                break;
            }
        }
        self.flush().await
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        if !self.unacked.is_empty() {
            self.await_sync_replicas().await;
        }
        let written = self.output.len() as u64;
        let result = self.socket.write_all(&self.output).await;
        self.output.clear();
        self.unreported_output += written;
        result
    }

    /// Forgets the client everywhere: watches, subscriptions, the registry.
    fn cleanup(&mut self) {
        let mut engine = self.shared.engine.lock();
        commands::unwatch_all(&mut engine, &mut self.session);
        let mut ctx = Ctx {
            engine: &mut engine,
            session: &mut self.session,
            now: now_ms(),
            in_exec: false,
            from_primary: false,
        };
        commands::unsubscribe_all(&mut ctx);
        ctx.engine.monitors.remove(ctx.session.id);
        let id = self.session.id;
        let Engine {
            tracking, clients, ..
        } = &mut *engine;
        tracking.disable(clients, id);
        clients.unregister(id);
    }
}

/// Write records executed but not yet captured into the replication stream.
fn pending_records(engine: &crate::engine::Engine) -> usize {
    engine.records.as_ref().map_or(0, Vec::len)
}
