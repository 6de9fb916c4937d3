-- Helpers for busted suites that drive real sockets on the loop.
--
--   local T = require("ludp.test")
--   it("echoes", function()
--     T.run(function(done)
--       local s = dgram.createSocket("udp4")
--       s:on("message", T.expect(function(msg) s:close(done) end, 1))
--       ...
--     end)
--   end)
--
-- T.run runs the loop until done() is called; it fails when the watchdog
-- fires first (default 5 s), when a callback made by T.expect was called
-- another number of times than expected, or when handles are left active
-- after done() (sockets not closed, timers still pending).
--
-- A failed test reports its first failure only, and leaves nothing to the
-- next: what it left open is closed (the sockets it made, timers), its
-- immediates and nextTicks are dropped, the listeners it added to process
-- are removed. Sockets made before T.run are left to its caller.

local core = require("ludp.core")
local timers = require("timers")
local process = require("ludp.process")

-- The host's globals (setTimeout, process...), so that a spec runs the
-- same under busted --lua=lua5.4 as under busted --lua=ludp.
require("ludp").install_globals()

-- Under valgrind or GC stress (a full collection after every callback)
-- everything runs many times slower: the watchdog, there to stop a hang,
-- waits longer.
local function slowed()
  local v = os.getenv("LUDP_VALGRIND") or os.getenv("LUDP_GC_STRESS")
  return v ~= nil and v ~= "" and v ~= "0"
end

local T = { timeout = slowed() and 30000 or 5000 }

local expectations

-- The traceback of the caller 'level' up, down to the spec's own code:
-- the frames of this module and of busted say nothing about the test.
local function spec_frames(level)
  local frames = {}
  for line in debug.traceback("", level + 1):gmatch("[^\n]+") do
    if line:find("ludp/test.lua", 1, true) or line:find("/busted/", 1, true)
    then
      break
    end
    if line ~= "stack traceback:" then frames[#frames + 1] = line end
  end
  return table.concat(frames, "\n")
end

-- Wraps fn to count its calls; T.run checks the count is exactly n
-- (default 1) when done() is called.
function T.expect(fn, n)
  assert(expectations, "T.expect must be called inside T.run")
  local e = { n = n or 1, calls = 0, where = spec_frames(2) }
  expectations[#expectations + 1] = e
  return function(...)
    e.calls = e.calls + 1
    if fn then return fn(...) end
  end
end

local function describe_handles(h)
  local parts = {}
  for kind, n in pairs(h) do parts[#parts + 1] = kind .. "=" .. n end
  table.sort(parts)
  return table.concat(parts, ", ")
end

-- process's listeners, event by event, to put back after a failed test.
local function listeners_of(emitter)
  local kept = {}
  for _, name in ipairs(emitter:eventNames()) do
    local set = {}
    for _, fn in ipairs(emitter:rawListeners(name)) do set[fn] = true end
    kept[name] = set
  end
  return kept
end

local function remove_added(emitter, kept)
  for _, name in ipairs(emitter:eventNames()) do
    local set = kept[name] or {}
    for _, fn in ipairs(emitter:rawListeners(name)) do
      if not set[fn] then emitter:removeListener(name, fn) end
    end
  end
end

-- The sockets open now (those made before a test are its caller's).
local function open_sockets()
  local set = {}
  for _, socket in ipairs(core.udp_owners()) do set[socket] = true end
  return set
end

-- After a failure: the test's listeners on process go (a signal's handle
-- with them), its immediates are dropped, the sockets it made are closed
-- (through their close(), so that they are closed for their user too),
-- the timers closed, then the loop runs the close callbacks and the ticks
-- left. What its callbacks raise on the way is not reported: the first
-- failure is. A callback may open something again: a few rounds.
local function clean_up(kept, callers)
  for _ = 1, 10 do
    pcall(remove_added, process, kept)
    timers._drop_immediates()
    for _, socket in ipairs(core.udp_owners()) do
      if not callers[socket] then pcall(function() socket:close() end) end
    end
    core.close_handles("timer")
    local ok = pcall(core.run, "nowait")
    if ok and next(core.handles()) == nil then return end
  end
end

-- Runs body(done) and then the loop until done() is called.
function T.run(body, timeout)
  local finished, timed_out = false, false
  expectations = {}
  local kept, callers = listeners_of(process), open_sockets()
  local watchdog = core.timer()
  watchdog:start(timeout or T.timeout, 0, function()
    timed_out = true
    core.stop()
  end)
  local function done()
    if finished then error("done() called twice", 2) end
    finished = true
    watchdog:close()
    core.stop()                   -- after this pass, close callbacks included
  end
  local function fail(err, level)
    clean_up(kept, callers)
    error(err, level and level + 1 or 0)
  end
  local ok, err = pcall(function()
    body(done)
    core.run()
  end)
  if not finished and not watchdog:is_closing() then watchdog:close() end
  local mine = expectations
  expectations = nil
  if not ok then fail(err) end
  if timed_out then
    fail(string.format("timed out after %d ms before done() was called",
                       timeout or T.timeout), 2)
  end
  if not finished then fail("the loop ended before done() was called", 2) end
  for _, e in ipairs(mine) do
    if e.calls ~= e.n then
      local where = e.where ~= "" and ", made by T.expect at\n" .. e.where
                    or ""
      fail(string.format("callback expected %d call(s), got %d%s", e.n,
                         e.calls, where), 2)
    end
  end
  ok, err = pcall(core.run, "nowait")  -- close callbacks of done() finish
  if not ok then fail(err) end
  local left = core.handles()
  if next(left) then
    fail("handles left active after done(): " .. describe_handles(left), 2)
  end
end

-- A free UDP port on 127.0.0.1 (it may be taken by someone else later:
-- prefer binding to port 0 and reading address().port).
function T.port(family)
  local _, u = core.udp(family == 6 and 6 or 4)
  u:bind(family == 6 and "::1" or "127.0.0.1", 0)
  local _, _, port = u:getsockname()
  u:close()
  core.run("nowait")
  return port
end

return T
