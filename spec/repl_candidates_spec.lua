-- Spec for the REPL's completion candidates (repl.candidates): what Tab
-- offers for the text before the cursor. No terminal needed: stock lua5.4.

local repl = require("ludp.repl")
local EventEmitter = require("events")

local function has(list, name)
  for _, v in ipairs(list) do if v == name then return true end end
  return false
end

describe("repl.candidates", function()
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
    }
  end)

  it("offers globals and keywords for a bare name", function()
    assert.are.same({ "cjson", "config" }, repl.candidates("c", env))
    assert.is_true(has(repl.candidates("x = f", env), "function"))
    assert.is_true(has(repl.candidates("", env), "sock"))
  end)

  it("offers fields after '.'", function()
    assert.are.same({ "nested", "port" }, repl.candidates("config.", env))
    assert.are.same({ "deep" }, repl.candidates("print(config.nested.d", env))
    assert.are.same({ "format" }, repl.candidates("string.for", env))
  end)

  it("offers methods after ':' from the class chain, parents included", function()
    local list = repl.candidates("sock:", env)
    for _, m in ipairs({ "bind", "send", "on", "emit", "once", "removeListener" }) do
      assert.is_true(has(list, m), m)
    end
    assert.is_false(has(list, "type"))        -- a field, not a method
    assert.are.same({ "bind" }, repl.candidates("sock:bi", env))
  end)

  it("follows __index tables of userdata-like objects and strings", function()
    assert.are.same({ "close", "ref" }, repl.candidates("handle:", env))
    assert.is_true(has(repl.candidates("str:up", env), "upper"))
  end)

  it("hides names starting with '_' until '_' is typed", function()
    assert.is_false(has(repl.candidates("sock.", env), "_handle"))
    assert.are.same({ "_handle" }, repl.candidates("sock._h", env))
    assert.is_true(has(repl.candidates("_", env), "_private"))
  end)

  it("offers nothing inside a string or after an unknown name", function()
    assert.are.same({}, repl.candidates('print("con', env))
    assert.are.same({}, repl.candidates("nothing.", env))
    assert.are.same({}, repl.candidates("1.", env))
  end)

  it("does not call __index functions", function()
    local called = false
    env.lazy = setmetatable({}, { __index = function() called = true end })
    assert.are.same({}, repl.candidates("lazy.x.", env))
    assert.is_false(called)
  end)
end)
