-- Spec for the REPL on a terminal, driven through a real pseudo-terminal
-- (tests/pty/driver.lua): the prompt, output of timers and of datagrams
-- shown while the prompt is idle without garbling the line being typed,
-- tab completion, the history file, Ctrl-C and Ctrl-D.
--
-- Every wait is for something the REPL shows, with a watchdog; markers the
-- REPL prints are built by concatenation ("TI" .. "CK") so that the echo
-- of the typed line never matches them.

local driver = dofile("tests/pty/driver.lua")
local core = require("ludp.core")

local bin = os.getenv("LUDP_BIN") or "build/ludp"
driver.timeout = 15000               -- generous: the ASan build is slow

local SIGUSR1, SIGCONT, SIGSTOP = 10, 18, 19

local quote = require("helpers").quote

local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. quote(dir)))
  return dir
end

local function read_file(path)        -- nil when it does not exist (yet)
  return require("helpers").read_file(path, true)
end

local sessions, dirs = {}, {}

-- Starts `ludp -i` on a pty with HOME in a fresh directory (or 'home');
-- returns the session once the first prompt shows.
local function start(home, env)
  home = home or tmpdir()
  dirs[#dirs + 1] = home
  env = env or {}
  env.HOME, env.LUDP_HISTORY = home, false
  local t = driver.spawn({ bin, "-i" }, env)
  sessions[#sessions + 1] = t
  t.home = home
  t:expect_cursor_line(">")
  return t
end

-- Types a line and waits for the next empty prompt.
local function line(t, text)
  t:send(text .. "\r")
  t:expect("\n")                     -- the line was taken
  t:expect_cursor_line(">")
end

-- The screen line above the cursor's.
local function line_above(t)
  local lines = {}
  for l in (t:screen() .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = l end
  for i = #lines, 1, -1 do
    if lines[i] == t:cursor_line() then return lines[i - 1] end
  end
end

after_each(function()
  for _, t in ipairs(sessions) do t:close() end
  for _, d in ipairs(dirs) do os.execute("rm -rf " .. quote(d)) end
  sessions, dirs = {}, {}
end)

describe("the REPL on a terminal", function()
  it("shows a prompt and prints the values of expressions", function()
    local t = start()
    t:send("20 + 22\r")
    t:expect("\n42")
    t:expect_cursor_line(">")
  end)

  it("continues a multi-line function with the continuation prompt", function()
    local t = start()
    t:send("function double(a)\r")
    t:expect_cursor_line(">>")
    t:send("return a * 2\r")
    t:expect_cursor_line(">>")
    line(t, "end")
    t:send("double(21)\r")
    t:expect("\n42")
  end)

  it("shows a timer's output while idle and redraws the typed input", function()
    local t = start()
    -- The timer is armed from outside once the partial input is on screen,
    -- so its output comes while the user is typing.
    line(t, 'process.on("SIGUSR1", function() ' ..
            'setTimeout(function() print("TI" .. "CK") end, 1) end)')
    t:send("x = 4")
    t:expect_cursor_line("> x = 4")
    t:kill(SIGUSR1)
    t:expect("TICK")
    t:expect_cursor_line("> x = 4")
    assert.are.equal("TICK", line_above(t))
    line(t, "2")                     -- the line goes on where it was
    t:send("x\r")
    t:expect("\n42")
  end)

  it("shows a datagram's message while idle and redraws the typed input", function()
    local t = start()
    line(t, 's = dgram.createSocket("udp4", function(msg) ' ..
            'print("GOT " .. msg:upper()) end)')
    line(t, 's:bind(0, "127.0.0.1")')
    t:send("s:address().port\r")
    local out = t:expect(function(since) return since:find("\n%d+\r?\n") end)
    local port = tonumber(out:match("\n(%d+)\r?\n$"))
    assert.is_number(port)
    t:expect_cursor_line(">")
    t:send("y = 1")
    t:expect_cursor_line("> y = 1")

    -- from this process, another than the REPL's
    local _, u = core.udp(4)
    assert.are.equal(0, u:bind("127.0.0.1", 0))
    local status = u:send("ping", "127.0.0.1", port)
    u:close()
    core.run("nowait")
    assert.is_true(status >= 0)

    t:expect("GOT PING")
    t:expect_cursor_line("> y = 1")
    assert.are.equal("GOT PING", line_above(t))
    line(t, "0")
    t:send("y\r")
    t:expect("\n10")
  end)

  it("completes methods after ':' from the object's class chain", function()
    local t = start()
    line(t, 's = dgram.createSocket("udp4")')
    t:send("s:addr\t")
    t:expect_cursor_line("> s:address")
    t:send("\21s:\t\t")              -- Ctrl-U, then the list of methods
    t:expect("setBroadcast")
    local listing = t:screen()
    for _, m in ipairs({ "bind", "send", "close", "on", "emit", "address" }) do
      assert.matches("%f[%w]" .. m .. "%f[%W]", listing)
    end
    assert.is_nil(listing:find("_handle", 1, true))
  end)

  it("completes globals and table fields", function()
    local t = start()
    t:send("cjs\t")
    t:expect_cursor_line("> cjson")
    t:send("\21string.for\t")
    t:expect_cursor_line("> string.format")
    t:send("\21events.EventEmitter.listenerC\t")
    t:expect_cursor_line("> events.EventEmitter.listenerCount")
  end)

  it("writes the history file (mode 0600, no consecutive duplicates) and reads it back", function()
    local t = start()
    line(t, "1+1")
    line(t, "1+1")
    line(t, "2+2")
    t:send("\4")
    assert.are.equal(0, t:wait_exit())
    local path = t.home .. "/.ludp_history"
    assert.are.equal("1+1\n2+2\n", read_file(path))
    local p = io.popen("stat -c %a " .. quote(path))
    assert.are.equal("600", p:read("l"))
    p:close()

    local again = start(t.home)
    again:send("\27[A")              -- arrow up: the last line of before
    again:expect_cursor_line("> 2+2")
    again:send("\27[A")
    again:expect_cursor_line("> 1+1")
    again:send("\r")
    again:expect("\n2")
  end)

  it("keeps a block of several lines as one history entry, in the file too", function()
    local t = start()
    t:send("function double(a)\r")
    t:expect_cursor_line(">>")
    t:send("  return a * 2\r")
    t:expect_cursor_line(">>")
    line(t, "end")
    line(t, "x = 1 -- C:\\")          -- ends with a backslash
    t:send("\27[A\27[A")              -- Up twice: the block, whole
    t:expect_cursor_line("end")
    assert.matches("\n> function double%(a%)\n  return a %* 2\nend$", t:screen())
    t:send("\r")                      -- runs again as it is
    t:expect_cursor_line(">")
    t:send("double(21)\r")
    t:expect("\n42")
    t:expect_cursor_line(">")
    t:send("\4")
    assert.are.equal(0, t:wait_exit())
    local block = "function double(a)\\\n  return a * 2\\\nend\n"
    assert.are.equal(block .. "x = 1 -- C:\\ \n" .. block .. "double(21)\n",
                     read_file(t.home .. "/.ludp_history"))

    local again = start(t.home)
    again:send("\27[A\27[A")          -- the block, from the file
    again:expect_cursor_line("end")
    assert.matches("\n> function double%(a%)\n  return a %* 2\nend$",
                   again:screen())
    again:send("\27[A")
    again:expect_cursor_line("> x = 1 -- C:\\")
    again:send("\27[B")                -- Down: the block again, run
    again:expect_cursor_line("end")
    again:send("\r")
    again:expect_cursor_line(">")
    again:send("double(4)\r")
    again:expect("\n8")
  end)

  it("cancels the line being typed on Ctrl-C", function()
    local t = start()
    t:send("abc")
    t:expect_cursor_line("> abc")
    t:send("\3")
    t:expect("^C")
    t:expect_cursor_line(">")
    t:send("1+2\r")
    t:expect("\n3")
    assert.is_nil(t.output:find("abc'", 1, true))   -- no error about it
    assert.is_nil(t.output:find("attempt to", 1, true))
  end)

  it("cancels a multi-line chunk on Ctrl-C", function()
    local t = start()
    t:send("function f()\r")
    t:expect_cursor_line(">>")
    t:send("\3")
    t:expect_cursor_line(">")
    t:send("7\r")
    t:expect("\n7")
  end)

  it("interrupts a running line on Ctrl-C and returns to the prompt", function()
    local t = start()
    t:send('print("LOOP" .. "ING") while true do end\r')
    t:expect("LOOPING")
    t:send("\3")
    t:expect("interrupted!")
    t:expect_cursor_line(">")
    t:send("1+1\r")
    t:expect("\n2")
  end)

  it("interrupts a callback that keeps the loop busy on Ctrl-C", function()
    local t = start()
    t:send('setTimeout(function() print("BU" .. "SY") while true do end end, 1)\r')
    t:expect("BUSY")
    t:send("\3")
    t:expect("interrupted!")
    t:expect_cursor_line(">")
    t:send("1+1\r")
    t:expect("\n2")
  end)

  it("prints an error thrown by a callback and goes on", function()
    local t = start()
    t:send('setTimeout(function() error("cb" .. "boom") end, 1)\r')
    t:expect("stdin:1: cbboom")
    t:expect_cursor_line(">")
    t:send("5 * 5\r")
    t:expect("\n25")
  end)

  it("edits UTF-8 input in a UTF-8 locale", function()
    local t = start(nil, { LANG = "C.UTF-8", LC_ALL = false, LC_CTYPE = false })
    t:send("'h\195\169llo w\195\182rld'\2\2\2\2\2\2\2\8\r")  -- ^B x7, ^H
    t:expect('"h\195\169ll w\195\182rld"')       -- the 'o' before the cursor went
    t:expect_cursor_line(">")
  end)

  -- libedit's readline layer kept a pointer into a buffer it moved as the
  -- line grew past 1 KB: it wrote through it (malloc aborted), and the
  -- REPL read freed memory when it redrew the line or completed a word.
  it("redraws a line past 1 KB around output and completes at its end", function()
    local t = start()
    line(t, 'process.on("SIGUSR1", function() ' ..
            'setTimeout(function() print("TI" .. "CK") end, 1) end)')
    line(t, 'suffix = "CD"')
    local typed = 'x = "' .. string.rep("A", 5999) .. 'B'
    -- what the cursor's row shows of "> " .. text, 80 columns a row
    local function last_row(text)
      local all = "> " .. text
      return all:sub(-(#all % 80))
    end
    t:paste(typed)
    t:expect_cursor_line(last_row(typed))
    t:kill(SIGUSR1)                  -- output while the long line waits
    t:expect("TICK")
    t:expect_cursor_line(last_row(typed))
    t:send('" .. suf\t')              -- Tab at the end of it
    t:expect_cursor_line(last_row(typed .. '" .. suffix'))
    t:send("\r")
    t:expect("\n")
    t:expect_cursor_line(">")
    t:send("#x, x:sub(-4)\r")
    t:expect('\n6002\t"ABCD"')
    t:expect_cursor_line(">")
  end)

  it("takes a 100 KB paste", function()
    local t = start()
    t:paste('x = "' .. string.rep("A", 99999) .. 'B"\r')
    t:expect_cursor_line(">")
    t:send("#x, x:sub(-2)\r")
    t:expect('\n100000\t"AB"')
    t:expect_cursor_line(">")
  end)

  it("takes a paste of many lines, each run in turn", function()
    local t = start()
    local lines = {}
    for i = 1, 200 do lines[i] = string.format("t%d = %d", i, i) end
    t:paste(table.concat(lines, "\r") .. "\r")
    t:expect("> t200 = 200")
    t:expect_cursor_line(">")
    t:send("t1 + t100 + t200\r")
    t:expect("\n301")
  end)

  -- Bytes that are not UTF-8 reach Lua as they were typed, shown as
  -- \U+DCxx while the line is edited; a prompt that is not UTF-8 shows
  -- them as U+FFFD (libedit dereferenced NULL for it).
  it("passes bytes that are not UTF-8 on to Lua, visibly", function()
    local t = start(nil, { LANG = "C.UTF-8", LC_ALL = false, LC_CTYPE = false })
    t:send('x = "\255\254\195"')
    t:expect_cursor_line('> x = "\\U+DCFF\\U+DCFE\\U+DCC3"')
    t:send("\r")
    t:expect_cursor_line(">")
    t:send('x == "\\xff\\xfe\\xc3", #x\r')
    t:expect("\ntrue\t3")
    t:expect_cursor_line(">")
  end)

  it("shows a _PROMPT that is not UTF-8", function()
    local t = start(nil, { LANG = "C.UTF-8", LC_ALL = false, LC_CTYPE = false })
    t:send('_PROMPT = "\\xff\\xfe\\xc3> "\r')
    t:expect_cursor_line("\239\191\189\239\191\189\239\191\189>")
    t:send("6 * 7\r")
    t:expect("\n42")
    t:expect_cursor_line("\239\191\189\239\191\189\239\191\189>")
  end)

  it("takes a Ctrl-D typed while a line runs once the line is done", function()
    local t = start()
    t:send('print("X" .. "X") for i = 1, 3e6 do end\r')
    t:expect("XX")
    t:send("\4")
    assert.are.equal(0, t:wait_exit())
  end)

  it("sets the terminal again after Ctrl-Z and fg, keeping the typed text", function()
    local t = start()
    t:send("x = 4")
    t:expect_cursor_line("> x = 4")
    t:kill(SIGSTOP)                  -- as Ctrl-Z does; then the shell's mode
    assert(os.execute("stty -F /proc/" .. t:pid() .. "/fd/0 sane"))
    t:kill(SIGCONT)
    t:expect("> x = 4")
    t:expect_cursor_line("> x = 4")
    line(t, "2")
    t:send("x\r")
    t:expect("\n42")
  end)

  it("leaves with status 0 on Ctrl-D at an empty prompt", function()
    local t = start()
    t:send("\4")
    assert.are.equal(0, t:wait_exit())
  end)

  it("leaves with status 0 on .exit", function()
    local t = start()
    t:send(".exit\r")
    assert.are.equal(0, t:wait_exit())
  end)

  it("has libedit loaded (it is not linked: loaded for the prompt)", function()
    local t = start()
    t:send('io.open("/proc/self/maps"):read("a")'
           .. ':find("libedit.so", 1, true) ~= nil\r')
    t:expect("\ntrue")
    t:expect_cursor_line(">")
  end)

  -- Without libedit the REPL reads plain lines, as from a pipe (no
  -- prompt: the terminal echoes what is typed), and says why once.
  it("reads plain lines and says why when libedit cannot be loaded", function()
    local words, why = require("helpers").without_library("libedit.so.2")
    if not words then
      pending(why)
      return
    end
    local home = tmpdir()
    dirs[#dirs + 1] = home
    words[#words + 1] = bin
    words[#words + 1] = "-i"
    local t = driver.spawn(words, { HOME = home, LUDP_HISTORY = false })
    sessions[#sessions + 1] = t
    t:expect("ludp: line editing unavailable, reading plain lines (")
    t:expect("libedit.so.2")
    t:send("6 * 7\r")
    t:expect("\n42")
    t:send("\4")
    assert.are.equal(0, t:wait_exit())
    assert.is_nil(t.output:find("> ", 1, true), t:transcript())
  end)
end)
