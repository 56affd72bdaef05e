//! Byte-exact differential checks: a command sent as RESP to rg-node and to redis-server,
//! the reply bytes compared whole. Each command is followed by an `ECHO` fence, so a reply
//! of any shape (RESP2 or RESP3, nested, several pushes) is read to its end without parsing.
//! The fence is `PING __fence__`, which every mode allows (a RESP2 subscriber answers it as
//! `pong` and the text, which ends the same).

use crate::support::Raw;

const FENCE: &[u8] = b"*2\r\n$4\r\nPING\r\n$9\r\n__fence__\r\n";
const FENCE_REPLY: &[u8] = b"$9\r\n__fence__\r\n";

pub fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The exact bytes answered to `args`.
pub fn exchange(con: &mut Raw, args: &[&str]) -> String {
    exchange_all(con, &[args])
}

/// The exact bytes answered to several commands sent at once (a MULTI block, whose
/// fence must come after EXEC).
pub fn exchange_all(con: &mut Raw, commands: &[&[&str]]) -> String {
    let mut request: Vec<u8> = commands.iter().flat_map(|args| encode(args)).collect();
    request.extend_from_slice(FENCE);
    con.send(&request);
    let mut got = con.read_until_suffix(FENCE_REPLY);
    got.truncate(got.len().saturating_sub(FENCE_REPLY.len()));
    got
}

/// Sends `args` to both and asserts byte-identical replies; returns them.
pub fn same_bytes(reference: &mut Raw, node: &mut Raw, args: &[&str]) -> String {
    let expected = exchange(reference, args);
    let got = exchange(node, args);
    assert_eq!(
        got, expected,
        "{args:?}: rg-node's bytes differ from redis-server's"
    );
    got
}

/// [`same_bytes`] for several commands sent at once.
pub fn same_bytes_all(reference: &mut Raw, node: &mut Raw, commands: &[&[&str]]) -> String {
    let expected = exchange_all(reference, commands);
    let got = exchange_all(node, commands);
    assert_eq!(
        got, expected,
        "{commands:?}: rg-node's bytes differ from redis-server's"
    );
    got
}
