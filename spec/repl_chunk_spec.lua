-- Spec for how the REPL compiles a typed chunk (ludp.repl_chunk): an
-- expression first, then statements whose last expression gives the
-- values, and top-level locals kept as the session's variables. No
-- terminal needed: stock lua5.4.

local repl_chunk = require("ludp.repl_chunk")

-- The values of a chunk run in 'session', packed; or the compiler's
-- message and whether the chunk is unfinished.
local function eval(session, chunk)
  local f, err, incomplete = session:compile(chunk)
  if not f then return nil, err, incomplete end
  return table.pack(f())
end

describe("ludp.repl_chunk", function()
  local session, globals
  before_each(function()
    globals = setmetatable({}, { __index = _G })
    session = repl_chunk.session(globals)
  end)

  it("compiles an expression to its values", function()
    assert.are.same({ n = 2, 3, "x" }, eval(session, '1 + 2, "x"'))
  end)

  it("gives the values of the last statement when it is an expression",
     function()
    local r = eval(session, "t = {}; t.x = 1; t")
    assert.are.equal(1, r[1].x)
    assert.are.same({ n = 1, 4 }, eval(session, "a = 2\nb = 2\na + b"))
    assert.are.same({ n = 1, 3 }, eval(session, "c = 3; c;"))
    assert.are.same({ n = 0 }, eval(session, "d = 1; e = 2"))
    -- a ';' inside a string, a comment or a block is no place to split
    assert.are.same({ n = 1, "a;b" }, eval(session, 's = "a;b"; s'))
    assert.are.same({ n = 0 }, eval(session, "do local z = 1; z = 2 end"))
  end)

  it("keeps top-level locals for the next chunks, in front of the globals",
     function()
    globals.x = "global"
    assert.are.same({ n = 0 }, eval(session, "local x = 1"))
    assert.are.same({ n = 1, 1 }, eval(session, "x"))
    assert.are.equal("global", globals.x)
    eval(session, "x = 2")                   -- the session's x, as a local
    assert.are.same({ n = 1, 2 }, eval(session, "x"))
    assert.are.equal("global", globals.x)
    eval(session, "g = 5")                   -- not declared: a global
    assert.are.equal(5, globals.g)
    assert.are.same({ n = 1, 5 }, eval(session, "local a, b <const> = 2, 3; a + b"))
    eval(session, "local function fact(n) return n < 2 and 1 or n * fact(n - 1) end")
    assert.are.same({ n = 1, 120 }, eval(session, "fact(5)"))
    assert.is_nil(rawget(globals, "fact"))
    eval(session, "local u")
    assert.are.same({ n = 1 }, eval(session, "u"))
  end)

  it("lets completion find the session's variables and the globals", function()
    local complete = require("ludp.complete")
    globals.my_global = 1
    eval(session, "local my_local = 2")
    assert.are.same({ "my_global", "my_local" },
                    complete.candidates("my_", session.env))
  end)

  it("leaves the locals of blocks and functions alone", function()
    eval(session, "do local inner = 1 end")
    eval(session, "function f() local hidden = 2 return hidden end")
    eval(session, "for i = 1, 2 do local w = i end")
    assert.are.same({ n = 1 }, eval(session, "inner"))
    assert.are.same({ n = 1 }, eval(session, "hidden"))
    assert.are.same({ n = 1 }, eval(session, "w"))
    assert.are.same({ n = 1, 2 }, eval(session, "f()"))
  end)

  it("does not take 'local' in strings and comments for a statement", function()
    eval(session, "local s = 'local q = 1' -- local r = 2")
    assert.are.same({ n = 1, "local q = 1" }, eval(session, "s"))
    assert.are.same({ n = 1 }, eval(session, "q"))
    assert.are.same({ n = 1 }, eval(session, "r"))
    eval(session, "local m = [[\nlocal n = 1]]")
    assert.are.same({ n = 1 }, eval(session, "n"))
  end)

  it("says when a chunk is unfinished rather than wrong", function()
    for _, chunk in ipairs({ "function f()", "{", "1 +", "local", "x = [[" }) do
      local r, err, incomplete = eval(session, chunk)
      assert.is_nil(r, chunk)
      assert.is_string(err)
      assert.is_true(incomplete, chunk)
    end
    local r, err, incomplete = eval(session, "x = = 1")
    assert.is_nil(r)
    assert.matches("unexpected symbol", err)
    assert.is_false(incomplete)
  end)
end)
