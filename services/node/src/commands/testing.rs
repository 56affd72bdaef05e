//! Runs commands against an engine with no network, for the command families' unit tests.
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::{process, Ctx, Response, Session};
use crate::engine::blocking::WaiterId;
use crate::engine::keyspace::Millis;
use crate::engine::pubsub::PushMessage;
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

    /// Applies the replication records `primary` wrote since the last call, each in its
    /// database, as a replica does: how many, or the first record the replica refused.
    pub fn replay_from(&mut self, primary: &mut TestNode) -> Result<usize, String> {
        let records = primary.engine.take_records();
        for record in &records {
            self.run(&["SELECT", &record.db.to_string()]);
            let args: Vec<String> = record
                .args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let reply = self.run(&args);
            if matches!(reply, Reply::Error(_)) {
                return Err(format!(
                    "the record {args:?} failed on the replica: {reply:?}"
                ));
            }
        }
        Ok(records.len())
    }
}

pub fn bulk(text: &str) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(text.as_bytes()))
}

pub fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

/// Another connection to the TestNode's engine.
pub struct Client {
    pub session: Session,
    _push: mpsc::Receiver<PushMessage>,
}

impl Client {
    pub fn connect(node: &mut TestNode) -> Self {
        let (tx, rx) = mpsc::channel(8);
        let addr = "127.0.0.1:3".parse().unwrap();
        let id = node.engine.clients.register(addr, addr, node.now);
        Client {
            session: Session::new(id, true, tx),
            _push: rx,
        }
    }

    pub fn send(&mut self, node: &mut TestNode, args: &[&str], in_exec: bool) -> Response {
        let args: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        let mut ctx = Ctx {
            engine: &mut node.engine,
            session: &mut self.session,
            now: node.now,
            in_exec,
            from_primary: false,
        };
        process(&mut ctx, &args)
    }

    pub fn run(&mut self, node: &mut TestNode, args: &[&str]) -> Reply {
        match self.send(node, args, false) {
            Response::Reply(reply) => reply,
            other => panic!("{args:?} did not answer at once: {other:?}"),
        }
    }

    pub fn block(&mut self, node: &mut TestNode, args: &[&str]) -> Blocked {
        Blocked::from(self.send(node, args, false))
    }

    pub fn is_blocked(&self, node: &TestNode) -> bool {
        node.engine.clients.get(self.session.id).unwrap().blocked
    }
}

pub struct Blocked {
    pub waiter: WaiterId,
    pub rx: oneshot::Receiver<Reply>,
    pub deadline: Option<Millis>,
}

impl From<Response> for Blocked {
    fn from(response: Response) -> Self {
        match response {
            Response::Block {
                waiter,
                rx,
                deadline,
            } => Blocked {
                waiter,
                rx,
                deadline,
            },
            other => panic!("did not block: {other:?}"),
        }
    }
}

impl Blocked {
    pub fn served(&mut self) -> Option<Reply> {
        self.rx.try_recv().ok()
    }
}

/// A node and two connections to it.
pub fn setup() -> (TestNode, Client, Client) {
    let mut node = TestNode::new();
    let first = Client::connect(&mut node);
    let second = Client::connect(&mut node);
    (node, first, second)
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
