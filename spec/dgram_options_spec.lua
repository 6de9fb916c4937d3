-- Spec for lua/dgram.lua: the options of createSocket (reuseAddr,
-- reusePort, ipv6Only, recvBufferSize, sendBufferSize) and the setters
-- and getters of a socket, with Node's argument checks. Multicast and
-- broadcast traffic is not tested here (it needs a network namespace):
-- only the argument checks of those calls. Loopback only, port 0 only.

local dgram = require("dgram")
local ludp = require("ludp")
local core = require("ludp.core")
local T = require("ludp.test")

local raised = require("helpers").raised

-- Binds a socket made with opts to port/address; then(err) gets the bind
-- error or nil. Returns the socket.
local function bind_with(opts, port, address, after)
  local s = dgram.createSocket(opts)
  s:once("error", function(err) after(err, s) end)
  s:bind(port, address, function() after(nil, s) end)
  return s
end

describe("reuseAddr", function()
  it("lets two sockets bind one port", function()
    local errs = {}
    T.run(function(done)
      bind_with({ type = "udp4", reuseAddr = true }, 0, "127.0.0.1",
                function(_, a)
        bind_with({ type = "udp4", reuseAddr = true }, a:address().port,
                  "127.0.0.1", T.expect(function(err, b)
          errs[1] = err or false
          assert.equal(a:address().port, b:address().port)
          a:close()
          b:close(done)
        end))
      end)
    end)
    assert.same({ false }, errs)
  end)
end)

describe("reusePort", function()
  it("lets two sockets bind one port; without it the port is in use",
     function()
    local log = {}
    T.run(function(done)
      bind_with({ type = "udp4", reusePort = true }, 0, "127.0.0.1",
                function(_, a)
        local port = a:address().port
        bind_with({ type = "udp4", reusePort = true }, port, "127.0.0.1",
                  function(err, b)
          log[#log + 1] = err and err.code or "bound"
          bind_with("udp4", port, "127.0.0.1", function(err2, c)
            log[#log + 1] = err2 and err2.code or "bound"
            a:close()
            b:close()
            c:close(done)
          end)
        end)
      end)
    end)
    assert.same({ "bound", "EADDRINUSE" }, log)
  end)

  it("binds again after a failed bind", function()
    local log = {}
    T.run(function(done)
      bind_with("udp6", 0, "::1", function(_, a)
        bind_with({ type = "udp6", reusePort = true }, a:address().port,
                  "::1", function(err, b)
          log[#log + 1] = err.code
          b:bind(0, "::1", T.expect(function()
            log[#log + 1] = "bound"
            a:close()
            b:close(done)
          end))
        end)
      end)
    end)
    assert.same({ "EADDRINUSE", "bound" }, log)
  end)
end)

describe("ipv6Only", function()
  it("leaves the IPv4 port free; without it :: takes both", function()
    local log = {}
    T.run(function(done)
      bind_with({ type = "udp6", ipv6Only = true }, 0, "::", function(_, only)
        bind_with("udp4", only:address().port, "0.0.0.0", function(err, v4)
          log[#log + 1] = err and err.code or "bound"
          bind_with("udp6", 0, "::", function(_, dual)
            bind_with("udp4", dual:address().port, "0.0.0.0",
                      function(err2, v4b)
              log[#log + 1] = err2 and err2.code or "bound"
              for _, s in ipairs({ only, v4, dual }) do s:close() end
              v4b:close(done)
            end)
          end)
        end)
      end)
    end)
    assert.same({ "bound", "EADDRINUSE" }, log)
  end)

  it("makes a udp4 bind fail with EINVAL", function()
    local e
    T.run(function(done)
      bind_with({ type = "udp4", ipv6Only = true }, 0, "127.0.0.1",
                function(err, s)
        e = err
        s:close(done)
      end)
    end)
    assert.equal("EINVAL", e.code)
    assert.equal("bind", e.syscall)
  end)
end)

describe("buffer sizes", function()
  -- Linux doubles what it is given (socket(7)).
  local function is_size(want, got)
    assert.is_true(got == want or got == 2 * want,
                   "got " .. tostring(got) .. " for " .. want)
  end

  it("recvBufferSize and sendBufferSize apply once bound", function()
    local r, s
    T.run(function(done)
      local sock = dgram.createSocket({ type = "udp4", recvBufferSize = 10000,
                                        sendBufferSize = 15000 })
      sock:bind(0, "127.0.0.1", T.expect(function()
        r, s = sock:getRecvBufferSize(), sock:getSendBufferSize()
        sock:close(done)
      end))
    end)
    is_size(10000, r)
    is_size(15000, s)
  end)

  it("checks the options at createSocket", function()
    for _, bad in ipairs({ -1, 0, 1.5, math.huge, "Doh!", 2 ^ 32 }) do
      for _, opt in ipairs({ "recvBufferSize", "sendBufferSize" }) do
        local err = raised(dgram.createSocket, { type = "udp4", [opt] = bad })
        assert.equal("ERR_SOCKET_BAD_BUFFER_SIZE", err.code)
        assert.equal("TypeError", err.name)
        assert.equal("Buffer size must be a positive integer", err.message)
      end
    end
  end)

  it("are set and got once bound", function()
    local r, s
    T.run(function(done)
      local sock = dgram.createSocket("udp4")
      sock:bind(0, "127.0.0.1", function()
        assert.is_nil(sock:setRecvBufferSize(10000))
        assert.is_nil(sock:setSendBufferSize(12000))
        r, s = sock:getRecvBufferSize(), sock:getSendBufferSize()
        sock:close(done)
      end)
    end)
    is_size(10000, r)
    is_size(12000, s)
  end)

  it("throw ERR_SOCKET_BUFFER_SIZE on an unbound socket", function()
    local sock = dgram.createSocket("udp6")
    for _, m in ipairs({ "getRecvBufferSize", "getSendBufferSize" }) do
      local err = raised(sock[m], sock)
      assert.equal("ERR_SOCKET_BUFFER_SIZE", err.code)
      assert.equal("EBADF", err.info.code)
    end
    for _, m in ipairs({ "setRecvBufferSize", "setSendBufferSize" }) do
      assert.equal("ERR_SOCKET_BUFFER_SIZE", raised(sock[m], sock, 8192).code)
    end
    sock:close()
    ludp.run("nowait")
  end)

  it("throw ERR_SOCKET_BAD_BUFFER_SIZE for sizes that are not positive " ..
     "integers, EINVAL above 2^31-1", function()
    T.run(function(done)
      local sock = dgram.createSocket("udp4")
      sock:bind(0, "127.0.0.1", function()
        for _, bad in ipairs({ -1, 0, 1.5, math.huge, "Doh!", 2 ^ 32 }) do
          for _, m in ipairs({ "setRecvBufferSize", "setSendBufferSize" }) do
            local err = raised(sock[m], sock, bad)
            assert.equal("ERR_SOCKET_BAD_BUFFER_SIZE", err.code)
          end
        end
        assert.equal("ERR_SOCKET_BAD_BUFFER_SIZE",
                     raised(sock.setRecvBufferSize, sock).code)
        local err = raised(sock.setRecvBufferSize, sock, 2147483648)
        assert.equal("ERR_SOCKET_BUFFER_SIZE", err.code)
        assert.equal("Could not get or set buffer size: uv_recv_buffer_size " ..
                     "returned EINVAL (invalid argument)", err.message)
        assert.equal("EINVAL",
          raised(sock.setSendBufferSize, sock, 2147483648).info.code)
        sock:close(done)
      end)
    end)
  end)
end)

describe("setters", function()
  local s
  local function bound(fn)
    T.run(function(done)
      s = dgram.createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        fn()
        s:close(done)
      end)
    end)
  end

  it("setBroadcast takes a flag and returns nothing", function()
    bound(function()
      assert.is_nil(s:setBroadcast(true))
      assert.is_nil(s:setBroadcast(false))
      assert.is_nil(s:setBroadcast(1))
      assert.is_nil(s:setBroadcast())
      local err = raised(s.setBroadcast, s, "yes")
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    end)
  end)

  it("setTTL and setMulticastTTL return their argument, check the range",
     function()
    bound(function()
      assert.equal(64, s:setTTL(64))
      assert.equal(1, s:setTTL(1))
      assert.equal(255, s:setTTL(255))
      assert.equal(0, s:setMulticastTTL(0))
      assert.equal(128, s:setMulticastTTL(128))
      for _, bad in ipairs({ 0, 256, -1, 1.5, 2 ^ 40 }) do
        local err = raised(s.setTTL, s, bad)
        assert.equal("EINVAL", err.code)
        assert.equal("setTTL", err.syscall)
      end
      for _, bad in ipairs({ 256, -1 }) do
        local err = raised(s.setMulticastTTL, s, bad)
        assert.equal("EINVAL", err.code)
        assert.equal("setMulticastTTL", err.syscall)
      end
      for _, m in ipairs({ "setTTL", "setMulticastTTL" }) do
        local err = raised(s[m], s, "64")
        assert.equal("ERR_INVALID_ARG_TYPE", err.code)
        assert.matches('"ttl"', err.message)
        assert.equal("ERR_INVALID_ARG_TYPE", raised(s[m], s).code)
      end
    end)
  end)

  it("setMulticastLoopback returns its argument", function()
    bound(function()
      assert.equal(true, s:setMulticastLoopback(true))
      assert.equal(false, s:setMulticastLoopback(false))
      assert.equal("ERR_INVALID_ARG_TYPE",
                   raised(s.setMulticastLoopback, s, {}).code)
    end)
  end)

  it("multicast calls check their arguments as Node", function()
    bound(function()
      local err = raised(s.setMulticastInterface, s, 1)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.matches('"interfaceAddress"', err.message)
      for _, m in ipairs({ "addMembership", "dropMembership" }) do
        err = raised(s[m], s)
        assert.equal("ERR_MISSING_ARGS", err.code)
        assert.equal('The "multicastAddress" argument must be specified',
                     err.message)
        assert.equal("ERR_INVALID_ARG_TYPE", raised(s[m], s, 1).code)
        assert.equal("ERR_INVALID_ARG_TYPE",
                     raised(s[m], s, "224.0.0.114", 1).code)
        err = raised(s[m], s, "not an address")
        assert.equal("EINVAL", err.code)
        assert.equal(m, err.syscall)
      end
      for _, m in ipairs({ "addSourceSpecificMembership",
                           "dropSourceSpecificMembership" }) do
        err = raised(s[m], s, 1, "232.1.1.1")
        assert.equal("ERR_INVALID_ARG_TYPE", err.code)
        assert.matches('"sourceAddress"', err.message)
        err = raised(s[m], s, "127.0.0.1", nil)
        assert.matches('"groupAddress"', err.message)
        assert.equal("ERR_INVALID_ARG_TYPE",
                     raised(s[m], s, "127.0.0.1", "232.1.1.1", 7).code)
      end
    end)
  end)

  it("getSendQueueSize and getSendQueueCount are 0 when nothing waits",
     function()
    local u = dgram.createSocket("udp4")
    assert.equal(0, u:getSendQueueSize())
    assert.equal(0, u:getSendQueueCount())
    u:close()
    bound(function()
      s:send("x", s:address().port)
      assert.equal(0, s:getSendQueueSize())
      assert.equal(0, s:getSendQueueCount())
    end)
  end)
end)

describe("ref and unref", function()
  it("return the socket; an unref'd socket does not hold the loop",
     function()
    local s = dgram.createSocket("udp4")
    local listening = false
    assert.equal(s, s:unref())
    assert.equal(s, s:ref())
    s:bind(0, "127.0.0.1", function()
      listening = true
      assert.equal(s, s:unref())
    end)
    ludp.run()                     -- returns although s is open
    assert.is_true(listening)
    assert.is_false(core.alive())
    assert.equal(s, s:ref())
    assert.is_true(core.alive())
    s:close()
    ludp.run()
    assert.is_false(core.alive())
    -- As in Node: no-ops on a closed socket, which they return.
    for _, m in ipairs({ "ref", "unref" }) do
      assert.equal(s, s[m](s))
      assert.is_false(core.alive())
    end
  end)
end)
