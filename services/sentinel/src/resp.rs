//! A Redis-Sentinel-like view over RESP, so that redis-cli and sentinel-aware clients work:
//! PING, INFO, and SENTINEL MASTERS / MASTER / REPLICAS (SLAVES) / SENTINELS /
//! GET-MASTER-ADDR-BY-NAME / CKQUORUM / FAILOVER / MYID, with Redis Sentinel's field names
//! and error texts. The master's name is the group id.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rg_proto::messages::{NodeStatus, Role, SentinelStatus};
use rg_proto::GroupId;
use rg_resp::{encode, Limits, RequestDecoder};
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
    loop {
        match stream.read_buf(&mut input).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(args)) if args.is_empty() => {}
                Ok(Some(args)) => answer(&watched, &args, &mut output).await,
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

async fn answer(watched: &Watched, args: &[Bytes], out: &mut BytesMut) {
    // A snapshot: the lock is never held across an await.
    let watched: BTreeMap<GroupId, Arc<Sentinel>> = watched.read().clone();
    let watched = &watched;
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    match name.as_str() {
        "ping" => encode::simple(out, b"PONG"),
        "info" => {
            let statuses: Vec<SentinelStatus> =
                watched.values().map(|s| status::current(s)).collect();
            info(&statuses, out);
        }
        "sentinel" => sentinel_command(watched, &args[1..], out).await,
        _ => {
            let text = format!(
                "ERR unknown command '{}', with args beginning with: ",
                String::from_utf8_lossy(&args[0])
            );
            encode::error(out, text.as_bytes());
        }
    }
}

async fn sentinel_command(
    watched: &BTreeMap<GroupId, Arc<Sentinel>>,
    args: &[Bytes],
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
            master_fields(&status::current(sentinel), out);
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
        "master" => master_fields(&status, out),
        "replicas" | "slaves" => {
            let replicas: Vec<&NodeStatus> = replicas(&status).collect();
            encode::array_len(out, replicas.len());
            for replica in replicas {
                replica_fields(&status, replica, out);
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
            _ => encode::null_array(out, rg_resp::Protocol::Resp2),
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

fn master_fields(status: &SentinelStatus, out: &mut BytesMut) {
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

fn replica_fields(status: &SentinelStatus, node: &NodeStatus, out: &mut BytesMut) {
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

fn info(statuses: &[SentinelStatus], out: &mut BytesMut) {
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
    encode::bulk(out, text.as_bytes());
}

/// A flat field/value array, as Redis Sentinel answers.
fn fields(out: &mut BytesMut, pairs: &[(&str, &str)]) {
    encode::array_len(out, pairs.len() * 2);
    for (name, value) in pairs {
        encode::bulk(out, name.as_bytes());
        encode::bulk(out, value.as_bytes());
    }
}

fn split(address: &str) -> (&str, &str) {
    address.rsplit_once(':').unwrap_or((address, ""))
}
