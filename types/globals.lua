---@meta _
-- Lua language server (LuaLS) definitions for the globals the ludp host
-- sets before running a script (require("ludp").install_globals() sets the
-- same ones under stock lua5.4). Not a module: `_` makes it unrequirable.

---Node's process object: exit, exitCode, nextTick, on("exit"|"SIGINT"|...).
---@type ludp.Process
process = {}

---Node's console: log, info, debug (stdout), warn, error (stderr).
---@type ludp.Console
console = {}

---Calls `callback(...)` once after `ms` milliseconds (at least 1).
---@param callback function
---@param ms? number
---@param ... any
---@return timers.Timeout
function setTimeout(callback, ms, ...) end

---@param timeout? timers.Timeout|any
function clearTimeout(timeout) end

---Calls `callback(...)` every `ms` milliseconds until cleared.
---@param callback function
---@param ms? number
---@param ... any
---@return timers.Timeout
function setInterval(callback, ms, ...) end

---@param timeout? timers.Timeout|any
function clearInterval(timeout) end

---Calls `callback(...)` after the current pass of the loop's I/O.
---@param callback function
---@param ... any
---@return timers.Immediate
function setImmediate(callback, ...) end

---@param immediate? timers.Immediate|any
function clearImmediate(immediate) end
