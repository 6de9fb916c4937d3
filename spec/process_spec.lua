-- Spec for lua/ludp/process.lua and the nextTick queue of src/loop.c:
-- Node's process object on the real loop, in-process under stock lua5.4.

local ludp = require("ludp")
ludp.install_globals()
local T = require("ludp.test")
local core = require("ludp.core")

-- An event list: log.push("x") records "x", log.add("x") returns a
-- callback that records it. The methods sit behind __index, so the list
-- compares with assert.same as a plain array.
local function recorder()
  local log, methods = {}, {}
  function methods.push(s) log[#log + 1] = s end
  function methods.add(s) return function() methods.push(s) end end
  return setmetatable(log, { __index = methods })
end

local raised = require("helpers").raised

-- Adds an 'uncaughtException' listener for the rest of the test.
local function on_uncaught(fn)
  process.on("uncaughtException", fn)
  finally(function() process.off("uncaughtException", fn) end)
end

describe("process", function()
  it("is the global installed by install_globals", function()
    assert.equal(require("ludp.process"), process)
  end)

  it("has an integer pid, this process's", function()
    assert.equal("integer", math.type(process.pid))
    assert.is_true(process.pid > 0)
    local f = io.open("/proc/self/stat")
    if f then
      local pid = f:read("n")
      f:close()
      assert.equal(pid, process.pid)
    end
  end)

  it("has a Node platform name", function()
    local known = { aix = true, darwin = true, freebsd = true, linux = true,
                    openbsd = true, sunos = true, win32 = true,
                    android = true, netbsd = true }
    assert.is_true(known[process.platform], tostring(process.platform))
    if io.open("/proc/self/stat") then
      assert.equal("linux", process.platform)
    end
  end)
end)

describe("process.nextTick", function()
  it("drains every tick after the current callback, before any other",
     function()
    local log = recorder()
    T.run(function(done)
      setTimeout(function()
        log.push("timer")
        setTimeout(function() log.push("timeout"); done() end, 0)
        setImmediate(log.add("immediate"))
        process.nextTick(function()
          log.push("tick 1")
          process.nextTick(log.add("tick 3"))   -- queued by a tick: same drain
        end)
        process.nextTick(log.add("tick 2"))
        log.push("timer end")
      end, 1)
    end)
    assert.same({ "timer", "timer end", "tick 1", "tick 2", "tick 3",
                  "immediate", "timeout" }, log)
  end)

  it("runs between two timers due in the same pass", function()
    local log = recorder()
    T.run(function(done)
      setTimeout(function()
        log.push("t1")
        process.nextTick(function()
          log.push("t1 tick")
          process.nextTick(log.add("t1 tick tick"))
        end)
      end, 2)
      setTimeout(function()
        log.push("t2")
        process.nextTick(log.add("t2 tick"))
        setImmediate(done)
      end, 2)
    end)
    assert.same({ "t1", "t1 tick", "t1 tick tick", "t2", "t2 tick" }, log)
  end)

  it("runs between two immediates of the same pass", function()
    local log = recorder()
    T.run(function(done)
      setImmediate(function()
        log.push("i1")
        process.nextTick(log.add("i1 tick"))
      end)
      setImmediate(function()
        log.push("i2")
        process.nextTick(function() log.push("i2 tick"); done() end)
      end)
    end)
    assert.same({ "i1", "i1 tick", "i2", "i2 tick" }, log)
  end)

  it("drains ticks of the main body before the loop's first callback",
     function()
    local log = recorder()
    T.run(function(done)
      local left = 2              -- their order is not fixed (as in Node)
      local function ran(what)
        return function()
          log.push(what)
          left = left - 1
          if left == 0 then done() end
        end
      end
      setImmediate(ran("immediate"))
      setTimeout(ran("timeout"), 1)
      process.nextTick(log.add("tick 1"))
      process.nextTick(log.add("tick 2"))
      log.push("body")
    end)
    assert.same({ "body", "tick 1", "tick 2" },
                { log[1], log[2], log[3] })
  end)

  it("passes extra arguments, nil ones included", function()
    local got
    T.run(function(done)
      process.nextTick(function(...)
        got = table.pack(...)
        done()
      end, "a", nil, 3, nil)
    end)
    assert.equal(4, got.n)
    assert.equal("a", got[1])
    assert.is_nil(got[2])
    assert.equal(3, got[3])
    assert.is_nil(got[4])
  end)

  it("raises ERR_INVALID_ARG_TYPE for a callback that is not a function",
     function()
    for _, bad in ipairs({ "fn", 1, {}, false }) do
      local err = raised(process.nextTick, bad)
      assert.equal("TypeError", err.name)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    end
    assert.equal("ERR_INVALID_ARG_TYPE", raised(process.nextTick).code)
  end)

  it("goes on with the queue after an error a listener handled", function()
    local log = recorder()
    on_uncaught(function(err) log.push("caught " .. tostring(err)) end)
    T.run(function(done)
      process.nextTick(function() error("first", 0) end)
      process.nextTick(function() log.push("second"); done() end)
    end)
    assert.same({ "caught first", "second" }, log)
  end)
end)

describe("process.env", function()
  local NAME = "LUDP_SPEC_ENV_" .. tostring(process.pid)

  after_each(function() process.env[NAME] = nil end)

  it("reads the real environment", function()
    assert.equal(os.getenv("PATH"), process.env.PATH)
    assert.is_nil(process.env[NAME])
    assert.is_nil(process.env[42])
  end)

  it("writes the real environment, as strings", function()
    process.env[NAME] = "value 1"
    assert.equal("value 1", os.getenv(NAME))
    assert.equal("value 1", process.env[NAME])
    process.env[NAME] = 42
    assert.equal("42", process.env[NAME])
    assert.equal("42", os.getenv(NAME))
  end)

  it("removes a variable set to nil", function()
    process.env[NAME] = "x"
    process.env[NAME] = nil
    assert.is_nil(os.getenv(NAME))
    assert.is_nil(process.env[NAME])
  end)

  it("iterates with pairs, new variables included", function()
    process.env[NAME] = "seen"
    local all = {}
    for k, v in pairs(process.env) do
      assert.is_string(k)
      assert.is_string(v)
      all[k] = v
    end
    assert.equal("seen", all[NAME])
    assert.equal(os.getenv("PATH"), all.PATH)
  end)

  it("raises ERR_INVALID_ARG_TYPE for a name that is not a string",
     function()
    local err = raised(function() process.env[1] = "x" end)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
  end)
end)

describe("process.hrtime", function()
  it("returns { seconds, nanoseconds } as integers", function()
    local t = process.hrtime()
    assert.equal(2, #t)
    assert.equal("integer", math.type(t[1]))
    assert.equal("integer", math.type(t[2]))
    assert.is_true(t[1] >= 0)
    assert.is_true(t[2] >= 0 and t[2] < 1000000000)
  end)

  it("is monotonic", function()
    local prev = process.hrtime()
    for _ = 1, 1000 do
      local now = process.hrtime()
      assert.is_true(now[1] > prev[1]
                     or (now[1] == prev[1] and now[2] >= prev[2]))
      prev = now
    end
  end)

  it("gives the time since a previous reading", function()
    local start = process.hrtime()
    local d = process.hrtime(start)
    assert.is_true(d[1] >= 0)
    assert.is_true(d[2] >= 0 and d[2] < 1000000000)
    assert.equal("ERR_INVALID_ARG_TYPE",
                 raised(process.hrtime, "not a table").code)
  end)

  it("hrtime.bigint() gives monotonic integer nanoseconds", function()
    local prev = process.hrtime.bigint()
    assert.equal("integer", math.type(prev))
    for _ = 1, 1000 do
      local now = process.hrtime.bigint()
      assert.is_true(now >= prev)
      prev = now
    end
    local t = process.hrtime()
    local ns = process.hrtime.bigint()
    assert.is_true(ns >= t[1] * 1000000000 + t[2])
  end)
end)

describe("process.on / once / off", function()
  local EVENT = "ludp-spec-event"

  after_each(function() process.removeAllListeners(EVENT) end)

  it("work with a dot, as in Node", function()
    local got = {}
    local function f(v) got[#got + 1] = v end
    assert.equal(process, process.on(EVENT, f))
    assert.is_true(process.emit(EVENT, 1))
    assert.equal(1, process.listenerCount(EVENT))
    assert.equal(process, process.off(EVENT, f))
    assert.is_false(process.emit(EVENT, 2))
    process.once(EVENT, f)
    process.emit(EVENT, 3)
    process.emit(EVENT, 4)
    assert.same({ 1, 3 }, got)
    assert.equal(0, process.listenerCount(EVENT))
  end)

  it("work with a colon too", function()
    local got = {}
    local function f(v) got[#got + 1] = v end
    assert.equal(process, process:on(EVENT, f))
    process:emit(EVENT, 1)
    assert.equal(1, process:listenerCount(EVENT))
    process:off(EVENT, f)
    process:emit(EVENT, 2)
    process:once(EVENT, f)
    process:emit(EVENT, 3)
    process:emit(EVENT, 4)
    assert.same({ 1, 3 }, got)
  end)

  it("mix: on with a colon, off with a dot", function()
    local n = 0
    local function f() n = n + 1 end
    process:on(EVENT, f)
    process.off(EVENT, f)
    process.emit(EVENT)
    assert.equal(0, n)
  end)
end)

describe("'uncaughtException'", function()
  it("receives the value thrown by a timer, unchanged", function()
    local thrown = { "a table" }
    local got = {}
    on_uncaught(function(err, origin) got[#got + 1] = { err, origin } end)
    T.run(function(done)
      setTimeout(function() error(thrown) end, 1)
      setTimeout(function() error(42) end, 1)
      setTimeout(done, 1)
    end)
    assert.equal(2, #got)
    assert.equal(thrown, got[1][1])
    assert.equal("uncaughtException", got[1][2])
    assert.equal(42, got[2][1])
    assert.equal("integer", math.type(got[2][1]))
  end)

  it("receives errors of timers, ticks, immediates and 'error' events;"
     .. " the loop goes on", function()
    local log = recorder()
    on_uncaught(function(err)
      log.push(type(err) == "table" and err.code or err)
    end)
    T.run(function(done)
      setTimeout(function()
        setImmediate(function() error("immediate", 0) end)
        setImmediate(function() log.push("after"); done() end)
        process.nextTick(function() error("tick", 0) end)
        require("events").new():emit("error", "no listener")
      end, 1)
    end)
    assert.same({ "ERR_UNHANDLED_ERROR", "tick", "immediate", "after" }, log)
  end)

  it("receives error objects as they were raised", function()
    local got
    on_uncaught(function(err) got = err end)
    T.run(function(done)
      setTimeout(function()
        setTimeout("not a function")
      end, 1)
      setTimeout(done, 1)
    end)
    assert.equal("TypeError", got.name)
    assert.equal("ERR_INVALID_ARG_TYPE", got.code)
    assert.equal(require("ludp.errors").is_error(got), true)
    assert.matches("stack traceback:", got.stack, 1, true)
  end)
end)

describe("an uncaught error in library mode", function()
  it("is raised by ludp.run()", function()
    local ok, err = pcall(ludp.run)
    assert.is_true(ok)
    assert.is_false(err)
    setTimeout(function() error("boom in a timer", 0) end, 1)
    ok, err = pcall(ludp.run)
    assert.is_false(ok)
    assert.equal("boom in a timer", err)
  end)

  it("keeps the thrown value", function()
    local thrown = {}
    setImmediate(function() error(thrown) end)
    local ok, err = pcall(ludp.run)
    assert.is_false(ok)
    assert.equal(thrown, err)
  end)

  it("stops the loop: no callback runs after it; the next run goes on",
     function()
    local log = recorder()
    setTimeout(function()
      setImmediate(log.add("immediate"))
      process.nextTick(log.add("tick"))
      error("stop", 0)
    end, 1)
    setTimeout(log.add("set after"), 1)
    local ok, err = pcall(ludp.run)
    assert.is_false(ok)
    assert.equal("stop", err)
    assert.same({}, log)
    setTimeout(log.add("next run"), 1)
    assert.is_false(ludp.run())
    local seen = {}
    for _, what in ipairs(log) do seen[what] = true end
    assert.is_true(seen["next run"])
    ludp.run("nowait")
    assert.same({}, core.handles())
  end)

  it("from a tick queued before run(), leaves the next run whole", function()
    process.nextTick(function() error("tick before run", 0) end)
    local ok, err = pcall(ludp.run)
    assert.is_false(ok)
    assert.equal("tick before run", err)
    -- The whole loop, not one pass: both timers fire in this run.
    local log = recorder()
    setTimeout(log.add("a"), 1)
    setTimeout(log.add("b"), 5)
    assert.is_false(ludp.run())
    assert.same({ "a", "b" }, log)
  end)

  it("is not raised when a listener handled it", function()
    local caught
    on_uncaught(function(err) caught = err end)
    setTimeout(function() error("handled", 0) end, 1)
    assert.is_false(ludp.run())
    assert.equal("handled", caught)
  end)

  it("raised by an 'uncaughtException' listener goes to run()", function()
    on_uncaught(function() error("from the listener", 0) end)
    setTimeout(function() error("first", 0) end, 1)
    local ok, err = pcall(ludp.run)
    assert.is_false(ok)
    assert.equal("from the listener", err)
  end)
end)

describe("signals", function()
  it("a listener gets the signal's name and the process lives on", function()
    local got = {}
    T.run(function(done)
      local keep = setTimeout(function() error("no signal came") end, 60000)
      local function on_signal(name)
        got[#got + 1] = name
        process.off("SIGUSR2", on_signal)
        clearTimeout(keep)
        done()
      end
      process.on("SIGUSR2", on_signal)
      process.kill(process.pid, "SIGUSR2")
    end)
    assert.same({ "SIGUSR2" }, got)
  end)

  it("once: the listener runs once and the handle closes", function()
    local n = 0
    T.run(function(done)
      local keep = setTimeout(function() error("no signal came") end, 60000)
      process.once("SIGUSR2", function(name)
        n = n + 1
        assert.equal("SIGUSR2", name)
        assert.equal(0, process.listenerCount("SIGUSR2"))
        clearTimeout(keep)
        done()
      end)
      assert.equal(1, core.handles().signal)
      process.kill(process.pid, "SIGUSR2")
    end)
    assert.equal(1, n)
  end)

  it("a listener alone does not keep the loop alive", function()
    local function on_signal() end
    process.on("SIGUSR2", on_signal)
    finally(function() process.off("SIGUSR2", on_signal) end)
    assert.is_false(ludp.run())
  end)

  it("removing the last listener closes the signal handle", function()
    local function on_signal() end
    process.on("SIGUSR2", on_signal)
    assert.equal(1, core.handles().signal)
    process.off("SIGUSR2", on_signal)
    ludp.run("nowait")
    assert.is_nil(core.handles().signal)
  end)
end)
