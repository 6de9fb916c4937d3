---@meta timers
-- Lua language server (LuaLS) definitions for require("timers"); the same
-- functions are globals in the host (types/globals.lua).

---A pending setTimeout or setInterval.
---@class timers.Timeout
local Timeout = {}

---Keeps the process running while pending (the default).
---@return self
function Timeout:ref() end

---Lets the process exit while the timer is pending.
---@return self
function Timeout:unref() end

---@return boolean
function Timeout:hasRef() end

---Restarts the timer from now with its delay, even after it fired.
---@return self
function Timeout:refresh() end

---Same as clearTimeout(self).
---@return self
function Timeout:close() end

---A pending setImmediate.
---@class timers.Immediate
local Immediate = {}

---@return self
function Immediate:ref() end

---@return self
function Immediate:unref() end

---@return boolean
function Immediate:hasRef() end

---@class timers
---@field Timeout timers.Timeout
---@field Immediate timers.Immediate
local timers = {}

---Calls `callback(...)` once after `ms` milliseconds (at least 1).
---@param callback function
---@param ms? number
---@param ... any arguments for callback
---@return timers.Timeout
function timers.setTimeout(callback, ms, ...) end

---Calls `callback(...)` every `ms` milliseconds until cleared.
---@param callback function
---@param ms? number
---@param ... any
---@return timers.Timeout
function timers.setInterval(callback, ms, ...) end

---Cancels a timeout or interval; anything else (nil included) is ignored.
---@param timeout? timers.Timeout|any
function timers.clearTimeout(timeout) end

---Same as clearTimeout.
---@param timeout? timers.Timeout|any
function timers.clearInterval(timeout) end

---Calls `callback(...)` after the current pass of the loop's I/O.
---@param callback function
---@param ... any
---@return timers.Immediate
function timers.setImmediate(callback, ...) end

---@param immediate? timers.Immediate|any
function timers.clearImmediate(immediate) end

return timers
