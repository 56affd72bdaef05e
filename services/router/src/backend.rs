//! One pipelined connection to a node, shared by many clients: jobs (a client's run of
//! commands, already encoded) are written in the order they arrive, and replies, found with
//! `rg_resp::FrameScanner` and never parsed, go back to each job in the same order. The
//! connection is re-made after a failure; jobs in flight then get an error (they may or may
//! not have run), and jobs that arrive while it is down fail at once.
//!
//! Replies pass through as the node wrote them, so a shared backend keeps one connection
//! per protocol: RESP2 always (its state is the backend's up or down), RESP3 from the first
//! RESP3 client on. A client's own connection speaks whatever its client chose.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rg_proto::NodeId;
use rg_resp::{FrameScanner, Limits, Protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
const RETRY: Duration = Duration::from_millis(100);
/// Jobs written with one write at most.
const BATCH_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// Not connected: the command was not sent.
    Unreachable(String),
    /// The connection failed with the command sent: it may or may not have run.
    Lost(String),
}

/// A run of commands for one backend.
pub struct Job {
    /// The protocol its replies must come in (a shared backend's connection for it).
    pub protocol: Protocol,
    pub bytes: Bytes,
    /// Replies owed to the client.
    pub replies: usize,
    pub done: oneshot::Sender<Result<Bytes, BackendError>>,
    /// One more reply after those, for the router itself (an offset probe).
    pub probe: Option<oneshot::Sender<Bytes>>,
}

/// What the connection's task and its handles share.
#[derive(Default)]
struct Stats {
    up: AtomicBool,
    outstanding: AtomicUsize,
    commands: AtomicU64,
    failures: AtomicU64,
}

impl Stats {
    /// Commands answered or failed; never below zero, whatever a lost connection dropped.
    fn release(&self, count: usize) {
        let _ = self
            .outstanding
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(count))
            });
    }
}

pub struct Backend {
    pub node: NodeId,
    pub address: String,
    /// The connection made with the backend: it says whether the backend is up.
    main: mpsc::UnboundedSender<Job>,
    /// A shared backend's RESP3 connection, made when the first RESP3 job comes; None for a
    /// client's own backend, whose one connection takes every job.
    resp3: Option<OnceLock<mpsc::UnboundedSender<Job>>>,
    /// What a connection made later needs.
    link: Link,
}

impl Backend {
    /// A backend shared by clients of either protocol; `changed` is notified whenever its
    /// RESP2 connection goes up or down. The connections' tasks end once the last handle is
    /// dropped and their replies are delivered.
    pub fn shared(
        node: NodeId,
        address: String,
        password: Option<String>,
        reply_timeout: Duration,
        changed: Arc<Notify>,
    ) -> Arc<Backend> {
        Backend::spawn(
            node,
            address,
            password,
            Some(reply_timeout),
            changed,
            Protocol::Resp2,
            Some(OnceLock::new()),
        )
    }

    /// A client's own connection, starting in the client's `protocol` and following its
    /// HELLOs after that; no reply timeout, since a blocking command may rightly wait for
    /// ever.
    pub fn own(
        node: NodeId,
        address: String,
        password: Option<String>,
        changed: Arc<Notify>,
        protocol: Protocol,
    ) -> Arc<Backend> {
        Backend::spawn(node, address, password, None, changed, protocol, None)
    }

    fn spawn(
        node: NodeId,
        address: String,
        password: Option<String>,
        reply_timeout: Option<Duration>,
        changed: Arc<Notify>,
        protocol: Protocol,
        resp3: Option<OnceLock<mpsc::UnboundedSender<Job>>>,
    ) -> Arc<Backend> {
        let link = Link {
            address: address.clone(),
            password,
            protocol,
            reply_timeout,
            stats: Arc::new(Stats::default()),
            changed: Some(changed),
        };
        let main = link.start();
        Arc::new(Backend {
            node,
            address,
            main,
            resp3,
            link,
        })
    }

    /// The connection for a job in `protocol`.
    fn connection(&self, protocol: Protocol) -> &mpsc::UnboundedSender<Job> {
        match (&self.resp3, protocol) {
            (Some(resp3), Protocol::Resp3) => resp3.get_or_init(|| {
                Link {
                    protocol: Protocol::Resp3,
                    // Only the main connection reports up and down.
                    changed: None,
                    ..self.link.clone()
                }
                .start()
            }),
            _ => &self.main,
        }
    }

    pub fn is_up(&self) -> bool {
        self.link.stats.up.load(Ordering::Relaxed)
    }

    /// Commands sent and not yet answered.
    pub fn outstanding(&self) -> usize {
        self.link.stats.outstanding.load(Ordering::Relaxed)
    }

    pub fn commands(&self) -> u64 {
        self.link.stats.commands.load(Ordering::Relaxed)
    }

    pub fn failures(&self) -> u64 {
        self.link.stats.failures.load(Ordering::Relaxed)
    }

    /// Queues a job; its `done` always gets an answer.
    pub fn submit(&self, job: Job) {
        let stats = &self.link.stats;
        let count = job.replies + usize::from(job.probe.is_some());
        stats.outstanding.fetch_add(count, Ordering::Relaxed);
        stats.commands.fetch_add(count as u64, Ordering::Relaxed);
        if let Err(mpsc::error::SendError(job)) = self.connection(job.protocol).send(job) {
            stats.release(count);
            let _ = job.done.send(Err(BackendError::Unreachable(
                "the connection is closed".into(),
            )));
        }
    }
}

/// A job written and waiting for its replies.
struct InFlight {
    sent: tokio::time::Instant,
    replies: usize,
    done: oneshot::Sender<Result<Bytes, BackendError>>,
    probe: Option<oneshot::Sender<Bytes>>,
}

#[derive(Clone)]
struct Link {
    address: String,
    password: Option<String>,
    /// What the connection says with HELLO (or AUTH) when it is made.
    protocol: Protocol,
    /// A node that leaves a command unanswered this long is taken for dead (a hung process
    /// keeps its connections open). None for a client's own connection, where a blocking
    /// command may rightly wait for ever.
    reply_timeout: Option<Duration>,
    stats: Arc<Stats>,
    /// Told when the connection goes up or down; None for one that does not report.
    changed: Option<Arc<Notify>>,
}

impl Link {
    fn start(&self) -> mpsc::UnboundedSender<Job> {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(self.clone().run(queue));
        jobs
    }

    async fn run(self, mut queue: mpsc::UnboundedReceiver<Job>) {
        loop {
            match self.connect().await {
                Ok(stream) => {
                    self.set_up(true);
                    let closed = self.serve(stream, &mut queue).await;
                    self.set_up(false);
                    if closed {
                        return;
                    }
                }
                Err(error) => {
                    tracing::debug!(address = %self.address, %error, "backend unreachable");
                }
            }
            // Down: what arrives until the next attempt is refused at once.
            let retry = tokio::time::sleep(RETRY);
            tokio::pin!(retry);
            loop {
                tokio::select! {
                    job = queue.recv() => match job {
                        Some(job) => self.fail(job.replies + usize::from(job.probe.is_some()),
                            job.done, BackendError::Unreachable(format!("{} is not reachable", self.address))),
                        None => return,
                    },
                    _ = &mut retry => break,
                }
            }
        }
    }

    fn set_up(&self, up: bool) {
        if let Some(changed) = &self.changed {
            self.stats.up.store(up, Ordering::Relaxed);
            changed.notify_waiters();
        }
    }

    fn fail(
        &self,
        count: usize,
        done: oneshot::Sender<Result<Bytes, BackendError>>,
        error: BackendError,
    ) {
        self.stats.release(count);
        self.stats
            .failures
            .fetch_add(count as u64, Ordering::Relaxed);
        let _ = done.send(Err(error));
    }

    async fn connect(&self) -> Result<TcpStream, String> {
        connect(&self.address, self.password.as_deref(), self.protocol).await
    }

    /// Serves one connection until it fails (false) or the last handle is gone and every
    /// reply is delivered (true).
    async fn serve(&self, stream: TcpStream, queue: &mut mpsc::UnboundedReceiver<Job>) -> bool {
        let (read, write) = stream.into_split();
        let (sent, waiting) = mpsc::unbounded_channel::<InFlight>();
        let reader = self.read_replies(read, waiting);
        let writer = write_jobs(write, queue, sent);
        tokio::pin!(reader);
        tokio::pin!(writer);
        let mut writer_done = false;
        loop {
            tokio::select! {
                ended = &mut writer, if !writer_done => match ended {
                    // No more jobs will come: finish delivering replies.
                    WriterEnd::Closed => writer_done = true,
                    WriterEnd::Failed(reason) => {
                        tracing::debug!(address = %self.address, reason, "backend write failed");
                        // The read side fails too, failing the jobs in flight.
                        let _ = tokio::time::timeout(CONNECT_TIMEOUT, &mut reader).await;
                        return false;
                    }
                },
                ended = &mut reader => {
                    return match ended {
                        Ok(()) => writer_done,
                        Err(reason) => {
                            tracing::warn!(address = %self.address, reason, "backend connection lost");
                            false
                        }
                    };
                }
            }
        }
    }

    /// Delivers replies in order; Ok once no job is left and none can come, Err when the
    /// connection fails (every job in flight, and every job queued behind, gets `Lost`).
    async fn read_replies(
        &self,
        mut read: OwnedReadHalf,
        mut waiting: mpsc::UnboundedReceiver<InFlight>,
    ) -> Result<(), String> {
        let mut buf = BytesMut::with_capacity(64 * 1024);
        let mut current: Option<InFlight> = None;
        let mut cursor = Cursor::default();
        let outcome = loop {
            if let Err(reason) = self.deliver(&mut buf, &mut current, &mut waiting, &mut cursor) {
                break Err(reason);
            }
            let overdue = match (&current, self.reply_timeout) {
                (Some(job), Some(limit)) => Some(job.sent + limit),
                _ => None,
            };
            tokio::select! {
                read = read.read_buf(&mut buf) => match read {
                    Ok(0) => break Err("the node closed the connection".to_string()),
                    Ok(_) => {}
                    Err(error) => break Err(error.to_string()),
                },
                _ = sleep_until_some(overdue) => {
                    let limit = self.reply_timeout.unwrap_or_default().as_millis();
                    break Err(format!("no reply within {limit} ms"));
                }
                job = waiting.recv(), if current.is_none() => match job {
                    Some(job) => current = Some(job),
                    None => break Ok(()),
                },
            }
        };
        if let Err(reason) = &outcome {
            let error = BackendError::Lost(format!(
                "the connection to {} was lost ({reason}) with the command in flight; \
                 it may or may not have been applied",
                self.address
            ));
            waiting.close();
            let queued = std::iter::from_fn(|| waiting.try_recv().ok());
            for job in current.into_iter().chain(queued) {
                let count = job.replies + usize::from(job.probe.is_some());
                self.fail(count, job.done, error.clone());
            }
        }
        outcome
    }

    /// Hands out every complete reply `buf` holds, in job order.
    fn deliver(
        &self,
        buf: &mut BytesMut,
        current: &mut Option<InFlight>,
        waiting: &mut mpsc::UnboundedReceiver<InFlight>,
        cursor: &mut Cursor,
    ) -> Result<(), String> {
        let limits = Limits::default();
        loop {
            let job = match current.as_mut() {
                Some(job) => job,
                None => match waiting.try_recv() {
                    Ok(job) => current.insert(job),
                    Err(_) => return Ok(()),
                },
            };
            let needed = job.replies + usize::from(job.probe.is_some());
            while cursor.seen < needed {
                match cursor.scanner.scan(&buf[cursor.scanned..], &limits) {
                    Ok(Some(len)) => {
                        if cursor.seen == job.replies {
                            cursor.probe_at = cursor.scanned;
                        }
                        cursor.scanned += len;
                        cursor.seen += 1;
                    }
                    Ok(None) => return Ok(()),
                    Err(error) => return Err(format!("the node sent bad RESP: {error}")),
                }
            }
            let Some(job) = current.take() else {
                return Ok(());
            };
            let mut reply = buf.split_to(cursor.scanned).freeze();
            self.stats.release(needed);
            if let Some(probe) = job.probe {
                let _ = probe.send(reply.split_off(cursor.probe_at));
            }
            let _ = job.done.send(Ok(reply));
            *cursor = Cursor::default();
        }
    }
}

/// Sleeps until `deadline`, or for ever without one.
async fn sleep_until_some(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Progress through the current job's replies.
#[derive(Default)]
struct Cursor {
    scanned: usize,
    seen: usize,
    probe_at: usize,
    /// Its place in the reply that is still arriving.
    scanner: FrameScanner,
}

/// A connection to a node speaking `protocol`, authenticated with `password` when one is
/// set: `HELLO 3 [AUTH default password]` for RESP3, `AUTH password` for RESP2.
pub async fn connect(
    address: &str,
    password: Option<&str>,
    protocol: Protocol,
) -> Result<TcpStream, String> {
    let connect = TcpStream::connect(address);
    let mut stream = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let mut greeting: Vec<&[u8]> = match protocol {
        Protocol::Resp2 => vec![b"AUTH"],
        Protocol::Resp3 => vec![b"HELLO", b"3", b"AUTH", b"default"],
    };
    match password {
        Some(password) => greeting.push(password.as_bytes()),
        None if protocol == Protocol::Resp3 => greeting.truncate(2),
        None => return Ok(stream),
    }
    let mut request = BytesMut::new();
    rg_resp::encode::array_len(&mut request, greeting.len());
    greeting
        .iter()
        .for_each(|word| rg_resp::encode::bulk(&mut request, word));
    let answer = tokio::time::timeout(CONNECT_TIMEOUT, greet(&mut stream, &request))
        .await
        .map_err(|_| "no answer to the greeting".to_string())??;
    if matches!(answer.first(), Some(b'-' | b'!')) {
        return Err(format!(
            "{} refused: {}",
            String::from_utf8_lossy(greeting[0]),
            String::from_utf8_lossy(&answer).trim_end()
        ));
    }
    Ok(stream)
}

/// Sends `request` and reads its one reply, whole.
async fn greet(stream: &mut TcpStream, request: &[u8]) -> Result<BytesMut, String> {
    stream.write_all(request).await.map_err(|e| e.to_string())?;
    let mut answer = BytesMut::with_capacity(512);
    let mut scanner = FrameScanner::default();
    loop {
        if stream
            .read_buf(&mut answer)
            .await
            .map_err(|e| e.to_string())?
            == 0
        {
            return Err("the node closed the connection".into());
        }
        match scanner.scan(&answer, &Limits::default()) {
            Ok(Some(len)) if len == answer.len() => return Ok(answer),
            Ok(Some(_)) => return Err("the node sent more than one reply".into()),
            Ok(None) => {}
            Err(error) => return Err(format!("the node sent bad RESP: {error}")),
        }
    }
}

enum WriterEnd {
    /// Every handle is gone.
    Closed,
    Failed(String),
}

/// Writes jobs as they come, several per write when they queue up. Each job is registered
/// as in flight before its bytes go out, so its replies always find it.
async fn write_jobs(
    mut write: OwnedWriteHalf,
    queue: &mut mpsc::UnboundedReceiver<Job>,
    sent: mpsc::UnboundedSender<InFlight>,
) -> WriterEnd {
    let mut out = BytesMut::with_capacity(16 * 1024);
    loop {
        let Some(first) = queue.recv().await else {
            return WriterEnd::Closed;
        };
        let mut next = Some(first);
        while let Some(job) = next.take() {
            out.extend_from_slice(&job.bytes);
            let _ = sent.send(InFlight {
                sent: tokio::time::Instant::now(),
                replies: job.replies,
                done: job.done,
                probe: job.probe,
            });
            if out.len() < BATCH_BYTES {
                next = queue.try_recv().ok();
            }
        }
        if let Err(error) = write.write_all(&out).await {
            return WriterEnd::Failed(error.to_string());
        }
        out.clear();
    }
}
