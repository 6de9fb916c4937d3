-- Spec for lua/dgram.lua: close(cb) in every state of a socket. 'close'
-- comes once, after close returns; no 'message' after it; any later use
-- raises ERR_SOCKET_DGRAM_NOT_RUNNING; sends queued before the socket was
-- bound still go out first, as in Node; once bound, it closes at once and
-- a send still waiting for its lookup is not sent. Loopback only, port 0
-- only.

local dgram = require("dgram")
local core = require("ludp.core")
local timers = require("timers")
local T = require("ludp.test")

local raised = require("helpers").raised

local recorder = require("helpers").recorder
local open_sockets = require("helpers").open_sockets

-- Every method of a socket, with arguments that would be fine on an open
-- socket; each must raise ERR_SOCKET_DGRAM_NOT_RUNNING once closed.
local USES = {
  { "bind", 0 }, { "send", "x", 9, "127.0.0.1" }, { "connect", 9 },
  { "disconnect" }, { "remoteAddress" }, { "close" }, { "address" },
  { "setBroadcast", true }, { "setTTL", 64 }, { "setMulticastTTL", 1 },
  { "setMulticastLoopback", true }, { "setMulticastInterface", "127.0.0.1" },
  { "addMembership", "224.0.0.114" }, { "dropMembership", "224.0.0.114" },
  { "addSourceSpecificMembership", "127.0.0.1", "232.1.1.1" },
  { "dropSourceSpecificMembership", "127.0.0.1", "232.1.1.1" },
  { "setRecvBufferSize", 8192 }, { "setSendBufferSize", 8192 },
  { "getRecvBufferSize" }, { "getSendBufferSize" },
  { "getSendQueueSize" }, { "getSendQueueCount" },
}

local function assert_not_running(s)
  for _, use in ipairs(USES) do
    local err = raised(s[use[1]], s, table.unpack(use, 2))
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err.code, use[1])
    assert.equal("Not running", err.message)
  end
end

-- Sends "marker" to port from a socket of its own, closed once sent:
-- what a server gets before it was sent by sockets closed earlier.
local function send_marker(port)
  local m = dgram.createSocket("udp4")
  m:send("marker", port, "127.0.0.1", function() m:close() end)
end

-- A server on 127.0.0.1 recording what it gets in 'got'; runs
-- body(port, got, finish, wait): finish() closes it and ends the run,
-- wait(n, fn) runs fn once the server got n datagrams.
local function with_server(body)
  T.run(function(done)
    local server = dgram.createSocket("udp4")
    local got, want, then_fn = {}, nil, nil
    local function wait(n, fn)
      if #got >= n then return fn() end
      want, then_fn = n, fn
    end
    server:on("message", function(msg)
      got[#got + 1] = msg
      if want and #got >= want then
        want = nil
        then_fn()
      end
    end)
    server:bind(0, "127.0.0.1", function()
      body(server:address().port, got, function() server:close(done) end,
           wait)
    end)
  end)
end

describe("close", function()
  it("before bind: 'close' once, later; every use then raises", function()
    local log = recorder()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("close", T.expect(function() log.push("close") end))
      assert.equal(s, s:close(T.expect(function()
        log.push("callback")
        assert_not_running(s)
        done()
      end)))
      log.push("returned")
      assert_not_running(s)
    end)
    assert.same({ "returned", "close", "callback" }, log)
  end)

  it("ignores a callback that is not a function", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("close", T.expect(done))
      s:close("not a function")
    end)
  end)

  it("while bind looks up the address: no 'listening', no bind callback",
     function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("listening", T.expect(nil, 0))
      s:bind(0, "127.0.0.1", T.expect(nil, 0))
      s:close(T.expect(function()
        -- One more pass of the loop: still nothing.
        core.next_tick(done)
      end))
    end)
  end)

  it("while a lookup is pending that answers after 'close'", function()
    local answer
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4",
        lookup = function(_, _, cb) answer = cb end })
      s:on("listening", T.expect(nil, 0))
      s:on("error", T.expect(nil, 0))
      s:bind(0, "my.host", T.expect(nil, 0))
      s:close(T.expect(function()
        answer(nil, "127.0.0.1", 4)
        core.next_tick(done)
      end))
    end)
  end)

  it("inside a 'message' handler: no 'message' after it", function()
    local got = {}
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("message", T.expect(function(msg)
        got[#got + 1] = msg
        s:close(T.expect(done))
      end))
      s:bind(0, "127.0.0.1", function()
        -- All ten are in the socket's queue before the loop reads one.
        for i = 1, 10 do s:send(tostring(i), s:address().port) end
      end)
    end)
    assert.same({ "1" }, got)
  end)

  it("inside a 'message' handler, with a reply waiting for its lookup: " ..
     "not sent, its callback gets ERR_SOCKET_DGRAM_NOT_RUNNING", function()
    local got, log = {}, recorder()
    with_server(function(port, received, finish, wait)
      local s = dgram.createSocket("udp4")
      s:on("message", T.expect(function(msg)
        got[#got + 1] = msg
        s:send("reply", port, "localhost", function(err, n)
          log.push("reply " .. err.code .. " " .. tostring(n))
        end)
        s:close(function()
          log.push("close")
          send_marker(port)
          wait(1, function()
            log.push(received[1])
            finish()
          end)
        end)
      end))
      s:bind(0, "127.0.0.1", function()
        for i = 1, 5 do s:send(tostring(i), s:address().port) end
      end)
    end)
    assert.same({ "1" }, got)
    assert.same({ "reply ERR_SOCKET_DGRAM_NOT_RUNNING nil", "close",
                  "marker" }, log)
  end)

  it("with sends queued before the bind: they go out first", function()
    local log = recorder()
    local received
    with_server(function(port, got, finish, wait)
      local c = dgram.createSocket("udp4")
      c:on("listening", T.expect(nil, 0))
      c:send("a", port, function(err, n)
        log.push("sent a " .. tostring(err) .. " " .. n)
      end)
      c:send("b", port)
      c:close(function()
        log.push("close")
        assert_not_running(c)
        wait(2, function()
          received = got
          finish()
        end)
      end)
      assert_not_running(c)
      log.push("returned")
    end)
    assert.same({ "returned", "sent a nil 1", "close" }, log)
    assert.same({ "a", "b" }, received)
  end)

  it("bound, with sends waiting for a host name: not sent, their " ..
     "callbacks get ERR_SOCKET_DGRAM_NOT_RUNNING, 'close' after", function()
    local log = recorder()
    with_server(function(port, got, finish, wait)
      local c = dgram.createSocket("udp4")
      c:bind(0, "127.0.0.1", function()
        c:send("by name", port, "localhost", function(err)
          log.push("by name " .. err.code)
        end)
        c:send("behind it", port, "127.0.0.1", function(err)
          log.push("behind it " .. err.code)
        end)
        c:close(function()
          log.push("close")
          send_marker(port)
          wait(1, function()
            log.push(got[1])
            finish()
          end)
        end)
      end)
    end)
    assert.same({ "by name ERR_SOCKET_DGRAM_NOT_RUNNING",
                  "behind it ERR_SOCKET_DGRAM_NOT_RUNNING", "close",
                  "marker" }, log)
  end)

  it("while connecting: queued sends go to the peer, no 'connect'",
     function()
    local log = recorder()
    with_server(function(port, got, finish, wait)
      local c = dgram.createSocket("udp4")
      c:on("connect", T.expect(nil, 0))
      c:connect(port, "localhost", T.expect(nil, 0))
      c:send("queued", function(err) log.push("sent " .. tostring(err)) end)
      c:close(function()
        log.push("close")
        wait(1, function()
          log.push(got[1])
          finish()
        end)
      end)
    end)
    assert.same({ "sent nil", "close", "queued" }, log)
  end)

  it("when the bind of a closed socket fails: callbacks get the error",
     function()
    local log = recorder()
    with_server(function(port, _, finish)
      local c = dgram.createSocket("udp4")
      c:on("error", T.expect(nil, 0))
      c:bind(port, "127.0.0.1", T.expect(nil, 0))   -- in use
      c:send("x", port, function(err)
        log.push("send " .. err.code)
      end)
      c:send("y", port)                              -- no callback: dropped
      c:close(function()
        log.push("close")
        finish()
      end)
    end)
    assert.same({ "send EADDRINUSE", "close" }, log)
  end)

  it("in a 'listening' listener with a send queued", function()
    local log = recorder()
    with_server(function(port, _, finish, wait)
      local c = dgram.createSocket("udp4")
      c:on("listening", function()
        log.push("listening")
        c:close(function()
          log.push("close")
          wait(1, finish)
        end)
      end)
      c:send("x", port, function(err) log.push("sent " .. tostring(err)) end)
    end)
    assert.same({ "listening", "sent nil", "close" }, log)
  end)

  it("after a send: its callback runs, then 'close'", function()
    local log = recorder()
    with_server(function(port, _, finish)
      local c = dgram.createSocket("udp4")
      c:bind(0, "127.0.0.1", function()
        c:send("x", port, function(err, n)
          log.push("sent " .. tostring(err) .. " " .. n)
        end)
        c:close(function()
          log.push("close")
          finish()
        end)
      end)
    end)
    assert.same({ "sent nil 1", "close" }, log)
  end)

  it("a connected socket", function()
    with_server(function(port, _, finish)
      local c = dgram.createSocket("udp6")
      c:on("error", T.expect(nil, 0))
      c:connect(port, "::ffff:127.0.0.1", function()
        c:close(T.expect(function()
          assert_not_running(c)
          finish()
        end))
      end)
    end)
  end)

  it("throws ERR_SOCKET_DGRAM_NOT_RUNNING the second time", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        s:close(T.expect(done))
        local err = raised(s.close, s, T.expect(nil, 0))
        assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err.code)
      end)
    end)
  end)
end)

-- The process's open sockets (helpers.open_sockets), once what earlier
-- tests left behind is over (else one ending during a test changes the
-- count): sockets left for the collector are closed, and the host-name
-- lookups of sockets closed before their answer have finished (they go
-- on in libuv's thread pool, glibc opening descriptors of its own, and
-- under valgrind they can outlast their test; at most 10 s, a turn of
-- the loop each 10 ms).
local function settled_sockets()
  local deadline = core.hrtime() + 10 * 1000000000
  for _ = 1, 2 do -- what the loop's last turns let go, collected too
    collectgarbage()
    collectgarbage()
    while core.run("nowait") and core.hrtime() < deadline do
      local turn = timers.setTimeout(function() end, 10)
      core.run("once")
      timers.clearTimeout(turn)
    end
  end
  return open_sockets()
end

-- close() called by the socket's own lookup while a send waits for it:
-- 'close' comes, the descriptor goes, nothing is sent, the send's
-- callback gets ERR_SOCKET_DGRAM_NOT_RUNNING; then the lookup does
-- 'after' (nothing, answer, answer twice, throw).
describe("close from inside a custom lookup", function()
  for _, after in ipairs({ "never answers", "answers", "answers twice",
                           "throws" }) do
    it("that then " .. after, function()
      local n, closes, codes, raised_n = 40, 0, {}, 0
      local before = settled_sockets()
      with_server(function(port, got, finish, wait)
        for _ = 1, n do
          local s
          s = dgram.createSocket({ type = "udp4",
            lookup = function(host, _, cb)
              if core.isip(host) ~= 0 then return cb(nil, host, 4) end
              s:close(function()
                closes = closes + 1
                if closes == n then
                  send_marker(port)
                  wait(1, function()
                    assert.same({ "marker" }, got)
                    finish()
                  end)
                end
              end)
              if after == "answers" then
                cb(nil, "127.0.0.1", 4)
              elseif after == "answers twice" then
                cb(nil, "127.0.0.1", 4)
                cb(nil, "127.0.0.1", 4)
              elseif after == "throws" then
                error("lookup failed")
              end
            end })
          s:bind(0, "127.0.0.1", function()
            local ok = pcall(s.send, s, "x", port, "name.invalid",
                             function(err) codes[#codes + 1] = err.code end)
            if not ok then raised_n = raised_n + 1 end
          end)
        end
      end)
      core.run("nowait")             -- the close callbacks free the handles
      assert.equal(n, closes)
      assert.equal(n, #codes)
      for i = 1, n do assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", codes[i]) end
      assert.equal(after == "throws" and n or 0, raised_n)
      assert.equal(before, settled_sockets())
    end)
  end
end)
