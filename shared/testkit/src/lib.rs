//! Starts rgroup's real binaries as processes for end-to-end tests.
//!
//! - [`free_port`]: a loopback port nobody listens on.
//! - [`Node`]: an `rg-node` process on its own port, killed on drop; when the test panics
//!   its captured log is printed, so a failure shows what the process saw.
//! - [`Service`] and [`NatsServer`]: any other binary, and the bus.
//! - [`TcpProxy`]: cuts one service off the bus and heals it.
//! - [`assert_eventually!`]: polls a condition instead of sleeping a fixed time.

mod proxy;

pub use proxy::TcpProxy;

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that was free a moment ago, and not handed out before by this
/// process: a test that asks for several ports before its processes bind them must not get
/// one twice (the kernel may offer a port again until someone binds it).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("the OS hands out an ephemeral port");
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// The path of one of the workspace's binaries, next to the running executable: a test
/// (in `target/<profile>/deps`) or a harness binary (in `target/<profile>` itself).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the executable knows its own path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe
        .parent()
        .map(|dir| match dir.file_name() {
            Some(last) if last == "deps" => dir.parent().unwrap_or(dir),
            _ => dir,
        })
        .expect("executables live in target/<profile> or target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first (cargo build --workspace --bins)",
        path.display()
    );
    path
}

/// A running `rg-node`.
pub struct Node {
    pub port: u16,
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Node {
    /// Starts `rg-node --port <free port>` with `args` added, and waits until it accepts.
    /// If another process took the port first, it tries again on another.
    pub fn start(args: &[&str]) -> Node {
        for _ in 0..5 {
            let port = free_port();
            let port_flag = port.to_string();
            let mut all = vec!["--port", port_flag.as_str()];
            all.extend_from_slice(args);
            let mut node = Node::spawn(port, &all, &[]);
            match node.wait_until_ready() {
                Ready::Yes => return node,
                Ready::PortTaken => continue,
            }
        }
        panic!("rg-node found no free port in five attempts");
    }

    /// Starts `rg-node` with only `args` (no `--port` added) and the extra environment
    /// variables `env`, and waits until it accepts on `port`, which the flags, the
    /// environment or a config file among them must choose.
    pub fn start_exact(port: u16, args: &[&str], env: &[(&str, &str)]) -> Node {
        let mut node = Node::spawn(port, args, env);
        if let Ready::PortTaken = node.wait_until_ready() {
            panic!("port {port} is taken:\n{}", node.log());
        }
        node
    }

    fn spawn(port: u16, args: &[&str], env: &[(&str, &str)]) -> Node {
        let log = tempfile::NamedTempFile::new().expect("a temp file for the log");
        let stderr = File::options()
            .append(true)
            .open(log.path())
            .expect("the log file opens");
        let child = Command::new(binary("rg-node"))
            .args(["--log-level", "debug"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("rg-node starts");
        Node { port, child, log }
    }

    /// Waits for the node's own "ready" line (a connection alone could reach another
    /// process that took the port).
    fn wait_until_ready(&mut self) -> Ready {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains("ready to accept connections") {
                return Ready::Yes;
            }
            if let Some(status) = self.exit_status() {
                if log.contains("Address already in use") {
                    return Ready::PortTaken;
                }
                panic!("rg-node exited ({status}) before accepting:\n{log}");
            }
            assert!(Instant::now() < deadline, "rg-node did not start:\n{log}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Whether the process is stopped (SIGSTOP has taken effect: `kill` returns before).
    pub fn is_stopped(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .ok()
            .and_then(|stat| {
                let after_name = stat.rsplit_once(')')?.1.trim_start().to_string();
                after_name.chars().next()
            })
            == Some('T')
    }

    /// What the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The process's exit status if it has exited.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends a signal by name (`STOP`, `CONT`, `KILL`...) to the process.
    pub fn signal(&self, name: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status();
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.exit_status() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// The resident set size of the process in bytes, from /proc.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()));
        status
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
            .map_or(0, |kb| kb * 1024)
    }
}

enum Ready {
    Yes,
    PortTaken,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- rg-node on port {} logged ----\n{}",
                self.port,
                self.log()
            );
        }
    }
}

/// Any other rgroup binary (a sentinel...) run with `args`, killed on drop, its log
/// printed if the test panicked.
pub struct Service {
    name: String,
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Service {
    pub fn start(binary_name: &str, args: &[&str]) -> Service {
        let log = tempfile::NamedTempFile::new().expect("a temp file for the log");
        let stderr = File::options()
            .append(true)
            .open(log.path())
            .expect("the log file opens");
        let child = Command::new(binary(binary_name))
            .args(args)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("the service starts");
        Service {
            name: binary_name.to_string(),
            child,
            log,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The process's exit status if it has exited.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends a signal by name (`STOP`, `CONT`, `KILL`...).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("---- {} logged ----\n{}", self.name, self.log());
        }
    }
}

/// A running `nats-server` on a free port, killed on drop.
pub struct NatsServer {
    pub port: u16,
    child: Child,
    log: tempfile::NamedTempFile,
    /// JetStream's storage, removed with the server.
    _store: Option<tempfile::TempDir>,
}

impl NatsServer {
    pub fn start() -> NatsServer {
        let port = free_port();
        Self::start_on(port)
    }

    /// Starts with JetStream enabled, storing in a temporary directory.
    pub fn start_jetstream() -> NatsServer {
        let store = tempfile::tempdir().expect("a temp dir for JetStream");
        let dir = store.path().display().to_string();
        let mut server = Self::spawn(free_port(), &["-js", "-sd", &dir]);
        server._store = Some(store);
        server
    }

    /// Starts `size` JetStream servers routed into one cluster, all at once, as
    /// `docker compose up` starts them; the URL list of the first server comes first.
    pub fn start_cluster(size: usize) -> Vec<NatsServer> {
        let routes: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let route_urls: Vec<String> = routes
            .iter()
            .map(|port| format!("nats://127.0.0.1:{port}"))
            .collect();
        let route_urls = route_urls.join(",");
        routes
            .iter()
            .enumerate()
            .map(|(index, route)| {
                let store = tempfile::tempdir().expect("a temp dir for JetStream");
                let dir = store.path().display().to_string();
                let name = format!("n{index}");
                let cluster = format!("nats://127.0.0.1:{route}");
                let mut server = Self::spawn(
                    free_port(),
                    &[
                        "-js",
                        "-sd",
                        &dir,
                        "-n",
                        &name,
                        "--cluster_name",
                        "rg",
                        "--cluster",
                        &cluster,
                        "--routes",
                        &route_urls,
                    ],
                );
                server._store = Some(store);
                server
            })
            .collect()
    }

    /// Starts on a given port (to restart a killed server where clients expect it).
    pub fn start_on(port: u16) -> NatsServer {
        Self::spawn(port, &[])
    }

    fn spawn(port: u16, extra: &[&str]) -> NatsServer {
        let log = tempfile::NamedTempFile::new().expect("a temp file for the log");
        let stderr = File::options()
            .append(true)
            .open(log.path())
            .expect("the log file opens");
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("nats-server starts (scripts/test.sh installs it)");
        let server = NatsServer {
            port,
            child,
            log,
            _store: None,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not start:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "---- nats-server on port {} logged ----\n{}",
                self.port,
                self.log()
            );
        }
    }
}

/// Retries `$cond` every 10 ms until it holds, failing after `$timeout` (default 5 s); a
/// panic inside `$cond` counts as not yet, and the last one is re-raised at the deadline.
#[macro_export]
macro_rules! assert_eventually {
    ($cond:expr $(,)?) => {
        $crate::assert_eventually!($cond, std::time::Duration::from_secs(5))
    };
    ($cond:expr, $timeout:expr $(,)?) => {{
        let deadline = std::time::Instant::now() + $timeout;
        loop {
            // A condition that panics (a reply that is an error for now: LOADING while a
            // replica syncs, a refused connection while a node restarts) has not held yet.
            let held = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $cond));
            if matches!(held, Ok(true)) {
                break;
            }
            if std::time::Instant::now() >= deadline {
                if let Err(panic) = held {
                    std::panic::resume_unwind(panic);
                }
                panic!("condition never held: {}", stringify!($cond));
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }};
}
