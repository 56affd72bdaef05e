//! Where the keys of one call are, for every command including those whose keys move with
//! their arguments (`numkeys`, `STORE dest`), as Redis's key-extraction procedures find them.

use crate::spec::{CommandId, CommandSpec, Flags};

/// The argv indexes of the keys in `args` (`args[0]` is the command name). For a
/// movable-keys command with a bad `numkeys`, no keys: the command itself reports the error.
pub fn key_indexes<A: AsRef<[u8]>>(spec: &CommandSpec, args: &[A]) -> Vec<usize> {
    if !spec.flags.contains(Flags::MOVABLEKEYS) {
        return spec.key_positions(args.len()).collect();
    }
    use CommandId::*;
    match spec.id {
        Zunionstore | Zinterstore | Zdiffstore => {
            let mut keys = vec![1];
            keys.extend(counted(args, 2));
            keys
        }
        Zunion | Zinter | Zdiff | Zintercard | Sintercard | Lmpop | Zmpop => counted(args, 1),
        Blmpop | Bzmpop | Eval | Evalsha | EvalRo | EvalshaRo | Fcall | FcallRo => counted(args, 2),
        Sort | SortRo => sort_keys(spec, args),
        _ => spec.key_positions(args.len()).collect(),
    }
}

/// The keys after a `numkeys` argument at `at`.
fn counted<A: AsRef<[u8]>>(args: &[A], at: usize) -> Vec<usize> {
    let Some(count) = args
        .get(at)
        .and_then(|n| std::str::from_utf8(n.as_ref()).ok())
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return Vec::new();
    };
    if count > args.len().saturating_sub(at + 1) {
        return Vec::new();
    }
    (at + 1..at + 1 + count).collect()
}

/// SORT's key, and its STORE destination, skipping the options' own arguments as Redis
/// does (so `GET store` is a pattern, not the start of a STORE).
fn sort_keys<A: AsRef<[u8]>>(spec: &CommandSpec, args: &[A]) -> Vec<usize> {
    let mut keys = vec![1];
    if spec.id == CommandId::SortRo {
        return keys;
    }
    let mut i = 2;
    let mut store = None;
    while i < args.len() {
        let option = args[i].as_ref();
        let skip = if option.eq_ignore_ascii_case(b"LIMIT") {
            2
        } else if option.eq_ignore_ascii_case(b"GET") || option.eq_ignore_ascii_case(b"BY") {
            1
        } else if option.eq_ignore_ascii_case(b"STORE") && i + 1 < args.len() {
            // The last STORE wins, as in Redis.
            store = Some(i + 1);
            1
        } else {
            0
        };
        i += 1 + skip;
    }
    keys.extend(store);
    keys
}
