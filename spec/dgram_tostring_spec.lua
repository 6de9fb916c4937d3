-- Spec for lua/ludp/socket_queries.lua: tostring(socket), which the REPL prints: the
-- type, the local address, the state and the peer. Loopback only, port 0
-- only.

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")

describe("tostring(socket)", function()
  it("shows unbound, binding, bound with the address, closed", function()
    local seen = {}
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      seen.unbound = tostring(s)
      s:bind(0, "127.0.0.1", T.expect(function()
        seen.bound = tostring(s)
        seen.port = s:address().port
        s:close(T.expect(function()
          seen.closed = tostring(s)
          done()
        end))
        seen.closing = tostring(s)
      end))
      seen.binding = tostring(s)
    end)
    assert.equal("Socket<udp4 unbound>", seen.unbound)
    assert.equal("Socket<udp4 binding>", seen.binding)
    assert.equal("Socket<udp4 127.0.0.1:" .. seen.port .. " bound>", seen.bound)
    assert.equal("Socket<udp4 closed>", seen.closing)
    assert.equal("Socket<udp4 closed>", seen.closed)
  end)

  it("shows the any-address and IPv6 addresses in brackets", function()
    local seen = {}
    T.run(function(done)
      local a, b = dgram.createSocket("udp4"), dgram.createSocket("udp6")
      a:bind(0, T.expect(function()
        seen.a = { tostring(a), a:address().port }
        b:bind(0, "::1", T.expect(function()
          seen.b = { tostring(b), b:address().port }
          a:close()
          b:close(done)
        end))
      end))
    end)
    assert.equal("Socket<udp4 0.0.0.0:" .. seen.a[2] .. " bound>", seen.a[1])
    assert.equal("Socket<udp6 [::1]:" .. seen.b[2] .. " bound>", seen.b[1])
    local c = dgram.createSocket("udp6")
    assert.equal("Socket<udp6 unbound>", tostring(c))
    c:close()
    assert.equal("Socket<udp6 closed>", tostring(c))
    core.run("nowait")
  end)

  it("shows connecting, then the peer once connected, then bound again " ..
     "after disconnect", function()
    local seen = {}
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      -- A name answered later keeps the connect waiting for a while.
      local client = dgram.createSocket({ type = "udp4",
                                          lookup = function(host, _, cb)
        if host ~= "peer.test" then return cb(nil, host, 4) end
        core.next_tick(cb, nil, "127.0.0.1", 4)
      end })
      server:bind(0, "127.0.0.1", T.expect(function()
        local sport = server:address().port
        client:bind(0, "127.0.0.1", T.expect(function()
          local cport = client:address().port
          client:connect(sport, "peer.test", T.expect(function()
            seen.connected = tostring(client)
            client:disconnect()
            -- Linux lets go of a port bound as 0 on disconnect: whatever
            -- address() says now, tostring says too.
            local a = client:address()
            seen.disconnected = tostring(client)
            seen.after = "Socket<udp4 " .. a.address .. ":" .. a.port ..
                         " bound>"
            seen.want = { cport, sport }
            client:close()
            server:close(done)
          end))
          seen.connecting = tostring(client)
        end))
      end))
    end)
    local cport, sport = seen.want[1], seen.want[2]
    assert.equal("Socket<udp4 127.0.0.1:" .. cport .. " connecting>",
                 seen.connecting)
    assert.equal(string.format(
      "Socket<udp4 127.0.0.1:%d connected to 127.0.0.1:%d>", cport, sport),
      seen.connected)
    assert.equal(seen.after, seen.disconnected)
  end)

  it("is what print shows, and the REPL: the class keeps __name", function()
    local s = dgram.createSocket("udp4")
    assert.equal("Socket", getmetatable(s).__name)
    assert.is_function(rawget(getmetatable(s), "__tostring"))
    s:close()
    core.run("nowait")
  end)
end)
