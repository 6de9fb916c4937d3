-- ludp.socket_events: the events both kinds of dgram Socket emit
-- (dgram.lua's udp4/udp6, ludp/unix_socket.lua's unix) and how a failed
-- operation is told: to its callback, else as an 'error' event, always on
-- a later tick, and after close() only through callbacks.

local core = require("ludp.core")

local next_tick = core.next_tick

local events = {}

function events.emit_listening(self)
  if not self._closed then self:emit("listening") end
end

function events.emit_connect(self)
  if not self._closed then self:emit("connect") end
end

function events.emit_close(self)
  self:emit("close")
end

-- After close() nobody is told of errors but through callbacks.
local function emit_error(self, err)
  if not self._closed then self:emit("error", err) end
end
events.emit_error = emit_error

-- A failure for an operation: to its callback, else as an 'error' event;
-- always on a later tick.
function events.report(self, cb, err)
  if cb then
    next_tick(cb, err)
  elseif not self._closed then
    next_tick(emit_error, self, err)
  end
end

return events
