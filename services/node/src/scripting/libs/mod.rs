//! The libraries Redis gives scripts besides Lua's own: cjson, cmsgpack, bit and struct.

mod bit;
mod cjson;
mod cmsgpack;
mod structs;

use mlua::{Lua, Table};

pub fn install(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    bit::install(lua, globals)?;
    cjson::install(lua, globals)?;
    cmsgpack::install(lua, globals)?;
    structs::install(lua, globals)
}

#[cfg(test)]
mod testing {
    use mlua::{Lua, Table, Value};

    /// Runs `code` in a bare Lua state with one library installed; its result as text.
    pub fn eval(install: fn(&Lua, &Table) -> mlua::Result<()>, code: &str) -> String {
        let lua = Lua::new();
        install(&lua, &lua.globals()).unwrap();
        lua.load(code).eval::<Value>().unwrap().to_string().unwrap()
    }
}
