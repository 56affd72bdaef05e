//! The commands the router answers itself, with Redis's replies and error texts.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rg_proto::{Offset, Position, ReplId};
use rg_resp::{encode, Frame, Limits, Protocol};

use crate::classify::{Class, Local};
use crate::client::{Client, Flow};
use crate::Endpoint;

pub(crate) async fn answer(client: &mut Client, command: Local, args: &[Bytes]) -> Flow {
    let class = Class::Local(command);
    let arity = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "ERR wrong number of arguments for '{}' command",
                String::from_utf8_lossy(&args[0]).to_lowercase()
            ))
        }
    };
    let reply: Result<Bytes, String> = match command {
        Local::Ping => match args.len() {
            1 => Ok(Bytes::from_static(b"+PONG\r\n")),
            2 => Ok(bulk(&args[1])),
            _ => arity(2).map(|_| Bytes::new()),
        },
        Local::Echo => arity(2).map(|_| bulk(&args[1])),
        Local::Quit => {
            client.reply(class, Bytes::from_static(b"+OK\r\n"));
            return Flow::Close;
        }
        Local::Auth => auth(client, &args[1..]),
        Local::Hello => hello(client, args),
        Local::Reset => {
            client.reset();
            Ok(Bytes::from_static(b"+RESET\r\n"))
        }
        Local::SelectZero => Ok(Bytes::from_static(b"+OK\r\n")),
        Local::ClientSetName => arity(3).and_then(|_| {
            client.name = valid_name(&args[2])?;
            Ok(Bytes::from_static(b"+OK\r\n"))
        }),
        Local::ClientGetName => Ok(match &client.name {
            Some(name) => bulk(name),
            None => null(client.protocol),
        }),
        Local::ClientId => Ok(integer(client.id as i64)),
        Local::Info => Ok(text(info(client).as_bytes(), client.protocol)),
        Local::Wait => wait(client, args).await,
    };
    match reply {
        Ok(bytes) => client.reply(class, bytes),
        Err(text) => client.reply_error(class, &text),
    }
    Flow::Continue
}

fn auth(client: &mut Client, args: &[Bytes]) -> Result<Bytes, String> {
    let password = match args {
        [password] => password,
        [user, password] if user.as_ref() == b"default" => password,
        [_, _] => return Err(wrong_pass()),
        _ => return Err("ERR syntax error".into()),
    };
    match &client.router.settings.requirepass {
        None => Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into()),
        Some(expected) if expected.as_bytes() == password.as_ref() => {
            client.authed = true;
            Ok(Bytes::from_static(b"+OK\r\n"))
        }
        Some(_) => Err(wrong_pass()),
    }
}

fn wrong_pass() -> String {
    "WRONGPASS invalid username-password pair or user is disabled.".into()
}

/// HELLO [protover [AUTH user pass] [SETNAME name]], answered as Redis answers it. The
/// protocol changes only once every option is accepted.
fn hello(client: &mut Client, args: &[Bytes]) -> Result<Bytes, String> {
    let protocol = match args.get(1) {
        None => client.protocol,
        Some(version) => Protocol::from_version(version)?,
    };
    let mut name = None;
    let mut rest = args.iter().skip(2);
    while let Some(option) = rest.next() {
        match option.to_ascii_uppercase().as_slice() {
            b"AUTH" => {
                let (Some(user), Some(password)) = (rest.next(), rest.next()) else {
                    return Err("ERR Syntax error in HELLO option 'auth'".into());
                };
                auth(client, &[user.clone(), password.clone()])?;
            }
            b"SETNAME" => {
                let Some(given) = rest.next() else {
                    return Err("ERR Syntax error in HELLO option 'setname'".into());
                };
                name = Some(valid_name(given)?);
            }
            _ => {
                return Err(format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(option)
                ))
            }
        }
    }
    if !client.authed {
        return Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into());
    }
    if let Some(name) = name {
        client.name = name;
    }
    client.switch_protocol(protocol);
    let mut out = BytesMut::new();
    encode::map_len(&mut out, 7, protocol);
    for (key, value) in [
        ("server", "redis"),
        ("version", REDIS_VERSION),
        ("proto", ""),
        ("id", ""),
        ("mode", "standalone"),
        ("role", "master"),
    ] {
        encode::bulk(&mut out, key.as_bytes());
        match key {
            "proto" => encode::integer(&mut out, protocol.version()),
            "id" => encode::integer(&mut out, client.id as i64),
            _ => encode::bulk(&mut out, value.as_bytes()),
        }
    }
    encode::bulk(&mut out, b"modules");
    encode::array_len(&mut out, 0);
    Ok(out.freeze())
}

/// A client name as CLIENT SETNAME and HELLO SETNAME take it: None clears it.
fn valid_name(name: &Bytes) -> Result<Option<Bytes>, String> {
    if name.iter().any(|b| *b <= b' ' || *b > b'~') {
        return Err(
            "ERR Client names cannot contain spaces, newlines or special characters.".into(),
        );
    }
    Ok((!name.is_empty()).then(|| name.clone()))
}

/// The Redis version the router presents, the one rg-node follows.
pub const REDIS_VERSION: &str = "7.0.15";

/// WAIT numreplicas timeout: the position (history and offset) of the node that took this
/// client's writes, just after them; then the members' acknowledgements that hold it in
/// that history, as they arrive on the bus. When the node that took the writes cannot say
/// where they stand (it died, or is no longer a primary), no replica is known to hold them.
async fn wait(client: &mut Client, args: &[Bytes]) -> Result<Bytes, String> {
    if args.len() != 3 {
        return Err("ERR wrong number of arguments for 'wait' command".into());
    }
    let number = |arg: &Bytes| -> Result<i64, String> {
        std::str::from_utf8(arg)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| "ERR value is not an integer or out of range".to_string())
    };
    let needed = number(&args[1])?;
    let timeout = number(&args[2])?;
    if timeout < 0 {
        return Err("ERR timeout is negative".into());
    }
    let Ok(target) = client.probe_position().await else {
        return Err(
            "NOPRIMARY rgroup router: no primary reachable to learn the offset to wait for".into(),
        );
    };
    let Some(target) = target else {
        return Ok(integer(0));
    };
    let router = client.router.clone();
    let count = || {
        let routes = router.routes();
        let members = routes
            .primary
            .iter()
            .map(|p| &p.node)
            .chain(routes.replicas.iter().map(|r| &r.node));
        router.positions.lock().count(members, &target) as i64
    };
    let deadline =
        (timeout > 0).then(|| tokio::time::Instant::now() + Duration::from_millis(timeout as u64));
    loop {
        let acked = router.acked.notified();
        tokio::pin!(acked);
        acked.as_mut().enable();
        let reached = count();
        if reached >= needed {
            return Ok(integer(reached));
        }
        match deadline {
            Some(deadline) => {
                if tokio::time::timeout_at(deadline, acked).await.is_err() {
                    return Ok(integer(count()));
                }
            }
            None => acked.await,
        }
    }
}

/// What the router asks a node for its position: Redis's own INFO fields, so any node that
/// answers INFO like Redis can be asked.
pub const PROBE: &[u8] = b"*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n";

/// The position in an `INFO replication` reply of a primary (`master_replid`,
/// `master_repl_offset`); None for a replica's, an error or anything else.
pub fn probe_position(reply: &[u8]) -> Option<Position> {
    let (Frame::Bulk(text) | Frame::Verbatim { text, .. }, _) =
        Frame::parse(reply, &Limits::default()).ok()??
    else {
        return None;
    };
    let text = std::str::from_utf8(&text).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    };
    if field("role")? != "master" {
        return None;
    }
    let repl_id = ReplId(field("master_replid")?.to_string());
    let offset = Offset(field("master_repl_offset")?.parse().ok()?);
    Some(Position::new(repl_id, offset))
}

fn bulk(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 16);
    encode::bulk(&mut out, data);
    out.freeze()
}

/// Text for a human (INFO): verbatim on RESP3, a bulk string on RESP2, as Redis sends it.
fn text(data: &[u8], protocol: Protocol) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 16);
    encode::verbatim(&mut out, b"txt", data, protocol);
    out.freeze()
}

fn null(protocol: Protocol) -> Bytes {
    let mut out = BytesMut::with_capacity(8);
    encode::null(&mut out, protocol);
    out.freeze()
}

fn integer(value: i64) -> Bytes {
    let mut out = BytesMut::with_capacity(24);
    encode::integer(&mut out, value);
    out.freeze()
}

/// INFO: enough of Redis's sections for clients that read them, and the router's own.
fn info(client: &Client) -> String {
    let router = &client.router;
    let routes = router.routes();
    let settings = &router.settings;
    let mut text = String::new();
    let _ = write!(
        text,
        "# Server\r\nredis_version:{REDIS_VERSION}\r\nrgroup_version:{}\r\nredis_mode:standalone\r\n\
         process_id:{}\r\ntcp_port:{}\r\n\r\n# Clients\r\nconnected_clients:{}\r\n\r\n\
         # Replication\r\nrole:master\r\nconnected_slaves:{}\r\n\r\n# Router\r\n",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        router.port(client.endpoint),
        router.clients(),
        routes.replicas.len(),
    );
    let _ = write!(
        text,
        "endpoint:{}\r\ngroup:{}\r\nepoch:{}\r\n",
        client.endpoint.name(),
        settings.group,
        routes.epoch.0
    );
    for endpoint in Endpoint::ALL {
        let _ = write!(
            text,
            "endpoint_{}:port={},requests={},errors={}\r\n",
            endpoint.name(),
            router.port(endpoint),
            router.metrics.requests(endpoint),
            router.metrics.errors(endpoint),
        );
    }
    match &routes.primary {
        Some(primary) => {
            let _ = write!(
                text,
                "primary:node={},address={},up={},confirmed={},outstanding={},commands={},failures={}\r\n",
                primary.node,
                primary.address,
                u8::from(primary.is_up()),
                u8::from(routes.is_confirmed()),
                primary.outstanding(),
                primary.commands(),
                primary.failures(),
            );
        }
        None => text.push_str("primary:none\r\n"),
    }
    for (index, replica) in routes.replicas.iter().enumerate() {
        let lag = replica.lag_ms.load(Ordering::Relaxed);
        let lag = if lag == u64::MAX { -1 } else { lag as i64 };
        let _ = write!(
            text,
            "replica{index}:node={},address={},az={},up={},fit={},offset={},lag_ms={lag},outstanding={},commands={},failures={}\r\n",
            replica.node,
            replica.backend.address,
            replica.az,
            u8::from(replica.backend.is_up()),
            u8::from(replica.fit(settings.max_replica_lag_ms)),
            replica.offset(),
            replica.backend.outstanding(),
            replica.backend.commands(),
            replica.backend.failures(),
        );
    }
    let metrics = &router.metrics;
    let _ = write!(
        text,
        "held_writes:{}\r\nhold_timeouts:{}\r\nrejected_connections:{}\r\n",
        metrics.held_writes.load(Ordering::Relaxed),
        metrics.hold_timeouts.load(Ordering::Relaxed),
        metrics.rejected_connections.load(Ordering::Relaxed),
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(text: &str) -> Vec<u8> {
        format!("${}\r\n{text}\r\n", text.len()).into_bytes()
    }

    #[test]
    fn the_position_of_an_info_replication_reply() {
        let id = "a".repeat(40);
        let primary = format!(
            "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_replid:{id}\r\n\
             master_replid2:{}\r\nmaster_repl_offset:1234\r\n",
            "0".repeat(40)
        );
        assert_eq!(
            probe_position(&info(&primary)),
            Some(Position::new(ReplId(id.clone()), Offset(1234)))
        );
        let replica = primary.replace("role:master", "role:slave");
        assert_eq!(probe_position(&info(&replica)), None);
        assert_eq!(probe_position(b"-ERR nope\r\n"), None);
        assert_eq!(probe_position(&info("role:master\r\n")), None);
    }
}
