//! FUNCTION and FCALL: the command side of Redis 7 functions (the libraries and their
//! running are in crate::scripting). Changes to the libraries replicate as the commands
//! themselves, as in Redis.

use bytes::Bytes;

use super::args::is;
use super::ctx::Ctx;
use super::scripting::keys_and_args;
use crate::engine::error::CmdError;
use crate::engine::glob;
use crate::engine::reply::Reply;
use crate::scripting::functions::{self, Library};
use crate::scripting::{self, payload};

/// FCALL function numkeys [key ...] [arg ...] (and FCALL_RO).
pub fn fcall(ctx: &mut Ctx, args: &[Bytes], read_only: bool) -> Result<Reply, CmdError> {
    let (keys, argv) = keys_and_args(args)?;
    let name = String::from_utf8_lossy(&args[1]).into_owned();
    scripting::call_function(ctx, &name, keys, argv, read_only)
}

/// FUNCTION LOAD | DELETE | FLUSH | LIST | STATS | DUMP | RESTORE | KILL | HELP.
pub fn function(ctx: &mut Ctx, args: &[Bytes]) -> Result<Reply, CmdError> {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    let rest = &args[2..];
    // The table keeps a command's flags on its subcommands; these four are writes.
    if matches!(sub.as_str(), "load" | "delete" | "flush" | "restore") {
        if let Some(refusal) = super::write_refusal(ctx) {
            return Err(refusal);
        }
    }
    let reply = match (sub.as_str(), rest.len()) {
        ("load", 1 | 2) => load(ctx, rest)?,
        ("delete", 1) => {
            let name = String::from_utf8_lossy(&rest[0]).into_owned();
            if ctx
                .engine
                .scripts
                .libraries
                .libraries
                .remove(&name)
                .is_none()
            {
                return Err(CmdError::err("Library not found"));
            }
            Reply::Ok
        }
        ("flush", 0 | 1) => {
            if let Some(mode) = rest.first() {
                if !is(mode, "ASYNC") && !is(mode, "SYNC") {
                    return Err(CmdError::err(
                        "FUNCTION FLUSH only supports SYNC|ASYNC option",
                    ));
                }
            }
            ctx.engine.scripts.libraries.libraries.clear();
            Reply::Ok
        }
        ("list", _) => return list(ctx, rest),
        ("stats", 0) => return Ok(stats(ctx)),
        ("dump", 0) => {
            let libraries = &ctx.engine.scripts.libraries.libraries;
            let codes = libraries.values().map(|l| l.code.as_ref());
            return Ok(Reply::Bulk(Bytes::from(payload::dump(codes))));
        }
        ("restore", 1 | 2) => restore(ctx, rest)?,
        ("kill", 0) => {
            return Err(CmdError::Line(
                "NOTBUSY No scripts in execution right now.".into(),
            ))
        }
        ("help", 0) => return Ok(help()),
        ("load" | "delete" | "flush" | "stats" | "dump" | "restore" | "kill" | "help", _) => {
            return Err(CmdError::err(format!(
                "wrong number of arguments for 'function|{sub}' command"
            )))
        }
        _ => {
            return Err(CmdError::err(format!(
                "unknown subcommand '{}'. Try FUNCTION HELP.",
                String::from_utf8_lossy(&args[1])
            )))
        }
    };
    // The libraries changed: the replicas make the same change.
    ctx.propagate_verbatim(args);
    Ok(reply)
}

/// FUNCTION LOAD [REPLACE] code: the library's name.
fn load(ctx: &mut Ctx, rest: &[Bytes]) -> Result<Reply, CmdError> {
    let (replace, code) = match rest {
        [code] => (false, code),
        [flag, code] if is(flag, "REPLACE") => (true, code),
        [flag, _] => {
            return Err(CmdError::err(format!(
                "Unknown option given: {}",
                String::from_utf8_lossy(flag)
            )))
        }
        _ => return Err(CmdError::Syntax),
    };
    let name = add_library(ctx, code, replace)?;
    Ok(Reply::Bulk(Bytes::from(name)))
}

fn add_library(ctx: &mut Ctx, code: &Bytes, replace: bool) -> Result<String, CmdError> {
    let name = functions::library_name(code)?;
    let libraries = &ctx.engine.scripts.libraries;
    if libraries.libraries.contains_key(&name) && !replace {
        return Err(CmdError::err(format!("Library '{name}' already exists")));
    }
    let vm = ctx.engine.scripts.vm()?.clone();
    let registered = functions::load(&vm, code)?;
    let library = Library {
        code: code.clone(),
        functions: registered,
    };
    ctx.engine
        .scripts
        .libraries
        .add(name.clone(), library, replace)?;
    Ok(name)
}

/// FUNCTION RESTORE payload [FLUSH | APPEND | REPLACE].
fn restore(ctx: &mut Ctx, rest: &[Bytes]) -> Result<Reply, CmdError> {
    let policy = match rest.get(1) {
        None => "APPEND".to_string(),
        Some(p) => String::from_utf8_lossy(p).to_ascii_uppercase(),
    };
    if !matches!(policy.as_str(), "FLUSH" | "APPEND" | "REPLACE") {
        return Err(CmdError::err(
            "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
        ));
    }
    let codes = payload::restore(&rest[0]).map_err(CmdError::err)?;
    // All or nothing: the libraries are checked against a copy first.
    let before = std::mem::take(&mut ctx.engine.scripts.libraries.libraries);
    if policy != "FLUSH" {
        ctx.engine.scripts.libraries.libraries = before
            .iter()
            .map(|(name, library)| {
                let copy = Library {
                    code: library.code.clone(),
                    functions: library.functions.clone(),
                };
                (name.clone(), copy)
            })
            .collect();
    }
    for code in codes {
        let outcome = add_library(ctx, &Bytes::from(code), policy == "REPLACE");
        if let Err(error) = outcome {
            ctx.engine.scripts.libraries.libraries = before;
            return Err(error);
        }
    }
    Ok(Reply::Ok)
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
fn list(ctx: &mut Ctx, rest: &[Bytes]) -> Result<Reply, CmdError> {
    let mut pattern: Option<&Bytes> = None;
    let mut with_code = false;
    let mut options = rest.iter();
    while let Some(option) = options.next() {
        if is(option, "WITHCODE") && !with_code {
            with_code = true;
        } else if is(option, "LIBRARYNAME") && pattern.is_none() {
            pattern = Some(
                options
                    .next()
                    .ok_or_else(|| CmdError::err("library name argument was not given"))?,
            );
        } else {
            return Err(CmdError::err(format!(
                "Unknown argument {}",
                String::from_utf8_lossy(option)
            )));
        }
    }
    let text = |s: &str| Reply::bulk(s.as_bytes());
    let libraries = ctx
        .engine
        .scripts
        .libraries
        .libraries
        .iter()
        .filter(|(name, _)| pattern.is_none_or(|p| glob::matches(p, name.as_bytes())))
        .map(|(name, library)| {
            let functions = library
                .functions
                .iter()
                .map(|f| {
                    Reply::Map(vec![
                        (text("name"), text(&f.name)),
                        (
                            text("description"),
                            f.description.as_deref().map_or(Reply::Nil, text),
                        ),
                        (
                            text("flags"),
                            Reply::Set(
                                f.flag_names
                                    .iter()
                                    .map(|n| Reply::Status(n.clone()))
                                    .collect(),
                            ),
                        ),
                    ])
                })
                .collect();
            let mut fields = vec![
                (text("library_name"), text(name)),
                (text("engine"), text("LUA")),
                (text("functions"), Reply::Array(functions)),
            ];
            if with_code {
                fields.push((text("library_code"), Reply::Bulk(library.code.clone())));
            }
            Reply::Map(fields)
        })
        .collect();
    Ok(Reply::Array(libraries))
}

fn stats(ctx: &Ctx) -> Reply {
    let text = |s: &str| Reply::bulk(s.as_bytes());
    let libraries = &ctx.engine.scripts.libraries;
    let lua = Reply::Map(vec![
        (
            text("libraries_count"),
            Reply::Int(libraries.libraries.len() as i64),
        ),
        (
            text("functions_count"),
            Reply::Int(libraries.function_count() as i64),
        ),
    ]);
    Reply::Map(vec![
        (text("running_script"), Reply::Nil),
        (text("engines"), Reply::Map(vec![(text("LUA"), lua)])),
    ])
}

fn help() -> Reply {
    let lines = [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "DELETE <LIBRARY NAME>",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "FLUSH [ASYNC|SYNC]",
        "STATS",
        "DUMP",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "KILL",
        "HELP",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Status(l.to_string())).collect())
}
