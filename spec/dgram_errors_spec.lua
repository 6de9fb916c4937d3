-- Spec for lua/dgram.lua: the error objects of docs/reference.md. Misuse
-- raises at the call (pcall returns the object); a failure of the system
-- is an 'error' event or goes to a callback, with code, errno, syscall,
-- address and port. Loopback only, port 0 only.

local dgram = require("dgram")
local errors = require("ludp.errors")
local T = require("ludp.test")

local raised = require("helpers").raised

-- Replaces the binding's bind of socket s by one that fails with status.
local function failing_bind(s, status)
  local real = s._handle
  s._handle = setmetatable({
    bind = function() return status end,
  }, { __index = function(_, k)
    return function(_, ...) return real[k](real, ...) end
  end })
  return function() s._handle = real end
end

describe("misuse", function()
  it("raises error objects with name, code, message, stack and __tostring",
     function()
    local s = dgram.createSocket("udp4")
    local err = raised(s.send, s, "x", 1234, 127)
    assert.is_true(errors.is_error(err))
    assert.equal("TypeError", err.name)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.equal('The "address" argument must be of type string. ' ..
                 "Received type number (127)", err.message)
    assert.is_string(err.stack)
    assert.equal("TypeError [ERR_INVALID_ARG_TYPE]: " .. err.message,
                 tostring(err))
    s:close()
    require("ludp").run("nowait")
  end)

  it("uses the codes of the API for each misuse", function()
    local s = dgram.createSocket("udp4")
    local cases = {
      { "ERR_SOCKET_BAD_TYPE", "TypeError", dgram.createSocket, "udp" },
      { "ERR_SOCKET_BAD_PORT", "RangeError", s.bind, s, 65536 },
      { "ERR_SOCKET_BAD_PORT", "RangeError", s.send, s, "x", 0 },
      { "ERR_SOCKET_BAD_PORT", "RangeError", s.connect, s, 0 },
      { "ERR_INVALID_ARG_TYPE", "TypeError", s.send, s, 1, 9 },
      { "ERR_INVALID_ARG_TYPE", "TypeError", s.bind, s, 0, 1 },
      { "ERR_INVALID_ARG_TYPE", "TypeError", s.setTTL, s, "64" },
      { "ERR_SOCKET_DGRAM_NOT_CONNECTED", "Error", s.disconnect, s },
      { "ERR_SOCKET_DGRAM_NOT_CONNECTED", "Error", s.remoteAddress, s },
      { "ERR_SOCKET_BUFFER_SIZE", "SystemError", s.getRecvBufferSize, s },
      { "ERR_SOCKET_BAD_BUFFER_SIZE", "TypeError", s.setSendBufferSize, s,
        -1 },
      { "ERR_MISSING_ARGS", "TypeError", s.addMembership, s },
      { "ERR_OUT_OF_RANGE", "RangeError", s.send, s, "x", 0.5, 1, 9, "h" },
      { "ERR_BUFFER_OUT_OF_BOUNDS", "RangeError", s.send, s, "x", 2, 0, 9,
        "h" },
    }
    for _, c in ipairs(cases) do
      local err = raised(table.unpack(c, 3))
      assert.equal(c[1], err.code)
      assert.equal(c[2], err.name, c[1])
    end
    s:close()
    for _, c in ipairs({ { s.bind, s }, { s.send, s, "x", 9 },
                         { s.close, s }, { s.address, s } }) do
      local err = raised(table.unpack(c))
      assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err.code)
      assert.equal("Error", err.name)
      assert.equal("Not running", err.message)
    end
    require("ludp").run("nowait")
  end)

  it("ERR_SOCKET_ALREADY_BOUND and ERR_SOCKET_DGRAM_IS_CONNECTED", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        assert.equal("ERR_SOCKET_ALREADY_BOUND", raised(s.bind, s).code)
        s:connect(s:address().port, function()
          local err = raised(s.connect, s, 9)
          assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED", err.code)
          err = raised(s.send, s, "x", 9)
          assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED", err.code)
          s:close(done)
        end)
      end)
    end)
  end)
end)

describe("system errors", function()
  it("a bind on a port in use emits EADDRINUSE with every field", function()
    local e, port
    T.run(function(done)
      local a = dgram.createSocket("udp4")
      local b = dgram.createSocket("udp4")
      a:bind(0, "127.0.0.1", function()
        port = a:address().port
        b:on("error", T.expect(function(err)
          e = err
          a:close()
          b:close(done)
        end))
        b:bind(port, "127.0.0.1", T.expect(nil, 0))
      end)
    end)
    assert.equal("SystemError", e.name)
    assert.equal("EADDRINUSE", e.code)
    assert.equal(-98, e.errno)
    assert.equal("bind", e.syscall)
    assert.equal("127.0.0.1", e.address)
    assert.equal(port, e.port)
    assert.equal("bind EADDRINUSE 127.0.0.1:" .. port, e.message)
    assert.is_string(e.stack)
  end)

  it("a bind error is not swallowed by bind's callback", function()
    local a = dgram.createSocket("udp6")
    local b = dgram.createSocket("udp6")
    local ok, err = pcall(T.run, function()
      a:bind(0, "::1", function()
        b:bind(a:address().port, "::1", function() error("bound?") end)
      end)
    end)
    assert.is_false(ok)
    assert.equal("EADDRINUSE", err.code)
    assert.equal("::1", err.address)
    assert.equal(0, b:listenerCount("listening"))
    a:close()
    b:close()
    require("ludp").run("nowait")
  end)

  -- EACCES and EADDRNOTAVAIL need a privileged port as non-root or an
  -- address off loopback: the binding's answer is played instead.
  for _, c in ipairs({ { -13, "EACCES", 80 }, { -99, "EADDRNOTAVAIL", 0 } })
  do
    it("a bind failing with " .. c[2] .. " emits it with every field",
       function()
      local e
      T.run(function(done)
        local s = dgram.createSocket("udp4")
        local restore = failing_bind(s, c[1])
        s:on("error", T.expect(function(err)
          e = err
          restore()
          s:close(done)
        end))
        s:bind(c[3], "127.0.0.1", T.expect(nil, 0))
      end)
      assert.equal(c[2], e.code)
      assert.equal(c[1], e.errno)
      assert.equal("bind", e.syscall)
      assert.equal("127.0.0.1", e.address)
      -- As Node: port 0 gives no port field (test-dgram-error-message-address).
      assert.equal(c[3] ~= 0 and c[3] or nil, e.port)
    end)
  end

  it("a failing setter raises a SystemError naming its call", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      local err = raised(s.setBroadcast, s, true)   -- no socket yet
      assert.equal("EBADF", err.code)
      assert.equal("setBroadcast", err.syscall)
      s:bind(0, "127.0.0.1", function()
        err = raised(s.setTTL, s, 0)
        assert.equal("SystemError", err.name)
        assert.equal("EINVAL", err.code)
        assert.equal(-22, err.errno)
        assert.equal("setTTL", err.syscall)
        assert.equal("setTTL EINVAL", err.message)
        s:close(done)
      end)
    end)
  end)

  it("ERR_SOCKET_BUFFER_SIZE carries the libuv call in info, as Node",
     function()
    local s = dgram.createSocket("udp4")
    local err = raised(s.setSendBufferSize, s, 8192)
    assert.equal("SystemError", err.name)
    assert.equal("ERR_SOCKET_BUFFER_SIZE", err.code)
    assert.equal("Could not get or set buffer size: uv_send_buffer_size " ..
                 "returned EBADF (bad file descriptor)", err.message)
    assert.same({ errno = -9, code = "EBADF", message = "bad file descriptor",
                  syscall = "uv_send_buffer_size" }, err.info)
    assert.equal(-9, err.errno)
    assert.equal("uv_send_buffer_size", err.syscall)
    s:close()
    require("ludp").run("nowait")
  end)
end)
