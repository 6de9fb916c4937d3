-- Spec for lua/ludp/async.lua: ludp.async, ludp.sleep and ludp.wait, the
-- coroutines themselves. Every way out of a wait (the event, its
-- 'error', a timeout, collection), misuse outside ludp.async, and an
-- error inside one, which is uncaught with the coroutine's traceback.

local ludp = require("ludp")
local EventEmitter = require("events")
local T = require("ludp.test")
local raised = require("helpers").raised

local function full_gc()
  collectgarbage()
  collectgarbage()
end

describe("ludp.async", function()
  it("runs fn(...) at once in a new coroutine and returns it", function()
    local log = {}
    local co = ludp.async(function(a, b)
      log[#log + 1] = a + b
      log[#log + 1] = coroutine.isyieldable()
    end, 1, 2)
    assert.same({ 3, true }, log, "ran before ludp.async returned")
    assert.equal("thread", type(co))
    assert.equal("dead", coroutine.status(co))
  end)

  it("refuses what is not a function", function()
    assert.equal("ERR_INVALID_ARG_TYPE", raised(ludp.async, 5).code)
  end)

  it("makes an error raised inside an uncaught error with the coroutine's " ..
     "traceback", function()
    local got
    local function thrower() error("boom") end
    T.run(function(done)
      process.once("uncaughtException", function(err)
        got = err
        done()
      end)
      ludp.async(function()
        ludp.sleep(1)
        thrower()
      end)
    end)
    assert.matches("boom", got)
    assert.matches("stack traceback:", got)
    assert.matches("in upvalue 'thrower'", got, 1, true)
  end)

  it("keeps an error table as it was thrown", function()
    local thrown, got = { reason = "x" }, nil
    T.run(function(done)
      process.once("uncaughtException", function(err)
        got = err
        done()
      end)
      ludp.async(function() error(thrown) end)
    end)
    assert.equal(thrown, got)
  end)
end)

describe("ludp.sleep", function()
  it("suspends only its coroutine for ms; the loop goes on", function()
    local log = {}
    T.run(function(done)
      ludp.async(function()
        log[#log + 1] = "start"
        ludp.sleep(30)
        log[#log + 1] = "woke"
        done()
      end)
      log[#log + 1] = "after async"
      setTimeout(function() log[#log + 1] = "timer" end, 1)
    end)
    assert.same({ "start", "after async", "timer", "woke" }, log)
  end)

  it("raises outside ludp.async and for a bad ms", function()
    assert.equal("ERR_INVALID_STATE", raised(ludp.sleep, 1).code)
    ludp.async(function()
      assert.equal("ERR_INVALID_ARG_TYPE", raised(ludp.sleep, "1").code)
      assert.equal("ERR_INVALID_ARG_TYPE", raised(ludp.sleep).code)
      assert.equal("ERR_OUT_OF_RANGE", raised(ludp.sleep, -1).code)
      assert.equal("ERR_OUT_OF_RANGE", raised(ludp.sleep, 0 / 0).code)
    end)
  end)

  it("raises inside a coroutine that ludp.async did not run", function()
    ludp.async(function()
      local inner = coroutine.wrap(function() return raised(ludp.sleep, 1) end)
      assert.equal("ERR_INVALID_STATE", inner().code)
    end)
  end)
end)

describe("ludp.wait", function()
  it("returns the event's arguments and leaves no listener", function()
    local e = EventEmitter.new()
    T.run(function(done)
      ludp.async(function()
        assert.same({ 1, "two", 3 }, { ludp.wait(e, "ready") })
        assert.equal(0, e:listenerCount("ready"))
        assert.equal(0, e:listenerCount("error"))
        done()
      end)
      setTimeout(function() e:emit("ready", 1, "two", 3) end, 1)
    end)
  end)

  it("returns nil, err when 'error' comes first", function()
    local e = EventEmitter.new()
    local boom = { code = "EBOOM" }
    T.run(function(done)
      ludp.async(function()
        local v, err = ludp.wait(e, "ready")
        assert.is_nil(v)
        assert.equal(boom, err)
        assert.equal(0, e:listenerCount("ready"))
        done()
      end)
      setTimeout(function() e:emit("error", boom) end, 1)
    end)
  end)

  it("returns true for an event without arguments", function()
    local e = EventEmitter.new()
    T.run(function(done)
      ludp.async(function()
        assert.is_true(ludp.wait(e, "bare"))
        done()
      end)
      setTimeout(function() e:emit("bare") end, 1)
    end)
  end)

  it("waits for 'error' itself as any event", function()
    local e = EventEmitter.new()
    T.run(function(done)
      ludp.async(function()
        assert.equal("bad", ludp.wait(e, "error"))
        done()
      end)
      setTimeout(function() e:emit("error", "bad") end, 1)
    end)
  end)

  it("returns nil, ETIMEDOUT after the timeout, listeners gone", function()
    local e = EventEmitter.new()
    T.run(function(done)
      ludp.async(function()
        local v, err = ludp.wait(e, "never", 20)
        assert.is_nil(v)
        assert.equal("ETIMEDOUT", err.code)
        assert.equal(0, e:listenerCount("never"))
        assert.equal(0, e:listenerCount("error"))
        e:emit("never")               -- too late: nothing resumes twice
        done()
      end)
    end)
  end)

  it("raises outside ludp.async and for bad arguments", function()
    local e = EventEmitter.new()
    assert.equal("ERR_INVALID_STATE", raised(ludp.wait, e, "x").code)
    ludp.async(function()
      assert.equal("ERR_INVALID_ARG_TYPE", raised(ludp.wait, 5, "x").code)
      assert.equal("ERR_INVALID_ARG_TYPE", raised(ludp.wait, e, nil).code)
      assert.equal("ERR_INVALID_ARG_TYPE", raised(ludp.wait, e, "x", "1").code)
    end)
  end)

  it("lets a coroutine that nothing will resume be collected", function()
    local ref = setmetatable({}, { __mode = "v" })
    do
      local e = EventEmitter.new()
      ref.co = ludp.async(function() ludp.wait(e, "never") end)
      ref.e = e
    end
    assert.equal("suspended", coroutine.status(ref.co))
    full_gc()
    assert.is_nil(ref.co)
    assert.is_nil(ref.e)
  end)
end)
