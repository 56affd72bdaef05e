-- Run once when the Lua state is made, with the full base library; what it leaves behind is
-- all a script sees. Redis's rules: the globals and the libraries are read-only, reading a
-- global that does not exist is an error, and print, setfenv, getfenv, newproxy, dofile,
-- loadfile, module, require, os, io and debug are gone.
local rg = ...
assert(rg)
local real_redis = redis
local debug, setfenv, setmetatable, error, tostring, type, rawget = debug, setfenv, setmetatable, error, tostring, type, rawget

local function readonly(real)
    return setmetatable({}, {
        __index = real,
        __newindex = function() error("Attempt to modify a readonly table", 2) end,
        __metatable = false,
    })
end

for _, name in ipairs({ "print", "setfenv", "getfenv", "newproxy", "dofile", "loadfile", "module",
                        "require", "os", "io", "debug", "package" }) do
    _G[name] = nil
end

-- The globals a script reads. KEYS and ARGV are set here, raw, before each run.
local globals = {}
for name, value in pairs(_G) do
    globals[name] = value
end
for _, name in ipairs({ "string", "table", "math", "coroutine", "cjson", "cmsgpack", "bit",
                        "struct", "redis" }) do
    if globals[name] ~= nil then
        globals[name] = readonly(globals[name])
    end
end
setmetatable(globals, {
    __index = function(_, name)
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end,
})
local environment = readonly(globals)
globals._G = environment

-- Code loaded by a script runs where the script runs, and never as bytecode (which can
-- break out of any sandbox).
local loadstring, load, concat = loadstring, load, table.concat
local function adopt(chunk, message)
    if chunk then
        setfenv(chunk, environment)
    end
    return chunk, message
end
globals.loadstring = function(text, name)
    if type(text) == "string" and text:byte(1) == 27 then
        return nil, "loading bytecode is not allowed"
    end
    return adopt(loadstring(text, name))
end
globals.load = function(reader, name)
    local pieces = {}
    while true do
        local piece = reader()
        if piece == nil or piece == "" then break end
        pieces[#pieces + 1] = piece
    end
    return globals.loadstring(concat(pieces), name)
end

-- An error raised by rgroup's Rust functions arrives as a userdata whose text's first line
-- is the message; redis.call marks a command's error reply with a leading \1. A script's
-- pcall sees such errors as Redis scripts do: as their text.
local match, sub, gsub = string.match, string.sub, string.gsub
local function rust_error(err)
    local text = gsub(match(tostring(err), "^[^\n]*"), "^runtime error: ", "")
    if sub(text, 1, 1) == "\1" then
        return sub(text, 2), true
    end
    return text, false
end
local function as_seen_by_scripts(err)
    if type(err) == "userdata" then
        return (rust_error(err))
    end
    return err
end

-- Where an error was raised: the first frame that is neither C nor rgroup's own Lua.
local function handler(err)
    local level, info = 2, nil
    repeat
        info = debug.getinfo(level, "Sl")
        level = level + 1
    until info == nil or (info.what ~= "C" and info.source ~= "=rgroup")
    if type(err) == "userdata" then
        local text, from_command = rust_error(err)
        err = { err = from_command and text or "ERR " .. text }
    elseif type(err) ~= "table" or type(rawget(err, "err")) ~= "string" then
        err = { err = "ERR " .. tostring(err) }
    end
    if info then
        err.source = info.source
        err.line = info.currentline
    end
    return err
end

local pcall, xpcall, select = pcall, xpcall, select
local function caught(ok, ...)
    if ok then
        return ok, ...
    end
    return false, as_seen_by_scripts((...))
end
globals.pcall = function(f, ...)
    return caught(pcall(f, ...))
end
globals.xpcall = function(f, on_error)
    return xpcall(f, function(err) return on_error(as_seen_by_scripts(err)) end)
end

-- The environment a compiled script runs in.
function rg.adopt(script)
    setfenv(script, environment)
    return script
end

-- Runs a script: true and its first value, or false and the error table.
function rg.run(script)
    return xpcall(script, handler)
end

rg.globals = globals

-- Functions (FUNCTION LOAD) see the same globals, except that while their library loads,
-- `redis` can only register functions and log.
local function_globals = setmetatable({}, { __index = globals })
local function_environment = readonly(function_globals)

function rg.adopt_library(chunk)
    setfenv(chunk, function_environment)
    return chunk
end

function rg.loading(register)
    if register == nil then
        rawset(function_globals, "redis", nil)
        return
    end
    local allowed = {
        register_function = register,
        log = real_redis.log,
        REDIS_VERSION = real_redis.REDIS_VERSION,
        REDIS_VERSION_NUM = real_redis.REDIS_VERSION_NUM,
    }
    for _, level in ipairs({ "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING" }) do
        allowed[level] = real_redis[level]
    end
    rawset(function_globals, "redis", setmetatable({}, {
        __index = function(_, name)
            local value = allowed[name]
            if value == nil then
                error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
            end
            return value
        end,
        __newindex = function() error("Attempt to modify a readonly table", 2) end,
        __metatable = false,
    }))
end

function rg.run_function(callback, keys, args)
    return xpcall(function() return callback(keys, args) end, handler)
end
