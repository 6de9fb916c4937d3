-- Spec for lua/dgram.lua: connect, 'connect', disconnect, remoteAddress,
-- sends on a connected socket, their errors, and how an ICMP port
-- unreachable shows on a connected socket. Loopback only, port 0 only.

local dgram = require("dgram")
local T = require("ludp.test")

local raised = require("helpers").raised

local recorder = require("helpers").recorder

local with_pair = require("helpers").with_pair

local texts = require("helpers").texts

describe("connect", function()
  it("binds implicitly, emits 'listening' then 'connect', then the callback",
     function()
    local log, remote, cport = recorder(), nil, nil
    local got = with_pair("udp4", function(_, c, port)
      c:on("listening", function() log.push("listening") end)
      c:on("connect", function() log.push("connect") end)
      c:connect(port, "127.0.0.1", T.expect(function()
        log.push("callback")
        remote = c:remoteAddress()
        cport = c:address().port
        c:send("hi")
      end))
      log.push("returned")
    end, 1)
    assert.same({ "returned", "listening", "connect", "callback" }, log)
    assert.same({ "hi" }, texts(got))
    assert.equal("127.0.0.1", remote.address)
    assert.equal("IPv4", remote.family)
    assert.is_number(remote.port)
    assert.equal(cport, got.rinfo[1].port)
  end)

  it("defaults the address to 127.0.0.1, or ::1 on udp6", function()
    local r4, r6
    with_pair("udp4", function(_, c, port, finish)
      c:connect(port, T.expect(function()
        r4 = c:remoteAddress()
        finish()
      end))
    end)
    with_pair("udp6", function(_, c, port, finish)
      c:connect(port, nil, T.expect(function()
        r6 = c:remoteAddress()
        finish()
      end))
    end)
    assert.equal("127.0.0.1", r4.address)
    assert.equal("::1", r6.address)
    assert.equal("IPv6", r6.family)
  end)

  it("connects a bound socket; 'connect' comes after connect returns",
     function()
    local log = recorder()
    with_pair("udp4", function(_, c, port, finish)
      c:bind(0, "127.0.0.1", function()
        c:connect(port, "127.0.0.1", function()
          log.push("connected")
          finish()
        end)
        log.push("returned")
      end)
    end)
    assert.same({ "returned", "connected" }, log)
  end)

  it("sends in the forms of a connected socket", function()
    local got = with_pair("udp6", function(_, c, port)
      c:connect(port, "::1", function()
        c:send("a")
        c:send("b", T.expect(function(err, bytes)
          assert.is_nil(err)
          assert.equal(1, bytes)
        end))
        c:send("xcx", 1, 1)
        c:send("xdx", 1, 1, T.expect())
        c:send({ "e", "e" })
        c:send("")
      end)
    end, 6)
    assert.same({ "a", "b", "c", "d", "ee", "" }, texts(got))
  end)

  it("queues sends made before 'connect' and sends them to the peer",
     function()
    local log = recorder()
    local got = with_pair("udp4", function(_, c, port)
      c:connect(port, "localhost", function() log.push("connect") end)
      c:send("1", function() log.push("sent 1") end)
      c:send("2", function() log.push("sent 2") end)
    end, 2)
    assert.same({ "1", "2" }, texts(got))
    assert.same({ "connect", "sent 1", "sent 2" }, log)
  end)

  it("disconnects, then sends with a port and connects again", function()
    local got = with_pair("udp4", function(_, c, port)
      c:connect(port, function()
        c:send("connected")
        assert.is_nil(c:disconnect())
        local err = raised(c.remoteAddress, c)
        assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED", err.code)
        c:send("disconnected", port, "127.0.0.1")
        c:connect(port, T.expect(function() c:send("again") end))
      end)
    end, 3)
    assert.same({ "connected", "disconnected", "again" }, texts(got))
  end)
end)

describe("connect errors", function()
  it("throws ERR_SOCKET_DGRAM_IS_CONNECTED while connecting and connected",
     function()
    with_pair("udp4", function(_, c, port, finish)
      c:connect(port, T.expect(function()
        local err = raised(c.connect, c, port)
        assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED", err.code)
        assert.equal("Error", err.name)
        assert.equal("Already connected", err.message)
        finish()
      end))
      assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED",
                   raised(c.connect, c, port).code)
    end)
  end)

  it("throws ERR_SOCKET_DGRAM_NOT_CONNECTED for disconnect and remoteAddress",
     function()
    with_pair("udp4", function(_, c, port, finish)
      for _, m in ipairs({ "disconnect", "remoteAddress" }) do
        local err = raised(c[m], c)
        assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED", err.code)
        assert.equal("Not connected", err.message)
      end
      c:connect(port, function() finish() end)
      -- connecting is not connected yet
      assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED",
                   raised(c.disconnect, c).code)
    end)
  end)

  it("throws ERR_SOCKET_BAD_PORT for ports outside 1..65535", function()
    local s = dgram.createSocket("udp4")
    for _, port in ipairs({ 0, -1, 65536, 1.5, "0", "5e1", "", "65536",
                            true }) do
      local err = raised(s.connect, s, port)
      assert.equal("ERR_SOCKET_BAD_PORT", err.code)
      assert.equal("RangeError", err.name)
      assert.matches("^Port should be > 0 and < 65536", err.message)
    end
    assert.equal("ERR_SOCKET_BAD_PORT", raised(s.connect, s).code)
    assert.equal("ERR_INVALID_ARG_TYPE", raised(s.connect, s, 9, 127).code)
    assert.equal("ERR_INVALID_ARG_TYPE",
                 raised(s.connect, s, 9, "127.0.0.1", "cb").code)
    -- nothing happened: still unbound and unconnected
    assert.equal("EBADF", raised(s.address, s).code)
    assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED",
                 raised(s.disconnect, s).code)
    s:close()
    require("ludp").run("nowait")
  end)

  it("throws ERR_SOCKET_DGRAM_IS_CONNECTED for a send with a destination",
     function()
    with_pair("udp4", function(_, c, port, finish)
      c:connect(port, function()
        local function code(...) return raised(c.send, c, ...).code end
        assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED", code("x", port))
        assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED",
                     code("x", port, "127.0.0.1"))
        assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED",
                     code("x", port, "127.0.0.1", function() end))
        assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED",
                     code("x", 0, 1, port, "127.0.0.1"))
        assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED", code("x", 0, 1, -1))
        assert.equal("ERR_BUFFER_OUT_OF_BOUNDS", code("hello", 6, 0))
        assert.equal("ERR_BUFFER_OUT_OF_BOUNDS", code("hello", 3, 4))
        finish()
      end)
      -- connecting counts as connected for send
      assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED",
                   raised(c.send, c, "x", port).code)
    end)
  end)

  it("passes a failed connect to its callback; the socket stays unconnected",
     function()
    local log = recorder()
    with_pair("udp4", function(_, c, port, finish)
      c:on("error", T.expect(nil, 0))
      c:connect(port, "::1", T.expect(function(err)
        log.push("callback " .. err.code .. " " .. err.syscall)
        assert.equal("::1", err.address)
        assert.equal(port, err.port)
        assert.equal(0, c:listenerCount("connect"))
        assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED",
                     raised(c.remoteAddress, c).code)
        c:connect(port, T.expect(function()
          log.push("connected")
          finish()
        end))
      end))
      log.push("returned")
    end)
    assert.same({ "returned", "callback EINVAL connect", "connected" }, log)
  end)

  it("emits a failed connect without a callback as 'error'", function()
    with_pair("udp6", function(_, c, port, finish)
      c:on("error", T.expect(function(err)
        assert.equal("EINVAL", err.code)
        assert.equal("connect", err.syscall)
        finish()
      end))
      c:on("connect", T.expect(nil, 0))
      c:connect(port, "127.0.0.1")
    end)
  end)

  it("surfaces an ICMP port unreachable as an 'error' (ECONNREFUSED, recvmsg)",
     function()
    local log = recorder()
    T.run(function(done)
      -- A port nobody listens on: bound, then closed.
      local gone = dgram.createSocket("udp4")
      gone:bind(0, "127.0.0.1", function()
        local port = gone:address().port
        gone:close(function()
          local c = dgram.createSocket("udp4")
          c:on("error", T.expect(function(err)
            log.push("error " .. err.code .. " " .. err.syscall)
            assert.equal(-111, err.errno)
            -- the socket is still usable
            assert.equal("127.0.0.1", c:remoteAddress().address)
            c:close(done)
          end))
          c:connect(port, "127.0.0.1", function()
            c:send("anyone?", T.expect(function(err)
              log.push("sent " .. tostring(err))
            end))
          end)
        end)
      end)
    end)
    assert.same({ "sent nil", "error ECONNREFUSED recvmsg" }, log)
  end)
end)
