-- Spec for lua/events.lua: listener queries, eventNames, classes made
-- with extend, max listeners and argument checks (emitting is in
-- events_spec).

local eh = require("events_helpers")   -- before events: stubs the core
local EventEmitter = require("events")
local errors = require("ludp.errors")
local recorder, capture_stderr = eh.recorder, eh.capture_stderr
local raised = require("helpers").raised

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
