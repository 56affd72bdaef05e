//! Redis's glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET): `*`, `?`, `[abc]`,
//! `[^a-z]`, and `\` to escape, matched on bytes.

pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    // The classic two-pointer wildcard match: every token but `*` consumes exactly one byte,
    // so on a mismatch only the latest `*` needs to take one more byte. Linear-times-linear
    // at worst, where recursive backtracking is exponential on patterns like `*a*a*a*b`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            p += 1;
            star = Some((p, t));
            continue;
        }
        if p < pattern.len() {
            if let Some(next) = match_one(&pattern[p..], text[t]) {
                p += next;
                t += 1;
                continue;
            }
        }
        match star.as_mut() {
            Some((star_p, star_t)) => {
                *star_t += 1;
                p = *star_p;
                t = *star_t;
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// Matches one byte against the token at the start of `pattern` (not `*`); returns the
/// token's length when it matches.
fn match_one(pattern: &[u8], c: u8) -> Option<usize> {
    match pattern[0] {
        b'?' => Some(1),
        b'[' => {
            let (matched, rest) = match_class(&pattern[1..], c);
            matched.then_some(pattern.len() - rest.len())
        }
        b'\\' if pattern.len() >= 2 => (pattern[1] == c).then_some(2),
        literal => (literal == c).then_some(1),
    }
}

/// Matches `c` against a class whose `[` was consumed; returns the pattern after its `]`.
fn match_class(mut pattern: &[u8], c: u8) -> (bool, &[u8]) {
    let negate = pattern.first() == Some(&b'^');
    if negate {
        pattern = &pattern[1..];
    }
    let mut matched = false;
    loop {
        match pattern {
            [] => break,
            [b']', rest @ ..] => {
                pattern = rest;
                break;
            }
            [b'\\', escaped, rest @ ..] => {
                matched |= *escaped == c;
                pattern = rest;
            }
            [low, b'-', high, rest @ ..] if *high != b']' => {
                let (low, high) = if low <= high {
                    (*low, *high)
                } else {
                    (*high, *low)
                };
                matched |= (low..=high).contains(&c);
                pattern = rest;
            }
            [single, rest @ ..] => {
                matched |= *single == c;
                pattern = rest;
            }
        }
    }
    (matched != negate, pattern)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_match_like_redis() {
        assert!(matches(b"*", b"anything"));
        assert!(matches(b"h?llo", b"hello"));
        assert!(matches(b"h*llo", b"heeeello"));
        assert!(matches(b"h[ae]llo", b"hallo"));
        assert!(!matches(b"h[^e]llo", b"hello"));
        assert!(matches(b"h[a-b]llo", b"hbllo"));
        assert!(matches(b"key\\*", b"key*"));
        assert!(!matches(b"key\\*", b"keyx"));
        assert!(!matches(b"a*b", b"acd"));
    }

    #[test]
    fn hostile_patterns_end() {
        let pattern = b"*a*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!matches(pattern, &[b'a'; 60]));
    }
}
