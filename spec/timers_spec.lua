-- Spec for lua/timers.lua: setTimeout, setInterval and setImmediate on the
-- real loop, run in-process with require("ludp").run() (through T.run).
-- Orders are asserted exactly from recorded event lists; timings never.

local ludp = require("ludp")
ludp.install_globals()
local T = require("ludp.test")
local timers = require("timers")

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

-- Runs the loop until nothing referenced is left and close callbacks ran.
local function settle()
  ludp.run()
  ludp.run("nowait")
end

describe("globals", function()
  it("are the functions of the timers module", function()
    for _, name in ipairs({ "setTimeout", "clearTimeout", "setInterval",
                            "clearInterval", "setImmediate",
                            "clearImmediate" }) do
      assert.is_function(_G[name], name)
      assert.equal(timers[name], _G[name], name)
    end
  end)
end)

describe("setTimeout", function()
  it("fires timeouts with equal delays in the order they were set", function()
    local log = recorder()
    T.run(function(done)
      for i = 1, 6 do
        setTimeout(function()
          log.push(i)
          if i == 6 then done() end
        end, 3)
      end
    end)
    assert.same({ 1, 2, 3, 4, 5, 6 }, log)
  end)

  it("treats 0, nil and 1 ms alike (1 ms, as Node), in set order", function()
    local log = recorder()
    T.run(function(done)
      setTimeout(log.add("one"), 1)
      setTimeout(log.add("zero"), 0)
      setTimeout(log.add("none"))
      setTimeout(log.add("negative"), -5)
      setTimeout(function() log.push("last"); done() end, 1)
    end)
    assert.same({ "one", "zero", "none", "negative", "last" }, log)
  end)

  it("fires a shorter delay set later before a longer one set first",
     function()
    local log = recorder()
    T.run(function(done)
      setTimeout(function() log.push("long"); done() end, 20)
      setTimeout(log.add("short"), 1)
    end)
    assert.same({ "short", "long" }, log)
  end)

  -- Not a timing assertion: a lower bound that only a bug breaks. The
  -- loop's clock has millisecond steps, so allow one millisecond.
  it("counts the delay from when it is set, even after a long callback",
     function()
    local function busy(ms)
      local stop = process.hrtime.bigint() + ms * 1000000
      while process.hrtime.bigint() < stop do end
    end
    local elapsed = {}
    T.run(function(done)
      setImmediate(function()
        busy(40)                  -- the loop's cached time is now stale
        local t0 = process.hrtime.bigint()
        setTimeout(function()
          elapsed[#elapsed + 1] = (process.hrtime.bigint() - t0) // 1000000
          done()
        end, 20)
      end)
    end)
    busy(40)                      -- between two runs of the loop
    local t0 = process.hrtime.bigint()
    setTimeout(function()
      elapsed[#elapsed + 1] = (process.hrtime.bigint() - t0) // 1000000
    end, 20)
    assert.is_false(ludp.run())
    assert.equal(2, #elapsed)
    assert.is_true(elapsed[1] >= 19, "fired after " .. elapsed[1] .. " ms")
    assert.is_true(elapsed[2] >= 19, "fired after " .. elapsed[2] .. " ms")
  end)

  it("passes extra arguments to the callback, nil ones included", function()
    local got
    T.run(function(done)
      setTimeout(T.expect(function(...)
        got = table.pack(...)
        done()
      end), 1, nil, "b", nil, 4)
    end)
    assert.equal(4, got.n)
    assert.is_nil(got[1])
    assert.equal("b", got[2])
    assert.is_nil(got[3])
    assert.equal(4, got[4])
  end)

  it("passes no arguments when none are given", function()
    local n
    T.run(function(done)
      setTimeout(function(...)
        n = select("#", ...)
        done()
      end, 1)
    end)
    assert.equal(0, n)
  end)

  it("returns a timer object with ref, unref, hasRef and refresh", function()
    local t = setTimeout(function() end, 1)
    assert.is_function(t.ref)
    assert.is_function(t.unref)
    assert.is_function(t.hasRef)
    assert.is_function(t.refresh)
    clearTimeout(t)
    settle()
  end)

  it("fires a timeout that no variable holds", function()
    T.run(function(done)
      setTimeout(T.expect(function() done() end), 1)
      collectgarbage()
      collectgarbage()
    end)
  end)

  it("raises ERR_INVALID_ARG_TYPE for a callback that is not a function",
     function()
    for _, bad in ipairs({ "fn", 1, true, {} }) do
      local err = raised(setTimeout, bad, 1)
      assert.equal("TypeError", err.name)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.matches('The "callback" argument must be of type function',
                     err.message, 1, true)
    end
    local err = raised(setTimeout)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.equal("ERR_INVALID_ARG_TYPE", raised(setInterval, nil, 1).code)
    assert.equal("ERR_INVALID_ARG_TYPE", raised(setImmediate, 42).code)
    assert.same({}, require("ludp.core").handles())
  end)
end)

describe("clearTimeout", function()
  it("accepts nil and values that are not timers", function()
    assert.has_no.errors(function()
      clearTimeout(nil)
      clearTimeout()
      clearInterval(nil)
      clearImmediate(nil)
      clearTimeout(12)
      clearTimeout("x")
      clearTimeout({})
    end)
  end)

  it("cancels a pending timeout", function()
    local log = recorder()
    T.run(function(done)
      local t = setTimeout(log.add("cleared"), 1)
      setTimeout(function() log.push("kept"); done() end, 1)
      clearTimeout(t)
    end)
    assert.same({ "kept" }, log)
  end)

  it("cancels a timeout due in the same pass from an earlier one", function()
    local log = recorder()
    T.run(function(done)
      local second
      setTimeout(function() log.push("first"); clearTimeout(second) end, 2)
      second = setTimeout(log.add("second"), 2)
      setTimeout(function() log.push("third"); done() end, 2)
    end)
    assert.same({ "first", "third" }, log)
  end)

  it("can be called twice, and after the timeout fired", function()
    T.run(function(done)
      local t
      t = setTimeout(T.expect(function()
        clearTimeout(t)
        clearTimeout(t)
        done()
      end), 1)
    end)
  end)

  it("clears an interval too (clearTimeout and clearInterval are one)",
     function()
    local n = 0
    T.run(function(done)
      local iv
      iv = setInterval(function()
        n = n + 1
        clearTimeout(iv)
        setImmediate(done)
      end, 1)
    end)
    settle()
    assert.equal(1, n)
  end)
end)

describe("setInterval", function()
  it("repeats until clearInterval is called from inside the callback",
     function()
    local got = {}
    T.run(function(done)
      local iv
      iv = setInterval(function(a, b)
        got[#got + 1] = { a, b }
        if #got == 3 then
          clearInterval(iv)
          setImmediate(done)
        end
      end, 1, "x", nil)
    end)
    settle()                      -- nothing pending: no fourth call
    assert.same({ { "x", nil }, { "x", nil }, { "x", nil } }, got)
  end)

  it("passes a nil extra argument and keeps the count", function()
    local n
    T.run(function(done)
      local iv
      iv = setInterval(function(...)
        n = select("#", ...)
        clearInterval(iv)
        done()
      end, 1, nil, nil)
    end)
    assert.equal(2, n)
  end)

  it("keeps firing after an uncaught error is handled", function()
    local calls, caught = 0, {}
    local function on_error(err) caught[#caught + 1] = err end
    process.on("uncaughtException", on_error)
    finally(function() process.off("uncaughtException", on_error) end)
    T.run(function(done)
      local iv
      iv = setInterval(function()
        calls = calls + 1
        if calls == 3 then
          clearInterval(iv)
          done()
        else
          error("tick " .. calls, 0)
        end
      end, 1)
    end)
    assert.equal(3, calls)
    assert.same({ "tick 1", "tick 2" }, caught)
  end)
end)

describe("Timeout:refresh", function()
  it("re-arms a timeout that already fired", function()
    local n = 0
    T.run(function(done)
      local t
      t = setTimeout(function()
        n = n + 1
        if n == 1 then
          assert.equal(t, t:refresh())
        else
          done()
        end
      end, 1)
    end)
    assert.equal(2, n)
  end)

  it("moves a pending timeout behind those set after it", function()
    local log = recorder()
    T.run(function(done)
      local a = setTimeout(function() log.push("a"); done() end, 5)
      setTimeout(log.add("b"), 5)
      a:refresh()
    end)
    assert.same({ "b", "a" }, log)
  end)

  it("does nothing on a cleared timeout", function()
    local log = recorder()
    T.run(function(done)
      local t = setTimeout(log.add("cleared"), 1)
      clearTimeout(t)
      t:refresh()
      setTimeout(function() log.push("other"); done() end, 1)
    end)
    assert.same({ "other" }, log)
  end)
end)

describe("ref and unref", function()
  it("hasRef is true by default and follows ref/unref, which chain",
     function()
    local t = setTimeout(function() end, 60000)
    assert.is_true(t:hasRef())
    assert.equal(t, t:unref())
    assert.is_false(t:hasRef())
    assert.equal(t, t:ref())
    assert.is_true(t:hasRef())
    clearTimeout(t)
    settle()
  end)

  it("an unref'd timer does not keep the loop alive", function()
    local fired = false
    local t = setTimeout(function() fired = true end, 60000)
    t:unref()
    assert.is_false(ludp.run())
    assert.is_false(fired)
    assert.is_false(t:hasRef())
    clearTimeout(t)
    settle()
  end)

  it("an unref'd interval does not keep the loop alive", function()
    local n = 0
    local iv = setInterval(function() n = n + 1 end, 60000):unref()
    assert.is_false(ludp.run())
    assert.equal(0, n)
    clearInterval(iv)
    settle()
  end)

  it("an unref'd timer still fires while something else keeps the loop",
     function()
    local log = recorder()
    T.run(function(done)
      setTimeout(log.add("unref'd"), 1):unref()
      setTimeout(function() log.push("ref'd"); done() end, 10)
    end)
    assert.same({ "unref'd", "ref'd" }, log)
  end)

  it("ref() again makes the timer keep the loop alive", function()
    local fired = 0
    local t = setTimeout(function() fired = fired + 1 end, 1)
    t:unref()
    t:ref()
    assert.is_false(ludp.run())
    assert.equal(1, fired)
    settle()
  end)

  it("ludp.run() returns false once nothing referenced is left", function()
    setTimeout(function() end, 1)
    assert.is_false(ludp.run())
    assert.same({}, require("ludp.core").handles())
  end)
end)

describe("setImmediate", function()
  it("runs immediates in the order they were set, with their arguments",
     function()
    local got = {}
    T.run(function(done)
      for i = 1, 4 do
        setImmediate(function(...) got[#got + 1] = table.pack(...) end,
                     i, nil, "z")
      end
      setImmediate(done)
    end)
    assert.equal(4, #got)
    for i = 1, 4 do
      assert.equal(3, got[i].n)
      assert.equal(i, got[i][1])
      assert.is_nil(got[i][2])
      assert.equal("z", got[i][3])
    end
  end)

  it("runs immediates added by an immediate on the next pass", function()
    local log = recorder()
    setImmediate(function()
      log.push("a")
      setImmediate(log.add("c"))
    end)
    setImmediate(log.add("b"))
    ludp.run("nowait")              -- one pass: one check phase
    assert.same({ "a", "b" }, log)
    ludp.run("nowait")
    assert.same({ "a", "b", "c" }, log)
    settle()
    assert.same({}, require("ludp.core").handles())
  end)

  it("runs before a timeout set in the same timer callback", function()
    local log = recorder()
    T.run(function(done)
      setTimeout(function()
        setTimeout(function() log.push("timeout"); done() end, 0)
        setImmediate(log.add("immediate"))
      end, 1)
    end)
    assert.same({ "immediate", "timeout" }, log)
  end)

  it("returns an Immediate with ref, unref and hasRef", function()
    local ran = false
    local i = setImmediate(function() ran = true end)
    assert.is_true(i:hasRef())
    assert.equal(i, i:unref())
    assert.is_false(i:hasRef())
    assert.is_false(ludp.run())       -- an unref'd immediate alone: no pass
    assert.is_false(ran)
    assert.equal(i, i:ref())
    assert.is_true(i:hasRef())
    assert.is_false(ludp.run())
    assert.is_true(ran)
    assert.same({}, require("ludp.core").handles())
  end)
end)

describe("clearImmediate", function()
  it("cancels a pending immediate", function()
    local log = recorder()
    T.run(function(done)
      local i = setImmediate(log.add("cleared"))
      setImmediate(function() log.push("kept"); done() end)
      clearImmediate(i)
    end)
    assert.same({ "kept" }, log)
  end)

  it("cancels a later immediate of the same pass", function()
    local log = recorder()
    T.run(function(done)
      local second
      setImmediate(function() log.push("first"); clearImmediate(second) end)
      second = setImmediate(log.add("second"))
      setImmediate(function() log.push("third"); done() end)
    end)
    assert.same({ "first", "third" }, log)
  end)

  it("is harmless twice and after the immediate ran", function()
    T.run(function(done)
      local i
      i = setImmediate(T.expect(function()
        clearImmediate(i)
        clearImmediate(i)
        done()
      end))
    end)
  end)

  it("leaves no handle active when the last immediate is cleared", function()
    local i = setImmediate(function() end)
    clearImmediate(i)
    assert.is_false(ludp.run())
    ludp.run("nowait")
    assert.same({}, require("ludp.core").handles())
  end)
end)
