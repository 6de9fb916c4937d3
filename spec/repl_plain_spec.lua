-- Spec for the REPL reading plain lines: `ludp -i < file`, stdin not a
-- terminal. No prompts and no editing, but every line is evaluated as at
-- the prompt (expression first, then statement, multi-line chunks), values
-- are printed readably, errors are printed and the REPL goes on, and the
-- dot-commands work: so the REPL can be scripted.

local bin = os.getenv("LUDP_BIN") or "build/ludp"
if bin:sub(1, 1) ~= "/" then          -- the REPL runs in a directory of its own
  local p = io.popen("pwd")
  bin = p:read("l") .. "/" .. bin
  p:close()
end

local quote = require("helpers").quote

local write_file = require("helpers").write_file

local read_file = require("helpers").read_file

-- Runs `ludp -i [args] < input`; returns stdout, stderr and the exit
-- status. `timeout` is the watchdog: a REPL that does not leave at the end
-- of its input fails the spec instead of hanging it.
local function repl(input, args)
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. quote(dir)))
  local inf, outf, errf = dir .. "/in", dir .. "/out", dir .. "/err"
  write_file(inf, input)
  local cmd = string.format("cd %s && HOME=%s timeout 30 %s -i %s < %s > %s 2> %s",
                            quote(dir), quote(dir), quote(bin), args or "",
                            quote(inf), quote(outf), quote(errf))
  local _, _, code = os.execute(cmd)
  local out, err = read_file(outf), read_file(errf)
  os.execute("rm -rf " .. quote(dir))
  return out, err, code
end

describe("ludp -i with stdin not a terminal", function()
  it("prints the values of expressions, nil too when it is the only one", function()
    local out, err, code = repl('1 + 1\n"a\\nb"\nnil\n1, "two", nil\n')
    assert.are.equal('2\n"a\\nb"\nnil\n1\t"two"\tnil\n', out)
    assert.are.equal("", err)
    assert.are.equal(0, code)
  end)

  it("prints nothing more for a call that returns nothing", function()
    local out = repl('print("x")\nlocal y = 1\n')
    assert.are.equal("x\n", out)
  end)

  it("prints no prompt and does not echo the input", function()
    local out = repl("10 * 10\n")
    assert.are.equal("100\n", out)
  end)

  it("pretty-prints tables with nesting and cycle marks", function()
    local out = repl('{ 1, 2, x = { y = { z = "w" } } }\n' ..
                     't = {} t.self = t t.list = { t }\nt\n')
    assert.are.equal('{ 1, 2, x = { y = { z = "w" } } }\n' ..
                     '<1>{ list = { <cycle 1> }, self = <cycle 1> }\n', out)
  end)

  it("prints objects through their __tostring", function()
    local out = repl('setmetatable({}, { __tostring = function() ' ..
                     'return "Socket<udp4 0.0.0.0:41234 bound>" end })\n')
    assert.are.equal("Socket<udp4 0.0.0.0:41234 bound>\n", out)
  end)

  it("prints error objects with their code and system fields", function()
    local out = repl('errors = require("ludp.errors")\n' ..
                     'errors.new("TypeError", "ERR_X", "bad thing")\n' ..
                     'errors.uv(-98, "bind", "127.0.0.1", 41234)\n')
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.are.equal("TypeError [ERR_X]: bad thing", lines[1])
    assert.matches("^SystemError %[EADDRINUSE%]: bind EADDRINUSE 127%.0%.0%.1:41234 ",
                   lines[2])
    assert.matches('errno = %-98, syscall = "bind", address = "127.0.0.1", port = 41234',
                   lines[2])
  end)

  it("continues an unfinished chunk on the next lines", function()
    local out, err = repl("function double(a)\n  return a * 2\nend\ndouble(21)\n" ..
                          "{\n  1,\n  2 }\n1 +\n2\n")
    assert.are.equal("42\n{ 1, 2 }\n3\n", out)
    assert.are.equal("", err)
  end)

  it(".break abandons the unfinished chunk", function()
    local out, err = repl("function f()\n.break\n5\n")
    assert.are.equal("5\n", out)
    assert.are.equal("", err)
  end)

  it("prints an error in a line and goes on", function()
    local out, err, code = repl('error("boom")\nx = = 1\n1 + 2\n')
    assert.are.equal("3\n", out)
    assert.matches("stdin:1: boom\nstack traceback:\n", err, 1, true)
    assert.matches("stdin:1: unexpected symbol near '='", err, 1, true)
    assert.are.equal(0, code)
  end)

  it("prints a table thrown by a line with its fields", function()
    local out, err = repl('error({ code = "X", message = "custom" })\n1\n')
    assert.are.equal("1\n", out)
    assert.matches('ludp: { code = "X", message = "custom" }', err, 1, true)
  end)

  it("shows only the user's code in the traceback of an error", function()
    local _, err = repl('function f() error("deep") end\nlocal r = f()\n')
    assert.matches("stdin:1: in function 'f'", err, 1, true)
    assert.matches("stdin:1: in main chunk", err, 1, true)
    assert.is_nil(err:find("repl.lua", 1, true))
  end)

  it("prints an error thrown later by a callback and goes on", function()
    local out, err, code = repl('process.nextTick(function() error("later") end)\n' ..
                                '"after"\n')
    assert.are.equal('"after"\n', out)
    assert.matches("stdin:1: later", err, 1, true)
    assert.are.equal(0, code)
  end)

  it("lets 'uncaughtException' listeners take errors of callbacks", function()
    local out, err = repl('do process.on("uncaughtException", function(e) ' ..
                          'print("caught: " .. e) end) end\n' ..
                          'process.nextTick(function() error("x", 0) end)\n"next"\n')
    assert.are.equal('caught: x\n"next"\n', out)
    assert.are.equal("", err)
  end)

  it("keeps the last value in _", function()
    local out = repl("40 + 2\n_ + 1\nx = 5\n_\n")
    assert.are.equal("42\n43\n43\n", out)
  end)

  -- As Node's REPL prints the value of a line's last statement.
  it("prints the value of statements that end with an expression", function()
    local out, err = repl('t = {}; t.x = 1; t\nprint("a"); 2 + 2\n' ..
                          'x = 1\ny = 2; x + y\n')
    assert.are.equal('{ x = 1 }\na\n4\n3\n', out)
    assert.are.equal("", err)
  end)

  -- As `let x` in Node's REPL: a top-level local stays for the next lines.
  it("keeps a top-level local visible on the next lines", function()
    local out, err = repl('local x = 41\nx + 1\n' ..
                          'local function f() return x end\nf()\n' ..
                          'x = 7; f()\nrawget(_G, "x")\n' ..
                          'do local y = 1 end\ny\n')
    assert.are.equal("42\n41\n7\nnil\nnil\n", out)
    assert.are.equal("", err)
  end)

  it("has dgram, events, timers and cjson as globals", function()
    local out = repl("type(dgram.createSocket), type(events.new), " ..
                     "type(timers.setTimeout), cjson.encode({ 1 })\n")
    assert.are.equal('"function"\t"function"\t"function"\t"[1]"\n', out)
  end)

  it("does not load libedit (only a terminal's prompt edits lines)", function()
    local out, err = repl('io.open("/proc/self/maps"):read("a")'
                          .. ':find("libedit", 1, true)\n')
    assert.are.equal("nil\n", out)
    assert.are.equal("", err)
  end)

  -- A reader that searched the whole pending line again for every chunk
  -- it read took minutes for this line: the watchdog of repl() fails it.
  it("reads a 32 MB line whole, and the lines after it", function()
    local n = 32 * 1024 * 1024
    local out, err, code = repl('x = "' .. string.rep("A", n - 2) .. 'BC"\n' ..
                                '#x, x:sub(1, 2), x:sub(-3)\nprint("after")\n')
    assert.are.equal(string.format('%d\t"AA"\t"ABC"\nafter\n', n), out)
    assert.are.equal("", err)
    assert.are.equal(0, code)
  end)

  it(".help lists the dot-commands", function()
    local out = repl(".help\n")
    for _, cmd in ipairs({ ".break", ".exit", ".help", ".load" }) do
      assert.matches("\n?" .. cmd:gsub("%.", "%%.") .. " ", out)
    end
  end)

  it("says so for an unknown dot-command", function()
    local out, err = repl(".nope\n1\n")
    assert.are.equal("1\n", out)
    assert.matches("Invalid REPL keyword: .nope", err, 1, true)
  end)

  it(".load FILE runs a file in the session", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
    write_file(dir .. "/lib.lua", 'from_file = "loaded"\nprint("running lib")\n')
    local out, err = repl(string.format(
      ".load %s/lib.lua\nfrom_file\n.load %s/nope.lua\n2\n", dir, dir))
    os.execute("rm -rf " .. quote(dir))
    assert.are.equal('running lib\n"loaded"\n2\n', out)
    assert.matches("nope.lua", err, 1, true)
  end)

  it(".exit leaves with status 0 and reads no further", function()
    local out, err, code = repl('1\n.exit\nprint("not reached")\n')
    assert.are.equal("1\n", out)
    assert.are.equal("", err)
    assert.are.equal(0, code)
  end)

  it("leaves with process.exitCode", function()
    local _, _, code = repl("process.exitCode = 3\n.exit\n")
    assert.are.equal(3, code)
  end)

  it("leaves at once on os.exit()", function()
    local out, _, code = repl('os.exit(5)\nprint("not reached")\n')
    assert.are.equal("", out)
    assert.are.equal(5, code)
  end)

  it("leaves at the end of its input even with handles open", function()
    local out, err, code = repl("t = setInterval(function() end, 1000)\n" ..
                                "s = dgram.createSocket('udp4')\n" ..
                                "s:bind(0, '127.0.0.1')\n'done'\n")
    assert.matches('"done"\n$', out)
    assert.are.equal("", err)
    assert.are.equal(0, code)
  end)

  it("runs the script first with ludp -i script.lua", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. quote(dir)))
    write_file(dir .. "/script.lua", 'from_script = "yes"\n')
    local out, _, code = repl("from_script\n", quote(dir .. "/script.lua"))
    os.execute("rm -rf " .. quote(dir))
    assert.are.equal('"yes"\n', out)
    assert.are.equal(0, code)
  end)
end)
