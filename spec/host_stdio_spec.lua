-- Spec for process.stdin, process.stdout and process.stderr (src/stdio.c,
-- lua/ludp/stdio.lua) and console (lua/console.lua): the built host as a
-- process (LUDP_BIN, set by ctest), its standard input a pipe that writes
-- slowly, a file, /dev/null or a closed descriptor, its output a pipe
-- whose reader is slow. Where a test needs the host to do something
-- before the other side goes on, the two wait for each other through a
-- FIFO, never for a delay.

local helpers = require("helpers")
local quote, slurp, spit = helpers.quote, helpers.read_file, helpers.write_file

local BIN = os.getenv("LUDP_BIN") or "build/ludp"
if BIN:sub(1, 1) ~= "/" then BIN = os.getenv("PWD") .. "/" .. BIN end
local TIMEOUT = os.execute("command -v timeout >/dev/null 2>&1")
                and "timeout -k 5 60 " or ""

-- Temporary files made by a test, removed after it.
local temp = require("helpers").temp_files(after_each)

-- Runs the bash command 'cmd' with $LUDP the host and $DIR a fresh
-- folder; returns { code, out, err }.
local function bash(cmd)
  local out, err, dir = temp(), temp(), temp()
  os.remove(dir)
  assert(os.execute("mkdir " .. quote(dir)))
  local full = TIMEOUT .. "env LUDP=" .. quote(BIN) .. " DIR=" .. quote(dir)
    .. " bash -c " .. quote(cmd) .. " >" .. quote(out) .. " 2>" .. quote(err)
    .. " </dev/null"
  local _, how, n = os.execute(full)
  return { code = how == "signal" and 128 + n or n, out = slurp(out),
           err = slurp(err) }
end

-- Files that live for the whole spec.
local kept = {}
local function keep(text)
  local path = os.tmpname()
  kept[#kept + 1] = path
  spit(path, text)
  return path
end
teardown(function()
  for _, path in ipairs(kept) do os.remove(path) end
end)

-- A script that prints each 'line' as [line], then "end" and "close".
local LINES = keep([[
process.stdin:on("line", function(l) process.stdout:write("[" .. l .. "]\n") end)
process.stdin:on("end", function() process.stdout:write("end\n") end)
process.stdin:on("close", function() process.stdout:write("close\n") end)
]])

-- A script that copies stdin to stdout through 'data' and process.stdout.
local COPY = keep([[
process.stdin:on("data", function(chunk) process.stdout:write(chunk) end)
]])

describe("process.stdin", function()
  it("reads a pipe that writes slowly, the loop running meanwhile",
     function()
    -- The writer sends its second line only after a timer of the host
    -- has run, which it could not while the host waited on stdin.
    local script = temp([[
      local ack = ...
      process.stdin:on("line", function(l)
        process.stdout:write("[" .. l .. "]\n")
        if l == "a" then
          setTimeout(function()
            process.stdout:write("timer\n")
            local f = assert(io.open(ack, "w"))
            f:write("go\n")
            f:close()
          end, 1)
        end
      end)
      process.stdin:on("end", function() process.stdout:write("end\n") end)
    ]])
    local r = bash('mkfifo "$DIR/ack" && ' ..
      '{ echo a; read -r x < "$DIR/ack"; echo b; } | "$LUDP" ' ..
      quote(script) .. ' "$DIR/ack"')
    assert.equal(0, r.code, r.err)
    assert.equal("[a]\ntimer\n[b]\nend\n", r.out)
  end)

  it("reads a file: CRLF, a line longer than any buffer, a last line "
     .. "without an end of line", function()
    local long = string.rep("0123456789", 30000)
    local input = temp("one\r\n" .. long .. "\n\ntwo\r\nlast")
    local r = bash('"$LUDP" ' .. quote(LINES) .. ' < ' .. quote(input))
    assert.equal(0, r.code, r.err)
    assert.equal("[one]\n[" .. long .. "]\n[]\n[two]\n[last]\nend\nclose\n",
                 r.out)
  end)

  it("reads the same lines from a pipe", function()
    local long = string.rep("x", 200000)
    local input = temp("one\r\n" .. long .. "\nlast")
    local r = bash('cat ' .. quote(input) .. ' | "$LUDP" ' .. quote(LINES))
    assert.equal(0, r.code, r.err)
    assert.equal("[one]\n[" .. long .. "]\n[last]\nend\nclose\n", r.out)
  end)

  it("passes binary data through unchanged, from a file and a pipe",
     function()
    local bytes = {}
    for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
    local data = string.rep(table.concat(bytes), 1000) .. "\r\0\n"
    local input = temp(data)
    local copy = temp()
    local r = bash('"$LUDP" ' .. quote(COPY) .. ' < ' .. quote(input) ..
                   ' > ' .. quote(copy))
    assert.equal(0, r.code, r.err)
    assert.is_true(slurp(copy) == data)
    r = bash('cat ' .. quote(input) .. ' | "$LUDP" ' .. quote(COPY) ..
             ' | cat > ' .. quote(copy))
    assert.equal(0, r.code, r.err)
    assert.is_true(slurp(copy) == data)
  end)

  it("ends at once on /dev/null and on a closed descriptor", function()
    local r = bash('"$LUDP" ' .. quote(LINES) .. ' < /dev/null')
    assert.equal(0, r.code, r.err)
    assert.equal("end\nclose\n", r.out)
    r = bash('"$LUDP" ' .. quote(LINES) .. ' <&-')
    assert.equal(0, r.code, r.err)
    assert.equal("end\nclose\n", r.out)
  end)

  it("ends when the writer closes the pipe in the middle of a line",
     function()
    local r = bash('{ printf "whole\\npart"; exit 0; } | "$LUDP" '
                   .. quote(LINES))
    assert.equal(0, r.code, r.err)
    assert.equal("[whole]\n[part]\nend\nclose\n", r.out)
  end)

  it("holds the process until pause(), which lets it exit though the "
     .. "pipe stays open", function()
    local script = temp([[
      process.stdin:on("line", function(l)
        process.stdout:write("[" .. l .. "]\n")
        process.stdin:pause()
        process.stdout:write("paused " .. tostring(process.stdin:isPaused()) .. "\n")
      end)
    ]])
    -- The writing end stays open (fd 3) until the host has exited.
    local r = bash('mkfifo "$DIR/in" && ' ..
      '{ "$LUDP" ' .. quote(script) .. ' < "$DIR/in" & pid=$!; ' ..
      'exec 3> "$DIR/in"; echo a >&3; wait $pid; echo "status $?"; ' ..
      'exec 3>&-; }')
    assert.equal(0, r.code, r.err)
    assert.equal("[a]\npaused true\nstatus 0\n", r.out)
  end)

  it("leaves a shared pipe blocking again for the next program", function()
    -- libuv made fd 0 non-blocking; grep, reading the same pipe next,
    -- shows its flags (O_NONBLOCK is octal 04000).
    local r = bash('mkfifo "$DIR/ack" && ' ..
      '{ echo a; read -r x < "$DIR/ack"; } | { "$LUDP" -e ' ..
      quote('process.stdin:once("line", function() process.stdin:pause() end)') ..
      '; grep ^flags /proc/self/fdinfo/0; echo > "$DIR/ack"; }')
    assert.equal(0, r.code, r.err)
    local flags = tonumber(r.out:match("^flags:%s*(%d+)"), 8)
    assert.is_not_nil(flags, r.out)
    assert.equal(0, flags & 0x800)
  end)

  it("keeps a file's chunk read before pause() for resume()", function()
    local input = temp("1\n2\n3\n")
    local script = temp([[
      process.stdin:on("line", function(l)
        process.stdout:write(l .. "\n")
        if l == "1" then
          process.stdin:pause()
          setTimeout(function()
            process.stdout:write("resume\n")
            process.stdin:resume()
          end, 1)
        end
      end)
      process.stdin:on("end", function() process.stdout:write("end\n") end)
    ]])
    local r = bash('"$LUDP" ' .. quote(script) .. ' < ' .. quote(input))
    assert.equal(0, r.code, r.err)
    assert.equal("1\n2\n3\nresume\nend\n", r.out)
  end)

  it("is refused in the REPL, with a reason", function()
    local r = bash('echo "print(1)" | "$LUDP" -i -e ' ..
      quote('local ok, e = pcall(process.stdin.on, process.stdin, "data", print) ' ..
            'print(ok, e.code, e.message)'))
    assert.equal(0, r.code, r.err)
    assert.matches("false\tERR_INVALID_STATE\tInvalid state: process.stdin " ..
                   "cannot be read while the REPL reads standard input\n",
                   r.out, 1, true)
  end)
end)

describe("process.stdout", function()
  it("never blocks the loop on a reader that has not started reading",
     function()
    -- The reader reads stdout only once the host said on stderr that
    -- its writes returned: a write that blocked would never get there.
    local script = temp([[
      local chunk = string.rep("x", 1023) .. "\n"
      local ok
      for _ = 1, 1024 do ok = process.stdout:write(chunk) end
      io.stderr:write("returned " .. tostring(ok) .. "\n")
      io.stderr:flush()
      process.stdout:on("drain", function() io.stderr:write("drain\n") end)
    ]])
    local out = temp()
    local r = bash('mkfifo "$DIR/err" && "$LUDP" ' .. quote(script) ..
      ' 2> "$DIR/err" | { read -r l < "$DIR/err"; echo "$l"; ' ..
      'wc -c > ' .. quote(out) .. '; }')
    assert.equal(0, r.code, r.err)
    assert.equal("returned false\n", r.out)
    assert.equal(1024 * 1024, tonumber(slurp(out)))
  end)

  it("writes every byte in order by exit, process.exit, os.exit and an "
     .. "uncaught error included", function()
    local want = {}
    for i = 1, 50000 do want[#want + 1] = i .. "\n" end
    want = table.concat(want)
    -- The reader starts once the host said on stderr that everything is
    -- queued; the host then ends while most of it still waits.
    for _, ending in ipairs({ "", "process.exit(3)", "os.exit(4)",
                              "error('boom')" }) do
      local script = temp("for i = 1, 50000 do process.stdout:write(i .. " ..
                          "'\\n') end\nio.stderr:write('queued\\n')\n" ..
                          ending)
      local out = temp()
      local r = bash('mkfifo "$DIR/err" && "$LUDP" ' .. quote(script) ..
        ' 2> "$DIR/err" | { read -r l < "$DIR/err"; cat > ' .. quote(out) ..
        '; }; echo "${PIPESTATUS[0]}"')
      assert.equal(0, r.code, r.err)
      local code = ({ [""] = "0\n", ["process.exit(3)"] = "3\n",
                      ["os.exit(4)"] = "4\n" })[ending] or "1\n"
      assert.equal(code, r.out, ending)
      assert.is_true(slurp(out) == want, ending)
    end
  end)

  it("calls a write's callback once written, and print's earlier output "
     .. "comes first", function()
    local r = bash('"$LUDP" -e ' .. quote([[
      print("printed")
      process.stdout:write("queued\n", function(err)
        io.stderr:write("written ", tostring(err), "\n")
      end)
    ]]) .. ' | cat')
    assert.equal(0, r.code, r.err)
    assert.equal("printed\nqueued\n", r.out)
    assert.equal("written nil\n", r.err)
  end)

  it("reports a reader that went away as an EPIPE 'error'", function()
    local r = bash('"$LUDP" -e ' .. quote([[
      process.stdout:on("error", function(e)
        io.stderr:write(e.code, " ", e.syscall, "\n")
      end)
      local function more() process.stdout:write("y\n", function(err)
        if not err then setImmediate(more) end
      end) end
      more()
    ]]) .. ' | head -n 1 >/dev/null')
    assert.equal(0, r.code, r.err)
    assert.equal("EPIPE write\n", r.err)
  end)

  it("checks its arguments", function()
    local r = bash('"$LUDP" -e ' .. quote([[
      for _, args in ipairs({ { 5 }, { "x", 5 } }) do
        local ok, e = pcall(process.stdout.write, process.stdout, table.unpack(args))
        print(ok, e.code)
      end
      local ok, e = pcall(process.stdout.write, {}, "x")
      print(ok, e.code)
    ]]))
    assert.equal(0, r.code, r.err)
    assert.equal(("false\tERR_INVALID_ARG_TYPE\n"):rep(3), r.out)
  end)
end)

describe("console", function()
  it("logs to stdout and warns to stderr, with Node's format", function()
    local r = bash('"$LUDP" -e ' .. quote([[
      console.log("%s got %d bytes from %j", "server", 12, { "a" }, { x = 1 })
      console.info("%i %f %o %c|%% %s", 3.9, "2.5", { 1 }, "css", nil)
      console.debug("no args %s")
      console.log(1, nil, true, "s", { k = "v" })
      console.log("%d %d", "nope")
      console.warn("warn %s", "w")
      console.error({ 1, 2 })
      console.dir("quoted")
      console.assert(true, "never")
      console.assert(false, "n=%d", 7)
    ]]))
    assert.equal(0, r.code, r.err)
    assert.equal('server got 12 bytes from ["a"] { x = 1 }\n' ..
                 "3 2.5 { 1 } |% nil\n" ..
                 "no args %s\n" ..
                 '1 nil true s { k = "v" }\n' ..
                 "NaN %d\n" ..
                 '"quoted"\n', r.out)
    assert.equal("warn w\n{ 1, 2 }\nAssertion failed: n=7\n", r.err)
  end)

  it("keeps its order with process.stdout:write on a slow pipe", function()
    local r = bash('"$LUDP" -e ' .. quote([[
      for i = 1, 20000 do
        if i % 2 == 0 then console.log(i) else process.stdout:write(i .. "\n") end
      end
    ]]) .. ' | { sleep 0.2; cat; } | md5sum; seq 20000 | md5sum')
    assert.equal(0, r.code, r.err)
    local a, b = r.out:match("^(%x+).-\n(%x+)")
    assert.equal(b, a)
  end)
end)

describe("process extras", function()
  it("uptime, cwd, memoryUsage, argv0, title", function()
    local r = bash('cd "$DIR" && "$LUDP" -e ' .. quote([[
      local u = process.uptime()
      print(type(u), u >= 0 and u < 60)
      print(process.cwd() == os.getenv("PWD"))
      local m = process.memoryUsage()
      print(math.type(m.rss), m.rss > 0, math.type(m.heapUsed),
            m.heapUsed > 1000)
      print(process.argv0 == os.getenv("LUDP"), process.title)
    ]]))
    assert.equal(0, r.code, r.err)
    assert.equal("number\ttrue\ntrue\ninteger\ttrue\tinteger\ttrue\n" ..
                 "true\tludp\n",
                 r.out)
  end)

  it("-e and - find modules in the current folder first", function()
    -- argparse.lua is also a module of the system's folders, which come
    -- after the current one.
    local r = bash('cd "$DIR" && echo "return { where = \\"here\\" }" > ' ..
      'argparse.lua && "$LUDP" -e \'print(require("argparse").where)\' && ' ..
      'echo \'print(require("argparse").where)\' | "$LUDP" -')
    assert.equal(0, r.code, r.err)
    assert.equal("here\nhere\n", r.out)
  end)
end)

describe("process.stdin on a terminal", function()
  -- Through a pseudo-terminal (tests/pty/driver.lua): a line comes when
  -- Enter is pressed, Ctrl-D at the start of a line ends the input.
  it("gives a line per Enter and 'end' at Ctrl-D", function()
    local driver = dofile("tests/pty/driver.lua")
    driver.timeout = 15000             -- the ASan build is slow
    local t = driver.spawn({ BIN, LINES }, {})
    finally(function() t:close() end)
    t:send("first\r")
    t:expect("[first]")
    t:send("second line\r")
    t:expect("[second line]")
    t:send("\4")
    t:expect("close")
    assert.equal(0, t:wait_exit())
  end)
end)
