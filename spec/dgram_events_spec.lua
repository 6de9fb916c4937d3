-- Spec for lua/dgram.lua: the events of a socket ('message', 'listening',
-- 'connect', 'close', 'error'), what their listeners get, and their order.
-- Loopback only, port 0 only.

local dgram = require("dgram")
local T = require("ludp.test")

local recorder = require("helpers").recorder

local round_trips = require("helpers").round_trips

describe("'message'", function()
  it("gets the datagram as a string and a fresh rinfo table each time",
     function()
    local msgs, infos = {}, {}
    local cport
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:on("message", T.expect(function(msg, rinfo, ...)
        assert.equal(0, select("#", ...))
        msgs[#msgs + 1] = msg
        infos[#infos + 1] = rinfo
        rinfo.address = "scribbled on"   -- must not leak into the next
        if #msgs == 3 then
          client:close()
          server:close(done)
        end
      end, 3))
      server:bind(0, "127.0.0.1", function()
        local port = server:address().port
        client:bind(0, "127.0.0.1", function()
          cport = client:address().port
          client:send("one", port)
          client:send("\0bin\0ary\255", port)
          client:send("", port)
        end)
      end)
    end)
    assert.same({ "one", "\0bin\0ary\255", "" }, msgs)
    assert.are_not.equal(infos[1], infos[2])
    assert.same({ address = "scribbled on", family = "IPv4", port = cport,
                  size = 3 }, infos[1])
    assert.same({ address = "scribbled on", family = "IPv4", port = cport,
                  size = 9 }, infos[2])
    assert.equal(0, infos[3].size)
  end)

  it("gives a datagram that arrives alone a table of its own, kept as given",
     function()
    -- One datagram in flight: each is read alone, and its rinfo is the
    -- table the binding made ahead, after the reply before it had left.
    local ROUNDS = 50
    local kept, copies = {}, {}
    round_trips(ROUNDS, {
      request = function(_, echo, send) send((echo or "") .. "x") end,
      before_reply = function(_, rinfo)
        kept[#kept + 1] = rinfo
        copies[#copies + 1] = { address = rinfo.address, family = rinfo.family,
                                port = rinfo.port, size = rinfo.size }
      end,
    })
    assert.equal(ROUNDS, #kept)
    local seen = {}
    for i, rinfo in ipairs(kept) do
      assert.is_nil(seen[rinfo])
      seen[rinfo] = true
      assert.same(copies[i], rinfo)
      assert.equal(i, rinfo.size)
      local keys = {}
      for k in pairs(rinfo) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.same({ "address", "family", "port", "size" }, keys)
    end
  end)

  it("shows IPv6 addresses as Node prints them", function()
    local info, mapped
    T.run(function(done)
      local s6 = dgram.createSocket("udp6")
      local dual = dgram.createSocket("udp6")
      local c4 = dgram.createSocket("udp4")
      s6:on("message", T.expect(function(_, rinfo)
        info = rinfo
        dual:bind(0, "::", function()
          c4:send("from v4", dual:address().port, "127.0.0.1")
        end)
      end))
      dual:on("message", T.expect(function(_, rinfo)
        mapped = rinfo
        s6:close()
        c4:close()
        dual:close(done)
      end))
      s6:bind(0, "::1", function()
        s6:send("to self", s6:address().port, "0:0:0:0:0:0:0:1")
      end)
    end)
    assert.equal("::1", info.address)
    assert.equal("IPv6", info.family)
    assert.equal("::ffff:127.0.0.1", mapped.address)
    assert.equal("IPv6", mapped.family)
  end)

  it("delivers many datagrams, each once, in the order sent", function()
    local got = {}
    local N = 200
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("message", T.expect(function(msg)
        got[#got + 1] = tonumber(msg)
        if #got == N then s:close(done) end
      end, N))
      s:bind(0, "127.0.0.1", function()
        for i = 1, N do s:send(tostring(i), s:address().port) end
      end)
    end)
    for i = 1, N do assert.equal(i, got[i]) end
  end)

  it("keeps receiving after a read that emptied the socket", function()
    -- After a read that returned less than it had room for, the binding
    -- waits for the socket's next readiness instead of reading again: a
    -- burst that takes more than one read (64 datagrams each), then a socket that sends
    -- to itself from its listener, so that each datagram arrives while
    -- the one before it is handled.
    local BURST, ROUNDS = 150, 300
    local got, looped = 0, 0
    T.run(function(done)
      local a = dgram.createSocket("udp4")
      local b = dgram.createSocket("udp4")
      a:on("message", function(msg)
        if msg == "burst" then
          got = got + 1
          if got < BURST then return end
          b:close()
        else
          looped = looped + 1
        end
        if looped < ROUNDS then
          a:send("again", a:address().port, "127.0.0.1")
        else
          a:close(done)
        end
      end)
      a:bind(0, "127.0.0.1", function()
        b:bind(0, "127.0.0.1", function()
          for _ = 1, BURST do b:send("burst", a:address().port, "127.0.0.1") end
        end)
      end)
    end)
    assert.equal(BURST, got)
    assert.equal(ROUNDS, looped)
  end)

  it("sees listeners added or removed by a listener from the next " ..
     "datagram on, within one receive batch too", function()
    -- One listener is called by the binding itself, several through
    -- emit's array: the datagrams here switch between the two.
    local log = {}
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      local a, b
      function b(msg, rinfo)
        log[#log + 1] = "b " .. msg .. " " .. rinfo.size
        if msg == "4" then
          server:off("message", b)
          client:close()
          server:close(done)
        end
      end
      function a(msg, rinfo)
        log[#log + 1] = "a " .. msg .. " " .. rinfo.family
        if msg == "1" then server:on("message", b) end
        if msg == "2" then server:off("message", a) end
      end
      server:on("message", a)
      server:bind(0, "127.0.0.1", function()
        local port = server:address().port
        for i = 1, 4 do client:send(tostring(i), port, "127.0.0.1") end
      end)
    end)
    assert.same({ "a 1 IPv4", "a 2 IPv4", "b 2 1", "b 3 1", "b 4 1" }, log)
  end)

  it("goes to the listener given to createSocket", function()
    T.run(function(done)
      local s
      s = dgram.createSocket("udp4", T.expect(function(msg)
        assert.equal("ping", msg)
        s:close(done)
      end))
      s:bind(0, "127.0.0.1", function()
        s:send("ping", s:address().port)
      end)
    end)
  end)
end)

describe("event order", function()
  it("listening, connect, message, close", function()
    local log = recorder()
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:bind(0, "127.0.0.1", function()
        for _, e in ipairs({ "listening", "connect", "close" }) do
          client:on(e, function() log.push(e) end)
        end
        client:on("message", function(msg)
          log.push("message " .. msg)
          client:close(function()
            log.push("close callback")
            server:close(done)
          end)
          log.push("close returned")
        end)
        server:on("message", function(msg, rinfo)
          server:send(msg:upper(), rinfo.port, rinfo.address)
        end)
        client:connect(server:address().port, function()
          client:send("ping")
        end)
        log.push("connect returned")
      end)
    end)
    assert.same({ "connect returned", "listening", "connect",
                  "message PING", "close returned", "close",
                  "close callback" }, log)
  end)

  it("emits 'close' once, after close returns", function()
    local log = recorder()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("close", T.expect(function() log.push("close") end))
      s:bind(0, "127.0.0.1", function()
        assert.equal(s, s:close(T.expect(function()
          log.push("callback")
          done()
        end)))
        log.push("returned")
      end)
    end)
    assert.same({ "returned", "close", "callback" }, log)
  end)

  it("works with the EventEmitter methods", function()
    local log = recorder()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      local function second(msg) log.push("second " .. msg) end
      s:on("message", second)
      s:prependListener("message", function(msg) log.push("first " .. msg) end)
      s:once("message", function(msg) log.push("once " .. msg) end)
      assert.equal(3, s:listenerCount("message"))
      s:on("message", function(msg)
        if msg == "b" then
          s:off("message", second)
          s:removeAllListeners("message")
          assert.same({}, s:eventNames())
          s:close(done)
        end
      end)
      s:bind(0, "127.0.0.1", function()
        s:send("a", s:address().port)
        s:send("b", s:address().port)
      end)
    end)
    assert.same({ "first a", "second a", "once a", "first b", "second b" },
                log)
  end)
end)

describe("'error'", function()
  it("without a listener is thrown out of the loop", function()
    local s = dgram.createSocket("udp4")
    local ok, err = pcall(T.run, function()
      s:send(string.rep("x", 70000), 9)  -- EMSGSIZE, no callback
    end)
    assert.is_false(ok)
    assert.equal("EMSGSIZE", err.code)
    assert.equal("SystemError", err.name)
    assert.equal("SystemError [EMSGSIZE]: send EMSGSIZE 127.0.0.1:9",
                 tostring(err))
    s:close()
    require("ludp").run("nowait")
  end)

  it("thrown by a listener stops the loop with that error", function()
    local s = dgram.createSocket("udp4")
    local ok, err = pcall(T.run, function()
      s:on("message", function() error("boom", 0) end)
      s:bind(0, "127.0.0.1", function()
        s:send("x", s:address().port)
      end)
    end)
    assert.is_false(ok)
    assert.equal("boom", err)
    s:close()
    require("ludp").run("nowait")
  end)
end)
