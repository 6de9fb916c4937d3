---@meta events
-- Lua language server (LuaLS) definitions for require("events").
-- Installed in share/ludp/types; add that folder to "workspace.library"
-- (see docs/guide.md, "Editor support").

---Node.js's EventEmitter. `require("events")` returns the class; it is also
---`require("events").EventEmitter`. Listeners get the emitted arguments
---only (no self).
---@class events.EventEmitter
---@field EventEmitter events.EventEmitter the class itself, as in Node
---@field defaultMaxListeners integer listeners per event before a warning (10)
---@field super? events.EventEmitter the parent class of a class made by extend()
local EventEmitter = {}

---Makes a new emitter (of this class, for a class made by `extend`, whose
---`init(self, ...)` is then called with the arguments).
---@return events.EventEmitter
function EventEmitter.new(...) end

---Makes a subclass: `local Sub = EventEmitter:extend()`,
---`function Sub.init(self, ...) end`, `Sub.new(...)`.
---@return events.EventEmitter
function EventEmitter:extend() end

---Makes `object` an emitter (for classes built with plain metatables).
---@generic T: table
---@param object T
---@return T
function EventEmitter.init(object) end

---Adds `listener` at the end of the listeners of `event`.
---@param event any not nil
---@param listener function
---@return self
function EventEmitter:on(event, listener) end

---Same as `on`.
---@param event any
---@param listener function
---@return self
function EventEmitter:addListener(event, listener) end

---Adds a listener removed before its first call.
---@param event any
---@param listener function
---@return self
function EventEmitter:once(event, listener) end

---Adds `listener` first in the list.
---@param event any
---@param listener function
---@return self
function EventEmitter:prependListener(event, listener) end

---Adds a once listener first in the list.
---@param event any
---@param listener function
---@return self
function EventEmitter:prependOnceListener(event, listener) end

---Removes the most recently added instance of `listener`.
---@param event any
---@param listener function
---@return self
function EventEmitter:removeListener(event, listener) end

---Same as `removeListener`.
---@param event any
---@param listener function
---@return self
function EventEmitter:off(event, listener) end

---Removes every listener of `event`, or of every event.
---@param event? any
---@return self
function EventEmitter:removeAllListeners(event) end

---Calls the listeners of `event` with the arguments. Emitting "error" with
---no listener raises the error.
---@param event any
---@param ... any
---@return boolean had_listeners
function EventEmitter:emit(event, ...) end

---@param event any
---@return function[]
function EventEmitter:listeners(event) end

---The listeners as stored (once wrappers included).
---@param event any
---@return function[]
function EventEmitter:rawListeners(event) end

---@param event any
---@param listener? function count only this listener
---@return integer
function EventEmitter:listenerCount(event, listener) end

---@return any[]
function EventEmitter:eventNames() end

---@param n number 0 or more; 0 or math.huge: no limit
---@return self
function EventEmitter:setMaxListeners(n) end

---@return number
function EventEmitter:getMaxListeners() end

return EventEmitter
