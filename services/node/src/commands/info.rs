//! INFO: sections and field names as Redis 7 writes them, so tools that parse INFO work.

use std::fmt::Write;

use bytes::Bytes;

use super::connection::REDIS_VERSION;
use super::info_observed as observed;
use super::server::split_address;
use crate::engine::keyspace::{Entry, Millis};
use crate::engine::memory;
use crate::engine::replication::Role;
use crate::engine::value::Value;
use crate::engine::Engine;

/// Redis 7.0's sections in its order, and whether plain `INFO` (or `INFO default`) shows
/// each; `all` and `everything` show every one (they differ in Redis only by the sections
/// modules add).
const SECTIONS: [(&str, bool); 13] = [
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

pub fn render(engine: &Engine, requested: &[Bytes], now: Millis) -> String {
    let wanted: Vec<String> = requested
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let has = |w: &str| wanted.iter().any(|x| x == w);
    let default = wanted.is_empty() || has("default");
    let (all, everything) = (has("all"), has("everything"));
    let mut out = String::new();
    for (section, in_default) in SECTIONS {
        let shown = everything || all || (default && in_default) || has(section);
        if !shown {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let title = match section {
            "cpu" => "CPU".to_string(),
            _ => format!("{}{}", section[..1].to_ascii_uppercase(), &section[1..]),
        };
        out.push_str(&format!("# {title}\r\n"));
        for (name, value) in fields(engine, section, now) {
            let _ = write!(out, "{name}:{value}\r\n");
        }
    }
    out
}

fn fields(engine: &Engine, section: &str, now: Millis) -> Vec<(String, String)> {
    let pairs: Vec<(&str, String)> = match section {
        "server" => server(engine, now),
        "clients" => clients(engine),
        "memory" => memory_fields(engine),
        "persistence" => persistence(engine),
        "stats" => stats(engine),
        "replication" => return replication(engine, now),
        "cpu" => observed::cpu(),
        "commandstats" => return observed::commandstats(&engine.observed),
        "errorstats" => return observed::errorstats(&engine.observed),
        "latencystats" => return observed::latencystats(engine),
        // Clients (redis-py's own tests among them) read this to tell a cluster from a server.
        "cluster" => vec![("cluster_enabled", "0".into())],
        "keyspace" => return keyspace(engine, now),
        _ => Vec::new(),
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// rgroup keeps no files (durability is replication): what Redis reports with
/// persistence off.
fn persistence(engine: &Engine) -> Vec<(&'static str, String)> {
    vec![
        ("loading", u8::from(engine.repl.is_syncing()).to_string()),
        ("async_loading", "0".into()),
        (
            "rdb_changes_since_last_save",
            engine.stats.dirty.to_string(),
        ),
        ("rdb_bgsave_in_progress", "0".into()),
        ("aof_enabled", "0".into()),
        ("aof_rewrite_in_progress", "0".into()),
    ]
}

fn server(engine: &Engine, now: Millis) -> Vec<(&'static str, String)> {
    let uptime = now.saturating_sub(engine.started_at) / 1000;
    vec![
        ("redis_version", REDIS_VERSION.into()),
        ("rgroup_version", env!("CARGO_PKG_VERSION").into()),
        ("redis_mode", "standalone".into()),
        ("os", std::env::consts::OS.into()),
        ("arch_bits", "64".into()),
        ("process_id", std::process::id().to_string()),
        ("tcp_port", engine.settings.port.to_string()),
        ("uptime_in_seconds", uptime.to_string()),
        ("uptime_in_days", (uptime / 86_400).to_string()),
        ("hz", engine.settings.hz.to_string()),
    ]
}

fn clients(engine: &Engine) -> Vec<(&'static str, String)> {
    vec![
        ("connected_clients", engine.clients.len().to_string()),
        ("maxclients", engine.settings.maxclients.to_string()),
        (
            "blocked_clients",
            engine.clients.blocked_count().to_string(),
        ),
        ("pubsub_clients", engine.clients.pubsub_count().to_string()),
        (
            "tracking_clients",
            engine.tracking.client_count().to_string(),
        ),
    ]
}

fn memory_fields(engine: &Engine) -> Vec<(&'static str, String)> {
    let (used, rss) = (memory::used(), memory::rss());
    let ratio = if used > 0 {
        rss as f64 / used as f64
    } else {
        0.0
    };
    vec![
        ("used_memory", used.to_string()),
        ("used_memory_human", human(used as u64)),
        ("used_memory_rss", rss.to_string()),
        ("used_memory_rss_human", human(rss as u64)),
        ("maxmemory", engine.settings.maxmemory.to_string()),
        ("maxmemory_human", human(engine.settings.maxmemory)),
        (
            "maxmemory_policy",
            engine.settings.maxmemory_policy.to_string(),
        ),
        ("mem_fragmentation_ratio", format!("{ratio:.2}")),
        ("mem_allocator", "mimalloc".into()),
    ]
}

fn stats(engine: &Engine) -> Vec<(&'static str, String)> {
    let s = &engine.stats;
    vec![
        (
            "total_connections_received",
            s.connections_received.to_string(),
        ),
        ("total_commands_processed", s.commands_processed.to_string()),
        ("total_net_input_bytes", s.net_input_bytes.to_string()),
        ("total_net_output_bytes", s.net_output_bytes.to_string()),
        ("rejected_connections", s.rejected_connections.to_string()),
        ("expired_keys", s.expired_keys.to_string()),
        ("evicted_keys", s.evicted_keys.to_string()),
        ("keyspace_hits", s.keyspace_hits.to_string()),
        ("keyspace_misses", s.keyspace_misses.to_string()),
        ("pubsub_channels", engine.pubsub.channel_count().to_string()),
        ("pubsub_patterns", engine.pubsub.pattern_count().to_string()),
        (
            "tracking_total_keys",
            engine.tracking.key_count().to_string(),
        ),
        (
            "tracking_total_items",
            engine.tracking.item_count().to_string(),
        ),
        (
            "tracking_total_prefixes",
            engine.tracking.prefix_count().to_string(),
        ),
        ("total_pubsub_messages", s.pubsub_messages.to_string()),
        (
            "pubsubshard_channels",
            engine.pubsub.shard_channel_count().to_string(),
        ),
        (
            "total_error_replies",
            engine.observed.error_replies.to_string(),
        ),
        ("rdb_changes_since_last_save", s.dirty.to_string()),
        ("sync_full", s.sync_full.to_string()),
        ("sync_partial_ok", s.sync_partial_ok.to_string()),
    ]
}

fn replication(engine: &Engine, now: Millis) -> Vec<(String, String)> {
    let repl = &engine.repl;
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: String| fields.push((name.to_string(), value));
    match repl.role() {
        Role::Primary => {
            add("role", "master".into());
            add("connected_slaves", repl.replicas().len().to_string());
            for (index, replica) in repl.replicas().enumerate() {
                let (host, port) = split_address(replica.address());
                let lag = now.saturating_sub(replica.last_ack()) / 1000;
                add(
                    &format!("slave{index}"),
                    format!(
                        "ip={host},port={port},state=online,offset={},lag={lag}",
                        replica.offset()
                    ),
                );
            }
        }
        Role::Replica { primary, link_up } => {
            let address = repl.peers().get(primary).map_or("", String::as_str);
            let (host, port) = split_address(address);
            add("role", "slave".into());
            add("master_host", host.into());
            add("master_port", port.into());
            add(
                "master_link_status",
                if *link_up { "up" } else { "down" }.into(),
            );
            add(
                "master_last_io_seconds_ago",
                (now.saturating_sub(repl.last_io()) / 1000).to_string(),
            );
            add(
                "master_sync_in_progress",
                u8::from(repl.is_syncing()).to_string(),
            );
            add("slave_read_repl_offset", repl.offset().to_string());
            add("slave_repl_offset", repl.offset().to_string());
            add(
                "slave_priority",
                engine.settings.replica_priority.to_string(),
            );
            add("slave_read_only", "1".into());
            add("connected_slaves", "0".into());
        }
    }
    add("master_replid", repl.repl_id().to_string());
    add("master_replid2", repl.repl_id2().to_string());
    add("master_repl_offset", repl.offset().to_string());
    let second = repl.second_offset().map_or(-1, |o| o.0 as i64 + 1);
    add("second_repl_offset", second.to_string());
    add(
        "repl_backlog_active",
        u8::from(repl.is_enabled()).to_string(),
    );
    let backlog = repl.backlog();
    add("repl_backlog_size", backlog.capacity().to_string());
    add(
        "repl_backlog_first_byte_offset",
        (backlog.start().0 + 1).to_string(),
    );
    add("repl_backlog_histlen", backlog.len().to_string());
    fields
}

fn keyspace(engine: &Engine, now: Millis) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for (index, db) in engine
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, db)| !db.keys.is_empty())
    {
        let ttls: Vec<u64> = db
            .keys
            .iter()
            .filter(|e| e.expires_at != 0)
            .map(|e| e.expires_at.saturating_sub(now))
            .collect();
        let avg = if ttls.is_empty() {
            0
        } else {
            ttls.iter().sum::<u64>() / ttls.len() as u64
        };
        let value = format!(
            "keys={},expires={},avg_ttl={avg}",
            db.keys.len(),
            ttls.len()
        );
        lines.push((format!("db{index}"), value));
    }
    lines
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes}B"),
        _ => format!("{value:.2}{}", UNITS[unit]),
    }
}

/// An estimate of the memory a key takes (MEMORY USAGE).
pub fn entry_size(entry: &Entry) -> usize {
    const SLOT: usize = 64;
    const ELEMENT: usize = 32;
    let value = match &entry.value {
        Value::Str(s) => s.heap_size(),
        Value::List(l) => l.iter().map(|e| ELEMENT + e.heap_size()).sum(),
        Value::Hash(h) => h
            .iter()
            .map(|(f, v)| 2 * ELEMENT + f.heap_size() + v.heap_size())
            .sum(),
        Value::Set(s) => s.iter().map(|m| ELEMENT + m.heap_size()).sum(),
        Value::ZSet(z) => z.iter().map(|(m, _)| 3 * ELEMENT + 2 * m.heap_size()).sum(),
        Value::Stream(s) => {
            let entries = s.heap_size();
            let groups: usize = s
                .groups
                .values()
                .map(|g| 4 * ELEMENT + g.pel.len() * 3 * ELEMENT + g.consumers.len() * 2 * ELEMENT)
                .sum();
            entries + groups
        }
    };
    SLOT + entry.key.heap_size() + value
}
