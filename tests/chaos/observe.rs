//! The harness's own reads: straight to each node's real port (never through the router
//! or the data proxy) and to each sentinel's RESP port, with short timeouts, since a node
//! may be stopped or gone.

use std::time::{Duration, Instant};

use redis::Connection;

/// How long one read of a node or a sentinel may take before it counts as silent.
pub const READ_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Master,
    Replica,
}

/// What `INFO replication` said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub role: Role,
    /// A replica's primary, as the port it announces.
    pub master_port: Option<u16>,
    pub link_up: bool,
    pub offset: u64,
}

/// A connection to 127.0.0.1:`port` whose reads and writes give up after `timeout`.
pub fn connect(port: u16, timeout: Duration) -> Result<Connection, String> {
    let client =
        redis::Client::open(format!("redis://127.0.0.1:{port}/")).map_err(|e| e.to_string())?;
    let con = client
        .get_connection_with_timeout(timeout)
        .map_err(|e| format!("connect: {e}"))?;
    con.set_read_timeout(Some(timeout))
        .and_then(|()| con.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    Ok(con)
}

pub fn view(con: &mut Connection) -> Result<NodeView, String> {
    let info: String = redis::cmd("INFO")
        .arg("replication")
        .query(con)
        .map_err(|e| format!("INFO: {e}"))?;
    parse_replication(&info).ok_or_else(|| "INFO replication has no role".to_string())
}

/// `INFO replication` of the node on `port`, on a new connection.
pub fn view_of(port: u16) -> Result<NodeView, String> {
    view(&mut connect(port, READ_TIMEOUT)?)
}

pub fn parse_replication(info: &str) -> Option<NodeView> {
    let field = |name: &str| {
        info.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.trim())
    };
    let role = match field("role")? {
        "master" => Role::Master,
        "slave" => Role::Replica,
        _ => return None,
    };
    Some(NodeView {
        role,
        master_port: field("master_port").and_then(|p| p.parse().ok()),
        link_up: field("master_link_status") == Some("up"),
        offset: field("master_repl_offset")?.parse().ok()?,
    })
}

/// What a sentinel says of the group: `SENTINEL MASTER` and `SENTINEL REPLICAS`.
#[derive(Clone, Debug, Default)]
pub struct SentinelView {
    pub primary_port: Option<u16>,
    /// `master`, with `,s_down` / `,o_down` while it is (thought) down.
    pub primary_flags: String,
    pub other_sentinels: usize,
    /// (port, flags, master-link-status) of each replica.
    pub replicas: Vec<(Option<u16>, String, String)>,
}

pub fn sentinel_view(port: u16, group: &str) -> Result<SentinelView, String> {
    let mut con = connect(port, READ_TIMEOUT)?;
    let master: Vec<String> = redis::cmd("SENTINEL")
        .arg("MASTER")
        .arg(group)
        .query(&mut con)
        .map_err(|e| format!("SENTINEL MASTER: {e}"))?;
    let replicas: Vec<Vec<String>> = redis::cmd("SENTINEL")
        .arg("REPLICAS")
        .arg(group)
        .query(&mut con)
        .map_err(|e| format!("SENTINEL REPLICAS: {e}"))?;
    let master = pairs(&master);
    let field = |fields: &[(&str, &str)], name: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == name)
            .map_or(String::new(), |(_, value)| value.to_string())
    };
    Ok(SentinelView {
        primary_port: field(&master, "port").parse().ok(),
        primary_flags: field(&master, "flags"),
        other_sentinels: field(&master, "num-other-sentinels").parse().unwrap_or(0),
        replicas: replicas
            .iter()
            .map(|r| {
                let r = pairs(r);
                let port = field(&r, "port").parse().ok();
                (port, field(&r, "flags"), field(&r, "master-link-status"))
            })
            .collect(),
    })
}

fn pairs(flat: &[String]) -> Vec<(&str, &str)> {
    flat.chunks(2)
        .filter_map(|pair| Some((pair.first()?.as_str(), pair.get(1)?.as_str())))
        .collect()
}

pub fn digest(port: u16) -> Result<String, String> {
    let mut con = connect(port, Duration::from_secs(5))?;
    redis::cmd("DEBUG")
        .arg("DIGEST")
        .query(&mut con)
        .map_err(|e| format!("DEBUG DIGEST: {e}"))
}

/// Calls `attempt` every 20 ms until it succeeds or `bound` has passed; then the last
/// reason it gave. (The harness must report, not panic, so this is `assert_eventually!`
/// returning a result.)
pub fn poll<T>(
    bound: Duration,
    mut attempt: impl FnMut() -> Result<T, String>,
) -> Result<T, String> {
    let deadline = Instant::now() + bound;
    loop {
        match attempt() {
            Ok(value) => return Ok(value),
            Err(reason) if Instant::now() >= deadline => return Err(reason),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replicas_info_gives_its_primary_link_and_offset() {
        let info = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:4501\r\n\
                    master_link_status:up\r\nslave_repl_offset:77\r\nmaster_repl_offset:77\r\n";
        let view = parse_replication(info).unwrap();
        assert_eq!(view.role, Role::Replica);
        assert_eq!(view.master_port, Some(4501));
        assert!(view.link_up);
        assert_eq!(view.offset, 77);
    }

    #[test]
    fn a_primarys_info_has_no_link() {
        let view = parse_replication("role:master\r\nmaster_repl_offset:9\r\n").unwrap();
        assert_eq!(
            (view.role, view.master_port, view.link_up),
            (Role::Master, None, false)
        );
        assert_eq!(parse_replication("role:sentinel\r\n"), None);
    }
}
