//! The slow log (<https://redis.io/commands/slowlog-get/>): commands that ran at least
//! `slowlog-log-slower-than` microseconds, newest first, at most `slowlog-max-len`.

use std::collections::VecDeque;

use bytes::Bytes;

/// Arguments kept per entry, and bytes kept per argument, as Redis trims them.
const MAX_ARGS: usize = 32;
const MAX_ARG_LEN: usize = 128;

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: u64,
    /// Unix seconds.
    pub time: u64,
    pub usec: u64,
    pub args: Vec<Bytes>,
    pub client_addr: String,
    pub client_name: Bytes,
}

#[derive(Debug, Default)]
pub struct SlowLog {
    entries: VecDeque<Entry>,
    next_id: u64,
}

impl SlowLog {
    /// Adds an entry, trimming the log to `max_len`.
    pub fn push(&mut self, mut entry: Entry, max_len: usize) {
        entry.id = self.next_id;
        entry.args = trim(&entry.args);
        self.next_id += 1;
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }

    /// Newest first.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

/// At most 32 arguments (the last saying how many more there were), each at most 128
/// bytes (followed by how many more there were).
fn trim(args: &[Bytes]) -> Vec<Bytes> {
    let kept = if args.len() > MAX_ARGS {
        MAX_ARGS - 1
    } else {
        args.len()
    };
    let mut out: Vec<Bytes> = args[..kept]
        .iter()
        .map(|arg| {
            if arg.len() <= MAX_ARG_LEN {
                return arg.clone();
            }
            let mut text = arg[..MAX_ARG_LEN].to_vec();
            let more = format!("... ({} more bytes)", arg.len() - MAX_ARG_LEN);
            text.extend_from_slice(more.as_bytes());
            Bytes::from(text)
        })
        .collect();
    if args.len() > MAX_ARGS {
        let more = format!("... ({} more arguments)", args.len() - kept);
        out.push(Bytes::from(more));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_commands_are_trimmed_as_redis_does() {
        let args: Vec<Bytes> = (0..40).map(|i| Bytes::from(i.to_string())).collect();
        let trimmed = trim(&args);
        assert_eq!(trimmed.len(), 32);
        assert_eq!(trimmed[31], "... (9 more arguments)");
        let long = trim(&[Bytes::from(vec![b'x'; 130])]);
        assert!(long[0].ends_with(b"... (2 more bytes)"));
        assert_eq!(long[0].len(), 128 + "... (2 more bytes)".len());
    }

    #[test]
    fn the_log_keeps_the_newest() {
        let mut log = SlowLog::default();
        for usec in 0..5 {
            let entry = Entry {
                id: 0,
                time: 0,
                usec,
                args: vec![],
                client_addr: String::new(),
                client_name: Bytes::new(),
            };
            log.push(entry, 3);
        }
        let ids: Vec<u64> = log.entries().map(|e| e.id).collect();
        assert_eq!(ids, [4, 3, 2]);
    }
}
