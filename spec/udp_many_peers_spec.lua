-- Spec for a server that hears from many peers (src/udp_recv.c's peers'
-- strings kept, src/sockaddr.c's destinations parsed lately): each
-- datagram's rinfo.address is its own sender's, and each reply to it
-- reaches that sender, with more peers than the slots kept (so that they
-- share slots and push each other out) and in batches that mix them.
-- Clients on 127.0.0.2 and up (loopback: Linux routes all of 127/8 to lo).

local dgram = require("dgram")
local T = require("ludp.test")

local WINDOW = 64 -- datagrams in flight

-- n clients, client i bound to 127.0.0.(2 + i) (127.0.1.x past 253);
-- each sends 'rounds' datagrams to an echo server, which records where
-- each came from. Returns the server's records and what each client got back.
local function flood(n, rounds)
  local seen, back = {}, {}
  T.run(function(done)
    local server = dgram.createSocket("udp4")
    local clients, bound, echoed = {}, 0, 0
    server:on("message", function(msg, rinfo)
      seen[#seen + 1] = { msg = msg, address = rinfo.address }
      server:send(msg, rinfo.port, rinfo.address)
    end)
    -- The datagrams in turn (every client's first, then the second ones),
    -- WINDOW in flight: the server's batches mix peers, and its receive
    -- buffer never overflows.
    local sent = 0
    local function send_next()
      if sent == n * rounds then return end
      local i, r = sent % n + 1, sent // n + 1
      sent = sent + 1
      clients[i]:send(i .. ":" .. r, server:address().port, "127.0.0.1")
    end
    local function start()
      for _ = 1, WINDOW do send_next() end
    end
    server:bind(0, "127.0.0.1", function()
      for i = 1, n do
        local c = dgram.createSocket("udp4")
        local k = 1 + i -- 127.0.0.2 ... then 127.0.1.0 ...
        local address = string.format("127.0.%d.%d", k // 256, k % 256)
        c:on("message", function(msg)
          back[#back + 1] = { msg = msg, client = i, address = address }
          echoed = echoed + 1
          send_next()
          if echoed == n * rounds then
            for _, x in ipairs(clients) do x:close() end
            server:close(done)
          end
        end)
        clients[i] = c
        c:bind(0, address, function()
          bound = bound + 1
          if bound == n then start() end
        end)
      end
    end)
  end, 20000)
  return seen, back
end

describe("a server that hears from many peers", function()
  it("sees each datagram's own sender and answers it, past the slots kept",
     function()
    local n, rounds = 600, 3
    local seen, back = flood(n, rounds)
    assert.equal(n * rounds, #seen)
    for _, s in ipairs(seen) do
      local i = tonumber(s.msg:match("^(%d+):"))
      local k = 1 + i
      assert.equal(string.format("127.0.%d.%d", k // 256, k % 256), s.address)
    end
    assert.equal(n * rounds, #back)
    for _, b in ipairs(back) do
      assert.equal(b.client, tonumber(b.msg:match("^(%d+):")), b.address)
    end
  end)
end)
