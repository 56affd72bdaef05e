//! A Redis-Sentinel-like view over RESP, so that redis-cli and sentinel-aware clients work:
//! PING, HELLO (RESP2 or RESP3, as Redis Sentinel 7 answers it), INFO, and SENTINEL MASTERS / MASTER / REPLICAS (SLAVES) / SENTINELS /
//! GET-MASTER-ADDR-BY-NAME / CKQUORUM / FAILOVER / MYID, with Redis Sentinel's field names
//! and error texts. The master's name is the group id.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rg_proto::messages::{NodeStatus, Role, SentinelStatus};
use rg_proto::GroupId;
use rg_resp::{encode, Limits, Protocol, RequestDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::{failover, status, Sentinel};

/// Requests larger than this are refused: the commands here take a few short arguments.
const MAX_REQUEST: usize = 64 * 1024;

/// The sentinel of each group watched, by group id (Redis Sentinel's master name); it
/// grows as the registry gains groups.
pub(crate) type Watched = parking_lot::RwLock<BTreeMap<GroupId, Arc<Sentinel>>>;

pub(crate) async fn serve(watched: Arc<Watched>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(watched.clone(), stream));
            }
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn connection(watched: Arc<Watched>, mut stream: TcpStream) {
    let limits = Limits {
        max_bulk_len: MAX_REQUEST,
        max_multibulk_len: 64,
        max_inline_len: MAX_REQUEST,
    };
    let mut decoder = RequestDecoder::new(limits);
    let mut input = BytesMut::with_capacity(4096);
    let mut output = BytesMut::new();
    let mut protocol = Protocol::Resp2;
    let mut id = None;
    loop {
        match stream.read_buf(&mut input).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(args)) if args.is_empty() => {}
                Ok(Some(args)) => {
                    let connection = Connection {
                        id: *id.get_or_insert_with(next_client_id),
                        protocol: &mut protocol,
                    };
                    answer(&watched, &args, connection, &mut output).await
                }
                Ok(None) => break,
                Err(error) => {
                    let text = format!("ERR Protocol error: {error}");
                    encode::error(&mut output, text.as_bytes());
                    let _ = stream.write_all(&output).await;
                    return;
                }
            }
        }
        if stream.write_all(&output).await.is_err() {
            return;
        }
        output.clear();
    }
}

/// What a client connection has chosen, and its id.
struct Connection<'a> {
    id: u64,
    protocol: &'a mut Protocol,
}

fn next_client_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

async fn answer(watched: &Watched, args: &[Bytes], connection: Connection<'_>, out: &mut BytesMut) {
    // A snapshot: the lock is never held across an await.
    let watched: BTreeMap<GroupId, Arc<Sentinel>> = watched.read().clone();
    let watched = &watched;
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let protocol = *connection.protocol;
    match name.as_str() {
        "ping" => encode::simple(out, b"PONG"),
        "hello" => hello(args, connection, out),
        "info" => {
            let statuses: Vec<SentinelStatus> =
                watched.values().map(|s| status::current(s)).collect();
            info(&statuses, protocol, out);
        }
        "sentinel" => sentinel_command(watched, &args[1..], protocol, out).await,
        _ => {
            let text = format!(
                "ERR unknown command '{}', with args beginning with: ",
                String::from_utf8_lossy(&args[0])
            );
            encode::error(out, text.as_bytes());
        }
    }
}

/// HELLO [protover [AUTH user pass] [SETNAME name]]: Redis Sentinel 7's reply, which has no
/// `role`. The sentinel has no password: as on Redis without one, the default user gets in
/// with any password and no other user exists.
fn hello(args: &[Bytes], connection: Connection<'_>, out: &mut BytesMut) {
    let protocol = match args.get(1).map(|v| Protocol::from_version(v)) {
        None => *connection.protocol,
        Some(Ok(protocol)) => protocol,
        Some(Err(text)) => {
            encode::error(out, text.as_bytes());
            return;
        }
    };
    let mut options = args.iter().skip(2);
    while let Some(option) = options.next() {
        let refusal = match option.to_ascii_uppercase().as_slice() {
            b"AUTH" if options.len() >= 2 => {
                let user = options.next().filter(|u| u.as_ref() == b"default");
                options.next();
                user.is_none().then(|| {
                    "WRONGPASS invalid username-password pair or user is disabled.".to_string()
                })
            }
            b"SETNAME" if options.next().is_some() => None,
            _ => Some(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(option)
            )),
        };
        if let Some(text) = refusal {
            encode::error(out, text.as_bytes());
            return;
        }
    }
    *connection.protocol = protocol;
    encode::map_len(out, 6, protocol);
    encode::bulk(out, b"server");
    encode::bulk(out, b"redis");
    encode::bulk(out, b"version");
    encode::bulk(out, REDIS_VERSION.as_bytes());
    encode::bulk(out, b"proto");
    encode::integer(out, protocol.version());
    encode::bulk(out, b"id");
    encode::integer(out, connection.id as i64);
    encode::bulk(out, b"mode");
    encode::bulk(out, b"sentinel");
    encode::bulk(out, b"modules");
    encode::array_len(out, 0);
}

/// The Redis Sentinel version this one answers as.
const REDIS_VERSION: &str = "7.0.15";

async fn sentinel_command(
    watched: &BTreeMap<GroupId, Arc<Sentinel>>,
    args: &[Bytes],
    protocol: Protocol,
    out: &mut BytesMut,
) {
    let Some(sub) = args.first() else {
        encode::error(out, b"ERR wrong number of arguments for 'sentinel' command");
        return;
    };
    let sub = String::from_utf8_lossy(sub).to_ascii_lowercase();
    if sub == "masters" {
        encode::array_len(out, watched.len());
        for sentinel in watched.values() {
            master_fields(&status::current(sentinel), protocol, out);
        }
        return;
    }
    if sub == "myid" {
        let id = watched.values().next().map(|s| s.settings.id.as_str());
        encode::bulk(out, id.unwrap_or_default().as_bytes());
        return;
    }
    let Some(group) = args.get(1) else {
        let text = format!("ERR wrong number of arguments for 'sentinel|{sub}' command");
        encode::error(out, text.as_bytes());
        return;
    };
    let group = String::from_utf8_lossy(group);
    let Some(sentinel) = watched
        .iter()
        .find(|(g, _)| g.as_str() == group)
        .map(|(_, s)| s)
    else {
        encode::error(out, b"ERR No such master with that name");
        return;
    };
    let status = status::current(sentinel);
    match sub.as_str() {
        "master" => master_fields(&status, protocol, out),
        "replicas" | "slaves" => {
            let replicas: Vec<&NodeStatus> = replicas(&status).collect();
            encode::array_len(out, replicas.len());
            for replica in replicas {
                replica_fields(&status, replica, protocol, out);
            }
        }
        "sentinels" => {
            let others: Vec<_> = status
                .sentinels
                .iter()
                .filter(|s| **s != status.sentinel)
                .collect();
            encode::array_len(out, others.len());
            for other in others {
                let reachable = status.reachable_sentinels.contains(other);
                let flags = if reachable {
                    "sentinel"
                } else {
                    "s_down,sentinel"
                };
                fields(
                    out,
                    protocol,
                    &[
                        ("name", other.as_str()),
                        ("runid", other.as_str()),
                        ("flags", flags),
                    ],
                );
            }
        }
        "get-master-addr-by-name" => match primary(&status) {
            Some(node) if !node.address.is_empty() => {
                let (host, port) = split(&node.address);
                encode::array_len(out, 2);
                encode::bulk(out, host.as_bytes());
                encode::bulk(out, port.as_bytes());
            }
            _ => encode::null_array(out, protocol),
        },
        "ckquorum" => ckquorum(&status, out),
        "failover" => {
            let reply = failover::planned(sentinel, None).await;
            if reply.accepted {
                encode::simple(out, b"OK");
            } else {
                let reason = reply.reason.unwrap_or_default();
                let code = if reason.contains("in progress") {
                    "INPROG"
                } else if reason.contains("fit to promote") || reason.contains("up-to-date") {
                    "NOGOODSLAVE"
                } else {
                    "ERR"
                };
                encode::error(out, format!("{code} {reason}").as_bytes());
            }
        }
        _ => {
            let text = format!("ERR unknown subcommand '{sub}'. Try SENTINEL HELP.");
            encode::error(out, text.as_bytes());
        }
    }
}

fn ckquorum(status: &SentinelStatus, out: &mut BytesMut) {
    let usable = status.reachable_sentinels.len();
    let majority = status.sentinels.len() / 2 + 1;
    if usable >= status.quorum && usable >= majority {
        let text = format!(
            "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
        );
        encode::simple(out, text.as_bytes());
        return;
    }
    let mut text = format!("NOQUORUM {usable} usable Sentinels.");
    if usable < status.quorum {
        text.push_str(
            " Not enough available Sentinels to reach the specified quorum for this master.",
        );
    }
    if usable < majority {
        text.push_str(
            " Not enough available Sentinels to reach the majority and authorize a failover",
        );
    }
    encode::error(out, text.as_bytes());
}

fn primary(status: &SentinelStatus) -> Option<&NodeStatus> {
    let id = status.primary.as_ref()?;
    status.nodes.iter().find(|n| n.node == *id)
}

fn replicas(status: &SentinelStatus) -> impl Iterator<Item = &NodeStatus> {
    status
        .nodes
        .iter()
        .filter(move |n| Some(&n.node) != status.primary.as_ref())
}

fn master_fields(status: &SentinelStatus, protocol: Protocol, out: &mut BytesMut) {
    let node = primary(status);
    let address = node.map_or("", |n| n.address.as_str());
    let (host, port) = split(address);
    let mut flags = String::from("master");
    if node.is_none_or(|n| !n.up) {
        flags.push_str(",s_down");
    }
    if status.primary_down_votes >= status.quorum {
        flags.push_str(",o_down");
    }
    let run_id = status.primary.as_ref().map_or("", |p| p.as_str());
    let replicas = replicas(status).count().to_string();
    let others = status
        .reachable_sentinels
        .len()
        .saturating_sub(1)
        .to_string();
    let quorum = status.quorum.to_string();
    let epoch = status.epoch.0.to_string();
    let offset = node.map_or(0, |n| n.offset.0).to_string();
    fields(
        out,
        protocol,
        &[
            ("name", status.group.as_str()),
            ("ip", host),
            ("port", port),
            ("runid", run_id),
            ("flags", &flags),
            ("num-slaves", &replicas),
            ("num-other-sentinels", &others),
            ("quorum", &quorum),
            ("config-epoch", &epoch),
            ("master-repl-offset", &offset),
            ("rg-failover-status", &status.failover),
        ],
    );
}

fn replica_fields(
    status: &SentinelStatus,
    node: &NodeStatus,
    protocol: Protocol,
    out: &mut BytesMut,
) {
    let (host, port) = split(&node.address);
    let mut flags = String::from(if node.role == Role::Primary {
        "master"
    } else {
        "slave"
    });
    if !node.up {
        flags.push_str(",s_down");
    }
    let master = primary(status).map_or("", |n| n.address.as_str());
    let (master_host, master_port) = split(master);
    let link = if node.link_up { "ok" } else { "err" };
    let priority = node.priority.to_string();
    let offset = node.offset.0.to_string();
    fields(
        out,
        protocol,
        &[
            ("name", node.address.as_str()),
            ("ip", host),
            ("port", port),
            ("runid", node.node.as_str()),
            ("flags", &flags),
            ("master-link-status", link),
            ("master-host", master_host),
            ("master-port", master_port),
            ("slave-priority", &priority),
            ("slave-repl-offset", &offset),
            ("rg-az", &node.az),
        ],
    );
}

fn info(statuses: &[SentinelStatus], protocol: Protocol, out: &mut BytesMut) {
    let mut text = String::from("# Sentinel\r\n");
    text.push_str(&format!("sentinel_masters:{}\r\n", statuses.len()));
    if let Some(first) = statuses.first() {
        text.push_str(&format!("sentinel_myid:{}\r\n", first.sentinel));
    }
    for (index, status) in statuses.iter().enumerate() {
        let state = if primary(status).is_some_and(|n| n.up) {
            "ok"
        } else {
            "odown"
        };
        let address = primary(status).map_or("", |n| n.address.as_str());
        text.push_str(&format!(
            "master{index}:name={},status={state},address={address},slaves={},sentinels={}\r\n",
            status.group,
            replicas(status).count(),
            status.reachable_sentinels.len(),
        ));
    }
    encode::verbatim(out, b"txt", text.as_bytes(), protocol);
}

/// Field/value pairs, as Redis Sentinel answers: a map on RESP3, a flat array on RESP2.
fn fields(out: &mut BytesMut, protocol: Protocol, pairs: &[(&str, &str)]) {
    encode::map_len(out, pairs.len(), protocol);
    for (name, value) in pairs {
        encode::bulk(out, name.as_bytes());
        encode::bulk(out, value.as_bytes());
    }
}

fn split(address: &str) -> (&str, &str) {
    address.rsplit_once(':').unwrap_or((address, ""))
}
