-- Spec for the REPL's value printer (ludp.inspect: value, quote): how values
-- look at the prompt. It needs no terminal, so it runs under stock lua5.4.

local inspect = require("ludp.inspect")
local errors = require("ludp.errors")

local value = inspect.value

describe("ludp.inspect", function()
  it("prints scalars as Lua does, strings quoted", function()
    assert.are.equal("nil", value(nil))
    assert.are.equal("true", value(true))
    assert.are.equal("42", value(42))
    assert.are.equal("1.5", value(1.5))
    assert.are.equal("3.0", value(3.0))
    assert.are.equal('"hi"', value("hi"))
  end)

  it("escapes strings so that they read back as the same bytes", function()
    for _, s in ipairs({ 'a\nb', 'tab\there', 'q"uote', 'back\\slash', '\0',
                         '\0001', '\1\2\3', '\r\n', 'é ü', '\255\254',
                         'x\127y' }) do
      local lit = inspect.quote(s)
      assert.are.equal(s, load("return " .. lit)(), lit)
      assert.is_nil(lit:find("[%c]"), lit)   -- no raw control byte left
    end
    assert.are.equal('"a\\nb"', inspect.quote("a\nb"))
    assert.are.equal('"\\0001"', inspect.quote("\0" .. "1"))
    assert.are.equal('"é"', inspect.quote("é"))             -- UTF-8 stays readable
    assert.are.equal('"\\255"', inspect.quote("\255"))       -- not UTF-8: escaped
  end)

  it("prints arrays, then the other keys sorted, numbers first", function()
    assert.are.equal('{ 1, 2, "three", [10] = 0, a = 1, b = { c = true }, ' ..
                     '["not id"] = 2 }',
                     value({ 1, 2, "three", b = { c = true }, a = 1,
                               ["not id"] = 2, [10] = 0 }))
    assert.are.equal("{}", value({}))
    assert.are.equal("{ [true] = 1 }", value({ [true] = 1 }))
    assert.are.equal('{ ["end"] = 1 }', value({ ["end"] = 1 }))
  end)

  it("spreads a long table over lines, indented", function()
    local t = {}
    for i = 1, 6 do t["key_number_" .. i] = string.rep("v", 10) end
    local s = value({ inner = t })
    assert.matches('^{\n  inner = {\n    key_number_1 = "vvvvvvvvvv",\n', s)
    assert.matches('\n  }\n}$', s)
  end)

  it("marks cycles", function()
    local t = {}
    t.self = t
    assert.are.equal("<1>{ self = <cycle 1> }", value(t))
    local a, b = {}, {}
    a.b, b.a = b, a
    assert.are.equal("<1>{ b = { a = <cycle 1> } }", value(a))
  end)

  it("prints a table met twice but not in a cycle in full each time", function()
    local shared = { 1 }
    assert.are.equal("{ x = { 1 }, y = { 1 } }", value({ x = shared, y = shared }))
  end)

  it("stops at a depth", function()
    local deep = { { { { { { { 1 } } } } } } }
    assert.matches("{...}", value(deep), 1, true)
  end)

  it("prints objects with __tostring through it", function()
    local sock = setmetatable({ _handle = {} }, {
      __tostring = function() return "Socket<udp4 0.0.0.0:41234 bound>" end })
    assert.are.equal("Socket<udp4 0.0.0.0:41234 bound>", value(sock))
    assert.are.equal("{ s = Socket<udp4 0.0.0.0:41234 bound> }", value({ s = sock }))
  end)

  it("names objects of a class with __name", function()
    local Point = { __name = "Point" }
    assert.are.equal("Point { x = 1 }", value(setmetatable({ x = 1 }, Point)))
  end)

  it("prints error objects with their code and system fields", function()
    assert.are.equal("TypeError [ERR_X]: bad",
                     value(errors.new("TypeError", "ERR_X", "bad")))
    local e = errors.uv(-98, "bind", "0.0.0.0", 41234)
    assert.are.equal('SystemError [EADDRINUSE]: bind EADDRINUSE 0.0.0.0:41234 ' ..
                     '{ errno = -98, syscall = "bind", address = "0.0.0.0", port = 41234 }',
                     value(e))
  end)

  it("survives a failing __tostring", function()
    local bad = setmetatable({}, { __tostring = function() error("no") end })
    assert.are.equal("<table: __tostring failed>", value(bad))
  end)
end)

describe("ludp.inspect of a long table", function()
  it("says how many items it did not show", function()
    local t = {}
    for i = 1, 250 do t[i] = i end
    assert.matches("%.%.%. %(150 more%)", value(t))
    local h = {}
    for i = 1, 130 do h["k" .. i] = i end
    assert.matches("%.%.%. %(30 more%)", value(h))
    local mixed = { 1, 2, 3 }
    for i = 1, 100 do mixed["k" .. i] = i end
    assert.matches("%.%.%. %(3 more%)", value(mixed))
    assert.is_nil(value({ 1, 2, 3 }):find("more", 1, true))
  end)
end)

-- Node's util.inspect groups the items of an array with more than 6 short
-- ones into aligned columns (groupArrayElements); the expected texts are
-- what Node prints for the same arrays.
describe("ludp.inspect of a long array of short items", function()
  local function range(a, b)
    local t = {}
    for i = a, b do t[#t + 1] = i end
    return t
  end

  it("packs numbers into columns aligned to the right", function()
    assert.are.equal(
      "{\n" ..
      "   0,  1,  2,  3,  4,  5,  6,  7,  8,\n" ..
      "   9, 10, 11, 12, 13, 14, 15, 16, 17,\n" ..
      "  18, 19, 20, 21, 22, 23, 24, 25, 26,\n" ..
      "  27, 28, 29\n" ..
      "}", value(range(0, 29)))
    local s = value(range(0, 99))          -- 12 a row at most
    assert.matches("^{\n   0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11,\n", s)
    assert.matches("\n  96, 97, 98, 99\n}$", s)
    assert.are.equal("{\n  1, 2, 3, 4,\n  5, 6, 7\n}", value(range(1, 7)))
  end)

  it("keeps 6 items or fewer on one line", function()
    assert.are.equal("{ 1, 2, 3, 4, 5, 6 }", value(range(1, 6)))
  end)

  it("aligns strings to the left", function()
    local t = {}
    for i = 1, 10 do t[i] = ("x"):rep(i % 3 + 1) end
    assert.are.equal(
      '{\n' ..
      '  "xx", "xxx", "x",\n' ..
      '  "xx", "xxx", "x",\n' ..
      '  "xx", "xxx", "x",\n' ..
      '  "xx"\n' ..
      '}', value(t))
    local letters = {}
    for i = 1, 26 do letters[i] = string.char(96 + i):rep(i % 5 + 1) end
    assert.are.equal(
      '{\n' ..
      '  "aa",    "bbb",   "cccc",  "ddddd",\n' ..
      '  "e",     "ff",    "ggg",   "hhhh",\n' ..
      '  "iiiii", "j",     "kk",    "lll",\n' ..
      '  "mmmm",  "nnnnn", "o",     "pp",\n' ..
      '  "qqq",   "rrrr",  "sssss", "t",\n' ..
      '  "uu",    "vvv",   "wwww",  "xxxxx",\n' ..
      '  "y",     "zz"\n' ..
      '}', value(letters))
  end)

  it("packs a nested array within its indentation", function()
    assert.are.equal(
      "{\n" ..
      "  x = {\n" ..
      "    10, 200, 3000, 4,\n" ..
      "     5,   6,    7, 8,\n" ..
      "     9,  10\n" ..
      "  }\n" ..
      "}", value({ x = { 10, 200, 3000, 4, 5, 6, 7, 8, 9, 10 } }))
  end)

  it("puts '... (N more)' on a row of its own", function()
    local s = value(range(1, 150))
    assert.matches("\n  97, 98, 99, 100,\n  %.%.%. %(50 more%)\n}$", s)
    assert.matches("^{\n   1,  2,  3,   4,", s)
  end)

  it("leaves items of very different widths one per line", function()
    local t = { ("y"):rep(60) }
    for i = 2, 8 do t[i] = i end
    local s = value(t)
    assert.matches('^{\n  "y+",\n  2,\n  3,\n', s)
  end)
end)
