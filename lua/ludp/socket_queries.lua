-- ludp.socket_queries: what dgram's Socket says of itself without
-- changing anything: tostring(socket) (what the REPL shows: its type,
-- state and endpoints), and ref()/unref(), which only say whether the
-- socket keeps the loop alive. install(Socket, states) adds them, with
-- dgram's bind and connect states.

local validators = require("ludp.validators")

local tostring, format = tostring, string.format
local check_socket = validators.check_socket

local queries = {}

local S       -- dgram's states: UNBOUND, BINDING, CONNECTING, CONNECTED

-- "1.2.3.4:5" / "[::1]:5" for tostring, from a status and an address;
-- nil when the call failed.
local function endpoint(status, address, port)
  if status ~= 0 then return nil end
  if address:find(":", 1, true) then address = "[" .. address .. "]" end
  return address .. ":" .. port
end

-- tostring(socket), what the REPL shows: "Socket<udp4 unbound>",
-- "Socket<udp4 0.0.0.0:41234 bound>", "Socket<udp6 closed>",
-- "Socket<udp4 127.0.0.1:5000 connected to 127.0.0.1:6000>"; also
-- "binding" and "connecting" on their way there. Never raises for a socket.
function queries.__tostring(self)
  check_socket(self)               -- a table made with Socket as metatable
  local state
  if self._closed then
    state = "closed"
  elseif self._bind_state == S.UNBOUND then
    state = "unbound"
  elseif self._bind_state == S.BINDING then
    state = "binding"
  else
    local h = self._handle
    local here = endpoint(h:getsockname())
    state = here and here .. " " or ""
    if self._connect_state == S.CONNECTED then
      local peer = endpoint(h:getpeername())
      state = state .. (peer and "connected to " .. peer or "connected")
    elseif self._connect_state == S.CONNECTING then
      state = state .. "connecting"
    else
      state = state .. "bound"
    end
  end
  return format("Socket<%s %s>", tostring(self.type), state)
end

-- As in Node, no-ops on a closed socket, which they still return: the
-- one use of a closed socket that does not raise.
function queries:ref()
  check_socket(self)
  if not self._closed then self._handle:ref() end
  return self
end

function queries:unref()
  check_socket(self)
  if not self._closed then self._handle:unref() end
  return self
end

-- Adds the methods above to Socket; 'states' are dgram's state values.
local function install(Socket, states)
  S = states
  for name, fn in pairs(queries) do Socket[name] = fn end
end

return { install = install }
