-- Node.js's own tests of dgram's close, ref and unref, carried over to Lua
-- (test/parallel/test-dgram-*.js; spec/README.md lists them all). Each
-- `it` names the Node test it comes from. Loopback only, port 0 only.

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")

local BIN = os.getenv("LUDP_BIN") or "build/ludp"


-- Runs a chunk in a separate ludp host (bounded by `timeout`); returns
-- its exit status and output.
local function in_host(chunk)
  local p = io.popen("timeout 10 " .. BIN .. " -e '" ..
                     chunk:gsub("'", "'\\''") .. "' </dev/null 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  return code, out
end

-- Runs body(port, address) once a socket bound on localhost gave its
-- port (Node's "portGetter"), with that socket closed again.
local function with_port(body)
  T.run(function(done)
    local getter = dgram.createSocket("udp4")
    getter:bind(0, "localhost", T.expect(function()
      local a = getter:address()
      getter:close()
      body(a.port, a.address, done)
    end))
  end)
end

describe("Node's dgram close tests", function()
  it("test-dgram-close: close() with a send queued returns the socket; " ..
     "'close' and the callback come once", function()
    with_port(function(port, address, done)
      local socket = dgram.createSocket("udp4")
      socket:send(string.rep("*", 1024), 0, 1024, port, address)
      local closed = 0
      assert.equal(socket, socket:close(T.expect(function()
        closed = closed + 1
      end)))
      socket:on("close", T.expect(function()
        closed = closed + 1
        assert.equal(2, closed)
        core.next_tick(done)
      end))
    end)
  end)

  it("test-dgram-close-during-bind: close() while bind looks up its " ..
     "address: the socket never binds", function()
    T.run(function(done)
      local socket
      socket = dgram.createSocket({ type = "udp4",
                                    lookup = T.expect(function(host, _, cb)
        socket:close(T.expect(function()
          cb(nil, host, 4)
          core.next_tick(done)
        end))
      end) })
      local real = socket._handle
      socket._handle = setmetatable({
        bind = function() error("bind() should not be called") end,
      }, { __index = function(_, k)
        return function(_, ...) return real[k](real, ...) end
      end })
      socket:on("listening", T.expect(nil, 0))
      socket:bind(T.expect(nil, 0))
    end)
  end)

  it("test-dgram-close-in-listening: close() in 'listening' with a send " ..
     "queued", function()
    with_port(function(port, address, done)
      local socket = dgram.createSocket("udp4")
      socket:on("listening", T.expect(function() socket:close(done) end))
      socket:send(string.rep("*", 1024), 0, 1024, port, address)
    end)
  end)

  it("test-dgram-close-is-not-callback: close() ignores an argument that " ..
     "is no function", function()
    with_port(function(port, address, done)
      local socket = dgram.createSocket("udp4")
      socket:send(string.rep("*", 1024), 0, 1024, port, address)
      socket:close("bad argument")
      socket:on("close", T.expect(done))
    end)
  end)

  -- As in Node, ref() and unref() of a closed socket do nothing and
  -- return the socket: the one use of a closed socket that does not raise
  -- ERR_SOCKET_DGRAM_NOT_RUNNING.
  it("test-dgram-ref: unbound sockets do not keep the host alive; ref() " ..
     "after close does nothing", function()
    local code, out = in_host([[
      local dgram = require("dgram")
      dgram.createSocket("udp4")
      dgram.createSocket("udp6")
      print("ran")
    ]])
    assert.equal(0, code, out)
    assert.equal("ran\n", out)
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:close(T.expect(function()
        assert.equal(s, s:ref())
        assert.equal(s, s:ref():unref():ref())
        done()
      end))
    end)
  end)

  it("test-dgram-unref: an unref'd bound socket does not keep the host " ..
     "alive; unref() after close does nothing", function()
    local code, out = in_host([[
      local dgram = require("dgram")
      local s = dgram.createSocket("udp4")
      s:bind()
      s:unref()
      local t = setTimeout(function() print("timer fired") end, 5000)
      t:unref()
      s:on("listening", function() print("listening") end)
    ]])
    assert.equal(0, code, out)
    assert.equal("listening\n", out)
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:close(T.expect(function()
        assert.equal(s, s:unref())
        done()
      end))
    end)
  end)
end)
