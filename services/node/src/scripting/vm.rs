//! The Lua 5.1 state scripts run in, made once per node as Redis makes it: the base, table,
//! string and math libraries, cjson, cmsgpack, bit and struct, and the `redis` table, then
//! sandboxed (sandbox.lua) so that a script sees read-only globals and libraries.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use mlua::{ChunkMode, Function, HookTriggers, Lua, LuaOptions, StdLib, Table, Value, VmState};

use super::busy::Running;

use super::{api, libs};

/// The Lua state and rgroup's private handles into it; cloning shares them.
#[derive(Clone)]
pub struct Vm {
    pub lua: Lua,
    /// What scripts cannot reach: `run`, `adopt`, the protocol of the run in progress.
    pub rg: Table,
    /// The table behind every script's global environment, where KEYS and ARGV are set.
    pub globals: Table,
    /// The real `redis` table (scripts see it read-only), where each run puts its `call`
    /// and `pcall`.
    pub redis: Table,
    running: Arc<Running>,
    /// The hook runs at every line since a SCRIPT KILL, until the next run.
    killing: Arc<AtomicBool>,
}

/// Installs the hook that stops a run SCRIPT KILL (or the node's stop) asked to end. It runs
/// every 10,000 instructions: often enough that a loop stops at once, rarely enough to cost
/// nothing. Once a kill is asked, it runs at every line and raises each time, as Redis's does,
/// so a script that catches the error with pcall cannot go on.
fn watch(lua: &Lua, running: &Arc<Running>, killing: &Arc<AtomicBool>, every_line: bool) {
    let triggers = if every_line {
        HookTriggers::EVERY_LINE
    } else {
        HookTriggers::new().every_nth_instruction(10_000)
    };
    let (running, killing) = (running.clone(), killing.clone());
    lua.set_hook(triggers, move |lua, _| {
        if running.must_exit() {
            // Stopping the run would publish the half of it that ran; a process that
            // ends here publishes none of it, so replicas never see half a script.
            tracing::warn!("the node is stopping with a script running: exiting now");
            std::process::exit(1);
        }
        if running.must_stop() {
            if !killing.swap(true, Ordering::Relaxed) {
                watch(lua, &running, &killing, true);
            }
            return Err(mlua::Error::runtime(
                "Script killed by user with SCRIPT KILL...",
            ));
        }
        Ok(VmState::Continue)
    });
}

impl Vm {
    /// `random` is the state of `math.random`: the node's, not the Lua state's, so that a
    /// SCRIPT FLUSH does not start the sequence again (it does not in Redis).
    pub fn new(random: Arc<AtomicU64>, running: Arc<Running>) -> mlua::Result<Vm> {
        // The debug library is loaded for the error handler's line numbers; sandbox.lua takes
        // it out of the scripts' reach. Nothing unsafe remains visible to a script.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::new(),
            )
        };
        let rg = lua.create_table()?;
        let globals = lua.globals();
        libs::install(&lua, &globals)?;
        install_random(&lua, &globals, random)?;
        let redis = api::redis_table(&lua, &rg)?;
        globals.raw_set("redis", redis.clone())?;
        run_internal(&lua, include_str!("sandbox.lua"), &rg)?;
        let globals: Table = rg.raw_get("globals")?;
        let killing = Arc::new(AtomicBool::new(false));
        watch(&lua, &running, &killing, false);
        Ok(Vm {
            lua,
            rg,
            globals,
            redis,
            running,
            killing,
        })
    }

    /// Compiles a script's body into a function that runs in the sandbox.
    pub fn compile(&self, body: &[u8]) -> mlua::Result<Function> {
        let function = self
            .lua
            .load(body)
            .set_name("@user_script")
            .set_mode(ChunkMode::Text)
            .into_function()?;
        let adopt: Function = self.rg.raw_get("adopt")?;
        adopt.call(function)
    }

    /// Compiles a library's code (FUNCTION LOAD) into a chunk for the functions' environment.
    pub fn compile_library(&self, code: &[u8]) -> mlua::Result<Function> {
        let chunk = self
            .lua
            .load(code)
            .set_name("@user_function")
            .set_mode(ChunkMode::Text)
            .into_function()?;
        let adopt: Function = self.rg.raw_get("adopt_library")?;
        adopt.call(chunk)
    }

    /// Switches the functions' `redis` to the load-time table around `register` while a
    /// library loads, and back with None.
    pub fn loading(&self, register: Option<Function>) -> mlua::Result<()> {
        let loading: Function = self.rg.raw_get("loading")?;
        loading.call(register)
    }

    /// Runs a registered function with its keys and arguments, as `run` runs a script.
    pub fn run_function(
        &self,
        callback: &Function,
        keys: Table,
        args: Table,
    ) -> mlua::Result<Result<Value, Table>> {
        let run: Function = self.rg.raw_get("run_function")?;
        let outcome: (bool, Value) = run.call((callback.clone(), keys, args))?;
        self.outcome(outcome)
    }

    /// Starts a run: replies to its commands in RESP2 until it calls redis.setresp(3).
    pub fn reset_run_state(&self) -> mlua::Result<()> {
        if self.killing.swap(false, Ordering::Relaxed) {
            watch(&self.lua, &self.running, &self.killing, false);
        }
        self.rg.raw_set("resp", 2)
    }

    /// Runs `function`: Ok(first value) or Err(the error table the handler made).
    pub fn run(&self, function: &Function) -> mlua::Result<Result<Value, Table>> {
        let run: Function = self.rg.raw_get("run")?;
        let outcome: (bool, Value) = run.call(function.clone())?;
        self.outcome(outcome)
    }

    fn outcome(&self, (ok, value): (bool, Value)) -> mlua::Result<Result<Value, Table>> {
        match (ok, value) {
            (true, value) => Ok(Ok(value)),
            (false, Value::Table(error)) => Ok(Err(error)),
            (false, other) => {
                let error = self.lua.create_table()?;
                let text = format!("ERR {}", other.to_string().unwrap_or_default());
                error.raw_set("err", text)?;
                Ok(Err(error))
            }
        }
    }
}

/// Runs one of rgroup's own chunks with the private table as its argument.
fn run_internal(lua: &Lua, code: &str, rg: &Table) -> mlua::Result<()> {
    lua.load(code).set_name("=rgroup").call::<()>(rg.clone())
}

/// `math.random` and `math.randomseed` on Redis's generator (rand48), seeded with 0 when
/// the node starts: scripts draw the numbers Redis's would.
fn install_random(lua: &Lua, globals: &Table, state: Arc<AtomicU64>) -> mlua::Result<()> {
    let math: Table = globals.raw_get("math")?;
    let draw = state.clone();
    let random = lua.create_function(move |_, (low, high): (Option<f64>, Option<f64>)| {
        let next = rand48_next(draw.load(Ordering::Relaxed));
        draw.store(next, Ordering::Relaxed);
        let r = (rand48_value(next) % RAND48_MAX) as f64 / RAND48_MAX as f64;
        match (low, high) {
            (None, _) => Ok(r),
            (Some(high), None) => {
                if high < 1.0 {
                    return Err(mlua::Error::runtime(
                        "bad argument #1 to 'random' (interval is empty)",
                    ));
                }
                Ok((r * high).floor() + 1.0)
            }
            (Some(low), Some(high)) => {
                if low > high {
                    return Err(mlua::Error::runtime(
                        "bad argument #2 to 'random' (interval is empty)",
                    ));
                }
                Ok((r * (high - low + 1.0)).floor() + low)
            }
        }
    })?;
    let seed = lua.create_function(move |_, seed: f64| {
        state.store(rand48_seed(seed as i64 as i32), Ordering::Relaxed);
        Ok(())
    })?;
    math.raw_set("random", random)?;
    math.raw_set("randomseed", seed)
}

/// Redis's `REDIS_LRAND48_MAX`.
const RAND48_MAX: u64 = i32::MAX as u64;
const RAND48_MASK: u64 = (1 << 48) - 1;

pub fn rand48_seed(seed: i32) -> u64 {
    ((u64::from(seed as u32) << 16) | 0x330E) & RAND48_MASK
}

fn rand48_next(state: u64) -> u64 {
    state.wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB) & RAND48_MASK
}

/// What `lrand48` returns for a state: its top 31 bits.
fn rand48_value(state: u64) -> u64 {
    state >> 17
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_random_sequence_is_redis_s() {
        // A fresh Redis 7.0's first math.random() calls.
        let first = rand48_next(rand48_seed(0));
        let r = |state| (rand48_value(state) % RAND48_MAX) as f64 / RAND48_MAX as f64;
        assert_eq!(format!("{:.14}", r(first)), "0.17082803611217");
        assert_ne!(r(rand48_next(first)), r(first), "the sequence goes on");
    }
}
