//! A script's first line, `#!lua flags=no-writes,...`, as Redis 7 reads it. Pure.

use crate::engine::error::CmdError;

/// What a script declares about itself. A script without a shebang line is a legacy one:
/// it may write, and its writes are checked one command at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    pub shebang: bool,
    pub no_writes: bool,
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
}

impl ScriptFlags {
    /// Whether the script may write (and so must not start where writes are refused).
    pub fn may_write(self) -> bool {
        !self.no_writes
    }
}

/// The flags a script's shebang gives, and the body to compile: the shebang line blanked
/// out so that line numbers stay the script's own.
pub fn parse(body: &[u8]) -> Result<(ScriptFlags, Vec<u8>), CmdError> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::default(), body.to_vec()));
    }
    let end = body.iter().position(|&b| b == b'\n');
    let Some(end) = end else {
        return Err(CmdError::err("Invalid script shebang"));
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let line = line.trim_end_matches('\r');
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    if words.next() != Some("#!lua") {
        return Err(CmdError::err(format!(
            "Unexpected engine in script shebang: {line}"
        )));
    }
    let mut flags = ScriptFlags {
        shebang: true,
        ..ScriptFlags::default()
    };
    for option in words {
        let Some(list) = option.strip_prefix("flags=") else {
            return Err(CmdError::err(format!(
                "Unknown lua shebang option: {option}"
            )));
        };
        for flag in list.split(',').filter(|f| !f.is_empty()) {
            match flag {
                "no-writes" => flags.no_writes = true,
                "allow-oom" => flags.allow_oom = true,
                "allow-stale" => flags.allow_stale = true,
                "no-cluster" => flags.no_cluster = true,
                "allow-cross-slot-keys" => flags.allow_cross_slot_keys = true,
                other => {
                    return Err(CmdError::err(format!(
                        "Unexpected flag in script shebang: {other}"
                    )))
                }
            }
        }
    }
    let mut compiled = body.to_vec();
    compiled[..end].fill(b' ');
    Ok((flags, compiled))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(body: &str) -> String {
        parse(body.as_bytes()).unwrap_err().line().into_owned()
    }

    #[test]
    fn flags_and_errors_as_redis_reads_them() {
        let (flags, body) = parse(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(flags.shebang && flags.no_writes && flags.allow_oom && !flags.allow_stale);
        assert_eq!(
            body.len(),
            b"#!lua flags=no-writes,allow-oom\nreturn 1".len()
        );
        assert!(body.ends_with(b"\nreturn 1") && !body.starts_with(b"#"));
        let (flags, _) = parse(b"return 1").unwrap();
        assert!(!flags.shebang && flags.may_write());
        assert!(parse(b"#!lua flags=\nreturn 1").unwrap().0.may_write());
        assert_eq!(
            error("#!python\nreturn 1"),
            "ERR Unexpected engine in script shebang: #!python"
        );
        assert_eq!(
            error("#!luax\nx"),
            "ERR Unexpected engine in script shebang: #!luax"
        );
        assert_eq!(
            error("#!lua foo=bar\nx"),
            "ERR Unknown lua shebang option: foo=bar"
        );
        assert_eq!(
            error("#!lua flags=bogus\nx"),
            "ERR Unexpected flag in script shebang: bogus"
        );
        assert_eq!(error("#!lua"), "ERR Invalid script shebang");
    }
}
