-- ludp.socket_control: what dgram's Socket does beyond Node's: reply()
-- (from the address a datagram came to, with recvInfo), setTOS/getTOS,
-- setDontFragment, getMTU, pause/resume, stats(), <close>, and the
-- socket's side of the block lists (receiveBlockList drops and counts,
-- sendBlockList refuses with ERR_IP_BLOCKED). install(Socket) adds the
-- methods; dgram.lua calls the hooks onmessage, send_blocked and setup.
-- Each method is one call of the binding (src/udp.c, udp_recv.c,
-- udp_reply.c), which counts on every path, the ones done in C included;
-- reply's common form is done in C in front of the one here.

local core = require("ludp.core")
local errors = require("ludp.errors")
local validators = require("ludp.validators")
local blocklist = require("ludp.blocklist")

local type, rawget, tointeger, math_type, format =
  type, rawget, math.tointeger, math.type, string.format
local next_tick = core.next_tick
local check_running, check_socket, check_flag, check_port, check_message,
      raise_uv, check_any_running =
  validators.check_running, validators.check_socket, validators.check_flag,
  validators.check_port, validators.check_message, validators.raise_uv,
  validators.check_any_running

-- dgram's bind and connect states (lib/dgram.js's): BOUND, CONNECTED.
local BOUND, CONNECTED = 2, 2

local control = {}

local methods = {}


-- ---------------------------------------------------------- block lists

local blocked = blocklist.blocked

-- dgram's hook for a send or connect to 'ip': the ERR_IP_BLOCKED error
-- when the socket's sendBlockList has it (counted as a send error), else
-- nil.
function control.send_blocked(self, ip)
  local list = self._opts and self._opts.send_block
  if list and type(ip) == "string" and blocked(list, ip, self._kind.fam) then
    self._handle:count("send_error")
    return errors.new("Error", "ERR_IP_BLOCKED",
                      format("IP(%s) is blocked by dgram.BlockList", ip), 3)
  end
end

-- dgram's hook for set_onmessage: what the binding should call for each
-- datagram. Without a receiveBlockList the 'message' listeners as they
-- are; with one, a filter in front that drops (and counts) a datagram
-- from a blocked address, listeners or not.
function control.onmessage(self, stored)
  local list = self._opts and self._opts.receive_block
  if not list then return stored end
  local h, fam = self._handle, self._kind.fam
  return function(msg, rinfo)
    if blocked(list, rinfo.address, fam) then
      h:count("blocked")
    elseif stored then
      stored(msg, rinfo)
    end
  end
end

-- A BlockList option: nil or a dgram.BlockList.
local function check_block_list(v, name)
  if v ~= nil and not blocklist.isBlockList(v) then
    errors.arg_type("options." .. name, "an instance of BlockList", v)
  end
  return v
end


-- ------------------------------------------------------ creation options

-- socket_options.parse_create's part: recvInfo, maxDatagramSize and the
-- block lists, checked, into 'kept' (a new table when needed). Returns
-- kept.
function control.parse_create(opts, kept)
  local max = opts.maxDatagramSize
  if max ~= nil then
    if type(max) ~= "number" then
      errors.arg_type("options.maxDatagramSize", "of type number", max)
    end
    local n = tointeger(max)
    if n == nil or n < 1 or n > 65535 then
      errors.range_error("ERR_OUT_OF_RANGE", format('The value of ' ..
        '"options.maxDatagramSize" is out of range. It must be >= 1 && ' ..
        '<= 65535. Received %s', tostring(max)))
    end
    max = n
  end
  local info = opts.recvInfo
  if info ~= nil and type(info) ~= "boolean" then
    errors.arg_type("options.recvInfo", "of type boolean", info)
  end
  local rb = check_block_list(opts.receiveBlockList, "receiveBlockList")
  local sb = check_block_list(opts.sendBlockList, "sendBlockList")
  if info or max or rb or sb then
    kept = kept or {}
    kept.recv_info, kept.max_dgram = info or nil, max
    kept.receive_block, kept.send_block = rb, sb
  end
  return kept
end

-- dgram's hook after the handle is made: hands the binding the receive
-- options.
function control.setup(self)
  local o = self._opts
  if o and (o.recv_info or o.max_dgram) then
    self._handle:set_recv(o.recv_info, o.max_dgram)
  end
end


-- ---------------------------------------------------------------- reply

-- reply(msg, rinfo[, callback]): msg to rinfo.address and rinfo.port;
-- with recvInfo, from rinfo.localAddress through rinfo.interface, when the
-- socket may send at once (bound, not connected, nothing queued before).
-- Anything else is send(msg, rinfo.port, rinfo.address[, callback]).
function methods:reply(msg, rinfo, callback)
  check_running(self)
  if type(rinfo) ~= "table" then
    errors.arg_type("rinfo", "of type table", rinfo)
  end
  if callback ~= nil and type(callback) ~= "function" then
    errors.arg_type("callback", "of type function", callback)
  end
  local address, port = rawget(rinfo, "address"), rawget(rinfo, "port")
  local here, iface = rawget(rinfo, "localAddress"), rawget(rinfo, "interface")
  if type(address) ~= "string" then
    errors.arg_type("rinfo.address", "of type string", address)
  end
  port = check_port(port, false)
  local o = self._opts
  if not (o and o.recv_info) or type(here) ~= "string"
     or math_type(iface) ~= "integer"
     or self._bind_state ~= BOUND or self._connect_state ~= 0
     or self._queue or self._busy or core.isip(address) == 0 then
    return self:send(msg, port, address, callback)
  end
  local data = check_message(msg)
  local err = control.send_blocked(self, address)
  if not err then
    local status, bytes = self._handle:send_from(data, address, port, here,
                                                 iface)
    if status == 0 then
      if callback then next_tick(callback, nil, bytes) end
      return
    end
    err = errors.uv(status, "send", address, port)
  end
  if callback then
    next_tick(callback, err)
  else
    next_tick(function()
      if not self._closed then self:emit("error", err) end
    end)
  end
end


-- ------------------------------------------------------------- IP options

local function check_tos(tos)
  if type(tos) ~= "number" then errors.arg_type("tos", "of type number", tos) end
  local n = tointeger(tos)
  if n == nil or n < 0 or n > 255 then
    errors.range_error("ERR_OUT_OF_RANGE", format('The value of "tos" is ' ..
      "out of range. It must be >= 0 && <= 255. Received %s", tostring(tos)))
  end
  return n
end

function methods:setTOS(tos)
  check_running(self)
  local n = check_tos(tos)
  local r = self._handle:ip_option("tos", n)
  if r ~= 0 then raise_uv(r, "setTOS") end
  return n
end

function methods:getTOS()
  check_running(self)
  local r, v = self._handle:ip_option("tos")
  if r ~= 0 then raise_uv(r, "getTOS") end
  return v
end

function methods:setDontFragment(flag)
  check_running(self)
  local r = self._handle:ip_option("dontfrag",
                                   check_flag(flag, "flag") and 1 or 0)
  if r ~= 0 then raise_uv(r, "setDontFragment") end
end

function methods:getMTU()
  check_running(self)
  if self._connect_state ~= CONNECTED then
    errors.raise("Error", "ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected")
  end
  local r, v = self._handle:ip_option("mtu")
  if r ~= 0 then raise_uv(r, "getMTU") end
  return v
end


-- --------------------------------------------------- reading and counts

-- pause(): no more reading until resume(); datagrams wait in the
-- kernel's receive buffer (those read already in the same wake-up are
-- still delivered). Listeners added meanwhile do not resume it. These
-- three serve unix sockets too: their binding has the same calls.
function methods:pause()
  check_any_running(self)
  local r = self._handle:set_paused(true)
  if r ~= 0 then raise_uv(r, "recvStop") end
  return self
end

function methods:resume()
  check_any_running(self)
  local r = self._handle:set_paused(false)
  if r ~= 0 then raise_uv(r, "recvStart") end
  return self
end

function methods:stats()
  check_any_running(self)
  return self._handle:stats()
end

-- `local s <close> = dgram.createSocket(...)`: closed at the end of the
-- scope, unless it was closed already.
local function close_at_scope_end(self)
  check_socket(self)
  if not self._closed then self:close() end
end

-- Adds the methods above, and __close, to Socket.
function control.install(Socket)
  for name, fn in pairs(methods) do Socket[name] = fn end
  -- The binding's reply form in front: a server's answer is no Lua call.
  Socket.reply = core.socket_reply(methods.reply)
  Socket.__close = close_at_scope_end
end

return control
