-- Spec for lua/ludp/async.lua with lua/dgram.lua: sock:recv and
-- sock:messages. Which waiter a datagram goes to (the oldest, before the
-- 'message' listeners), every way out of a wait (a datagram, a timeout,
-- close, collection), and that a socket read only through recv loses
-- nothing between two calls. Loopback only, port 0 only.

local dgram = require("dgram")
local ludp = require("ludp")
local T = require("ludp.test")
local raised = require("helpers").raised

local function full_gc()
  collectgarbage()
  collectgarbage()
end

-- body(server, client, port) inside ludp.async once server is bound on
-- 127.0.0.1; done() closes both sockets and ends the run.
local function with_pair(body)
  T.run(function(done)
    local server = dgram.createSocket("udp4")
    local client = dgram.createSocket("udp4")
    server:bind(0, "127.0.0.1")
    ludp.async(function()
      assert(ludp.wait(server, "listening"))
      body(server, client, server:address().port)
      client:close()
      server:close(done)
    end)
  end)
end

describe("sock:recv", function()
  it("returns the next datagram and its rinfo", function()
    with_pair(function(server, client, port)
      client:send("hello", port, "127.0.0.1")
      local msg, rinfo = server:recv()
      assert.equal("hello", msg)
      assert.equal("127.0.0.1", rinfo.address)
      assert.equal(client:address().port, rinfo.port)
      assert.equal(5, rinfo.size)
    end)
  end)

  it("gives a datagram to the oldest waiting recv", function()
    local got = {}
    with_pair(function(server, client, port)
      local finished = 0
      for i = 1, 3 do
        ludp.async(function()
          got[i] = server:recv()
          finished = finished + 1
        end)
      end
      for i = 1, 3 do client:send("m" .. i, port, "127.0.0.1") end
      while finished < 3 do ludp.sleep(1) end
    end)
    assert.same({ "m1", "m2", "m3" }, got)
  end)

  it("comes before the 'message' listeners, which get the rest", function()
    local heard = {}
    with_pair(function(server, client, port)
      server:on("message", function(msg) heard[#heard + 1] = msg end)
      client:send("first", port, "127.0.0.1")
      assert.equal("first", server:recv())
      client:send("second", port, "127.0.0.1")
      client:send("third", port, "127.0.0.1")
      assert.equal("second", server:recv())
      while #heard < 1 do ludp.sleep(1) end
    end)
    assert.same({ "third" }, heard)
  end)

  it("hands the binding the listener itself once no recv waits (the " ..
     "echo's path)", function()
    local function onmessage(s)        -- the box's user value 1
      return (debug.getuservalue(s._handle, 1))
    end
    with_pair(function(server, client, port)
      local function listener() end
      server:on("message", listener)
      assert.equal(listener, onmessage(server))
      ludp.async(function() server:recv() end)
      assert.are_not.equal(listener, onmessage(server))   -- the waiters'
      client:send("x", port, "127.0.0.1")
      while onmessage(server) ~= listener do ludp.sleep(1) end
    end)
  end)

  it("returns nil, ETIMEDOUT after opts.timeout", function()
    with_pair(function(server)
      local msg, err = server:recv({ timeout = 20 })
      assert.is_nil(msg)
      assert.equal("ETIMEDOUT", err.code)
      assert.equal("recv", err.syscall)
    end)
  end)

  it("returns nil, ERR_SOCKET_DGRAM_NOT_RUNNING when the socket closes, " ..
     "and on a closed socket", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:bind(0, "127.0.0.1")
      ludp.async(function()
        local msg, err = s:recv()
        assert.is_nil(msg)
        assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err.code)
        msg, err = s:recv()
        assert.is_nil(msg)
        assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err.code)
        done()
      end)
      setTimeout(function() s:close() end, 5)
    end)
  end)

  it("loses nothing sent while no recv waits", function()
    local n = 200
    with_pair(function(server, client, port)
      client:send("0", port, "127.0.0.1")
      assert.equal("0", server:recv())
      for i = 1, n do client:send(tostring(i), port, "127.0.0.1") end
      ludp.sleep(30)                  -- nobody waits meanwhile
      for i = 1, n do
        assert.equal(tostring(i), server:recv({ timeout = 1000 }))
        if i % 50 == 0 then ludp.sleep(5) end
      end
      local msg, err = server:recv({ timeout = 10 })
      assert.is_nil(msg)
      assert.equal("ETIMEDOUT", err.code)
    end)
  end)

  it("reads again for a 'message' listener added after the last recv",
     function()
    local heard = {}
    with_pair(function(server, client, port)
      client:send("one", port, "127.0.0.1")
      assert.equal("one", server:recv())
      ludp.sleep(5)                   -- no waiter: the socket stops reading
      server:on("message", function(msg) heard[#heard + 1] = msg end)
      client:send("two", port, "127.0.0.1")
      while #heard < 1 do ludp.sleep(1) end
    end)
    assert.same({ "two" }, heard)
  end)

  it("raises outside ludp.async, on what is not a socket, for bad options",
     function()
    local s = dgram.createSocket("udp4")
    assert.equal("ERR_INVALID_STATE", raised(s.recv, s).code)
    ludp.async(function()
      assert.equal("ERR_INVALID_ARG_TYPE", raised(s.recv, {}).code)
      assert.equal("ERR_INVALID_ARG_TYPE", raised(s.recv, s, 5).code)
      assert.equal("ERR_INVALID_ARG_TYPE",
                   raised(s.recv, s, { timeout = "1" }).code)
      assert.equal("ERR_OUT_OF_RANGE", raised(s.recv, s, { timeout = -1 }).code)
    end)
    s:close()
    T.run(function(done) setImmediate(done) end)
  end)

  it("lets a coroutine waiting on an unreachable socket be collected",
     function()
    local ref = setmetatable({}, { __mode = "v" })
    do
      local s = dgram.createSocket("udp4")   -- never bound: collectable
      ref.s = s
      ref.co = ludp.async(function() s:recv() end)
    end
    full_gc()
    full_gc()
    assert.is_nil(ref.co)
    assert.is_nil(ref.s)
  end)
end)

describe("sock:messages", function()
  it("iterates over datagrams until the timeout passes with nothing",
     function()
    local got = {}
    with_pair(function(server, client, port)
      for i = 1, 5 do client:send("d" .. i, port, "127.0.0.1") end
      for msg, rinfo in server:messages({ timeout = 50 }) do
        got[#got + 1] = msg
        assert.equal(client:address().port, rinfo.port)
      end
    end)
    assert.same({ "d1", "d2", "d3", "d4", "d5" }, got)
  end)

  it("ends when the socket closes", function()
    local count = 0
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      local c = dgram.createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        c:send("a", s:address().port, "127.0.0.1")
      end)
      ludp.async(function()
        for msg in s:messages() do
          count = count + 1
          assert.equal("a", msg)
          s:close()
        end
        c:close()
        done()
      end)
    end)
    assert.equal(1, count)
  end)

  it("raises outside ludp.async", function()
    local s = dgram.createSocket("udp4")
    assert.equal("ERR_INVALID_STATE", raised(s.messages, s).code)
    s:close()
    T.run(function(done) setImmediate(done) end)
  end)
end)

describe("recv and messages on a unix socket", function()
  it("take its datagrams, with the sender's path, and nothing is lost " ..
     "between two calls", function()
    local got = {}
    T.run(function(done)
      local name = "@ludp-async-unix-" .. process.pid
      local server = dgram.createSocket("unix")
      local client = dgram.createSocket("unix")
      server:bind(name)
      client:bind(name .. "-client")
      ludp.async(function()
        assert(ludp.wait(server, "listening"))
        for i = 1, 3 do client:send("n" .. i, name) end
        local msg, rinfo = server:recv({ timeout = 5000 })
        got[#got + 1] = msg
        assert.equal("unix", rinfo.family)
        assert.equal(name .. "-client", rinfo.address)
        ludp.sleep(20)                  -- nobody waits: the kernel holds them
        for m in server:messages({ timeout = 50 }) do got[#got + 1] = m end
        local none, err = server:recv({ timeout = 1 })
        assert.is_nil(none)
        assert.equal("ETIMEDOUT", err.code)
        client:close()
        server:close(done)
      end)
    end)
    assert.same({ "n1", "n2", "n3" }, got)
  end)
end)
