-- Spec: callbacks that throw or close. A 'message' handler that throws
-- goes to 'uncaughtException' (or, with no listener, stops the loop: the
-- host exits 1 with the traceback) and, when handled, the socket keeps
-- receiving. A handler that closes its socket gets no further 'message',
-- even for datagrams already read in the same batch, and the replies it
-- made before closing still leave. Closing from every callback (send,
-- bind, lookup, 'listening', connect, 'error', 'close') and throwing from
-- them is safe: one 'close', no handle left, nothing lost that was sent.
-- Loopback only, port 0 only; the host runs as a real process (LUDP_BIN).

local dgram = require("dgram")
local core = require("ludp.core")
local process = require("ludp.process")
local T = require("ludp.test")

local BIN = os.getenv("LUDP_BIN") or "build/ludp"

-- Errors that reach 'uncaughtException' during a test.
local uncaught
local function on_uncaught(err) uncaught[#uncaught + 1] = err end
before_each(function()
  uncaught = {}
  process.on("uncaughtException", on_uncaught)
end)
after_each(function()
  process.off("uncaughtException", on_uncaught)
end)

-- A bound server on 127.0.0.1 and a client; then body(server, client,
-- port) inside T.run.
local function pair(body, timeout)
  T.run(function(done)
    local server = dgram.createSocket("udp4")
    local client = dgram.createSocket("udp4")
    server:bind(0, "127.0.0.1", function()
      client:bind(0, "127.0.0.1", function()
        body(server, client, server:address().port, done)
      end)
    end)
  end, timeout)
end

describe("a 'message' handler that throws", function()
  it("goes to 'uncaughtException'; the socket keeps receiving", function()
    local got = {}
    pair(function(server, client, port, done)
      server:on("message", function(msg)
        got[#got + 1] = msg
        if msg == "boom" then error("handler failed on " .. msg) end
        if msg == "last" then
          client:close()
          server:close(done)
        end
      end)
      client:send("one", port, "127.0.0.1")
      client:send("boom", port, "127.0.0.1", function()
        -- a later wakeup, so that a broken receiver would show
        core.next_tick(function() client:send("last", port, "127.0.0.1") end)
      end)
    end)
    assert.same({ "one", "boom", "last" }, got)
    assert.equal(1, #uncaught)
    assert.matches("handler failed on boom", uncaught[1])
  end)

  it("on every datagram of a batch: each error reported, none lost",
     function()
    local got = 0
    pair(function(server, client, port, done)
      server:on("message", function(msg)
        got = got + 1
        if msg == "end" then
          client:close()
          return server:close(done)
        end
        error({ n = got })         -- any value, not only strings
      end)
      for i = 1, 30 do client:send("x" .. i, port, "127.0.0.1") end
      client:send("end", port, "127.0.0.1")
    end)
    assert.equal(31, got)
    assert.equal(30, #uncaught)
    for i = 1, 30 do assert.same({ n = i }, uncaught[i]) end
  end)

  it("does not stop the nextTick queue running after every datagram",
     function()
    -- Datagrams read in one recvmmsg batch are delivered together; Node
    -- runs the nextTick queue after each 'message', and so must we.
    local log = {}
    pair(function(server, client, port, done)
      server:on("message", function(msg)
        log[#log + 1] = msg
        core.next_tick(function() log[#log + 1] = "tick " .. msg end)
        if msg == "3" then error("three") end
        if msg == "5" then
          client:close()
          server:close(done)
        end
      end)
      for i = 1, 5 do client:send(tostring(i), port, "127.0.0.1") end
    end)
    assert.same({ "1", "tick 1", "2", "tick 2", "3", "tick 3", "4",
                  "tick 4", "5", "tick 5" }, log)
    assert.equal(1, #uncaught)
  end)

  it("and a throwing 'uncaughtException' listener stop the loop", function()
    local server, client
    local ok, err = pcall(T.run, function()
      server = dgram.createSocket("udp4")
      client = dgram.createSocket("udp4")
      process.on("uncaughtException", function(e)
        error("listener failed too: " .. tostring(e))
      end)
      server:on("message", function() error("first") end)
      server:bind(0, "127.0.0.1", function()
        client:send("x", server:address().port, "127.0.0.1")
      end)
    end)
    process.removeAllListeners("uncaughtException")
    process.on("uncaughtException", on_uncaught)
    -- the failed T.run closed the sockets its body made
    assert.equal("Socket<udp4 closed>", tostring(client))
    assert.equal("Socket<udp4 closed>", tostring(server))
    assert.is_false(ok)
    assert.matches("listener failed too: .*first", tostring(err))
  end)
end)

-- Runs a script with the host; returns exit code, stdout, stderr.
local function run_host(script)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(script)
  f:close()
  local out, err = os.tmpname(), os.tmpname()
  local _, how, code = os.execute("timeout -k 5 60 " .. BIN .. " " .. path ..
                                  " </dev/null >" .. out .. " 2>" .. err)
  local function slurp(p)
    local h = assert(io.open(p, "rb"))
    local s = h:read("a")
    h:close()
    os.remove(p)
    return s
  end
  os.remove(path)
  return how == "signal" and 128 + code or code, slurp(out), slurp(err)
end

describe("the host, for a 'message' handler that throws", function()
  it("with no listener exits 1 with the error and its traceback", function()
    local code, out, err = run_host([[
      local dgram = require("dgram")
      local s = dgram.createSocket("udp4")
      s:on("message", function(msg)
        print("got " .. msg)
        local t = nil
        return t.field                       -- line 6
      end)
      s:bind(0, "127.0.0.1", function()
        s:send("ping", s:address().port, "127.0.0.1")
      end)
    ]])
    assert.equal(1, code)
    assert.equal("got ping\n", out)
    assert.matches("^ludp: [^\n]*:6: attempt to index a nil value", err)
    assert.matches("stack traceback:", err)
  end)

  it("with a listener goes on receiving and exits 0", function()
    local code, out = run_host([[
      local dgram = require("dgram")
      local s = dgram.createSocket("udp4")
      local n = 0
      process.on("uncaughtException", function(e)
        print("caught " .. tostring(e):match("boom %d"))
      end)
      s:on("message", function(msg)
        n = n + 1
        if n == 3 then s:close() return end
        error("boom " .. n)
      end)
      s:bind(0, "127.0.0.1", function()
        for i = 1, 3 do s:send("m" .. i, s:address().port, "127.0.0.1") end
      end)
    ]])
    assert.equal(0, code)
    assert.equal("caught boom 1\ncaught boom 2\n", out)
  end)
end)

describe("a 'message' handler that closes its socket", function()
  it("gets nothing more, though more datagrams were read in its batch",
     function()
    local got, closed = 0, 0
    pair(function(server, client, port, done)
      server:on("message", function()
        got = got + 1
        server:close(function()
          closed = closed + 1
          client:close()
          core.next_tick(done)
        end)
      end)
      -- all in the kernel before the server's next read
      for i = 1, 40 do client:send("d" .. i, port, "127.0.0.1") end
    end)
    assert.equal(1, got)
    assert.equal(1, closed)
  end)

  it("still sends the replies it made before closing", function()
    local replies = {}
    pair(function(server, client, port, done)
      server:on("message", function(msg, rinfo)
        server:send("re " .. msg, rinfo.port, rinfo.address)
        server:send("bye", rinfo.port, rinfo.address)
        server:close()
      end)
      client:on("message", function(msg)
        replies[#replies + 1] = msg
        if msg == "bye" then client:close(done) end
      end)
      for i = 1, 10 do client:send("d" .. i, port, "127.0.0.1") end
    end)
    assert.same({ "re d1", "bye" }, replies)
  end)

  it("while a send waits for its lookup gets nothing more, and the " ..
     "send is not made", function()
    local got, replies, errs = 0, {}, {}
    pair(function(server, client, port, done)
      server:on("message", function(_, rinfo)
        got = got + 1
        server:send("late", rinfo.port, "localhost")   -- waits for lookup
        server:close(function()
          -- the lookup may answer later: nothing goes out then either
          local marker = dgram.createSocket("udp4")
          marker:send("marker", client:address().port, "127.0.0.1",
                      function() marker:close() end)
        end)
      end)
      server:on("error", function(err) errs[#errs + 1] = err.code end)
      client:on("message", function(msg)
        replies[#replies + 1] = msg
        client:close(done)
      end)
      for i = 1, 20 do client:send("d" .. i, port, "127.0.0.1") end
    end)
    assert.equal(1, got)
    assert.same({ "marker" }, replies)
    assert.same({}, errs)                    -- closed: no 'error' either
  end)

  it("of another socket stops that one too, in the same pass", function()
    local got_a, got_b = 0, 0
    T.run(function(done)
      local a = dgram.createSocket("udp4")
      local b = dgram.createSocket("udp4")
      local left = 2
      local function closed()
        left = left - 1
        if left == 0 then done() end
      end
      a:on("message", function()
        got_a = got_a + 1
        if got_a == 1 then
          b:close(closed)
          a:close(closed)
        end
      end)
      b:on("message", function()
        got_b = got_b + 1
        if got_b == 1 then
          a:close(closed)
          b:close(closed)
        end
      end)
      a:bind(0, "127.0.0.1", function()
        b:bind(0, "127.0.0.1", function()
          for i = 1, 10 do
            a:send("to b " .. i, b:address().port, "127.0.0.1")
            b:send("to a " .. i, a:address().port, "127.0.0.1")
          end
        end)
      end)
    end)
    assert.equal(1, got_a + got_b)
  end)

  it("and then throws: the error is reported, nothing more arrives",
     function()
    local got = 0
    pair(function(server, client, port, done)
      server:on("message", function()
        got = got + 1
        server:close(function() client:close(done) end)
        error("after close")
      end)
      for i = 1, 10 do client:send("d" .. i, port, "127.0.0.1") end
    end)
    assert.equal(1, got)
    assert.equal(1, #uncaught)
  end)
end)

-- Each case makes a socket and closes it (or throws) from one callback;
-- 'close' must come exactly once and no handle may be left.
local function lookup_localhost(host, family, cb)
  if host == "localhost" then host = family == 6 and "::1" or "127.0.0.1" end
  cb(nil, host, family)
end

local CASES = {
  ["the send callback"] = function(s, act)
    s:bind(0, "127.0.0.1", function()
      s:send("x", s:address().port, "127.0.0.1", act)
    end)
  end,
  ["the callback of a send queued before bind"] = function(s, act)
    s:send("x", 9, "127.0.0.1", act)
  end,
  ["the callback of a send to a name"] = function(s, act)
    s:send("x", 9, "localhost", act)
  end,
  ["the bind callback"] = function(s, act)
    s:bind(0, "127.0.0.1", act)
  end,
  ["a 'listening' listener"] = function(s, act)
    s:on("listening", act)
    s:bind(0, "127.0.0.1")
  end,
  ["the connect callback"] = function(s, act)
    s:connect(9, "127.0.0.1", act)
  end,
  ["a 'connect' listener"] = function(s, act)
    s:on("connect", act)
    s:bind(0, "127.0.0.1", function() s:connect(9, "localhost") end)
  end,
  ["an 'error' listener"] = function(s, act, holder)
    s:on("error", act)
    s:bind(holder:address().port, "127.0.0.1")         -- EADDRINUSE
  end,
  ["a 'close' listener"] = function(s, act)
    s:on("close", act)
    s:bind(0, "127.0.0.1", function() s:close() end)
  end,
}

-- Custom lookups that act while the socket binds or sends.
local LOOKUP_CASES = {
  ["a lookup, before it answers"] = function(act)
    return function(host, family, cb)
      act()
      lookup_localhost(host, family, cb)
    end
  end,
  ["a lookup, after it answered"] = function(act)
    return function(host, family, cb)
      lookup_localhost(host, family, cb)
      act()
    end
  end,
  ["a lookup answering later"] = function(act)
    return function(host, family, cb)
      core.next_tick(function()
        act()
        lookup_localhost(host, family, cb)
      end)
    end
  end,
}

describe("closing from", function()
  for name, setup in pairs(CASES) do
    it(name .. " is safe", function()
      local closes, calls = 0, 0
      T.run(function(done)
        local holder = dgram.createSocket("udp4")
        holder:bind(0, "127.0.0.1", function()
          local s = dgram.createSocket("udp4")
          s:on("close", function()
            closes = closes + 1
            holder:close(function() core.next_tick(done) end)
          end)
          setup(s, function()
            calls = calls + 1
            -- once; a second close raises and changes nothing
            if calls == 1 and name ~= "a 'close' listener" then
              s:close()
            end
            local ok, err = pcall(s.close, s)
            assert.is_false(ok)
            assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err.code)
          end, holder)
        end)
      end)
      assert.equal(1, closes)
      assert.is_true(calls >= 1)
      assert.same({}, uncaught)
    end)
  end

  for name, make in pairs(LOOKUP_CASES) do
    for _, op in ipairs({ "bind", "send", "connect" }) do
      it(name .. " (" .. op .. ") is safe", function()
        local closes = 0
        T.run(function(done)
          local s
          s = dgram.createSocket({ type = "udp4", lookup = make(function()
            if not s._closed then s:close() end
          end) })
          s:on("close", function()
            closes = closes + 1
            core.next_tick(done)
          end)
          if op == "bind" then
            s:bind(0, "localhost")
          elseif op == "send" then
            s:send("x", 9, "localhost")
          else
            s:connect(9, "localhost")
          end
        end)
        assert.equal(1, closes)
        assert.same({}, uncaught)
      end)
    end
  end
end)

describe("throwing from", function()
  for name, setup in pairs(CASES) do
    it(name .. " goes to 'uncaughtException'; the socket closes after",
       function()
      local closes = 0
      T.run(function(done)
        local holder = dgram.createSocket("udp4")
        holder:bind(0, "127.0.0.1", function()
          local s = dgram.createSocket("udp4")
          local thrown = false
          s:on("close", function()
            closes = closes + 1
            holder:close(function() core.next_tick(done) end)
          end)
          setup(s, function()
            if thrown then return end
            thrown = true
            -- close on a later tick, after the error was handled
            core.next_tick(function()
              if not s._closed then s:close() end
            end)
            error("thrown from " .. name)
          end, holder)
        end)
      end)
      assert.equal(1, closes)
      assert.equal(1, #uncaught)
      assert.matches("thrown from", uncaught[1], 1, true)
    end)
  end

  it("a lookup: the call that asked raises it; the socket works on",
     function()
    local got = {}
    T.run(function(done)
      local fail = true
      local s = dgram.createSocket({ type = "udp4",
        lookup = function(host, family, cb)
          if fail and host == "localhost" then error("lookup threw") end
          lookup_localhost(host, family, cb)
        end })
      s:on("message", function(msg)
        got[#got + 1] = msg
        s:close(done)
      end)
      s:bind(0, "127.0.0.1", function()
        local ok, err = pcall(s.send, s, "lost", s:address().port, "localhost")
        assert.is_false(ok)
        assert.matches("lookup threw", err)
        fail = false
        s:send("kept", s:address().port, "localhost")
      end)
    end)
    assert.same({ "kept" }, got)
  end)
end)

-- The binding reads no field of the socket table: it is handed the
-- 'message' listeners and whether the reply form may be done in C. A
-- script can still write anything into the table's private fields;
-- whatever it writes, nothing may crash.
describe("a socket's internal fields overwritten by a script", function()
  it("_fast: any value, send falls back or fails, never crashes",
     function()
    local got = 0
    pair(function(server, client, port, done)
      local other = dgram.createSocket("udp4")
      local closed = dgram.createSocket("udp4")
      local odd = { io.stdout, {}, "x", 42, true, closed._handle,
                    other._handle, server._handle }
      closed:close()
      server:on("message", function(msg, rinfo)
        got = got + 1
        server._fast = odd[got]
        pcall(server.send, server, msg, rinfo.port, rinfo.address)
        if got == #odd then
          other:close()
          client:close()
          server:close(done)
        end
      end)
      for i = 1, #odd do client:send(tostring(i), port, "127.0.0.1") end
    end)
    assert.equal(8, got)
  end)

  it("_events: a non-table there, the binding still calls the listener " ..
     "it was handed; no crash", function()
    local got = {}
    pair(function(server, client, port, done)
      server:on("message", function(msg)
        got[#got + 1] = msg
        server._events = 5
        if #got == 2 then
          client:close()
          server._events = { close = done }
          server:close()
        end
      end)
      client:send("1", port, "127.0.0.1")
      client:send("2", port, "127.0.0.1")
    end)
    assert.same({ "1", "2" }, got)
    assert.equal(0, #uncaught)
  end)
end)
