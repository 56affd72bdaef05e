//! Which replica the real sentinels promote, against fake nodes on the bus whose heartbeats
//! and control replies the test sets exactly: timing a real group into the same state
//! (a replica's last heartbeat older than its last acknowledged write) is luck.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rg_proto::messages::{
    ControlCommand, ControlReply, ControlRequest, Heartbeat, Role, DEFAULT_PRIORITY,
};
use rg_proto::{Epoch, GroupId, NodeId, Offset, ReplId, Subjects};
use rg_testkit::assert_eventually;

use crate::group::{Group, GROUP};

/// The fake group: n1 primary (beating while `n1_alive`), n2 and n3 replicas whose
/// heartbeats both say offset 100; frozen, n2 says 100 and n3 says 150, as when n3 had
/// acknowledged a write that no heartbeat reported before n1 died.
struct FakeNodes {
    n1_alive: Mutex<bool>,
    stop: Mutex<bool>,
    /// The control commands received, in order, as (node, command).
    received: Mutex<Vec<(String, ControlCommand)>>,
    /// A replica that takes a freeze without answering it (its answer lost).
    silent_on_freeze: Option<&'static str>,
}

const HISTORY: &str = "8f3d0c6c1fb7a2e5d9b4c3a1e0f2d6b8a7c5e4f3";

fn id(name: &str) -> NodeId {
    NodeId::new(name).expect("a node id")
}

fn heartbeat(node: &str, role: Role, address: &str) -> Heartbeat {
    let replica = role == Role::Replica;
    Heartbeat {
        group: GroupId::new(GROUP).expect("a group id"),
        node: id(node),
        role,
        epoch: Epoch(0),
        repl_id: ReplId(HISTORY.into()),
        offset: Offset(100),
        az: "az-a".into(),
        address: address.into(),
        healthy: true,
        primary: replica.then(|| id("n1")),
        link_up: replica,
        link_down_ms: 0,
        priority: DEFAULT_PRIORITY,
        continues: None,
        restarted: false,
    }
}

impl FakeNodes {
    fn start(
        url: String,
        silent_on_freeze: Option<&'static str>,
    ) -> (Arc<FakeNodes>, std::thread::JoinHandle<()>) {
        let fakes = Arc::new(FakeNodes {
            n1_alive: Mutex::new(true),
            stop: Mutex::new(false),
            received: Mutex::new(Vec::new()),
            silent_on_freeze,
        });
        let shared = fakes.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(shared.run(url));
        });
        (fakes, thread)
    }

    async fn run(self: Arc<Self>, url: String) {
        let bus = Arc::new(
            rg_bus::Bus::connect(&url, "fake nodes")
                .await
                .expect("the bus"),
        );
        let subjects = Subjects::new("rg", &GroupId::new(GROUP).expect("a group id"));
        // The sentinels PING each node's client address too; one answer serves all three.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a client port");
        let address = listener.local_addr().expect("an address").to_string();
        tokio::spawn(answer_pings(listener));
        for (name, frozen_at) in [("n2", 100), ("n3", 150)] {
            let mut requests = bus
                .subscribe::<ControlRequest>(subjects.control(&id(name)))
                .await
                .expect("a control subscription");
            let (bus, fakes) = (bus.clone(), self.clone());
            tokio::spawn(async move {
                while let Some((request, reply_to)) = requests.next().await {
                    let offset = match request.command {
                        ControlCommand::Freeze => frozen_at,
                        _ => 100,
                    };
                    fakes
                        .received
                        .lock()
                        .unwrap()
                        .push((name.to_string(), request.command.clone()));
                    let silent = request.command == ControlCommand::Freeze
                        && fakes.silent_on_freeze == Some(name);
                    if silent {
                        continue;
                    }
                    let reply = ControlReply {
                        node: id(name),
                        accepted: true,
                        reason: None,
                        role: Role::Replica,
                        epoch: request.epoch,
                        repl_id: ReplId(HISTORY.into()),
                        offset: Offset(offset),
                    };
                    if let Some(reply_to) = reply_to {
                        let _ = bus.reply(&reply_to, &reply).await;
                    }
                }
            });
        }
        while !*self.stop.lock().unwrap() {
            let mut beats = vec![
                heartbeat("n2", Role::Replica, &address),
                heartbeat("n3", Role::Replica, &address),
            ];
            if *self.n1_alive.lock().unwrap() {
                beats.push(heartbeat("n1", Role::Primary, &address));
            }
            for beat in beats {
                let _ = bus.publish(subjects.heartbeat(&beat.node), &beat).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn promoted(&self) -> Vec<String> {
        self.got(ControlCommand::Promote)
    }

    /// The nodes that received `command`, in order.
    fn got(&self, command: ControlCommand) -> Vec<String> {
        let received = self.received.lock().unwrap();
        received
            .iter()
            .filter(|(_, c)| *c == command)
            .map(|(node, _)| node.clone())
            .collect()
    }
}

async fn answer_pings(listener: tokio::net::TcpListener) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    while let Ok((mut stream, _)) = listener.accept().await {
        tokio::spawn(async move {
            let mut buffer = [0u8; 64];
            while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {
                if stream.write_all(b"+PONG\r\n").await.is_err() {
                    return;
                }
            }
        });
    }
}

#[test]
fn an_automatic_failover_promotes_the_replica_holding_the_most_not_the_one_heartbeats_favour() {
    let group = Group::start();
    let (fakes, thread) = FakeNodes::start(group.nats.url(), None);
    assert_eventually!(
        group.events.names().iter().any(|n| n == "TopologyCreated"),
        Duration::from_secs(20)
    );
    *fakes.n1_alive.lock().unwrap() = false;
    assert_eventually!(!fakes.promoted().is_empty(), Duration::from_secs(20));
    // By heartbeats n2 and n3 are level, and the lower id would win; frozen, n3 holds
    // 50 bytes more (a write WAIT 1 counted on it alone).
    assert_eq!(
        fakes.promoted(),
        ["n3"],
        "the replica with the write is promoted"
    );
    let received = fakes.received.lock().unwrap().clone();
    let froze = |node: &str| {
        received
            .iter()
            .any(|(n, c)| n == node && *c == ControlCommand::Freeze)
    };
    assert!(
        froze("n2") && froze("n3"),
        "both were frozen first: {received:?}"
    );
    *fakes.stop.lock().unwrap() = true;
    thread.join().expect("the fake nodes stop");
}

/// A replica that is up but whose freeze answer is lost stops the failover (it may hold
/// the write the others lack); the leader then thaws every replica it asked, answered or
/// not, at once. Before, the thaws were queued with the failover's end and dropped unsent,
/// so both replicas refused the old primary's stream until their promise lapsed (10 s of
/// refused writes in 3 of 200 chaos rounds).
#[test]
fn a_failover_stopped_after_freezing_thaws_every_replica_it_asked() {
    let group = Group::start();
    let (fakes, thread) = FakeNodes::start(group.nats.url(), Some("n3"));
    assert_eventually!(
        group.events.names().iter().any(|n| n == "TopologyCreated"),
        Duration::from_secs(20)
    );
    *fakes.n1_alive.lock().unwrap() = false;
    assert_eventually!(
        {
            let thawed = fakes.got(ControlCommand::Thaw);
            thawed.iter().any(|n| n == "n2") && thawed.iter().any(|n| n == "n3")
        },
        Duration::from_secs(20)
    );
    assert!(
        fakes.promoted().is_empty(),
        "nothing is promoted while n3's position is unknown"
    );
    *fakes.stop.lock().unwrap() = true;
    thread.join().expect("the fake nodes stop");
}
