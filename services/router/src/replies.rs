//! The writer side of a client connection: replies in the order the commands came, each
//! run's reply awaited in turn, written in as few writes as the timing allows.

use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rg_resp::encode;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot};

use crate::backend::BackendError;
use crate::{Endpoint, Router};

pub(crate) enum Outgoing {
    /// A reply the router made.
    Ready {
        bytes: Bytes,
        class: usize,
        errors: u64,
        start: Instant,
    },
    /// The replies of `count` commands sent as one job.
    Pending {
        reply: oneshot::Receiver<Result<Bytes, BackendError>>,
        count: usize,
        class: usize,
        start: Instant,
    },
    /// Write what is queued, then close (QUIT, a protocol error).
    Close,
}

pub(crate) async fn write(
    mut socket: OwnedWriteHalf,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    router: Arc<Router>,
    endpoint: Endpoint,
) {
    let mut out = BytesMut::with_capacity(16 * 1024);
    while let Some(first) = queue.recv().await {
        let mut next = Some(first);
        while let Some(item) = next.take() {
            match item {
                Outgoing::Ready {
                    bytes,
                    class,
                    errors,
                    start,
                } => {
                    out.extend_from_slice(&bytes);
                    router
                        .metrics
                        .observe(endpoint, class, 1, errors, start.elapsed());
                }
                Outgoing::Pending {
                    mut reply,
                    count,
                    class,
                    start,
                } => {
                    let result = match reply.try_recv() {
                        Ok(result) => result,
                        Err(oneshot::error::TryRecvError::Empty) => {
                            // Not there yet: send what is ready before waiting for it.
                            if !out.is_empty() && socket.write_all(&out).await.is_err() {
                                return;
                            }
                            out.clear();
                            reply.await.unwrap_or_else(|_| Err(dropped()))
                        }
                        Err(oneshot::error::TryRecvError::Closed) => Err(dropped()),
                    };
                    let errors = match result {
                        Ok(bytes) => {
                            out.extend_from_slice(&bytes);
                            0
                        }
                        Err(error) => {
                            let text = describe(&error);
                            for _ in 0..count {
                                encode::error(&mut out, text.as_bytes());
                            }
                            count as u64
                        }
                    };
                    router
                        .metrics
                        .observe(endpoint, class, count as u64, errors, start.elapsed());
                }
                Outgoing::Close => {
                    let _ = socket.write_all(&out).await;
                    let _ = socket.shutdown().await;
                    return;
                }
            }
            next = queue.try_recv().ok();
        }
        if socket.write_all(&out).await.is_err() {
            return;
        }
        out.clear();
    }
}

fn dropped() -> BackendError {
    BackendError::Lost("the backend connection closed with the command in flight".into())
}

fn describe(error: &BackendError) -> String {
    match error {
        BackendError::Unreachable(why) => {
            format!("NOBACKEND rgroup router: {why}; the command was not sent")
        }
        BackendError::Lost(why) => format!("CONNLOST rgroup router: {why}"),
    }
}
