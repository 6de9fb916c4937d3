-- Node.js's own tests of dgram's bind and address, carried over to Lua
-- (test/parallel/test-dgram-*.js; spec/README.md lists them all). Each
-- `it` names the Node test it comes from. Loopback only, port 0 only.

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")

local raised = require("helpers").raised

local function netns()
  return require("netns")
end

describe("Node's dgram bind tests", function()
  it("test-dgram-bind: bind returns the socket; a second bind raises " ..
     "ERR_SOCKET_ALREADY_BOUND", function()
    T.run(function(done)
      local socket = dgram.createSocket("udp4")
      socket:on("listening", T.expect(function()
        local err = raised(socket.bind, socket)
        assert.equal("ERR_SOCKET_ALREADY_BOUND", err.code)
        assert.equal("Error", err.name)
        assert.equal("Socket is already bound", err.message)
        socket:close(done)
      end))
      assert.equal(socket, socket:bind())
    end)
  end)

  it("test-dgram-bind-default-address: port 0 binds the any-address, " ..
     "0.0.0.0 or ::", function()
    T.run(function(done)
      local left = 2
      local function check(s, any)
        local a = s:address()
        assert.is_true(math.type(a.port) == "integer" and a.port > 0)
        assert.equal(any, a.address)
        s:close()
        left = left - 1
        if left == 0 then done() end
      end
      local s4, s6 = dgram.createSocket("udp4"), dgram.createSocket("udp6")
      s4:bind(0, T.expect(function() check(s4, "0.0.0.0") end))
      s6:bind(0, T.expect(function() check(s6, "::") end))
    end)
  end)

  it("test-dgram-bind-error-repeat: binding again and again after " ..
     "EADDRINUSE adds no listener and never binds", function()
    T.run(function(done)
      local reserve = dgram.createSocket("udp4")
      reserve:bind(function()
        local port = reserve:address().port
        local s = dgram.createSocket("udp4")
        local errors = 0
        s:on("error", T.expect(function(err)
          assert.equal("EADDRINUSE", err.code)
          assert.equal(0, s:listenerCount("listening"))
          errors = errors + 1
          if errors < 20 then
            s:bind(port, T.expect(nil, 0))
          else
            s:close()
            reserve:close(done)
          end
        end, 20))
        s:bind(port, T.expect(nil, 0))
      end)
    end)
  end)

  -- LuaSocket stands in for Node's raw UDP handle: a descriptor that no
  -- ludp handle owns (skipped without it, as the existing bind spec does).
  local has_socket, socket = pcall(require, "socket")
  local with_socket = has_socket and it or pending

  with_socket("test-dgram-bind-fd: bind({ fd }) takes over a bound " ..
              "descriptor: its address, the buffer sizes of the options, " ..
              "traffic both ways (udp4 with and without reuseAddr, udp6)",
              function()
    for _, case in ipairs({ { "udp4", true }, { "udp4", false },
                            { "udp6", false } }) do
      local kind, reuse = case[1], case[2]
      local host = kind == "udp6" and "::1" or "127.0.0.1"
      local raw = kind == "udp6" and socket.udp6() or socket.udp4()
      if reuse then assert(raw:setoption("reuseaddr", true)) end
      assert(raw:setsockname(host, 0))
      local raw_ip, raw_port = raw:getsockname()
      local fd = raw:getfd()
      raw:setfd(-1)                  -- the dgram socket owns it now
      T.run(function(done)
        local receiver = dgram.createSocket(kind)
        local s = dgram.createSocket({ type = kind, recvBufferSize = 4096,
                                       sendBufferSize = 4096 })
        local closed = 0
        local function on_close()
          closed = closed + 1
          if closed == 2 then done() end
        end
        receiver:on("message", T.expect(function(data, rinfo)
          assert.equal(tostring(fd), data)
          receiver:send(data, rinfo.port, rinfo.address)
          core.next_tick(function() receiver:close(on_close) end)
        end))
        receiver:bind({ port = 0, address = host }, T.expect(function()
          local target = receiver:address()
          s:on("message", T.expect(function(data)
            assert.equal(tostring(fd), data)
            s:close(on_close)
          end))
          s:bind({ port = 0, address = host, fd = fd }, T.expect(function()
            local a = s:address()
            assert.equal(raw_ip, a.address)
            assert.equal(tonumber(raw_port), a.port)
            -- Linux doubles what setsockopt is given.
            assert.equal(8192, s:getRecvBufferSize())
            assert.equal(8192, s:getSendBufferSize())
            s:send(tostring(fd), target.port, target.address)
          end))
        end))
      end)
    end
  end)

  with_socket("test-dgram-bind-fd-error: the descriptor of a socket in use " ..
              "raises EEXIST; a TCP descriptor ERR_INVALID_FD_TYPE",
              function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:bind(T.expect(function()
        local other = dgram.createSocket("udp4")
        local err = raised(other.bind, other, { fd = select(2, s._handle:fileno()) })
        assert.equal("EEXIST", err.code)
        assert.equal("open", err.syscall)
        other:close()
        s:close(done)
      end))
    end)
    local tcp = socket.tcp()
    assert(tcp:bind("127.0.0.1", 0))
    assert(tcp:listen())
    local s = dgram.createSocket("udp4")
    local err = raised(s.bind, s, { fd = tcp:getfd() })
    assert.equal("ERR_INVALID_FD_TYPE", err.code)
    assert.equal("TypeError", err.name)
    assert.equal("Unsupported fd type: TCP", err.message)
    tcp:close()
    s:close()
    core.run("nowait")
  end)

  it("test-dgram-bind-socket-close-before-lookup: a lookup answering " ..
     "after close() emits no 'error'", function()
    T.run(function(done)
      local answer
      local s = dgram.createSocket({ type = "udp4", lookup = function(_, _, cb)
        answer = cb
      end })
      s:on("error", T.expect(nil, 0))
      s:bind(0, "localhost")
      s:close(T.expect(function()
        answer({ code = "ENOTFOUND", message = "an error" })
        core.next_tick(done)
      end))
    end)
  end)

  it("test-dgram-address: address() of sockets bound to 127.0.0.1 and " ..
     "::1; 'getsockname EBADF' when unbound", function()
    T.run(function(done)
      local left = 2
      local function check(s, host, family)
        s:on("error", T.expect(nil, 0))
        s:on("listening", T.expect(function()
          local a = s:address()
          assert.equal(host, a.address)
          assert.equal(family, a.family)
          assert.is_true(math.type(a.port) == "integer" and a.port > 0)
          s:close()
          left = left - 1
          if left == 0 then done() end
        end))
        s:bind(0, host)
      end
      check(dgram.createSocket("udp4"), "127.0.0.1", "IPv4")
      check(dgram.createSocket("udp6"), "::1", "IPv6")
    end)
    local s = dgram.createSocket("udp4")
    local err = raised(s.address, s)
    assert.equal("EBADF", err.code)
    assert.equal("getsockname EBADF", err.message)
    s:close()
    core.run("nowait")
  end)

  it("test-dgram-error-message-address: a failed bind names the address, " ..
     "and no port for port 0", function()
    T.run(function(done)
      local left = 2
      local function check(kind, address)
        local s = dgram.createSocket(kind)
        s:on("listening", T.expect(nil, 0))
        s:on("error", T.expect(function(e)
          assert.equal("EADDRNOTAVAIL", e.code)
          assert.is_nil(e.port)
          assert.equal(address, e.address)
          assert.equal("bind EADDRNOTAVAIL " .. address, e.message)
          s:close()
          left = left - 1
          if left == 0 then done() end
        end))
        s:bind(0, address)
      end
      check("udp4", "1.1.1.1")
      check("udp6", "111::1")
    end)
  end)

  it("test-dgram-listen-after-bind: 'listening' comes after bind(), " ..
     "'close' after it", function()
    local log = {}
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:bind()
      s:on("listening", T.expect(function()
        log[#log + 1] = "listening"
        s:close()
      end))
      s:on("close", T.expect(function()
        log[#log + 1] = "close"
        done()
      end))
    end)
    assert.same({ "listening", "close" }, log)
  end)

  it("test-dgram-ipv6only: with ipv6Only, a udp4 socket binds the port " ..
     "of a udp6 socket on ::", function()
    T.run(function(done)
      local s6 = dgram.createSocket({ type = "udp6", ipv6Only = true })
      s6:bind({ port = 0, address = "::" }, T.expect(function()
        local s4 = dgram.createSocket("udp4")
        s4:on("error", T.expect(nil, 0))
        s4:bind({ port = s6:address().port, address = "0.0.0.0" },
                T.expect(function()
          s4:close()
          s6:close(done)
        end))
      end))
    end)
  end)

  it("test-dgram-reuseport: two sockets with reusePort bind one port",
     function()
    T.run(function(done)
      local a = dgram.createSocket({ type = "udp4", reusePort = true })
      local b = dgram.createSocket({ type = "udp4", reusePort = true })
      a:bind(0, T.expect(function()
        b:bind(a:address().port, T.expect(function()
          assert.equal(a:address().port, b:address().port)
          a:close()
          b:close(done)
        end))
      end))
    end)
  end)

  it("test-dgram-implicit-bind: two sends from an unbound socket bind it " ..
     "once, both arrive", function()
    local got = {}
    T.run(function(done)
      local source = dgram.createSocket("udp4")
      local target = dgram.createSocket("udp4")
      target:on("message", T.expect(function(msg)
        got[#got + 1] = msg
        if #got == 2 then
          source:close()
          target:close(done)
        end
      end, 2))
      target:on("listening", T.expect(function()
        local port = target:address().port
        source:send("abc", 0, 3, port, "127.0.0.1")
        source:send("def", 0, 3, port, "127.0.0.1")
      end))
      target:bind(0)
    end)
    table.sort(got)
    assert.same({ "abc", "def" }, got)
  end)

  it("test-dgram-exclusive-implicit-bind (without cluster): implicit " ..
     "binds give each socket its own port; bind({ exclusive }) works",
     function()
    local ports = {}
    T.run(function(done)
      local target = dgram.createSocket("udp4")
      local a, b = dgram.createSocket("udp4"), dgram.createSocket("udp4")
      target:on("message", T.expect(function(msg, rinfo)
        ports[msg] = rinfo.port
        if ports.a and ports.b then
          a:close()
          b:close()
          target:close(done)
        end
      end, 2))
      target:bind({ port = 0, exclusive = true }, T.expect(function()
        local port = target:address().port
        a:send("a", port, "127.0.0.1")
        b:send("b", port, "127.0.0.1")
      end))
    end)
    assert.are_not.equal(ports.a, ports.b)
  end)

  -- Link-local addresses need an interface that has one: a veth in a
  -- private network namespace (spec/netns.lua), else pending.
  it("test-dgram-udp6-link-local-address: bound to fe80::1%ludp0, the " ..
     "sender's address keeps its scope", function()
    local ns = netns()
    local ok, why = ns.available()
    if not ok then return pending(why) end
    if not ns.features.veth then
      return pending("no veth in the namespace: no link-local address")
    end
    ns.check(ns.run([=[
      local address = "fe80::1%ludp0"
      local message = "Hello, local world!"
      local client = dgram.createSocket("udp6")
      local server = dgram.createSocket("udp6")
      server:on("listening", function()
        client:send(message, 0, #message, server:address().port, address)
      end)
      server:on("message", function(msg, rinfo)
        eq(message, msg, "msg")
        eq(address, rinfo.address, "rinfo.address")
        server:close()
        client:close(done)
      end)
      server:bind({ address = address })
    ]=]))
  end)
end)
