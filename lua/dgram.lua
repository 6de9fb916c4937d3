-- dgram: Node.js's UDP/datagram sockets for Lua 5.4, on libuv.
--
--   local dgram = require("dgram")
--   local server = dgram.createSocket("udp4")
--   server:on("message", function(msg, rinfo)
--     server:send(msg, rinfo.port, rinfo.address)        -- echo
--   end)
--   server:bind(41234, function() print(server:address().port) end)
--
-- src/udp.c is thin, as Node's udp_wrap: its methods return libuv status
-- codes and never raise for the system's failures. This file is Node's
-- lib/dgram.js: the forms of the arguments and their checks, the bind and
-- connect states, the queue of what is asked before the socket is ready,
-- error objects and events. User code is never called from inside the call
-- that caused it: 'listening', 'connect', 'close' and the callbacks of
-- bind, send, connect and close run later, from core.next_tick (Node's
-- process.nextTick) or from a callback of the loop.
--
-- Where Node leaves the order of datagrams to its lookups, this module
-- keeps it: sends and connects made while the socket binds, or while an
-- earlier send waits for its host name, wait in one queue and go out in
-- the order they were made.

local core = require("ludp.core")
local errors = require("ludp.errors")
local EventEmitter = require("events")

local type, select, tostring, rawlen, rawget =
  type, select, tostring, rawlen, rawget
local tointeger, math_type, format = math.tointeger, math.type, string.format
local next_tick, isip = core.next_tick, core.isip

-- libuv's codes are -errno on Linux, the one platform of ludp.
local UV_EINVAL = -22

-- Bind states and connect states, as in lib/dgram.js.
local UNBOUND, BINDING, BOUND = 0, 1, 2
local DISCONNECTED, CONNECTING, CONNECTED = 0, 1, 2

-- Kinds of operations in the queue.
local SEND, CONNECT = 1, 2

-- What differs between the two socket types.
local KINDS = {
  udp4 = { fam = 4, family = "IPv4", any = "0.0.0.0", loopback = "127.0.0.1" },
  udp6 = { fam = 6, family = "IPv6", any = "::", loopback = "::1" },
}

-- The options of a socket created without any (see Socket.init).
local NO_OPTS = {}

-- Largest size setsockopt takes (an int); Node reports EINVAL above it.
local INT_MAX = 0x7fffffff

-- The array of pieces the C binding takes in one datagram.
local MAX_PIECES = 64

local Socket = EventEmitter:extend()
Socket.__name = "Socket"

local dgram = { Socket = Socket }


-- ---------------------------------------------------------------- checks

-- How Node's messages show a received value: 'Received type number (7)'.
local function received(v)
  local t = type(v)
  if t == "nil" then return "nil" end
  if t == "string" then return format("type string (%q)", v) end
  if t == "number" or t == "boolean" then
    return "type " .. t .. " (" .. tostring(v) .. ")"
  end
  return "type " .. t
end

-- Truth as JavaScript sees it, for the argument forms copied from Node:
-- 0 and "" are false there.
local function truthy(v)
  return v ~= nil and v ~= false and v ~= 0 and v ~= "" and v == v
end

-- A port: an integer in 0..65535 (1..65535 unless allow_zero), else
-- ERR_SOCKET_BAD_PORT as Node's validatePort. Returns it as an integer.
local function check_port(port, allow_zero)
  local p = type(port) == "number" and tointeger(port) or nil
  if p == nil or p < 0 or p > 65535 or (p == 0 and not allow_zero) then
    errors.range_error("ERR_SOCKET_BAD_PORT", format(
      "Port should be %s and < 65536. Received %s.",
      allow_zero and ">= 0" or "> 0", received(port)))
  end
  return p
end

-- nil, or a string (an address or an interface).
local function check_opt_string(v, name)
  if v ~= nil and type(v) ~= "string" then
    errors.arg_type(name, "of type string", v)
  end
end

-- An integer argument (offset, length, fd), with Node's codes.
local function check_integer(v, name)
  if type(v) ~= "number" then errors.arg_type(name, "of type number", v) end
  local i = tointeger(v)
  if i == nil then
    errors.range_error("ERR_OUT_OF_RANGE", format('The value of "%s" is ' ..
      "out of range. It must be an integer. Received %s", name, tostring(v)))
  end
  return i
end

-- A boolean option of a setter; numbers count as in Node (0 is false).
local function check_flag(v, name)
  if v == nil or v == false then return false end
  if v == true then return true end
  if type(v) == "number" then return v ~= 0 end
  errors.arg_type(name, "of type boolean", v)
end

-- A buffer size: an integer in 1..2^32-1, as Node's `size >>> 0 === size`
-- without its 0 (which would read instead of set).
local function check_buffer_size(size)
  local n = type(size) == "number" and tointeger(size) or nil
  if n == nil or n < 1 or n > 0xffffffff then
    errors.type_error("ERR_SOCKET_BAD_BUFFER_SIZE",
                      "Buffer size must be a positive integer")
  end
  return n
end

local function not_running()
  errors.raise("Error", "ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running")
end

local function check_running(self)
  if self._closed then not_running() end
end

-- Raises the SystemError of a failed call of the binding.
local function raise_uv(status, syscall)
  error(errors.uv(status, syscall), 0)
end

-- The message as one string or an array of strings for the binding: the
-- array is checked here, so the binding never raises.
local function check_message(msg)
  if type(msg) == "string" then return msg end
  if type(msg) ~= "table" then
    errors.arg_type("buffer", "of type string or an array of strings", msg)
  end
  -- Raw, as the binding reads the pieces: a __len or __index cannot
  -- make it send something other than what was checked.
  local n = rawlen(msg)
  for i = 1, n do
    local piece = rawget(msg, i)
    if type(piece) ~= "string" then
      errors.arg_type("buffer list arguments", "of type string", piece)
    end
  end
  if n == 0 then return "" end
  if n == 1 then return rawget(msg, 1) end
  if n > MAX_PIECES then return table.concat(msg, "", 1, n) end
  return msg
end

-- msg:sub for send(msg, offset, length, ...): offset counts bytes from 0.
local function slice(msg, offset, length)
  if type(msg) ~= "string" then
    errors.arg_type("buffer", "of type string", msg)
  end
  offset = check_integer(offset, "offset")
  length = check_integer(length, "length")
  local n = #msg
  if offset < 0 or offset > n then
    errors.range_error("ERR_BUFFER_OUT_OF_BOUNDS",
                       '"offset" is outside of buffer bounds')
  end
  if length < 0 or length > n - offset then
    errors.range_error("ERR_BUFFER_OUT_OF_BOUNDS",
                       '"length" is outside of buffer bounds')
  end
  if offset == 0 and length == n then return msg end
  return msg:sub(offset + 1, offset + length)
end


-- ---------------------------------------------------------------- lookup

-- The default resolver, as Node's dns.lookup: a literal answers at once
-- (before it returns; callers defer what users see), a name goes to
-- getaddrinfo. cb(err, address, family).
local function default_lookup(host, family, cb)
  local fam = isip(host)
  if fam ~= 0 then return cb(nil, host, fam) end
  local r = core.getaddrinfo(host, family, function(status, ip, f)
    if status ~= 0 then
      cb(errors.dns(status, "getaddrinfo", host))
    else
      cb(nil, ip, f)
    end
  end)
  if r ~= 0 then cb(errors.dns(r, "getaddrinfo", host)) end
end

-- Whether send(msg, port, address) may take the binding's reply path
-- (see Socket.send): bound, unconnected, open, the default lookup, nothing
-- waiting. Kept in one field, the handle or false, recomputed wherever
-- one of these changes, so the hot path reads one value instead of six.
local function refresh_fast(self)
  self._fast = self._bind_state == BOUND
    and self._connect_state == DISCONNECTED and not self._closed
    and not self._queue and not self._busy
    and self._lookup == default_lookup and self._handle or false
end

-- Resolves host with the socket's lookup; then fn(self, arg, err, ip,
-- sync) runs once, even if a custom lookup calls back twice. 'sync' says
-- that the lookup answered before returning. Returns whether fn ran.
local function lookup(self, host, fn, arg)
  local returned, called = false, false
  self._lookup(host, self._kind.fam, function(err, ip)
    if called then return end
    called = true
    fn(self, arg, err, ip, not returned)
  end)
  returned = true
  return called
end


-- ----------------------------------------------------------------- events

local function emit_listening(self)
  if not self._closed then self:emit("listening") end
end

local function emit_connect(self)
  if not self._closed then self:emit("connect") end
end

local function emit_close(self)
  self:emit("close")
end

-- After close() nobody is told of errors but through callbacks.
local function emit_error(self, err)
  if not self._closed then self:emit("error", err) end
end

-- A failure for an operation: to its callback, else as an 'error' event;
-- always on a later tick.
local function report(self, cb, err)
  if cb then
    next_tick(cb, err)
  elseif not self._closed then
    next_tick(emit_error, self, err)
  end
end

-- The receive callback of the binding, one for all the sockets of a
-- family (no closure per socket). On the hot path the binding does its
-- work itself when _events.message is one function (deliver_batch in
-- src/udp.c: the same rinfo, the same call), so this runs for several
-- listeners and for failures: (self, nil, errname, status, syscall,
-- address, port), syscall "send" for a batched reply the kernel refused
-- (it had no callback), with the address and port it was sent to.
local function receiver(family)
  return function(self, msg, address, port, syscall, to_address, to_port)
    if msg then
      local rinfo = { address = address, family = family, port = port,
                      size = #msg }
      -- emit's work without its varargs: the listener, or the array of
      -- them that calls each (see events.lua).
      local listeners = self._events.message
      if listeners then listeners(msg, rinfo) end
    else                           -- as any failure: none after close
      emit_error(self, errors.uv(port, syscall or "recvmsg", to_address,
                                 to_port))
    end
  end
end
for _, kind in pairs(KINDS) do kind.receiver = receiver(kind.family) end

-- The send callback of the binding, one per socket. libuv completes the
-- sends it queued in order, so their details wait in a FIFO.
local function send_completer(self)
  return function(status)
    local f = self._inflight
    local s = f[f.head]
    f[f.head] = nil
    f.head = f.head + 1
    if status < 0 then
      local err = errors.uv(status, "send", s.host, s.port)
      if s.cb then
        s.cb(err)
      else
        emit_error(self, err)
      end
    elseif s.cb then
      s.cb(nil, s.bytes)
    end
  end
end


-- ------------------------------------------------------------------ close

-- Closes the handle; 'close' follows on the next tick. Once: a listener
-- that user code runs on the way (a 'removeListener' one, when a failed
-- bind drops its listeners) may have closed it already.
local function finish_close(self)
  local h = self._handle
  if h == nil then return end
  self._handle = nil
  refresh_fast(self)
  h:close()
  next_tick(emit_close, self)
end


-- ------------------------------------------------------- operations queue

local function enqueue(self, op)
  local q = self._queue
  if not q then
    q = { head = 1, tail = 0 }
    self._queue = q
    refresh_fast(self)
  end
  q.tail = q.tail + 1
  q[q.tail] = op
end

-- Sends data now; host and port are nil on a connected socket, ip is what
-- the lookup gave for host.
local function do_send(self, data, host, port, cb, err, ip)
  if err then return report(self, cb, err) end
  local status, bytes
  if host ~= nil and type(ip) ~= "string" then
    status = UV_EINVAL             -- a custom lookup gave no address
  else
    -- Without a callback the binding may batch it with the other replies
    -- of this receive batch (one sendmmsg when the batch ends).
    local f = self._inflight
    if not f then                  -- made on first use: idle sockets are
      f = { head = 1, tail = 0 }   -- many, and lighter without it
      f.on_sent = send_completer(self)
      self._inflight = f
    end
    status, bytes = self._handle:send(data, ip, port, f.on_sent, cb == nil)
  end
  if status == 0 then              -- sent: the binding called nobody
    if cb then next_tick(cb, nil, bytes) end
  elseif status == 1 then          -- queued by libuv: on_sent follows
    local f = self._inflight
    f.tail = f.tail + 1
    f[f.tail] = { cb = cb, bytes = bytes, host = host, port = port }
  else
    report(self, cb, errors.uv(status, "send", host, port))
  end
end

local function do_connect(self, op, err, ip)
  if not err then
    local r = UV_EINVAL
    if type(ip) == "string" then r = self._handle:connect(ip, op.port) end
    if r ~= 0 then err = errors.uv(r, "connect", op.host, op.port) end
  end
  if err then
    self._connect_state = DISCONNECTED
    refresh_fast(self)
    if op.cb then
      self:removeListener("connect", op.cb)
      if self._closed then return end
    end
    return report(self, op.cb, err)
  end
  self._connect_state = CONNECTED
  refresh_fast(self)
  next_tick(emit_connect, self)
end

local pump

-- The lookup of a queued operation answered.
local function op_resolved(self, op, err, ip, sync)
  -- Closed meanwhile (a lookup answering after it threw, or after its
  -- socket closed): nothing to do, as Node's doSend.
  if self._handle == nil then return end
  if op.kind == SEND then
    do_send(self, op.data, op.host, op.port, op.cb, err, ip)
  else
    do_connect(self, op, err, ip)
  end
  if not sync then
    self._busy = false
    refresh_fast(self)
    pump(self)
  end
end

-- Runs one operation of a bound socket; a lookup that answers later
-- leaves the socket busy, so what follows waits.
local function run(self, op)
  if op.host == nil then           -- a send on a connected socket
    return do_send(self, op.data, nil, nil, op.cb)
  end
  self._busy = true                -- also against sends made by the lookup
  refresh_fast(self)
  local ok, called = pcall(lookup, self, op.host, op_resolved, op)
  if not ok then                   -- a custom lookup threw: op is lost,
    self._busy = false             -- what follows it is not
    refresh_fast(self)
    if self._queue then next_tick(pump, self) end
    error(called, 0)
  end
  if called then self._busy = false end
  refresh_fast(self)
end

-- Runs the queue while the socket is bound and not waiting; a closed
-- socket closes its handle once the queue is empty.
function pump(self)
  local q = self._queue
  while q and not self._busy and self._bind_state == BOUND do
    local op = q[q.head]
    q[q.head] = nil
    q.head = q.head + 1
    if q.head > q.tail then self._queue = false end
    refresh_fast(self)
    run(self, op)
    q = self._queue
  end
  if self._closed and self._handle and not self._queue
     and not self._busy then
    finish_close(self)
  end
end

-- Runs op now when nothing waits before it, else queues it.
local function submit(self, op)
  if self._bind_state == BOUND and not self._queue and not self._busy then
    run(self, op)
    if self._queue then pump(self) end
  else
    enqueue(self, op)
  end
end


-- ------------------------------------------------------------------- bind

-- The 'listening' listener that calls bind's callback once.
local function add_bind_listener(self, cb)
  local function on_listening()
    self:removeListener("listening", on_listening)
    self._bind_listener = nil
    cb()
  end
  self._bind_listener = on_listening
  self:on("listening", on_listening)
end

local function remove_bind_listener(self)
  local l = self._bind_listener
  if l then
    self._bind_listener = nil
    self:removeListener("listening", l)
  end
end

-- ERR_SOCKET_BUFFER_SIZE: a SystemError naming the libuv call, as Node's.
local function buffer_size_error(status, which)
  local syscall = "uv_" .. which .. "_buffer_size"
  local code = core.errname(status)
  local info = { errno = status, code = code, message = core.strerror(status),
                 syscall = syscall }
  local e = errors.new("SystemError", "ERR_SOCKET_BUFFER_SIZE", format(
    "Could not get or set buffer size: %s returned %s (%s)", syscall, code,
    info.message), 3)
  e.info, e.errno, e.syscall = info, status, syscall
  return e
end

-- Starts receiving, applies the buffer sizes of the options and runs what
-- waited for the bind (lib/dgram.js's startListening, less the event).
local function start_listening(self)
  local h = self._handle
  self._bind_state = BOUND
  refresh_fast(self)
  if not self._closed then
    local r = h:recv_start(self._kind.receiver, self)
    if r ~= 0 then report(self, nil, errors.uv(r, "recvStart")) end
    for which, size in pairs(self._opts and self._opts.buffer_sizes or {}) do
      -- above INT_MAX setsockopt cannot take it: EINVAL, as Node reports
      local v, _, status = nil, nil, UV_EINVAL
      if size <= INT_MAX then v, _, status = h:buffer_size(which, size) end
      if v == nil then report(self, nil, buffer_size_error(status, which)) end
    end
  end
  pump(self)
end

-- The bind failed: back to unbound, as Node. What waited for it is
-- dropped, as Node drops its queue, and the error is the one report; on a
-- closed socket the callbacks of the queued sends get it instead.
local function bind_failed(self, err)
  local q = self._queue
  self._queue = false
  self._bind_state = UNBOUND
  refresh_fast(self)
  remove_bind_listener(self)
  if self._connect_state == CONNECTING then
    self._connect_state = DISCONNECTED
    refresh_fast(self)
  end
  if q then
    for i = q.head, q.tail do
      local op = q[i]
      if op.cb then
        if op.kind == CONNECT then
          self:removeListener("connect", op.cb)
        elseif self._closed then
          next_tick(op.cb, err)
        end
      end
    end
  end
  if self._closed then return finish_close(self) end
  self:emit("error", err)
end

local function finish_bind(self, port, err, ip)
  local h = self._handle
  if h == nil then return end      -- closed meanwhile, nothing waited
  if not err then
    local r = UV_EINVAL            -- a custom lookup gave no address
    if type(ip) == "string" then
      local o = self._opts or NO_OPTS
      r = h:bind(ip, port, o.reuse_addr, o.ipv6_only, o.reuse_port)
    end
    if r ~= 0 then
      -- As Node's exceptionWithHostPort: no port field for port 0.
      err = errors.uv(r, "bind", type(ip) == "string" and ip or nil,
                      port ~= 0 and port or nil)
    end
  end
  if err then return bind_failed(self, err) end
  start_listening(self)
  emit_listening(self)
end

local function bind_resolved(self, port, err, ip, sync)
  if sync then                     -- never inside bind()
    next_tick(finish_bind, self, port, err, ip)
  else
    finish_bind(self, port, err, ip)
  end
end

local function start_bind(self, address, port)
  self._bind_state = BINDING
  refresh_fast(self)
  if address == nil or address == "" then address = self._kind.any end
  if self._lookup == default_lookup and isip(address) ~= 0 then
    -- What the lookup would do for a literal, without its closures.
    return next_tick(finish_bind, self, port, nil, address)
  end
  local answered = false
  local ok, err = pcall(lookup, self, address, function(...)
    answered = true
    return bind_resolved(...)
  end, port)
  if not ok then
    -- A custom lookup threw. Before answering: not binding. After: the
    -- bind goes on (its finish is due), so the socket stays BINDING and a
    -- second bind cannot start over it.
    if not answered then
      self._bind_state = UNBOUND
      refresh_fast(self)
      remove_bind_listener(self)
    end
    error(err, 0)
  end
end

-- bind({ fd = n }): wraps an open UDP socket; raises as Node does.
local function bind_fd(self, fd, cb)
  fd = check_integer(fd, "options.fd")
  if fd < 0 then
    errors.range_error("ERR_OUT_OF_RANGE", 'The value of "options.fd" is ' ..
                       "out of range. It must be >= 0. Received " .. fd)
  end
  local kind = core.guess_handle(fd)
  if kind ~= "UDP" then
    errors.type_error("ERR_INVALID_FD_TYPE", "Unsupported fd type: " .. kind)
  end
  local r = self._handle:open(fd)
  if r ~= 0 then raise_uv(r, "open") end
  if cb then add_bind_listener(self, cb) end
  start_listening(self)
  next_tick(emit_listening, self)
end

-- bind([port][, address][, callback]) / bind(options[, callback]); the
-- callback is the last argument, as in Node.
function Socket:bind(...)
  check_running(self)
  if self._bind_state ~= UNBOUND then
    errors.raise("Error", "ERR_SOCKET_ALREADY_BOUND", "Socket is already bound")
  end
  local n = select("#", ...)
  local port, address = ...
  local cb = n > 0 and select(n, ...) or nil
  if type(cb) ~= "function" then cb = nil end
  local fd
  if type(port) == "function" then
    port, address = nil, nil
  elseif type(port) == "table" then
    local opts = port
    port, address, fd = opts.port, opts.address, opts.fd
  elseif type(address) == "function" then
    address = nil
  end
  if fd ~= nil then
    bind_fd(self, fd, cb)
    return self
  end
  port = port == nil and 0 or check_port(port, true)
  check_opt_string(address, "address")
  if cb then add_bind_listener(self, cb) end
  start_bind(self, address, port)
  return self
end


-- ------------------------------------------------------------------- send

-- send(msg[, offset, length][, port][, address][, callback]), the forms of
-- lib/dgram.js; on a connected socket without port and address. The
-- binding does the reply form, send(msg, port, address), itself when it
-- can (see Socket.send below); everything else comes here.
local function send(self, msg, offset, length, port, address, callback)
  if self._closed then not_running() end  -- first: closed is closed
  local connected = self._connect_state ~= DISCONNECTED
  if not connected then
    if (address ~= nil and truthy(address))
       or (port ~= nil and type(port) ~= "function" and truthy(port)) then
      msg = slice(msg, offset, length)
    else
      callback, port, address = port, offset, length
    end
  elseif type(length) == "number" then
    msg = slice(msg, offset, length)
    if type(port) == "function" then callback, port = port, nil end
    if port ~= nil or address ~= nil then
      errors.raise("Error", "ERR_SOCKET_DGRAM_IS_CONNECTED",
                   "Already connected")
    end
  else
    -- send(msg[, callback]): anything else would name a destination.
    if (offset ~= nil and type(offset) ~= "function") or length ~= nil
       or port ~= nil or address ~= nil then
      errors.raise("Error", "ERR_SOCKET_DGRAM_IS_CONNECTED",
                   "Already connected")
    end
    callback = offset
  end
  local data = msg
  if type(data) ~= "string" then data = check_message(msg) end
  local host
  if not connected then
    if math_type(port) ~= "integer" or port < 1 or port > 65535 then
      port = check_port(port, false)
    end
    host = address
    if type(host) ~= "string" then
      if type(host) == "function" then
        callback = host
      elseif host ~= nil then
        check_opt_string(host, "address")
      end
      host = self._kind.loopback
    elseif host == "" then
      host = self._kind.loopback
    end
  end
  if type(callback) ~= "function" then callback = nil end

  local state = self._bind_state
  if state == BOUND and not self._queue and not self._busy then
    -- The hot path: no lookup for a literal (the last one is remembered).
    if host == nil or host == self._literal then
      return do_send(self, data, host, port, callback, nil, host)
    end
    if self._lookup == default_lookup and isip(host) ~= 0 then
      self._literal = host
      return do_send(self, data, host, port, callback, nil, host)
    end
  elseif state == UNBOUND then
    start_bind(self, nil, 0)
  end
  -- An array may change before it goes out: queue one string.
  if type(data) == "table" then
    data = table.concat(data, "", 1, rawlen(data))
  end
  submit(self, { kind = SEND, data = data, host = host, port = port,
                 cb = callback })
end

-- The binding's send in front of it: an echo's reply is no Lua call.
Socket.send = core.socket_send(send)


-- ---------------------------------------------------------------- connect

function Socket:connect(port, address, callback)
  check_running(self)
  port = check_port(port, false)
  if type(address) == "function" then
    callback, address = address, nil
  else
    check_opt_string(address, "address")
  end
  if callback ~= nil and type(callback) ~= "function" then
    errors.arg_type("callback", "of type function", callback)
  end
  if self._connect_state ~= DISCONNECTED then
    errors.raise("Error", "ERR_SOCKET_DGRAM_IS_CONNECTED", "Already connected")
  end
  self._connect_state = CONNECTING
  refresh_fast(self)
  if callback then self:once("connect", callback) end
  if self._bind_state == UNBOUND then start_bind(self, nil, 0) end
  if address == nil or address == "" then address = self._kind.loopback end
  submit(self, { kind = CONNECT, host = address, port = port, cb = callback })
end

function Socket:disconnect()
  check_running(self)
  if self._connect_state ~= CONNECTED then
    errors.raise("Error", "ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected")
  end
  local r = self._handle:disconnect()
  if r ~= 0 then raise_uv(r, "connect") end
  self._connect_state = DISCONNECTED
  refresh_fast(self)
end

function Socket:remoteAddress()
  check_running(self)
  if self._connect_state ~= CONNECTED then
    errors.raise("Error", "ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected")
  end
  local address, port, family = self._handle:getpeername()
  if address == nil then raise_uv(family, "getpeername") end
  return { address = address, family = family, port = port }
end


-- ------------------------------------------------------------------ close

-- close([callback]): 'close' is emitted once, on a later tick. Sends and
-- connects still queued go out first, as in Node; the socket is closed for
-- its user at once.
function Socket:close(callback)
  check_running(self)
  if type(callback) == "function" then self:on("close", callback) end
  self._closed = true
  refresh_fast(self)
  self._handle:recv_stop()         -- harmless when not receiving
  if not self._queue and not self._busy then finish_close(self) end
  return self
end


-- ---------------------------------------------------------------- queries

function Socket:address()
  check_running(self)
  local address, port, family = self._handle:getsockname()
  if address == nil then raise_uv(family, "getsockname") end
  return { address = address, family = family, port = port }
end

-- "1.2.3.4:5" / "[::1]:5" for tostring; nil when the call fails.
local function endpoint(address, port)
  if address == nil then return nil end
  if address:find(":", 1, true) then address = "[" .. address .. "]" end
  return address .. ":" .. port
end

-- tostring(socket), what the REPL shows: "Socket<udp4 unbound>",
-- "Socket<udp4 0.0.0.0:41234 bound>", "Socket<udp6 closed>",
-- "Socket<udp4 127.0.0.1:5000 connected to 127.0.0.1:6000>"; also
-- "binding" and "connecting" on their way there. Never raises.
function Socket.__tostring(self)
  local state
  if self._closed then
    state = "closed"
  elseif self._bind_state == UNBOUND then
    state = "unbound"
  elseif self._bind_state == BINDING then
    state = "binding"
  else
    local h = self._handle
    local here = endpoint(h:getsockname())
    state = here and here .. " " or ""
    if self._connect_state == CONNECTED then
      local peer = endpoint(h:getpeername())
      state = state .. (peer and "connected to " .. peer or "connected")
    elseif self._connect_state == CONNECTING then
      state = state .. "connecting"
    else
      state = state .. "bound"
    end
  end
  return format("Socket<%s %s>", tostring(self.type), state)
end

function Socket:getSendQueueSize()
  check_running(self)
  local size = self._handle:send_queue()
  return size
end

function Socket:getSendQueueCount()
  check_running(self)
  local _, count = self._handle:send_queue()
  return count
end

-- Gets (set false) or sets a buffer size of the kernel.
local function buffer_size(self, which, set, size)
  check_running(self)
  if set then
    size = check_buffer_size(size)
    if size > INT_MAX then             -- setsockopt takes an int
      error(buffer_size_error(UV_EINVAL, which), 0)
    end
  end
  local v, _, status = self._handle:buffer_size(which, size)
  if v == nil then error(buffer_size_error(status, which), 0) end
  return v
end

function Socket:setRecvBufferSize(size)
  buffer_size(self, "recv", true, size)
end

function Socket:setSendBufferSize(size)
  buffer_size(self, "send", true, size)
end

function Socket:getRecvBufferSize()
  return buffer_size(self, "recv", false)
end

function Socket:getSendBufferSize()
  return buffer_size(self, "send", false)
end


-- ---------------------------------------------------------------- options

function Socket:setBroadcast(flag)
  check_running(self)
  local r = self._handle:set_broadcast(check_flag(flag, "flag"))
  if r ~= 0 then raise_uv(r, "setBroadcast") end
end

-- A TTL for the binding: libuv checks the range, so anything that is not
-- an int goes down as -1 and comes back EINVAL, as out-of-range values do.
local function ttl_value(ttl)
  if type(ttl) ~= "number" then errors.arg_type("ttl", "of type number", ttl) end
  local v = tointeger(ttl)
  if v == nil or v < -INT_MAX or v > INT_MAX then v = -1 end
  return v
end

function Socket:setTTL(ttl)
  check_running(self)
  local r = self._handle:set_ttl(ttl_value(ttl))
  if r ~= 0 then raise_uv(r, "setTTL") end
  return ttl
end

function Socket:setMulticastTTL(ttl)
  check_running(self)
  local r = self._handle:set_multicast_ttl(ttl_value(ttl))
  if r ~= 0 then raise_uv(r, "setMulticastTTL") end
  return ttl
end

function Socket:setMulticastLoopback(flag)
  check_running(self)
  local r = self._handle:set_multicast_loop(check_flag(flag, "flag"))
  if r ~= 0 then raise_uv(r, "setMulticastLoopback") end
  return flag
end

function Socket:setMulticastInterface(iface)
  check_running(self)
  if type(iface) ~= "string" then
    errors.arg_type("interfaceAddress", "of type string", iface)
  end
  local r = self._handle:set_multicast_interface(iface)
  if r ~= 0 then raise_uv(r, "setMulticastInterface") end
end

local function membership(self, group, iface, join, syscall)
  check_running(self)
  if group == nil or group == false or group == "" then
    errors.type_error("ERR_MISSING_ARGS",
                      'The "multicastAddress" argument must be specified')
  end
  if type(group) ~= "string" then
    errors.arg_type("multicastAddress", "of type string", group)
  end
  check_opt_string(iface, "interfaceAddress")
  local r = self._handle:set_membership(group, iface, join)
  if r ~= 0 then raise_uv(r, syscall) end
end

function Socket:addMembership(group, iface)
  membership(self, group, iface, true, "addMembership")
end

function Socket:dropMembership(group, iface)
  membership(self, group, iface, false, "dropMembership")
end

local function source_membership(self, source, group, iface, join, syscall)
  check_running(self)
  if type(source) ~= "string" then
    errors.arg_type("sourceAddress", "of type string", source)
  end
  if type(group) ~= "string" then
    errors.arg_type("groupAddress", "of type string", group)
  end
  check_opt_string(iface, "interfaceAddress")
  local r = self._handle:set_source_membership(source, group, iface, join)
  if r ~= 0 then raise_uv(r, syscall) end
end

function Socket:addSourceSpecificMembership(source, group, iface)
  source_membership(self, source, group, iface, true,
                    "addSourceSpecificMembership")
end

function Socket:dropSourceSpecificMembership(source, group, iface)
  source_membership(self, source, group, iface, false,
                    "dropSourceSpecificMembership")
end

-- As in Node, no-ops on a closed socket.
-- Stricter than Node (a no-op there): API.md makes any use of a closed
-- socket raise ERR_SOCKET_DGRAM_NOT_RUNNING.
function Socket:ref()
  check_running(self)
  self._handle:ref()
  return self
end

function Socket:unref()
  check_running(self)
  self._handle:unref()
  return self
end


-- --------------------------------------------------------------- creation

-- Socket.new(type_or_options[, on_message]); called by EventEmitter's new
-- after the emitter state is set up.
function Socket.init(self, kind, listener)
  local opts
  if type(kind) == "table" then
    opts = kind
    kind = opts.type
  end
  local k = KINDS[kind]
  if k == nil then
    errors.type_error("ERR_SOCKET_BAD_TYPE",
                      "Bad socket type specified. Valid types are: udp4, udp6")
  end
  local lookup_fn = default_lookup
  if opts then
    if opts.lookup ~= nil then
      if type(opts.lookup) ~= "function" then
        errors.arg_type("lookup", "of type function", opts.lookup)
      end
      lookup_fn = opts.lookup
    end
    -- Checked now rather than when bound (Node throws from inside bind).
    local sizes
    if opts.recvBufferSize ~= nil then
      sizes = { recv = check_buffer_size(opts.recvBufferSize) }
    end
    if opts.sendBufferSize ~= nil then
      sizes = sizes or {}
      sizes.send = check_buffer_size(opts.sendBufferSize)
    end
    -- One field, and only when needed: see the end of this function.
    if sizes or opts.reuseAddr or opts.reusePort or opts.ipv6Only then
      self._opts = { buffer_sizes = sizes, reuse_addr = not not opts.reuseAddr,
                     reuse_port = not not opts.reusePort,
                     ipv6_only = not not opts.ipv6Only }
    end
  end
  local h, _, status = core.udp(k.fam)
  if h == nil then raise_uv(status, "socket") end
  self.type = kind
  self._kind = k
  self._handle = h                 -- nil once closed
  self._lookup = lookup_fn
  self._bind_state = UNBOUND
  self._connect_state = DISCONNECTED
  self._closed = false             -- close() was called
  self._busy = false               -- an operation waits for its lookup
  self._queue = false              -- operations waiting, in order (false,
                                   -- not nil: a present field is found
                                   -- without searching the classes)
  self._inflight = false           -- sends libuv queued (see do_send)
  refresh_fast(self)
  -- 13 fields with the emitter's two. A table of 9 to 16 takes 16 slots,
  -- and one more would double it: so the rest is in few fields that come
  -- and go (_opts, _bind_listener, _literal), on_sent lives in _inflight.
  if type(listener) == "function" then self:on("message", listener) end
end

-- createSocket(type_or_options[, on_message]) -> Socket
function dgram.createSocket(kind, listener)
  return Socket.new(kind, listener)
end

return dgram
