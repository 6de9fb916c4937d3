-- Node.js's own tests of dgram's connected sockets, carried over to Lua
-- (test/parallel/test-dgram-*.js; spec/README.md lists them all). Each
-- `it` names the Node test it comes from. Node's Buffers are Lua strings
-- here; the TypedArray variants have no Lua counterpart. Loopback only,
-- port 0 only.

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")

local raised = require("helpers").raised

-- Runs body(client, close) with a client bound to port 0 and connected to
-- itself; close() closes it and ends the run.
local function connected_to_self(body)
  T.run(function(done)
    local client = dgram.createSocket("udp4")
    client:bind(0, T.expect(function()
      client:connect(client:address().port, T.expect(function()
        body(client, function() client:close(done) end)
      end))
    end))
  end)
end

describe("Node's dgram connect tests", function()
  it("test-dgram-connect: connect, its errors, disconnect, connect again",
     function()
    local port = T.port()      -- nobody listens there: connect needs no peer
    T.run(function(done)
      local client = dgram.createSocket("udp4")
      client:connect(port, T.expect(function()
        assert.equal(port, client:remoteAddress().port)
        local err = raised(client.connect, client, port, T.expect(nil, 0))
        assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED", err.code)
        assert.equal("Error", err.name)
        assert.equal("Already connected", err.message)
        client:disconnect()
        for _, m in ipairs({ "disconnect", "remoteAddress" }) do
          err = raised(client[m], client)
          assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED", err.code)
          assert.equal("Error", err.name)
          assert.equal("Not connected", err.message)
        end
        client:once("connect", T.expect(function() client:close(done) end))
        client:connect(port)
      end))
      -- While connecting.
      local err = raised(client.connect, client, port)
      assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED", err.code)
      assert.equal("Already connected", err.message)
      err = raised(client.disconnect, client)
      assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED", err.code)
      assert.equal("Not connected", err.message)
      for _, bad in ipairs({ 0, 78960, false }) do
        err = raised(client.connect, client, bad)
        assert.equal("RangeError", err.name)
        assert.equal("ERR_SOCKET_BAD_PORT", err.code)
        assert.matches("^Port should be > 0 and < 65536", err.message)
      end
      -- Node's null and undefined are both nil.
      err = raised(client.connect, client, nil)
      assert.equal("ERR_SOCKET_BAD_PORT", err.code)
    end)
  end)

  it("test-dgram-connect-send-callback-buffer: send(msg, cb) on a " ..
     "connected socket; cb gets the bytes", function()
    connected_to_self(function(client, close)
      client:send(string.rep("x", 256), T.expect(function(err, bytes)
        assert.is_nil(err)
        assert.equal(256, bytes)
        close()
      end))
    end)
  end)

  it("test-dgram-connect-send-callback-buffer-length: send(msg, offset, " ..
     "length, cb) on a connected socket", function()
    connected_to_self(function(client, close)
      local buf = string.rep("x", 256)
      client:send(buf, 20, #buf - 20, T.expect(function(err, bytes)
        assert.is_nil(err)
        assert.equal(#buf - 20, bytes)
        close()
      end))
    end)
  end)

  for _, name in ipairs({ "test-dgram-connect-send-callback-multi-buffer",
                          "test-dgram-connect-send-multi-buffer-copy" }) do
    it(name .. ": an array is one datagram to the peer; cb counts it all",
       function()
      local b1, b2 = string.rep("x", 256), string.rep("y", 256)
      connected_to_self(function(client, close)
        local sent, got = false, false
        client:on("message", T.expect(function(msg)
          assert.equal(b1 .. b2, msg)
          got = true
          if sent then close() end
        end))
        local to_send = { b1, b2 }
        client:send(to_send, T.expect(function(err, bytes)
          assert.is_nil(err)
          assert.equal(512, bytes)
          sent = true
          if got then close() end
        end))
        to_send[1], to_send[2] = nil, nil  -- the copy test empties it
      end)
    end)
  end

  it("test-dgram-connect-send-default-host: connect(port) reaches " ..
     "127.0.0.1; every send form of a connected socket", function()
    local to_send = { string.rep("x", 256), string.rep("y", 256),
                      string.rep("z", 256), "hello" }
    local received = {}
    T.run(function(done)
      local client = dgram.createSocket("udp4")
      local server = dgram.createSocket("udp4")
      server:on("listening", T.expect(function()
        client:connect(server:address().port, T.expect(function(err)
          assert.is_nil(err)
          client:send(to_send[1], 0, #to_send[1])
          client:send(to_send[2])
          client:send({ to_send[3] })
          client:send(to_send[4], 0, #to_send[4])
        end))
      end))
      server:on("message", T.expect(function(msg)
        received[#received + 1] = msg
        if #received == #to_send then
          client:close()
          server:close(done)
        end
      end, 4))
      server:bind(0)
    end)
    table.sort(received)
    table.sort(to_send)
    assert.same(to_send, received)
  end)

  it("test-dgram-connect-send-empty-array: an empty array is an empty " ..
     "datagram", function()
    T.run(function(done)
      local client = dgram.createSocket("udp4")
      client:on("message", T.expect(function(msg)
        assert.equal("", msg)
        client:close(done)
      end))
      client:on("listening", T.expect(function()
        client:connect(client:address().port, "127.0.0.1",
                       T.expect(function() client:send({}) end))
      end))
      client:bind(0)
    end)
  end)

  it("test-dgram-connect-send-empty-buffer: send('', 0, 0, cb)", function()
    connected_to_self(function(client, close)
      local sent, got = false, false
      client:on("message", T.expect(function(msg)
        assert.equal("", msg)
        got = true
        if sent then close() end
      end))
      client:send("", 0, 0, T.expect(function(err)
        assert.is_nil(err)
        sent = true
        if got then close() end
      end))
    end)
  end)

  it("test-dgram-connect-send-empty-packet: length 0 of a longer message",
     function()
    connected_to_self(function(client, close)
      local calls = {}
      local function callback(first)
        calls[#calls + 1] = first == nil and "sent" or ("got " .. #first)
        if #calls == 2 then
          table.sort(calls)
          assert.same({ "got 0", "sent" }, calls)
          close()
        end
      end
      client:on("message", T.expect(callback))
      client:send("\0", 0, 0, T.expect(callback))
    end)
  end)

  it("test-dgram-connect-send-multi-string-array: an array of strings is " ..
     "one datagram", function()
    connected_to_self(function(client, close)
      client:on("message", T.expect(function(msg)
        assert.equal("foobarbaz", msg)
        close()
      end))
      client:send({ "foo", "bar", "baz" })
    end)
  end)

  -- Node runs this one with --test-udp-no-try-send, so that its two sends
  -- stay queued in libuv. ludp has no such switch: what it can check is
  -- the unbound socket, and a connected one whose sends went out at once.
  it("test-dgram-send-queue-info: getSendQueueSize and " ..
     "getSendQueueCount", function()
    local socket = dgram.createSocket("udp4")
    assert.equal(0, socket:getSendQueueSize())
    assert.equal(0, socket:getSendQueueCount())
    socket:close()
    core.run("nowait")
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:bind(0, T.expect(function()
        client:connect(server:address().port, T.expect(function()
          client:send("hello")
          client:send("hello")
          local size, count = client:getSendQueueSize(),
                              client:getSendQueueCount()
          assert.is_true(size == 0 or size == 10)
          assert.equal(size == 0 and 0 or 2, count)
          client:close()
          server:close(done)
        end))
      end))
    end)
  end)
end)
