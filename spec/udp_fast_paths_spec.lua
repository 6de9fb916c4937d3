-- The binding's fast paths, seen through its counters (core.udp_paths()):
-- a refactor that loses the lone read, the reply batch, UDP_SEGMENT or
-- the reply form of send done in C fails here, not only in bench/.

local core = require("ludp.core")
local dgram = require("dgram")
local T = require("ludp.test")
local setImmediate = require("timers").setImmediate

-- The counters' growth while fn runs the loop.
local function delta(fn)
  local before = core.udp_paths()
  fn()
  local after, d = core.udp_paths(), {}
  for k, v in pairs(after) do d[k] = v - before[k] end
  return d
end

-- An echo server and n clients bound on 127.0.0.1; body(server, clients,
-- port, finish) runs once all are listening.
local function echo(n, body)
  T.run(function(done)
    local server = dgram.createSocket("udp4")
    local clients, bound = {}, 0
    local function finish()
      for _, c in ipairs(clients) do c:close() end
      server:close(done)
    end
    server:on("message", function(msg, rinfo)
      server:send(msg, rinfo.port, rinfo.address)
    end)
    server:bind(0, "127.0.0.1", function()
      for i = 1, n do
        clients[i] = dgram.createSocket("udp4")
        clients[i]:bind(0, "127.0.0.1", function()
          bound = bound + 1
          if bound == n then
            body(server, clients, server:address().port, finish)
          end
        end)
      end
    end)
  end)
end

describe("the binding's fast paths", function()
  it("a lone request: read with recvmsg, its reply sent at once from C",
     function()
    local d = delta(function()
      echo(1, function(_, clients, port, finish)
        clients[1]:on("message", T.expect(function(msg)
          assert.equal("ping", msg)
          finish()
        end))
        clients[1]:send("ping", port, "127.0.0.1")
      end)
    end)
    assert.equal(2, d.read_lone)     -- the request, then its echo
    assert.equal(0, d.read_mmsg)
    assert.equal(2, d.delivered)
    assert.equal(2, d.reply_fast)    -- the client's send, the echo
    assert.equal(2, d.try_send)
    assert.equal(0, d.batched)
    assert.equal(0, d.queued)
  end)

  it("a burst from one peer: read by recvmmsg, replies batched and sent " ..
     "as UDP_SEGMENT runs", function()
    local n, got = 32, {}
    local d = delta(function()
      echo(1, function(_, clients, port, finish)
        clients[1]:on("message", function(msg)
          got[#got + 1] = msg
          if #got == n then finish() end
        end)
        for i = 1, n do
          clients[1]:send(string.format("%099d", i), port, "127.0.0.1")
        end
      end)
    end)
    for i = 1, n do assert.equal(string.format("%099d", i), got[i]) end
    assert.is_true(d.read_mmsg >= n - 1)
    assert.equal(2 * n, d.delivered)
    assert.equal(2 * n, d.reply_fast)
    assert.is_true(d.batched >= n / 2, "batched " .. d.batched)
    assert.is_true(d.gso_sends >= 1, "gso_sends " .. d.gso_sends)
    assert.is_true(d.gso_datagrams >= n / 2,
                   "gso_datagrams " .. d.gso_datagrams)
    assert.is_true(d.sendmmsg >= 1 and d.sendmmsg <= d.batched)
  end)

  it("a burst queued in the kernel: read 64 datagrams a recvmmsg, in order",
     function()
    -- The client sends while the server is paused: on loopback each
    -- datagram is in the server's receive queue when send returns.
    local n, got = 128, {}
    local d = delta(function()
      T.run(function(done)
        local server = dgram.createSocket("udp4")
        local client = dgram.createSocket("udp4")
        server:on("message", function(msg)
          got[#got + 1] = msg
          if #got == n then
            client:close()
            server:close(done)
          end
        end)
        server:bind(0, "127.0.0.1", function()
          server:pause()
          client:bind(0, "127.0.0.1", function()
            for i = 1, n do
              client:send(tostring(i), server:address().port, "127.0.0.1")
            end
            client:send("", client:address().port, "127.0.0.1")
            client:once("message", function() server:resume() end)
          end)
        end)
      end)
    end)
    for i = 1, n do assert.equal(tostring(i), got[i]) end
    -- the first alone (read_lone), then 64 and 63 (libuv's own reads took
    -- at most 20 a call)
    assert.equal(n + 1, d.read_lone + d.read_mmsg) -- and the client's own
    assert.is_true(d.recvmmsg <= 2, "recvmmsg " .. d.recvmmsg)
  end)

  it("a batch of replies leaves with the socket out of the epoll set, " ..
     "and what arrives meanwhile is read", function()
    -- Each of the burst's datagrams makes the server send one to itself:
    -- a batch of replies whose datagrams arrive while they leave.
    local n, pongs = 32, 0
    local d = delta(function()
      echo(1, function(server, clients, port, finish)
        server:removeAllListeners("message")
        server:on("message", function(msg)
          if msg == "ping" then
            server:send("pong", port, "127.0.0.1")
          else
            pongs = pongs + 1
            if pongs == n then finish() end
          end
        end)
        for _ = 1, n do clients[1]:send("ping", port, "127.0.0.1") end
      end)
    end)
    assert.equal(n, pongs)
    -- only on Linux with libuv before 1.45 (src/udp_quiet.c says why)
    local major, minor = core.uv_version:match("^(%d+)%.(%d+)")
    if core.platform == "linux" and tonumber(major) == 1 and
       tonumber(minor) < 45 then
      assert.is_true(d.quiet >= 1, "quiet " .. d.quiet)
    else
      assert.equal(0, d.quiet)
    end
  end)

  it("bursts of a few: read by recvmmsg, not a lone read first each time",
     function()
    -- Each burst of 4 is queued whole before the server reads (on
    -- loopback a datagram is in the receive queue when send returns), and
    -- so are its 4 echoes at the client: after the first read of each
    -- socket, which finds one datagram alone at most, no lone reads.
    local bursts, k, got = 20, 4, 0
    local d = delta(function()
      echo(1, function(_, clients, port, finish)
        local function burst()
          for i = 1, k do clients[1]:send(tostring(i), port, "127.0.0.1") end
        end
        clients[1]:on("message", function()
          got = got + 1
          if got == bursts * k then return finish() end
          if got % k == 0 then burst() end
        end)
        burst()
      end)
    end)
    assert.equal(bursts * k, got)
    assert.is_true(d.read_lone <= 2, "read_lone " .. d.read_lone)
    assert.equal(2 * bursts * k, d.read_lone + d.read_mmsg)
  end)

  it("a burst from peers in turn: batched, one message per reply",
     function()
    local n, got = 16, 0
    local d = delta(function()
      echo(2, function(_, clients, port, finish)
        for _, c in ipairs(clients) do
          c:on("message", function()
            got = got + 1
            if got == 2 * n then finish() end
          end)
        end
        for i = 1, n do
          for _, c in ipairs(clients) do
            c:send(string.format("%09d", i), port, "127.0.0.1")
          end
        end
      end)
    end)
    assert.equal(2 * n, got)
    assert.is_true(d.batched >= n, "batched " .. d.batched)
    assert.equal(0, d.gso_sends)
    assert.is_true(d.sendmmsg >= 1)
  end)

  it("datagrams go to the listeners the socket has now, and nowhere " ..
     "without one", function()
    local log = {}
    local d = delta(function()
      T.run(function(done)
        local server = dgram.createSocket("udp4")
        local client = dgram.createSocket("udp4")
        local port
        local function send(m) client:send(m, port, "127.0.0.1") end
        -- Runs fn once the loop has read one more datagram.
        local function after_read(fn)
          local paths = core.udp_paths()
          local seen = paths.read_lone + paths.read_mmsg
          local function poll()
            paths = core.udp_paths()
            if paths.read_lone + paths.read_mmsg > seen then return fn() end
            setImmediate(poll)
          end
          setImmediate(poll)
        end
        local b
        local function a(msg)
          log[#log + 1] = "a " .. msg
          if msg == "1" then
            server:on("message", b)
            send("2")
          end
        end
        function b(msg)
          log[#log + 1] = "b " .. msg
          server:off("message", a)
          server:off("message", b)
          send("3")
          after_read(function()
            server:once("message", function(m)
              log[#log + 1] = "once " .. m
              client:close()
              server:close(done)
            end)
            send("4")
          end)
        end
        server:bind(0, "127.0.0.1", function()
          port = server:address().port
          server:on("message", a)
          send("1")
        end)
      end)
    end)
    assert.same({ "a 1", "a 2", "b 2", "once 4" }, log)
    assert.equal(3, d.delivered)     -- "3" was read and dropped
  end)

  it("a listener's send through another socket leaves from that one; " ..
     "its own socket, closed in it, refuses", function()
    local from, err, fast, bport
    T.run(function(done)
      local a, b = dgram.createSocket("udp4"), dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      a:on("message", function(msg, rinfo)
        local before = core.udp_paths().reply_fast
        b:send(msg, rinfo.port, rinfo.address)
        fast = core.udp_paths().reply_fast - before
        a:close()
        local ok, e = pcall(a.send, a, msg, rinfo.port, rinfo.address)
        err = not ok and e.code
      end)
      client:on("message", function(_, rinfo)
        from = rinfo.port
        b:close()
        client:close(done)
      end)
      a:bind(0, "127.0.0.1", function()
        b:bind(0, "127.0.0.1", function()
          bport = b:address().port
          client:send("x", a:address().port, "127.0.0.1")
        end)
      end)
    end)
    assert.equal(1, fast)
    assert.equal(bport, from)
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err)
  end)

  it("the reply form of send is done in C only while the socket may",
     function()
    local fast = {}
    T.run(function(done)
      local plain = dgram.createSocket("udp4")
      local custom = dgram.createSocket({ type = "udp4",
        lookup = function(host, _, cb) cb(nil, host, 4) end })
      local client = dgram.createSocket("udp4")
      local left = 2
      local function replier(s, name)
        s:on("message", function(msg, rinfo)
          local before = core.udp_paths().reply_fast
          s:send(msg, rinfo.port, rinfo.address)
          fast[name] = core.udp_paths().reply_fast - before
        end)
      end
      replier(plain, "plain")
      replier(custom, "custom")
      client:on("message", function()
        left = left - 1
        if left == 0 then
          plain:close()
          custom:close()
          client:close(done)
        end
      end)
      plain:bind(0, "127.0.0.1", function()
        custom:bind(0, "127.0.0.1", function()
          client:send("p", plain:address().port, "127.0.0.1")
          client:send("c", custom:address().port, "127.0.0.1")
        end)
      end)
    end)
    assert.equal(1, fast.plain)
    assert.equal(0, fast.custom)     -- its lookup must see every send
  end)
end)
