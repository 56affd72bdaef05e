//! A whole replication group for the failover scenarios: nats-server with JetStream, nodes,
//! three sentinels (each serving SENTINEL commands on its own port), and a log of the
//! public events as a subscriber on the bus receives them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rg_testkit::{free_port, NatsServer, Node, Service};

use crate::support::info_field;

pub const GROUP: &str = "ha";
pub const SENTINELS: [&str; 3] = ["s1", "s2", "s3"];

pub struct Group {
    pub nats: NatsServer,
    pub nodes: BTreeMap<String, Node>,
    pub sentinels: BTreeMap<String, Service>,
    pub sentinel_ports: BTreeMap<String, u16>,
    pub events: EventLog,
    /// What the sentinels' `--group` says.
    watched: String,
    /// The sentinels' `--down-after-ms`.
    down_after_ms: u64,
    state: tempfile::TempDir,
}

impl Group {
    /// The bus, the event subscriber, and three sentinels; nodes come with [`Group::node`].
    pub fn start() -> Group {
        Self::watching(GROUP)
    }

    /// Like [`Group::start`], with sentinels that watch `groups` (comma-separated).
    pub fn watching(groups: &str) -> Group {
        Self::with_sentinels(groups, 500)
    }

    /// Like [`Group::start`], with sentinels that hold a node down after `down_after_ms`.
    pub fn with_down_after(down_after_ms: u64) -> Group {
        Self::with_sentinels(GROUP, down_after_ms)
    }

    fn with_sentinels(groups: &str, down_after_ms: u64) -> Group {
        let nats = NatsServer::start_jetstream();
        let events = EventLog::start(&nats.url());
        let mut group = Group {
            nats,
            nodes: BTreeMap::new(),
            sentinels: BTreeMap::new(),
            sentinel_ports: BTreeMap::new(),
            events,
            watched: groups.to_string(),
            down_after_ms,
            state: tempfile::tempdir().expect("a state dir"),
        };
        for id in SENTINELS {
            group.start_sentinel(id);
        }
        group
    }

    /// Starts node `id` (following `follow`, if given) on `nats_url` (the group's bus
    /// unless a test puts a proxy in between), with `extra` flags.
    pub fn node_on(&mut self, nats_url: &str, id: &str, follow: Option<&str>, extra: &[&str]) {
        self.node_in(GROUP, nats_url, id, follow, extra);
    }

    /// Starts node `id` of `group`.
    pub fn node_in(
        &mut self,
        group: &str,
        nats_url: &str,
        id: &str,
        follow: Option<&str>,
        extra: &[&str],
    ) {
        let mut args = node_flags(nats_url, group, id);
        if let Some(primary) = follow {
            args.extend(["--replicaof", primary]);
        }
        args.extend(extra);
        self.nodes.insert(id.to_string(), Node::start(&args));
    }

    pub fn node(&mut self, id: &str, follow: Option<&str>, extra: &[&str]) {
        let url = self.nats.url();
        self.node_on(&url, id, follow, extra);
    }

    pub fn start_sentinel(&mut self, id: &str) {
        let url = self.nats.url();
        let port = self
            .sentinel_ports
            .entry(id.to_string())
            .or_insert_with(free_port)
            .to_string();
        let dir = self.state.path().display().to_string();
        let down_after = self.down_after_ms.to_string();
        let service = Service::start(
            "rg-sentinel",
            &[
                "--id",
                id,
                "--nats-url",
                &url,
                "--group",
                &self.watched,
                "--sentinels",
                "s1,s2,s3",
                "--down-after-ms",
                &down_after,
                "--failover-timeout-ms",
                "3000",
                "--port",
                &port,
                "--state-dir",
                &dir,
                "--log-level",
                "debug",
            ],
        );
        self.sentinels.insert(id.to_string(), service);
    }

    /// Kills node `id` with SIGKILL and starts it again at once on the same port, as a
    /// supervisor (`restart: unless-stopped`) would: without `--replicaof`, with `extra`.
    pub fn restart_node(&mut self, id: &str, extra: &[&str]) {
        let Some(old) = self.nodes.remove(id) else {
            return;
        };
        let port = old.port;
        old.signal("KILL");
        drop(old);
        let url = self.nats.url();
        let port_flag = port.to_string();
        let mut args = vec!["--port", &port_flag];
        args.extend(node_flags(&url, GROUP, id));
        args.extend(extra);
        self.nodes
            .insert(id.to_string(), Node::start_exact(port, &args, &[]));
    }

    /// Kills node `id` with SIGKILL.
    pub fn kill_node(&mut self, id: &str) {
        if let Some(node) = self.nodes.remove(id) {
            node.signal("KILL");
        }
    }

    pub fn stop_sentinel(&mut self, id: &str) {
        self.sentinels.remove(id);
    }

    pub fn role(&self, id: &str) -> Option<String> {
        let mut con = redis::Client::open(self.nodes.get(id)?.url())
            .ok()?
            .get_connection_with_timeout(Duration::from_secs(1))
            .ok()?;
        info_field(&mut con, "replication", "role")
    }

    /// The one node among `candidates` that reports itself master, if exactly one does.
    pub fn only_primary(&self, candidates: &[&str]) -> Option<String> {
        let masters: Vec<&str> = candidates
            .iter()
            .copied()
            .filter(|id| self.role(id).as_deref() == Some("master"))
            .collect();
        match masters.as_slice() {
            [one] => Some(one.to_string()),
            _ => None,
        }
    }

    pub fn connect(&self, id: &str) -> redis::Connection {
        crate::support::connect(&self.nodes[id])
    }

    /// A connection to sentinel `id`'s RESP port.
    pub fn sentinel(&self, id: &str) -> redis::Connection {
        let url = format!("redis://127.0.0.1:{}", self.sentinel_ports[id]);
        let client = redis::Client::open(url).expect("a valid url");
        // Right after start the sentinel may not listen yet.
        rg_testkit::assert_eventually!(client.get_connection().is_ok());
        client.get_connection().expect("the sentinel serves RESP")
    }

    /// The port of `group`'s primary, as SENTINEL GET-MASTER-ADDR-BY-NAME on `sentinel` says.
    pub fn primary_port(&self, sentinel: &str, group: &str) -> Option<u16> {
        let address: Vec<String> = redis::cmd("SENTINEL")
            .arg("GET-MASTER-ADDR-BY-NAME")
            .arg(group)
            .query(&mut self.sentinel(sentinel))
            .ok()?;
        address.get(1)?.parse().ok()
    }

    /// SENTINEL MASTER ha, as field -> value.
    pub fn master_fields(&self, sentinel: &str) -> BTreeMap<String, String> {
        let flat: Vec<String> = redis::cmd("SENTINEL")
            .arg("MASTER")
            .arg(GROUP)
            .query(&mut self.sentinel(sentinel))
            .expect("SENTINEL MASTER answers");
        flat.chunks(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect()
    }
}

/// What every node of a test group is started with.
fn node_flags<'a>(nats_url: &'a str, group: &'a str, id: &'a str) -> Vec<&'a str> {
    vec![
        "--nats-url",
        nats_url,
        "--group",
        group,
        "--node-id",
        id,
        "--sentinels",
        "s1,s2,s3",
        "--az",
        "az-test",
    ]
}

/// An rg-router in front of the group, on free ports.
pub struct RouterProcess {
    /// Kept for its lifetime: dropping it stops the router.
    _service: Service,
    pub smart: u16,
    pub primary: u16,
    pub reader: u16,
    pub metrics: u16,
    /// The router's `requirepass`, which `connect` gives.
    pub password: Option<String>,
}

impl RouterProcess {
    pub fn url(&self, port: u16) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{port}"),
            None => format!("redis://127.0.0.1:{port}"),
        }
    }

    /// A `redis` connection to one endpoint, once the router listens.
    pub fn connect(&self, port: u16) -> redis::Connection {
        let client = redis::Client::open(self.url(port)).expect("a valid url");
        rg_testkit::assert_eventually!(client.get_connection().is_ok());
        client.get_connection().expect("the router accepts")
    }
}

impl Group {
    /// Starts a router for group `ha` with `extra` flags.
    pub fn router(&self, extra: &[&str]) -> RouterProcess {
        let (smart, primary, reader, metrics) =
            (free_port(), free_port(), free_port(), free_port());
        let url = self.nats.url();
        let ports = [smart, primary, reader, metrics].map(|p| p.to_string());
        let mut args = vec![
            "--nats-url",
            &url,
            "--group",
            GROUP,
            "--smart-port",
            &ports[0],
            "--primary-port",
            &ports[1],
            "--reader-port",
            &ports[2],
            "--metrics-port",
            &ports[3],
            "--log-level",
            "debug",
        ];
        args.extend(extra);
        let password = extra
            .iter()
            .position(|a| *a == "--requirepass")
            .and_then(|i| extra.get(i + 1))
            .map(|p| p.to_string());
        RouterProcess {
            _service: Service::start("rg-router", &args),
            smart,
            primary,
            reader,
            metrics,
            password,
        }
    }
}

/// Every event published on `rg.events.ha.>`, decoded from JSON, in arrival order.
#[derive(Clone)]
pub struct EventLog {
    received: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl EventLog {
    fn start(nats_url: &str) -> EventLog {
        let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let sink = received.clone();
        let url = nats_url.to_string();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let bus = rg_bus::Bus::connect(&url, "e2e events")
                    .await
                    .expect("the bus");
                let subject = format!("rg.events.{GROUP}.>");
                let mut events = bus.subscribe_raw(subject).await.expect("a subscription");
                bus.flush().await.expect("subscribed");
                let _ = ready_tx.send(());
                while let Some((subject, payload)) = events.next().await {
                    let event: serde_json::Value =
                        serde_json::from_slice(&payload).expect("every event is JSON");
                    assert!(subject.ends_with(event["event"].as_str().unwrap_or("?")));
                    sink.lock().unwrap().push(event);
                }
            });
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the event subscriber starts");
        EventLog { received }
    }

    /// The names of the events received so far, in order.
    pub fn names(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub fn all(&self) -> Vec<serde_json::Value> {
        self.received.lock().unwrap().clone()
    }
}

/// True when `wanted` occur in `names` in this order (other events may come between).
pub fn in_order(names: &[String], wanted: &[&str]) -> bool {
    let mut rest = names.iter();
    wanted.iter().all(|w| rest.any(|n| n == w))
}
