//! The arguments LMPOP, BLMPOP, ZMPOP and BZMPOP share:
//! `numkeys key [key ...] <end> [COUNT count]` (<https://redis.io/commands/lmpop/>).

use bytes::Bytes;

use super::args;
use crate::engine::error::CmdError;

#[derive(Debug, PartialEq)]
pub(super) struct Mpop<'a> {
    pub keys: &'a [Bytes],
    /// What `end` made of the LEFT|RIGHT or MIN|MAX word.
    pub end: bool,
    pub count: usize,
}

/// Parses `args[at..]` in Redis's order: numkeys, then the end word (read by `end`, a
/// syntax error when it returns None), then the options.
pub(super) fn parse(
    args: &[Bytes],
    at: usize,
    end: fn(&[u8]) -> Option<bool>,
) -> Result<Mpop<'_>, CmdError> {
    let numkeys = positive(&args[at], "numkeys should be greater than 0")?;
    let end_at = numkeys
        .checked_add(at + 1)
        .filter(|&i| i < args.len())
        .ok_or(CmdError::Syntax)?;
    let which = end(&args[end_at]).ok_or(CmdError::Syntax)?;
    let mut count = None;
    let mut rest = &args[end_at + 1..];
    while let Some(option) = rest.first() {
        match rest.get(1) {
            Some(value) if count.is_none() && args::is(option, "COUNT") => {
                count = Some(positive(value, "count should be greater than 0")?);
                rest = &rest[2..];
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    Ok(Mpop {
        keys: &args[at + 1..end_at],
        end: which,
        count: count.unwrap_or(1),
    })
}

/// An integer of at least 1; Redis answers `message` for anything else, numbers or not.
fn positive(arg: &[u8], message: &'static str) -> Result<usize, CmdError> {
    args::parse_int(arg)
        .filter(|&n| n >= 1)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| CmdError::err(message))
}

/// LEFT (true) or RIGHT.
pub(super) fn list_end(arg: &[u8]) -> Option<bool> {
    word(arg, "LEFT", "RIGHT")
}

/// MAX (true: highest scores first) or MIN.
pub(super) fn zset_end(arg: &[u8]) -> Option<bool> {
    word(arg, "MAX", "MIN")
}

fn word(arg: &[u8], yes: &str, no: &str) -> Option<bool> {
    if args::is(arg, yes) {
        Some(true)
    } else if args::is(arg, no) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Bytes> {
        text.split(' ')
            .map(|w| Bytes::from(w.to_string()))
            .collect()
    }

    fn error(text: &str) -> String {
        match parse(&words(text), 1, list_end) {
            Err(e) => e.line().into_owned(),
            Ok(parsed) => panic!("{text} parsed as {parsed:?}"),
        }
    }

    #[test]
    fn keys_end_and_count_are_read_in_place() {
        let args = words("LMPOP 2 a b right COUNT 3");
        let parsed = parse(&args, 1, list_end).unwrap();
        assert_eq!(parsed.keys, &args[2..4]);
        assert!(!parsed.end);
        assert_eq!(parsed.count, 3);
        let args = words("BZMPOP 0 1 z MAX");
        let parsed = parse(&args, 2, zset_end).unwrap();
        assert_eq!((parsed.keys.len(), parsed.end, parsed.count), (1, true, 1));
    }

    #[test]
    fn errors_follow_redis() {
        assert_eq!(
            error("LMPOP 0 a LEFT"),
            "ERR numkeys should be greater than 0"
        );
        assert_eq!(
            error("LMPOP x a LEFT"),
            "ERR numkeys should be greater than 0"
        );
        assert_eq!(error("LMPOP 2 a LEFT"), "ERR syntax error");
        assert_eq!(
            error("LMPOP 9223372036854775807 a LEFT"),
            "ERR syntax error"
        );
        assert_eq!(error("LMPOP 1 a UP"), "ERR syntax error");
        assert_eq!(
            error("LMPOP 1 a LEFT COUNT 0"),
            "ERR count should be greater than 0"
        );
        assert_eq!(error("LMPOP 1 a LEFT COUNT 1 COUNT 1"), "ERR syntax error");
        assert_eq!(error("LMPOP 1 a LEFT COUNT"), "ERR syntax error");
        assert_eq!(error("LMPOP 1 a LEFT foo"), "ERR syntax error");
    }
}
