-- Spec for the REPL's value printer (repl.inspect, repl.quote): how values
-- look at the prompt. It needs no terminal, so it runs under stock lua5.4.

local repl = require("ludp.repl")
local errors = require("ludp.errors")

local inspect = repl.inspect

describe("repl.inspect", function()
  it("prints scalars as Lua does, strings quoted", function()
    assert.are.equal("nil", inspect(nil))
    assert.are.equal("true", inspect(true))
    assert.are.equal("42", inspect(42))
    assert.are.equal("1.5", inspect(1.5))
    assert.are.equal("3.0", inspect(3.0))
    assert.are.equal('"hi"', inspect("hi"))
  end)

  it("escapes strings so that they read back as the same bytes", function()
    for _, s in ipairs({ 'a\nb', 'tab\there', 'q"uote', 'back\\slash', '\0',
                         '\0001', '\1\2\3', '\r\n', 'é ü', '\255\254',
                         'x\127y' }) do
      local lit = repl.quote(s)
      assert.are.equal(s, load("return " .. lit)(), lit)
      assert.is_nil(lit:find("[%c]"), lit)   -- no raw control byte left
    end
    assert.are.equal('"a\\nb"', repl.quote("a\nb"))
    assert.are.equal('"\\0001"', repl.quote("\0" .. "1"))
    assert.are.equal('"é"', repl.quote("é"))             -- UTF-8 stays readable
    assert.are.equal('"\\255"', repl.quote("\255"))       -- not UTF-8: escaped
  end)

  it("prints arrays, then the other keys sorted, numbers first", function()
    assert.are.equal('{ 1, 2, "three", [10] = 0, a = 1, b = { c = true }, ' ..
                     '["not id"] = 2 }',
                     inspect({ 1, 2, "three", b = { c = true }, a = 1,
                               ["not id"] = 2, [10] = 0 }))
    assert.are.equal("{}", inspect({}))
    assert.are.equal("{ [true] = 1 }", inspect({ [true] = 1 }))
    assert.are.equal('{ ["end"] = 1 }', inspect({ ["end"] = 1 }))
  end)

  it("spreads a long table over lines, indented", function()
    local t = {}
    for i = 1, 6 do t["key_number_" .. i] = string.rep("v", 10) end
    local s = inspect({ inner = t })
    assert.matches('^{\n  inner = {\n    key_number_1 = "vvvvvvvvvv",\n', s)
    assert.matches('\n  }\n}$', s)
  end)

  it("marks cycles", function()
    local t = {}
    t.self = t
    assert.are.equal("<1>{ self = <cycle 1> }", inspect(t))
    local a, b = {}, {}
    a.b, b.a = b, a
    assert.are.equal("<1>{ b = { a = <cycle 1> } }", inspect(a))
  end)

  it("prints a table met twice but not in a cycle in full each time", function()
    local shared = { 1 }
    assert.are.equal("{ x = { 1 }, y = { 1 } }", inspect({ x = shared, y = shared }))
  end)

  it("stops at a depth", function()
    local deep = { { { { { { { 1 } } } } } } }
    assert.matches("{...}", inspect(deep), 1, true)
  end)

  it("prints objects with __tostring through it", function()
    local sock = setmetatable({ _handle = {} }, {
      __tostring = function() return "Socket<udp4 0.0.0.0:41234 bound>" end })
    assert.are.equal("Socket<udp4 0.0.0.0:41234 bound>", inspect(sock))
    assert.are.equal("{ s = Socket<udp4 0.0.0.0:41234 bound> }", inspect({ s = sock }))
  end)

  it("names objects of a class with __name", function()
    local Point = { __name = "Point" }
    assert.are.equal("Point { x = 1 }", inspect(setmetatable({ x = 1 }, Point)))
  end)

  it("prints error objects with their code and system fields", function()
    assert.are.equal("TypeError [ERR_X]: bad",
                     inspect(errors.new("TypeError", "ERR_X", "bad")))
    local e = errors.uv(-98, "bind", "0.0.0.0", 41234)
    assert.are.equal('SystemError [EADDRINUSE]: bind EADDRINUSE 0.0.0.0:41234 ' ..
                     '{ errno = -98, syscall = "bind", address = "0.0.0.0", port = 41234 }',
                     inspect(e))
  end)

  it("survives a failing __tostring", function()
    local bad = setmetatable({}, { __tostring = function() error("no") end })
    assert.are.equal("<table: __tostring failed>", inspect(bad))
  end)
end)
