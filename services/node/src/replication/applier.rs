//! Applying the primary's stream on a replica. Batches and resync pages are cut at the
//! message limit, not at command boundaries, so a command can arrive in pieces. Only
//! complete commands count: the replica's offset, its backlog and its acks stop at the last
//! complete command, and the bytes of a partial one wait here. So a replica promoted (or
//! re-pointed) with half a command received stands at a command boundary, and its own
//! stream never begins with the tail of a command nobody will finish.

use bytes::BytesMut;
use rg_resp::RequestDecoder;
use tokio::sync::mpsc;

use crate::commands::{self, Ctx, Session};
use crate::engine::Engine;
use crate::server::now_ms;

/// A RESP decoder that survives batch boundaries, the raw bytes of the command it has not
/// finished, and the session the primary's commands run in (its SELECTs persist).
pub(super) struct Applier {
    decoder: RequestDecoder,
    /// The decoder's input.
    input: BytesMut,
    /// The same bytes as received, not yet part of a complete command.
    partial: BytesMut,
    session: Session,
}

/// What one call applied: the raw bytes of its complete commands (what the offset and the
/// backlog advance by), and whether the stream stopped decoding after them (the rest must
/// then be fetched again, from the new offset).
pub(super) struct Applied {
    pub bytes: BytesMut,
    pub undecodable: bool,
}

impl Applier {
    pub fn new() -> Self {
        let (push, _) = mpsc::channel(1);
        Applier {
            decoder: RequestDecoder::default(),
            input: BytesMut::new(),
            partial: BytesMut::new(),
            session: Session::new(0, true, push),
        }
    }

    /// Bytes received past the last complete command.
    pub fn partial_len(&self) -> usize {
        self.partial.len()
    }

    /// Forgets a partial command (before a resync, which sends it again whole).
    pub fn drop_partial(&mut self) {
        self.decoder = RequestDecoder::default();
        self.input.clear();
        self.partial.clear();
    }

    /// Runs the complete commands in what was pending plus `bytes`.
    pub fn apply(&mut self, engine: &mut Engine, bytes: &[u8]) -> Applied {
        self.input.extend_from_slice(bytes);
        self.partial.extend_from_slice(bytes);
        let now = now_ms();
        let mut complete = 0;
        let undecodable = loop {
            match self.decoder.decode(&mut self.input) {
                Ok(Some(args)) => {
                    // The decoder takes bytes as it parses, even of a command it cannot
                    // finish yet: a command ends where its input has been taken up to.
                    complete = self.partial.len() - self.input.len();
                    let mut ctx = Ctx {
                        engine,
                        session: &mut self.session,
                        now,
                        in_exec: false,
                        from_primary: true,
                    };
                    commands::process(&mut ctx, &args);
                }
                Ok(None) => break false,
                Err(error) => {
                    tracing::error!(%error, "the replication stream does not decode; resyncing");
                    break true;
                }
            }
        };
        // The records of applied commands are the primary's own; only its bytes count.
        engine.take_records();
        let bytes = self.partial.split_to(complete);
        if undecodable {
            self.drop_partial();
        }
        Applied { bytes, undecodable }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::settings::Settings;

    const SET: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";

    fn engine() -> Engine {
        Engine::new(Settings::default(), 1_700_000_000_000)
    }

    #[test]
    fn a_command_split_across_batches_counts_once_it_is_whole() {
        let (mut engine, mut applier) = (engine(), Applier::new());
        let (head, tail) = SET.split_at(20);
        let first = applier.apply(&mut engine, head);
        assert!(first.bytes.is_empty() && !first.undecodable);
        assert_eq!(applier.partial_len(), head.len(), "received, not counted");
        let second = applier.apply(&mut engine, tail);
        assert_eq!(&second.bytes[..], SET);
        assert_eq!(applier.partial_len(), 0);
        assert_eq!(engine.dbs[0].keys.len(), 1);
    }

    #[test]
    fn a_dropped_partial_command_is_applied_whole_when_sent_again() {
        let (mut engine, mut applier) = (engine(), Applier::new());
        let mut stream = SET.to_vec();
        stream.extend_from_slice(&SET[..10]);
        assert_eq!(&applier.apply(&mut engine, &stream).bytes[..], SET);
        applier.drop_partial();
        assert_eq!(&applier.apply(&mut engine, SET).bytes[..], SET);
        assert_eq!(applier.partial_len(), 0);
    }

    #[test]
    fn garbage_stops_after_the_complete_commands() {
        let (mut engine, mut applier) = (engine(), Applier::new());
        let mut stream = SET.to_vec();
        stream.extend_from_slice(b"*1\r\n$x\r\n");
        let applied = applier.apply(&mut engine, &stream);
        assert!(applied.undecodable);
        assert_eq!(
            &applied.bytes[..],
            SET,
            "what was applied is counted, nothing more"
        );
        assert_eq!(applier.partial_len(), 0);
    }
}
