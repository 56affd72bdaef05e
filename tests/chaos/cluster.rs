//! The group under test, as real processes: nats-server with JetStream; n1 (primary), n2
//! and n3 (`--replicaof n1`), each reaching NATS through its own proxy (a *bus cut*) and
//! announcing its client address through a second proxy in front of its port (a
//! *data-path cut*: the sentinels' PINGs and the router lose it while its bus stays up);
//! three sentinels; one router, whose smart endpoint the writers use.
//!
//! Each node keeps its real port across restarts, so the data proxy and the harness's
//! direct reads reach whichever process is the node now.

use rg_testkit::{free_port, NatsServer, Node, Service, TcpProxy};

use super::logs::LogArchive;
use super::options::Mode;

pub const GROUP: &str = "ha";
pub const NODE_IDS: [&str; 3] = ["n1", "n2", "n3"];
pub const SENTINEL_IDS: [&str; 3] = ["s1", "s2", "s3"];

pub struct ChaosNode {
    pub id: &'static str,
    /// The port the process listens on (the harness reads it here, bypassing the proxy).
    pub port: u16,
    /// Between the node and nats-server.
    pub bus: TcpProxy,
    /// In front of `port`; its port is the address the node announces.
    pub data: TcpProxy,
    process: Option<Node>,
    generation: u32,
}

pub struct Sentinel {
    pub id: &'static str,
    pub port: u16,
    process: Option<Service>,
    generation: u32,
}

pub struct Cluster {
    pub nats: NatsServer,
    pub nodes: Vec<ChaosNode>,
    pub sentinels: Vec<Sentinel>,
    router: Option<Service>,
    /// The router's smart endpoint.
    pub smart_port: u16,
    router_ports: [u16; 3],
    mode: Mode,
    state: tempfile::TempDir,
    pub logs: LogArchive,
}

impl Cluster {
    pub fn start(mode: Mode, logs: LogArchive) -> Cluster {
        let nats = NatsServer::start_jetstream();
        let nodes = NODE_IDS
            .iter()
            .map(|&id| {
                let port = free_port();
                ChaosNode {
                    id,
                    port,
                    bus: TcpProxy::start(nats.port),
                    data: TcpProxy::start(port),
                    process: None,
                    generation: 0,
                }
            })
            .collect();
        let sentinels = SENTINEL_IDS
            .iter()
            .map(|&id| Sentinel {
                id,
                port: free_port(),
                process: None,
                generation: 0,
            })
            .collect();
        let mut cluster = Cluster {
            nats,
            nodes,
            sentinels,
            router: None,
            smart_port: free_port(),
            router_ports: [free_port(), free_port(), free_port()],
            mode,
            state: tempfile::tempdir().expect("a state dir for the sentinels"),
            logs,
        };
        for index in 0..cluster.sentinels.len() {
            cluster.start_sentinel(index);
        }
        for (index, follow) in [(0, None), (1, Some("n1")), (2, Some("n1"))] {
            cluster.start_node(index, follow);
        }
        cluster.start_router();
        cluster
    }

    /// Starts node `index` as a fresh process; `follow` is its `--replicaof`, if any.
    pub fn start_node(&mut self, index: usize, follow: Option<&str>) {
        let node = &mut self.nodes[index];
        let port = node.port.to_string();
        let announce = node.data.port.to_string();
        let bus = node.bus.url();
        let az = format!("az-{}", index + 1);
        let mut args = vec![
            "--port",
            &port,
            "--nats-url",
            &bus,
            "--group",
            GROUP,
            "--node-id",
            node.id,
            "--sentinels",
            "s1,s2,s3",
            "--az",
            &az,
            "--announce-host",
            "127.0.0.1",
            "--announce-port",
            &announce,
            // As compose.yaml runs them, with the fence below the sentinels' down-after
            // (500 ms here): the README's conditions for no split brain.
            "--min-replicas-to-write",
            "1",
            "--min-replicas-max-lag-ms",
            "200",
            "--fence-timeout-ms",
            "250",
        ];
        if self.mode == Mode::Sync {
            args.extend(["--sync-replicas", "1"]);
        }
        if let Some(primary) = follow {
            args.extend(["--replicaof", primary]);
        }
        node.generation += 1;
        node.process = Some(Node::start_exact(node.port, &args, &[]));
    }

    /// SIGKILL, and the log kept.
    pub fn kill_node(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        if let Some(process) = node.process.take() {
            process.signal("KILL");
            let what = format!("{} generation {} (killed)", node.id, node.generation);
            self.logs.save(node.id, &what, &process.log());
        }
    }

    pub fn signal_node(&self, index: usize, signal: &str) {
        if let Some(process) = &self.nodes[index].process {
            process.signal(signal);
        }
    }

    pub fn start_sentinel(&mut self, index: usize) {
        let url = self.nats.url();
        let dir = self.state.path().display().to_string();
        let sentinel = &mut self.sentinels[index];
        let port = sentinel.port.to_string();
        let args = [
            "--id",
            sentinel.id,
            "--nats-url",
            &url,
            "--group",
            GROUP,
            "--sentinels",
            "s1,s2,s3",
            "--down-after-ms",
            "500",
            "--failover-timeout-ms",
            "3000",
            "--port",
            &port,
            "--state-dir",
            &dir,
        ];
        sentinel.generation += 1;
        sentinel.process = Some(Service::start("rg-sentinel", &args));
    }

    pub fn kill_sentinel(&mut self, index: usize) {
        let sentinel = &mut self.sentinels[index];
        if let Some(process) = sentinel.process.take() {
            process.signal("KILL");
            let what = format!(
                "{} generation {} (killed)",
                sentinel.id, sentinel.generation
            );
            self.logs.save(sentinel.id, &what, &process.log());
        }
    }

    fn start_router(&mut self) {
        let url = self.nats.url();
        let [primary, reader, metrics] = self.router_ports.map(|p| p.to_string());
        let smart = self.smart_port.to_string();
        let args = [
            "--nats-url",
            &url,
            "--group",
            GROUP,
            "--smart-port",
            &smart,
            "--primary-port",
            &primary,
            "--reader-port",
            &reader,
            "--metrics-port",
            &metrics,
            "--log-level",
            "debug",
        ];
        self.router = Some(Service::start("rg-router", &args));
    }

    pub fn signal_router(&self, signal: &str) {
        if let Some(router) = &self.router {
            router.signal(signal);
        }
    }

    /// The sentinels that run now, as (port, id).
    pub fn live_sentinels(&self) -> Vec<(u16, &'static str)> {
        self.sentinels
            .iter()
            .filter(|s| s.process.is_some())
            .map(|s| (s.port, s.id))
            .collect()
    }

    /// The processes that exited by themselves (a crash), as "n2 (signal: 6)".
    pub fn exited(&mut self) -> Vec<String> {
        let mut exited = Vec::new();
        for node in &mut self.nodes {
            if let Some(status) = node.process.as_mut().and_then(Node::exit_status) {
                exited.push(format!("{} ({status})", node.id));
            }
        }
        for sentinel in &mut self.sentinels {
            if let Some(status) = sentinel.process.as_mut().and_then(Service::exit_status) {
                exited.push(format!("{} ({status})", sentinel.id));
            }
        }
        if let Some(status) = self.router.as_mut().and_then(Service::exit_status) {
            exited.push(format!("router ({status})"));
        }
        exited
    }

    /// Writes the log of every process still running (killed ones were saved already).
    pub fn save_logs(&self) {
        for node in &self.nodes {
            if let Some(process) = &node.process {
                let what = format!(
                    "{} generation {} (port {})",
                    node.id, node.generation, node.port
                );
                self.logs.save(node.id, &what, &process.log());
            }
        }
        for sentinel in &self.sentinels {
            if let Some(process) = &sentinel.process {
                let what = format!("{} generation {}", sentinel.id, sentinel.generation);
                self.logs.save(sentinel.id, &what, &process.log());
            }
        }
        if let Some(router) = &self.router {
            self.logs.save("router", "rg-router", &router.log());
        }
        self.logs.save("nats", "nats-server", &self.nats.log());
    }
}
