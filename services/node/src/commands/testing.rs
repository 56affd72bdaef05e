//! Runs commands against an engine with no network, for the command families' unit tests.
use bytes::Bytes;
use tokio::sync::mpsc;

use super::{process, Ctx, Response, Session};
use crate::engine::reply::Reply;
use crate::engine::settings::Settings;
use crate::engine::Engine;

pub struct TestNode {
    pub engine: Engine,
    pub session: Session,
    pub now: u64,
    _push: mpsc::Receiver<crate::engine::pubsub::PushMessage>,
}

impl TestNode {
    /// A node whose clock starts at a fixed time and that keeps replication records.
    pub fn new() -> Self {
        let now = 1_700_000_000_000;
        let mut engine = Engine::new(Settings::default(), now);
        engine.record_writes();
        let (tx, rx) = mpsc::channel(64);
        let id = engine.clients.register(
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
            now,
        );
        TestNode {
            engine,
            session: Session::new(id, true, tx),
            now,
            _push: rx,
        }
    }

    pub fn response(&mut self, args: &[&str]) -> Response {
        let args: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        let mut ctx = Ctx {
            engine: &mut self.engine,
            session: &mut self.session,
            now: self.now,
            in_exec: false,
            from_primary: false,
        };
        process(&mut ctx, &args)
    }

    /// Runs a command that answers at once.
    pub fn run(&mut self, args: &[&str]) -> Reply {
        match self.response(args) {
            Response::Reply(reply) | Response::Close(reply) => reply,
            other => panic!("{args:?} did not answer at once: {other:?}"),
        }
    }

    /// The replication records written since the last call, as text.
    pub fn records(&mut self) -> Vec<Vec<String>> {
        self.engine
            .take_records()
            .into_iter()
            .map(|r| {
                r.args
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .collect()
    }
}

pub fn bulk(text: &str) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(text.as_bytes()))
}

pub fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

#[cfg(test)]
mod tests {
    use super::TestNode;
    use crate::engine::reply::Reply;

    #[test]
    fn a_replica_in_a_full_sync_answers_loading_except_to_loading_safe_commands() {
        let mut node = TestNode::new();
        node.engine.repl.full_sync_started();
        let loading = |reply: Reply| match reply {
            Reply::Error(e) => e.line().starts_with("LOADING"),
            _ => false,
        };
        assert!(loading(node.run(&["GET", "k"])));
        assert!(loading(node.run(&["DBSIZE"])));
        assert!(matches!(node.run(&["INFO", "replication"]), Reply::Text(_)));
        assert!(!loading(node.run(&["CONFIG", "GET", "maxmemory"])));
        node.engine
            .repl
            .full_sync_ended(rg_proto::ReplId::none(), rg_proto::Offset(0), node.now);
        assert_eq!(node.run(&["GET", "k"]), Reply::Nil);
    }
}
