-- Spec for lua/events.lua: Node.js's EventEmitter in Lua.

-- ludp.errors requires the C module ludp.core; stub it only when the real
-- one cannot be found (errors.uv is the only user, and not used here).
package.preload["ludp.core"] = package.preload["ludp.core"]
  or (package.searchpath("ludp.core", package.cpath) == nil and function()
    return { errname = function(n) return "E" .. tostring(n) end }
  end) or nil

local EventEmitter = require("events")
local errors = require("ludp.errors")

-- Records calls: rec.fn is a listener, rec.calls the packed arguments.
local function recorder()
  local rec = { calls = {} }
  rec.fn = function(...) rec.calls[#rec.calls + 1] = table.pack(...) end
  return rec
end

-- Runs fn with io.stderr replaced; returns what was written to it.
local function capture_stderr(fn)
  local saved, out = io.stderr, {}
  local fake = {}
  function fake.write(self, ...)
    for i = 1, select("#", ...) do out[#out + 1] = tostring((select(i, ...))) end
    return self
  end
  io.stderr = fake -- luacheck: ignore 122
  local ok, err = pcall(fn)
  io.stderr = saved -- luacheck: ignore 122
  if not ok then error(err, 0) end
  return table.concat(out)
end

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

describe("listeners and rawListeners", function()
  it("listeners gives the original functions", function()
    local e = EventEmitter.new()
    local f, g, h = function() end, function() end, function() end
    e:on("x", f):once("x", g):prependOnceListener("x", h)
    assert.are.same({ h, f, g }, e:listeners("x"))
  end)

  it("rawListeners gives the once wrappers", function()
    local e = EventEmitter.new()
    local f, g = function() end, function() end
    e:on("x", f):once("x", g)
    local raw = e:rawListeners("x")
    assert.are.equal(2, #raw)
    assert.are.equal(f, raw[1])
    assert.are_not.equal(g, raw[2])
    assert.is_function(raw[2])
  end)

  it("a raw once wrapper calls the listener and removes itself", function()
    local e, rec = EventEmitter.new(), recorder()
    e:once("x", rec.fn)
    local wrapper = e:rawListeners("x")[1]
    wrapper("a", nil)
    assert.are.same({ n = 2, "a", nil }, rec.calls[1])
    assert.are.equal(0, e:listenerCount("x"))
    wrapper("b") -- already fired: does nothing
    assert.are.equal(1, #rec.calls)
  end)

  it("off with a raw wrapper removes it", function()
    local e, rec = EventEmitter.new(), recorder()
    e:once("x", rec.fn)
    e:off("x", e:rawListeners("x")[1])
    assert.are.equal(0, e:listenerCount("x"))
  end)

  it("returns copies", function()
    local e, f = EventEmitter.new(), function() end
    e:on("x", f)
    local l, raw = e:listeners("x"), e:rawListeners("x")
    l[2], raw[2] = f, f
    assert.are.equal(1, e:listenerCount("x"))
    assert.are.same({ f }, e:listeners("x"))
  end)

  it("returns empty tables for unknown events", function()
    local e = EventEmitter.new()
    assert.are.same({}, e:listeners("x"))
    assert.are.same({}, e:rawListeners("x"))
  end)

  it("listenerCount counts all, or one function's", function()
    local e = EventEmitter.new()
    local f, g = function() end, function() end
    assert.are.equal(0, e:listenerCount("x"))
    e:on("x", f):on("x", g):once("x", f)
    assert.are.equal(3, e:listenerCount("x"))
    assert.are.equal(2, e:listenerCount("x", f))
    assert.are.equal(1, e:listenerCount("x", g))
    assert.are.equal(0, e:listenerCount("x", function() end))
  end)
end)

describe("eventNames", function()
  it("lists events with listeners in insertion order", function()
    local e, f, key = EventEmitter.new(), function() end, {}
    assert.are.same({}, e:eventNames())
    e:on("b", f):on("a", f):on(key, f):on("b", f):once("c", f)
    assert.are.same({ "b", "a", key, "c" }, e:eventNames())
  end)

  it("drops events whose listeners are all gone", function()
    local e, f = EventEmitter.new(), function() end
    e:on("a", f):on("b", f):once("c", f)
    e:off("a", f)
    e:emit("c")
    assert.are.same({ "b" }, e:eventNames())
  end)

  it("puts a re-added event at the end", function()
    local e, f = EventEmitter.new(), function() end
    e:on("a", f):on("b", f)
    e:off("a", f)
    e:on("a", f)
    assert.are.same({ "b", "a" }, e:eventNames())
  end)

  it("returns a copy", function()
    local e = EventEmitter.new()
    e:on("a", function() end)
    e:eventNames()[2] = "z"
    assert.are.same({ "a" }, e:eventNames())
  end)
end)

describe("classes", function()
  it("extend makes a subclass whose instances are emitters", function()
    local Sub = EventEmitter:extend()
    local s = Sub.new()
    local rec = recorder()
    s:on("x", rec.fn)
    assert.is_true(s:emit("x", 1))
    assert.are.equal(Sub, getmetatable(s))
    assert.are.equal(EventEmitter.on, s.on)
  end)

  it("new calls init with the arguments after setting up state", function()
    local Sub = EventEmitter:extend()
    local got
    function Sub.init(self, a, b, c)
      got = table.pack(a, b, c)
      self:on("ready", function() self.ready = true end)
    end
    local s = Sub.new(1, nil, 3)
    assert.are.same({ n = 3, 1, nil, 3 }, got)
    s:emit("ready")
    assert.is_true(s.ready)
  end)

  it("methods of the subclass are seen by instances", function()
    local Sub = EventEmitter:extend()
    function Sub:hello() self:emit("hello", "world") end
    local s, rec = Sub.new(), recorder()
    s:on("hello", rec.fn)
    s:hello()
    assert.are.equal("world", rec.calls[1][1])
    assert.is_nil(EventEmitter.hello)
  end)

  it("a subclass can be extended again", function()
    local A = EventEmitter:extend()
    function A.init(self, name) self.name = name end
    function A:greet() return "hi " .. self.name end
    local B = A:extend()
    function B:shout() return self:greet():upper() end
    local b = B.new("bob")
    assert.are.equal("HI BOB", b:shout())
    assert.are.equal(B, getmetatable(b))
    assert.is_nil(A.shout)
    local rec = recorder()
    b:once("x", rec.fn)
    b:emit("x"); b:emit("x")
    assert.are.equal(1, #rec.calls)
  end)

  it("a subclass's init can call its parent's through super", function()
    local A = EventEmitter:extend()
    function A.init(self) self.a = true end
    local B = A:extend()
    function B.init(self) B.super.init(self); self.b = true end
    local b = B.new()
    assert.is_true(b.a)
    assert.is_true(b.b)
  end)

  it("metamethods of a class are inherited by subclasses", function()
    local A = EventEmitter:extend()
    A.__name = "Thing"
    A.__tostring = function(self) return "Thing " .. self.id end
    function A.init(self, id) self.id = id end
    local B = A:extend()
    assert.are.equal("Thing 7", tostring(B.new(7)))
  end)

  it("the plain setmetatable pattern works with EventEmitter.init", function()
    local Mine = setmetatable({}, { __index = EventEmitter })
    Mine.__index = Mine
    function Mine.new()
      return EventEmitter.init(setmetatable({}, Mine))
    end
    local m, rec = Mine.new(), recorder()
    m:on("x", rec.fn)
    m:emit("x", "v")
    assert.are.equal("v", rec.calls[1][1])
  end)

  it("EventEmitter.init makes a bare table an emitter", function()
    local t = EventEmitter.init({})
    local rec = recorder()
    t:on("x", rec.fn)
    assert.is_true(t:emit("x"))
    assert.are.equal(EventEmitter, getmetatable(t))
  end)

  it("EventEmitter.init twice keeps the listeners", function()
    local e = EventEmitter.new()
    e:on("x", function() end)
    EventEmitter.init(e)
    assert.are.equal(1, e:listenerCount("x"))
  end)

  it("methods set up state lazily when init was not called", function()
    local Mine = setmetatable({}, { __index = EventEmitter })
    Mine.__index = Mine
    local m = setmetatable({}, Mine)
    assert.is_false(m:emit("x"))
    assert.are.same({}, m:eventNames())
    assert.are.equal(m, m:off("x", function() end))
    assert.are.equal(m, m:removeAllListeners())
    local rec = recorder()
    m:on("x", rec.fn)
    assert.is_true(m:emit("x"))
  end)

  it("mutators return self for chaining", function()
    local e, f = EventEmitter.new(), function() end
    local r = e:on("a", f):addListener("a", f):once("a", f)
      :prependListener("a", f):prependOnceListener("a", f)
      :off("a", f):removeListener("a", f):removeAllListeners("a")
      :removeAllListeners():setMaxListeners(3)
    assert.are.equal(e, r)
    assert.are.equal(3, e:getMaxListeners())
  end)
end)

describe("max listeners", function()
  local saved_default
  before_each(function() saved_default = EventEmitter.defaultMaxListeners end)
  after_each(function() EventEmitter.defaultMaxListeners = saved_default end)

  local function add(e, event, n)
    for _ = 1, n do e:on(event, function() end) end
  end

  it("gets and sets the limit", function()
    local e = EventEmitter.new()
    assert.are.equal(10, e:getMaxListeners())
    assert.are.equal(e, e:setMaxListeners(2))
    assert.are.equal(2, e:getMaxListeners())
    e:setMaxListeners(math.huge)
    assert.are.equal(math.huge, e:getMaxListeners())
    assert.are.equal(10, EventEmitter.new():getMaxListeners())
  end)

  it("follows defaultMaxListeners until set", function()
    local e = EventEmitter.new()
    EventEmitter.defaultMaxListeners = 3
    assert.are.equal(3, e:getMaxListeners())
    e:setMaxListeners(5)
    EventEmitter.defaultMaxListeners = 4
    assert.are.equal(5, e:getMaxListeners())
  end)

  it("warns once per event past the limit, without failing", function()
    local e = EventEmitter.new()
    local out = capture_stderr(function() add(e, "x", 10) end)
    assert.are.equal("", out)
    out = capture_stderr(function() add(e, "x", 1) end)
    assert.are.equal("MaxListenersExceededWarning: Possible EventEmitter " ..
      "memory leak detected. 11 x listeners added to [EventEmitter]. " ..
      "MaxListeners is 10. Use emitter:setMaxListeners() to increase " ..
      "limit\n", out)
    out = capture_stderr(function() add(e, "x", 5) end)
    assert.are.equal("", out)
    assert.are.equal(16, e:listenerCount("x"))
    -- another event warns for itself
    out = capture_stderr(function() add(e, "y", 11) end)
    assert.matches("11 y listeners added", out, 1, true)
  end)

  it("counts once and prepend listeners too", function()
    local e = EventEmitter.new():setMaxListeners(2)
    local f = function() end
    local out = capture_stderr(function()
      e:once("x", f):prependListener("x", f):prependOnceListener("x", f)
    end)
    assert.matches("3 x listeners added", out, 1, true)
    assert.matches("MaxListeners is 2.", out, 1, true)
  end)

  it("does not warn with a limit of 0", function()
    local e = EventEmitter.new():setMaxListeners(0)
    local out = capture_stderr(function() add(e, "x", 50) end)
    assert.are.equal("", out)
  end)

  it("names the class in the warning", function()
    local Sub = EventEmitter:extend()
    Sub.__name = "Socket"
    local s = Sub.new():setMaxListeners(1)
    local out = capture_stderr(function() add(s, "message", 2) end)
    assert.matches("2 message listeners added to [Socket]", out, 1, true)
  end)

  it("rejects negative, NaN and non-number limits", function()
    local e = EventEmitter.new()
    for _, bad in ipairs({ -1, 0 / 0, "5", {}, true }) do
      local err = raised(e.setMaxListeners, e, bad)
      assert.is_true(errors.is_error(err))
      assert.are.equal("RangeError", err.name)
      assert.are.equal("ERR_OUT_OF_RANGE", err.code)
    end
    local err = raised(e.setMaxListeners, e)
    assert.are.equal("ERR_OUT_OF_RANGE", err.code)
    assert.matches("Received -1", raised(e.setMaxListeners, e, -1).message,
      1, true)
    assert.are.equal(10, e:getMaxListeners())
  end)
end)

describe("argument checks", function()
  local methods = { "on", "addListener", "once", "prependListener",
                    "prependOnceListener", "off", "removeListener" }

  for _, name in ipairs(methods) do
    it(name .. " rejects a listener that is not a function", function()
      local e = EventEmitter.new()
      for _, bad in ipairs({ "f", 1, {}, true }) do
        local err = raised(e[name], e, "x", bad)
        assert.is_true(errors.is_error(err))
        assert.are.equal("TypeError", err.name)
        assert.are.equal("ERR_INVALID_ARG_TYPE", err.code)
        assert.matches('The "listener" argument must be of type function',
          err.message, 1, true)
      end
      local err = raised(e[name], e, "x")
      assert.matches("Received nil", err.message, 1, true)
      assert.are.equal(0, e:listenerCount("x"))
    end)
  end

  it("a callable table is not a function", function()
    local e = EventEmitter.new()
    local callable = setmetatable({}, { __call = function() end })
    assert.are.equal("ERR_INVALID_ARG_TYPE", raised(e.on, e, "x", callable).code)
  end)

  it("reports the received value", function()
    local e = EventEmitter.new()
    local err = raised(e.on, e, "x", "nope")
    assert.are.equal('The "listener" argument must be of type function. ' ..
      'Received type string ("nope")', err.message)
  end)
end)
