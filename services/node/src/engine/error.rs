//! Errors a command answers with. This is the one mapping from failures to the RESP error
//! lines clients see, with Redis's codes and texts so client libraries recognise them.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    WrongType,
    /// The command's name, lowercase.
    WrongArity(String),
    Syntax,
    NotInteger,
    NotFloat,
    Overflow,
    NoSuchKey,
    OutOfRange,
    DbIndexOutOfRange,
    OutOfMemory,
    NoAuth,
    WrongPass,
    ReadOnly,
    /// A complete error line, code included (`ERR ...`, `EXECABORT ...`).
    Line(Cow<'static, str>),
}

impl CmdError {
    /// An `ERR` error with a message of its own.
    pub fn err(message: impl Into<Cow<'static, str>>) -> Self {
        let message = message.into();
        CmdError::Line(Cow::Owned(format!("ERR {message}")))
    }

    /// The line sent after `-`.
    pub fn line(&self) -> Cow<'static, str> {
        let text: &'static str = match self {
            CmdError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value"
            }
            CmdError::WrongArity(name) => {
                return format!("ERR wrong number of arguments for '{name}' command").into()
            }
            CmdError::Syntax => "ERR syntax error",
            CmdError::NotInteger => "ERR value is not an integer or out of range",
            CmdError::NotFloat => "ERR value is not a valid float",
            CmdError::Overflow => "ERR increment or decrement would overflow",
            CmdError::NoSuchKey => "ERR no such key",
            CmdError::OutOfRange => "ERR index out of range",
            CmdError::DbIndexOutOfRange => "ERR DB index is out of range",
            CmdError::OutOfMemory => "OOM command not allowed when used memory > 'maxmemory'.",
            CmdError::NoAuth => "NOAUTH Authentication required.",
            CmdError::WrongPass => "WRONGPASS invalid username-password pair or user is disabled.",
            CmdError::ReadOnly => "READONLY You can't write against a read only replica.",
            CmdError::Line(line) => return line.clone(),
        };
        Cow::Borrowed(text)
    }
}

/// `ERR unknown command 'foo', with args beginning with: 'a' 'b' `, as Redis words it.
pub fn unknown_command(name: &[u8], args: &[bytes::Bytes]) -> CmdError {
    let mut line = format!(
        "ERR unknown command '{}', with args beginning with: ",
        printable(name)
    );
    for arg in args.iter().take(10) {
        line.push_str(&format!("'{}' ", printable(arg)));
    }
    CmdError::Line(line.into())
}

/// `ERR unknown subcommand 'x'. Try CONFIG HELP.`
pub fn unknown_subcommand(sub: &[u8], command: &str) -> CmdError {
    CmdError::Line(
        format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            printable(sub),
            command.to_ascii_uppercase()
        )
        .into(),
    )
}

/// Text that is safe to put in an error line: no CR or LF, at most 128 bytes.
fn printable(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(128)];
    String::from_utf8_lossy(cut).replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_match_redis() {
        assert_eq!(
            CmdError::WrongArity("get".into()).line(),
            "ERR wrong number of arguments for 'get' command"
        );
        assert_eq!(
            unknown_command(b"foo", &["a".into(), "b\r\n".into()]).line(),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b  ' "
        );
    }
}
