//! Redis 7 functions: libraries of Lua code (`#!lua name=lib`) that register named functions
//! with `redis.register_function` when loaded, called with FCALL. They live in the scripts'
//! Lua state, in an environment of their own where `redis` is, while a library loads, a
//! table that can only register functions and log.

use std::cell::RefCell;
use std::collections::BTreeMap;

use bytes::Bytes;
use mlua::{Function, MultiValue, Table, Value};

use super::shebang::ScriptFlags;
use super::vm::Vm;
use crate::engine::error::CmdError;

/// One registered function.
#[derive(Clone)]
pub struct Registered {
    pub name: String,
    pub description: Option<String>,
    pub flags: ScriptFlags,
    /// The names of its flags as given, for FUNCTION LIST.
    pub flag_names: Vec<String>,
    pub callback: Function,
}

pub struct Library {
    pub code: Bytes,
    pub functions: Vec<Registered>,
}

/// Every library loaded, by name.
#[derive(Default)]
pub struct Libraries {
    pub libraries: BTreeMap<String, Library>,
}

impl Libraries {
    pub fn function(&self, name: &str) -> Option<&Registered> {
        self.libraries
            .values()
            .flat_map(|library| library.functions.iter())
            .find(|function| function.name == name)
    }

    pub fn function_count(&self) -> usize {
        self.libraries.values().map(|l| l.functions.len()).sum()
    }

    /// Adds a library that `load` built, checking that it replaces only what `replace`
    /// allows and that its functions' names are free.
    pub fn add(&mut self, name: String, library: Library, replace: bool) -> Result<(), CmdError> {
        if self.libraries.contains_key(&name) && !replace {
            return Err(CmdError::err(format!("Library '{name}' already exists")));
        }
        for function in &library.functions {
            let taken = self.libraries.iter().any(|(other, l)| {
                *other != name && l.functions.iter().any(|f| f.name == function.name)
            });
            if taken {
                return Err(CmdError::err(format!(
                    "Function {} already exists",
                    function.name
                )));
            }
        }
        self.libraries.insert(name, library);
        Ok(())
    }
}

/// The library's name from its first line, `#!lua name=<name>`.
pub fn library_name(code: &[u8]) -> Result<String, CmdError> {
    let Some(rest) = code.strip_prefix(b"#!") else {
        return Err(CmdError::err("Missing library metadata"));
    };
    let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = String::from_utf8_lossy(&rest[..line_end]);
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    let engine = words.next().unwrap_or_default();
    if engine != "lua" {
        return Err(CmdError::err(format!("Engine '{engine}' not found")));
    }
    let mut name = None;
    for word in words {
        match word.strip_prefix("name=") {
            Some(given) => name = Some(given.to_string()),
            None => {
                return Err(CmdError::err(format!(
                    "Invalid metadata value given: {word}"
                )))
            }
        }
    }
    let name = name.ok_or_else(|| CmdError::err("Library name was not given"))?;
    if !valid_name(&name) {
        return Err(CmdError::err(NAME_RULE));
    }
    Ok(name)
}

const NAME_RULE: &str = "Library names can only contain letters, numbers, or underscores(_) and \
                         must be at least one character long";

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Runs a library's code in the load-time environment: the functions it registered.
pub fn load(vm: &Vm, code: &[u8]) -> Result<Vec<Registered>, CmdError> {
    // The shebang line blanked, so that line numbers stay the library's own.
    let mut source = code.to_vec();
    let first_line = source
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(source.len());
    source[..first_line].fill(b' ');
    let chunk = vm.compile_library(&source).map_err(|error| {
        let text = match error {
            mlua::Error::SyntaxError { message, .. } => message,
            other => other.to_string(),
        };
        CmdError::err(format!("Error compiling function: {text}"))
    })?;
    let registered = RefCell::new(Vec::new());
    let outcome = vm.lua.scope(|scope| {
        let register = scope.create_function(|_, args: MultiValue| {
            let function = registration(args).map_err(mlua::Error::runtime)?;
            let mut registered = registered.borrow_mut();
            if registered
                .iter()
                .any(|f: &Registered| f.name == function.name)
            {
                return Err(mlua::Error::runtime(
                    "Function already exists in the library",
                ));
            }
            registered.push(function);
            Ok(())
        })?;
        vm.loading(Some(register))?;
        let outcome = vm.run(&chunk);
        vm.loading(None)?;
        outcome
    });
    match outcome {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => {
            let text: String = error.raw_get("err").unwrap_or_default();
            return Err(CmdError::err(format!(
                "Error registering functions: {text}"
            )));
        }
        Err(error) => {
            return Err(CmdError::err(format!(
                "Error registering functions: {error}"
            )))
        }
    }
    let registered = registered.into_inner();
    if registered.is_empty() {
        return Err(CmdError::err("No functions registered"));
    }
    Ok(registered)
}

/// `register_function(name, callback)` or `register_function{function_name=, callback=,
/// flags=, description=}`; errors as Redis words them.
fn registration(args: MultiValue) -> Result<Registered, String> {
    let mut args = args.into_iter();
    let (name, callback, flags, description) = match (args.next(), args.next()) {
        (Some(Value::Table(fields)), None) => {
            let mut name = None;
            let mut callback = None;
            let mut flags = None;
            let mut description = None;
            for pair in fields.pairs::<String, Value>() {
                let (key, value) =
                    pair.map_err(|_| "unknown argument given to redis.register_function")?;
                match key.as_str() {
                    "function_name" => name = Some(value),
                    "callback" => callback = Some(value),
                    "flags" => flags = Some(value),
                    "description" => description = Some(value),
                    _ => return Err("unknown argument given to redis.register_function".into()),
                }
            }
            let callback =
                callback.ok_or("redis.register_function must get a callback argument")?;
            (name, callback, flags, description)
        }
        (Some(name), Some(callback)) => (Some(name), callback, None, None),
        _ => return Err("wrong number of arguments to redis.register_function".into()),
    };
    let name = match name {
        Some(Value::String(text)) => text.to_str().map(|t| t.to_string()).unwrap_or_default(),
        _ => {
            return Err(
                "function_name argument given to redis.register_function must be a string".into(),
            )
        }
    };
    if !valid_name(&name) {
        return Err(NAME_RULE.into());
    }
    let Value::Function(callback) = callback else {
        return Err("second argument to redis.register_function must be a function".into());
    };
    let description = match description {
        None | Some(Value::Nil) => None,
        Some(Value::String(text)) => Some(text.to_str().map(|t| t.to_string()).unwrap_or_default()),
        Some(_) => {
            return Err(
                "description argument given to redis.register_function must be a string".into(),
            )
        }
    };
    let (flags, flag_names) = function_flags(flags)?;
    Ok(Registered {
        name,
        description,
        flags,
        flag_names,
        callback,
    })
}

fn function_flags(flags: Option<Value>) -> Result<(ScriptFlags, Vec<String>), String> {
    let mut parsed = ScriptFlags {
        shebang: true,
        ..ScriptFlags::default()
    };
    let mut names = Vec::new();
    let table: Table = match flags {
        None | Some(Value::Nil) => return Ok((parsed, names)),
        Some(Value::Table(table)) => table,
        Some(_) => return Err(
            "flags argument to redis.register_function must be a table representing function flags"
                .into(),
        ),
    };
    for flag in table.sequence_values::<String>() {
        let flag = flag.map_err(|_| "unknown flag given")?;
        match flag.as_str() {
            "no-writes" => parsed.no_writes = true,
            "allow-oom" => parsed.allow_oom = true,
            "allow-stale" => parsed.allow_stale = true,
            "no-cluster" => parsed.no_cluster = true,
            "allow-cross-slot-keys" => parsed.allow_cross_slot_keys = true,
            _ => return Err("unknown flag given".into()),
        }
        names.push(flag);
    }
    Ok((parsed, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str) -> String {
        library_name(code.as_bytes())
            .unwrap_err()
            .line()
            .into_owned()
    }

    #[test]
    fn library_names_as_redis_reads_them() {
        assert_eq!(library_name(b"#!lua name=mylib\nx").unwrap(), "mylib");
        assert_eq!(error("return 1"), "ERR Missing library metadata");
        assert_eq!(error("#!python name=x\n"), "ERR Engine 'python' not found");
        assert_eq!(error("#!lua\nx"), "ERR Library name was not given");
        assert_eq!(
            error("#!lua name=a b=c\n"),
            "ERR Invalid metadata value given: b=c"
        );
        assert!(error("#!lua name=bad-name\n").starts_with("ERR Library names can only"));
    }
}
