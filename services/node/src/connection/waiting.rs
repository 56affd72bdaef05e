//! The connection's waits: a blocked command (BLPOP...), WAIT, and `sync-replicas` holding
//! replies until replicas acknowledge.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::AsyncReadExt;
use tokio::sync::oneshot;

use super::{Blocked, Close, Connection};
use crate::engine::blocking::WaiterId;
use crate::engine::error::CmdError;
use crate::engine::keyspace::Millis;
use crate::engine::reply::Reply;
use crate::server::now_ms;

impl Connection {
    /// Waits for a blocked command's result, its timeout, or the client going away.
    pub(super) async fn wait_blocked(&mut self, blocked: Blocked) -> Option<Close> {
        let Blocked {
            waiter,
            mut rx,
            deadline,
        } = blocked;
        let timeout = deadline.map(|d| Duration::from_millis(d.saturating_sub(now_ms())));
        let sleep = tokio::time::sleep(timeout.unwrap_or(Duration::MAX));
        tokio::pin!(sleep);
        let mut stopping = self.shared.stopping.clone();
        let reply = loop {
            tokio::select! {
                biased;
                reply = &mut rx => break reply.ok(),
                _ = self.kill.notified() => return Some(self.abandon(waiter)),
                _ = stopping.changed() => return Some(self.abandon(waiter)),
                _ = &mut sleep, if timeout.is_some() => break self.time_out(waiter, &mut rx),
                read = self.socket.read_buf(&mut self.input) => match read {
                    // Bytes sent while blocked wait their turn; a close ends the wait.
                    Ok(0) | Err(_) => return Some(self.abandon(waiter)),
                    Ok(_) => {}
                },
            }
        };
        let protocol = self.session.protocol;
        if !self.silent_wait {
            reply
                .unwrap_or(Reply::NilArray)
                .encode(&mut self.output, protocol);
        }
        self.set_blocked(false);
        self.flush().await.err().map(|_| Close::Done)
    }

    /// CLIENT PAUSE: waits for the deadline or an UNPAUSE (checked again at least every
    /// 50 ms, so an UNPAUSE between the check and this wait is not missed for long).
    pub(super) async fn wait_paused(
        &mut self,
        until: Millis,
        resumed: std::sync::Arc<tokio::sync::Notify>,
    ) -> Option<Close> {
        let left = Duration::from_millis(until.saturating_sub(now_ms()));
        let sleep = tokio::time::sleep(left.min(Duration::from_millis(50)));
        tokio::pin!(sleep);
        let mut stopping = self.shared.stopping.clone();
        loop {
            tokio::select! {
                biased;
                _ = resumed.notified() => return None,
                _ = self.kill.notified() => return Some(Close::Done),
                _ = stopping.changed() => return Some(Close::Done),
                _ = &mut sleep => return None,
                read = self.socket.read_buf(&mut self.input) => match read {
                    Ok(0) | Err(_) => return Some(Close::Done),
                    Ok(_) => {}
                },
            }
        }
    }

    /// WAIT: answers how many replicas acknowledged `target` once `needed` have or the
    /// deadline passes.
    pub(super) async fn wait_acks(
        &mut self,
        target: rg_proto::Position,
        needed: usize,
        deadline: Option<Millis>,
    ) -> Option<Close> {
        let timeout = deadline.map(|d| Duration::from_millis(d.saturating_sub(now_ms())));
        let sleep = tokio::time::sleep(timeout.unwrap_or(Duration::MAX));
        tokio::pin!(sleep);
        let shared = self.shared.clone();
        // CLIENT UNBLOCK reaches this wait through the registry: true asks for the error.
        let (unblock, mut unblocked) = oneshot::channel::<bool>();
        self.set_wait_unblock(Some(unblock)).await;
        let mut unblocked_with_error = false;
        let acked = loop {
            // Registered before the check, so an ack landing in between still wakes us.
            let notified = shared.ack_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let acked = shared.lock_engine().await.repl.replicas_at(&target);
            if acked >= needed {
                break acked;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = &mut sleep, if timeout.is_some() => break acked,
                _ = self.kill.notified() => return Some(Close::Done),
                error = &mut unblocked => {
                    unblocked_with_error = error == Ok(true);
                    break acked;
                }
            }
        };
        self.set_wait_unblock(None).await;
        let protocol = self.session.protocol;
        let reply = match unblocked_with_error {
            false => Reply::Int(acked as i64),
            true => Reply::Error(CmdError::Line(
                "UNBLOCKED client unblocked via CLIENT UNBLOCK".into(),
            )),
        };
        if !self.silent_wait {
            reply.encode(&mut self.output, protocol);
        }
        self.flush().await.err().map(|_| Close::Done)
    }

    async fn set_wait_unblock(&mut self, unblock: Option<oneshot::Sender<bool>>) {
        let shared = self.shared.clone();
        let mut engine = shared.lock_engine().await;
        if let Some(client) = engine.clients.get_mut(self.session.id) {
            client.unblock_wait = unblock;
        }
    }

    /// `sync-replicas`: holds the replies until enough replicas acknowledged the writes; past
    /// `sync-timeout-ms` each write's reply becomes an error, never a silent success.
    pub(super) async fn await_sync_replicas(&mut self) {
        let shared = self.shared.clone();
        let Some(target) = self.session.write_position.clone() else {
            self.unacked.clear();
            return;
        };
        let needed = self.sync_replicas;
        let acked = async {
            loop {
                let notified = shared.ack_notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if shared.lock_engine().await.repl.replicas_at(&target) >= needed {
                    return;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(self.sync_timeout, acked).await.is_ok() {
            self.unacked.clear();
            return;
        }
        let error = format!(
            "-NOREPLICAS the write was not acknowledged by {} replicas within sync-timeout-ms \
             ({} ms): it is applied on the primary but may be lost in a failover\r\n",
            self.sync_replicas,
            self.sync_timeout.as_millis()
        );
        let mut rewritten = BytesMut::with_capacity(self.output.len());
        let mut at = 0;
        for range in self.unacked.drain(..) {
            rewritten.extend_from_slice(&self.output[at..range.start]);
            rewritten.extend_from_slice(error.as_bytes());
            at = range.end;
        }
        rewritten.extend_from_slice(&self.output[at..]);
        self.output = rewritten;
    }

    /// On timeout: unblock, unless the waiter was served in the meantime.
    fn time_out(&mut self, waiter: WaiterId, rx: &mut oneshot::Receiver<Reply>) -> Option<Reply> {
        let mut engine = self.shared.engine.lock();
        match engine.blocking.unblock(waiter) {
            // Redis 7.0 answers a null array for BLPOP, BRPOP and BLMOVE alike.
            Some(_) => Some(Reply::NilArray),
            None => rx.try_recv().ok(),
        }
    }

    fn abandon(&mut self, waiter: WaiterId) -> Close {
        self.shared.engine.lock().blocking.unblock(waiter);
        Close::Done
    }

    fn set_blocked(&mut self, blocked: bool) {
        if let Some(client) = self.shared.engine.lock().clients.get_mut(self.session.id) {
            client.blocked = blocked;
        }
    }
}
