//! Lua scripting, as Redis 7.0 has it: one Lua 5.1 state per node, scripts cached by the
//! SHA1 of their body, run atomically with `redis.call`/`redis.pcall` into the engine.
//! Writes replicate as their effects (the commands the script ran, wrapped in MULTI/EXEC),
//! never as the script, so a replica never runs Lua for its primary.
//!
//! - `vm`: the Lua state, its libraries and its sandbox (sandbox.lua, api.lua).
//! - `api`: the `redis` table's functions that need no engine.
//! - `call`: `redis.call`, a command from a script with Redis's checks.
//! - `convert`: replies into Lua values and results back into replies.
//! - `shebang`: the `#!lua flags=...` line.
//! - `functions`: libraries of functions (FUNCTION LOAD), called with FCALL; `payload`
//!   their FUNCTION DUMP format.
//! - `libs`: cjson, cmsgpack, bit, struct.
//! - `busy`: a run that goes on too long: BUSY for others, SCRIPT KILL.

mod api;
pub mod busy;
mod call;
mod convert;
pub mod functions;
mod libs;
pub mod payload;
mod shebang;
mod vm;

use std::cell::RefCell;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use bytes::Bytes;
use hashbrown::HashMap;
use mlua::{Function, MultiValue, Table, Value};

pub use self::api::sha1_hex;
pub use self::call::Permissions;
pub use self::shebang::ScriptFlags;
use self::vm::Vm;
use crate::commands::{self, Ctx};
use crate::engine::error::CmdError;
use crate::engine::reply::Reply;

/// The scripts a node knows, and the Lua state they run in (made on first use).
pub struct Scripts {
    vm: Option<Vm>,
    cache: HashMap<String, Script>,
    random: Arc<AtomicU64>,
    pub libraries: functions::Libraries,
    /// The run in progress, as connections outside the engine's lock see it.
    pub running: Arc<busy::Running>,
}

impl Default for Scripts {
    fn default() -> Self {
        Scripts {
            vm: None,
            cache: HashMap::new(),
            random: Arc::new(AtomicU64::new(vm::rand48_seed(0))),
            libraries: functions::Libraries::default(),
            running: Arc::default(),
        }
    }
}

pub struct Script {
    pub body: Bytes,
    pub flags: ScriptFlags,
    function: Function,
}

impl std::fmt::Debug for Scripts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripts")
            .field("cached", &self.cache.len())
            .finish()
    }
}

impl Scripts {
    pub fn vm(&mut self) -> Result<&Vm, CmdError> {
        if self.vm.is_none() {
            let vm = Vm::new(self.random.clone(), self.running.clone())
                .map_err(|e| CmdError::err(format!("cannot start the Lua interpreter: {e}")))?;
            self.vm = Some(vm);
        }
        self.vm
            .as_ref()
            .ok_or_else(|| CmdError::err("the Lua interpreter is not available"))
    }

    /// Compiles and caches `body`: its SHA1, and whether it was new.
    pub fn load(&mut self, body: &Bytes) -> Result<(String, bool), CmdError> {
        let sha = sha1_hex(body);
        if self.cache.contains_key(&sha) {
            return Ok((sha, false));
        }
        let (flags, source) = shebang::parse(body)?;
        let function = self.vm()?.compile(&source).map_err(compile_error)?;
        let script = Script {
            body: body.clone(),
            flags,
            function,
        };
        self.cache.insert(sha.clone(), script);
        Ok((sha, true))
    }

    pub fn get(&self, sha: &str) -> Option<&Script> {
        self.cache.get(&sha.to_ascii_lowercase())
    }

    pub fn contains(&self, sha: &[u8]) -> bool {
        std::str::from_utf8(sha).is_ok_and(|sha| self.get(sha).is_some())
    }

    /// Forgets every script (SCRIPT FLUSH); the functions stay.
    pub fn flush(&mut self) {
        self.cache.clear();
    }

    /// Every cached script's body.
    pub fn bodies(&self) -> impl Iterator<Item = &Bytes> {
        self.cache.values().map(|script| &script.body)
    }

    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

fn compile_error(error: mlua::Error) -> CmdError {
    let text = match error {
        mlua::Error::SyntaxError { message, .. } => message,
        other => other.to_string(),
    };
    CmdError::err(format!("Error compiling script (new function): {text}"))
}

/// Runs a cached script with its KEYS and ARGV: the reply its caller gets.
pub fn run(
    ctx: &mut Ctx,
    sha: &str,
    keys: &[Bytes],
    argv: &[Bytes],
    read_only_caller: bool,
) -> Result<Reply, CmdError> {
    let Some(script) = ctx.engine.scripts.get(sha) else {
        return Err(CmdError::Line(
            "NOSCRIPT No matching script. Please use EVAL.".into(),
        ));
    };
    let (function, flags) = (script.function.clone(), script.flags);
    let body = |vm: &Vm| {
        vm.globals.raw_set("KEYS", string_table(vm, keys)?)?;
        vm.globals.raw_set("ARGV", string_table(vm, argv)?)?;
        vm.run(&function)
    };
    execute(
        ctx,
        flags,
        read_only_caller,
        &format!("script: {sha}"),
        false,
        body,
    )
}

/// Calls a registered function (FCALL, FCALL_RO) with its keys and arguments.
pub fn call_function(
    ctx: &mut Ctx,
    name: &str,
    keys: &[Bytes],
    argv: &[Bytes],
    read_only_caller: bool,
) -> Result<Reply, CmdError> {
    let Some(function) = ctx.engine.scripts.libraries.function(name) else {
        return Err(CmdError::err("Function not found"));
    };
    let (callback, flags) = (function.callback.clone(), function.flags);
    if read_only_caller && !flags.no_writes {
        return Err(CmdError::err(
            "Can not execute a script with write flag using *_ro command.",
        ));
    }
    let body =
        |vm: &Vm| vm.run_function(&callback, string_table(vm, keys)?, string_table(vm, argv)?);
    execute(
        ctx,
        flags,
        read_only_caller,
        &format!("script: {name}"),
        true,
        body,
    )
}

/// Runs a script or a function: its checks, then `body` around the engine (the caller's
/// database kept, the writes wrapped so that replicas apply them at once, blocked clients
/// served after it), then its result as the caller's reply.
fn execute(
    ctx: &mut Ctx,
    flags: ScriptFlags,
    read_only_caller: bool,
    which: &str,
    function: bool,
    body: impl FnOnce(&Vm) -> mlua::Result<Result<Value, Table>>,
) -> Result<Reply, CmdError> {
    let permissions = Permissions {
        read_only: read_only_caller || flags.no_writes,
    };
    // What says it may write does not start where writes are refused; a legacy script
    // finds out at its first write.
    if flags.shebang && !permissions.read_only {
        if let Some(refusal) = commands::write_refusal(ctx) {
            return Err(refusal);
        }
        // Redis counts such a script a deny-oom command unless it says allow-oom.
        let limited = ctx.engine.settings.maxmemory > 0 && !ctx.engine.repl.is_replica();
        if limited && !flags.allow_oom {
            crate::engine::evict::make_room(ctx.engine, ctx.now)?;
        }
    }
    let vm = ctx.engine.scripts.vm()?.clone();
    vm.reset_run_state()
        .map_err(|e| CmdError::err(format!("error running script: {e}")))?;
    let db = ctx.session.db;
    let in_exec = ctx.in_exec;
    let records_before = ctx.engine.records.as_ref().map_or(0, Vec::len);
    ctx.in_exec = true;
    let running = ctx.engine.scripts.running.clone();
    running.start(ctx.now, ctx.engine.settings.busy_reply_threshold, function);
    let outcome = {
        let ctx = RefCell::new(&mut *ctx);
        let command = |lua: &mlua::Lua, args: MultiValue| {
            let resp3 = vm.rg.raw_get::<i64>("resp").unwrap_or(2) == 3;
            let mut ctx = ctx.borrow_mut();
            call::command(lua, &mut ctx, permissions, resp3, args)
        };
        off_the_runtime(|| {
            vm.lua.scope(|scope| {
                // Functions of Rust's own, so that an error's position is the script's line even
                // when it ends with `return redis.call(...)`.
                let raising = scope.create_function_mut(|lua, args: MultiValue| {
                    let (reply, failed) = command(lua, args)?;
                    match (failed, &reply) {
                        (true, Value::Table(error)) => {
                            let text: String = error.raw_get("err")?;
                            Err(mlua::Error::runtime(format!("\u{1}{text}")))
                        }
                        _ => Ok(reply),
                    }
                })?;
                let returning =
                    scope.create_function_mut(|lua, args: MultiValue| Ok(command(lua, args)?.0))?;
                vm.redis.raw_set("call", raising)?;
                vm.redis.raw_set("pcall", returning)?;
                body(&vm)
            })
        })
    };
    running.finish();
    let script_resp3 = vm.rg.raw_get::<i64>("resp").unwrap_or(2) == 3;
    let _ = vm.redis.raw_set("call", Value::Nil);
    let _ = vm.redis.raw_set("pcall", Value::Nil);
    ctx.in_exec = in_exec;
    ctx.session.db = db;
    commands::wrap_records(ctx, records_before);
    if !in_exec && ctx.engine.blocking.has_ready() {
        commands::serve_blocked(ctx.engine, ctx.now);
    }
    match outcome.map_err(|e| CmdError::err(format!("error running script: {e}")))? {
        Ok(value) => Ok(convert::to_reply(&value, script_resp3)),
        Err(error) => Err(script_error(&error, which)),
    }
}

/// Runs `run` with this thread's other tasks handed to another worker first, so that while a
/// script runs long the node goes on accepting clients and answering them BUSY (Redis does
/// it from inside the script; tokio does it with block_in_place, on its threaded runtime).
fn off_the_runtime<R>(run: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(run)
        }
        _ => run(),
    }
}

fn string_table(vm: &Vm, items: &[Bytes]) -> mlua::Result<Table> {
    let table = vm.lua.create_table_with_capacity(items.len(), 0)?;
    for item in items {
        table.raw_push(vm.lua.create_string(item)?)?;
    }
    Ok(table)
}

/// A script's error as its caller sees it: the message, then which script and where.
fn script_error(error: &Table, which: &str) -> CmdError {
    let text = |name: &str| match error.raw_get::<Value>(name) {
        Ok(Value::String(s)) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
        Ok(Value::Integer(n)) => Some(n.to_string()),
        Ok(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let message = text("err").unwrap_or_else(|| "ERR unknown error".into());
    let message = message.trim_end_matches(['\r', '\n']);
    let place = match (text("source"), text("line")) {
        (Some(source), Some(line)) => format!(", on {source}:{line}."),
        _ => ".".into(),
    };
    CmdError::Line(format!("{message} {which}{place}").into())
}
