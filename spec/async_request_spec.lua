-- Spec for lua/ludp/async.lua with lua/dgram.lua: sock:request. The reply
-- of the peer asked, chosen by match; exactly 'retries' resends before
-- ETIMEDOUT; every other way out (close, a match that raises; a failed
-- send is an 'error' as for send); the connected form and a host name
-- through the socket's lookup. Loopback only, port 0 only.

local dgram = require("dgram")
local ludp = require("ludp")
local T = require("ludp.test")
local raised = require("helpers").raised

-- A server on 127.0.0.1 that hands each datagram to answer(msg, rinfo,
-- n) (n: how many it got so far); body(client, port, server) runs in
-- ludp.async; then everything closes and the run ends.
local function with_server(answer, body)
  T.run(function(done)
    local server = dgram.createSocket("udp4")
    local client = dgram.createSocket("udp4")
    local n = 0
    server:on("message", function(msg, rinfo)
      n = n + 1
      local reply = answer(msg, rinfo, n)
      if reply then server:send(reply, rinfo.port, rinfo.address) end
    end)
    server:bind(0, "127.0.0.1", function()
      ludp.async(function()
        body(client, server:address().port, server)
        client:close()
        server:close(done)
      end)
    end)
  end)
end

local function echo(msg) return "re:" .. msg end

describe("sock:request", function()
  it("sends and returns the peer's reply and rinfo", function()
    with_server(echo, function(client, port)
      local reply, rinfo = client:request("ping", port, "127.0.0.1")
      assert.equal("re:ping", reply)
      assert.equal(port, rinfo.port)
      assert.equal("127.0.0.1", rinfo.address)
    end)
  end)

  it("takes the default address, the loopback of the socket's type",
     function()
    with_server(echo, function(client, port)
      assert.equal("re:x", client:request("x", port, { timeout = 500 }))
    end)
  end)

  it("takes only what match accepts, from the peer asked", function()
    local other = dgram.createSocket("udp4")
    with_server(function(msg, rinfo)
      -- a stray reply first, then one from another peer, then the right one
      other:send("ans:" .. msg, rinfo.port, rinfo.address)
      return "noise"
    end, function(client, port, server)
      local function later() server:send("ans:q", client:address().port,
                                         "127.0.0.1") end
      setTimeout(later, 20)
      local reply = client:request("q", port, "127.0.0.1", {
        match = function(msg) return msg == "ans:q" end })
      assert.equal("ans:q", reply)
      other:close()
    end)
  end)

  it("resends exactly 'retries' times, then returns nil, ETIMEDOUT",
     function()
    local count = 0
    with_server(function() count = count + 1 end, function(client, port)
      local reply, err = client:request("lost", port, "127.0.0.1",
                                        { timeout = 20, retries = 3 })
      assert.is_nil(reply)
      assert.equal("ETIMEDOUT", err.code)
      assert.equal("request", err.syscall)
      ludp.sleep(20)                  -- the last copy has arrived
    end)
    assert.equal(4, count)
  end)

  it("returns the reply to a resent copy", function()
    local count = 0
    with_server(function(msg, _, n)
      count = n
      if n == 3 then return "late:" .. msg end
    end, function(client, port)
      local reply = client:request("r", port, "127.0.0.1",
                                   { timeout = 20, retries = 5 })
      assert.equal("late:r", reply)
    end)
    assert.equal(3, count)
  end)

  it("retries = 0 sends once", function()
    local count = 0
    with_server(function() count = count + 1 end, function(client, port)
      local _, err = client:request("x", port, "127.0.0.1",
                                    { timeout = 20, retries = 0 })
      assert.equal("ETIMEDOUT", err.code)
      ludp.sleep(20)
    end)
    assert.equal(1, count)
  end)

  it("returns nil, ERR_SOCKET_DGRAM_NOT_RUNNING when the socket closes",
     function()
    with_server(function() end, function(client, port)
      local c2 = dgram.createSocket("udp4")
      setTimeout(function() c2:close() end, 10)
      local reply, err = c2:request("x", port, "127.0.0.1", { timeout = 5000 })
      assert.is_nil(reply)
      assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err.code)
      reply, err = c2:request("x", port, "127.0.0.1")
      assert.is_nil(reply)
      assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err.code)
      assert.is_not_nil(client)
    end)
  end)

  it("reports a failed send as send does, an 'error', and times out",
     function()
    local errs = {}
    with_server(echo, function(client, port)
      client:on("error", function(err) errs[#errs + 1] = err.code end)
      local reply, err = client:request(string.rep("x", 70000), port,
                                        "127.0.0.1", { timeout = 10,
                                                       retries = 1 })
      assert.is_nil(reply)
      assert.equal("ETIMEDOUT", err.code)
    end)
    assert.same({ "EMSGSIZE", "EMSGSIZE" }, errs)
  end)

  it("raises inside its coroutine the error of a match", function()
    local got
    T.run(function(done)
      process.once("uncaughtException", function(err)
        got = err
        done()
      end)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:on("message", function(msg, rinfo)
        server:send(msg, rinfo.port, rinfo.address)
      end)
      server:bind(0, "127.0.0.1", function()
        ludp.async(function()
          local ok = pcall(client.request, client, "m", server:address().port,
                           "127.0.0.1", { match = function() error("bad") end })
          client:close()
          server:close()
          assert(ok, "not raised inside")
        end)
      end)
    end)
    assert.matches("not raised inside", got)
  end)

  it("on a connected socket: request(msg[, opts])", function()
    with_server(echo, function(client, port)
      client:connect(port, "127.0.0.1")
      assert(ludp.wait(client, "connect"))
      assert.equal("re:c", client:request("c", { timeout = 500 }))
      assert.equal("re:d", client:request("d"))
    end)
  end)

  it("resolves a host name with the socket's lookup", function()
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      server:on("message", function(msg, rinfo)
        server:send("re:" .. msg, rinfo.port, rinfo.address)
      end)
      local asked = {}
      local client = dgram.createSocket({ type = "udp4",
        lookup = function(host, _, cb)
          asked[#asked + 1] = host
          setTimeout(cb, 1, nil, "127.0.0.1", 4)
        end })
      server:bind(0, "127.0.0.1", function()
        ludp.async(function()
          assert.equal("re:n", client:request("n", server:address().port,
                                              "server.test"))
          assert.equal("server.test", asked[1])
          client:close()
          server:close(done)
        end)
      end)
    end)
  end)

  it("serves many coroutines on one socket, each its own reply", function()
    local answered = 0
    with_server(echo, function(client, port)
      local n, finished = 50, 0
      for i = 1, n do
        ludp.async(function()
          local want = "re:" .. i
          local reply = client:request(tostring(i), port, "127.0.0.1", {
            match = function(msg) return msg == want end })
          assert.equal(want, reply)
          answered = answered + 1
          finished = finished + 1
        end)
      end
      while finished < n do ludp.sleep(2) end
    end)
    assert.equal(50, answered)
  end)

  it("raises outside ludp.async and for bad options", function()
    local s = dgram.createSocket("udp4")
    assert.equal("ERR_INVALID_STATE", raised(s.request, s, "x", 9).code)
    ludp.async(function()
      assert.equal("ERR_INVALID_ARG_TYPE",
                   raised(s.request, s, "x", 9, "127.0.0.1", { retries = -1 }).code)
      assert.equal("ERR_INVALID_ARG_TYPE",
                   raised(s.request, s, "x", 9, { retries = 1.5 }).code)
      assert.equal("ERR_INVALID_ARG_TYPE",
                   raised(s.request, s, "x", 9, { match = 5 }).code)
      assert.equal("ERR_OUT_OF_RANGE",
                   raised(s.request, s, "x", 9, { timeout = -5 }).code)
      assert.equal("ERR_SOCKET_BAD_PORT", raised(s.request, s, "x", 0).code)
      assert.equal("ERR_INVALID_ARG_TYPE", raised(s.request, s, 5, 9).code)
    end)
    s:close()
    T.run(function(done) setImmediate(done) end)
  end)
end)
