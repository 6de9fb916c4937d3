-- Spec: signals and shutdown, through real processes of the host
-- (LUDP_BIN). With a 'SIGTERM' or 'SIGINT' listener a server is not killed:
-- the listener closes its sockets, the sends made right before close go
-- out first (one still waiting for its lookup does not: its callback gets
-- ERR_SOCKET_DGRAM_NOT_RUNNING), then 'close' and 'exit' run and the
-- process exits 0. Without a listener the signal kills
-- as usual. SIGPIPE never kills the host: not sent by kill, not raised by
-- writing to a closed pipe, not after a script stopped listening for it.
-- Loopback only, port 0 only.

local dgram = require("dgram")
local process = require("ludp.process")
local T = require("ludp.test")

local BIN = os.getenv("LUDP_BIN") or "build/ludp"
local TIMEOUT = "timeout -k 5 60 "   -- a hung child shows as status 124

local temps = {}
local function temp(text)
  local path = os.tmpname()
  temps[#temps + 1] = path
  if text then
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
  end
  return path
end
after_each(function()
  for _, path in ipairs(temps) do os.remove(path) end
  temps = {}
end)

local slurp = require("helpers").read_file

-- Starts the host on 'script' with 'args'; its stdout is read through the
-- returned pipe, its stderr goes to a file. The script's first line must
-- be "<port> <pid>".
local function start(script, args)
  local err = temp()
  local p = assert(io.popen(TIMEOUT .. BIN .. " " .. temp(script) .. " " ..
                            (args or "") .. " </dev/null 2>" .. err, "r"))
  local first = p:read("l")
  assert(first, "the server printed nothing: " .. slurp(err))
  local port, pid = first:match("^(%d+) (%d+)$")
  assert(port, "unexpected first line: " .. first)
  return { pipe = p, port = tonumber(port), pid = tonumber(pid), err = err }
end

-- Waits for the child; returns its exit code (128 + n if killed by n),
-- the rest of its stdout and its stderr.
local function finish(child)
  local out = child.pipe:read("a")
  local _, how, code = child.pipe:close()
  return how == "signal" and 128 + code or code, out, slurp(child.err)
end

-- A server that answers "ready" to a first datagram; on the signal given
-- as arg[1] it makes 60 sends to that peer's literal address and one to
-- "localhost" (it waits for its lookup), then closes.
local SERVER = [[
local dgram = require("dgram")
io.stdout:setvbuf("line")
local sig = arg[1]
local server = dgram.createSocket("udp4")
local peer
server:on("message", function(msg, rinfo)
  peer = rinfo
  server:send("ready", rinfo.port, rinfo.address)
end)
process.on(sig, function(name)
  print("got " .. name)
  for i = 1, 60 do server:send("flush " .. i, peer.port, peer.address) end
  server:send("by name", peer.port, "localhost", function(err)
    print("by name " .. err.code)
  end)
  server:close(function() print("closed") end)
end)
process.on("exit", function(code) print("exit " .. code) end)
server:bind(0, "127.0.0.1", function()
  print(server:address().port .. " " .. process.pid)
end)
]]

-- Talks to a started SERVER: says hello, sends 'sig' on "ready", and
-- collects what comes back until "flush 60".
local function shut_down_with(sig)
  local child = start(SERVER, sig)
  local got = {}
  T.run(function(done)
    local c = dgram.createSocket("udp4")
    c:on("message", function(msg)
      if msg == "ready" then
        process.kill(child.pid, sig)
        return
      end
      got[#got + 1] = msg
      if msg == "flush 60" then c:close(done) end
    end)
    c:send("hello", child.port, "127.0.0.1")
  end, 20000)
  local code, out, err = finish(child)
  return code, out, err, got
end

local function expected_flush()
  local want = {}
  for i = 1, 60 do want[i] = "flush " .. i end
  return want
end

describe("a server with a signal listener", function()
  for _, sig in ipairs({ "SIGTERM", "SIGINT" }) do
    it("on " .. sig .. " flushes its pending sends, closes and exits 0",
       function()
      local code, out, err, got = shut_down_with(sig)
      assert.equal("", err)
      assert.equal(0, code)
      assert.equal("got " .. sig .. "\nby name ERR_SOCKET_DGRAM_NOT_RUNNING" ..
                   "\nclosed\nexit 0\n", out)
      assert.same(expected_flush(), got)
    end)
  end

  it("is not killed by the signal while the listener stays", function()
    local child = start([[
      local dgram = require("dgram")
      io.stdout:setvbuf("line")
      local s = dgram.createSocket("udp4")
      local n, peer = 0, nil
      process.on("SIGTERM", function()
        n = n + 1
        s:send("signal " .. n, peer.port, peer.address)
      end)
      s:on("message", function(msg, rinfo)
        if msg == "quit" then return s:close() end
        peer = rinfo
        s:send("ready", rinfo.port, rinfo.address)
      end)
      s:bind(0, "127.0.0.1", function()
        print(s:address().port .. " " .. process.pid)
      end)
    ]])
    local answers = {}
    T.run(function(done)
      local c = dgram.createSocket("udp4")
      c:on("message", function(msg)
        answers[#answers + 1] = msg
        if msg == "signal 3" then
          c:send("quit", child.port, "127.0.0.1", function() c:close(done) end)
        else
          process.kill(child.pid, "SIGTERM")
        end
      end)
      c:send("hello", child.port, "127.0.0.1")
    end, 20000)
    local code = finish(child)
    assert.equal(0, code)
    assert.same({ "ready", "signal 1", "signal 2", "signal 3" }, answers)
  end)
end)

describe("a server without a signal listener", function()
  it("is killed by SIGTERM", function()
    local child = start([[
      local dgram = require("dgram")
      io.stdout:setvbuf("line")
      local s = dgram.createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        print(s:address().port .. " " .. process.pid)
      end)
    ]])
    process.kill(child.pid, "SIGTERM")
    local code = finish(child)
    assert.equal(128 + 15, code)
  end)
end)

-- Runs a chunk with the host; returns exit code (128 + n when killed by
-- signal n), stdout and stderr.
local function run_chunk(chunk, prefix)
  local out, err = temp(), temp()
  local _, how, code = os.execute((prefix or "") .. TIMEOUT .. BIN .. " " ..
                                  temp(chunk) .. " </dev/null >" .. out ..
                                  " 2>" .. err)
  return how == "signal" and 128 + code or code, slurp(out), slurp(err)
end

describe("a server that closed on SIGTERM", function()
  -- Before: the signal handles close with the Lua state, and libuv puts
  -- SIG_DFL back; a second SIGTERM arriving then (timeout(1) and
  -- supervisors signal the whole process group) killed the exiting host:
  -- status 143 instead of 0. The finalizer below sends it exactly then.
  for _, lookup in ipairs({ false, true }) do
    it("exits 0 when another SIGTERM comes while it exits" ..
       (lookup and " (after a lookup: libuv's threads exist)" or ""),
       function()
      local code, out = run_chunk([[
        -- created first, so finalized after the signal handle closed
        _G.late = setmetatable({}, { __gc = function()
          process.kill(process.pid, "SIGTERM")
        end })
        local dgram = require("dgram")
        local s = dgram.createSocket("udp4")
        process.on("SIGTERM", function()
          print("closing")
          s:close()
        end)
        s:bind(0, ]] .. (lookup and '"localhost"' or '"127.0.0.1"') .. [[,
               function() process.kill(process.pid, "SIGTERM") end)
      ]])
      assert.equal(0, code)
      assert.equal("closing\n", out)
    end)
  end
end)

describe("SIGPIPE", function()
  -- kill() to itself delivers an unblocked signal before it returns: a
  -- SIGPIPE that kills does so before the next line.
  it("sent to the host does not kill it", function()
    local code, out = run_chunk([[
      process.kill(process.pid, "SIGPIPE")
      print("alive")
    ]])
    assert.equal(0, code)
    assert.equal("alive\n", out)
  end)

  it("does not kill it after a script listened for it and stopped",
     function()
    local code, out = run_chunk([[
      local core = require("ludp.core")
      local seen = 0
      local step2
      local function f()
        seen = seen + 1
        if seen == 1 then setImmediate(step2) end
      end
      -- the signal handle is unref'd: a watchdog keeps the loop until then
      local watchdog = setTimeout(function() print("no SIGPIPE") end, 5000)
      process.on("SIGPIPE", f)
      process.kill(process.pid, "SIGPIPE")     -- to the listener
      function step2()
        clearTimeout(watchdog)
        process.off("SIGPIPE", f)              -- closes the signal handle
        process.kill(process.pid, "SIGPIPE")
        process.on("SIGPIPE", f)               -- again, all removed
        process.removeAllListeners("SIGPIPE")
        process.kill(process.pid, "SIGPIPE")
        local h = core.signal()                -- stopped, not closed
        h:start("SIGPIPE", function() end)
        h:stop()
        process.kill(process.pid, "SIGPIPE")
        h:close()
        print("alive " .. seen)
      end
    ]])
    assert.equal(0, code)
    assert.equal("alive 1\n", out)
  end)

  it("from writing to a closed pipe does not kill it", function()
    local script = temp([[
      local ok, err
      for _ = 1, 100000 do
        io.stdout:write(("x"):rep(99), "\n")
        ok, err = io.stdout:flush()
        if not ok then break end
      end
      io.stderr:write("survived: ", tostring(err), "\n")
    ]])
    local err = temp()
    local p = io.popen("bash -c '" .. TIMEOUT .. "\"$0\" \"$1\" 2>\"$2\" | " ..
                       "head -c 1 >/dev/null; echo \"${PIPESTATUS[0]}\"' " ..
                       BIN .. " " .. script .. " " .. err)
    local status = p:read("a")
    p:close()
    assert.equal("0\n", status)
    assert.matches("^survived: .*Broken pipe", slurp(err))
  end)
end)

describe("process.kill", function()
  it("refuses a pid that does not fit a pid_t (never the process group)",
     function()
    -- setsid: were the pid truncated to 0, only this child would go
    local code, out = run_chunk([[
      local ok, err = pcall(process.kill, 2^32, "SIGTERM")
      print(ok, err.code)
      ok, err = pcall(process.kill, -2^32 - 1, "SIGTERM")
      print(ok, err.code)
    ]], "setsid ")
    assert.equal(0, code)
    assert.equal("false\tEINVAL\nfalse\tEINVAL\n", out)
  end)
end)
