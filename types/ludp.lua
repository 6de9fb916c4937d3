---@meta ludp
-- Lua language server (LuaLS) definitions for require("ludp") (the loop
-- under stock lua5.4 and busted) and for ludp's error objects.

---An error raised or reported by ludp. `tostring(err)` is
---`"<name> [<code>]: <message>"`.
---@class ludp.Error
---@field name "Error"|"TypeError"|"RangeError"|"SystemError"
---@field code string "ERR_SOCKET_BAD_PORT", "EADDRINUSE"...
---@field message string
---@field stack string the message and a Lua traceback
---@field errno? integer errors of the system: negative libuv error number
---@field syscall? string errors of the system: "bind", "send", "getaddrinfo"...
---@field address? string
---@field port? integer
---@field hostname? string for ENOTFOUND

---@alias ludp.RunMode
---| "default" # until nothing referenced is left
---| "once"    # one pass, waiting for I/O if there is none
---| "nowait"  # one pass, not waiting

---The library's entry point for stock lua5.4 and busted. Inside the ludp
---host the loop runs by itself after the script.
---@class ludp
---@field version string "ludp 0.1.0"
local ludp = {}

---Runs the event loop. Raises an error that no 'uncaughtException'
---listener took.
---@param mode? ludp.RunMode
---@return boolean alive whether referenced handles are left
function ludp.run(mode) end

---Makes `run()` return after the current pass.
function ludp.stop() end

---Sets setTimeout, clearTimeout, setInterval, clearInterval, setImmediate,
---clearImmediate and process in `env` (default `_G`).
---@generic T: table
---@param env? T
---@return T
function ludp.install_globals(env) end

return ludp
