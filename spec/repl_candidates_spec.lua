-- Spec for the REPL's completion candidates (ludp.complete.candidates):
-- what Tab offers for the text before the cursor. No terminal needed:
-- stock lua5.4.

local complete = require("ludp.complete")
local EventEmitter = require("events")

local function has(list, name)
  for _, v in ipairs(list) do if v == name then return true end end
  return false
end

describe("ludp.complete.candidates", function()
  local env
  before_each(function()
    local Base = EventEmitter:extend()
    Base.bind = function() end
    Base.send = function() end
    local sock = Base.new()
    sock._handle = {}
    sock.type = "udp4"
    env = {
      cjson = { encode = print, decode = print },
      config = { port = 1, nested = { deep = true } },
      sock = sock,
      str = "text",
      handle = setmetatable({}, { __index = { close = print, ref = print } }),
      _private = 1,
      string = string,
      process = require("ludp.process"),
      socket = require("dgram").createSocket("udp4"),
      dgram = require("dgram"),
    }
  end)

  it("offers globals and keywords for a bare name", function()
    assert.are.same({ "cjson", "config" }, complete.candidates("c", env))
    assert.is_true(has(complete.candidates("x = f", env), "function"))
    assert.is_true(has(complete.candidates("", env), "sock"))
  end)

  -- An unanchored search for the name took minutes after this line.
  it("finds the name before the cursor at the end of a 1 MB line", function()
    local line = 'x = "' .. string.rep("A", 2^20) .. '" .. con'
    assert.are.same({ "config" }, complete.candidates(line, env))
    assert.are.same({ "port" }, complete.candidates(string.rep("A", 2^20) ..
                                                    " + config.p", env))
  end)

  it("offers fields after '.'", function()
    assert.are.same({ "nested", "port" }, complete.candidates("config.", env))
    assert.are.same({ "deep" }, complete.candidates("print(config.nested.d", env))
    assert.are.same({ "format" }, complete.candidates("string.for", env))
  end)

  it("offers methods after ':' from the class chain, parents included", function()
    local list = complete.candidates("sock:", env)
    for _, m in ipairs({ "bind", "send", "on", "emit", "once", "removeListener" }) do
      assert.is_true(has(list, m), m)
    end
    assert.is_false(has(list, "type"))        -- a field, not a method
    assert.are.same({ "bind" }, complete.candidates("sock:bi", env))
  end)

  -- Node's REPL offers an object's properties and methods, not how its
  -- class makes instances.
  it("offers an object's public API only, not its class's internals", function()
    local internals = { "new", "extend", "init", "super", "EventEmitter",
                        "defaultMaxListeners" }
    for _, text in ipairs({ "sock:", "sock.", "process.", "process:",
                            "socket:", "socket." }) do
      local list = complete.candidates(text, env)
      for _, name in ipairs(internals) do
        assert.is_false(has(list, name), text .. name)
      end
      for _, name in ipairs(list) do
        assert.is_nil(name:find("^_"), text .. name)
      end
      assert.is_true(has(list, "on"), text .. "on")
    end
    assert.is_true(has(complete.candidates("process.", env), "nextTick"))
    assert.is_true(has(complete.candidates("socket:", env), "send"))
    assert.is_true(has(complete.candidates("socket.", env), "type"))
    assert.is_true(has(complete.candidates("sock.", env), "bind"))
    -- a class itself still shows them: Socket.new, EventEmitter:extend()
    local class = complete.candidates("dgram.Socket.", env)
    assert.is_true(has(class, "new"))
    assert.is_true(has(class, "extend"))
  end)

  it("follows __index tables of userdata-like objects and strings", function()
    assert.are.same({ "close", "ref" }, complete.candidates("handle:", env))
    assert.is_true(has(complete.candidates("str:up", env), "upper"))
  end)

  it("hides names starting with '_' until '_' is typed", function()
    assert.is_false(has(complete.candidates("sock.", env), "_handle"))
    assert.are.same({ "_handle" }, complete.candidates("sock._h", env))
    assert.is_true(has(complete.candidates("_", env), "_private"))
  end)

  it("offers nothing inside a string or after an unknown name", function()
    assert.are.same({}, complete.candidates('print("con', env))
    assert.are.same({}, complete.candidates("nothing.", env))
    assert.are.same({}, complete.candidates("1.", env))
  end)

  it("does not call __index functions", function()
    local called = false
    env.lazy = setmetatable({}, { __index = function() called = true end })
    assert.are.same({}, complete.candidates("lazy.x.", env))
    assert.is_false(called)
  end)
end)
