//! `scripts/local-group.sh`: a whole group as local processes, up, status, down.

use std::path::{Path, PathBuf};
use std::process::Command;

use rg_testkit::{assert_eventually, binary, free_port};

use crate::support::q;

struct LocalGroup {
    run_dir: tempfile::TempDir,
    ports: Vec<(String, u16)>,
}

impl LocalGroup {
    fn new() -> LocalGroup {
        let names = [
            "RG_NATS_PORT",
            "RG_NODE1_PORT",
            "RG_NODE2_PORT",
            "RG_NODE3_PORT",
            "RG_SENTINEL1_PORT",
            "RG_SENTINEL2_PORT",
            "RG_SENTINEL3_PORT",
            "RG_ROUTER_SMART_PORT",
            "RG_ROUTER_PRIMARY_PORT",
            "RG_ROUTER_READER_PORT",
            "RG_ROUTER_METRICS_PORT",
        ];
        LocalGroup {
            run_dir: tempfile::tempdir().expect("a run dir"),
            ports: names.iter().map(|n| (n.to_string(), free_port())).collect(),
        }
    }

    fn port(&self, name: &str) -> u16 {
        self.ports.iter().find(|(n, _)| n == name).unwrap().1
    }

    /// Runs the script with `verb`; its stdout.
    fn run(&self, verb: &str) -> String {
        let output = self.command(verb).output().expect("the script runs");
        assert!(output.status.success(), "local-group.sh {verb}: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn command(&self, verb: &str) -> Command {
        let bin_dir: PathBuf = binary("rg-node").parent().unwrap().to_path_buf();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/local-group.sh");
        let mut command = Command::new(script);
        command
            .arg(verb)
            .env("RG_RUN_DIR", self.run_dir.path())
            .env("RG_BIN_DIR", bin_dir)
            .envs(self.ports.iter().map(|(n, p)| (n, p.to_string())));
        command
    }

    fn connect(&self, node: &str) -> redis::Connection {
        let url = format!("redis://127.0.0.1:{}", self.port(node));
        redis::Client::open(url).unwrap().get_connection().unwrap()
    }
}

impl Drop for LocalGroup {
    fn drop(&mut self) {
        // Also when the test failed: no process outlives it.
        let _ = self.command("down").output();
    }
}

/// The status line of `id`: [kind, id, role, address, pid].
fn line(status: &str, id: &str) -> Vec<String> {
    status
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|words| words.get(1).map(String::as_str) == Some(id))
        .unwrap_or_else(|| panic!("no line for {id} in:\n{status}"))
}

#[test]
fn local_group_starts_a_working_group_and_stops_it() {
    let group = LocalGroup::new();
    let status = group.run("up");
    assert_eq!(line(&status, "n1")[2], "master", "{status}");
    assert_eq!(line(&status, "n2")[2], "slave", "{status}");
    assert_eq!(line(&status, "s3")[0], "sentinel");
    let node2 = format!("127.0.0.1:{}", group.port("RG_NODE2_PORT"));
    assert_eq!(line(&status, "n2")[3], node2);

    let _: () = q(&mut group.connect("RG_NODE1_PORT"), &["SET", "k", "v"]);
    assert_eventually!(
        q::<Option<String>>(&mut group.connect("RG_NODE3_PORT"), &["GET", "k"]).as_deref()
            == Some("v")
    );
    let mut sentinel = group.connect("RG_SENTINEL2_PORT");
    assert_eventually!(redis::cmd("SENTINEL")
        .arg("GET-MASTER-ADDR-BY-NAME")
        .arg("cache")
        .query::<Vec<String>>(&mut sentinel)
        .is_ok_and(|a| a[1] == group.port("RG_NODE1_PORT").to_string()));

    // The router is listed with its endpoints, and serves.
    let router = line(&status, "r");
    let smart = group.port("RG_ROUTER_SMART_PORT");
    assert!(
        router[3].contains(&format!("smart=127.0.0.1:{smart}")),
        "{status}"
    );
    let _: () = q(
        &mut group.connect("RG_ROUTER_SMART_PORT"),
        &["SET", "via", "router"],
    );
    assert_eq!(
        q::<String>(
            &mut group.connect("RG_ROUTER_PRIMARY_PORT"),
            &["GET", "via"]
        ),
        "router"
    );

    group.run("down");
    let status = group.run("status");
    for id in ["nats", "n1", "n2", "n3", "s1", "s2", "s3", "r"] {
        assert_eq!(line(&status, id)[4], "dead", "{status}");
    }
}
