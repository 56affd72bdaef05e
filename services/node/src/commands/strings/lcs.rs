//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
//! subsequence of two strings (<https://redis.io/commands/lcs/>), computed with Redis's
//! dynamic-programming table and walked back the way Redis walks it, so that the ranges
//! IDX reports (from the ends of the strings towards their starts) are Redis's own.

use bytes::Bytes;

use crate::commands::args;
use crate::commands::ctx::Ctx;
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;
use crate::engine::value::Value;

#[derive(Debug, Default)]
struct Options {
    len: bool,
    idx: bool,
    withmatchlen: bool,
    minmatchlen: usize,
}

/// One run of common bytes: inclusive offsets in each string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

impl Match {
    fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }
}

pub fn lcs(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let a = string_at(ctx, &args[1])?;
    let b = string_at(ctx, &args[2])?;
    let options = parse(&args[3..])?;
    if options.idx && options.len {
        return Err(CmdError::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    let cells = (a.len() as u128 + 1) * (b.len() as u128 + 1);
    if cells * 4 > u128::from(ctx.engine.settings.proto_max_bulk_len) {
        return Err(CmdError::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = Table::new(&a, &b);
    if options.len {
        return Ok(Reply::Int(table.length() as i64));
    }
    let (text, matches) = table.walk(&a, &b, options.minmatchlen);
    if !options.idx {
        return Ok(Reply::Bulk(Bytes::from(text)));
    }
    let matches = matches
        .iter()
        .map(|m| match_reply(m, options.withmatchlen))
        .collect();
    Ok(Reply::Map(vec![
        (Reply::bulk(b"matches"), Reply::Array(matches)),
        (Reply::bulk(b"len"), Reply::Int(table.length() as i64)),
    ]))
}

/// The string at `key`, empty if missing; any other type is refused with Redis's message.
fn string_at(ctx: &mut Ctx, key: &[u8]) -> Result<Vec<u8>, CmdError> {
    match ctx.read(key) {
        None => Ok(Vec::new()),
        Some(Value::Str(s)) => Ok(s.to_vec()),
        Some(_) => Err(CmdError::err(
            "The specified keys must contain string values",
        )),
    }
}

fn parse(mut rest: &[Bytes]) -> Result<Options, CmdError> {
    let mut options = Options::default();
    while let Some(option) = rest.first() {
        if args::is(option, "IDX") {
            options.idx = true;
        } else if args::is(option, "LEN") {
            options.len = true;
        } else if args::is(option, "WITHMATCHLEN") {
            options.withmatchlen = true;
        } else if args::is(option, "MINMATCHLEN") && rest.len() > 1 {
            // Redis treats a negative minimum as 0.
            let min = args::int(&rest[1])?;
            options.minmatchlen = usize::try_from(min).unwrap_or(0);
            rest = &rest[1..];
        } else {
            return Err(CmdError::Syntax);
        }
        rest = &rest[1..];
    }
    Ok(options)
}

fn match_reply(m: &Match, withmatchlen: bool) -> Reply {
    let pair = |(start, end): (usize, usize)| {
        Reply::Array(vec![Reply::Int(start as i64), Reply::Int(end as i64)])
    };
    let mut items = vec![pair(m.a), pair(m.b)];
    if withmatchlen {
        items.push(Reply::Int(m.len() as i64));
    }
    Reply::Array(items)
}

/// `cell(i, j)` is the length of the LCS of `a[..i]` and `b[..j]`.
struct Table {
    cells: Vec<u32>,
    width: usize,
    alen: usize,
    blen: usize,
}

impl Table {
    fn new(a: &[u8], b: &[u8]) -> Table {
        let width = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * width];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Table {
            cells,
            width,
            alen: a.len(),
            blen: b.len(),
        }
    }

    fn cell(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    fn length(&self) -> usize {
        self.cell(self.alen, self.blen) as usize
    }

    /// The subsequence itself and its runs of at least `minmatchlen` bytes, found walking
    /// back from the ends of both strings (Redis's `lcsCommand` loop).
    fn walk(&self, a: &[u8], b: &[u8], minmatchlen: usize) -> (Vec<u8>, Vec<Match>) {
        let mut idx = self.length();
        let mut text = vec![0u8; idx];
        let mut matches = Vec::new();
        let mut run: Option<Match> = None;
        let (mut i, mut j) = (self.alen, self.blen);
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                text[idx - 1] = a[i - 1];
                match run.as_mut() {
                    None => {
                        run = Some(Match {
                            a: (i - 1, i - 1),
                            b: (j - 1, j - 1),
                        })
                    }
                    Some(m) if m.a.0 == i && m.b.0 == j => {
                        m.a.0 -= 1;
                        m.b.0 -= 1;
                    }
                    Some(_) => emit = true,
                }
                // A run that reached the start of either string ends here.
                emit |= run.is_some_and(|m| m.a.0 == 0 || m.b.0 == 0);
                idx -= 1;
                i -= 1;
                j -= 1;
            } else {
                if self.cell(i - 1, j) > self.cell(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = run.is_some();
            }
            if emit {
                matches.extend(run.take().filter(|m| m.len() >= minmatchlen));
            }
        }
        (text, matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_back_to_redis_s_ranges() {
        let (a, b) = (b"ohmytext", b"mynewtext");
        let table = Table::new(a, b);
        assert_eq!(table.length(), 6);
        let (text, matches) = table.walk(a, b, 0);
        assert_eq!(text, b"mytext");
        let expected = [
            Match {
                a: (4, 7),
                b: (5, 8),
            },
            Match {
                a: (2, 3),
                b: (0, 1),
            },
        ];
        assert_eq!(matches, expected);
        assert_eq!(table.walk(a, b, 4).1, expected[..1]);
    }

    #[test]
    fn empty_and_disjoint_strings_have_nothing_in_common() {
        for (a, b) in [(&b""[..], &b"abc"[..]), (b"abc", b""), (b"abc", b"xyz")] {
            let table = Table::new(a, b);
            assert_eq!(table.length(), 0);
            assert_eq!(table.walk(a, b, 0), (Vec::new(), Vec::new()));
        }
    }
}
