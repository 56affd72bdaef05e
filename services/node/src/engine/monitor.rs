//! MONITOR: the clients that see every command the node runs, and the line each one gets.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::mpsc::{error::TrySendError, Sender};

use super::clients::ClientId;
use super::pubsub::PushMessage;

#[derive(Debug, Default)]
pub struct Monitors {
    listeners: Vec<(ClientId, Sender<PushMessage>)>,
}

impl Monitors {
    pub fn add(&mut self, client: ClientId, tx: Sender<PushMessage>) {
        if !self.contains(client) {
            self.listeners.push((client, tx));
        }
    }

    pub fn remove(&mut self, client: ClientId) {
        self.listeners.retain(|(id, _)| *id != client);
    }

    pub fn contains(&self, client: ClientId) -> bool {
        self.listeners.iter().any(|(id, _)| *id == client)
    }

    pub fn is_empty(&self) -> bool {
        self.listeners.is_empty()
    }

    pub fn len(&self) -> usize {
        self.listeners.len()
    }

    /// Sends `line` to every monitor; returns those too slow to keep (as for subscribers,
    /// Redis disconnects a client whose output buffer outgrows its limit).
    pub fn feed(&mut self, line: String) -> Vec<ClientId> {
        let mut too_slow = Vec::new();
        self.listeners.retain(
            |(id, tx)| match tx.try_send(PushMessage::Monitor(line.clone())) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    too_slow.push(*id);
                    true
                }
                Err(TrySendError::Closed(_)) => false,
            },
        );
        too_slow
    }
}

/// One command as Redis's MONITOR shows it:
/// `1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`, each argument escaped as
/// `sdscatrepr` does. `source` is the client's address, or `lua` for a script's calls.
pub fn line(db: usize, source: &str, args: &[Bytes]) -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut out = format!(
        "{}.{:06} [{db} {source}]",
        since_epoch.as_secs(),
        since_epoch.subsec_micros()
    );
    for arg in args {
        out.push_str(" \"");
        for &byte in arg.iter() {
            match byte {
                b'\\' => out.push_str("\\\\"),
                b'"' => out.push_str("\\\""),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                0x07 => out.push_str("\\a"),
                0x08 => out.push_str("\\b"),
                b if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
                b => {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
        }
        out.push('"');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_quotes_and_escapes_each_argument_like_redis() {
        let args = [
            Bytes::from_static(b"SET"),
            Bytes::from_static(b"foo\"bar"),
            Bytes::from_static(b"a\\b\n\x92 c"),
        ];
        let line = line(3, "127.0.0.1:5000", &args);
        let (time, rest) = line.split_once(' ').expect("a time first");
        let (secs, micros) = time.split_once('.').expect("seconds.micros");
        assert!(secs.parse::<u64>().is_ok() && micros.len() == 6);
        assert_eq!(
            rest,
            r#"[3 127.0.0.1:5000] "SET" "foo\"bar" "a\\b\n\x92 c""#
        );
    }

    #[tokio::test]
    async fn a_closed_monitor_is_forgotten_and_a_full_one_reported() {
        let mut monitors = Monitors::default();
        let (open, mut open_rx) = tokio::sync::mpsc::channel(1);
        let (closed, closed_rx) = tokio::sync::mpsc::channel(1);
        drop(closed_rx);
        monitors.add(1, open);
        monitors.add(2, closed);
        assert!(monitors.feed("first".into()).is_empty());
        assert_eq!(monitors.len(), 1);
        assert_eq!(monitors.feed("second".into()), vec![1]);
        assert!(matches!(open_rx.recv().await, Some(PushMessage::Monitor(l)) if l == "first"));
    }
}
