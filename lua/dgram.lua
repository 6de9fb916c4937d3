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
-- lib/dgram.js: the forms of the arguments (their checks are
-- ludp/validators.lua, the socket options ludp/socket_options.lua), the
-- bind and connect states, the queue of what is asked before the socket
-- is ready, error objects and events.
--
-- What the binding needs from here it is handed through calls, never read
-- from this table: the function each datagram goes to (set_onmessage,
-- kept equal to the 'message' listeners), and whether Socket.send's
-- reply form may be done in C (set_fast).
--
-- User code is never called from inside the call that caused it:
-- 'listening', 'connect', 'close' and the callbacks of bind, send,
-- connect and close run later, from core.next_tick (Node's
-- process.nextTick) or from a callback of the loop.
--
-- Where Node leaves the order of datagrams to its lookups, this module
-- keeps it: sends and connects made while the socket binds, or while an
-- earlier send waits for its host name, wait in one queue and go out in
-- the order they were made.

local core = require("ludp.core")
local errors = require("ludp.errors")
local dns = require("dns")
local validators = require("ludp.validators")
local socket_options = require("ludp.socket_options")
local socket_events = require("ludp.socket_events")
local readiness = require("ludp.readiness")   -- counts binds for READY=1
local unix_socket = require("ludp.unix_socket")
local control = require("ludp.socket_control")
local socket_queries = require("ludp.socket_queries")
local async = require("ludp.async")
local backpressure = require("ludp.backpressure")
local EventEmitter = require("events")

local type, select, rawlen = type, select, rawlen
local math_type = math.type
local next_tick, isip = core.next_tick, core.isip
local truthy, check_port, check_opt_string, check_integer,
      check_running, raise_uv,
      check_message, slice =
  validators.truthy, validators.check_port, validators.check_opt_string,
  validators.check_integer,
  validators.check_running, validators.raise_uv,
  validators.check_message, validators.slice
local buffer_size_error = socket_options.buffer_size_error

local UV_EINVAL = core.errno.EINVAL

-- Bind states and connect states, as in lib/dgram.js.
local UNBOUND, BINDING, BOUND = 0, 1, 2
local DISCONNECTED, CONNECTING, CONNECTED = 0, 1, 2

-- Kinds of operations in the queue.
local SEND, CONNECT = 1, 2

-- What differs between the socket types (validators checks that a
-- method's receiver has one as its _kind; "unix" is ludp/unix_socket.lua).
local KINDS = validators.KINDS

-- The options of a socket created without any (see Socket.init).
local NO_OPTS = {}

-- Largest size setsockopt takes (an int); Node reports EINVAL above it.
local INT_MAX = validators.INT_MAX

local Socket = EventEmitter:extend()
Socket.__name = "Socket"

local dgram = { Socket = Socket, BlockList = require("ludp.blocklist") }


-- ---------------------------------------------------------------- lookup

-- The default resolver is dns.lookup; a literal answers here at once
-- (before it returns; callers defer what users see). cb(err, address,
-- family).
local function default_lookup(host, family, cb)
  local fam = isip(host)
  if fam ~= 0 then return cb(nil, host, fam) end
  dns.lookup(host, family, cb)
end

-- Whether send(msg, port, address) may take the binding's reply path
-- (see Socket.send): bound, unconnected, open, the default lookup, nothing
-- waiting. Called wherever one of these changes, to tell the binding.
local function refresh_fast(self)
  local h = self._handle
  if h then
    h:set_fast(self._bind_state == BOUND
      and self._connect_state == DISCONNECTED and not self._closed
      and not self._queue and not self._busy
      and self._lookup == default_lookup
      and not (self._opts and self._opts.send_block))
  end
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

local emit_listening, emit_connect, emit_close, emit_error, report =
  socket_events.emit_listening, socket_events.emit_connect,
  socket_events.emit_close, socket_events.emit_error, socket_events.report

-- The failure callback of the binding, one for all sockets (no closure
-- per socket): onerror(self, status) for a receive error, and
-- onerror(self, status, "send", address, port) for a batched reply the
-- kernel refused (it had no callback). As any failure: none after close.
-- Datagrams themselves go from the binding straight to the 'message'
-- listeners (see Socket:_listeners_changed).
local function on_failure(self, status, syscall, address, port)
  emit_error(self, errors.uv(status, syscall or "recvmsg", address, port))
end

-- events.lua calls this whenever an event's listeners change: the
-- binding calls the 'message' listener, or the array that calls them all,
-- with (msg, rinfo) for each datagram; nil drops them, as emit would.
-- A socket that recv or request used (ludp.async) says what it takes.
function Socket:_listeners_changed(event, stored)
  if event == "message" then
    local w = self._waiters
    if w then stored = w:listeners_changed(stored) end
    self:_deliver_to(stored)
  end
end

-- Hands the binding what each datagram goes to (the block list's filter
-- in front of it when the socket has one): the one place that does, for
-- the listeners here and for ludp.async's waiters.
function Socket:_deliver_to(fn)
  local h = self._handle
  if h then h:set_onmessage(control.onmessage(self, fn)) end
end

-- Starts or stops reading a bound socket, for ludp.async, which reads a
-- socket without listeners only while one of its coroutines waits.
function Socket:_read(on)
  local h = self._handle
  if h and self._bind_state == BOUND then
    if on then return h:recv_start(on_failure) end
    return h:recv_stop()
  end
end

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
    local o = self._opts
    if o and o.send_hwm then backpressure.sent(self, o) end
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
    q = { head = 1, tail = 0, bytes = 0 }  -- bytes: its sends' (backpressure)
    self._queue = q
    refresh_fast(self)
  end
  q.tail = q.tail + 1
  q[q.tail] = op
  if op.data then q.bytes = q.bytes + #op.data end
end

-- Sends data now; host and port are nil on a connected socket, ip is what
-- the lookup gave for host.
local function do_send(self, data, host, port, cb, err, ip)
  if not err and self._opts then err = control.send_blocked(self, ip) end
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
      -- with sendHighWaterMark, every byte held is one libuv reports
      f.defer = not (self._opts and self._opts.send_hwm)
      self._inflight = f
    end
    status, bytes = self._handle:send(data, ip, port, f.on_sent,
                                      cb == nil and f.defer)
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
  if not err and self._opts then err = control.send_blocked(self, ip) end
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
  self._busy = op                  -- also against sends made by the lookup
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

-- close() on a bound socket: the operation whose lookup runs and those
-- queued behind it are dropped, so that a lookup that never answers
-- cannot hold the close back. A send's callback gets
-- ERR_SOCKET_DGRAM_NOT_RUNNING; a connect's listener goes. A lookup
-- answering later finds no handle.
local function abandon(self)
  local ops, q = {}, self._queue
  if type(self._busy) == "table" then ops[1] = self._busy end
  if q then table.move(q, q.head, q.tail, #ops + 1, ops) end
  self._queue, self._busy = false, false
  for i = 1, #ops do
    local op = ops[i]
    if op.cb and op.kind == CONNECT then
      self:removeListener("connect", op.cb)
    elseif op.cb then
      next_tick(op.cb, errors.new("Error", "ERR_SOCKET_DGRAM_NOT_RUNNING",
                                  "Not running"))
    end
  end
end

-- Runs the queue while the socket is bound and not waiting; a closed
-- socket closes its handle once the queue is empty.
function pump(self)
  local q = self._queue
  while q and not self._busy and self._bind_state == BOUND do
    local op = q[q.head]
    q[q.head] = nil
    q.head = q.head + 1
    if op.data then q.bytes = q.bytes - #op.data end
    if q.head > q.tail then self._queue = false end
    refresh_fast(self)
    run(self, op)
    q = self._queue
  end
  if self._closed and self._handle and not self._queue
     and not self._busy then
    finish_close(self)
  end
  local o = self._opts
  if o and o.send_hwm then backpressure.sent(self, o) end
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

-- Starts receiving, applies the buffer sizes of the options and runs what
-- waited for the bind (lib/dgram.js's startListening, less the event).
local function start_listening(self)
  local h = self._handle
  self._bind_state = BOUND
  refresh_fast(self)
  if not self._closed then
    local r = h:recv_start(on_failure)
    if r ~= 0 then report(self, nil, errors.uv(r, "recvStart")) end
    for which, size in pairs(self._opts and self._opts.buffer_sizes or {}) do
      -- above INT_MAX setsockopt cannot take it: EINVAL, as Node reports
      local status = UV_EINVAL
      if size <= INT_MAX then status = h:buffer_size(which, size) end
      if status ~= 0 then
        report(self, nil, buffer_size_error(status, which))
      end
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
  readiness.bind_ended()
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
  readiness.bind_started()
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
      readiness.bind_ended()
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
  check_running(self)              -- first: closed is closed
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
local send_with_mark = backpressure.send_with(send)


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
  local status, address, port, family = self._handle:getpeername()
  if status ~= 0 then raise_uv(status, "getpeername") end
  return { address = address, family = family, port = port }
end


-- ------------------------------------------------------------------ close

-- close([callback]): 'close' is emitted once, on a later tick. Sends and
-- connects queued before the bind go out first; once bound, the handle
-- closes at once, and a send still waiting for its lookup is not sent
-- (its callback gets ERR_SOCKET_DGRAM_NOT_RUNNING). The socket is closed
-- for its user at once.
function Socket:close(callback)
  check_running(self)
  if type(callback) == "function" then self:on("close", callback) end
  self._closed = true
  refresh_fast(self)
  self._handle:recv_stop()         -- harmless when not receiving
  if self._waiters then self._waiters:closed() end
  if self._bind_state == BOUND then abandon(self) end
  if not self._queue and not self._busy then finish_close(self) end
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
  if k.unix then return unix_socket.init(self, opts, listener) end
  -- A plain type string too: a worker's default reusePort is an option.
  local lookup_fn, kept = socket_options.parse_create(opts or NO_OPTS)
  lookup_fn = lookup_fn or default_lookup
  self._opts = kept
  local status, h = core.udp(k.fam, self)
  if status ~= 0 then raise_uv(status, "socket") end
  self.type = kind
  self._kind = k
  self._handle = h                 -- nil once closed
  self._lookup = lookup_fn
  self._bind_state = UNBOUND
  self._connect_state = DISCONNECTED
  self._closed = false             -- close() was called
  self._busy = false               -- the operation waiting for its lookup
  self._queue = false              -- operations waiting, in order (false,
                                   -- not nil: a present field is found
                                   -- without searching the classes)
  self._inflight = false           -- sends libuv queued (see do_send)
  control.setup(self)
  if kept and kept.send_hwm then self.send = send_with_mark end
  refresh_fast(self)
  -- 12 fields with the emitter's two. A table of 9 to 16 takes 16 slots,
  -- and one more would double it: so the rest is in few fields that come
  -- and go (_opts, _bind_listener, _literal), on_sent lives in _inflight.
  if type(listener) == "function" then self:on("message", listener) end
end

socket_options.install(Socket)
unix_socket.install(Socket)
async.install(Socket)
socket_queries.install(Socket, { UNBOUND = UNBOUND, BINDING = BINDING,
  CONNECTING = CONNECTING, CONNECTED = CONNECTED })

-- createSocket(type_or_options[, on_message]) -> Socket
function dgram.createSocket(kind, listener)
  return Socket.new(kind, listener)
end

return dgram
