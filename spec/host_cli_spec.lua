-- Spec for the ludp host (src/main.c, lua/ludp/host.lua): the command
-- line, 'arg', exit statuses and what reaches stderr, through real
-- processes of the built binary (LUDP_BIN, set by ctest).

local BIN = os.getenv("LUDP_BIN") or "build/ludp"
local LUA = "lua5.4"

-- Guards every run against a hang (a hung host shows as status 124).
local TIMEOUT = os.execute("command -v timeout >/dev/null 2>&1")
                and "timeout -k 5 60 " or ""

local quote = require("helpers").quote

local slurp = require("helpers").read_file

local spit = require("helpers").write_file

-- Temporary files made by a test, removed after it.
local temp = require("helpers").temp_files(after_each)

-- Runs 'program' with the words of 'args' (stdin from the string 'input',
-- else /dev/null). Returns { code, out, err, lines = stderr lines };
-- death by signal n shows as code 128 + n, as in a shell.
local function run_program(program, args, input)
  local out, err = temp(), temp()
  local words = { quote(program) }
  for _, a in ipairs(args or {}) do words[#words + 1] = quote(a) end
  local cmd = TIMEOUT .. table.concat(words, " ")
    .. " <" .. quote(input and temp(input) or "/dev/null")
    .. " >" .. quote(out) .. " 2>" .. quote(err)
  local _, how, n = os.execute(cmd)
  local r = { code = how == "signal" and 128 + n or n,
              out = slurp(out), err = slurp(err), lines = {} }
  for line in r.err:gmatch("[^\n]*") do r.lines[#r.lines + 1] = line end
  return r
end

local function run(args, input) return run_program(BIN, args, input) end

-- Runs a script file made of 'text' with 'args'; returns the result and
-- the script's path.
local function run_script(text, ...)
  local path = temp(text)
  return run({ path, ... }), path
end

-- Asserts the report of an uncaught error: exit 1, first stderr line
-- exactly "ludp: " .. first, then a Lua traceback.
local function assert_uncaught(r, first)
  assert.equal(1, r.code)
  assert.equal("ludp: " .. first, r.lines[1])
  assert.matches("\nstack traceback:\n", r.err, 1, true)
end

local USAGE_FIRST = "usage: ludp [options] [script [args]]"

describe("ludp script.lua args", function()
  -- Prints what a script sees; arg[-1] (the interpreter) apart.
  local SHOW_ARG = [[
    local lo = -1
    while arg[lo - 1] ~= nil do lo = lo - 1 end
    for i = lo, #arg do
      if i == lo then print("interpreter", arg[i] == INTERP)
      else print(i, arg[i]) end
    end
    print("#arg", #arg)
    print("...", select("#", ...), ...)
  ]]

  it("sets arg and ... exactly as stock lua5.4 does", function()
    local path = temp()
    local function show(interp)
      spit(path, "local INTERP = " .. string.format("%q", interp) .. "\n"
           .. SHOW_ARG)
      return path
    end
    for _, args in ipairs({ { "a", "b" }, {}, { "", "x y", "-e", "--" } }) do
      local mine = run({ show(BIN), table.unpack(args) })
      local stock = run_program(LUA, { show(LUA), table.unpack(args) })
      assert.equal(0, stock.code, stock.err)
      assert.equal(0, mine.code, mine.err)
      assert.equal("", mine.err)
      assert.equal(stock.out, mine.out)
      assert.matches("interpreter\ttrue\n0\t" .. path:gsub("%p", "%%%0"),
                     mine.out)
    end
  end)

  it("sets arg as stock lua5.4 does after '--'", function()
    local path = temp()
    spit(path, "local INTERP = " .. string.format("%q", BIN) .. "\n"
         .. SHOW_ARG)
    local mine = run({ "--", path, "a" })
    spit(path, "local INTERP = " .. string.format("%q", LUA) .. "\n"
         .. SHOW_ARG)
    local stock = run_program(LUA, { "--", path, "a" })
    assert.equal(0, mine.code, mine.err)
    assert.equal(stock.out, mine.out)
    assert.matches("\n%-1\t%-%-\n", mine.out)
  end)

  it("sets process.argv as Node does: host, script, args", function()
    local r, path = run_script([[
      for i, v in ipairs(process.argv) do print(i, v) end
    ]], "a", "b")
    assert.equal(0, r.code, r.err)
    assert.equal(("1\t%s\n2\t%s\n3\ta\n4\tb\n"):format(BIN, path), r.out)
  end)

  it("runs the loop after the script until nothing referenced is left",
     function()
    local r = run_script([[
      setTimeout(function() print("timeout") end, 5)
      setImmediate(function() print("immediate") end)
      setTimeout(function() print("never") end, 60000):unref()
      local iv, n = nil, 0
      iv = setInterval(function()
        n = n + 1
        if n == 3 then print("interval 3"); clearInterval(iv) end
      end, 1)
      process.nextTick(function() print("tick") end)
      print("main")
    ]])
    assert.equal(0, r.code, r.err)
    assert.equal("", r.err)
    local lines = {}
    for l in r.out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.same({ "main", "tick" }, { lines[1], lines[2] })
    table.sort(lines)
    assert.same({ "immediate", "interval 3", "main", "tick", "timeout" },
                lines)
  end)

  it("exits 0 at once when only unref'd handles are left", function()
    local r = run_script([[
      setTimeout(function() print("never") end, 60000):unref()
      setInterval(function() print("never") end, 60000):unref()
      setImmediate(function() print("never") end):unref()
    ]])
    assert.equal(0, r.code, r.err)
    assert.equal("", r.out)
  end)
end)

describe("ludp -e", function()
  it("runs the chunk with the words after it as arg[1..n] and ...",
     function()
    local r = run({ "-e", [[
      print(select("#", ...), ...)
      print(#arg, arg[1], arg[2])
      for i, v in ipairs(process.argv) do print("argv", i, v) end
    ]], "x", "y z" })
    assert.equal(0, r.code, r.err)
    assert.equal("2\tx\ty z\n2\tx\ty z\n"
                 .. ("argv\t1\t%s\nargv\t2\tx\nargv\t3\ty z\n"):format(BIN),
                 r.out)
  end)

  it("runs the loop after the chunk", function()
    local r = run({ "-e", [[
      setTimeout(function() print("later") end, 1)
      print("now")
    ]] })
    assert.equal(0, r.code, r.err)
    assert.equal("now\nlater\n", r.out)
  end)

  it("runs several chunks in order", function()
    local r = run({ "-e", "x = 1", "-e", "print(x + 1)" })
    assert.equal(0, r.code, r.err)
    assert.equal("2\n", r.out)
  end)

  it("reports a chunk that does not compile: exit 1", function()
    local r = run({ "-e", "x = = 1" })
    assert.equal(1, r.code)
    assert.equal("ludp: (command line):1: unexpected symbol near '='",
                 r.lines[1])
    assert.equal("", r.out)
  end)
end)

describe("the garbage collector", function()
  it("runs in Lua's generational mode; a script can switch back", function()
    local r = run({ "-e", [[
      print(collectgarbage("incremental"))
      print(collectgarbage("generational"))
    ]] })
    assert.equal(0, r.code, r.err)
    assert.equal("generational\nincremental\n", r.out)
  end)

  it("frees what each datagram leaves behind as the script runs", function()
    -- 20,000 datagrams of 1000 bytes to itself: 20 MB of payloads and
    -- rinfo tables made, and the heap never holds more than a little.
    local r = run_script([[
      local s = require("dgram").createSocket("udp4")
      local n, peak, payload = 0, 0, string.rep("x", 1000)
      s:on("message", function(msg, rinfo)
        n = n + 1
        peak = math.max(peak, collectgarbage("count"))
        if n < 20000 then s:send(payload, rinfo.port, rinfo.address)
        else s:close() end
      end)
      s:bind(0, "127.0.0.1", function()
        s:send(payload, s:address().port, "127.0.0.1")
      end)
      process.on("exit", function() print(n, peak < 2048, peak) end)
    ]])
    assert.equal(0, r.code, r.err)
    assert.matches("^20000\ttrue\t", r.out)
  end)
end)

-- The host loads libm on the first math call (src/libm.c): the results
-- are libm's, bit for bit, as in stock lua5.4.
describe("math", function()
  local exprs = {
    "math.sqrt(2)", "2^0.5", "(-8)^(1/3)", "7.5 % 2", "-7.5 % 2",
    "math.fmod(7.5, 2)", "math.fmod(-7, 0.3)", "math.sin(1)", "math.cos(1)",
    "math.tan(1)", "math.asin(0.5)", "math.acos(0.5)", "math.atan(1, 2)",
    "math.exp(1)", "math.log(10)", "math.log(8, 2)", "math.log(1000, 10)",
    "math.log(7, 3)", "(math.cosh or math.exp)(1)",
    "(math.sinh or math.exp)(1)", "(math.tanh or math.exp)(1)",
    "(math.frexp or math.abs)(10)", "(math.ldexp or math.max)(0.75, 4)",
    "math.sqrt(-1) ~= math.sqrt(-1)", "2^1024",
  }

  it("gives the results of stock lua5.4, bit for bit", function()
    local want = {}
    for _, e in ipairs(exprs) do
      local v = assert(load("return " .. e))()
      want[#want + 1] = math.type(v) == "float" and string.format("%a", v)
                        or tostring(v)
    end
    local r = run({ "-e", "for _, v in ipairs({" .. table.concat(exprs, ", ") ..
             "}) do print(math.type(v) == 'float' and " ..
             "string.format('%a', v) or tostring(v)) end" })
    assert.equal(0, r.code, r.err)
    assert.equal(table.concat(want, "\n") .. "\n", r.out)
  end)

  it("loads libm only when first needed", function()
    local r = run({ "-e", [[
      local function mapped(name)
        local f = assert(io.open("/proc/self/maps"))
        local maps = f:read("a")
        f:close()
        return maps:find(name, 1, true) ~= nil
      end
      -- a sanitizer's runtime brings libm with it
      if mapped("libasan") or mapped("libubsan") then print("skip") return end
      local before = mapped("/libm.so")
      -- not 2.5 % 1, which the compiler folds, with libm's fmod
      local x = math.sin(0.5) + tonumber("2.5") % 1
      print(before, mapped("/libm.so"), x)
    ]] })
    assert.equal(0, r.code, r.err)
    if r.out == "skip\n" then return pending("libm comes with the sanitizer") end
    assert.equal(string.format("false\ttrue\t%s\n", math.sin(0.5) + 0.5),
                 r.out)
  end)
end)

describe("ludp -", function()
  it("runs the script read from stdin, with arg[0] = '-'", function()
    local r = run({ "-", "a", "b" }, [[
      print(arg[0], arg[1], arg[2], #arg)
      print(...)
      setTimeout(function() print("loop ran") end, 1)
    ]])
    assert.equal(0, r.code, r.err)
    assert.equal("-\ta\tb\t2\na\tb\nloop ran\n", r.out)
  end)

  it("is the default when stdin is not a terminal", function()
    local r = run({}, 'print("from stdin")')
    assert.equal(0, r.code, r.err)
    assert.equal("from stdin\n", r.out)
  end)

  it("reports a syntax error on stdin: exit 1", function()
    local r = run({ "-" }, "x = = 1")
    assert.equal(1, r.code)
    assert.equal("ludp: stdin:1: unexpected symbol near '='", r.lines[1])
  end)
end)

describe("--version and --help", function()
  for _, flag in ipairs({ "--version", "-v" }) do
    it(flag .. " prints the version and exits 0", function()
      local r = run({ flag })
      assert.equal(0, r.code)
      assert.equal("", r.err)
      -- The commit built is shown when the build knows it (a git checkout).
      local line = r.out:gsub("^(ludp %S+ %()[^;]*; ", "%1")
      assert.matches("^ludp %d+%.%d+%.%d+ %(Lua 5%.4, libuv %d+%.%d+%.%d+%)\n$",
                     line)
    end)
  end

  it("--version names a commit of this repository, or none", function()
    local build = run({ "--version" }).out:match("^ludp %S+ %(([^;]*); ")
    if build then
      local commit = build:gsub("%-dirty$", ""):match("%x+$")
      assert.truthy(commit, build)
      assert.is_true(os.execute("git cat-file -e " .. quote(commit)
                                .. "^{commit} 2>/dev/null"), build)
    else
      local inside = io.popen("git rev-parse --is-inside-work-tree 2>/dev/null")
      local yes = inside:read("a"); inside:close()
      assert.are_not.equal("true\n", yes) -- a checkout's build names its commit
    end
  end)

  for _, flag in ipairs({ "--help", "-h" }) do
    it(flag .. " prints the usage and exits 0", function()
      local r = run({ flag })
      assert.equal(0, r.code)
      assert.equal("", r.err)
      assert.equal(USAGE_FIRST, r.out:match("^[^\n]*"))
      assert.matches("\n%s+%-e chunk", r.out)
    end)
  end
end)

describe("a bad command line", function()
  it("an unknown flag: reason and usage on stderr, exit 2", function()
    for _, flag in ipairs({ "--bogus", "-x", "-version" }) do
      local r = run({ flag, "script.lua" })
      assert.equal(2, r.code)
      assert.equal("", r.out)
      assert.equal(BIN .. ": unrecognized option '" .. flag .. "'",
                   r.lines[1])
      assert.equal(USAGE_FIRST, r.lines[2])
    end
  end)

  it("-e without a chunk: exit 2", function()
    local r = run({ "-e" })
    assert.equal(2, r.code)
    assert.equal(BIN .. ": '-e' needs argument", r.lines[1])
    assert.equal(USAGE_FIRST, r.lines[2])
  end)

  it("a missing script file: one line, exit 2", function()
    local r = run({ "/nonexistent/ludp-spec.lua", "a" })
    assert.equal(2, r.code)
    assert.equal("", r.out)
    assert.equal(BIN .. ": cannot open /nonexistent/ludp-spec.lua: " ..
                 "No such file or directory\n", r.err)
  end)

  it("leaves the host's own frames out of an error's traceback", function()
    for _, text in ipairs({
      'local function f() error("boom") end\nf()\n',
      'setTimeout(function() error("late") end, 1)\n',
      'require("dgram").createSocket("udp4"):bind(99999)\n',
    }) do
      local r = run_script(text)
      assert.equal(1, r.code)
      assert.matches("\nstack traceback:\n", r.err, 1, true)
      assert.is_nil(r.err:find("ludp/host.lua", 1, true), r.err)
      assert.is_nil(r.err:find("ludp.core.", 1, true), r.err)
    end
  end)

  it("finds the script's own modules first, wherever it starts from",
     function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. quote(dir)))
    spit(dir .. "/main.lua", 'print(require("ludp_spec_util").where)')
    spit(dir .. "/ludp_spec_util.lua", 'return { where = "beside" }')
    local bin = BIN:sub(1, 1) == "/" and BIN or os.getenv("PWD") .. "/" .. BIN
    local r = run_program("sh", { "-c", "cd / && " .. quote(bin) .. " " ..
                                        quote(dir .. "/main.lua") })
    os.execute("rm -rf " .. quote(dir))
    assert.equal(0, r.code, r.err)
    assert.equal("beside\n", r.out)
  end)

  it("flags after the script belong to the script", function()
    local r = run_script("print(...)", "--bogus", "-e")
    assert.equal(0, r.code, r.err)
    assert.equal("--bogus\t-e\n", r.out)
  end)
end)

describe("an uncaught error", function()
  it("a script that does not compile: the message, exit 1", function()
    local r, path = run_script("print('no')\nx = = 1\n")
    assert.equal(1, r.code)
    assert.equal("", r.out)
    assert.equal("ludp: " .. path .. ":2: unexpected symbol near '='",
                 r.lines[1])
  end)

  it("in the main chunk: 'ludp: ' + error, traceback, exit 1", function()
    local r, path = run_script([[
      print("before")
      error("boom in main")
      print("after")
    ]])
    assert_uncaught(r, path .. ":2: boom in main")
    assert.matches(path .. ":2: in main chunk", r.err, 1, true)
    assert.equal("before\n", r.out)
  end)

  it("in a timer callback: exit 1, and nothing runs after it", function()
    local r, path = run_script([[
      setTimeout(function() error("boom in timer") end, 1)
      setTimeout(function() print("same pass") end, 1)
      setTimeout(function() print("later") end, 50)
    ]])
    assert_uncaught(r, path .. ":1: boom in timer")
    assert.equal("", r.out)
  end)

  it("in an interval callback: exit 1", function()
    local r, path = run_script([[
      setInterval(function() error("boom in interval") end, 1)
    ]])
    assert_uncaught(r, path .. ":1: boom in interval")
  end)

  it("in an immediate: exit 1", function()
    local r, path = run_script([[
      setImmediate(function() error("boom in immediate") end)
      setImmediate(function() print("next immediate") end)
    ]])
    assert_uncaught(r, path .. ":1: boom in immediate")
    assert.equal("", r.out)
  end)

  it("in a nextTick callback: exit 1", function()
    local r, path = run_script([[
      process.nextTick(function() error("boom in tick") end)
      setTimeout(function() print("timer") end, 1)
    ]])
    assert_uncaught(r, path .. ":1: boom in tick")
    assert.equal("", r.out)
  end)

  it("an 'error' event with no listener: exit 1", function()
    local r = run_script([[
      local EventEmitter = require("events")
      setTimeout(function() EventEmitter.new():emit("error", "bad") end, 1)
    ]])
    assert_uncaught(r, "Error [ERR_UNHANDLED_ERROR]: Unhandled error. (bad)")
  end)

  it("an error object: '<name> [<code>]: <message>' and its stack",
     function()
    local r = run_script([[
      setTimeout(function() setInterval(42) end, 1)
    ]])
    assert_uncaught(r, "TypeError [ERR_INVALID_ARG_TYPE]: The \"callback\" "
      .. "argument must be of type function. Received type number (42)")
  end)

  it("an error object emitted as 'error' with no listener", function()
    local r = run_script([[
      local _, err = pcall(setTimeout, "x")
      require("events").new():emit("error", err)
    ]])
    assert_uncaught(r, "TypeError [ERR_INVALID_ARG_TYPE]: The \"callback\" "
      .. "argument must be of type function. Received type string (\"x\")")
  end)

  it("a value with __tostring is printed with it", function()
    local r = run_script([[
      setImmediate(function()
        error(setmetatable({}, { __tostring = function() return "mine" end }))
      end)
    ]])
    assert_uncaught(r, "mine")
  end)

  it("a table without __tostring is printed as the REPL prints it", function()
    local r = run_script([[
      setImmediate(function() error({ code = 7, list = { 1, 2 } }) end)
    ]])
    assert_uncaught(r, "{ code = 7, list = { 1, 2 } }")
  end)

  it("a value whose __tostring fails is still reported", function()
    local r = run_script([[
      setImmediate(function()
        error(setmetatable({}, { __tostring = function() error("no") end }))
      end)
    ]])
    assert_uncaught(r, "<table: __tostring failed>")
    assert.is_nil(r.err:find("format_error", 1, true))
  end)

  it("handled by an 'uncaughtException' listener: the loop goes on, exit 0",
     function()
    local r = run_script([[
      process.on("uncaughtException", function(err, origin)
        print("caught", err, origin)
      end)
      setTimeout(function() error("in timer", 0) end, 1)
      setTimeout(function() print("after") end, 20)
      error("in main", 0)
    ]])
    assert.equal(0, r.code, r.err)
    assert.equal("", r.err)
    assert.equal("caught\tin main\tuncaughtException\n"
                 .. "caught\tin timer\tuncaughtException\nafter\n", r.out)
  end)

  it("exits 1 with the 'exit' listeners called with 1", function()
    local r = run_script([[
      process.on("exit", function(code) print("exit", code) end)
      setTimeout(function() error("boom", 0) end, 1)
    ]])
    assert_uncaught(r, "boom")
    assert.equal("exit\t1\n", r.out)
  end)

  it("in an 'exit' listener: reported with its own traceback, exit 1",
     function()
    local r, path = run_script([[
      process.on("uncaughtException", function() end)
      process.on("exit", function() error("in exit listener") end)
      error("handled in main")
    ]])
    assert_uncaught(r, path .. ":2: in exit listener")
    assert.is_nil(r.err:find("in main chunk", 1, true))
  end)

  it("in an 'exit' listener run by process.exit: traceback, exit 1",
     function()
    local r, path = run_script([[
      process.on("exit", function() error("in exit listener") end)
      process.exit(4)
    ]])
    assert_uncaught(r, path .. ":1: in exit listener")
  end)

  it("a table thrown by an 'exit' listener run by process.exit is printed "
     .. "as the REPL prints it", function()
    local r = run_script([[
      process.on("exit", function() error({ code = 7 }) end)
      process.exit(4)
    ]])
    assert_uncaught(r, "{ code = 7 }")
  end)
end)

describe("exit status", function()
  it("is 0 by default; 'exit' listeners get it after the loop", function()
    local r = run_script([[
      process.on("exit", function(code) print("exit", code) end)
      setTimeout(function() print("timer") end, 1)
    ]])
    assert.equal(0, r.code, r.err)
    assert.equal("timer\nexit\t0\n", r.out)
  end)

  it("is process.exitCode, which the 'exit' listeners get", function()
    local r = run_script([[
      process.on("exit", function(code)
        print("exit", code, process.exitCode)
      end)
      setTimeout(function() process.exitCode = 5 end, 1)
    ]])
    assert.equal(5, r.code, r.err)
    assert.equal("exit\t5\t5\n", r.out)
  end)

  it("follows an exitCode set by an 'exit' listener", function()
    local r = run_script([[
      process.on("exit", function(code) process.exitCode = code + 40 end)
      process.exitCode = 2
    ]])
    assert.equal(42, r.code, r.err)
  end)

  it("process.exit(n) exits at once after the 'exit' listeners", function()
    local r = run_script([[
      process.on("exit", function(code) print("exit 1", code) end)
      process.once("exit", function(code) print("exit 2", code) end)
      setTimeout(function() print("never") end, 1)
      setImmediate(function() print("never") end)
      process.nextTick(function() print("never") end)
      io.write("unflushed ")
      process.exit(3)
      print("not reached")
    ]])
    assert.equal(3, r.code, r.err)
    assert.equal("", r.err)
    assert.equal("unflushed exit 1\t3\nexit 2\t3\n", r.out)
  end)

  it("process.exit() from a callback uses exitCode", function()
    local r = run_script([[
      process.on("exit", function(code) print("exit", code) end)
      process.exitCode = 6
      setTimeout(function()
        process.exit()
      end, 1)
      setTimeout(function() print("never") end, 30)
    ]])
    assert.equal(6, r.code, r.err)
    assert.equal("exit\t6\n", r.out)
  end)

  it("process.exit(0) after an error was handled", function()
    local r = run_script([[
      process.on("uncaughtException", function() process.exit(0) end)
      error("x")
    ]])
    assert.equal(0, r.code, r.err)
    assert.equal("", r.err)
  end)

  it("process.exit with a bad code raises ERR_INVALID_ARG_TYPE", function()
    local r = run_script([[
      print(select(2, pcall(process.exit, "x")).code)
      print(select(2, pcall(process.exit, 1.5)).code)
      process.exit(7.0)
    ]])
    assert.equal(7, r.code, r.err)
    assert.equal("ERR_INVALID_ARG_TYPE\nERR_INVALID_ARG_TYPE\n", r.out)
  end)
end)

describe("signals", function()
  it("a SIGTERM listener runs and the process does not die", function()
    local r = run_script([[
      local keep = setTimeout(function()
        print("timed out: no signal")
      end, 30000)
      process.on("SIGTERM", function(name)
        print("got", name)
        clearTimeout(keep)
      end)
      process.on("exit", function(code) print("exit", code) end)
      process.kill(process.pid, "SIGTERM")
    ]])
    assert.equal(0, r.code, r.err)
    assert.equal("", r.err)
    assert.equal("got\tSIGTERM\nexit\t0\n", r.out)
  end)

  it("SIGINT and once work the same way", function()
    local r = run_script([[
      local keep = setTimeout(function() print("timed out") end, 30000)
      process.once("SIGINT", function(name)
        print("got", name)
        clearTimeout(keep)
      end)
      process.kill(process.pid, "SIGINT")
    ]])
    assert.equal(0, r.code, r.err)
    assert.equal("got\tSIGINT\n", r.out)
  end)

  it("a signal listener alone does not keep the process alive", function()
    local r = run_script([[
      process.on("SIGTERM", function() print("got it") end)
      process.on("SIGINT", function() print("got it") end)
      print("end of script")
    ]])
    assert.equal(0, r.code, r.err)
    assert.equal("end of script\n", r.out)
  end)

  it("once the last listener is removed, the signal kills again", function()
    local r = run_script([[
      local function f() print("listener ran") end
      process.on("SIGTERM", f)
      process.off("SIGTERM", f)
      setTimeout(function() print("survived") end, 30000)
      process.kill(process.pid, "SIGTERM")
    ]])
    assert.equal(128 + 15, r.code)
    assert.equal("", r.out)
  end)
end)
