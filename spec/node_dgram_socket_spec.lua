-- Node.js's own tests of dgram.createSocket and of the socket's options
-- (types, lookup, buffer sizes, TTL, broadcast flag, receive errors),
-- carried over to Lua (test/parallel/test-dgram-*.js; spec/README.md
-- lists them all). Each `it` names the Node test it comes from. Errors of
-- the system are SystemErrors here (name "SystemError"; Node: "Error").
-- Loopback only, port 0 only.

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")

local raised = require("helpers").raised

-- Runs body(socket, close) once a udp4 socket is bound to port 0.
local function bound(body, kind)
  T.run(function(done)
    local socket = dgram.createSocket(kind or "udp4")
    socket:bind(0, T.expect(function()
      body(socket, function() socket:close(done) end)
    end))
  end)
end

describe("Node's dgram socket tests", function()
  it("test-dgram-createSocket-type: bad types raise ERR_SOCKET_BAD_TYPE; " ..
     "buffer sizes of the options apply", function()
    for _, bad in ipairs({ "test", { "udp4" }, 1, {}, true, false, "UDP4" }) do
      local err = raised(dgram.createSocket, bad)
      assert.equal("ERR_SOCKET_BAD_TYPE", err.code)
      assert.equal("TypeError", err.name)
      assert.equal("Bad socket type specified. Valid types are: udp4, udp6",
                   err.message)
    end
    assert.equal("ERR_SOCKET_BAD_TYPE", raised(dgram.createSocket).code)
    for _, good in ipairs({ "udp4", "udp6", { type = "udp4" },
                            { type = "udp6" } }) do
      dgram.createSocket(good):close()
    end
    core.run("nowait")
    T.run(function(done)
      local socket = dgram.createSocket({ type = "udp4",
                                          recvBufferSize = 10000,
                                          sendBufferSize = 15000 })
      socket:bind(T.expect(function()
        -- Linux doubles what setsockopt is given.
        assert.equal(20000, socket:getRecvBufferSize())
        assert.equal(30000, socket:getSendBufferSize())
        socket:close(done)
      end))
    end)
  end)

  it("test-dgram-custom-lookup: the lookup option is called; anything " ..
     "but a function raises ERR_INVALID_ARG_TYPE", function()
    T.run(function(done)
      local lookup = T.expect(function(host, family, cb)
        assert.equal("0.0.0.0", host)
        assert.equal(4, family)
        cb(nil, host, 4)
      end)
      local socket = dgram.createSocket({ type = "udp4", lookup = lookup })
      socket:bind(T.expect(function() socket:close(done) end))
    end)
    -- Node's null is Lua's nil, which means "no lookup given".
    for _, bad in ipairs({ true, false, 0, 1, 0 / 0, "", "foo", {} }) do
      local err = raised(dgram.createSocket, { type = "udp4", lookup = bad })
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.equal("TypeError", err.name)
      assert.matches('^The "lookup" argument must be of type function%. ' ..
                     "Received ", err.message)
    end
  end)

  it("test-dgram-socket-buffer-size: ERR_SOCKET_BUFFER_SIZE when unbound " ..
     "or too big, ERR_SOCKET_BAD_BUFFER_SIZE for bad sizes, set and get " ..
     "once bound", function()
    for _, which in ipairs({ "send", "recv" }) do
      local socket = dgram.createSocket("udp4")
      local setter = which == "send" and socket.setSendBufferSize
                     or socket.setRecvBufferSize
      local getter = which == "send" and socket.getSendBufferSize
                     or socket.getRecvBufferSize
      for _, err in ipairs({ raised(setter, socket, 8192),
                             raised(getter, socket) }) do
        local syscall = "uv_" .. which .. "_buffer_size"
        assert.equal("ERR_SOCKET_BUFFER_SIZE", err.code)
        assert.equal("SystemError", err.name)
        assert.equal("Could not get or set buffer size: " .. syscall ..
                     " returned EBADF (bad file descriptor)", err.message)
        assert.same({ code = "EBADF", message = "bad file descriptor",
                      errno = -9, syscall = syscall }, err.info)
        assert.equal(-9, err.errno)
        assert.equal(syscall, err.syscall)
      end
      socket:close()
    end
    core.run("nowait")
    bound(function(socket, close)
      for _, bad in ipairs({ -1, math.huge, "Doh!" }) do
        for _, set in ipairs({ socket.setRecvBufferSize,
                               socket.setSendBufferSize }) do
          local err = raised(set, socket, bad)
          assert.equal("ERR_SOCKET_BAD_BUFFER_SIZE", err.code)
          assert.equal("TypeError", err.name)
          assert.equal("Buffer size must be a positive integer", err.message)
        end
      end
      socket:setRecvBufferSize(10000)
      socket:setSendBufferSize(10000)
      assert.equal(20000, socket:getRecvBufferSize())
      assert.equal(20000, socket:getSendBufferSize())
      for _, which in ipairs({ "recv", "send" }) do
        local set = which == "recv" and socket.setRecvBufferSize
                    or socket.setSendBufferSize
        local err = raised(set, socket, 2147483648)
        local syscall = "uv_" .. which .. "_buffer_size"
        assert.equal("ERR_SOCKET_BUFFER_SIZE", err.code)
        assert.equal("Could not get or set buffer size: " .. syscall ..
                     " returned EINVAL (invalid argument)", err.message)
        assert.same({ code = "EINVAL", message = "invalid argument",
                      errno = -22, syscall = syscall }, err.info)
      end
      close()
    end)
  end)

  it("test-dgram-setTTL: returns its argument; a string raises " ..
     "ERR_INVALID_ARG_TYPE, 1000 'setTTL EINVAL'", function()
    bound(function(socket, close)
      assert.equal(16, socket:setTTL(16))
      local err = raised(socket.setTTL, socket, "foo")
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.equal("TypeError", err.name)
      assert.equal('The "ttl" argument must be of type number. Received ' ..
                   'type string ("foo")', err.message)
      err = raised(socket.setTTL, socket, 1000)
      assert.equal("EINVAL", err.code)
      assert.equal("setTTL EINVAL", err.message)
      close()
    end)
  end)

  it("test-dgram-setBroadcast: 'setBroadcast EBADF' when unbound; true " ..
     "and false once bound", function()
    local socket = dgram.createSocket("udp4")
    local err = raised(socket.setBroadcast, socket, true)
    assert.equal("EBADF", err.code)
    assert.equal("setBroadcast EBADF", err.message)
    socket:close()
    core.run("nowait")
    bound(function(s, close)
      s:setBroadcast(true)
      s:setBroadcast(false)
      close()
    end)
  end)

  -- Node's test calls the handle's onmessage with an error; here the
  -- failure callback is taken where dgram.lua gives it to the binding
  -- (recv_start), and called with an error status.
  it("test-dgram-recv-error: a receive error is an 'error' with syscall " ..
     "recvmsg, and no 'message'", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      local real, onerror = s._handle, nil
      s._handle = setmetatable({
        recv_start = function(_, fn)
          onerror = function(...) return fn(s, ...) end
          return real:recv_start(fn)
        end,
      }, { __index = function(_, k)
        return function(_, ...) return real[k](real, ...) end
      end })
      s:on("error", T.expect(function(err)
        s._handle = real
        s:close(done)
        assert.equal("recvmsg", err.syscall)
        assert.matches("^recvmsg ", err.message)
        assert.matches("^SystemError %[%u+%]: recvmsg", tostring(err))
      end))
      s:on("message", T.expect(nil, 0))
      s:bind(T.expect(function() onerror(core.errno.EIO) end))
    end)
  end)
end)
