-- ludp.unix_socket: dgram's Socket for type "unix", Unix-domain datagram
-- sockets, over the binding of src/unix_dgram.c (core.unix_dgram).
--
--   local s = dgram.createSocket("unix")
--   s:on("message", function(msg, rinfo) print(msg, rinfo.address) end)
--   s:bind("/run/my.sock")            -- or "@name": the abstract namespace
--   other:send("hi", "/run/my.sock")
--
-- A unix socket is an instance of a subclass of Socket (tostring says
-- "Socket<unix ...>", errors "an instance of Socket"), made by
-- Socket.init when the type is "unix" (see dgram.lua): what is the same
-- (events, the 'message' listeners handed to the binding, ref/unref,
-- buffer sizes, the send queue's size) it inherits; bind, send, connect,
-- disconnect, the addresses and close are its own, and what only IP has
-- (TTLs, broadcast, multicast) raises ERR_SOCKET_BAD_TYPE, as does any
-- other method of Socket called on it (validators.check_socket): reply,
-- the IP options, request. pause, resume and stats are its own, over the
-- binding's calls of the same names as udp.c's.
--
-- There is nothing to resolve and every call of the binding answers at
-- once, so there is no queue of operations here: a send goes to the
-- binding at once, which sends it or keeps it in order until the kernel
-- takes it. As in Node, what users see happens on a later tick.

local core = require("ludp.core")
local errors = require("ludp.errors")
local validators = require("ludp.validators")
local socket_options = require("ludp.socket_options")
local socket_events = require("ludp.socket_events")

local type, format = type, string.format
local next_tick = core.next_tick
local check_socket, check_running, raise_uv, check_message, slice,
      check_no_nul =
  validators.check_any_socket, validators.check_any_running,
  validators.raise_uv,
  validators.check_message, validators.slice, validators.check_no_nul

local UNIX = validators.KINDS.unix

-- sizeof(sun_path): a path takes it with its NUL, a name with its '@'.
local SUN_PATH = 108

local unix_socket = {}


-- ------------------------------------------------------------- arguments

-- A path argument: a string, not empty, shorter than sun_path; a file's
-- path without NUL ('@' names the abstract namespace, where any byte
-- goes).
local function check_path(path, name)
  if type(path) ~= "string" then
    errors.arg_type(name, "of type string", path)
  end
  local n = #path
  if n == 0 then
    errors.invalid_value(name, path, "must not be empty")
  end
  if path:byte(1) == 64 then           -- '@'
    if n == 1 then
      errors.invalid_value(name, path, "must have a name after '@'")
    end
  else
    check_no_nul(path, name)
  end
  if n >= SUN_PATH then
    errors.invalid_value(name, path, format("must be shorter than %d bytes",
                                            SUN_PATH))
  end
  return path
end

local function not_connected()
  errors.raise("Error", "ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected")
end


-- ---------------------------------------------------------------- events

local emit_listening, emit_connect, emit_close, emit_error, report =
  socket_events.emit_listening, socket_events.emit_connect,
  socket_events.emit_close, socket_events.emit_error, socket_events.report

-- The binding's failure callback, one for all sockets.
local function on_failure(self, status)
  emit_error(self, errors.uv(status, "recvmsg"))
end

-- on_sent(status) of one socket: the binding completes the sends it
-- queued in order, so their callbacks wait in a FIFO.
local function send_completer(self)
  return function(status)
    local f = self._inflight
    local s = f[f.head]
    f[f.head] = nil
    f.head = f.head + 1
    if status < 0 then
      local err = errors.uv(status, "send", s.path)
      if s.cb then s.cb(err) else emit_error(self, err) end
    elseif s.cb then
      s.cb(nil, s.bytes)
    end
  end
end


-- --------------------------------------------------------------- methods

local methods = {}

-- bind([path][, callback]): without a path the kernel gives the socket an
-- abstract name of its own (as port 0 does). 'listening' follows, or
-- 'error' (EADDRINUSE when the file exists: a live socket's, or one left
-- behind by a process that did not close it).
function methods:bind(path, callback)
  check_running(self)
  if self._bound then
    errors.raise("Error", "ERR_SOCKET_ALREADY_BOUND", "Socket is already bound")
  end
  if type(path) == "function" then path, callback = nil, path end
  if type(path) == "table" then path = path.path end
  if path ~= nil then check_path(path, "path") end
  if type(callback) ~= "function" then callback = nil end
  local r = self._handle:bind(path)
  if r ~= 0 then
    report(self, nil, errors.uv(r, "bind", path))
    return self
  end
  self._bound = true
  if callback then self:once("listening", callback) end
  r = self._handle:recv_start(on_failure)
  if r ~= 0 then report(self, nil, errors.uv(r, "recvStart")) end
  next_tick(emit_listening, self)
  return self
end

-- send(msg[, offset, length], path[, callback]); on a connected socket
-- send(msg[, offset, length][, callback]). callback(err, bytes).
function methods:send(msg, ...)
  check_running(self)
  local a, b, c, d = ...
  if type(a) == "number" then            -- offset, length
    msg = slice(msg, a, b)
    a, b = c, d
  end
  local path, callback
  if self._connected then
    if a ~= nil and type(a) ~= "function" then
      errors.raise("Error", "ERR_SOCKET_DGRAM_IS_CONNECTED",
                   "Already connected")
    end
    callback = a
    if a == nil then callback = b end   -- send(msg, nil, callback)
  else
    path, callback = check_path(a, "path"), b
  end
  if type(callback) ~= "function" then callback = nil end
  local data = check_message(msg)
  local f = self._inflight
  if not f then
    f = { head = 1, tail = 0 }
    f.on_sent = send_completer(self)
    self._inflight = f
  end
  local status, bytes = self._handle:send(data, path, f.on_sent)
  if status == 0 then
    if callback then next_tick(callback, nil, bytes) end
  elseif status == 1 then
    local len = type(data) == "string" and #data or #table.concat(data)
    f.tail = f.tail + 1
    f[f.tail] = { cb = callback, bytes = len, path = path }
  else
    report(self, callback, errors.uv(status, "send", path))
  end
end

-- connect(path[, callback]): sends without a path go there, and only
-- datagrams from there are received. Fails with ENOENT (no such file) or
-- ECONNREFUSED (a file no socket is bound to), to the callback or as
-- 'error'.
function methods:connect(path, callback)
  check_running(self)
  check_path(path, "path")
  if callback ~= nil and type(callback) ~= "function" then
    errors.arg_type("callback", "of type function", callback)
  end
  if self._connected then
    errors.raise("Error", "ERR_SOCKET_DGRAM_IS_CONNECTED", "Already connected")
  end
  local r = self._handle:connect(path)
  if r ~= 0 then return report(self, callback, errors.uv(r, "connect", path)) end
  self._connected = true
  if callback then self:once("connect", callback) end
  next_tick(emit_connect, self)
end

function methods:disconnect()
  check_running(self)
  if not self._connected then not_connected() end
  local r = self._handle:connect(nil)
  if r ~= 0 then raise_uv(r, "connect") end
  self._connected = false
end

-- { address = path, family = "unix" }; EBADF when not bound, as an
-- unbound UDP socket's.
function methods:address()
  check_running(self)
  if not self._bound then raise_uv(core.errno.EBADF, "getsockname") end
  local status, path = self._handle:getsockname()
  if status ~= 0 then raise_uv(status, "getsockname") end
  return { address = path, family = "unix" }
end

function methods:remoteAddress()
  check_running(self)
  if not self._connected then not_connected() end
  local status, path = self._handle:getpeername()
  if status ~= 0 then raise_uv(status, "getpeername") end
  return { address = path, family = "unix" }
end

-- close([callback]): the descriptor closes at once, with the file bind()
-- made (if it is still that file); sends still waiting for the kernel
-- are cancelled (ECANCELED to their callbacks); 'close' follows.
function methods:close(callback)
  check_running(self)
  if type(callback) == "function" then self:on("close", callback) end
  self._closed = true
  local h = self._handle
  self._handle = nil
  h:close()
  next_tick(emit_close, self)
  return self
end

-- "Socket<unix /run/x.sock bound>", "Socket<unix unbound>",
-- "Socket<unix @name connected to /run/y.sock>", "Socket<unix closed>".
function methods.__tostring(self)
  check_socket(self)
  if self._closed then return "Socket<unix closed>" end
  local h, parts = self._handle, {}
  if self._bound then
    local status, path = h:getsockname()
    if status == 0 then parts[#parts + 1] = path end
  end
  if self._connected then
    local status, peer = h:getpeername()
    parts[#parts + 1] = status == 0 and "connected to " .. peer or "connected"
  elseif self._bound then
    parts[#parts + 1] = "bound"
  else
    parts[#parts + 1] = "unbound"
  end
  return "Socket<unix " .. table.concat(parts, " ") .. ">"
end

function methods.__close(self)
  if type(self) == "table" and not self._closed and self._handle then
    self:close()
  end
end

-- What only IP sockets have.
local function unsupported(name)
  return function(self)
    check_running(self)
    errors.type_error("ERR_SOCKET_BAD_TYPE", name ..
                      " is not supported by a socket of type unix")
  end
end

for _, name in ipairs({ "setBroadcast", "setTTL", "setMulticastTTL",
                        "setMulticastLoopback", "setMulticastInterface",
                        "addMembership", "dropMembership",
                        "addSourceSpecificMembership",
                        "dropSourceSpecificMembership" }) do
  methods[name] = unsupported(name)
end

-- pause(), resume() and stats() are Socket's (ludp/socket_control.lua):
-- the binding has the same calls.

-- Starts or stops reading a bound socket, for ludp.async's recv and
-- messages (as Socket:_read).
function methods:_read(on)
  local h = self._handle
  if h and self._bound then
    if on then return h:recv_start(on_failure) end
    return h:recv_stop()
  end
end

-- As Socket's, for either type: no-ops on a closed socket.
function methods:ref()
  check_socket(self)
  if not self._closed then self._handle:ref() end
  return self
end

function methods:unref()
  check_socket(self)
  if not self._closed then self._handle:unref() end
  return self
end


-- -------------------------------------------------------------- creation

local UnixSocket

-- Socket.init for type "unix": self is a new Socket (its emitter state
-- made); it becomes a UnixSocket. opts: createSocket's table, or nil.
function unix_socket.init(self, opts, listener)
  local kept
  if opts then
    local _
    _, kept = socket_options.parse_create(opts)
  end
  local status, h = core.unix_dgram(self)
  if status ~= 0 then raise_uv(status, "socket") end
  setmetatable(self, UnixSocket)
  self.type = "unix"
  self._kind = UNIX
  self._handle = h                 -- nil once closed
  self._bound = false
  self._connected = false
  self._closed = false
  self._inflight = false           -- sends the binding queued
  for which, size in pairs(kept and kept.buffer_sizes or {}) do
    local r = validators.INT_MAX < size and core.errno.EINVAL
              or h:buffer_size(which, size)
    if r ~= 0 then
      report(self, nil, socket_options.buffer_size_error(r, which))
    end
  end
  if type(listener) == "function" then self:on("message", listener) end
end

-- Makes the class, a subclass of Socket; done by dgram.lua once Socket
-- has all its methods.
function unix_socket.install(Socket)
  UnixSocket = Socket:extend()
  for name, fn in pairs(methods) do UnixSocket[name] = fn end
end

return unix_socket
