---@meta console
-- Lua language server (LuaLS) definitions for Node's console: the global
-- `console` of the host (types/globals.lua), also require("console").

---@class ludp.Console
local console = {}

---To process.stdout; a first string argument is a format (%s %d %i %f %j %o %O %%).
---@param ... any
function console.log(...) end

---@param ... any
function console.info(...) end

---@param ... any
function console.debug(...) end

---To process.stderr.
---@param ... any
function console.warn(...) end

---@param ... any
function console.error(...) end

---`value` as the REPL shows it.
---@param value any
function console.dir(value) end

---"Assertion failed" on stderr when `condition` is false or nil.
---@param condition any
---@param ... any
function console.assert(condition, ...) end

---The line console.log would print (Node's util.format).
---@param ... any
---@return string
function console.format(...) end

return console
