-- ludp.async: request and response without callbacks. Coroutines run on
-- the loop; what waits suspends only its own coroutine.
--
--   local ludp = require("ludp")
--   ludp.async(function()
--     local reply, rinfo = sock:request("ping", 53, "127.0.0.1",
--                                       { timeout = 200, retries = 3 })
--   end)
--
-- Owns: ludp.async, ludp.sleep, ludp.wait, and the socket methods recv,
-- request and messages (installed on dgram's Socket, as
-- ludp/socket_options does), with the waiters they keep per socket.
--
-- A socket's waiters live in its _waiters (made by its first recv or
-- request). While it has any, the binding hands each datagram to
-- dispatch below, which gives it to the oldest waiter that takes it,
-- else to the 'message' listeners; without waiters the binding calls the
-- listeners directly again, as for any socket (dgram's
-- _listeners_changed asks this module which). A socket without
-- listeners reads only while a waiter waits: what arrives in between
-- stays in the kernel's buffer. What one receive batch brought after its
-- last waiter left is kept for the next recv (backlog), as the rest of a
-- batch cannot be given back.

local core = require("ludp.core")
local errors = require("ludp.errors")
local validators = require("ludp.validators")

local type, select, pcall, math_type = type, select, pcall, math.type
local create, resume, yield, running, costatus =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.running,
  coroutine.status
local next_tick, isip = core.next_tick, core.isip
local check_socket, check_any_socket =
  validators.check_socket, validators.check_any_socket

local UV_ETIMEDOUT = core.errno.ETIMEDOUT
local TIMEOUT_MAX = 2147483647

local async = {}

-- The coroutines ludp.async runs -> their task: { co, w (what it waits
-- for), timer (made on first use, reused), on_timer }. Weak: a task that
-- nothing can resume goes with its coroutine.
local tasks = setmetatable({}, { __mode = "k" })


-- ------------------------------------------------------------------ tasks

-- Raises an uncaught error on the loop: a string carries the
-- coroutine's traceback, where it was thrown.
local function rethrow(err)
  error(err, 0)
end

local function finished(task, ok, ...)
  if costatus(task.co) == "dead" then
    if task.timer then task.timer:close() end
    task.w = nil
    if not ok then
      local err = ...
      if type(err) == "string" then err = debug.traceback(task.co, err) end
      next_tick(rethrow, err)
    end
  end
end

local function step(task, ...)
  return finished(task, resume(task.co, ...))
end

-- The task waiting for w goes on with the values given; nothing when it
-- waits for something else (a timeout came first, or the reverse).
local function wake(task, w, ...)
  if task.w ~= w then return end
  task.w = nil
  local t = task.timer
  if t then t:stop() end
  step(task, ...)
end

-- A value a waiter is woken with to raise err inside its coroutine.
local RAISE = {}

local function resumed(a, ...)
  if a == RAISE then error((...), 0) end
  return a, ...
end

-- Suspends the task until w is woken, or ms pass: then w.timeout(task, w).
-- A wait without a timeout closes the task's timer: a task that waits
-- for ever holds nothing of the loop's (a stopped timer keeps its
-- callback referenced).
local function suspend(task, w, ms)
  task.w = w
  local t = task.timer
  if ms then
    if not t then
      t = core.timer()
      task.timer = t
    end
    t:start(ms, 0, task.on_timer)
  elseif t then
    t:close()
    task.timer = false
  end
  return resumed(yield())
end

local function current(name)
  local co, main = running()
  local task = not main and tasks[co]
  if not task then
    errors.raise("Error", "ERR_INVALID_STATE", "Invalid state: " .. name ..
                 " must be called inside a coroutine run by ludp.async")
  end
  return task
end

-- A timeout in ms: nil (none) or a number 0..TIMEOUT_MAX.
local function check_ms(v, name)
  if v == nil then return nil end
  if type(v) ~= "number" then
    errors.arg_type(name, "of type number", v)
  end
  if not (v >= 0 and v <= TIMEOUT_MAX) then
    errors.range_error("ERR_OUT_OF_RANGE", string.format(
      'The value of "%s" is out of range. It must be >= 0 and <= %d. ' ..
      "Received %s", name, TIMEOUT_MAX, tostring(v)))
  end
  return math.ceil(v)
end

local function timed_out(syscall)
  return errors.uv(UV_ETIMEDOUT, syscall)
end

local function not_running()
  return errors.new("Error", "ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running", 2)
end

-- ludp.async(fn, ...) -> the coroutine, started at once.
function async.async(fn, ...)
  if type(fn) ~= "function" then
    errors.arg_type("fn", "of type function", fn)
  end
  local co = create(fn)
  local task = { co = co, w = false, timer = false }
  task.on_timer = function()
    local w = task.w
    if w then w.timeout(task, w) end
  end
  tasks[co] = task
  step(task, ...)
  return co
end

local function sleep_over(task, w)
  wake(task, w)
end

function async.sleep(ms)
  local task = current("ludp.sleep")
  ms = check_ms(ms, "ms")
  if ms == nil then errors.arg_type("ms", "of type number", ms) end
  suspend(task, { timeout = sleep_over }, ms)
end

-- Wakes the task even when removing its listeners raises (a
-- 'removeListener' listener): a task left waiting would keep its timer.
local function wait_done(task, w, ...)
  local ok, err = pcall(w.cleanup)
  wake(task, w, ...)
  if not ok then error(err, 0) end
end

local function wait_over(task, w)
  wait_done(task, w, nil, timed_out("wait"))
end

-- ludp.wait(emitter, event[, timeout]) -> the event's arguments (true
-- for an event without any), or nil, err (its 'error' first, or
-- ETIMEDOUT), as Node's events.once.
function async.wait(emitter, event, timeout)
  local task = current("ludp.wait")
  if type(emitter) ~= "table" or type(emitter.on) ~= "function" then
    errors.arg_type("emitter", "an EventEmitter", emitter)
  end
  if event == nil or event ~= event then
    errors.arg_type("event", "a non-nil value", event)
  end
  local ms = check_ms(timeout, "timeout")
  local w = { timeout = wait_over }
  local on_event, on_error
  function w.cleanup()
    emitter:removeListener(event, on_event)
    if on_error then emitter:removeListener("error", on_error) end
  end
  on_event = function(...)
    if select("#", ...) == 0 then   -- something to test: 'listening'
      return wait_done(task, w, true)
    end
    wait_done(task, w, ...)
  end
  emitter:on(event, on_event)
  if event ~= "error" then
    on_error = function(err)
      wait_done(task, w, nil, err)
    end
    emitter:on("error", on_error)
  end
  return suspend(task, w, ms)
end


-- ---------------------------------------------------------------- waiters

-- A socket's waiters: a list, oldest first; what its last batch left.
local Waiters = {}
Waiters.__index = Waiters

local function link(r, w)
  local last = r.last
  w.prev, w.next = last, nil
  if last then last.next = w else r.first = w end
  r.last = w
end

local function unlink(r, w)
  if w.prev then w.prev.next = w.next else r.first = w.next end
  if w.next then w.next.prev = w.prev else r.last = w.prev end
  w.prev, w.next = nil, nil
  w.linked = false
end

-- Whether waiter w takes the datagram; a match that raises fails its
-- request with that error.
local function takes(w, msg, rinfo)
  if w.port and (rinfo.port ~= w.port or rinfo.address ~= w.address) then
    return false
  end
  local match = w.match
  if match == nil then return true end
  local ok, yes = pcall(match, msg, rinfo)
  if not ok then return nil, yes end
  return yes
end

-- No waiter is left: the listeners take the datagrams again; a socket
-- without any stops reading once its batch is delivered (not before: a
-- stop would drop the rest of the batch), from a timer of 0 ms made for
-- it (timers' immediates would keep a handle of their own for good).
local function stop_if_idle(r)
  r.stop_due:close()
  r.stop_due = false
  if r.first == nil and r.listeners == nil then
    r.sock:_read(false)
    r.reading = false
  end
end

local function idle(r)
  if r.listeners ~= nil then
    r.sock:_deliver_to(r.listeners)
  elseif not r.stop_due then
    local t = core.timer()
    r.stop_due = t
    t:start(0, 0, function() stop_if_idle(r) end)
  end
end

-- The binding's message function while the socket has waiters, or has
-- none and no listeners (then what its batch still brings is kept).
local function dispatch(r, msg, rinfo)
  local w = r.first
  while w do
    local yes, err = takes(w, msg, rinfo)
    if yes or err then
      unlink(r, w)
      if err then
        wake(w.task, w, RAISE, err)
      else
        wake(w.task, w, msg, rinfo)
      end
      -- after the wake: a loop of requests has its next one waiting
      if r.first == nil then idle(r) end
      return
    end
    w = w.next
  end
  local l = r.listeners
  if l ~= nil then return l(msg, rinfo) end
  if r.first == nil then
    local b = r.backlog
    b.tail = b.tail + 1
    b[b.tail] = msg
    b[b.tail + 0.5] = rinfo
  end
end

-- dgram's _listeners_changed: what the binding is to call.
function Waiters:listeners_changed(stored)
  self.listeners = stored
  if stored ~= nil and not self.reading then  -- stopped while nobody read
    self.reading = self.sock:_read(true) == 0
  end
  if self.first == nil then
    if stored ~= nil then return stored end
    idle(self)
  end
  return self.on_message
end

-- close(): every waiter gets ERR_SOCKET_DGRAM_NOT_RUNNING, after close()
-- has returned.
function Waiters:closed()
  local w = self.first
  while w do
    local n = w.next
    unlink(self, w)
    next_tick(wake, w.task, w, nil, not_running())
    w = n
  end
  self.backlog = { head = 1, tail = 0 }
end

local function waiters_of(sock)
  local r = sock._waiters
  if r then return r end
  r = setmetatable({ sock = sock, first = nil, last = nil,
                     backlog = { head = 1, tail = 0 }, stop_due = false,
                     reading = false,
                     listeners = sock._events.message }, Waiters)
  r.on_message = function(msg, rinfo) return dispatch(r, msg, rinfo) end
  sock._waiters = r
  return r
end

-- The oldest datagram of the backlog that w takes, removed; those before
-- it that w refuses go, as they would have had w waited when they came.
local function from_backlog(r, w)
  local b = r.backlog
  while b.head <= b.tail do
    local i = b.head
    local msg, rinfo = b[i], b[i + 0.5]
    b[i], b[i + 0.5] = nil, nil
    b.head = i + 1
    local yes, err = takes(w, msg, rinfo)
    if err then error(err, 0) end
    if yes then return msg, rinfo end
  end
  b.head, b.tail = 1, 0
  return nil
end

-- Waits for a datagram w takes: from the backlog, else from the socket.
local function receive(sock, r, task, w, ms)
  local msg, rinfo = from_backlog(r, w)
  if msg ~= nil then return msg, rinfo end
  link(r, w)
  w.linked = true
  if r.first == w then              -- the first: datagrams come here now
    sock:_deliver_to(r.on_message)
    if not r.reading then r.reading = sock:_read(true) == 0 end
  end
  return suspend(task, w, ms)
end

-- Ends w's wait with nil, err (or RAISE, err).
local function give_up(task, w, a, err)
  local r = w.r
  if w.linked then unlink(r, w) end
  wake(task, w, a, err)
  if r.first == nil then idle(r) end
end

local function recv_over(task, w)
  give_up(task, w, nil, timed_out("recv"))
end

-- The options table of recv, messages and request, checked.
local function check_opts(opts)
  if opts ~= nil and type(opts) ~= "table" then
    errors.arg_type("options", "of type table", opts)
  end
  return opts or {}
end


-- ------------------------------------------------------- socket methods

local methods = {}

-- sock:recv([opts]) -> msg, rinfo; nil, err on timeout or close.
function methods:recv(opts)
  check_any_socket(self)             -- a unix socket too
  local task = current("recv")
  local ms = check_ms(check_opts(opts).timeout, "options.timeout")
  if self._closed then return nil, not_running() end
  local r = waiters_of(self)
  return receive(self, r, task, { task = task, r = r, timeout = recv_over }, ms)
end

-- for msg, rinfo in sock:messages([opts]): ends on close or a timeout.
function methods:messages(opts)
  check_any_socket(self)
  current("messages")
  check_ms(check_opts(opts).timeout, "options.timeout")
  return function()
    return self:recv(opts)
  end
end

-- A resend after each timeout while retries are left, then ETIMEDOUT.
-- Sent as send(msg, port, address) is, without a callback: so it may
-- join the replies of a receive batch (one sendmmsg); a failure is the
-- socket's 'error', as for any such send, and the request waits on.
local function send_request(w)
  if w.port then
    w.sock:send(w.msg, w.port, w.address)
  else
    w.sock:send(w.msg)
  end
end

-- A resend that raises (a lookup of the socket's own) raises in the
-- request's coroutine.
local function request_over(task, w)
  if w.left > 0 and not w.sock._closed then
    w.left = w.left - 1
    local ok, err = pcall(send_request, w)
    if ok then return task.timer:start(w.ms, 0, task.on_timer) end
    return give_up(task, w, RAISE, err)
  end
  give_up(task, w, nil, timed_out("request"))
end

local function resolve(sock, task, host)
  local w = { timeout = false }
  local done = false
  local function answer(err, ip)
    if done then return end
    done = true
    if task.w == w then
      wake(task, w, err, ip)
    else
      w.err, w.ip = err, ip
    end
  end
  sock._lookup(host, sock._kind.fam, answer)
  if done then return w.err, w.ip end
  return suspend(task, w)
end

-- sock:request(msg, port[, address][, opts]) -> reply, rinfo; nil, err.
-- On a connected socket: sock:request(msg[, opts]).
function methods:request(msg, port, address, opts)
  check_socket(self)
  local task = current("request")
  if type(address) == "table" and opts == nil then
    opts, address = address, nil
  end
  local connected = port == nil or type(port) == "table"
  if connected then opts, port = port, nil end
  opts = check_opts(opts)
  local ms = check_ms(opts.timeout, "options.timeout") or 1000
  local retries = opts.retries
  if retries == nil then
    retries = 2
  elseif math_type(retries) ~= "integer" or retries < 0 then
    errors.arg_type("options.retries", "an integer >= 0", retries)
  end
  local match = opts.match
  if match ~= nil and type(match) ~= "function" then
    errors.arg_type("options.match", "of type function", match)
  end
  if self._closed then return nil, not_running() end
  local r = waiters_of(self)
  if not connected then
    if math_type(port) ~= "integer" or port < 1 or port > 65535 then
      port = validators.check_port(port, false)
    end
    if address == nil or address == "" then address = self._kind.loopback end
    if type(address) ~= "string" then
      validators.check_opt_string(address, "address")
    end
    if address ~= r.literal and isip(address) ~= 0 then
      r.literal = address         -- the last literal: no isip next time
    elseif address ~= r.literal then
      local err, ip = resolve(self, task, address)
      if err then return nil, err end
      if type(ip) ~= "string" then
        return nil, errors.uv(core.errno.EINVAL, "send", address, port)
      end
      address = ip
      if self._closed then return nil, not_running() end
    end
  end
  local w = { task = task, r = r, timeout = request_over, sock = self,
              msg = msg, port = port, address = address, match = match,
              ms = ms, left = retries }
  send_request(w)
  return receive(self, r, task, w, ms)
end

-- Adds recv, request and messages to Socket.
function async.install(Socket)
  for name, fn in pairs(methods) do Socket[name] = fn end
end

return async
