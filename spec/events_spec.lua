-- Spec for lua/events.lua: Node.js's EventEmitter in Lua (emitting and
-- listeners; classes, listener queries and limits are in
-- events_classes_spec).

local eh = require("events_helpers")   -- before events: stubs the core
local EventEmitter = require("events")
local errors = require("ludp.errors")
local recorder = eh.recorder
local raised = require("helpers").raised

describe("module", function()
  it("returns the class, also as .EventEmitter", function()
    assert.is_table(EventEmitter)
    assert.are.equal(EventEmitter, EventEmitter.EventEmitter)
    assert.are.equal(EventEmitter, require("events"))
  end)

  it("makes independent emitters with new()", function()
    local a, b = EventEmitter.new(), EventEmitter.new()
    local rec = recorder()
    a:on("x", rec.fn)
    assert.is_false(b:emit("x"))
    assert.are.equal(0, b:listenerCount("x"))
    assert.is_true(a:emit("x"))
    assert.are.equal(1, #rec.calls)
  end)

  it("has defaultMaxListeners 10", function()
    assert.are.equal(10, EventEmitter.defaultMaxListeners)
    assert.are.equal(10, EventEmitter.new():getMaxListeners())
  end)

  it("names instances in tostring", function()
    assert.matches("^EventEmitter: ", tostring(EventEmitter.new()))
  end)
end)

describe("on and emit", function()
  it("calls listeners in the order added", function()
    local e, order = EventEmitter.new(), {}
    e:on("x", function() order[#order + 1] = 1 end)
    e:on("x", function() order[#order + 1] = 2 end)
    e:addListener("x", function() order[#order + 1] = 3 end)
    e:emit("x")
    assert.are.same({ 1, 2, 3 }, order)
  end)

  it("passes the arguments only, nils included", function()
    local e, rec = EventEmitter.new(), recorder()
    e:on("x", rec.fn)
    e:emit("x", 1, nil, "b", nil)
    assert.are.same({ n = 4, 1, nil, "b", nil }, rec.calls[1])
    e:emit("x")
    assert.are.same({ n = 0 }, rec.calls[2])
  end)

  it("passes nils to each of several listeners", function()
    local e, r1, r2 = EventEmitter.new(), recorder(), recorder()
    e:on("x", r1.fn)
    e:on("x", r2.fn)
    e:emit("x", nil, 2, nil)
    assert.are.same({ n = 3, nil, 2, nil }, r1.calls[1])
    assert.are.same({ n = 3, nil, 2, nil }, r2.calls[1])
  end)

  it("returns true with listeners, false without", function()
    local e = EventEmitter.new()
    assert.is_false(e:emit("x"))
    e:on("x", function() end)
    assert.is_true(e:emit("x"))
    assert.is_false(e:emit("y"))
  end)

  it("calls a listener once per emit and per registration", function()
    local e, rec = EventEmitter.new(), recorder()
    e:on("x", rec.fn)
    e:on("x", rec.fn)
    e:emit("x", "a")
    assert.are.equal(2, #rec.calls)
    e:emit("x", "b")
    assert.are.equal(4, #rec.calls)
  end)

  it("accepts any non-nil value as the event name", function()
    local e, key = EventEmitter.new(), {}
    local got = {}
    e:on(1, function() got[#got + 1] = "one" end)
    e:on(key, function() got[#got + 1] = "table" end)
    e:on(true, function() got[#got + 1] = "true" end)
    e:on("1", function() got[#got + 1] = "string" end)
    e:emit(key); e:emit(1); e:emit(true); e:emit("1")
    assert.are.same({ "table", "one", "true", "string" }, got)
    assert.is_false(e:emit({}))
  end)

  it("rejects nil and NaN event names when adding", function()
    local e = EventEmitter.new()
    local f = function() end
    for _, name in ipairs({ "on", "once", "prependListener",
                            "prependOnceListener" }) do
      local err = raised(e[name], e, nil, f)
      assert.are.equal("ERR_INVALID_ARG_TYPE", err.code)
      err = raised(e[name], e, 0 / 0, f)
      assert.are.equal("ERR_INVALID_ARG_TYPE", err.code)
    end
    assert.is_false(e:emit(nil))
    assert.are.equal(0, e:listenerCount(nil))
  end)

  it("propagates an error raised by a listener", function()
    local e = EventEmitter.new()
    e:on("x", function() error("boom", 0) end)
    assert.are.equal("boom", raised(e.emit, e, "x"))
  end)

  it("lets a listener emit on the same emitter", function()
    local e, got = EventEmitter.new(), {}
    e:on("a", function() got[#got + 1] = "a"; e:emit("b") end)
    e:on("b", function() got[#got + 1] = "b" end)
    e:emit("a")
    assert.are.same({ "a", "b" }, got)
  end)
end)

describe("once", function()
  it("calls the listener only once", function()
    local e, rec = EventEmitter.new(), recorder()
    e:once("x", rec.fn)
    assert.is_true(e:emit("x", 1, nil, 3))
    assert.is_false(e:emit("x", 2))
    assert.are.equal(1, #rec.calls)
    assert.are.same({ n = 3, 1, nil, 3 }, rec.calls[1])
  end)

  it("removes the listener before calling it", function()
    local e = EventEmitter.new()
    local count_inside, calls = nil, 0
    e:once("x", function()
      calls = calls + 1
      count_inside = e:listenerCount("x")
      e:emit("x") -- must not call it again
    end)
    e:emit("x")
    assert.are.equal(0, count_inside)
    assert.are.equal(1, calls)
  end)

  it("keeps its place among other listeners", function()
    local e, order = EventEmitter.new(), {}
    e:on("x", function() order[#order + 1] = "on1" end)
    e:once("x", function() order[#order + 1] = "once" end)
    e:on("x", function() order[#order + 1] = "on2" end)
    e:emit("x")
    e:emit("x")
    assert.are.same({ "on1", "once", "on2", "on1", "on2" }, order)
  end)

  it("registers the same function twice independently", function()
    local e, rec = EventEmitter.new(), recorder()
    e:once("x", rec.fn)
    e:once("x", rec.fn)
    e:emit("x")
    assert.are.equal(2, #rec.calls)
    assert.are.equal(0, e:listenerCount("x"))
  end)

  it("can be removed with the original function", function()
    local e, rec = EventEmitter.new(), recorder()
    e:once("x", rec.fn)
    e:off("x", rec.fn)
    assert.are.equal(0, e:listenerCount("x"))
    assert.is_false(e:emit("x"))
    assert.are.equal(0, #rec.calls)
  end)

  it("returns the emitter", function()
    local e = EventEmitter.new()
    assert.are.equal(e, e:once("x", function() end))
  end)
end)

describe("prepend", function()
  it("prependListener puts a listener first", function()
    local e, order = EventEmitter.new(), {}
    e:on("x", function() order[#order + 1] = "a" end)
    e:prependListener("x", function() order[#order + 1] = "b" end)
    e:prependListener("x", function() order[#order + 1] = "c" end)
    e:emit("x")
    assert.are.same({ "c", "b", "a" }, order)
  end)

  it("prependOnceListener puts a once listener first", function()
    local e, order = EventEmitter.new(), {}
    e:on("x", function() order[#order + 1] = "on" end)
    e:prependOnceListener("x", function(v) order[#order + 1] = "once" .. v end)
    e:emit("x", 1)
    e:emit("x", 2)
    assert.are.same({ "once1", "on", "on" }, order)
  end)

  it("works on an event without listeners", function()
    local e, rec = EventEmitter.new(), recorder()
    assert.are.equal(e, e:prependListener("x", rec.fn))
    assert.are.equal(e, e:prependOnceListener("y", rec.fn))
    e:emit("x"); e:emit("y"); e:emit("y")
    assert.are.equal(2, #rec.calls)
  end)
end)

describe("removal", function()
  it("off and removeListener remove a listener", function()
    local e, r1, r2 = EventEmitter.new(), recorder(), recorder()
    e:on("x", r1.fn)
    e:on("x", r2.fn)
    assert.are.equal(e, e:off("x", r1.fn))
    e:emit("x")
    assert.are.equal(0, #r1.calls)
    assert.are.equal(1, #r2.calls)
    assert.are.equal(e, e:removeListener("x", r2.fn))
    assert.is_false(e:emit("x"))
    assert.are.same({}, e:eventNames())
  end)

  it("removes one instance: the most recently added", function()
    local e, order = EventEmitter.new(), {}
    local a = function() order[#order + 1] = "a" end
    local b = function() order[#order + 1] = "b" end
    e:on("x", a):on("x", b):on("x", a)
    e:off("x", a)
    e:emit("x")
    assert.are.same({ "a", "b" }, order)
    assert.are.same({ a, b }, e:listeners("x"))
  end)

  it("removes a once wrapper before a plain one added earlier", function()
    local e, rec = EventEmitter.new(), recorder()
    local other = function() end
    e:on("x", rec.fn)
    e:once("x", rec.fn)
    e:off("x", rec.fn)
    -- what is left is the plain listener, not the once wrapper
    assert.are.same({ rec.fn }, e:rawListeners("x"))
    e:on("x", other)
    e:off("x", rec.fn)
    assert.are.same({ other }, e:listeners("x"))
  end)

  it("ignores unknown listeners and events", function()
    local e, rec = EventEmitter.new(), recorder()
    e:on("x", rec.fn)
    assert.are.equal(e, e:off("x", function() end))
    assert.are.equal(e, e:off("nope", rec.fn))
    assert.are.equal(1, e:listenerCount("x"))
  end)

  it("still runs a listener removed during emit", function()
    local e, order = EventEmitter.new(), {}
    local b = function() order[#order + 1] = "b" end
    e:on("x", function() order[#order + 1] = "a"; e:off("x", b) end)
    e:on("x", b)
    e:emit("x")
    assert.are.same({ "a", "b" }, order)
    e:emit("x")
    assert.are.same({ "a", "b", "a" }, order)
  end)

  it("still runs listeners when all are removed during emit", function()
    local e, order = EventEmitter.new(), {}
    e:on("x", function() order[#order + 1] = 1; e:removeAllListeners() end)
    e:on("x", function() order[#order + 1] = 2 end)
    assert.is_true(e:emit("x"))
    assert.are.same({ 1, 2 }, order)
    assert.is_false(e:emit("x"))
  end)

  it("does not run a listener added during emit", function()
    local e, order = EventEmitter.new(), {}
    e:on("x", function()
      order[#order + 1] = "a"
      e:on("x", function() order[#order + 1] = "new" end)
    end)
    e:emit("x")
    assert.are.same({ "a" }, order)
    e:emit("x")
    assert.are.same({ "a", "a", "new" }, order)
  end)

  it("does not run a listener added during emit with several", function()
    local e, order = EventEmitter.new(), {}
    e:on("x", function() order[#order + 1] = "a" end)
    e:on("x", function()
      order[#order + 1] = "b"
      e:prependListener("x", function() order[#order + 1] = "p" end)
    end)
    e:emit("x")
    assert.are.same({ "a", "b" }, order)
  end)

  it("removeAllListeners(event) clears one event", function()
    local e, r1, r2 = EventEmitter.new(), recorder(), recorder()
    e:on("x", r1.fn):on("x", r1.fn):on("y", r2.fn)
    assert.are.equal(e, e:removeAllListeners("x"))
    assert.is_false(e:emit("x"))
    assert.is_true(e:emit("y"))
    assert.are.same({ "y" }, e:eventNames())
  end)

  it("removeAllListeners() clears every event", function()
    local e, rec = EventEmitter.new(), recorder()
    e:on("x", rec.fn):once("y", rec.fn):on(3, rec.fn)
    assert.are.equal(e, e:removeAllListeners())
    assert.are.same({}, e:eventNames())
    assert.is_false(e:emit("x"))
    assert.is_false(e:emit("y"))
    assert.are.equal(0, #rec.calls)
    -- the emitter is still usable
    e:on("x", rec.fn)
    assert.is_true(e:emit("x"))
  end)

  it("removeAllListeners on an unknown event is a no-op", function()
    local e = EventEmitter.new()
    e:on("x", function() end)
    assert.are.equal(e, e:removeAllListeners("nope"))
    assert.are.equal(1, e:listenerCount("x"))
  end)
end)

describe("newListener and removeListener events", function()
  it("emits newListener before adding, with name and listener", function()
    local e, seen = EventEmitter.new(), {}
    local f = function() end
    e:on("newListener", function(name, listener)
      seen[#seen + 1] = { name, listener, e:listenerCount(name) }
    end)
    e:on("x", f)
    e:prependListener("x", f)
    assert.are.same({ { "x", f, 0 }, { "x", f, 1 } }, seen)
  end)

  it("gives the original function for once listeners", function()
    local e, seen = EventEmitter.new(), {}
    local f = function() end
    e:on("newListener", function(name, listener)
      seen[#seen + 1] = { name, listener }
    end)
    e:once("x", f)
    e:prependOnceListener("y", f)
    assert.are.same({ { "x", f }, { "y", f } }, seen)
  end)

  it("lets a newListener listener add one that runs first", function()
    local e, order = EventEmitter.new(), {}
    e:once("newListener", function(name)
      if name == "x" then
        e:on("x", function() order[#order + 1] = "first" end)
      end
    end)
    e:on("x", function() order[#order + 1] = "second" end)
    e:emit("x")
    assert.are.same({ "first", "second" }, order)
  end)

  it("emits removeListener after removing, with the original", function()
    local e, seen = EventEmitter.new(), {}
    local f, g = function() end, function() end
    e:on("removeListener", function(name, listener)
      seen[#seen + 1] = { name, listener, e:listenerCount(name) }
    end)
    e:on("x", f):once("x", g)
    e:off("x", f)
    e:off("x", g)
    assert.are.same({ { "x", f, 1 }, { "x", g, 0 } }, seen)
  end)

  it("emits removeListener when a once listener fires", function()
    local e, seen = EventEmitter.new(), {}
    local f = function() seen[#seen + 1] = "called" end
    e:on("removeListener", function(name, listener)
      seen[#seen + 1] = { name, listener }
    end)
    e:once("x", f)
    e:emit("x")
    assert.are.same({ { "x", f }, "called" }, seen)
  end)

  it("does not emit removeListener for unknown listeners", function()
    local e, count = EventEmitter.new(), 0
    e:on("removeListener", function() count = count + 1 end)
    e:off("x", function() end)
    assert.are.equal(0, count)
  end)

  it("removeAllListeners(event) reports each, last first", function()
    local e, seen = EventEmitter.new(), {}
    local f, g = function() end, function() end
    e:on("removeListener", function(name, listener)
      seen[#seen + 1] = { name, listener }
    end)
    e:on("x", f):once("x", g)
    e:removeAllListeners("x")
    assert.are.same({ { "x", g }, { "x", f } }, seen)
  end)

  it("removeAllListeners() reports everything, its watchers last", function()
    local e, seen = EventEmitter.new(), {}
    local f, g = function() end, function() end
    local watcher = function(name, listener)
      seen[#seen + 1] = { name, listener }
    end
    e:on("removeListener", watcher)
    e:on("x", f):on("y", g)
    e:removeAllListeners()
    -- the watcher's own removal is not reported to itself: it is gone
    assert.are.same({ { "x", f }, { "y", g } }, seen)
    assert.are.same({}, e:eventNames())
  end)

  it("removeAllListeners() reports a watcher's removal to later ones", function()
    local e, seen = EventEmitter.new(), {}
    local w1 = function(name) seen[#seen + 1] = "w1:" .. tostring(name) end
    local w2 = function(name) seen[#seen + 1] = "w2:" .. tostring(name) end
    e:on("removeListener", w1):on("removeListener", w2)
    e:removeAllListeners()
    -- w2 is removed first (last added), w1 then hears about it
    assert.are.same({ "w1:removeListener" }, seen)
  end)
end)

describe("error event", function()
  it("raises an error object as is when nobody listens", function()
    local e = EventEmitter.new()
    local err = errors.new("Error", "EADDRINUSE", "bind EADDRINUSE")
    local got = raised(e.emit, e, "error", err)
    assert.are.equal(err, got)
  end)

  it("wraps a string in ERR_UNHANDLED_ERROR with context", function()
    local e = EventEmitter.new()
    local got = raised(e.emit, e, "error", "boom")
    assert.is_true(errors.is_error(got))
    assert.are.equal("Error", got.name)
    assert.are.equal("ERR_UNHANDLED_ERROR", got.code)
    assert.are.equal("Unhandled error. (boom)", got.message)
    assert.are.equal("boom", got.context)
    assert.are.equal("Error [ERR_UNHANDLED_ERROR]: Unhandled error. (boom)",
      tostring(got))
    assert.is_string(got.stack)
  end)

  it("raises any table as it is", function()
    local e, t = EventEmitter.new(), { code = "X", message = "custom" }
    assert.are.equal(t, raised(e.emit, e, "error", t))
  end)

  it("wraps other values, keeping them as context", function()
    local e = EventEmitter.new()
    local got = raised(e.emit, e, "error", true)
    assert.are.equal("ERR_UNHANDLED_ERROR", got.code)
    assert.are.equal(true, got.context)
    assert.are.equal("Unhandled error. (true)", got.message)
    got = raised(e.emit, e, "error", 42)
    assert.are.equal("Unhandled error. (42)", got.message)
    assert.are.equal(42, got.context)
  end)

  it("raises ERR_UNHANDLED_ERROR without an argument", function()
    local e = EventEmitter.new()
    local got = raised(e.emit, e, "error")
    assert.is_true(errors.is_error(got))
    assert.are.equal("ERR_UNHANDLED_ERROR", got.code)
    assert.are.equal("Unhandled error.", got.message)
    assert.is_nil(got.context)
  end)

  it("calls the listeners instead when there are some", function()
    local e, rec = EventEmitter.new(), recorder()
    local err = errors.new("Error", "X", "x")
    e:on("error", rec.fn)
    assert.is_true(e:emit("error", err))
    assert.are.equal(err, rec.calls[1][1])
  end)

  it("raises again once the last error listener has gone", function()
    local e, rec = EventEmitter.new(), recorder()
    e:once("error", rec.fn)
    assert.is_true(e:emit("error", "first"))
    local got = raised(e.emit, e, "error", "second")
    assert.are.equal("ERR_UNHANDLED_ERROR", got.code)
    assert.are.equal(1, #rec.calls)
  end)
end)
