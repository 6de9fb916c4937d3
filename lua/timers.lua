-- timers: setTimeout, setInterval and setImmediate as in Node.js.
--
-- Each timeout owns a libuv timer, so timeouts set with equal delays fire
-- in the order they were set (libuv breaks ties by start order). Immediates
-- run in the check phase from one queue; an idle handle keeps the poll
-- phase from blocking while referenced immediates wait, as Node does.

local core = require("ludp.core")
local errors = require("ludp.errors")

local timers = {}

local TIMEOUT_MAX = 2147483647
local pack, unpack = table.pack, table.unpack

local function check_callback(fn)
  if type(fn) ~= "function" then
    errors.arg_type("callback", "of type function", fn)
  end
end

-- Node: a delay that is not a number in [1, TIMEOUT_MAX] becomes 1 ms.
local function delay_of(ms)
  ms = tonumber(ms)
  if not ms or not (ms >= 1 and ms <= TIMEOUT_MAX) then return 1 end
  return math.floor(ms)
end

-- Binds extra arguments, avoiding a closure when there are none.
local function bind_args(fn, ...)
  if select("#", ...) == 0 then return fn end
  local args = pack(...)
  return function() return fn(unpack(args, 1, args.n)) end
end

-- ----------------------------------------------------------------- Timeout

local Timeout = { __name = "Timeout" }
Timeout.__index = Timeout
timers.Timeout = Timeout

local function new_timeout(fn, ms, repeating, ...)
  check_callback(fn)
  local t = setmetatable({
    _handle = core.timer(),
    _delay = delay_of(ms),
    _repeat = repeating,
    _cleared = false,
  }, Timeout)
  t._onfire = bind_args(fn, ...)
  t:_arm()
  return t
end

function Timeout:_arm()
  self._handle:start(self._delay, self._repeat and self._delay or 0,
                     self._onfire)
end

-- Keeps the process alive while pending (the default).
function Timeout:ref()
  if not self._cleared then self._handle:ref() end
  return self
end

-- Lets the process exit while the timer is pending.
function Timeout:unref()
  if not self._cleared then self._handle:unref() end
  return self
end

function Timeout:hasRef()
  return not self._cleared and self._handle:has_ref()
end

-- Restarts the timer from now with its delay, even after it fired.
function Timeout:refresh()
  if not self._cleared then self:_arm() end
  return self
end

function Timeout:close()
  timers.clearTimeout(self)
  return self
end

-- `local t <close> = setTimeout(...)`: cleared at the end of the scope.
function Timeout:__close()
  timers.clearTimeout(self)
end

function Timeout:__tostring()
  return string.format("Timeout<%d ms%s>", self._delay,
                       self._repeat and ", repeating" or "")
end

function timers.setTimeout(fn, ms, ...)
  return new_timeout(fn, ms, false, ...)
end

function timers.setInterval(fn, ms, ...)
  return new_timeout(fn, ms, true, ...)
end

-- Accepts nil and anything that is not a timer, as Node does.
function timers.clearTimeout(t)
  if getmetatable(t) == Timeout then
    if not t._cleared then
      t._cleared = true
      t._handle:close()
    end
  elseif getmetatable(t) == timers.Immediate then
    timers.clearImmediate(t)
  end
end
timers.clearInterval = timers.clearTimeout

-- --------------------------------------------------------------- Immediate

local Immediate = { __name = "Immediate" }
Immediate.__index = Immediate
timers.Immediate = Immediate

-- A doubly linked queue; 'refs' counts the referenced ones waiting.
local first, last, refs, seq = nil, nil, 0, 0
local check, idle         -- created on first use: start-up stays small
local running = false     -- whether the check handle is started

local function unlink(i)
  if i._prev then i._prev._next = i._next else first = i._next end
  if i._next then i._next._prev = i._prev else last = i._prev end
  i._prev, i._next, i._queued = nil, nil, false
  if i._ref then refs = refs - 1 end
end

local function update_handles()
  if first == nil and running then
    running = false
    check:stop()
  end
  if refs == 0 then idle:stop() end
end

-- Runs the immediates queued before this pass; later ones wait a pass.
local function run_immediates()
  local stop = seq
  while first and first._seq <= stop and not core.failed() do
    local i = first
    unlink(i)
    core.invoke(i._onrun)
  end
  update_handles()
end

function timers.setImmediate(fn, ...)
  check_callback(fn)
  if not check then
    check, idle = core.check(), core.idle()
    check:unref()             -- only referenced immediates keep us alive
  end
  seq = seq + 1
  local i = setmetatable({ _onrun = bind_args(fn, ...), _ref = true,
                           _queued = true, _seq = seq }, Immediate)
  if last then last._next, i._prev = i, last else first = i end
  last = i
  refs = refs + 1
  if not running then
    running = true
    check:start(run_immediates)
  end
  if refs == 1 then idle:start() end
  return i
end

function timers.clearImmediate(i)
  if getmetatable(i) == Immediate and i._queued then
    unlink(i)
    update_handles()
  end
end

-- Drops every immediate waiting (ludp.test, after a failed test: they
-- belong to it, and must not run in the next one).
function timers._drop_immediates()
  while first do unlink(first) end
  if check then update_handles() end
end

function Immediate:ref()
  if self._queued and not self._ref then
    refs = refs + 1
    idle:start()
  end
  self._ref = true
  return self
end

function Immediate:unref()
  if self._queued and self._ref then
    refs = refs - 1
    update_handles()
  end
  self._ref = false
  return self
end

function Immediate:hasRef()
  return self._ref
end

-- `local i <close> = setImmediate(...)`: cleared at the end of the scope.
function Immediate:__close()
  timers.clearImmediate(self)
end

return timers
